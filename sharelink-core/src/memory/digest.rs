//! The in-memory digest store.

use crate::ports::digest::{DigestEntry, DigestEntryId, DigestStore, NewDigestEntry};
use crate::ports::repository::RepoError;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A [`DigestStore`] in memory: one lock around every entry.
#[derive(Debug, Default)]
pub struct MemoryDigests {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    entries: BTreeMap<DigestEntryId, NewDigestEntry>,
}

impl MemoryDigests {
    /// No entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries wait (for tests to look inside).
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    /// Whether no entry waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Each change below is made whole under the lock, so a panic leaves no half state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl DigestStore for MemoryDigests {
    async fn add_digest_entry(&self, entry: &NewDigestEntry) -> Result<DigestEntryId, RepoError> {
        let mut state = self.state();
        state.next_id += 1;
        let id = DigestEntryId(state.next_id);
        state.entries.insert(id, entry.clone());
        Ok(id)
    }

    async fn digest_entries(
        &self,
        after: Option<DigestEntryId>,
        limit: u32,
    ) -> Result<Vec<DigestEntry>, RepoError> {
        let state = self.state();
        let from = after.map_or(i64::MIN, |a| a.0.saturating_add(1));
        Ok(state
            .entries
            .range(DigestEntryId(from)..)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(id, entry)| DigestEntry {
                id: *id,
                entry: entry.clone(),
            })
            .collect())
    }

    async fn remove_digest_entries(&self, ids: &[DigestEntryId]) -> Result<u64, RepoError> {
        let mut state = self.state();
        Ok(ids
            .iter()
            .filter(|id| state.entries.remove(id).is_some())
            .count() as u64)
    }
}

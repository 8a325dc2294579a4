//! In-memory leases.

use crate::ports::lease::Lease;
use crate::ports::repository::RepoError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use time::OffsetDateTime;

/// A [`Lease`] in memory: one lock around every lease, so acquisitions are exclusive.
#[derive(Debug, Default)]
pub struct MemoryLease {
    /// Job → (holder, until).
    leases: Mutex<HashMap<String, (String, OffsetDateTime)>>,
}

impl MemoryLease {
    /// No lease held.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Lease for MemoryLease {
    async fn try_acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        // Each change is made whole under the lock, so a panic leaves no half state.
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if leases.get(job).is_some_and(|(_, end)| *end > now) {
            return Ok(false);
        }
        leases.insert(job.to_owned(), (holder.to_owned(), until));
        Ok(true)
    }

    async fn release(&self, job: &str, holder: &str) -> Result<bool, RepoError> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if leases.get(job).is_some_and(|(h, _)| h == holder) {
            leases.remove(job);
            return Ok(true);
        }
        Ok(false)
    }
}

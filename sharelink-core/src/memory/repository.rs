//! The in-memory share repository: one state under one mutex; each store of the port is
//! implemented in its own file beside this one.

use crate::ports::repository::*;
use crate::{Recipient, RecipientId, Share, ShareId, VisitorSession};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) next_id: i64,
    pub(super) shares: BTreeMap<ShareId, Share>,
    pub(super) recipients: BTreeMap<RecipientId, Recipient>,
    pub(super) registrations: Vec<StoredRegistration>,
    pub(super) sessions: HashMap<String, VisitorSession>,
    pub(super) codes: HashMap<String, OneTimeCode>,
    pub(super) attempts: HashMap<AttemptKey, (OffsetDateTime, u32)>,
    pub(super) dedup: HashSet<(ShareId, String)>,
    pub(super) templates: Vec<Template>,
    pub(super) creations: HashMap<(crate::UserId, time::Date), u32>,
}

impl State {
    pub(super) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// A share repository in memory: every contract of [`ShareRepository`] under one mutex.
#[derive(Debug, Default)]
pub struct MemoryRepository {
    state: Mutex<State>,
}

impl MemoryRepository {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every method mutates at
        // the end), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) fn window_start(now: OffsetDateTime, window: Duration) -> OffsetDateTime {
    let w = window.whole_seconds().max(1);
    let t = now.unix_timestamp();
    OffsetDateTime::from_unix_timestamp(t - t.rem_euclid(w)).unwrap_or(now)
}

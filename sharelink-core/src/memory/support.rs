//! In-memory clock, seeded random source, and permission directory.

use crate::ports::clock::Clock;
use crate::ports::directory::{DirectoryError, PermissionDirectory, UserInfo};
use crate::ports::random::RandomSource;
use crate::{Rights, SharePath, UserId};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A deterministic random source (SplitMix64) for reproducible tests. Not for production.
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<u64>,
}

impl SeededRandom {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new(seed),
        }
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in buf.chunks_mut(8) {
            *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// A permission directory held in memory: users, and rights granted on path prefixes
/// (the longest matching prefix wins).
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    users: Mutex<HashMap<UserId, UserInfo>>,
    grants: Mutex<HashMap<UserId, Vec<(SharePath, Rights)>>>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a user.
    pub fn put_user(&self, user: UserInfo) {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user.id.clone(), user);
    }

    /// Grants `rights` on `path` and below (replacing an earlier grant on that path).
    pub fn grant(&self, user: &UserId, path: SharePath, rights: Rights) {
        let mut grants = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        let list = grants.entry(user.clone()).or_default();
        list.retain(|(p, _)| p != &path);
        list.push((path, rights));
    }

    /// Disables or enables a user.
    pub fn set_disabled(&self, user: &UserId, disabled: bool) {
        if let Some(u) = self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(user)
        {
            u.disabled = disabled;
        }
    }
}

#[async_trait]
impl PermissionDirectory for MemoryDirectory {
    async fn user(&self, id: &UserId) -> Result<Option<UserInfo>, DirectoryError> {
        Ok(self
            .users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned())
    }

    async fn rights(&self, id: &UserId, path: &SharePath) -> Result<Rights, DirectoryError> {
        let grants = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        Ok(grants
            .get(id)
            .and_then(|list| {
                list.iter()
                    .filter(|(p, _)| path.starts_with(p))
                    .max_by_key(|(p, _)| p.as_str().len())
                    .map(|(_, r)| *r)
            })
            .unwrap_or(Rights::NONE))
    }
}

/// An event sink that keeps every event, for tests.
#[derive(Debug, Default)]
pub struct MemoryEvents {
    events: Mutex<Vec<crate::ports::ShareEvent>>,
}

impl MemoryEvents {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event published so far, in order.
    pub fn events(&self) -> Vec<crate::ports::ShareEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl crate::ports::EventSink for MemoryEvents {
    async fn publish(&self, event: &crate::ports::ShareEvent) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
    }
}

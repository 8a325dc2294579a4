//! The in-memory VisitorStore.

use super::repository::{MemoryRepository, window_start};
use crate::model::token::constant_time_eq;
use crate::ports::repository::*;
use crate::*;
use async_trait::async_trait;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

#[async_trait]
impl VisitorStore for MemoryRepository {
    async fn insert_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&session.share_id) {
            return Err(RepoError::NotFound("share"));
        }
        st.sessions
            .insert(session.id.as_str().to_owned(), session.clone());
        Ok(())
    }

    async fn get_session(&self, id: &SessionId) -> Result<Option<VisitorSession>, RepoError> {
        Ok(self.lock().sessions.get(id.as_str()).cloned())
    }

    async fn update_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        let mut st = self.lock();
        let s = st
            .sessions
            .get_mut(session.id.as_str())
            .ok_or(RepoError::NotFound("session"))?;
        *s = session.clone();
        Ok(())
    }

    async fn put_code(&self, code: &OneTimeCode) -> Result<(), RepoError> {
        self.lock()
            .codes
            .insert(code.session_id.as_str().to_owned(), code.clone());
        Ok(())
    }

    async fn check_code(
        &self,
        session: &SessionId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck, RepoError> {
        let mut st = self.lock();
        let Some(pending) = st.codes.get_mut(session.as_str()) else {
            return Ok(CodeCheck::Missing);
        };
        if now >= pending.expires_at {
            st.codes.remove(session.as_str());
            return Ok(CodeCheck::Expired);
        }
        if pending.attempts_left == 0 {
            return Ok(CodeCheck::Wrong { attempts_left: 0 });
        }
        if constant_time_eq(pending.code.as_bytes(), code.as_bytes()) {
            let email = pending.email.clone();
            st.codes.remove(session.as_str());
            return Ok(CodeCheck::Valid(email));
        }
        pending.attempts_left -= 1;
        Ok(CodeCheck::Wrong {
            attempts_left: pending.attempts_left,
        })
    }

    async fn hit_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError> {
        let start = window_start(now, window);
        let mut st = self.lock();
        let entry = st.attempts.entry(key.clone()).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn attempts(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError> {
        let start = window_start(now, window);
        Ok(self
            .lock()
            .attempts
            .get(key)
            .filter(|(s, _)| *s == start)
            .map_or(0, |(_, n)| *n))
    }

    async fn release_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), RepoError> {
        let start = window_start(now, window);
        if let Some(entry) = self.lock().attempts.get_mut(key)
            && entry.0 == start
        {
            entry.1 = entry.1.saturating_sub(1);
        }
        Ok(())
    }

    async fn clear_attempts(&self, key: &AttemptKey) -> Result<(), RepoError> {
        self.lock().attempts.remove(key);
        Ok(())
    }

    async fn add_registration(
        &self,
        share: ShareId,
        registration: &Registration,
        at: OffsetDateTime,
        ip: Option<IpAddr>,
    ) -> Result<RegistrationId, RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&share) {
            return Err(RepoError::NotFound("share"));
        }
        let id = RegistrationId(st.id());
        st.registrations.push(StoredRegistration {
            id,
            share_id: share,
            registration: registration.clone(),
            at,
            ip,
        });
        Ok(id)
    }

    async fn list_registrations(
        &self,
        share: ShareId,
    ) -> Result<Vec<StoredRegistration>, RepoError> {
        Ok(self
            .lock()
            .registrations
            .iter()
            .filter(|r| r.share_id == share)
            .cloned()
            .collect())
    }
}

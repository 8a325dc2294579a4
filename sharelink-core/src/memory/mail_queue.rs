//! The in-memory mail queue.

use crate::ports::mail_queue::*;
use crate::ports::repository::RepoError;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use time::OffsetDateTime;

/// A [`MailQueue`] in memory: one lock around every mail, so claims are exclusive.
#[derive(Debug, Default)]
pub struct MemoryMailQueue {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    mails: BTreeMap<QueuedMailId, QueuedMail>,
}

impl MemoryMailQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail in the queue, oldest first (for tests to look inside).
    pub fn all(&self) -> Vec<QueuedMail> {
        self.state().mails.values().cloned().collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Each change below is made whole under the lock, so a panic leaves no half state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` to the pending mail `id` claimed `attempts` times.
    fn settle(
        &self,
        id: QueuedMailId,
        attempts: u32,
        change: impl FnOnce(&mut QueuedMail),
    ) -> bool {
        let mut st = self.state();
        match st.mails.get_mut(&id) {
            Some(m) if m.state == MailState::Pending && m.attempts == attempts => {
                change(m);
                true
            }
            _ => false,
        }
    }
}

#[async_trait]
impl MailQueue for MemoryMailQueue {
    async fn enqueue(&self, new: NewQueuedMail) -> Result<QueuedMail, RepoError> {
        let mut st = self.state();
        st.next_id += 1;
        let mail = QueuedMail::pending(QueuedMailId(st.next_id), new);
        st.mails.insert(mail.id, mail.clone());
        Ok(mail)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, RepoError> {
        let mut st = self.state();
        let mut due: Vec<&mut QueuedMail> = st
            .mails
            .values_mut()
            .filter(|m| {
                m.state == MailState::Pending
                    && m.next_attempt_at <= now
                    && m.leased_until.is_none_or(|l| l <= now)
            })
            .collect();
        due.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|m| {
                m.attempts += 1;
                m.leased_until = Some(lease_until);
                m.clone()
            })
            .collect())
    }

    async fn mark_sent(
        &self,
        id: QueuedMailId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        Ok(self.settle(id, attempts, |m| {
            m.state = MailState::Sent;
            m.leased_until = None;
            m.last_error = None;
            m.updated_at = at;
        }))
    }

    async fn mark_failed(
        &self,
        id: QueuedMailId,
        attempts: u32,
        error: &str,
        failure: Failure,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        Ok(self.settle(id, attempts, |m| {
            match failure {
                Failure::RetryAt(due) => m.next_attempt_at = due,
                Failure::Dead => m.state = MailState::Dead,
                Failure::Expired => m.state = MailState::Expired,
            }
            m.leased_until = None;
            m.last_error = Some(error.to_owned());
            m.updated_at = at;
        }))
    }

    async fn get_mail(&self, id: QueuedMailId) -> Result<Option<QueuedMail>, RepoError> {
        Ok(self.state().mails.get(&id).cloned())
    }

    async fn list_mail(&self, query: &MailQuery) -> Result<Vec<QueuedMail>, RepoError> {
        Ok(self
            .state()
            .mails
            .values()
            .rev()
            .filter(|m| query.state.is_none_or(|s| m.state == s))
            .filter(|m| query.owner.is_none() || m.owner == query.owner)
            .filter(|m| query.before.is_none_or(|b| m.id < b))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn retry_mail(&self, id: QueuedMailId, now: OffsetDateTime) -> Result<bool, RepoError> {
        let mut st = self.state();
        match st.mails.get_mut(&id) {
            Some(m) if matches!(m.state, MailState::Dead | MailState::Expired) => {
                m.state = MailState::Pending;
                m.attempts = 0;
                m.next_attempt_at = now;
                m.leased_until = None;
                m.updated_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

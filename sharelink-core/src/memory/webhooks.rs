//! The in-memory webhook store, and a transport that records what it is asked to post.

use crate::UserId;
use crate::ports::repository::RepoError;
use crate::ports::webhooks::*;
use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use time::OffsetDateTime;

/// A [`WebhookStore`] in memory: one lock around everything, so claims are exclusive and
/// a fan-out is written whole.
#[derive(Debug, Default)]
pub struct MemoryWebhookStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_endpoint: i64,
    next_delivery: i64,
    endpoints: BTreeMap<WebhookEndpointId, WebhookEndpoint>,
    deliveries: BTreeMap<WebhookDeliveryId, WebhookDelivery>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each change below is made whole under the lock, so a panic leaves no half state.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryWebhookStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every delivery, oldest first (for tests to look inside).
    pub fn all(&self) -> Vec<WebhookDelivery> {
        lock(&self.state).deliveries.values().cloned().collect()
    }

    /// Applies `change` to the pending delivery `id` claimed `attempts` times.
    fn settle(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        change: impl FnOnce(&mut WebhookDelivery),
    ) -> bool {
        match lock(&self.state).deliveries.get_mut(&id) {
            Some(d) if d.state == DeliveryState::Pending && d.attempts == attempts => {
                change(d);
                true
            }
            _ => false,
        }
    }
}

#[async_trait]
impl WebhookStore for MemoryWebhookStore {
    async fn add_endpoint(&self, new: NewWebhookEndpoint) -> Result<WebhookEndpoint, RepoError> {
        let mut st = lock(&self.state);
        st.next_endpoint += 1;
        let endpoint = WebhookEndpoint {
            id: WebhookEndpointId(st.next_endpoint),
            owner: new.owner,
            url: new.url,
            secret: new.secret,
            created_at: new.created_at,
        };
        st.endpoints.insert(endpoint.id, endpoint.clone());
        Ok(endpoint)
    }

    async fn get_endpoint(
        &self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        Ok(lock(&self.state).endpoints.get(&id).cloned())
    }

    async fn list_endpoints(
        &self,
        owner: Option<&UserId>,
    ) -> Result<Vec<WebhookEndpoint>, RepoError> {
        Ok(lock(&self.state)
            .endpoints
            .values()
            .filter(|e| owner.is_none() || e.owner.as_ref() == owner)
            .cloned()
            .collect())
    }

    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool, RepoError> {
        let mut st = lock(&self.state);
        let found = st.endpoints.remove(&id).is_some();
        st.deliveries.retain(|_, d| d.endpoint != id);
        Ok(found)
    }

    async fn enqueue_event(
        &self,
        event: NewWebhookEvent,
    ) -> Result<Vec<WebhookDelivery>, RepoError> {
        let mut st = lock(&self.state);
        let targets: Vec<(WebhookEndpointId, Option<UserId>)> = st
            .endpoints
            .values()
            .filter(|e| e.owner.is_none() || e.owner.as_ref() == Some(&event.owner))
            .map(|e| (e.id, e.owner.clone()))
            .collect();
        let mut written = Vec::new();
        for (endpoint, endpoint_owner) in targets {
            st.next_delivery += 1;
            let id = WebhookDeliveryId(st.next_delivery);
            let d = WebhookDelivery::pending(id, endpoint, endpoint_owner, &event);
            st.deliveries.insert(d.id, d.clone());
            written.push(d);
        }
        Ok(written)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, RepoError> {
        let mut st = lock(&self.state);
        // The head of each (endpoint, share) line: its oldest pending delivery.
        let mut heads = BTreeMap::new();
        for d in st.deliveries.values() {
            if d.state == DeliveryState::Pending {
                heads.entry((d.endpoint, d.share)).or_insert(d.id);
            }
        }
        let mut due: Vec<&mut WebhookDelivery> = st
            .deliveries
            .values_mut()
            .filter(|d| {
                heads.get(&(d.endpoint, d.share)) == Some(&d.id)
                    && d.next_attempt_at <= now
                    && d.leased_until.is_none_or(|l| l <= now)
            })
            .collect();
        due.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|d| {
                d.attempts += 1;
                d.leased_until = Some(lease_until);
                d.clone()
            })
            .collect())
    }

    async fn mark_delivered(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        Ok(self.settle(id, attempts, |d| {
            d.state = DeliveryState::Delivered;
            d.leased_until = None;
            d.last_error = None;
            d.updated_at = at;
        }))
    }

    async fn mark_failed(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        error: &str,
        failure: DeliveryFailure,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        Ok(self.settle(id, attempts, |d| {
            match failure {
                DeliveryFailure::RetryAt(due) => d.next_attempt_at = due,
                DeliveryFailure::Dead => d.state = DeliveryState::Dead,
            }
            d.leased_until = None;
            d.last_error = Some(error.to_owned());
            d.updated_at = at;
        }))
    }

    async fn get_delivery(
        &self,
        id: WebhookDeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepoError> {
        Ok(lock(&self.state).deliveries.get(&id).cloned())
    }

    async fn list_deliveries(&self, q: &DeliveryQuery) -> Result<Vec<WebhookDelivery>, RepoError> {
        Ok(lock(&self.state)
            .deliveries
            .values()
            .rev()
            .filter(|d| q.state.is_none_or(|s| d.state == s))
            .filter(|d| q.owner.is_none() || d.endpoint_owner == q.owner)
            .filter(|d| q.endpoint.is_none_or(|e| d.endpoint == e))
            .filter(|d| q.before.is_none_or(|b| d.id < b))
            .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn replay_delivery(
        &self,
        id: WebhookDeliveryId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        match lock(&self.state).deliveries.get_mut(&id) {
            Some(d) if d.state != DeliveryState::Pending => {
                d.state = DeliveryState::Pending;
                d.attempts = 0;
                d.next_attempt_at = now;
                d.leased_until = None;
                d.updated_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// A [`WebhookTransport`] that keeps every request and answers from a script: the
/// statuses (or failures) pushed with [`MemoryWebhookTransport::answer`], in order, then
/// 200.
#[derive(Debug, Default)]
pub struct MemoryWebhookTransport {
    sent: Mutex<Vec<WebhookRequest>>,
    script: Mutex<VecDeque<Option<u16>>>,
}

impl MemoryWebhookTransport {
    /// A transport that answers 200 until told otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next answer: a status, or `None` for "unreachable".
    pub fn answer(&self, status: Option<u16>) {
        lock(&self.script).push_back(status);
    }

    /// Every request so far, in order.
    pub fn sent(&self) -> Vec<WebhookRequest> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl WebhookTransport for MemoryWebhookTransport {
    async fn post(&self, request: &WebhookRequest) -> Result<u16, WebhookError> {
        lock(&self.sent).push(request.clone());
        match lock(&self.script).pop_front() {
            Some(Some(status)) => Ok(status),
            Some(None) => Err(WebhookError::Unreachable {
                source: "connection refused (scripted)".into(),
            }),
            None => Ok(200),
        }
    }
}

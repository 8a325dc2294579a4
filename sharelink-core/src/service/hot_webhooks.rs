//! The per-process memory of events no webhook endpoint wants: publishing a download (or
//! any event) asks the outbox which endpoints want it, a query on every request when, as
//! is usual, none does. [`QuietOwners`] wraps the webhook store port and remembers, for
//! [`Config::share_cache`](super::Config), that an owner's event type matched no endpoint;
//! an event of that kind for that owner then writes nothing without asking the store.
//!
//! An endpoint added or removed through this process forgets everything at once (a
//! site-wide endpoint concerns every owner); one added by another process sharing the
//! database gets the events published here from at most the bound after it was added.

use crate::UserId;
use crate::ports::{
    DeliveryFailure, DeliveryQuery, NewWebhookEndpoint, NewWebhookEvent, RepoError,
    WebhookDelivery, WebhookDeliveryId, WebhookEndpoint, WebhookEndpointId, WebhookStore,
};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Most owners remembered; past it, all are forgotten.
const MAX_ENTRIES: usize = 4096;

/// Owner → event type → when the store last found no endpoint wanting it.
type Quiet = HashMap<UserId, HashMap<String, Instant>>;

/// A webhook store that skips the outbox for events no endpoint wanted a moment ago.
#[derive(Debug)]
pub(super) struct QuietOwners {
    inner: Arc<dyn WebhookStore>,
    bound: Duration,
    /// Owner → event type → when the store last found no endpoint for it.
    quiet: Mutex<Quiet>,
    /// Bumped by every endpoint added or removed: an enqueue that began before does not
    /// remember what it found (the endpoints may have changed under it).
    changes: AtomicU64,
}

impl QuietOwners {
    /// `inner`, with "no endpoint wants it" remembered for `bound`.
    pub(super) fn new(inner: Arc<dyn WebhookStore>, bound: Duration) -> Self {
        Self {
            inner,
            bound,
            quiet: Mutex::default(),
            changes: AtomicU64::new(0),
        }
    }

    fn quiet(&self) -> std::sync::MutexGuard<'_, Quiet> {
        // Holds no invariant a panic could break half-way.
        self.quiet.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the store found no endpoint for `owner`'s events of `event_type` within
    /// the bound (then publishing one writes nothing).
    pub(super) fn is_quiet(&self, owner: &UserId, event_type: &str) -> bool {
        self.quiet()
            .get(owner)
            .and_then(|types| types.get(event_type))
            .is_some_and(|at| at.elapsed() < self.bound)
    }

    /// Remembers that no endpoint wanted `owner`'s events of `event_type` when the store
    /// was asked at `asked_at`, unless an endpoint changed since `changes` was the count.
    fn remember(&self, owner: UserId, event_type: String, changes: u64, asked_at: Instant) {
        let mut quiet = self.quiet();
        // Checked under the lock: a change after this point forgets the entry.
        if self.changes.load(Ordering::SeqCst) == changes {
            if quiet.len() >= MAX_ENTRIES {
                quiet.clear();
            }
            quiet.entry(owner).or_default().insert(event_type, asked_at);
        }
    }

    /// Runs an endpoint change, forgetting everything before and after it.
    async fn changing<T>(&self, change: impl Future<Output = T>) -> T {
        let forget = || {
            self.changes.fetch_add(1, Ordering::SeqCst);
            self.quiet().clear();
        };
        forget();
        let out = change.await;
        forget();
        out
    }
}

#[async_trait]
impl WebhookStore for QuietOwners {
    async fn add_endpoint(&self, new: NewWebhookEndpoint) -> Result<WebhookEndpoint, RepoError> {
        self.changing(self.inner.add_endpoint(new)).await
    }

    async fn get_endpoint(
        &self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError> {
        self.inner.get_endpoint(id).await
    }

    async fn list_endpoints(
        &self,
        owner: Option<&UserId>,
    ) -> Result<Vec<WebhookEndpoint>, RepoError> {
        self.inner.list_endpoints(owner).await
    }

    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool, RepoError> {
        self.changing(self.inner.delete_endpoint(id)).await
    }

    async fn enqueue_event(
        &self,
        event: NewWebhookEvent,
    ) -> Result<Vec<WebhookDelivery>, RepoError> {
        if self.is_quiet(&event.owner, &event.event_type) {
            return Ok(Vec::new());
        }
        let (changes, asked_at) = (self.changes.load(Ordering::SeqCst), Instant::now());
        let (owner, event_type) = (event.owner.clone(), event.event_type.clone());
        let written = self.inner.enqueue_event(event).await?;
        if written.is_empty() {
            self.remember(owner, event_type, changes, asked_at);
        }
        Ok(written)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, RepoError> {
        self.inner.claim_due(now, lease_until, limit).await
    }

    async fn mark_delivered(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.inner.mark_delivered(id, attempts, at).await
    }

    async fn mark_failed(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        error: &str,
        failure: DeliveryFailure,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.inner
            .mark_failed(id, attempts, error, failure, at)
            .await
    }

    async fn get_delivery(
        &self,
        id: WebhookDeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepoError> {
        self.inner.get_delivery(id).await
    }

    async fn list_deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<Vec<WebhookDelivery>, RepoError> {
        self.inner.list_deliveries(query).await
    }

    async fn replay_delivery(
        &self,
        id: WebhookDeliveryId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError> {
        self.inner.replay_delivery(id, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ShareId;
    use crate::memory::MemoryWebhookStore;
    use crate::model::webhook::{WebhookSecret, WebhookUrl};
    use crate::testing::fixtures::{T0, user};
    use futures::executor::block_on;
    use proptest::prelude::*;

    /// A quiet-owner store over a memory store, and the memory store itself (what another
    /// process adding an endpoint writes to).
    fn stores(bound: Duration) -> (QuietOwners, Arc<MemoryWebhookStore>) {
        let inner = Arc::new(MemoryWebhookStore::new());
        (QuietOwners::new(inner.clone(), bound), inner)
    }

    fn new_endpoint(owner: Option<&str>, path: &str) -> NewWebhookEndpoint {
        NewWebhookEndpoint {
            owner: owner.map(user),
            url: WebhookUrl::parse(&format!("https://hooks.example.com/{path}")).expect("url"),
            secret: WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret"),
            created_at: T0,
        }
    }

    fn new_event(owner: &str, n: u32) -> NewWebhookEvent {
        NewWebhookEvent {
            message_id: format!("msg_{n}"),
            share: ShareId(1),
            owner: user(owner),
            event_type: "share.downloaded".into(),
            payload: "{}".into(),
            at: T0,
        }
    }

    fn publish(store: &dyn WebhookStore, owner: &str, n: u32) -> usize {
        block_on(store.enqueue_event(new_event(owner, n)))
            .expect("enqueue")
            .len()
    }

    #[test]
    fn an_endpoint_added_here_gets_the_next_event() {
        let (quiet, _inner) = stores(Duration::from_secs(60));
        assert_eq!(publish(&quiet, "ana", 1), 0);
        assert!(quiet.is_quiet(&user("ana"), "share.downloaded"));
        let added = block_on(quiet.add_endpoint(new_endpoint(Some("ana"), "a"))).expect("add");
        assert_eq!(publish(&quiet, "ana", 2), 1);
        assert!(block_on(quiet.delete_endpoint(added.id)).expect("delete"));
        assert_eq!(publish(&quiet, "ana", 3), 0);
        // A site-wide endpoint concerns every owner.
        block_on(quiet.add_endpoint(new_endpoint(None, "site"))).expect("add");
        assert_eq!(publish(&quiet, "ana", 4), 1);
        assert_eq!(publish(&quiet, "ben", 5), 1);
    }

    #[test]
    fn an_endpoint_added_elsewhere_gets_events_once_the_bound_has_passed() {
        let (quiet, inner) = stores(Duration::from_millis(150));
        assert_eq!(publish(&quiet, "ana", 1), 0);
        block_on(inner.add_endpoint(new_endpoint(Some("ana"), "a"))).expect("add");
        // Within the bound this process still remembers that nobody wanted it...
        assert_eq!(publish(&quiet, "ana", 2), 0);
        // ...another owner's events were never remembered...
        assert_eq!(publish(&quiet, "ben", 3), 0);
        std::thread::sleep(Duration::from_millis(200));
        // ...and after it, the endpoint gets them.
        assert_eq!(publish(&quiet, "ana", 4), 1);
    }

    #[test]
    fn no_quiet_is_remembered_by_an_enqueue_a_change_overtook() {
        let (quiet, _inner) = stores(Duration::from_secs(60));
        let ana = user("ana");
        // An enqueue begins, and finds no endpoint...
        let (changes, asked_at) = (quiet.changes.load(Ordering::SeqCst), Instant::now());
        // ...an endpoint is added through this process before it remembers that...
        block_on(quiet.add_endpoint(new_endpoint(Some("ana"), "a"))).expect("add");
        quiet.remember(ana.clone(), "share.downloaded".into(), changes, asked_at);
        // ...so it is not remembered, and the next event reaches the endpoint.
        assert!(!quiet.is_quiet(&ana, "share.downloaded"));
        assert_eq!(publish(&quiet, "ana", 1), 1);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Publish(usize),
        Add(Option<usize>),
        Delete(usize),
    }

    const OWNERS: [&str; 3] = ["ana", "ben", "cy"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3usize).prop_map(Op::Publish),
            1 => proptest::option::of(0..3usize).prop_map(Op::Add),
            1 => (0..6usize).prop_map(Op::Delete),
        ]
    }

    proptest! {
        /// The rule: with every endpoint change made through it, publishing through the
        /// quiet-owner store writes exactly the deliveries the plain store writes.
        #[test]
        fn changes_made_here_never_lose_a_delivery(ops in proptest::collection::vec(op(), 1..40)) {
            let (quiet, _inner) = stores(Duration::from_secs(60));
            let (plain, _) = stores(Duration::ZERO);
            let plain = plain.inner;
            let mut ids = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Publish(o) => {
                        let n = u32::try_from(n).expect("small");
                        prop_assert_eq!(publish(&quiet, OWNERS[o], n), publish(plain.as_ref(), OWNERS[o], n));
                    }
                    Op::Add(o) => {
                        let path = format!("e{n}");
                        let owner = o.map(|o| OWNERS[o]);
                        let a = block_on(quiet.add_endpoint(new_endpoint(owner, &path))).expect("add");
                        let b = block_on(plain.add_endpoint(new_endpoint(owner, &path))).expect("add");
                        ids.push((a.id, b.id));
                    }
                    Op::Delete(i) => {
                        if let Some((a, b)) = ids.get(i).copied() {
                            block_on(quiet.delete_endpoint(a)).expect("delete");
                            block_on(plain.delete_endpoint(b)).expect("delete");
                        }
                    }
                }
            }
        }
    }
}

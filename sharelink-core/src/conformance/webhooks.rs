//! Conformance suite of the webhook-store port: one async function per contract bullet of
//! [`WebhookStore`], and [`webhooks_conformance!`](crate::webhooks_conformance) to run
//! them all.
//!
//! Each case takes two handles on one fresh, empty store ([`Stores`]): where the adapter
//! can, two separate connections to the same database, as two processes would have.
//!
//! ```
//! use sharelink_core::conformance::webhooks::Stores;
//! use sharelink_core::memory::MemoryWebhookStore;
//! use std::sync::Arc;
//!
//! async fn stores() -> Stores {
//!     let store = Arc::new(MemoryWebhookStore::new());
//!     (store.clone(), store)
//! }
//!
//! sharelink_core::webhooks_conformance!(run = futures::executor::block_on, make = stores());
//! # fn main() {}
//! ```

use crate::memory::SeededRandom;
use crate::model::webhook::{WebhookSecret, WebhookUrl};
use crate::ports::webhooks::*;
use crate::{ShareId, UserId};
use std::collections::HashSet;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Two handles on one store (the same one twice where the adapter has only one).
pub type Stores = (Arc<dyn WebhookStore>, Arc<dyn WebhookStore>);

/// The instant the suite's events happen around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn user(name: &str) -> UserId {
    UserId::parse(name).expect("valid user")
}

/// An endpoint of `owner` (`None`: site-wide) at `path`.
pub fn new_endpoint(owner: Option<&str>, path: &str) -> NewWebhookEndpoint {
    NewWebhookEndpoint {
        owner: owner.map(user),
        url: WebhookUrl::parse(&format!("https://hooks.example.com/{path}?a=b")).expect("url"),
        secret: WebhookSecret::generate(&SeededRandom::new(path.len() as u64)),
        created_at: T0,
    }
}

/// An event about `share` of `owner` at `at`, with a non-ASCII payload.
pub fn new_event(share: i64, owner: &str, n: u32, at: OffsetDateTime) -> NewWebhookEvent {
    NewWebhookEvent {
        message_id: format!("msg_{share}_{n}"),
        share: ShareId(share),
        owner: user(owner),
        event_type: "share.downloaded".into(),
        payload: format!(
            r#"{{"type":"share.downloaded","data":{{"n":{n},"path":"Plä ns/ü.pdf"}}}}"#
        ),
        at,
    }
}

async fn add(s: &dyn WebhookStore, new: NewWebhookEndpoint) -> WebhookEndpoint {
    s.add_endpoint(new).await.expect("add endpoint")
}

async fn enqueue(s: &dyn WebhookStore, e: NewWebhookEvent) -> Vec<WebhookDelivery> {
    s.enqueue_event(e).await.expect("enqueue")
}

async fn claim(s: &dyn WebhookStore, now: OffsetDateTime, limit: u32) -> Vec<WebhookDelivery> {
    s.claim_due(now, now + Duration::minutes(5), limit)
        .await
        .expect("claim")
}

async fn get(s: &dyn WebhookStore, id: WebhookDeliveryId) -> WebhookDelivery {
    s.get_delivery(id).await.expect("get").expect("exists")
}

fn ids(v: &[WebhookDelivery]) -> Vec<WebhookDeliveryId> {
    v.iter().map(|d| d.id).collect()
}

/// `add_endpoint` stores an endpoint under a fresh id, read back equal (secret included)
/// by the other handle; listings by owner and of all, oldest first.
pub async fn endpoints_read_back((a, b): Stores) {
    let site = add(&*a, new_endpoint(None, "site")).await;
    let ana = add(&*a, new_endpoint(Some("ana"), "ana")).await;
    let bob = add(&*a, new_endpoint(Some("bob"), "bob-longer")).await;
    assert_ne!(site.id, ana.id);
    for e in [&site, &ana, &bob] {
        assert_eq!(b.get_endpoint(e.id).await.expect("get").as_ref(), Some(e));
    }
    assert_eq!(ana.secret, new_endpoint(Some("ana"), "ana").secret);
    let all = b.list_endpoints(None).await.expect("list");
    assert_eq!(all, vec![site.clone(), ana.clone(), bob.clone()]);
    let of_ana = b.list_endpoints(Some(&user("ana"))).await.expect("list");
    assert_eq!(of_ana, vec![ana.clone()]);
    assert!(
        b.list_endpoints(Some(&user("carl")))
            .await
            .expect("list")
            .is_empty()
    );
    let missing = WebhookEndpointId(bob.id.0 + 1000);
    assert_eq!(b.get_endpoint(missing).await.expect("get"), None);
}

/// `delete_endpoint` removes the endpoint and its deliveries; `false` when there is none.
pub async fn delete_removes_endpoint_and_deliveries((a, b): Stores) {
    let gone = add(&*a, new_endpoint(Some("ana"), "gone")).await;
    let kept = add(&*a, new_endpoint(None, "kept")).await;
    let written = enqueue(&*a, new_event(1, "ana", 1, T0)).await;
    assert_eq!(written.len(), 2);
    assert!(b.delete_endpoint(gone.id).await.expect("delete"));
    assert!(!b.delete_endpoint(gone.id).await.expect("delete"));
    assert_eq!(a.get_endpoint(gone.id).await.expect("get"), None);
    let all = DeliveryQuery {
        limit: 100,
        ..DeliveryQuery::default()
    };
    let left = a.list_deliveries(&all).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].endpoint, kept.id);
    let claimed = claim(&*a, T0, 10).await;
    assert_eq!(ids(&claimed), ids(&left));
}

/// `enqueue_event` writes one pending delivery per site-wide endpoint and per endpoint of
/// the event's owner, none for other owners', and returns them; none without a match.
pub async fn enqueue_fans_out_to_matching_endpoints((a, b): Stores) {
    assert!(enqueue(&*a, new_event(1, "ana", 1, T0)).await.is_empty());
    let site = add(&*a, new_endpoint(None, "site")).await;
    let ana = add(&*a, new_endpoint(Some("ana"), "ana")).await;
    let bob = add(&*a, new_endpoint(Some("bob"), "bob")).await;
    let event = new_event(1, "ana", 2, T0);
    let written = enqueue(&*a, event.clone()).await;
    let mut to: Vec<_> = written.iter().map(|d| d.endpoint).collect();
    to.sort();
    assert_eq!(to, vec![site.id, ana.id]);
    for d in &written {
        assert_eq!(d.message_id, event.message_id);
        assert_eq!(d.share, event.share);
        assert_eq!(d.event_type, event.event_type);
        assert_eq!(d.payload, event.payload);
        assert_eq!(d.state, DeliveryState::Pending);
        assert_eq!(d.attempts, 0);
        assert_eq!(d.next_attempt_at, T0);
        assert_eq!(d.leased_until, None);
        assert_eq!(d.last_error, None);
        assert_eq!(d.created_at, T0);
        let owner = if d.endpoint == ana.id {
            Some(user("ana"))
        } else {
            None
        };
        assert_eq!(d.endpoint_owner, owner);
        assert_eq!(&get(&*b, d.id).await, d);
    }
    let of_carl = enqueue(&*a, new_event(2, "carl", 1, T0)).await;
    assert_eq!(of_carl.len(), 1);
    assert_eq!(of_carl[0].endpoint, site.id);
    let of_bob = enqueue(&*a, new_event(3, "bob", 1, T0)).await;
    assert_eq!(of_bob.len(), 2);
    assert!(of_bob.iter().any(|d| d.endpoint == bob.id));
}

/// `claim_due` hands out due deliveries only, oldest due first, at most `limit`, each
/// with one more attempt and leased; a leased one waits for its lease, by either handle.
pub async fn claim_hands_out_due_deliveries((a, b): Stores) {
    add(&*a, new_endpoint(None, "site")).await;
    let later = enqueue(&*a, new_event(1, "o", 1, T0 + Duration::minutes(10))).await;
    let second = enqueue(&*a, new_event(2, "o", 1, T0 + Duration::minutes(1))).await;
    let first = enqueue(&*a, new_event(3, "o", 1, T0)).await;
    let now = T0 + Duration::minutes(2);
    assert!(b.claim_due(now, now, 0).await.expect("claim").is_empty());
    let c = claim(&*b, now, 1).await;
    assert_eq!(ids(&c), ids(&first));
    assert_eq!(c[0].attempts, 1);
    assert_eq!(c[0].leased_until, Some(now + Duration::minutes(5)));
    assert_eq!(get(&*a, c[0].id).await, c[0]);
    assert_eq!(
        ids(&claim(&*a, now, 10).await),
        ids(&second),
        "not the later one"
    );
    assert!(claim(&*a, now + Duration::minutes(4), 10).await.is_empty());
    let again = claim(&*b, now + Duration::minutes(5), 10).await;
    assert_eq!(again.len(), 2, "leases ended: both due again");
    assert!(again.iter().all(|d| d.attempts == 2));
    let end = T0 + Duration::minutes(20);
    for d in &again {
        assert!(a.mark_delivered(d.id, 2, end).await.expect("mark"));
    }
    assert_eq!(ids(&claim(&*a, end, 10).await), ids(&later));
}

/// A share's deliveries to one endpoint go in order: the next is not handed out while an
/// earlier one is pending (leased or waiting for a retry), even when it is due; another
/// share's, or another endpoint's, are not held up; a dead one no longer holds the line.
pub async fn claims_keep_order_per_share_and_endpoint((a, b): Stores) {
    let site = add(&*a, new_endpoint(None, "site")).await;
    let mut line = Vec::new();
    for n in 1..=3 {
        line.push(enqueue(&*a, new_event(1, "o", n, T0)).await.remove(0));
    }
    let other = enqueue(&*a, new_event(2, "o", 1, T0)).await.remove(0);
    let c = claim(&*a, T0, 10).await;
    assert_eq!(ids(&c), vec![line[0].id, other.id]);
    let retry_at = T0 + Duration::minutes(1);
    let failure = DeliveryFailure::RetryAt(retry_at);
    assert!(
        a.mark_failed(line[0].id, 1, "500", failure, T0)
            .await
            .expect("mark")
    );
    assert!(a.mark_delivered(other.id, 1, T0).await.expect("mark"));
    assert!(
        claim(&*b, T0 + Duration::seconds(30), 10).await.is_empty(),
        "the second waits while the first waits for its retry"
    );
    let ana = add(&*a, new_endpoint(Some("o"), "o")).await;
    let fresh = enqueue(&*a, new_event(1, "o", 4, retry_at)).await;
    let to_ana: Vec<_> = fresh.iter().filter(|d| d.endpoint == ana.id).collect();
    let c = claim(&*b, retry_at, 10).await;
    let mut got = ids(&c);
    got.sort();
    assert_eq!(
        got,
        vec![line[0].id, to_ana[0].id],
        "another endpoint's line runs"
    );
    assert!(
        b.mark_failed(line[0].id, 2, "gone", DeliveryFailure::Dead, retry_at)
            .await
            .expect("mark")
    );
    let c = claim(&*a, retry_at, 10).await;
    assert_eq!(
        ids(&c),
        vec![line[1].id],
        "a dead one no longer holds the line"
    );
    assert!(
        a.mark_delivered(line[1].id, 1, retry_at)
            .await
            .expect("mark")
    );
    assert_eq!(ids(&claim(&*a, retry_at, 10).await), vec![line[2].id]);
    assert_eq!(site.id, line[0].endpoint);
}

/// Outcomes need the current claim: a stale attempt number, or a delivery no longer
/// pending, changes nothing and answers `false`; a retry clears the lease, keeps the
/// error and makes it due at the given instant; dead keeps the error.
pub async fn outcomes_need_the_current_claim((a, b): Stores) {
    add(&*a, new_endpoint(None, "site")).await;
    let d = enqueue(&*a, new_event(1, "o", 1, T0)).await.remove(0);
    let first = claim(&*a, T0, 1).await.remove(0);
    let second = claim(&*b, T0 + Duration::minutes(6), 1).await.remove(0);
    assert_eq!(second.attempts, first.attempts + 1);
    let at = T0 + Duration::minutes(7);
    assert!(
        !a.mark_delivered(d.id, first.attempts, at)
            .await
            .expect("mark")
    );
    let dead = DeliveryFailure::Dead;
    assert!(
        !a.mark_failed(d.id, first.attempts, "late", dead, at)
            .await
            .expect("mark")
    );
    let due = at + Duration::seconds(30);
    let retry = DeliveryFailure::RetryAt(due);
    assert!(
        b.mark_failed(d.id, 2, "answered 503", retry, at)
            .await
            .expect("mark")
    );
    let stored = get(&*a, d.id).await;
    assert_eq!(stored.state, DeliveryState::Pending);
    assert_eq!(stored.next_attempt_at, due);
    assert_eq!(stored.leased_until, None);
    assert_eq!(stored.last_error.as_deref(), Some("answered 503"));
    assert_eq!(stored.updated_at, at);
    assert!(claim(&*a, due - Duration::seconds(1), 10).await.is_empty());
    let third = claim(&*a, due, 10).await.remove(0);
    assert_eq!(third.attempts, 3);
    assert!(
        a.mark_failed(d.id, 3, "refused", dead, due)
            .await
            .expect("mark")
    );
    let stored = get(&*b, d.id).await;
    assert_eq!(stored.state, DeliveryState::Dead);
    assert_eq!(stored.last_error.as_deref(), Some("refused"));
    assert!(!b.mark_delivered(d.id, 3, due).await.expect("mark"));
    assert!(claim(&*a, due + Duration::days(1), 10).await.is_empty());
    let missing = WebhookDeliveryId(d.id.0 + 1000);
    assert!(!a.mark_delivered(missing, 1, at).await.expect("mark"));
    assert_eq!(a.get_delivery(missing).await.expect("get"), None);
}

/// `list_deliveries` filters by state, endpoint owner and endpoint, newest first, page by
/// page; limit 0 lists nothing.
pub async fn list_filters_newest_first((a, b): Stores) {
    let site = add(&*a, new_endpoint(None, "site")).await;
    let ana = add(&*a, new_endpoint(Some("ana"), "ana")).await;
    let mut all = Vec::new();
    for n in 1..=3 {
        all.extend(enqueue(&*a, new_event(i64::from(n), "ana", n, T0)).await);
    }
    let c = claim(&*a, T0, 1).await.remove(0);
    assert!(a.mark_delivered(c.id, 1, T0).await.expect("mark"));
    let list = |q: DeliveryQuery| {
        let b = b.clone();
        async move { ids(&b.list_deliveries(&q).await.expect("list")) }
    };
    let mut newest_first = ids(&all);
    newest_first.reverse();
    let q = DeliveryQuery {
        limit: 100,
        ..DeliveryQuery::default()
    };
    assert_eq!(list(q.clone()).await, newest_first);
    let of_ana: Vec<_> = newest_first
        .iter()
        .copied()
        .filter(|id| all.iter().any(|d| d.id == *id && d.endpoint == ana.id))
        .collect();
    let mine = DeliveryQuery {
        owner: Some(user("ana")),
        limit: 2,
        ..q.clone()
    };
    assert_eq!(list(mine.clone()).await, of_ana[..2].to_vec());
    let next = DeliveryQuery {
        before: Some(of_ana[1]),
        ..mine
    };
    assert_eq!(list(next).await, of_ana[2..].to_vec());
    let by_endpoint = DeliveryQuery {
        endpoint: Some(site.id),
        ..q.clone()
    };
    assert_eq!(list(by_endpoint).await.len(), 3);
    let delivered = DeliveryQuery {
        state: Some(DeliveryState::Delivered),
        ..q.clone()
    };
    assert_eq!(list(delivered).await, vec![c.id]);
    let carl = DeliveryQuery {
        owner: Some(user("carl")),
        ..q.clone()
    };
    assert!(list(carl).await.is_empty());
    assert!(list(DeliveryQuery::default()).await.is_empty(), "limit 0");
}

/// `replay_delivery` makes a delivered or dead delivery pending, due now, with no
/// attempts; it refuses pending and unknown ones.
pub async fn replay_requeues_delivered_and_dead((a, b): Stores) {
    add(&*a, new_endpoint(None, "site")).await;
    let ok = enqueue(&*a, new_event(1, "o", 1, T0)).await.remove(0);
    let dead = enqueue(&*a, new_event(2, "o", 1, T0)).await.remove(0);
    let pending = enqueue(&*a, new_event(3, "o", 1, T0 + Duration::hours(1)))
        .await
        .remove(0);
    assert_eq!(claim(&*a, T0, 10).await.len(), 2);
    assert!(a.mark_delivered(ok.id, 1, T0).await.expect("mark"));
    let gone = DeliveryFailure::Dead;
    assert!(
        a.mark_failed(dead.id, 1, "x", gone, T0)
            .await
            .expect("mark")
    );
    let now = T0 + Duration::minutes(3);
    assert!(!b.replay_delivery(pending.id, now).await.expect("replay"));
    let missing = WebhookDeliveryId(pending.id.0 + 1000);
    assert!(!b.replay_delivery(missing, now).await.expect("replay"));
    for d in [&ok, &dead] {
        assert!(b.replay_delivery(d.id, now).await.expect("replay"));
        let r = get(&*a, d.id).await;
        assert_eq!(r.state, DeliveryState::Pending);
        assert_eq!(r.attempts, 0);
        assert_eq!(r.next_attempt_at, now);
        assert_eq!(r.leased_until, None);
        assert_eq!(r.updated_at, now);
        assert_eq!(r.payload, d.payload);
    }
    assert!(
        !b.replay_delivery(ok.id, now).await.expect("replay"),
        "pending now"
    );
    let mut again = ids(&claim(&*a, now, 10).await);
    again.sort();
    assert_eq!(again, vec![ok.id, dead.id]);
}

/// Many claims at once, through both handles, never hand out one delivery twice, and
/// together hand out every due one.
pub async fn concurrent_claims_never_share_a_delivery((a, b): Stores) {
    const EVENTS: i64 = 40;
    add(&*a, new_endpoint(None, "site")).await;
    for share in 0..EVENTS {
        enqueue(&*a, new_event(share, "o", 1, T0)).await;
    }
    let mut seen = HashSet::new();
    for _round in 0..EVENTS {
        let claims = (0..8).map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move { claim(&*s, T0, 3).await }
        });
        let got: Vec<_> = futures::future::join_all(claims)
            .await
            .into_iter()
            .flatten()
            .collect();
        if got.is_empty() {
            break;
        }
        for d in got {
            assert_eq!(d.attempts, 1, "delivery {} claimed twice", d.id);
            assert!(seen.insert(d.id), "delivery {} handed out twice", d.id);
        }
    }
    assert_eq!(
        seen.len(),
        EVENTS as usize,
        "every due delivery is handed out"
    );
}

/// Turns the webhook-store suite into one `#[test]` per case.
///
/// `run` drives a future to completion; `make` is an expression evaluating to a future
/// of fresh [`Stores`], evaluated afresh for each case.
#[macro_export]
macro_rules! webhooks_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::webhooks_conformance!(@cases ($run) ($make)
            endpoints_read_back,
            delete_removes_endpoint_and_deliveries,
            enqueue_fans_out_to_matching_endpoints,
            claim_hands_out_due_deliveries,
            claims_keep_order_per_share_and_endpoint,
            outcomes_need_the_current_claim,
            list_filters_newest_first,
            replay_requeues_delivered_and_dead,
            concurrent_claims_never_share_a_delivery,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let stores: $crate::conformance::webhooks::Stores = $make.await;
                    $crate::conformance::webhooks::$case(stores).await
                });
            }
        )*
    };
}

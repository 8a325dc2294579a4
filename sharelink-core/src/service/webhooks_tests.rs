//! Webhooks through the use cases: events fan out to the site's and the owner's
//! endpoints, the worker signs and posts them, retries with backoff and gives up, keeps a
//! share's order, and owners and admins manage endpoints and replay deliveries.

use super::*;
use crate::memory::{InMemory, MemoryWebhookStore, MemoryWebhookTransport};
use crate::model::webhook::sign;
use crate::ports::webhooks::{DeliveryState, WebhookEndpointId};
use crate::testing::fixtures::{
    FILES, LINK_BASE, PEOPLE, T0, corp_email, people, put_file, share_request as request, user,
};
use futures::executor::block_on;
use proptest::prelude::*;
use std::sync::Arc;
use time::Duration;

struct Hooks {
    app: Sharelink,
    mem: InMemory,
    store: Arc<MemoryWebhookStore>,
    transport: Arc<MemoryWebhookTransport>,
}

fn hooks() -> Hooks {
    let mem = InMemory::new(T0);
    people(&mem.directory, PEOPLE, corp_email);
    block_on(async {
        for (p, data) in FILES {
            put_file(mem.files.as_ref(), p, data).await;
        }
    });
    let store = Arc::new(MemoryWebhookStore::new());
    let transport = Arc::new(MemoryWebhookTransport::new());
    let ports = mem.ports().with_webhooks(store.clone(), transport.clone());
    let retry = MailRetry {
        first_delay: Duration::seconds(10),
        max_delay: Duration::minutes(1),
        max_attempts: 3,
        lease: Duration::minutes(1),
    };
    let config = Config::new(LINK_BASE).with_webhook_retry(retry);
    let app = Sharelink::new(ports, config).unwrap();
    Hooks {
        app,
        mem,
        store,
        transport,
    }
}

impl Hooks {
    fn share(&self, owner: &str) -> Share {
        block_on(
            self.app
                .create_share(&user(owner), request(&["docs/reports"], |_| {})),
        )
        .unwrap()
        .share
    }

    fn deliver(&self) -> WebhookRun {
        block_on(self.app.deliver_webhooks(100)).unwrap()
    }

    fn endpoint(&self, actor: &str, site_wide: bool) -> CreatedWebhook {
        let url = format!("https://hooks.example.com/{actor}");
        block_on(self.app.create_webhook(&user(actor), &url, site_wide)).unwrap()
    }
}

#[test]
fn events_reach_the_site_and_the_owner_signed() {
    let h = hooks();
    let site = h.endpoint("root", true);
    let ana = h.endpoint("ana", false);
    let bob = h.endpoint("bob", false);
    let share = h.share("ana");
    let written = h.store.all();
    assert_eq!(written.len(), 2, "the site's and ana's, not bob's");
    assert!(written.iter().all(|d| d.event_type == "share.created"));
    assert!(written.iter().all(|d| d.endpoint != bob.endpoint.id));
    assert_eq!(h.deliver().delivered, 2);
    let sent = h.transport.sent();
    assert_eq!(sent.len(), 2);
    for r in &sent {
        let secret = if r.url == site.endpoint.url {
            &site.secret
        } else {
            &ana.secret
        };
        let [(_, id), (_, ts), (_, sig)] = &r.headers;
        assert_eq!(sig, &sign(secret, id, ts.parse().unwrap(), &r.body));
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "share.created");
        assert_eq!(body["data"]["share"], share.id.0);
        assert_eq!(body["data"]["by"], "ana");
    }
    assert_eq!(
        sent[0].headers[0].1, sent[1].headers[0].1,
        "one message id per event"
    );
    assert!(
        h.store
            .all()
            .iter()
            .all(|d| d.state == DeliveryState::Delivered)
    );
    assert_eq!(h.deliver(), WebhookRun::default());
}

#[test]
fn failures_back_off_then_die_and_can_be_replayed() {
    let h = hooks();
    h.endpoint("ana", false);
    h.share("ana");
    h.transport.answer(Some(500));
    h.transport.answer(None);
    h.transport.answer(Some(404));
    let run = h.deliver();
    assert_eq!(run.retrying, 1);
    assert_eq!(h.deliver().total(), 0, "not due before the backoff");
    h.mem.clock.advance(Duration::seconds(10));
    assert_eq!(h.deliver().retrying, 1);
    h.mem.clock.advance(Duration::seconds(19));
    assert_eq!(h.deliver().total(), 0, "the second wait is doubled");
    h.mem.clock.advance(Duration::seconds(1));
    assert_eq!(h.deliver().dead, 1, "the third failure is the last");
    let dead = block_on(h.app.webhook_deliveries(
        &user("ana"),
        ListDeliveries {
            state: Some(DeliveryState::Dead),
            ..ListDeliveries::default()
        },
    ))
    .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("the endpoint answered 404")
    );
    let bob = block_on(h.app.replay_webhook_delivery(&user("bob"), dead[0].id));
    assert!(
        matches!(bob, Err(ServiceError::DeliveryNotFound)),
        "not bob's"
    );
    let again = block_on(h.app.replay_webhook_delivery(&user("ana"), dead[0].id)).unwrap();
    assert_eq!(again.state, DeliveryState::Pending);
    let twice = block_on(h.app.replay_webhook_delivery(&user("ana"), dead[0].id));
    assert!(matches!(twice, Err(ServiceError::DeliveryPending)));
    assert_eq!(h.deliver().delivered, 1);
    assert_eq!(h.transport.sent().len(), 4);
    let ids: Vec<_> = h
        .transport
        .sent()
        .iter()
        .map(|r| r.headers[0].1.clone())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "retries keep the message id"
    );
}

#[test]
fn a_share_s_events_arrive_in_order() {
    let h = hooks();
    h.endpoint("ana", false);
    let share = h.share("ana");
    block_on(h.app.expire(&user("ana"), share.id)).unwrap();
    block_on(h.app.revoke(&user("ana"), share.id)).unwrap();
    h.transport.answer(Some(503));
    assert_eq!(
        h.deliver().retrying,
        1,
        "only the first of the line is tried"
    );
    h.mem.clock.advance(Duration::seconds(10));
    for _ in 0..3 {
        h.deliver();
    }
    let kinds: Vec<String> = h
        .transport
        .sent()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "\"share.created\"",
            "\"share.created\"",
            "\"share.updated\"",
            "\"share.revoked\""
        ]
    );
}

#[test]
fn endpoints_are_managed_by_their_owner_or_an_admin() {
    let h = hooks();
    let refused = block_on(
        h.app
            .create_webhook(&user("ana"), "https://x.example/", true),
    );
    assert!(matches!(refused, Err(ServiceError::AdminOnly)));
    let bad = block_on(
        h.app
            .create_webhook(&user("ana"), "file:///etc/passwd", false),
    );
    assert!(matches!(bad, Err(ServiceError::WebhookUrl(_))));
    let ana = h.endpoint("ana", false);
    let site = h.endpoint("root", true);
    assert!(ana.secret.expose().starts_with("whsec_"));
    assert_eq!(ana.endpoint.owner, Some(user("ana")));
    assert_eq!(site.endpoint.owner, None);
    let of_ana = block_on(h.app.webhooks(&user("ana"))).unwrap();
    assert_eq!(of_ana, vec![ana.endpoint.clone()]);
    assert_eq!(block_on(h.app.webhooks(&user("root"))).unwrap().len(), 2);
    let by_bob = block_on(h.app.delete_webhook(&user("bob"), ana.endpoint.id));
    assert!(matches!(by_bob, Err(ServiceError::WebhookNotFound)));
    block_on(h.app.delete_webhook(&user("ana"), ana.endpoint.id)).unwrap();
    assert!(block_on(h.app.webhooks(&user("ana"))).unwrap().is_empty());
    let gone = block_on(h.app.delete_webhook(&user("root"), WebhookEndpointId(999)));
    assert!(matches!(gone, Err(ServiceError::WebhookNotFound)));
}

#[test]
fn without_webhooks_nothing_is_written_or_posted() {
    let mem = InMemory::new(T0);
    people(&mem.directory, PEOPLE, corp_email);
    let app = Sharelink::new(mem.ports(), Config::new(LINK_BASE)).unwrap();
    assert_eq!(
        block_on(app.deliver_webhooks(10)).unwrap(),
        WebhookRun::default()
    );
    assert!(block_on(app.webhooks(&user("ana"))).unwrap().is_empty());
    let off = block_on(app.create_webhook(&user("ana"), "https://x.example/", false));
    assert!(matches!(off, Err(ServiceError::WebhooksOff)));
}

#[test]
fn every_event_kind_names_its_serialized_type() {
    use crate::ports::{RecipientChange, ShareEvent};
    let (share, by, at) = (crate::ShareId(3), user("ana"), T0);
    let events = [
        ShareEvent::Created {
            share,
            by: by.clone(),
            at,
        },
        ShareEvent::Updated {
            share,
            by: by.clone(),
            at,
        },
        ShareEvent::Revoked {
            share,
            by: by.clone(),
            at,
        },
        ShareEvent::Sent {
            share,
            to: "r@example.com".into(),
            at,
        },
        ShareEvent::RecipientChanged {
            share,
            recipient: crate::RecipientId(1),
            change: RecipientChange::Resent,
            by,
            at,
        },
        ShareEvent::Opened { share, at },
        ShareEvent::Downloaded {
            share,
            paths: vec!["a".into()],
            at,
        },
        ShareEvent::Uploaded {
            share,
            path: "a".into(),
            bytes: 1,
            at,
        },
        ShareEvent::Modified {
            share,
            action: "rename".into(),
            paths: vec![],
            at,
        },
        ShareEvent::UnderAttack {
            share,
            scope: "password".into(),
            attempts: 9,
            at,
        },
    ];
    for e in events {
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], e.kind());
        assert_eq!(e.share(), Some(share));
        assert_eq!(e.at(), at);
        let body: serde_json::Value = serde_json::from_str(&webhook_payload(&e).unwrap()).unwrap();
        assert_eq!(body["type"], format!("share.{}", e.kind()));
        assert_eq!(body["data"], v);
        assert_eq!(body["timestamp"], "2026-11-23T09:00:00Z");
    }
}

proptest! {
    /// The backoff doubles from the first delay, never exceeds the cap, and never shrinks.
    #[test]
    fn backoff_doubles_up_to_the_cap(first in 1i64..600, cap in 1i64..100_000, n in 1u32..80) {
        let r = MailRetry {
            first_delay: Duration::seconds(first),
            max_delay: Duration::seconds(cap),
            max_attempts: 10,
            lease: Duration::minutes(1),
        };
        let (d, next) = (r.delay_after(n), r.delay_after(n + 1));
        prop_assert!(d <= r.max_delay);
        prop_assert!(next >= d);
        prop_assert_eq!(next, (d * 2_i32).min(r.max_delay));
        prop_assert_eq!(r.delay_after(1), r.first_delay.min(r.max_delay));
    }
}

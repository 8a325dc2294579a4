//! Conformance suite of the share-repository and access-log ports.
//!
//! Each case takes a fresh, empty repository and access log (from the same store where
//! the adapter keeps both). Run it with [`crate::repository_conformance!`].

use crate::model::form::{Answer, Registration};
use crate::ports::access_log::{AccessLog, LogKind, LogQuery, NewLogEvent};
use crate::ports::repository::*;
use crate::*;
use futures::future::join_all;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant the suite's data is built around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// A repository and an access log under test.
pub type Stores = (Arc<dyn ShareRepository>, Arc<dyn AccessLog>);

fn key(k: &str) -> UrlKey {
    UrlKey::parse(k).expect("valid key")
}

fn user(u: &str) -> UserId {
    UserId::parse(u).expect("valid user")
}

fn path(p: &str) -> SharePath {
    SharePath::parse(p).expect("valid path")
}

/// A new share with one folder item, for the cases.
pub fn new_share(k: &str, owner: &str, name: &str, created_at: OffsetDateTime) -> NewShare {
    let mut settings = ShareSettings::named(name);
    settings.description = Some("Quarterly <b>figures</b> — ünïcödé".into());
    settings.schedule.expires_at = Some(created_at + Duration::days(30));
    NewShare {
        key: key(k),
        owner: user(owner),
        items: vec![
            ShareItem::new(
                path("docs/reports"),
                ItemKind::Folder,
                Some("Reports".into()),
            )
            .expect("valid item"),
        ],
        requested: settings.clone(),
        settings,
        adjustments: vec![Adjustment::ExpiryDefaulted {
            to: created_at + Duration::days(30),
        }],
        password_hash: None,
        created_at,
    }
}

async fn insert(
    repo: &dyn ShareRepository,
    k: &str,
    owner: &str,
    name: &str,
    at: OffsetDateTime,
) -> Share {
    repo.insert_share(new_share(k, owner, name, at))
        .await
        .expect("insert share")
}

fn session(id: &str, share: ShareId) -> VisitorSession {
    let mut s = VisitorSession::new(
        SessionId::parse(id).expect("valid"),
        share,
        BrowserId::parse(&format!("browser-{id}")).expect("valid"),
        T0,
    );
    s.client_ip = Some("192.0.2.1".parse().expect("valid"));
    s.user_agent = Some("Agent/1.0".into());
    s
}

/// Insert stores every field; lookup by key ignores case; by id works; unknown is `None`.
pub async fn insert_and_find((repo, _): Stores) {
    let new = new_share("AbcDef123", "ana", "Q1 report", T0);
    let share = repo.insert_share(new.clone()).await.expect("insert");
    assert_eq!(share.key.as_str(), "AbcDef123");
    assert_eq!(share.items, new.items);
    assert_eq!(share.settings, new.settings);
    assert_eq!(share.requested, new.requested);
    assert_eq!(share.adjustments, new.adjustments);
    assert_eq!(share.created_at, T0);
    assert_eq!(share.uses, 0);
    let found = repo
        .find_by_key(&key("abcdef123"))
        .await
        .expect("find")
        .expect("present");
    assert_eq!(found, share);
    assert_eq!(
        repo.get_share(share.id).await.expect("get"),
        Some(share.clone())
    );
    assert_eq!(repo.find_by_key(&key("nothere")).await.expect("find"), None);
    assert_eq!(
        repo.get_share(ShareId(share.id.0 + 1000))
            .await
            .expect("get"),
        None
    );
}

/// A second share with the same key in another case is `KeyTaken` and stores nothing.
pub async fn duplicate_key_is_refused((repo, _): Stores) {
    insert(repo.as_ref(), "SameKey1", "ana", "first", T0).await;
    let err = repo
        .insert_share(new_share("samekey1", "bob", "second", T0))
        .await
        .expect_err("duplicate");
    assert!(matches!(err, RepoError::KeyTaken), "{err:?}");
    let page = repo
        .list_shares(&ShareQuery {
            limit: 100,
            ..ShareQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.shares.len(), 1);
}

/// Password hashes round-trip.
pub async fn password_hash_round_trips((repo, _): Stores) {
    let mut new = new_share("pwkey0001", "ana", "pw", T0);
    let hash = crate::model::password::hash_password(
        &PlainPassword::new("secret-pass", 8).expect("valid"),
        Argon2Params::TESTING,
        &crate::ports::OsRandom,
    )
    .expect("hash");
    new.password_hash = Some(hash.clone());
    new.settings.password = true;
    let share = repo.insert_share(new).await.expect("insert");
    let back = repo
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(back.password_hash, Some(hash));
}

/// Update replaces settings and items but not counters; a changed expiry re-arms the reminder.
pub async fn update_keeps_counters((repo, _): Stores) {
    let share = insert(repo.as_ref(), "updkey001", "ana", "before", T0).await;
    assert_eq!(
        repo.reserve_use(share.id, 10, None).await.expect("reserve"),
        Reservation::Reserved
    );
    assert!(
        repo.add_uploaded_bytes(share.id, 5, None)
            .await
            .expect("bytes")
    );
    assert!(
        repo.bind_device(share.id, &DeviceId::parse("dev").expect("valid"))
            .await
            .expect("bind")
    );
    assert!(repo.mark_reminded(share.id, T0).await.expect("remind"));
    let mut changed = share.clone();
    changed.settings.name = "after".into();
    changed.settings.allowed = AllowedActions::Full;
    changed
        .items
        .push(ShareItem::new(path("docs/x.pdf"), ItemKind::File, None).expect("valid"));
    changed.updated_at = T0 + Duration::hours(1);
    repo.update_share(&changed).await.expect("update");
    let back = repo
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(back.settings.name, "after");
    assert_eq!(back.items.len(), 2);
    assert_eq!(back.updated_at, T0 + Duration::hours(1));
    assert_eq!(back.uses, 1);
    assert_eq!(back.uploaded_bytes, 5);
    assert!(back.bound_device.is_some());
    assert_eq!(
        back.reminder_sent_at,
        Some(T0),
        "same expiry keeps the reminder mark"
    );
    let mut later = back.clone();
    later.settings.schedule.expires_at = Some(T0 + Duration::days(90));
    repo.update_share(&later).await.expect("update");
    let back = repo
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(back.reminder_sent_at, None);
    assert!(repo.mark_reminded(share.id, T0).await.expect("remind"));
    let mut ghost = back;
    ghost.id = ShareId(ghost.id.0 + 999);
    assert!(matches!(
        repo.update_share(&ghost).await,
        Err(RepoError::NotFound(_))
    ));
}

/// Delete removes the share and everything under it; the key then answers like an unknown one.
pub async fn delete_cascades((repo, log): Stores) {
    let share = insert(repo.as_ref(), "delkey001", "ana", "to delete", T0).await;
    let other = insert(repo.as_ref(), "keepkey01", "ana", "to keep", T0).await;
    for s in [&share, &other] {
        repo.add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("r@example.com").expect("valid"),
            company: None,
            note: None,
            link_code: format!("code{}", s.id),
            sent_at: Some(T0),
        })
        .await
        .expect("recipient");
        let reg = Registration {
            name: Some("R".into()),
            email: None,
            answers: vec![],
        };
        repo.add_registration(s.id, &reg, T0, None)
            .await
            .expect("registration");
        repo.insert_session(&session(&format!("sess{}", s.id), s.id))
            .await
            .expect("session");
        log.append(&event(s.id, LogKind::Visit, T0))
            .await
            .expect("log");
    }
    assert!(repo.delete_share(share.id).await.expect("delete"));
    assert!(log.delete_share(share.id).await.is_ok());
    assert_eq!(
        repo.find_by_key(&key("delkey001")).await.expect("find"),
        None
    );
    assert_eq!(repo.get_share(share.id).await.expect("get"), None);
    assert!(
        repo.list_recipients(share.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        repo.list_registrations(share.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        repo.find_recipient(share.id, &format!("code{}", share.id))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        repo.get_session(&SessionId::parse(&format!("sess{}", share.id)).expect("valid"))
            .await
            .expect("get"),
        None
    );
    let q = LogQuery {
        shares: Some(vec![share.id]),
        limit: 100,
        ..LogQuery::default()
    };
    assert!(log.query(&q).await.expect("query").is_empty());
    assert!(!repo.delete_share(share.id).await.expect("delete twice"));
    // the other share is untouched
    assert_eq!(repo.list_recipients(other.id).await.expect("list").len(), 1);
    assert_eq!(
        repo.list_registrations(other.id).await.expect("list").len(),
        1
    );
    let q = LogQuery {
        shares: Some(vec![other.id]),
        limit: 100,
        ..LogQuery::default()
    };
    assert_eq!(log.query(&q).await.expect("query").len(), 1);
}

/// Listing filters by owner, name, creation range and state.
pub async fn list_filters((repo, _): Stores) {
    let a = insert(repo.as_ref(), "listkey01", "ana", "Budget 2026", T0).await;
    let b = insert(
        repo.as_ref(),
        "listkey02",
        "bob",
        "budget draft",
        T0 + Duration::days(1),
    )
    .await;
    let c = insert(
        repo.as_ref(),
        "listkey03",
        "ana",
        "Photos",
        T0 + Duration::days(2),
    )
    .await;
    let q = |f: &dyn Fn(&mut ShareQuery)| {
        let mut q = ShareQuery {
            limit: 100,
            now: Some(T0 + Duration::days(3)),
            ..ShareQuery::default()
        };
        f(&mut q);
        q
    };
    let ids = |p: SharePage| p.shares.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(repo.list_shares(&q(&|_| {})).await.expect("list")),
        vec![c.id, b.id, a.id]
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.owner = Some(user("ana"))))
            .await
            .expect("list")),
        vec![c.id, a.id]
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.name_contains = Some("BUDGET".into())))
            .await
            .expect("list")),
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| {
                q.created_from = Some(T0 + Duration::hours(1));
                q.created_to = Some(T0 + Duration::days(2));
            }))
            .await
            .expect("list")),
        vec![b.id]
    );
    // b expires, c is used up
    let mut bx = b.clone();
    bx.settings.schedule.expires_at = Some(T0 + Duration::days(2));
    repo.update_share(&bx).await.expect("update");
    let mut cx = c.clone();
    cx.settings.use_limit = Some(UseLimit {
        max: 1,
        unit: UseUnit::Download,
    });
    repo.update_share(&cx).await.expect("update");
    assert_eq!(
        repo.reserve_use(c.id, 1, None).await.expect("reserve"),
        Reservation::Reserved
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.state = Some(ShareState::Active)))
            .await
            .expect("list")),
        vec![a.id]
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.state = Some(ShareState::Expired)))
            .await
            .expect("list")),
        vec![b.id]
    );
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.state = Some(ShareState::Exhausted)))
            .await
            .expect("list")),
        vec![c.id]
    );
    let mut ax = a.clone();
    ax.settings.schedule.starts_at = Some(T0 + Duration::days(10));
    ax.settings.schedule.expires_at = Some(T0 + Duration::days(20));
    repo.update_share(&ax).await.expect("update");
    assert_eq!(
        ids(repo
            .list_shares(&q(&|q| q.state = Some(ShareState::NotYetActive)))
            .await
            .expect("list")),
        vec![a.id]
    );
}

/// `%` and `_` in a name search are literal characters.
pub async fn name_search_escapes_wildcards((repo, _): Stores) {
    let a = insert(repo.as_ref(), "wildkey01", "ana", "100% done_final", T0).await;
    insert(repo.as_ref(), "wildkey02", "ana", "1000 doneXfinal", T0).await;
    for needle in ["100%", "done_final", "%", "_"] {
        let page = repo
            .list_shares(&ShareQuery {
                name_contains: Some(needle.into()),
                limit: 10,
                ..ShareQuery::default()
            })
            .await
            .expect("list");
        assert_eq!(
            page.shares.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![a.id],
            "{needle}"
        );
    }
    let page = repo
        .list_shares(&ShareQuery {
            name_contains: Some("\\".into()),
            limit: 10,
            ..ShareQuery::default()
        })
        .await
        .expect("list");
    assert!(page.shares.is_empty());
}

/// Following `next` visits every share exactly once, newest first, ties broken by id.
pub async fn keyset_pagination((repo, _): Stores) {
    let mut expected = Vec::new();
    for i in 0..23 {
        // several shares share a creation time, to exercise the id tie-break
        let s = insert(
            repo.as_ref(),
            &format!("pagekey{i:03}"),
            "ana",
            &format!("s{i}"),
            T0 + Duration::minutes(i / 3),
        )
        .await;
        expected.push((s.created_at, s.id));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = repo
            .list_shares(&ShareQuery {
                after,
                limit: 5,
                ..ShareQuery::default()
            })
            .await
            .expect("list");
        assert!(page.shares.len() <= 5);
        seen.extend(page.shares.iter().map(|s| (s.created_at, s.id)));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

/// Counting an owner's shares since an instant (the daily quota).
pub async fn count_created_since((repo, _): Stores) {
    insert(
        repo.as_ref(),
        "quota0001",
        "ana",
        "a",
        T0 - Duration::days(1),
    )
    .await;
    insert(repo.as_ref(), "quota0002", "ana", "b", T0).await;
    insert(
        repo.as_ref(),
        "quota0003",
        "ana",
        "c",
        T0 + Duration::hours(2),
    )
    .await;
    insert(repo.as_ref(), "quota0004", "bob", "d", T0).await;
    assert_eq!(
        repo.count_created_since(&user("ana"), T0)
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        repo.count_created_since(&user("carl"), T0)
            .await
            .expect("count"),
        0
    );
}

/// Reservations stop at `max`; refunds give one back, never below zero.
pub async fn reserve_and_refund((repo, _): Stores) {
    let s = insert(repo.as_ref(), "usekey001", "ana", "uses", T0).await;
    assert_eq!(
        repo.reserve_use(s.id, 2, None).await.expect("r"),
        Reservation::Reserved
    );
    assert_eq!(
        repo.reserve_use(s.id, 2, None).await.expect("r"),
        Reservation::Reserved
    );
    assert_eq!(
        repo.reserve_use(s.id, 2, None).await.expect("r"),
        Reservation::Exhausted
    );
    repo.refund_use(s.id, None).await.expect("refund");
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses,
        1
    );
    assert_eq!(
        repo.reserve_use(s.id, 2, None).await.expect("r"),
        Reservation::Reserved
    );
    for _ in 0..5 {
        repo.refund_use(s.id, None).await.expect("refund");
    }
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses,
        0
    );
    assert!(matches!(
        repo.reserve_use(ShareId(s.id.0 + 999), 2, None).await,
        Err(RepoError::NotFound(_))
    ));
}

/// A repeated dedup key (range requests of one download) counts once.
pub async fn reserve_dedup_counts_once((repo, _): Stores) {
    let s = insert(repo.as_ref(), "dedupkey1", "ana", "dedup", T0).await;
    assert_eq!(
        repo.reserve_use(s.id, 5, Some("sess/a.pdf/etag1"))
            .await
            .expect("r"),
        Reservation::Reserved
    );
    assert_eq!(
        repo.reserve_use(s.id, 5, Some("sess/a.pdf/etag1"))
            .await
            .expect("r"),
        Reservation::AlreadyCounted
    );
    assert_eq!(
        repo.reserve_use(s.id, 5, Some("sess/b.pdf/etag1"))
            .await
            .expect("r"),
        Reservation::Reserved
    );
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses,
        2
    );
    repo.refund_use(s.id, Some("sess/a.pdf/etag1"))
        .await
        .expect("refund");
    repo.refund_use(s.id, Some("sess/a.pdf/etag1"))
        .await
        .expect("refund twice is a no-op");
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses,
        1
    );
    assert_eq!(
        repo.reserve_use(s.id, 5, Some("sess/a.pdf/etag1"))
            .await
            .expect("r"),
        Reservation::Reserved
    );
}

async fn concurrent(repo: Arc<dyn ShareRepository>, k: &str, max: u32) {
    let s = insert(repo.as_ref(), k, "ana", "race", T0).await;
    let tries = (0..64).map(|_| {
        let repo = Arc::clone(&repo);
        async move { repo.reserve_use(s.id, max, None).await }
    });
    let results = join_all(tries).await;
    let won = results
        .iter()
        .filter(|r| matches!(r, Ok(Reservation::Reserved)))
        .count();
    let errors: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(won, max as usize);
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses,
        max
    );
}

/// 64 concurrent reservations against `max = 1`: exactly one succeeds.
pub async fn concurrent_reservations_max_1((repo, _): Stores) {
    concurrent(repo, "racekey01", 1).await;
}

/// 64 concurrent reservations against `max = 10`: exactly ten succeed.
pub async fn concurrent_reservations_max_10((repo, _): Stores) {
    concurrent(repo, "racekey10", 10).await;
}

/// Uploaded bytes add up atomically and never pass the maximum.
pub async fn uploaded_bytes_respect_max((repo, _): Stores) {
    let s = insert(repo.as_ref(), "bytekey01", "ana", "bytes", T0).await;
    assert!(
        repo.add_uploaded_bytes(s.id, 60, Some(100))
            .await
            .expect("add")
    );
    assert!(
        !repo
            .add_uploaded_bytes(s.id, 41, Some(100))
            .await
            .expect("add")
    );
    assert!(
        repo.add_uploaded_bytes(s.id, 40, Some(100))
            .await
            .expect("add")
    );
    assert!(
        repo.add_uploaded_bytes(s.id, 1_000_000, None)
            .await
            .expect("add")
    );
    assert_eq!(
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uploaded_bytes,
        1_000_100
    );
}

/// The first device binds; others are refused.
pub async fn device_binding_first_wins((repo, _): Stores) {
    let s = insert(repo.as_ref(), "devkey001", "ana", "device", T0).await;
    let a = DeviceId::parse("device-a").expect("valid");
    let b = DeviceId::parse("device-b").expect("valid");
    let results = join_all((0..8).map(|i| {
        let repo = Arc::clone(&repo);
        let d = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { repo.bind_device(s.id, &d).await.expect("bind") }
    }))
    .await;
    let bound = repo
        .get_share(s.id)
        .await
        .expect("get")
        .expect("present")
        .bound_device
        .expect("bound");
    for (i, ok) in results.into_iter().enumerate() {
        let d = if i % 2 == 0 { &a } else { &b };
        assert_eq!(ok, d == &bound);
    }
}

/// The reminder mark succeeds once.
pub async fn reminder_once((repo, _): Stores) {
    let s = insert(repo.as_ref(), "remkey001", "ana", "remind", T0).await;
    let results = join_all((0..8).map(|_| {
        let repo = Arc::clone(&repo);
        async move { repo.mark_reminded(s.id, T0).await.expect("mark") }
    }))
    .await;
    assert_eq!(results.iter().filter(|r| **r).count(), 1);
}

/// Recipients are stored, found by code, listed; the first browser binds; a new code
/// replaces the old and clears the binding.
pub async fn recipients((repo, _): Stores) {
    let s = insert(repo.as_ref(), "reckey001", "ana", "recipients", T0).await;
    let r = repo
        .add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("Rita@Example.com").expect("valid"),
            company: Some("ACME".into()),
            note: Some("buyer".into()),
            link_code: "code-one".into(),
            sent_at: Some(T0),
        })
        .await
        .expect("add");
    assert_eq!(r.company.as_deref(), Some("ACME"));
    assert_eq!(
        repo.list_recipients(s.id).await.expect("list"),
        vec![r.clone()]
    );
    assert_eq!(
        repo.find_recipient(s.id, "code-one").await.expect("find"),
        Some(r.clone())
    );
    assert_eq!(
        repo.find_recipient(s.id, "code-two").await.expect("find"),
        None
    );
    let b1 = BrowserId::parse("browser-1").expect("valid");
    let b2 = BrowserId::parse("browser-2").expect("valid");
    assert_eq!(
        repo.bind_recipient_browser(r.id, &b1)
            .await
            .expect("bind")
            .bound_browser,
        Some(b1.clone())
    );
    assert_eq!(
        repo.bind_recipient_browser(r.id, &b2)
            .await
            .expect("bind")
            .bound_browser,
        Some(b1)
    );
    repo.replace_link_code(r.id, "code-two", T0 + Duration::hours(1))
        .await
        .expect("replace");
    assert_eq!(
        repo.find_recipient(s.id, "code-one").await.expect("find"),
        None
    );
    let fresh = repo
        .find_recipient(s.id, "code-two")
        .await
        .expect("find")
        .expect("present");
    assert_eq!(fresh.bound_browser, None);
    assert_eq!(fresh.sent_at, Some(T0 + Duration::hours(1)));
    assert!(matches!(
        repo.bind_recipient_browser(RecipientId(r.id.0 + 999), &b2)
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// Active shares holding an item for a recipient email are found (one-active rule).
pub async fn active_recipient_shares((repo, _): Stores) {
    let active = insert(repo.as_ref(), "actkey001", "ana", "active", T0).await;
    let expired = insert(repo.as_ref(), "actkey002", "ana", "expired", T0).await;
    let mut ex = expired.clone();
    ex.settings.schedule.expires_at = Some(T0 + Duration::hours(1));
    repo.update_share(&ex).await.expect("update");
    for s in [&active, &expired] {
        repo.add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("rita@example.com").expect("valid"),
            company: None,
            note: None,
            link_code: format!("c{}", s.id),
            sent_at: None,
        })
        .await
        .expect("add");
    }
    let now = T0 + Duration::days(1);
    let email = Email::parse("RITA@example.com").expect("valid");
    assert_eq!(
        repo.active_recipient_shares(&email, &path("docs/reports"), now)
            .await
            .expect("q"),
        vec![active.id]
    );
    assert!(
        repo.active_recipient_shares(&email, &path("docs/other"), now)
            .await
            .expect("q")
            .is_empty()
    );
    let other = Email::parse("zed@example.com").expect("valid");
    assert!(
        repo.active_recipient_shares(&other, &path("docs/reports"), now)
            .await
            .expect("q")
            .is_empty()
    );
}

/// Registrations are stored with their answers and listed oldest first.
pub async fn registrations((repo, _): Stores) {
    let s = insert(repo.as_ref(), "regkey001", "ana", "reg", T0).await;
    let reg = Registration {
        name: Some("Rita <script>".into()),
        email: Some(Email::parse("rita@example.com").expect("valid")),
        answers: vec![Answer {
            label: "Why".into(),
            value: "line 1\nline 2 ✓".into(),
        }],
    };
    let ip = Some("2001:db8::1".parse().expect("valid"));
    let id1 = repo
        .add_registration(s.id, &reg, T0, ip)
        .await
        .expect("add");
    let id2 = repo
        .add_registration(s.id, &reg, T0 + Duration::seconds(1), None)
        .await
        .expect("add");
    assert_ne!(id1, id2);
    let list = repo.list_registrations(s.id).await.expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, id1);
    assert_eq!(list[0].registration, reg);
    assert_eq!(list[0].ip, ip);
    assert!(matches!(
        repo.add_registration(ShareId(s.id.0 + 999), &reg, T0, None)
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// Sessions round-trip and their gates can be updated.
pub async fn sessions((repo, _): Stores) {
    let s = insert(repo.as_ref(), "seskey001", "ana", "sessions", T0).await;
    let mut sess = session("session-token-1", s.id);
    repo.insert_session(&sess).await.expect("insert");
    assert_eq!(
        repo.get_session(&sess.id).await.expect("get"),
        Some(sess.clone())
    );
    sess.password_passed = true;
    sess.verified_email = Some(Email::parse("v@example.com").expect("valid"));
    sess.registration = Some(RegistrationId(5));
    sess.clickwrap_accepted = true;
    sess.recipient = Some(RecipientId(3));
    sess.org_user = Some(user("member"));
    sess.device = Some(DeviceId::parse("dev").expect("valid"));
    repo.update_session(&sess).await.expect("update");
    assert_eq!(
        repo.get_session(&sess.id).await.expect("get"),
        Some(sess.clone())
    );
    assert_eq!(
        repo.get_session(&SessionId::parse("other").expect("valid"))
            .await
            .expect("get"),
        None
    );
    let ghost = session("ghost", s.id);
    assert!(matches!(
        repo.update_session(&ghost).await,
        Err(RepoError::NotFound(_))
    ));
    assert!(matches!(
        repo.insert_session(&session("x", ShareId(s.id.0 + 999)))
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// One-time codes: right code once, wrong guesses spend attempts, expiry, replacement.
pub async fn one_time_codes((repo, _): Stores) {
    let s = insert(repo.as_ref(), "codekey01", "ana", "codes", T0).await;
    let sess = session("code-session", s.id);
    repo.insert_session(&sess).await.expect("session");
    let email = Email::parse("v@example.com").expect("valid");
    let code = |c: &str, attempts: u32| OneTimeCode {
        share_id: s.id,
        session_id: sess.id.clone(),
        email: email.clone(),
        code: c.into(),
        expires_at: T0 + Duration::minutes(10),
        attempts_left: attempts,
    };
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Missing
    );
    repo.put_code(&code("123456", 2)).await.expect("put");
    assert_eq!(
        repo.check_code(&sess.id, "000000", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 1 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Valid(email.clone())
    );
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Missing
    );
    repo.put_code(&code("222222", 1)).await.expect("put");
    assert_eq!(
        repo.check_code(&sess.id, "000000", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 0 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "222222", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 0 },
        "burnt"
    );
    repo.put_code(&code("333333", 5)).await.expect("put");
    repo.put_code(&code("444444", 5)).await.expect("replace");
    assert_eq!(
        repo.check_code(&sess.id, "333333", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 4 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "444444", T0 + Duration::minutes(10))
            .await
            .expect("check"),
        CodeCheck::Expired
    );
    // concurrent guesses of the right code succeed at most once
    repo.put_code(&code("555555", 5)).await.expect("put");
    let results = join_all((0..8).map(|_| {
        let repo = Arc::clone(&repo);
        let id = sess.id.clone();
        async move { repo.check_code(&id, "555555", T0).await.expect("check") }
    }))
    .await;
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, CodeCheck::Valid(_)))
            .count(),
        1
    );
}

/// Attempt counters count within a fixed window, per key, and restart after it.
pub async fn attempt_counters((repo, _): Stores) {
    let s = insert(repo.as_ref(), "attkey001", "ana", "attempts", T0).await;
    let window = Duration::minutes(15);
    let client = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: Some("192.0.2.1".into()),
    };
    let all = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: None,
    };
    let now = datetime!(2026-03-01 12:01 UTC);
    assert_eq!(
        repo.attempts(&client, now, window).await.expect("attempts"),
        0
    );
    let results = join_all((0..10).map(|_| {
        let repo = Arc::clone(&repo);
        let k = client.clone();
        async move { repo.hit_attempt(&k, now, window).await.expect("hit") }
    }))
    .await;
    let mut sorted = results.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=10).collect::<Vec<_>>());
    assert_eq!(repo.hit_attempt(&all, now, window).await.expect("hit"), 1);
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(5), window)
            .await
            .expect("attempts"),
        10
    );
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(20), window)
            .await
            .expect("attempts"),
        0
    );
    assert_eq!(
        repo.hit_attempt(&client, now + Duration::minutes(20), window)
            .await
            .expect("hit"),
        1
    );
    repo.clear_attempts(&client).await.expect("clear");
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(20), window)
            .await
            .expect("attempts"),
        0
    );
    assert_eq!(repo.attempts(&all, now, window).await.expect("attempts"), 1);
}

/// Released attempts: concurrent releases each take back one hit, never below zero, and
/// only within the window the hits were counted in.
pub async fn attempt_release((repo, _): Stores) {
    let s = insert(repo.as_ref(), "attrel001", "ana", "release", T0).await;
    let window = Duration::minutes(15);
    let key = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: None,
    };
    let other = AttemptKey {
        share_id: s.id,
        scope: "code",
        client: None,
    };
    let now = datetime!(2026-03-01 12:01 UTC);
    // Releasing a counter that does not exist is harmless.
    repo.release_attempt(&key, now, window)
        .await
        .expect("release");
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 0);
    for _ in 0..6 {
        repo.hit_attempt(&key, now, window).await.expect("hit");
    }
    repo.hit_attempt(&other, now, window).await.expect("hit");
    join_all((0..4).map(|_| {
        let repo = Arc::clone(&repo);
        let k = key.clone();
        async move {
            repo.release_attempt(&k, now, window)
                .await
                .expect("release")
        }
    }))
    .await;
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 2);
    assert_eq!(
        repo.attempts(&other, now, window).await.expect("attempts"),
        1
    );
    for _ in 0..5 {
        repo.release_attempt(&key, now, window)
            .await
            .expect("release");
    }
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 0);
    assert_eq!(repo.hit_attempt(&key, now, window).await.expect("hit"), 1);
    // A release in a later window leaves nothing negative behind and does not touch the
    // new window's count.
    let later = now + Duration::minutes(20);
    repo.release_attempt(&key, later, window)
        .await
        .expect("release");
    assert_eq!(repo.hit_attempt(&key, later, window).await.expect("hit"), 1);
}

/// Templates are stored per owner, listed, and deleted only by their owner.
pub async fn templates((repo, _): Stores) {
    let form = TemplateBody::Form {
        form: RegistrationForm::Default,
    };
    let terms = TemplateBody::Clickwrap {
        clickwrap: Clickwrap {
            title: "NDA".into(),
            terms: "Keep it secret.".into(),
        },
    };
    let t1 = repo
        .put_template(&user("ana"), "Default form", &form)
        .await
        .expect("put");
    let t2 = repo
        .put_template(&user("ana"), "NDA", &terms)
        .await
        .expect("put");
    repo.put_template(&user("bob"), "Bob's", &form)
        .await
        .expect("put");
    let list = repo.list_templates(&user("ana")).await.expect("list");
    assert_eq!(list.len(), 2);
    assert!(list.contains(&t1) && list.contains(&t2));
    assert!(
        !repo
            .delete_template(&user("bob"), t1.id)
            .await
            .expect("delete")
    );
    assert!(
        repo.delete_template(&user("ana"), t1.id)
            .await
            .expect("delete")
    );
    assert_eq!(
        repo.list_templates(&user("ana")).await.expect("list"),
        vec![t2]
    );
}

fn event(share: ShareId, kind: LogKind, at: OffsetDateTime) -> NewLogEvent {
    NewLogEvent {
        share_id: share,
        at,
        kind,
        paths: vec!["Reports/a b.pdf".into(), "Reports/ü.txt".into()],
        bytes: Some(1234),
        ip: Some("192.0.2.7".parse().expect("valid")),
        user_agent: Some("Mozilla/5.0 <x>".into()),
        visitor: Some("v1".into()),
        email: Some(Email::parse("v@example.com").expect("valid")),
        registration: Some(RegistrationId(9)),
        detail: Some("password".into()),
    }
}

/// Appended events come back with every field, newest first, filtered.
pub async fn log_append_and_query((repo, log): Stores) {
    let a = insert(repo.as_ref(), "logkey001", "ana", "log a", T0).await;
    let b = insert(repo.as_ref(), "logkey002", "ana", "log b", T0).await;
    let e1 = event(a.id, LogKind::Visit, T0);
    let id1 = log.append(&e1).await.expect("append");
    let id2 = log
        .append(&event(a.id, LogKind::Download, T0 + Duration::minutes(1)))
        .await
        .expect("append");
    let id3 = log
        .append(&event(b.id, LogKind::Download, T0 + Duration::minutes(2)))
        .await
        .expect("append");
    assert!(id1 < id2 && id2 < id3);
    let all = log
        .query(&LogQuery {
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id3, id2, id1]
    );
    assert_eq!(all[2].event, e1);
    let only_a = log
        .query(&LogQuery {
            shares: Some(vec![a.id]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(only_a.len(), 2);
    let downloads = log
        .query(&LogQuery {
            kinds: Some(vec![LogKind::Download]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(
        downloads.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id3, id2]
    );
    let ranged = log
        .query(&LogQuery {
            from: Some(T0 + Duration::minutes(1)),
            to: Some(T0 + Duration::minutes(2)),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(ranged.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id2]);
    let none = log
        .query(&LogQuery {
            shares: Some(vec![]),
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert!(none.is_empty());
}

/// Paging with `before_id` visits every event once.
pub async fn log_pagination((repo, log): Stores) {
    let a = insert(repo.as_ref(), "logpage01", "ana", "log", T0).await;
    let mut ids = Vec::new();
    for i in 0..17 {
        ids.push(
            log.append(&event(a.id, LogKind::List, T0 + Duration::seconds(i)))
                .await
                .expect("append"),
        );
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = log
            .query(&LogQuery {
                before_id,
                limit: 4,
                ..LogQuery::default()
            })
            .await
            .expect("query");
        if page.is_empty() {
            break;
        }
        before_id = page.last().map(|e| e.id);
        seen.extend(page.into_iter().map(|e| e.id));
    }
    assert_eq!(seen, ids);
}

/// Statistics count visits, unique visitors, downloads and bytes, uploads, denials.
pub async fn log_statistics((repo, log): Stores) {
    let a = insert(repo.as_ref(), "statkey01", "ana", "stats", T0).await;
    let b = insert(repo.as_ref(), "statkey02", "ana", "other", T0).await;
    let mut visit = event(a.id, LogKind::Visit, T0);
    log.append(&visit).await.expect("append");
    visit.visitor = Some("v2".into());
    log.append(&visit).await.expect("append");
    log.append(&visit).await.expect("append");
    log.append(&event(a.id, LogKind::Download, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::DownloadAll, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::Upload, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::Denied, T0))
        .await
        .expect("append");
    log.append(&event(a.id, LogKind::List, T0))
        .await
        .expect("append");
    log.append(&event(b.id, LogKind::Download, T0))
        .await
        .expect("append");
    let s = log.statistics(a.id).await.expect("stats");
    assert_eq!(s.visits, 3);
    assert_eq!(s.unique_visitors, 2);
    assert_eq!(s.downloads, 2);
    assert_eq!(s.bytes_downloaded, 2468);
    assert_eq!(s.uploads, 1);
    assert_eq!(s.bytes_uploaded, 1234);
    assert_eq!(s.denials, 1);
    let empty = log.statistics(ShareId(b.id.0 + 999)).await.expect("stats");
    assert_eq!(empty, crate::ports::ShareStats::default());
}

/// Retention purge and per-share delete remove exactly what they should.
pub async fn log_purge_and_delete((repo, log): Stores) {
    let a = insert(repo.as_ref(), "purgekey1", "ana", "purge", T0).await;
    let b = insert(repo.as_ref(), "purgekey2", "ana", "purge", T0).await;
    for i in 0..4 {
        log.append(&event(a.id, LogKind::Visit, T0 + Duration::days(i)))
            .await
            .expect("append");
        log.append(&event(b.id, LogKind::Visit, T0 + Duration::days(i)))
            .await
            .expect("append");
    }
    assert_eq!(
        log.purge_before(T0 + Duration::days(2))
            .await
            .expect("purge"),
        4
    );
    assert_eq!(log.delete_share(a.id).await.expect("delete"), 2);
    let left = log
        .query(&LogQuery {
            limit: 100,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    assert_eq!(left.len(), 2);
    assert!(
        left.iter()
            .all(|e| e.event.share_id == b.id && e.event.at >= T0 + Duration::days(2))
    );
}

/// Turns the suite into one `#[test]` per case for an adapter.
///
/// `run` is a function that drives a future to completion (e.g. a tokio runtime's
/// `block_on`); `make` is an expression producing a future of fresh, isolated
/// [`Stores`] (called once per case).
///
/// ```
/// use std::sync::Arc;
/// use sharelink_core::conformance::repository::Stores;
/// use sharelink_core::memory::{MemoryAccessLog, MemoryRepository};
///
/// async fn stores() -> Stores {
///     (Arc::new(MemoryRepository::new()), Arc::new(MemoryAccessLog::new()))
/// }
///
/// sharelink_core::repository_conformance!(run = futures::executor::block_on, make = stores());
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! repository_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::repository_conformance!(@cases $run, $make;
            insert_and_find, duplicate_key_is_refused, password_hash_round_trips,
            update_keeps_counters, delete_cascades, list_filters, name_search_escapes_wildcards,
            keyset_pagination, count_created_since, reserve_and_refund, reserve_dedup_counts_once,
            concurrent_reservations_max_1, concurrent_reservations_max_10,
            uploaded_bytes_respect_max, device_binding_first_wins, reminder_once, recipients,
            active_recipient_shares, registrations, sessions, one_time_codes, attempt_counters,
            attempt_release, templates, log_append_and_query, log_pagination, log_statistics, log_purge_and_delete
        );
    };
    (@cases $run:expr, $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let stores: $crate::conformance::repository::Stores = $make.await;
                    $crate::conformance::repository::$case(stores).await;
                });
            }
        )*
    };
}

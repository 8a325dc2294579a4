//! Conformance cases of the share store ([`ShareStore`]): shares and their counters.
//!
//! Run with [`crate::repository_conformance!`].

use super::access_log::event;
use super::repository::*;
use crate::model::form::Registration;
use crate::ports::access_log::{LogKind, LogQuery};
use crate::ports::repository::*;
use crate::*;
use futures::future::join_all;
use std::sync::Arc;
use time::Duration;

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

/// An auto-fill code round-trips, including characters that need quoting; an update
/// changes it and erases it.
pub async fn autofill_code_round_trips((repo, _): Stores) {
    let code =
        |text: &str| crate::AutofillCode::of(&PlainPassword::new(text, 1).expect("valid password"));
    let mut new = new_share("afkey0001", "ana", "autofill", T0);
    new.settings.password = true;
    new.settings.password_autofill = true;
    new.autofill_code = Some(code("correct horse & 'ünï' %20?"));
    let share = repo.insert_share(new).await.expect("insert");
    let mut back = repo
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(back.autofill_code, Some(code("correct horse & 'ünï' %20?")));
    back.autofill_code = Some(code("second"));
    repo.update_share(&back).await.expect("update");
    let found = repo
        .find_by_key(&back.key)
        .await
        .expect("find")
        .expect("present");
    assert_eq!(found.autofill_code, Some(code("second")));
    back.autofill_code = None;
    repo.update_share(&back).await.expect("update");
    let erased = repo
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(erased.autofill_code, None);
    // A share without auto-fill stores none.
    let plain = insert(repo.as_ref(), "afkey0002", "ana", "plain", T0).await;
    assert_eq!(plain.autofill_code, None);
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
            form_digest: None,
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

/// `is_counted` tells whether a dedup key is counted, and never spends a use: not on a
/// fresh key, not on an exhausted share, and not after a refund.
pub async fn is_counted_is_read_only((repo, _): Stores) {
    let s = insert(repo.as_ref(), "countedkeyxyz12", "ana", "counted", T0).await;
    let uses = |repo: Arc<dyn ShareRepository>| async move {
        repo.get_share(s.id)
            .await
            .expect("get")
            .expect("present")
            .uses
    };
    assert!(!repo.is_counted(s.id, "visit:a").await.expect("ask"));
    assert_eq!(uses(Arc::clone(&repo)).await, 0, "asking spends nothing");
    assert_eq!(
        repo.reserve_use(s.id, 1, Some("visit:a")).await.expect("r"),
        Reservation::Reserved
    );
    assert!(repo.is_counted(s.id, "visit:a").await.expect("ask"));
    assert!(!repo.is_counted(s.id, "visit:b").await.expect("ask"));
    assert!(
        !repo.is_counted(s.id, "VISIT:A").await.expect("ask"),
        "dedup keys are exact"
    );
    assert_eq!(
        uses(Arc::clone(&repo)).await,
        1,
        "exhausted, and asking spends nothing"
    );
    repo.refund_use(s.id, Some("visit:a"))
        .await
        .expect("refund");
    assert!(!repo.is_counted(s.id, "visit:a").await.expect("ask"));
    assert_eq!(uses(Arc::clone(&repo)).await, 0);
    let other = insert(repo.as_ref(), "countedother123", "ana", "other", T0).await;
    repo.reserve_use(other.id, 5, Some("visit:c"))
        .await
        .expect("r");
    assert!(
        !repo.is_counted(s.id, "visit:c").await.expect("ask"),
        "dedup keys belong to one share"
    );
    assert!(
        !repo
            .is_counted(ShareId(987_654), "visit:c")
            .await
            .expect("unknown share")
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

/// Creations count per owner and day, atomically: 64 concurrent tries with 5 left
/// count exactly 5; another day or owner has its own count; uncounting gives one back,
/// never below zero; deleting a share gives nothing back.
pub async fn creations_are_counted_atomically((repo, _): Stores) {
    let day = T0.date();
    let tries = (0..64).map(|_| {
        let repo = Arc::clone(&repo);
        async move { repo.count_creation(&user("ana"), day, 5).await }
    });
    let counted = join_all(tries)
        .await
        .into_iter()
        .map(|r| r.expect("count"))
        .filter(|ok| *ok)
        .count();
    assert_eq!(counted, 5, "exactly the quota under concurrency");
    assert!(
        !repo
            .count_creation(&user("ana"), day, 5)
            .await
            .expect("count")
    );
    assert!(
        repo.count_creation(&user("bob"), day, 5)
            .await
            .expect("count"),
        "another owner has his own quota"
    );
    let tomorrow = day.next_day().expect("a day");
    assert!(
        repo.count_creation(&user("ana"), tomorrow, 5)
            .await
            .expect("count"),
        "a new day starts over"
    );
    let s = insert(repo.as_ref(), "quotadeleted1", "ana", "gone", T0).await;
    assert!(repo.delete_share(s.id).await.expect("delete"));
    assert!(
        !repo
            .count_creation(&user("ana"), day, 5)
            .await
            .expect("count"),
        "deleting a share gives no creation back"
    );
    repo.uncount_creation(&user("ana"), day)
        .await
        .expect("uncount");
    assert!(
        repo.count_creation(&user("ana"), day, 5)
            .await
            .expect("count")
    );
    for _ in 0..10 {
        repo.uncount_creation(&user("carl"), day)
            .await
            .expect("uncount an empty day");
    }
    assert!(
        repo.count_creation(&user("carl"), day, 1)
            .await
            .expect("count")
    );
    assert!(
        !repo
            .count_creation(&user("carl"), day, 1)
            .await
            .expect("count"),
        "uncounting never goes below zero"
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

//! The store's own cases, on every configured backend: two nodes (separate pools) racing
//! for uses, dedup keys under concurrency, migrations run twice or at once, revoke versus
//! expire, and typed errors.

use sharelink_core::conformance::repository::{T0, new_share};
use sharelink_core::ports::{
    AccessLog, LogKind, LogQuery, NewLogEvent, NewRecipient, RecipientStore, RepoError,
    Reservation, ShareStore,
};
use sharelink_core::{Email, ShareId};
use sharelink_store_sql::testing::{TestBackend as Backend, fresh_store, fresh_url};
use sharelink_store_sql::{Error, SqlStore};
use std::time::Instant;
use time::Duration;

/// Two nodes: two stores with their own pools on one database.
async fn two_nodes(backend: Backend) -> (SqlStore, SqlStore) {
    let url = fresh_url(backend).await;
    let a = sharelink_store_sql::connect(&url).await.expect("node a");
    let b = sharelink_store_sql::connect(&url).await.expect("node b");
    (a, b)
}

/// Fires `tries` reservations at once, alternating between the nodes, each on its own
/// task; returns the outcomes.
async fn race(
    nodes: &[SqlStore],
    id: ShareId,
    max: u32,
    tries: usize,
    dedup: impl Fn(usize) -> Option<String>,
) -> Vec<Reservation> {
    let tasks: Vec<_> = (0..tries)
        .map(|i| {
            let node = nodes[i % nodes.len()].clone();
            let dedup = dedup(i);
            tokio::spawn(async move { node.reserve_use(id, max, dedup.as_deref()).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task").expect("reserve_use"));
    }
    out
}

fn count(results: &[Reservation], what: Reservation) -> usize {
    results.iter().filter(|r| **r == what).count()
}

async fn races_exactly(backend: Backend, max: u32) {
    let (a, b) = two_nodes(backend).await;
    let key = format!("twonodes{max:02}");
    // one pool
    let share = a
        .insert_share(new_share(&key, "ana", "race", T0))
        .await
        .expect("insert");
    let started = Instant::now();
    let one = race(std::slice::from_ref(&a), share.id, max, 64, |_| None).await;
    eprintln!(
        "{backend:?}: 64 concurrent reservations, max {max}, one pool: {} reserved, {} exhausted ({:?})",
        count(&one, Reservation::Reserved),
        count(&one, Reservation::Exhausted),
        started.elapsed()
    );
    assert_eq!(count(&one, Reservation::Reserved), max as usize);
    // two pools ("two nodes")
    let share = a
        .insert_share(new_share(&format!("{key}b"), "ana", "race", T0))
        .await
        .expect("insert");
    let started = Instant::now();
    let two = race(&[a.clone(), b.clone()], share.id, max, 64, |_| None).await;
    eprintln!(
        "{backend:?}: 64 concurrent reservations, max {max}, two pools: {} reserved, {} exhausted ({:?})",
        count(&two, Reservation::Reserved),
        count(&two, Reservation::Exhausted),
        started.elapsed()
    );
    assert_eq!(count(&two, Reservation::Reserved), max as usize);
    assert_eq!(count(&two, Reservation::Exhausted), 64 - max as usize);
    let stored = b.get_share(share.id).await.expect("get").expect("present");
    assert_eq!(stored.uses, max);
}

pub(crate) async fn two_nodes_max_1(backend: Backend) {
    races_exactly(backend, 1).await;
}

pub(crate) async fn two_nodes_max_10(backend: Backend) {
    races_exactly(backend, 10).await;
}

/// 64 requests of 8 downloads (8 range requests each) on two nodes: each download counts
/// once; with refunds racing too, counts stay exact and nothing deadlocks.
pub(crate) async fn dedup_race(backend: Backend) {
    let (a, b) = two_nodes(backend).await;
    let share = a
        .insert_share(new_share("dedupRace1", "ana", "race", T0))
        .await
        .expect("insert");
    let nodes = [a.clone(), b.clone()];
    let results = race(&nodes, share.id, 10, 64, |i| {
        Some(format!("download-{}", i % 8))
    })
    .await;
    assert_eq!(count(&results, Reservation::Reserved), 8);
    assert_eq!(count(&results, Reservation::AlreadyCounted), 56);
    // every download refunded twice, at once, from both nodes: each gives back one use
    let refunds: Vec<_> = (0..16)
        .map(|i| {
            let node = nodes[i % 2].clone();
            tokio::spawn(async move {
                node.refund_use(share.id, Some(&format!("download-{}", i % 8)))
                    .await
            })
        })
        .collect();
    for r in refunds {
        r.await.expect("task").expect("refund");
    }
    let stored = a.get_share(share.id).await.expect("get").expect("present");
    assert_eq!(stored.uses, 0);
    // reservations and refunds of the same keys interleaved
    let mixed: Vec<_> = (0..64)
        .map(|i| {
            let node = nodes[i % 2].clone();
            tokio::spawn(async move {
                let d = format!("mixed-{}", i % 4);
                if i % 3 == 0 {
                    node.refund_use(share.id, Some(&d)).await.map(|_| None)
                } else {
                    node.reserve_use(share.id, 3, Some(&d)).await.map(Some)
                }
            })
        })
        .collect();
    for m in mixed {
        m.await.expect("task").expect("no deadlock or error");
    }
    let uses = a
        .get_share(share.id)
        .await
        .expect("get")
        .expect("present")
        .uses;
    assert!(uses <= 3, "{uses}");
}

/// Connecting again to a migrated database changes nothing; two nodes starting at once
/// both come up.
pub(crate) async fn migrations_are_idempotent(backend: Backend) {
    let url = fresh_url(backend).await;
    let (a, b) = tokio::join!(
        sharelink_store_sql::connect(&url),
        sharelink_store_sql::connect(&url)
    );
    let a = a.expect("node a");
    b.expect("node b");
    let share = a
        .insert_share(new_share("migrate01", "ana", "kept", T0))
        .await
        .expect("insert");
    drop(a);
    let again = sharelink_store_sql::connect(&url).await.expect("again");
    assert_eq!(
        again.get_share(share.id).await.expect("get"),
        Some(share.clone())
    );
}

fn visit(share: ShareId) -> NewLogEvent {
    NewLogEvent {
        share_id: share,
        at: T0,
        kind: LogKind::Visit,
        paths: vec![],
        bytes: None,
        ip: None,
        user_agent: None,
        visitor: Some("v".into()),
        email: None,
        registration: None,
        detail: None,
    }
}

/// Revoking deletes the share's access log with it (same database, same transaction);
/// expiring keeps everything.
pub(crate) async fn revoke_deletes_log_expire_keeps(backend: Backend) {
    let store = fresh_store(backend).await;
    let gone = store
        .insert_share(new_share("revoke001", "ana", "revoked", T0))
        .await
        .expect("insert");
    let kept = store
        .insert_share(new_share("expire001", "ana", "expired", T0))
        .await
        .expect("insert");
    for s in [&gone, &kept] {
        store.append(&visit(s.id)).await.expect("log");
        store
            .add_recipient(NewRecipient {
                share_id: s.id,
                email: Email::parse("r@example.com").expect("valid"),
                company: None,
                note: None,
                link_code: "code".into(),
                sent_at: None,
            })
            .await
            .expect("recipient");
        assert_eq!(
            store
                .reserve_use(s.id, 5, Some("d"))
                .await
                .expect("reserve"),
            Reservation::Reserved
        );
    }
    assert!(
        ShareStore::delete_share(&store, gone.id)
            .await
            .expect("revoke")
    );
    let mut expired = kept.clone();
    expired.settings.schedule.expires_at = Some(T0);
    expired.updated_at = T0 + Duration::minutes(1);
    store.update_share(&expired).await.expect("expire");
    let log_of = |id: ShareId| LogQuery {
        shares: Some(vec![id]),
        limit: 10,
        ..LogQuery::default()
    };
    assert!(
        store
            .query(&log_of(gone.id))
            .await
            .expect("query")
            .is_empty()
    );
    assert_eq!(store.query(&log_of(kept.id)).await.expect("query").len(), 1);
    assert_eq!(store.list_recipients(kept.id).await.expect("list").len(), 1);
    assert_eq!(
        store
            .reserve_use(kept.id, 5, Some("d"))
            .await
            .expect("reserve"),
        Reservation::AlreadyCounted
    );
}

/// A share with every JSON-held setting at its largest survives the round trip
/// (`longtext` on MySQL, whose `text` would cut it at 64 KiB).
pub(crate) async fn large_settings_round_trip(backend: Backend) {
    let store = fresh_store(backend).await;
    let mut new = new_share("bigshare1", "ana", "big", T0);
    new.settings.description = Some("ü".repeat(10_000));
    new.settings.internal_note = Some("€".repeat(10_000));
    new.requested = new.settings.clone();
    let share = store.insert_share(new).await.expect("insert");
    assert_eq!(store.get_share(share.id).await.expect("get"), Some(share));
}

/// Case-insensitive search also folds non-ASCII letters, on every backend alike.
pub(crate) async fn search_folds_unicode(backend: Backend) {
    let store = fresh_store(backend).await;
    let s = store
        .insert_share(new_share("unicode01", "ana", "Übersicht Straße", T0))
        .await
        .expect("insert");
    for needle in ["übersicht", "ÜBERSICHT", "straße"] {
        let page = store
            .list_shares(&sharelink_core::ports::ShareQuery {
                name_contains: Some(needle.into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(page.shares.len(), 1, "{needle}");
        assert_eq!(page.shares[0].id, s.id);
    }
}

/// Keys, codes and session ids compare exactly (MySQL's default collations would not).
pub(crate) async fn secrets_compare_exactly(backend: Backend) {
    let store = fresh_store(backend).await;
    let s = store
        .insert_share(new_share("exactkey1", "ana", "exact", T0))
        .await
        .expect("insert");
    store
        .add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("r@example.com").expect("valid"),
            company: None,
            note: None,
            link_code: "AbCdEf".into(),
            sent_at: None,
        })
        .await
        .expect("recipient");
    assert!(
        store
            .find_recipient(s.id, "abcdef")
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        store
            .find_recipient(s.id, "AbCdEf")
            .await
            .expect("find")
            .is_some()
    );
}

/// Appends made at once are written in shared transactions (group commit): each still
/// gets its own row and id, none is lost or doubled, and each is committed by the time
/// its append returns.
pub(crate) async fn appends_at_once_each_get_their_committed_row(backend: Backend) {
    let store = fresh_store(backend).await;
    let share = store
        .insert_share(new_share("group001", "ana", "grouped", T0))
        .await
        .expect("share");
    let appends = (0..300).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut event = visit(share.id);
            event.detail = Some(format!("append {i}"));
            store.append(&event).await
        })
    });
    let mut ids = Vec::new();
    for a in futures::future::join_all(appends).await {
        ids.push(a.expect("joined").expect("appended"));
    }
    let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 300, "every append has its own id");
    let rows = store
        .query(&LogQuery {
            shares: Some(vec![share.id]),
            limit: 1000,
            ..LogQuery::default()
        })
        .await
        .expect("query");
    let mut details: Vec<String> = rows.iter().filter_map(|r| r.event.detail.clone()).collect();
    details.sort();
    details.dedup();
    assert_eq!(details.len(), 300, "each append written once");
    let row_ids: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    assert_eq!(row_ids, unique, "the ids returned are the rows' ids");
}

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            use sharelink_store_sql::testing::{TestBackend as Backend, run};
            $( #[test] fn $case() { run(Backend::Sqlite, super::$case(Backend::Sqlite)) } )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            use sharelink_store_sql::testing::{TestBackend as Backend, run};
            $( #[test] fn $case() { run(Backend::Postgres, super::$case(Backend::Postgres)) } )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            use sharelink_store_sql::testing::{TestBackend as Backend, run};
            $( #[test] fn $case() { run(Backend::MySql, super::$case(Backend::MySql)) } )*
        }
    };
}

on_every_backend!(
    two_nodes_max_1,
    two_nodes_max_10,
    dedup_race,
    migrations_are_idempotent,
    revoke_deletes_log_expire_keeps,
    large_settings_round_trip,
    search_folds_unicode,
    secrets_compare_exactly,
    appends_at_once_each_get_their_committed_row,
);

#[test]
fn bad_urls_are_typed_errors() {
    sharelink_store_sql::testing::runtime().block_on(async {
        assert!(matches!(
            sharelink_store_sql::connect("redis://127.0.0.1/0").await,
            Err(Error::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            sharelink_store_sql::connect("no scheme at all").await,
            Err(Error::BadUrl { .. })
        ));
        #[cfg(feature = "postgres")]
        assert!(matches!(
            sharelink_store_sql::connect("postgres://u@host:notaport/db").await,
            Err(Error::BadUrl { .. })
        ));
        #[cfg(not(feature = "postgres"))]
        assert!(matches!(
            sharelink_store_sql::connect("postgres://u@host/db").await,
            Err(Error::UnsupportedScheme { .. })
        ));
    });
}

#[test]
fn unreachable_databases_are_typed_errors() {
    sharelink_store_sql::testing::runtime().block_on(async {
        let missing = std::env::temp_dir().join("sl-no-such-dir-7d1f/x/y.db");
        let err = sharelink_store_sql::connect(&format!("sqlite://{}", missing.display()))
            .await
            .expect_err("no such folder");
        assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
        #[cfg(feature = "postgres")]
        {
            let err = sharelink_store_sql::StoreConfig::new("postgres://postgres@127.0.0.1:1/x")
                .connect_timeout(std::time::Duration::from_secs(2))
                .connect()
                .await
                .expect_err("closed port");
            assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
        }
        #[cfg(feature = "mysql")]
        {
            let err = sharelink_store_sql::StoreConfig::new("mysql://root@127.0.0.1:1/x")
                .connect_timeout(std::time::Duration::from_secs(2))
                .connect()
                .await
                .expect_err("closed port");
            assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
        }
    });
}

#[test]
fn a_conflicting_schema_is_a_migration_error() {
    sharelink_store_sql::testing::runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        let db = sea_orm::Database::connect(&url).await.expect("connect");
        db.execute_unprepared("CREATE TABLE sl_migrations (x INTEGER)")
            .await
            .expect("create");
        db.close().await.expect("close");
        let err = sharelink_store_sql::connect(&url)
            .await
            .expect_err("conflict");
        assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    });
}

#[test]
fn duplicate_keys_map_to_key_taken_and_missing_shares_to_not_found() {
    sharelink_store_sql::testing::run(Backend::Sqlite, async {
        let store = fresh_store(Backend::Sqlite).await;
        store
            .insert_share(new_share("dupkey001", "ana", "a", T0))
            .await
            .expect("insert");
        let err = store
            .insert_share(new_share("DUPKEY001", "bob", "b", T0))
            .await
            .expect_err("taken");
        assert!(matches!(err, RepoError::KeyTaken), "{err:?}");
        let err = store
            .add_recipient(NewRecipient {
                share_id: ShareId(999),
                email: Email::parse("r@example.com").expect("valid"),
                company: None,
                note: None,
                link_code: "c".into(),
                sent_at: None,
            })
            .await
            .expect_err("no share");
        assert!(matches!(err, RepoError::NotFound(_)), "{err:?}");
    });
}

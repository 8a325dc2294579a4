//! Conformance suite of the digest port: one async function per contract bullet of
//! [`DigestStore`], and [`digest_conformance!`](crate::digest_conformance) to run them
//! all.
//!
//! Each case takes two handles on one fresh store ([`Digests`]): where the adapter can,
//! two separate connections (pools), as two processes would have.
//!
//! ```
//! use sharelink_core::conformance::digest::Digests;
//! use sharelink_core::memory::MemoryDigests;
//! use std::sync::Arc;
//!
//! async fn digests() -> Digests {
//!     let store = Arc::new(MemoryDigests::new());
//!     (store.clone(), store)
//! }
//!
//! sharelink_core::digest_conformance!(run = futures::executor::block_on, make = digests());
//! # fn main() {}
//! ```

use crate::ports::digest::{DigestEntryId, DigestStore, NewDigestEntry};
use crate::{Activity, Email, Notice, ShareId, UserId};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

/// Two handles on one digest store (the same one twice where the adapter has only one).
pub type Digests = (Arc<dyn DigestStore>, Arc<dyn DigestStore>);

/// The instant the suite's events happen around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00:00.123456789 UTC);

fn email(local: &str) -> Email {
    Email::parse(&format!("{local}@corp.example")).expect("a valid address")
}

/// Every kind of activity, with non-ASCII text and every optional detail set.
pub fn every_activity() -> Vec<Activity> {
    vec![
        Activity::Downloaded {
            visitor: Some("Zoë Ünal <zoe@example.org>".into()),
            paths: vec!["reports/été.pdf".into(), "b.txt".into()],
            ip: Some("2001:db8::".parse().expect("valid ip")),
        },
        Activity::Downloaded {
            visitor: None,
            paths: Vec::new(),
            ip: None,
        },
        Activity::Uploaded {
            visitor: Some("Rita".into()),
            path: "inbox/Rita/скан.pdf".into(),
            bytes: u64::from(u32::MAX) + 7,
            ip: Some("192.0.2.0".parse().expect("valid ip")),
        },
        Activity::Registered {
            name: Some("Jürgen \"J\" O'Brien".into()),
            email: Some("jo@example.org".into()),
        },
        Activity::FirstVisit {
            recipient: "rita@ext.example".into(),
        },
        Activity::ExpirySoon {
            expires_at: datetime!(2026-03-02 08:00 UTC),
        },
    ]
}

/// An entry for `to` about share `share` of `owner`, `minutes` after [`T0`].
pub fn entry(
    to: &str,
    share: i64,
    owner: &str,
    activity: Activity,
    minutes: i64,
) -> NewDigestEntry {
    NewDigestEntry {
        to: email(to),
        share: ShareId(share),
        owner: UserId::parse(owner).expect("a valid user"),
        time_zone: (share % 2 == 0).then(|| "Europe/Zurich".to_owned()),
        notice: Notice {
            share_name: format!("Plans № {share} — ünïcödé"),
            activity,
            at: T0 + time::Duration::minutes(minutes),
        },
    }
}

/// An entry is stored whole, every kind of activity, and ids increase.
pub async fn entries_are_stored_whole((a, b): Digests) {
    let mut last: Option<DigestEntryId> = None;
    let mut added = Vec::new();
    for (i, activity) in every_activity().into_iter().enumerate() {
        let i = i64::try_from(i).expect("few");
        let e = entry("ana", i, "ana", activity, i);
        let id = a.add_digest_entry(&e).await.expect("added");
        assert!(last.is_none_or(|l| id > l), "{id:?} after {last:?}");
        last = Some(id);
        added.push((id, e));
    }
    let read = b.digest_entries(None, 100).await.expect("read");
    let read: Vec<_> = read.into_iter().map(|e| (e.id, e.entry)).collect();
    assert_eq!(read, added);
}

/// Reading pages after the last id returned reads each entry once, in id order.
pub async fn pages_read_each_entry_once((a, b): Digests) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let e = entry(
            if i % 2 == 0 { "ana" } else { "bob" },
            i,
            "ana",
            Activity::FirstVisit {
                recipient: format!("r{i}@ext.example"),
            },
            i,
        );
        ids.push(a.add_digest_entry(&e).await.expect("added"));
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = b.digest_entries(after, 3).await.expect("page");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        seen.extend(page.iter().map(|e| e.id));
    }
    assert_eq!(seen, ids);
    assert!(b.digest_entries(None, 0).await.expect("read").is_empty());
    let tail = b.digest_entries(Some(ids[4]), 100).await.expect("read");
    assert_eq!(
        tail.iter().map(|e| e.id).collect::<Vec<_>>(),
        ids[5..].to_vec()
    );
}

/// Removing removes exactly the entries named, once; unknown ids are ignored.
pub async fn remove_removes_exactly_the_named((a, b): Digests) {
    let mut ids = Vec::new();
    for i in 0..4 {
        let e = entry(
            "ana",
            i,
            "ana",
            Activity::FirstVisit {
                recipient: "r@ext.example".into(),
            },
            i,
        );
        ids.push(a.add_digest_entry(&e).await.expect("added"));
    }
    let unknown = DigestEntryId(ids[3].0 + 1000);
    assert_eq!(
        b.remove_digest_entries(&[ids[1], ids[3], unknown])
            .await
            .expect("removed"),
        2
    );
    assert_eq!(
        b.remove_digest_entries(&[ids[1]]).await.expect("removed"),
        0
    );
    assert_eq!(a.remove_digest_entries(&[]).await.expect("removed"), 0);
    let left: Vec<_> = a
        .digest_entries(None, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, vec![ids[0], ids[2]]);
}

/// Entries added through one handle while the other reads and removes are neither lost
/// nor removed unless named.
pub async fn concurrent_adds_are_kept((a, b): Digests) {
    let first = a
        .add_digest_entry(&entry(
            "ana",
            1,
            "ana",
            Activity::FirstVisit {
                recipient: "r@ext.example".into(),
            },
            0,
        ))
        .await
        .expect("added");
    let seen = b.digest_entries(None, 100).await.expect("read");
    let adds = (0..8).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move {
            store
                .add_digest_entry(&entry(
                    "bob",
                    i,
                    "bob",
                    Activity::FirstVisit {
                        recipient: "r@ext.example".into(),
                    },
                    i,
                ))
                .await
                .expect("added")
        }
    });
    let ids: Vec<_> = seen.iter().map(|e| e.id).collect();
    let (added, removed) = futures::join!(
        futures::future::join_all(adds),
        b.remove_digest_entries(&ids)
    );
    assert_eq!(removed.expect("removed"), 1);
    let mut left: Vec<_> = a
        .digest_entries(None, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.id)
        .collect();
    let mut added = added;
    added.sort();
    left.sort();
    assert_eq!(left, added);
    assert!(!left.contains(&first));
}

/// Runs every case of the suite against an adapter: one `#[test]` per case.
///
/// `run` drives a future to completion; `make` is an expression giving a fresh
/// [`Digests`] future for each case.
#[macro_export]
macro_rules! digest_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::digest_conformance!(@cases ($run) ($make)
            entries_are_stored_whole,
            pages_read_each_entry_once,
            remove_removes_exactly_the_named,
            concurrent_adds_are_kept,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let digests: $crate::conformance::digest::Digests = $make.await;
                    $crate::conformance::digest::$case(digests).await
                });
            }
        )*
    };
}

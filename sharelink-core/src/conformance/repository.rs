//! Conformance suite of the share-repository and access-log ports: shared helpers and the
//! macro; the cases live in one module per store ([`super::shares`], [`super::recipients`],
//! [`super::visitors`], [`super::templates`]) and [`super::access_log`].
//!
//! Each case takes a fresh, empty repository and access log (from the same store where
//! the adapter keeps both). Run it with [`crate::repository_conformance!`].

use crate::ports::access_log::AccessLog;
use crate::ports::repository::*;
use crate::*;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant the suite's data is built around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// A repository and an access log under test.
pub type Stores = (Arc<dyn ShareRepository>, Arc<dyn AccessLog>);

pub(super) fn key(k: &str) -> UrlKey {
    UrlKey::parse(k).expect("valid key")
}

pub(super) fn user(u: &str) -> UserId {
    UserId::parse(u).expect("valid user")
}

pub(super) fn path(p: &str) -> SharePath {
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
        autofill_code: None,
        created_at,
    }
}

pub(super) async fn insert(
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

pub(super) fn session(id: &str, share: ShareId) -> VisitorSession {
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
            shares::{insert_and_find, duplicate_key_is_refused, password_hash_round_trips,
                autofill_code_round_trips,
                update_keeps_counters, delete_cascades, list_filters,
                name_search_escapes_wildcards, keyset_pagination,
                reserve_and_refund, reserve_dedup_counts_once, is_counted_is_read_only,
                creations_are_counted_atomically,
                concurrent_reservations_max_1, concurrent_reservations_max_10,
                uploaded_bytes_respect_max, device_binding_first_wins, reminder_once},
            recipients::{recipients, active_recipient_shares, recipient_access},
            visitors::{registrations, sessions, one_time_codes, attempt_counters,
                attempt_release},
            templates::{templates, template_replaced_by_owner},
            access_log::{log_append_and_query, log_pagination, log_statistics,
                log_purge_and_delete, log_daily_statistics},
        );
    };
    (@cases $run:expr, $make:expr; $($module:ident::{$($case:ident),* $(,)?}),* $(,)?) => {
        $($(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let stores: $crate::conformance::repository::Stores = $make.await;
                    $crate::conformance::$module::$case(stores).await;
                });
            }
        )*)*
    };
}

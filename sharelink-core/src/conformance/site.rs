//! Conformance suite of the site-settings port: one async function per contract bullet of
//! [`SiteSettingsStore`], and [`site_conformance!`](crate::site_conformance) to run them
//! all.
//!
//! Each case takes two handles on one fresh store ([`SiteStores`]): where the adapter can,
//! two separate connections (pools) to the same store, as two processes would have.
//!
//! ```
//! use sharelink_core::conformance::site::SiteStores;
//! use sharelink_core::memory::MemorySiteSettings;
//! use std::sync::Arc;
//!
//! async fn stores() -> SiteStores {
//!     let store = Arc::new(MemorySiteSettings::new());
//!     (store.clone(), store)
//! }
//!
//! sharelink_core::site_conformance!(run = futures::executor::block_on, make = stores());
//! # fn main() {}
//! ```

use crate::ports::site::{SiteSaveError, SiteSettingsStore};
use crate::{SiteSettings, UserId};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Two handles on one store of site settings (the same one twice where the adapter has
/// only one).
pub type SiteStores = (Arc<dyn SiteSettingsStore>, Arc<dyn SiteSettingsStore>);

/// The instant the suite's saves are made at.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn admin(name: &str) -> UserId {
    UserId::parse(name).expect("a user id")
}

/// Nothing is stored until the first save, which is version 1 and reads back whole
/// through either handle.
pub async fn first_save_reads_back_whole((a, b): SiteStores) {
    assert_eq!(a.load().await.unwrap(), None);
    assert_eq!(b.load().await.unwrap(), None);
    let settings = crate::testing::fixtures::unusual_settings();
    let saved = a
        .save(0, &settings, &admin("root"), T0)
        .await
        .expect("the first save");
    assert_eq!(saved.version, 1);
    assert_eq!(saved.settings, settings);
    assert_eq!(saved.updated_by, admin("root"));
    assert_eq!(saved.updated_at, T0);
    for store in [&a, &b] {
        assert_eq!(store.load().await.unwrap(), Some(saved.clone()));
    }
}

/// A save at the stored version replaces the settings as the next version; the last save
/// is what every handle loads next.
pub async fn save_at_current_version_replaces((a, b): SiteStores) {
    let first = a
        .save(0, &SiteSettings::default(), &admin("root"), T0)
        .await
        .unwrap();
    let changed = SiteSettings {
        require_password: true,
        ..SiteSettings::default()
    };
    let later = T0 + Duration::minutes(5);
    let second = b
        .save(first.version, &changed, &admin("other-admin"), later)
        .await
        .expect("a save at the current version");
    assert_eq!(second.version, 2);
    let loaded = a.load().await.unwrap().expect("stored settings");
    assert_eq!(loaded, second);
    assert!(loaded.settings.require_password);
    assert_eq!(loaded.updated_by, admin("other-admin"));
    assert_eq!(loaded.updated_at, later);
}

/// A save at another version (stale, ahead, or 0 once something is stored) writes nothing
/// and names the current version.
pub async fn save_at_other_version_conflicts((a, b): SiteStores) {
    let ahead = a
        .save(3, &SiteSettings::default(), &admin("root"), T0)
        .await;
    assert!(
        matches!(ahead, Err(SiteSaveError::Conflict { current: 0 })),
        "{ahead:?}"
    );
    assert_eq!(b.load().await.unwrap(), None);
    let stored = a
        .save(0, &SiteSettings::default(), &admin("root"), T0)
        .await
        .unwrap();
    let changed = SiteSettings {
        device_binding: true,
        ..SiteSettings::default()
    };
    for stale in [0, 2, 7] {
        let refused = b.save(stale, &changed, &admin("late"), T0).await;
        assert!(
            matches!(refused, Err(SiteSaveError::Conflict { current: 1 })),
            "at {stale}: {refused:?}"
        );
    }
    assert_eq!(a.load().await.unwrap(), Some(stored));
}

/// Of concurrent saves at one version from two handles, exactly one succeeds — on the
/// first save and on a later one — and the stored settings are the winner's.
pub async fn concurrent_saves_have_one_winner((a, b): SiteStores) {
    for expected in 0..3_u64 {
        let attempts = (0..8_usize).map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move {
                let settings = SiteSettings {
                    max_items: 100 + i,
                    ..SiteSettings::default()
                };
                (i, store.save(expected, &settings, &admin("root"), T0).await)
            }
        });
        let results = futures::future::join_all(attempts).await;
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "at {expected}: {results:?}");
        for (_, r) in &results {
            if let Err(e) = r {
                assert!(matches!(e, SiteSaveError::Conflict { .. }), "{e:?}");
            }
        }
        let stored = a.load().await.unwrap().expect("stored settings");
        assert_eq!(stored.version, expected + 1);
        assert_eq!(stored.settings.max_items, 100 + winners[0]);
    }
}

/// Runs every case of the suite against an adapter: one `#[test]` per case.
///
/// `run` drives a future to completion; `make` is an expression giving a fresh
/// [`SiteStores`] future for each case.
#[macro_export]
macro_rules! site_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::site_conformance!(@cases ($run) ($make)
            first_save_reads_back_whole,
            save_at_current_version_replaces,
            save_at_other_version_conflicts,
            concurrent_saves_have_one_winner,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let stores: $crate::conformance::site::SiteStores = $make.await;
                    $crate::conformance::site::$case(stores).await
                });
            }
        )*
    };
}

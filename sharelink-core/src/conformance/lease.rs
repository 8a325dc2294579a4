//! Conformance suite of the lease port: one async function per contract bullet of
//! [`Lease`], and [`lease_conformance!`](crate::lease_conformance) to run them all.
//!
//! Each case takes two handles on one fresh store ([`Leases`]): where the adapter can, two
//! separate connections (pools) to the same store, as two processes would have.
//!
//! ```
//! use sharelink_core::conformance::lease::Leases;
//! use sharelink_core::memory::MemoryLease;
//! use std::sync::Arc;
//!
//! async fn leases() -> Leases {
//!     let lease = Arc::new(MemoryLease::new());
//!     (lease.clone(), lease)
//! }
//!
//! sharelink_core::lease_conformance!(run = futures::executor::block_on, make = leases());
//! # fn main() {}
//! ```

use crate::ports::lease::Lease;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Two handles on one store of leases (the same one twice where the adapter has only one).
pub type Leases = (Arc<dyn Lease>, Arc<dyn Lease>);

/// The instant the suite's leases are taken around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// A free job is taken; while the lease runs nobody gets it, the holder included.
pub async fn free_job_is_taken_then_refused((a, b): Leases) {
    let until = T0 + Duration::minutes(5);
    assert!(a.try_acquire("purge", "node-a", T0, until).await.unwrap());
    assert!(!b.try_acquire("purge", "node-b", T0, until).await.unwrap());
    let later = T0 + Duration::minutes(4);
    assert!(
        !a.try_acquire("purge", "node-a", later, later + Duration::minutes(5))
            .await
            .unwrap()
    );
    assert!(
        !b.try_acquire("purge", "node-b", later, later + Duration::minutes(5))
            .await
            .unwrap()
    );
    // Another job is another lease.
    assert!(
        b.try_acquire("reminders", "node-b", T0, until)
            .await
            .unwrap()
    );
}

/// A lease whose end has come is taken over by another holder.
pub async fn expired_lease_is_taken_over((a, b): Leases) {
    let until = T0 + Duration::minutes(5);
    assert!(a.try_acquire("purge", "node-a", T0, until).await.unwrap());
    // The end instant itself is no longer held.
    assert!(
        b.try_acquire("purge", "node-b", until, until + Duration::minutes(5))
            .await
            .unwrap()
    );
    assert!(
        !a.try_acquire("purge", "node-a", until, until + Duration::minutes(5))
            .await
            .unwrap()
    );
    // node-b holds it now: node-a cannot release it, node-b can.
    assert!(!a.release("purge", "node-a").await.unwrap());
    assert!(b.release("purge", "node-b").await.unwrap());
}

/// Release ends only the holder's own lease, after which the job is free at once.
pub async fn release_frees_only_the_holders_lease((a, b): Leases) {
    let until = T0 + Duration::minutes(5);
    assert!(!a.release("purge", "node-a").await.unwrap());
    assert!(a.try_acquire("purge", "node-a", T0, until).await.unwrap());
    assert!(!b.release("purge", "node-b").await.unwrap());
    assert!(!b.try_acquire("purge", "node-b", T0, until).await.unwrap());
    assert!(a.release("purge", "node-a").await.unwrap());
    assert!(b.try_acquire("purge", "node-b", T0, until).await.unwrap());
}

/// Of many concurrent acquisitions from two handles, exactly one wins — on a free job and
/// on an expired lease.
pub async fn concurrent_acquisitions_have_one_winner((a, b): Leases) {
    for round in 0..3_i64 {
        let now = T0 + Duration::minutes(5 * round);
        let until = now + Duration::minutes(5);
        let attempts = (0..8).map(|i| {
            let lease = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move {
                lease
                    .try_acquire("purge", &format!("node-{i}"), now, until)
                    .await
                    .unwrap()
            }
        });
        let won = futures::future::join_all(attempts).await;
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
}

/// Runs every case of the suite against an adapter: one `#[test]` per case.
///
/// `run` drives a future to completion; `make` is an expression giving a fresh
/// [`Leases`] future for each case.
#[macro_export]
macro_rules! lease_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::lease_conformance!(@cases ($run) ($make)
            free_job_is_taken_then_refused,
            expired_lease_is_taken_over,
            release_frees_only_the_holders_lease,
            concurrent_acquisitions_have_one_winner,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let leases: $crate::conformance::lease::Leases = $make.await;
                    $crate::conformance::lease::$case(leases).await
                });
            }
        )*
    };
}

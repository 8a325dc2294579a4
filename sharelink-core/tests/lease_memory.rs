//! The lease conformance suite on the in-memory leases.

use sharelink_core::conformance::lease::Leases;
use sharelink_core::memory::MemoryLease;
use std::sync::Arc;

async fn leases() -> Leases {
    let lease = Arc::new(MemoryLease::new());
    (lease.clone(), lease)
}

sharelink_core::lease_conformance!(run = futures::executor::block_on, make = leases());

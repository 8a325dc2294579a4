//! The digest-store conformance suite on the in-memory store.

use sharelink_core::conformance::digest::Digests;
use sharelink_core::memory::MemoryDigests;
use std::sync::Arc;

async fn digests() -> Digests {
    let store = Arc::new(MemoryDigests::new());
    (store.clone(), store)
}

sharelink_core::digest_conformance!(run = futures::executor::block_on, make = digests());

//! The webhook-store conformance suite on the in-memory store.

use sharelink_core::conformance::webhooks::Stores;
use sharelink_core::memory::MemoryWebhookStore;
use std::sync::Arc;

async fn stores() -> Stores {
    let store = Arc::new(MemoryWebhookStore::new());
    (store.clone(), store)
}

sharelink_core::webhooks_conformance!(run = futures::executor::block_on, make = stores());

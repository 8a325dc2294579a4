//! The site-settings conformance suite on the in-memory store.

use sharelink_core::conformance::site::SiteStores;
use sharelink_core::memory::MemorySiteSettings;
use std::sync::Arc;

async fn stores() -> SiteStores {
    let store = Arc::new(MemorySiteSettings::new());
    (store.clone(), store)
}

sharelink_core::site_conformance!(run = futures::executor::block_on, make = stores());

//! The repository and access-log conformance suites on the in-memory adapters.

use sharelink_core::conformance::repository::Stores;
use sharelink_core::memory::{MemoryAccessLog, MemoryRepository};
use std::sync::Arc;

async fn stores() -> Stores {
    (
        Arc::new(MemoryRepository::new()),
        Arc::new(MemoryAccessLog::new()),
    )
}

sharelink_core::repository_conformance!(run = futures::executor::block_on, make = stores());

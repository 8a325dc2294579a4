//! The file-store conformance suite, run on the in-memory reference store.

use sharelink_core::memory::MemoryFileStore;
use sharelink_core::ports::FileStore;
use std::sync::Arc;

sharelink_core::file_store_conformance!(
    run = futures::executor::block_on,
    make = async { Arc::new(MemoryFileStore::new()) as Arc<dyn FileStore> }
);

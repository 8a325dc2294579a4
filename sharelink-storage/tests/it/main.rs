//! Integration tests of sharelink-storage: the core file-store conformance suite on every
//! backend (local disk, memory, and a real S3-compatible server when
//! `SHARELINK_TEST_S3_ENDPOINT` is set), independent copies on local disk, URL
//! configuration, error mapping, and a file larger than 1 GiB streamed with flat memory.

mod config;
mod conformance;
mod copies;
mod errors;
mod large_file;
mod migrate;

use std::future::Future;

/// Drives a test future on a fresh multi-threaded tokio runtime.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

//! The core conformance suite, once per backend, each case on a fresh, isolated store.

use async_trait::async_trait;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{
    ByteRange, ByteStream, Entry, FileRead, FileStore, FileStoreError, WriteOptions,
};
use sharelink_storage::ObjectFileStore;
use std::sync::Arc;

/// A local store over a temporary folder that is removed with the store.
#[derive(Debug)]
pub(crate) struct TempStore {
    store: ObjectFileStore,
    dir: tempfile::TempDir,
}

impl TempStore {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = ObjectFileStore::local(dir.path()).expect("a local store");
        Self { store, dir }
    }

    /// The folder holding the files.
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

#[async_trait]
impl FileStore for TempStore {
    async fn stat(&self, path: &SharePath) -> Result<Entry, FileStoreError> {
        self.store.stat(path).await
    }
    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        self.store.list(folder).await
    }
    async fn read(
        &self,
        path: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError> {
        self.store.read(path, range).await
    }
    async fn write(
        &self,
        path: &SharePath,
        data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        self.store.write(path, data, options).await
    }
    async fn create_folder(&self, path: &SharePath) -> Result<(), FileStoreError> {
        self.store.create_folder(path).await
    }
    async fn delete(&self, path: &SharePath) -> Result<(), FileStoreError> {
        self.store.delete(path).await
    }
    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.store.rename(from, to).await
    }
    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.store.copy(from, to).await
    }
}

mod local {
    use super::*;

    sharelink_core::file_store_conformance!(
        run = crate::run,
        make = async { Arc::new(TempStore::new()) as Arc<dyn FileStore> }
    );
}

mod memory {
    use super::*;

    sharelink_core::file_store_conformance!(
        run = crate::run,
        make = async {
            Arc::new(ObjectFileStore::from_url("memory://").expect("a memory store"))
                as Arc<dyn FileStore>
        }
    );
}

/// Amazon S3 API on a real server: `SHARELINK_TEST_S3_ENDPOINT` (e.g. moto on
/// `http://127.0.0.1:5000`), `SHARELINK_TEST_S3_BUCKET`, and the usual `AWS_*` variables.
#[cfg(feature = "s3")]
pub(crate) mod s3 {
    use super::*;
    use std::future::Future;
    use std::time::Duration;

    const ENDPOINT: &str = "SHARELINK_TEST_S3_ENDPOINT";
    const BUCKET: &str = "SHARELINK_TEST_S3_BUCKET";

    /// Runs a case when the S3 server is configured; says so and skips it otherwise.
    pub(crate) fn run<F: Future<Output = ()>>(case: F) {
        if std::env::var_os(ENDPOINT).is_none() {
            eprintln!(
                "{ENDPOINT} is not set: S3 case skipped (CI sets it, see .ci/setup.d/20-s3.sh)"
            );
            return;
        }
        crate::run(case)
    }

    /// A store on the configured bucket, below a fresh random prefix. Panics (fails the
    /// test) when the server cannot be reached: a configured server must be up.
    pub(crate) async fn store() -> ObjectFileStore {
        let endpoint = std::env::var(ENDPOINT).expect("SHARELINK_TEST_S3_ENDPOINT");
        let bucket = std::env::var(BUCKET)
            .unwrap_or_else(|_| panic!("{ENDPOINT} is set, so {BUCKET} must be too"));
        let url = url::Url::parse(&endpoint).expect("SHARELINK_TEST_S3_ENDPOINT is a URL");
        let address = url
            .socket_addrs(|| Some(80))
            .expect("the S3 endpoint resolves")
            .into_iter()
            .next()
            .expect("the S3 endpoint has an address");
        if let Err(e) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
            panic!("{ENDPOINT}={endpoint} is set but the server is unreachable: {e}");
        }
        let prefix = format!("it-{:016x}", getrandom::u64().expect("random bytes"));
        let allow_http = url.scheme() == "http";
        ObjectFileStore::from_url_with_options(
            &format!("s3://{bucket}/{prefix}"),
            [
                ("endpoint", endpoint.clone()),
                ("allow_http", allow_http.to_string()),
            ],
        )
        .expect("an S3 store")
    }

    sharelink_core::file_store_conformance!(
        run = run,
        make = async { Arc::new(store().await) as Arc<dyn FileStore> }
    );
}

#[cfg(not(feature = "s3"))]
#[test]
fn s3_suite_needs_the_s3_feature() {
    if std::env::var_os("SHARELINK_TEST_S3_ENDPOINT").is_some() {
        eprintln!(
            "SHARELINK_TEST_S3_ENDPOINT is set but the `s3` feature is off: S3 suite not built"
        );
    }
}

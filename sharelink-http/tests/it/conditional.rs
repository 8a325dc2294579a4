//! Over a real socket: conditional and range requests open the file once (a `304` and a
//! `416` read no byte), a `304` carries the `Cache-Control` of the `200` it stands for,
//! and the boundary of a `multipart/byteranges` answer is random, never derived from the
//! visitor's CSRF token.

use super::{Remote, serve};
use async_trait::async_trait;
use sharelink_core::memory::MemoryFileStore;
use sharelink_core::ports::{
    ByteRange, ByteStream, Entry, FileRead, FileStore, FileStoreError, WriteOptions,
};
use sharelink_core::service::{Config, Sharelink};
use sharelink_core::testing::fixtures::{self, chunks, path, share_request, user};
use sharelink_core::{SharePath, UseLimit, UseUnit};
use sharelink_http::{HttpConfig, SharelinkState};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The memory store, counting the reads it opens.
#[derive(Debug, Default)]
struct CountingStore {
    inner: MemoryFileStore,
    reads: AtomicUsize,
}

#[async_trait]
impl FileStore for CountingStore {
    async fn stat(&self, p: &SharePath) -> Result<Entry, FileStoreError> {
        self.inner.stat(p).await
    }
    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        self.inner.list(folder).await
    }
    async fn read(
        &self,
        p: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(p, range).await
    }
    async fn write(
        &self,
        p: &SharePath,
        data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        self.inner.write(p, data, options).await
    }
    async fn create_folder(&self, p: &SharePath) -> Result<(), FileStoreError> {
        self.inner.create_folder(p).await
    }
    async fn delete(&self, p: &SharePath) -> Result<(), FileStoreError> {
        self.inner.delete(p).await
    }
    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.inner.rename(from, to).await
    }
    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.inner.copy(from, to).await
    }
}

const SIZE: usize = 100_000;

fn data() -> Vec<u8> {
    (0..SIZE).map(|i| (i % 251) as u8).collect()
}

/// A server over a counting store with one counted file, and a visitor inside the share.
async fn setup() -> (Arc<CountingStore>, Remote, String) {
    let base = fixtures::World::new();
    let store = Arc::new(CountingStore::default());
    store
        .write(
            &path("docs/big.bin"),
            chunks(&data(), 16 * 1024),
            WriteOptions {
                overwrite: true,
                max_bytes: None,
            },
        )
        .await
        .unwrap();
    let mut ports = base.mem.ports();
    ports.files = store.clone();
    let app = Sharelink::new(ports, Config::new(fixtures::LINK_BASE)).unwrap();
    let share = app
        .create_share(
            &user("ana"),
            share_request(&["docs/big.bin"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 100,
                    unit: UseUnit::Download,
                });
            }),
        )
        .await
        .unwrap()
        .share;
    let state = SharelinkState::new(
        app,
        Arc::new(super::HeaderAuth),
        HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        },
    );
    let (addr, _server) = serve(sharelink_http::router(state)).await;
    let mut r = Remote::new(addr);
    let key = share.key.to_string();
    let (status, body) = r.open(&key, "").await;
    assert_eq!(status, 200, "{body}");
    (store, r, format!("/s/{key}/dl/big.bin"))
}

/// A confirmed download (the POST of the confirm button) with extra headers.
async fn post(r: &Remote, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let csrf = r.cookies.get("sl_csrf").cloned().unwrap();
    let mut req = r
        .client
        .post(format!("{}{url}", r.base))
        .header("cookie", r.cookies.header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_304_reads_nothing_and_keeps_the_cache_policy_of_the_200() {
    let (store, r, url) = setup().await;
    let full = post(&r, &url, &[]).await;
    assert_eq!(full.status(), 200);
    let tag = header(&full, "etag");
    let modified = header(&full, "last-modified");
    let cache = header(&full, "cache-control");
    assert!(!tag.is_empty() && !cache.is_empty());
    assert_eq!(full.bytes().await.unwrap().len(), SIZE);

    for (name, value) in [("if-none-match", &tag), ("if-modified-since", &modified)] {
        let before = store.reads.load(Ordering::SeqCst);
        let res = post(&r, &url, &[(name, value)]).await;
        assert_eq!(res.status(), 304, "{name}");
        assert_eq!(header(&res, "cache-control"), cache, "{name}");
        assert_eq!(header(&res, "etag"), tag, "{name}");
        assert_eq!(header(&res, "last-modified"), modified, "{name}");
        assert!(res.bytes().await.unwrap().is_empty());
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            before,
            "{name}: no read"
        );
    }
}

#[tokio::test]
async fn ranges_from_the_end_and_stale_if_range_open_the_file_once() {
    let (store, r, url) = setup().await;
    let data = data();

    let before = store.reads.load(Ordering::SeqCst);
    let tail = post(&r, &url, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        header(&tail, "content-range"),
        format!("bytes {}-{}/{SIZE}", SIZE - 10, SIZE - 1)
    );
    assert_eq!(tail.bytes().await.unwrap(), &data[SIZE - 10..]);
    assert_eq!(store.reads.load(Ordering::SeqCst), before + 1);

    let before = store.reads.load(Ordering::SeqCst);
    let stale = post(
        &r,
        &url,
        &[("range", "bytes=10-19"), ("if-range", "\"an-old-version\"")],
    )
    .await;
    assert_eq!(stale.status(), 200, "a stale If-Range gets the whole file");
    assert_eq!(stale.bytes().await.unwrap().len(), SIZE);
    assert_eq!(store.reads.load(Ordering::SeqCst), before + 1);

    let before = store.reads.load(Ordering::SeqCst);
    let past = post(&r, &url, &[("range", "bytes=999999-")]).await;
    assert_eq!(past.status(), 416);
    assert_eq!(header(&past, "content-range"), format!("bytes */{SIZE}"));
    assert_eq!(
        store.reads.load(Ordering::SeqCst),
        before,
        "a 416 reads nothing"
    );
}

#[tokio::test]
async fn the_byteranges_boundary_is_random_and_not_the_csrf_token() {
    let (_store, r, url) = setup().await;
    let data = data();
    let csrf = r.cookies.get("sl_csrf").cloned().unwrap();
    let mut boundaries = Vec::new();
    for _ in 0..2 {
        let res = post(&r, &url, &[("range", "bytes=0-1,500-509")]).await;
        assert_eq!(res.status(), 206);
        let kind = header(&res, "content-type");
        let boundary = kind
            .strip_prefix("multipart/byteranges; boundary=")
            .unwrap_or_else(|| panic!("{kind}"))
            .to_owned();
        for n in 6..=csrf.len().min(16) {
            assert!(
                !boundary.contains(&csrf[..n]) && !boundary.contains(&csrf[csrf.len() - n..]),
                "the boundary {boundary} shows part of the CSRF token"
            );
        }
        let body = res.bytes().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(&format!("--{boundary}\r\n")));
        assert!(text.contains("Content-Range: bytes 500-509/100000"));
        assert!(body.windows(10).any(|w| w == &data[500..510]));
        boundaries.push(boundary);
    }
    assert_ne!(boundaries[0], boundaries[1], "a new boundary per answer");
}

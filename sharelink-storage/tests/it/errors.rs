//! Typed errors: refused paths, backend-reserved names, unreachable servers, and uploads
//! that never finish.

use crate::conformance::TempStore;
use crate::run;
use bytes::Bytes;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{ByteStream, FileStore, FileStoreError, WriteOptions};
use sharelink_storage::{FOLDER_MARKER, ObjectFileStore};
use std::time::Duration;

fn p(text: &str) -> SharePath {
    SharePath::parse(text).expect("a valid test path")
}

fn body(data: &'static [u8]) -> ByteStream {
    Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(
        Bytes::from_static(data),
    )]))
}

#[test]
fn folder_marker_names_are_invalid_paths() {
    run(async {
        let store = ObjectFileStore::memory();
        let marker = p(&format!("docs/{FOLDER_MARKER}"));
        let err = store
            .write(&marker, body(b"x"), WriteOptions::default())
            .await;
        assert!(
            matches!(err, Err(FileStoreError::InvalidPath { .. })),
            "{err:?}"
        );
        let err = store.stat(&marker).await;
        assert!(
            matches!(err, Err(FileStoreError::InvalidPath { .. })),
            "{err:?}"
        );
        let err = store.create_folder(&p(&format!("{FOLDER_MARKER}/x"))).await;
        assert!(
            matches!(err, Err(FileStoreError::InvalidPath { .. })),
            "{err:?}"
        );
    });
}

#[test]
fn local_staging_names_are_invalid_paths() {
    run(async {
        let store = TempStore::new();
        let err = store
            .write(&p("track#1"), body(b"x"), WriteOptions::default())
            .await;
        assert!(
            matches!(err, Err(FileStoreError::InvalidPath { .. })),
            "{err:?}"
        );
        // Only a `#` followed by nothing but digits is reserved.
        store
            .write(&p("track #1.mp3"), body(b"x"), WriteOptions::default())
            .await
            .expect("an ordinary name with #");
        // Folders may have such names: only files are staged.
        store.create_folder(&p("week #3")).await.expect("folder");
        store
            .write(&p("week #3/notes.txt"), body(b"n"), WriteOptions::default())
            .await
            .expect("a file in it");
        let entry = store.stat(&p("week #3")).await.expect("stat");
        assert_eq!(entry.kind, sharelink_core::ports::EntryKind::Folder);
        assert_eq!(store.list(&p("week #3")).await.expect("list").len(), 1);
        let err = store.copy(&p("week #3/notes.txt"), &p("notes#2")).await;
        assert!(
            matches!(err, Err(FileStoreError::InvalidPath { .. })),
            "{err:?}"
        );
    });
}

/// A stream that yields `first` and then never ends, like a stalled client.
fn stalled_after(first: Vec<u8>) -> ByteStream {
    let first = futures::stream::iter([Ok::<_, FileStoreError>(Bytes::from(first))]);
    Box::pin(futures::StreamExt::chain(first, futures::stream::pending()))
}

#[test]
fn a_dropped_upload_leaves_nothing_on_disk() {
    run(async {
        let store = TempStore::new();
        // More than one part, so a multipart upload is in progress when it is dropped.
        let path = p("inbox/big.bin");
        let write = store.write(
            &path,
            stalled_after(vec![7; 5 * 1024 * 1024]),
            WriteOptions::default(),
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(500), write)
                .await
                .is_err()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(store.stat(&p("inbox/big.bin")).await.is_err());
        let leftovers: Vec<_> = walk(store.dir());
        assert!(leftovers.is_empty(), "left on disk: {leftovers:?}");
    });
}

pub(crate) fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[cfg(feature = "s3")]
#[test]
fn an_unreachable_server_is_a_typed_error() {
    use object_store::aws::AmazonS3Builder;
    use sharelink_storage::object_store;
    use std::sync::Arc;

    run(async {
        // Nothing listens on port 9 of loopback; no retries, so this is quick.
        let s3 = AmazonS3Builder::new()
            .with_bucket_name("bucket")
            .with_region("us-east-1")
            .with_endpoint("http://127.0.0.1:9")
            .with_allow_http(true)
            .with_access_key_id("key")
            .with_secret_access_key("secret")
            .with_retry(object_store::RetryConfig {
                max_retries: 0,
                ..Default::default()
            })
            .build()
            .expect("an S3 client");
        let store = ObjectFileStore::new(Arc::new(s3), "prefix").expect("store");
        let err = store.stat(&p("a.txt")).await;
        assert!(
            matches!(err, Err(FileStoreError::Unreachable { .. })),
            "{err:?}"
        );
        let err = store
            .write(&p("a.txt"), body(b"x"), WriteOptions::default())
            .await;
        assert!(
            matches!(err, Err(FileStoreError::Unreachable { .. })),
            "{err:?}"
        );
    });
}

#[cfg(feature = "s3")]
#[test]
fn a_configured_s3_server_is_reachable() {
    crate::conformance::s3::run(async {
        let store = crate::conformance::s3::store().await;
        let listed = store.list(&SharePath::root()).await;
        assert!(matches!(listed, Ok(ref l) if l.is_empty()), "{listed:?}");
    });
}

/// The local backend's one-call read agrees with `stat` (etag, size, time) and with the
/// general path's answers for ranges, folders and missing files.
#[test]
fn local_fast_read_agrees_with_stat() {
    run(async {
        use futures::TryStreamExt;
        use sharelink_core::ports::file_store::{ByteRange, EntryKind};
        let temp = TempStore::new();
        let store = ObjectFileStore::local(temp.dir()).expect("a local store");
        let small = b"0123456789".repeat(400);
        std::fs::create_dir_all(temp.dir().join("docs")).expect("a folder");
        std::fs::write(temp.dir().join("docs/small.bin"), &small).expect("a file");
        let large: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(temp.dir().join("docs/large.bin"), &large).expect("a file");
        for (name, data) in [
            ("docs/small.bin", &small[..]),
            ("docs/large.bin", &large[..]),
        ] {
            let stat = store.stat(&p(name)).await.expect("stat");
            let read = store.read(&p(name), None).await.expect("read");
            assert_eq!(read.entry, stat, "{name}");
            assert_eq!(read.entry.kind, EntryKind::File);
            let bytes: Vec<Bytes> = read.stream.try_collect().await.expect("the bytes");
            assert_eq!(bytes.concat(), data, "{name}");
            let range = ByteRange {
                start: 5,
                end: data.len() as u64 - 3,
            };
            let read = store
                .read(&p(name), Some(range))
                .await
                .expect("ranged read");
            assert_eq!(read.range, range);
            let bytes: Vec<Bytes> = read.stream.try_collect().await.expect("the bytes");
            assert_eq!(bytes.concat(), &data[5..data.len() - 3], "{name}");
        }
        let beyond = ByteRange {
            start: 10_000,
            end: 10_001,
        };
        assert!(
            store
                .read(&p("docs/small.bin"), Some(beyond))
                .await
                .is_err()
        );
        assert!(matches!(
            store.read(&p("docs"), None).await,
            Err(FileStoreError::WrongKind { .. })
        ));
        assert!(matches!(
            store.read(&p("docs/none.bin"), None).await,
            Err(FileStoreError::NotFound { .. })
        ));
    });
}

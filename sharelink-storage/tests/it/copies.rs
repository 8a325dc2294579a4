//! Copies on local disk are independent files: another program rewriting the original in
//! place (as an editor or `cp` over it does, keeping the same inode) leaves every copy,
//! and so every snapshot share, with the old bytes.

use crate::conformance::TempStore;
use crate::errors::walk;
use crate::run;
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{ByteStream, FileStore, FileStoreError, WriteOptions};

fn p(text: &str) -> SharePath {
    SharePath::parse(text).expect("a valid test path")
}

fn body(data: Vec<u8>) -> ByteStream {
    Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(
        Bytes::from(data),
    )]))
}

async fn put(store: &TempStore, path: &str, data: &[u8]) {
    store
        .write(&p(path), body(data.to_vec()), WriteOptions::default())
        .await
        .expect("a write");
}

async fn content(store: &TempStore, path: &str) -> Vec<u8> {
    let mut read = store.read(&p(path), None).await.expect("a read");
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk.expect("a chunk"));
    }
    out
}

/// Rewrites a file in place: same inode, new bytes (`O_TRUNC`, as most programs save).
fn rewrite_in_place(store: &TempStore, path: &str, data: &[u8]) {
    let file = store.dir().join(path);
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).expect("meta"));
    std::fs::write(&file, data).expect("an in-place rewrite");
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).expect("meta")),
        inode,
        "the rewrite must keep the inode, as an in-place edit does"
    );
}

#[test]
fn a_copied_file_keeps_its_bytes_when_the_original_is_rewritten_in_place() {
    run(async {
        let store = TempStore::new();
        put(&store, "docs/invoice.pdf", b"%PDF original").await;
        store
            .copy(
                &p("docs/invoice.pdf"),
                &p(".sharelink/snapshots/s1/invoice.pdf"),
            )
            .await
            .expect("a copy");
        rewrite_in_place(
            &store,
            "docs/invoice.pdf",
            b"%PDF rewritten by another program",
        );
        assert_eq!(
            content(&store, "docs/invoice.pdf").await,
            b"%PDF rewritten by another program"
        );
        assert_eq!(
            content(&store, ".sharelink/snapshots/s1/invoice.pdf").await,
            b"%PDF original"
        );
        // And the other way round: the copy rewritten leaves the original alone.
        rewrite_in_place(
            &store,
            ".sharelink/snapshots/s1/invoice.pdf",
            b"changed copy",
        );
        assert_eq!(
            content(&store, "docs/invoice.pdf").await,
            b"%PDF rewritten by another program"
        );
    });
}

#[test]
fn a_copied_folder_keeps_its_bytes_when_files_are_rewritten_in_place() {
    run(async {
        let store = TempStore::new();
        put(&store, "projects/alpha/plan.txt", b"plan v1").await;
        put(&store, "projects/alpha/img/logo.png", b"logo v1").await;
        store
            .copy(&p("projects/alpha"), &p("snap/alpha"))
            .await
            .expect("a folder copy");
        rewrite_in_place(&store, "projects/alpha/plan.txt", b"plan v2");
        rewrite_in_place(&store, "projects/alpha/img/logo.png", b"logo v2");
        assert_eq!(content(&store, "snap/alpha/plan.txt").await, b"plan v1");
        assert_eq!(content(&store, "snap/alpha/img/logo.png").await, b"logo v1");
    });
}

#[test]
fn a_large_copy_is_whole_and_leaves_no_staging_file() {
    run(async {
        let store = TempStore::new();
        // Several MiB of non-repeating bytes, larger than one upload part.
        let data: Vec<u8> = (0..6 * 1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        put(&store, "big.bin", &data).await;
        store
            .copy(&p("big.bin"), &p("copies/big.bin"))
            .await
            .expect("a copy");
        assert!(content(&store, "copies/big.bin").await == data);
        // A refused copy changes nothing and leaves nothing behind either.
        put(&store, "other.bin", b"other").await;
        let err = store.copy(&p("big.bin"), &p("other.bin")).await;
        assert!(
            matches!(err, Err(FileStoreError::AlreadyExists { .. })),
            "{err:?}"
        );
        assert_eq!(content(&store, "other.bin").await, b"other");
        let mut files: Vec<String> = walk(store.dir())
            .iter()
            .filter_map(|f| f.strip_prefix(store.dir()).ok())
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["big.bin", "copies/big.bin", "other.bin"]);
    });
}

//! Moving a store: every object arrives with the same bytes (snapshot copies and empty
//! folders included), a rerun skips what is there, a crash mid-copy leaves nothing half
//! written and a rerun resumes, and the final check catches a changed object.

use crate::run;
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{
    ByteStream, EntryKind, FileStore, FileStoreError, WriteOptions,
};
use sharelink_storage::ObjectFileStore;
use sharelink_storage::migrate::{self, Difference, MigrateError, MigrateOptions};

fn p(text: &str) -> SharePath {
    SharePath::parse(text).expect("a valid test path")
}

fn body(data: Vec<u8>) -> ByteStream {
    // Several chunks, so large bodies take the multipart path.
    let chunks: Vec<Result<Bytes, FileStoreError>> = data
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

async fn put(store: &ObjectFileStore, path: &str, data: &[u8]) {
    store
        .write(&p(path), body(data.to_vec()), WriteOptions::default())
        .await
        .expect("a write");
}

async fn content(store: &ObjectFileStore, path: &str) -> Vec<u8> {
    let mut read = store.read(&p(path), None).await.expect("a read");
    let mut out = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        out.extend_from_slice(&chunk.expect("a chunk"));
    }
    out
}

/// A megabyte and a half of bytes that differ from one run of the pattern to the next.
fn large() -> Vec<u8> {
    (0..1_500_000u32).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Files of every kind a sharelink store holds: shared files, a large one, a snapshot
/// copy, an inbox upload, a folder made empty with `create_folder`, and (on local disk)
/// an empty directory made by another program.
const FILES: &[(&str, &[u8])] = &[
    ("docs/reports/a.txt", b"alpha"),
    ("docs/plan.pdf", b"%PDF plan"),
    ("docs/inbox/upload.bin", b"uploaded by a visitor"),
    (".sharelink/snapshots/s1/a.txt", b"alpha as it was"),
    ("empty.txt", b""),
];

async fn fill(store: &ObjectFileStore) {
    for (path, data) in FILES {
        put(store, path, data).await;
    }
    put(store, "media/big.bin", &large()).await;
    store
        .create_folder(&p("docs/drop"))
        .await
        .expect("create_folder");
}

async fn assert_same_content(store: &ObjectFileStore) {
    for (path, data) in FILES {
        assert_eq!(content(store, path).await, data.to_vec(), "{path}");
    }
    assert_eq!(content(store, "media/big.bin").await, large());
    for folder in ["docs/drop", "outside/empty"] {
        let entry = store.stat(&p(folder)).await;
        assert!(
            matches!(&entry, Ok(e) if e.kind == EntryKind::Folder),
            "{folder}: {entry:?}"
        );
        assert!(store.list(&p(folder)).await.expect("list").is_empty());
    }
}

fn local() -> (ObjectFileStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = ObjectFileStore::local(dir.path())
        .expect("a local store")
        .with_part_size(256 * 1024);
    (store, dir)
}

/// A local store with the data set, plus an empty directory no object stands for.
async fn source() -> (ObjectFileStore, tempfile::TempDir) {
    let (store, dir) = local();
    fill(&store).await;
    std::fs::create_dir_all(dir.path().join("outside/empty")).expect("mkdir");
    (store, dir)
}

/// Moves `from` to `to` with a crash after two copies, resumes, and checks the result.
async fn move_with_a_crash(from: &ObjectFileStore, to: &ObjectFileStore) {
    let crash = MigrateOptions::default().with_concurrency(1).fail_after(2);
    let err = migrate::migrate(from, to, &crash)
        .await
        .expect_err("the injected fault");
    assert!(
        matches!(err, MigrateError::Interrupted { started: 2 }),
        "{err}"
    );
    // Nothing half written: what is at the target is whole, the rest is missing.
    match migrate::verify(from, to, &MigrateOptions::default()).await {
        Err(MigrateError::Differs { differences }) => {
            assert!(!differences.is_empty());
            for (key, difference) in &differences {
                assert_eq!(difference, &Difference::Missing, "{key}");
            }
        }
        other => panic!("expected missing objects, got {other:?}"),
    }
    let report = migrate::migrate(from, to, &MigrateOptions::default())
        .await
        .expect("the resumed move");
    assert_eq!(report.skipped, 2, "{report:?}");
    assert!(report.verified.extra.is_empty(), "{report:?}");
    assert_same_content(to).await;
}

#[test]
fn a_local_store_moves_to_memory_whole_and_a_rerun_copies_nothing() {
    run(async {
        let (from, _dir) = source().await;
        let to = ObjectFileStore::memory().with_part_size(256 * 1024);
        let report = migrate::migrate(&from, &to, &MigrateOptions::default())
            .await
            .expect("the move");
        // Five small files, the large one and the docs/drop marker; one made-up marker.
        assert_eq!(report.copied, 7, "{report:?}");
        assert_eq!(report.folders, 1, "{report:?}");
        assert_eq!(report.skipped, 0);
        assert_eq!(report.verified.objects, 8);
        assert_same_content(&to).await;

        let again = migrate::migrate(&from, &to, &MigrateOptions::default())
            .await
            .expect("the rerun");
        assert_eq!((again.copied, again.folders, again.skipped), (0, 0, 8));
        assert_eq!(again.skipped_bytes, report.copied_bytes);
    });
}

#[test]
fn a_crash_mid_copy_leaves_nothing_half_written_and_a_rerun_resumes() {
    run(async {
        let (from, _dir) = source().await;
        let (to, _to_dir) = local();
        move_with_a_crash(&from, &to).await;
    });
}

#[test]
fn the_final_check_finds_an_object_changed_at_the_target_and_a_rerun_repairs_it() {
    run(async {
        let (from, _dir) = source().await;
        let to = ObjectFileStore::memory();
        migrate::migrate(&from, &to, &MigrateOptions::default())
            .await
            .expect("the move");
        to.write(
            &p("docs/reports/a.txt"),
            body(b"ALPHA".to_vec()),
            WriteOptions {
                overwrite: true,
                ..WriteOptions::default()
            },
        )
        .await
        .expect("an overwrite");
        to.delete(&p("docs/plan.pdf")).await.expect("a delete");
        match migrate::verify(&from, &to, &MigrateOptions::default()).await {
            Err(MigrateError::Differs { differences }) => assert_eq!(
                differences,
                vec![
                    ("docs/plan.pdf".to_owned(), Difference::Missing),
                    ("docs/reports/a.txt".to_owned(), Difference::Checksum),
                ]
            ),
            other => panic!("expected two differences, got {other:?}"),
        }
        let repaired = migrate::migrate(&from, &to, &MigrateOptions::default())
            .await
            .expect("the repair");
        assert_eq!(repaired.copied, 2, "{repaired:?}");
        assert_same_content(&to).await;
    });
}

#[test]
fn objects_the_target_had_before_are_kept_and_reported() {
    run(async {
        let (from, _dir) = source().await;
        let to = ObjectFileStore::memory();
        put(&to, "older/file.txt", b"kept").await;
        let report = migrate::migrate(&from, &to, &MigrateOptions::default())
            .await
            .expect("the move");
        assert_eq!(report.verified.extra, vec!["older/file.txt".to_owned()]);
        assert_eq!(content(&to, "older/file.txt").await, b"kept");
    });
}

/// Local → S3 with a crash, then S3 → a fresh local folder with a crash: the round trip
/// gives back every object.
#[cfg(feature = "s3")]
#[test]
fn local_to_s3_and_back_survives_crashes() {
    crate::conformance::s3::run(async {
        let (from, _dir) = source().await;
        let s3 = crate::conformance::s3::store().await;
        move_with_a_crash(&from, &s3).await;
        let (back, back_dir) = local();
        move_with_a_crash(&s3, &back).await;
        // Nothing lost or added on the way: the round trip equals the start (the empty
        // directory came back as a folder with a marker, the object it stands for).
        let check = migrate::verify(&from, &back, &MigrateOptions::default())
            .await
            .expect("the round trip is equal");
        assert!(check.extra.is_empty(), "{check:?}");
        assert!(
            back_dir
                .path()
                .join("outside/empty/.sharelink-folder")
                .is_file()
        );
    });
}

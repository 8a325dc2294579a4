//! Conformance suite of the file-store port: one async case per contract bullet of
//! [`FileStore`], and [`file_store_conformance!`](crate::file_store_conformance) to run
//! them all as tests against an adapter.
//!
//! Every case takes a fresh, empty store and panics (with `assert!`) when the adapter
//! breaks the contract.
//!
//! ```
//! use sharelink_core::memory::MemoryFileStore;
//! use sharelink_core::ports::FileStore;
//! use std::sync::Arc;
//!
//! let store: Arc<dyn FileStore> = Arc::new(MemoryFileStore::new());
//! futures::executor::block_on(sharelink_core::conformance::file_store::read_range(store));
//! ```

use crate::SharePath;
use crate::ports::BoxError;
use crate::ports::file_store::{
    ByteRange, ByteStream, Entry, EntryKind, FileStore, FileStoreError, WriteOptions,
};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream;
use std::sync::Arc;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------
// Helpers

fn p(text: &str) -> SharePath {
    match SharePath::parse(text) {
        Ok(path) => path,
        Err(e) => panic!("test path {text:?} is invalid: {e}"),
    }
}

/// A stream yielding `chunks` in order.
fn chunks(chunks: Vec<Vec<u8>>) -> ByteStream {
    Box::pin(stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<_, FileStoreError>(Bytes::from(c))),
    ))
}

/// A stream yielding `data` then failing, like a client that goes away mid-upload.
fn failing_after(data: Vec<u8>) -> ByteStream {
    let failure = FileStoreError::Aborted {
        source: BoxError::from("the client went away"),
    };
    Box::pin(stream::iter(vec![Ok(Bytes::from(data)), Err(failure)]))
}

const CREATE: WriteOptions = WriteOptions {
    overwrite: false,
    max_bytes: None,
};
const OVERWRITE: WriteOptions = WriteOptions {
    overwrite: true,
    max_bytes: None,
};

async fn put(store: &Arc<dyn FileStore>, path: &str, data: &[u8]) -> Entry {
    match store
        .write(&p(path), chunks(vec![data.to_vec()]), OVERWRITE)
        .await
    {
        Ok(entry) => entry,
        Err(e) => panic!("writing {path:?} failed: {e}"),
    }
}

async fn folder(store: &Arc<dyn FileStore>, path: &str) {
    if let Err(e) = store.create_folder(&p(path)).await {
        panic!("creating folder {path:?} failed: {e}");
    }
}

async fn try_read(
    store: &Arc<dyn FileStore>,
    path: &str,
    range: Option<ByteRange>,
) -> Result<(ByteRange, Vec<u8>), FileStoreError> {
    let read = store.read(&p(path), range).await?;
    let range = read.range;
    let mut stream = read.stream;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok((range, out))
}

async fn content(store: &Arc<dyn FileStore>, path: &str) -> Vec<u8> {
    match try_read(store, path, None).await {
        Ok((_, bytes)) => bytes,
        Err(e) => panic!("reading {path:?} failed: {e}"),
    }
}

async fn stat(store: &Arc<dyn FileStore>, path: &str) -> Entry {
    match store.stat(&p(path)).await {
        Ok(entry) => entry,
        Err(e) => panic!("stat of {path:?} failed: {e}"),
    }
}

async fn kind(store: &Arc<dyn FileStore>, path: &str) -> Option<EntryKind> {
    match store.stat(&p(path)).await {
        Ok(entry) => Some(entry.kind),
        Err(FileStoreError::NotFound { .. }) => None,
        Err(e) => panic!("stat of {path:?} failed: {e}"),
    }
}

/// `(name, kind, size)` of each child of `folder`, in the order listed.
async fn names(store: &Arc<dyn FileStore>, folder: &str) -> Vec<(String, EntryKind, u64)> {
    let entries = match store.list(&p(folder)).await {
        Ok(entries) => entries,
        Err(e) => panic!("listing {folder:?} failed: {e}"),
    };
    entries
        .into_iter()
        .map(|e| {
            let name = e.path.file_name().unwrap_or_default().to_owned();
            (name, e.kind, e.size)
        })
        .collect()
}

fn file(name: &str, size: u64) -> (String, EntryKind, u64) {
    (name.to_owned(), EntryKind::File, size)
}

fn dir(name: &str) -> (String, EntryKind, u64) {
    (name.to_owned(), EntryKind::Folder, 0)
}

fn range(start: u64, end: u64) -> Option<ByteRange> {
    Some(ByteRange { start, end })
}

/// 64-bit FNV-1a, to compare large bodies without keeping them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checksum(u64);

impl Checksum {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Deterministic, non-repeating-looking test bytes: chunk `i` of `len` bytes.
fn pattern(i: usize, len: usize) -> Vec<u8> {
    let mut state = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// stat

/// The root is always a folder, even in an empty store.
pub async fn stat_root_is_folder(store: Arc<dyn FileStore>) {
    let root = stat(&store, "").await;
    assert_eq!(root.kind, EntryKind::Folder);
    assert!(root.path.is_root());
}

/// `stat` of a missing path is `NotFound`.
pub async fn stat_missing_is_not_found(store: Arc<dyn FileStore>) {
    let err = store.stat(&p("nope.txt")).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { ref path }) if path == &p("nope.txt")),
        "{err:?}"
    );
    put(&store, "a/b.txt", b"x").await;
    assert!(matches!(
        store.stat(&p("a/c.txt")).await,
        Err(FileStoreError::NotFound { .. })
    ));
}

/// `stat` of a file gives its kind, size, modification time and an etag.
pub async fn stat_file(store: Arc<dyn FileStore>) {
    put(&store, "report.pdf", b"hello world").await;
    let entry = stat(&store, "report.pdf").await;
    assert_eq!(entry.path, p("report.pdf"));
    assert_eq!(entry.kind, EntryKind::File);
    assert_eq!(entry.size, 11);
    assert!(entry.etag.is_some(), "a file has an etag");
    let year_2020 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(365 * 50);
    assert!(entry.modified > year_2020, "modified: {}", entry.modified);
}

/// `stat` of an explicitly created folder gives a folder of size 0 without etag.
pub async fn stat_created_folder(store: Arc<dyn FileStore>) {
    folder(&store, "docs").await;
    let entry = stat(&store, "docs").await;
    assert_eq!(entry.path, p("docs"));
    assert_eq!(entry.kind, EntryKind::Folder);
    assert_eq!(entry.size, 0);
    assert_eq!(entry.etag, None);
}

/// A file implies every folder above it.
pub async fn implied_folder(store: Arc<dyn FileStore>) {
    put(&store, "a/b/c.txt", b"abc").await;
    assert_eq!(kind(&store, "a").await, Some(EntryKind::Folder));
    assert_eq!(kind(&store, "a/b").await, Some(EntryKind::Folder));
    assert_eq!(kind(&store, "a/b/c.txt").await, Some(EntryKind::File));
    assert_eq!(stat(&store, "a/b").await.size, 0);
}

/// Paths are matched segment-wise: `a` is neither `ab` nor `a.txt`.
pub async fn stat_is_segment_wise(store: Arc<dyn FileStore>) {
    put(&store, "ab/x.txt", b"x").await;
    put(&store, "a.txt", b"y").await;
    assert_eq!(kind(&store, "a").await, None);
    assert_eq!(kind(&store, "ab").await, Some(EntryKind::Folder));
}

/// The etag changes when the content changes.
pub async fn etag_changes_on_overwrite(store: Arc<dyn FileStore>) {
    let first = put(&store, "f.txt", b"one").await;
    let again = stat(&store, "f.txt").await;
    assert_eq!(
        first.etag, again.etag,
        "stat returns the etag that write returned"
    );
    let second = put(&store, "f.txt", b"two!").await;
    assert_ne!(first.etag, second.etag);
    assert_eq!(stat(&store, "f.txt").await.etag, second.etag);
}

// ---------------------------------------------------------------------------------------
// list

/// A fresh store's root lists empty.
pub async fn list_root_empty(store: Arc<dyn FileStore>) {
    assert_eq!(names(&store, "").await, vec![]);
}

/// `list` returns direct children only, files and folders, each once, sorted by name.
pub async fn list_one_level_sorted(store: Arc<dyn FileStore>) {
    put(&store, "top/b.txt", b"bb").await;
    put(&store, "top/a.txt", b"a").await;
    put(&store, "top/c/deep/x.txt", b"xxx").await;
    put(&store, "top/c/y.txt", b"y").await;
    folder(&store, "top/d").await;
    put(&store, "top/d/z.txt", b"z").await;
    folder(&store, "top/e").await;
    put(&store, "other.txt", b"o").await;
    assert_eq!(
        names(&store, "top").await,
        vec![
            file("a.txt", 1),
            file("b.txt", 2),
            dir("c"),
            dir("d"),
            dir("e"),
        ]
    );
    assert_eq!(
        names(&store, "").await,
        vec![file("other.txt", 1), dir("top")]
    );
    assert_eq!(
        names(&store, "top/c").await,
        vec![dir("deep"), file("y.txt", 1)]
    );
}

/// Listed entries carry their full path, and files their size, time and etag.
pub async fn list_entries_have_full_paths(store: Arc<dyn FileStore>) {
    let written = put(&store, "a/b/c.txt", b"abc").await;
    folder(&store, "a/b/d").await;
    let entries = match store.list(&p("a/b")).await {
        Ok(entries) => entries,
        Err(e) => panic!("list failed: {e}"),
    };
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].path, p("a/b/c.txt"));
    assert_eq!(entries[0].size, 3);
    assert_eq!(entries[0].etag, written.etag);
    assert_eq!(entries[1].path, p("a/b/d"));
    assert_eq!(entries[1].kind, EntryKind::Folder);
}

/// Listing a folder is segment-wise: siblings sharing a name prefix stay out.
pub async fn list_is_segment_wise(store: Arc<dyn FileStore>) {
    put(&store, "a/in.txt", b"1").await;
    put(&store, "ab/out.txt", b"2").await;
    put(&store, "a b/out.txt", b"3").await;
    put(&store, "a.txt", b"4").await;
    assert_eq!(names(&store, "a").await, vec![file("in.txt", 1)]);
}

/// Listing a missing folder is `NotFound`.
pub async fn list_missing(store: Arc<dyn FileStore>) {
    let err = store.list(&p("missing")).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { .. })),
        "{err:?}"
    );
}

/// Listing a file is `WrongKind`.
pub async fn list_file_is_wrong_kind(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"x").await;
    let err = store.list(&p("f.txt")).await;
    assert!(
        matches!(
            err,
            Err(FileStoreError::WrongKind {
                expected: EntryKind::Folder,
                ..
            })
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// read

/// `read` without a range streams the whole file and reports the full range.
pub async fn read_whole(store: Arc<dyn FileStore>) {
    let data = pattern(1, 200_000);
    put(&store, "big.bin", &data).await;
    let read = match store.read(&p("big.bin"), None).await {
        Ok(read) => read,
        Err(e) => panic!("read failed: {e}"),
    };
    assert_eq!(read.entry.size, 200_000);
    assert_eq!(read.entry.kind, EntryKind::File);
    assert_eq!(
        read.range,
        ByteRange {
            start: 0,
            end: 200_000
        }
    );
    assert_eq!(content(&store, "big.bin").await, data);
}

/// A range yields exactly its bytes.
pub async fn read_range(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"0123456789").await;
    let (served, bytes) = match try_read(&store, "f.txt", range(2, 5)).await {
        Ok(r) => r,
        Err(e) => panic!("read failed: {e}"),
    };
    assert_eq!(served, ByteRange { start: 2, end: 5 });
    assert_eq!(bytes, b"234");
    let (_, last) = match try_read(&store, "f.txt", range(9, 10)).await {
        Ok(r) => r,
        Err(e) => panic!("read failed: {e}"),
    };
    assert_eq!(last, b"9");
}

/// A range running past the end is clipped to the file size.
pub async fn read_range_clipped(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"0123456789").await;
    let (served, bytes) = match try_read(&store, "f.txt", range(7, 1000)).await {
        Ok(r) => r,
        Err(e) => panic!("read failed: {e}"),
    };
    assert_eq!(served, ByteRange { start: 7, end: 10 });
    assert_eq!(bytes, b"789");
}

/// A range starting at or past the end of a non-empty file is `RangeNotSatisfiable`.
pub async fn read_range_past_end(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"0123456789").await;
    for start in [10, 11, 5000] {
        let err = try_read(&store, "f.txt", range(start, start + 5)).await;
        assert!(
            matches!(err, Err(FileStoreError::RangeNotSatisfiable { size: 10 })),
            "start {start}: {err:?}"
        );
    }
}

/// An empty file reads as empty, with or without a range.
pub async fn read_empty_file(store: Arc<dyn FileStore>) {
    put(&store, "empty.txt", b"").await;
    assert_eq!(stat(&store, "empty.txt").await.size, 0);
    assert_eq!(content(&store, "empty.txt").await, b"");
    let ranged = try_read(&store, "empty.txt", range(0, 10)).await;
    assert!(
        matches!(ranged, Ok((_, ref b)) if b.is_empty()),
        "{ranged:?}"
    );
}

/// Reading a missing file is `NotFound`.
pub async fn read_missing(store: Arc<dyn FileStore>) {
    let err = store.read(&p("nope.txt"), None).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { .. })),
        "{err:?}"
    );
}

/// Reading a folder is `WrongKind`.
pub async fn read_folder_wrong_kind(store: Arc<dyn FileStore>) {
    folder(&store, "docs").await;
    put(&store, "implied/f.txt", b"x").await;
    for path in ["docs", "implied"] {
        let err = store.read(&p(path), None).await;
        assert!(
            matches!(
                err,
                Err(FileStoreError::WrongKind {
                    expected: EntryKind::File,
                    ..
                })
            ),
            "{path}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// write

/// `write` returns the new file's entry, and the chunks are joined in order.
pub async fn write_returns_entry(store: Arc<dyn FileStore>) {
    let body = chunks(vec![b"hello ".to_vec(), Vec::new(), b"world".to_vec()]);
    let entry = match store.write(&p("hello.txt"), body, CREATE).await {
        Ok(entry) => entry,
        Err(e) => panic!("write failed: {e}"),
    };
    assert_eq!(entry.path, p("hello.txt"));
    assert_eq!(entry.kind, EntryKind::File);
    assert_eq!(entry.size, 11);
    assert!(entry.etag.is_some());
    assert_eq!(content(&store, "hello.txt").await, b"hello world");
}

/// Without `overwrite`, an existing file gives `AlreadyExists` and stays unchanged.
pub async fn write_create_only(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"original").await;
    let err = store
        .write(&p("f.txt"), chunks(vec![b"new".to_vec()]), CREATE)
        .await;
    assert!(
        matches!(err, Err(FileStoreError::AlreadyExists { ref path }) if path == &p("f.txt")),
        "{err:?}"
    );
    assert_eq!(content(&store, "f.txt").await, b"original");
}

/// Of two concurrent create-only writes to one path, at most one succeeds.
pub async fn write_create_only_race(store: Arc<dyn FileStore>) {
    let path = p("race.txt");
    let first = store.write(&path, chunks(vec![b"first".to_vec()]), CREATE);
    let second = store.write(&path, chunks(vec![b"second".to_vec()]), CREATE);
    let (a, b) = futures::join!(first, second);
    let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{a:?} / {b:?}");
    let loser = if a.is_ok() { &b } else { &a };
    assert!(
        matches!(loser, Err(FileStoreError::AlreadyExists { .. })),
        "{loser:?}"
    );
    let winner = if a.is_ok() {
        &b"first"[..]
    } else {
        &b"second"[..]
    };
    assert_eq!(content(&store, "race.txt").await, winner);
}

/// With `overwrite`, an existing file is replaced.
pub async fn write_overwrite(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"a long original text").await;
    let entry = put(&store, "f.txt", b"short").await;
    assert_eq!(entry.size, 5);
    assert_eq!(content(&store, "f.txt").await, b"short");
    assert_eq!(stat(&store, "f.txt").await.size, 5);
}

/// A failing stream leaves nothing behind, and an earlier file unchanged.
pub async fn write_failing_stream_leaves_nothing(store: Arc<dyn FileStore>) {
    let err = store
        .write(
            &p("new/f.txt"),
            failing_after(b"partial".to_vec()),
            OVERWRITE,
        )
        .await;
    assert!(
        matches!(err, Err(FileStoreError::Aborted { .. })),
        "{err:?}"
    );
    assert_eq!(kind(&store, "new/f.txt").await, None);
    assert_eq!(names(&store, "").await, vec![], "no trace of the upload");

    put(&store, "old.txt", b"keep me").await;
    let err = store
        .write(&p("old.txt"), failing_after(b"partial".to_vec()), OVERWRITE)
        .await;
    assert!(
        matches!(err, Err(FileStoreError::Aborted { .. })),
        "{err:?}"
    );
    assert_eq!(content(&store, "old.txt").await, b"keep me");
}

/// A failing stream after several MiB (a multipart upload in object stores) leaves nothing.
pub async fn write_failing_large_stream_leaves_nothing(store: Arc<dyn FileStore>) {
    let mut parts: Vec<Result<Bytes, FileStoreError>> = (0..12)
        .map(|i| Ok(Bytes::from(pattern(i, 1024 * 1024))))
        .collect();
    parts.push(Err(FileStoreError::Aborted {
        source: BoxError::from("the client went away"),
    }));
    let err = store
        .write(&p("new/big.bin"), Box::pin(stream::iter(parts)), CREATE)
        .await;
    assert!(
        matches!(err, Err(FileStoreError::Aborted { .. })),
        "{err:?}"
    );
    assert_eq!(kind(&store, "new/big.bin").await, None);
    assert_eq!(names(&store, "").await, vec![]);
}

/// A body over `max_bytes` is `TooLarge` and leaves nothing; exactly `max_bytes` is fine.
pub async fn write_too_large_leaves_nothing(store: Arc<dyn FileStore>) {
    let limited = WriteOptions {
        overwrite: true,
        max_bytes: Some(10),
    };
    let body = chunks(vec![b"0123456".to_vec(), b"789ab".to_vec()]);
    let err = store.write(&p("f.txt"), body, limited).await;
    assert!(
        matches!(err, Err(FileStoreError::TooLarge { max: 10 })),
        "{err:?}"
    );
    assert_eq!(kind(&store, "f.txt").await, None);

    put(&store, "old.txt", b"keep").await;
    let body = chunks(vec![b"0123456789ab".to_vec()]);
    let err = store.write(&p("old.txt"), body, limited).await;
    assert!(
        matches!(err, Err(FileStoreError::TooLarge { .. })),
        "{err:?}"
    );
    assert_eq!(content(&store, "old.txt").await, b"keep");

    let body = chunks(vec![b"01234".to_vec(), b"56789".to_vec()]);
    let entry = store.write(&p("exact.txt"), body, limited).await;
    assert!(matches!(entry, Ok(Entry { size: 10, .. })), "{entry:?}");
}

/// Missing parent folders are created.
pub async fn write_creates_parents(store: Arc<dyn FileStore>) {
    put(&store, "x/y/z/f.txt", b"f").await;
    assert_eq!(names(&store, "").await, vec![dir("x")]);
    assert_eq!(names(&store, "x").await, vec![dir("y")]);
    assert_eq!(names(&store, "x/y/z").await, vec![file("f.txt", 1)]);
}

/// Writing where a folder is, or below a file, is `WrongKind`; the root is `InvalidPath`.
pub async fn write_wrong_kind_and_root(store: Arc<dyn FileStore>) {
    folder(&store, "docs").await;
    let err = store
        .write(&p("docs"), chunks(vec![b"x".to_vec()]), OVERWRITE)
        .await;
    assert!(
        matches!(
            err,
            Err(FileStoreError::WrongKind {
                expected: EntryKind::File,
                ..
            })
        ),
        "{err:?}"
    );
    put(&store, "f.txt", b"x").await;
    let err = store
        .write(&p("f.txt/g.txt"), chunks(vec![b"x".to_vec()]), OVERWRITE)
        .await;
    assert!(
        matches!(
            err,
            Err(FileStoreError::WrongKind { ref path, expected: EntryKind::Folder }) if path == &p("f.txt")
        ),
        "{err:?}"
    );
    let err = store
        .write(&SharePath::root(), chunks(vec![b"x".to_vec()]), OVERWRITE)
        .await;
    assert!(
        matches!(err, Err(FileStoreError::InvalidPath { .. })),
        "{err:?}"
    );
    assert_eq!(names(&store, "").await, vec![dir("docs"), file("f.txt", 1)]);
}

/// A body of several MiB, written as a stream of chunks, reads back identical.
pub async fn large_file_streams(store: Arc<dyn FileStore>) {
    const CHUNK: usize = 256 * 1024;
    const CHUNKS: usize = 48; // 12 MiB: more than one part of a multipart upload
    let mut expected = Checksum::new();
    let body: ByteStream =
        Box::pin(stream::iter((0..CHUNKS).map(|i| {
            Ok::<_, FileStoreError>(Bytes::from(pattern(i, CHUNK)))
        })));
    for i in 0..CHUNKS {
        expected.update(&pattern(i, CHUNK));
    }
    let entry = match store.write(&p("media/big.bin"), body, CREATE).await {
        Ok(entry) => entry,
        Err(e) => panic!("write failed: {e}"),
    };
    let size = (CHUNK * CHUNKS) as u64;
    assert_eq!(entry.size, size);
    assert_eq!(stat(&store, "media/big.bin").await.size, size);

    let read = match store.read(&p("media/big.bin"), None).await {
        Ok(read) => read,
        Err(e) => panic!("read failed: {e}"),
    };
    let mut stream = read.stream;
    let mut actual = Checksum::new();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => panic!("read stream failed: {e}"),
        };
        assert!(chunk.len() <= 16 * 1024 * 1024, "chunks stay small");
        total += chunk.len() as u64;
        actual.update(&chunk);
    }
    assert_eq!(total, size);
    assert_eq!(actual, expected);

    // A range across part boundaries.
    let start = 5 * 1024 * 1024 - 3;
    let (_, bytes) = match try_read(&store, "media/big.bin", range(start, start + 10)).await {
        Ok(r) => r,
        Err(e) => panic!("ranged read failed: {e}"),
    };
    let whole: Vec<u8> = (19..21).flat_map(|i| pattern(i, CHUNK)).collect();
    let offset = (start - 19 * CHUNK as u64) as usize;
    let want = whole[offset..offset + 10].to_vec();
    assert_eq!(bytes, want);
}

/// Names with spaces, Unicode and URL- or shell-special characters round-trip.
pub async fn unicode_and_space_names(store: Arc<dyn FileStore>) {
    let names_in = [
        "résumé final.pdf",
        "日本語のファイル.txt",
        "100% sure #1 (copy).txt",
        "a+b=c & d?.txt",
        "#hash and trailing #x",
        "tilde~[brackets]{braces}.md",
        "quote's \"double\".txt",
        "%2F not a slash",
    ];
    folder(&store, "dossier été").await;
    for name in names_in {
        put(&store, &format!("dossier été/{name}"), name.as_bytes()).await;
    }
    put(&store, "dossier été/sous dossier/ñ.txt", b"n").await;
    let mut want: Vec<_> = names_in
        .iter()
        .map(|n| file(n, n.len() as u64))
        .chain([dir("sous dossier")])
        .collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(names(&store, "dossier été").await, want);
    for name in names_in {
        let path = format!("dossier été/{name}");
        assert_eq!(content(&store, &path).await, name.as_bytes(), "{name}");
        assert_eq!(stat(&store, &path).await.path, p(&path));
    }
    assert_eq!(names(&store, "").await, vec![dir("dossier été")]);
}

// ---------------------------------------------------------------------------------------
// create_folder

/// A created folder is kept while empty, and after the files in it are deleted.
pub async fn create_folder_empty_kept(store: Arc<dyn FileStore>) {
    folder(&store, "empty").await;
    assert_eq!(names(&store, "").await, vec![dir("empty")]);
    assert_eq!(names(&store, "empty").await, vec![]);
    put(&store, "empty/f.txt", b"x").await;
    assert_eq!(names(&store, "empty").await, vec![file("f.txt", 1)]);
    assert!(store.delete(&p("empty/f.txt")).await.is_ok());
    assert_eq!(kind(&store, "empty").await, Some(EntryKind::Folder));
    assert_eq!(names(&store, "empty").await, vec![]);
}

/// Creating an existing folder (created, implied or the root) succeeds and keeps it.
pub async fn create_folder_existing_ok(store: Arc<dyn FileStore>) {
    folder(&store, "a").await;
    folder(&store, "a").await;
    put(&store, "b/f.txt", b"x").await;
    folder(&store, "b").await;
    folder(&store, "").await;
    assert_eq!(names(&store, "b").await, vec![file("f.txt", 1)]);
    // `b` was created explicitly, so it stays once its file is gone.
    assert!(store.delete(&p("b/f.txt")).await.is_ok());
    assert_eq!(kind(&store, "b").await, Some(EntryKind::Folder));
    assert_eq!(names(&store, "").await, vec![dir("a"), dir("b")]);
}

/// Creating a nested folder creates its parents.
pub async fn create_folder_nested(store: Arc<dyn FileStore>) {
    folder(&store, "a/b/c").await;
    assert_eq!(names(&store, "").await, vec![dir("a")]);
    assert_eq!(names(&store, "a").await, vec![dir("b")]);
    assert_eq!(names(&store, "a/b").await, vec![dir("c")]);
    assert_eq!(names(&store, "a/b/c").await, vec![]);
}

/// Creating a folder over a file is `AlreadyExists`; below a file, `WrongKind`.
pub async fn create_folder_over_file(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"x").await;
    let err = store.create_folder(&p("f.txt")).await;
    assert!(
        matches!(err, Err(FileStoreError::AlreadyExists { .. })),
        "{err:?}"
    );
    let err = store.create_folder(&p("f.txt/sub")).await;
    assert!(
        matches!(
            err,
            Err(FileStoreError::WrongKind {
                expected: EntryKind::Folder,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(kind(&store, "f.txt").await, Some(EntryKind::File));
    assert_eq!(content(&store, "f.txt").await, b"x");
}

// ---------------------------------------------------------------------------------------
// delete

/// Deleting a file removes it and nothing else.
pub async fn delete_file(store: Arc<dyn FileStore>) {
    put(&store, "d/a.txt", b"a").await;
    put(&store, "d/b.txt", b"b").await;
    assert!(store.delete(&p("d/a.txt")).await.is_ok());
    assert_eq!(kind(&store, "d/a.txt").await, None);
    assert_eq!(names(&store, "d").await, vec![file("b.txt", 1)]);
}

/// Deleting a folder removes everything below it, and nothing beside it.
pub async fn delete_folder_recursive(store: Arc<dyn FileStore>) {
    put(&store, "d/a.txt", b"a").await;
    put(&store, "d/sub/b.txt", b"b").await;
    folder(&store, "d/sub/empty").await;
    folder(&store, "d").await;
    put(&store, "d2/keep.txt", b"k").await;
    put(&store, "d.txt", b"k").await;
    put(&store, "d b/keep.txt", b"k").await;
    assert!(store.delete(&p("d")).await.is_ok());
    for gone in ["d", "d/a.txt", "d/sub", "d/sub/b.txt", "d/sub/empty"] {
        assert_eq!(kind(&store, gone).await, None, "{gone}");
    }
    assert_eq!(
        names(&store, "").await,
        vec![dir("d b"), file("d.txt", 1), dir("d2")]
    );
    assert_eq!(names(&store, "d2").await, vec![file("keep.txt", 1)]);
}

/// Deleting a missing path is `NotFound`.
pub async fn delete_missing(store: Arc<dyn FileStore>) {
    let err = store.delete(&p("nope")).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { .. })),
        "{err:?}"
    );
}

/// Deleting the root is `InvalidPath` and deletes nothing.
pub async fn delete_root_refused(store: Arc<dyn FileStore>) {
    put(&store, "f.txt", b"x").await;
    let err = store.delete(&SharePath::root()).await;
    assert!(
        matches!(err, Err(FileStoreError::InvalidPath { .. })),
        "{err:?}"
    );
    assert_eq!(names(&store, "").await, vec![file("f.txt", 1)]);
}

// ---------------------------------------------------------------------------------------
// rename

/// Renaming a file moves it (into a new parent if need be) with its content.
pub async fn rename_file(store: Arc<dyn FileStore>) {
    put(&store, "a.txt", b"content").await;
    assert!(store.rename(&p("a.txt"), &p("new/b.txt")).await.is_ok());
    assert_eq!(kind(&store, "a.txt").await, None);
    assert_eq!(content(&store, "new/b.txt").await, b"content");
    assert_eq!(names(&store, "").await, vec![dir("new")]);
}

/// Renaming a folder moves everything below it, empty sub-folders included.
pub async fn rename_folder(store: Arc<dyn FileStore>) {
    folder(&store, "src").await;
    put(&store, "src/a.txt", b"a").await;
    put(&store, "src/sub/b.txt", b"bb").await;
    folder(&store, "src/empty").await;
    put(&store, "src2/keep.txt", b"k").await;
    assert!(store.rename(&p("src"), &p("dst/moved")).await.is_ok());
    assert_eq!(kind(&store, "src").await, None);
    assert_eq!(
        names(&store, "dst/moved").await,
        vec![file("a.txt", 1), dir("empty"), dir("sub")]
    );
    assert_eq!(content(&store, "dst/moved/sub/b.txt").await, b"bb");
    assert_eq!(names(&store, "dst/moved/empty").await, vec![]);
    assert_eq!(names(&store, "").await, vec![dir("dst"), dir("src2")]);
}

/// An empty created folder can be renamed.
pub async fn rename_empty_folder(store: Arc<dyn FileStore>) {
    folder(&store, "e").await;
    assert!(store.rename(&p("e"), &p("f")).await.is_ok());
    assert_eq!(names(&store, "").await, vec![dir("f")]);
    assert_eq!(names(&store, "f").await, vec![]);
}

/// Moving a folder into itself is `IntoItself` and changes nothing.
pub async fn rename_into_itself(store: Arc<dyn FileStore>) {
    put(&store, "a/f.txt", b"x").await;
    for target in ["a/b", "a/b/c", "a"] {
        let err = store.rename(&p("a"), &p(target)).await;
        assert!(
            matches!(err, Err(FileStoreError::IntoItself { .. })),
            "{target}: {err:?}"
        );
    }
    assert_eq!(names(&store, "a").await, vec![file("f.txt", 1)]);
}

/// The target of a rename must not exist; a missing source is `NotFound`.
pub async fn rename_target_exists(store: Arc<dyn FileStore>) {
    put(&store, "a.txt", b"a").await;
    put(&store, "b.txt", b"b").await;
    folder(&store, "dir").await;
    put(&store, "dir2/x.txt", b"x").await;
    for (from, to) in [
        ("a.txt", "b.txt"),
        ("a.txt", "dir"),
        ("dir", "b.txt"),
        ("dir", "dir2"),
        ("a.txt", "a.txt"),
    ] {
        let err = store.rename(&p(from), &p(to)).await;
        assert!(
            matches!(err, Err(FileStoreError::AlreadyExists { ref path }) if path == &p(to)),
            "{from} -> {to}: {err:?}"
        );
    }
    assert_eq!(content(&store, "a.txt").await, b"a");
    assert_eq!(content(&store, "b.txt").await, b"b");
    let err = store.rename(&p("missing"), &p("elsewhere")).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { .. })),
        "{err:?}"
    );
    let err = store.rename(&p("a.txt"), &p("b.txt/c.txt")).await;
    assert!(
        matches!(err, Err(FileStoreError::WrongKind { .. })),
        "{err:?}"
    );
}

/// The root is neither source nor target of a rename or copy.
pub async fn rename_and_copy_root_refused(store: Arc<dyn FileStore>) {
    put(&store, "a.txt", b"a").await;
    for result in [
        store.rename(&SharePath::root(), &p("x")).await,
        store.rename(&p("a.txt"), &SharePath::root()).await,
        store.copy(&SharePath::root(), &p("x")).await,
        store.copy(&p("a.txt"), &SharePath::root()).await,
    ] {
        assert!(
            matches!(result, Err(FileStoreError::InvalidPath { .. })),
            "{result:?}"
        );
    }
    assert_eq!(names(&store, "").await, vec![file("a.txt", 1)]);
}

// ---------------------------------------------------------------------------------------
// copy

/// Copying a file keeps the source, and the copy is independent of it.
pub async fn copy_file(store: Arc<dyn FileStore>) {
    put(&store, "a.txt", b"original").await;
    assert!(store.copy(&p("a.txt"), &p("copies/b.txt")).await.is_ok());
    assert_eq!(content(&store, "a.txt").await, b"original");
    assert_eq!(content(&store, "copies/b.txt").await, b"original");
    put(&store, "a.txt", b"changed").await;
    assert_eq!(content(&store, "copies/b.txt").await, b"original");
    put(&store, "copies/b.txt", b"changed copy").await;
    assert_eq!(content(&store, "a.txt").await, b"changed");
}

/// Copying a folder is deep and keeps the source.
pub async fn copy_folder_deep(store: Arc<dyn FileStore>) {
    put(&store, "src/a.txt", b"a").await;
    put(&store, "src/x/y/z.txt", b"zz").await;
    folder(&store, "src/x/empty").await;
    assert!(store.copy(&p("src"), &p("dst")).await.is_ok());
    for root in ["src", "dst"] {
        assert_eq!(
            names(&store, root).await,
            vec![file("a.txt", 1), dir("x")],
            "{root}"
        );
        assert_eq!(
            names(&store, &format!("{root}/x")).await,
            vec![dir("empty"), dir("y")]
        );
        assert_eq!(content(&store, &format!("{root}/x/y/z.txt")).await, b"zz");
    }
    put(&store, "src/x/y/z.txt", b"changed").await;
    assert_eq!(content(&store, "dst/x/y/z.txt").await, b"zz");
}

/// A copy of a file larger than one upload part is whole, and stays the old version when
/// a new version of the original is written.
pub async fn copy_large_file_keeps_old_bytes(store: Arc<dyn FileStore>) {
    const CHUNK: usize = 256 * 1024;
    const CHUNKS: usize = 24; // 6 MiB: more than one part on every adapter
    let version = |seed: usize| -> ByteStream {
        Box::pin(stream::iter((0..CHUNKS).map(move |i| {
            Ok::<_, FileStoreError>(Bytes::from(pattern(seed + i, CHUNK)))
        })))
    };
    let checksum = |seed: usize| {
        let mut sum = Checksum::new();
        for i in 0..CHUNKS {
            sum.update(&pattern(seed + i, CHUNK));
        }
        sum
    };
    let sum_of = |path: &'static str| {
        let store = Arc::clone(&store);
        async move {
            let read = match store.read(&p(path), None).await {
                Ok(read) => read,
                Err(e) => panic!("reading {path:?} failed: {e}"),
            };
            let mut stream = read.stream;
            let mut sum = Checksum::new();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => sum.update(&chunk),
                    Err(e) => panic!("reading {path:?} failed: {e}"),
                }
            }
            sum
        }
    };
    if let Err(e) = store.write(&p("media/v.bin"), version(0), CREATE).await {
        panic!("write failed: {e}");
    }
    assert!(
        store
            .copy(&p("media/v.bin"), &p("snap/v.bin"))
            .await
            .is_ok()
    );
    assert_eq!(sum_of("snap/v.bin").await, checksum(0));
    if let Err(e) = store
        .write(&p("media/v.bin"), version(1000), OVERWRITE)
        .await
    {
        panic!("overwrite failed: {e}");
    }
    assert_eq!(sum_of("media/v.bin").await, checksum(1000));
    assert_eq!(sum_of("snap/v.bin").await, checksum(0));
    assert_eq!(
        stat(&store, "snap/v.bin").await.size,
        (CHUNK * CHUNKS) as u64
    );
}

/// Copy refuses an existing target, a missing source and a folder into itself.
pub async fn copy_refusals(store: Arc<dyn FileStore>) {
    put(&store, "a.txt", b"a").await;
    put(&store, "b.txt", b"b").await;
    put(&store, "dir/f.txt", b"f").await;
    let err = store.copy(&p("a.txt"), &p("b.txt")).await;
    assert!(
        matches!(err, Err(FileStoreError::AlreadyExists { .. })),
        "{err:?}"
    );
    assert_eq!(content(&store, "b.txt").await, b"b");
    let err = store.copy(&p("a.txt"), &p("dir")).await;
    assert!(
        matches!(err, Err(FileStoreError::AlreadyExists { .. })),
        "{err:?}"
    );
    let err = store.copy(&p("missing"), &p("c.txt")).await;
    assert!(
        matches!(err, Err(FileStoreError::NotFound { .. })),
        "{err:?}"
    );
    let err = store.copy(&p("dir"), &p("dir/inner")).await;
    assert!(
        matches!(err, Err(FileStoreError::IntoItself { .. })),
        "{err:?}"
    );
    assert_eq!(names(&store, "dir").await, vec![file("f.txt", 1)]);
    // Into a file (its "folder" is a file): `WrongKind` naming that file, for a file and
    // for a folder copied.
    for from in ["a.txt", "dir"] {
        let err = store.copy(&p(from), &p("b.txt/inner")).await;
        assert!(
            matches!(
                err,
                Err(FileStoreError::WrongKind { ref path, expected: EntryKind::Folder })
                    if path == &p("b.txt")
            ),
            "{from}: {err:?}"
        );
    }
    assert_eq!(content(&store, "b.txt").await, b"b");
}

/// A snapshot share copies its items into a temporary area and later drops the area,
/// leaving the originals untouched.
pub async fn snapshot_area_copy_and_delete(store: Arc<dyn FileStore>) {
    put(&store, "projects/alpha/plan.pdf", b"plan").await;
    put(&store, "projects/alpha/img/logo.png", b"logo").await;
    folder(&store, "projects/alpha/empty").await;
    put(&store, "notes.txt", b"notes").await;
    let area = ".sharelink/snapshots/s1";
    let copy = |from: &str, to: String| {
        let store = Arc::clone(&store);
        let from = p(from);
        async move { store.copy(&from, &p(&to)).await }
    };
    assert!(
        copy("projects/alpha", format!("{area}/alpha"))
            .await
            .is_ok()
    );
    assert!(copy("notes.txt", format!("{area}/notes.txt")).await.is_ok());
    assert_eq!(
        names(&store, area).await,
        vec![dir("alpha"), file("notes.txt", 5)]
    );
    assert_eq!(
        names(&store, &format!("{area}/alpha")).await,
        vec![dir("empty"), dir("img"), file("plan.pdf", 4)]
    );
    // The originals change; the snapshot does not.
    put(&store, "projects/alpha/plan.pdf", b"plan v2").await;
    assert_eq!(
        content(&store, &format!("{area}/alpha/plan.pdf")).await,
        b"plan"
    );

    assert!(store.delete(&p(area)).await.is_ok());
    assert_eq!(kind(&store, area).await, None);
    // The emptied `.sharelink/snapshots` may stay or vanish (it was only implied).
    let root: Vec<_> = names(&store, "")
        .await
        .into_iter()
        .filter(|(name, _, _)| name != ".sharelink")
        .collect();
    assert_eq!(root, vec![file("notes.txt", 5), dir("projects")]);
    assert_eq!(content(&store, "projects/alpha/plan.pdf").await, b"plan v2");
    assert_eq!(
        names(&store, "projects/alpha").await,
        vec![dir("empty"), dir("img"), file("plan.pdf", 7)]
    );
}

// ---------------------------------------------------------------------------------------
// The test generator

/// Expands to one `#[test]` per case of [`conformance::file_store`](self), each running
/// the case on a fresh store.
///
/// `run` is a function that drives a future to completion on the adapter's executor;
/// `make` is an expression producing a future of `Arc<dyn FileStore>`, evaluated once per
/// case, that must give each case its own empty, isolated store.
///
/// ```
/// use sharelink_core::memory::MemoryFileStore;
/// use sharelink_core::ports::FileStore;
/// use std::sync::Arc;
///
/// sharelink_core::file_store_conformance!(
///     run = futures::executor::block_on,
///     make = async { Arc::new(MemoryFileStore::new()) as Arc<dyn FileStore> }
/// );
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! file_store_conformance {
    (run = $run:expr, make = $make:expr) => {
        $crate::file_store_conformance!(@cases run = $run, make = $make, [
            stat_root_is_folder,
            stat_missing_is_not_found,
            stat_file,
            stat_created_folder,
            implied_folder,
            stat_is_segment_wise,
            etag_changes_on_overwrite,
            list_root_empty,
            list_one_level_sorted,
            list_entries_have_full_paths,
            list_is_segment_wise,
            list_missing,
            list_file_is_wrong_kind,
            read_whole,
            read_range,
            read_range_clipped,
            read_range_past_end,
            read_empty_file,
            read_missing,
            read_folder_wrong_kind,
            write_returns_entry,
            write_create_only,
            write_create_only_race,
            write_overwrite,
            write_failing_stream_leaves_nothing,
            write_failing_large_stream_leaves_nothing,
            write_too_large_leaves_nothing,
            write_creates_parents,
            write_wrong_kind_and_root,
            large_file_streams,
            unicode_and_space_names,
            create_folder_empty_kept,
            create_folder_existing_ok,
            create_folder_nested,
            create_folder_over_file,
            delete_file,
            delete_folder_recursive,
            delete_missing,
            delete_root_refused,
            rename_file,
            rename_folder,
            rename_empty_folder,
            rename_into_itself,
            rename_target_exists,
            rename_and_copy_root_refused,
            copy_file,
            copy_folder_deep,
            copy_large_file_keeps_old_bytes,
            copy_refusals,
            snapshot_area_copy_and_delete,
        ]);
    };
    (@cases run = $run:expr, make = $make:expr, [$($case:ident),* $(,)?]) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let store = $make.await;
                    $crate::conformance::file_store::$case(store).await
                });
            }
        )*
    };
}

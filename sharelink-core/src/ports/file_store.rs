//! The file-store port: where shared files live (local disk, memory, S3, …).

use crate::SharePath;
use crate::ports::BoxError;
use async_trait::async_trait;
use bytes::Bytes;
use futures_core::Stream;
use std::fmt::Debug;
use std::pin::Pin;
use time::OffsetDateTime;

/// A stream of file bytes. Errors in the middle of a stream end the read or write.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, FileStoreError>> + Send>>;

/// Whether an entry is a file or a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A file with bytes.
    File,
    /// A folder (possibly empty).
    Folder,
}

/// What a file store knows about one file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Full path inside the store.
    pub path: SharePath,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for folders).
    pub size: u64,
    /// Last modification; for folders the store's best knowledge (may be the epoch).
    pub modified: OffsetDateTime,
    /// An opaque version tag that changes whenever the content changes (files only).
    pub etag: Option<String>,
}

/// A half-open byte range `[start, end)` within a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An open read: the file's metadata, the range being served and its bytes.
pub struct FileRead {
    /// Metadata of the file at the time the read started.
    pub entry: Entry,
    /// The range being served (the whole file when none was asked).
    pub range: ByteRange,
    /// The bytes of `range`, in order.
    pub stream: ByteStream,
}

impl Debug for FileRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRead")
            .field("entry", &self.entry)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// How a write treats an existing file at the target path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Replace an existing file (otherwise the write fails with `AlreadyExists`).
    pub overwrite: bool,
    /// Refuse (and discard) bodies longer than this many bytes.
    pub max_bytes: Option<u64>,
}

/// Errors of a file store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// Nothing at that path.
    #[error("`{path}` was not found")]
    NotFound {
        /// The path asked for.
        path: SharePath,
    },
    /// Something already exists at the target path.
    #[error("`{path}` already exists")]
    AlreadyExists {
        /// The target path.
        path: SharePath,
    },
    /// A file was expected and a folder found, or the reverse.
    #[error("`{path}` is not a {expected:?}")]
    WrongKind {
        /// The path.
        path: SharePath,
        /// What was expected.
        expected: EntryKind,
    },
    /// A folder operation would put a folder inside itself.
    #[error("cannot move or copy `{path}` into itself")]
    IntoItself {
        /// The folder.
        path: SharePath,
    },
    /// The range starts past the end of the file.
    #[error("range not satisfiable for a file of {size} bytes")]
    RangeNotSatisfiable {
        /// The file's size.
        size: u64,
    },
    /// The body is larger than `WriteOptions::max_bytes`.
    #[error("the file is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// The path is not acceptable to this store.
    #[error("invalid path `{path}`: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why.
        reason: String,
    },
    /// The backend refused the credentials or the operation.
    #[error("{store}: permission denied")]
    PermissionDenied {
        /// Which store.
        store: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// A conditional operation lost a race with another writer.
    #[error("{store}: precondition failed (the object changed concurrently)")]
    PreconditionFailed {
        /// Which store.
        store: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The backend could not be reached.
    #[error("{store}: backend unreachable")]
    Unreachable {
        /// Which store.
        store: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The backend has no room left for the write (a full disk, a quota reached);
    /// nothing of the write is left visible.
    #[error("{store}: no space left")]
    NoSpace {
        /// Which store.
        store: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// The stream being written failed (the client went away, say).
    #[error("the upload stream failed")]
    Aborted {
        /// The stream's error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure.
    #[error("{store}: {source}")]
    Backend {
        /// Which store.
        store: &'static str,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

/// Where shared files live.
///
/// Paths are normalised relative [`SharePath`]s; the root is the store's root and always
/// exists as a folder. Contract (each bullet is one or more cases of
/// `conformance::file_store`):
/// - `stat` of a missing path is `NotFound`; of a file gives kind, size, modified and an
///   etag that changes whenever the content changes; of a folder (explicitly created or
///   implied by a file below it) gives `Folder` with size 0 and no etag; the root is a
///   folder.
/// - `list` returns the direct children of a folder only (files and sub-folders), each
///   once, sorted by name, each with its full path; a missing folder is `NotFound`;
///   listing a file is `WrongKind`; the root always exists. Names are kept exactly
///   (spaces, Unicode and characters such as `%`, `#`, `?` round-trip); an adapter may
///   refuse, with `InvalidPath`, the few names its backend reserves (documented on the
///   adapter). Internal bookkeeping objects of an adapter never appear. Prefixes are segment-wise: `a`
///   never lists or deletes anything of `ab`.
/// - `read` streams the whole file, or exactly the bytes of a range; a range past the end
///   is clipped to the file size; a range starting at or past the end of a non-empty file
///   is `RangeNotSatisfiable` (an empty file reads as empty whatever the range); reading a
///   folder is `WrongKind`; a missing file is `NotFound`. Memory use does not grow with
///   file size.
/// - `write` consumes a stream and makes the file visible only once the whole stream is
///   stored; a failing stream (`Aborted`), or a body over `max_bytes` (`TooLarge`), leaves
///   nothing at the path (and any earlier file there unchanged); a body of exactly
///   `max_bytes` is accepted. Without `overwrite` an existing file gives `AlreadyExists`
///   (of two concurrent create-only writes, at most one succeeds). A folder at the path,
///   or a file where a parent folder should be, is `WrongKind`; the root is `InvalidPath`.
///   Missing parent folders are created. Returns the new entry.
/// - `create_folder` makes an empty folder, with its missing parents, that `stat` and
///   `list` show and that stays until deleted (also after the files in it are deleted);
///   creating an existing folder (or the root) succeeds; creating over a file is
///   `AlreadyExists`; under a file is `WrongKind`.
/// - `delete` removes a file, or a folder and everything below it; a missing path is
///   `NotFound`; deleting the root is `InvalidPath`. Folders only implied by files may
///   vanish when their last file goes; created folders stay.
/// - `rename` moves a file or a whole folder (with its empty sub-folders) to a new path;
///   the target must not exist (`AlreadyExists`); a missing source is `NotFound`; moving
///   a folder into itself is `IntoItself`; the root as source or target is `InvalidPath`;
///   missing parents of the target are created. Afterwards the source is gone and the
///   content is unchanged.
/// - `copy` is like `rename` but keeps the source; copies of folders are deep, and a copy
///   is independent of its source (overwriting one leaves the other unchanged).
///
/// A snapshot share copies its items into a temporary area of the same store (for
/// example `.sharelink/snapshots/<id>/…`) with `copy`, and drops the area with `delete`.
#[async_trait]
pub trait FileStore: Send + Sync + Debug + 'static {
    /// Metadata of one file or folder.
    ///
    /// # Errors
    /// `NotFound`, or a backend error.
    async fn stat(&self, path: &SharePath) -> Result<Entry, FileStoreError>;

    /// The direct children of a folder, sorted by name.
    ///
    /// # Errors
    /// `NotFound`, `WrongKind` for a file, or a backend error.
    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError>;

    /// Streams a file, or a byte range of it.
    ///
    /// # Errors
    /// `NotFound`, `WrongKind`, `RangeNotSatisfiable`, or a backend error.
    async fn read(
        &self,
        path: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError>;

    /// Stores a stream as a file, visible only when complete.
    ///
    /// # Errors
    /// `AlreadyExists`, `TooLarge`, `Aborted`, `WrongKind`, `InvalidPath` for the root, or a
    /// backend error.
    async fn write(
        &self,
        path: &SharePath,
        data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError>;

    /// Creates a folder (and its parents), kept even while empty.
    ///
    /// # Errors
    /// `AlreadyExists` when a file is there, `WrongKind` when a parent is a file, or a
    /// backend error.
    async fn create_folder(&self, path: &SharePath) -> Result<(), FileStoreError>;

    /// Deletes a file, or a folder with everything under it.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` for the root, or a backend error.
    async fn delete(&self, path: &SharePath) -> Result<(), FileStoreError>;

    /// Moves a file or folder to a path that does not exist yet.
    ///
    /// # Errors
    /// `NotFound`, `AlreadyExists`, `IntoItself`, `WrongKind` when a parent of the target
    /// is a file, `InvalidPath` for the root, or a backend error.
    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError>;

    /// Copies a file or folder (deeply) to a path that does not exist yet.
    ///
    /// # Errors
    /// `NotFound`, `AlreadyExists`, `IntoItself`, `WrongKind` when a parent of the target
    /// is a file, `InvalidPath` for the root, or a backend error.
    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError>;
}

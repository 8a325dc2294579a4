//! Local-disk helpers: the one-call read of a file, streaming an open file in large
//! chunks, byte copies, and keeping the folder tree tidy (the local backend has real
//! directories, unlike object stores).

use crate::error::map_io;
use crate::range::served_range;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{
    ByteRange, ByteStream, Entry, EntryKind, FileRead, FileStoreError,
};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;

/// Chunk size of streamed local reads.
pub(crate) const READ_CHUNK: usize = 256 * 1024;

/// Runs blocking filesystem work off the async threads when inside a tokio runtime, and
/// inline otherwise (as `object_store` does).
pub(crate) async fn blocking<T, F>(work: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(work)
            .await
            .map_err(io::Error::other)?,
        Err(_) => work(),
    }
}

/// The entity tag `object_store`'s local backend gives a file (inode, modification time in
/// microseconds and size, in hex), so the fast read path and `head` agree.
pub(crate) fn etag(meta: &std::fs::Metadata) -> String {
    let size = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default()
        .as_micros();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0u64;
    format!("\"{inode:x}-{mtime:x}-{size:x}\"")
}

/// The local backend's read: opens the file, reads its metadata and, when the served
/// range fits in one chunk, its bytes, all in one blocking call (the general path
/// takes three: `head`, `get`, then the first chunk). `None` when the path is not a
/// plain file: the general path then gives the precise answer (folder, missing).
/// `backend` names the store in errors.
pub(crate) async fn read(
    backend: &'static str,
    path: &SharePath,
    file: PathBuf,
    range: Option<ByteRange>,
) -> Result<Option<FileRead>, FileStoreError> {
    let opened = blocking(move || {
        let mut handle = match File::open(&file) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = handle.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let small = served_range(meta.len(), range)
            .ok()
            .filter(|r| r.end - r.start <= READ_CHUNK as u64 && r.end > r.start);
        let bytes = match small {
            Some(r) => {
                // At most one chunk, so it fits in usize.
                let mut buffer = vec![0; (r.end - r.start) as usize];
                handle.seek(SeekFrom::Start(r.start))?;
                handle.read_exact(&mut buffer)?;
                Some(Bytes::from(buffer))
            }
            None => None,
        };
        Ok(Some((handle, meta, bytes)))
    })
    .await
    .map_err(|e| map_io(backend, path, e))?;
    let Some((handle, meta, bytes)) = opened else {
        return Ok(None);
    };
    let entry = Entry {
        path: path.clone(),
        kind: EntryKind::File,
        size: meta.len(),
        modified: meta
            .modified()
            .map(OffsetDateTime::from)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        etag: Some(etag(&meta)),
    };
    let served = served_range(meta.len(), range)?;
    let stream_path = path.clone();
    let stream: ByteStream = match bytes {
        Some(b) => Box::pin(futures::stream::once(async move { Ok(b) })),
        None if served.is_empty() => Box::pin(futures::stream::empty()),
        None => Box::pin(
            file_stream(handle, served.start..served.end, READ_CHUNK)
                .map_err(move |e| map_io(backend, &stream_path, e)),
        ),
    };
    Ok(Some(FileRead {
        entry,
        range: served,
        stream,
    }))
}

/// Reads `len` bytes at `position` (positioned read: no shared cursor to seek).
fn read_at(file: &File, position: u64, len: usize) -> io::Result<Bytes> {
    let mut buffer = vec![0; len];
    #[cfg(unix)]
    std::os::unix::fs::FileExt::read_exact_at(file, &mut buffer, position)?;
    #[cfg(not(unix))]
    {
        let mut f = file;
        f.seek(SeekFrom::Start(position))?;
        f.read_exact(&mut buffer)?;
    }
    Ok(Bytes::from(buffer))
}

/// A chunk being read: on the blocking pool (inside a runtime), or the bytes already
/// read (outside one).
enum Pending {
    Reading(tokio::task::JoinHandle<io::Result<Bytes>>),
    Read(io::Result<Bytes>),
}

impl Pending {
    /// Starts reading `len` bytes at `position`.
    fn start(file: &Arc<File>, position: u64, len: usize) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let file = Arc::clone(file);
                Pending::Reading(runtime.spawn_blocking(move || read_at(&file, position, len)))
            }
            Err(_) => Pending::Read(read_at(file, position, len)),
        }
    }

    async fn finish(self) -> io::Result<Bytes> {
        match self {
            Pending::Reading(task) => task.await.map_err(io::Error::other)?,
            Pending::Read(result) => result,
        }
    }
}

struct Cursor {
    file: Arc<File>,
    /// The chunk being read ahead, and the position after it.
    pending: Option<Pending>,
    position: u64,
    end: u64,
    chunk: usize,
}

impl Cursor {
    /// Starts reading the next chunk, if any is left.
    fn read_ahead(&mut self) {
        if self.position < self.end {
            // At most `chunk`, so it fits in usize.
            let len = (self.end - self.position).min(self.chunk as u64) as usize;
            self.pending = Some(Pending::start(&self.file, self.position, len));
            self.position += len as u64;
        }
    }
}

/// Streams `range` of an open file in chunks of `chunk` bytes, reading one chunk ahead:
/// while the consumer sends a chunk, the next one is read on the blocking pool. Memory
/// use is two chunks, whatever the file size. The open handle keeps reading the version
/// that was opened, even if the path is replaced meanwhile.
pub(crate) fn file_stream(
    file: File,
    range: Range<u64>,
    chunk: usize,
) -> BoxStream<'static, io::Result<Bytes>> {
    let cursor = Cursor {
        file: Arc::new(file),
        pending: None,
        position: range.start,
        end: range.end,
        chunk: chunk.max(1),
    };
    futures::stream::try_unfold(cursor, move |mut cursor| async move {
        if cursor.pending.is_none() {
            // The first poll (later ones find the read-ahead started).
            cursor.read_ahead();
        }
        let Some(pending) = cursor.pending.take() else {
            return Ok(None);
        };
        let bytes = pending.finish().await?;
        cursor.read_ahead();
        Ok(Some((bytes, cursor)))
    })
    .boxed()
}

/// The directories on the way to `dir` (deepest first) that do not exist yet, so a
/// failed upload can remove what it created.
pub(crate) fn missing_dirs(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(d) = current {
        if d == root || !d.starts_with(root) || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        current = d.parent();
    }
    missing
}

/// Removes the given directories (deepest first) as long as they are empty.
pub(crate) fn remove_empty_dirs(dirs: &[PathBuf]) {
    for dir in dirs {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// Removes a directory tree; a missing one is fine.
pub(crate) fn remove_tree(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Copies the bytes of the file `from` into a new file `to`, creating `to`'s missing
/// folders below `root`; `AlreadyExists` when `to` exists.
///
/// A real copy, not the hard link `object_store` makes: a link shares the file with its
/// source, so another program rewriting the source in place would change the copy (a
/// snapshot share would then serve the new bytes). The bytes go to a staging name first
/// (`to#n`, which the local backend reserves for writes in progress and never lists) and
/// are linked to `to` once complete, so `to` is never seen half written. `io::copy`
/// streams (on Linux inside the kernel), so memory does not grow with the file size.
pub(crate) fn copy_file(root: &Path, from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let created = to
        .parent()
        .map(|dir| missing_dirs(root, dir))
        .unwrap_or_default();
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let result = staged_copy(&mut source, to);
    if result.is_err() {
        remove_empty_dirs(&created);
    }
    result
}

/// Copies `source` to a fresh staging file beside `to`, then links it to `to`; the
/// staging name is removed whatever happens.
fn staged_copy(source: &mut File, to: &Path) -> io::Result<()> {
    let (mut staged, staged_path) = staging_file(to)?;
    // No fsync, as for uploads (`object_store`'s local backend syncs nothing by default).
    let result = io::copy(source, &mut staged).and_then(|_| {
        drop(staged);
        std::fs::hard_link(&staged_path, to)
    });
    // Best effort: the link (or the error) is what matters; a leftover staging name is
    // never listed.
    if let Err(e) = std::fs::remove_file(&staged_path) {
        tracing::debug!(path = %staged_path.display(), error = %e, "a staging file stays behind");
    }
    result
}

/// A new, empty file `{to}#{n}` for the first free `n`.
fn staging_file(to: &Path) -> io::Result<(File, PathBuf)> {
    for n in 1..=1000u32 {
        let mut name = to.as_os_str().to_owned();
        name.push(format!("#{n}"));
        let staged = PathBuf::from(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
        {
            Ok(file) => return Ok((file, staged)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free staging name for the copy",
    ))
}

//! Local-disk helpers: streaming an open file in large chunks, and keeping the folder
//! tree tidy (the local backend has real directories, unlike object stores).

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

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

struct Cursor {
    file: Option<File>,
    position: u64,
    end: u64,
}

/// Streams `range` of an open file in chunks of `chunk` bytes; memory use is one chunk,
/// whatever the file size. The open handle keeps reading the version that was opened,
/// even if the path is replaced meanwhile.
pub(crate) fn file_stream(
    file: File,
    range: Range<u64>,
    chunk: usize,
) -> BoxStream<'static, io::Result<Bytes>> {
    let cursor = Cursor {
        file: Some(file),
        position: range.start,
        end: range.end,
    };
    futures::stream::try_unfold(cursor, move |mut cursor| async move {
        let Some(mut file) = cursor.file.take() else {
            return Ok(None);
        };
        if cursor.position >= cursor.end {
            return Ok(None);
        }
        let position = cursor.position;
        // At most `chunk`, so it fits in usize.
        let len = (cursor.end - position).min(chunk as u64) as usize;
        let (file, bytes) = blocking(move || {
            file.seek(SeekFrom::Start(position))?;
            let mut buffer = vec![0; len];
            file.read_exact(&mut buffer)?;
            Ok((file, Bytes::from(buffer)))
        })
        .await?;
        cursor.position += len as u64;
        cursor.file = Some(file);
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

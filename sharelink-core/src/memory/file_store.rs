//! In-memory file store: the reference implementation of the file-store port.

use crate::SharePath;
use crate::ports::file_store::{
    ByteRange, ByteStream, Entry, EntryKind, FileRead, FileStore, FileStoreError, WriteOptions,
};
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use std::collections::btree_map::Range;
use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use time::OffsetDateTime;

/// Size of the chunks a read yields.
const READ_CHUNK: usize = 64 * 1024;

/// An in-memory file store, for tests and examples.
///
/// Files and explicitly created folders live in one map behind a mutex; folders are
/// also implied by anything below them. A write collects its stream privately and only
/// inserts the file once the stream has ended, so a half-written file is never seen.
///
/// ```
/// use sharelink_core::memory::MemoryFileStore;
/// use sharelink_core::ports::FileStore;
/// use sharelink_core::SharePath;
///
/// let store = MemoryFileStore::new();
/// let docs = SharePath::parse("docs").unwrap();
/// futures::executor::block_on(async {
///     store.create_folder(&docs).await.unwrap();
///     assert!(store.list(&docs).await.unwrap().is_empty());
/// });
/// ```
#[derive(Debug, Default)]
pub struct MemoryFileStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Files by path text.
    files: BTreeMap<String, StoredFile>,
    /// Folders made by `create_folder` (or moved/copied with one), by path text.
    folders: BTreeMap<String, StoredFolder>,
    /// Source of etags: every stored version gets a new number.
    generation: u64,
}

#[derive(Debug, Clone)]
struct StoredFile {
    path: SharePath,
    bytes: Bytes,
    modified: OffsetDateTime,
    etag: u64,
}

#[derive(Debug, Clone)]
struct StoredFolder {
    path: SharePath,
    modified: OffsetDateTime,
}

impl StoredFile {
    fn entry(&self) -> Entry {
        Entry {
            path: self.path.clone(),
            kind: EntryKind::File,
            size: self.bytes.len() as u64,
            modified: self.modified,
            etag: Some(format!("\"{}\"", self.etag)),
        }
    }
}

fn folder_entry(path: &SharePath, modified: OffsetDateTime) -> Entry {
    Entry {
        path: path.clone(),
        kind: EntryKind::Folder,
        size: 0,
        modified,
        etag: None,
    }
}

/// The entries strictly below `folder`.
fn below<'a, V>(map: &'a BTreeMap<String, V>, folder: &SharePath) -> Range<'a, String, V> {
    if folder.is_root() {
        map.range::<String, _>(..)
    } else {
        // Every path under `a` starts with `a/`, and `0` is the character after `/`.
        map.range(format!("{folder}/")..format!("{folder}0"))
    }
}

impl State {
    fn is_folder(&self, path: &SharePath) -> bool {
        path.is_root()
            || self.folders.contains_key(path.as_str())
            || below(&self.files, path).next().is_some()
            || below(&self.folders, path).next().is_some()
    }

    fn kind(&self, path: &SharePath) -> Option<EntryKind> {
        if self.files.contains_key(path.as_str()) {
            Some(EntryKind::File)
        } else if self.is_folder(path) {
            Some(EntryKind::Folder)
        } else {
            None
        }
    }

    /// Refuses a path whose ancestors include a file.
    fn check_parents(&self, path: &SharePath) -> Result<(), FileStoreError> {
        let mut parent = path.parent();
        while let Some(folder) = parent {
            if self.files.contains_key(folder.as_str()) {
                return Err(FileStoreError::WrongKind {
                    path: folder,
                    expected: EntryKind::Folder,
                });
            }
            parent = folder.parent();
        }
        Ok(())
    }

    /// Checks that `path` may receive a new file.
    fn check_writable(&self, path: &SharePath, overwrite: bool) -> Result<(), FileStoreError> {
        if path.is_root() {
            return Err(root_refused(path));
        }
        match self.kind(path) {
            Some(EntryKind::Folder) => Err(FileStoreError::WrongKind {
                path: path.clone(),
                expected: EntryKind::File,
            }),
            Some(EntryKind::File) if !overwrite => {
                Err(FileStoreError::AlreadyExists { path: path.clone() })
            }
            _ => self.check_parents(path),
        }
    }

    fn next_etag(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Checks a rename or copy and returns the source's kind.
    fn check_transfer(
        &self,
        from: &SharePath,
        to: &SharePath,
    ) -> Result<EntryKind, FileStoreError> {
        if from.is_root() {
            return Err(root_refused(from));
        }
        if to.is_root() {
            return Err(root_refused(to));
        }
        let kind = self
            .kind(from)
            .ok_or_else(|| FileStoreError::NotFound { path: from.clone() })?;
        if kind == EntryKind::Folder && to.starts_with(from) {
            return Err(FileStoreError::IntoItself { path: from.clone() });
        }
        if self.kind(to).is_some() {
            return Err(FileStoreError::AlreadyExists { path: to.clone() });
        }
        self.check_parents(to)?;
        Ok(kind)
    }

    /// Copies `from` (file or folder) to `to`, which has been checked.
    fn copy_tree(&mut self, from: &SharePath, to: &SharePath, kind: EntryKind) {
        let moved = |path: &SharePath| -> Option<SharePath> {
            let rest = path.strip_prefix(from)?;
            to.join(&rest).ok()
        };
        match kind {
            EntryKind::File => {
                if let Some(file) = self.files.get(from.as_str()).cloned() {
                    let path = to.clone();
                    self.files
                        .insert(path.to_string(), StoredFile { path, ..file });
                }
            }
            EntryKind::Folder => {
                let files: Vec<_> = below(&self.files, from)
                    .filter_map(|(_, f)| {
                        let path = moved(&f.path)?;
                        Some((path.to_string(), StoredFile { path, ..f.clone() }))
                    })
                    .collect();
                let mut folders: Vec<_> = below(&self.folders, from)
                    .filter_map(|(_, f)| {
                        let path = moved(&f.path)?;
                        Some((path.to_string(), StoredFolder { path, ..f.clone() }))
                    })
                    .collect();
                // The target keeps being an explicit folder if the source was one.
                if let Some(folder) = self.folders.get(from.as_str()) {
                    let path = to.clone();
                    folders.push((
                        path.to_string(),
                        StoredFolder {
                            path,
                            ..folder.clone()
                        },
                    ));
                }
                self.files.extend(files);
                self.folders.extend(folders);
            }
        }
    }

    fn remove_tree(&mut self, path: &SharePath) {
        self.files.remove(path.as_str());
        self.folders.remove(path.as_str());
        let files: Vec<String> = below(&self.files, path).map(|(k, _)| k.clone()).collect();
        let folders: Vec<String> = below(&self.folders, path).map(|(k, _)| k.clone()).collect();
        for k in files {
            self.files.remove(&k);
        }
        for k in folders {
            self.folders.remove(&k);
        }
    }

    fn folder_modified(&self, path: &SharePath) -> OffsetDateTime {
        self.folders
            .get(path.as_str())
            .map_or(OffsetDateTime::UNIX_EPOCH, |f| f.modified)
    }
}

fn root_refused(path: &SharePath) -> FileStoreError {
    FileStoreError::InvalidPath {
        path: path.to_string(),
        reason: "the operation is not allowed on the root".to_owned(),
    }
}

impl MemoryFileStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way
        // that breaks their invariants, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Yields a shared buffer in chunks, without copying.
struct Chunks {
    rest: Bytes,
}

impl Stream for Chunks {
    type Item = Result<Bytes, FileStoreError>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(READ_CHUNK);
        Poll::Ready(Some(Ok(self.rest.split_to(n))))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().div_ceil(READ_CHUNK);
        (n, Some(n))
    }
}

#[async_trait]
impl FileStore for MemoryFileStore {
    async fn stat(&self, path: &SharePath) -> Result<Entry, FileStoreError> {
        let state = self.lock();
        if let Some(file) = state.files.get(path.as_str()) {
            return Ok(file.entry());
        }
        if state.is_folder(path) {
            return Ok(folder_entry(path, state.folder_modified(path)));
        }
        Err(FileStoreError::NotFound { path: path.clone() })
    }

    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        let state = self.lock();
        match state.kind(folder) {
            None => {
                return Err(FileStoreError::NotFound {
                    path: folder.clone(),
                });
            }
            Some(EntryKind::File) => {
                return Err(FileStoreError::WrongKind {
                    path: folder.clone(),
                    expected: EntryKind::Folder,
                });
            }
            Some(EntryKind::Folder) => {}
        }
        // The direct child of `folder` that `path` lies in (or is).
        let child = |path: &SharePath| -> Option<SharePath> {
            let name = path.strip_prefix(folder)?.segments().next()?.to_owned();
            folder.join(&SharePath::segment(&name).ok()?).ok()
        };
        let mut entries = Vec::new();
        let mut sub_folders = BTreeSet::new();
        for file in below(&state.files, folder).map(|(_, f)| f) {
            match child(&file.path) {
                Some(c) if c == file.path => entries.push(file.entry()),
                Some(c) => {
                    sub_folders.insert(c);
                }
                None => {}
            }
        }
        for stored in below(&state.folders, folder).map(|(_, f)| f) {
            if let Some(c) = child(&stored.path) {
                sub_folders.insert(c);
            }
        }
        for path in sub_folders {
            entries.push(folder_entry(&path, state.folder_modified(&path)));
        }
        entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        Ok(entries)
    }

    async fn read(
        &self,
        path: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError> {
        let state = self.lock();
        let Some(file) = state.files.get(path.as_str()) else {
            if state.is_folder(path) {
                return Err(FileStoreError::WrongKind {
                    path: path.clone(),
                    expected: EntryKind::File,
                });
            }
            return Err(FileStoreError::NotFound { path: path.clone() });
        };
        let size = file.bytes.len() as u64;
        let range = match range {
            None => ByteRange {
                start: 0,
                end: size,
            },
            Some(_) if size == 0 => ByteRange { start: 0, end: 0 },
            Some(r) if r.start >= size => return Err(FileStoreError::RangeNotSatisfiable { size }),
            Some(r) => ByteRange {
                start: r.start,
                end: r.end.clamp(r.start, size),
            },
        };
        // Both ends are at most `size`, which came from a `usize`.
        let bytes = file.bytes.slice(range.start as usize..range.end as usize);
        Ok(FileRead {
            entry: file.entry(),
            range,
            stream: Box::pin(Chunks { rest: bytes }),
        })
    }

    async fn write(
        &self,
        path: &SharePath,
        mut data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        // Fail early, before consuming a body that could not be stored anyway.
        self.lock().check_writable(path, options.overwrite)?;
        let mut buffer = BytesMut::new();
        while let Some(chunk) = std::future::poll_fn(|cx| data.as_mut().poll_next(cx)).await {
            let chunk = chunk.map_err(|e| FileStoreError::Aborted {
                source: Box::new(e),
            })?;
            if let Some(max) = options.max_bytes
                && (buffer.len() + chunk.len()) as u64 > max
            {
                return Err(FileStoreError::TooLarge { max });
            }
            buffer.extend_from_slice(&chunk);
        }
        let mut state = self.lock();
        // Checked again: another writer may have won while the stream was read.
        state.check_writable(path, options.overwrite)?;
        let file = StoredFile {
            path: path.clone(),
            bytes: buffer.freeze(),
            modified: OffsetDateTime::now_utc(),
            etag: state.next_etag(),
        };
        let entry = file.entry();
        state.files.insert(path.to_string(), file);
        Ok(entry)
    }

    async fn create_folder(&self, path: &SharePath) -> Result<(), FileStoreError> {
        let mut state = self.lock();
        if path.is_root() {
            return Ok(());
        }
        if state.files.contains_key(path.as_str()) {
            return Err(FileStoreError::AlreadyExists { path: path.clone() });
        }
        state.check_parents(path)?;
        state
            .folders
            .entry(path.to_string())
            .or_insert_with(|| StoredFolder {
                path: path.clone(),
                modified: OffsetDateTime::now_utc(),
            });
        Ok(())
    }

    async fn delete(&self, path: &SharePath) -> Result<(), FileStoreError> {
        let mut state = self.lock();
        if path.is_root() {
            return Err(root_refused(path));
        }
        if state.kind(path).is_none() {
            return Err(FileStoreError::NotFound { path: path.clone() });
        }
        state.remove_tree(path);
        Ok(())
    }

    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        let mut state = self.lock();
        let kind = state.check_transfer(from, to)?;
        state.copy_tree(from, to, kind);
        state.remove_tree(from);
        Ok(())
    }

    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        let mut state = self.lock();
        let kind = state.check_transfer(from, to)?;
        state.copy_tree(from, to, kind);
        Ok(())
    }
}

//! [`ObjectFileStore`]: the file-store port over any `object_store` backend. Stat,
//! listing and reads are here; writes are in `store/write.rs`, deletes, renames and
//! copies in `store/tree.rs`.

mod tree;
mod write;

use crate::backend::Backend;
use crate::config::{self, Storage};
use crate::error::{Error, is_not_found, is_unsupported, map_error, map_io};
use crate::local;
use crate::range::served_range;
use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    GetOptions, GetResultPayload, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutPayload,
};
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{
    ByteRange, ByteStream, Entry, EntryKind, FileRead, FileStore, FileStoreError, WriteOptions,
};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use time::OffsetDateTime;

/// Name of the empty object that keeps an otherwise empty folder alive on object stores
/// (and marks a folder as created, so it outlives its files). Never listed; a path with
/// a segment of this name is refused with `InvalidPath`.
pub const FOLDER_MARKER: &str = ".sharelink-folder";

/// Part size of multipart uploads to cloud backends (S3 needs at least 5 MiB per part
/// and allows 10,000 parts, so files up to ~97 GiB with this size).
const CLOUD_PART_SIZE: usize = 10 * 1024 * 1024;
/// Smallest part size S3 accepts.
const MIN_CLOUD_PART_SIZE: usize = 5 * 1024 * 1024;
/// Part size on local disk and memory, where parts have no minimum.
const LOCAL_PART_SIZE: usize = 2 * 1024 * 1024;
/// Attempts at a read when the file changes between its `head` and its `get`.
const READ_ATTEMPTS: usize = 3;

/// The file-store port over an `object_store` backend: local disk, memory, S3 (and any
/// S3-compatible server), GCS or Azure.
///
/// Folders are key prefixes; a folder made with `create_folder` is kept by an empty
/// [`FOLDER_MARKER`] object inside it. Reads are ranged and streamed, writes consume a
/// stream and switch to a multipart upload past one part, so memory stays flat whatever
/// the file size. Object keys are the paths' exact text below the store's prefix, so
/// files written by other tools show up under their own names.
///
/// Writes larger than one part, and reads on local disk, use the tokio runtime they run
/// in (every `object_store` cloud backend needs one anyway).
pub struct ObjectFileStore {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// Prepended to every key (the URL's path).
    pub(crate) prefix: Path,
    backend: Backend,
    /// On the local backend, the folder that holds the files, for directory bookkeeping.
    pub(crate) local_root: Option<PathBuf>,
    part_size: usize,
    upload_concurrency: usize,
}

impl fmt::Debug for ObjectFileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner store's Display names the bucket or folder, never credentials.
        f.debug_struct("ObjectFileStore")
            .field("backend", &self.backend)
            .field("store", &self.store.to_string())
            .field("prefix", &self.prefix.as_ref())
            .field("part_size", &self.part_size)
            .finish_non_exhaustive()
    }
}

impl ObjectFileStore {
    /// Builds a store from a URL:
    ///
    /// | URL | backend |
    /// |---|---|
    /// | `file:///srv/files` | local folder (created if missing) |
    /// | `memory://` | process memory |
    /// | `s3://bucket/prefix?region=…&endpoint=…` | S3 or S3-compatible (feature `s3`) |
    /// | `gs://bucket/prefix?…` | Google Cloud Storage (feature `gcp`) |
    /// | `az://container/prefix?account_name=…` | Azure Blob Storage (feature `azure`) |
    ///
    /// Query parameters are the backend's `object_store` configuration keys (for S3:
    /// `endpoint`, `region`, `allow_http`, `access_key_id`, `secret_access_key`,
    /// `session_token`, `virtual_hosted_style_request`, `conditional_put`,
    /// `copy_if_not_exists`, …, plus `path_style=true|false`); anything not given is read
    /// from the backend's usual environment variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`).
    ///
    /// # Errors
    /// [`Error`] for a malformed URL, an unknown scheme or option, a disabled feature, a
    /// missing bucket or a local folder that cannot be created.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        Self::configured(config::parse(url, Vec::new())?)
    }

    /// Like [`from_url`](Self::from_url), with extra options applied after the URL's own
    /// (to keep secrets out of URLs).
    ///
    /// # Errors
    /// As [`from_url`](Self::from_url).
    pub fn from_url_with_options<I, K, V>(url: &str, options: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let options = options
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::configured(config::parse(url, options)?)
    }

    /// A store over a local folder, created if missing.
    ///
    /// Object names are file names, so the folder can also be browsed directly. The local
    /// backend reserves file names ending in `#` and digits only (such as `x#1`) for its
    /// in-progress uploads; writing one is refused with `InvalidPath`.
    ///
    /// # Errors
    /// [`Error::LocalFolder`] when the folder cannot be created or opened.
    pub fn local(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let root = root.into();
        let folder_error = |source| Error::LocalFolder {
            path: root.clone(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(folder_error)?;
        let root = std::fs::canonicalize(&root).map_err(folder_error)?;
        let store = LocalFileSystem::new_with_prefix(&root).map_err(|source| Error::Build {
            backend: Backend::Local.name(),
            source,
        })?;
        let mut this = Self::with_backend(Arc::new(store), Path::default(), Backend::Local);
        this.local_root = Some(root);
        Ok(this)
    }

    /// A store in process memory, empty at first.
    pub fn memory() -> Self {
        Self::with_backend(Arc::new(InMemory::new()), Path::default(), Backend::Memory)
    }

    /// A store over any `object_store` implementation (configured by you: retries,
    /// credentials, HTTP client…), with every key below `prefix` (`""` for none).
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] when `prefix` is not a valid object path.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self, Error> {
        let prefix = Path::parse(prefix).map_err(|source| Error::InvalidPrefix {
            prefix: prefix.to_owned(),
            source,
        })?;
        Ok(Self::with_backend(store, prefix, Backend::Other))
    }

    /// The store a URL names.
    fn configured(storage: Storage) -> Result<Self, Error> {
        match storage {
            Storage::Local(root) => Self::local(root),
            Storage::Memory => Ok(Self::memory()),
            Storage::Cloud {
                backend,
                store,
                prefix,
            } => Ok(Self::with_backend(store, prefix, backend)),
        }
    }

    fn with_backend(store: Arc<dyn ObjectStore>, prefix: Path, backend: Backend) -> Self {
        let (part_size, upload_concurrency) = if backend.is_cloud() {
            (CLOUD_PART_SIZE, 4)
        } else {
            (LOCAL_PART_SIZE, 2)
        };
        Self {
            store,
            prefix,
            backend,
            local_root: None,
            part_size,
            upload_concurrency,
        }
    }

    /// Sets the part size of multipart uploads (bodies up to one part are sent in one
    /// request). Cloud backends use at least 5 MiB, the S3 minimum.
    #[must_use]
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        let min = if self.backend.is_cloud() {
            MIN_CLOUD_PART_SIZE
        } else {
            1
        };
        self.part_size = bytes.max(min);
        self
    }

    /// Sets how many parts of one upload are sent at once (at least 1). Peak memory per
    /// upload is about `(concurrency + 1) × part size`.
    #[must_use]
    pub fn with_upload_concurrency(mut self, parts: usize) -> Self {
        self.upload_concurrency = parts.max(1);
        self
    }

    /// Which backend this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The `object_store` underneath, for operations this crate does not cover.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    fn name(&self) -> &'static str {
        self.backend.name()
    }

    fn map(&self, path: &SharePath) -> impl Fn(object_store::Error) -> FileStoreError + '_ {
        let path = path.clone();
        move |e| map_error(self.name(), &path, e)
    }

    /// The object key of a path (the prefix for the root).
    fn location(&self, path: &SharePath) -> Result<Path, FileStoreError> {
        let invalid = |reason: &str| FileStoreError::InvalidPath {
            path: path.to_string(),
            reason: reason.to_owned(),
        };
        // `SharePath` can only be built normalised; checked again because this is where
        // paths turn into keys.
        if SharePath::parse(path.as_str()).as_ref() != Ok(path) {
            return Err(invalid("not a normalised relative path"));
        }
        if path.segments().any(|s| s == FOLDER_MARKER) {
            return Err(invalid("this name is reserved for folder markers"));
        }
        let key = match (self.prefix.as_ref(), path.as_str()) {
            (prefix, "") => prefix.to_owned(),
            ("", path) => path.to_owned(),
            (prefix, path) => format!("{prefix}/{path}"),
        };
        Path::parse(key).map_err(|e| invalid(&e.to_string()))
    }

    /// The key prefix to list a folder with (`None` for an unprefixed root).
    fn list_prefix(&self, folder: &SharePath) -> Result<Option<Path>, FileStoreError> {
        let location = self.location(folder)?;
        Ok((!location.as_ref().is_empty()).then_some(location))
    }

    /// The path of a key below the prefix, if it is one this store could have written.
    fn share_path(&self, location: &Path) -> Option<SharePath> {
        let parts = location.prefix_match(&self.prefix)?;
        let mut path = SharePath::root();
        for part in parts {
            path = path.join(&SharePath::segment(part.as_ref()).ok()?).ok()?;
        }
        Some(path)
    }

    fn marker(location: &Path) -> Path {
        location.clone().join(FOLDER_MARKER)
    }

    /// Whether the local backend reserves this file name for in-progress uploads (a name
    /// ending in `#` and digits only): no file can have it there.
    fn reserved_on_disk(&self, path: &SharePath) -> bool {
        self.backend == Backend::Local
            && path.file_name().is_some_and(|name| {
                name.split_once('#').is_some_and(|(_, suffix)| {
                    !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
                })
            })
    }

    fn refuse_reserved_file(&self, path: &SharePath) -> Result<(), FileStoreError> {
        if self.reserved_on_disk(path) {
            return Err(FileStoreError::InvalidPath {
                path: path.to_string(),
                reason: "local storage reserves file names ending in `#` and digits".to_owned(),
            });
        }
        Ok(())
    }

    /// On the local backend, where a path lives on disk.
    fn local_path(&self, path: &SharePath) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        Some(path.segments().fold(root.clone(), |dir, s| dir.join(s)))
    }

    fn file_entry(&self, path: SharePath, meta: &ObjectMeta) -> Entry {
        Entry {
            path,
            kind: EntryKind::File,
            size: meta.size,
            modified: time_of(meta),
            etag: meta.e_tag.clone(),
        }
    }

    /// The file at `location`, if any.
    async fn head(
        &self,
        path: &SharePath,
        location: &Path,
    ) -> Result<Option<ObjectMeta>, FileStoreError> {
        if self.reserved_on_disk(path) {
            return Ok(None);
        }
        match self.store.head(location).await {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(map_error(self.name(), path, e)),
        }
    }

    /// The folder at `path` (not a file), if any.
    async fn folder(
        &self,
        path: &SharePath,
        location: &Path,
    ) -> Result<Option<Entry>, FileStoreError> {
        if path.is_root() {
            return Ok(Some(folder_entry(path, OffsetDateTime::UNIX_EPOCH)));
        }
        if let Some(dir) = self.local_path(path) {
            // Real directories are the truth on disk, empty or not.
            let metadata = local::blocking(move || std::fs::metadata(dir)).await;
            return match metadata {
                Ok(m) if m.is_dir() => {
                    let modified = m
                        .modified()
                        .map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from);
                    Ok(Some(folder_entry(path, modified)))
                }
                Ok(_) => Ok(None),
                Err(e) => match map_io(self.name(), path, e) {
                    FileStoreError::NotFound { .. } => Ok(None),
                    other => Err(other),
                },
            };
        }
        if let Some(marker) = self.head(path, &Self::marker(location)).await? {
            return Ok(Some(folder_entry(path, time_of(&marker))));
        }
        match self.store.list(Some(location)).next().await {
            Some(Ok(_)) => Ok(Some(folder_entry(path, OffsetDateTime::UNIX_EPOCH))),
            Some(Err(e)) => Err(map_error(self.name(), path, e)),
            None => Ok(None),
        }
    }

    /// Refuses a path below a file.
    async fn check_parents(&self, path: &SharePath) -> Result<(), FileStoreError> {
        let mut ancestors = Vec::new();
        let mut parent = path.parent();
        while let Some(p) = parent.filter(|p| !p.is_root()) {
            parent = p.parent();
            ancestors.push(p);
        }
        let checks = ancestors.into_iter().map(|ancestor| async move {
            let location = self.location(&ancestor)?;
            match self.head(&ancestor, &location).await? {
                Some(_) => Err(FileStoreError::WrongKind {
                    path: ancestor,
                    expected: EntryKind::Folder,
                }),
                None => Ok(()),
            }
        });
        futures::future::try_join_all(checks).await.map(drop)
    }

    /// Refuses a write onto a folder, below a file, or (create-only) onto a file.
    async fn check_writable(
        &self,
        path: &SharePath,
        location: &Path,
        overwrite: bool,
    ) -> Result<(), FileStoreError> {
        match self.head(path, location).await? {
            Some(_) if !overwrite => {
                return Err(FileStoreError::AlreadyExists { path: path.clone() });
            }
            Some(_) => {}
            None => {
                if self.folder(path, location).await?.is_some() {
                    return Err(FileStoreError::WrongKind {
                        path: path.clone(),
                        expected: EntryKind::File,
                    });
                }
            }
        }
        self.check_parents(path).await
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

fn time_of(meta: &ObjectMeta) -> OffsetDateTime {
    let nanos = i128::from(meta.last_modified.timestamp()) * 1_000_000_000
        + i128::from(meta.last_modified.timestamp_subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn root_refused(path: &SharePath) -> FileStoreError {
    FileStoreError::InvalidPath {
        path: path.to_string(),
        reason: "the operation is not allowed on the root".to_owned(),
    }
}

#[async_trait]
impl FileStore for ObjectFileStore {
    async fn stat(&self, path: &SharePath) -> Result<Entry, FileStoreError> {
        if path.is_root() {
            return Ok(folder_entry(path, OffsetDateTime::UNIX_EPOCH));
        }
        let location = self.location(path)?;
        if let Some(meta) = self.head(path, &location).await? {
            return Ok(self.file_entry(path.clone(), &meta));
        }
        self.folder(path, &location)
            .await?
            .ok_or_else(|| FileStoreError::NotFound { path: path.clone() })
    }

    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        let prefix = self.list_prefix(folder)?;
        let listing = self
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(self.map(folder))?;
        let mut marked = false;
        let mut entries: Vec<Entry> = Vec::new();
        for meta in &listing.objects {
            if meta.location.filename() == Some(FOLDER_MARKER) {
                marked = true;
                continue;
            }
            if let Some(path) = self.share_path(&meta.location) {
                entries.push(self.file_entry(path, meta));
            }
        }
        for location in &listing.common_prefixes {
            let Some(path) = self.share_path(location) else {
                continue;
            };
            // A key that is both a file and a prefix (written by another tool) is listed
            // once, as the file `stat` reports.
            if entries.iter().any(|e| e.path == path) {
                continue;
            }
            let modified = match self.local_path(&path) {
                Some(dir) => local::blocking(move || std::fs::metadata(dir)?.modified())
                    .await
                    .map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from),
                None => OffsetDateTime::UNIX_EPOCH,
            };
            entries.push(folder_entry(&path, modified));
        }
        if entries.is_empty() && !marked && !folder.is_root() {
            // Nothing below: an empty folder, a file, or nothing at all.
            match self.stat(folder).await?.kind {
                EntryKind::Folder => {}
                EntryKind::File => {
                    return Err(FileStoreError::WrongKind {
                        path: folder.clone(),
                        expected: EntryKind::Folder,
                    });
                }
            }
        }
        entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
        Ok(entries)
    }

    async fn read(
        &self,
        path: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError> {
        let location = self.location(path)?;
        if let Some(file) = self.local_path(path)
            && !self.reserved_on_disk(path)
            && let Some(read) = local::read(self.name(), path, file, range).await?
        {
            return Ok(read);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(meta) = self.head(path, &location).await? else {
                if self.folder(path, &location).await?.is_some() {
                    return Err(FileStoreError::WrongKind {
                        path: path.clone(),
                        expected: EntryKind::File,
                    });
                }
                return Err(FileStoreError::NotFound { path: path.clone() });
            };
            let entry = self.file_entry(path.clone(), &meta);
            let served = served_range(meta.size, range)?;
            if served.is_empty() {
                let stream: ByteStream = Box::pin(futures::stream::empty());
                return Ok(FileRead {
                    entry,
                    range: served,
                    stream,
                });
            }
            // The same version as the `head`, or a precondition failure to retry on.
            let options = GetOptions::new()
                .with_range(Some(served.start..served.end))
                .with_if_match(meta.e_tag.clone());
            let result = match self.store.get_opts(&location, options).await {
                Ok(result) => result,
                Err(object_store::Error::Precondition { .. }) if attempt < READ_ATTEMPTS => {
                    continue;
                }
                Err(e) => return Err(self.map(path)(e)),
            };
            let backend = self.name();
            let stream_path = path.clone();
            let stream: ByteStream = match result.payload {
                GetResultPayload::File(file, _) => Box::pin(
                    local::file_stream(file, result.range, local::READ_CHUNK)
                        .map_err(move |e| map_io(backend, &stream_path, e)),
                ),
                GetResultPayload::Stream(stream) => {
                    Box::pin(stream.map_err(move |e| map_error(backend, &stream_path, e)))
                }
            };
            return Ok(FileRead {
                entry,
                range: served,
                stream,
            });
        }
    }

    async fn write(
        &self,
        path: &SharePath,
        data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        if path.is_root() {
            return Err(root_refused(path));
        }
        let location = self.location(path)?;
        self.refuse_reserved_file(path)?;
        // Fail early, before consuming a body that could not be stored anyway.
        self.check_writable(path, &location, options.overwrite)
            .await?;
        // Directories a failed upload must not leave behind on disk.
        let created_dirs = match (&self.local_root, self.local_path(path)) {
            (Some(root), Some(file)) => {
                let root = root.clone();
                local::blocking(move || {
                    Ok(file
                        .parent()
                        .map(|dir| local::missing_dirs(&root, dir))
                        .unwrap_or_default())
                })
                .await
                .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if let Err(e) = self.store_body(path, &location, data, options).await {
            if !created_dirs.is_empty()
                && let Err(cleanup) = local::blocking(move || {
                    local::remove_empty_dirs(&created_dirs);
                    Ok(())
                })
                .await
            {
                tracing::debug!(error = %cleanup, "empty folders of a failed write stay behind");
            }
            return Err(e);
        }
        let meta = self.store.head(&location).await.map_err(self.map(path))?;
        Ok(self.file_entry(path.clone(), &meta))
    }

    async fn create_folder(&self, path: &SharePath) -> Result<(), FileStoreError> {
        if path.is_root() {
            return Ok(());
        }
        let location = self.location(path)?;
        if self.head(path, &location).await?.is_some() {
            return Err(FileStoreError::AlreadyExists { path: path.clone() });
        }
        self.check_parents(path).await?;
        let marker = Self::marker(&location);
        // Create-only, so re-creating a folder keeps its original time.
        match self
            .store
            .put_opts(&marker, PutPayload::new(), PutMode::Create.into())
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) if is_unsupported(&e) => self
                .store
                .put(&marker, PutPayload::new())
                .await
                .map(drop)
                .map_err(self.map(path)),
            Err(e) => Err(self.map(path)(e)),
        }
    }

    async fn delete(&self, path: &SharePath) -> Result<(), FileStoreError> {
        if path.is_root() {
            return Err(root_refused(path));
        }
        let location = self.location(path)?;
        if self.head(path, &location).await?.is_some() {
            return self.store.delete(&location).await.map_err(self.map(path));
        }
        if self.folder(path, &location).await?.is_none() {
            return Err(FileStoreError::NotFound { path: path.clone() });
        }
        self.delete_tree(path, &location).await
    }

    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.transfer(from, to, false).await
    }

    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.transfer(from, to, true).await
    }
}

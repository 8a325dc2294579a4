//! Moving a whole store to another one: [`migrate`] copies every object under the source's
//! prefix (shared files, snapshot copies under `.sharelink/snapshots`, inboxes, folder
//! markers) and then [`verify`]s every object by size and SHA-256.
//!
//! - **Streaming.** Each object is read as a stream and written through the target's own
//!   upload path: one put up to one part, a multipart upload (aborted on failure) above,
//!   so memory stays at a few parts per object in flight whatever the sizes.
//! - **Resumable.** An object already at the target with the same size and the same
//!   SHA-256 is skipped, so a rerun after an interruption copies only what is missing
//!   or differs. A half-copied object is never visible (uploads complete atomically).
//! - **Checked, not trusted.** Entity tags differ between backends (an S3 multipart tag
//!   is no MD5, a local tag is an inode), so both sides are hashed.
//! - **Empty folders survive.** On local disk an empty directory is a folder without any
//!   object; the copy writes a [`FOLDER_MARKER`](crate::FOLDER_MARKER) for it, which is
//!   how object stores keep empty folders.

use crate::local;
use crate::store::{FOLDER_MARKER, ObjectFileStore};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{ByteStream, FileStoreError, WriteOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How [`migrate`] runs.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    concurrency: usize,
    fail_after: Option<usize>,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            fail_after: None,
        }
    }
}

impl MigrateOptions {
    /// Sets how many objects are copied (or verified) at once (at least 1; default 4).
    /// Peak memory is about this many times the target's upload memory.
    #[must_use]
    pub fn with_concurrency(mut self, objects: usize) -> Self {
        self.concurrency = objects.max(1);
        self
    }

    /// A fault to test resumption with: after `objects` copies have started, the next copy
    /// fails halfway through its body, as a crash would leave it, and [`migrate`] returns
    /// [`MigrateError::Interrupted`].
    #[must_use]
    pub fn fail_after(mut self, objects: usize) -> Self {
        self.fail_after = Some(objects);
        self
    }
}

/// What a move did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Objects copied.
    pub copied: u64,
    /// Bytes copied.
    pub copied_bytes: u64,
    /// Objects already at the target with the same size and checksum.
    pub skipped: u64,
    /// Bytes of the skipped objects.
    pub skipped_bytes: u64,
    /// Empty local folders given a folder marker at the target.
    pub folders: u64,
    /// What the final check found.
    pub verified: Verification,
}

/// What [`verify`] checked: every object of the source is at the target, same size,
/// same SHA-256.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Objects checked (each one equal).
    pub objects: u64,
    /// Bytes hashed on each side.
    pub bytes: u64,
    /// Objects at the target that the source does not have (left alone; listed so an
    /// operator can see a target that was not empty).
    pub extra: Vec<String>,
    /// Time spent.
    pub elapsed: Duration,
}

/// How an object differs at the target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Difference {
    /// Not at the target.
    Missing,
    /// A different size.
    Size {
        /// Bytes at the source.
        source: u64,
        /// Bytes at the target.
        target: u64,
    },
    /// Same size, different bytes.
    Checksum,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Missing => f.write_str("missing at the target"),
            Difference::Size { source, target } => {
                write!(f, "{source} bytes at the source, {target} at the target")
            }
            Difference::Checksum => f.write_str("same size, different SHA-256"),
        }
    }
}

/// Why a move or a check failed. Keys are relative to the stores' prefixes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// Listing the objects failed.
    #[error("cannot list the objects of {store} storage")]
    List {
        /// Which backend.
        store: &'static str,
        /// `object_store`'s error.
        #[source]
        source: object_store::Error,
    },
    /// The folders of the local source could not be read.
    #[error("cannot read the folders under `{}`", path.display())]
    LocalFolders {
        /// The folder.
        path: PathBuf,
        /// The filesystem's error.
        #[source]
        source: std::io::Error,
    },
    /// An object could not be read (or its size looked up).
    #[error("cannot read `{key}` from {store} storage")]
    Read {
        /// Which backend.
        store: &'static str,
        /// The object.
        key: String,
        /// `object_store`'s error.
        #[source]
        source: object_store::Error,
    },
    /// An object could not be written.
    #[error("cannot write `{key}` to the target")]
    Write {
        /// The object.
        key: String,
        /// The target's error.
        #[source]
        source: FileStoreError,
    },
    /// The copy stopped on purpose ([`MigrateOptions::fail_after`]); run it again to
    /// resume.
    #[error("the copy was interrupted after {started} objects (run it again to resume)")]
    Interrupted {
        /// Copies started before the fault.
        started: usize,
    },
    /// The final check found objects that differ.
    #[error("{} objects differ after the move; the first, `{}`, is {}", differences.len(),
        differences.first().map_or("", |(k, _)| k.as_str()),
        differences.first().map_or(String::new(), |(_, d)| d.to_string()))]
    Differs {
        /// Each differing object (by key, sorted) and how.
        differences: Vec<(String, Difference)>,
    },
}

/// One thing to copy: an object, or a folder marker for an empty local directory.
#[derive(Debug, Clone)]
struct Item {
    /// The key below the prefix.
    key: Path,
    size: u64,
    /// A marker made up for an empty directory: nothing to read at the source.
    made_up: bool,
}

/// Copies every object under `from`'s prefix to the same keys under `to`'s prefix, then
/// checks them all ([`verify`]).
///
/// Objects already at the target with the same size and SHA-256 are skipped, so a rerun
/// resumes an interrupted move. Objects are overwritten when they differ; objects of the
/// target that the source lacks are left alone and listed in the report. Run it while
/// nothing writes to the source (or run it again, with writes stopped, before switching).
///
/// # Errors
/// [`MigrateError`]: a listing, read or write failed, the test fault fired, or the final
/// check found differences.
pub async fn migrate(
    from: &ObjectFileStore,
    to: &ObjectFileStore,
    options: &MigrateOptions,
) -> Result<MigrationReport, MigrateError> {
    let items = inventory(from).await?;
    let started = AtomicUsize::new(0);
    let outcomes: Vec<Copied> = futures::stream::iter(&items)
        .map(|item| copy_item(from, to, item, options, &started))
        .buffer_unordered(options.concurrency)
        .try_collect()
        .await?;
    let mut report = MigrationReport::default();
    for (item, outcome) in outcomes {
        match outcome {
            Outcome::Copied if item.made_up => report.folders += 1,
            Outcome::Copied => {
                report.copied += 1;
                report.copied_bytes += item.size;
            }
            Outcome::Skipped => {
                report.skipped += 1;
                report.skipped_bytes += item.size;
            }
        }
    }
    report.verified = check(from, to, &items, options).await?;
    Ok(report)
}

/// Checks that every object under `from`'s prefix is under `to`'s prefix with the same
/// size and SHA-256 (and every empty local folder of `from` is a folder at `to`).
///
/// # Errors
/// [`MigrateError::Differs`] with every difference, or a listing or read failure.
pub async fn verify(
    from: &ObjectFileStore,
    to: &ObjectFileStore,
    options: &MigrateOptions,
) -> Result<Verification, MigrateError> {
    let items = inventory(from).await?;
    check(from, to, &items, options).await
}

async fn check(
    from: &ObjectFileStore,
    to: &ObjectFileStore,
    items: &[Item],
    options: &MigrateOptions,
) -> Result<Verification, MigrateError> {
    let start = Instant::now();
    let results: Vec<(Item, Option<Difference>)> = futures::stream::iter(items)
        .map(|item| async move {
            let difference = compare(from, to, item).await?;
            Ok::<_, MigrateError>((item.clone(), difference))
        })
        .buffer_unordered(options.concurrency)
        .try_collect()
        .await?;
    let mut verification = Verification::default();
    let mut differences = Vec::new();
    for (item, difference) in results {
        match difference {
            None => {
                verification.objects += 1;
                verification.bytes += item.size;
            }
            Some(d) => differences.push((item.key.to_string(), d)),
        }
    }
    if !differences.is_empty() {
        differences.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(MigrateError::Differs { differences });
    }
    let known: BTreeSet<&Path> = items.iter().map(|i| &i.key).collect();
    verification.extra = listed(to)
        .await?
        .into_keys()
        .filter(|key| !known.contains(key))
        .map(|key| key.to_string())
        .collect();
    verification.elapsed = start.elapsed();
    Ok(verification)
}

/// How one item was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Copied,
    Skipped,
}

type Copied = (Item, Outcome);

/// The key of `key` below `store`'s prefix.
fn full_key(store: &ObjectFileStore, key: &Path) -> Path {
    store.prefix.parts().chain(key.parts()).collect()
}

/// Every object below the store's prefix, by key relative to the prefix, with its size.
async fn listed(store: &ObjectFileStore) -> Result<BTreeMap<Path, u64>, MigrateError> {
    let prefix = (!store.prefix.as_ref().is_empty()).then_some(&store.prefix);
    let backend = store.backend().name();
    store
        .store
        .list(prefix)
        .map_err(|source| MigrateError::List {
            store: backend,
            source,
        })
        .try_filter_map(|meta| async move {
            Ok(meta
                .location
                .prefix_match(&store.prefix)
                .map(|parts| (parts.collect::<Path>(), meta.size)))
        })
        .try_collect()
        .await
}

/// What to copy: every object, plus a folder marker for each directory of a local source
/// that holds nothing at all (an empty folder there has no object of its own).
async fn inventory(from: &ObjectFileStore) -> Result<Vec<Item>, MigrateError> {
    let objects = listed(from).await?;
    let mut items: Vec<Item> = objects
        .iter()
        .map(|(key, size)| Item {
            key: key.clone(),
            size: *size,
            made_up: false,
        })
        .collect();
    if let Some(root) = from
        .local_root
        .clone()
        .filter(|_| from.prefix.as_ref().is_empty())
    {
        let walked = root.clone();
        let dirs = local::blocking(move || directories(&walked))
            .await
            .map_err(|source| MigrateError::LocalFolders { path: root, source })?;
        // A directory with an object or a directory below it is kept by those.
        let mut holding: BTreeSet<Path> = BTreeSet::new();
        for key in objects.keys().chain(&dirs) {
            let parts: Vec<_> = key.parts().collect();
            for depth in 1..parts.len() {
                holding.insert(parts[..depth].iter().cloned().collect());
            }
        }
        for dir in dirs.into_iter().filter(|d| !holding.contains(d)) {
            items.push(Item {
                key: dir.join(FOLDER_MARKER),
                size: 0,
                made_up: true,
            });
        }
    }
    Ok(items)
}

/// Every directory below `root`, as keys relative to it (names that are no valid key,
/// which the store could not have written, are passed over).
fn directories(root: &std::path::Path) -> std::io::Result<Vec<Path>> {
    let mut found = Vec::new();
    let mut pending = vec![(root.to_path_buf(), Path::default())];
    while let Some((dir, key)) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Ok(part) = object_store::path::PathPart::parse(&name) else {
                continue;
            };
            let child = key.clone().join(part);
            found.push(child.clone());
            pending.push((entry.path(), child));
        }
    }
    Ok(found)
}

/// The object's bytes as a stream (large chunks on local disk).
async fn read_stream(
    store: &ObjectFileStore,
    key: &Path,
) -> Result<BoxStream<'static, object_store::Result<Bytes>>, MigrateError> {
    let backend = store.backend().name();
    let result = store
        .store
        .get(&full_key(store, key))
        .await
        .map_err(|source| MigrateError::Read {
            store: backend,
            key: key.to_string(),
            source,
        })?;
    Ok(match result.payload {
        GetResultPayload::File(file, _) => {
            local::file_stream(file, result.range, local::READ_CHUNK)
                .map_err(|e| object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                })
                .boxed()
        }
        GetResultPayload::Stream(stream) => stream,
    })
}

/// The object's size and SHA-256, or `None` when it is not there.
async fn digest(
    store: &ObjectFileStore,
    key: &Path,
) -> Result<Option<(u64, [u8; 32])>, MigrateError> {
    let backend = store.backend().name();
    let read_error = |source| MigrateError::Read {
        store: backend,
        key: key.to_string(),
        source,
    };
    let mut stream = match read_stream(store, key).await {
        Ok(stream) => stream,
        Err(MigrateError::Read { source, .. }) if crate::error::is_not_found(&source) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(read_error)?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok(Some((size, hasher.finalize().into())))
}

/// The object's size at the target, `None` when absent.
async fn target_size(to: &ObjectFileStore, key: &Path) -> Result<Option<u64>, MigrateError> {
    match to.store.head(&full_key(to, key)).await {
        Ok(meta) => Ok(Some(meta.size)),
        Err(e) if crate::error::is_not_found(&e) => Ok(None),
        Err(source) => Err(MigrateError::Read {
            store: to.backend().name(),
            key: key.to_string(),
            source,
        }),
    }
}

/// Whether `item` is already at the target, same size and bytes.
async fn compare(
    from: &ObjectFileStore,
    to: &ObjectFileStore,
    item: &Item,
) -> Result<Option<Difference>, MigrateError> {
    if item.made_up {
        // A folder marker stands for an empty directory: being there is all it takes.
        return Ok(target_size(to, &item.key)
            .await?
            .is_none()
            .then_some(Difference::Missing));
    }
    let Some(size) = target_size(to, &item.key).await? else {
        return Ok(Some(Difference::Missing));
    };
    if size != item.size {
        return Ok(Some(Difference::Size {
            source: item.size,
            target: size,
        }));
    }
    let (source, target) = futures::try_join!(digest(from, &item.key), digest(to, &item.key))?;
    Ok(match (source, target) {
        (_, None) => Some(Difference::Missing),
        (Some((s, a)), Some((t, b))) if s == t && a == b => None,
        (Some((s, _)), Some((t, _))) if s != t => Some(Difference::Size {
            source: s,
            target: t,
        }),
        // Gone at the source meanwhile: the source changed under the move.
        (None, Some(_)) => Some(Difference::Checksum),
        _ => Some(Difference::Checksum),
    })
}

/// Copies one item unless it is there already.
async fn copy_item(
    from: &ObjectFileStore,
    to: &ObjectFileStore,
    item: &Item,
    options: &MigrateOptions,
    started: &AtomicUsize,
) -> Result<Copied, MigrateError> {
    if compare(from, to, item).await?.is_none() {
        return Ok((item.clone(), Outcome::Skipped));
    }
    let number = started.fetch_add(1, Ordering::SeqCst);
    let crash = options.fail_after.is_some_and(|n| number >= n);
    let body: ByteStream = if item.made_up {
        Box::pin(futures::stream::empty())
    } else {
        let stream = read_stream(from, &item.key).await?;
        let backend = from.backend().name();
        let key = item.key.to_string();
        Box::pin(stream.map_err(move |e| FileStoreError::Backend {
            store: backend,
            source: format!("reading `{key}`: {e}").into(),
        }))
    };
    let body = if crash { halfway(body) } else { body };
    let written = to
        .store_body(
            &SharePath::root(),
            &full_key(to, &item.key),
            body,
            WriteOptions {
                overwrite: true,
                ..WriteOptions::default()
            },
        )
        .await;
    match written {
        Ok(()) if crash => Err(MigrateError::Interrupted { started: number }),
        Ok(()) => Ok((item.clone(), Outcome::Copied)),
        Err(_) if crash => Err(MigrateError::Interrupted { started: number }),
        Err(source) => Err(MigrateError::Write {
            key: item.key.to_string(),
            source,
        }),
    }
}

/// The body cut after its first chunk, with an error, as a crash mid-copy leaves it.
fn halfway(body: ByteStream) -> ByteStream {
    let fault = futures::stream::once(async {
        Err(FileStoreError::Backend {
            store: "migration",
            source: "the injected fault".into(),
        })
    });
    Box::pin(body.take(1).chain(fault))
}

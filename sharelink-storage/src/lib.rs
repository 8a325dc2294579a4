//! File storage for sharelink: the file-store port of `sharelink-core` implemented over
//! [`object_store`], so shared files can live on local disk, in memory, on Amazon S3 (or
//! any S3-compatible server), on Google Cloud Storage or on Azure Blob Storage, with the
//! same rules everywhere.
//!
//! ```
//! use sharelink_core::SharePath;
//! use sharelink_core::ports::{FileStore, FileStoreError, WriteOptions};
//! use sharelink_storage::ObjectFileStore;
//! use std::sync::Arc;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let store: Arc<dyn FileStore> = Arc::new(ObjectFileStore::from_url("memory://")?);
//! let path = SharePath::parse("reports/q1.txt")?;
//! let body = futures::stream::iter([Ok::<_, FileStoreError>(bytes::Bytes::from("hello"))]);
//! store.write(&path, Box::pin(body), WriteOptions::default()).await?;
//! assert_eq!(store.stat(&path).await?.size, 5);
//! assert_eq!(store.list(&SharePath::parse("reports")?).await?.len(), 1);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```
//!
//! # Backends and features
//!
//! | backend | URL | cargo feature |
//! |---|---|---|
//! | local folder (the embedded default) | `file:///srv/sharelink/files` | always |
//! | memory (tests, demos) | `memory://` | always |
//! | Amazon S3, S3-compatible servers | `s3://bucket/prefix?region=…&endpoint=…` | `s3` |
//! | Google Cloud Storage | `gs://bucket/prefix` | `gcp` |
//! | Azure Blob Storage | `az://container/prefix?account_name=…` | `azure` |
//!
//! [`ObjectFileStore::from_url`] builds any of them; options not in the URL come from the
//! backend's usual environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT`, `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`,
//! …). [`ObjectFileStore::new`] wraps any other `object_store` implementation.
//!
//! # How the port maps onto object storage
//!
//! - **Folders are key prefixes.** A folder made with `create_folder` holds an empty
//!   [`FOLDER_MARKER`] object, so it is kept while empty and never listed; folders only
//!   implied by files vanish with their last file (on local disk the directory stays).
//! - **Streaming everywhere.** Reads are ranged gets streamed chunk by chunk; writes
//!   consume the body stream and switch to a multipart upload past one part (10 MiB on
//!   cloud backends, 2 MiB locally), so memory stays flat whatever the file size.
//! - **Visible only when complete.** A single-part body is one atomic put; a multipart
//!   upload becomes visible on completion, and a failed or dropped upload is aborted.
//!   Create-only writes use a conditional put (`PutMode::Create`); for multipart bodies
//!   the target is checked again right before completion.
//! - **Rename and copy** of files use create-only copies; folders are copied key by key
//!   (then deleted, for a rename). On local disk a folder rename is one directory rename,
//!   and a copy is a real byte copy (streamed to a staging name, then linked into place,
//!   so it is visible only when complete), never a hard link: another program rewriting
//!   the original in place leaves the copy, and so a snapshot share, unchanged. (A
//!   `LocalFileSystem` wrapped with [`ObjectFileStore::new`] keeps `object_store`'s hard
//!   links: use [`ObjectFileStore::local`] for local folders.)
//! - **Errors** are the port's typed kinds (not found, permission denied, unreachable,
//!   precondition failed, …), naming the backend and keeping `object_store`'s error as
//!   the source; configuration problems are this crate's [`Error`].
//!
//! Amazon S3 limits: a single copy (used by rename and copy) handles objects up to
//! 5 GiB; with the default part size uploads go up to about 97 GiB (raise it with
//! [`ObjectFileStore::with_part_size`]). Configure a lifecycle rule that removes
//! incomplete multipart uploads, for processes killed mid-upload.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod config;
mod error;
mod local;
pub mod migrate;
mod range;
mod store;

pub use backend::Backend;
pub use error::Error;
pub use store::{FOLDER_MARKER, ObjectFileStore};

/// The `object_store` version this crate is built on, for [`ObjectFileStore::new`].
pub use object_store;

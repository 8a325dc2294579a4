//! Configuration errors of this crate, and the mapping of `object_store` errors into the
//! file-store port's errors.

use sharelink_core::SharePath;
use sharelink_core::ports::file_store::FileStoreError;
use std::io;

/// Why a store could not be configured (bad URL, unknown scheme, missing bucket, …).
///
/// Messages name the URL without its query string or user info, so credentials passed
/// as options never show up in errors or logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a URL.
    #[error("invalid storage URL `{url}`")]
    InvalidUrl {
        /// The URL, without query or user info.
        url: String,
        /// Why it did not parse.
        #[source]
        source: url::ParseError,
    },
    /// The URL's scheme names no backend this crate knows.
    #[error("unknown storage scheme `{scheme}` (expected file, memory, s3, gs or az)")]
    UnknownScheme {
        /// The scheme.
        scheme: String,
    },
    /// The backend exists but its cargo feature is off.
    #[error("`{scheme}://` storage needs the `{feature}` feature of sharelink-storage")]
    FeatureDisabled {
        /// The scheme.
        scheme: String,
        /// The cargo feature that enables it.
        feature: &'static str,
    },
    /// An `s3://`, `gs://` or `az://` URL without a bucket (or container) name.
    #[error("storage URL `{url}` names no bucket")]
    MissingBucket {
        /// The URL, without query or user info.
        url: String,
    },
    /// A `file://` URL that is not an absolute local path.
    #[error("storage URL `{url}` is not an absolute local path")]
    NotALocalPath {
        /// The URL, without query or user info.
        url: String,
    },
    /// An option (URL query parameter) that the backend does not know.
    #[error("unknown option `{key}` for {backend} storage")]
    UnknownOption {
        /// Which backend.
        backend: &'static str,
        /// The option's name.
        key: String,
    },
    /// An option whose value could not be understood.
    #[error("invalid value for option `{key}` of {backend} storage")]
    InvalidOption {
        /// Which backend.
        backend: &'static str,
        /// The option's name.
        key: String,
    },
    /// The prefix (the URL's path) is not a valid object path.
    #[error("invalid storage prefix `{prefix}`")]
    InvalidPrefix {
        /// The prefix.
        prefix: String,
        /// Why.
        #[source]
        source: object_store::path::Error,
    },
    /// The local root folder could not be created or opened.
    #[error("cannot use local storage folder `{}`", path.display())]
    LocalFolder {
        /// The folder.
        path: std::path::PathBuf,
        /// The filesystem's error.
        #[source]
        source: io::Error,
    },
    /// The backend rejected its configuration.
    #[error("cannot configure {backend} storage")]
    Build {
        /// Which backend.
        backend: &'static str,
        /// `object_store`'s error.
        #[source]
        source: object_store::Error,
    },
}

/// Whether an `object_store` error means "nothing there".
pub(crate) fn is_not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
        || io_kind(e).is_some_and(|k| matches!(k, io::ErrorKind::NotADirectory))
}

/// Whether the backend lacks an operation mode (create-only put or copy), so the caller
/// falls back to check-then-write.
pub(crate) fn is_unsupported(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. }
    )
}

/// The kind of the first `io::Error` in the error's source chain.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        current = err.source();
    }
    None
}

/// Whether an I/O error says there is no room left (a full disk or a quota).
fn is_no_space(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Whether anything in the source chain says the backend could not be reached.
fn is_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        #[cfg(any(feature = "s3", feature = "gcp", feature = "azure"))]
        if let Some(http) = err.downcast_ref::<object_store::client::HttpError>() {
            use object_store::client::HttpErrorKind as K;
            if matches!(
                http.kind(),
                K::Connect | K::Request | K::Timeout | K::Interrupted
            ) {
                return true;
            }
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            use io::ErrorKind as K;
            if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::TimedOut
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::NetworkDown
            ) {
                return true;
            }
        }
        current = err.source();
    }
    false
}

/// Maps an `object_store` error about `path` into the port's typed error, naming the
/// backend and keeping the original as the source.
pub(crate) fn map_error(
    backend: &'static str,
    path: &SharePath,
    e: object_store::Error,
) -> FileStoreError {
    use object_store::Error as E;
    if is_not_found(&e) {
        return FileStoreError::NotFound { path: path.clone() };
    }
    match &e {
        E::AlreadyExists { .. } => FileStoreError::AlreadyExists { path: path.clone() },
        E::Precondition { .. } => FileStoreError::PreconditionFailed {
            store: backend,
            source: Box::new(e),
        },
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
            FileStoreError::PermissionDenied {
                store: backend,
                source: Box::new(e),
            }
        }
        E::InvalidPath { .. } => FileStoreError::InvalidPath {
            path: path.to_string(),
            reason: format!("refused by {backend} storage: {e}"),
        },
        _ if io_kind(&e) == Some(io::ErrorKind::PermissionDenied) => {
            FileStoreError::PermissionDenied {
                store: backend,
                source: Box::new(e),
            }
        }
        _ if io_kind(&e).is_some_and(is_no_space) => FileStoreError::NoSpace {
            store: backend,
            source: Box::new(e),
        },
        _ if is_unreachable(&e) => FileStoreError::Unreachable {
            store: backend,
            source: Box::new(e),
        },
        _ => FileStoreError::Backend {
            store: backend,
            source: Box::new(e),
        },
    }
}

/// Maps a local filesystem error about `path` (folder bookkeeping on the local backend).
pub(crate) fn map_io(backend: &'static str, path: &SharePath, e: io::Error) -> FileStoreError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
            FileStoreError::NotFound { path: path.clone() }
        }
        io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty => {
            FileStoreError::AlreadyExists { path: path.clone() }
        }
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            FileStoreError::PermissionDenied {
                store: backend,
                source: Box::new(e),
            }
        }
        kind if is_no_space(kind) => FileStoreError::NoSpace {
            store: backend,
            source: Box::new(e),
        },
        _ => FileStoreError::Backend {
            store: backend,
            source: Box::new(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> SharePath {
        SharePath::parse("a/b.txt").unwrap_or_default()
    }

    fn boxed(text: &str) -> Box<dyn std::error::Error + Send + Sync> {
        text.into()
    }

    #[test]
    fn object_store_errors_map_to_typed_kinds() {
        use object_store::Error as E;
        type Expected = fn(&FileStoreError) -> bool;
        let cases: Vec<(E, Expected)> = vec![
            (
                E::NotFound {
                    path: "a/b.txt".into(),
                    source: boxed("gone"),
                },
                |e| matches!(e, FileStoreError::NotFound { .. }),
            ),
            (
                E::AlreadyExists {
                    path: "a/b.txt".into(),
                    source: boxed("there"),
                },
                |e| matches!(e, FileStoreError::AlreadyExists { .. }),
            ),
            (
                E::Precondition {
                    path: "a/b.txt".into(),
                    source: boxed("etag"),
                },
                |e| matches!(e, FileStoreError::PreconditionFailed { store: "s3", .. }),
            ),
            (
                E::PermissionDenied {
                    path: "a/b.txt".into(),
                    source: boxed("403"),
                },
                |e| matches!(e, FileStoreError::PermissionDenied { store: "s3", .. }),
            ),
            (
                E::Unauthenticated {
                    path: "a/b.txt".into(),
                    source: boxed("401"),
                },
                |e| matches!(e, FileStoreError::PermissionDenied { .. }),
            ),
            (
                E::Generic {
                    store: "S3",
                    source: Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)),
                },
                |e| matches!(e, FileStoreError::Unreachable { store: "s3", .. }),
            ),
            (
                E::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(io::Error::from(io::ErrorKind::PermissionDenied)),
                },
                |e| matches!(e, FileStoreError::PermissionDenied { .. }),
            ),
            (
                E::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(io::Error::from(io::ErrorKind::NotADirectory)),
                },
                |e| matches!(e, FileStoreError::NotFound { .. }),
            ),
            (
                E::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(io::Error::from(io::ErrorKind::StorageFull)),
                },
                |e| matches!(e, FileStoreError::NoSpace { store: "s3", .. }),
            ),
            (
                E::Generic {
                    store: "S3",
                    source: boxed("something odd"),
                },
                |e| matches!(e, FileStoreError::Backend { store: "s3", .. }),
            ),
        ];
        for (input, expected) in cases {
            let text = input.to_string();
            let mapped = map_error("s3", &path(), input);
            assert!(expected(&mapped), "{text} became {mapped:?}");
        }
    }

    #[test]
    fn mapped_errors_keep_their_source() {
        let mapped = map_error(
            "s3",
            &path(),
            object_store::Error::PermissionDenied {
                path: "a/b.txt".into(),
                source: boxed("403 Forbidden"),
            },
        );
        let source = std::error::Error::source(&mapped).map(ToString::to_string);
        assert!(source.is_some_and(|s| s.contains("403 Forbidden")));
        assert!(
            mapped.to_string().starts_with("s3:"),
            "names the store: {mapped}"
        );
    }
}

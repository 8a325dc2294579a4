//! [`Backend`]: which kind of backend a store talks to.

/// Which kind of backend a store talks to. It names the store in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// A folder on local disk.
    Local,
    /// Process memory (tests, demos).
    Memory,
    /// Amazon S3 or an S3-compatible server.
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
    /// Any other `object_store` implementation, given to
    /// [`ObjectFileStore::new`](crate::ObjectFileStore::new).
    Other,
}

impl Backend {
    /// Short name, as used in errors (`"local"`, `"s3"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::Memory => "memory",
            Backend::S3 => "s3",
            Backend::Gcs => "gcs",
            Backend::Azure => "azure",
            Backend::Other => "object-store",
        }
    }

    pub(crate) fn is_cloud(self) -> bool {
        !matches!(self, Backend::Local | Backend::Memory)
    }
}

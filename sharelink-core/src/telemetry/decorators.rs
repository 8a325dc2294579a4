//! Port decorators that record metrics around the file store and the mailer, so every
//! adapter is measured the same way. [`crate::service::Sharelink::new`] wraps its ports
//! in them.

use super::{MAIL_FAILED, MAIL_SENT, STORAGE_SECONDS, outcome};
use crate::SharePath;
use crate::ports::{
    ByteRange, ByteStream, Entry, FileRead, FileStore, FileStoreError, Mail, MailError, Mailer,
    WriteOptions,
};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;
// A latency is a measurement, not a rule: it needs a monotonic timer, not the clock port.
use std::time::Instant;

/// A [`FileStore`] that records the time of every call in [`STORAGE_SECONDS`].
#[derive(Debug, Clone)]
pub struct TimedFileStore(pub Arc<dyn FileStore>);

impl TimedFileStore {
    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, FileStoreError>>,
    ) -> Result<T, FileStoreError> {
        let start = Instant::now();
        let out = call.await;
        metrics::histogram!(STORAGE_SECONDS, "operation" => operation, "outcome" => outcome(&out))
            .record(start.elapsed().as_secs_f64());
        out
    }
}

#[async_trait]
impl FileStore for TimedFileStore {
    async fn stat(&self, path: &SharePath) -> Result<Entry, FileStoreError> {
        self.timed("stat", self.0.stat(path)).await
    }

    async fn list(&self, folder: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        self.timed("list", self.0.list(folder)).await
    }

    async fn read(
        &self,
        path: &SharePath,
        range: Option<ByteRange>,
    ) -> Result<FileRead, FileStoreError> {
        self.timed("read", self.0.read(path, range)).await
    }

    async fn write(
        &self,
        path: &SharePath,
        data: ByteStream,
        options: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        self.timed("write", self.0.write(path, data, options)).await
    }

    async fn create_folder(&self, path: &SharePath) -> Result<(), FileStoreError> {
        self.timed("create_folder", self.0.create_folder(path))
            .await
    }

    async fn delete(&self, path: &SharePath) -> Result<(), FileStoreError> {
        self.timed("delete", self.0.delete(path)).await
    }

    async fn rename(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.timed("rename", self.0.rename(from, to)).await
    }

    async fn copy(&self, from: &SharePath, to: &SharePath) -> Result<(), FileStoreError> {
        self.timed("copy", self.0.copy(from, to)).await
    }
}

/// A [`Mailer`] that counts each message in [`MAIL_SENT`] or [`MAIL_FAILED`] and logs
/// each failure with its cause.
#[derive(Debug, Clone)]
pub struct CountedMailer(pub Arc<dyn Mailer>);

#[async_trait]
impl Mailer for CountedMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let kind = mail.message.kind();
        let out = self.0.send(mail).await;
        match &out {
            Ok(()) => metrics::counter!(MAIL_SENT, "kind" => kind).increment(1),
            Err(e) => {
                tracing::warn!(kind, error = %super::Chain(e), "sending a mail failed");
                metrics::counter!(MAIL_FAILED, "kind" => kind, "error" => error_label(e))
                    .increment(1);
            }
        }
        out
    }
}

/// The `error` label of [`MAIL_FAILED`].
fn error_label(error: &MailError) -> &'static str {
    match error {
        MailError::Rejected { .. } => "rejected",
        MailError::Deferred { .. } => "deferred",
        MailError::Unreachable { .. } => "unreachable",
        MailError::Build { .. } => "build",
        _ => "other",
    }
}

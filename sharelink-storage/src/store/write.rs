//! Writes: a body that fits in one part is one atomic put, a larger one a multipart
//! upload that is aborted on failure or when dropped.

use super::ObjectFileStore;
use crate::error::is_unsupported;
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutPayload, WriteMultipart};
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{ByteStream, FileStoreError, WriteOptions};

impl ObjectFileStore {
    /// Stores a body that fits in one part, atomically.
    async fn put_whole(
        &self,
        path: &SharePath,
        location: &Path,
        parts: Vec<Bytes>,
        overwrite: bool,
    ) -> Result<(), FileStoreError> {
        let payload: PutPayload = parts.into_iter().collect();
        let mode = if overwrite {
            PutMode::Overwrite
        } else {
            PutMode::Create
        };
        match self
            .store
            .put_opts(location, payload.clone(), mode.into())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_unsupported(&e) => {
                // No conditional put here (S3 with `conditional_put=disabled`, say): the
                // best left is to check just before writing.
                if self.head(path, location).await?.is_some() {
                    return Err(FileStoreError::AlreadyExists { path: path.clone() });
                }
                self.store
                    .put(location, payload)
                    .await
                    .map(drop)
                    .map_err(self.map(path))
            }
            Err(e) => Err(self.map(path)(e)),
        }
    }

    /// Streams a body larger than one part with a multipart upload, aborted on failure.
    async fn put_multipart(
        &self,
        path: &SharePath,
        location: &Path,
        first: Vec<Bytes>,
        mut total: u64,
        mut data: ByteStream,
        options: WriteOptions,
    ) -> Result<(), FileStoreError> {
        let upload = self
            .store
            .put_multipart(location)
            .await
            .map_err(self.map(path))?;
        let mut upload = Upload(Some(WriteMultipart::new_with_chunk_size(
            upload,
            self.part_size,
        )));
        for chunk in first {
            upload.writer()?.put(chunk);
        }
        loop {
            if let Err(e) = upload
                .writer()?
                .wait_for_capacity(self.upload_concurrency)
                .await
            {
                upload.abort().await;
                return Err(self.map(path)(e));
            }
            let chunk = match data.next().await {
                None => break,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    upload.abort().await;
                    return Err(FileStoreError::Aborted {
                        source: Box::new(e),
                    });
                }
            };
            total += chunk.len() as u64;
            if let Some(max) = options.max_bytes.filter(|max| total > *max) {
                upload.abort().await;
                return Err(FileStoreError::TooLarge { max });
            }
            upload.writer()?.put(chunk);
        }
        if !options.overwrite && self.head(path, location).await?.is_some() {
            // Multipart uploads have no create-only completion in `object_store`: this
            // last check leaves only the time of the completion request for a race.
            upload.abort().await;
            return Err(FileStoreError::AlreadyExists { path: path.clone() });
        }
        let writer = upload.take()?;
        // `finish` aborts the upload itself when completing fails.
        writer.finish().await.map(drop).map_err(self.map(path))
    }

    /// Reads and stores the body; on failure nothing new is visible at `location`.
    /// `path` only names the file in errors (and in the create-only check).
    pub(crate) async fn store_body(
        &self,
        path: &SharePath,
        location: &Path,
        mut data: ByteStream,
        options: WriteOptions,
    ) -> Result<(), FileStoreError> {
        let mut first = Vec::new();
        let mut total = 0u64;
        loop {
            match data.next().await {
                None => {
                    return self
                        .put_whole(path, location, first, options.overwrite)
                        .await;
                }
                Some(Err(e)) => {
                    return Err(FileStoreError::Aborted {
                        source: Box::new(e),
                    });
                }
                Some(Ok(chunk)) => {
                    total += chunk.len() as u64;
                    if let Some(max) = options.max_bytes.filter(|max| total > *max) {
                        return Err(FileStoreError::TooLarge { max });
                    }
                    first.push(chunk);
                    if total > self.part_size as u64 {
                        break;
                    }
                }
            }
        }
        self.put_multipart(path, location, first, total, data, options)
            .await
    }
}

/// A multipart upload that is aborted if dropped before completing (a client that went
/// away drops the write future), so no parts are left behind.
struct Upload(Option<WriteMultipart>);

impl Upload {
    fn writer(&mut self) -> Result<&mut WriteMultipart, FileStoreError> {
        self.0.as_mut().ok_or_else(finished)
    }

    fn take(&mut self) -> Result<WriteMultipart, FileStoreError> {
        self.0.take().ok_or_else(finished)
    }

    async fn abort(&mut self) {
        if let Some(writer) = self.0.take() {
            // Best effort: the write already failed, and that error is the one to report.
            if let Err(e) = writer.abort().await {
                tracing::debug!(error = %e, "aborting a failed upload failed");
            }
        }
    }
}

fn finished() -> FileStoreError {
    FileStoreError::Backend {
        store: "object-store",
        source: "the upload was already finished".into(),
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(writer) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = writer.abort().await {
                    tracing::debug!(error = %e, "aborting a dropped upload failed");
                }
            });
        }
    }
}

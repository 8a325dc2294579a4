//! Upload and send: an owner streams files into a folder of their own area and gets a
//! send-mode (snapshot) share of them, in one request.
//!
//! The files meet the limits a visitor's upload meets: names cleaned of invisible and
//! direction-changing characters and parsed as one segment, the site's refused types on
//! public shares, a size cap enforced while streaming, names that never overwrite.
//! [`Sharelink::start_send`] checks the folder, [`Sharelink::add_to_send`] stores one file,
//! [`Sharelink::finish_send`] creates the share; on any failure the caller hands the batch
//! to [`Sharelink::abandon_send`] and nothing of it stays behind.

use super::{CreateShare, Created, NewItem, Result, ServiceError, Sharelink};
use crate::model::path::strip_invisible;
use crate::ports::{ByteStream, EntryKind, FileStoreError};
use crate::{Capability, Denial, SettingsError, ShareMode, SharePath, UploadViolation, UserId};

/// Files an owner is uploading to send; see the [module docs](self).
#[derive(Debug)]
#[must_use = "finish the batch, or abandon it so its files are removed"]
pub struct SendBatch {
    owner: UserId,
    folder: SharePath,
    public: bool,
    stored: Vec<SharePath>,
}

impl SendBatch {
    /// The files stored so far, in the owner's folder.
    pub fn stored(&self) -> &[SharePath] {
        &self.stored
    }
}

impl Sharelink {
    /// Starts an upload-and-send into `folder`, a folder of the actor's area where they
    /// may upload and share. `public` says whether the share will be public (not
    /// organization-only): the site's refused file types then apply, as to visitors.
    ///
    /// # Errors
    /// [`ServiceError::NoUploadRight`] without the upload or share right on `folder`;
    /// [`ServiceError::NotAFolder`] when it is not a folder; directory or storage errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn start_send(
        &self,
        actor: &UserId,
        folder: SharePath,
        public: bool,
    ) -> Result<SendBatch> {
        self.actor(actor).await?;
        let rights = self.ports.directory.rights(actor, &folder).await?;
        if folder.is_root()
            || !rights.has(Capability::Upload)
            || !rights.has(Capability::Share)
            || self.config.is_reserved(&folder)
        {
            return Err(ServiceError::NoUploadRight(folder.to_string()));
        }
        match self.ports.files.stat(&folder).await {
            Ok(e) if e.kind == EntryKind::Folder => {}
            Ok(_) | Err(FileStoreError::NotFound { .. }) => {
                return Err(ServiceError::NotAFolder(folder));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(SendBatch {
            owner: actor.clone(),
            folder,
            public,
            stored: Vec::new(),
        })
    }

    /// Stores one file of the batch, streamed, at most `max_bytes` long, under its
    /// cleaned name (with ` (n)` added when the name is taken). A file that fails leaves
    /// nothing; the files stored before it stay until the batch is finished or abandoned.
    ///
    /// # Errors
    /// [`Denial::UploadRuleBroken`] for a name that is not one, [`Denial::FileTypeRefused`]
    /// for a refused type on a public share, a storage error (`TooLarge` past the cap).
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn add_to_send(
        &self,
        batch: &mut SendBatch,
        file_name: &str,
        data: ByteStream,
        max_bytes: Option<u64>,
    ) -> Result<SharePath> {
        let cleaned = strip_invisible(file_name);
        let name = SharePath::segment(cleaned.trim())
            .map_err(|_| Denial::UploadRuleBroken(UploadViolation::BadName))?;
        if batch.public
            && let Some(extension) = name
                .extension()
                .filter(|e| self.config.site.refuses_extension(e))
        {
            return Err(Denial::FileTypeRefused { extension }.into());
        }
        let entry = self
            .write_unique(&batch.folder, &name, data, max_bytes)
            .await?;
        batch.stored.push(entry.path.clone());
        Ok(entry.path)
    }

    /// Creates the send-mode share of the batch's files (`req.items` and the mode are
    /// set from the batch), as [`Sharelink::create_share`] does; when that fails, the
    /// batch is abandoned.
    ///
    /// # Errors
    /// [`SettingsError::NoItems`] for an empty batch, or what `create_share` answers.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn finish_send(&self, batch: SendBatch, mut req: CreateShare) -> Result<Created> {
        if batch.stored.is_empty() {
            return Err(SettingsError::NoItems.into());
        }
        req.items = batch
            .stored
            .iter()
            .map(|path| NewItem {
                path: path.clone(),
                alias: None,
            })
            .collect();
        req.settings.mode = ShareMode::Snapshot;
        let created = self.create_share(&batch.owner, req).await;
        if created.is_err() {
            self.abandon_send(batch).await;
        }
        created
    }

    /// Removes every file the batch stored (best effort: a store that fails now leaves
    /// the file, which its owner sees in their own folder).
    #[tracing::instrument(skip_all)]
    pub async fn abandon_send(&self, batch: SendBatch) {
        for path in &batch.stored {
            let _ = self.ports.files.delete(path).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::FileStore;
    use crate::testing::fixtures::{World, chunks, path, user};
    use futures::executor::block_on;

    fn request() -> CreateShare {
        CreateShare {
            items: Vec::new(),
            settings: crate::ShareSettings::named("Sent"),
            password: None,
            custom_key: None,
        }
    }

    #[test]
    fn files_become_a_snapshot_share_and_a_refusal_leaves_nothing() {
        let w = World::new();
        let ana = user("ana");
        block_on(w.mem.files.create_folder(&path("docs/out"))).unwrap();
        let mut batch = block_on(w.app.start_send(&ana, path("docs/out"), true)).unwrap();
        let first =
            block_on(
                w.app
                    .add_to_send(&mut batch, "a\u{202e}.txt", chunks(b"alpha", 2), None),
            );
        assert_eq!(first.unwrap(), path("docs/out/a.txt"));
        let again = block_on(
            w.app
                .add_to_send(&mut batch, "a.txt", chunks(b"second", 2), None),
        );
        assert_eq!(again.unwrap(), path("docs/out/a (1).txt"));
        let created = block_on(w.app.finish_send(batch, request())).unwrap();
        assert_eq!(created.share.settings.mode, ShareMode::Snapshot);
        assert_eq!(created.share.items.len(), 2);
        assert!(created.share.items.iter().all(|i| i.origin.is_some()));

        let mut batch = block_on(w.app.start_send(&ana, path("docs/out"), true)).unwrap();
        block_on(
            w.app
                .add_to_send(&mut batch, "b.txt", chunks(b"bravo", 2), None),
        )
        .unwrap();
        let refused = block_on(
            w.app
                .add_to_send(&mut batch, "x.apk", chunks(b"x", 1), None),
        );
        assert!(matches!(
            refused,
            Err(ServiceError::Denied(Denial::FileTypeRefused { .. }))
        ));
        let big = block_on(
            w.app
                .add_to_send(&mut batch, "big.txt", chunks(&[7; 64], 8), Some(10)),
        );
        assert!(matches!(
            big,
            Err(ServiceError::Storage(FileStoreError::TooLarge { .. }))
        ));
        block_on(w.app.abandon_send(batch));
        let left: Vec<String> = block_on(w.mem.files.list(&path("docs/out")))
            .unwrap()
            .into_iter()
            .map(|e| e.path.to_string())
            .collect();
        assert_eq!(left, ["docs/out/a (1).txt", "docs/out/a.txt"]);

        // An organization-only share may carry any type; an empty batch makes no share.
        let mut inside = block_on(w.app.start_send(&ana, path("docs/out"), false)).unwrap();
        block_on(
            w.app
                .add_to_send(&mut inside, "tool.apk", chunks(b"x", 1), None),
        )
        .unwrap();
        block_on(w.app.abandon_send(inside));
        let empty = block_on(w.app.start_send(&ana, path("docs/out"), true)).unwrap();
        assert!(matches!(
            block_on(w.app.finish_send(empty, request())),
            Err(ServiceError::Settings(SettingsError::NoItems))
        ));
        // Bob may not upload in docs; nobody may in the snapshot area or a file.
        assert!(matches!(
            block_on(w.app.start_send(&user("bob"), path("docs/out"), true)),
            Err(ServiceError::NoUploadRight(_))
        ));
        assert!(matches!(
            block_on(w.app.start_send(&ana, path("docs/out/a.txt"), true)),
            Err(ServiceError::NotAFolder(_))
        ));
    }
}

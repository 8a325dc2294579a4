//! Changes a visitor makes at the full level: new folder, rename, move, copy, delete.

use super::{Entry, Intent, Scene, VisitRequest};
use crate::model::share::Resolved;
use crate::ports::access_log::LogKind;
use crate::ports::events::ShareEvent;
use crate::ports::{EntryKind, FileStoreError};
use crate::service::{Result, ServiceError, Sharelink};
use crate::{Action, Denial, SharePath};

impl Sharelink {
    /// Makes a folder (`name` inside `parent`).
    ///
    /// # Errors
    /// A [`Denial`]; a path error for a bad name (an invisible or direction-changing
    /// character is refused, naming it); [`ServiceError::NotAFolder`] when `parent` is a
    /// file or missing; a storage error (`AlreadyExists` when a file has the name).
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn create_folder(
        &self,
        req: &VisitRequest<'_>,
        parent: &SharePath,
        name: &str,
    ) -> Result<SharePath> {
        let scene = self.scene(req).await?;
        let name = SharePath::new_name(name)?;
        let visitor = parent.join(&name)?;
        let grant = self
            .authorize(&scene, &Intent::new(Action::CreateFolder, parent))
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        self.require_folder(storage, parent).await?;
        let folder = storage.join(&name)?;
        self.counted(&scene.share, &grant, async {
            match self.ports.files.create_folder(&folder).await {
                // The parent became a file since it was checked.
                Err(FileStoreError::WrongKind { .. }) => {
                    Err(ServiceError::NotAFolder(parent.clone()))
                }
                other => Ok(other?),
            }
        })
        .await?;
        self.modified(&scene, LogKind::CreateFolder, vec![visitor.to_string()])
            .await?;
        Ok(visitor)
    }

    /// Renames a file or folder within its folder.
    ///
    /// # Errors
    /// A [`Denial`] (including a refused type for the new name); a path error for a bad
    /// name (an invisible or direction-changing character is refused, naming it); a
    /// storage error (`AlreadyExists` when the name is taken, `NotFound` for a missing
    /// file).
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn rename(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        new_name: &str,
    ) -> Result<SharePath> {
        let scene = self.scene(req).await?;
        let new_name = SharePath::new_name(new_name)?;
        let intent = Intent {
            rename_to: Some(&new_name),
            ..Intent::new(Action::Rename, path)
        };
        let grant = self.authorize(&scene, &intent).await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let to = storage.parent().unwrap_or_default().join(&new_name)?;
        let visitor = path.parent().unwrap_or_default().join(&new_name)?;
        self.counted(&scene.share, &grant, async {
            Ok(self.ports.files.rename(storage, &to).await?)
        })
        .await?;
        self.modified(
            &scene,
            LogKind::Rename,
            vec![path.to_string(), visitor.to_string()],
        )
        .await?;
        Ok(visitor)
    }

    /// Moves (or, with `copy`, copies) a file or folder into another folder of the share.
    ///
    /// # Errors
    /// A [`Denial`]; [`ServiceError::NotAFolder`] when `into` is a file or missing; a
    /// storage error (`AlreadyExists` when the name is taken there, `IntoItself`).
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn move_or_copy(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        into: &SharePath,
        copy: bool,
    ) -> Result<SharePath> {
        let scene = self.scene(req).await?;
        let action = if copy { Action::Copy } else { Action::Move };
        let intent = Intent {
            destination: Some(into),
            ..Intent::new(action, path)
        };
        let grant = self.authorize(&scene, &intent).await?;
        let (
            Some(Resolved::Item { storage: from, .. }),
            Some(Resolved::Item { storage: dest, .. }),
        ) = (&grant.target, &grant.destination)
        else {
            return Err(Denial::OutsideShare.into());
        };
        let name = SharePath::segment(from.file_name().unwrap_or_default())?;
        let to = dest.join(&name)?;
        let visitor = into.join(&name)?;
        // The store would make a missing destination; a visitor names an existing folder.
        self.require_folder(dest, into).await?;
        self.counted(&scene.share, &grant, async {
            let moved = if copy {
                self.ports.files.copy(from, &to).await
            } else {
                self.ports.files.rename(from, &to).await
            };
            match moved {
                // The destination became a file since it was checked.
                Err(FileStoreError::WrongKind { .. }) => {
                    Err(ServiceError::NotAFolder(into.clone()))
                }
                other => Ok(other?),
            }
        })
        .await?;
        let kind = if copy { LogKind::Copy } else { LogKind::Move };
        self.modified(&scene, kind, vec![path.to_string(), visitor.to_string()])
            .await?;
        Ok(visitor)
    }

    /// Deletes a file or folder (never a shared item itself).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn delete(&self, req: &VisitRequest<'_>, path: &SharePath) -> Result<()> {
        let scene = self.scene(req).await?;
        let grant = self
            .authorize(&scene, &Intent::new(Action::Delete, path))
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        self.counted(&scene.share, &grant, async {
            Ok(self.ports.files.delete(storage).await?)
        })
        .await?;
        self.modified(&scene, LogKind::Delete, vec![path.to_string()])
            .await?;
        Ok(())
    }

    /// Refuses, with [`ServiceError::NotAFolder`] naming the visitor's path, a storage path
    /// that is a file or nothing.
    async fn require_folder(&self, storage: &SharePath, visitor: &SharePath) -> Result<()> {
        match self.ports.files.stat(storage).await {
            Ok(entry) if entry.kind == EntryKind::Folder => Ok(()),
            Ok(_) | Err(FileStoreError::NotFound { .. }) => {
                Err(ServiceError::NotAFolder(visitor.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Logs and publishes a change.
    async fn modified(&self, scene: &Scene<'_>, kind: LogKind, paths: Vec<String>) -> Result<()> {
        self.log(scene, Entry::new(kind).paths(paths.clone())).await;
        self.publish(
            &scene.share.owner,
            ShareEvent::Modified {
                share: scene.share.id,
                action: kind.as_str().to_owned(),
                paths,
                at: self.now(),
            },
        )
        .await
    }
}

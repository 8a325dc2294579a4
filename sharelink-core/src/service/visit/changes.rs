//! Changes a visitor makes at the full level: new folder, rename, move, copy, delete.

use super::{Entry, Intent, Scene, VisitRequest};
use crate::model::share::Resolved;
use crate::ports::access_log::LogKind;
use crate::ports::events::ShareEvent;
use crate::service::{Result, Sharelink};
use crate::{Action, Denial, SharePath};

impl Sharelink {
    /// Makes a folder (`name` inside `parent`).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    pub async fn create_folder(
        &self,
        req: &VisitRequest<'_>,
        parent: &SharePath,
        name: &str,
    ) -> Result<SharePath> {
        let scene = self.scene(req).await?;
        let name = SharePath::segment(name)?;
        let visitor = parent.join(&name)?;
        let grant = self
            .authorize(&scene, &Intent::new(Action::CreateFolder, parent))
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let folder = storage.join(&name)?;
        self.counted(&scene.share, &grant, async {
            Ok(self.ports.files.create_folder(&folder).await?)
        })
        .await?;
        self.modified(&scene, LogKind::CreateFolder, vec![visitor.to_string()])
            .await;
        Ok(visitor)
    }

    /// Renames a file or folder within its folder.
    ///
    /// # Errors
    /// A [`Denial`] (including a refused type for the new name), or a storage error
    /// (`AlreadyExists` when the name is taken).
    pub async fn rename(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        new_name: &str,
    ) -> Result<SharePath> {
        let scene = self.scene(req).await?;
        let new_name = SharePath::segment(new_name)?;
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
        .await;
        Ok(visitor)
    }

    /// Moves (or, with `copy`, copies) a file or folder into another folder of the share.
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
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
        self.counted(&scene.share, &grant, async {
            if copy {
                self.ports.files.copy(from, &to).await?;
            } else {
                self.ports.files.rename(from, &to).await?;
            }
            Ok(())
        })
        .await?;
        let kind = if copy { LogKind::Copy } else { LogKind::Move };
        self.modified(&scene, kind, vec![path.to_string(), visitor.to_string()])
            .await;
        Ok(visitor)
    }

    /// Deletes a file or folder (never a shared item itself).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
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
            .await;
        Ok(())
    }

    /// Logs and publishes a change.
    async fn modified(&self, scene: &Scene<'_>, kind: LogKind, paths: Vec<String>) {
        self.log(scene, Entry::new(kind).paths(paths.clone())).await;
        self.ports
            .events
            .publish(&ShareEvent::Modified {
                share: scene.share.id,
                action: kind.as_str().to_owned(),
                paths,
                at: self.now(),
            })
            .await;
    }
}

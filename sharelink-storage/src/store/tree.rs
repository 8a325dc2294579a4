//! Deleting, renaming and copying files and whole folders.

use super::{ObjectFileStore, root_refused};
use crate::error::{is_not_found, is_unsupported, map_io};
use crate::local;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{CopyMode, CopyOptions, ObjectStoreExt, RenameOptions, RenameTargetMode};
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{EntryKind, FileStore, FileStoreError};
use std::path::PathBuf;

/// Concurrent copies or deletes while moving a folder.
const TREE_CONCURRENCY: usize = 8;

impl ObjectFileStore {
    /// Every object key under a folder.
    async fn keys_under(
        &self,
        folder: &SharePath,
        location: &Path,
    ) -> Result<Vec<Path>, FileStoreError> {
        self.store
            .list(Some(location))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(self.map(folder))
    }

    /// Deletes the given keys of `path`'s objects.
    async fn delete_keys(
        &self,
        keys: BoxStream<'static, object_store::Result<Path>>,
        path: &SharePath,
    ) -> Result<(), FileStoreError> {
        self.store
            .delete_stream(keys)
            .map(|result| match result {
                // Gone already (a concurrent delete): fine.
                Err(e) if is_not_found(&e) => Ok(()),
                other => other.map(drop),
            })
            .try_collect::<Vec<()>>()
            .await
            .map(drop)
            .map_err(self.map(path))
    }

    /// Deletes every object under a folder (and, on disk, the directory).
    pub(super) async fn delete_tree(
        &self,
        folder: &SharePath,
        location: &Path,
    ) -> Result<(), FileStoreError> {
        let keys: BoxStream<'static, object_store::Result<Path>> = self
            .store
            .list(Some(location))
            .map_ok(|meta| meta.location)
            .boxed();
        self.delete_keys(keys, folder).await?;
        if let Some(dir) = self.local_path(folder) {
            local::blocking(move || local::remove_tree(&dir))
                .await
                .map_err(|e| map_io(self.name(), folder, e))?;
        }
        Ok(())
    }

    /// Where an object key lives on local disk (`None` on other backends).
    fn disk_path(&self, location: &Path) -> Option<PathBuf> {
        self.local_path(&self.share_path(location)?)
    }

    /// On local disk, a create-only byte copy of one file (`None` on other backends, whose
    /// copies are independent objects already).
    async fn copy_on_disk(
        &self,
        to: &SharePath,
        from_location: &Path,
        to_location: &Path,
    ) -> Option<Result<(), FileStoreError>> {
        let root = self.local_root.clone()?;
        let source = self.disk_path(from_location)?;
        let target = self.disk_path(to_location)?;
        let copied = local::blocking(move || local::copy_file(&root, &source, &target)).await;
        Some(copied.map_err(|e| map_io(self.name(), to, e)))
    }

    /// Copies a file with a create-only copy (or a checked copy where unsupported).
    async fn copy_file(
        &self,
        to: &SharePath,
        from_location: &Path,
        to_location: &Path,
        keep_source: bool,
    ) -> Result<(), FileStoreError> {
        if keep_source && let Some(copied) = self.copy_on_disk(to, from_location, to_location).await
        {
            return copied;
        }
        let result = if keep_source {
            let options = CopyOptions::new().with_mode(CopyMode::Create);
            self.store
                .copy_opts(from_location, to_location, options)
                .await
        } else {
            let options = RenameOptions::new().with_target_mode(RenameTargetMode::Create);
            self.store
                .rename_opts(from_location, to_location, options)
                .await
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if is_unsupported(&e) => {
                // The target was checked absent just before.
                let result = if keep_source {
                    self.store.copy(from_location, to_location).await
                } else {
                    self.store.rename(from_location, to_location).await
                };
                result.map_err(self.map(to))
            }
            Err(e) => Err(self.map(to)(e)),
        }
    }

    /// Copies (or moves) every object of a folder below `to`.
    async fn copy_tree(
        &self,
        from: &SharePath,
        to: &SharePath,
        keep_source: bool,
    ) -> Result<(), FileStoreError> {
        let from_location = self.location(from)?;
        let to_location = self.location(to)?;
        if !keep_source && let (Some(src), Some(dst)) = (self.local_path(from), self.local_path(to))
        {
            // One atomic rename of the directory, empty sub-folders included.
            return local::blocking(move || {
                if let Some(parent) = dst.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(src, dst)
            })
            .await
            .map_err(|e| map_io(self.name(), to, e));
        }
        let keys = self.keys_under(from, &from_location).await?;
        if keys.is_empty() {
            // A folder with nothing inside (an empty directory on disk): keep it a folder.
            self.create_folder(to).await?;
        }
        let source_prefix = from_location.as_ref().len();
        let pairs: Vec<(Path, Path)> = keys
            .iter()
            .filter_map(|key| {
                let rest = key.as_ref().get(source_prefix..)?;
                let target = Path::parse(format!("{}{rest}", to_location.as_ref())).ok()?;
                Some((key.clone(), target))
            })
            .collect();
        futures::stream::iter(pairs)
            .map(|(source, target)| async move {
                if keep_source && let Some(copied) = self.copy_on_disk(to, &source, &target).await {
                    return copied;
                }
                self.store
                    .copy(&source, &target)
                    .await
                    .map_err(self.map(to))
            })
            .buffer_unordered(TREE_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        if !keep_source {
            // Exactly what was copied: a file added to the source meanwhile stays there.
            let copied = futures::stream::iter(keys.into_iter().map(Ok)).boxed();
            self.delete_keys(copied, from).await?;
        }
        Ok(())
    }

    /// Checks and performs a rename (`keep_source = false`) or a copy.
    pub(super) async fn transfer(
        &self,
        from: &SharePath,
        to: &SharePath,
        keep_source: bool,
    ) -> Result<(), FileStoreError> {
        for path in [from, to] {
            if path.is_root() {
                return Err(root_refused(path));
            }
        }
        let from_location = self.location(from)?;
        let to_location = self.location(to)?;
        let kind = self.stat(from).await?.kind;
        if kind == EntryKind::Folder && to.starts_with(from) {
            return Err(FileStoreError::IntoItself { path: from.clone() });
        }
        match self.stat(to).await {
            Ok(_) => return Err(FileStoreError::AlreadyExists { path: to.clone() }),
            Err(FileStoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        self.check_parents(to).await?;
        match kind {
            EntryKind::File => {
                self.refuse_reserved_file(to)?;
                self.copy_file(to, &from_location, &to_location, keep_source)
                    .await
            }
            EntryKind::Folder => self.copy_tree(from, to, keep_source).await,
        }
    }
}

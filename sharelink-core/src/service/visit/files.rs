//! Listing, downloads, download-all and uploads, and settling the use a transfer spends.

use super::{
    Bundle, BundleFile, Download, Entry, Intent, Listed, MAX_BUNDLE_FILES, Outcome, Planned,
    ReadPlan, Scene, UseTicket, VisitRequest,
};
use crate::RequestMode;
use crate::model::path::strip_invisible;
use crate::model::share::Resolved;
use crate::policy::{Grant, UploadInfo};
use crate::ports::access_log::LogKind;
use crate::ports::events::ShareEvent;
use crate::ports::{
    ByteRange, ByteStream, Entry as FileEntry, EntryKind, FileStoreError, WriteOptions,
};
use crate::service::{Result, ServiceError, Sharelink};
use crate::telemetry::discarded;
use crate::{
    Action, Activity, Denial, Email, ItemKind, Share, SharePath, UploadViolation, VisitorSession,
};

/// The name of the use a transfer spends: by session, action, file and version, so the
/// range requests of one download count once and never outlive a new version.
fn transfer_key(
    scene: &Scene<'_>,
    action: Action,
    path: &SharePath,
    version: Option<&str>,
) -> String {
    let kind = if action == Action::Preview {
        "pv"
    } else {
        "dl"
    };
    format!(
        "{kind}:{}:{path}:{}",
        scene.session.id.as_str(),
        version.unwrap_or("")
    )
}

/// A preview, or else a download (the only two ways to read one file).
fn preview_or_download(action: Action) -> Action {
    if action == Action::Preview {
        Action::Preview
    } else {
        Action::Download
    }
}

/// Whether a read is a preview that must be watermarked (then it is always read whole).
fn watermarked(share: &Share, action: Action) -> bool {
    action == Action::Preview && share.settings.watermark.is_some()
}

impl Sharelink {
    /// Lists a folder (or, at the top, the share's items).
    ///
    /// # Errors
    /// A [`Denial`]; [`ServiceError::NotAFolder`] when `path` is a file; or a storage
    /// error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn list(&self, req: &VisitRequest<'_>, path: &SharePath) -> Result<Vec<Listed>> {
        let scene = self.scene(req).await?;
        let grant = self
            .authorize(&scene, &Intent::new(Action::List, path))
            .await?;
        let listed = self
            .counted(
                &scene.share,
                &grant,
                self.list_target(&scene.share, &grant, path),
            )
            .await?;
        self.log(&scene, Entry::new(LogKind::List).path(path)).await;
        Ok(listed)
    }

    pub(super) async fn list_target(
        &self,
        share: &Share,
        grant: &Grant,
        path: &SharePath,
    ) -> Result<Vec<Listed>> {
        match &grant.target {
            Some(Resolved::Item { storage, .. }) => {
                let entries = match self.ports.files.list(storage).await {
                    Err(FileStoreError::NotFound { .. }) => return Err(Denial::OutsideShare.into()),
                    Err(FileStoreError::WrongKind { .. }) => {
                        return Err(ServiceError::NotAFolder(path.clone()));
                    }
                    other => other?,
                };
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    let Some(name) = e.path.file_name() else {
                        continue;
                    };
                    out.push(Listed {
                        name: name.to_owned(),
                        path: path.join(&SharePath::segment(name)?)?,
                        kind: e.kind,
                        size: e.size,
                        modified: e.modified,
                    });
                }
                Ok(out)
            }
            _ => {
                let mut out = Vec::with_capacity(share.items.len());
                for item in &share.items {
                    let name = item.display_name().to_owned();
                    let (size, modified) = match self.ports.files.stat(&item.path).await {
                        Ok(e) => (e.size, e.modified),
                        Err(FileStoreError::NotFound { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    out.push(Listed {
                        path: SharePath::segment(&name)?,
                        name,
                        kind: match item.kind {
                            ItemKind::File => EntryKind::File,
                            ItemKind::Folder => EntryKind::Folder,
                        },
                        size,
                        modified,
                    });
                }
                Ok(out)
            }
        }
    }

    /// Opens a file for download (or preview, with [`Action::Preview`]), optionally a byte
    /// range. A counted download reserves a use now, named by session, file and version:
    /// the range requests of that session on that version (a resumed or split download)
    /// ride on it and spend nothing more, while a request for the whole file spends a new
    /// use when the session already spent one on it (a one-time link serves one full
    /// download). Settle the ticket with [`Sharelink::finish`]: a completed transfer is
    /// logged (and notified), an aborted one logged with the use kept spent, a failed one
    /// refunded. `HEAD` requests never count.
    ///
    /// # Errors
    /// A [`Denial`]; [`ServiceError::NotAFile`] when `path` is a folder; or a storage
    /// error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn download(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        range: Option<ByteRange>,
        action: Action,
    ) -> Result<Download> {
        let scene = self.scene(req).await?;
        // A range may ride on a use this session already spent on this version, so its
        // name is needed before deciding; a whole file's comes from the read below.
        let version = match range {
            Some(_) => self
                .stat_shared(&scene.share, path)
                .await
                .and_then(|e| e.etag),
            None => None,
        };
        self.open_download(scene, path, range, action, version)
            .await
    }

    /// Opens a file as [`Sharelink::download`] does, choosing what to read from the file's
    /// metadata first: `plan` sees the file's current entry (size, version, modification
    /// time) and says whether to read it whole, one range of it, or nothing (then the
    /// visitor gets the entry, authorized as a `HEAD` is: nothing is spent). One call
    /// answers a conditional or suffix-range request. A share that watermarks its
    /// previews always reads a preview whole (the marked picture is a new one).
    ///
    /// # Errors
    /// As [`Sharelink::download`].
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn download_planned(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        action: Action,
        plan: impl FnOnce(&FileEntry) -> ReadPlan + Send,
    ) -> Result<Planned> {
        let scene = self.scene(req).await?;
        let entry = self.stat_shared(&scene.share, path).await;
        let range = match &entry {
            Some(_) if watermarked(&scene.share, action) => None,
            Some(e) => match plan(e) {
                ReadPlan::Whole => None,
                ReadPlan::Range(r) => Some(r),
                ReadPlan::MetadataOnly => {
                    // Decided as a HEAD, under the name of the use this session may
                    // already have spent on this version: it may check what it holds.
                    let action = preview_or_download(action);
                    let key = transfer_key(&scene, action, path, e.etag.as_deref());
                    let look = Scene {
                        mode: RequestMode::Head,
                        ..scene
                    };
                    let intent = Intent {
                        dedup: Some(&key),
                        ..Intent::new(action, path)
                    };
                    self.authorize(&look, &intent).await?;
                    return Ok(Planned::Metadata(e.clone()));
                }
            },
            None => None,
        };
        let version = entry.and_then(|e| e.etag);
        let download = self
            .open_download(scene, path, range, action, version)
            .await?;
        Ok(Planned::Read(Box::new(download)))
    }

    /// The entry of a shared file, if it can be read (the decision comes later: this
    /// only names the version a use is counted under).
    async fn stat_shared(&self, share: &Share, path: &SharePath) -> Option<FileEntry> {
        let storage = share.storage_path(path)?;
        self.ports.files.stat(&storage).await.ok()
    }

    async fn open_download(
        &self,
        scene: Scene<'_>,
        path: &SharePath,
        range: Option<ByteRange>,
        action: Action,
        version: Option<String>,
    ) -> Result<Download> {
        let action = preview_or_download(action);
        let range = range.filter(|_| !watermarked(&scene.share, action));
        let ranged_key = range.map(|_| transfer_key(&scene, action, path, version.as_deref()));
        let intent = Intent {
            dedup: ranged_key.as_deref(),
            ..Intent::new(action, path)
        };
        let grant = self.authorize(&scene, &intent).await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let read = match self.ports.files.read(storage, range).await {
            Err(FileStoreError::NotFound { .. }) => return Err(Denial::OutsideShare.into()),
            Err(FileStoreError::WrongKind { .. }) => {
                return Err(ServiceError::NotAFile(path.clone()));
            }
            other => other?,
        };
        let (reserved, dedup) = match ranged_key {
            // A browser resumes with a plain GET: a range riding on a use its session
            // already spent is decided as already counted (no use, no confirmation).
            Some(key) => (
                self.reserve(&scene.share, &grant, Some(&key)).await?,
                Some(key),
            ),
            None => {
                let key = transfer_key(&scene, action, path, read.entry.etag.as_deref());
                self.reserve_whole(&scene.share, &grant, key).await?
            }
        };
        let (kind, watermark) = if action == Action::Preview {
            (
                LogKind::Preview,
                self.watermark_text(&scene.share, &scene.session, scene.client),
            )
        } else {
            (LogKind::Download, None)
        };
        Ok(Download {
            read,
            watermark,
            ticket: UseTicket {
                share: scene.share,
                session: scene.session,
                client: scene.client.clone(),
                kind,
                paths: vec![path.to_string()],
                dedup,
                reserved,
            },
        })
    }

    /// Reserves the use of a whole-file download under `key`; when the session already
    /// spent one under it, a new unnamed use (each full download counts). Returns whether
    /// a use was reserved and the name to refund it under.
    async fn reserve_whole(
        &self,
        share: &Share,
        grant: &Grant,
        key: String,
    ) -> Result<(bool, Option<String>)> {
        if !grant.counts_use {
            return Ok((false, None));
        }
        if self.reserve(share, grant, Some(&key)).await? {
            return Ok((true, Some(key)));
        }
        Ok((self.reserve(share, grant, None).await?, None))
    }

    /// Collects the files of a download-all (the given paths, or every item), leaving out
    /// what the grant does not serve (refused types), and reserves one use for the archive.
    ///
    /// # Errors
    /// A [`Denial`] for any path, or a storage error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn download_all(
        &self,
        req: &VisitRequest<'_>,
        paths: &[SharePath],
    ) -> Result<Bundle> {
        let scene = self.scene(req).await?;
        let roots: Vec<SharePath> = if paths.is_empty() {
            scene
                .share
                .items
                .iter()
                .filter_map(|i| SharePath::segment(i.display_name()).ok())
                .collect()
        } else {
            paths.to_vec()
        };
        let mut files = Vec::new();
        let mut folders = Vec::new();
        let mut counted = None;
        for root in &roots {
            let grant = self
                .authorize(&scene, &Intent::new(Action::DownloadAll, root))
                .await?;
            if let Some(Resolved::Item { storage, .. }) = &grant.target {
                self.collect(&grant, storage, root, &mut files, &mut folders)
                    .await?;
            }
            counted.get_or_insert(grant);
        }
        let reserved = match &counted {
            Some(g) => self.reserve(&scene.share, g, None).await?,
            None => false,
        };
        Ok(Bundle {
            files,
            folders,
            ticket: UseTicket {
                share: scene.share,
                session: scene.session,
                client: req.client.clone(),
                kind: LogKind::DownloadAll,
                paths: roots.iter().map(ToString::to_string).collect(),
                dedup: None,
                reserved,
            },
        })
    }

    async fn collect(
        &self,
        grant: &Grant,
        storage: &SharePath,
        name: &SharePath,
        files: &mut Vec<BundleFile>,
        folders: &mut Vec<SharePath>,
    ) -> Result<()> {
        let mut stack = vec![(storage.clone(), name.clone())];
        while let Some((dir, visitor)) = stack.pop() {
            let entry = self.ports.files.stat(&dir).await?;
            if entry.kind == EntryKind::File {
                if grant.serves(&dir) {
                    files.push(BundleFile {
                        name: visitor,
                        storage: dir,
                        size: entry.size,
                        modified: entry.modified,
                    });
                }
                continue;
            }
            let children = self.ports.files.list(&dir).await?;
            if children.is_empty() {
                folders.push(visitor.clone());
            }
            for child in children.into_iter().rev() {
                let Some(n) = child.path.file_name() else {
                    continue;
                };
                let v = visitor.join(&SharePath::segment(n)?)?;
                match child.kind {
                    EntryKind::Folder => stack.push((child.path, v)),
                    EntryKind::File if grant.serves(&child.path) => files.push(BundleFile {
                        name: v,
                        storage: child.path,
                        size: child.size,
                        modified: child.modified,
                    }),
                    EntryKind::File => {}
                }
            }
            if files.len() > MAX_BUNDLE_FILES {
                return Err(ServiceError::TooManyFiles {
                    max: MAX_BUNDLE_FILES,
                });
            }
        }
        Ok(())
    }

    /// Settles a use: a completed transfer is logged, published and (if the share asks)
    /// notified to the owner; an aborted one is logged with [`Outcome::ABORTED_DETAIL`] as its detail and
    /// keeps its use spent; a failed one is refunded.
    #[tracing::instrument(skip_all, fields(share = %ticket.share.id))]
    pub async fn finish(&self, ticket: UseTicket, outcome: Outcome) {
        let UseTicket {
            share,
            session,
            client,
            kind,
            paths,
            dedup,
            reserved,
        } = ticket;
        match outcome {
            Outcome::Failed => self.refund(&share, reserved, dedup.as_deref()).await,
            Outcome::Aborted { bytes } => {
                crate::telemetry::bytes_served(kind.as_str(), bytes);
                // The bytes are out: the use stays spent; the owner hears of downloads
                // only, not of aborted ones.
                let entry = Entry::new(kind)
                    .paths(paths)
                    .bytes(bytes)
                    .detail(Outcome::ABORTED_DETAIL);
                self.log_for(&share, &session, &client, entry).await;
            }
            Outcome::Completed { bytes } => {
                crate::telemetry::bytes_served(kind.as_str(), bytes);
                let entry = Entry::new(kind).paths(paths.clone()).bytes(bytes);
                self.log_for(&share, &session, &client, entry).await;
                if kind == LogKind::Preview {
                    return;
                }
                let now = self.now();
                // The transfer is over and nobody waits for an answer: a failed outbox
                // write loses this event's webhooks (the sink still heard it).
                if let Err(e) = self
                    .publish(
                        &share.owner,
                        ShareEvent::Downloaded {
                            share: share.id,
                            paths: paths.clone(),
                            at: now,
                        },
                    )
                    .await
                {
                    discarded("a download's webhooks are lost", &e);
                }
                let activity = Activity::Downloaded {
                    visitor: session.identity().map(ToString::to_string),
                    paths,
                    ip: self.log_ip(client.ip).await,
                };
                self.notify_owner_best_effort(&share, activity).await;
            }
        }
    }

    /// Uploads a file into a folder of the share (or its inbox), in the uploader's own
    /// subfolder when the rules ask, under a name that does not collide. The size and the
    /// share's upload space are enforced while streaming; a failed upload leaves nothing.
    /// Invisible and direction-changing characters are dropped from the name
    /// ([`strip_invisible`]) before any rule sees it.
    ///
    /// # Errors
    /// A [`Denial`] (including broken upload rules); [`ServiceError::NotAFolder`] when
    /// `folder` is a file or missing; [`ServiceError::UploaderFolderTaken`] when the uploader's own
    /// folder is taken by a file; or a storage error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn upload(
        &self,
        req: &VisitRequest<'_>,
        folder: &SharePath,
        file_name: &str,
        size: Option<u64>,
        data: ByteStream,
    ) -> Result<Listed> {
        let scene = self.scene(req).await?;
        // Cleaned, not refused: the name comes from the uploader's system, not their
        // keyboard. The rules (refused types, allowed extensions) see the cleaned name.
        let file_name = strip_invisible(file_name);
        let info = UploadInfo {
            file_name: file_name.clone().into_owned(),
            size,
        };
        let intent = Intent {
            upload: Some(&info),
            ..Intent::new(Action::Upload, folder)
        };
        let grant = self.authorize(&scene, &intent).await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let share = &scene.share;
        match self.ports.files.stat(storage).await {
            Ok(e) if e.kind == EntryKind::Folder => {}
            Err(FileStoreError::NotFound { .. })
                if share.settings.inbox.as_ref() == Some(storage) =>
            {
                self.ports.files.create_folder(storage).await?;
            }
            Ok(_) | Err(FileStoreError::NotFound { .. }) => {
                return Err(ServiceError::NotAFolder(folder.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        let mut dir = storage.clone();
        let rules = &share.settings.upload_rules;
        let identity = self.identity(share, &scene.session).await?;
        if let Some(sub) = rules.uploader_folder(
            identity.0.as_deref(),
            identity.1.as_ref(),
            scene.session.created_at,
        ) {
            dir = dir.join(&sub)?;
        }
        let name = SharePath::segment(&file_name)
            .map_err(|_| Denial::UploadRuleBroken(UploadViolation::BadName))?;
        let remaining = rules
            .max_share_bytes
            .map(|m| m.saturating_sub(share.uploaded_bytes));
        let max_bytes = match (rules.max_file_bytes, remaining) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let refusal = |e: ServiceError| match e {
            // The uploader's own folder is taken by a file.
            ServiceError::Storage(FileStoreError::WrongKind { path, .. }) => {
                let shown = share.visitor_path(&path).unwrap_or_default();
                ServiceError::UploaderFolderTaken(shown)
            }
            ServiceError::Storage(FileStoreError::TooLarge { .. }) => {
                let violation = match rules.max_file_bytes {
                    Some(m) if max_bytes == Some(m) => UploadViolation::FileTooLarge { max: m },
                    _ => UploadViolation::ShareFull {
                        max: rules.max_share_bytes.unwrap_or(0),
                    },
                };
                Denial::UploadRuleBroken(violation).into()
            }
            other => other,
        };
        let store = async {
            let entry = self
                .write_unique(&dir, &name, data, max_bytes)
                .await
                .map_err(refusal)?;
            if !self
                .ports
                .repo
                .add_uploaded_bytes(share.id, entry.size, rules.max_share_bytes)
                .await?
            {
                // Best effort: the file is not visible to anyone before this point.
                if let Err(e) = self.ports.files.delete(&entry.path).await {
                    discarded(
                        "an upload over the share's space stays hidden in the store",
                        &e,
                    );
                }
                return Err(Denial::UploadRuleBroken(UploadViolation::ShareFull {
                    max: rules.max_share_bytes.unwrap_or(0),
                })
                .into());
            }
            Ok(entry)
        };
        let entry = self.counted(share, &grant, store).await?;
        let visitor_path = share.visitor_path(&entry.path)?;
        self.log(
            &scene,
            Entry::new(LogKind::Upload)
                .path(&visitor_path)
                .bytes(entry.size),
        )
        .await;
        self.publish(
            &share.owner,
            ShareEvent::Uploaded {
                share: share.id,
                path: visitor_path.to_string(),
                bytes: entry.size,
                at: self.now(),
            },
        )
        .await?;
        let visitor = match identity {
            (Some(name), Some(email)) => Some(format!("{name} ({email})")),
            (name, email) => name.or_else(|| email.map(|e| e.to_string())),
        };
        let activity = Activity::Uploaded {
            visitor,
            path: visitor_path.to_string(),
            bytes: entry.size,
            ip: self.log_ip(scene.client.ip).await,
        };
        self.notify_owner_best_effort(share, activity).await;
        Ok(Listed {
            name: entry.path.file_name().unwrap_or_default().to_owned(),
            path: visitor_path,
            kind: EntryKind::File,
            size: entry.size,
            modified: entry.modified,
        })
    }

    async fn identity(
        &self,
        share: &Share,
        session: &VisitorSession,
    ) -> Result<(Option<String>, Option<Email>)> {
        let mut name = None;
        let mut email = session.verified_email.clone();
        if let Some(id) = session.registration
            && let Some(r) = self
                .ports
                .repo
                .list_registrations(share.id)
                .await?
                .into_iter()
                .find(|r| r.id == id)
        {
            name = r.registration.name;
            email = email.or(r.registration.email);
        }
        Ok((name, email))
    }

    /// Writes under `dir/name`, or `dir/name (n).ext` when taken.
    pub(in crate::service) async fn write_unique(
        &self,
        dir: &SharePath,
        name: &SharePath,
        data: ByteStream,
        max_bytes: Option<u64>,
    ) -> Result<FileEntry> {
        let file = name.as_str();
        let (stem, ext) = match name.extension() {
            Some(_) => file.rsplit_once('.').map_or((file, ""), |(s, e)| (s, e)),
            None => (file, ""),
        };
        let mut candidate = dir.join(name)?;
        for n in 1..=1000 {
            match self.ports.files.stat(&candidate).await {
                Err(FileStoreError::NotFound { .. }) => break,
                Ok(_) => {
                    let next = if ext.is_empty() {
                        format!("{stem} ({n})")
                    } else {
                        format!("{stem} ({n}).{ext}")
                    };
                    candidate = dir.join(&SharePath::segment(&next)?)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self
            .ports
            .files
            .write(
                &candidate,
                data,
                WriteOptions {
                    overwrite: false,
                    max_bytes,
                },
            )
            .await?)
    }
}

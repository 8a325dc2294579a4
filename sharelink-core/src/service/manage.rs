//! Management use cases: create, read, update, list, revoke, expire, reactivate, share
//! by email, logs, statistics, reminders and purges (templates: `templates.rs`).

use super::{Result, ServiceError, Sharelink};
use crate::model::share::check_items;
use crate::policy::{PolicyInput, apply_policy, daily_quota};
use crate::ports::access_log::{LogEvent, LogQuery, ShareStats};
use crate::ports::directory::UserInfo;
use crate::ports::events::ShareEvent;
use crate::ports::mailer::{MailMessage, Secret};
use crate::ports::repository::*;
use crate::ports::{EntryKind, FileStoreError};
use crate::telemetry::{discarded, record_share};
use crate::{
    Adjustment, AutofillCode, Capability, Email, ItemKind, PlainPassword, Recipient, Rights, Share,
    ShareId, ShareItem, SharePath, ShareSettings, ShareState, UrlKey, UserId,
};
use time::OffsetDateTime;

/// One item to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// Path in the file store.
    pub path: SharePath,
    /// Display name.
    pub alias: Option<String>,
}

/// What a creator asks for.
#[derive(Debug, Clone)]
pub struct CreateShare {
    /// The items.
    pub items: Vec<NewItem>,
    /// Requested settings. `password` asks for protection; give the password below or
    /// let one be generated.
    pub settings: ShareSettings,
    /// The password to set (implies `settings.password`).
    pub password: Option<String>,
    /// A custom link key, if the site allows.
    pub custom_key: Option<String>,
}

/// A new share, with what is shown only once.
#[derive(Clone)]
pub struct Created {
    /// The share (with requested and effective settings and the adjustments).
    pub share: Share,
    /// Its link (carrying the access code under auto-fill, see [`Sharelink::link`]).
    pub link: String,
    /// The generated password, shown once (stored in clear only for auto-fill).
    pub generated_password: Option<PlainPassword>,
}

impl std::fmt::Debug for Created {
    // The link holds the key, and under auto-fill the access code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("share", &self.share)
            .field("link", &"…")
            .field("generated_password", &self.generated_password)
            .finish()
    }
}

/// The readable code a share keeps when its effective settings ask for auto-fill.
fn autofill_code(
    settings: &ShareSettings,
    password: Option<&PlainPassword>,
) -> Option<AutofillCode> {
    password
        .filter(|_| settings.password && settings.password_autofill)
        .map(AutofillCode::of)
}

/// How an update treats the password.
#[derive(Debug, Clone, Default)]
pub enum PasswordChange {
    /// Keep it as is (or generate one if protection is newly required).
    #[default]
    Keep,
    /// Set a new password.
    Set(String),
    /// Generate a new password.
    Generate,
}

/// Filters of a management listing.
#[derive(Debug, Clone, Default)]
pub struct ListShares {
    /// Only this owner's (admins only; others always see their own).
    pub owner: Option<UserId>,
    /// Name contains.
    pub name_contains: Option<String>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created before.
    pub created_to: Option<OffsetDateTime>,
    /// State now.
    pub state: Option<ShareState>,
    /// Cursor.
    pub after: Option<ShareCursor>,
    /// Page size (default 50).
    pub limit: Option<u32>,
}

/// A recipient to send a share to.
#[derive(Debug, Clone)]
pub struct NewRecipientInput {
    /// Address.
    pub email: Email,
    /// Company.
    pub company: Option<String>,
    /// Owner's note.
    pub note: Option<String>,
}

/// What happened for one recipient of a send.
#[derive(Debug)]
pub struct SendOutcome {
    /// The address.
    pub email: Email,
    /// The stored recipient, or why it failed (other recipients are unaffected).
    pub result: Result<Recipient>,
}

impl Sharelink {
    pub(super) async fn actor(&self, id: &UserId) -> Result<UserInfo> {
        let user = self
            .ports
            .directory
            .user(id)
            .await?
            .ok_or(ServiceError::UnknownUser)?;
        if user.disabled {
            return Err(ServiceError::UserDisabled);
        }
        Ok(user)
    }

    /// The share if the actor may manage it (owner or admin); otherwise `ShareNotFound`.
    pub(super) async fn managed(&self, actor: &UserId, id: ShareId) -> Result<(UserInfo, Share)> {
        let found = self.ports.repo.get_share(id).await?;
        self.manageable(actor, found).await
    }

    /// `found` if the actor may manage it (owner or admin); otherwise, or when nothing was
    /// found, `ShareNotFound` (indistinguishable on purpose).
    async fn manageable(&self, actor: &UserId, found: Option<Share>) -> Result<(UserInfo, Share)> {
        let user = self.actor(actor).await?;
        match found {
            Some(mut share) if user.is_admin || &share.owner == actor => {
                self.resolve_templates(&mut share).await?;
                Ok((user, share))
            }
            _ => Err(ServiceError::ShareNotFound),
        }
    }

    async fn rights_on(&self, user: &UserId, items: &[ShareItem]) -> Result<Vec<Rights>> {
        let mut rights = Vec::with_capacity(items.len());
        for item in items {
            rights.push(
                self.ports
                    .directory
                    .rights(user, item.rights_path())
                    .await?,
            );
        }
        Ok(rights)
    }

    /// The items `owner` asks to share, as stored, with the owner's rights on each (for
    /// [`apply_policy`]). The right to share each path is checked before the store is
    /// asked whether it exists, so a user without it learns nothing of what a folder
    /// holds: a missing and an existing item answer the same.
    async fn resolve_items(
        &self,
        owner: &UserId,
        items: &[NewItem],
    ) -> Result<(Vec<ShareItem>, Vec<Rights>)> {
        let mut out = Vec::with_capacity(items.len());
        let mut all_rights = Vec::with_capacity(items.len());
        for item in items {
            // The snapshot and cache areas are never shared, neither directly nor through a
            // parent.
            if self.config.is_reserved(&item.path) {
                return Err(ServiceError::NoSuchItem(item.path.to_string()));
            }
            let rights = self.ports.directory.rights(owner, &item.path).await?;
            if !rights.has(Capability::Share) {
                let name = item
                    .alias
                    .as_deref()
                    .or_else(|| item.path.file_name())
                    .unwrap_or_default();
                return Err(crate::SettingsError::NoShareRight(name.to_owned()).into());
            }
            let entry = match self.ports.files.stat(&item.path).await {
                Ok(e) => e,
                Err(FileStoreError::NotFound { .. }) => {
                    return Err(ServiceError::NoSuchItem(item.path.to_string()));
                }
                Err(e) => return Err(e.into()),
            };
            let kind = match entry.kind {
                EntryKind::File => ItemKind::File,
                EntryKind::Folder => ItemKind::Folder,
            };
            out.push(ShareItem::new(item.path.clone(), kind, item.alias.clone())?);
            all_rights.push(rights);
        }
        Ok((out, all_rights))
    }

    fn password_for(
        &self,
        effective: bool,
        given: Option<String>,
        min: usize,
    ) -> Result<(Option<PlainPassword>, bool)> {
        if !effective {
            return Ok((None, false));
        }
        match given {
            Some(p) => Ok((Some(PlainPassword::new(&p, min)?), false)),
            None => Ok((
                Some(PlainPassword::generate(self.ports.random.as_ref(), min)),
                true,
            )),
        }
    }

    /// Creates a share: checks the creator's share right and rights on every item, the
    /// daily quota and site policy; records requested and effective settings; generates
    /// the key (or checks the custom one) and, if needed, a password (returned once);
    /// copies items for snapshot shares.
    ///
    /// # Errors
    /// Settings, quota, rights, key, password, storage or repository errors.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn create_share(&self, actor: &UserId, req: CreateShare) -> Result<Created> {
        self.actor(actor).await?;
        let now = self.now();
        // The quota counts creations, atomically, before any work: concurrent requests
        // cannot overshoot it, and revoking a share gives nothing back.
        let day = now.date();
        let site = self.site().await?;
        let quota = daily_quota(&site);
        if let Some(max) = quota
            && !self.ports.repo.count_creation(actor, day, max).await?
        {
            return Err(crate::SettingsError::DailyQuota { max }.into());
        }
        let created = self.create_counted(actor, req, now, &site).await;
        if let Ok(c) = &created {
            record_share(c.share.id);
        }
        if created.is_err() && quota.is_some() {
            // Best effort: a creation that did not happen should not use up the quota.
            if let Err(e) = self.ports.repo.uncount_creation(actor, day).await {
                discarded("the daily quota keeps a creation that did not happen", &e);
            }
        }
        created
    }

    async fn create_counted(
        &self,
        actor: &UserId,
        req: CreateShare,
        now: time::OffsetDateTime,
        site: &crate::SiteSettings,
    ) -> Result<Created> {
        let (mut items, rights) = self.resolve_items(actor, &req.items).await?;
        let mut requested = req.settings;
        requested.password |= req.password.is_some();
        self.fill_templates(actor, &mut requested).await?;
        let effective = apply_policy(&PolicyInput {
            requested: &requested,
            items: &items,
            creator_rights: &rights,
            site,
            now,
        })?;
        let custom_key = match &req.custom_key {
            Some(k) => Some(UrlKey::custom(k, &site.custom_keys)?),
            None => None,
        };
        let (password, generated) = self.password_for(
            effective.settings.password,
            req.password,
            site.password_min_len,
        )?;
        let password_hash = match &password {
            Some(p) => Some(self.hash(p.clone()).await?),
            None => None,
        };
        let snapshot = if effective.settings.mode == crate::ShareMode::Snapshot {
            Some(self.take_snapshot(&mut items).await?)
        } else {
            None
        };
        let mut attempt = 0;
        let share = loop {
            let key = custom_key
                .clone()
                .unwrap_or_else(|| UrlKey::generate(self.ports.random.as_ref()));
            let new = NewShare {
                key,
                owner: actor.clone(),
                items: items.clone(),
                requested: requested.clone(),
                settings: effective.settings.clone(),
                adjustments: effective.adjustments.clone(),
                password_hash: password_hash.clone(),
                autofill_code: autofill_code(&effective.settings, password.as_ref()),
                created_at: now,
            };
            match self.ports.repo.insert_share(new).await {
                Ok(share) => break share,
                Err(RepoError::KeyTaken) if custom_key.is_none() && attempt < 3 => attempt += 1,
                Err(e) => {
                    if let Some(root) = &snapshot
                        && let Err(e) = self.ports.files.delete(root).await
                    {
                        discarded("a snapshot of a share not created stays behind", &e);
                    }
                    return Err(match e {
                        RepoError::KeyTaken => ServiceError::KeyTaken,
                        other => other.into(),
                    });
                }
            }
        };
        self.publish(
            &share.owner,
            ShareEvent::Created {
                share: share.id,
                by: actor.clone(),
                at: now,
            },
        )
        .await?;
        Ok(Created {
            link: self.link(&share),
            share,
            generated_password: password.filter(|_| generated),
        })
    }

    /// Copies each item into a fresh snapshot folder and points the items at the copies.
    async fn take_snapshot(&self, items: &mut [ShareItem]) -> Result<SharePath> {
        let root = self
            .config
            .snapshot_root
            .join(&SharePath::segment(&self.token(24))?)?;
        for (i, item) in items.iter_mut().enumerate() {
            let name = SharePath::segment(item.path.file_name().unwrap_or("item"))?;
            let target = root
                .join(&SharePath::segment(&i.to_string())?)?
                .join(&name)?;
            if let Err(e) = self.ports.files.copy(&item.path, &target).await {
                if let Err(e) = self.ports.files.delete(&root).await {
                    discarded("a partial snapshot stays behind", &e);
                }
                return Err(e.into());
            }
            if item.alias.is_none() {
                item.alias = item.path.file_name().map(str::to_owned);
            }
            item.origin = Some(std::mem::replace(&mut item.path, target));
        }
        Ok(root)
    }

    fn snapshot_folder(&self, share: &Share) -> Option<SharePath> {
        share
            .items
            .first()
            .filter(|i| i.origin.is_some() && i.path.starts_with(&self.config.snapshot_root))
            .and_then(|i| i.path.parent())
            .and_then(|p| p.parent())
    }

    /// A share the actor may manage.
    ///
    /// # Errors
    /// `ShareNotFound` (also when the actor may not see it).
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn get_share(&self, actor: &UserId, id: ShareId) -> Result<Share> {
        Ok(self.managed(actor, id).await?.1)
    }

    /// The share whose link key is `key`, if the actor may manage it (owner or admin):
    /// how an embedder that creates shares with custom keys finds the one it made ("create
    /// if absent" then matches on [`ServiceError::KeyTaken`]).
    ///
    /// # Errors
    /// `ShareNotFound`: no such key, not a key at all, or a share the actor may not see
    /// (indistinguishable on purpose).
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn find_share_by_key(&self, actor: &UserId, key: &str) -> Result<Share> {
        let found = match UrlKey::parse(key) {
            Ok(key) => self.ports.repo.find_by_key(&key).await?,
            Err(_) => None,
        };
        Ok(self.manageable(actor, found).await?.1)
    }

    async fn reapply(
        &self,
        actor: &UserId,
        mut share: Share,
        requested: ShareSettings,
        items: Vec<ShareItem>,
        password: PasswordChange,
    ) -> Result<(Share, Option<PlainPassword>)> {
        let now = self.now();
        // The creator's rights bound the share, whoever edits it.
        let rights = self.rights_on(&share.owner, &items).await?;
        let mut requested = requested;
        requested.password |= matches!(password, PasswordChange::Set(_) | PasswordChange::Generate);
        let site = self.site().await?;
        self.fill_templates(&share.owner, &mut requested).await?;
        let effective = apply_policy(&PolicyInput {
            requested: &requested,
            items: &items,
            creator_rights: &rights,
            site: &site,
            now,
        })?;
        let had_autofill = share.settings.password && share.settings.password_autofill;
        let min = site.password_min_len;
        // The new password in clear, when there is one (the old one is only a hash).
        let (new_password, generated) = if effective.settings.password {
            match password {
                PasswordChange::Set(p) => (Some(PlainPassword::new(&p, min)?), false),
                PasswordChange::Generate => (
                    Some(PlainPassword::generate(self.ports.random.as_ref(), min)),
                    true,
                ),
                PasswordChange::Keep if share.password_hash.is_some() => (None, false),
                PasswordChange::Keep => (
                    Some(PlainPassword::generate(self.ports.random.as_ref(), min)),
                    true,
                ),
            }
        } else {
            (None, false)
        };
        // The readable code follows the password; it is erased when auto-fill is off.
        share.autofill_code = match autofill_code(&effective.settings, new_password.as_ref()) {
            Some(code) => Some(code),
            None if effective.settings.password && effective.settings.password_autofill => {
                match share.autofill_code.take() {
                    Some(kept) => Some(kept),
                    // Shares that had auto-fill before codes were kept go on as they were.
                    None if had_autofill => None,
                    None => return Err(crate::SettingsError::AutofillNeedsPassword.into()),
                }
            }
            None => None,
        };
        let shown = new_password.clone().filter(|_| generated);
        share.password_hash = match new_password {
            Some(p) => Some(self.hash(p).await?),
            None if effective.settings.password => share.password_hash.take(),
            None => None,
        };
        share.items = items;
        share.requested = requested;
        share.settings = effective.settings;
        share.adjustments = effective.adjustments;
        share.updated_at = now;
        self.ports.repo.update_share(&share).await?;
        self.publish(
            &share.owner,
            ShareEvent::Updated {
                share: share.id,
                by: actor.clone(),
                at: now,
            },
        )
        .await?;
        let share = self
            .ports
            .repo
            .get_share(share.id)
            .await?
            .ok_or(ServiceError::ShareNotFound)?;
        Ok((share, shown))
    }

    /// Replaces a share's settings; site policy and the creator's current rights apply
    /// again. Setting a future expiry reactivates an expired share (nothing is resent).
    /// Returns the share and a generated password, if one was made.
    ///
    /// # Errors
    /// `ShareNotFound`, settings or password errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn update_settings(
        &self,
        actor: &UserId,
        id: ShareId,
        settings: ShareSettings,
        password: PasswordChange,
    ) -> Result<(Share, Option<PlainPassword>)> {
        let (_, share) = self.managed(actor, id).await?;
        if share.settings.mode != settings.mode {
            return Err(ServiceError::ModeFixed);
        }
        let items = share.items.clone();
        self.reapply(actor, share, settings, items, password).await
    }

    /// Adds items to a (reference) share.
    ///
    /// # Errors
    /// `ShareNotFound`, `NoSuchItem`, settings errors; snapshot shares cannot change items.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn add_items(&self, actor: &UserId, id: ShareId, new: Vec<NewItem>) -> Result<Share> {
        let (_, share) = self.managed(actor, id).await?;
        if share.settings.mode == crate::ShareMode::Snapshot {
            return Err(ServiceError::SnapshotItemsFixed);
        }
        let mut items = share.items.clone();
        items.extend(self.resolve_items(&share.owner, &new).await?.0);
        let requested = share.requested.clone();
        Ok(self
            .reapply(actor, share, requested, items, PasswordChange::Keep)
            .await?
            .0)
    }

    /// Removes items (by path) from a share; at least one must remain.
    ///
    /// # Errors
    /// `ShareNotFound`, settings errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn remove_items(
        &self,
        actor: &UserId,
        id: ShareId,
        paths: &[SharePath],
    ) -> Result<Share> {
        let (_, share) = self.managed(actor, id).await?;
        let items: Vec<ShareItem> = share
            .items
            .iter()
            .filter(|i| {
                !paths.contains(&i.path) && !i.origin.as_ref().is_some_and(|o| paths.contains(o))
            })
            .cloned()
            .collect();
        check_items(
            &items,
            share.settings.allowed,
            self.site_shared().await?.settings.max_items,
        )?;
        let requested = share.requested.clone();
        Ok(self
            .reapply(actor, share, requested, items, PasswordChange::Keep)
            .await?
            .0)
    }

    /// Lists shares: owners see their own, admins everybody's (optionally one owner's).
    ///
    /// # Errors
    /// Directory or repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn list_shares(&self, actor: &UserId, filter: ListShares) -> Result<SharePage> {
        let user = self.actor(actor).await?;
        let owner = if user.is_admin {
            filter.owner
        } else {
            Some(actor.clone())
        };
        let page = self
            .ports
            .repo
            .list_shares(&ShareQuery {
                owner,
                name_contains: filter.name_contains,
                created_from: filter.created_from,
                created_to: filter.created_to,
                state: filter.state,
                now: Some(self.now()),
                after: filter.after,
                limit: filter.limit.unwrap_or(50).clamp(1, 1000),
            })
            .await?;
        self.resolve_page(page).await
    }

    /// Revokes a share: deletes it with its settings, recipients, registrations, sessions,
    /// access log and snapshot copy. Its key then answers exactly like an unknown key.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors; a file-store error deleting the snapshot copy
    /// (then nothing else was deleted and the revoke can be retried).
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn revoke(&self, actor: &UserId, id: ShareId) -> Result<()> {
        let (_, share) = self.managed(actor, id).await?;
        // The snapshot copy goes first: if the store is away the share stays, the revoke
        // fails and can be retried; the other order would leave a copy nothing removes.
        if let Some(folder) = self.snapshot_folder(&share) {
            match self.ports.files.delete(&folder).await {
                Ok(()) | Err(FileStoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.ports.repo.delete_share(share.id).await?;
        self.ports.log.delete_share(share.id).await?;
        self.publish(
            &share.owner,
            ShareEvent::Revoked {
                share: share.id,
                by: actor.clone(),
                at: self.now(),
            },
        )
        .await?;
        Ok(())
    }

    /// Revokes every share the actor can see; returns how many.
    ///
    /// # Errors
    /// Repository errors (shares revoked before the error stay revoked).
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn revoke_all(&self, actor: &UserId) -> Result<u64> {
        let mut count = 0;
        loop {
            let page = self
                .list_shares(
                    actor,
                    ListShares {
                        limit: Some(200),
                        ..ListShares::default()
                    },
                )
                .await?;
            if page.shares.is_empty() {
                return Ok(count);
            }
            for share in page.shares {
                self.revoke(actor, share.id).await?;
                count += 1;
            }
        }
    }

    /// Expires a share now, keeping its log and recipients.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn expire(&self, actor: &UserId, id: ShareId) -> Result<Share> {
        let (_, mut share) = self.managed(actor, id).await?;
        let now = self.now();
        share.settings.schedule.expires_at = Some(now);
        share.requested.schedule.expires_at = Some(now);
        share.updated_at = now;
        self.ports.repo.update_share(&share).await?;
        self.publish(
            &share.owner,
            ShareEvent::Updated {
                share: share.id,
                by: actor.clone(),
                at: now,
            },
        )
        .await?;
        Ok(share)
    }

    /// Reactivates a share with a new expiry in the future (or none); nothing is resent.
    ///
    /// # Errors
    /// `ShareNotFound`, `ExpiryInPast` for an expiry not in the future, `SnapshotPurged`
    /// for a snapshot share whose copies [`Sharelink::purge`] deleted, settings errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn reactivate(
        &self,
        actor: &UserId,
        id: ShareId,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<Share> {
        let (_, share) = self.managed(actor, id).await?;
        if expires_at.is_some_and(|e| e <= self.now()) {
            return Err(ServiceError::ExpiryInPast);
        }
        // Reactivated without its copies, a snapshot share would serve nothing.
        if let Some(folder) = self.snapshot_folder(&share) {
            match self.ports.files.stat(&folder).await {
                Ok(_) => {}
                Err(FileStoreError::NotFound { .. }) => return Err(ServiceError::SnapshotPurged),
                Err(e) => return Err(e.into()),
            }
        }
        let mut requested = share.requested.clone();
        requested.schedule.expires_at = expires_at;
        let items = share.items.clone();
        Ok(self
            .reapply(actor, share, requested, items, PasswordChange::Keep)
            .await?
            .0)
    }

    /// Sends a share by email: each recipient gets their own link, in one message each;
    /// a failure for one recipient does not stop the others. With the site's
    /// one-active-share rule, a recipient who already has an active share of an item is
    /// refused.
    ///
    /// # Errors
    /// `ShareNotFound`, or `NotActive` when the share is not active. Per-recipient failures
    /// are in the outcomes.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn share_by_email(
        &self,
        actor: &UserId,
        id: ShareId,
        recipients: Vec<NewRecipientInput>,
        message: Option<String>,
    ) -> Result<Vec<SendOutcome>> {
        let (user, share) = self.managed(actor, id).await?;
        let now = self.now();
        if share.state(now) != ShareState::Active && share.state(now) != ShareState::NotYetActive {
            return Err(ServiceError::NotActive);
        }
        let mut outcomes = Vec::with_capacity(recipients.len());
        for input in recipients {
            let result = self
                .send_to(&user, &share, &input, message.as_deref(), now)
                .await;
            outcomes.push(SendOutcome {
                email: input.email,
                result,
            });
        }
        Ok(outcomes)
    }

    async fn send_to(
        &self,
        sender: &UserInfo,
        share: &Share,
        input: &NewRecipientInput,
        message: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Recipient> {
        if self
            .site_shared()
            .await?
            .settings
            .one_active_share_per_recipient_item
        {
            for item in &share.items {
                if !self
                    .ports
                    .repo
                    .active_recipient_shares(&input.email, item.rights_path(), now)
                    .await?
                    .is_empty()
                {
                    return Err(ServiceError::RecipientHasShare {
                        email: input.email.clone(),
                        item: item.display_name().to_owned(),
                    });
                }
            }
        }
        let code = self.token(32);
        let recipient = self
            .ports
            .repo
            .add_recipient(NewRecipient {
                share_id: share.id,
                email: input.email.clone(),
                company: input.company.clone(),
                note: input.note.clone(),
                link_code: code.clone(),
                sent_at: None,
            })
            .await?;
        let mail = self
            .mail_about(
                share,
                input.email.clone(),
                MailMessage::Invitation {
                    share_name: share.settings.name.clone(),
                    sender: sender.display_name.clone(),
                    message: message.map(str::to_owned),
                    link: Secret(self.recipient_link(share, &code)),
                    expires_at: share.settings.schedule.expires_at,
                },
            )
            .await?;
        self.post_mail(share, mail, None).await?;
        self.ports
            .repo
            .replace_link_code(recipient.id, &code, now)
            .await?;
        self.publish(
            &share.owner,
            ShareEvent::Sent {
                share: share.id,
                to: input.email.to_string(),
                at: now,
            },
        )
        .await?;
        Ok(Recipient {
            sent_at: Some(now),
            ..recipient
        })
    }

    /// A share's recipients.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn recipients(&self, actor: &UserId, id: ShareId) -> Result<Vec<Recipient>> {
        let (_, share) = self.managed(actor, id).await?;
        Ok(self.ports.repo.list_recipients(share.id).await?)
    }

    /// A share's registrations.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn registrations(
        &self,
        actor: &UserId,
        id: ShareId,
    ) -> Result<Vec<StoredRegistration>> {
        let (_, share) = self.managed(actor, id).await?;
        Ok(self.ports.repo.list_registrations(share.id).await?)
    }

    /// A share's access log, newest first.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn access_log(
        &self,
        actor: &UserId,
        id: ShareId,
        mut query: LogQuery,
    ) -> Result<Vec<LogEvent>> {
        let (_, share) = self.managed(actor, id).await?;
        query.shares = Some(vec![share.id]);
        query.limit = query.limit.clamp(1, 1000);
        Ok(self.ports.log.query(&query).await?)
    }

    /// A share's statistics.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn statistics(&self, actor: &UserId, id: ShareId) -> Result<ShareStats> {
        let (_, share) = self.managed(actor, id).await?;
        Ok(self.ports.log.statistics(share.id).await?)
    }

    /// Tells owners whose shares expire within the site's reminder window (and the
    /// site's administrator copy), once per expiry, for shares that ask for it
    /// ([`crate::OwnerNotifications::expiry_soon`], on by default): a mail at once, or an
    /// entry of the next digest. Safe to run on many nodes at once. Returns to how many
    /// addresses it went.
    ///
    /// # Errors
    /// Repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn send_expiry_reminders(&self) -> Result<u32> {
        let site = self.site().await?;
        let Some(window) = site.expiry_reminder else {
            return Ok(0);
        };
        let now = self.now();
        let mut sent = 0;
        let mut after = None;
        loop {
            let page = self
                .ports
                .repo
                .list_shares(&ShareQuery {
                    state: Some(ShareState::Active),
                    now: Some(now),
                    after,
                    limit: 500,
                    ..ShareQuery::default()
                })
                .await?;
            for share in &page.shares {
                let Some(expires_at) = share.settings.schedule.expires_at else {
                    continue;
                };
                if expires_at > now + window
                    || share.reminder_sent_at.is_some()
                    || !share.settings.notifies(crate::ActivityKind::ExpirySoon)
                {
                    continue;
                }
                if self.owner_email(&share.owner).await.is_none()
                    && site.notification_copy.is_empty()
                {
                    continue;
                }
                if !self.ports.repo.mark_reminded(share.id, now).await? {
                    continue;
                }
                let activity = crate::Activity::ExpirySoon { expires_at };
                // Best effort per share: one that cannot be told does not stop the rest.
                sent += self.notify_owner(share, activity).await.unwrap_or(0);
            }
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok(sent),
            }
        }
    }

    /// Housekeeping: deletes access-log events past the retention period and the copies
    /// of expired snapshot shares. Returns (events purged, snapshots deleted).
    ///
    /// # Errors
    /// Repository or storage errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn purge(&self) -> Result<(u64, u32)> {
        let now = self.now();
        let events = match self.site_shared().await?.settings.log_privacy.retention {
            Some(r) => self.ports.log.purge_before(now - r).await?,
            None => 0,
        };
        let mut snapshots = 0;
        let mut after = None;
        loop {
            let page = self
                .ports
                .repo
                .list_shares(&ShareQuery {
                    state: Some(ShareState::Expired),
                    now: Some(now),
                    after,
                    limit: 500,
                    ..ShareQuery::default()
                })
                .await?;
            for share in &page.shares {
                if let Some(folder) = self.snapshot_folder(share) {
                    match self.ports.files.delete(&folder).await {
                        Ok(()) => snapshots += 1,
                        Err(FileStoreError::NotFound { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => return Ok((events, snapshots)),
            }
        }
    }

    /// What policy changed on a share (for display next to requested and effective).
    pub fn adjustments(share: &Share) -> &[Adjustment] {
        &share.adjustments
    }
}

//! The share aggregate: items, its state, recipients, and where a visitor path points.
//!
//! The settings a share is made with (requested and effective) live in [`settings`] and
//! are re-exported here, so `model::share::ShareSettings` and its parts keep their paths.

pub mod settings;

pub use settings::{
    AccessControl, Adjustment, Clickwrap, FieldsView, MAX_NAME, MAX_TEXT, Schedule, ShareMode,
    ShareSettings, UploadRules, UploadViolation, UploaderFolder, UseLimit, UseUnit, Watermark,
    WatermarkVars, safe_segment,
};

use crate::model::password::{AutofillCode, PasswordHash};
use crate::{
    AllowedActions, BrowserId, DeviceId, Email, PathError, RecipientId, SettingsError, ShareId,
    SharePath, UrlKey, UserId,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// Longest alias (display name of an item).
pub const MAX_ALIAS: usize = 255;

/// Whether an item is a file or a folder.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A single file.
    File,
    /// A folder and everything in it.
    Folder,
}

/// One shared path with an optional display name.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareItem {
    /// Path in the file store (never the root).
    pub path: SharePath,
    /// File or folder.
    pub kind: ItemKind,
    /// The name visitors see instead of the file name.
    pub alias: Option<String>,
    /// For snapshot shares: the original path the copy at `path` was taken from (the
    /// creator's rights are checked there).
    #[serde(default)]
    pub origin: Option<SharePath>,
}

impl ShareItem {
    /// An item, checked: the path is not the root; the alias, if any, is a valid name.
    ///
    /// # Errors
    /// [`SettingsError::BadAlias`] or a path error (as [`SettingsError::BadAlias`] of the path);
    /// [`SettingsError::AliasCharacter`] for an invisible or direction-changing character.
    pub fn new(
        path: SharePath,
        kind: ItemKind,
        alias: Option<String>,
    ) -> Result<Self, SettingsError> {
        if path.is_root() {
            return Err(SettingsError::BadAlias(String::new()));
        }
        let alias = alias.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        if let Some(a) = &alias {
            match SharePath::new_name(a) {
                Err(PathError::InvisibleCharacter(c)) => {
                    return Err(SettingsError::AliasCharacter(c));
                }
                Err(_) => return Err(SettingsError::BadAlias(a.chars().take(60).collect())),
                Ok(_) if a.chars().count() > MAX_ALIAS => {
                    return Err(SettingsError::BadAlias(a.chars().take(60).collect()));
                }
                Ok(_) => {}
            }
        }
        Ok(Self {
            path,
            kind,
            alias,
            origin: None,
        })
    }

    /// The path whose rights govern this item: the origin of a snapshot, else `path`.
    pub fn rights_path(&self) -> &SharePath {
        self.origin.as_ref().unwrap_or(&self.path)
    }

    /// The name visitors see: the alias, or the file name.
    pub fn display_name(&self) -> &str {
        self.alias
            .as_deref()
            .or_else(|| self.path.file_name())
            .unwrap_or_default()
    }
}

/// Checks a share's items against its level: at least one, at most `max_items`, distinct
/// display names, folders for upload levels, no files in a drop box.
///
/// # Errors
/// [`SettingsError`] for the first problem.
pub fn check_items(
    items: &[ShareItem],
    allowed: AllowedActions,
    max_items: usize,
) -> Result<(), SettingsError> {
    if items.is_empty() {
        return Err(SettingsError::NoItems);
    }
    if items.len() > max_items {
        return Err(SettingsError::TooManyItems { max: max_items });
    }
    let mut names = std::collections::HashSet::new();
    for item in items {
        if !names.insert(item.display_name().to_lowercase()) {
            return Err(SettingsError::DuplicateItemName(
                item.display_name().to_owned(),
            ));
        }
    }
    if allowed.needs_folder() && !items.iter().any(|i| i.kind == ItemKind::Folder) {
        return Err(SettingsError::NeedsFolder(allowed.as_str()));
    }
    if !allowed.allows_file_items() && items.iter().any(|i| i.kind == ItemKind::File) {
        return Err(SettingsError::UploadOnlyHasFile);
    }
    Ok(())
}

/// The lifecycle state of a share at a moment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Its start date is in the future.
    NotYetActive,
    /// Usable.
    Active,
    /// Past its expiry.
    Expired,
    /// Its use limit is reached.
    Exhausted,
}

/// A share: the aggregate root.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Internal id.
    pub id: ShareId,
    /// Public key.
    pub key: UrlKey,
    /// The creator and owner.
    pub owner: UserId,
    /// What is shared.
    pub items: Vec<ShareItem>,
    /// What the creator asked for.
    pub requested: ShareSettings,
    /// What is in effect after site policy and the creator's rights.
    pub settings: ShareSettings,
    /// How `settings` differs from `requested`, and why.
    pub adjustments: Vec<Adjustment>,
    /// The password's hash, when protected.
    pub password_hash: Option<PasswordHash>,
    /// The password, readable, while the effective settings ask for auto-fill: the link
    /// carries it (see `SECURITY.md`). Absent from rows written before auto-fill kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autofill_code: Option<AutofillCode>,
    /// The device the share is bound to, once one opened it.
    pub bound_device: Option<DeviceId>,
    /// Uses spent (under `settings.use_limit`).
    pub uses: u32,
    /// Bytes uploaded by visitors so far.
    pub uploaded_bytes: u64,
    /// When the owner was reminded of the coming expiry (once per expiry).
    #[serde(default, with = "crate::model::instant::option")]
    pub reminder_sent_at: Option<OffsetDateTime>,
    /// Created.
    #[serde(with = "crate::model::instant")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "crate::model::instant")]
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("name", &self.settings.name)
            .field("items", &self.items.len())
            .field("uses", &self.uses)
            .finish_non_exhaustive()
    }
}

impl Share {
    /// The state at `now`. Expiry wins over exhaustion, which wins over not-yet-active.
    pub fn state(&self, now: OffsetDateTime) -> ShareState {
        let s = &self.settings.schedule;
        if s.expires_at.is_some_and(|e| now >= e) {
            ShareState::Expired
        } else if self.settings.use_limit.is_some_and(|l| self.uses >= l.max) {
            ShareState::Exhausted
        } else if s.starts_at.is_some_and(|st| now < st) {
            ShareState::NotYetActive
        } else {
            ShareState::Active
        }
    }

    /// Where a visitor path points: the share's top level (the list of items), or a
    /// path inside one item. The first segment names an item by its display name.
    ///
    /// # Errors
    /// `None` when no item has that name, or a file item is followed by more segments.
    pub fn resolve(&self, visitor: &SharePath) -> Option<Resolved> {
        let Some((first, rel)) = visitor.split_first() else {
            return Some(Resolved::Top);
        };
        let (index, item) = self
            .items
            .iter()
            .enumerate()
            .find(|(_, i)| i.display_name() == first)?;
        if item.kind == ItemKind::File && !rel.is_root() {
            return None;
        }
        let storage = item.path.join(&rel).ok()?;
        Some(Resolved::Item {
            index,
            storage,
            rel,
        })
    }

    /// Where an upload to the top of the share lands: its one folder item, when it
    /// shares exactly one folder (a drop box); `None` otherwise.
    pub fn sole_folder(&self) -> Option<Resolved> {
        let mut folders = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == ItemKind::Folder);
        match (folders.next(), folders.next()) {
            (Some((index, item)), None) => Some(Resolved::Item {
                index,
                storage: item.path.clone(),
                rel: SharePath::root(),
            }),
            _ => None,
        }
    }

    /// The storage path of a visitor path, only if it lies inside an item.
    pub fn storage_path(&self, visitor: &SharePath) -> Option<SharePath> {
        match self.resolve(visitor)? {
            Resolved::Top => None,
            Resolved::Item { storage, .. } => Some(storage),
        }
    }

    /// The visitor path of a storage path, if that path lies inside an item.
    pub fn visitor_path(&self, storage: &SharePath) -> Result<SharePath, PathError> {
        for item in &self.items {
            if let Some(rel) = storage.strip_prefix(&item.path) {
                let head = SharePath::segment(item.display_name())?;
                return head.join(&rel);
            }
        }
        Err(PathError::Root)
    }
}

/// Where a visitor path points (see [`Share::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The share's top level.
    Top,
    /// Inside an item.
    Item {
        /// Which item.
        index: usize,
        /// The path in the file store.
        storage: SharePath,
        /// The path relative to the item.
        rel: SharePath,
    },
}

/// A recipient of a share sent by email, with their own link code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Id.
    pub id: RecipientId,
    /// The share.
    pub share_id: ShareId,
    /// Where the link was sent.
    pub email: Email,
    /// Their company.
    pub company: Option<String>,
    /// A note about them (owner only).
    pub note: Option<String>,
    /// When the last link was sent.
    #[serde(default, with = "crate::model::instant::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// The secret code in their link (`/s/<key>?r=<code>`); replaced when re-sent.
    pub link_code: String,
    /// The browser their link is bound to, once opened.
    pub bound_browser: Option<BrowserId>,
    /// When the owner revoked this recipient's link (it then answers like an unknown link).
    #[serde(default, with = "crate::model::instant::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// When this recipient's link stops working, apart from the share's own expiry.
    #[serde(default, with = "crate::model::instant::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the recipient last opened their link.
    #[serde(default, with = "crate::model::instant::option")]
    pub last_access_at: Option<OffsetDateTime>,
}

/// Where one recipient's link stands, apart from the share's own state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// The link works (as far as the share itself does).
    Active,
    /// The owner revoked the link.
    Revoked,
    /// The link's own expiry has passed.
    Expired,
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("id", &self.id)
            .field("share_id", &self.share_id)
            .field("email", &self.email)
            .field("bound", &self.bound_browser.is_some())
            .field("revoked_at", &self.revoked_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What opening a recipient's link in a browser means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// First open: bind the link to this browser.
    BindNow,
    /// Already bound to this browser.
    SameBrowser,
    /// Bound to another browser: refuse, and send the recipient a fresh link.
    OtherBrowser,
}

impl Recipient {
    /// Where the link stands at `now`: revocation wins over expiry, and an expiry at
    /// `now` has passed (the same boundary as a share's).
    pub fn state(&self, now: OffsetDateTime) -> RecipientState {
        if self.revoked_at.is_some() {
            RecipientState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            RecipientState::Expired
        } else {
            RecipientState::Active
        }
    }

    /// Decides what opening the link in `browser` means (the rule of emailed-only access).
    pub fn binding_for(&self, browser: &BrowserId) -> Binding {
        match &self.bound_browser {
            None => Binding::BindNow,
            Some(b) if b == browser => Binding::SameBrowser,
            Some(_) => Binding::OtherBrowser,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn recipient(revoked: Option<i64>, expires: Option<i64>) -> Recipient {
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).expect("in range");
        Recipient {
            id: RecipientId(1),
            share_id: ShareId(1),
            email: Email::parse("rita@example.com").expect("valid"),
            company: None,
            note: None,
            sent_at: None,
            link_code: "c".into(),
            bound_browser: None,
            revoked_at: revoked.map(at),
            expires_at: expires.map(at),
            last_access_at: None,
        }
    }

    #[test]
    fn recipient_states() {
        let now = OffsetDateTime::from_unix_timestamp(100).expect("in range");
        let table = [
            (None, None, RecipientState::Active),
            (None, Some(101), RecipientState::Active),
            (None, Some(100), RecipientState::Expired),
            (Some(50), None, RecipientState::Revoked),
            (Some(50), Some(10), RecipientState::Revoked),
        ];
        for (revoked, expires, state) in table {
            assert_eq!(
                recipient(revoked, expires).state(now),
                state,
                "{revoked:?} {expires:?}"
            );
        }
    }

    proptest! {
        /// Revocation is final whatever the expiry; without it, the link is active
        /// exactly before its own expiry.
        #[test]
        fn recipient_state_rule(
            revoked in proptest::option::of(0i64..1000),
            expires in proptest::option::of(0i64..1000),
            now in 0i64..1000,
        ) {
            let now = OffsetDateTime::from_unix_timestamp(now).expect("in range");
            let r = recipient(revoked, expires);
            let state = r.state(now);
            prop_assert_eq!(state == RecipientState::Revoked, revoked.is_some());
            if revoked.is_none() {
                prop_assert_eq!(
                    state == RecipientState::Active,
                    r.expires_at.is_none_or(|e| now < e)
                );
            }
        }
    }

    fn item(path: &str, kind: ItemKind, alias: Option<&str>) -> ShareItem {
        ShareItem::new(
            SharePath::parse(path).unwrap(),
            kind,
            alias.map(str::to_owned),
        )
        .unwrap()
    }

    #[test]
    fn item_constraints_of_levels() {
        let file = item("a/report.pdf", ItemKind::File, None);
        let folder = item("a/inbox", ItemKind::Folder, None);
        assert!(check_items(std::slice::from_ref(&file), AllowedActions::Download, 10).is_ok());
        assert_eq!(
            check_items(std::slice::from_ref(&file), AllowedActions::Upload, 10),
            Err(SettingsError::NeedsFolder("upload"))
        );
        assert_eq!(
            check_items(&[file.clone(), folder.clone()], AllowedActions::Upload, 10),
            Err(SettingsError::UploadOnlyHasFile)
        );
        assert!(check_items(std::slice::from_ref(&folder), AllowedActions::Upload, 10).is_ok());
        assert!(check_items(&[file.clone(), folder.clone()], AllowedActions::Full, 10).is_ok());
        assert_eq!(
            check_items(&[], AllowedActions::Download, 10),
            Err(SettingsError::NoItems)
        );
        let dup = item("b/report.pdf", ItemKind::File, None);
        assert!(matches!(
            check_items(&[file.clone(), dup], AllowedActions::Download, 10),
            Err(SettingsError::DuplicateItemName(_))
        ));
        let aliased = item("b/report.pdf", ItemKind::File, Some("Report B.pdf"));
        assert!(check_items(&[file, aliased], AllowedActions::Download, 1).is_err());
    }

    #[test]
    fn uploader_folders_drop_invisible_characters() {
        let folder = safe_segment("Eve\u{202E}gpj.exe\u{200B}");
        assert_eq!(folder.as_str(), "Evegpj.exe");
        assert_eq!(safe_segment("\u{202E}\u{FEFF}").as_str(), "_");
    }

    #[test]
    fn aliases_must_be_names() {
        assert!(
            ShareItem::new(
                SharePath::parse("a").unwrap(),
                ItemKind::File,
                Some("x/y".into())
            )
            .is_err()
        );
        assert!(
            ShareItem::new(
                SharePath::parse("a").unwrap(),
                ItemKind::File,
                Some("..".into())
            )
            .is_err()
        );
        assert!(ShareItem::new(SharePath::root(), ItemKind::Folder, None).is_err());
        assert_eq!(
            ShareItem::new(
                SharePath::parse("a").unwrap(),
                ItemKind::File,
                Some("invoice\u{202E}fdp.exe".into())
            ),
            Err(SettingsError::AliasCharacter('\u{202E}'))
        );
    }
}

//! The settings of a share, as its creator asks for them and as they are in effect after
//! policy, and the value types they are made of.

use super::{ItemKind, ShareItem, check_items};
use crate::model::form::RegistrationForm;
use crate::model::ip::IpAllowList;
use crate::model::notify::{ActivityKind, OwnerNotifications};
use crate::{Action, AllowedActions, Email, EmailPattern, SettingsError, SharePath};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

/// Longest share name.
pub const MAX_NAME: usize = 200;
/// Longest description, internal note, terms or message.
pub const MAX_TEXT: usize = 10_000;

/// How items are served.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareMode {
    /// Live references: edits and new files show at once.
    #[default]
    Reference,
    /// "Send files": items are copied at creation and served from the copy.
    Snapshot,
}

/// When a share is usable: an optional start and expiry, as UTC instants, and the
/// creator's time zone for display.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    /// Not usable before this instant.
    #[serde(with = "crate::model::instant::option")]
    pub starts_at: Option<OffsetDateTime>,
    /// Not usable from this instant on.
    #[serde(with = "crate::model::instant::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The creator's UTC offset, for showing dates as they meant them.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "+02:00:00"))]
    pub display_offset: UtcOffset,
    /// The creator's IANA time-zone name (such as `Europe/Paris`): dates in mail are
    /// shown in it. Checked at creation and update (see [`ShareSettings::check`]).
    pub time_zone: Option<String>,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            starts_at: None,
            expires_at: None,
            display_offset: UtcOffset::UTC,
            time_zone: None,
        }
    }
}

/// What a use limit counts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseUnit {
    /// Visitor sessions opened.
    Visit,
    /// Files or ZIPs served.
    Download,
    /// Any visitor action (list, preview, download, upload, …), not opening the link.
    Operation,
}

/// A use limit: at most `max` uses of `unit`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UseLimit {
    /// Most uses (at least 1).
    pub max: u32,
    /// What counts as a use.
    pub unit: UseUnit,
}

impl UseLimit {
    /// "One-time use": one download.
    pub const ONE_TIME: UseLimit = UseLimit {
        max: 1,
        unit: UseUnit::Download,
    };

    /// Whether `action` spends a use under this limit.
    pub fn counts(&self, action: Action) -> bool {
        match self.unit {
            UseUnit::Visit => action == Action::Visit,
            UseUnit::Download => action.is_download(),
            UseUnit::Operation => action != Action::Visit,
        }
    }

    /// Whether `used` uses exhaust the limit for `action`. Under a visit limit, sessions
    /// already open keep working; under the other units, an exhausted share refuses all.
    pub fn exhausted_for(&self, used: u32, action: Action) -> bool {
        used >= self.max && (self.unit != UseUnit::Visit || action == Action::Visit)
    }
}

/// Who may pass the first gate.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "patterns", rename_all = "snake_case")]
pub enum AccessControl {
    /// Anyone with the link.
    #[default]
    Anyone,
    /// Only per-recipient links sent by email; each binds to the first browser.
    EmailedOnly,
    /// Visitors proving (with a one-time code) an email matching one of the patterns.
    VerifiedEmails(Vec<EmailPattern>),
    /// Only signed-in users of the embedding application.
    Organization,
}

impl AccessControl {
    /// Whether the share is public in the seed's sense (not organization-only).
    pub fn is_public(&self) -> bool {
        !matches!(self, AccessControl::Organization)
    }
}

/// Terms a visitor must accept.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clickwrap {
    /// Heading.
    pub title: String,
    /// The terms (plain text).
    pub terms: String,
}

impl Clickwrap {
    /// The digest of the terms as a visitor reads them (title, a blank line, the terms):
    /// what an acceptance records (see [`crate::model::token::text_digest`]).
    pub fn digest(&self) -> String {
        crate::model::token::text_digest(format!("{}\n\n{}", self.title, self.terms).as_bytes())
    }
}

/// Text drawn over image previews. Placeholders: `{email}`, `{ip}`, `{time}`, `{name}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// The template.
    pub text: String,
}

/// What a watermark may mention about the visitor.
#[derive(Debug, Clone, Default)]
pub struct WatermarkVars {
    /// Verified or registered email.
    pub email: Option<String>,
    /// Registered name.
    pub name: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Time of the request, formatted.
    pub time: Option<String>,
}

impl Watermark {
    /// The text with placeholders filled in (unknown values become empty).
    pub fn render(&self, vars: &WatermarkVars) -> String {
        self.text
            .replace("{email}", vars.email.as_deref().unwrap_or(""))
            .replace("{name}", vars.name.as_deref().unwrap_or(""))
            .replace("{ip}", vars.ip.as_deref().unwrap_or(""))
            .replace("{time}", vars.time.as_deref().unwrap_or(""))
    }
}

/// The fields of a registration form as a visitor sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsView {
    /// The fields, in order.
    pub fields: Vec<crate::FormField>,
}

impl FieldsView {
    /// The visitor's view of a form.
    pub fn of(form: &RegistrationForm) -> Self {
        Self {
            fields: form.fields(),
        }
    }
}

/// How visitors' uploads are arranged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploaderFolder {
    /// Straight into the target folder.
    #[default]
    None,
    /// A subfolder named from the visitor's registration or verified email.
    ByIdentity,
    /// A subfolder named from the time of the visit.
    ByTime,
}

/// Rules for visitors' uploads.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadRules {
    /// Lower-case extensions allowed (`None`: any).
    pub allowed_extensions: Option<Vec<String>>,
    /// Largest single file, in bytes.
    pub max_file_bytes: Option<u64>,
    /// Most bytes all uploads to the share may add up to.
    pub max_share_bytes: Option<u64>,
    /// Per-uploader subfolders.
    pub subfolder: UploaderFolder,
}

/// Why an upload is refused by the share's upload rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UploadViolation {
    /// The file type is not among the allowed ones.
    #[error("files of this type may not be uploaded here")]
    TypeNotAllowed,
    /// The file is too large.
    #[error("the file is larger than {max} bytes")]
    FileTooLarge {
        /// The limit.
        max: u64,
    },
    /// The share's upload quota would be exceeded.
    #[error("the share's upload space ({max} bytes) would be exceeded")]
    ShareFull {
        /// The limit.
        max: u64,
    },
    /// The file name is not a valid name.
    #[error("the file name is not valid")]
    BadName,
}

impl UploadRules {
    /// Checks a file about to be uploaded (`size` when known up front), given the bytes
    /// already uploaded to the share.
    ///
    /// # Errors
    /// The first [`UploadViolation`].
    pub fn check(
        &self,
        file_name: &str,
        size: Option<u64>,
        uploaded_so_far: u64,
    ) -> Result<(), UploadViolation> {
        let name = SharePath::segment(file_name).map_err(|_| UploadViolation::BadName)?;
        if let Some(allowed) = &self.allowed_extensions {
            let ext = name.extension();
            if !ext.is_some_and(|e| allowed.iter().any(|a| a.eq_ignore_ascii_case(&e))) {
                return Err(UploadViolation::TypeNotAllowed);
            }
        }
        if let Some(size) = size {
            self.check_size(size, uploaded_so_far)?;
        }
        Ok(())
    }

    /// Checks a size (known, or counted while streaming) against both limits.
    ///
    /// # Errors
    /// [`UploadViolation::FileTooLarge`] or [`UploadViolation::ShareFull`].
    pub fn check_size(&self, size: u64, uploaded_so_far: u64) -> Result<(), UploadViolation> {
        if let Some(max) = self.max_file_bytes
            && size > max
        {
            return Err(UploadViolation::FileTooLarge { max });
        }
        if let Some(max) = self.max_share_bytes
            && uploaded_so_far.saturating_add(size) > max
        {
            return Err(UploadViolation::ShareFull { max });
        }
        Ok(())
    }

    /// The per-uploader subfolder name, if the rules ask for one: built from the
    /// visitor's name or email (or the time), with anything unsafe replaced, so uploads
    /// of different visitors never collide.
    pub fn uploader_folder(
        &self,
        name: Option<&str>,
        email: Option<&Email>,
        at: OffsetDateTime,
    ) -> Option<SharePath> {
        let raw = match self.subfolder {
            UploaderFolder::None => return None,
            UploaderFolder::ByIdentity => match (name, email) {
                (Some(n), Some(e)) => format!("{n} ({})", e.as_str()),
                (None, Some(e)) => e.as_str().to_owned(),
                (Some(n), None) => n.to_owned(),
                (None, None) => time_label(at),
            },
            UploaderFolder::ByTime => time_label(at),
        };
        Some(safe_segment(&raw))
    }
}

fn time_label(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}.{:02}.{:02}.{:03}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Turns any text into a safe single path segment (invisible and direction-changing
/// characters dropped; control characters, slashes and backslashes replaced; dots-only
/// names and empty names avoided; length bounded).
pub fn safe_segment(raw: &str) -> SharePath {
    let mut s: String = raw
        .chars()
        .filter(|c| !crate::model::path::is_invisible(*c))
        .map(|c| {
            if c.is_control() || c == '/' || c == '\\' {
                '_'
            } else {
                c
            }
        })
        .take(100)
        .collect();
    s = s.trim().to_owned();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        s = format!("_{s}");
    }
    SharePath::segment(&s).unwrap_or_else(|_| SharePath::root())
}

/// The settings of a share, as requested by its creator or as in effect after policy.
///
/// Stored as JSON, so it reads rows written by other versions: a field missing from an
/// older row takes its default (an optional one reads as none) and a field only a newer
/// version knows is ignored. The name, the level, and the gates that are not optional
/// (access, device binding, address list, password) have no default: every version wrote
/// them, so a row without them is damaged, and guessing would open the share. A field
/// added later MUST have a default that keeps old rows' meaning.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSettings {
    /// Searchable title.
    pub name: String,
    /// Public text shown to visitors.
    #[serde(default)]
    pub description: Option<String>,
    /// Text for the owner and admins only.
    #[serde(default)]
    pub internal_note: Option<String>,
    /// What visitors may do.
    pub allowed: AllowedActions,
    /// Reference (live) or snapshot.
    #[serde(default)]
    pub mode: ShareMode,
    /// Start, expiry and display time zone.
    #[serde(default)]
    pub schedule: Schedule,
    /// Optional use limit.
    #[serde(default)]
    pub use_limit: Option<UseLimit>,
    /// The first gate.
    pub access: AccessControl,
    /// Bind to the first device that opens the link.
    pub device_binding: bool,
    /// Client addresses allowed (empty: all).
    pub ip_allow: IpAllowList,
    /// Protected by a password.
    pub password: bool,
    /// The access code travels in the link, so visitors skip the prompt.
    #[serde(default)]
    pub password_autofill: bool,
    /// A form to fill in first.
    #[serde(default)]
    pub registration: Option<RegistrationForm>,
    /// Terms to accept first.
    #[serde(default)]
    pub clickwrap: Option<Clickwrap>,
    /// The owner's saved form template the registration form comes from. While set,
    /// `registration` is that template's current form (resolved whenever the share is
    /// read, so an edit of the template reaches every share using it); the copy stored
    /// with the share is the form as it was at the last write. Unset it to keep that copy
    /// as the share's own.
    #[serde(default)]
    pub registration_template: Option<i64>,
    /// The owner's saved clickwrap template the terms come from; resolved like
    /// `registration_template`.
    #[serde(default)]
    pub clickwrap_template: Option<i64>,
    /// Text drawn on image previews.
    #[serde(default)]
    pub watermark: Option<Watermark>,
    /// Folder where visitors' uploads land.
    #[serde(default)]
    pub inbox: Option<SharePath>,
    /// Rules for uploads.
    #[serde(default)]
    pub upload_rules: UploadRules,
    /// Email the owner when something is downloaded. Kept for rows and clients of
    /// earlier versions: it means what `notifications.download` means, and either one
    /// turns download mail on ([`ShareSettings::notifies`]).
    #[serde(default)]
    pub notify_on_download: bool,
    /// Which events are mailed to the owner, and whether in an hourly digest.
    #[serde(default)]
    pub notifications: OwnerNotifications,
}

impl ShareSettings {
    /// Default settings with a name: download level, no expiry asked, no gates.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            description: None,
            internal_note: None,
            allowed: AllowedActions::Download,
            mode: ShareMode::Reference,
            schedule: Schedule::default(),
            use_limit: None,
            access: AccessControl::Anyone,
            device_binding: false,
            ip_allow: IpAllowList::default(),
            password: false,
            password_autofill: false,
            registration: None,
            clickwrap: None,
            registration_template: None,
            clickwrap_template: None,
            watermark: None,
            inbox: None,
            upload_rules: UploadRules::default(),
            notify_on_download: false,
            notifications: OwnerNotifications::default(),
        }
    }

    /// Whether the owner is told of events of `kind` (for downloads, either
    /// `notifications.download` or the older `notify_on_download`).
    pub fn notifies(&self, kind: ActivityKind) -> bool {
        self.notifications.wants(kind)
            || (kind == ActivityKind::Download && self.notify_on_download)
    }

    /// Checks what does not depend on policy: name and text lengths, item constraints
    /// of the level, the inbox, a positive use limit, form definitions, patterns, start
    /// before expiry, a known time zone.
    ///
    /// # Errors
    /// [`SettingsError`] for the first problem.
    pub fn check(&self, items: &[ShareItem], max_items: usize) -> Result<(), SettingsError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            return Err(SettingsError::BadName { max: MAX_NAME });
        }
        for (field, text) in [
            ("description", &self.description),
            ("internal_note", &self.internal_note),
            (
                "watermark",
                &self.watermark.as_ref().map(|w| w.text.clone()),
            ),
            (
                "clickwrap",
                &self
                    .clickwrap
                    .as_ref()
                    .map(|c| format!("{}{}", c.title, c.terms)),
            ),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
                return Err(SettingsError::TextTooLong {
                    field,
                    max: MAX_TEXT,
                });
            }
        }
        check_items(items, self.allowed, max_items)?;
        if let Some(inbox) = &self.inbox {
            let inside = items
                .iter()
                .any(|i| i.kind == ItemKind::Folder && inbox.starts_with(&i.path));
            if inbox.is_root() || !inside {
                return Err(SettingsError::BadInbox);
            }
        }
        if self.use_limit.is_some_and(|l| l.max == 0) {
            return Err(SettingsError::ZeroUseLimit);
        }
        if let Some(form) = &self.registration {
            form.check()?;
        }
        if let AccessControl::VerifiedEmails(p) = &self.access
            && p.is_empty()
        {
            return Err(SettingsError::NoEmailPatterns);
        }
        if let (Some(s), Some(e)) = (self.schedule.starts_at, self.schedule.expires_at)
            && s >= e
        {
            return Err(SettingsError::StartAfterExpiry);
        }
        if let Some(zone) = &self.schedule.time_zone
            && crate::text::time_zone_name(zone).is_none()
        {
            return Err(SettingsError::UnknownTimeZone(
                crate::text::single_line(zone).chars().take(60).collect(),
            ));
        }
        let r = &self.upload_rules;
        if r.max_file_bytes == Some(0) || r.max_share_bytes == Some(0) {
            return Err(SettingsError::ZeroUploadLimit);
        }
        Ok(())
    }
}

/// A change policy made to what the creator asked for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Adjustment {
    /// No expiry was asked; the site default applies.
    ExpiryDefaulted {
        /// The expiry given.
        #[serde(with = "crate::model::instant")]
        to: OffsetDateTime,
    },
    /// The expiry asked for is beyond the site's maximum lifetime.
    ExpiryCapped {
        /// What was asked (`None`: never expire).
        #[serde(default, with = "crate::model::instant::option")]
        requested: Option<OffsetDateTime>,
        /// The expiry given.
        #[serde(with = "crate::model::instant")]
        to: OffsetDateTime,
    },
    /// The expiry asked for is sooner than the site's minimum lifetime.
    ExpiryRaised {
        /// What was asked.
        #[serde(with = "crate::model::instant")]
        requested: OffsetDateTime,
        /// The expiry given.
        #[serde(with = "crate::model::instant")]
        to: OffsetDateTime,
    },
    /// The site requires a password on every share.
    PasswordRequired,
    /// The level was reduced to what the creator may do on every item.
    LevelReduced {
        /// What was asked.
        requested: AllowedActions,
        /// What is in effect.
        to: AllowedActions,
    },
    /// The site does not allow device binding.
    DeviceBindingUnavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_limit_counting() {
        let visits = UseLimit {
            max: 2,
            unit: UseUnit::Visit,
        };
        assert!(visits.counts(Action::Visit) && !visits.counts(Action::Download));
        assert!(
            visits.exhausted_for(2, Action::Visit) && !visits.exhausted_for(2, Action::Download)
        );
        let ops = UseLimit {
            max: 3,
            unit: UseUnit::Operation,
        };
        assert!(
            ops.counts(Action::List) && ops.counts(Action::Upload) && !ops.counts(Action::Visit)
        );
        assert!(ops.exhausted_for(3, Action::List));
        assert!(
            UseLimit::ONE_TIME.counts(Action::DownloadAll)
                && !UseLimit::ONE_TIME.counts(Action::Preview)
        );
    }

    #[test]
    fn upload_rules_table() {
        let r = UploadRules {
            allowed_extensions: Some(vec!["pdf".into(), "png".into()]),
            max_file_bytes: Some(100),
            max_share_bytes: Some(250),
            subfolder: UploaderFolder::ByIdentity,
        };
        assert!(r.check("a.PDF", Some(100), 0).is_ok());
        assert_eq!(
            r.check("a.exe", Some(1), 0),
            Err(UploadViolation::TypeNotAllowed)
        );
        assert_eq!(
            r.check("pdf", Some(1), 0),
            Err(UploadViolation::TypeNotAllowed)
        );
        assert_eq!(
            r.check("a.pdf", Some(101), 0),
            Err(UploadViolation::FileTooLarge { max: 100 })
        );
        assert_eq!(
            r.check("a.pdf", Some(100), 200),
            Err(UploadViolation::ShareFull { max: 250 })
        );
        assert_eq!(r.check("../a.pdf", None, 0), Err(UploadViolation::BadName));
        let e = Email::parse("ana@example.com").unwrap();
        let at = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            r.uploader_folder(Some("Ana/../x"), Some(&e), at)
                .unwrap()
                .as_str(),
            "Ana_.._x (ana@example.com)"
        );
        assert_eq!(
            r.uploader_folder(Some(".."), None, at).unwrap().as_str(),
            "_.."
        );
        assert_eq!(
            UploadRules {
                subfolder: UploaderFolder::ByTime,
                ..UploadRules::default()
            }
            .uploader_folder(None, None, at)
            .unwrap()
            .as_str(),
            "1970-01-01 00.00.00.000"
        );
    }

    #[test]
    fn watermark_fills_placeholders() {
        let w = Watermark {
            text: "{email} {ip} {time} {unknown}".into(),
        };
        let v = WatermarkVars {
            email: Some("a@b.co".into()),
            ip: Some("1.2.3.4".into()),
            ..Default::default()
        };
        assert_eq!(w.render(&v), "a@b.co 1.2.3.4  {unknown}");
    }
}

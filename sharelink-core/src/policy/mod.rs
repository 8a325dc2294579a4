//! The pure access decision, and the policy that turns requested settings into effective ones.
//!
//! [`decide`] is the one place that says whether a visitor may do something: every
//! route, page and API of every adapter asks it, so there is no side door around a gate.

mod effective;
mod gate;

pub use effective::{Effective, PolicyInput, apply_policy, daily_quota};
pub use gate::{Attempt, Gate};

use crate::model::share::{Resolved, UploadViolation};
use crate::{
    Action, Capability, MediaType, Rights, Share, SharePath, SiteSettings, VisitorSession,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How a request was made, for use accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestMode {
    /// A `HEAD` request: never counts as a use.
    Head,
    /// A fetch without an explicit visitor request (a link preview, a mail scanner, a
    /// plain `GET` of the link): may not spend a use.
    Unconfirmed,
    /// An explicit request (a button press, a `POST`, a navigation inside a session).
    Confirmed,
}

/// The creator's rights at the moment of access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatorRights {
    /// The creator's account is disabled or gone: the share has no power.
    Disabled,
    /// The creator's current rights on the target (and destination, if any).
    Active(Rights),
}

/// An upload about to happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// The file name (one segment).
    pub file_name: String,
    /// The size, when known up front.
    pub size: Option<u64>,
}

/// Everything the decision looks at.
#[derive(Debug, Clone)]
pub struct AccessRequest<'a> {
    /// The share, or `None` when the key is unknown or revoked.
    pub share: Option<&'a Share>,
    /// The visitor's session (a fresh one when opening the link).
    pub session: &'a VisitorSession,
    /// What the visitor wants to do.
    pub action: Action,
    /// The visitor path acted on (`None`: the share's top level).
    pub path: Option<&'a SharePath>,
    /// The destination of a move or copy.
    pub destination: Option<&'a SharePath>,
    /// The upload, for [`Action::Upload`].
    pub upload: Option<&'a UploadInfo>,
    /// The new name, for [`Action::Rename`] (one segment).
    pub rename_to: Option<&'a SharePath>,
    /// Whether the use this request would spend is already counted (the session's
    /// counted visit, or an earlier range of the same download): it is then one of the
    /// uses spent rather than one more, so an exhausted limit does not refuse it, and it
    /// spends nothing (no confirmation asked). Ask the store with `ShareStore::is_counted`.
    pub already_counted: bool,
    /// How the request was made.
    pub mode: RequestMode,
    /// Now.
    pub now: OffsetDateTime,
    /// The creator's current rights.
    pub creator: CreatorRights,
    /// Site policy.
    pub site: &'a SiteSettings,
}

/// Permission to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Where the action applies (`None` for opening the link).
    pub target: Option<Resolved>,
    /// The destination of a move or copy, resolved.
    pub destination: Option<Resolved>,
    /// Whether the action spends a use: reserve one before, complete or refund after.
    pub counts_use: bool,
    /// Whether the share must be bound to this visitor's device now (first device; only
    /// ever on a confirmed request).
    pub bind_device: bool,
    /// What the visitor may do here: the share's level within the creator's rights.
    pub rights: Rights,
    /// For a download-all: the file extensions the archive must leave out (refused
    /// types on a public share); empty otherwise. See [`Grant::serves`].
    pub refused_extensions: Vec<String>,
}

impl Grant {
    /// Whether a file met inside the target (a download-all walks folders) may be
    /// served: its type is not refused.
    pub fn serves(&self, file: &SharePath) -> bool {
        file.extension().is_none_or(|e| {
            !self
                .refused_extensions
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&e))
        })
    }
}

/// Why access is refused. Revoked and unknown keys both give [`Denial::NotFound`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Denial {
    /// No such share (never existed, or revoked).
    #[error("this share link does not exist")]
    NotFound,
    /// Its start date is in the future.
    #[error("this share is not available yet")]
    NotYetActive {
        /// When it opens.
        #[serde(with = "crate::model::instant")]
        starts_at: OffsetDateTime,
    },
    /// Past its expiry.
    #[error("this share link has expired")]
    Expired,
    /// Its use limit is reached.
    #[error("this share link has reached its use limit")]
    UsesExhausted,
    /// The client address is not on the allow-list.
    #[error("this share cannot be opened from your network")]
    IpNotAllowed,
    /// Emailed-only: open the link from your invitation email.
    #[error("this share can only be opened from the link in your invitation email")]
    InvitationRequired,
    /// Emailed-only: the link was already opened in another browser (a fresh one was sent).
    #[error(
        "this invitation was already used in another browser; a fresh link has been emailed to you"
    )]
    InvitationAlreadyUsed,
    /// Verified emails: prove your email with a one-time code.
    #[error("please verify your email address")]
    EmailVerificationRequired,
    /// Verified emails: the address does not match the share's patterns.
    #[error("this email address may not open this share")]
    EmailNotAllowed,
    /// Organization: sign in first.
    #[error("please sign in to open this share")]
    SignInRequired,
    /// Bound to another device.
    #[error("this share link is bound to another device")]
    DeviceMismatch,
    /// Password required.
    #[error("this share is protected by a password")]
    PasswordRequired,
    /// Registration form required.
    #[error("please register to open this share")]
    RegistrationRequired,
    /// Terms must be accepted.
    #[error("please accept the terms to open this share")]
    ClickwrapRequired,
    /// The share's level does not allow the action.
    #[error("this share does not allow that action")]
    ActionNotAllowed {
        /// The action.
        action: Action,
    },
    /// The creator no longer has the rights the share needs.
    #[error("this share no longer allows that action")]
    CreatorLacksRights,
    /// The path is not inside the shared items.
    #[error("not found in this share")]
    OutsideShare,
    /// Files of this type are not served by public shares.
    #[error("files of this type cannot be shared publicly")]
    FileTypeRefused {
        /// The extension.
        extension: String,
    },
    /// The file has no preview (a type a browser cannot show in the page, or not a
    /// picture on a share that watermarks its previews); a preview never hands over the
    /// file itself.
    #[error("this file has no preview")]
    NoPreview,
    /// An upload rule is broken.
    #[error("upload refused: {0}")]
    UploadRuleBroken(UploadViolation),
    /// The action spends a use and needs an explicit request.
    #[error("please confirm to continue")]
    ConfirmationRequired,
    /// The visitor session is missing, expired, or belongs to another browser.
    #[error("please open the share link again")]
    NoSession,
    /// Too many wrong passwords or codes; try later.
    #[error("too many attempts; please try again later")]
    TooManyAttempts,
}

impl Denial {
    /// A stable machine-readable name of the reason (`not_found`, `expired`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Denial::NotFound => "not_found",
            Denial::NotYetActive { .. } => "not_yet_active",
            Denial::Expired => "expired",
            Denial::UsesExhausted => "uses_exhausted",
            Denial::IpNotAllowed => "ip_not_allowed",
            Denial::InvitationRequired => "invitation_required",
            Denial::InvitationAlreadyUsed => "invitation_already_used",
            Denial::EmailVerificationRequired => "email_verification_required",
            Denial::EmailNotAllowed => "email_not_allowed",
            Denial::SignInRequired => "sign_in_required",
            Denial::DeviceMismatch => "device_mismatch",
            Denial::PasswordRequired => "password_required",
            Denial::RegistrationRequired => "registration_required",
            Denial::ClickwrapRequired => "clickwrap_required",
            Denial::ActionNotAllowed { .. } => "action_not_allowed",
            Denial::CreatorLacksRights => "creator_lacks_rights",
            Denial::OutsideShare => "outside_share",
            Denial::FileTypeRefused { .. } => "file_type_refused",
            Denial::NoPreview => "preview_unavailable",
            Denial::UploadRuleBroken(_) => "upload_rule_broken",
            Denial::ConfirmationRequired => "confirmation_required",
            Denial::NoSession => "no_session",
            Denial::TooManyAttempts => "too_many_attempts",
        }
    }

    /// Whether the denial is a step the visitor can take (a passable [`Gate`], a
    /// confirmation, or opening the link again), as opposed to a final refusal.
    pub fn is_gate(&self) -> bool {
        matches!(self, Denial::ConfirmationRequired | Denial::NoSession) || Gate::of(self).is_some()
    }
}

/// Decides whether a visitor may do something with a share.
///
/// Order: existence, schedule, use limit (a use already counted for this request is not
/// one more), IP allow-list, then the gates in [`Gate::ORDER`] (access control, device
/// binding, password, registration, clickwrap), then the action against the level, the
/// path against the items, the creator's current rights, refused file types (of the file
/// served, the file uploaded, a file's new name; a download-all's grant names the types
/// its archive leaves out), whether a previewed file has a preview, upload rules, and
/// finally whether a counted action was
/// explicitly requested.
///
/// # Errors
/// The first [`Denial`] that applies.
pub fn decide(req: &AccessRequest<'_>) -> Result<Grant, Denial> {
    let share = req.share.ok_or(Denial::NotFound)?;
    let s = &share.settings;
    let session = req.session;

    if s.schedule.expires_at.is_some_and(|e| req.now >= e) {
        return Err(Denial::Expired);
    }
    if let Some(starts_at) = s.schedule.starts_at.filter(|st| req.now < *st) {
        return Err(Denial::NotYetActive { starts_at });
    }
    // A use already counted for this request is one of the uses spent, not one more.
    let spent = share.uses.saturating_sub(u32::from(req.already_counted));
    if s.use_limit
        .is_some_and(|l| l.exhausted_for(spent, req.action))
    {
        return Err(Denial::UsesExhausted);
    }
    if !s.ip_allow.allows(session.client_ip) {
        return Err(Denial::IpNotAllowed);
    }

    Gate::check_all(share, req.site, session)?;
    // Binding is a lasting effect, like a use: never on a HEAD, and only on a request the
    // visitor confirmed (see `finish`).
    let bind_device = Gate::Device.applies(share, req.site)
        && share.bound_device.is_none()
        && req.mode != RequestMode::Head;

    let creator_rights = match req.creator {
        CreatorRights::Disabled => return Err(Denial::CreatorLacksRights),
        CreatorRights::Active(r) => r,
    };
    let rights = s.allowed.rights().intersect(creator_rights);
    // A use already counted for this request (the session's visit, an earlier range of
    // this download) is not spent again, so it needs no confirmation either.
    let counts_use = s.use_limit.is_some_and(|l| l.counts(req.action))
        && req.mode != RequestMode::Head
        && !req.already_counted;

    let Some(cap) = req.action.capability() else {
        // Opening the link: the gates above are all it takes.
        return finish(
            Grant {
                target: None,
                destination: None,
                counts_use,
                bind_device,
                rights,
                refused_extensions: Vec::new(),
            },
            req.mode,
        );
    };

    let upload_to_inbox = req.action == Action::Upload && s.inbox.is_some();
    if !s.allowed.rights().has(cap) && !upload_to_inbox {
        return Err(Denial::ActionNotAllowed { action: req.action });
    }

    let target = if upload_to_inbox {
        let inbox = s.inbox.clone().unwrap_or_default();
        let index = share
            .items
            .iter()
            .position(|i| inbox.starts_with(&i.path))
            .ok_or(Denial::OutsideShare)?;
        let rel = inbox
            .strip_prefix(&share.items[index].path)
            .ok_or(Denial::OutsideShare)?;
        Resolved::Item {
            index,
            storage: inbox,
            rel,
        }
    } else {
        let root = SharePath::root();
        match share.resolve(req.path.unwrap_or(&root)) {
            // An upload to the top of a drop box lands in its folder.
            Some(Resolved::Top) if req.action == Action::Upload => {
                share.sole_folder().ok_or(Denial::OutsideShare)?
            }
            resolved => resolved.ok_or(Denial::OutsideShare)?,
        }
    };
    match (&target, req.action) {
        (Resolved::Top, Action::List | Action::DownloadAll) => {}
        (Resolved::Top, _) => return Err(Denial::OutsideShare),
        (Resolved::Item { rel, .. }, Action::Rename | Action::Move | Action::Delete)
            if rel.is_root() =>
        {
            return Err(Denial::ActionNotAllowed { action: req.action });
        }
        _ => {}
    }
    if !creator_rights.has(cap) {
        return Err(Denial::CreatorLacksRights);
    }

    let destination = match req.action {
        Action::Move | Action::Copy => {
            let dest = req.destination.ok_or(Denial::OutsideShare)?;
            match share.resolve(dest) {
                Some(r @ Resolved::Item { .. }) => Some(r),
                _ => return Err(Denial::OutsideShare),
            }
        }
        _ => None,
    };

    if s.access.is_public()
        && matches!(
            req.action,
            Action::Download | Action::Preview | Action::Upload | Action::Rename
        )
    {
        let ext = match (req.action, req.upload) {
            (Action::Upload, Some(u)) => SharePath::segment(&u.file_name)
                .ok()
                .and_then(|p| p.extension()),
            (Action::Rename, _) => req.rename_to.and_then(SharePath::extension),
            _ => match &target {
                Resolved::Item { storage, .. } => storage.extension(),
                Resolved::Top => None,
            },
        };
        if let Some(extension) = ext.filter(|e| req.site.refuses_extension(e)) {
            return Err(Denial::FileTypeRefused { extension });
        }
    }
    if req.action == Action::Preview
        && let Resolved::Item { storage, .. } = &target
        && !MediaType::of(storage.file_name().unwrap_or_default())
            .has_preview(s.watermark.is_some())
    {
        return Err(Denial::NoPreview);
    }
    if req.action == Action::Upload {
        let upload = req
            .upload
            .ok_or(Denial::UploadRuleBroken(UploadViolation::BadName))?;
        s.upload_rules
            .check(&upload.file_name, upload.size, share.uploaded_bytes)
            .map_err(Denial::UploadRuleBroken)?;
    }
    if cap == Capability::Modify
        && req.action == Action::Copy
        && !creator_rights.has(Capability::Upload)
    {
        return Err(Denial::CreatorLacksRights);
    }
    let refused_extensions = if req.action == Action::DownloadAll && s.access.is_public() {
        req.site.refused_extensions.clone()
    } else {
        Vec::new()
    };
    finish(
        Grant {
            target: Some(target),
            destination,
            counts_use,
            bind_device,
            rights,
            refused_extensions,
        },
        req.mode,
    )
}

fn finish(grant: Grant, mode: RequestMode) -> Result<Grant, Denial> {
    if (grant.counts_use || grant.bind_device) && mode == RequestMode::Unconfirmed {
        return Err(Denial::ConfirmationRequired);
    }
    Ok(grant)
}

#[cfg(test)]
mod tests;

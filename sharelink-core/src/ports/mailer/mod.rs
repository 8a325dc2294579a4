//! The mailer port: the emails sharelink sends, described as data.
//!
//! Core decides *what* to send, and in which language ([`Mail::locale`]); a
//! [`MailRenderer`] (core's English [`DefaultRenderer`], or an adapter's templated one)
//! decides what it says: a single-line subject, a plain-text part and an
//! HTML part in which every user-supplied text is escaped. An adapter only delivers.

mod render;

/// Kept at their old path: the escapers live in [`crate::text`].
pub use crate::text::{escape_html, single_line};
pub use render::{DefaultRenderer, MailRenderer, RenderError, RenderedMail};

use crate::ports::BoxError;
use crate::{Branding, Email, Notice};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Debug};
use std::net::IpAddr;
use time::OffsetDateTime;

/// One email to one recipient.
///
/// Serialisable so a [`MailQueue`](crate::ports::MailQueue) can keep it: the stored form
/// is additive JSON (fields added later have defaults, unknown ones are ignored), frozen
/// in `tests/fixtures/stored/queued_mail_*.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// The recipient.
    pub to: Email,
    /// The recipient's display name, if known (never trusted: adapters encode it).
    #[serde(default)]
    pub to_name: Option<String>,
    /// Site title and sender name.
    #[serde(default)]
    pub branding: Branding,
    /// The From address, when the site names one ([`crate::SiteSettings::notification_sender`]);
    /// `None`: the mailer's own sender address. Either way the mailer's own address
    /// stays the envelope sender (bounces and SPF are the mail server's).
    #[serde(default)]
    pub from: Option<Email>,
    /// The IANA time zone dates are shown in (the share's, see
    /// [`crate::text::local_date`]); `None` or an unknown zone: UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The language to write the mail in, a BCP 47 tag (`fr`, `zh-CN`): the visitor's
    /// for the mails a visitor asks for (see [`crate::service::Client::locale`]); `None`
    /// (owner notifications, invitations, mails stored before languages): the
    /// renderer's default language. A renderer without that language uses its default.
    /// Not written when `None`, so rows of earlier versions rewrite unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// What to say.
    pub message: MailMessage,
}

/// A secret that must not show in `Debug` output or logs (a code, a link with a key).
/// It is stored as plain text (a queued mail must be sendable later).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The kinds of email sharelink sends.
///
/// Stored as JSON tagged by `kind` (the snake-case variant name, see
/// [`MailMessage::kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MailMessage {
    /// A share sent by email: the recipient's own link.
    Invitation {
        /// The share's name.
        share_name: String,
        /// Who shared it (display name or email).
        sender: String,
        /// The sender's custom message, if any (plain text).
        #[serde(default)]
        message: Option<String>,
        /// The recipient's own link.
        link: Secret,
        /// When the link stops working, if ever.
        #[serde(default, with = "crate::model::instant::option")]
        expires_at: Option<OffsetDateTime>,
    },
    /// A one-time code proving the visitor owns an email address.
    OneTimeCode {
        /// The share's name.
        share_name: String,
        /// The code.
        code: Secret,
        /// How long the code stays valid, in minutes.
        valid_minutes: u32,
    },
    /// Tells a share's owner that something was downloaded.
    DownloadNotification {
        /// The share's name.
        share_name: String,
        /// The visitor, as far as known (verified email, registration name…).
        #[serde(default)]
        visitor: Option<String>,
        /// What was downloaded (paths, or "all files").
        #[serde(default)]
        paths: Vec<String>,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
        /// From which address (possibly truncated for privacy).
        #[serde(default)]
        ip: Option<IpAddr>,
    },
    /// A fresh link, sent after the recipient's link was opened in another browser.
    LinkResent {
        /// The share's name.
        share_name: String,
        /// The new link.
        link: Secret,
    },
    /// Reminds an owner that a share expires soon.
    ExpiryReminder {
        /// The share's name.
        share_name: String,
        /// When it expires.
        #[serde(with = "crate::model::instant")]
        expires_at: OffsetDateTime,
    },
    /// Tells a share's owner that someone is guessing its password or codes (sent once
    /// per counting window).
    UnderAttack {
        /// The share's name.
        share_name: String,
        /// What is being guessed, in words ("the password", "one-time codes").
        target: String,
        /// Attempts counted when the limit was passed.
        attempts: u32,
        /// The counting window, in minutes.
        window_minutes: u32,
        /// When the limit was passed.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// Tells a share's owner (or the site's administrator copy) of one event the share
    /// asked to hear of: an upload, a registration, a recipient's first visit.
    OwnerNotice {
        /// The event.
        notice: Notice,
    },
    /// Tells an owner (or the site's administrator copy) of every event gathered since
    /// the last digest, oldest first, across their shares.
    OwnerDigest {
        /// The events.
        notices: Vec<Notice>,
    },
}

impl MailMessage {
    /// The kind of message, as stored and shown: `invitation`, `one_time_code`,
    /// `download_notification`, `link_resent`, `expiry_reminder`, `under_attack`,
    /// `owner_notice` or `owner_digest`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invitation { .. } => "invitation",
            Self::OneTimeCode { .. } => "one_time_code",
            Self::DownloadNotification { .. } => "download_notification",
            Self::LinkResent { .. } => "link_resent",
            Self::ExpiryReminder { .. } => "expiry_reminder",
            Self::UnderAttack { .. } => "under_attack",
            Self::OwnerNotice { .. } => "owner_notice",
            Self::OwnerDigest { .. } => "owner_digest",
        }
    }
}

/// Errors of a mailer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The server refused this message permanently (an SMTP 5xx reply): retrying the
    /// same message will fail again.
    #[error("{mailer}: mail to {recipient} refused: {reason}")]
    Rejected {
        /// Which mailer.
        mailer: &'static str,
        /// The recipient.
        recipient: Email,
        /// The server's reason.
        reason: String,
        /// The transport error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The server refused this message for now (an SMTP 4xx reply): it may succeed later.
    #[error("{mailer}: mail to {recipient} deferred: {reason}")]
    Deferred {
        /// Which mailer.
        mailer: &'static str,
        /// The recipient.
        recipient: Email,
        /// The server's reason.
        reason: String,
        /// The transport error.
        #[source]
        source: Option<BoxError>,
    },
    /// The mail server could not be reached, or timed out.
    #[error("{mailer}: mail server unreachable")]
    Unreachable {
        /// Which mailer.
        mailer: &'static str,
        /// The transport error.
        #[source]
        source: BoxError,
    },
    /// The message could not be built (a template failed, an address or header was
    /// invalid).
    #[error("{mailer}: could not build the message: {reason}")]
    Build {
        /// Which mailer.
        mailer: &'static str,
        /// Why.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// Any other failure.
    #[error("{mailer}: {source}")]
    Other {
        /// Which mailer.
        mailer: &'static str,
        /// The transport error.
        #[source]
        source: BoxError,
    },
}

impl MailError {
    /// A [`MailError::Build`] for a message the renderer could not render.
    pub fn render(mailer: &'static str, error: RenderError) -> Self {
        Self::Build {
            mailer,
            reason: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

/// Sends emails.
///
/// Contract (each bullet is a case of `conformance::mailer`):
/// - `send` delivers exactly one message to `mail.to` and to nobody else, with a subject,
///   a plain-text part and an HTML part, both carrying every link and code of the message,
///   for every kind of [`MailMessage`].
/// - The sender's display name is `mail.branding.sender_name`; the From address is
///   `mail.from` when set (the mailer's own address then stays the envelope sender and
///   goes in a `Sender` header), else the mailer's own; the subject names the share.
/// - User-supplied text (names, custom messages, share names) arrives as text: it never
///   becomes markup in the HTML part, never adds a header or a recipient, and line breaks
///   in it never reach a header. Non-ASCII text arrives intact.
/// - A failure is returned as an error; it never panics, and a failure for one message
///   does not affect the next ([`send_each`] reports each recipient's outcome).
///
/// Adapters render through a [`MailRenderer`], so what a message says is decided in one
/// place: `sharelink-mail`'s mailers use its templated, translated renderer (in
/// [`Mail::locale`]), the in-memory mailer core's English [`DefaultRenderer`].
#[async_trait]
pub trait Mailer: Send + Sync + Debug + 'static {
    /// Sends one message.
    ///
    /// # Errors
    /// [`MailError`] saying whether the recipient was refused, the server unreachable, or
    /// the message could not be built.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Sends each mail in turn and reports each outcome, in the order of `mails`: one
/// failure (a refused recipient, an unreachable server) does not stop the rest.
pub async fn send_each(mailer: &dyn Mailer, mails: &[Mail]) -> Vec<Result<(), MailError>> {
    let mut results = Vec::with_capacity(mails.len());
    for mail in mails {
        results.push(mailer.send(mail).await);
    }
    results
}

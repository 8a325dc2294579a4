//! The event-sink port: share lifecycle, visitor and site-settings events, for webhooks
//! or audit.

use crate::{RecipientId, ShareId, UserId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use time::OffsetDateTime;

/// Something that happened to a share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ShareEvent {
    /// Created.
    Created {
        /// Share.
        share: ShareId,
        /// By.
        by: UserId,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// Settings or items changed (including expire and reactivate).
    Updated {
        /// Share.
        share: ShareId,
        /// By.
        by: UserId,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// Revoked (deleted).
    Revoked {
        /// Share.
        share: ShareId,
        /// By.
        by: UserId,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// Sent to a recipient by email.
    Sent {
        /// Share.
        share: ShareId,
        /// Recipient address.
        to: String,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// The owner changed one recipient's link (the other recipients are untouched).
    RecipientChanged {
        /// Share.
        share: ShareId,
        /// The recipient.
        recipient: RecipientId,
        /// What was done.
        change: RecipientChange,
        /// By.
        by: UserId,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// A visitor opened it.
    Opened {
        /// Share.
        share: ShareId,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// A visitor downloaded something.
    Downloaded {
        /// Share.
        share: ShareId,
        /// Visitor paths.
        paths: Vec<String>,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// A visitor uploaded a file.
    Uploaded {
        /// Share.
        share: ShareId,
        /// Visitor path of the new file.
        path: String,
        /// Size.
        bytes: u64,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// A visitor changed files (folder, rename, move, copy, delete).
    Modified {
        /// Share.
        share: ShareId,
        /// What (`rename`, `delete`, …).
        action: String,
        /// Paths.
        paths: Vec<String>,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// A share's attempt counter passed its limit in the window: someone is guessing its
    /// password or codes (published once per window and kind of attempt).
    UnderAttack {
        /// Share.
        share: ShareId,
        /// What is being guessed (`password`, `code`, `code-send`).
        scope: String,
        /// Attempts counted in the window when the limit was passed.
        attempts: u32,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
    /// An administrator saved new site settings (effective at once on the process that saved
    /// them, within `Config::site_cache` on every other).
    SiteSettingsChanged {
        /// The administrator.
        by: UserId,
        /// The version saved.
        version: u64,
        /// The settings that changed, by their top-level name (`require_password`,
        /// `share_defaults`, …), in alphabetical order; values are not repeated.
        fields: Vec<String>,
        /// When.
        #[serde(with = "crate::model::instant")]
        at: OffsetDateTime,
    },
}

impl ShareEvent {
    /// The share the event is about (`None`: a site event).
    pub fn share(&self) -> Option<ShareId> {
        match self {
            Self::Created { share, .. }
            | Self::Updated { share, .. }
            | Self::Revoked { share, .. }
            | Self::Sent { share, .. }
            | Self::RecipientChanged { share, .. }
            | Self::Opened { share, .. }
            | Self::Downloaded { share, .. }
            | Self::Uploaded { share, .. }
            | Self::Modified { share, .. }
            | Self::UnderAttack { share, .. } => Some(*share),
            Self::SiteSettingsChanged { .. } => None,
        }
    }

    /// When it happened.
    pub fn at(&self) -> OffsetDateTime {
        match self {
            Self::Created { at, .. }
            | Self::Updated { at, .. }
            | Self::Revoked { at, .. }
            | Self::Sent { at, .. }
            | Self::RecipientChanged { at, .. }
            | Self::Opened { at, .. }
            | Self::Downloaded { at, .. }
            | Self::Uploaded { at, .. }
            | Self::Modified { at, .. }
            | Self::UnderAttack { at, .. }
            | Self::SiteSettingsChanged { at, .. } => *at,
        }
    }

    /// Its name, as serialized in `type` (`created`, `recipient_changed`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Created { .. } => "created",
            Self::Updated { .. } => "updated",
            Self::Revoked { .. } => "revoked",
            Self::Sent { .. } => "sent",
            Self::RecipientChanged { .. } => "recipient_changed",
            Self::Opened { .. } => "opened",
            Self::Downloaded { .. } => "downloaded",
            Self::Uploaded { .. } => "uploaded",
            Self::Modified { .. } => "modified",
            Self::UnderAttack { .. } => "under_attack",
            Self::SiteSettingsChanged { .. } => "site_settings_changed",
        }
    }
}

/// What an owner did to one recipient's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecipientChange {
    /// Revoked.
    Revoked,
    /// Expired now.
    Expired,
    /// Sent again with a fresh link (the old one stops working).
    Resent,
}

/// Receives events. Delivery is best effort: a sink handles (and reports) its own
/// failures, and must not block for long (queue work elsewhere).
#[async_trait]
pub trait EventSink: Send + Sync + Debug + 'static {
    /// Publishes one event.
    async fn publish(&self, event: &ShareEvent);
}

/// A sink that drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

#[async_trait]
impl EventSink for NoEvents {
    async fn publish(&self, _event: &ShareEvent) {}
}

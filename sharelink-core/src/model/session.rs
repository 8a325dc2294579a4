//! Visitor sessions: what one browser has proven to one share.

use crate::{BrowserId, DeviceId, Email, RecipientId, RegistrationId, SessionId, ShareId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use time::OffsetDateTime;

/// One visitor's session on one share: the gates passed and the facts about the client.
///
/// Stored as JSON, so it reads rows written by other versions: everything but the ids and
/// the opening instant has a default (a gate not recorded is a gate not passed), and
/// fields only a newer version knows are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorSession {
    /// The session token (secret).
    pub id: SessionId,
    /// The share.
    pub share_id: ShareId,
    /// The visitor's browser.
    pub browser: BrowserId,
    /// The visitor's device (for device binding).
    #[serde(default)]
    pub device: Option<DeviceId>,
    /// The client address as seen (after trusted proxies).
    #[serde(default)]
    pub client_ip: Option<IpAddr>,
    /// The client's user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Opened.
    #[serde(with = "crate::model::instant")]
    pub created_at: OffsetDateTime,
    /// Gate 1, emailed-only: the recipient whose link this browser is bound to.
    #[serde(default)]
    pub recipient: Option<RecipientId>,
    /// Gate 1, verified emails: the address proven with a one-time code.
    #[serde(default)]
    pub verified_email: Option<Email>,
    /// Gate 1, organization: the signed-in user of the embedding app.
    #[serde(default)]
    pub org_user: Option<UserId>,
    /// Gate 3: the password was given.
    #[serde(default)]
    pub password_passed: bool,
    /// Gate 4: the registration the visitor submitted.
    #[serde(default)]
    pub registration: Option<RegistrationId>,
    /// Gate 5: the terms were accepted.
    #[serde(default)]
    pub clickwrap_accepted: bool,
    /// The digest of the terms accepted ([`crate::Clickwrap::digest`]): which text this
    /// visitor agreed to, provable after the terms change. Sessions stored before it was
    /// kept have none.
    #[serde(default)]
    pub clickwrap_digest: Option<String>,
    /// For each gate passed whose configuration the owner can change (a password, a form,
    /// terms), a stamp of that configuration when it was passed, by gate name: when the
    /// owner changes the gate, the stamp no longer matches and the session must pass the
    /// gate again. A session stored without stamps passes those gates again.
    #[serde(default)]
    pub gate_stamps: BTreeMap<String, u64>,
    /// Who the visitor is, as far as the share knows — the recipient whose link they
    /// came through, the email they registered or proved — for the access log and the
    /// owner's notifications, never for access.
    #[serde(default)]
    pub email: Option<Email>,
    /// The name the visitor registered with (the watermark's `{name}`), never for
    /// access. Sessions registered before it was kept have none.
    #[serde(default)]
    pub name: Option<String>,
}

impl VisitorSession {
    /// Who the visitor is, for the log and notifications: the proven address, else the
    /// one they came with (a recipient's link, a registration).
    pub fn identity(&self) -> Option<&Email> {
        self.verified_email.as_ref().or(self.email.as_ref())
    }

    /// A session that has passed no gate yet.
    pub fn new(
        id: SessionId,
        share_id: ShareId,
        browser: BrowserId,
        created_at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            share_id,
            browser,
            device: None,
            client_ip: None,
            user_agent: None,
            created_at,
            recipient: None,
            verified_email: None,
            org_user: None,
            password_passed: false,
            registration: None,
            clickwrap_accepted: false,
            clickwrap_digest: None,
            gate_stamps: BTreeMap::new(),
            email: None,
            name: None,
        }
    }
}

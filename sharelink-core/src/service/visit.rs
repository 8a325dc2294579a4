//! Visitor use cases: open a link, pass each gate, then list, preview, download,
//! download all, upload, and (at the full level) change files — each with use
//! accounting, an access-log event and an event-sink event.

use super::{Result, ServiceError, Sharelink};
use crate::model::form::Answer;
use crate::model::share::{FieldsView, Resolved};
use crate::policy::{AccessRequest, CreatorRights, Grant, RequestMode, UploadInfo, decide};
use crate::ports::access_log::{LogKind, NewLogEvent};
use crate::ports::events::ShareEvent;
use crate::ports::mailer::{Mail, MailMessage, Secret};
use crate::ports::repository::{AttemptKey, CodeCheck, OneTimeCode, Reservation};
use crate::ports::{
    ByteRange, ByteStream, Entry, EntryKind, FileRead, FileStoreError, RandomSourceExt,
    WriteOptions,
};
use crate::{
    AccessControl, Action, AllowedActions, Binding, BrowserId, Clickwrap, Denial, DeviceId, Email,
    ItemKind, PlainPassword, Rights, SessionId, Share, SharePath, UploadViolation, UserId,
    VisitorSession, WatermarkVars,
};
use serde::Serialize;
use std::net::IpAddr;
use time::OffsetDateTime;

/// Who is visiting, as the HTTP layer sees them.
#[derive(Debug, Clone)]
pub struct Client {
    /// Client address (after trusted proxies).
    pub ip: Option<IpAddr>,
    /// User agent.
    pub user_agent: Option<String>,
    /// The browser's id (a long-lived random cookie).
    pub browser: BrowserId,
    /// The device's id, for device binding.
    pub device: Option<DeviceId>,
    /// The signed-in user of the embedding app, if any.
    pub user: Option<UserId>,
}

/// Opening a link.
#[derive(Debug, Clone)]
pub struct OpenRequest<'a> {
    /// The key from the URL.
    pub key: &'a str,
    /// The visitor.
    pub client: &'a Client,
    /// A recipient's link code (`?r=`), for emailed-only shares.
    pub recipient_code: Option<&'a str>,
    /// An auto-filled access code (`?code=`), tried as the password.
    pub access_code: Option<&'a str>,
    /// How the request was made.
    pub mode: RequestMode,
}

/// What a visitor may see before passing the gates: only what the next gate needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateInfo {
    /// The next gate (a denial the visitor can resolve), or `None` when inside.
    pub pending: Option<Denial>,
    /// The registration form's fields, when registration is pending.
    pub form: Option<FieldsView>,
    /// The terms, when clickwrap is pending.
    pub clickwrap: Option<Clickwrap>,
}

/// The visitor's view of a share once inside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareView {
    /// Name.
    pub name: String,
    /// Public description.
    pub description: Option<String>,
    /// The level.
    pub allowed: AllowedActions,
    /// What the visitor may do now (the level within the creator's rights).
    pub rights: Rights,
    /// Expiry.
    pub expires_at: Option<OffsetDateTime>,
    /// The top-level items (display name and kind).
    pub items: Vec<(String, ItemKind)>,
    /// Whether uploads go to an inbox.
    pub has_inbox: bool,
    /// The watermark text for image previews, filled in for this visitor.
    pub watermark: Option<String>,
}

/// A visitor session and where it stands.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The session (store its id in a cookie); `None` when nothing was stored (an
    /// unconfirmed fetch of a link whose opening counts).
    pub session: Option<VisitorSession>,
    /// The next gate, if any.
    pub gate: GateInfo,
    /// The share, once every gate is passed.
    pub view: Option<ShareView>,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// Name shown.
    pub name: String,
    /// Visitor path (for links).
    pub path: SharePath,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes.
    pub size: u64,
    /// Last modified.
    pub modified: OffsetDateTime,
}

/// A use being spent: settle it with [`Sharelink::finish`] when the transfer ends.
#[derive(Debug, Clone)]
pub struct UseTicket {
    share: Share,
    session: VisitorSession,
    client: Client,
    kind: LogKind,
    paths: Vec<String>,
    dedup: Option<String>,
    reserved: bool,
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every byte was sent.
    Completed {
        /// Bytes sent.
        bytes: u64,
    },
    /// The transfer failed or the client went away: the use is refunded.
    Failed,
}

/// An open download.
#[derive(Debug)]
pub struct Download {
    /// The bytes and metadata.
    pub read: FileRead,
    /// The use to settle.
    pub ticket: UseTicket,
    /// For a preview of a share that asks for a watermark: the text, filled in for this
    /// visitor. A front end must draw it on the preview it serves, or refuse the preview
    /// when it cannot (never hand out the original bytes).
    pub watermark: Option<String>,
}

/// One file of a download-all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Path inside the archive (the visitor path).
    pub name: SharePath,
    /// Path in the file store.
    pub storage: SharePath,
    /// Size.
    pub size: u64,
    /// Modified.
    pub modified: OffsetDateTime,
}

/// What a download-all serves.
#[derive(Debug)]
pub struct Bundle {
    /// The files, in archive order.
    pub files: Vec<BundleFile>,
    /// Empty folders to keep in the archive.
    pub folders: Vec<SharePath>,
    /// The use to settle.
    pub ticket: UseTicket,
}

/// Most files one download-all may hold.
pub const MAX_BUNDLE_FILES: usize = 100_000;

const ONE_TIME_CODE_DIGITS: &[u8] = b"0123456789";

impl Sharelink {
    // ----- context -------------------------------------------------------------------

    async fn share_by_key(&self, key: &str) -> Result<Share> {
        let Ok(key) = crate::UrlKey::parse(key) else {
            return Err(Denial::NotFound.into());
        };
        self.ports
            .repo
            .find_by_key(&key)
            .await?
            .ok_or_else(|| Denial::NotFound.into())
    }

    async fn context(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
    ) -> Result<(Share, VisitorSession)> {
        let share = self.share_by_key(key).await?;
        let session = self
            .ports
            .repo
            .get_session(session)
            .await?
            .filter(|s| s.share_id == share.id && s.browser == client.browser)
            .ok_or(Denial::NoSession)?;
        Ok((share, session))
    }

    async fn creator_rights(&self, share: &Share, paths: &[SharePath]) -> Result<CreatorRights> {
        match self.ports.directory.user(&share.owner).await? {
            Some(u) if !u.disabled => {}
            _ => return Ok(CreatorRights::Disabled),
        }
        let mut rights = Rights::ALL;
        for p in paths {
            rights = rights.intersect(self.ports.directory.rights(&share.owner, p).await?);
        }
        Ok(CreatorRights::Active(rights))
    }

    /// The paths whose creator rights govern an action (mirrors the targeting of `decide`).
    fn governing_paths(
        share: &Share,
        action: Action,
        path: &SharePath,
        destination: Option<&SharePath>,
    ) -> Vec<SharePath> {
        let rights_path = |r: Resolved| -> Vec<SharePath> {
            match r {
                Resolved::Top => share
                    .items
                    .iter()
                    .map(|i| i.rights_path().clone())
                    .collect(),
                Resolved::Item { index, rel, .. } => share.items[index]
                    .rights_path()
                    .join(&rel)
                    .map(|p| vec![p])
                    .unwrap_or_default(),
            }
        };
        let mut out = Vec::new();
        if action == Action::Upload
            && let Some(inbox) = &share.settings.inbox
        {
            out.push(inbox.clone());
            return out;
        }
        if let Some(r) = share.resolve(path) {
            out.extend(rights_path(r));
        }
        if let Some(d) = destination.and_then(|d| share.resolve(d)) {
            out.extend(rights_path(d));
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    async fn decide_for(
        &self,
        share: &Share,
        session: &VisitorSession,
        action: Action,
        path: &SharePath,
        destination: Option<&SharePath>,
        upload: Option<&UploadInfo>,
        mode: RequestMode,
    ) -> Result<std::result::Result<Grant, Denial>> {
        let creator = self
            .creator_rights(
                share,
                &Self::governing_paths(share, action, path, destination),
            )
            .await?;
        Ok(decide(&AccessRequest {
            share: Some(share),
            session,
            action,
            path: Some(path),
            destination,
            upload,
            mode,
            now: self.now(),
            creator,
            site: &self.config.site,
        }))
    }

    /// Counts the visit of a session once (dedup by session) and binds the device.
    async fn admit(&self, share: &Share, session: &VisitorSession, grant: &Grant) -> Result<()> {
        if grant.counts_use {
            let max = share.settings.use_limit.map_or(u32::MAX, |l| l.max);
            let dedup = format!("visit:{}", session.id.as_str());
            if self
                .ports
                .repo
                .reserve_use(share.id, max, Some(&dedup))
                .await?
                == Reservation::Exhausted
            {
                return Err(Denial::UsesExhausted.into());
            }
        }
        if grant.bind_device {
            let device = session.device.as_ref().ok_or(Denial::DeviceMismatch)?;
            if !self.ports.repo.bind_device(share.id, device).await? {
                return Err(Denial::DeviceMismatch.into());
            }
        }
        Ok(())
    }

    /// Whether `dedup` was already counted on an exhausted share (a later range of a
    /// counted download, or a session whose visit was counted).
    async fn already_counted(&self, share: &Share, dedup: &str) -> Result<bool> {
        let max = share.settings.use_limit.map_or(u32::MAX, |l| l.max);
        Ok(self
            .ports
            .repo
            .reserve_use(share.id, max, Some(dedup))
            .await?
            == Reservation::AlreadyCounted)
    }

    /// Checks every gate and counts the visit; then decides `action`. `dedup` names the
    /// use this action would spend, so that a use already counted for it is not refused
    /// as exhausted. Denials that are not gates are logged.
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
        action: Action,
        path: &SharePath,
        destination: Option<&SharePath>,
        upload: Option<&UploadInfo>,
        mode: RequestMode,
        dedup: Option<&str>,
    ) -> Result<Grant> {
        let outcome = self
            .authorize_quietly(
                share,
                session,
                action,
                path,
                destination,
                upload,
                mode,
                dedup,
            )
            .await?;
        match outcome {
            Ok(grant) => Ok(grant),
            Err(denial) => {
                if !denial.is_gate() {
                    self.log(
                        share,
                        session,
                        client,
                        LogKind::Denied,
                        vec![path.to_string()],
                        None,
                        Some(denial.code().to_owned()),
                    )
                    .await;
                }
                Err(denial.into())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn authorize_quietly(
        &self,
        share: &Share,
        session: &VisitorSession,
        action: Action,
        path: &SharePath,
        destination: Option<&SharePath>,
        upload: Option<&UploadInfo>,
        mode: RequestMode,
        dedup: Option<&str>,
    ) -> Result<std::result::Result<Grant, Denial>> {
        let visit_mode = if mode == RequestMode::Head {
            RequestMode::Confirmed
        } else {
            mode
        };
        let visit_key = format!("visit:{}", session.id.as_str());
        // `basis` is the share as the decision sees it: one use back when the use this
        // request belongs to (its visit, or this download) was already counted.
        let mut basis = std::borrow::Cow::Borrowed(share);
        let mut visit = self
            .decide_for(
                share,
                session,
                Action::Visit,
                &SharePath::root(),
                None,
                None,
                visit_mode,
            )
            .await?;
        if visit == Err(Denial::UsesExhausted) {
            let counted = self.already_counted(share, &visit_key).await?
                || match dedup {
                    Some(key) => self.already_counted(share, key).await?,
                    None => false,
                };
            if counted {
                basis = std::borrow::Cow::Owned(with_one_use_back(share));
                visit = self
                    .decide_for(
                        &basis,
                        session,
                        Action::Visit,
                        &SharePath::root(),
                        None,
                        None,
                        visit_mode,
                    )
                    .await?;
            }
        }
        let grant = match visit {
            Ok(grant) => grant,
            Err(d) => return Ok(Err(d)),
        };
        match self.admit(share, session, &grant).await {
            Ok(()) => {}
            Err(ServiceError::Denied(d)) => return Ok(Err(d)),
            Err(e) => return Err(e),
        }
        let mut outcome = self
            .decide_for(&basis, session, action, path, destination, upload, mode)
            .await?;
        if let (Err(Denial::UsesExhausted), Some(key), std::borrow::Cow::Borrowed(_)) =
            (&outcome, dedup, &basis)
            && self.already_counted(share, key).await?
        {
            outcome = self
                .decide_for(
                    &with_one_use_back(share),
                    session,
                    action,
                    path,
                    destination,
                    upload,
                    mode,
                )
                .await?;
        }
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    async fn log(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
        kind: LogKind,
        paths: Vec<String>,
        bytes: Option<u64>,
        detail: Option<String>,
    ) {
        let event = NewLogEvent {
            share_id: share.id,
            at: self.now(),
            kind,
            paths,
            bytes,
            ip: self.log_ip(client.ip),
            user_agent: client.user_agent.clone(),
            visitor: Some(visitor_tag(&session.id)),
            email: session.verified_email.clone(),
            registration: session.registration,
            detail,
        };
        // The log is best effort for a visitor: a failing log must not fail a download.
        let _ = self.ports.log.append(&event).await;
    }

    fn gate_info(share: &Share, pending: Option<Denial>) -> GateInfo {
        let form = match &pending {
            Some(Denial::RegistrationRequired) => {
                share.settings.registration.as_ref().map(FieldsView::of)
            }
            _ => None,
        };
        let clickwrap = match &pending {
            Some(Denial::ClickwrapRequired) => share.settings.clickwrap.clone(),
            _ => None,
        };
        GateInfo {
            pending,
            form,
            clickwrap,
        }
    }

    /// The share's watermark filled in for this visitor, if the share has one.
    fn watermark_text(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
    ) -> Option<String> {
        share.settings.watermark.as_ref().map(|w| {
            w.render(&WatermarkVars {
                email: session.verified_email.as_ref().map(|e| e.to_string()),
                name: None,
                ip: client.ip.map(|i| i.to_string()),
                time: self
                    .now()
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok(),
            })
        })
    }

    async fn view(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
    ) -> Result<ShareView> {
        let paths: Vec<SharePath> = share
            .items
            .iter()
            .map(|i| i.rights_path().clone())
            .collect();
        let rights = match self.creator_rights(share, &paths).await? {
            CreatorRights::Active(r) => share.settings.allowed.rights().intersect(r),
            CreatorRights::Disabled => Rights::NONE,
        };
        let watermark = self.watermark_text(share, session, client);
        Ok(ShareView {
            name: share.settings.name.clone(),
            description: share.settings.description.clone(),
            allowed: share.settings.allowed,
            rights,
            expires_at: share.settings.schedule.expires_at,
            items: share
                .items
                .iter()
                .map(|i| (i.display_name().to_owned(), i.kind))
                .collect(),
            has_inbox: share.settings.inbox.is_some(),
            watermark,
        })
    }

    /// Where a session stands: the next gate, or the share's view (counting the visit).
    async fn standing(
        &self,
        share: &Share,
        session: VisitorSession,
        client: &Client,
        mode: RequestMode,
    ) -> Result<Visit> {
        let mut grant = self
            .decide_for(
                share,
                &session,
                Action::Visit,
                &SharePath::root(),
                None,
                None,
                mode,
            )
            .await?;
        if grant == Err(Denial::UsesExhausted)
            && self
                .already_counted(share, &format!("visit:{}", session.id.as_str()))
                .await?
        {
            grant = self
                .decide_for(
                    &with_one_use_back(share),
                    &session,
                    Action::Visit,
                    &SharePath::root(),
                    None,
                    None,
                    mode,
                )
                .await?;
        }
        match grant {
            Ok(grant) => {
                self.admit(share, &session, &grant).await?;
                let view = self.view(share, &session, client).await?;
                Ok(Visit {
                    session: Some(session),
                    gate: Self::gate_info(share, None),
                    view: Some(view),
                })
            }
            Err(d) if d.is_gate() => Ok(Visit {
                session: Some(session),
                gate: Self::gate_info(share, Some(d)),
                view: None,
            }),
            Err(d) => {
                self.log(
                    share,
                    &session,
                    client,
                    LogKind::Denied,
                    vec![],
                    None,
                    Some(d.code().to_owned()),
                )
                .await;
                Err(d.into())
            }
        }
    }

    // ----- opening and gates -----------------------------------------------------------

    /// Opens a link: checks the key (unknown and revoked keys answer the same), binds an
    /// emailed recipient's link to this browser (or refuses a second browser and emails
    /// the recipient a fresh link), starts a session, tries an auto-filled access code,
    /// and reports the next gate or the share's view.
    ///
    /// # Errors
    /// A [`Denial`] for final refusals (not found, expired, exhausted, IP, invitation
    /// already used, device), or a port error.
    pub async fn open(&self, req: OpenRequest<'_>) -> Result<Visit> {
        let share = self.share_by_key(req.key).await?;
        let now = self.now();
        let mut session = VisitorSession::new(
            SessionId::parse(&self.token(43)).map_err(|_| ServiceError::Cancelled)?,
            share.id,
            req.client.browser.clone(),
            now,
        );
        session.device = req.client.device.clone();
        session.client_ip = req.client.ip;
        session.user_agent = req.client.user_agent.clone();
        if let Some(user) = &req.client.user
            && self
                .ports
                .directory
                .user(user)
                .await?
                .is_some_and(|u| !u.disabled)
        {
            session.org_user = Some(user.clone());
        }
        if let Some(code) = req.recipient_code
            && let Some(recipient) = self.ports.repo.find_recipient(share.id, code).await?
        {
            let binding = match recipient.binding_for(&req.client.browser) {
                Binding::BindNow => {
                    let after = self
                        .ports
                        .repo
                        .bind_recipient_browser(recipient.id, &req.client.browser)
                        .await?;
                    after.binding_for(&req.client.browser)
                }
                other => other,
            };
            if binding == Binding::OtherBrowser {
                self.resend_link(&share, &recipient.email, recipient.id)
                    .await?;
                self.log(
                    &share,
                    &session,
                    req.client,
                    LogKind::Denied,
                    vec![],
                    None,
                    Some(Denial::InvitationAlreadyUsed.code().into()),
                )
                .await;
                return Err(Denial::InvitationAlreadyUsed.into());
            }
            session.recipient = Some(recipient.id);
        }
        // An unconfirmed fetch of a link whose opening counts stores nothing.
        let probe = self
            .decide_for(
                &share,
                &session,
                Action::Visit,
                &SharePath::root(),
                None,
                None,
                req.mode,
            )
            .await?;
        if probe == Err(Denial::ConfirmationRequired) {
            return Ok(Visit {
                session: None,
                gate: Self::gate_info(&share, Some(Denial::ConfirmationRequired)),
                view: None,
            });
        }
        if let Err(d) = &probe
            && !d.is_gate()
        {
            self.log(
                &share,
                &session,
                req.client,
                LogKind::Denied,
                vec![],
                None,
                Some(d.code().to_owned()),
            )
            .await;
            return Err(d.clone().into());
        }
        self.ports.repo.insert_session(&session).await?;
        self.log(
            &share,
            &session,
            req.client,
            LogKind::Visit,
            vec![],
            None,
            None,
        )
        .await;
        self.ports
            .events
            .publish(&ShareEvent::Opened {
                share: share.id,
                at: now,
            })
            .await;
        if let (Some(code), true) = (req.access_code, share.settings.password_autofill)
            && probe == Err(Denial::PasswordRequired)
        {
            // A wrong auto-filled code just leaves the password prompt.
            match self
                .check_password(&share, &mut session, req.client, code)
                .await
            {
                Ok(()) | Err(ServiceError::Denied(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.standing(&share, session, req.client, req.mode).await
    }

    async fn resend_link(
        &self,
        share: &Share,
        email: &Email,
        recipient: crate::RecipientId,
    ) -> Result<()> {
        let code = self.token(32);
        self.ports
            .repo
            .replace_link_code(recipient, &code, self.now())
            .await?;
        let mail = Mail {
            to: email.clone(),
            to_name: None,
            branding: self.config.site.branding.clone(),
            message: MailMessage::LinkResent {
                share_name: share.settings.name.clone(),
                link: Secret(format!("{}?r={code}", self.link(share))),
            },
        };
        self.ports.mailer.send(&mail).await?;
        Ok(())
    }

    /// Where an existing session stands (the next gate, or the share's view).
    ///
    /// # Errors
    /// A final [`Denial`], `NoSession`, or a port error.
    pub async fn resume(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        mode: RequestMode,
    ) -> Result<Visit> {
        let (share, session) = self.context(key, session, client).await?;
        self.standing(&share, session, client, mode).await
    }

    /// Makes sure `gate` is the visitor's next gate (gates are passed in order).
    async fn expect_gate(
        &self,
        share: &Share,
        session: &VisitorSession,
        gate: &Denial,
    ) -> Result<()> {
        let pending = self
            .decide_for(
                share,
                session,
                Action::Visit,
                &SharePath::root(),
                None,
                None,
                RequestMode::Head,
            )
            .await?;
        match pending {
            Err(d) if &d == gate => Ok(()),
            Err(d) => Err(d.into()),
            Ok(_) => Err(ServiceError::Conflict("this step is already done".into())),
        }
    }

    /// The two counters of an attempt: this client's on the share, and the share's.
    fn attempt_keys(share: &Share, scope: &'static str, client: &Client) -> [AttemptKey; 2] {
        [
            AttemptKey {
                share_id: share.id,
                scope,
                client: Some(client_key(client)),
            },
            AttemptKey {
                share_id: share.id,
                scope,
                client: None,
            },
        ]
    }

    /// Counts one attempt *before* it is evaluated, so that concurrent guesses can never
    /// evaluate more than the limits allow (each count is one atomic statement of the
    /// store). `false` when a limit is passed: the attempt must then be refused unevaluated.
    async fn spend_attempt(
        &self,
        share: &Share,
        scope: &'static str,
        client: &Client,
    ) -> Result<bool> {
        let limits = self.config.site.attempts;
        let now = self.now();
        let [mine, all] = Self::attempt_keys(share, scope, client);
        let repo = &self.ports.repo;
        if repo.hit_attempt(&mine, now, limits.window).await? > limits.per_client {
            return Ok(false);
        }
        if repo.hit_attempt(&all, now, limits.window).await? > limits.per_share {
            // Refused unevaluated because of others: it does not count against this client.
            repo.release_attempt(&mine, now, limits.window).await?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Takes back an attempt that succeeded: a success never counts against the share's
    /// limit, and it resets the client's own counter.
    async fn attempt_succeeded(
        &self,
        share: &Share,
        scope: &'static str,
        client: &Client,
    ) -> Result<()> {
        let limits = self.config.site.attempts;
        let [mine, all] = Self::attempt_keys(share, scope, client);
        self.ports
            .repo
            .release_attempt(&all, self.now(), limits.window)
            .await?;
        self.ports.repo.clear_attempts(&mine).await?;
        Ok(())
    }

    async fn check_password(
        &self,
        share: &Share,
        session: &mut VisitorSession,
        client: &Client,
        password: &str,
    ) -> Result<()> {
        if !self.spend_attempt(share, "password", client).await? {
            self.log(
                share,
                session,
                client,
                LogKind::GateFailed,
                vec![],
                None,
                Some("password: too many attempts".into()),
            )
            .await;
            return Err(Denial::TooManyAttempts.into());
        }
        let ok = match (&share.password_hash, PlainPassword::attempt(password)) {
            (Some(hash), Ok(p)) => self.verify(p, hash.clone()).await?,
            _ => false,
        };
        if !ok {
            self.log(
                share,
                session,
                client,
                LogKind::GateFailed,
                vec![],
                None,
                Some("password".into()),
            )
            .await;
            return Err(Denial::PasswordRequired.into());
        }
        session.password_passed = true;
        self.ports.repo.update_session(session).await?;
        self.attempt_succeeded(share, "password", client).await?;
        self.log(
            share,
            session,
            client,
            LogKind::GatePassed,
            vec![],
            None,
            Some("password".into()),
        )
        .await;
        Ok(())
    }

    /// Checks the share's password (attempts limited per client and per share).
    ///
    /// # Errors
    /// `PasswordRequired` (wrong), `TooManyAttempts`, or another pending gate.
    pub async fn submit_password(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        password: &str,
    ) -> Result<Visit> {
        let (share, mut session) = self.context(key, session, client).await?;
        self.expect_gate(&share, &session, &Denial::PasswordRequired)
            .await?;
        self.check_password(&share, &mut session, client, password)
            .await?;
        self.standing(&share, session, client, RequestMode::Confirmed)
            .await
    }

    /// Sends a one-time code to an address that matches the share's patterns.
    ///
    /// # Errors
    /// `EmailNotAllowed`, `TooManyAttempts`, another pending gate, mail errors.
    pub async fn request_code(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        email: &Email,
    ) -> Result<()> {
        let (share, session) = self.context(key, session, client).await?;
        self.expect_gate(&share, &session, &Denial::EmailVerificationRequired)
            .await?;
        let AccessControl::VerifiedEmails(patterns) = &share.settings.access else {
            return Err(Denial::EmailVerificationRequired.into());
        };
        if !patterns.iter().any(|p| p.matches(email)) {
            self.log(
                &share,
                &session,
                client,
                LogKind::GateFailed,
                vec![],
                None,
                Some("email not allowed".into()),
            )
            .await;
            return Err(Denial::EmailNotAllowed.into());
        }
        if !self.spend_attempt(&share, "code-send", client).await? {
            return Err(Denial::TooManyAttempts.into());
        }
        let policy = self.config.site.one_time_codes;
        let code = self
            .ports
            .random
            .string_from(ONE_TIME_CODE_DIGITS, usize::from(policy.digits));
        self.ports
            .repo
            .put_code(&OneTimeCode {
                share_id: share.id,
                session_id: session.id.clone(),
                email: email.clone(),
                code: code.clone(),
                expires_at: self.now() + policy.ttl,
                attempts_left: policy.max_attempts,
            })
            .await?;
        let mail = Mail {
            to: email.clone(),
            to_name: None,
            branding: self.config.site.branding.clone(),
            message: MailMessage::OneTimeCode {
                share_name: share.settings.name.clone(),
                code: Secret(code),
                valid_minutes: u32::try_from(policy.ttl.whole_minutes()).unwrap_or(u32::MAX),
            },
        };
        self.ports.mailer.send(&mail).await?;
        Ok(())
    }

    /// Checks a one-time code; on success the session's email is verified.
    ///
    /// # Errors
    /// `EmailVerificationRequired` (wrong, expired or missing code), `TooManyAttempts`.
    pub async fn verify_code(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        code: &str,
    ) -> Result<Visit> {
        let (share, mut session) = self.context(key, session, client).await?;
        self.expect_gate(&share, &session, &Denial::EmailVerificationRequired)
            .await?;
        if !self.spend_attempt(&share, "code", client).await? {
            return Err(Denial::TooManyAttempts.into());
        }
        match self
            .ports
            .repo
            .check_code(&session.id, code.trim(), self.now())
            .await?
        {
            CodeCheck::Valid(email) => {
                session.verified_email = Some(email);
                self.ports.repo.update_session(&session).await?;
                self.attempt_succeeded(&share, "code", client).await?;
                self.log(
                    &share,
                    &session,
                    client,
                    LogKind::GatePassed,
                    vec![],
                    None,
                    Some("email".into()),
                )
                .await;
                self.standing(&share, session, client, RequestMode::Confirmed)
                    .await
            }
            _ => {
                self.log(
                    &share,
                    &session,
                    client,
                    LogKind::GateFailed,
                    vec![],
                    None,
                    Some("code".into()),
                )
                .await;
                Err(Denial::EmailVerificationRequired.into())
            }
        }
    }

    /// Submits the registration form.
    ///
    /// # Errors
    /// A form error naming the field, or another pending gate.
    pub async fn register(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        answers: &[Answer],
    ) -> Result<Visit> {
        let (share, mut session) = self.context(key, session, client).await?;
        self.expect_gate(&share, &session, &Denial::RegistrationRequired)
            .await?;
        let form = share
            .settings
            .registration
            .as_ref()
            .ok_or(Denial::RegistrationRequired)?;
        let registration = form.validate(answers)?;
        let id = self
            .ports
            .repo
            .add_registration(share.id, &registration, self.now(), self.log_ip(client.ip))
            .await?;
        session.registration = Some(id);
        if session.verified_email.is_none() {
            // Registered identity is used for upload folders and the log, not for access.
            session.user_agent = client.user_agent.clone();
        }
        self.ports.repo.update_session(&session).await?;
        self.log(
            &share,
            &session,
            client,
            LogKind::GatePassed,
            vec![],
            None,
            Some("registration".into()),
        )
        .await;
        self.standing(&share, session, client, RequestMode::Confirmed)
            .await
    }

    /// Accepts the share's terms.
    ///
    /// # Errors
    /// Another pending gate.
    pub async fn accept_terms(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
    ) -> Result<Visit> {
        let (share, mut session) = self.context(key, session, client).await?;
        self.expect_gate(&share, &session, &Denial::ClickwrapRequired)
            .await?;
        session.clickwrap_accepted = true;
        self.ports.repo.update_session(&session).await?;
        self.log(
            &share,
            &session,
            client,
            LogKind::GatePassed,
            vec![],
            None,
            Some("clickwrap".into()),
        )
        .await;
        self.standing(&share, session, client, RequestMode::Confirmed)
            .await
    }

    // ----- files ------------------------------------------------------------------------

    async fn reserve(&self, share: &Share, grant: &Grant, dedup: Option<&str>) -> Result<bool> {
        if !grant.counts_use {
            return Ok(false);
        }
        let max = share.settings.use_limit.map_or(u32::MAX, |l| l.max);
        match self.ports.repo.reserve_use(share.id, max, dedup).await? {
            Reservation::Reserved => Ok(true),
            Reservation::AlreadyCounted => Ok(false),
            Reservation::Exhausted => Err(Denial::UsesExhausted.into()),
        }
    }

    async fn refund(&self, share: &Share, reserved: bool, dedup: Option<&str>) {
        if reserved {
            let _ = self.ports.repo.refund_use(share.id, dedup).await;
        }
    }

    /// Lists a folder (or, at the top, the share's items).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    pub async fn list(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        path: &SharePath,
        mode: RequestMode,
    ) -> Result<Vec<Listed>> {
        let (share, session) = self.context(key, session, client).await?;
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                Action::List,
                path,
                None,
                None,
                mode,
                None,
            )
            .await?;
        let reserved = self.reserve(&share, &grant, None).await?;
        let result = self.list_target(&share, &grant, path).await;
        match &result {
            Ok(_) => {
                self.log(
                    &share,
                    &session,
                    client,
                    LogKind::List,
                    vec![path.to_string()],
                    None,
                    None,
                )
                .await
            }
            Err(_) => self.refund(&share, reserved, None).await,
        }
        result
    }

    async fn list_target(
        &self,
        share: &Share,
        grant: &Grant,
        path: &SharePath,
    ) -> Result<Vec<Listed>> {
        match &grant.target {
            Some(Resolved::Item { storage, .. }) => {
                let entries = match self.ports.files.list(storage).await {
                    Err(FileStoreError::NotFound { .. }) => return Err(Denial::OutsideShare.into()),
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
    /// range. A counted download reserves a use now; the range requests of one download
    /// (same session, file and version) count once. Settle the ticket with
    /// [`Sharelink::finish`]: a completed transfer is logged (and notified), a failed one
    /// refunded. `HEAD` requests never count.
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    #[allow(clippy::too_many_arguments)]
    pub async fn download(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        path: &SharePath,
        range: Option<ByteRange>,
        action: Action,
        mode: RequestMode,
    ) -> Result<Download> {
        let action = if action == Action::Preview {
            Action::Preview
        } else {
            Action::Download
        };
        let (share, session) = self.context(key, session, client).await?;
        // The use a ranged download spends is named by session, file and version, so the
        // range requests of one download count once. A request for the whole file is a
        // download of its own: it always counts (a one-time link serves it once), so it
        // needs no version.
        let version = match share.storage_path(path).filter(|_| range.is_some()) {
            Some(storage) => self
                .ports
                .files
                .stat(&storage)
                .await
                .ok()
                .and_then(|e| e.etag),
            None => None,
        };
        let dedup = range.map(|_| {
            format!(
                "dl:{}:{}:{}",
                session.id.as_str(),
                path,
                version.as_deref().unwrap_or("")
            )
        });
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                action,
                path,
                None,
                None,
                mode,
                dedup.as_deref(),
            )
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let read = match self.ports.files.read(storage, range).await {
            Err(FileStoreError::NotFound { .. }) | Err(FileStoreError::WrongKind { .. }) => {
                return Err(Denial::OutsideShare.into());
            }
            other => other?,
        };
        let reserved = self.reserve(&share, &grant, dedup.as_deref()).await?;
        let kind = if action == Action::Preview {
            LogKind::Preview
        } else {
            LogKind::Download
        };
        let watermark = if action == Action::Preview {
            self.watermark_text(&share, &session, client)
        } else {
            None
        };
        Ok(Download {
            read,
            watermark,
            ticket: UseTicket {
                share,
                session,
                client: client.clone(),
                kind,
                paths: vec![path.to_string()],
                dedup,
                reserved,
            },
        })
    }

    /// Collects the files of a download-all (the given paths, or every item), skipping
    /// refused types, and reserves one use for the archive.
    ///
    /// # Errors
    /// A [`Denial`] for any path, or a storage error.
    pub async fn download_all(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        paths: &[SharePath],
        mode: RequestMode,
    ) -> Result<Bundle> {
        let (share, session) = self.context(key, session, client).await?;
        let roots: Vec<SharePath> = if paths.is_empty() {
            share
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
                .authorize(
                    &share,
                    &session,
                    client,
                    Action::DownloadAll,
                    root,
                    None,
                    None,
                    mode,
                    None,
                )
                .await?;
            counted.get_or_insert(grant.clone());
            let Some(Resolved::Item { storage, .. }) = &grant.target else {
                continue;
            };
            self.collect(&share, storage, root, &mut files, &mut folders)
                .await?;
        }
        let reserved = match &counted {
            Some(g) => self.reserve(&share, g, None).await?,
            None => false,
        };
        Ok(Bundle {
            files,
            folders,
            ticket: UseTicket {
                share,
                session,
                client: client.clone(),
                kind: LogKind::DownloadAll,
                paths: roots.iter().map(ToString::to_string).collect(),
                dedup: None,
                reserved,
            },
        })
    }

    async fn collect(
        &self,
        share: &Share,
        storage: &SharePath,
        name: &SharePath,
        files: &mut Vec<BundleFile>,
        folders: &mut Vec<SharePath>,
    ) -> Result<()> {
        let refuses = |p: &SharePath| {
            share.settings.access.is_public()
                && p.extension()
                    .is_some_and(|e| self.config.site.refuses_extension(&e))
        };
        let mut stack = vec![(storage.clone(), name.clone())];
        while let Some((dir, visitor)) = stack.pop() {
            let entry = self.ports.files.stat(&dir).await?;
            if entry.kind == EntryKind::File {
                if !refuses(&dir) {
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
                    EntryKind::File if !refuses(&child.path) => files.push(BundleFile {
                        name: v,
                        storage: child.path,
                        size: child.size,
                        modified: child.modified,
                    }),
                    EntryKind::File => {}
                }
            }
            if files.len() > MAX_BUNDLE_FILES {
                return Err(ServiceError::Conflict(format!(
                    "too many files for one archive (at most {MAX_BUNDLE_FILES})"
                )));
            }
        }
        Ok(())
    }

    /// Settles a use: a completed transfer is logged, published and (if the share asks)
    /// notified to the owner; a failed one is refunded.
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
            Outcome::Completed { bytes } => {
                self.log(
                    &share,
                    &session,
                    &client,
                    kind,
                    paths.clone(),
                    Some(bytes),
                    None,
                )
                .await;
                if kind == LogKind::Preview {
                    return;
                }
                let now = self.now();
                self.ports
                    .events
                    .publish(&ShareEvent::Downloaded {
                        share: share.id,
                        paths: paths.clone(),
                        at: now,
                    })
                    .await;
                if share.settings.notify_on_download
                    && let Some(to) = self.owner_email(&share.owner).await
                {
                    let mail = Mail {
                        to,
                        to_name: None,
                        branding: self.config.site.branding.clone(),
                        message: MailMessage::DownloadNotification {
                            share_name: share.settings.name.clone(),
                            visitor: session.verified_email.as_ref().map(ToString::to_string),
                            paths,
                            at: now,
                            ip: self.log_ip(client.ip),
                        },
                    };
                    let _ = self.ports.mailer.send(&mail).await;
                }
            }
        }
    }

    /// Uploads a file into a folder of the share (or its inbox), in the uploader's own
    /// subfolder when the rules ask, under a name that does not collide. The size and the
    /// share's upload space are enforced while streaming; a failed upload leaves nothing.
    ///
    /// # Errors
    /// A [`Denial`] (including broken upload rules), or a storage error.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        folder: &SharePath,
        file_name: &str,
        size: Option<u64>,
        data: ByteStream,
        mode: RequestMode,
    ) -> Result<Listed> {
        let (share, session) = self.context(key, session, client).await?;
        let info = UploadInfo {
            file_name: file_name.to_owned(),
            size,
        };
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                Action::Upload,
                folder,
                None,
                Some(&info),
                mode,
                None,
            )
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        match self.ports.files.stat(storage).await {
            Ok(e) if e.kind == EntryKind::Folder => {}
            Err(FileStoreError::NotFound { .. })
                if share.settings.inbox.as_ref() == Some(storage) =>
            {
                self.ports.files.create_folder(storage).await?;
            }
            Ok(_) | Err(FileStoreError::NotFound { .. }) => return Err(Denial::OutsideShare.into()),
            Err(e) => return Err(e.into()),
        }
        let mut dir = storage.clone();
        let rules = &share.settings.upload_rules;
        let identity = self.identity(&share, &session).await?;
        if let Some(sub) = rules.uploader_folder(
            identity.0.as_deref(),
            identity.1.as_ref(),
            session.created_at,
        ) {
            dir = dir.join(&sub)?;
        }
        let name = SharePath::segment(file_name)
            .map_err(|_| Denial::UploadRuleBroken(UploadViolation::BadName))?;
        let remaining = rules
            .max_share_bytes
            .map(|m| m.saturating_sub(share.uploaded_bytes));
        let max_bytes = match (rules.max_file_bytes, remaining) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let reserved = self.reserve(&share, &grant, None).await?;
        let result = self.write_unique(&dir, &name, data, max_bytes).await;
        let entry = match result {
            Ok(e) => e,
            Err(e) => {
                self.refund(&share, reserved, None).await;
                return Err(match e {
                    ServiceError::Storage(FileStoreError::TooLarge { .. }) => {
                        let violation = match rules.max_file_bytes {
                            Some(m) if max_bytes == Some(m) => {
                                UploadViolation::FileTooLarge { max: m }
                            }
                            _ => UploadViolation::ShareFull {
                                max: rules.max_share_bytes.unwrap_or(0),
                            },
                        };
                        Denial::UploadRuleBroken(violation).into()
                    }
                    other => other,
                });
            }
        };
        if !self
            .ports
            .repo
            .add_uploaded_bytes(share.id, entry.size, rules.max_share_bytes)
            .await?
        {
            let _ = self.ports.files.delete(&entry.path).await;
            self.refund(&share, reserved, None).await;
            return Err(Denial::UploadRuleBroken(UploadViolation::ShareFull {
                max: rules.max_share_bytes.unwrap_or(0),
            })
            .into());
        }
        let visitor_path = share.visitor_path(&entry.path)?;
        self.log(
            &share,
            &session,
            client,
            LogKind::Upload,
            vec![visitor_path.to_string()],
            Some(entry.size),
            None,
        )
        .await;
        self.ports
            .events
            .publish(&ShareEvent::Uploaded {
                share: share.id,
                path: visitor_path.to_string(),
                bytes: entry.size,
                at: self.now(),
            })
            .await;
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
    async fn write_unique(
        &self,
        dir: &SharePath,
        name: &SharePath,
        data: ByteStream,
        max_bytes: Option<u64>,
    ) -> Result<Entry> {
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

    /// Makes a folder (`name` inside `parent`).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    pub async fn create_folder(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        parent: &SharePath,
        name: &str,
        mode: RequestMode,
    ) -> Result<SharePath> {
        let (share, session) = self.context(key, session, client).await?;
        let name = SharePath::segment(name)?;
        let visitor = parent.join(&name)?;
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                Action::CreateFolder,
                parent,
                None,
                None,
                mode,
                None,
            )
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let reserved = self.reserve(&share, &grant, None).await?;
        if let Err(e) = self.ports.files.create_folder(&storage.join(&name)?).await {
            self.refund(&share, reserved, None).await;
            return Err(e.into());
        }
        self.modified(
            &share,
            &session,
            client,
            LogKind::CreateFolder,
            vec![visitor.to_string()],
        )
        .await;
        Ok(visitor)
    }

    /// Renames a file or folder within its folder.
    ///
    /// # Errors
    /// A [`Denial`], or a storage error (`AlreadyExists` when the name is taken).
    pub async fn rename(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        path: &SharePath,
        new_name: &str,
        mode: RequestMode,
    ) -> Result<SharePath> {
        let (share, session) = self.context(key, session, client).await?;
        let new_name = SharePath::segment(new_name)?;
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                Action::Rename,
                path,
                None,
                None,
                mode,
                None,
            )
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let parent = storage.parent().unwrap_or_default();
        let visitor = path.parent().unwrap_or_default().join(&new_name)?;
        self.guard_type(&share, &new_name)?;
        let reserved = self.reserve(&share, &grant, None).await?;
        if let Err(e) = self
            .ports
            .files
            .rename(storage, &parent.join(&new_name)?)
            .await
        {
            self.refund(&share, reserved, None).await;
            return Err(e.into());
        }
        self.modified(
            &share,
            &session,
            client,
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
    #[allow(clippy::too_many_arguments)]
    pub async fn move_or_copy(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        path: &SharePath,
        into: &SharePath,
        copy: bool,
        mode: RequestMode,
    ) -> Result<SharePath> {
        let (share, session) = self.context(key, session, client).await?;
        let action = if copy { Action::Copy } else { Action::Move };
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                action,
                path,
                Some(into),
                None,
                mode,
                None,
            )
            .await?;
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
        let reserved = self.reserve(&share, &grant, None).await?;
        let result = if copy {
            self.ports.files.copy(from, &to).await
        } else {
            self.ports.files.rename(from, &to).await
        };
        if let Err(e) = result {
            self.refund(&share, reserved, None).await;
            return Err(e.into());
        }
        let kind = if copy { LogKind::Copy } else { LogKind::Move };
        self.modified(
            &share,
            &session,
            client,
            kind,
            vec![path.to_string(), visitor.to_string()],
        )
        .await;
        Ok(visitor)
    }

    /// Deletes a file or folder (never a shared item itself).
    ///
    /// # Errors
    /// A [`Denial`], or a storage error.
    pub async fn delete(
        &self,
        key: &str,
        session: &SessionId,
        client: &Client,
        path: &SharePath,
        mode: RequestMode,
    ) -> Result<()> {
        let (share, session) = self.context(key, session, client).await?;
        let grant = self
            .authorize(
                &share,
                &session,
                client,
                Action::Delete,
                path,
                None,
                None,
                mode,
                None,
            )
            .await?;
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let reserved = self.reserve(&share, &grant, None).await?;
        if let Err(e) = self.ports.files.delete(storage).await {
            self.refund(&share, reserved, None).await;
            return Err(e.into());
        }
        self.modified(
            &share,
            &session,
            client,
            LogKind::Delete,
            vec![path.to_string()],
        )
        .await;
        Ok(())
    }

    fn guard_type(&self, share: &Share, name: &SharePath) -> Result<()> {
        if share.settings.access.is_public()
            && let Some(extension) = name
                .extension()
                .filter(|e| self.config.site.refuses_extension(e))
        {
            return Err(Denial::FileTypeRefused { extension }.into());
        }
        Ok(())
    }

    async fn modified(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
        kind: LogKind,
        paths: Vec<String>,
    ) {
        self.log(share, session, client, kind, paths.clone(), None, None)
            .await;
        self.ports
            .events
            .publish(&ShareEvent::Modified {
                share: share.id,
                action: kind.as_str().to_owned(),
                paths,
                at: self.now(),
            })
            .await;
    }
}

/// The share as it was before its last use: for deciding an action whose use is
/// already counted.
fn with_one_use_back(share: &Share) -> Share {
    let mut s = share.clone();
    s.uses = s.uses.saturating_sub(1);
    s
}

/// A non-secret tag of a session for the log (unique visitors), derived so the session
/// token itself never reaches the log.
fn visitor_tag(id: &SessionId) -> String {
    // FNV-1a: not a secret-keeping hash, only a stable, short, non-reversible-enough tag
    // of a random token (the token carries ≥ 250 bits, the tag 64).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_str().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn client_key(client: &Client) -> String {
    client
        .ip
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

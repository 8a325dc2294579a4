//! Visitor use cases: open a link, pass each gate, then list, preview, download,
//! download all, upload, and (at the full level) change files — each with use
//! accounting, an access-log event and an event-sink event.
//!
//! - this file: the request and answer types, and what every use case shares (finding
//!   the share and session, asking [`decide`], counting the visit, the log entry);
//! - [`gates`]: opening a link and passing its gates;
//! - [`files`]: listing, downloads, download-all, uploads, and settling a use;
//! - [`changes`]: new folder, rename, move, copy, delete.

mod changes;
mod files;
mod gates;
mod thumbnails;

pub use thumbnails::{MAX_THUMBNAIL_BYTES, Rendition, Thumbnail, ThumbnailKey};

use super::{Result, ServiceError, Sharelink};
use crate::model::share::{FieldsView, Resolved};
use crate::model::token::fingerprint;
use crate::policy::{AccessRequest, CreatorRights, Gate, Grant, RequestMode, UploadInfo, decide};
use crate::ports::access_log::{LogKind, NewLogEvent};
use crate::ports::repository::Reservation;
use crate::ports::{EntryKind, FileRead};
use crate::telemetry::{discarded, record_share};
use crate::{
    Action, AllowedActions, BrowserId, Clickwrap, Denial, DeviceId, ItemKind, Rights, SessionId,
    Share, SharePath, UserId, VisitorSession, WatermarkVars,
};
use serde::Serialize;
use std::future::Future;
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
    /// The visitor's language, a BCP 47 tag (`fr`, `zh-CN`), as the pages chose it: the
    /// mails the visitor asks for (a one-time code, a fresh link) are written in it.
    /// `None`: the mail renderer's default language.
    pub locale: Option<String>,
}

/// A request of a visitor inside a share (after opening the link): every visitor use
/// case but [`Sharelink::open`] takes one.
#[derive(Debug, Clone, Copy)]
pub struct VisitRequest<'a> {
    /// The key from the URL.
    pub key: &'a str,
    /// The visitor's session (from its cookie).
    pub session: &'a SessionId,
    /// The visitor.
    pub client: &'a Client,
    /// How the request was made.
    pub mode: RequestMode,
}

impl<'a> VisitRequest<'a> {
    /// A request for `key` by `client` in `session`, made as `mode` says.
    pub fn new(
        key: &'a str,
        session: &'a SessionId,
        client: &'a Client,
        mode: RequestMode,
    ) -> Self {
        Self {
            key,
            session,
            client,
            mode,
        }
    }
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
    #[serde(default, with = "crate::model::instant::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The top-level items (display name and kind).
    pub items: Vec<(String, ItemKind)>,
    /// Whether uploads go to an inbox.
    pub has_inbox: bool,
    /// The watermark text for image previews, filled in for this visitor.
    pub watermark: Option<String>,
    /// The creator's time zone (an IANA name), for showing dates; UTC when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Whether pictures of this share have thumbnails ([`Sharelink::thumbnail`]): the
    /// visitor may preview, and a preview spends no use.
    #[serde(default)]
    pub thumbnails: bool,
}

/// A visitor session and where it stands.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The session (store its id in a cookie); `None` when nothing was stored: every
    /// request that was not confirmed (a HEAD, a link preview, a mail scanner).
    pub session: Option<VisitorSession>,
    /// The next gate, if any.
    pub gate: GateInfo,
    /// The share, once every gate is passed.
    pub view: Option<ShareView>,
    /// For a visit with nothing stored (`session` is `None`) that sees the share: the
    /// listing of its top, when listing it spends no use. `None` otherwise (a session
    /// lists with [`Sharelink::list`]).
    pub entries: Option<Vec<Listed>>,
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
    #[serde(with = "crate::model::instant")]
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
    /// The client went away after bytes of the body were sent: the use stays spent and
    /// the log records an aborted transfer with what was sent.
    Aborted {
        /// Bytes sent before the client left.
        bytes: u64,
    },
    /// The server's failure (the store failed, or nothing was sent): the use is refunded.
    Failed,
}

impl Outcome {
    /// The access-log detail of an [`Outcome::Aborted`] transfer.
    pub const ABORTED_DETAIL: &'static str = "aborted";

    /// How a transfer the client left ends, after `sent` bytes of the body went out:
    /// refunded when it got nothing, spent (and logged as aborted) otherwise.
    ///
    /// ```
    /// use sharelink_core::service::Outcome;
    /// assert_eq!(Outcome::client_left(0), Outcome::Failed);
    /// assert_eq!(Outcome::client_left(7), Outcome::Aborted { bytes: 7 });
    /// ```
    pub fn client_left(sent: u64) -> Self {
        match sent {
            0 => Outcome::Failed,
            bytes => Outcome::Aborted { bytes },
        }
    }
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

/// What to read of a file once its metadata is known: how a front end answers
/// preconditions (`If-None-Match`, `If-Modified-Since`, `If-Range`) and ranges counted
/// from the end without a second request (see [`Sharelink::download_planned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPlan {
    /// The whole file.
    Whole,
    /// One range of it.
    Range(crate::ports::ByteRange),
    /// Nothing: the answer is made from the metadata alone (not modified, a range that
    /// cannot be satisfied). It spends no use and reads no byte.
    MetadataOnly,
}

/// What [`Sharelink::download_planned`] opened.
#[derive(Debug)]
pub enum Planned {
    /// The plan read nothing: the file's metadata, for the visitor allowed to see it.
    Metadata(crate::ports::Entry),
    /// An open download, as [`Sharelink::download`] gives.
    Read(Box<Download>),
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

/// A visitor request resolved: the share, the session, and who asks how.
#[derive(Debug, Clone)]
struct Scene<'a> {
    share: Share,
    session: VisitorSession,
    client: &'a Client,
    mode: RequestMode,
}

/// What a visitor asks to do, for [`decide`].
#[derive(Debug, Clone, Copy)]
struct Intent<'a> {
    action: Action,
    path: &'a SharePath,
    destination: Option<&'a SharePath>,
    upload: Option<&'a UploadInfo>,
    rename_to: Option<&'a SharePath>,
    /// The use this action would spend, when it may already be counted (a later range
    /// of one download).
    dedup: Option<&'a str>,
}

impl<'a> Intent<'a> {
    fn new(action: Action, path: &'a SharePath) -> Self {
        Self {
            action,
            path,
            destination: None,
            upload: None,
            rename_to: None,
            dedup: None,
        }
    }
}

/// An access-log entry about to be written for a scene.
#[derive(Debug, Clone)]
struct Entry {
    kind: LogKind,
    paths: Vec<String>,
    bytes: Option<u64>,
    detail: Option<String>,
}

impl Entry {
    fn new(kind: LogKind) -> Self {
        Self {
            kind,
            paths: Vec::new(),
            bytes: None,
            detail: None,
        }
    }

    /// A refusal, logged under the denial's code.
    fn denied(denial: &Denial) -> Self {
        Self::new(LogKind::Denied).detail(denial.code())
    }

    fn path(mut self, path: impl ToString) -> Self {
        self.paths.push(path.to_string());
        self
    }

    fn paths(mut self, paths: Vec<String>) -> Self {
        self.paths = paths;
        self
    }

    fn bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Whether a decision might change if the use were already counted: an exhausted limit,
/// or a confirmation asked for a use that may be spent already. Only then is the store
/// asked, so the common path costs no query.
fn may_be_counted(outcome: &std::result::Result<Grant, Denial>) -> bool {
    matches!(
        outcome,
        Err(Denial::UsesExhausted | Denial::ConfirmationRequired)
    )
}

/// The dedup key of a session's visit: a visit counts once per session.
fn visit_key(session: &SessionId) -> String {
    format!("visit:{}", session.as_str())
}

impl Sharelink {
    async fn share_by_key(&self, key: &str) -> Result<Share> {
        let Ok(key) = crate::UrlKey::parse(key) else {
            return Err(Denial::NotFound.into());
        };
        let mut share = self
            .ports
            .repo
            .find_by_key(&key)
            .await?
            .ok_or(Denial::NotFound)?;
        // A form or terms kept in a template are met as the template is now.
        self.resolve_templates(&mut share).await?;
        record_share(share.id);
        Ok(share)
    }

    /// The share and session of a request (the session must belong to the share and to
    /// the browser).
    async fn scene<'a>(&self, req: &VisitRequest<'a>) -> Result<Scene<'a>> {
        let share = self.share_by_key(req.key).await?;
        // The copy this process read or wrote within the share cache's bound does when it
        // is through every gate of the share: a session only changes by passing gates, so
        // such a copy decides as the stored one does (what an owner changes under it, such
        // as a new password, is on the share). A session still at a gate is read from the
        // store, which may hold a gate it passed on another process a moment ago. (Inline,
        // not a helper: each nested async fn deepens every caller's future type.)
        let kept = match self
            .hot
            .as_ref()
            .and_then(|hot| hot.cached_session(req.session))
        {
            Some(kept) if kept.share_id == share.id => {
                let site = self.site_shared().await?;
                Gate::check_all(&share, &site.settings, &kept)
                    .is_ok()
                    .then_some(kept)
            }
            _ => None,
        };
        let session = match kept {
            Some(kept) => Some(kept),
            None => self.ports.repo.get_session(req.session).await?,
        };
        let session = session
            .filter(|s| s.share_id == share.id && s.browser == req.client.browser)
            .ok_or(Denial::NoSession)?;
        if let Some(id) = session.recipient {
            // A session opened through a recipient's link ends with that link.
            let now = self.now();
            let active = self
                .ports
                .repo
                .get_recipient(share.id, id)
                .await?
                .is_some_and(|r| r.state(now) == crate::RecipientState::Active);
            if !active {
                return Err(Denial::NotFound.into());
            }
        }
        Ok(Scene {
            share,
            session,
            client: req.client,
            mode: req.mode,
        })
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

    /// The paths whose creator rights govern an intent (mirrors the targeting of `decide`).
    fn governing_paths(share: &Share, intent: &Intent<'_>) -> Vec<SharePath> {
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
        if intent.action == Action::Upload
            && let Some(inbox) = &share.settings.inbox
        {
            out.push(inbox.clone());
            return out;
        }
        if let Some(r) = share.resolve(intent.path) {
            out.extend(rights_path(r));
        }
        if let Some(d) = intent.destination.and_then(|d| share.resolve(d)) {
            out.extend(rights_path(d));
        }
        out
    }

    /// Asks [`decide`] about an intent on a share, with the creator's current rights.
    async fn decide_for(
        &self,
        share: &Share,
        session: &VisitorSession,
        intent: &Intent<'_>,
        mode: RequestMode,
        already_counted: bool,
    ) -> Result<std::result::Result<Grant, Denial>> {
        let creator = self
            .creator_rights(share, &Self::governing_paths(share, intent))
            .await?;
        Ok(decide(&AccessRequest {
            share: Some(share),
            session,
            action: intent.action,
            path: Some(intent.path),
            destination: intent.destination,
            upload: intent.upload,
            rename_to: intent.rename_to,
            already_counted,
            mode,
            now: self.now(),
            creator,
            site: &self.site_shared().await?.settings,
        }))
    }

    /// Whether a use is counted under any of `keys` (asked only when a decision could
    /// change, see [`may_be_counted`]).
    async fn counted_under(&self, share: &Share, keys: &[&str]) -> Result<bool> {
        for key in keys {
            if self.ports.repo.is_counted(share.id, key).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Decides opening the share for a session: a session whose visit is already counted
    /// (or that holds the use `dedup` names) is neither refused by an exhausted limit nor
    /// asked to confirm again.
    async fn decide_visit(
        &self,
        share: &Share,
        session: &VisitorSession,
        mode: RequestMode,
        dedup: Option<&str>,
    ) -> Result<(std::result::Result<Grant, Denial>, bool)> {
        let root = SharePath::root();
        let visit = Intent::new(Action::Visit, &root);
        let outcome = self.decide_for(share, session, &visit, mode, false).await?;
        if !may_be_counted(&outcome) {
            return Ok((outcome, false));
        }
        let key = visit_key(&session.id);
        let keys: Vec<&str> = std::iter::once(key.as_str()).chain(dedup).collect();
        if !self.counted_under(share, &keys).await? {
            return Ok((outcome, false));
        }
        Ok((
            self.decide_for(share, session, &visit, mode, true).await?,
            true,
        ))
    }

    /// Counts the visit of a session once (dedup by session) and binds the device.
    async fn admit(&self, share: &Share, session: &VisitorSession, grant: &Grant) -> Result<()> {
        if grant.counts_use {
            let max = share.settings.use_limit.map_or(u32::MAX, |l| l.max);
            let dedup = visit_key(&session.id);
            match self
                .ports
                .repo
                .reserve_use(share.id, max, Some(&dedup))
                .await?
            {
                Reservation::Reserved => crate::telemetry::use_spent(),
                Reservation::AlreadyCounted => {}
                Reservation::Exhausted => return Err(Denial::UsesExhausted.into()),
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

    /// Checks every gate and counts the visit; then decides the intent. Denials that are
    /// not gates are logged.
    async fn authorize(&self, scene: &Scene<'_>, intent: &Intent<'_>) -> Result<Grant> {
        match self.authorize_quietly(scene, intent).await? {
            Ok(grant) => Ok(grant),
            Err(denial) => {
                if !denial.is_gate() {
                    self.log(scene, Entry::denied(&denial).path(intent.path))
                        .await;
                }
                Err(denial.into())
            }
        }
    }

    async fn authorize_quietly(
        &self,
        scene: &Scene<'_>,
        intent: &Intent<'_>,
    ) -> Result<std::result::Result<Grant, Denial>> {
        let (share, session) = (&scene.share, &scene.session);
        // The visit is decided in the request's own mode: a HEAD never counts it.
        let (visit, counted) = self
            .decide_visit(share, session, scene.mode, intent.dedup)
            .await?;
        let grant = match visit {
            Ok(grant) => grant,
            Err(d) => return Ok(Err(d)),
        };
        match self.admit(share, session, &grant).await {
            Ok(()) => {}
            Err(ServiceError::Denied(d)) => return Ok(Err(d)),
            Err(e) => return Err(e),
        }
        let outcome = self
            .decide_for(share, session, intent, scene.mode, counted)
            .await?;
        if !counted
            && may_be_counted(&outcome)
            && let Some(key) = intent.dedup
            && self.counted_under(share, &[key]).await?
        {
            return self
                .decide_for(share, session, intent, scene.mode, true)
                .await;
        }
        Ok(outcome)
    }

    /// Reserves the use a granted action spends; `Ok(false)` when it spends none (not
    /// counted, or already counted under `dedup`).
    async fn reserve(&self, share: &Share, grant: &Grant, dedup: Option<&str>) -> Result<bool> {
        if !grant.counts_use {
            return Ok(false);
        }
        let max = share.settings.use_limit.map_or(u32::MAX, |l| l.max);
        match self.ports.repo.reserve_use(share.id, max, dedup).await? {
            Reservation::Reserved => {
                crate::telemetry::use_spent();
                Ok(true)
            }
            Reservation::AlreadyCounted => Ok(false),
            Reservation::Exhausted => Err(Denial::UsesExhausted.into()),
        }
    }

    async fn refund(&self, share: &Share, reserved: bool, dedup: Option<&str>) {
        if reserved {
            // Best effort: a failed refund leaves one use spent, never one too many.
            match self.ports.repo.refund_use(share.id, dedup).await {
                Ok(_) => crate::telemetry::use_refunded(),
                Err(e) => discarded("a use that failed stays spent", &e),
            }
        }
    }

    /// Runs a counted operation: reserves its use, runs it, and gives the use back when
    /// it fails.
    async fn counted<T, F>(&self, share: &Share, grant: &Grant, run: F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        let reserved = self.reserve(share, grant, None).await?;
        let out = run.await;
        if out.is_err() {
            self.refund(share, reserved, None).await;
        }
        out
    }

    /// Writes an access-log entry for a scene.
    async fn log(&self, scene: &Scene<'_>, entry: Entry) {
        self.log_for(&scene.share, &scene.session, scene.client, entry)
            .await;
    }

    async fn log_for(
        &self,
        share: &Share,
        session: &VisitorSession,
        client: &Client,
        entry: Entry,
    ) {
        let event = NewLogEvent {
            share_id: share.id,
            at: self.now(),
            kind: entry.kind,
            paths: entry.paths,
            bytes: entry.bytes,
            ip: self.log_ip(client.ip).await,
            user_agent: client.user_agent.clone(),
            visitor: Some(visitor_tag(&session.browser)),
            email: session.identity().cloned(),
            registration: session.registration,
            detail: entry.detail,
        };
        // The log is best effort for a visitor: a failing log must not fail a download.
        if let Err(e) = self.ports.log.append(&event).await {
            discarded("an access-log event is lost", &e);
        }
    }

    fn gate_info(share: &Share, pending: Option<Denial>) -> GateInfo {
        let gate = pending.as_ref().and_then(Gate::of);
        let form = match gate {
            Some(Gate::Registration) => share.settings.registration.as_ref().map(FieldsView::of),
            _ => None,
        };
        let clickwrap = match gate {
            Some(Gate::Clickwrap) => share.settings.clickwrap.clone(),
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
                email: session.identity().map(ToString::to_string),
                name: session.name.clone(),
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
            time_zone: share.settings.schedule.time_zone.clone(),
            thumbnails: rights.has(crate::Capability::Preview)
                && thumbnails::previews_are_free(share),
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
        let (grant, _) = self.decide_visit(share, &session, mode, None).await?;
        match grant {
            Ok(grant) => {
                self.admit(share, &session, &grant).await?;
                let view = self.view(share, &session, client).await?;
                Ok(Visit {
                    session: Some(session),
                    gate: Self::gate_info(share, None),
                    view: Some(view),
                    entries: None,
                })
            }
            Err(d) if d.is_gate() => Ok(Visit {
                session: Some(session),
                gate: Self::gate_info(share, Some(d)),
                view: None,
                entries: None,
            }),
            Err(d) => {
                self.log_for(share, &session, client, Entry::denied(&d))
                    .await;
                Err(d.into())
            }
        }
    }
}

/// A non-secret tag of a browser for the log ("unique visitors" counts browsers, not
/// sessions), derived so the browser's cookie itself never reaches the log.
fn visitor_tag(browser: &BrowserId) -> String {
    // The browser id carries ≥ 128 random bits; 64 bits of its fingerprint tell visitors
    // apart without giving the cookie away.
    format!("{:016x}", fingerprint(browser.as_str().as_bytes()))
}

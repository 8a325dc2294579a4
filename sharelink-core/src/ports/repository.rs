//! The share-repository port: shares and everything that hangs off them, with the atomic
//! operations that rules depend on under concurrency.

use crate::model::form::Registration;
use crate::model::share::Adjustment;
use crate::ports::BoxError;
use crate::{
    BrowserId, Clickwrap, DeviceId, Email, PasswordHash, Recipient, RecipientId, RegistrationForm,
    RegistrationId, SessionId, Share, ShareId, ShareItem, SharePath, ShareSettings, ShareState,
    UrlKey, UserId, VisitorSession,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

/// Errors of a repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The key is already used by another share (keys are unique without regard to case).
    #[error("the link key is already taken")]
    KeyTaken,
    /// The referenced share, recipient or session does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule other than the key was broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached.
    #[error("{store}: database unavailable")]
    Unavailable {
        /// Which store.
        store: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// Stored data could not be read back into the domain (corrupt or from a newer version).
    #[error("{store}: stored data is invalid: {reason}")]
    Corrupt {
        /// Which store.
        store: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Any other failure.
    #[error("{store}: {source}")]
    Backend {
        /// Which store.
        store: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

/// A share about to be stored (the repository assigns the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShare {
    /// Public key.
    pub key: UrlKey,
    /// Owner.
    pub owner: UserId,
    /// Items.
    pub items: Vec<ShareItem>,
    /// What was asked.
    pub requested: ShareSettings,
    /// What is in effect.
    pub settings: ShareSettings,
    /// How they differ.
    pub adjustments: Vec<Adjustment>,
    /// Password hash.
    pub password_hash: Option<PasswordHash>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// Filters and page of a share listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShareQuery {
    /// Only this owner's shares (`None`: everybody's, for admins).
    pub owner: Option<UserId>,
    /// Name contains this text, without regard to case (wildcards are literal).
    pub name_contains: Option<String>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created before.
    pub created_to: Option<OffsetDateTime>,
    /// Only shares in this state at `now`.
    pub state: Option<ShareState>,
    /// The instant states are computed at.
    pub now: Option<OffsetDateTime>,
    /// Keyset cursor: only shares after this one in the order (newest first).
    pub after: Option<ShareCursor>,
    /// Page size (1 to 1000).
    pub limit: u32,
}

/// Position in the listing order: created_at descending, then id descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCursor {
    /// Creation time of the last share seen.
    pub created_at: OffsetDateTime,
    /// Id of the last share seen.
    pub id: ShareId,
}

/// One page of shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePage {
    /// The shares, newest first.
    pub shares: Vec<Share>,
    /// Where the next page starts, if there may be one.
    pub next: Option<ShareCursor>,
}

/// Outcome of a use reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A use was reserved.
    Reserved,
    /// This dedup key was already counted (a range request of the same download).
    AlreadyCounted,
    /// No use left.
    Exhausted,
}

/// A recipient about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// The share.
    pub share_id: ShareId,
    /// Address.
    pub email: Email,
    /// Company.
    pub company: Option<String>,
    /// Owner's note.
    pub note: Option<String>,
    /// Link code (secret).
    pub link_code: String,
    /// When sent.
    pub sent_at: Option<OffsetDateTime>,
}

/// A stored registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    /// Id.
    pub id: RegistrationId,
    /// Share.
    pub share_id: ShareId,
    /// The answers.
    pub registration: Registration,
    /// When.
    pub at: OffsetDateTime,
    /// From where.
    pub ip: Option<IpAddr>,
}

/// A one-time code sent to prove an email address.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode {
    /// The share.
    pub share_id: ShareId,
    /// The visitor session that asked for it.
    pub session_id: SessionId,
    /// The address it was sent to.
    pub email: Email,
    /// The code (secret).
    pub code: String,
    /// Valid until.
    pub expires_at: OffsetDateTime,
    /// Wrong guesses left.
    pub attempts_left: u32,
}

impl Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeCode")
            .field("share_id", &self.share_id)
            .field("email", &self.email)
            .field("expires_at", &self.expires_at)
            .field("attempts_left", &self.attempts_left)
            .finish_non_exhaustive()
    }
}

/// Outcome of checking a one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code, in time: the code is used up.
    Valid(Email),
    /// Wrong code; this many guesses left (0: the code is burnt).
    Wrong {
        /// Guesses left.
        attempts_left: u32,
    },
    /// The code expired (it is removed).
    Expired,
    /// No code is pending for this session.
    Missing,
}

/// What a brute-force counter counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    /// The share.
    pub share_id: ShareId,
    /// What is being guessed (`"password"`, `"code"`, `"code-send"`).
    pub scope: &'static str,
    /// The client (address), or `None` for the counter of all clients of the share.
    pub client: Option<String>,
}

/// The content of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateBody {
    /// A registration form.
    Form {
        /// The form.
        form: RegistrationForm,
    },
    /// Clickwrap terms.
    Clickwrap {
        /// The terms.
        clickwrap: Clickwrap,
    },
}

/// A reusable template kept by an owner: a registration form or clickwrap terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Id.
    pub id: i64,
    /// Owner.
    pub owner: UserId,
    /// Name.
    pub name: String,
    /// The form or the terms.
    pub body: TemplateBody,
}

/// Stores shares and what hangs off them.
///
/// Contract (each bullet is a case of `conformance::repository`):
/// - `insert_share` assigns a fresh id and stores every field; `find_by_key` finds it by
///   key without regard to case; a second share with the same key (in any case) gives
///   `KeyTaken` and stores nothing.
/// - `update_share` replaces items, requested and effective settings, adjustments, password
///   hash and `updated_at`, but never the counters (`uses`, `uploaded_bytes`,
///   `bound_device`, `reminder_sent_at`), which only the atomic methods change — except
///   that a changed expiry clears `reminder_sent_at` (one reminder per expiry).
/// - `delete_share` removes the share and everything under it (recipients, registrations,
///   sessions, codes, counters, reservations) in one step; afterwards `find_by_key` and
///   `get_share` give `None` exactly as for a key never used. Deleting twice is `Ok(false)`.
/// - `list_shares` filters by owner, name substring (case-insensitive, `%` and `_` are
///   literal), creation range and state at `now`, newest first (created_at, then id), and
///   pages by keyset: following `next` visits every share exactly once.
/// - `count_created_since` counts an owner's shares created at or after an instant.
/// - `reserve_use` is atomic: under any concurrency at most `max` reservations succeed in
///   total (minus refunds); a repeated dedup key counts once and answers `AlreadyCounted`
///   even when no use is left (checked before exhaustion). `refund_use` gives one back
///   (never below zero; with a dedup key, only if that key was counted, and forgets it).
/// - `add_uploaded_bytes` is atomic and refuses to pass `max`.
/// - `bind_device` binds the first device atomically and reports whether the share is now
///   bound to the given device.
/// - `mark_reminded` succeeds once per expiry.
/// - Recipients: added with their code, found by (share, code), listed per share;
///   `bind_recipient_browser` binds the first browser atomically; `replace_link_code`
///   changes the code (the old one stops working) and clears the binding.
///   `active_recipient_shares` finds active shares holding an item for an email.
/// - Sessions: stored, read back, updated (gates), and removed with their share.
/// - One-time codes: a new code replaces the session's pending one; `check_code` is
///   atomic: each wrong guess spends an attempt, the right code in time succeeds once.
/// - Attempt counters: `hit_attempt` atomically adds one within a fixed window and returns
///   the count; after the window the count restarts; `clear_attempts` resets it.
/// - Registrations and templates are stored and listed.
#[async_trait]
pub trait ShareRepository: Send + Sync + Debug + 'static {
    /// Stores a new share.
    ///
    /// # Errors
    /// `KeyTaken`, or a store error.
    async fn insert_share(&self, share: NewShare) -> Result<Share, RepoError>;

    /// A share by id.
    ///
    /// # Errors
    /// A store error.
    async fn get_share(&self, id: ShareId) -> Result<Option<Share>, RepoError>;

    /// A share by key, without regard to case.
    ///
    /// # Errors
    /// A store error.
    async fn find_by_key(&self, key: &UrlKey) -> Result<Option<Share>, RepoError>;

    /// Replaces a share's items and settings (not its counters).
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn update_share(&self, share: &Share) -> Result<(), RepoError>;

    /// Deletes a share and everything under it. `Ok(false)` if it did not exist.
    ///
    /// # Errors
    /// A store error.
    async fn delete_share(&self, id: ShareId) -> Result<bool, RepoError>;

    /// Lists shares.
    ///
    /// # Errors
    /// A store error.
    async fn list_shares(&self, query: &ShareQuery) -> Result<SharePage, RepoError>;

    /// Number of shares `owner` created at or after `since`.
    ///
    /// # Errors
    /// A store error.
    async fn count_created_since(
        &self,
        owner: &UserId,
        since: OffsetDateTime,
    ) -> Result<u32, RepoError>;

    /// Reserves one use if fewer than `max` are spent; `dedup` makes repeats count once.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn reserve_use(
        &self,
        id: ShareId,
        max: u32,
        dedup: Option<&str>,
    ) -> Result<Reservation, RepoError>;

    /// Gives back one reserved use (a download that failed).
    ///
    /// # Errors
    /// A store error.
    async fn refund_use(&self, id: ShareId, dedup: Option<&str>) -> Result<(), RepoError>;

    /// Adds uploaded bytes unless the total would pass `max`; `Ok(false)` if refused.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn add_uploaded_bytes(
        &self,
        id: ShareId,
        bytes: u64,
        max: Option<u64>,
    ) -> Result<bool, RepoError>;

    /// Binds the share to `device` if unbound; `Ok(true)` if it is now bound to `device`.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn bind_device(&self, id: ShareId, device: &DeviceId) -> Result<bool, RepoError>;

    /// Records that the owner was reminded; `Ok(false)` if already reminded.
    ///
    /// # Errors
    /// A store error.
    async fn mark_reminded(&self, id: ShareId, at: OffsetDateTime) -> Result<bool, RepoError>;

    /// Adds a recipient.
    ///
    /// # Errors
    /// `NotFound` for the share, or a store error.
    async fn add_recipient(&self, recipient: NewRecipient) -> Result<Recipient, RepoError>;

    /// A share's recipients, in the order added.
    ///
    /// # Errors
    /// A store error.
    async fn list_recipients(&self, share: ShareId) -> Result<Vec<Recipient>, RepoError>;

    /// The recipient whose link carries `code`.
    ///
    /// # Errors
    /// A store error.
    async fn find_recipient(
        &self,
        share: ShareId,
        code: &str,
    ) -> Result<Option<Recipient>, RepoError>;

    /// Binds the recipient's link to `browser` if unbound; returns the recipient after.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn bind_recipient_browser(
        &self,
        id: RecipientId,
        browser: &BrowserId,
    ) -> Result<Recipient, RepoError>;

    /// Gives the recipient a new link code (clearing the browser binding).
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn replace_link_code(
        &self,
        id: RecipientId,
        code: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// Ids of shares that are active at `now`, hold an item at `path`, and have a
    /// recipient with `email` (for the one-active-share-per-recipient rule).
    ///
    /// # Errors
    /// A store error.
    async fn active_recipient_shares(
        &self,
        email: &Email,
        path: &SharePath,
        now: OffsetDateTime,
    ) -> Result<Vec<ShareId>, RepoError>;

    /// Stores a registration.
    ///
    /// # Errors
    /// `NotFound` for the share, or a store error.
    async fn add_registration(
        &self,
        share: ShareId,
        registration: &Registration,
        at: OffsetDateTime,
        ip: Option<IpAddr>,
    ) -> Result<RegistrationId, RepoError>;

    /// A share's registrations, oldest first.
    ///
    /// # Errors
    /// A store error.
    async fn list_registrations(
        &self,
        share: ShareId,
    ) -> Result<Vec<StoredRegistration>, RepoError>;

    /// Stores a new visitor session.
    ///
    /// # Errors
    /// `NotFound` for the share, or a store error.
    async fn insert_session(&self, session: &VisitorSession) -> Result<(), RepoError>;

    /// A visitor session by id.
    ///
    /// # Errors
    /// A store error.
    async fn get_session(&self, id: &SessionId) -> Result<Option<VisitorSession>, RepoError>;

    /// Saves the gates a session passed.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn update_session(&self, session: &VisitorSession) -> Result<(), RepoError>;

    /// Stores a one-time code, replacing the session's pending one.
    ///
    /// # Errors
    /// A store error.
    async fn put_code(&self, code: &OneTimeCode) -> Result<(), RepoError>;

    /// Checks a code for a session atomically.
    ///
    /// # Errors
    /// A store error.
    async fn check_code(
        &self,
        session: &SessionId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck, RepoError>;

    /// Adds one attempt within the window starting at the current fixed window; returns
    /// the count in the window including this one.
    ///
    /// # Errors
    /// A store error.
    async fn hit_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError>;

    /// The attempts counted in the current window.
    ///
    /// # Errors
    /// A store error.
    async fn attempts(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError>;

    /// Takes back one attempt counted in the current window: callers count an attempt
    /// *before* evaluating it (so that concurrent guesses can never evaluate more than the
    /// limit) and release it when it turns out to be a success. MUST be one atomic
    /// statement; MUST never take the count below zero; does nothing when the counter is
    /// missing or its window has passed.
    ///
    /// # Errors
    /// A store error.
    async fn release_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), RepoError>;

    /// Resets a counter.
    ///
    /// # Errors
    /// A store error.
    async fn clear_attempts(&self, key: &AttemptKey) -> Result<(), RepoError>;

    /// Stores a template.
    ///
    /// # Errors
    /// A store error.
    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template, RepoError>;

    /// An owner's templates.
    ///
    /// # Errors
    /// A store error.
    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>, RepoError>;

    /// Deletes a template; `Ok(false)` if absent.
    ///
    /// # Errors
    /// A store error.
    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool, RepoError>;
}

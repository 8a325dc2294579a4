//! The visitor store: sessions, one-time codes, brute-force counters and registrations.

use crate::model::form::Registration;
use crate::ports::RepoError;
use crate::{Email, RegistrationId, SessionId, ShareId, VisitorSession};
use async_trait::async_trait;
use std::fmt::Debug;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

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

/// Stores what visitors leave behind.
///
/// Contract (each bullet is a case of `conformance::visitors`):
/// - Sessions: stored, read back, updated (gates), and removed with their share.
/// - One-time codes: a new code replaces the session's pending one; `check_code` is
///   atomic: each wrong guess spends an attempt, the right code in time succeeds once.
/// - Attempt counters: `hit_attempt` atomically adds one within a fixed window and returns
///   the count; after the window the count restarts; `release_attempt` takes one back
///   (never below zero); `clear_attempts` resets it.
/// - Registrations are stored and listed, oldest first, and removed with their share.
#[async_trait]
pub trait VisitorStore: Send + Sync + Debug + 'static {
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
}

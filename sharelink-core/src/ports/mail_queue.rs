//! The mail-queue port: outgoing mail kept durably until it is delivered, given up on, or
//! past the moment it stops meaning anything.
//!
//! The use cases put a mail in the queue ([`MailQueue::enqueue`]) instead of sending it
//! when the embedder configures one (`Ports::with_mail_queue`); a worker
//! (`Sharelink::deliver_mail`) claims due mails, sends each through the [`Mailer`] and
//! records the outcome. Owners and admins read the queue through the management use cases.
//!
//! [`Mailer`]: crate::ports::Mailer

use crate::ports::mailer::Mail;
use crate::ports::repository::RepoError;
use crate::{ShareId, UserId};
use async_trait::async_trait;
use std::fmt::{self, Debug};
use time::OffsetDateTime;

/// The identifier of a queued mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueuedMailId(pub i64);

impl fmt::Display for QueuedMailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Where a queued mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailState {
    /// Waiting for its next attempt (possibly leased to a worker right now).
    Pending,
    /// Delivered to the mail server.
    Sent,
    /// Given up on: refused permanently, or failed too many times. Retrying is an owner's
    /// or admin's decision.
    Dead,
    /// Not sent because it was due after its `not_after` (a one-time code that expired
    /// while the mail server was away).
    Expired,
}

impl MailState {
    /// Every state, in the order above.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Sent, Self::Dead, Self::Expired];

    /// The state's stored and shown name: `pending`, `sent`, `dead` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Expired => "expired",
        }
    }

    /// The state named `name` (as [`MailState::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for MailState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mail to put in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQueuedMail {
    /// The mail (it holds links and codes: the queue is as secret as the shares).
    pub mail: Mail,
    /// The share the mail is about, if any.
    pub share: Option<ShareId>,
    /// Who may see the mail in the queue besides admins (the share's owner), if anybody.
    pub owner: Option<UserId>,
    /// The mail is not sent after this instant (a one-time code's expiry).
    pub not_after: Option<OffsetDateTime>,
    /// When it was queued; its first attempt is due then.
    pub queued_at: OffsetDateTime,
}

/// A mail in the queue.
#[derive(Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Its identifier.
    pub id: QueuedMailId,
    /// The mail.
    pub mail: Mail,
    /// The share it is about, if any.
    pub share: Option<ShareId>,
    /// The owner who may see it, if any.
    pub owner: Option<UserId>,
    /// Not sent after this instant.
    pub not_after: Option<OffsetDateTime>,
    /// Where it stands.
    pub state: MailState,
    /// Attempts claimed so far (a claim counts as an attempt, whatever its outcome).
    pub attempts: u32,
    /// When the next attempt is due (for a pending mail).
    pub next_attempt_at: OffsetDateTime,
    /// Until when the last claim holds it (no other worker claims it before).
    pub leased_until: Option<OffsetDateTime>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was queued.
    pub queued_at: OffsetDateTime,
    /// When its state last changed.
    pub updated_at: OffsetDateTime,
}

impl QueuedMail {
    /// A mail just queued as `id`: pending, no attempt yet, due at once.
    pub fn pending(id: QueuedMailId, new: NewQueuedMail) -> Self {
        Self {
            id,
            mail: new.mail,
            share: new.share,
            owner: new.owner,
            not_after: new.not_after,
            state: MailState::Pending,
            attempts: 0,
            next_attempt_at: new.queued_at,
            leased_until: None,
            last_error: None,
            queued_at: new.queued_at,
            updated_at: new.queued_at,
        }
    }
}

impl Debug for QueuedMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Mail`'s own Debug hides links and codes; the rest is metadata.
        f.debug_struct("QueuedMail")
            .field("id", &self.id)
            .field("mail", &self.mail)
            .field("share", &self.share)
            .field("owner", &self.owner)
            .field("not_after", &self.not_after)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("leased_until", &self.leased_until)
            .field("last_error", &self.last_error)
            .field("queued_at", &self.queued_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Pending again, due at this instant.
    RetryAt(OffsetDateTime),
    /// Given up on ([`MailState::Dead`]).
    Dead,
    /// Not sent because it is past its `not_after` ([`MailState::Expired`]).
    Expired,
}

/// Which queued mails to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailQuery {
    /// Only mails in this state.
    pub state: Option<MailState>,
    /// Only mails this owner may see.
    pub owner: Option<UserId>,
    /// Only mails with a smaller id than this (newest first, page by page).
    pub before: Option<QueuedMailId>,
    /// At most this many (0 means none).
    pub limit: u32,
}

/// A durable queue of outgoing mail.
///
/// Contract (each bullet is a case of `conformance::mail_queue`):
/// - `enqueue` stores the mail pending, due at `queued_at`, with no attempts, and returns
///   it with a fresh id; [`MailQueue::get_mail`] and the listings read it back equal.
/// - `claim_due(now, lease_until, limit)` hands out at most `limit` pending mails due at
///   `now` (`next_attempt_at <= now`) whose lease, if any, ended (`<= now`), oldest due
///   first; each claimed mail has its attempts raised by one and is leased until
///   `lease_until`. While leased it is not handed out again, by this handle or by any other
///   handle on the same store (several processes claiming at once never get the same
///   mail); once the lease ends without an outcome it is due again.
/// - `mark_sent(id, attempts, at)` and `mark_failed(id, attempts, error, failure, at)`
///   record the outcome of the claim that raised attempts to `attempts` and return `true`;
///   they change nothing and return `false` when the mail is not pending or another claim
///   took it since (its attempts differ). A retry clears the lease and makes the mail due
///   at the given instant; `Dead` and `Expired` end it, keeping `error` as its last error.
/// - `list_mail` returns the mails matching the query, newest (highest id) first.
/// - `retry_mail(id, now)` makes a dead or expired mail pending again, due at `now`, with
///   no attempts, and returns `true`; for a pending or sent mail, or none, it returns
///   `false` and changes nothing.
#[async_trait]
pub trait MailQueue: Send + Sync + Debug + 'static {
    /// Stores a mail, pending.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn enqueue(&self, mail: NewQueuedMail) -> Result<QueuedMail, RepoError>;

    /// Claims due mails for one worker until `lease_until`.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, RepoError>;

    /// Records that the claim numbered `attempts` delivered the mail.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn mark_sent(
        &self,
        id: QueuedMailId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// Records that the claim numbered `attempts` failed, and what follows.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn mark_failed(
        &self,
        id: QueuedMailId,
        attempts: u32,
        error: &str,
        failure: Failure,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// One mail.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn get_mail(&self, id: QueuedMailId) -> Result<Option<QueuedMail>, RepoError>;

    /// The mails matching `query`, newest first.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn list_mail(&self, query: &MailQuery) -> Result<Vec<QueuedMail>, RepoError>;

    /// Makes a dead or expired mail pending again.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn retry_mail(&self, id: QueuedMailId, now: OffsetDateTime) -> Result<bool, RepoError>;
}

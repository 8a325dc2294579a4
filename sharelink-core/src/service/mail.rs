//! Outgoing mail: posting it (straight to the mailer, or into the mail queue when there is
//! one), the worker that delivers the queue with retries and backoff, and the owner's and
//! admin's view of the queue.

use super::{Result, ServiceError, Sharelink};
use crate::ports::mail_queue::{
    Failure, MailQuery, MailState, NewQueuedMail, QueuedMail, QueuedMailId,
};
use crate::ports::mailer::{Mail, MailError};
use crate::{Email, Share, ShareId};
use time::{Duration, OffsetDateTime};

/// How the worker retries mail that could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailRetry {
    /// The wait after the first failed attempt; each later one doubles it.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// Attempts before a mail is given up on (dead).
    pub max_attempts: u32,
    /// How long a worker holds the mails it claimed; a worker that dies leaves them to
    /// others after this.
    pub lease: Duration,
}

impl Default for MailRetry {
    /// 30 s doubling up to an hour, ten attempts (about five hours in all), five-minute
    /// leases.
    fn default() -> Self {
        Self {
            first_delay: Duration::seconds(30),
            max_delay: Duration::hours(1),
            max_attempts: 10,
            lease: Duration::minutes(5),
        }
    }
}

impl MailRetry {
    /// The wait after the `attempts`-th failed attempt (counting from 1): `first_delay`
    /// doubled `attempts - 1` times, at most `max_delay`.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(62);
        let factor = 1_i64 << doublings;
        self.first_delay
            .checked_mul(i32::try_from(factor).unwrap_or(i32::MAX))
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }
}

/// What one run of the mail worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Mails delivered.
    pub sent: u32,
    /// Mails that failed for now and wait for another attempt.
    pub retrying: u32,
    /// Mails given up on (refused permanently, or too many attempts).
    pub dead: u32,
    /// Mails not sent because they were due after their `not_after`.
    pub expired: u32,
}

/// A queued mail as owners and admins see it: what, to whom and how it went, never the
/// links or codes it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailView {
    /// Its identifier.
    pub id: QueuedMailId,
    /// The kind of message ([`crate::ports::MailMessage::kind`]).
    pub kind: &'static str,
    /// The recipient.
    pub to: Email,
    /// The share it is about, if any.
    pub share: Option<ShareId>,
    /// Where it stands.
    pub state: MailState,
    /// Attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was queued.
    pub queued_at: OffsetDateTime,
    /// When the next attempt is due (pending mail).
    pub next_attempt_at: OffsetDateTime,
    /// When its state last changed.
    pub updated_at: OffsetDateTime,
    /// Not sent after this instant, if set.
    pub not_after: Option<OffsetDateTime>,
}

impl From<QueuedMail> for MailView {
    fn from(m: QueuedMail) -> Self {
        Self {
            id: m.id,
            kind: m.mail.message.kind(),
            to: m.mail.to,
            share: m.share,
            state: m.state,
            attempts: m.attempts,
            last_error: m.last_error,
            queued_at: m.queued_at,
            next_attempt_at: m.next_attempt_at,
            updated_at: m.updated_at,
            not_after: m.not_after,
        }
    }
}

/// Which queued mails to list ([`Sharelink::queued_mail`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListMail {
    /// Only mails in this state.
    pub state: Option<MailState>,
    /// Only mails older than this one (the next page).
    pub before: Option<QueuedMailId>,
    /// At most this many (default 50, at most 1000).
    pub limit: Option<u32>,
}

/// Whether a delivery error means the same message will fail again.
fn is_permanent(error: &MailError) -> bool {
    matches!(error, MailError::Rejected { .. } | MailError::Build { .. })
}

impl Sharelink {
    /// Sends a mail about `share`: into the mail queue when there is one (delivered later
    /// by [`Sharelink::deliver_mail`], not after `not_after`), else straight through the
    /// mailer.
    pub(super) async fn post_mail(
        &self,
        share: &Share,
        mail: Mail,
        not_after: Option<OffsetDateTime>,
    ) -> Result<()> {
        self.post(mail, Some(share.id), Some(share.owner.clone()), not_after)
            .await
    }

    /// Sends a mail, about a share and for an owner when given, the way
    /// [`Sharelink::post_mail`] does.
    pub(super) async fn post(
        &self,
        mail: Mail,
        share: Option<ShareId>,
        owner: Option<crate::UserId>,
        not_after: Option<OffsetDateTime>,
    ) -> Result<()> {
        match &self.ports.mail_queue {
            Some(queue) => {
                queue
                    .enqueue(NewQueuedMail {
                        mail,
                        share,
                        owner,
                        not_after,
                        queued_at: self.now(),
                    })
                    .await?;
                Ok(())
            }
            None => Ok(self.ports.mailer.send(&mail).await?),
        }
    }

    /// The mail worker's step: claims up to `limit` due mails of the queue and sends each
    /// through the mailer. A delivered mail is sent; one past its `not_after` is expired
    /// without being sent; a permanent refusal (or a message that cannot be built) is dead
    /// at once with the reason; any other failure (deferred, server unreachable) is
    /// retried after [`MailRetry::delay_after`], and dead after
    /// [`MailRetry::max_attempts`]. Without a queue it does nothing.
    ///
    /// Several workers (processes) may run it at once: each mail is claimed by one.
    ///
    /// # Errors
    /// Repository errors of the queue (mail errors are recorded, not returned).
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn deliver_mail(&self, limit: u32) -> Result<Delivery> {
        let mut done = Delivery::default();
        let Some(queue) = &self.ports.mail_queue else {
            return Ok(done);
        };
        let retry = self.config.mail_retry;
        let now = self.now();
        for m in queue.claim_due(now, now + retry.lease, limit).await? {
            if m.not_after.is_some_and(|t| now > t) {
                let why = "not sent: it was due after it stopped being valid";
                queue
                    .mark_failed(m.id, m.attempts, why, Failure::Expired, now)
                    .await?;
                done.expired += 1;
                continue;
            }
            match self.ports.mailer.send(&m.mail).await {
                Ok(()) => {
                    queue.mark_sent(m.id, m.attempts, self.now()).await?;
                    done.sent += 1;
                }
                Err(e) => {
                    let at = self.now();
                    let failure = if is_permanent(&e) || m.attempts >= retry.max_attempts {
                        done.dead += 1;
                        Failure::Dead
                    } else {
                        done.retrying += 1;
                        Failure::RetryAt(at + retry.delay_after(m.attempts))
                    };
                    queue
                        .mark_failed(m.id, m.attempts, &e.to_string(), failure, at)
                        .await?;
                }
            }
        }
        Ok(done)
    }

    /// The queued mails the actor may see, newest first: an admin's every mail, an
    /// owner's the mails about their shares. Empty without a queue.
    ///
    /// # Errors
    /// Directory or repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn queued_mail(
        &self,
        actor: &crate::UserId,
        filter: ListMail,
    ) -> Result<Vec<MailView>> {
        let user = self.actor(actor).await?;
        let Some(queue) = &self.ports.mail_queue else {
            return Ok(Vec::new());
        };
        let query = MailQuery {
            state: filter.state,
            owner: (!user.is_admin).then(|| actor.clone()),
            before: filter.before,
            limit: filter.limit.unwrap_or(50).clamp(1, 1000),
        };
        Ok(queue
            .list_mail(&query)
            .await?
            .into_iter()
            .map(MailView::from)
            .collect())
    }

    /// Sends a dead or expired mail again (due now, attempts from zero).
    ///
    /// # Errors
    /// [`ServiceError::MailNotFound`] when there is no such mail or the actor may not see
    /// it; [`ServiceError::MailNotRetryable`] when it is pending or sent.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn retry_mail(&self, actor: &crate::UserId, id: QueuedMailId) -> Result<MailView> {
        let user = self.actor(actor).await?;
        let queue = self
            .ports
            .mail_queue
            .as_ref()
            .ok_or(ServiceError::MailNotFound)?;
        let mail = queue
            .get_mail(id)
            .await?
            .filter(|m| user.is_admin || m.owner.as_ref() == Some(actor))
            .ok_or(ServiceError::MailNotFound)?;
        if !queue.retry_mail(id, self.now()).await? {
            return Err(ServiceError::MailNotRetryable(mail.state));
        }
        let mail = queue
            .get_mail(id)
            .await?
            .ok_or(ServiceError::MailNotFound)?;
        Ok(mail.into())
    }
}

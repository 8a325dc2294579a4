//! Per-recipient control (revoke, expire, re-send one recipient's link, list their
//! state) and batch revoke or expire of shares.

use super::{Result, ServiceError, Sharelink};
use crate::ports::events::{RecipientChange, ShareEvent};
use crate::ports::mailer::{MailMessage, Secret};
use crate::ports::repository::RecipientAccess;
use crate::{Recipient, RecipientId, RecipientState, Share, ShareId, ShareState, UserId};

/// The most share ids one batch call takes.
pub const MAX_BATCH: usize = 500;

/// One recipient with where their link stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    /// The recipient (with last access time and binding).
    pub recipient: Recipient,
    /// The link's own state (the share's state applies on top).
    pub state: RecipientState,
}

/// What happened to one share of a batch.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The id asked for.
    pub id: ShareId,
    /// Done, or why not (`ShareNotFound` also for shares the actor may not manage).
    pub result: Result<()>,
}

impl Sharelink {
    /// A share's recipients with the state of each link and its last access.
    ///
    /// # Errors
    /// `ShareNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %id), err(Display, level = "debug"))]
    pub async fn recipient_statuses(
        &self,
        actor: &UserId,
        id: ShareId,
    ) -> Result<Vec<RecipientStatus>> {
        let recipients = self.recipients(actor, id).await?;
        let now = self.now();
        Ok(recipients
            .into_iter()
            .map(|recipient| RecipientStatus {
                state: recipient.state(now),
                recipient,
            })
            .collect())
    }

    /// Revokes one recipient's link: it then answers like an unknown link, and the
    /// share's other recipients keep theirs. Revoking again keeps the first time.
    ///
    /// # Errors
    /// `ShareNotFound`, `RecipientNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %share), err(Display, level = "debug"))]
    pub async fn revoke_recipient(
        &self,
        actor: &UserId,
        share: ShareId,
        id: RecipientId,
    ) -> Result<Recipient> {
        let (share, recipient) = self.managed_recipient(actor, share, id).await?;
        let now = self.now();
        let access = RecipientAccess {
            revoked_at: recipient.revoked_at.or(Some(now)),
            expires_at: recipient.expires_at,
        };
        self.change_recipient(actor, &share, id, access, RecipientChange::Revoked)
            .await
    }

    /// Expires one recipient's link now (an earlier expiry is kept); the share's other
    /// recipients keep theirs.
    ///
    /// # Errors
    /// `ShareNotFound`, `RecipientNotFound`, repository errors.
    #[tracing::instrument(skip_all, fields(share = %share), err(Display, level = "debug"))]
    pub async fn expire_recipient(
        &self,
        actor: &UserId,
        share: ShareId,
        id: RecipientId,
    ) -> Result<Recipient> {
        let (share, recipient) = self.managed_recipient(actor, share, id).await?;
        let now = self.now();
        let access = RecipientAccess {
            revoked_at: recipient.revoked_at,
            expires_at: Some(recipient.expires_at.map_or(now, |e| e.min(now))),
        };
        self.change_recipient(actor, &share, id, access, RecipientChange::Expired)
            .await
    }

    /// Sends one recipient a fresh link in a new invitation: the old link stops working,
    /// the browser binding is cleared, and a revoked or expired link is active again.
    ///
    /// # Errors
    /// `ShareNotFound`, `RecipientNotFound`, `NotActive` when the share is not active,
    /// `RecipientHasShare` when reactivating would break the site's one-active-share
    /// rule, mail and repository errors.
    #[tracing::instrument(skip_all, fields(share = %share), err(Display, level = "debug"))]
    pub async fn resend_recipient(
        &self,
        actor: &UserId,
        share: ShareId,
        id: RecipientId,
        message: Option<String>,
    ) -> Result<Recipient> {
        let (share, recipient) = self.managed_recipient(actor, share, id).await?;
        let sender = self.actor(actor).await?;
        let now = self.now();
        if !matches!(
            share.state(now),
            ShareState::Active | ShareState::NotYetActive
        ) {
            return Err(ServiceError::NotActive);
        }
        if recipient.state(now) != RecipientState::Active
            && self
                .site_shared()
                .await?
                .settings
                .one_active_share_per_recipient_item
        {
            for item in &share.items {
                let others = self
                    .ports
                    .repo
                    .active_recipient_shares(&recipient.email, item.rights_path(), now)
                    .await?;
                if !others.is_empty() {
                    return Err(ServiceError::RecipientHasShare {
                        email: recipient.email.clone(),
                        item: item.display_name().to_owned(),
                    });
                }
            }
        }
        let code = self.token(32);
        self.ports.repo.replace_link_code(id, &code, now).await?;
        let after = self
            .change_recipient(
                actor,
                &share,
                id,
                RecipientAccess::default(),
                RecipientChange::Resent,
            )
            .await?;
        let mail = self
            .mail_about(
                &share,
                recipient.email.clone(),
                MailMessage::Invitation {
                    share_name: share.settings.name.clone(),
                    sender: sender.display_name,
                    message,
                    link: Secret(self.recipient_link(&share, &code)),
                    expires_at: share.settings.schedule.expires_at,
                },
            )
            .await?;
        self.post_mail(&share, mail, None).await?;
        Ok(after)
    }

    /// Revokes several shares (see [`Sharelink::revoke`]); each id gets its own outcome,
    /// in the order given (a repeated id is done once).
    ///
    /// # Errors
    /// `BatchTooLarge` over [`MAX_BATCH`] ids, `UnknownUser`, `UserDisabled`.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn revoke_shares(
        &self,
        actor: &UserId,
        ids: Vec<ShareId>,
    ) -> Result<Vec<BatchOutcome>> {
        let ids = self.batch(actor, ids).await?;
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self.revoke(actor, id).await;
            outcomes.push(BatchOutcome { id, result });
        }
        Ok(outcomes)
    }

    /// Expires several shares now (see [`Sharelink::expire`]); each id gets its own
    /// outcome, in the order given (a repeated id is done once).
    ///
    /// # Errors
    /// `BatchTooLarge` over [`MAX_BATCH`] ids, `UnknownUser`, `UserDisabled`.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn expire_shares(
        &self,
        actor: &UserId,
        ids: Vec<ShareId>,
    ) -> Result<Vec<BatchOutcome>> {
        let ids = self.batch(actor, ids).await?;
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self.expire(actor, id).await.map(|_| ());
            outcomes.push(BatchOutcome { id, result });
        }
        Ok(outcomes)
    }

    /// The ids of a batch, checked and without repeats.
    async fn batch(&self, actor: &UserId, mut ids: Vec<ShareId>) -> Result<Vec<ShareId>> {
        if ids.len() > MAX_BATCH {
            return Err(ServiceError::BatchTooLarge { max: MAX_BATCH });
        }
        self.actor(actor).await?;
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        Ok(ids)
    }

    /// The share and one of its recipients, if the actor may manage the share.
    async fn managed_recipient(
        &self,
        actor: &UserId,
        share: ShareId,
        id: RecipientId,
    ) -> Result<(Share, Recipient)> {
        let (_, share) = self.managed(actor, share).await?;
        let recipient = self
            .ports
            .repo
            .get_recipient(share.id, id)
            .await?
            .ok_or(ServiceError::RecipientNotFound)?;
        Ok((share, recipient))
    }

    async fn change_recipient(
        &self,
        actor: &UserId,
        share: &Share,
        id: RecipientId,
        access: RecipientAccess,
        change: RecipientChange,
    ) -> Result<Recipient> {
        let after = self.ports.repo.set_recipient_access(id, access).await?;
        self.publish(
            &share.owner,
            ShareEvent::RecipientChanged {
                share: share.id,
                recipient: id,
                change,
                by: actor.clone(),
                at: self.now(),
            },
        )
        .await?;
        Ok(after)
    }
}

//! [`MailQueue`] over SQL (`sl_mail_queue`). A claim is one conditional `UPDATE` per
//! candidate row (pending, due, lease ended), so workers in several processes never hold
//! the same mail; an outcome is one conditional `UPDATE` naming the claim's attempt
//! number, so a worker whose lease ran out cannot overwrite the next claim's outcome.

use super::*;
use crate::entity::queued_mail;
use sharelink_core::ports::{
    Failure, MailQuery, MailQueue, MailState, NewQueuedMail, QueuedMail, QueuedMailId,
};

use queued_mail::Column as Q;

/// A stored row back into the domain.
fn queued_from(m: queued_mail::Model) -> Result<QueuedMail> {
    Ok(QueuedMail {
        id: QueuedMailId(m.id),
        mail: from_json(&m.mail)?,
        share: m.share_id.map(ShareId),
        owner: m
            .owner
            .as_deref()
            .map(|o| parse(o, UserId::parse))
            .transpose()?,
        not_after: opt_instant(m.not_after)?,
        state: MailState::parse(&m.state)
            .ok_or_else(|| crate::error::corrupt(format!("unknown mail state `{}`", m.state)))?,
        attempts: unsigned(m.attempts)?,
        next_attempt_at: instant(m.next_attempt_at)?,
        leased_until: opt_instant(m.leased_until)?,
        last_error: m.last_error,
        queued_at: instant(m.queued_at)?,
        updated_at: instant(m.updated_at)?,
    })
}

/// The condition "still held by the claim numbered `attempts`".
fn held(id: QueuedMailId, attempts: u32) -> Condition {
    Condition::all()
        .add(Q::Id.eq(id.0))
        .add(Q::State.eq(MailState::Pending.as_str()))
        .add(Q::Attempts.eq(i64::from(attempts)))
}

/// The condition "pending, due at `now`, not leased".
fn due(now: i64) -> Condition {
    Condition::all()
        .add(Q::State.eq(MailState::Pending.as_str()))
        .add(Q::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(Q::LeasedUntil.is_null())
                .add(Q::LeasedUntil.lte(now)),
        )
}

impl SqlStore {
    /// The mail queue over this store's pool.
    pub fn mail_queue(&self) -> std::sync::Arc<dyn MailQueue> {
        std::sync::Arc::new(self.clone())
    }

    async fn mail_row(&self, id: QueuedMailId) -> Result<Option<queued_mail::Model>> {
        Ok(queued_mail::Entity::find_by_id(id.0)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next())
    }

    /// Ends a row whose mail this version cannot read (written by a newer one, or
    /// damaged), so it neither blocks the queue nor is retried forever.
    async fn bury(&self, id: i64, attempts: i64, why: &RepoError) -> Result<()> {
        queued_mail::Entity::update_many()
            .col_expr(Q::State, Expr::value(MailState::Dead.as_str()))
            .col_expr(Q::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(Q::LastError, Expr::value(why.to_string()))
            .filter(Q::Id.eq(id))
            .filter(Q::Attempts.eq(attempts))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
    }
}

#[async_trait]
impl MailQueue for SqlStore {
    async fn enqueue(&self, new: NewQueuedMail) -> Result<QueuedMail> {
        let at = nanos(new.queued_at)?;
        let row = queued_mail::ActiveModel {
            id: NotSet,
            share_id: Set(new.share.map(|s| s.0)),
            owner: Set(new.owner.as_ref().map(|o| o.as_str().to_owned())),
            recipient: Set(new.mail.to.as_str().to_owned()),
            kind: Set(new.mail.message.kind().to_owned()),
            mail: Set(to_json(&new.mail)?),
            state: Set(MailState::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(at),
            leased_until: Set(None),
            not_after: Set(opt_nanos(new.not_after)?),
            last_error: Set(None),
            queued_at: Set(at),
            updated_at: Set(at),
        };
        let id = queued_mail::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(QueuedMail::pending(QueuedMailId(id), new))
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedMail>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (now, until) = (nanos(now)?, nanos(lease_until)?);
        let candidates: Vec<i64> = queued_mail::Entity::find()
            .select_only()
            .column(Q::Id)
            .filter(due(now))
            .order_by_asc(Q::NextAttemptAt)
            .order_by_asc(Q::Id)
            .limit(u64::from(limit))
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?;
        let mut claimed = Vec::new();
        for id in candidates {
            // Another worker may have taken it since the select: the update says who won.
            let won = retry_transient(|| async {
                Ok(queued_mail::Entity::update_many()
                    .col_expr(Q::Attempts, Expr::col(Q::Attempts).add(1))
                    .col_expr(Q::LeasedUntil, Expr::value(until))
                    .filter(Q::Id.eq(id))
                    .filter(due(now))
                    .exec(self.connection())
                    .await
                    .map_err(DbError)?
                    .rows_affected
                    == 1)
            })
            .await?;
            if !won {
                continue;
            }
            let Some(row) = self.mail_row(QueuedMailId(id)).await? else {
                continue;
            };
            let attempts = row.attempts;
            match queued_from(row) {
                Ok(mail) => claimed.push(mail),
                Err(e) => self.bury(id, attempts, &e).await?,
            }
        }
        Ok(claimed)
    }

    async fn mark_sent(&self, id: QueuedMailId, attempts: u32, at: OffsetDateTime) -> Result<bool> {
        let done = queued_mail::Entity::update_many()
            .col_expr(Q::State, Expr::value(MailState::Sent.as_str()))
            .col_expr(Q::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(Q::LastError, Expr::value(Option::<String>::None))
            .col_expr(Q::UpdatedAt, Expr::value(nanos(at)?))
            .filter(held(id, attempts))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn mark_failed(
        &self,
        id: QueuedMailId,
        attempts: u32,
        error: &str,
        failure: Failure,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let mut update = queued_mail::Entity::update_many()
            .col_expr(Q::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(Q::LastError, Expr::value(error.to_owned()))
            .col_expr(Q::UpdatedAt, Expr::value(nanos(at)?));
        update = match failure {
            Failure::RetryAt(due) => update.col_expr(Q::NextAttemptAt, Expr::value(nanos(due)?)),
            Failure::Dead => update.col_expr(Q::State, Expr::value(MailState::Dead.as_str())),
            Failure::Expired => update.col_expr(Q::State, Expr::value(MailState::Expired.as_str())),
            _ => return Err(crate::error::corrupt("an outcome this store does not know")),
        };
        let done = update
            .filter(held(id, attempts))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn get_mail(&self, id: QueuedMailId) -> Result<Option<QueuedMail>> {
        self.mail_row(id).await?.map(queued_from).transpose()
    }

    async fn list_mail(&self, query: &MailQuery) -> Result<Vec<QueuedMail>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut find = queued_mail::Entity::find();
        if let Some(state) = query.state {
            find = find.filter(Q::State.eq(state.as_str()));
        }
        if let Some(owner) = &query.owner {
            find = find.filter(Q::Owner.eq(owner.as_str()));
        }
        if let Some(before) = query.before {
            find = find.filter(Q::Id.lt(before.0));
        }
        find.order_by_desc(Q::Id)
            .limit(u64::from(query.limit))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(queued_from)
            .collect()
    }

    async fn retry_mail(&self, id: QueuedMailId, now: OffsetDateTime) -> Result<bool> {
        let now = nanos(now)?;
        let done = queued_mail::Entity::update_many()
            .col_expr(Q::State, Expr::value(MailState::Pending.as_str()))
            .col_expr(Q::Attempts, Expr::value(0_i64))
            .col_expr(Q::NextAttemptAt, Expr::value(now))
            .col_expr(Q::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(Q::UpdatedAt, Expr::value(now))
            .filter(Q::Id.eq(id.0))
            .filter(Q::State.is_in([MailState::Dead.as_str(), MailState::Expired.as_str()]))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }
}

//! [`ShareRepository`](sharelink_core::ports::ShareRepository) over SQL: the conversions and atomic statements the stores share;
//! each store of the port is implemented in its own file beside this one.
//!
//! Every rule that must hold under concurrency (use counts, upload quota, device and
//! browser binding, reminders, one-time codes, attempt counters) is decided by one
//! conditional statement, never by reading then writing.
//!
//! Lookups by a unique key use `.all(…)` and take the first row rather than `.one(…)`:
//! `.one` adds `LIMIT ?`, and SQLite re-prepares a statement whose LIMIT is a bound
//! parameter on every execution (its query planner looks at the bound value), which cost
//! more than the query itself on the download path.

mod digest;
mod lease;
mod mail_queue;
mod recipients;
mod shares;
mod site;
mod templates;
mod visitors;
mod webhooks;

use crate::SqlStore;
use crate::codec::{
    big, dedup_key, from_json, instant, like_contains, nanos, opt_instant, opt_nanos, parse,
    to_json, unsigned,
};
use crate::entity::{
    attempt, code, creation, log_event, recipient, registration, reservation, session, share,
    template,
};
use crate::error::{DbError, retry_transient};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use sharelink_core::model::form::Registration;
use sharelink_core::ports::{
    AttemptKey, CodeCheck, NewRecipient, NewShare, OneTimeCode, RecipientAccess, RepoError,
    Reservation, ShareCursor, SharePage, ShareQuery, StoredRegistration, Template, TemplateBody,
};
use sharelink_core::{
    AutofillCode, BrowserId, DeviceId, Email, PasswordHash, Recipient, RecipientId, RegistrationId,
    SessionId, Share, ShareId, SharePath, ShareSettings, ShareState, UrlKey, UserId,
    VisitorSession,
};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

type Result<T> = std::result::Result<T, RepoError>;

/// Whether a database error is a unique-constraint violation.
fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A stored share back into the domain.
fn share_from(m: share::Model) -> Result<Share> {
    Ok(Share {
        id: ShareId(m.id),
        key: parse(&m.key_text, UrlKey::parse)?,
        owner: parse(&m.owner, UserId::parse)?,
        items: from_json(&m.items)?,
        requested: from_json(&m.requested)?,
        settings: from_json(&m.settings)?,
        adjustments: from_json(&m.adjustments)?,
        password_hash: m
            .password_hash
            .as_deref()
            .map(|h| parse(h, PasswordHash::parse))
            .transpose()?,
        autofill_code: m.autofill_code.map(AutofillCode::from_stored),
        bound_device: m
            .bound_device
            .as_deref()
            .map(|d| parse(d, DeviceId::parse))
            .transpose()?,
        uses: unsigned(m.uses)?,
        uploaded_bytes: unsigned(m.uploaded_bytes)?,
        reminder_sent_at: opt_instant(m.reminder_sent_at)?,
        created_at: instant(m.created_at)?,
        updated_at: instant(m.updated_at)?,
    })
}

/// The columns derived from the effective settings, which queries filter on.
struct Derived {
    name_folded: String,
    starts_at: Option<i64>,
    expires_at: Option<i64>,
    use_max: Option<i64>,
}

fn derived(settings: &ShareSettings) -> Result<Derived> {
    Ok(Derived {
        name_folded: settings.name.to_lowercase(),
        starts_at: opt_nanos(settings.schedule.starts_at)?,
        expires_at: opt_nanos(settings.schedule.expires_at)?,
        use_max: settings.use_limit.map(|l| i64::from(l.max)),
    })
}

fn recipient_from(m: recipient::Model) -> Result<Recipient> {
    Ok(Recipient {
        id: RecipientId(m.id),
        share_id: ShareId(m.share_id),
        email: parse(&m.email, Email::parse)?,
        company: m.company,
        note: m.note,
        sent_at: opt_instant(m.sent_at)?,
        link_code: m.link_code,
        bound_browser: m
            .bound_browser
            .as_deref()
            .map(|b| parse(b, BrowserId::parse))
            .transpose()?,
        revoked_at: opt_instant(m.revoked_at)?,
        expires_at: opt_instant(m.expires_at)?,
        last_access_at: opt_instant(m.last_access_at)?,
    })
}

fn template_from(m: template::Model) -> Result<Template> {
    Ok(Template {
        id: m.id,
        owner: parse(&m.owner, UserId::parse)?,
        name: m.name,
        body: from_json(&m.body)?,
    })
}

/// The condition "in `state` at `now`", in SQL (the same order of precedence as
/// [`Share::state`]: expired, then exhausted, then not yet active).
pub(crate) fn state_condition(state: ShareState, now: i64) -> Condition {
    use share::Column as S;
    let not_expired = Condition::any()
        .add(S::ExpiresAt.is_null())
        .add(S::ExpiresAt.gt(now));
    let not_exhausted = Condition::any()
        .add(S::UseMax.is_null())
        .add(Expr::col(S::Uses).lt(Expr::col(S::UseMax)));
    match state {
        ShareState::Expired => Condition::all()
            .add(S::ExpiresAt.is_not_null())
            .add(S::ExpiresAt.lte(now)),
        ShareState::Exhausted => Condition::all()
            .add(not_expired)
            .add(S::UseMax.is_not_null())
            .add(Expr::col(S::Uses).gte(Expr::col(S::UseMax))),
        ShareState::NotYetActive => Condition::all()
            .add(not_expired)
            .add(not_exhausted)
            .add(S::StartsAt.is_not_null())
            .add(S::StartsAt.gt(now)),
        ShareState::Active => Condition::all().add(not_expired).add(not_exhausted).add(
            Condition::any()
                .add(S::StartsAt.is_null())
                .add(S::StartsAt.lte(now)),
        ),
    }
}

/// The stored form of an attempt counter's client: `*` for all clients, else `=client`
/// (shortened with a checksum if it would not fit the indexed column).
/// A UTC day as stored: days since 1970-01-01.
fn day_number(day: time::Date) -> i64 {
    /// The Julian day number of 1970-01-01.
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    i64::from(day.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

fn attempt_client(key: &AttemptKey) -> String {
    match &key.client {
        None => "*".to_owned(),
        Some(c) => crate::codec::fit(&format!("={c}"), 250),
    }
}

/// Start of the fixed window holding `now`.
fn window_start(now: OffsetDateTime, window: Duration) -> Result<i64> {
    let width = i64::try_from(window.whole_nanoseconds().max(1))
        .map_err(|_| crate::error::out_of_range("an attempt window"))?;
    Ok(nanos(now)?.div_euclid(width) * width)
}

fn attempt_filter(key: &AttemptKey) -> Condition {
    Condition::all()
        .add(attempt::Column::ShareId.eq(key.share_id.0))
        .add(attempt::Column::Scope.eq(key.scope))
        .add(attempt::Column::Client.eq(attempt_client(key)))
}

impl SqlStore {
    async fn share_exists(&self, id: ShareId) -> Result<bool> {
        let n = share::Entity::find_by_id(id.0)
            .count(self.connection())
            .await
            .map_err(DbError)?;
        Ok(n > 0)
    }

    /// `Ok(false)` if the share exists, else `NotFound`.
    async fn refused_or_missing(&self, id: ShareId) -> Result<bool> {
        if self.share_exists(id).await? {
            Ok(false)
        } else {
            Err(RepoError::NotFound("share"))
        }
    }

    /// One use without a dedup key.
    async fn reserve_plain(&self, id: ShareId, max: i64) -> Result<Reservation> {
        let done = share::Entity::update_many()
            .col_expr(share::Column::Uses, Expr::col(share::Column::Uses).add(1))
            .filter(share::Column::Id.eq(id.0))
            .filter(share::Column::Uses.lt(max))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        if done.rows_affected == 1 {
            return Ok(Reservation::Reserved);
        }
        self.refused_or_missing(id).await?;
        Ok(Reservation::Exhausted)
    }

    /// One use under a dedup key: the conditional increment (which locks the share row
    /// first, so reservations and refunds always lock in the same order) and the unique
    /// dedup row commit together, or neither does.
    async fn reserve_dedup(&self, id: ShareId, max: i64, dedup: &str) -> Result<Reservation> {
        let dedup = dedup_key(dedup);
        let txn = self.connection().begin().await.map_err(DbError)?;
        let done = share::Entity::update_many()
            .col_expr(share::Column::Uses, Expr::col(share::Column::Uses).add(1))
            .filter(share::Column::Id.eq(id.0))
            .filter(share::Column::Uses.lt(max))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        if done.rows_affected == 1 {
            let row = reservation::ActiveModel {
                share_id: Set(id.0),
                dedup: Set(dedup.clone()),
            };
            return match reservation::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
            {
                Ok(_) => {
                    txn.commit().await.map_err(DbError)?;
                    Ok(Reservation::Reserved)
                }
                Err(e) if is_unique_violation(&e) => {
                    txn.rollback().await.map_err(DbError)?;
                    Ok(Reservation::AlreadyCounted)
                }
                Err(e) => Err(DbError(e).into()),
            };
        }
        txn.rollback().await.map_err(DbError)?;
        let counted = reservation::Entity::find_by_id((id.0, dedup))
            .count(self.connection())
            .await
            .map_err(DbError)?;
        if counted > 0 {
            return Ok(Reservation::AlreadyCounted);
        }
        self.refused_or_missing(id).await?;
        Ok(Reservation::Exhausted)
    }

    async fn delete_share_once(&self, id: ShareId) -> Result<bool> {
        let txn = self.connection().begin().await.map_err(DbError)?;
        // The share row first: the same lock order as use reservations. Its foreign keys
        // cascade; the explicit deletes below also cover the tables without one.
        let deleted = share::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(DbError)?
            .rows_affected;
        reservation::Entity::delete_many()
            .filter(reservation::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        attempt::Entity::delete_many()
            .filter(attempt::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        code::Entity::delete_many()
            .filter(code::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        session::Entity::delete_many()
            .filter(session::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        registration::Entity::delete_many()
            .filter(registration::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        recipient::Entity::delete_many()
            .filter(recipient::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        log_event::Entity::delete_many()
            .filter(log_event::Column::ShareId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        txn.commit().await.map_err(DbError)?;
        Ok(deleted > 0)
    }

    async fn check_code_once(
        &self,
        session: &SessionId,
        guess: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck> {
        use code::Column as C;
        let now = nanos(now)?;
        let db = self.connection();
        let expired = code::Entity::delete_many()
            .filter(C::SessionId.eq(session.as_str()))
            .filter(C::ExpiresAt.lte(now))
            .exec(db)
            .await
            .map_err(DbError)?;
        if expired.rows_affected > 0 {
            return Ok(CodeCheck::Expired);
        }
        let Some(pending) = code::Entity::find_by_id(session.as_str())
            .all(db)
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
        else {
            return Ok(CodeCheck::Missing);
        };
        if pending.attempts_left > 0 && pending.code == guess {
            // Whoever deletes the row is the one whose code succeeds.
            let used = code::Entity::delete_many()
                .filter(C::SessionId.eq(session.as_str()))
                .filter(C::Code.eq(guess))
                .filter(C::Email.eq(pending.email.as_str()))
                .filter(C::AttemptsLeft.gt(0))
                .filter(C::ExpiresAt.gt(now))
                .exec(db)
                .await
                .map_err(DbError)?;
            return Ok(if used.rows_affected == 1 {
                CodeCheck::Valid(parse(&pending.email, Email::parse)?)
            } else if pending.expires_at <= now {
                CodeCheck::Expired
            } else {
                CodeCheck::Missing
            });
        }
        // A wrong guess spends an attempt; the count is read under the row lock the
        // update took, so concurrent guesses each see their own count.
        let txn = db.begin().await.map_err(DbError)?;
        code::Entity::update_many()
            .col_expr(C::AttemptsLeft, Expr::col(C::AttemptsLeft).sub(1))
            .filter(C::SessionId.eq(session.as_str()))
            .filter(C::AttemptsLeft.gt(0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        let left: Option<i64> = code::Entity::find_by_id(session.as_str())
            .select_only()
            .column(C::AttemptsLeft)
            .into_tuple()
            .all(&txn)
            .await
            .map_err(DbError)?
            .into_iter()
            .next();
        txn.commit().await.map_err(DbError)?;
        Ok(match left {
            Some(left) => CodeCheck::Wrong {
                attempts_left: unsigned(Ord::max(left, 0))?,
            },
            None => CodeCheck::Missing,
        })
    }

    async fn hit_attempt_once(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32> {
        use attempt::Column as A;
        let start = window_start(now, window)?;
        let client = attempt_client(key);
        let stored = |c: A| Expr::col((attempt::Entity, c));
        // One upsert: a new row, one more hit in the current window, or a fresh window.
        // (MySQL assigns left to right, so `hits` is set before `window_start`.)
        let upsert = Query::insert()
            .into_table(attempt::Entity)
            .columns([A::ShareId, A::Scope, A::Client, A::WindowStart, A::Hits])
            .values_panic([
                key.share_id.0.into(),
                key.scope.into(),
                client.clone().into(),
                start.into(),
                1i64.into(),
            ])
            .on_conflict(
                OnConflict::columns([A::ShareId, A::Scope, A::Client])
                    .value(
                        A::Hits,
                        Expr::case(stored(A::WindowStart).gte(start), stored(A::Hits).add(1))
                            .finally(1),
                    )
                    .value(
                        A::WindowStart,
                        Expr::case(stored(A::WindowStart).gte(start), stored(A::WindowStart))
                            .finally(start),
                    )
                    .to_owned(),
            )
            .to_owned();
        let txn = self.connection().begin().await.map_err(DbError)?;
        txn.execute(&upsert).await.map_err(DbError)?;
        let hits: Option<i64> = attempt::Entity::find()
            .select_only()
            .column(A::Hits)
            .filter(attempt_filter(key))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(DbError)?
            .into_iter()
            .next();
        txn.commit().await.map_err(DbError)?;
        Ok(u32::try_from(hits.unwrap_or(0)).unwrap_or(u32::MAX))
    }

    /// Counts one creation if fewer than `max` are counted for the owner and day: the row
    /// is made if missing (a no-op when it exists), then one conditional increment decides.
    async fn count_creation_once(&self, owner: &UserId, day: time::Date, max: i64) -> Result<bool> {
        use creation::Column as C;
        let day = day_number(day);
        let row = creation::ActiveModel {
            owner: Set(owner.as_str().to_owned()),
            day: Set(day),
            count: Set(0),
        };
        creation::Entity::insert(row)
            .on_conflict_do_nothing_on([C::Owner, C::Day])
            .exec_without_returning(self.connection())
            .await
            .map_err(DbError)?;
        let done = creation::Entity::update_many()
            .col_expr(C::Count, Expr::col(C::Count).add(1))
            .filter(C::Owner.eq(owner.as_str()))
            .filter(C::Day.eq(day))
            .filter(C::Count.lt(max))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    /// Refunds the use counted under a dedup key, once. The share row is locked first
    /// (by the decrement, as when reserving); then the dedup row is removed. If there was
    /// none (never counted, or another refund won), the decrement is rolled back.
    async fn refund_dedup(&self, id: ShareId, dedup: &str) -> Result<()> {
        use share::Column as S;
        let txn = self.connection().begin().await.map_err(DbError)?;
        share::Entity::update_many()
            .col_expr(S::Uses, Expr::col(S::Uses).sub(1))
            .filter(S::Id.eq(id.0))
            .filter(S::Uses.gt(0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        let removed = reservation::Entity::delete_many()
            .filter(reservation::Column::ShareId.eq(id.0))
            .filter(reservation::Column::Dedup.eq(dedup))
            .exec(&txn)
            .await
            .map_err(DbError)?
            .rows_affected;
        if removed == 0 {
            txn.rollback().await.map_err(DbError)?;
        } else {
            txn.commit().await.map_err(DbError)?;
        }
        Ok(())
    }
}

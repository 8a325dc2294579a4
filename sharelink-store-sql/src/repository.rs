//! [`ShareRepository`] over SQL. Every rule that must hold under concurrency (use counts,
//! upload quota, device and browser binding, reminders, one-time codes, attempt counters)
//! is decided by one conditional statement, never by reading then writing.
//!
//! Lookups by a unique key use `.all(…)` and take the first row rather than `.one(…)`:
//! `.one` adds `LIMIT ?`, and SQLite re-prepares a statement whose LIMIT is a bound
//! parameter on every execution (its query planner looks at the bound value), which cost
//! more than the query itself on the download path.

use crate::SqlStore;
use crate::codec::{
    big, dedup_key, from_json, instant, like_contains, nanos, opt_instant, opt_nanos, parse,
    to_json, unsigned,
};
use crate::entity::{
    attempt, code, log_event, recipient, registration, reservation, session, share, template,
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
    AttemptKey, CodeCheck, NewRecipient, NewShare, OneTimeCode, RepoError, Reservation,
    ShareCursor, SharePage, ShareQuery, ShareRepository, StoredRegistration, Template,
    TemplateBody,
};
use sharelink_core::{
    BrowserId, DeviceId, Email, PasswordHash, Recipient, RecipientId, RegistrationId, SessionId,
    Share, ShareId, SharePath, ShareSettings, ShareState, UrlKey, UserId, VisitorSession,
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

#[async_trait]
impl ShareRepository for SqlStore {
    async fn insert_share(&self, new: NewShare) -> Result<Share> {
        let d = derived(&new.settings)?;
        let created = nanos(new.created_at)?;
        let row = share::ActiveModel {
            id: NotSet,
            key_text: Set(new.key.as_str().to_owned()),
            key_folded: Set(new.key.folded()),
            owner: Set(new.owner.as_str().to_owned()),
            name_folded: Set(d.name_folded),
            items: Set(to_json(&new.items)?),
            requested: Set(to_json(&new.requested)?),
            settings: Set(to_json(&new.settings)?),
            adjustments: Set(to_json(&new.adjustments)?),
            password_hash: Set(new.password_hash.as_ref().map(|h| h.as_str().to_owned())),
            created_at: Set(created),
            updated_at: Set(created),
            starts_at: Set(d.starts_at),
            expires_at: Set(d.expires_at),
            use_max: Set(d.use_max),
            uses: Set(0),
            uploaded_bytes: Set(0),
            bound_device: Set(None),
            reminder_sent_at: Set(None),
        };
        let id = match share::Entity::insert(row).exec(self.connection()).await {
            Ok(done) => done.last_insert_id,
            Err(e) if is_unique_violation(&e) => return Err(RepoError::KeyTaken),
            Err(e) => return Err(DbError(e).into()),
        };
        Ok(Share {
            id: ShareId(id),
            key: new.key,
            owner: new.owner,
            items: new.items,
            requested: new.requested,
            settings: new.settings,
            adjustments: new.adjustments,
            password_hash: new.password_hash,
            bound_device: None,
            uses: 0,
            uploaded_bytes: 0,
            reminder_sent_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
        })
    }

    async fn get_share(&self, id: ShareId) -> Result<Option<Share>> {
        share::Entity::find_by_id(id.0)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(share_from)
            .transpose()
    }

    async fn find_by_key(&self, key: &UrlKey) -> Result<Option<Share>> {
        share::Entity::find()
            .filter(share::Column::KeyFolded.eq(key.folded()))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(share_from)
            .transpose()
    }

    async fn update_share(&self, s: &Share) -> Result<()> {
        use share::Column as S;
        let d = derived(&s.settings)?;
        // A changed expiry re-arms the reminder. This comes first: MySQL evaluates the
        // assignments left to right, so `expires_at` must still hold the old value.
        let same_expiry = Expr::col(S::ExpiresAt)
            .if_null(i64::MIN)
            .eq(Expr::val(d.expires_at.unwrap_or(i64::MIN)));
        let done = share::Entity::update_many()
            .col_expr(
                S::ReminderSentAt,
                Expr::case(same_expiry, Expr::col(S::ReminderSentAt))
                    .finally(Expr::value(Option::<i64>::None))
                    .into(),
            )
            .col_expr(S::Items, Expr::value(to_json(&s.items)?))
            .col_expr(S::Requested, Expr::value(to_json(&s.requested)?))
            .col_expr(S::Settings, Expr::value(to_json(&s.settings)?))
            .col_expr(S::Adjustments, Expr::value(to_json(&s.adjustments)?))
            .col_expr(
                S::PasswordHash,
                Expr::value(s.password_hash.as_ref().map(|h| h.as_str().to_owned())),
            )
            .col_expr(S::UpdatedAt, Expr::value(nanos(s.updated_at)?))
            .col_expr(S::NameFolded, Expr::value(d.name_folded))
            .col_expr(S::StartsAt, Expr::value(d.starts_at))
            .col_expr(S::ExpiresAt, Expr::value(d.expires_at))
            .col_expr(S::UseMax, Expr::value(d.use_max))
            .filter(S::Id.eq(s.id.0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        if done.rows_affected == 0 {
            return Err(RepoError::NotFound("share"));
        }
        Ok(())
    }

    async fn delete_share(&self, id: ShareId) -> Result<bool> {
        retry_transient(|| self.delete_share_once(id)).await
    }

    async fn list_shares(&self, q: &ShareQuery) -> Result<SharePage> {
        use share::Column as S;
        let limit = q.limit.clamp(1, 1000);
        let mut select = share::Entity::find();
        if let Some(owner) = &q.owner {
            select = select.filter(S::Owner.eq(owner.as_str()));
        }
        if let Some(text) = &q.name_contains {
            let pattern = LikeExpr::new(like_contains(text)).escape('\\');
            select = select.filter(Expr::col(S::NameFolded).like(pattern));
        }
        if let Some(from) = q.created_from {
            select = select.filter(S::CreatedAt.gte(nanos(from)?));
        }
        if let Some(to) = q.created_to {
            select = select.filter(S::CreatedAt.lt(nanos(to)?));
        }
        if let Some(state) = q.state {
            let now = q.now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
            select = select.filter(state_condition(state, nanos(now)?));
        }
        if let Some(after) = q.after {
            let at = nanos(after.created_at)?;
            select = select.filter(
                Condition::any().add(S::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(S::CreatedAt.eq(at))
                        .add(S::Id.lt(after.id.0)),
                ),
            );
        }
        let rows = select
            .order_by_desc(S::CreatedAt)
            .order_by_desc(S::Id)
            .limit(u64::from(limit) + 1)
            .all(self.connection())
            .await
            .map_err(DbError)?;
        let more = rows.len() > limit as usize;
        let shares = rows
            .into_iter()
            .take(limit as usize)
            .map(share_from)
            .collect::<Result<Vec<_>>>()?;
        let next = match shares.last() {
            Some(last) if more => Some(ShareCursor {
                created_at: last.created_at,
                id: last.id,
            }),
            _ => None,
        };
        Ok(SharePage { shares, next })
    }

    async fn count_created_since(&self, owner: &UserId, since: OffsetDateTime) -> Result<u32> {
        let n = share::Entity::find()
            .filter(share::Column::Owner.eq(owner.as_str()))
            .filter(share::Column::CreatedAt.gte(nanos(since)?))
            .count(self.connection())
            .await
            .map_err(DbError)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn reserve_use(&self, id: ShareId, max: u32, dedup: Option<&str>) -> Result<Reservation> {
        match dedup {
            None => self.reserve_plain(id, i64::from(max)).await,
            Some(d) => retry_transient(|| self.reserve_dedup(id, i64::from(max), d)).await,
        }
    }

    async fn refund_use(&self, id: ShareId, dedup: Option<&str>) -> Result<()> {
        use share::Column as S;
        let Some(dedup) = dedup.map(dedup_key) else {
            share::Entity::update_many()
                .col_expr(S::Uses, Expr::col(S::Uses).sub(1))
                .filter(S::Id.eq(id.0))
                .filter(S::Uses.gt(0))
                .exec(self.connection())
                .await
                .map_err(DbError)?;
            return Ok(());
        };
        retry_transient(|| self.refund_dedup(id, &dedup)).await
    }

    async fn add_uploaded_bytes(&self, id: ShareId, bytes: u64, max: Option<u64>) -> Result<bool> {
        use share::Column as S;
        let mut update = share::Entity::update_many()
            .col_expr(
                S::UploadedBytes,
                Expr::col(S::UploadedBytes).add(big(bytes)?),
            )
            .filter(S::Id.eq(id.0));
        if let Some(max) = max {
            let Some(room) = max.checked_sub(bytes) else {
                return self.refused_or_missing(id).await;
            };
            let room = i64::try_from(room).unwrap_or(i64::MAX);
            update = update.filter(S::UploadedBytes.lte(room));
        }
        let done = update.exec(self.connection()).await.map_err(DbError)?;
        if done.rows_affected == 1 {
            return Ok(true);
        }
        self.refused_or_missing(id).await
    }

    async fn bind_device(&self, id: ShareId, device: &DeviceId) -> Result<bool> {
        use share::Column as S;
        share::Entity::update_many()
            .col_expr(S::BoundDevice, Expr::value(device.as_str()))
            .filter(S::Id.eq(id.0))
            .filter(S::BoundDevice.is_null())
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        let bound: Option<Option<String>> = share::Entity::find_by_id(id.0)
            .select_only()
            .column(S::BoundDevice)
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next();
        match bound {
            None => Err(RepoError::NotFound("share")),
            Some(b) => Ok(b.as_deref() == Some(device.as_str())),
        }
    }

    async fn mark_reminded(&self, id: ShareId, at: OffsetDateTime) -> Result<bool> {
        use share::Column as S;
        // Once per expiry: `update_share` clears the mark when the expiry changes.
        let done = share::Entity::update_many()
            .col_expr(S::ReminderSentAt, Expr::value(nanos(at)?))
            .filter(S::Id.eq(id.0))
            .filter(S::ReminderSentAt.is_null())
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn add_recipient(&self, r: NewRecipient) -> Result<Recipient> {
        let row = recipient::ActiveModel {
            id: NotSet,
            share_id: Set(r.share_id.0),
            email: Set(r.email.as_str().to_owned()),
            email_norm: Set(r.email.normalized()),
            company: Set(r.company.clone()),
            note: Set(r.note.clone()),
            sent_at: Set(opt_nanos(r.sent_at)?),
            link_code: Set(r.link_code.clone()),
            bound_browser: Set(None),
        };
        let id = recipient::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(Recipient {
            id: RecipientId(id),
            share_id: r.share_id,
            email: r.email,
            company: r.company,
            note: r.note,
            sent_at: r.sent_at,
            link_code: r.link_code,
            bound_browser: None,
        })
    }

    async fn list_recipients(&self, share: ShareId) -> Result<Vec<Recipient>> {
        recipient::Entity::find()
            .filter(recipient::Column::ShareId.eq(share.0))
            .order_by_asc(recipient::Column::Id)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(recipient_from)
            .collect()
    }

    async fn find_recipient(&self, share: ShareId, code: &str) -> Result<Option<Recipient>> {
        recipient::Entity::find()
            .filter(recipient::Column::ShareId.eq(share.0))
            .filter(recipient::Column::LinkCode.eq(code))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(recipient_from)
            .transpose()
    }

    async fn bind_recipient_browser(
        &self,
        id: RecipientId,
        browser: &BrowserId,
    ) -> Result<Recipient> {
        use recipient::Column as R;
        recipient::Entity::update_many()
            .col_expr(R::BoundBrowser, Expr::value(browser.as_str()))
            .filter(R::Id.eq(id.0))
            .filter(R::BoundBrowser.is_null())
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        recipient::Entity::find_by_id(id.0)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(recipient_from)
            .transpose()?
            .ok_or(RepoError::NotFound("recipient"))
    }

    async fn replace_link_code(
        &self,
        id: RecipientId,
        code: &str,
        sent_at: OffsetDateTime,
    ) -> Result<()> {
        use recipient::Column as R;
        let done = recipient::Entity::update_many()
            .col_expr(R::LinkCode, Expr::value(code))
            .col_expr(R::SentAt, Expr::value(nanos(sent_at)?))
            .col_expr(R::BoundBrowser, Expr::value(Option::<String>::None))
            .filter(R::Id.eq(id.0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        if done.rows_affected == 0 {
            return Err(RepoError::NotFound("recipient"));
        }
        Ok(())
    }

    async fn active_recipient_shares(
        &self,
        email: &Email,
        path: &SharePath,
        now: OffsetDateTime,
    ) -> Result<Vec<ShareId>> {
        let with_recipient = Query::select()
            .column(recipient::Column::ShareId)
            .from(recipient::Entity)
            .and_where(recipient::Column::EmailNorm.eq(email.normalized()))
            .to_owned();
        let rows: Vec<(i64, String)> = share::Entity::find()
            .select_only()
            .column(share::Column::Id)
            .column(share::Column::Items)
            .filter(share::Column::Id.in_subquery(with_recipient))
            .filter(state_condition(ShareState::Active, nanos(now)?))
            .order_by_asc(share::Column::Id)
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?;
        let mut ids = Vec::new();
        for (id, items) in rows {
            let items: Vec<sharelink_core::ShareItem> = from_json(&items)?;
            if items.iter().any(|i| &i.path == path) {
                ids.push(ShareId(id));
            }
        }
        Ok(ids)
    }

    async fn add_registration(
        &self,
        share: ShareId,
        reg: &Registration,
        at: OffsetDateTime,
        ip: Option<IpAddr>,
    ) -> Result<RegistrationId> {
        let row = registration::ActiveModel {
            id: NotSet,
            share_id: Set(share.0),
            answers: Set(to_json(reg)?),
            at: Set(nanos(at)?),
            ip: Set(ip.map(|i| i.to_string())),
        };
        let id = registration::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(RegistrationId(id))
    }

    async fn list_registrations(&self, share: ShareId) -> Result<Vec<StoredRegistration>> {
        registration::Entity::find()
            .filter(registration::Column::ShareId.eq(share.0))
            .order_by_asc(registration::Column::Id)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(|m| {
                Ok(StoredRegistration {
                    id: RegistrationId(m.id),
                    share_id: ShareId(m.share_id),
                    registration: from_json(&m.answers)?,
                    at: instant(m.at)?,
                    ip: m.ip.as_deref().map(|i| parse(i, str::parse)).transpose()?,
                })
            })
            .collect()
    }

    async fn insert_session(&self, s: &VisitorSession) -> Result<()> {
        let row = session::ActiveModel {
            id: Set(s.id.as_str().to_owned()),
            share_id: Set(s.share_id.0),
            created_at: Set(nanos(s.created_at)?),
            data: Set(to_json(s)?),
        };
        session::Entity::insert(row)
            .exec_without_returning(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
    }

    async fn get_session(&self, id: &SessionId) -> Result<Option<VisitorSession>> {
        session::Entity::find_by_id(id.as_str())
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(|m| from_json(&m.data))
            .transpose()
    }

    async fn update_session(&self, s: &VisitorSession) -> Result<()> {
        let done = session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(to_json(s)?))
            .filter(session::Column::Id.eq(s.id.as_str()))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        if done.rows_affected == 0 {
            return Err(RepoError::NotFound("session"));
        }
        Ok(())
    }

    async fn put_code(&self, c: &OneTimeCode) -> Result<()> {
        use code::Column as C;
        let row = code::ActiveModel {
            session_id: Set(c.session_id.as_str().to_owned()),
            share_id: Set(c.share_id.0),
            email: Set(c.email.as_str().to_owned()),
            code: Set(c.code.clone()),
            expires_at: Set(nanos(c.expires_at)?),
            attempts_left: Set(i64::from(c.attempts_left)),
        };
        code::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::SessionId)
                    .update_columns([C::ShareId, C::Email, C::Code, C::ExpiresAt, C::AttemptsLeft])
                    .to_owned(),
            )
            .exec_without_returning(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
    }

    async fn check_code(
        &self,
        session: &SessionId,
        guess: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck> {
        retry_transient(|| self.check_code_once(session, guess, now)).await
    }

    async fn hit_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32> {
        retry_transient(|| self.hit_attempt_once(key, now, window)).await
    }

    async fn attempts(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32> {
        let start = window_start(now, window)?;
        let hits: Option<i64> = attempt::Entity::find()
            .select_only()
            .column(attempt::Column::Hits)
            .filter(attempt_filter(key))
            .filter(attempt::Column::WindowStart.gte(start))
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next();
        Ok(u32::try_from(hits.unwrap_or(0)).unwrap_or(u32::MAX))
    }

    async fn release_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<()> {
        use attempt::Column as A;
        let start = window_start(now, window)?;
        attempt::Entity::update_many()
            .col_expr(A::Hits, Expr::col(A::Hits).sub(1))
            .filter(attempt_filter(key))
            .filter(A::WindowStart.gte(start))
            .filter(A::Hits.gt(0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &AttemptKey) -> Result<()> {
        attempt::Entity::delete_many()
            .filter(attempt_filter(key))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
    }

    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template> {
        let row = template::ActiveModel {
            id: NotSet,
            owner: Set(owner.as_str().to_owned()),
            name: Set(name.to_owned()),
            body: Set(to_json(body)?),
        };
        let id = template::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(Template {
            id,
            owner: owner.clone(),
            name: name.to_owned(),
            body: body.clone(),
        })
    }

    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>> {
        template::Entity::find()
            .filter(template::Column::Owner.eq(owner.as_str()))
            .order_by_asc(template::Column::Id)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(template_from)
            .collect()
    }

    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool> {
        let done = template::Entity::delete_many()
            .filter(template::Column::Owner.eq(owner.as_str()))
            .filter(template::Column::Id.eq(id))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected > 0)
    }
}

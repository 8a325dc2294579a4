//! [`ShareStore`] over SQL.

use super::*;
use sharelink_core::ports::ShareStore;

#[async_trait]
impl ShareStore for SqlStore {
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
            autofill_code: Set(new.autofill_code.as_ref().map(|c| c.expose().to_owned())),
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
            autofill_code: new.autofill_code,
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
            .col_expr(
                S::AutofillCode,
                Expr::value(s.autofill_code.as_ref().map(|c| c.expose().to_owned())),
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

    async fn count_creation(&self, owner: &UserId, day: time::Date, max: u32) -> Result<bool> {
        retry_transient(|| self.count_creation_once(owner, day, i64::from(max))).await
    }

    async fn uncount_creation(&self, owner: &UserId, day: time::Date) -> Result<()> {
        use creation::Column as C;
        let day = day_number(day);
        creation::Entity::update_many()
            .col_expr(C::Count, Expr::col(C::Count).sub(1))
            .filter(C::Owner.eq(owner.as_str()))
            .filter(C::Day.eq(day))
            .filter(C::Count.gt(0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(())
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

    async fn is_counted(&self, id: ShareId, dedup: &str) -> Result<bool> {
        let counted = reservation::Entity::find_by_id((id.0, dedup_key(dedup)))
            .count(self.connection())
            .await
            .map_err(DbError)?;
        Ok(counted > 0)
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
}

//! [`VisitorStore`] over SQL.

use super::*;
use sharelink_core::ports::VisitorStore;

#[async_trait]
impl VisitorStore for SqlStore {
    async fn insert_session(&self, s: &VisitorSession) -> Result<()> {
        let row = session::ActiveModel {
            id: Set(s.id.as_str().to_owned()),
            share_id: Set(s.share_id.0),
            created_at: Set(nanos(s.created_at)?),
            data: Set(to_json(s)?),
        };
        // Opening a link should not wait for a disk flush: a session lost in a crash of
        // the database server is opened again by the visitor's next request.
        session::Entity::insert(row)
            .exec_without_returning(self.unflushed())
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
}

//! [`RecipientStore`] over SQL.

use super::*;
use sharelink_core::ports::RecipientStore;

#[async_trait]
impl RecipientStore for SqlStore {
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
            revoked_at: Set(None),
            expires_at: Set(None),
            last_access_at: Set(None),
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
            revoked_at: None,
            expires_at: None,
            last_access_at: None,
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

    async fn get_recipient(&self, share: ShareId, id: RecipientId) -> Result<Option<Recipient>> {
        recipient::Entity::find_by_id(id.0)
            .filter(recipient::Column::ShareId.eq(share.0))
            .one(self.connection())
            .await
            .map_err(DbError)?
            .map(recipient_from)
            .transpose()
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
        self.recipient_by_id(id).await
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
        use recipient::Column as R;
        let at = nanos(now)?;
        let with_recipient = Query::select()
            .column(R::ShareId)
            .from(recipient::Entity)
            .and_where(R::EmailNorm.eq(email.normalized()))
            .and_where(R::RevokedAt.is_null())
            .cond_where(
                Condition::any()
                    .add(R::ExpiresAt.is_null())
                    .add(R::ExpiresAt.gt(at)),
            )
            .to_owned();
        let rows: Vec<(i64, String)> = share::Entity::find()
            .select_only()
            .column(share::Column::Id)
            .column(share::Column::Items)
            .filter(share::Column::Id.in_subquery(with_recipient))
            .filter(state_condition(ShareState::Active, at))
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

    async fn set_recipient_access(
        &self,
        id: RecipientId,
        access: RecipientAccess,
    ) -> Result<Recipient> {
        use recipient::Column as R;
        recipient::Entity::update_many()
            .col_expr(R::RevokedAt, Expr::value(opt_nanos(access.revoked_at)?))
            .col_expr(R::ExpiresAt, Expr::value(opt_nanos(access.expires_at)?))
            .filter(R::Id.eq(id.0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        self.recipient_by_id(id).await
    }

    async fn touch_recipient(&self, id: RecipientId, at: OffsetDateTime) -> Result<()> {
        use recipient::Column as R;
        // The row count is no test of existence: MySQL counts only changed rows, and a
        // second touch in the same nanosecond changes nothing.
        recipient::Entity::update_many()
            .col_expr(R::LastAccessAt, Expr::value(nanos(at)?))
            .filter(R::Id.eq(id.0))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        self.recipient_by_id(id).await.map(|_| ())
    }
}

impl SqlStore {
    async fn recipient_by_id(&self, id: RecipientId) -> Result<Recipient> {
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
}

//! [`WebhookStore`] over SQL (`sl_webhook_endpoints`, `sl_webhook_deliveries`). A fan-out
//! is one transaction (every matching endpoint's delivery, or none); a claim is one
//! conditional `UPDATE` per candidate, the candidates being the heads of their
//! (endpoint, share) lines, so workers in several processes never hold the same delivery
//! and a share's deliveries to one endpoint go in order; an outcome is one conditional
//! `UPDATE` naming the claim's attempt number.

use super::*;
use crate::entity::{webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::Func;
use sharelink_core::model::webhook::{WebhookSecret, WebhookUrl};
use sharelink_core::ports::webhooks::*;

use webhook_delivery::Column as D;
use webhook_endpoint::Column as E;

fn endpoint_from(m: webhook_endpoint::Model) -> Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: WebhookEndpointId(m.id),
        owner: m
            .owner
            .as_deref()
            .map(|o| parse(o, UserId::parse))
            .transpose()?,
        url: parse(&m.url, WebhookUrl::parse)?,
        secret: parse(&m.secret, WebhookSecret::parse)?,
        created_at: instant(m.created_at)?,
    })
}

fn delivery_from(m: webhook_delivery::Model) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: WebhookDeliveryId(m.id),
        endpoint: WebhookEndpointId(m.endpoint_id),
        endpoint_owner: m
            .endpoint_owner
            .as_deref()
            .map(|o| parse(o, UserId::parse))
            .transpose()?,
        message_id: m.message_id,
        share: ShareId(m.share_id),
        event_type: m.event_type,
        payload: m.payload,
        state: DeliveryState::parse(&m.state).ok_or_else(|| {
            crate::error::corrupt(format!("unknown delivery state `{}`", m.state))
        })?,
        attempts: unsigned(m.attempts)?,
        next_attempt_at: instant(m.next_attempt_at)?,
        leased_until: opt_instant(m.leased_until)?,
        last_error: m.last_error,
        created_at: instant(m.created_at)?,
        updated_at: instant(m.updated_at)?,
    })
}

/// The condition "still held by the claim numbered `attempts`".
fn held(id: WebhookDeliveryId, attempts: u32) -> Condition {
    Condition::all()
        .add(D::Id.eq(id.0))
        .add(D::State.eq(DeliveryState::Pending.as_str()))
        .add(D::Attempts.eq(i64::from(attempts)))
}

/// The condition "pending, due at `now`, not leased".
fn due(now: i64) -> Condition {
    Condition::all()
        .add(D::State.eq(DeliveryState::Pending.as_str()))
        .add(D::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(D::LeasedUntil.is_null())
                .add(D::LeasedUntil.lte(now)),
        )
}

impl SqlStore {
    /// The webhook store over this store's pool.
    pub fn webhooks(&self) -> std::sync::Arc<dyn WebhookStore> {
        std::sync::Arc::new(self.clone())
    }

    async fn delivery_row(&self, id: WebhookDeliveryId) -> Result<Option<webhook_delivery::Model>> {
        Ok(webhook_delivery::Entity::find_by_id(id.0)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next())
    }
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn add_endpoint(&self, new: NewWebhookEndpoint) -> Result<WebhookEndpoint> {
        let row = webhook_endpoint::ActiveModel {
            id: NotSet,
            owner: Set(new.owner.as_ref().map(|o| o.as_str().to_owned())),
            url: Set(new.url.as_str().to_owned()),
            secret: Set(new.secret.expose().to_owned()),
            created_at: Set(nanos(new.created_at)?),
        };
        let id = webhook_endpoint::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(WebhookEndpoint {
            id: WebhookEndpointId(id),
            owner: new.owner,
            url: new.url,
            secret: new.secret,
            created_at: new.created_at,
        })
    }

    async fn get_endpoint(&self, id: WebhookEndpointId) -> Result<Option<WebhookEndpoint>> {
        webhook_endpoint::Entity::find_by_id(id.0)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .next()
            .map(endpoint_from)
            .transpose()
    }

    async fn list_endpoints(&self, owner: Option<&UserId>) -> Result<Vec<WebhookEndpoint>> {
        let mut find = webhook_endpoint::Entity::find();
        if let Some(owner) = owner {
            find = find.filter(E::Owner.eq(owner.as_str()));
        }
        find.order_by_asc(E::Id)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(endpoint_from)
            .collect()
    }

    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool> {
        let txn = self.connection().begin().await.map_err(DbError)?;
        webhook_delivery::Entity::delete_many()
            .filter(D::EndpointId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(DbError)?;
        let done = webhook_endpoint::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(DbError)?;
        txn.commit().await.map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn enqueue_event(&self, event: NewWebhookEvent) -> Result<Vec<WebhookDelivery>> {
        let at = nanos(event.at)?;
        // The endpoints are read before the transaction: most events have none to go to,
        // and then no transaction is opened at all (one query per event, not three).
        let targets: Vec<(i64, Option<String>)> = webhook_endpoint::Entity::find()
            .select_only()
            .column(E::Id)
            .column(E::Owner)
            .filter(
                Condition::any()
                    .add(E::Owner.is_null())
                    .add(E::Owner.eq(event.owner.as_str())),
            )
            .order_by_asc(E::Id)
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?;
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.connection().begin().await.map_err(DbError)?;
        let mut written = Vec::new();
        for (endpoint, owner) in targets {
            let row = webhook_delivery::ActiveModel {
                id: NotSet,
                endpoint_id: Set(endpoint),
                endpoint_owner: Set(owner.clone()),
                message_id: Set(event.message_id.clone()),
                share_id: Set(event.share.0),
                event_type: Set(event.event_type.clone()),
                payload: Set(event.payload.clone()),
                state: Set(DeliveryState::Pending.as_str().to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(at),
                leased_until: Set(None),
                last_error: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            };
            let id = webhook_delivery::Entity::insert(row)
                .exec(&txn)
                .await
                .map_err(DbError)?
                .last_insert_id;
            let owner = owner
                .as_deref()
                .map(|o| parse(o, UserId::parse))
                .transpose()?;
            written.push(WebhookDelivery::pending(
                WebhookDeliveryId(id),
                WebhookEndpointId(endpoint),
                owner,
                &event,
            ));
        }
        txn.commit().await.map_err(DbError)?;
        Ok(written)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (now, until) = (nanos(now)?, nanos(lease_until)?);
        // The head of each (endpoint, share) line: its oldest pending delivery.
        let heads = Query::select()
            .expr(Func::min(Expr::col(D::Id)))
            .from(webhook_delivery::Entity)
            .and_where(D::State.eq(DeliveryState::Pending.as_str()))
            .group_by_col(D::EndpointId)
            .group_by_col(D::ShareId)
            .to_owned();
        let candidates: Vec<i64> = webhook_delivery::Entity::find()
            .select_only()
            .column(D::Id)
            .filter(due(now))
            .filter(D::Id.in_subquery(heads))
            .order_by_asc(D::NextAttemptAt)
            .order_by_asc(D::Id)
            .limit(u64::from(limit))
            .into_tuple()
            .all(self.connection())
            .await
            .map_err(DbError)?;
        let mut claimed = Vec::new();
        for id in candidates {
            // Another worker may have taken it since the select: the update says who won.
            let won = retry_transient(|| async {
                Ok(webhook_delivery::Entity::update_many()
                    .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
                    .col_expr(D::LeasedUntil, Expr::value(until))
                    .filter(D::Id.eq(id))
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
            if let Some(row) = self.delivery_row(WebhookDeliveryId(id)).await? {
                claimed.push(delivery_from(row)?);
            }
        }
        Ok(claimed)
    }

    async fn mark_delivered(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let done = webhook_delivery::Entity::update_many()
            .col_expr(D::State, Expr::value(DeliveryState::Delivered.as_str()))
            .col_expr(D::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(D::LastError, Expr::value(Option::<String>::None))
            .col_expr(D::UpdatedAt, Expr::value(nanos(at)?))
            .filter(held(id, attempts))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn mark_failed(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        error: &str,
        failure: DeliveryFailure,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(D::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(D::LastError, Expr::value(error.to_owned()))
            .col_expr(D::UpdatedAt, Expr::value(nanos(at)?));
        update = match failure {
            DeliveryFailure::RetryAt(due) => {
                update.col_expr(D::NextAttemptAt, Expr::value(nanos(due)?))
            }
            DeliveryFailure::Dead => {
                update.col_expr(D::State, Expr::value(DeliveryState::Dead.as_str()))
            }
            _ => return Err(crate::error::corrupt("an outcome this store does not know")),
        };
        let done = update
            .filter(held(id, attempts))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }

    async fn get_delivery(&self, id: WebhookDeliveryId) -> Result<Option<WebhookDelivery>> {
        self.delivery_row(id).await?.map(delivery_from).transpose()
    }

    async fn list_deliveries(&self, q: &DeliveryQuery) -> Result<Vec<WebhookDelivery>> {
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        let mut find = webhook_delivery::Entity::find();
        if let Some(state) = q.state {
            find = find.filter(D::State.eq(state.as_str()));
        }
        if let Some(owner) = &q.owner {
            find = find.filter(D::EndpointOwner.eq(owner.as_str()));
        }
        if let Some(endpoint) = q.endpoint {
            find = find.filter(D::EndpointId.eq(endpoint.0));
        }
        if let Some(before) = q.before {
            find = find.filter(D::Id.lt(before.0));
        }
        find.order_by_desc(D::Id)
            .limit(u64::from(q.limit))
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(delivery_from)
            .collect()
    }

    async fn replay_delivery(&self, id: WebhookDeliveryId, now: OffsetDateTime) -> Result<bool> {
        let now = nanos(now)?;
        let done = webhook_delivery::Entity::update_many()
            .col_expr(D::State, Expr::value(DeliveryState::Pending.as_str()))
            .col_expr(D::Attempts, Expr::value(0_i64))
            .col_expr(D::NextAttemptAt, Expr::value(now))
            .col_expr(D::LeasedUntil, Expr::value(Option::<i64>::None))
            .col_expr(D::UpdatedAt, Expr::value(now))
            .filter(D::Id.eq(id.0))
            .filter(D::State.ne(DeliveryState::Pending.as_str()))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected == 1)
    }
}

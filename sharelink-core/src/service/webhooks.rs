//! Webhooks: publishing events (the event sink, and the outbox when webhooks are on),
//! the worker that signs and posts the outbox with retries and backoff, and the owner's
//! and admin's management of endpoints and deliveries.
//!
//! The outbox is written right after the change an event describes and before the use
//! case returns, through its own port: the share stores and the webhook store are
//! separate ports, so the two writes are not one database transaction. A process that
//! dies between them loses that event's deliveries; a failed outbox write is the use
//! case's error.

use super::{MailRetry, Result, ServiceError, Sharelink};
use crate::UserId;
use crate::model::webhook::{WebhookSecret, WebhookUrl, signature_headers};
use crate::ports::ShareEvent;
use crate::ports::repository::RepoError;
use crate::ports::webhooks::*;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use time::OffsetDateTime;

/// An endpoint as owners and admins see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookView {
    /// Its identifier.
    pub id: WebhookEndpointId,
    /// Whose shares' events it receives; `None`: every share's.
    pub owner: Option<UserId>,
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

impl From<WebhookEndpoint> for WebhookView {
    fn from(e: WebhookEndpoint) -> Self {
        Self {
            id: e.id,
            owner: e.owner,
            url: e.url,
            created_at: e.created_at,
        }
    }
}

/// A new endpoint and its secret, which is shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    /// The endpoint.
    pub endpoint: WebhookView,
    /// What its deliveries are signed with (`whsec_…`).
    pub secret: WebhookSecret,
}

/// Which deliveries to list ([`Sharelink::webhook_deliveries`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDeliveries {
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// Only deliveries to this endpoint.
    pub endpoint: Option<WebhookEndpointId>,
    /// Only deliveries older than this one (the next page).
    pub before: Option<WebhookDeliveryId>,
    /// At most this many (default 50, at most 1000).
    pub limit: Option<u32>,
}

/// What one run of the webhook worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookRun {
    /// Deliveries the endpoint accepted (2xx).
    pub delivered: u32,
    /// Deliveries that failed for now and wait for another attempt.
    pub retrying: u32,
    /// Deliveries given up on.
    pub dead: u32,
}

impl WebhookRun {
    /// Deliveries handled in the run.
    pub fn total(&self) -> u32 {
        self.delivered + self.retrying + self.dead
    }
}

/// The body posted for `event`: `{"type": "share.<kind>", "timestamp", "data"}`, the
/// Standard Webhooks payload shape, `data` being the event as serialized.
///
/// # Errors
/// [`RepoError::Corrupt`] if the event cannot be serialized (it always can).
pub fn webhook_payload(event: &ShareEvent) -> Result<String, RepoError> {
    let corrupt = |e: &dyn std::fmt::Display| RepoError::Corrupt {
        store: "webhooks",
        reason: e.to_string(),
    };
    let timestamp = event
        .at()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| corrupt(&e))?;
    let data = serde_json::to_value(event).map_err(|e| corrupt(&e))?;
    let body = serde_json::json!({
        "type": format!("share.{}", event.kind()),
        "timestamp": timestamp,
        "data": data,
    });
    Ok(body.to_string())
}

impl Sharelink {
    /// Publishes `event` about a share of `owner`: to the event sink (best effort), and,
    /// with webhooks on, into the outbox for the site-wide endpoints and the owner's.
    /// Events about no share (site settings changes) reach the event sink only.
    ///
    /// # Errors
    /// The webhook store failed (then no delivery of the event was written).
    pub(super) async fn publish(&self, owner: &UserId, event: ShareEvent) -> Result<()> {
        self.ports.events.publish(&event).await;
        let (Some(store), Some(share)) = (&self.ports.webhooks, event.share()) else {
            return Ok(());
        };
        let event_type = format!("share.{}", event.kind());
        // Nobody wanted it a moment ago: no message to build (this runs on every download).
        if self
            .quiet
            .as_ref()
            .is_some_and(|q| q.is_quiet(owner, &event_type))
        {
            return Ok(());
        }
        store
            .enqueue_event(NewWebhookEvent {
                message_id: format!("msg_{}", self.token(24)),
                share,
                owner: owner.clone(),
                event_type,
                payload: webhook_payload(&event)?,
                at: event.at(),
            })
            .await?;
        Ok(())
    }

    /// The webhook worker's step: claims up to `limit` due deliveries, signs each with its
    /// endpoint's secret (Standard Webhooks headers, the timestamp of this attempt) and
    /// posts it. A 2xx answer delivers it; any other answer or no answer retries it after
    /// [`MailRetry::delay_after`] of the webhook schedule, and after
    /// [`MailRetry::max_attempts`] it is dead. Without webhooks it does nothing.
    ///
    /// Several workers may run it at once: each delivery is claimed by one, and a share's
    /// deliveries to one endpoint go one after the other, in order.
    ///
    /// # Errors
    /// Repository errors of the webhook store (delivery errors are recorded, not returned).
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn deliver_webhooks(&self, limit: u32) -> Result<WebhookRun> {
        let mut done = WebhookRun::default();
        let (Some(store), Some(transport)) = (&self.ports.webhooks, &self.ports.webhook_transport)
        else {
            return Ok(done);
        };
        let retry: MailRetry = self.config.webhook_retry;
        let now = self.now();
        let mut endpoints = HashMap::new();
        for d in store.claim_due(now, now + retry.lease, limit).await? {
            if let Entry::Vacant(slot) = endpoints.entry(d.endpoint) {
                slot.insert(store.get_endpoint(d.endpoint).await?);
            }
            let Some(Some(endpoint)) = endpoints.get(&d.endpoint) else {
                // Deleted since the claim: its deliveries went with it.
                continue;
            };
            let at = self.now();
            let request = WebhookRequest {
                url: endpoint.url.clone(),
                headers: signature_headers(
                    &endpoint.secret,
                    &d.message_id,
                    at.unix_timestamp(),
                    &d.payload,
                ),
                body: d.payload.clone(),
            };
            let error = match transport.post(&request).await {
                Ok(status) if (200..300).contains(&status) => None,
                Ok(status) => Some(format!("the endpoint answered {status}")),
                Err(e) => Some(e.to_string()),
            };
            let at = self.now();
            match error {
                None => {
                    store.mark_delivered(d.id, d.attempts, at).await?;
                    crate::telemetry::webhook_delivery("delivered");
                    done.delivered += 1;
                }
                Some(error) => {
                    let failure = if d.attempts >= retry.max_attempts {
                        crate::telemetry::webhook_delivery("dead");
                        done.dead += 1;
                        DeliveryFailure::Dead
                    } else {
                        crate::telemetry::webhook_delivery("failed");
                        done.retrying += 1;
                        DeliveryFailure::RetryAt(at + retry.delay_after(d.attempts))
                    };
                    store
                        .mark_failed(d.id, d.attempts, &error, failure, at)
                        .await?;
                }
            }
        }
        Ok(done)
    }

    fn webhook_store(&self) -> Result<&std::sync::Arc<dyn WebhookStore>> {
        self.ports
            .webhooks
            .as_ref()
            .ok_or(ServiceError::WebhooksOff)
    }

    /// Creates an endpoint: the actor's own (events of their shares), or, for an admin
    /// asking `site_wide`, one that receives every share's events. Its secret is in the
    /// answer, and never shown again.
    ///
    /// # Errors
    /// [`ServiceError::WebhookUrl`] for an address that is not http(s);
    /// [`ServiceError::AdminOnly`] for a site-wide endpoint asked by a non-admin;
    /// [`ServiceError::WebhooksOff`] without a webhook store.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn create_webhook(
        &self,
        actor: &UserId,
        url: &str,
        site_wide: bool,
    ) -> Result<CreatedWebhook> {
        let user = self.actor(actor).await?;
        let url = WebhookUrl::parse(url)?;
        if site_wide && !user.is_admin {
            return Err(ServiceError::AdminOnly);
        }
        let store = self.webhook_store()?;
        let endpoint = store
            .add_endpoint(NewWebhookEndpoint {
                owner: (!site_wide).then(|| actor.clone()),
                url,
                secret: WebhookSecret::generate(self.ports.random.as_ref()),
                created_at: self.now(),
            })
            .await?;
        Ok(CreatedWebhook {
            secret: endpoint.secret.clone(),
            endpoint: endpoint.into(),
        })
    }

    /// The endpoints the actor may see: an admin's every endpoint, an owner's their own.
    /// Empty without a webhook store.
    ///
    /// # Errors
    /// Directory or repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn webhooks(&self, actor: &UserId) -> Result<Vec<WebhookView>> {
        let user = self.actor(actor).await?;
        let Some(store) = &self.ports.webhooks else {
            return Ok(Vec::new());
        };
        let owner = (!user.is_admin).then_some(actor);
        Ok(store
            .list_endpoints(owner)
            .await?
            .into_iter()
            .map(WebhookView::from)
            .collect())
    }

    /// Deletes an endpoint and its deliveries.
    ///
    /// # Errors
    /// [`ServiceError::WebhookNotFound`] when there is none or the actor may not see it.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn delete_webhook(&self, actor: &UserId, id: WebhookEndpointId) -> Result<()> {
        let user = self.actor(actor).await?;
        let store = self
            .ports
            .webhooks
            .as_ref()
            .ok_or(ServiceError::WebhookNotFound)?;
        store
            .get_endpoint(id)
            .await?
            .filter(|e| user.is_admin || e.owner.as_ref() == Some(actor))
            .ok_or(ServiceError::WebhookNotFound)?;
        store.delete_endpoint(id).await?;
        Ok(())
    }

    /// The deliveries the actor may see, newest first: an admin's every delivery, an
    /// owner's those to their endpoints. Empty without a webhook store.
    ///
    /// # Errors
    /// Directory or repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn webhook_deliveries(
        &self,
        actor: &UserId,
        filter: ListDeliveries,
    ) -> Result<Vec<WebhookDelivery>> {
        let user = self.actor(actor).await?;
        let Some(store) = &self.ports.webhooks else {
            return Ok(Vec::new());
        };
        let query = DeliveryQuery {
            state: filter.state,
            owner: (!user.is_admin).then(|| actor.clone()),
            endpoint: filter.endpoint,
            before: filter.before,
            limit: filter.limit.unwrap_or(50).clamp(1, 1000),
        };
        Ok(store.list_deliveries(&query).await?)
    }

    /// Sends a delivered or dead delivery again (due now, attempts from zero, the same
    /// message id so the receiver can tell it is a repeat).
    ///
    /// # Errors
    /// [`ServiceError::DeliveryNotFound`] when there is none or the actor may not see it;
    /// [`ServiceError::DeliveryPending`] when it is still pending.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn replay_webhook_delivery(
        &self,
        actor: &UserId,
        id: WebhookDeliveryId,
    ) -> Result<WebhookDelivery> {
        let user = self.actor(actor).await?;
        let store = self
            .ports
            .webhooks
            .as_ref()
            .ok_or(ServiceError::DeliveryNotFound)?;
        let visible =
            |d: &WebhookDelivery| user.is_admin || d.endpoint_owner.as_ref() == Some(actor);
        store
            .get_delivery(id)
            .await?
            .filter(visible)
            .ok_or(ServiceError::DeliveryNotFound)?;
        if !store.replay_delivery(id, self.now()).await? {
            return Err(ServiceError::DeliveryPending);
        }
        store
            .get_delivery(id)
            .await?
            .ok_or(ServiceError::DeliveryNotFound)
    }
}

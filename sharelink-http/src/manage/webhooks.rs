//! Webhook routes: endpoints (an owner's own, or an admin's site-wide ones) and their
//! deliveries (list by state, replay one). An endpoint's secret is answered once, when it
//! is created.

use super::request::{ApiJson, ApiPath, ApiQuery};
use super::{Actor, ErrorBody};
use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use sharelink_core::ports::webhooks::{
    DeliveryState, WebhookDelivery, WebhookDeliveryId, WebhookEndpointId,
};
use sharelink_core::service::{ListDeliveries, WebhookView};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// The routes, relative to where the management API is mounted.
pub(super) fn routes() -> Router<SharelinkState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/webhooks/deliveries", get(list_deliveries))
        .route("/webhooks/deliveries/{id}/replay", post(replay_delivery))
}

/// An endpoint (never its secret, except in the answer that creates it).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookDto {
    id: i64,
    /// The owner whose shares' events it receives; `null` for a site-wide endpoint.
    owner: Option<String>,
    /// Where deliveries are posted.
    url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
}

impl From<WebhookView> for WebhookDto {
    fn from(v: WebhookView) -> Self {
        Self {
            id: v.id.0,
            owner: v.owner.map(|o| o.as_str().to_owned()),
            url: v.url.to_string(),
            created_at: v.created_at,
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CreatedWebhookDto {
    #[serde(flatten)]
    endpoint: WebhookDto,
    /// `whsec_…`: verify deliveries with it (Standard Webhooks); it is never shown again.
    secret: String,
}

/// An endpoint to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookBody {
    /// An absolute `http://` or `https://` URL, without user name, password or fragment.
    url: String,
    /// Admins only: receive every share's events, not only the caller's own shares'.
    #[serde(default)]
    site_wide: bool,
}

/// The endpoints: an owner's own, an admin's every one.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WebhookList {
    webhooks: Vec<WebhookDto>,
}

/// One delivery of one event to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeliveryDto {
    id: i64,
    endpoint_id: i64,
    /// The `webhook-id` header: the same on every attempt and every endpoint.
    message_id: String,
    share_id: i64,
    /// `share.created`, `share.updated`, `share.revoked`, `share.sent`,
    /// `share.recipient_changed`, `share.opened`, `share.downloaded`, `share.uploaded`,
    /// `share.modified` or `share.under_attack`.
    event_type: String,
    /// The JSON body posted: `{"type", "timestamp", "data"}`, `data` the event.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    payload: serde_json::Value,
    /// `pending`, `delivered` or `dead`.
    state: &'static str,
    attempts: u32,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
}

impl From<WebhookDelivery> for DeliveryDto {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id.0,
            endpoint_id: d.endpoint.0,
            message_id: d.message_id,
            share_id: d.share.0,
            event_type: d.event_type,
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            state: d.state.as_str(),
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeliveryList {
    deliveries: Vec<DeliveryDto>,
    /// Pass as `before_id` for the next page; `null` on the last.
    next_before_id: Option<i64>,
}

/// Filters of the delivery listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveryParams {
    /// `pending`, `delivered` or `dead`; all when absent.
    state: Option<String>,
    /// Only deliveries to this endpoint.
    endpoint_id: Option<i64>,
    /// Only deliveries older than this id (the next page).
    before_id: Option<i64>,
    /// At most this many (default 50, at most 1000).
    limit: Option<u32>,
}

/// Creates an endpoint; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = WebhookBody,
    responses((status = 201, description = "The endpoint and its `secret`", body = CreatedWebhookDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 403, description = "`admin_only`: a site-wide endpoint asked by a non-admin", body = ErrorBody), (status = 422, description = "`bad_webhook_url`: not an http(s) URL, or with credentials or a fragment", body = ErrorBody), (status = 503, description = "`webhooks_off`: this server has no webhook store", body = ErrorBody)))]
pub(super) async fn create_webhook(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhookDto>), ApiError> {
    let created = st
        .app
        .create_webhook(&actor, &body.url, body.site_wide)
        .await?;
    let dto = CreatedWebhookDto {
        endpoint: created.endpoint.into(),
        secret: created.secret.expose().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Lists endpoints: an owner's own, an admin's every one (secrets are never listed).
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, description = "The endpoints", body = WebhookList), (status = 401, description = "No signed-in user", body = ErrorBody)))]
pub(super) async fn list_webhooks(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<WebhookList>, ApiError> {
    let webhooks = st.app.webhooks(&actor).await?;
    Ok(Json(WebhookList {
        webhooks: webhooks.into_iter().map(WebhookDto::from).collect(),
    }))
}

/// Deletes an endpoint and its deliveries (pending ones are not sent).
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`webhook_not_found`: no such endpoint, or not yours", body = ErrorBody)))]
pub(super) async fn delete_webhook(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.delete_webhook(&actor, WebhookEndpointId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists deliveries, newest first: an owner's to their endpoints, an admin's all.
#[utoipa::path(get, path = "/api/webhooks/deliveries", tag = "webhooks", params(DeliveryParams),
    responses((status = 200, description = "A page of deliveries", body = DeliveryList), (status = 400, description = "`bad_state`: unknown state", body = ErrorBody), (status = 401, description = "No signed-in user", body = ErrorBody)))]
pub(super) async fn list_deliveries(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(q): ApiQuery<DeliveryParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    let state = q
        .state
        .as_deref()
        .map(|s| {
            DeliveryState::parse(s).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_state",
                    "state must be pending, delivered or dead",
                )
            })
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let filter = ListDeliveries {
        state,
        endpoint: q.endpoint_id.map(WebhookEndpointId),
        before: q.before_id.map(WebhookDeliveryId),
        limit: Some(limit),
    };
    let deliveries: Vec<DeliveryDto> = st
        .app
        .webhook_deliveries(&actor, filter)
        .await?
        .into_iter()
        .map(DeliveryDto::from)
        .collect();
    let next_before_id = (deliveries.len() == limit as usize)
        .then(|| deliveries.last().map(|d| d.id))
        .flatten();
    Ok(Json(DeliveryList {
        deliveries,
        next_before_id,
    }))
}

/// Sends a delivered or dead delivery again (same message id, attempts from zero).
#[utoipa::path(post, path = "/api/webhooks/deliveries/{id}/replay", tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery id")),
    responses((status = 200, description = "The delivery, pending again", body = DeliveryDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`delivery_not_found`: no such delivery, or not yours", body = ErrorBody), (status = 409, description = "`delivery_pending`: it is still pending", body = ErrorBody)))]
pub(super) async fn replay_delivery(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DeliveryDto>, ApiError> {
    let d = st
        .app
        .replay_webhook_delivery(&actor, WebhookDeliveryId(id))
        .await?;
    Ok(Json(d.into()))
}

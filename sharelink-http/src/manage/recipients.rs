//! Per-recipient routes (revoke, expire, re-send one recipient's link) and batch revoke
//! or expire of shares.

use super::{Actor, ErrorBody, ItemOutcome, RecipientDto};
use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use sharelink_core::service::BatchOutcome;
use sharelink_core::{Recipient, RecipientId, ShareId};
use utoipa::ToSchema;

use super::request::{ApiJson, ApiPath};

/// The routes, relative to where the management API is mounted.
pub(super) fn routes() -> Router<SharelinkState> {
    Router::new()
        .route("/shares/batch/revoke", post(revoke_shares))
        .route("/shares/batch/expire", post(expire_shares))
        .route(
            "/shares/{id}/recipients/{recipient}/revoke",
            post(revoke_recipient),
        )
        .route(
            "/shares/{id}/recipients/{recipient}/expire",
            post(expire_recipient),
        )
        .route(
            "/shares/{id}/recipients/{recipient}/resend",
            post(resend_recipient),
        )
}

/// Revokes one recipient's link; the share's other links keep working.
#[utoipa::path(post, path = "/api/shares/{id}/recipients/{recipient}/revoke", tag = "shares",
    params(("id" = i64, Path, description = "Share id"), ("recipient" = i64, Path, description = "Recipient id")),
    responses((status = 200, description = "The recipient, `state` `revoked`", body = RecipientDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`share_not_found` (no such share, or not yours) or `recipient_not_found`", body = ErrorBody)))]
pub(super) async fn revoke_recipient(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath((id, recipient)): ApiPath<(i64, i64)>,
) -> Result<Json<RecipientDto>, ApiError> {
    let (share, recipient) = (ShareId(id), RecipientId(recipient));
    let changed = st.app.revoke_recipient(&actor, share, recipient).await?;
    Ok(changed_json(&st, changed))
}

/// Expires one recipient's link now; the share's other links keep working.
#[utoipa::path(post, path = "/api/shares/{id}/recipients/{recipient}/expire", tag = "shares",
    params(("id" = i64, Path, description = "Share id"), ("recipient" = i64, Path, description = "Recipient id")),
    responses((status = 200, description = "The recipient, `state` `expired` (or `revoked`)", body = RecipientDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`share_not_found` (no such share, or not yours) or `recipient_not_found`", body = ErrorBody)))]
pub(super) async fn expire_recipient(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath((id, recipient)): ApiPath<(i64, i64)>,
) -> Result<Json<RecipientDto>, ApiError> {
    let (share, recipient) = (ShareId(id), RecipientId(recipient));
    let changed = st.app.expire_recipient(&actor, share, recipient).await?;
    Ok(changed_json(&st, changed))
}

/// A message for the new invitation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ResendBody {
    /// Shown in the invitation.
    #[serde(default)]
    message: Option<String>,
}

/// Sends one recipient a fresh link in a new invitation; the old link stops working and
/// a revoked or expired link is active again.
#[utoipa::path(post, path = "/api/shares/{id}/recipients/{recipient}/resend", tag = "shares", request_body = ResendBody,
    params(("id" = i64, Path, description = "Share id"), ("recipient" = i64, Path, description = "Recipient id")),
    responses((status = 200, description = "The recipient, `state` `active`", body = RecipientDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`share_not_found` (no such share, or not yours) or `recipient_not_found`", body = ErrorBody), (status = 409, description = "`not_active`: the share is not active; `recipient_has_share`: the one-active-share rule", body = ErrorBody)))]
pub(super) async fn resend_recipient(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath((id, recipient)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<ResendBody>,
) -> Result<Json<RecipientDto>, ApiError> {
    let (share, recipient) = (ShareId(id), RecipientId(recipient));
    let changed = st
        .app
        .resend_recipient(&actor, share, recipient, body.message)
        .await?;
    Ok(changed_json(&st, changed))
}

/// A recipient a use case just changed, with the state of their link now.
fn changed_json(st: &SharelinkState, recipient: Recipient) -> Json<RecipientDto> {
    let state = recipient.state(st.app.ports().clock.now());
    Json(RecipientDto::new(&recipient, state))
}

/// The shares of a batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchBody {
    /// Share ids (at most 500; a repeated id is done once).
    ids: Vec<i64>,
}

/// How one share of a batch went.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BatchItem {
    #[schema(value_type = i64)]
    id: ShareId,
    #[serde(flatten)]
    outcome: ItemOutcome,
}

/// One outcome per share, in the order given.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BatchOutcomes {
    outcomes: Vec<BatchItem>,
}

fn outcomes_json(outcomes: Vec<BatchOutcome>) -> Json<BatchOutcomes> {
    let outcomes = outcomes
        .into_iter()
        .map(|o| BatchItem {
            id: o.id,
            outcome: o
                .result
                .map_or_else(ItemOutcome::failed, |()| ItemOutcome::OK),
        })
        .collect();
    Json(BatchOutcomes { outcomes })
}

/// Revokes several shares; one outcome per id, and ids that are not yours answer
/// `share_not_found` like missing ones.
#[utoipa::path(post, path = "/api/shares/batch/revoke", tag = "shares", request_body = BatchBody,
    responses((status = 200, description = "One outcome per share", body = BatchOutcomes), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 422, description = "`batch_too_large`", body = ErrorBody)))]
pub(super) async fn revoke_shares(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<Json<BatchOutcomes>, ApiError> {
    let ids = body.ids.into_iter().map(ShareId).collect();
    Ok(outcomes_json(st.app.revoke_shares(&actor, ids).await?))
}

/// Expires several shares now (keeping their logs); one outcome per id, and ids that are
/// not yours answer `share_not_found` like missing ones.
#[utoipa::path(post, path = "/api/shares/batch/expire", tag = "shares", request_body = BatchBody,
    responses((status = 200, description = "One outcome per share", body = BatchOutcomes), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 422, description = "`batch_too_large`", body = ErrorBody)))]
pub(super) async fn expire_shares(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<Json<BatchOutcomes>, ApiError> {
    let ids = body.ids.into_iter().map(ShareId).collect();
    Ok(outcomes_json(st.app.expire_shares(&actor, ids).await?))
}

//! The management JSON API under `/api`, for the embedder's own UI and for scripts.
//! The acting user comes from the [`crate::Authenticator`]; without one every call is 401.
//!
//! Cross-site requests cannot send `application/json` bodies or custom headers without a
//! CORS preflight, which this router never grants, so every `POST`, `PATCH` and `DELETE`
//! must carry one or the other; those whose `Origin` or `Sec-Fetch-Site` shows another
//! site are refused outright ([`request::same_site_only`]).
//!
//! Instants are RFC 3339 in and out. A schedule's `starts_at` and `expires_at` may also be
//! given as a local date and time without offset (what `<input type="datetime-local">`
//! sends): they are read in the schedule's `time_zone`, or in UTC without one; so is a
//! reactivation's `expires_at` (in the share's zone) and a query's instant (in UTC).

mod recipients;
mod reports;
pub(crate) mod request;
mod site;
mod upload;
mod webhooks;

use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use request::{ApiJson, ApiPath, ApiQuery};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sharelink_core::model::instant::parse_in_zone;
use sharelink_core::ports::{LogKind, LogQuery, ShareCursor, TemplateBody};
use sharelink_core::ports::{MailState, QueuedMailId};
use sharelink_core::service::{
    CreateShare, ListMail, ListShares, MailView, NewItem, NewRecipientInput, PasswordChange,
    Sharelink,
};
use sharelink_core::{
    Adjustment, Email, Share, ShareId, ShareItem, SharePath, ShareSettings, ShareState, UserId,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The signed-in user of a management call.
#[derive(Debug)]
struct Actor(UserId);

impl FromRequestParts<SharelinkState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharelinkState,
    ) -> Result<Self, ApiError> {
        state
            .auth
            .user(parts)
            .await
            .map(Actor)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The error body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
struct ErrorBody {
    /// Stable machine-readable code (`not_found`, `unauthenticated`, `malformed_json`,
    /// `invalid_field`, `unsupported_media_type`, `cross_site`, …).
    error: String,
    /// Human-readable message; for `invalid_field` it names the field and what it must
    /// be.
    message: String,
    /// The request field at fault (`settings.schedule.expires_at`, `items[0].path`),
    /// when one is.
    field: Option<String>,
}

/// Adds to every operation the refusals every one of its kind may answer, so the
/// document never lags behind [`request`].
#[derive(Debug)]
struct CommonRefusals;

impl utoipa::Modify for CommonRefusals {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, RefOr, ResponseBuilder};
        let refusal = |description: &str| -> RefOr<utoipa::openapi::Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in doc.paths.paths.values_mut() {
            let changing = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in changing.into_iter().flatten() {
                let r = &mut op.responses.responses;
                r.entry("403".into()).or_insert_with(|| {
                    refusal(
                        "`cross_site`: sent from another site's page (`Origin`, `Sec-Fetch-Site`)",
                    )
                });
                r.entry("415".into()).or_insert_with(|| {
                    refusal(
                        "`unsupported_media_type`: neither a JSON body nor `X-Sharelink-Request`",
                    )
                });
                if op.request_body.is_some() {
                    r.entry("400".into())
                        .or_insert_with(|| refusal("`malformed_json`: the body is not JSON"));
                    r.entry("422".into()).or_insert_with(|| {
                        refusal("`invalid_field`: a field is missing, unknown or of the wrong type or format (`field` names it)")
                    });
                }
            }
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if has_params {
                    op.responses.responses.entry("400".into()).or_insert_with(|| {
                        refusal("`invalid_path_parameter` or `invalid_query`: a parameter is malformed")
                    });
                }
            }
        }
    }
}

/// The OpenAPI document of the management API (paths relative to where the router is
/// mounted).
#[derive(OpenApi)]
#[openapi(
    info(title = "sharelink management API", description = "Create and manage share links. \
Every call needs the embedder's signed-in user (401 otherwise); owners see their own \
shares, admins all."),
    paths(create, read, read_by_key, update, list, revoke, revoke_all, expire, reactivate, add_items,
        remove_items, share_by_email, recipients, registrations, access_log, statistics,
        qr_svg, qr_png, templates, save_template, update_template, delete_template, queued_mail, retry_mail,
        upload::upload_and_send,
        reports::export_log, reports::daily_statistics, recipients::revoke_recipient,
        recipients::expire_recipient, recipients::resend_recipient, recipients::revoke_shares,
        recipients::expire_shares, webhooks::create_webhook, webhooks::list_webhooks,
        webhooks::delete_webhook, webhooks::list_deliveries, webhooks::replay_delivery,
        site::read, site::update),
    components(schemas(ErrorBody, ShareDto, ItemBody, CreateBody, UpdateBody, ReactivateBody,
        RecipientBody, EmailBody, TemplateRequest, MailDto, recipients::ResendBody,
        recipients::BatchBody, webhooks::WebhookBody, webhooks::WebhookDto,
        webhooks::CreatedWebhookDto, webhooks::WebhookList, webhooks::DeliveryDto,
        webhooks::DeliveryList, site::SiteUpdateBody, site::SiteDto, site::SiteSettingsDto,
        site::CustomKeysDto, site::BrandingDto, site::LogPrivacyDto, site::AttemptLimitsDto,
        site::OneTimeCodesDto, site::ShareDefaultsDto, upload::SendBody, upload::UploadForm)),
    tags((name = "shares", description = "Share links"),
        (name = "mail", description = "Outgoing mail in the queue: owners see the mail about \
their shares, admins all; links and codes are never shown"),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks): endpoints \
for the caller's shares or (admins) every share, and the outbox of their deliveries"),
        (name = "reports", description = "The access log as CSV and statistics per day, of a \
share, an owner's shares or (admins) every share"),
        (name = "site", description = "Site settings (administrators only): read with their \
version, change by naming it; in effect at once on every server process")),
    modifiers(&CommonRefusals)
)]
struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The management routes; unknown routes and methods answer JSON errors too.
pub(crate) fn routes(state: &SharelinkState) -> Router<SharelinkState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/shares", get(list).post(create))
        .route("/shares/revoke-all", post(revoke_all))
        .route("/shares/by-key/{key}", get(read_by_key))
        .route("/shares/{id}", get(read).patch(update).delete(revoke))
        .route("/shares/{id}/items", post(add_items))
        .route("/shares/{id}/items/remove", post(remove_items))
        .route("/shares/{id}/expire", post(expire))
        .route("/shares/{id}/reactivate", post(reactivate))
        .route("/shares/{id}/email", post(share_by_email))
        .route("/shares/{id}/recipients", get(recipients))
        .route("/shares/{id}/registrations", get(registrations))
        .route("/shares/{id}/log", get(access_log))
        .route("/shares/{id}/statistics", get(statistics))
        .route("/shares/{id}/qr.svg", get(qr_svg))
        .route("/shares/{id}/qr.png", get(qr_png))
        .route("/templates", get(templates).post(save_template))
        .route(
            "/templates/{id}",
            axum::routing::put(update_template).delete(delete_template),
        )
        .route("/mail", get(queued_mail))
        .route("/mail/{id}/retry", post(retry_mail))
        .route("/log.csv", get(reports::export_log))
        .route("/statistics/daily", get(reports::daily_statistics))
        .merge(recipients::routes())
        .merge(webhooks::routes())
        .merge(site::routes())
        .merge(upload::routes(state))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such API route")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this API route does not take that method",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request::same_site_only,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_form_bytes))
}

/// A share as the management API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Share)]
struct ShareDto<'a> {
    /// Internal id (used in the management URLs).
    #[schema(value_type = i64)]
    id: ShareId,
    /// The public URL key.
    #[schema(value_type = String)]
    key: &'a str,
    /// The public link. With auto-fill (`effective.password_autofill`) it carries the
    /// access code (`?code=…`), so the owner can copy it again at any time; the QR code
    /// is drawn from this same link.
    link: String,
    /// The owner's user id.
    #[schema(value_type = String)]
    owner: &'a UserId,
    /// Shared items (`path`, `kind`, `alias`).
    #[schema(value_type = Vec<Object>)]
    items: &'a [ShareItem],
    /// Settings as the creator asked for them.
    #[schema(value_type = Object)]
    requested: &'a ShareSettings,
    /// Settings in effect after site policy and the creator's rights.
    #[schema(value_type = Object)]
    effective: &'a ShareSettings,
    /// How `effective` differs from `requested`, and why.
    #[schema(value_type = Vec<Object>)]
    adjustments: &'a [Adjustment],
    /// `not_yet_active`, `active`, `expired` or `exhausted`.
    #[schema(value_type = String)]
    state: ShareState,
    password_protected: bool,
    uses: u32,
    uploaded_bytes: u64,
    device_bound: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

fn dto<'a>(app: &Sharelink, s: &'a Share) -> ShareDto<'a> {
    ShareDto {
        id: s.id,
        key: s.key.as_str(),
        link: app.link(s),
        owner: &s.owner,
        items: &s.items,
        requested: &s.requested,
        effective: &s.settings,
        adjustments: &s.adjustments,
        state: s.state(app.ports().clock.now()),
        password_protected: s.password_hash.is_some(),
        uses: s.uses,
        uploaded_bytes: s.uploaded_bytes,
        device_bound: s.bound_device.is_some(),
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn share_json(app: &Sharelink, s: &Share) -> Value {
    serde_json::to_value(dto(app, s)).unwrap_or(Value::Null)
}

/// Settings given as a JSON object, laid over `base` (so a caller names only what it
/// changes). Unknown settings are refused; local schedule instants are read in the
/// schedule's time zone.
fn merge_settings(base: &ShareSettings, patch: Option<Value>) -> Result<ShareSettings, ApiError> {
    let mut value = serde_json::to_value(base).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let Value::Object(target) = &mut value else {
        return Err(ApiError::bad_request("settings are not an object"));
    };
    match patch {
        None | Some(Value::Null) => {}
        Some(Value::Object(patch)) => {
            for (k, v) in patch {
                if !target.contains_key(&k) {
                    let known: Vec<&str> = target.keys().map(String::as_str).collect();
                    return Err(ApiError::invalid_field(
                        format!("settings.{k}"),
                        format_args!("unknown setting, expected one of {}", known.join(", ")),
                    ));
                }
                target.insert(k, v);
            }
        }
        Some(other) => {
            return Err(ApiError::invalid_field(
                "settings",
                format_args!("expected an object of settings, not {other}"),
            ));
        }
    }
    if let Some(Value::Object(schedule)) = target.get_mut("schedule") {
        let zone = schedule
            .get("time_zone")
            .and_then(Value::as_str)
            .map(str::to_owned);
        for name in ["starts_at", "expires_at"] {
            if let Some(Value::String(text)) = schedule.get_mut(name) {
                let at = parse_in_zone(text, zone.as_deref())
                    .map_err(|e| ApiError::invalid_field(format!("settings.schedule.{name}"), e))?;
                *text = rfc3339(at)?;
            }
        }
    }
    request::from_value(value, "settings")
}

/// The RFC 3339 text of an instant read from a request, in UTC (`Z`), as every instant
/// the API answers is.
fn rfc3339(at: OffsetDateTime) -> Result<String, ApiError> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// One failed item of a batch answer: `item` (its `email` or `id`) with `ok: false` and
/// the error's code and message, as the whole request's error would carry them.
pub(super) fn failed(mut item: Value, e: sharelink_core::service::ServiceError) -> Value {
    let e = ApiError::from(e);
    item["ok"] = json!(false);
    item["error"] = json!(e.code);
    item["message"] = json!(e.message);
    item
}

/// The `owner` query parameter, if given, as a user id.
pub(super) fn owner_param(owner: Option<String>) -> Result<Option<UserId>, ApiError> {
    owner.map(|o| UserId::parse(&o)).transpose().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("owner: {e}"),
        )
    })
}

/// An optional instant of a query: RFC 3339, or a local date and time read in UTC.
fn query_instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| parse_in_zone(&text, None).map_err(serde::de::Error::custom))
        .transpose()
}

/// An item to share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    path: String,
    alias: Option<String>,
}

fn items(raw: Vec<ItemBody>) -> Result<Vec<NewItem>, ApiError> {
    raw.into_iter()
        .enumerate()
        .map(|(i, item)| {
            Ok(NewItem {
                path: SharePath::parse(&item.path)
                    .map_err(|e| ApiError::invalid_field(format!("items[{i}].path"), e))?,
                alias: item.alias,
            })
        })
        .collect()
}

/// A new share: `settings` holds any settings fields to change from the defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    items: Vec<ItemBody>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    custom_key: Option<String>,
}

/// Creates a share; the generated password is returned once.
#[utoipa::path(post, path = "/api/shares", tag = "shares", request_body = CreateBody,
    params(),
    responses((status = 201, description = "Created", body = ShareDto), (status = 422, description = "Refused settings", body = ErrorBody), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn create(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    // What the creator leaves out takes the site's defaults for new shares.
    let settings = merge_settings(&st.app.new_share_settings(&body.name).await?, body.settings)?;
    let created = st
        .app
        .create_share(
            &actor,
            CreateShare {
                items: items(body.items)?,
                settings,
                password: body.password,
                custom_key: body.custom_key,
            },
        )
        .await?;
    let mut out = share_json(&st.app, &created.share);
    out["generated_password"] = json!(created.generated_password.as_ref().map(|p| p.expose()));
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Reads a share: requested and effective settings, adjustments.
#[utoipa::path(get, path = "/api/shares/{id}", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn read(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let share = st.app.get_share(&actor, ShareId(id)).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// Finds a share by its link key (owner or admin only).
#[utoipa::path(get, path = "/api/shares/by-key/{key}", tag = "shares",
    params(("key" = String, Path, description = "The link key (without regard to case)"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No share with that key, or not yours", body = ErrorBody)))]
async fn read_by_key(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let share = st.app.find_share_by_key(&actor, &key).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// New settings (fields laid over the requested settings) and what to do with the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    settings: Option<Value>,
    /// `"keep"` (default), `"generate"`, or `{"set": "…"}`.
    #[serde(default)]
    password: Option<Value>,
}

/// Updates settings (re-applying site policy).
#[utoipa::path(patch, path = "/api/shares/{id}", tag = "shares", request_body = UpdateBody,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn update(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let current = st.app.get_share(&actor, ShareId(id)).await?;
    let settings = merge_settings(&current.requested, body.settings)?;
    let password = match body.password {
        None => PasswordChange::Keep,
        Some(Value::String(s)) if s == "keep" => PasswordChange::Keep,
        Some(Value::String(s)) if s == "generate" => PasswordChange::Generate,
        Some(Value::Object(o)) => match o.get("set").and_then(Value::as_str) {
            Some(p) => PasswordChange::Set(p.to_owned()),
            None => {
                return Err(ApiError::invalid_field(
                    "password.set",
                    "expected the new password as a string",
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::invalid_field(
                "password",
                "expected \"keep\", \"generate\" or {\"set\": \"…\"}",
            ));
        }
    };
    let (share, generated) = st
        .app
        .update_settings(&actor, ShareId(id), settings, password)
        .await?;
    let mut out = share_json(&st.app, &share);
    out["generated_password"] = json!(generated.as_ref().map(|p| p.expose()));
    Ok(Json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this owner's shares (admins).
    owner: Option<String>,
    /// Name contains.
    name: Option<String>,
    /// RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    created_from: Option<OffsetDateTime>,
    /// RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    created_to: Option<OffsetDateTime>,
    /// `not_yet_active`, `active`, `expired` or `exhausted`.
    #[param(value_type = Option<String>)]
    state: Option<ShareState>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    limit: Option<u32>,
}

fn encode_cursor(c: &ShareCursor) -> String {
    format!("{}.{}", c.created_at.unix_timestamp_nanos(), c.id.0)
}

fn decode_cursor(s: &str) -> Result<ShareCursor, ApiError> {
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "cursor: expected the `next_cursor` of the previous page",
        )
    };
    let (t, id) = s.split_once('.').ok_or_else(bad)?;
    Ok(ShareCursor {
        created_at: OffsetDateTime::from_unix_timestamp_nanos(t.parse().map_err(|_| bad())?)
            .map_err(|_| bad())?,
        id: ShareId(id.parse().map_err(|_| bad())?),
    })
}

/// Lists shares (own; all for admins), newest first, with a cursor.
#[utoipa::path(get, path = "/api/shares", tag = "shares", params(ListQuery),
    params(),
    responses((status = 200, description = "`{shares, next_cursor}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn list(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = st
        .app
        .list_shares(
            &actor,
            ListShares {
                owner: owner_param(q.owner)?,
                name_contains: q.name,
                created_from: q.created_from,
                created_to: q.created_to,
                state: q.state,
                after: q.cursor.as_deref().map(decode_cursor).transpose()?,
                limit: q.limit.map(|l| l.clamp(1, 1000)),
            },
        )
        .await?;
    let shares: Vec<Value> = page.shares.iter().map(|s| share_json(&st.app, s)).collect();
    Ok(Json(json!({
        "shares": shares,
        "next_cursor": page.next.as_ref().map(encode_cursor),
    })))
}

/// Revokes a share: deletes it and everything under it.
#[utoipa::path(delete, path = "/api/shares/{id}", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 204, description = "Revoked"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn revoke(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.revoke(&actor, ShareId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every share the caller can see.
#[utoipa::path(post, path = "/api/shares/revoke-all", tag = "shares",
    params(),
    responses((status = 200, description = "`{revoked}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn revoke_all(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<Value>, ApiError> {
    let n = st.app.revoke_all(&actor).await?;
    Ok(Json(json!({ "revoked": n })))
}

/// Expires a share now (keeps its log).
#[utoipa::path(post, path = "/api/shares/{id}/expire", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn expire(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let share = st.app.expire(&actor, ShareId(id)).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// The new expiry (none: the site default).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReactivateBody {
    /// RFC 3339, or a local date and time read in the share's time zone (UTC without
    /// one).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<String>,
}

/// Reactivates an expired share with a future expiry.
#[utoipa::path(post, path = "/api/shares/{id}/reactivate", tag = "shares", request_body = ReactivateBody,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn reactivate(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReactivateBody>,
) -> Result<Json<Value>, ApiError> {
    let expires_at = match body.expires_at {
        None => None,
        Some(text) => {
            let share = st.app.get_share(&actor, ShareId(id)).await?;
            let zone = share.settings.schedule.time_zone.as_deref();
            Some(
                parse_in_zone(&text, zone)
                    .map_err(|e| ApiError::invalid_field("expires_at", e))?
                    .to_offset(time::UtcOffset::UTC),
            )
        }
    };
    let share = st.app.reactivate(&actor, ShareId(id), expires_at).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// Adds items.
#[utoipa::path(post, path = "/api/shares/{id}/items", tag = "shares", request_body = Vec<ItemBody>,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn add_items(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Vec<ItemBody>>,
) -> Result<Json<Value>, ApiError> {
    let share = st.app.add_items(&actor, ShareId(id), items(body)?).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// Removes items (by store path).
#[utoipa::path(post, path = "/api/shares/{id}/items/remove", tag = "shares", request_body = Vec<String>,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The share", body = ShareDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn remove_items(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Vec<String>>,
) -> Result<Json<Value>, ApiError> {
    let paths = body
        .iter()
        .enumerate()
        .map(|(i, p)| SharePath::parse(p).map_err(|e| ApiError::invalid_field(format!("[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let share = st.app.remove_items(&actor, ShareId(id), &paths).await?;
    Ok(Json(share_json(&st.app, &share)))
}

/// A recipient.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RecipientBody {
    email: String,
    company: Option<String>,
    note: Option<String>,
}

/// Recipients and an optional message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    recipients: Vec<RecipientBody>,
    message: Option<String>,
}

fn recipient_json(r: &sharelink_core::Recipient) -> Value {
    json!({
        "id": r.id,
        "email": r.email,
        "company": r.company,
        "note": r.note,
        "sent_at": r.sent_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "bound": r.bound_browser.is_some(),
        "revoked_at": r.revoked_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "expires_at": r.expires_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "last_access_at": r.last_access_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
    })
}

/// Sends the share by email; one outcome per recipient.
#[utoipa::path(post, path = "/api/shares/{id}/email", tag = "shares", request_body = EmailBody,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "`{outcomes: [{email, ok, recipient | error}]}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn share_by_email(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Json<Value>, ApiError> {
    let outcomes = send_to(&st.app, &actor, ShareId(id), body.recipients, body.message).await?;
    Ok(Json(json!({ "outcomes": outcomes })))
}

/// Sends a share to recipients: one outcome per recipient (`{email, ok, recipient}` or
/// `{email, ok: false, error, message}`), bad addresses included.
async fn send_to(
    app: &Sharelink,
    actor: &UserId,
    id: ShareId,
    recipients: Vec<RecipientBody>,
    message: Option<String>,
) -> Result<Vec<Value>, ApiError> {
    let mut inputs = Vec::new();
    let mut outcomes = Vec::new();
    for r in recipients {
        match Email::parse(r.email.trim()) {
            Ok(email) => inputs.push(NewRecipientInput {
                email,
                company: r.company,
                note: r.note,
            }),
            Err(e) => outcomes.push(json!({
                "email": r.email, "ok": false, "error": "bad_email", "message": e.to_string(),
            })),
        }
    }
    for o in app.share_by_email(actor, id, inputs, message).await? {
        outcomes.push(match o.result {
            Ok(r) => json!({ "email": o.email, "ok": true, "recipient": recipient_json(&r) }),
            Err(e) => failed(json!({ "email": o.email }), e),
        });
    }
    Ok(outcomes)
}

/// Lists the recipients.
#[utoipa::path(get, path = "/api/shares/{id}/recipients", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "`{recipients: [{id, email, state, bound, sent_at, last_access_at, revoked_at, expires_at, …}]}`; `state` is `active`, `revoked` or `expired`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn recipients(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let list = st.app.recipient_statuses(&actor, ShareId(id)).await?;
    Ok(Json(json!({
        "recipients": list.iter().map(recipients::status_json).collect::<Vec<_>>()
    })))
}

/// Lists the registrations.
#[utoipa::path(get, path = "/api/shares/{id}/registrations", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "`{registrations}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn registrations(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let list = st.app.registrations(&actor, ShareId(id)).await?;
    let out: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "registration": r.registration,
                "at": r.at.format(&time::format_description::well_known::Rfc3339).ok(),
                "ip": r.ip,
            })
        })
        .collect();
    Ok(Json(json!({ "registrations": out })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogParams {
    /// Only events of this kind (`visit`, `download`, `denied`, …).
    #[param(value_type = Option<String>)]
    kind: Option<LogKind>,
    /// RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<OffsetDateTime>,
    /// RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<OffsetDateTime>,
    before_id: Option<i64>,
    limit: Option<u32>,
}

/// Reads the access log, newest first.
#[utoipa::path(get, path = "/api/shares/{id}/log", tag = "shares", params(LogParams),
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "`{events, next_before_id}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn access_log(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LogParams>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events = st
        .app
        .access_log(
            &actor,
            ShareId(id),
            LogQuery {
                shares: None,
                kinds: q.kind.map(|k| vec![k]),
                from: q.from,
                to: q.to,
                before_id: q.before_id,
                limit,
            },
        )
        .await?;
    let next = (events.len() as u32 == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(Json(json!({ "events": events, "next_before_id": next })))
}

/// Statistics: visits, unique visitors, downloads, bytes.
#[utoipa::path(get, path = "/api/shares/{id}/statistics", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "Statistics", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn statistics(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let stats = st.app.statistics(&actor, ShareId(id)).await?;
    Ok(Json(json!(stats)))
}

/// Lists the caller's form and clickwrap templates.
#[utoipa::path(get, path = "/api/templates", tag = "shares",
    params(),
    responses((status = 200, description = "`{templates}`", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn templates(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<Value>, ApiError> {
    let list = st.app.templates(&actor).await?;
    Ok(Json(json!({ "templates": list })))
}

/// A named form or clickwrap template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateRequest {
    name: String,
    #[schema(value_type = Object)]
    body: TemplateBody,
}

/// Saves a form or clickwrap template.
#[utoipa::path(post, path = "/api/templates", tag = "shares", request_body = TemplateRequest,
    params(),
    responses((status = 201, description = "The template", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn save_template(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<TemplateRequest>,
) -> Result<Response, ApiError> {
    let t = st.app.save_template(&actor, &body.name, body.body).await?;
    Ok((StatusCode::CREATED, Json(json!(t))).into_response())
}

/// Replaces a template's name and content (its kind stays). Every share using it by
/// reference (`registration_template`, `clickwrap_template`) shows the new content at
/// once; visitors who accepted the old terms or filled in the old form meet that gate
/// again, and their earlier acceptance keeps the old text's digest.
#[utoipa::path(put, path = "/api/templates/{id}", tag = "shares", request_body = TemplateRequest,
    params(("id" = i64, Path, description = "Template id"),),
    responses((status = 200, description = "The template", body = Object), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`template_not_found`: no such template, or not yours", body = ErrorBody), (status = 409, description = "`template_kind_fixed`: a form template stays a form, a clickwrap one clickwrap", body = ErrorBody), (status = 422, description = "`form` or `settings`: a bad form or name", body = ErrorBody)))]
async fn update_template(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateRequest>,
) -> Result<Json<Value>, ApiError> {
    let t = st
        .app
        .update_template(&actor, id, &body.name, body.body)
        .await?;
    Ok(Json(json!(t)))
}

/// Deletes a template. One that shares use by reference is kept and the call answers
/// 409 `template_in_use` naming how many: unset the reference on those shares first
/// (each then keeps the text as its own copy).
#[utoipa::path(delete, path = "/api/templates/{id}", tag = "shares",
    params(("id" = i64, Path, description = "Template id"),),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such template, or not yours", body = ErrorBody), (status = 409, description = "`template_in_use`: shares use it by reference", body = ErrorBody)))]
async fn delete_template(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    if st.app.delete_template(&actor, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such template",
        ))
    }
}

/// The link as an SVG QR code.
#[utoipa::path(get, path = "/api/shares/{id}/qr.svg", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn qr_svg(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let share = st.app.get_share(&actor, ShareId(id)).await?;
    let svg = crate::qr::svg(&st.app.link(&share))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The link as a PNG QR code.
#[utoipa::path(get, path = "/api/shares/{id}/qr.png", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "PNG", content_type = "image/png"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn qr_png(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let share = st.app.get_share(&actor, ShareId(id)).await?;
    let png = crate::qr::png(&st.app.link(&share))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// A queued mail: what, to whom and how its delivery went (never its links or codes).
#[derive(Debug, Serialize, ToSchema)]
struct MailDto {
    id: i64,
    /// `invitation`, `one_time_code`, `download_notification`, `link_resent`,
    /// `expiry_reminder` or `under_attack`.
    kind: &'static str,
    to: String,
    share_id: Option<i64>,
    /// `pending`, `sent`, `dead` or `expired`.
    state: &'static str,
    attempts: u32,
    last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    queued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    not_after: Option<OffsetDateTime>,
}

impl From<MailView> for MailDto {
    fn from(m: MailView) -> Self {
        Self {
            id: m.id.0,
            kind: m.kind,
            to: m.to.to_string(),
            share_id: m.share.map(|s| s.0),
            state: m.state.as_str(),
            attempts: m.attempts,
            last_error: m.last_error,
            queued_at: m.queued_at,
            next_attempt_at: m.next_attempt_at,
            updated_at: m.updated_at,
            not_after: m.not_after,
        }
    }
}

/// Filters of the mail listing.
#[derive(Debug, Deserialize, IntoParams)]
struct MailParams {
    /// `pending`, `sent`, `dead` or `expired`; all when absent.
    state: Option<String>,
    /// Only mails older than this id (the next page).
    before_id: Option<i64>,
    /// At most this many (default 50, at most 1000).
    limit: Option<u32>,
}

/// Lists queued mail, newest first: owners the mail about their shares, admins all.
#[utoipa::path(get, path = "/api/mail", tag = "mail", params(MailParams),
    responses((status = 200, description = "`{mail, next_before_id}`", body = Object), (status = 400, description = "Unknown state", body = ErrorBody), (status = 401, description = "No signed-in user", body = ErrorBody)))]
async fn queued_mail(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(q): ApiQuery<MailParams>,
) -> Result<Json<Value>, ApiError> {
    let state = q
        .state
        .as_deref()
        .map(|s| {
            MailState::parse(s).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_state",
                    "state must be pending, sent, dead or expired",
                )
            })
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let mail: Vec<MailDto> = st
        .app
        .queued_mail(
            &actor,
            ListMail {
                state,
                before: q.before_id.map(QueuedMailId),
                limit: Some(limit),
            },
        )
        .await?
        .into_iter()
        .map(MailDto::from)
        .collect();
    let next = (mail.len() == limit as usize)
        .then(|| mail.last().map(|m| m.id))
        .flatten();
    Ok(Json(json!({ "mail": mail, "next_before_id": next })))
}

/// Sends a dead or expired mail again.
#[utoipa::path(post, path = "/api/mail/{id}/retry", tag = "mail",
    params(("id" = i64, Path, description = "Mail id"),),
    responses((status = 200, description = "The mail, pending again", body = MailDto), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such mail, or not yours", body = ErrorBody), (status = 409, description = "The mail is pending or sent", body = ErrorBody)))]
async fn retry_mail(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MailDto>, ApiError> {
    let mail = st.app.retry_mail(&actor, QueuedMailId(id)).await?;
    Ok(Json(mail.into()))
}

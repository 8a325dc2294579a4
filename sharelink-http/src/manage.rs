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
use sharelink_core::ports::{LogEvent, ShareStats, Template};
use sharelink_core::ports::{LogKind, LogQuery, ShareCursor, TemplateBody};
use sharelink_core::ports::{MailState, QueuedMailId};
use sharelink_core::service::{
    CreateShare, ListMail, ListShares, MailView, NewItem, NewRecipientInput, PasswordChange,
    Sharelink,
};
use sharelink_core::{
    Adjustment, Email, Recipient, RecipientId, RecipientState, Registration, RegistrationId, Share,
    ShareId, ShareItem, SharePath, ShareSettings, ShareState, UserId,
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
/// document never lags behind [`request`] and [`Actor`]; the `X-Sharelink-Request`
/// header of bodyless changes; and the links a client (or Schemathesis's stateful phase)
/// follows from a created share, recipient or template to what reads and changes it.
#[derive(Debug)]
struct CommonRefusals;

impl utoipa::Modify for CommonRefusals {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{Ref, RefOr, Required, ResponseBuilder};
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
                        "`cross_site`: sent from another site's page (`Origin`, `Sec-Fetch-Site`); \
                         `unknown_user`, `user_disabled`: the signed-in user may not act",
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
                    r.entry("413".into()).or_insert_with(|| {
                        refusal("`too_large`: the body is larger than the site accepts")
                    });
                    r.entry("422".into()).or_insert_with(|| {
                        refusal("`invalid_field`: a field is missing, unknown or of the wrong type or format (`field` names it)")
                    });
                } else {
                    let header = ParameterBuilder::new()
                        .name(request::REQUEST_HEADER_NAME)
                        .parameter_in(ParameterIn::Header)
                        .required(Required::True)
                        .description(Some(
                            "Any value: says the request comes from a script, which a plain \
                             HTML form of another site cannot send (a request without a body \
                             must carry it)",
                        ))
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String)
                                .enum_values(Some(["1"])),
                        ))
                        .example(Some(json!("1")))
                        .build();
                    op.parameters.get_or_insert_with(Vec::new).push(header);
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
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
                let in_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
                let r = &mut op.responses.responses;
                if in_path || in_query {
                    r.entry("400".into()).or_insert_with(|| {
                        refusal(
                            "`invalid_path_parameter` or `invalid_query`: a parameter is malformed",
                        )
                    });
                }
                if in_path {
                    r.entry("404".into()).or_insert_with(|| {
                        refusal("`share_not_found` (no such share, or not yours) or another `…_not_found`")
                    });
                }
                r.entry("401".into())
                    .or_insert_with(|| refusal("`unauthenticated`: no signed-in user"));
                r.entry("403".into()).or_insert_with(|| {
                    refusal("`unknown_user`, `user_disabled`: the signed-in user may not act")
                });
                r.entry("503".into()).or_insert_with(|| {
                    refusal("`unavailable`: the database or the file store cannot be reached; nothing was changed, retry after `Retry-After` seconds")
                });
            }
        }
        add_links(doc);
    }
}

/// Declares the OpenAPI links from the answers that create something (a share, a
/// recipient, a template) to the operations that take its id.
fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::LinkBuilder;
    // (operation, status, parameter, where the id is in its answer)
    let sources = [
        ("/api/shares", "post", "201", "id", "$response.body#/id"),
        ("/api/shares/{id}", "get", "200", "id", "$response.body#/id"),
        ("/api/templates", "post", "201", "id", "$response.body#/id"),
        (
            "/api/shares/{id}/email",
            "post",
            "200",
            "recipient",
            "$response.body#/outcomes/0/recipient/id",
        ),
    ];
    // Every operation's id, path parameters and path.
    let mut targets = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("get", &item.get),
            ("post", &item.post),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ] {
            let Some(op) = op else { continue };
            let names: Vec<String> = op
                .parameters
                .iter()
                .flatten()
                .filter(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
                .map(|p| p.name.clone())
                .collect();
            if let Some(id) = &op.operation_id {
                targets.push((path.clone(), method, id.clone(), names));
            }
        }
    }
    for (path, method, status, param, at) in sources {
        let Some(item) = doc.paths.paths.get_mut(path) else {
            continue;
        };
        let op = match method {
            "post" => item.post.as_mut(),
            _ => item.get.as_mut(),
        };
        let Some(RefOr::T(response)) = op.and_then(|o| o.responses.responses.get_mut(status))
        else {
            continue;
        };
        for (target_path, target_method, operation_id, names) in &targets {
            if !names.iter().any(|n| n == param)
                || (target_path == path && *target_method == method)
            {
                continue;
            }
            // From an email answer, only the per-recipient routes; they take the share's
            // id from the request.
            if param == "recipient" && !target_path.contains("{recipient}") {
                continue;
            }
            if param == "id" && target_path.contains("{recipient}") {
                continue;
            }
            // A template's id leads to templates only, a share's to shares only.
            if path.starts_with("/api/templates") != target_path.starts_with("/api/templates") {
                continue;
            }
            // utoipa 5.5 writes `operation_id`, which OpenAPI does not know: the field
            // goes in by its OpenAPI name.
            let mut link = LinkBuilder::new()
                .extensions(Some(utoipa::openapi::extensions::Extensions::from_iter([
                    ("operationId", operation_id.clone()),
                ])))
                .parameter(param, at);
            if param == "recipient" {
                link = link.parameter("id", "$request.path.id");
            }
            response
                .links
                .insert(operation_id.clone(), RefOr::T(link.build()));
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
version, change by naming it; in effect at once on the server process that saved them and \
within `Config::site_cache` (1 s by default) on every other")),
    modifiers(&CommonRefusals)
)]
struct ApiDoc;

/// The document as this server answers it: [`ApiDoc`] with the address the router is
/// mounted at as its server and the embedder's credential as its security scheme.
pub(crate) fn document(state: &SharelinkState) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
    };
    let mut doc = ApiDoc::openapi();
    let base = &state.app.config().link_base;
    let mount = base
        .trim_end_matches('/')
        .strip_suffix("/s")
        .unwrap_or(base.trim_end_matches('/'));
    doc.servers = Some(vec![
        utoipa::openapi::ServerBuilder::new()
            .url(mount)
            .description(Some("Where this server mounts the sharelink router"))
            .build(),
    ]);
    let described = "The embedding application's sign-in (what its `Authenticator` reads)";
    let scheme = match state.auth.api_credential() {
        Some(crate::ApiCredential::Cookie(name)) => Some(SecurityScheme::ApiKey(ApiKey::Cookie(
            ApiKeyValue::with_description(name, described.to_owned()),
        ))),
        Some(crate::ApiCredential::Header(name)) => Some(SecurityScheme::ApiKey(ApiKey::Header(
            ApiKeyValue::with_description(name, described.to_owned()),
        ))),
        Some(crate::ApiCredential::Bearer) => {
            Some(SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        }
        None => None,
    };
    if let Some(scheme) = scheme {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("signed_in", scheme);
        doc.security = Some(vec![SecurityRequirement::new(
            "signed_in",
            Vec::<String>::new(),
        )]);
    }
    doc
}

async fn openapi(State(st): State<SharelinkState>) -> Json<utoipa::openapi::OpenApi> {
    Json(document(&st))
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
    #[schema(value_type = i64, example = 1)]
    id: ShareId,
    /// The public URL key.
    #[schema(value_type = String, example = "q3-reports")]
    key: &'a str,
    /// The public link. With auto-fill (`effective.password_autofill`) it carries the
    /// access code (`?code=…`), so the owner can copy it again at any time; the QR code
    /// is drawn from this same link.
    #[schema(example = "https://files.example.com/share/s/q3-reports")]
    link: String,
    /// The owner's user id.
    #[schema(value_type = UserId)]
    owner: &'a UserId,
    /// Shared items.
    #[schema(value_type = Vec<ShareItem>)]
    items: &'a [ShareItem],
    /// Settings as the creator asked for them.
    #[schema(value_type = ShareSettings)]
    requested: &'a ShareSettings,
    /// Settings in effect after site policy and the creator's rights.
    #[schema(value_type = ShareSettings)]
    effective: &'a ShareSettings,
    /// How `effective` differs from `requested`, and why.
    #[schema(value_type = Vec<Adjustment>)]
    adjustments: &'a [Adjustment],
    /// Whether the link works now.
    state: ShareState,
    /// Whether visitors need a password (or the access code of the link).
    password_protected: bool,
    /// Uses spent (what `effective.use_limit.unit` counts).
    uses: u32,
    /// Bytes visitors uploaded.
    uploaded_bytes: u64,
    /// Whether the link is bound to the first device that opened it.
    device_bound: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

/// A share just created or updated, with the password generated for it if one was.
#[derive(Debug, Serialize, ToSchema)]
struct ShareWithPassword<'a> {
    #[serde(flatten)]
    share: ShareDto<'a>,
    /// The generated password, shown this once (`null` when none was generated).
    generated_password: Option<String>,
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
                let field = || format!("settings.schedule.{name}");
                let at = parse_in_zone(text, zone.as_deref())
                    .map_err(|e| ApiError::invalid_field(field(), e))?;
                let at = storable(at).map_err(|e| ApiError::invalid_field(field(), e))?;
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

/// How one item of a batch went: `ok`, or the error's code and message, as the whole
/// request's error would carry them.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ItemOutcome {
    /// Whether this item was done.
    ok: bool,
    /// The error's code when not (`share_not_found`, `bad_email`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// The error's message when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl ItemOutcome {
    /// A done item.
    pub(super) const OK: Self = Self {
        ok: true,
        error: None,
        message: None,
    };

    /// An item refused with `e`.
    pub(super) fn failed(e: impl Into<ApiError>) -> Self {
        let e = e.into();
        Self {
            ok: false,
            error: Some(e.code),
            message: Some(e.message),
        }
    }
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

/// `at`, if every store can keep it (nanoseconds since 1970 in 64 bits).
fn storable(at: OffsetDateTime) -> Result<OffsetDateTime, &'static str> {
    i64::try_from(at.unix_timestamp_nanos())
        .map(|_| at)
        .map_err(|_| "the instant must lie between the years 1678 and 2262")
}

/// An optional instant of a query: RFC 3339, or a local date and time read in UTC,
/// between the years 1678 and 2262 (what every store keeps, as nanoseconds in 64 bits).
fn query_instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| {
            let at = parse_in_zone(&text, None).map_err(serde::de::Error::custom)?;
            storable(at).map_err(serde::de::Error::custom)
        })
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
#[schema(example = json!({"name": "Apollo plan", "items": [{"path": "projects/apollo"}],
    "settings": {"schedule": {"expires_at": "2030-01-31T18:00:00+01:00"}}}))]
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
    responses((status = 201, description = "Created", body = ShareWithPassword), (status = 422, description = "Refused settings", body = ErrorBody), (status = 401, description = "No signed-in user", body = ErrorBody)))]
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
    let out = ShareWithPassword {
        share: dto(&st.app, &created.share),
        generated_password: created.generated_password.map(|p| p.expose().to_owned()),
    };
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
    responses((status = 200, description = "The share", body = ShareWithPassword), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
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
    let out = ShareWithPassword {
        share: dto(&st.app, &share),
        generated_password: generated.map(|p| p.expose().to_owned()),
    };
    Ok(Json(serde_json::to_value(out).unwrap_or(Value::Null)))
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
    responses((status = 200, description = "A page of shares, newest first", body = SharePage), (status = 401, description = "No signed-in user", body = ErrorBody)))]
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
    let out = SharePage {
        shares: page.shares.iter().map(|s| dto(&st.app, s)).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    };
    Ok(Json(serde_json::to_value(out).unwrap_or(Value::Null)))
}

/// A page of shares.
#[derive(Debug, Serialize, ToSchema)]
struct SharePage<'a> {
    shares: Vec<ShareDto<'a>>,
    /// `cursor` of the next page; `null` on the last.
    next_cursor: Option<String>,
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
    responses((status = 200, description = "How many shares were revoked", body = RevokedCount), (status = 401, description = "No signed-in user", body = ErrorBody)))]
async fn revoke_all(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<RevokedCount>, ApiError> {
    let revoked = st.app.revoke_all(&actor).await?;
    Ok(Json(RevokedCount { revoked }))
}

/// How many shares were revoked.
#[derive(Debug, Serialize, ToSchema)]
struct RevokedCount {
    revoked: u64,
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
                    .map_err(|e| ApiError::invalid_field("expires_at", e))
                    .and_then(|at| {
                        storable(at).map_err(|e| ApiError::invalid_field("expires_at", e))
                    })?
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

/// A recipient of a share and where their link stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Recipient)]
pub(super) struct RecipientDto {
    #[schema(value_type = i64, example = 7)]
    id: RecipientId,
    #[schema(value_type = Email)]
    email: Email,
    company: Option<String>,
    /// The owner's note about them.
    note: Option<String>,
    /// When the last link was sent.
    #[serde(with = "time::serde::rfc3339::option")]
    sent_at: Option<OffsetDateTime>,
    /// Whether their link is bound to the browser that first opened it.
    bound: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    /// Their link's own expiry, apart from the share's.
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_access_at: Option<OffsetDateTime>,
    /// Whether their link works (as far as the share itself does).
    state: RecipientState,
}

impl RecipientDto {
    /// The view of a recipient whose link is in `state`.
    pub(super) fn new(r: &Recipient, state: RecipientState) -> Self {
        Self {
            id: r.id,
            email: r.email.clone(),
            company: r.company.clone(),
            note: r.note.clone(),
            sent_at: r.sent_at,
            bound: r.bound_browser.is_some(),
            revoked_at: r.revoked_at,
            expires_at: r.expires_at,
            last_access_at: r.last_access_at,
            state,
        }
    }
}

/// How sending to one recipient went.
#[derive(Debug, Serialize, ToSchema)]
struct EmailOutcome {
    /// The address as given.
    email: String,
    #[serde(flatten)]
    outcome: ItemOutcome,
    /// The recipient, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<RecipientDto>,
}

/// One outcome per recipient, in the order given.
#[derive(Debug, Serialize, ToSchema)]
struct EmailOutcomes {
    outcomes: Vec<EmailOutcome>,
}

/// Sends the share by email; one outcome per recipient.
#[utoipa::path(post, path = "/api/shares/{id}/email", tag = "shares", request_body = EmailBody,
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "One outcome per recipient", body = EmailOutcomes), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn share_by_email(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Json<EmailOutcomes>, ApiError> {
    let outcomes = send_to(&st.app, &actor, ShareId(id), body.recipients, body.message).await?;
    Ok(Json(EmailOutcomes { outcomes }))
}

/// Sends a share to recipients: one outcome per recipient, bad addresses included.
async fn send_to(
    app: &Sharelink,
    actor: &UserId,
    id: ShareId,
    recipients: Vec<RecipientBody>,
    message: Option<String>,
) -> Result<Vec<EmailOutcome>, ApiError> {
    let mut inputs = Vec::new();
    let mut outcomes = Vec::new();
    for r in recipients {
        match Email::parse(r.email.trim()) {
            Ok(email) => inputs.push(NewRecipientInput {
                email,
                company: r.company,
                note: r.note,
            }),
            Err(e) => outcomes.push(EmailOutcome {
                email: r.email,
                outcome: ItemOutcome::failed(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_email",
                    e.to_string(),
                )),
                recipient: None,
            }),
        }
    }
    let now = app.ports().clock.now();
    for o in app.share_by_email(actor, id, inputs, message).await? {
        outcomes.push(match o.result {
            Ok(r) => EmailOutcome {
                email: o.email.to_string(),
                outcome: ItemOutcome::OK,
                recipient: Some(RecipientDto::new(&r, r.state(now))),
            },
            Err(e) => EmailOutcome {
                email: o.email.to_string(),
                outcome: ItemOutcome::failed(e),
                recipient: None,
            },
        });
    }
    Ok(outcomes)
}

/// The recipients of a share.
#[derive(Debug, Serialize, ToSchema)]
struct RecipientList {
    recipients: Vec<RecipientDto>,
}

/// Lists the recipients.
#[utoipa::path(get, path = "/api/shares/{id}/recipients", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The recipients, with where each one's link stands", body = RecipientList), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn recipients(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RecipientList>, ApiError> {
    let list = st.app.recipient_statuses(&actor, ShareId(id)).await?;
    Ok(Json(RecipientList {
        recipients: list
            .iter()
            .map(|s| RecipientDto::new(&s.recipient, s.state))
            .collect(),
    }))
}

/// Lists the registrations.
#[utoipa::path(get, path = "/api/shares/{id}/registrations", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "The registrations, oldest first", body = RegistrationList), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn registrations(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RegistrationList>, ApiError> {
    let list = st.app.registrations(&actor, ShareId(id)).await?;
    let registrations = list
        .into_iter()
        .map(|r| RegistrationDto {
            id: r.id,
            registration: r.registration,
            at: r.at,
            ip: r.ip.map(|ip| ip.to_string()),
        })
        .collect();
    Ok(Json(RegistrationList { registrations }))
}

/// A visitor's filled-in registration form.
#[derive(Debug, Serialize, ToSchema)]
struct RegistrationDto {
    #[schema(value_type = i64)]
    id: RegistrationId,
    registration: Registration,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// The visitor's address (truncated when the site asks).
    ip: Option<String>,
}

/// The registrations of a share.
#[derive(Debug, Serialize, ToSchema)]
struct RegistrationList {
    registrations: Vec<RegistrationDto>,
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

/// A page of the access log.
#[derive(Debug, Serialize, ToSchema)]
struct LogPage {
    events: Vec<LogEvent>,
    /// `before_id` of the next page; `null` on the last.
    next_before_id: Option<i64>,
}

/// Reads the access log, newest first.
#[utoipa::path(get, path = "/api/shares/{id}/log", tag = "shares", params(LogParams),
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "A page of events, newest first", body = LogPage), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn access_log(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LogParams>,
) -> Result<Json<LogPage>, ApiError> {
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
    let next_before_id = (events.len() as u32 == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(Json(LogPage {
        events,
        next_before_id,
    }))
}

/// Statistics: visits, unique visitors, downloads, bytes.
#[utoipa::path(get, path = "/api/shares/{id}/statistics", tag = "shares",
    params(("id" = i64, Path, description = "Share id"),),
    responses((status = 200, description = "Statistics", body = ShareStats), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
async fn statistics(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ShareStats>, ApiError> {
    Ok(Json(st.app.statistics(&actor, ShareId(id)).await?))
}

/// Lists the caller's form and clickwrap templates.
#[utoipa::path(get, path = "/api/templates", tag = "shares",
    params(),
    responses((status = 200, description = "The caller's templates", body = TemplateList), (status = 401, description = "No signed-in user", body = ErrorBody)))]
async fn templates(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<TemplateList>, ApiError> {
    let templates = st.app.templates(&actor).await?;
    Ok(Json(TemplateList { templates }))
}

/// The caller's templates.
#[derive(Debug, Serialize, ToSchema)]
struct TemplateList {
    templates: Vec<Template>,
}

/// A named form or clickwrap template.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateRequest {
    name: String,
    body: TemplateBody,
}

/// Saves a form or clickwrap template.
#[utoipa::path(post, path = "/api/templates", tag = "shares", request_body = TemplateRequest,
    params(),
    responses((status = 201, description = "The template", body = Template), (status = 401, description = "No signed-in user", body = ErrorBody)))]
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
    responses((status = 200, description = "The template", body = Template), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`template_not_found`: no such template, or not yours", body = ErrorBody), (status = 409, description = "`template_kind_fixed`: a form template stays a form, a clickwrap one clickwrap", body = ErrorBody), (status = 422, description = "`form` or `settings`: a bad form or name", body = ErrorBody)))]
async fn update_template(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateRequest>,
) -> Result<Json<Template>, ApiError> {
    let t = st
        .app
        .update_template(&actor, id, &body.name, body.body)
        .await?;
    Ok(Json(t))
}

/// Deletes a template. One that shares use by reference is kept and the call answers
/// 409 `template_in_use` naming how many: unset the reference on those shares first
/// (each then keeps the text as its own copy).
#[utoipa::path(delete, path = "/api/templates/{id}", tag = "shares",
    params(("id" = i64, Path, description = "Template id"),),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No signed-in user", body = ErrorBody), (status = 404, description = "`not_found`: no such template, or not yours", body = ErrorBody), (status = 409, description = "`template_in_use`: shares use it by reference", body = ErrorBody)))]
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
#[into_params(parameter_in = Query)]
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
    responses((status = 200, description = "A page of mail, newest first", body = MailPage), (status = 400, description = "Unknown state", body = ErrorBody), (status = 401, description = "No signed-in user", body = ErrorBody)))]
async fn queued_mail(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(q): ApiQuery<MailParams>,
) -> Result<Json<MailPage>, ApiError> {
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
    let next_before_id = (mail.len() == limit as usize)
        .then(|| mail.last().map(|m| m.id))
        .flatten();
    Ok(Json(MailPage {
        mail,
        next_before_id,
    }))
}

/// A page of queued mail.
#[derive(Debug, Serialize, ToSchema)]
struct MailPage {
    mail: Vec<MailDto>,
    /// `before_id` of the next page; `null` on the last.
    next_before_id: Option<i64>,
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

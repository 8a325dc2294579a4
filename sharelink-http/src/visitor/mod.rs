//! Visitor routes under `/s/{key}`: open a link, pass the gates, browse, download,
//! preview, download all as ZIP, upload and (at the full level) change files.
//!
//! Every route answers HTML, or JSON when asked with `Accept: application/json`. Every
//! state-changing request carries the CSRF token (form field `csrf` or header
//! `X-CSRF-Token`) that matches the `sl_csrf` cookie.
//!
//! This module opens links and sessions and answers refusals; [`gates`] takes the gate
//! forms, [`changes`] uploads and file changes, and `crate::download` serves files. The
//! HTML comes from `crate::pages`.

pub(crate) mod changes;
mod gates;

use crate::client::Ctx;
use crate::download;
use crate::pages::{self, Notice, confirm_open_page, gate_page, share_page, url_query};
use crate::{ApiError, SharelinkState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use sharelink_core::policy::RequestMode;
use sharelink_core::service::{GateInfo, OpenRequest, ServiceError, Visit, VisitRequest};
use sharelink_core::{Capability, Denial, SessionId, SharePath};

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The visitor routes.
pub(crate) fn routes(form_limit: usize, upload_limit: u64) -> Router<SharelinkState> {
    let upload_limit = usize::try_from(upload_limit).unwrap_or(usize::MAX);
    Router::new()
        .route("/s/{key}", get(show))
        .route("/s/{key}/embed", get(embed))
        .route("/assets/upload.js", get(upload_js))
        .route("/widget.js", get(widget_js))
        .route("/s/{key}/open", post(open_confirmed))
        .route("/s/{key}/password", post(gates::password))
        .route("/s/{key}/email", post(gates::request_code))
        .route("/s/{key}/code", post(gates::verify_code))
        .route("/s/{key}/register", post(gates::register))
        .route("/s/{key}/terms", post(gates::accept_terms))
        .route(
            "/s/{key}/dl/{*path}",
            get(download::file::<false>).post(download::file::<false>),
        )
        .route(
            "/s/{key}/preview/{*path}",
            get(download::file::<true>).post(download::file::<true>),
        )
        .route("/s/{key}/zip", get(download::zip).post(download::zip))
        .route("/s/{key}/thumb/{*path}", get(download::thumbnail))
        .route("/s/{key}/view/{*path}", get(view_file))
        .route("/s/{key}/mkdir", post(changes::mkdir))
        .route("/s/{key}/rename", post(changes::rename))
        .route("/s/{key}/move", post(changes::move_or_copy))
        .route("/s/{key}/delete", post(changes::delete))
        .layer(DefaultBodyLimit::max(form_limit))
        .merge(
            Router::new()
                .route("/s/{key}/upload", post(changes::upload))
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
}

// ----- answers -------------------------------------------------------------------------

/// A refusal as JSON or as a friendly page. Refusals never set cookies, so an unknown
/// and a revoked key answer byte for byte the same.
pub(crate) fn fail(ctx: &Ctx, err: ApiError) -> Response {
    if ctx.json {
        if err.code == Denial::ConfirmationRequired.code() {
            // A JSON client passes the confirmation as a browser does (a POST with the
            // CSRF token, in the session these cookies name): give it both.
            let body = serde_json::json!({
                "error": err.code, "message": err.message, "csrf": ctx.csrf,
            });
            return ctx.apply((err.status, Json(body)).into_response());
        }
        return err.into_response();
    }
    let text = failure_text(ctx, err.code, &err.message);
    pages::message(ctx, err.status, &failure_title(ctx, err.code), &text)
}

/// The text of a refusal's page: `message` (core's English wording, which may carry
/// details) in English, its translation in another language when the refusal's text is
/// fixed.
pub(crate) fn failure_text(ctx: &Ctx, code: &str, message: &str) -> String {
    let id = format!("denial-{}", code.replace('_', "-"));
    ctx.look
        .translated(&id)
        .unwrap_or_else(|| message.to_owned())
}

/// The heading of the page that answers a refusal with code `code`, in the visitor's
/// language.
pub(crate) fn failure_title(ctx: &Ctx, code: &str) -> String {
    let id = match code {
        "not_found" | "share_not_found" => "failure-not-found",
        "expired" => "failure-expired",
        "uses_exhausted" => "failure-uses-exhausted",
        "invitation_already_used" => "failure-invitation-used",
        "action_not_allowed" | "creator_lacks_rights" => "failure-not-allowed",
        "file_type_refused" => "failure-file-type",
        "preview_unavailable" => "failure-no-preview",
        "too_many_attempts" => "failure-too-many-attempts",
        "no_session" => "failure-no-session",
        "csrf" => "failure-csrf",
        "outside_share" | "wrong_kind" => "failure-outside",
        "ip_not_allowed" => "failure-ip",
        "unavailable" => "failure-unavailable",
        "upload_rule_broken" => "failure-upload-rule",
        "upload_failed" | "no_space" => "failure-upload-failed",
        _ => "failure-other",
    };
    ctx.look.text(id)
}

/// A refusal, as [`fail`], with a link back to the share for page visitors.
pub(crate) fn fail_with_link(ctx: &Ctx, key: &str, err: ApiError) -> Response {
    if ctx.json {
        return err.into_response();
    }
    let mut res = fail(ctx, err);
    let status = res.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        res = pages::message_with_link(
            ctx,
            status,
            &ctx.look.text("title-reopen"),
            &ctx.look.text("failure-no-session"),
            (&ctx.share_url(key, ""), &ctx.look.text("reopen-link")),
        );
    }
    res
}

pub(crate) fn service_fail(ctx: &Ctx, e: ServiceError) -> Response {
    fail(ctx, e.into())
}

pub(crate) fn parse_path(raw: Option<&str>) -> Result<SharePath, ApiError> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(SharePath::root()),
        Some(p) => SharePath::parse(p).map_err(|e| ApiError::from(ServiceError::from(e))),
    }
}

// ----- opening and gates ---------------------------------------------------------------

#[derive(Debug, serde::Deserialize)]
pub(crate) struct PageQuery {
    r: Option<String>,
    code: Option<String>,
    p: Option<String>,
    /// How many files the upload that sent the visitor here stored.
    uploaded: Option<usize>,
    /// Set on the one round trip that gives a browser our cookie before a page opens.
    go: Option<String>,
}

pub(crate) async fn show(
    State(st): State<SharelinkState>,
    Path(key): Path<String>,
    Query(q): Query<PageQuery>,
    method: Method,
    mut ctx: Ctx,
) -> Response {
    let head = method == Method::HEAD;
    let path = match parse_path(q.p.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(&ctx, e),
    };
    // A browser inside already (with a session of this share) just comes back, also by
    // the invitation link it was opened from.
    if q.code.is_none()
        && let Some(sid) = ctx.session(&key)
    {
        // Navigating inside a session is an explicit request; HEAD never counts.
        let mode = if head {
            RequestMode::Head
        } else {
            RequestMode::Confirmed
        };
        match st
            .app
            .resume(&VisitRequest::new(&key, &sid, &ctx.client, mode))
            .await
        {
            Ok(visit) => {
                let notice = q
                    .uploaded
                    .zip(visit.view.as_ref())
                    .map(|(n, view)| pages::uploaded_notice(&ctx.look, n, view));
                return render_visit(&st, &mut ctx, &key, visit, &path, mode, notice).await;
            }
            Err(ServiceError::Denied(Denial::NoSession)) => {}
            Err(e) => return service_fail(&ctx, e),
        }
    }
    // A fetch without our cookies (a link preview, a mail scanner) is not an explicit
    // request: it may not spend, bind or store anything. Nor is the GET of an invitation
    // link, whoever sends it: taking the invitation is a button press.
    let mode = if head {
        RequestMode::Head
    } else if ctx.returning && q.r.is_none() {
        RequestMode::Confirmed
    } else {
        RequestMode::Unconfirmed
    };
    let came_round = q.go.is_some();
    open(st, ctx, key, q.r, q.code, mode, path, came_round).await
}

/// The page of one file's preview (the picture, player, PDF or text, loaded from the
/// preview route): a page of the session, as a folder's is. Where a preview spends a use,
/// the visitor goes to the preview itself (it asks for a confirmation first).
pub(crate) async fn view_file(
    State(st): State<SharelinkState>,
    Path((key, raw)): Path<(String, String)>,
    method: Method,
    mut ctx: Ctx,
) -> Response {
    let path = match SharePath::parse(&raw) {
        Ok(p) if !p.is_root() => p,
        Ok(_) => return fail(&ctx, Denial::OutsideShare.into()),
        Err(e) => return service_fail(&ctx, e.into()),
    };
    returning_session(&st, &mut ctx, &key).await;
    let Some(sid) = ctx.session(&key) else {
        return fail_with_link(&ctx, &key, Denial::NoSession.into());
    };
    let mode = if method == Method::HEAD {
        RequestMode::Head
    } else {
        RequestMode::Confirmed
    };
    let visit = match st
        .app
        .resume(&VisitRequest::new(&key, &sid, &ctx.client, mode))
        .await
    {
        Ok(v) => v,
        Err(e) => return service_fail(&ctx, e),
    };
    let Some(view) = &visit.view else {
        let folder = path.parent().unwrap_or_default();
        return render_visit(&st, &mut ctx, &key, visit, &folder, mode, None).await;
    };
    let name = path.file_name().unwrap_or_default();
    let res = if !view.rights.has(Capability::Preview)
        || !sharelink_core::MediaType::of(name).has_preview(view.watermark.is_some())
    {
        fail(&ctx, Denial::NoPreview.into())
    } else if !view.thumbnails {
        Redirect::to(&ctx.share_url(
            &key,
            &format!("/preview/{}", pages::url_path(path.as_str())),
        ))
        .into_response()
    } else {
        pages::preview_page(&ctx, &key, view, &path)
    };
    ctx.apply(res)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn open(
    st: SharelinkState,
    mut ctx: Ctx,
    key: String,
    r: Option<String>,
    code: Option<String>,
    mode: RequestMode,
    path: SharePath,
    came_round: bool,
) -> Response {
    let result = st
        .app
        .open(OpenRequest {
            key: &key,
            client: &ctx.client,
            recipient_code: r.as_deref(),
            access_code: code.as_deref(),
            mode,
        })
        .await;
    match result {
        Ok(visit) if visit.session.is_none() => {
            // Nothing was stored: the request was not confirmed (a HEAD, a fetch without
            // our cookies, an invitation link). A browser's first fetch goes round once
            // more, now with our cookie, and opens then; a client that comes back without
            // it (a scanner, a preview) sees what may be seen without a session. A gate's
            // form posts back and opens the session then.
            // (A HEAD gets what a cookie-less GET ends on, without the body.)
            let confirm = visit.gate.pending == Some(Denial::ConfirmationRequired);
            let res = if mode == RequestMode::Unconfirmed
                && !confirm
                && !came_round
                && !ctx.json
                && r.is_none()
            {
                let mut query = vec!["go=1".to_owned()];
                if !path.is_root() {
                    query.push(format!("p={}", url_query(path.as_str())));
                }
                if let Some(c) = &code {
                    query.push(format!("code={}", url_query(c)));
                }
                let back = format!("{}?{}", ctx.share_url(&key, ""), query.join("&"));
                axum::response::Redirect::to(&back).into_response()
            } else if ctx.json && visit.view.is_some() {
                // A JSON client opens its session with a POST to `/open`.
                fail(&ctx, Denial::ConfirmationRequired.into())
            } else if ctx.json {
                gate_json(&ctx, &visit.gate)
            } else if confirm || r.is_some() || code.is_some() {
                confirm_open_page(&ctx, &key, r.as_deref(), code.as_deref())
            } else if let Some(view) = &visit.view {
                share_page(
                    &ctx,
                    &key,
                    view,
                    &SharePath::root(),
                    visit.entries.as_deref(),
                    None,
                )
            } else {
                gate_page(&ctx, &key, &visit.gate, None)
            };
            ctx.apply(res)
        }
        Ok(visit) => render_visit(&st, &mut ctx, &key, visit, &path, mode, None).await,
        Err(e) => service_fail(&ctx, e),
    }
}

pub(crate) async fn open_confirmed(
    State(st): State<SharelinkState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(e) = check_csrf(&ctx, &headers, &fields) {
        return fail(&ctx, e);
    }
    let r = field(&fields, "r")
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    let code = field(&fields, "code")
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    open(
        st,
        ctx,
        key,
        r,
        code,
        RequestMode::Confirmed,
        SharePath::root(),
        false,
    )
    .await
}

pub(crate) fn check_csrf(ctx: &Ctx, headers: &HeaderMap, fields: &Fields) -> Result<(), ApiError> {
    let header = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    ctx.check_csrf(header.or_else(|| field(fields, "csrf")))
}

/// Renders where a visit stands: its next gate, or the share page.
pub(crate) async fn render_visit(
    st: &SharelinkState,
    ctx: &mut Ctx,
    key: &str,
    visit: Visit,
    path: &SharePath,
    mode: RequestMode,
    notice: Option<Notice>,
) -> Response {
    let Some(session) = &visit.session else {
        return ctx.apply(gate_json(ctx, &visit.gate));
    };
    let sid = session.id.clone();
    ctx.set_session(key, &sid);
    let res = match &visit.view {
        Some(view) => {
            // The listing is fetched in the page's own mode: a cookie-less fetch of a share
            // whose every operation counts gets the page without the listing.
            let entries = if view.rights.has(Capability::List) {
                match st
                    .app
                    .list(&VisitRequest::new(key, &sid, &ctx.client, mode), path)
                    .await
                {
                    Ok(e) => Some(e),
                    Err(ServiceError::Denied(Denial::ConfirmationRequired)) if !ctx.json => {
                        return ctx.apply(confirm_open_page(ctx, key, None, None));
                    }
                    // The session cookie set above goes with the answer, whatever it is.
                    Err(e) => return ctx.apply(service_fail(ctx, e)),
                }
            } else {
                None
            };
            if ctx.json {
                Json(serde_json::json!({
                    "view": view,
                    "path": path,
                    "entries": entries,
                    "csrf": ctx.csrf,
                }))
                .into_response()
            } else {
                share_page(ctx, key, view, path, entries.as_deref(), notice)
            }
        }
        None if ctx.json => gate_json(ctx, &visit.gate),
        None => gate_page(ctx, key, &visit.gate, notice),
    };
    ctx.apply(res)
}

pub(crate) fn gate_json(ctx: &Ctx, gate: &GateInfo) -> Response {
    let (status, code, message) = match &gate.pending {
        Some(d) => (ApiError::denial_status(d), d.code(), d.to_string()),
        None => (StatusCode::OK, "ok", String::new()),
    };
    (
        status,
        Json(serde_json::json!({
            "error": code, "message": message, "gate": gate, "csrf": ctx.csrf,
        })),
    )
        .into_response()
}

/// The session of a form post: its CSRF token checked, then the visitor's session or one
/// opened now ([`confirmed_session`]); a refusal is the answer to give.
pub(crate) async fn posted_session(
    st: &SharelinkState,
    ctx: &mut Ctx,
    key: &str,
    headers: &HeaderMap,
    fields: &Fields,
) -> Result<SessionId, Response> {
    check_csrf(ctx, headers, fields).map_err(|e| fail(ctx, e))?;
    confirmed_session(st, ctx, key)
        .await
        .map_err(|e| fail_with_link(ctx, key, e))
}

/// For a GET from a browser that has our cookie but no session of this share (it saw a
/// page stored nothing for, or a link to a file): opens one, as a navigation of a
/// returning browser would. Best effort: without one, the request answers as before.
pub(crate) async fn returning_session(st: &SharelinkState, ctx: &mut Ctx, key: &str) -> bool {
    ctx.returning && ctx.session(key).is_none() && confirmed_session(st, ctx, key).await.is_ok()
}

/// The session of a confirmed request (a form posted): the visitor's own, or one opened
/// now for a visitor who answers a gate shown before anything was stored (a first fetch
/// without our cookies stores no session).
pub(crate) async fn confirmed_session(
    st: &SharelinkState,
    ctx: &mut Ctx,
    key: &str,
) -> Result<SessionId, ApiError> {
    if let Some(sid) = ctx.session(key) {
        return Ok(sid);
    }
    let visit = st
        .app
        .open(OpenRequest {
            key,
            client: &ctx.client,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        })
        .await?;
    let session = visit.session.ok_or(Denial::NoSession)?;
    ctx.set_session(key, &session.id);
    Ok(session.id)
}

// ----- scripts and the embeddable widget ---------------------------------------------------

pub(crate) fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn upload_js() -> Response {
    script(include_str!("../../assets/upload.js"))
}

/// The widget script; embed a share with
/// `<div data-sharelink="https://host/share/s/KEY"></div><script src="https://host/share/widget.js" async></script>`.
pub(crate) async fn widget_js() -> Response {
    script(include_str!("../../assets/widget.js"))
}

/// A share's listing for framing on another site. It goes through the same gates as a
/// fresh visitor (a third-party frame carries no cookies): a gated share shows only a
/// link, and nothing is counted (the look is unconfirmed).
pub(crate) async fn embed(
    State(st): State<SharelinkState>,
    Path(key): Path<String>,
    ctx: Ctx,
) -> Response {
    let result = st
        .app
        .open(OpenRequest {
            key: &key,
            client: &ctx.client,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Unconfirmed,
        })
        .await;
    let mut res = match result {
        // A widget's fetch is not confirmed: core stores nothing and lists the top when
        // that spends no use.
        Ok(Visit {
            view: Some(view),
            entries,
            ..
        }) => {
            let entries = entries.filter(|_| view.rights.has(Capability::List));
            pages::embed_page(
                &ctx,
                StatusCode::OK,
                &key,
                pages::Embedded::Share(&view, entries.as_deref()),
            )
        }
        Ok(_) => pages::embed_page(&ctx, StatusCode::OK, &key, pages::Embedded::LinkOnly),
        Err(e) => {
            let e = ApiError::from(e);
            pages::embed_page(&ctx, e.status, &key, pages::Embedded::Refused(&e.message))
        }
    };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
         frame-ancestors {}",
        st.config.widget_ancestors
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

pub(crate) fn back_to_folder(ctx: &Ctx, key: &str, folder: &SharePath) -> Response {
    Redirect::to(&folder_url(ctx, key, folder, None)).into_response()
}

/// The address of a folder's page, saying how many files were just uploaded there when
/// `uploaded` is given (the page then shows it).
pub(crate) fn folder_url(
    ctx: &Ctx,
    key: &str,
    folder: &SharePath,
    uploaded: Option<usize>,
) -> String {
    let mut query = Vec::new();
    if !folder.is_root() {
        query.push(format!("p={}", url_query(folder.as_str())));
    }
    if let Some(n) = uploaded {
        query.push(format!("uploaded={n}"));
    }
    let rest = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    ctx.share_url(key, &rest)
}

//! Visitor routes under `/s/{key}`: open a link, pass the gates, browse, download,
//! preview, download all as ZIP, upload and (at the full level) change files.
//!
//! Every route answers HTML, or JSON when asked with `Accept: application/json`. Every
//! state-changing request carries the CSRF token (form field `csrf` or header
//! `X-CSRF-Token`) that matches the `sl_csrf` cookie.

use crate::client::Ctx;
use crate::download::{
    RangeSpec, SettledBody, disposition, etag, http_date, media_type, none_match, parse_http_date,
    parse_range,
};
use crate::html::{self, csrf_field, esc, url_path, url_query};
use crate::{ApiError, AppState, watermark};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use bytes::Bytes;
use sharelink_core::policy::RequestMode;
use sharelink_core::ports::{ByteRange, ByteStream, EntryKind, FileStoreError};
use sharelink_core::service::{
    GateInfo, Listed, OpenRequest, ServiceError, ShareView, Visit, VisitRequest,
};
use sharelink_core::{Action, Answer, Capability, Denial, FieldKind, SessionId, SharePath};
use tokio::sync::mpsc;

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The visitor routes.
pub(crate) fn routes(form_limit: usize, upload_limit: u64) -> Router<AppState> {
    let upload_limit = usize::try_from(upload_limit).unwrap_or(usize::MAX);
    Router::new()
        .route("/s/{key}", get(show))
        .route("/s/{key}/embed", get(embed))
        .route("/assets/upload.js", get(upload_js))
        .route("/widget.js", get(widget_js))
        .route("/s/{key}/open", post(open_confirmed))
        .route("/s/{key}/password", post(password))
        .route("/s/{key}/email", post(request_code))
        .route("/s/{key}/code", post(verify_code))
        .route("/s/{key}/register", post(register))
        .route("/s/{key}/terms", post(accept_terms))
        .route("/s/{key}/dl/{*path}", get(download_get).post(download_post))
        .route(
            "/s/{key}/preview/{*path}",
            get(preview_get).post(preview_post),
        )
        .route("/s/{key}/zip", get(zip_get).post(zip_post))
        .route("/s/{key}/mkdir", post(mkdir))
        .route("/s/{key}/rename", post(rename))
        .route("/s/{key}/move", post(move_or_copy))
        .route("/s/{key}/delete", post(delete))
        .layer(DefaultBodyLimit::max(form_limit))
        .merge(
            Router::new()
                .route("/s/{key}/upload", post(upload))
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
}

// ----- answers -------------------------------------------------------------------------

/// A refusal as JSON or as a friendly page. Refusals never set cookies, so an unknown
/// and a revoked key answer byte for byte the same.
fn fail(ctx: &Ctx, err: ApiError) -> Response {
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
    let title = match err.code {
        "not_found" | "share_not_found" => "Share not found",
        "expired" => "This link has expired",
        "uses_exhausted" => "Use limit reached",
        "invitation_already_used" => "Invitation already used",
        "action_not_allowed" | "creator_lacks_rights" => "Action not allowed",
        "file_type_refused" => "File type refused",
        "too_many_attempts" => "Too many attempts",
        "no_session" => "Please open the link again",
        "csrf" => "Form expired",
        "outside_share" => "Not found",
        "ip_not_allowed" => "Not available from your network",
        "unavailable" => "Temporarily unavailable",
        _ => "Cannot continue",
    };
    html::message(err.status, title, &err.message)
}

/// A refusal, as [`fail`], with a link back to the share for page visitors.
fn fail_with_link(ctx: &Ctx, key: &str, err: ApiError) -> Response {
    if ctx.json {
        return err.into_response();
    }
    let mut res = fail(ctx, err);
    let status = res.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        res = html::page(
            status,
            "Please open the link again",
            &format!(
                "<h1>Please open the link again</h1><p><a href=\"{}\">Open the share</a></p>",
                esc(&ctx.share_url(key, ""))
            ),
        );
    }
    res
}

fn service_fail(ctx: &Ctx, e: ServiceError) -> Response {
    fail(ctx, e.into())
}

fn parse_path(raw: Option<&str>) -> Result<SharePath, ApiError> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(SharePath::root()),
        Some(p) => SharePath::parse(p).map_err(|e| ApiError::from(ServiceError::from(e))),
    }
}

// ----- opening and gates ---------------------------------------------------------------

#[derive(Debug, serde::Deserialize)]
struct PageQuery {
    r: Option<String>,
    code: Option<String>,
    p: Option<String>,
    /// Set on the one round trip that gives a browser our cookie before a page opens.
    go: Option<String>,
}

async fn show(
    State(st): State<AppState>,
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
                return render_visit(&st, &mut ctx, &key, visit, &path, mode, None).await;
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

#[allow(clippy::too_many_arguments)]
async fn open(
    st: AppState,
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

async fn open_confirmed(
    State(st): State<AppState>,
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

fn check_csrf(ctx: &Ctx, headers: &HeaderMap, fields: &Fields) -> Result<(), ApiError> {
    let header = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    ctx.check_csrf(header.or_else(|| field(fields, "csrf")))
}

/// Renders where a visit stands: its next gate, or the share page.
async fn render_visit(
    st: &AppState,
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

fn gate_json(ctx: &Ctx, gate: &GateInfo) -> Response {
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

/// A message shown above a form.
#[derive(Debug, Clone)]
struct Notice {
    error: bool,
    text: String,
}

fn notice_html(n: Option<&Notice>) -> String {
    match n {
        Some(n) => format!(
            "<p class=\"msg{}\" role=\"status\">{}</p>",
            if n.error { " err" } else { "" },
            esc(&n.text)
        ),
        None => String::new(),
    }
}

fn confirm_open_page(ctx: &Ctx, key: &str, r: Option<&str>, code: Option<&str>) -> Response {
    let mut hidden = csrf_field(&ctx.csrf);
    for (name, v) in [("r", r), ("code", code)] {
        if let Some(v) = v {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                esc(v)
            ));
        }
    }
    html::page(
        StatusCode::OK,
        "Open shared files",
        &format!(
            "<h1>Shared files</h1><p>Press the button to open this share.</p>\
<form method=\"post\" action=\"{}\">{hidden}<button type=\"submit\">Open</button></form>",
            esc(&ctx.share_url(key, "/open"))
        ),
    )
}

fn gate_page(ctx: &Ctx, key: &str, gate: &GateInfo, notice: Option<Notice>) -> Response {
    let csrf = csrf_field(&ctx.csrf);
    let action = |rest: &str| esc(&ctx.share_url(key, rest));
    let notice = notice_html(notice.as_ref());
    let pending = gate.pending.clone();
    let status = pending
        .as_ref()
        .map_or(StatusCode::OK, ApiError::denial_status);
    let (title, body) = match pending {
        Some(Denial::PasswordRequired) => (
            "Password required",
            format!(
                "<h1>Password required</h1>{notice}<p>This share is protected by a password.</p>\
<form method=\"post\" action=\"{}\">{csrf}<label>Password <input type=\"password\" \
name=\"password\" required autofocus autocomplete=\"current-password\"></label> \
<button type=\"submit\">Continue</button></form>",
                action("/password")
            ),
        ),
        Some(Denial::EmailVerificationRequired) => (
            "Verify your email",
            format!(
                "<h1>Verify your email</h1>{notice}<p>Enter your email address; we will send you \
a one-time code.</p><form method=\"post\" action=\"{}\">{csrf}<label>Email <input \
type=\"email\" name=\"email\" required autocomplete=\"email\"></label> <button \
type=\"submit\">Send code</button></form><form method=\"post\" action=\"{}\">{csrf}\
<label>Code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
required></label> <button type=\"submit\">Verify</button></form>",
                action("/email"),
                action("/code")
            ),
        ),
        Some(Denial::RegistrationRequired) => {
            let mut inputs = String::new();
            for (i, f) in gate
                .form
                .as_ref()
                .map(|f| f.fields.as_slice())
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let name = esc(&format!("field:{}", f.label));
                let req = if f.required { " required" } else { "" };
                let star = if f.required { " *" } else { "" };
                let help = f
                    .description
                    .as_deref()
                    .map(|d| format!("<br><small>{}</small>", esc(d)))
                    .unwrap_or_default();
                let control = match &f.kind {
                    FieldKind::ShortAnswer => {
                        let ty = if f.label == sharelink_core::model::form::DEFAULT_EMAIL {
                            "email"
                        } else {
                            "text"
                        };
                        format!("<input type=\"{ty}\" id=\"f{i}\" name=\"{name}\"{req}>")
                    }
                    FieldKind::Paragraph => {
                        format!("<textarea id=\"f{i}\" name=\"{name}\"{req}></textarea>")
                    }
                    FieldKind::MultipleChoice { options } => options
                        .iter()
                        .map(|o| {
                            format!(
                                "<label><input type=\"radio\" name=\"{name}\" value=\"{}\"{req}> {}</label> ",
                                esc(o),
                                esc(o)
                            )
                        })
                        .collect(),
                    FieldKind::Dropdown { options } => format!(
                        "<select id=\"f{i}\" name=\"{name}\"{req}><option value=\"\"></option>{}</select>",
                        options
                            .iter()
                            .map(|o| format!("<option>{}</option>", esc(o)))
                            .collect::<String>()
                    ),
                };
                inputs.push_str(&format!(
                    "<p><label for=\"f{i}\">{}{star}</label>{help}<br>{control}</p>",
                    esc(&f.label)
                ));
            }
            (
                "Register",
                format!(
                    "<h1>Please register</h1>{notice}<form method=\"post\" action=\"{}\">{csrf}\
{inputs}<button type=\"submit\">Continue</button></form>",
                    action("/register")
                ),
            )
        }
        Some(Denial::ClickwrapRequired) => {
            let (t, terms) = gate
                .clickwrap
                .as_ref()
                .map(|c| (c.title.as_str(), c.terms.as_str()))
                .unwrap_or(("Terms", ""));
            (
                "Terms",
                format!(
                    "<h1>{}</h1>{notice}<pre>{}</pre><form method=\"post\" action=\"{}\">{csrf}\
<button type=\"submit\">I accept</button></form>",
                    esc(t),
                    esc(terms),
                    action("/terms")
                ),
            )
        }
        Some(Denial::ConfirmationRequired) => return confirm_open_page(ctx, key, None, None),
        Some(d) => {
            return html::message(
                ApiError::denial_status(&d),
                "Cannot continue",
                &d.to_string(),
            );
        }
        None => ("Shared files", notice),
    };
    html::page(status, title, &body)
}

/// After a gate form: the next page (HTML: redirect to it), or the form again with why.
async fn after_gate(
    st: &AppState,
    mut ctx: Ctx,
    key: &str,
    result: Result<Option<Visit>, ServiceError>,
    success: Option<&str>,
) -> Response {
    match result {
        Ok(Some(visit)) if ctx.json => {
            render_visit(
                st,
                &mut ctx,
                key,
                visit,
                &SharePath::root(),
                RequestMode::Confirmed,
                None,
            )
            .await
        }
        Ok(None) if success.is_some() => {
            back_to_gate(
                st,
                ctx,
                key,
                StatusCode::OK,
                success.map(|s| Notice {
                    error: false,
                    text: s.to_owned(),
                }),
            )
            .await
        }
        Ok(_) => ctx.apply(Redirect::to(&ctx.share_url(key, "")).into_response()),
        Err(e) => {
            let err = ApiError::from(e);
            let gate_problem = matches!(
                err.code,
                "password_required"
                    | "email_verification_required"
                    | "email_not_allowed"
                    | "too_many_attempts"
                    | "form"
                    | "bad_request"
                    | "conflict"
            );
            if ctx.json || !gate_problem {
                return fail(&ctx, err);
            }
            let text = match err.code {
                "password_required" => "Wrong password.".to_owned(),
                "email_verification_required" => "Wrong or expired code.".to_owned(),
                _ => err.message.clone(),
            };
            back_to_gate(st, ctx, key, err.status, Some(Notice { error: true, text })).await
        }
    }
}

async fn back_to_gate(
    st: &AppState,
    mut ctx: Ctx,
    key: &str,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let Some(sid) = ctx.session(key) else {
        return fail(&ctx, Denial::NoSession.into());
    };
    match st
        .app
        .resume(&VisitRequest::new(
            key,
            &sid,
            &ctx.client,
            RequestMode::Confirmed,
        ))
        .await
    {
        Ok(visit) => {
            let mut res = render_visit(
                st,
                &mut ctx,
                key,
                visit,
                &SharePath::root(),
                RequestMode::Confirmed,
                notice,
            )
            .await;
            // The form again, with the status of why it is shown again.
            if visit_has_gate(&res) {
                *res.status_mut() = status;
            }
            res
        }
        Err(e) => service_fail(&ctx, e),
    }
}

/// Whether a rendered visit is a page (not a redirect or a refusal of another kind).
fn visit_has_gate(res: &Response) -> bool {
    res.status().is_success()
        || res.status() == StatusCode::UNAUTHORIZED
        || res.status() == StatusCode::FORBIDDEN
}

/// For a GET from a browser that has our cookie but no session of this share (it saw a
/// page stored nothing for, or a link to a file): opens one, as a navigation of a
/// returning browser would. Best effort: without one, the request answers as before.
async fn returning_session(st: &AppState, ctx: &mut Ctx, key: &str) -> bool {
    ctx.returning && ctx.session(key).is_none() && confirmed_session(st, ctx, key).await.is_ok()
}

/// The session of a confirmed request (a form posted): the visitor's own, or one opened
/// now for a visitor who answers a gate shown before anything was stored (a first fetch
/// without our cookies stores no session).
async fn confirmed_session(st: &AppState, ctx: &mut Ctx, key: &str) -> Result<SessionId, ApiError> {
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

macro_rules! gate_handler {
    ($name:ident, |$st:ident, $ctx:ident, $key:ident, $sid:ident, $fields:ident| $body:expr, $success:expr) => {
        async fn $name(
            State($st): State<AppState>,
            Path($key): Path<String>,
            headers: HeaderMap,
            mut $ctx: Ctx,
            Form($fields): Form<Fields>,
        ) -> Response {
            if let Err(e) = check_csrf(&$ctx, &headers, &$fields) {
                return fail(&$ctx, e);
            }
            let $sid = match confirmed_session(&$st, &mut $ctx, &$key).await {
                Ok(s) => s,
                Err(e) => return fail_with_link(&$ctx, &$key, e),
            };
            let result: Result<Option<Visit>, ServiceError> = $body;
            after_gate(&$st, $ctx, &$key, result, $success).await
        }
    };
}

gate_handler!(
    password,
    |st, ctx, key, sid, fields| st
        .app
        .submit_password(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            field(&fields, "password").unwrap_or_default()
        )
        .await
        .map(Some),
    None
);

gate_handler!(
    request_code,
    |st, ctx, key, sid, fields| match sharelink_core::Email::parse(
        field(&fields, "email").unwrap_or_default().trim()
    ) {
        Ok(email) => st
            .app
            .request_code(
                &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
                &email
            )
            .await
            .map(|()| None),
        Err(_) => Err(ServiceError::Denied(Denial::EmailNotAllowed)),
    },
    Some("A code was sent to your email address. Enter it below.")
);

gate_handler!(
    verify_code,
    |st, ctx, key, sid, fields| st
        .app
        .verify_code(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            field(&fields, "code").unwrap_or_default().trim()
        )
        .await
        .map(Some),
    None
);

gate_handler!(
    register,
    |st, ctx, key, sid, fields| {
        let answers: Vec<Answer> = fields
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("field:").map(|label| Answer {
                    label: label.to_owned(),
                    value: v.clone(),
                })
            })
            .collect();
        st.app
            .register(
                &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
                &answers,
            )
            .await
            .map(Some)
    },
    None
);

gate_handler!(
    accept_terms,
    |st, ctx, key, sid, fields| {
        let _ = &fields;
        st.app
            .accept_terms(&VisitRequest::new(
                &key,
                &sid,
                &ctx.client,
                RequestMode::Confirmed,
            ))
            .await
            .map(Some)
    },
    None
);

// ----- the share page ------------------------------------------------------------------

fn share_page(
    ctx: &Ctx,
    key: &str,
    view: &ShareView,
    path: &SharePath,
    entries: Option<&[Listed]>,
    notice: Option<Notice>,
) -> Response {
    let csrf = csrf_field(&ctx.csrf);
    let url = |rest: &str| esc(&ctx.share_url(key, rest));
    let can = |c: Capability| view.rights.has(c);
    let mut b = format!("<h1>{}</h1>", esc(&view.name));
    b.push_str(&notice_html(notice.as_ref()));
    if let Some(d) = &view.description {
        b.push_str(&format!("<p style=\"white-space:pre-wrap\">{}</p>", esc(d)));
    }
    if let Some(exp) = view.expires_at {
        b.push_str(&format!(
            "<p><small>Available until {}</small></p>",
            html::date(exp)
        ));
    }
    // Breadcrumbs.
    b.push_str(&format!("<nav><a href=\"{}\">Home</a>", url("")));
    let mut acc = String::new();
    for seg in path.segments() {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(seg);
        b.push_str(&format!(
            " / <a href=\"{}\">{}</a>",
            url(&format!("?p={}", url_query(&acc))),
            esc(seg)
        ));
    }
    b.push_str("</nav>");
    if let Some(entries) = entries {
        b.push_str(
            "<table><thead><tr><th></th><th>Name</th><th>Size</th><th>Modified</th><th></th></tr></thead><tbody>",
        );
        if entries.is_empty() {
            b.push_str("<tr><td colspan=\"4\">This folder is empty.</td></tr>");
        }
        for e in entries {
            let p = e.path.as_str();
            let (link, size) = match e.kind {
                EntryKind::Folder => (
                    format!(
                        "<a href=\"{}\">{}/</a>",
                        url(&format!("?p={}", url_query(p))),
                        esc(&e.name)
                    ),
                    String::new(),
                ),
                EntryKind::File if can(Capability::Download) => (
                    format!(
                        "<a href=\"{}\" download>{}</a>",
                        url(&format!("/dl/{}", url_path(p))),
                        esc(&e.name)
                    ),
                    html::size(e.size),
                ),
                EntryKind::File => (esc(&e.name), html::size(e.size)),
            };
            let mut actions = String::new();
            if e.kind == EntryKind::File && can(Capability::Preview) {
                actions.push_str(&format!(
                    "<a href=\"{}\">Preview</a> ",
                    url(&format!("/preview/{}", url_path(p)))
                ));
            }
            if can(Capability::Modify) && !path.is_root() {
                let hp = format!("<input type=\"hidden\" name=\"path\" value=\"{}\">", esc(p));
                actions.push_str(&format!(
                    "<form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}<input \
name=\"name\" value=\"{}\" aria-label=\"New name\" size=\"12\" required><button>Rename</button></form> \
<form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}<input name=\"into\" \
placeholder=\"folder\" aria-label=\"Destination folder\" size=\"10\" required><select name=\"op\">\
<option value=\"move\">Move</option><option value=\"copy\">Copy</option></select>\
<button>Go</button></form> <form class=\"inline\" method=\"post\" action=\"{}\">{csrf}{hp}\
<button>Delete</button></form>",
                    url("/rename"),
                    esc(&e.name),
                    url("/move"),
                    url("/delete")
                ));
            }
            b.push_str(&format!(
                "<tr><td>{}</td><td>{link}</td><td>{size}</td><td>{}</td><td>{actions}</td></tr>",
                // Ticked entries go to the "Download selected" form (outside the table).
                if can(Capability::Download) {
                    format!(
                        "<input type=\"checkbox\" name=\"p\" value=\"{}\" form=\"zip-selected\" aria-label=\"Select {}\">",
                        esc(p),
                        esc(&e.name)
                    )
                } else {
                    String::new()
                },
                if e.kind == EntryKind::File {
                    html::date(e.modified)
                } else {
                    String::new()
                }
            ));
        }
        b.push_str("</tbody></table>");
    }
    let folder_field = format!(
        "<input type=\"hidden\" name=\"folder\" value=\"{}\">",
        esc(path.as_str())
    );
    if can(Capability::Download) && entries.is_some_and(|e| !e.is_empty()) {
        let p = if path.is_root() {
            String::new()
        } else {
            format!(
                "<input type=\"hidden\" name=\"p\" value=\"{}\">",
                esc(path.as_str())
            )
        };
        b.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{csrf}{p}<button>Download all (ZIP)</button></form>\
<form id=\"zip-selected\" method=\"post\" action=\"{}\">{csrf}<button>Download selected (ZIP)</button></form>",
            url("/zip"),
            url("/zip")
        ));
    }
    if can(Capability::Upload) && (!path.is_root() || view.has_inbox || entries.is_none()) {
        b.push_str(&format!(
            "<h2>Upload</h2><form data-upload method=\"post\" enctype=\"multipart/form-data\" action=\"{}\">\
{csrf}{folder_field}<input type=\"file\" name=\"file\" multiple required> <button>Upload</button></form>\
<form data-upload method=\"post\" enctype=\"multipart/form-data\" action=\"{0}\">{csrf}{folder_field}\
<label>Or a whole folder: <input type=\"file\" name=\"file\" webkitdirectory multiple required></label> \
<button>Upload folder</button></form>",
            url("/upload")
        ));
    }
    if can(Capability::CreateFolder) && !path.is_root() {
        b.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{csrf}<input type=\"hidden\" name=\"parent\" \
value=\"{}\"><input name=\"name\" placeholder=\"New folder\" aria-label=\"New folder name\" \
required> <button>Create folder</button></form>",
            url("/mkdir"),
            esc(path.as_str())
        ));
    }
    b.push_str(&format!(
        "<script src=\"{}\" defer></script>",
        esc(&format!("{}/assets/upload.js", ctx.prefix))
    ));
    html::page(StatusCode::OK, &view.name, &b)
}

// ----- scripts and the embeddable widget ---------------------------------------------------

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn upload_js() -> Response {
    script(include_str!("../assets/upload.js"))
}

/// The widget script; embed a share with
/// `<div data-sharelink="https://host/share/s/KEY"></div><script src="https://host/share/widget.js" async></script>`.
async fn widget_js() -> Response {
    script(include_str!("../assets/widget.js"))
}

/// A share's listing for framing on another site. It goes through the same gates as a
/// fresh visitor (a third-party frame carries no cookies): a gated share shows only a
/// link, and nothing is counted (the look is unconfirmed).
async fn embed(State(st): State<AppState>, Path(key): Path<String>, ctx: Ctx) -> Response {
    let link = esc(&ctx.share_url(&key, ""));
    let open_link = format!(
        "<p><a href=\"{link}\" target=\"_blank\" rel=\"noopener noreferrer\">Open the shared files</a></p>"
    );
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
    let (status, body) = match result {
        // A widget's fetch is not confirmed: core stores nothing and lists the top when
        // that spends no use.
        Ok(Visit {
            view: Some(view),
            entries,
            ..
        }) => {
            let entries = entries.filter(|_| view.rights.has(Capability::List));
            let mut b = format!("<h1>{}</h1>", esc(&view.name));
            if let Some(entries) = entries {
                b.push_str("<table><tbody>");
                for e in entries {
                    b.push_str(&format!(
                        "<tr><td>{}{}</td><td>{}</td></tr>",
                        esc(&e.name),
                        if e.kind == EntryKind::Folder { "/" } else { "" },
                        if e.kind == EntryKind::File {
                            html::size(e.size)
                        } else {
                            String::new()
                        }
                    ));
                }
                b.push_str("</tbody></table>");
            }
            b.push_str(&open_link);
            (StatusCode::OK, b)
        }
        Ok(_) => (StatusCode::OK, format!("<h1>Shared files</h1>{open_link}")),
        Err(e) => {
            let e = ApiError::from(e);
            (e.status, format!("<p>{}</p>", esc(&e.message)))
        }
    };
    let mut res = html::page(status, "Shared files", &body);
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

// ----- downloads and previews ----------------------------------------------------------

async fn download_get(
    State(st): State<AppState>,
    Path((key, path)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    mut ctx: Ctx,
) -> Response {
    let mode = if method == Method::HEAD {
        RequestMode::Head
    } else {
        RequestMode::Unconfirmed
    };
    let opened = mode == RequestMode::Unconfirmed && returning_session(&st, &mut ctx, &key).await;
    let res = serve_file(&st, &ctx, &key, &path, Action::Download, mode, &headers).await;
    // Only a session opened here adds cookies: the answer is otherwise as before.
    if opened { ctx.apply(res) } else { res }
}

async fn download_post(
    State(st): State<AppState>,
    Path((key, path)): Path<(String, String)>,
    headers: HeaderMap,
    mut ctx: Ctx,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(e) = check_csrf(&ctx, &headers, &fields) {
        return fail(&ctx, e);
    }
    if let Err(e) = confirmed_session(&st, &mut ctx, &key).await {
        return fail_with_link(&ctx, &key, e);
    }
    let res = serve_file(
        &st,
        &ctx,
        &key,
        &path,
        Action::Download,
        RequestMode::Confirmed,
        &headers,
    )
    .await;
    ctx.apply(res)
}

async fn preview_get(
    State(st): State<AppState>,
    Path((key, path)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    mut ctx: Ctx,
) -> Response {
    let mode = if method == Method::HEAD {
        RequestMode::Head
    } else {
        RequestMode::Unconfirmed
    };
    let opened = mode == RequestMode::Unconfirmed && returning_session(&st, &mut ctx, &key).await;
    let res = serve_file(&st, &ctx, &key, &path, Action::Preview, mode, &headers).await;
    if opened { ctx.apply(res) } else { res }
}

async fn preview_post(
    State(st): State<AppState>,
    Path((key, path)): Path<(String, String)>,
    headers: HeaderMap,
    mut ctx: Ctx,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(e) = check_csrf(&ctx, &headers, &fields) {
        return fail(&ctx, e);
    }
    if let Err(e) = confirmed_session(&st, &mut ctx, &key).await {
        return fail_with_link(&ctx, &key, e);
    }
    let res = serve_file(
        &st,
        &ctx,
        &key,
        &path,
        Action::Preview,
        RequestMode::Confirmed,
        &headers,
    )
    .await;
    ctx.apply(res)
}

/// The page that asks a person to confirm a counted download (a bot will not press it).
fn confirm_download_page(ctx: &Ctx, action_url: &str, name: &str) -> Response {
    confirm_page(ctx, action_url, name, "")
}

/// The confirm page, with extra hidden fields (already escaped HTML).
fn confirm_page(ctx: &Ctx, action_url: &str, name: &str, hidden: &str) -> Response {
    html::page(
        StatusCode::CONFLICT,
        "Confirm download",
        &format!(
            "<h1>Download {}</h1><p>This link can be used a limited number of times. \
Press the button to download.</p><form method=\"post\" action=\"{}\">{}{hidden}<button \
type=\"submit\">Download</button></form>",
            esc(name),
            esc(action_url),
            csrf_field(&ctx.csrf)
        ),
    )
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn download_fail(
    ctx: &Ctx,
    key: &str,
    path: &SharePath,
    action: Action,
    e: ServiceError,
) -> Response {
    match e {
        ServiceError::Denied(Denial::ConfirmationRequired) if !ctx.json => {
            let seg = if action == Action::Preview {
                "preview"
            } else {
                "dl"
            };
            confirm_download_page(
                ctx,
                &ctx.share_url(key, &format!("/{seg}/{}", url_path(path.as_str()))),
                path.file_name().unwrap_or_default(),
            )
        }
        ServiceError::Denied(Denial::NoSession) if !ctx.json => html::page(
            StatusCode::UNAUTHORIZED,
            "Please open the link again",
            &format!(
                "<h1>Please open the link again</h1><p><a href=\"{}\">Open the share</a></p>",
                esc(&ctx.share_url(key, ""))
            ),
        ),
        ServiceError::Storage(FileStoreError::RangeNotSatisfiable { size }) => {
            let mut res =
                ApiError::from(ServiceError::Storage(FileStoreError::RangeNotSatisfiable {
                    size,
                }))
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
        e => service_fail(ctx, e),
    }
}

#[allow(clippy::too_many_lines)]
async fn serve_file(
    st: &AppState,
    ctx: &Ctx,
    key: &str,
    raw_path: &str,
    action: Action,
    mode: RequestMode,
    headers: &HeaderMap,
) -> Response {
    let path = match SharePath::parse(raw_path) {
        Ok(p) => p,
        Err(e) => return service_fail(ctx, e.into()),
    };
    let sid = match ctx.require_session(key) {
        Ok(s) => s,
        Err(_) => return download_fail(ctx, key, &path, action, Denial::NoSession.into()),
    };
    let app = &st.app;
    let mut ranges = header_str(headers, header::RANGE).and_then(parse_range);
    let inm = header_str(headers, header::IF_NONE_MATCH);
    let ims = header_str(headers, header::IF_MODIFIED_SINCE).and_then(parse_http_date);
    let if_range = header_str(headers, header::IF_RANGE);
    let needs_probe = inm.is_some()
        || ims.is_some()
        || if_range.is_some()
        || ranges
            .as_ref()
            .is_some_and(|r| r.len() > 1 || matches!(r[0], RangeSpec::Suffix(_)));
    let mut known_size = None;
    if needs_probe {
        // A HEAD-mode open reads metadata without spending a use; for a range, it is a
        // range too, so a resume of a spent download is let through as the range will be.
        let from_start = ranges.as_ref().map(|_| ByteRange {
            start: 0,
            end: u64::MAX,
        });
        let probe = match app
            .download(
                &VisitRequest::new(key, &sid, &ctx.client, RequestMode::Head),
                &path,
                from_start,
                action,
            )
            .await
        {
            Ok(p) => p,
            Err(e) => return download_fail(ctx, key, &path, action, e),
        };
        let entry = probe.read.entry.clone();
        drop(probe.read.stream);
        app.finish(probe.ticket, sharelink_core::service::Outcome::Failed)
            .await;
        if let Some(text) = probe.watermark {
            // A watermarked preview is a new picture: no validators or ranges apply.
            return serve_watermarked(st, ctx, key, &sid, &path, mode, None, text).await;
        }
        let tag = entry.etag.as_deref().map(etag);
        let modified = http_date(entry.modified);
        let not_modified = match (inm, &tag) {
            (Some(h), Some(t)) => none_match(h, t),
            (Some(_), None) => false,
            (None, _) => {
                ims.is_some_and(|since| entry.modified.unix_timestamp() <= since.unix_timestamp())
            }
        };
        if not_modified {
            let mut res = StatusCode::NOT_MODIFIED.into_response();
            if let Some(t) = tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
                res.headers_mut().insert(header::ETAG, t);
            }
            if let Ok(v) = HeaderValue::from_str(&modified) {
                res.headers_mut().insert(header::LAST_MODIFIED, v);
            }
            return res;
        }
        if let Some(ir) = if_range
            && tag.as_deref() != Some(ir.trim())
            && ir.trim() != modified
        {
            ranges = None;
        }
        known_size = Some(entry.size);
    }
    // Several ranges: merged when they overlap, then one multipart/byteranges answer
    // (too many are answered with the whole file, as RFC 9110 allows).
    let mut merged_single = None;
    if let (Some(specs), Some(size)) = (ranges.as_deref(), known_size)
        && specs.len() > 1
    {
        let mut parts: Vec<(u64, u64)> = specs.iter().filter_map(|s| s.resolve(size)).collect();
        if parts.is_empty() {
            return download_fail(
                ctx,
                key,
                &path,
                action,
                FileStoreError::RangeNotSatisfiable { size }.into(),
            );
        }
        parts.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
        for (s, e) in parts {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        match merged.as_slice() {
            [(start, end)] => {
                merged_single = Some(ByteRange {
                    start: *start,
                    end: *end,
                });
            }
            parts if parts.len() <= MAX_RANGES => {
                return serve_ranges(st, ctx, key, &sid, &path, action, mode, parts, size).await;
            }
            _ => {}
        }
    }
    let range = match ranges.as_deref() {
        _ if merged_single.is_some() => merged_single,
        Some([one]) => match (one, known_size) {
            (RangeSpec::From { start, end }, _) => Some(ByteRange {
                start: *start,
                end: end.map_or(u64::MAX, |e| e.saturating_add(1)),
            }),
            (RangeSpec::Suffix(_), Some(size)) => match one.resolve(size) {
                Some((start, end)) => Some(ByteRange { start, end }),
                None => {
                    return download_fail(
                        ctx,
                        key,
                        &path,
                        action,
                        FileStoreError::RangeNotSatisfiable { size }.into(),
                    );
                }
            },
            (RangeSpec::Suffix(_), None) => None,
        },
        _ => None,
    };
    let dl = match app
        .download(
            &VisitRequest::new(key, &sid, &ctx.client, mode),
            &path,
            range,
            action,
        )
        .await
    {
        Ok(d) => d,
        Err(e) => return download_fail(ctx, key, &path, action, e),
    };
    if let Some(text) = dl.watermark.clone() {
        // The whole picture is needed to mark it; a range of it is read again in full.
        let whole = if range.is_none() {
            Some(dl)
        } else {
            app.finish(dl.ticket, sharelink_core::service::Outcome::Failed)
                .await;
            None
        };
        return serve_watermarked(st, ctx, key, &sid, &path, mode, whole, text).await;
    }
    let entry = &dl.read.entry;
    let served = dl.read.range;
    let name = path.file_name().unwrap_or("download").to_owned();
    let (media, inline_ok) = media_type(&name);
    let inline = action == Action::Preview && inline_ok;
    let mut res = Response::builder()
        .status(if range.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        })
        .header(
            header::CONTENT_TYPE,
            if inline_ok { media } else { "application/octet-stream" },
        )
        .header(header::CONTENT_LENGTH, served.len())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::LAST_MODIFIED, http_date(entry.modified))
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(
            header::CONTENT_DISPOSITION,
            disposition(if inline { "inline" } else { "attachment" }, &name),
        )
        .header(
            header::CONTENT_SECURITY_POLICY,
            if inline {
                "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
            } else {
                "sandbox; default-src 'none'; frame-ancestors 'none'"
            },
        );
    if let Some(t) = &entry.etag {
        res = res.header(header::ETAG, etag(t));
    }
    if range.is_some() {
        res = res.header(
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                served.start,
                served.end.saturating_sub(1),
                entry.size
            ),
        );
    }
    let body = if mode == RequestMode::Head {
        app.finish(dl.ticket, sharelink_core::service::Outcome::Failed)
            .await;
        Body::empty()
    } else {
        Body::from_stream(SettledBody::new(
            dl.read.stream,
            app.clone(),
            dl.ticket,
            served.len(),
        ))
    };
    res.body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A preview of a share that asks for a watermark: an image is decoded, marked and sent
/// as PNG (never its original bytes, never a range of them); other files have no preview,
/// since nothing could be drawn on them. `whole` is the preview already opened for the
/// whole file, if any (else it is opened here).
#[allow(clippy::too_many_arguments)]
async fn serve_watermarked(
    st: &AppState,
    ctx: &Ctx,
    key: &str,
    sid: &SessionId,
    path: &SharePath,
    mode: RequestMode,
    whole: Option<sharelink_core::service::Download>,
    text: String,
) -> Response {
    use futures::StreamExt;
    use sharelink_core::service::Outcome;
    let name = path.file_name().unwrap_or("preview").to_owned();
    let app = &st.app;
    if !watermark::supports(media_type(&name).0) {
        if let Some(dl) = whole {
            app.finish(dl.ticket, Outcome::Failed).await;
        }
        return fail(
            ctx,
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "preview_unavailable",
                "this share shows watermarked previews of images only; download the file instead if the share allows it",
            ),
        );
    }
    let dl = match whole {
        Some(dl) => dl,
        None => match app
            .download(
                &VisitRequest::new(key, sid, &ctx.client, mode),
                path,
                None,
                Action::Preview,
            )
            .await
        {
            Ok(d) => d,
            Err(e) => return download_fail(ctx, key, path, Action::Preview, e),
        },
    };
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "preview_too_large",
            "this picture is too large for a watermarked preview",
        )
    };
    if dl.read.entry.size > watermark::MAX_SOURCE_BYTES {
        app.finish(dl.ticket, Outcome::Failed).await;
        return fail(ctx, too_large());
    }
    let headers = [
        (header::CONTENT_TYPE, "image/png".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            disposition("inline", &format!("{name}.png")),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; frame-ancestors 'none'".to_owned(),
        ),
    ];
    if mode == RequestMode::Head {
        app.finish(dl.ticket, Outcome::Failed).await;
        return (StatusCode::OK, headers).into_response();
    }
    let mut source = Vec::with_capacity(usize::try_from(dl.read.entry.size).unwrap_or(0));
    let mut stream = dl.read.stream;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) if (source.len() + b.len()) as u64 <= watermark::MAX_SOURCE_BYTES => {
                source.extend_from_slice(&b);
            }
            Ok(_) => {
                app.finish(dl.ticket, Outcome::Failed).await;
                return fail(ctx, too_large());
            }
            Err(e) => {
                app.finish(dl.ticket, Outcome::Failed).await;
                return download_fail(ctx, key, path, Action::Preview, e.into());
            }
        }
    }
    // Decoding and encoding are CPU work: off the async threads.
    match tokio::task::spawn_blocking(move || watermark::apply(&source, &text)).await {
        Ok(Ok(png)) => {
            app.finish(
                dl.ticket,
                Outcome::Completed {
                    bytes: png.len() as u64,
                },
            )
            .await;
            (StatusCode::OK, headers, png).into_response()
        }
        _ => {
            app.finish(dl.ticket, Outcome::Failed).await;
            fail(
                ctx,
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "preview_unavailable",
                    "this picture could not be read, so it has no preview",
                ),
            )
        }
    }
}

/// Most parts of one multipart/byteranges answer.
const MAX_RANGES: usize = 16;

/// Answers several byte ranges as `multipart/byteranges`. The ranges of one download
/// count once (core names the use by session, file and version).
#[allow(clippy::too_many_arguments)]
async fn serve_ranges(
    st: &AppState,
    ctx: &Ctx,
    key: &str,
    sid: &SessionId,
    path: &SharePath,
    action: Action,
    mode: RequestMode,
    parts: &[(u64, u64)],
    size: u64,
) -> Response {
    use futures::StreamExt;
    let app = &st.app;
    let boundary = format!("sharelink-{}", ctx.csrf.get(..16).unwrap_or("byteranges"));
    let name = path.file_name().unwrap_or("download").to_owned();
    let (media, inline_ok) = media_type(&name);
    let media = if inline_ok {
        media
    } else {
        "application/octet-stream"
    };
    let mut bodies: Vec<ByteStream> = Vec::with_capacity(parts.len() * 2 + 1);
    let mut length: u64 = 0;
    let mut first_ticket = None;
    let mut entry = None;
    for (start, end) in parts {
        let dl = match app
            .download(
                &VisitRequest::new(key, sid, &ctx.client, mode),
                path,
                Some(ByteRange {
                    start: *start,
                    end: *end,
                }),
                action,
            )
            .await
        {
            Ok(d) => d,
            Err(e) => {
                if let Some(t) = first_ticket.take() {
                    app.finish(t, sharelink_core::service::Outcome::Failed)
                        .await;
                }
                return download_fail(ctx, key, path, action, e);
            }
        };
        let head = Bytes::from(format!(
            "\r\n--{boundary}\r\nContent-Type: {media}\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
            dl.read.range.start,
            dl.read.range.end.saturating_sub(1)
        ));
        length += head.len() as u64 + dl.read.range.len();
        bodies.push(Box::pin(futures::stream::iter([Ok(head)])));
        entry.get_or_insert(dl.read.entry.clone());
        bodies.push(dl.read.stream);
        match first_ticket {
            None => first_ticket = Some(dl.ticket),
            // The later parts belong to the same use (already counted, nothing to refund).
            Some(_) => {
                app.finish(dl.ticket, sharelink_core::service::Outcome::Failed)
                    .await
            }
        }
    }
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    length += tail.len() as u64;
    bodies.push(Box::pin(futures::stream::iter([Ok(tail)])));
    let (Some(ticket), Some(entry)) = (first_ticket, entry) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut res = Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/byteranges; boundary={boundary}"),
        )
        .header(header::CONTENT_LENGTH, length)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::LAST_MODIFIED, http_date(entry.modified))
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(
            header::CONTENT_DISPOSITION,
            disposition("attachment", &name),
        )
        .header(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; frame-ancestors 'none'",
        );
    if let Some(t) = &entry.etag {
        res = res.header(header::ETAG, etag(t));
    }
    let body = if mode == RequestMode::Head {
        app.finish(ticket, sharelink_core::service::Outcome::Failed)
            .await;
        Body::empty()
    } else {
        let all: ByteStream = Box::pin(futures::stream::iter(bodies).flatten());
        Body::from_stream(SettledBody::new(all, app.clone(), ticket, length))
    };
    res.body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

// ----- download all --------------------------------------------------------------------

async fn zip_get(
    State(st): State<AppState>,
    Path(key): Path<String>,
    mut ctx: Ctx,
    Query(fields): Query<Fields>,
) -> Response {
    let opened = returning_session(&st, &mut ctx, &key).await;
    let res = serve_zip(&st, &ctx, &key, &fields, RequestMode::Unconfirmed).await;
    if opened { ctx.apply(res) } else { res }
}

async fn zip_post(
    State(st): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    mut ctx: Ctx,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(e) = check_csrf(&ctx, &headers, &fields) {
        return fail(&ctx, e);
    }
    if let Err(e) = confirmed_session(&st, &mut ctx, &key).await {
        return fail_with_link(&ctx, &key, e);
    }
    let res = serve_zip(&st, &ctx, &key, &fields, RequestMode::Confirmed).await;
    ctx.apply(res)
}

async fn serve_zip(
    st: &AppState,
    ctx: &Ctx,
    key: &str,
    fields: &Fields,
    mode: RequestMode,
) -> Response {
    let sid = match ctx.require_session(key) {
        Ok(s) => s,
        Err(e) => return fail_with_link(ctx, key, e),
    };
    let mut paths = Vec::new();
    for (k, v) in fields {
        if k == "p" && !v.trim().is_empty() {
            match SharePath::parse(v.trim()) {
                Ok(p) => paths.push(p),
                Err(e) => return service_fail(ctx, e.into()),
            }
        }
    }
    let bundle = match st
        .app
        .download_all(&VisitRequest::new(key, &sid, &ctx.client, mode), &paths)
        .await
    {
        Ok(b) => b,
        Err(ServiceError::Denied(Denial::ConfirmationRequired)) if !ctx.json => {
            // The confirm form carries the same selection.
            let hidden: String = paths
                .iter()
                .map(|p| {
                    format!(
                        "<input type=\"hidden\" name=\"p\" value=\"{}\">",
                        esc(p.as_str())
                    )
                })
                .collect();
            return confirm_page(ctx, &ctx.share_url(key, "/zip"), "all files", &hidden);
        }
        Err(e) => return service_fail(ctx, e),
    };
    let name = match paths.as_slice() {
        [one] => format!("{}.zip", one.file_name().unwrap_or("files")),
        _ => "files.zip".to_owned(),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            disposition("attachment", &name),
        )
        .header(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; frame-ancestors 'none'",
        )
        .body(Body::from_stream(crate::zip::stream(
            st.app.clone(),
            bundle,
        )))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

// ----- uploads and changes -------------------------------------------------------------

/// The file name a browser sent, as folders and a name: a folder upload sends
/// `dir/sub/file`; old browsers send a Windows path, of which only the name counts.
fn upload_name(raw: &str) -> (Vec<String>, String) {
    let name = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let dirs = if raw.contains('\\') {
        Vec::new()
    } else {
        let mut parts: Vec<&str> = raw.split('/').collect();
        parts.pop();
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "." && *p != "..")
            .map(str::to_owned)
            .collect()
    };
    (dirs, name)
}

/// Why a multipart body failed (too large, cut off, malformed).
fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    let text = e.body_text();
    // axum reports a body over the limit met mid-stream with a 400 status but the
    // limit's message.
    let status = if text.contains("too large") {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        e.status()
    };
    ApiError::new(status, "upload_failed", text)
}

async fn upload(
    State(st): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Response {
    let sid = match ctx.require_session(&key) {
        Ok(s) => s,
        Err(e) => return fail_with_link(&ctx, &key, e),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > st.config.max_upload_bytes) {
        return fail(
            &ctx,
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_failed",
                "the upload is larger than this site accepts",
            ),
        );
    }
    let mut csrf_ok = ctx
        .check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
        .is_ok();
    let mut folder = SharePath::root();
    let mut uploaded = Vec::new();
    let mut keep_folders: Option<bool> = None;
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return fail(&ctx, multipart_error(&e)),
        };
        let file_name = part.file_name().map(upload_name);
        match (part.name(), file_name) {
            (Some("csrf"), None) => {
                let v = part.text().await.unwrap_or_default();
                csrf_ok = ctx.check_csrf(Some(&v)).is_ok();
            }
            (Some("folder"), None) => {
                let v = part.text().await.unwrap_or_default();
                folder = match parse_path(Some(&v)) {
                    Ok(p) => p,
                    Err(e) => return fail(&ctx, e),
                };
            }
            (_, Some((dirs, name))) => {
                if !csrf_ok {
                    return fail(&ctx, ApiError::csrf());
                }
                if name.is_empty() {
                    continue; // an empty file input
                }
                // A folder upload keeps its folders where visitors may create folders
                // (and uploads do not go to an inbox); elsewhere files land flat.
                let mut target = folder.clone();
                if !dirs.is_empty() {
                    if keep_folders.is_none() {
                        keep_folders = Some(
                            match st
                                .app
                                .resume(&VisitRequest::new(
                                    &key,
                                    &sid,
                                    &ctx.client,
                                    RequestMode::Head,
                                ))
                                .await
                            {
                                Ok(Visit { view: Some(v), .. }) => {
                                    v.rights.has(Capability::CreateFolder) && !v.has_inbox
                                }
                                _ => false,
                            },
                        );
                    }
                    if keep_folders == Some(true) {
                        for dir in &dirs {
                            target = match st
                                .app
                                .create_folder(
                                    &VisitRequest::new(
                                        &key,
                                        &sid,
                                        &ctx.client,
                                        RequestMode::Confirmed,
                                    ),
                                    &target,
                                    dir,
                                )
                                .await
                            {
                                Ok(made) => made,
                                Err(ServiceError::Storage(FileStoreError::AlreadyExists {
                                    ..
                                })) => {
                                    match SharePath::segment(dir).and_then(|d| target.join(&d)) {
                                        Ok(p) => p,
                                        Err(e) => return service_fail(&ctx, e.into()),
                                    }
                                }
                                Err(e) => return service_fail(&ctx, e),
                            };
                        }
                    }
                }
                // Hand the part to the store as a stream; nothing is buffered whole.
                let (tx, rx) = mpsc::channel::<Result<Bytes, FileStoreError>>(4);
                let stream: ByteStream =
                    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
                        rx.recv().await.map(|item| (item, rx))
                    }));
                // The pump reports why the request body failed (too large, cut off), so
                // the answer names it rather than the storage error it causes.
                let pump = async move {
                    loop {
                        match part.chunk().await {
                            Ok(Some(b)) => {
                                if tx.send(Ok(b)).await.is_err() {
                                    return None;
                                }
                            }
                            Ok(None) => return None,
                            Err(e) => {
                                let why = multipart_error(&e);
                                let _ = tx
                                    .send(Err(FileStoreError::Aborted {
                                        source: Box::new(e),
                                    }))
                                    .await;
                                return Some(why);
                            }
                        }
                    }
                };
                let req = VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed);
                let (result, body_error) =
                    tokio::join!(st.app.upload(&req, &target, &name, None, stream), pump);
                match (result, body_error) {
                    (Ok(l), None) => uploaded.push(l),
                    (_, Some(why)) => return fail(&ctx, why),
                    (Err(e), None) => return service_fail(&ctx, e),
                }
            }
            _ => {}
        }
    }
    if ctx.json {
        return Json(serde_json::json!({ "uploaded": uploaded })).into_response();
    }
    back_to_folder(&ctx, &key, &folder)
}

fn back_to_folder(ctx: &Ctx, key: &str, folder: &SharePath) -> Response {
    let rest = if folder.is_root() {
        String::new()
    } else {
        format!("?p={}", url_query(folder.as_str()))
    };
    Redirect::to(&ctx.share_url(key, &rest)).into_response()
}

macro_rules! change_handler {
    ($name:ident, |$st:ident, $ctx:ident, $key:ident, $sid:ident, $fields:ident| $body:expr) => {
        async fn $name(
            State($st): State<AppState>,
            Path($key): Path<String>,
            headers: HeaderMap,
            mut $ctx: Ctx,
            Form($fields): Form<Fields>,
        ) -> Response {
            if let Err(e) = check_csrf(&$ctx, &headers, &$fields) {
                return fail(&$ctx, e);
            }
            let $sid = match confirmed_session(&$st, &mut $ctx, &$key).await {
                Ok(s) => s,
                Err(e) => return fail_with_link(&$ctx, &$key, e),
            };
            let result: Result<(SharePath, SharePath), ApiError> = async { $body }.await;
            let res = match result {
                Ok((changed, _)) if $ctx.json => {
                    Json(serde_json::json!({ "path": changed })).into_response()
                }
                Ok((_, back)) => back_to_folder(&$ctx, &$key, &back),
                Err(e) => fail(&$ctx, e),
            };
            $ctx.apply(res)
        }
    };
}

change_handler!(mkdir, |st, ctx, key, sid, fields| {
    let parent = parse_path(field(&fields, "parent"))?;
    let made = st
        .app
        .create_folder(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &parent,
            field(&fields, "name").unwrap_or_default().trim(),
        )
        .await?;
    Ok((made, parent))
});

change_handler!(rename, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    let renamed = st
        .app
        .rename(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
            field(&fields, "name").unwrap_or_default().trim(),
        )
        .await?;
    Ok((renamed, path.parent().unwrap_or_default()))
});

change_handler!(move_or_copy, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    let into = parse_path(field(&fields, "into"))?;
    let copy = field(&fields, "op") == Some("copy");
    let moved = st
        .app
        .move_or_copy(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
            &into,
            copy,
        )
        .await?;
    Ok((moved, path.parent().unwrap_or_default()))
});

change_handler!(delete, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    st.app
        .delete(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
        )
        .await?;
    let parent = path.parent().unwrap_or_default();
    Ok((path, parent))
});

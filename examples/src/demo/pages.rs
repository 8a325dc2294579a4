//! The demo's own pages: sign-in and sign-out, the management page (HTML plus a small
//! plain-JS file that calls the sharelink management API under `/share/api`), and a
//! JSON listing of the files the signed-in user may see.
//!
//! The sign-in and sign-out forms carry a token that must match the `demo_csrf` cookie
//! (`SameSite=Strict`), and are refused when `Origin` or `Sec-Fetch-Site` shows another
//! site: no other page can sign a visitor in to an account of its choosing or out.

use super::users::{DemoUsers, SESSION_COOKIE, cookie, random_token};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sharelink_core::ports::EntryKind;
use sharelink_core::service::Sharelink;
use sharelink_core::{Capability, SharePath, ShareSettings, UserId};

/// What the demo's pages need.
#[derive(Debug, Clone)]
pub struct PageState {
    /// The sharelink application (its file store is browsed here).
    pub sharelink: Sharelink,
    /// The built-in users and their sessions.
    pub users: DemoUsers,
    /// Mark the sign-in cookie `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
}

/// The demo's routes: `/`, `/login`, `/logout`, `/app.js`, `/admin` (site settings),
/// `/admin.js`, `/demo/me`, `/demo/files`.
pub fn routes(state: PageState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/admin", get(admin))
        .route("/admin.js", get(admin_js))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/app.js", get(app_js))
        .route("/demo/me", get(me))
        .route("/demo/files", get(files))
        .layer(axum::middleware::map_response(page_headers))
        .with_state(state)
}

const APP_JS: &str = include_str!("app.js");
const ADMIN_JS: &str = include_str!("admin.js");

/// The demo's own CSP: scripts only from this origin (no inline script).
async fn page_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        ));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The cookie holding the token of the sign-in and sign-out forms.
const CSRF_COOKIE: &str = "demo_csrf";

/// The form token of this browser: its `demo_csrf` cookie, or a new one with the
/// `Set-Cookie` value that stores it.
fn form_token(state: &PageState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(token) = cookie(headers, CSRF_COOKIE).filter(|t| t.len() >= 32) {
        return (token.to_owned(), None);
    }
    let token = random_token().unwrap_or_default();
    let set = format!(
        "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if state.secure_cookies { "; Secure" } else { "" }
    );
    (token, Some(set))
}

/// Whether a sign-in or sign-out form was sent by this site's own page: the token
/// matches the cookie and the browser does not say it came from elsewhere.
fn from_own_page(headers: &HeaderMap, submitted: &str) -> bool {
    let Some(expected) = cookie(headers, CSRF_COOKIE).filter(|t| t.len() >= 32) else {
        return false;
    };
    // Compared in full, so the time taken says nothing of where the first difference is.
    let same = expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0;
    same && sharelink_http::from_this_site(headers, &[])
}

/// A page, with the form-token cookie set when the browser has none yet.
fn with_token_cookie(set: Option<String>, status: StatusCode, page: Html<String>) -> Response {
    match set {
        Some(set) => (status, [(header::SET_COOKIE, set)], page).into_response(),
        None => (status, page).into_response(),
    }
}

/// The hidden field carrying the form token.
fn token_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(token)
    )
}

fn signed_in(state: &PageState, headers: &HeaderMap) -> Option<UserId> {
    state.users.session_user(cookie(headers, SESSION_COOKIE)?)
}

/// Escapes text for HTML (the router's own escaping).
pub use sharelink_http::escape_html as escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;\
padding:1em;color:#222}header{display:flex;justify-content:space-between;align-items:center;\
border-bottom:1px solid #ddd;margin-bottom:1em}section{border:1px solid #ddd;border-radius:6px;\
padding:.8em 1em;margin:1em 0}table{border-collapse:collapse;width:100%}td,th{text-align:left;\
padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}fieldset{border:1px solid #eee;\
margin:.5em 0}label{display:inline-block;margin:.2em 1em .2em 0}textarea{width:100%}\
.note{background:#fff6d5;padding:.5em;border-radius:4px}.err{color:#a00}.ok{color:#070}\
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:20em}button{margin:.1em}";

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
<style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    ))
}

async fn index(State(state): State<PageState>, headers: HeaderMap) -> Response {
    let (token, set) = form_token(&state, &headers);
    let Some(user) = signed_in(&state, &headers) else {
        return with_token_cookie(set, StatusCode::OK, sign_in_page(&state, &token, None));
    };
    let admin = state.users.is_admin(&user);
    let html = page(
        "sharelink demo",
        &format!(
            "<header><h1>sharelink demo</h1><form method=\"post\" action=\"/logout\">\
{}signed in as <b id=\"me\" data-admin=\"{admin}\">{}</b>{} <button>Sign out</button></form></header>\
<p class=\"note\">Demo only: built-in users, plain-text passwords, in-memory sessions.</p>\
<section><h2>Files</h2><div id=\"files\">Loading…</div></section>\
<section id=\"editor\"><h2 id=\"editor-title\">New share</h2><form id=\"share-form\">\
<p>Items (one store path per line, optional alias after <code>=&gt;</code>):<br>\
<textarea name=\"items\" rows=\"2\" required></textarea></p>\
<p><label>Name <input name=\"name\" required></label>\
<label>Custom key <input name=\"custom_key\" placeholder=\"random\"></label></p>\
<p><label>Description<br><textarea name=\"description\" rows=\"2\"></textarea></label>\
<label>Internal note<br><textarea name=\"internal_note\" rows=\"1\"></textarea></label></p>\
<fieldset><legend>What visitors may do</legend><label>Level <select name=\"allowed\">\
<option value=\"preview_only\">preview only</option><option value=\"download\" selected>download</option>\
<option value=\"upload\">upload (drop box)</option><option value=\"upload_download\">upload and download</option>\
<option value=\"full\">full</option></select></label>\
<label>Mode <select name=\"mode\"><option value=\"reference\">reference (live)</option>\
<option value=\"snapshot\">snapshot (copy now)</option></select></label>\
</fieldset>\
<fieldset id=\"notifications\"><legend>Email me when</legend>\
<label><input type=\"checkbox\" name=\"notify_download\"> something is downloaded</label>\
<label><input type=\"checkbox\" name=\"notify_upload\"> a file is uploaded</label>\
<label><input type=\"checkbox\" name=\"notify_registration\"> a visitor registers</label>\
<label><input type=\"checkbox\" name=\"notify_first_visit\"> a recipient first opens their link</label>\
<label><input type=\"checkbox\" name=\"notify_expiry_soon\" checked> the share is about to expire</label>\
<br><label><input type=\"checkbox\" name=\"notify_digest\"> gather these into one mail per hour</label></fieldset>\
<fieldset><legend>When</legend><label>Starts <input type=\"datetime-local\" name=\"starts_at\"></label>\
<label>Expires <input type=\"datetime-local\" name=\"expires_at\"></label> (your time zone; empty: site default)\
<br><label>Max uses <input type=\"number\" min=\"1\" name=\"use_max\"></label>\
<label>counted by <select name=\"use_unit\"><option value=\"download\">download</option>\
<option value=\"visit\">visit</option><option value=\"operation\">operation</option></select></label></fieldset>\
<fieldset><legend>Password</legend><label>Password <select name=\"password_mode\">\
<option value=\"none\">none</option><option value=\"generate\">auto-generate</option>\
<option value=\"set\">set:</option><option value=\"keep\">keep current (edit)</option></select></label>\
<input name=\"password\" type=\"password\" autocomplete=\"new-password\">\
<label><input type=\"checkbox\" name=\"password_autofill\"> put the access code in the link</label></fieldset>\
<fieldset><legend>Who</legend><label>Access <select name=\"access\">\
<option value=\"anyone\">anyone with the link</option><option value=\"emailed_only\">emailed recipients only</option>\
<option value=\"verified_emails\">verified emails matching:</option>\
<option value=\"organization\">signed-in users only</option></select></label>\
<input name=\"patterns\" placeholder=\"*@example.com, bob@x.org\">\
<label><input type=\"checkbox\" name=\"device_binding\"> bind to first device</label>\
<br><label>IP allow-list <input name=\"ip_allow\" placeholder=\"203.0.113.0/24, 2001:db8::/32\"></label></fieldset>\
<fieldset><legend>Before access</legend><label>Registration <select name=\"registration\">\
<option value=\"none\">none</option><option value=\"default\">default (name, email, company)</option>\
<option value=\"custom\">custom questions:</option></select></label>\
<input name=\"questions\" placeholder=\"Question one; Question two\">\
<br><label>Clickwrap title <input name=\"clickwrap_title\"></label>\
<label>Terms<br><textarea name=\"clickwrap_terms\" rows=\"2\"></textarea></label>\
<br><label>Form from template <select name=\"registration_template\"><option value=\"\">none (the choice above)</option></select></label>\
<label>Terms from template <select name=\"clickwrap_template\"><option value=\"\">none (the terms above)</option></select></label>\
<button type=\"button\" id=\"save-terms\">Save these terms as a template</button>\
<label>Watermark <input name=\"watermark\" placeholder=\"{{email}} {{ip}} {{time}}\"></label></fieldset>\
<fieldset><legend>Uploads</legend><label>Inbox folder <input name=\"inbox\"></label>\
<label>Allowed types <input name=\"extensions\" placeholder=\"pdf, png\"></label>\
<label>Max file bytes <input type=\"number\" min=\"1\" name=\"max_file_bytes\"></label>\
<label>Max total bytes <input type=\"number\" min=\"1\" name=\"max_share_bytes\"></label>\
<label>Per-uploader folder <select name=\"subfolder\"><option value=\"none\">none</option>\
<option value=\"by_identity\">by identity</option><option value=\"by_time\">by time</option></select></label></fieldset>\
<p><button id=\"save\">Create share</button> <button type=\"button\" id=\"new\">Clear</button></p>\
</form><div id=\"result\"></div></section>\
<section id=\"send\"><h2>Send files</h2><form id=\"send-form\">\
<p>Upload files into a folder of yours and share a copy of them in one step (the settings of the form above apply).</p>\
<p><label>Files <input type=\"file\" name=\"files\" multiple required></label>\
<label>Keep them in folder <input name=\"folder\" required placeholder=\"docs/outbox\"></label></p>\
<p><label>Send to <input name=\"recipients\" placeholder=\"rita@example.com, sam@example.com\"></label>\
<label>Message <input name=\"message\"></label></p>\
<p><button>Upload and send</button></p></form><div id=\"send-result\"></div></section>\
<section><h2>Shares</h2><form id=\"search\"><label>Name contains <input name=\"name\"></label>\
<label>State <select name=\"state\"><option value=\"\">any</option><option value=\"active\">active</option>\
<option value=\"expired\">expired</option><option value=\"exhausted\">exhausted</option>\
<option value=\"not_yet_active\">not yet active</option></select></label>{}\
<button>Search</button></form><div id=\"shares\"></div><div id=\"details\"></div></section>\
<script src=\"/app.js\"></script>",
            token_field(&token),
            escape(user.as_str()),
            if admin {
                " (admin, <a href=\"/admin\">site settings</a>)"
            } else {
                ""
            },
            if admin {
                "<label>Owner <input name=\"owner\" placeholder=\"any\"></label>"
            } else {
                ""
            },
        ),
    );
    with_token_cookie(set, StatusCode::OK, html)
}

fn sign_in_page(state: &PageState, token: &str, error: Option<&str>) -> Html<String> {
    let users: Vec<String> = state
        .users
        .users()
        .iter()
        .map(|u| {
            format!(
                "<li><code>{}</code> / <code>{}</code>{}</li>",
                escape(u.name),
                escape(u.password),
                if u.is_admin { " (admin)" } else { "" }
            )
        })
        .collect();
    page(
        "Sign in — sharelink demo",
        &format!(
            "<h1>sharelink demo</h1>{}<form method=\"post\" action=\"/login\">{}\
<p><label>User <input name=\"user\" autocomplete=\"username\" autofocus></label></p>\
<p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label></p>\
<p><button>Sign in</button></p></form>\
<p class=\"note\">Demo only: this sign-in is a toy (plain-text passwords, in-memory \
sessions). The built-in users are:</p><ul>{}</ul>\
<p><code>alice</code> may share <code>projects/</code>, only read <code>reports/</code> \
and cannot see <code>hr/</code>.</p>",
            error
                .map(|e| format!("<p class=\"err\">{}</p>", escape(e)))
                .unwrap_or_default(),
            token_field(token),
            users.join("")
        ),
    )
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
struct SignIn {
    user: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// The sign-in page again, saying the form came from elsewhere or expired.
fn form_refused(state: &PageState, headers: &HeaderMap) -> Response {
    let (token, set) = form_token(state, headers);
    let page = sign_in_page(
        state,
        &token,
        Some("The form expired or came from another site; please sign in again."),
    );
    with_token_cookie(set, StatusCode::FORBIDDEN, page)
}

async fn login(
    State(state): State<PageState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    if !from_own_page(&headers, &form.csrf) {
        return form_refused(&state, &headers);
    }
    match state.users.sign_in(form.user.trim(), &form.password) {
        Some(token) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
                    if state.secure_cookies { "; Secure" } else { "" }
                ),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            sign_in_page(&state, &form.csrf, Some("Wrong user or password.")),
        )
            .into_response(),
    }
}

async fn logout(
    State(state): State<PageState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Response {
    if !from_own_page(&headers, &form.csrf) {
        return form_refused(&state, &headers);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.users.sign_out(token);
    }
    (
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        )],
        Redirect::to("/"),
    )
        .into_response()
}

/// The site-settings page (administrators): a form that `admin.js` fills from, and
/// saves through, sharelink's `/share/api/site`.
async fn admin(State(state): State<PageState>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in(&state, &headers) else {
        return Redirect::to("/").into_response();
    };
    if !state.users.is_admin(&user) {
        return (
            StatusCode::FORBIDDEN,
            page("Site settings", "<p class=\"err\">Only administrators change the site settings.</p><p><a href=\"/\">Back</a></p>"),
        )
            .into_response();
    }
    page(
        "Site settings",
        "<header><h1>Site settings</h1><p><a href=\"/\">Back to shares</a> · <span id=\"version\">Loading…</span></p></header>\
<p class=\"note\">Saved in the database and in effect at once on this server process and within a second on every other; lifetimes in days.</p>\
<form id=\"site-form\">\
<fieldset><legend>Lifetime</legend><label>Default <input name=\"default_lifetime\" type=\"number\" min=\"0\" step=\"any\" placeholder=\"none\"></label>\
<label>Minimum <input name=\"min_lifetime\" type=\"number\" min=\"0\" step=\"any\" placeholder=\"none\"></label>\
<label>Maximum <input name=\"max_lifetime\" type=\"number\" min=\"0\" step=\"any\" placeholder=\"none\"></label></fieldset>\
<fieldset><legend>Passwords and keys</legend><label><input type=\"checkbox\" name=\"require_password\"> every share needs a password</label>\
<label>Minimum length <input name=\"password_min_len\" type=\"number\" min=\"1\" max=\"256\"></label>\
<br><label><input type=\"checkbox\" name=\"custom_keys_allowed\"> creators may choose link keys</label>\
<label>of at least <input name=\"custom_keys_min_len\" type=\"number\" min=\"1\" max=\"64\"> characters</label></fieldset>\
<fieldset><legend>Links</legend><label><input type=\"checkbox\" name=\"device_binding\"> shares may bind to the first device</label>\
<label><input type=\"checkbox\" name=\"one_active\"> one active link per recipient and item</label>\
<br><label>Shares per user per day <input name=\"daily_quota\" type=\"number\" min=\"1\" placeholder=\"unlimited\"></label>\
<br><label>Refused file types on public links <input name=\"refused_extensions\" placeholder=\"apk, ipa\"></label></fieldset>\
<fieldset><legend>Branding</legend><label>Site title <input name=\"site_title\" required></label>\
<label>Mail sender name <input name=\"sender_name\" required></label>\
<label>Logo URL <input name=\"logo_url\" placeholder=\"https://…\"></label>\
<label>Accent colour <input name=\"accent_color\" placeholder=\"#2f6fdb\" pattern=\"#[0-9a-fA-F]{6}\"></label>\
<label>Favicon URL <input name=\"favicon_url\" placeholder=\"https://…\"></label>\
<label>Footer text <input name=\"footer_text\" maxlength=\"500\"></label>\
<label>Extra stylesheet URL <input name=\"stylesheet_url\" placeholder=\"https://…\"></label></fieldset>\
<fieldset><legend>Access log</legend><label><input type=\"checkbox\" name=\"truncate_ip\"> truncate client addresses</label>\
<label>Keep events for <input name=\"retention\" type=\"number\" min=\"0\" step=\"any\" placeholder=\"until revoked\"> days</label></fieldset>\
<fieldset><legend>Defaults for new shares</legend><label>Access <select name=\"default_access\">\
<option value=\"anyone\">anyone with the link</option><option value=\"emailed_only\">emailed recipients only</option>\
<option value=\"verified_emails\">verified emails (patterns kept)</option><option value=\"organization\">signed-in users only</option></select></label>\
<label>Max uses <input name=\"default_use_max\" type=\"number\" min=\"1\" placeholder=\"none\"></label>\
<label>counted by <select name=\"default_use_unit\"><option value=\"download\">download</option>\
<option value=\"visit\">visit</option><option value=\"operation\">operation</option></select></label>\
<br><label><input type=\"checkbox\" name=\"default_registration\"> ask visitors to register</label>\
<br><label>Clickwrap title <input name=\"default_clickwrap_title\"></label>\
<label>Terms<br><textarea name=\"default_clickwrap_terms\" rows=\"2\"></textarea></label></fieldset>\
<p><button id=\"save-site\">Save</button> <button type=\"button\" id=\"reload\">Reload</button> <span id=\"status\"></span></p>\
</form><script src=\"/admin.js\"></script>",
    )
    .into_response()
}

async fn admin_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        ADMIN_JS,
    )
        .into_response()
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

/// The signed-in user, and what the page needs to build settings: the default settings.
async fn me(State(state): State<PageState>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in(&state, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first");
    };
    Json(json!({
        "user": user.as_str(),
        "admin": state.users.is_admin(&user),
        // What the site gives new shares where the form leaves a setting out.
        "defaults": serde_json::to_value(
            state
                .sharelink
                .new_share_settings("")
                .await
                .unwrap_or_else(|_| ShareSettings::named(""))
        )
        .unwrap_or_default(),
    }))
    .into_response()
}

/// `?path=` of the file listing.
#[derive(Debug, Deserialize)]
struct FilesQuery {
    #[serde(default)]
    path: String,
}

/// The entries of a folder the signed-in user may see, with what they may do there.
async fn files(
    State(state): State<PageState>,
    headers: HeaderMap,
    Query(q): Query<FilesQuery>,
) -> Response {
    let Some(user) = signed_in(&state, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first");
    };
    let Ok(folder) = SharePath::parse(&q.path) else {
        return error(StatusCode::BAD_REQUEST, "bad_path", "bad path");
    };
    let users = &state.users;
    let may_list = users.leads_to_grant(&user, &folder)
        || users.rights_of(&user, &folder).has(Capability::List);
    if !may_list || folder.starts_with(&state.sharelink.config().snapshot_root) {
        return error(StatusCode::NOT_FOUND, "not_found", "no such folder");
    }
    let entries = match state.sharelink.ports().files.list(&folder).await {
        Ok(e) => e,
        Err(_) => return error(StatusCode::NOT_FOUND, "not_found", "no such folder"),
    };
    let snapshots = &state.sharelink.config().snapshot_root;
    let mut out: Vec<_> = entries
        .iter()
        .filter(|e| !e.path.starts_with(snapshots) && !snapshots.starts_with(&e.path))
        .filter(|e| users.sees(&user, &e.path))
        .map(|e| {
            let rights = users.rights_of(&user, &e.path);
            json!({
                "path": e.path.as_str(),
                "name": e.path.file_name().unwrap_or_default(),
                "kind": if e.kind == EntryKind::Folder { "folder" } else { "file" },
                "size": e.size,
                "can_share": rights.has(Capability::Share),
                "rights": rights,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a["kind"].as_str() != Some("folder"), a["name"].as_str())
            .cmp(&(b["kind"].as_str() != Some("folder"), b["name"].as_str()))
    });
    Json(json!({ "path": folder.as_str(), "entries": out })).into_response()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

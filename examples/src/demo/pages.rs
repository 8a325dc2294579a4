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

/// The demo's routes: `/`, `/login`, `/logout`, `/app.js`, `/demo.css`, `/admin` (site
/// settings), `/admin.js`, `/demo/me`, `/demo/files`.
pub fn routes(state: PageState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/admin", get(admin))
        .route("/admin.js", get(admin_js))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/app.js", get(app_js))
        .route("/demo.css", get(demo_css))
        .route("/demo/me", get(me))
        .route("/demo/files", get(files))
        .layer(axum::middleware::map_response(page_headers))
        .with_state(state)
}

const APP_JS: &str = include_str!("app.js");
const ADMIN_JS: &str = include_str!("admin.js");

/// The demo's own CSP: scripts and styles only from this origin (no inline script or
/// style).
async fn page_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; \
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

/// The stylesheet of every demo page, served at `/demo.css`.
const STYLE: &str = include_str!("demo.css");

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
<link rel=\"stylesheet\" href=\"/demo.css\"></head><body>{body}</body></html>",
        escape(title)
    ))
}

/// Which page of the navigation is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NavPage {
    Shares,
    Site,
}

/// The header of a signed-in page: the site name, the navigation (site settings for
/// administrators) and the sign-out form.
fn top_bar(token: &str, user: &str, admin: bool, current: NavPage) -> String {
    let link = |href: &str, text: &str, this: NavPage| {
        let here = if this == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<li><a href=\"{href}\"{here}>{text}</a></li>")
    };
    format!(
        "<header class=\"top\"><p class=\"brand\">sharelink demo</p>\
<nav aria-label=\"Main\"><ul>{}{}</ul></nav>\
<form method=\"post\" action=\"/logout\">{}<span class=\"muted\">Signed in as</span> \
<b id=\"me\" data-admin=\"{admin}\">{}</b>{} <button>Sign out</button></form></header>",
        link("/", "Shares", NavPage::Shares),
        if admin {
            link("/admin", "Site settings", NavPage::Site)
        } else {
            String::new()
        },
        token_field(token),
        escape(user),
        if admin { " (admin)" } else { "" },
    )
}

/// The settings of a share beyond the common ones, folded away under "More settings".
const MORE_SETTINGS: &str = "<details id=\"more\"><summary>More settings</summary>\
<p><label>Custom link key <input name=\"custom_key\" placeholder=\"random\" autocomplete=\"off\"></label></p>\
<p><label>Description (shown to visitors)<br><textarea name=\"description\" rows=\"2\"></textarea></label></p>\
<p><label>Internal note (only you see it)<br><textarea name=\"internal_note\" rows=\"1\"></textarea></label></p>\
<fieldset><legend>Mode and schedule</legend><label>Mode <select name=\"mode\"><option value=\"reference\">reference (live files)</option>\
<option value=\"snapshot\">snapshot (a copy made now)</option></select></label>\
<label>Starts <input type=\"datetime-local\" name=\"starts_at\"></label></fieldset>\
<fieldset id=\"notifications\"><legend>Email me when</legend>\
<label><input type=\"checkbox\" name=\"notify_download\"> something is downloaded</label>\
<label><input type=\"checkbox\" name=\"notify_upload\"> a file is uploaded</label>\
<label><input type=\"checkbox\" name=\"notify_registration\"> a visitor registers</label>\
<label><input type=\"checkbox\" name=\"notify_first_visit\"> a recipient first opens their link</label>\
<label><input type=\"checkbox\" name=\"notify_expiry_soon\" checked> the share is about to expire</label>\
<label><input type=\"checkbox\" name=\"notify_digest\"> gather these into one mail per hour</label></fieldset>\
<fieldset><legend>Who may open it</legend><label>Access <select name=\"access\">\
<option value=\"anyone\">anyone with the link</option><option value=\"emailed_only\">emailed recipients only</option>\
<option value=\"verified_emails\">verified emails matching the patterns</option>\
<option value=\"organization\">signed-in users only</option></select></label>\
<label>Email patterns <input name=\"patterns\" placeholder=\"*@example.com, bob@x.org\"></label>\
<label><input type=\"checkbox\" name=\"device_binding\"> bind to the first device</label>\
<label>IP allow-list <input name=\"ip_allow\" placeholder=\"203.0.113.0/24, 2001:db8::/32\"></label>\
<label><input type=\"checkbox\" name=\"password_autofill\"> put the access code in the link</label></fieldset>\
<fieldset><legend>Before access</legend><label>Registration <select name=\"registration\">\
<option value=\"none\">none</option><option value=\"default\">default (name, email, company)</option>\
<option value=\"custom\">custom questions</option></select></label>\
<label>Questions <input name=\"questions\" placeholder=\"Question one; Question two\"></label>\
<label>Clickwrap title <input name=\"clickwrap_title\"></label>\
<label>Terms<br><textarea name=\"clickwrap_terms\" rows=\"2\"></textarea></label>\
<label>Form from template <select name=\"registration_template\"><option value=\"\">none (the choice above)</option></select></label>\
<label>Terms from template <select name=\"clickwrap_template\"><option value=\"\">none (the terms above)</option></select></label>\
<button type=\"button\" id=\"save-terms\">Save these terms as a template</button>\
<label>Watermark <input name=\"watermark\" placeholder=\"{email} {ip} {time}\"></label></fieldset>\
<fieldset><legend>Uploads</legend><label>Inbox folder <input name=\"inbox\"></label>\
<label>Allowed types <input name=\"extensions\" placeholder=\"pdf, png\"></label>\
<label>Max file bytes <input type=\"number\" min=\"1\" name=\"max_file_bytes\"></label>\
<label>Max total bytes <input type=\"number\" min=\"1\" name=\"max_share_bytes\"></label>\
<label>Per-uploader folder <select name=\"subfolder\"><option value=\"none\">none</option>\
<option value=\"by_identity\">by identity</option><option value=\"by_time\">by time</option></select></label></fieldset>\
</details>";

async fn index(State(state): State<PageState>, headers: HeaderMap) -> Response {
    let (token, set) = form_token(&state, &headers);
    let Some(user) = signed_in(&state, &headers) else {
        return with_token_cookie(set, StatusCode::OK, sign_in_page(&state, &token, None));
    };
    let admin = state.users.is_admin(&user);
    let html = page(
        "Shares — sharelink demo",
        &format!(
            "{}<main><h1>Share files</h1>\
<p class=\"note\">Demo only: built-in users, plain-text passwords, in-memory sessions.</p>\
<div class=\"layout\">\
<section id=\"pick\" aria-labelledby=\"pick-title\"><h2 id=\"pick-title\">1. Pick files and folders</h2>\
<p class=\"muted\" id=\"tree-help\">Open a folder with its arrow; tick what to share.</p>\
<div id=\"tree\" aria-describedby=\"tree-help\" aria-busy=\"true\">Loading…</div></section>\
<section id=\"editor\" aria-labelledby=\"editor-title\"><h2 id=\"editor-title\">2. New share</h2>\
<form id=\"share-form\"><fieldset><legend>What is shared</legend>\
<p id=\"picked-empty\" class=\"muted\">Nothing picked yet: tick files or folders in the tree.</p>\
<ul id=\"picked\" class=\"picked\"></ul></fieldset>\
<p><label>Name <input name=\"name\" required autocomplete=\"off\"></label></p>\
<fieldset><legend>Visitors may</legend><label>Level <select name=\"allowed\">\
<option value=\"preview_only\">preview only</option><option value=\"download\" selected>download</option>\
<option value=\"upload\">upload (drop box)</option><option value=\"upload_download\">upload and download</option>\
<option value=\"full\">full</option></select></label>\
<label>Expires <input type=\"datetime-local\" name=\"expires_at\" aria-describedby=\"expiry-help\"></label>\
<span id=\"expiry-help\" class=\"muted\">your time zone; empty: the site default</span><br>\
<label>Max uses <input type=\"number\" min=\"1\" name=\"use_max\" placeholder=\"no limit\"></label>\
<label>counted by <select name=\"use_unit\"><option value=\"download\">download</option>\
<option value=\"visit\">visit</option><option value=\"operation\">operation</option></select></label></fieldset>\
<fieldset><legend>Password</legend><label>Password <select name=\"password_mode\">\
<option value=\"none\">none</option><option value=\"generate\">auto-generate</option>\
<option value=\"set\">set one</option><option value=\"keep\">keep current (edit)</option></select></label>\
<label>New password <input name=\"password\" type=\"password\" autocomplete=\"new-password\"></label></fieldset>\
{MORE_SETTINGS}\
<p><button id=\"save\" class=\"primary\">Create share</button> <button type=\"button\" id=\"new\">Clear</button></p>\
</form><div id=\"result\" role=\"status\"></div></section></div>\
<section id=\"list\" aria-labelledby=\"shares-title\"><h2 id=\"shares-title\">Shares</h2>\
<form id=\"search\" role=\"search\" aria-label=\"Shares\"><label>Name contains <input name=\"name\" type=\"search\"></label>\
<label>State <select name=\"state\"><option value=\"\">any</option><option value=\"active\">active</option>\
<option value=\"expired\">expired</option><option value=\"exhausted\">used up</option>\
<option value=\"not_yet_active\">not yet active</option></select></label>{}\
<button>Search</button></form><div id=\"list-status\" role=\"status\" class=\"muted\"></div>\
<ul id=\"shares\" class=\"cards\"></ul></section>\
<section id=\"details\" aria-labelledby=\"details-title\" hidden><h2 id=\"details-title\" tabindex=\"-1\">Details</h2>\
<div id=\"details-body\"></div><p><button type=\"button\" id=\"close-details\">Close</button></p></section>\
<section id=\"send\" aria-labelledby=\"send-title\"><h2 id=\"send-title\">Send files</h2><form id=\"send-form\">\
<p>Upload files into a folder of yours and share a copy of them in one step (the settings of the form above apply).</p>\
<p><label>Files <input type=\"file\" name=\"files\" multiple required></label>\
<label>Keep them in folder <input name=\"folder\" required placeholder=\"projects/outbox\"></label></p>\
<p><label>Send to <input name=\"recipients\" type=\"text\" placeholder=\"rita@example.com, sam@example.com\"></label>\
<label>Message <input name=\"message\"></label></p>\
<p><button>Upload and send</button></p></form><div id=\"send-result\" role=\"status\"></div></section></main>\
<script src=\"/app.js\"></script>",
            top_bar(&token, user.as_str(), admin, NavPage::Shares),
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
            "<main><h1>sharelink demo</h1>{}<form method=\"post\" action=\"/login\">{}\
<p><label>User <input name=\"user\" autocomplete=\"username\" autofocus></label></p>\
<p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label></p>\
<p><button>Sign in</button></p></form>\
<p class=\"note\">Demo only: this sign-in is a toy (plain-text passwords, in-memory \
sessions). The built-in users are:</p><ul>{}</ul>\
<p><code>alice</code> may share <code>projects/</code>, only read <code>reports/</code> \
and cannot see <code>hr/</code>.</p></main>",
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
    let (token, set) = form_token(&state, &headers);
    let html = page(
        "Site settings — sharelink demo",
        &format!(
            "{}<main><h1>Site settings</h1><p class=\"muted\" id=\"version\">Loading…</p>\
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
<label>Accent colour <input name=\"accent_color\" placeholder=\"#2f6fdb\" pattern=\"#[0-9a-fA-F]{{6}}\"></label>\
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
<p><button id=\"save-site\" class=\"primary\">Save</button> <button type=\"button\" id=\"reload\">Reload</button> <span id=\"status\" role=\"status\"></span></p>\
</form></main><script src=\"/admin.js\"></script>",
            top_bar(&token, user.as_str(), true, NavPage::Site)
        ),
    );
    with_token_cookie(set, StatusCode::OK, html)
}

async fn admin_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        ADMIN_JS,
    )
        .into_response()
}

async fn demo_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
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

/// The entries of one folder the signed-in user may see, with what they may do there:
/// the file tree of the page loads each folder's children this way when it is opened.
/// A path that would leave the store (`..`, absolute) answers 400 `bad_path` with the
/// reason; a folder the user may not see, or no folder at all, 404 `not_found`.
async fn files(
    State(state): State<PageState>,
    headers: HeaderMap,
    Query(q): Query<FilesQuery>,
) -> Response {
    let Some(user) = signed_in(&state, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first");
    };
    let folder = match SharePath::parse(&q.path) {
        Ok(folder) => folder,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_path",
                &format!(
                    "`{}` is not a folder inside your files: {e}",
                    q.path.escape_debug()
                ),
            );
        }
    };
    let users = &state.users;
    let may_list = users.leads_to_grant(&user, &folder)
        || users.rights_of(&user, &folder).has(Capability::List);
    let config = state.sharelink.config();
    // The snapshot copies and the thumbnail cache are sharelink's own, never listed.
    let reserved = !folder.is_root() && config.is_reserved(&folder);
    if !may_list || reserved {
        return error(StatusCode::NOT_FOUND, "not_found", "no such folder");
    }
    let entries = match state.sharelink.ports().files.list(&folder).await {
        Ok(e) => e,
        Err(_) => return error(StatusCode::NOT_FOUND, "not_found", "no such folder"),
    };
    let mut out: Vec<_> = entries
        .iter()
        .filter(|e| !config.is_reserved(&e.path))
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

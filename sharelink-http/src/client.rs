//! Who is asking: client address (trusted-proxy aware), cookies (browser id, visitor
//! session per share, CSRF token), the embedder's user, and the response format.

use crate::pages::{Layout, Locale};
use crate::{ApiError, SharelinkState};
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use sharelink_core::model::token::{TOKEN_ALPHABET, constant_time_eq};
use sharelink_core::ports::RandomSourceExt;
use sharelink_core::service::Client;
use sharelink_core::{BrowserId, DeviceId, SessionId};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

const BROWSER_COOKIE: &str = "sl_b";
const CSRF_COOKIE: &str = "sl_csrf";
/// The language the visitor picked with the switcher (`?lang=`).
const LANG_COOKIE: &str = "sl_lang";
/// The listing's layout the visitor picked with the switcher (`?view=grid`).
const VIEW_COOKIE: &str = "sl_view";

/// The request context of a visitor route.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) client: Client,
    cookies: HashMap<String, String>,
    /// The CSRF token to put in forms (from the cookie, or fresh).
    pub(crate) csrf: String,
    csrf_known: bool,
    /// Whether the client wants JSON.
    pub(crate) json: bool,
    /// Whether the browser already had our cookie (a returning browser, not a bot's
    /// first fetch).
    pub(crate) returning: bool,
    /// Where the router is mounted (`/share`), for absolute links.
    pub(crate) prefix: String,
    set_cookies: Vec<String>,
    secure: bool,
    /// The page templates, translations and the site's branding.
    pub(crate) look: crate::pages::Look,
}

fn parse_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for pair in v.split(';') {
            if let Some((k, val)) = pair.trim().split_once('=') {
                out.entry(k.trim().to_owned())
                    .or_insert_with(|| val.trim().to_owned());
            }
        }
    }
    out
}

/// The client address: the peer, or — when the peer is a trusted proxy — the last
/// `X-Forwarded-For` address that is not a trusted proxy.
pub(crate) fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// Whether the client asked for JSON.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

pub(crate) fn random_token(state: &SharelinkState, len: usize) -> String {
    state.app.ports().random.string_from(TOKEN_ALPHABET, len)
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    constant_time_eq(a.as_bytes(), b.as_bytes())
}

impl FromRequestParts<SharelinkState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharelinkState,
    ) -> Result<Self, ApiError> {
        let prefix = match parts.extensions.get::<OriginalUri>() {
            Some(o) => o
                .path()
                .strip_suffix(parts.uri.path())
                .unwrap_or_default()
                .to_owned(),
            None => String::new(),
        };
        state.wiring.check(state, parts, &prefix);
        // Our cookies stay under the mount point, away from the rest of the embedder's site.
        let cookie_path = format!("{prefix}/");
        let cookies = parse_cookies(&parts.headers);
        let secure = state.config.secure_cookies;
        let mut set_cookies = Vec::new();
        let returning = cookies.contains_key(BROWSER_COOKIE);
        let browser = match cookies
            .get(BROWSER_COOKIE)
            .and_then(|b| BrowserId::parse(b).ok())
        {
            Some(b) => b,
            None => {
                let token = random_token(state, 32);
                set_cookies.push(cookie(
                    BROWSER_COOKIE,
                    &token,
                    &cookie_path,
                    Some(400 * 86_400),
                    secure,
                ));
                BrowserId::parse(&token).map_err(|_| ApiError::bad_request("bad browser id"))?
            }
        };
        let (csrf, csrf_known) = match cookies.get(CSRF_COOKIE).filter(|c| c.len() >= 16) {
            Some(c) => (c.clone(), true),
            None => {
                let token = random_token(state, 32);
                set_cookies.push(cookie(CSRF_COOKIE, &token, &cookie_path, None, secure));
                (token, false)
            }
        };
        let query = parts.uri.query().unwrap_or_default();
        let picked = query_value(query, "lang").and_then(|l| Locale::from_tag(&l));
        if let Some(l) = picked {
            set_cookies.push(cookie(
                LANG_COOKIE,
                l.tag(),
                &cookie_path,
                Some(400 * 86_400),
                secure,
            ));
        }
        let locale = picked
            .or_else(|| cookies.get(LANG_COOKIE).and_then(|l| Locale::from_tag(l)))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Locale::negotiate)
            })
            .unwrap_or(Locale::En);
        let picked_layout = query_value(query, "view").and_then(|v| Layout::parse(&v));
        if let Some(l) = picked_layout {
            set_cookies.push(cookie(
                VIEW_COOKIE,
                l.as_str(),
                &cookie_path,
                Some(400 * 86_400),
                secure,
            ));
        }
        let layout = picked_layout
            .or_else(|| cookies.get(VIEW_COOKIE).and_then(|l| Layout::parse(l)))
            .unwrap_or_default();
        let json = wants_json(&parts.headers);
        let look = crate::pages::Look {
            pages: state.pages.clone(),
            locale,
            // JSON answers carry no page: no need to read the branding.
            branding: if json {
                std::sync::Arc::default()
            } else {
                crate::pages::branding(&state.app).await
            },
            here: here(parts, &prefix),
            sort: crate::pages::Sort::parse(
                query_value(query, "sort").as_deref(),
                query_value(query, "order").as_deref(),
            ),
            layout,
        };
        let user = state.auth.user(parts).await;
        let client = Client {
            ip: client_ip(parts, &state.config.trusted_proxies),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            device: DeviceId::parse(browser.as_str()).ok(),
            browser,
            user,
            locale: Some(locale.tag().to_owned()),
        };
        Ok(Ctx {
            client,
            cookies,
            csrf,
            csrf_known,
            json,
            returning,
            prefix,
            set_cookies,
            secure,
            look,
        })
    }
}

/// The first value of `name` in a query string, percent-decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// The page the language switcher links to: this one for a `GET` (a relative link: its
/// query without `lang`, so the page of an unknown and of a revoked key stay the same),
/// the share's page for a form's answer (a `POST` cannot be followed).
fn here(parts: &Parts, prefix: &str) -> String {
    let path = parts.uri.path();
    if parts.method == axum::http::Method::GET {
        let query: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang=") && *p != "lang")
            .collect();
        return format!("?{}", query.join("&"));
    }
    match path
        .strip_prefix("/s/")
        .and_then(|rest| rest.split('/').next())
    {
        Some(key) if !key.is_empty() => format!("{prefix}/s/{key}?"),
        _ => "?".to_owned(),
    }
}

fn cookie(name: &str, value: &str, path: &str, max_age: Option<u64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

impl Ctx {
    /// The visitor session of share `key`, from its cookie.
    pub(crate) fn session(&self, key: &str) -> Option<SessionId> {
        self.cookies
            .get(&session_cookie(key))
            .and_then(|s| SessionId::parse(s).ok())
    }

    /// The session, or the "open the link again" denial.
    pub(crate) fn require_session(&self, key: &str) -> Result<SessionId, ApiError> {
        self.session(key)
            .ok_or_else(|| sharelink_core::Denial::NoSession.into())
    }

    /// Remembers a new session of share `key` in a cookie scoped to the share's path.
    pub(crate) fn set_session(&mut self, key: &str, session: &SessionId) {
        // The rest of this request sees it too.
        self.cookies
            .insert(session_cookie(key), session.as_str().to_owned());
        let path = format!("{}/s/{key}", self.prefix);
        self.set_cookies.push(cookie(
            &session_cookie(key),
            session.as_str(),
            &path,
            None,
            self.secure,
        ));
    }

    /// Checks a submitted CSRF token against the cookie (double submit).
    pub(crate) fn check_csrf(&self, submitted: Option<&str>) -> Result<(), ApiError> {
        match submitted {
            Some(s) if self.csrf_known && same_secret(s, &self.csrf) => Ok(()),
            _ => Err(ApiError::csrf()),
        }
    }

    /// A link inside the share (`rest` starts with `/` or `?`, or is empty).
    pub(crate) fn share_url(&self, key: &str, rest: &str) -> String {
        format!("{}/s/{}{rest}", self.prefix, key)
    }

    /// Adds the cookies this request set to `res`.
    pub(crate) fn apply(&self, mut res: Response) -> Response {
        for c in &self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        res
    }
}

fn session_cookie(key: &str) -> String {
    let safe: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    format!("sl_s_{safe}")
}

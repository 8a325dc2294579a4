//! Route-level tests of the sharelink router over the in-memory adapters, plus one over
//! a real socket.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use bytes::Bytes;
use http_body_util::BodyExt;
use sharelink_core::memory::*;
use sharelink_core::ports::{Argon2idHasher, FileStore, MailMessage, PasswordHasher};
use sharelink_core::service::{Config, CreateShare, NewItem, Sharelink};
use sharelink_core::testing::fixtures::{self, path, put_file, share_request, user};
use sharelink_core::*;
use sharelink_http::{Authenticator, HttpConfig, SharelinkState};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

mod api_errors;
mod archive;
mod autofill;
mod brute;
mod conditional;
mod gallery;
mod hostile;
mod levels;
mod mail;
mod openapi;
mod pages;
mod paths;
mod recipients;
mod reports;
mod resume;
mod serve;
mod telemetry;
mod uploads;

// ----- world -----------------------------------------------------------------------------

#[derive(Debug)]
struct HeaderAuth;

#[async_trait::async_trait]
impl Authenticator for HeaderAuth {
    async fn user(&self, parts: &axum::http::request::Parts) -> Option<UserId> {
        UserId::parse(parts.headers.get("x-user")?.to_str().ok()?).ok()
    }
}

struct World {
    app: Sharelink,
    router: Router,
    files: Arc<MemoryFileStore>,
    mailer: Arc<MemoryMailer>,
}

async fn put(files: &MemoryFileStore, p: &str, data: &[u8]) {
    put_file(files, p, data).await;
}

async fn world() -> World {
    world_with(HttpConfig {
        secure_cookies: false,
        ..HttpConfig::default()
    })
    .await
}

async fn world_with(http: HttpConfig) -> World {
    world_custom(http, Arc::new(Argon2idHasher::new(Argon2Params::TESTING))).await
}

async fn world_custom(http: HttpConfig, hasher: Arc<dyn PasswordHasher>) -> World {
    let base = fixtures::World::new();
    let ports = base.mem.ports().with_hasher(hasher);
    let app = Sharelink::new(ports, Config::new(fixtures::LINK_BASE)).unwrap();
    let state = SharelinkState::new(app.clone(), Arc::new(HeaderAuth), http);
    World {
        app,
        router: sharelink_http::router(state),
        files: base.mem.files,
        mailer: base.mem.mailer,
    }
}

impl World {
    async fn share(&self, items: &[&str], f: impl FnOnce(&mut ShareSettings)) -> Share {
        self.share_with_password(items, None, f).await
    }

    async fn share_with_password(
        &self,
        items: &[&str],
        password: Option<&str>,
        f: impl FnOnce(&mut ShareSettings),
    ) -> Share {
        let mut request = share_request(items, f);
        request.password = password.map(str::to_owned);
        self.app
            .create_share(&user("ana"), request)
            .await
            .unwrap()
            .share
    }

    async fn uses(&self, share: &Share) -> u32 {
        self.app
            .get_share(&user("ana"), share.id)
            .await
            .unwrap()
            .uses
    }
}

/// A browser: keeps cookies across requests.
#[derive(Default)]
struct Browser {
    cookies: HashMap<String, String>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

impl Browser {
    fn csrf(&self) -> String {
        self.cookies.get("sl_csrf").cloned().unwrap_or_default()
    }

    async fn send(&mut self, router: &Router, mut req: Request<Body>) -> Answer {
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        let res = router.clone().oneshot(req).await.unwrap();
        for c in res.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A GET, following redirects as a browser does.
    async fn get(&mut self, router: &Router, uri: &str) -> Answer {
        self.get_with(router, uri, |uri| {
            Request::get(uri).body(Body::empty()).unwrap()
        })
        .await
    }

    /// A GET built by `make` for each address, following redirects as a browser does.
    async fn get_with(
        &mut self,
        router: &Router,
        uri: &str,
        make: impl Fn(&str) -> Request<Body>,
    ) -> Answer {
        let mut uri = uri.to_owned();
        for _ in 0..5 {
            let res = self.send(router, make(&uri)).await;
            if !res.status.is_redirection() || res.status == StatusCode::NOT_MODIFIED {
                return res;
            }
            uri = res.header("location").to_owned();
        }
        panic!("too many redirects from {uri}");
    }

    async fn post_form(&mut self, router: &Router, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            router,
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn settle() {
    // Uses are settled by a spawned task once a body ends.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

// ----- opening and gates -------------------------------------------------------------------

#[tokio::test]
async fn open_shows_items_with_cookies_and_security_headers() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("?p=reports\">reports/</a>"),
        "{}",
        page.text()
    );
    let cookies: Vec<&str> = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(cookies.iter().any(|c| c.starts_with("sl_s_")));
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert!(
        page.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self';")
    );
    assert!(
        !page
            .header("content-security-policy")
            .contains("unsafe-eval")
    );
    assert_eq!(page.header("x-frame-options"), "DENY");

    // Folder browsing with breadcrumbs, and JSON on request.
    let sub = b
        .send(
            &w.router,
            Request::get(format!("/s/{}?p=reports", share.key))
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(sub.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&sub.body).unwrap();
    assert_eq!(json["entries"][0]["name"], "a.txt");
}

#[tokio::test]
async fn password_gate_with_csrf() {
    let w = world().await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let mut b = Browser::default();
    let url = format!("/s/{}", share.key);
    let gate = b.get(&w.router, &url).await;
    assert_eq!(gate.status, StatusCode::UNAUTHORIZED);
    assert!(gate.text().contains("name=\"password\""));
    assert!(!gate.text().contains("a.txt"));

    let no_csrf = b
        .post_form(
            &w.router,
            &format!("{url}/password"),
            &[("password", "correct horse 1")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    let csrf = b.csrf();
    let wrong = b
        .post_form(
            &w.router,
            &format!("{url}/password"),
            &[("csrf", &csrf), ("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("Wrong password"));

    let right = b
        .post_form(
            &w.router,
            &format!("{url}/password"),
            &[("csrf", &csrf), ("password", "correct horse 1")],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    let inside = b.get(&w.router, &url).await;
    assert_eq!(inside.status, StatusCode::OK);
    assert!(inside.text().contains("reports"));
}

#[tokio::test]
async fn autofill_code_in_the_link_skips_the_prompt() {
    let w = world().await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true;
            s.password_autofill = true;
        })
        .await;
    let mut b = Browser::default();
    let page = b
        .get(
            &w.router,
            &format!("/s/{}?code=correct%20horse%201", share.key),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("reports"), "{}", page.text());
}

#[tokio::test]
async fn verified_email_gate_with_one_time_code() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.access = AccessControl::VerifiedEmails(vec![
                EmailPattern::parse("*@client.example").unwrap(),
            ]);
        })
        .await;
    let mut b = Browser::default();
    let url = format!("/s/{}", share.key);
    let gate = b.get(&w.router, &url).await;
    assert_eq!(gate.status, StatusCode::UNAUTHORIZED);
    assert!(gate.text().contains("name=\"email\""));
    let csrf = b.csrf();
    let refused = b
        .post_form(
            &w.router,
            &format!("{url}/email"),
            &[("csrf", &csrf), ("email", "eve@evil.example")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let sent = b
        .post_form(
            &w.router,
            &format!("{url}/email"),
            &[("csrf", &csrf), ("email", "bo@client.example")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    assert!(sent.text().contains("A code was sent"));
    let code = w
        .mailer
        .sent()
        .into_iter()
        .find_map(|(m, _)| match m.message {
            MailMessage::OneTimeCode { code, .. } => Some(code.0),
            _ => None,
        })
        .unwrap();
    let ok = b
        .post_form(
            &w.router,
            &format!("{url}/code"),
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get(&w.router, &url).await.status, StatusCode::OK);
}

#[tokio::test]
async fn registration_then_clickwrap() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.registration = Some(RegistrationForm::Default);
            s.clickwrap = Some(Clickwrap {
                title: "NDA".into(),
                terms: "Keep it <secret>.".into(),
            });
        })
        .await;
    let mut b = Browser::default();
    let url = format!("/s/{}", share.key);
    let form = b.get(&w.router, &url).await;
    assert!(
        form.text().contains("name=\"field:Email\""),
        "{}",
        form.text()
    );
    let csrf = b.csrf();
    let bad = b
        .post_form(
            &w.router,
            &format!("{url}/register"),
            &[
                ("csrf", &csrf),
                ("field:Name", "Bo"),
                ("field:Email", "not-an-email"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = b
        .post_form(
            &w.router,
            &format!("{url}/register"),
            &[
                ("csrf", &csrf),
                ("field:Name", "Bo"),
                ("field:Email", "bo@client.example"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let terms = b.get(&w.router, &url).await;
    assert!(terms.text().contains("Keep it &lt;secret&gt;."));
    let accepted = b
        .post_form(&w.router, &format!("{url}/terms"), &[("csrf", &csrf)])
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert!(b.get(&w.router, &url).await.text().contains("reports"));
}

#[tokio::test]
async fn emailed_only_link_binds_to_the_first_browser() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| s.access = AccessControl::EmailedOnly)
        .await;
    let sent = api(
        &w,
        Method::POST,
        &format!("/api/shares/{}/email", share.id.0),
        Some("ana"),
        Some(serde_json::json!({
            "recipients": [{"email": "bo@client.example"}, {"email": "not an email"}],
            "message": "Here you go",
        })),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    let outcomes: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(outcomes["outcomes"][0]["ok"], false);
    assert_eq!(outcomes["outcomes"][1]["ok"], true);
    let code = w.app.recipients(&user("ana"), share.id).await.unwrap()[0]
        .link_code
        .clone();
    // The link exactly as mailed (its path; the router is mounted at the root here).
    let bo = Email::parse("bo@client.example").unwrap();
    let mailed = match &w.mailer.sent_to(&bo)[0].0.message {
        MailMessage::Invitation { link, .. } => link.0.clone(),
        other => panic!("{other:?}"),
    };
    let mailed = mailed.strip_prefix("https://x.test").unwrap().to_owned();
    assert_eq!(mailed, format!("/s/{}?r={code}", share.key));

    let mut stranger = Browser::default();
    let refused = stranger.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("invitation email"));

    // A mail scanner fetching the link as mailed takes nothing.
    let mut scanner = Browser::default();
    let scanned = scanner
        .get(&w.router, &format!("/s/{}?r={code}", share.key))
        .await;
    assert!(
        scanned.text().contains("Press the button"),
        "{}",
        scanned.text()
    );
    assert!(!scanner.cookies.keys().any(|k| k.starts_with("sl_s_")));
    // The recipient opens the link as mailed and presses the page's own button (its
    // form, with the hidden fields it carries): the invitation is theirs.
    let mut first = Browser::default();
    let page = first.get(&w.router, &mailed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let (action, fields) = page_form(&page.text());
    assert!(
        fields.iter().any(|(k, v)| k == "r" && v == &code),
        "{fields:?}"
    );
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = first.post_form(&w.router, &action, &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(page.text().contains("reports"), "{}", page.text());
    // Coming back by the same link, the recipient's browser is inside.
    let again = first
        .get(&w.router, &format!("/s/{}?r={code}", share.key))
        .await;
    assert!(again.text().contains("reports"), "{}", again.text());
    // Another browser gets the button; pressing it tells the person the invitation is
    // taken (and mails the recipient a fresh link).
    let mut second = Browser::default();
    let other = second
        .get(&w.router, &format!("/s/{}?r={code}", share.key))
        .await;
    assert!(
        other.text().contains("Press the button"),
        "{}",
        other.text()
    );
    let csrf = second.csrf();
    let other = second
        .post_form(
            &w.router,
            &format!("/s/{}/open", share.key),
            &[("csrf", &csrf), ("r", &code)],
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.text().contains("Invitation already used"));
}

#[tokio::test]
async fn ip_allow_list_uses_the_forwarded_address_of_a_trusted_proxy() {
    let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let w = world_with(HttpConfig {
        trusted_proxies: vec![proxy],
        secure_cookies: false,
        ..HttpConfig::default()
    })
    .await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.ip_allow = IpAllowList::parse(["10.0.0.0/8"]).unwrap();
        })
        .await;
    let request = |forwarded: &'static str, peer: &'static str| {
        move |uri: &str| {
            let mut req = Request::get(uri)
                .header("x-forwarded-for", forwarded)
                .body(Body::empty())
                .unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                    peer.parse().unwrap(),
                    4000,
                )));
            req
        }
    };
    let page = format!("/s/{}", share.key);
    // A fresh browser for each: core checks the address a session was opened from.
    let mut b = Browser::default();
    let inside = b
        .get_with(
            &w.router,
            &page,
            request("203.0.113.9, 10.1.2.3", "127.0.0.1"),
        )
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text());
    let mut b = Browser::default();
    let outside = b
        .get_with(&w.router, &page, request("203.0.113.9", "127.0.0.1"))
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    // An untrusted peer cannot claim an address.
    let mut b = Browser::default();
    let spoofed = b
        .get_with(&w.router, &page, request("10.1.2.3", "198.51.100.7"))
        .await;
    assert_eq!(spoofed.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn json_clients_use_the_same_routes() {
    let w = world().await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let mut b = Browser::default();
    let json = |req: axum::http::request::Builder| req.header(header::ACCEPT, "application/json");
    let gate = b
        .send(
            &w.router,
            json(Request::get(format!("/s/{}", share.key)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(gate.status, StatusCode::UNAUTHORIZED);
    let g: serde_json::Value = serde_json::from_slice(&gate.body).unwrap();
    assert_eq!(g["error"], "password_required");
    let csrf = g["csrf"].as_str().unwrap().to_owned();
    let inside = b
        .send(
            &w.router,
            json(Request::post(format!("/s/{}/password", share.key)))
                .header("x-csrf-token", &csrf)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("password=correct%20horse%201"))
                .unwrap(),
        )
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text());
    let v: serde_json::Value = serde_json::from_slice(&inside.body).unwrap();
    assert_eq!(v["entries"][0]["name"], "reports");
    // A change without the token is refused, in JSON.
    let forged = b
        .send(
            &w.router,
            json(Request::post(format!("/s/{}/mkdir", share.key)))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("parent=reports&name=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let f: serde_json::Value = serde_json::from_slice(&forged.body).unwrap();
    assert_eq!(f["error"], "csrf");
}

#[tokio::test]
async fn json_clients_pass_the_confirmation_step() {
    let w = world().await;
    // Every operation counts: listing the share needs a confirmation.
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 5,
                unit: UseUnit::Operation,
            })
        })
        .await;
    let mut b = Browser::default();
    let json = |req: axum::http::request::Builder| req.header(header::ACCEPT, "application/json");
    let ask = b
        .send(
            &w.router,
            json(Request::get(format!("/s/{}", share.key)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ask.status, StatusCode::CONFLICT, "{}", ask.text());
    let a: serde_json::Value = serde_json::from_slice(&ask.body).unwrap();
    assert_eq!(a["error"], "confirmation_required");
    // The answer carries what a confirmation needs, as every gate answer does.
    let csrf = a["csrf"].as_str().expect("a CSRF token").to_owned();
    assert!(!csrf.is_empty());
    assert!(ask.headers.get(header::SET_COOKIE).is_some());
    let inside = b
        .send(
            &w.router,
            json(Request::post(format!("/s/{}/open", share.key)))
                .header("x-csrf-token", &csrf)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text());
    let v: serde_json::Value = serde_json::from_slice(&inside.body).unwrap();
    assert_eq!(v["entries"][0]["name"], "reports");
    assert_eq!(
        w.uses(&share).await,
        1,
        "the confirmed listing spent one use"
    );
}

#[tokio::test]
async fn downloads_of_a_counted_visit_ask_nothing() {
    let w = world().await;
    let share = w
        .share(&["docs/plan.pdf"], |s| {
            s.use_limit = Some(UseLimit {
                max: 2,
                unit: UseUnit::Visit,
            })
        })
        .await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = b.csrf();
    let opened = b
        .post_form(
            &w.router,
            &format!("/s/{}/open", share.key),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text());
    assert_eq!(w.uses(&share).await, 1);
    // Each download link is a plain GET: the visit is counted already, so no button.
    for _ in 0..3 {
        let d = b
            .get(&w.router, &format!("/s/{}/dl/plan.pdf", share.key))
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text());
        assert_eq!(&d.body[..], b"plan");
    }
    assert_eq!(w.uses(&share).await, 1);
}

#[tokio::test]
async fn cookies_are_secure_when_configured_and_bodies_are_limited() {
    let w = world_with(HttpConfig {
        max_form_bytes: 1024,
        ..HttpConfig::default()
    })
    .await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    for c in page.headers.get_all(header::SET_COOKIE) {
        assert!(c.to_str().unwrap().contains("; Secure"), "{c:?}");
    }
    let csrf = b.csrf();
    let huge = "x".repeat(4096);
    let res = b
        .post_form(
            &w.router,
            &format!("/s/{}/password", share.key),
            &[("csrf", &csrf), ("password", &huge)],
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn denials_are_logged_with_address_and_user_agent() {
    let w = world().await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let mut b = Browser::default();
    let with_peer = |req: axum::http::request::Builder| {
        let mut req = req
            .header(header::USER_AGENT, "curious-agent/1.0")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        req.extensions_mut()
            .unwrap()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [192, 0, 2, 44],
                5000,
            ))));
        req
    };
    b.send(
        &w.router,
        with_peer(Request::get(format!("/s/{}", share.key)))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let csrf = b.csrf();
    let wrong = b
        .send(
            &w.router,
            with_peer(Request::post(format!("/s/{}/password", share.key)))
                .body(Body::from(format!("csrf={csrf}&password=guess")))
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let log = api(
        &w,
        Method::GET,
        &format!("/api/shares/{}/log?kind=gate_failed", share.id.0),
        Some("ana"),
        None,
    )
    .await;
    let l: serde_json::Value = serde_json::from_slice(&log.body).unwrap();
    let event = &l["events"][0];
    assert_eq!(event["ip"], "192.0.2.44", "{l}");
    assert_eq!(event["user_agent"], "curious-agent/1.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_blocking_runner_runs_jobs_off_the_async_threads() {
    use sharelink_core::ports::{BlockingRunner, run_blocking};
    let runner = sharelink_http::TokioBlockingRunner;
    let here = std::thread::current().id();
    let there = run_blocking(&runner as &dyn BlockingRunner, || {
        std::thread::current().id()
    })
    .await
    .unwrap();
    assert_ne!(here, there);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_blocking_runner_leaves_a_core_to_the_runtime() {
    use sharelink_core::ports::{BlockingRunner, run_blocking};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let jobs = (0..12).map(|_| {
        let (running, most) = (running.clone(), most.clone());
        async move {
            run_blocking(
                &sharelink_http::TokioBlockingRunner as &dyn BlockingRunner,
                move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                },
            )
            .await
            .unwrap();
        }
    });
    futures::future::join_all(jobs).await;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = cores.saturating_sub(1).max(1);
    let seen = most.load(Ordering::SeqCst);
    assert!((1..=cap).contains(&seen), "{seen} jobs at once, cap {cap}");
}

// ----- downloads -------------------------------------------------------------------------------

#[tokio::test]
async fn download_with_range_etag_and_head() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 5,
                unit: UseUnit::Download,
            })
        })
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let url = format!("/s/{}/dl/reports/a.txt", share.key);

    let head = b
        .send(&w.router, Request::head(&url).body(Body::empty()).unwrap())
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("content-length"), "5");
    assert_eq!(head.header("accept-ranges"), "bytes");
    assert!(head.body.is_empty());
    settle().await;
    assert_eq!(w.uses(&share).await, 0, "HEAD never counts");

    // A counted download needs confirmation: a POST.
    let csrf = b.csrf();
    let full = b.post_form(&w.router, &url, &[("csrf", &csrf)]).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(&full.body[..], b"alpha");
    assert!(
        full.header("content-disposition")
            .starts_with("attachment; filename=\"a.txt\"")
    );
    let tag = full.header("etag").to_owned();
    assert!(tag.starts_with('"'));
    settle().await;
    assert_eq!(w.uses(&share).await, 1);

    let range = b
        .send(
            &w.router,
            Request::post(&url)
                .header(header::RANGE, "bytes=1-3")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(range.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&range.body[..], b"lph");
    assert_eq!(range.header("content-range"), "bytes 1-3/5");
    assert_eq!(range.header("content-length"), "3");
    settle().await;
    // A range of the version this session already spent a use on resumes that download.
    assert_eq!(w.uses(&share).await, 1, "a resume spends nothing");
    // Another browser's ranged download is a download of its own: one use for all of
    // its ranges.
    let mut b2 = Browser::default();
    b2.get(&w.router, &format!("/s/{}", share.key)).await;
    let csrf2 = b2.csrf();
    for spec in ["bytes=1-3", "bytes=0-0,3-"] {
        let part = b2
            .send(
                &w.router,
                Request::post(&url)
                    .header(header::RANGE, spec)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!("csrf={csrf2}")))
                    .unwrap(),
            )
            .await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    }
    settle().await;
    assert_eq!(w.uses(&share).await, 2, "a ranged download counts once");

    let suffix = b
        .send(
            &w.router,
            Request::post(&url)
                .header(header::RANGE, "bytes=-2")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(&suffix.body[..], b"ha");

    let multi = b
        .send(
            &w.router,
            Request::post(&url)
                .header(header::RANGE, "bytes=0-0,3-")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(multi.status, StatusCode::PARTIAL_CONTENT);
    let ct = multi.header("content-type").to_owned();
    let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap();
    let text = multi.text();
    assert_eq!(multi.header("content-length"), text.len().to_string());
    assert!(
        text.contains("Content-Range: bytes 0-0/5\r\n\r\na\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Content-Range: bytes 3-4/5\r\n\r\nha\r\n"),
        "{text}"
    );
    assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    settle().await;
    assert_eq!(
        w.uses(&share).await,
        2,
        "the ranges of one download count once"
    );

    let unsatisfiable = b
        .send(
            &w.router,
            Request::head(&url)
                .header(header::RANGE, "bytes=9-")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(unsatisfiable.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(unsatisfiable.header("content-range"), "bytes */5");

    let cached = b
        .send(
            &w.router,
            Request::get(&url)
                .header(header::IF_NONE_MATCH, &tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
}

#[tokio::test]
async fn one_time_link_asks_to_confirm_and_then_refuses_a_second_use() {
    let w = world().await;
    let share = w
        .share(&["docs/plan.pdf"], |s| {
            s.use_limit = Some(UseLimit::ONE_TIME)
        })
        .await;
    let mut b = Browser::default();
    // A scanner fetching the link and the download link spends nothing.
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::OK);
    let url = format!("/s/{}/dl/plan.pdf", share.key);
    let confirm = b.get(&w.router, &url).await;
    assert_eq!(confirm.status, StatusCode::CONFLICT);
    assert!(confirm.text().contains("method=\"post\""));
    settle().await;
    assert_eq!(w.uses(&share).await, 0);

    let csrf = b.csrf();
    let got = b.post_form(&w.router, &url, &[("csrf", &csrf)]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(&got.body[..], b"plan");
    settle().await;
    assert_eq!(w.uses(&share).await, 1);

    let mut other = Browser::default();
    let again = other.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text().contains("Use limit reached"));
}

#[tokio::test]
async fn a_cookieless_fetch_spends_no_operation_use() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 3,
                unit: UseUnit::Operation,
            })
        })
        .await;
    let mut scanner = Browser::default();
    let page = scanner.get(&w.router, &format!("/s/{}", share.key)).await;
    assert!(page.text().contains(">Open</button>"), "{}", page.text());
    let head = scanner
        .send(
            &w.router,
            Request::head(format!("/s/{}", share.key))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(head.status.is_success());
    assert_eq!(w.uses(&share).await, 0);
    let csrf = scanner.csrf();
    let opened = scanner
        .post_form(
            &w.router,
            &format!("/s/{}/open", share.key),
            &[("csrf", &csrf)],
        )
        .await;
    assert!(opened.text().contains("?p=reports"), "{}", opened.text());
    assert_eq!(w.uses(&share).await, 1);
}

#[tokio::test]
async fn a_download_dropped_early_is_refunded() {
    let w = world().await;
    let share = w
        .share(&["docs/plan.pdf"], |s| {
            s.use_limit = Some(UseLimit::ONE_TIME)
        })
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let res = w
        .router
        .clone()
        .oneshot(
            Request::post(format!("/s/{}/dl/plan.pdf", share.key))
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={}", b.csrf())))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(w.uses(&share).await, 1, "reserved while sending");
    drop(res); // the client went away before the body was read
    settle().await;
    assert_eq!(w.uses(&share).await, 0, "refunded");
}

#[tokio::test]
async fn revoked_key_answers_exactly_like_an_unknown_key() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let revoke = w
        .router
        .clone()
        .oneshot(
            Request::delete(format!("/api/shares/{}", share.id.0))
                .header("x-user", "ana")
                .header("x-sharelink-request", "1")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    let mut b = Browser::default();
    b.cookies.insert("sl_b".into(), "browser0123456789".into());
    b.cookies
        .insert("sl_csrf".into(), "csrf0123456789abcdef".into());
    let revoked = b.get(&w.router, &format!("/s/{}", share.key)).await;
    let unknown = b.get(&w.router, "/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z").await;
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    assert_eq!(revoked.status, unknown.status);
    assert_eq!(revoked.headers, unknown.headers);
    assert_eq!(revoked.body, unknown.body);
    // And without any cookie too.
    let mut fresh1 = Browser::default();
    let mut fresh2 = Browser::default();
    let a = fresh1.get(&w.router, &format!("/s/{}", share.key)).await;
    let z = fresh2.get(&w.router, "/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z").await;
    assert_eq!((a.status, a.headers, a.body), (z.status, z.headers, z.body));
}

#[tokio::test]
async fn html_has_no_preview_and_downloads_only_in_a_sandbox() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let res = b
        .get(
            &w.router,
            &format!("/s/{}/preview/reports/page.html", share.key),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("No preview"), "{}", res.text());
    let csrf = b.csrf();
    let res = b
        .post_form(
            &w.router,
            &format!("/s/{}/dl/reports/page.html", share.key),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-disposition").starts_with("attachment"));
    assert!(res.header("content-security-policy").starts_with("sandbox"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
    assert_eq!(res.header("content-type"), "application/octet-stream");

    let text = b
        .get(
            &w.router,
            &format!("/s/{}/preview/reports/a.txt", share.key),
        )
        .await;
    assert!(text.header("content-disposition").starts_with("inline"));
    assert!(text.header("content-type").starts_with("text/plain"));
}

#[tokio::test]
async fn hostile_names_and_descriptions_are_escaped() {
    let w = world().await;
    put(
        &w.files,
        "docs/reports/<img src=x onerror=alert(1)>.txt",
        b"x",
    )
    .await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.name = "<b>Name</b>".into();
            s.description = Some("<script>alert('d')</script>".into());
        })
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let page = b
        .get(&w.router, &format!("/s/{}?p=reports", share.key))
        .await;
    let text = page.text();
    assert!(!text.contains("<script>alert"), "{text}");
    assert!(!text.contains("<img src=x"), "{text}");
    assert!(!text.contains("<b>Name"), "{text}");
    assert!(text.contains("&lt;script&gt;alert(&#39;d&#39;)&lt;/script&gt;"));
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;.txt"));
}

#[tokio::test]
async fn widget_frames_only_what_an_anonymous_visitor_may_see() {
    let w = world().await;
    let open = w
        .share(&["docs/reports"], |s| s.name = "Open <share>".into())
        .await;
    let gated = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true;
            s.name = "Secret name".into();
        })
        .await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}/embed", open.key)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Open &lt;share&gt;"));
    assert!(page.text().contains("reports/"));
    assert!(
        page.header("content-security-policy")
            .contains("frame-ancestors *")
    );
    assert!(page.headers.get("x-frame-options").is_none());
    assert!(page.headers.get(header::SET_COOKIE).is_none());
    let hidden = b.get(&w.router, &format!("/s/{}/embed", gated.key)).await;
    assert!(!hidden.text().contains("Secret name"));
    assert!(!hidden.text().contains("reports"));
    let js = b.get(&w.router, "/widget.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.text().contains("data-sharelink"));
}

// ----- ZIP, upload, changes ------------------------------------------------------------------

#[tokio::test]
async fn download_all_streams_a_zip() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let csrf = b.csrf();
    let zip = b
        .post_form(
            &w.router,
            &format!("/s/{}/zip", share.key),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.header("content-type"), "application/zip");
    assert_eq!(&zip.body[..4], b"PK\x03\x04");
    assert_eq!(
        &zip.body[zip.body.len() - 22..zip.body.len() - 18],
        b"PK\x05\x06"
    );
    let text = String::from_utf8_lossy(&zip.body);
    assert!(text.contains("reports/a.txt"));
    assert!(text.contains("alpha"));

    // A selection: only the ticked file.
    let page = b
        .get(&w.router, &format!("/s/{}?p=reports", share.key))
        .await;
    assert!(page.text().contains("form=\"zip-selected\""));
    let selected = b
        .post_form(
            &w.router,
            &format!("/s/{}/zip", share.key),
            &[("csrf", &csrf), ("p", "reports/a.txt")],
        )
        .await;
    let text = String::from_utf8_lossy(&selected.body);
    assert!(text.contains("a.txt"));
    assert!(!text.contains("page.html"));
}

fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, data) in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => out.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[tokio::test]
async fn upload_streams_into_the_drop_box_and_needs_csrf() {
    let w = world().await;
    let share = w
        .share(&["docs/drop"], |s| s.allowed = AllowedActions::Upload)
        .await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert!(
        page.text().contains("multipart/form-data"),
        "{}",
        page.text()
    );
    let csrf = b.csrf();
    let url = format!("/s/{}/upload", share.key);
    let forged = multipart(
        "XyZ",
        &[("folder", None, b"drop"), ("file", Some("x.txt"), b"evil")],
    );
    let refused = b
        .send(
            &w.router,
            Request::post(&url)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .body(Body::from(forged))
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let body = multipart(
        "XyZ",
        &[
            ("csrf", None, csrf.as_bytes()),
            ("folder", None, b"drop"),
            ("file", Some("report.txt"), b"hello upload"),
        ],
    );
    let ok = b
        .send(
            &w.router,
            Request::post(&url)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let entry = w.files.stat(&path("docs/drop/report.txt")).await.unwrap();
    assert_eq!(entry.size, 12);
    assert!(w.files.stat(&path("docs/drop/x.txt")).await.is_err());
}

#[tokio::test]
async fn an_upload_over_the_body_limit_leaves_nothing() {
    let w = world_with(HttpConfig {
        max_upload_bytes: 64 * 1024,
        secure_cookies: false,
        ..HttpConfig::default()
    })
    .await;
    let share = w
        .share(&["docs/drop"], |s| s.allowed = AllowedActions::Upload)
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let csrf = b.csrf();
    let big = vec![b'x'; 200 * 1024];
    let body = multipart(
        "XyZ",
        &[
            ("csrf", None, csrf.as_bytes()),
            ("folder", None, b"drop"),
            ("file", Some("big.bin"), &big),
        ],
    );
    let res = b
        .send(
            &w.router,
            Request::post(format!("/s/{}/upload", share.key))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text());
    assert!(w.files.stat(&path("docs/drop/big.bin")).await.is_err());
    // Announced up front: refused before reading.
    let announced = b
        .send(
            &w.router,
            Request::post(format!("/s/{}/upload", share.key))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header(header::CONTENT_LENGTH, "999999999")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(announced.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn organization_shares_need_a_signed_in_user() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.access = AccessControl::Organization
        })
        .await;
    let mut anonymous = Browser::default();
    let page = anonymous.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text().contains("sign in"), "{}", page.text());
    let mut member = Browser::default();
    let inside = member
        .get_with(&w.router, &format!("/s/{}", share.key), |uri| {
            Request::get(uri)
                .header("x-user", "ana")
                .body(Body::empty())
                .unwrap()
        })
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text());
}

#[tokio::test]
async fn full_level_creates_renames_and_deletes() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| s.allowed = AllowedActions::Full)
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let csrf = b.csrf();
    let base = format!("/s/{}", share.key);
    let made = b
        .post_form(
            &w.router,
            &format!("{base}/mkdir"),
            &[("csrf", &csrf), ("parent", "reports"), ("name", "new")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    assert!(w.files.stat(&path("docs/reports/new")).await.is_ok());
    let renamed = b
        .post_form(
            &w.router,
            &format!("{base}/rename"),
            &[
                ("csrf", &csrf),
                ("path", "reports/a.txt"),
                ("name", "b.txt"),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert!(w.files.stat(&path("docs/reports/b.txt")).await.is_ok());
    let deleted = b
        .post_form(
            &w.router,
            &format!("{base}/delete"),
            &[("csrf", &csrf), ("path", "reports/b.txt")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(w.files.stat(&path("docs/reports/b.txt")).await.is_err());
}

// ----- management ---------------------------------------------------------------------------

async fn api(
    w: &World,
    method: Method,
    uri: &str,
    user: Option<&str>,
    body: Option<serde_json::Value>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(u) = user {
        req = req.header("x-user", u);
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        // What a script sends instead of a body, which a cross-site form cannot.
        None => req
            .header("x-sharelink-request", "1")
            .body(Body::empty())
            .unwrap(),
    };
    Browser::default().send(&w.router, req).await
}

#[tokio::test]
async fn management_create_list_revoke() {
    let w = world().await;
    let anon = api(&w, Method::GET, "/api/shares", None, None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_slice(&anon.body).unwrap();
    assert_eq!(body["error"], "unauthenticated");

    let created = api(
        &w,
        Method::POST,
        "/api/shares",
        Some("ana"),
        Some(serde_json::json!({
            "name": "Q3",
            "items": [{"path": "docs/reports"}],
            "settings": {"password": true, "description": "for you"},
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let c: serde_json::Value = serde_json::from_slice(&created.body).unwrap();
    assert!(c["link"].as_str().unwrap().starts_with("https://x.test/s/"));
    assert!(
        c["generated_password"]
            .as_str()
            .is_some_and(|p| p.len() >= 8)
    );
    assert!(c.get("password_hash").is_none());
    assert_eq!(c["effective"]["description"], "for you");
    let id = c["id"].as_i64().unwrap();

    let list = api(&w, Method::GET, "/api/shares?limit=10", Some("ana"), None).await;
    let l: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(l["shares"].as_array().unwrap().len(), 1);

    let got = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    let stats = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}/statistics"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(stats.status, StatusCode::OK);

    let svg = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}/qr.svg"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    assert!(svg.text().contains("<svg"));
    let png = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}/qr.png"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(&png.body[..4], b"\x89PNG");
    let strangers = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}/qr.svg"),
        None,
        None,
    )
    .await;
    assert_eq!(strangers.status, StatusCode::UNAUTHORIZED);

    let revoked = api(
        &w,
        Method::DELETE,
        &format!("/api/shares/{id}"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let gone = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openapi_document_describes_the_management_api() {
    let w = world().await;
    let doc = api(&w, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let d: serde_json::Value = serde_json::from_slice(&doc.body).unwrap();
    assert!(d["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/shares",
        "/api/shares/{id}",
        "/api/shares/{id}/email",
        "/api/shares/{id}/log",
        "/api/shares/{id}/qr.svg",
        "/api/templates",
    ] {
        assert!(d["paths"].get(p).is_some(), "{p} missing");
    }
    assert!(d["paths"]["/api/shares"]["post"]["requestBody"].is_object());
    assert!(d["components"]["schemas"].get("Share").is_some());
}

// ----- over a real socket -----------------------------------------------------------------------

#[tokio::test]
async fn real_socket_open_and_download() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let app = Router::new().nest("/share", w.router.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pairs = |res: &reqwest::Response| -> Vec<String> {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect()
    };
    // A first fetch stores nothing: it gives the browser our cookie and sends it round.
    let first = client
        .get(format!("http://{addr}/share/s/{}", share.key))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/share/s/{}?go=1", share.key)));
    let mut cookies = pairs(&first);
    assert!(!cookies.iter().any(|c| c.starts_with("sl_s_")));
    let page = client
        .get(format!("http://{addr}{location}"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    cookies.extend(pairs(&page));
    let session_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sl_s_"))
        .unwrap();
    assert!(session_cookie.contains(&format!("Path=/share/s/{}", share.key)));
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("/share/s/{}/dl/reports", share.key)) || html.contains("reports")
    );
    let file = client
        .get(format!(
            "http://{addr}/share/s/{}/dl/reports/a.txt",
            share.key
        ))
        .header("cookie", cookies.join("; "))
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 206);
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"al");
    server.abort();
}

/// Serves `router` under `/share` on a loopback socket with `TCP_NODELAY`.
async fn serve(router: Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::serve::ListenerExt;
    let app = Router::new().nest("/share", router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (addr, server)
}

/// The first form of a page that posts: its action and its fields with their values (as
/// a browser would send them when its button is pressed).
fn page_form(html: &str) -> (String, Vec<(String, String)>) {
    let page = scraper::Html::parse_document(html);
    let form = scraper::Selector::parse("form[method=post]").unwrap();
    let input = scraper::Selector::parse("input[name]").unwrap();
    let form = page
        .select(&form)
        .next()
        .unwrap_or_else(|| panic!("no form: {html}"));
    let action = form.value().attr("action").unwrap_or_default().to_owned();
    let fields = form
        .select(&input)
        .map(|i| {
            let v = i.value();
            (
                v.attr("name").unwrap_or_default().to_owned(),
                v.attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (action, fields)
}

/// The cookies a real-socket test client keeps, as a browser keeps them.
#[derive(Debug, Default, Clone)]
struct Jar(HashMap<String, String>);

impl Jar {
    /// The `Cookie` header to send.
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies an answer sets.
    fn keep(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.0.insert(k.to_owned(), v.to_owned());
            }
        }
    }
}

impl std::ops::Deref for Jar {
    type Target = HashMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A reqwest client with a minimal cookie jar.
struct Remote {
    client: reqwest::Client,
    base: String,
    cookies: Jar,
}

impl Remote {
    fn new(addr: std::net::SocketAddr) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{addr}/share"),
            cookies: Jar::default(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> (u16, String) {
        let res = req
            .header("cookie", self.cookies.header())
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        self.cookies.keep(&res);
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Opens a share as a JSON client does: a GET, and when it is asked to open a session
    /// (no use at stake), a POST to `/open` and the GET again.
    async fn open(&mut self, key: &str, query: &str) -> (u16, String) {
        let page = format!("{}/s/{key}{query}", self.base);
        let (status, body) = self.send(self.client.get(&page)).await;
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if status != 409 || answer.get("gate").is_some() {
            return (status, body);
        }
        let (opened, body) = self.form(&format!("/s/{key}/open"), &[]).await;
        if opened != 200 {
            return (opened, body);
        }
        self.send(self.client.get(&page)).await
    }

    async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = self.cookies.get("sl_csrf").cloned().unwrap_or_default();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = all
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }
}

#[tokio::test]
async fn real_socket_every_level_allows_exactly_its_actions() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    for level in AllowedActions::ALL {
        let share = w.share(&["docs/reports"], |s| s.allowed = level).await;
        let mut r = Remote::new(addr);
        let key = share.key.to_string();
        let (status, body) = r.open(&key, "?p=reports").await;
        assert_eq!(status, 200, "{level:?}: {body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let lists = !page["entries"].is_null();
        let (dl, _) = r.form(&format!("/s/{key}/dl/reports/a.txt"), &[]).await;
        let (preview, _) = r
            .send(
                r.client
                    .get(format!("{}/s/{key}/preview/reports/a.txt", r.base)),
            )
            .await;
        let csrf = r.cookies.get("sl_csrf").cloned().unwrap();
        let upload_body = multipart(
            "B0und",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("folder", None, b"reports"),
                ("file", Some("up.txt"), b"uploaded"),
            ],
        );
        let (upload, _) = r
            .send(
                r.client
                    .post(format!("{}/s/{key}/upload", r.base))
                    .header("content-type", "multipart/form-data; boundary=B0und")
                    .body(upload_body),
            )
            .await;
        let (mkdir, _) = r
            .form(
                &format!("/s/{key}/mkdir"),
                &[("parent", "reports"), ("name", "made")],
            )
            .await;
        let (delete, _) = r
            .form(&format!("/s/{key}/delete"), &[("path", "reports/made")])
            .await;
        let got = (
            lists,
            dl == 200,
            preview == 200,
            upload == 200,
            mkdir == 200,
            delete == 200,
        );
        let expected = match level {
            AllowedActions::PreviewOnly => (true, false, true, false, false, false),
            AllowedActions::Download => (true, true, true, false, false, false),
            AllowedActions::Upload => (false, false, false, true, false, false),
            AllowedActions::UploadDownload => (true, true, true, true, true, false),
            AllowedActions::Full => (true, true, true, true, true, true),
        };
        assert_eq!(
            got, expected,
            "{level:?}: dl {dl} preview {preview} upload {upload} mkdir {mkdir} delete {delete}"
        );
        // Clean up what this level could change, for the next one.
        let _ = w.files.delete(&path("docs/reports/made")).await;
        let _ = w.files.delete(&path("docs/reports/up.txt")).await;
    }
    server.abort();
}

#[tokio::test]
async fn real_socket_password_and_clickwrap_gates() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true;
            s.clickwrap = Some(Clickwrap {
                title: "Terms".into(),
                terms: "Be nice.".into(),
            });
        })
        .await;
    let key = share.key.to_string();
    let mut r = Remote::new(addr);
    let (status, body) = r.send(r.client.get(format!("{}/s/{key}", r.base))).await;
    assert_eq!(status, 401);
    assert!(body.contains("password_required"));
    let (status, _) = r
        .form(&format!("/s/{key}/password"), &[("password", "wrong")])
        .await;
    assert_eq!(status, 401);
    let (status, body) = r
        .form(
            &format!("/s/{key}/password"),
            &[("password", "correct horse 1")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("clickwrap_required"), "{body}");
    let (status, body) = r.form(&format!("/s/{key}/terms"), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"entries\""));
    server.abort();
}

#[tokio::test]
async fn management_update_expire_reactivate_templates_and_paging() {
    let w = world().await;
    let mut ids = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let c = api(
            &w,
            Method::POST,
            "/api/shares",
            Some("ana"),
            Some(serde_json::json!({"name": name, "items": [{"path": "docs/reports"}]})),
        )
        .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.text());
        let v: serde_json::Value = serde_json::from_slice(&c.body).unwrap();
        // No expiry asked: the site default applies, and the adjustment says so.
        assert_eq!(v["adjustments"][0]["kind"], "expiry_defaulted", "{v}");
        assert!(v["requested"]["schedule"]["expires_at"].is_null());
        assert!(!v["effective"]["schedule"]["expires_at"].is_null());
        ids.push(v["id"].as_i64().unwrap());
    }
    // Keyset paging.
    let first = api(&w, Method::GET, "/api/shares?limit=2", Some("ana"), None).await;
    let f: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(f["shares"].as_array().unwrap().len(), 2);
    let cursor = f["next_cursor"].as_str().unwrap();
    let second = api(
        &w,
        Method::GET,
        &format!("/api/shares?limit=2&cursor={cursor}"),
        Some("ana"),
        None,
    )
    .await;
    let s: serde_json::Value = serde_json::from_slice(&second.body).unwrap();
    assert_eq!(s["shares"].as_array().unwrap().len(), 1);
    let named = api(&w, Method::GET, "/api/shares?name=bet", Some("ana"), None).await;
    let n: serde_json::Value = serde_json::from_slice(&named.body).unwrap();
    assert_eq!(n["shares"][0]["effective"]["name"], "beta");

    // Update: only the named fields change; a password can be generated.
    let id = ids[0];
    let updated = api(
        &w,
        Method::PATCH,
        &format!("/api/shares/{id}"),
        Some("ana"),
        Some(serde_json::json!({
            "settings": {"description": "new text", "password": true},
            "password": "generate",
        })),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    let u: serde_json::Value = serde_json::from_slice(&updated.body).unwrap();
    assert_eq!(u["effective"]["description"], "new text");
    assert_eq!(u["effective"]["name"], "alpha");
    assert_eq!(u["password_protected"], true);
    assert!(u["generated_password"].is_string());

    let expired = api(
        &w,
        Method::POST,
        &format!("/api/shares/{id}/expire"),
        Some("ana"),
        None,
    )
    .await;
    let e: serde_json::Value = serde_json::from_slice(&expired.body).unwrap();
    assert_eq!(e["state"], "expired");
    let back = api(
        &w,
        Method::POST,
        &format!("/api/shares/{id}/reactivate"),
        Some("ana"),
        Some(serde_json::json!({"expires_at": "2026-12-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
    let b: serde_json::Value = serde_json::from_slice(&back.body).unwrap();
    assert_eq!(b["state"], "active");

    // Someone else's share is not found.
    let other = api(
        &w,
        Method::GET,
        &format!("/api/shares/{id}"),
        Some("bob"),
        None,
    )
    .await;
    assert_ne!(other.status, StatusCode::OK);

    let saved = api(
        &w,
        Method::POST,
        "/api/templates",
        Some("ana"),
        Some(serde_json::json!({
            "name": "NDA",
            "body": {"kind": "clickwrap", "clickwrap": {"title": "NDA", "terms": "Keep it secret."}},
        })),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    let list = api(&w, Method::GET, "/api/templates", Some("ana"), None).await;
    let l: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(l["templates"][0]["name"], "NDA");

    let all = api(
        &w,
        Method::POST,
        "/api/shares/revoke-all",
        Some("ana"),
        None,
    )
    .await;
    let a: serde_json::Value = serde_json::from_slice(&all.body).unwrap();
    assert_eq!(a["revoked"], 3);
}

#[tokio::test]
async fn password_guessing_is_limited_per_client() {
    let w = world().await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let from = |ip: [u8; 4]| {
        move |req: axum::http::request::Builder| {
            let mut req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            req.extensions_mut()
                .unwrap()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    ip, 5000,
                ))));
            req
        }
    };
    let attacker = from([198, 51, 100, 1]);
    let mut b = Browser::default();
    b.send(
        &w.router,
        attacker(Request::get(format!("/s/{}", share.key)))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let csrf = b.csrf();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let res = b
            .send(
                &w.router,
                attacker(Request::post(format!("/s/{}/password", share.key)))
                    .body(Body::from(format!("csrf={csrf}&password=guess")))
                    .unwrap(),
            )
            .await;
        statuses.push(res.status);
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    // Another client (another address) still gets its own tries.
    let colleague = from([198, 51, 100, 2]);
    let mut c = Browser::default();
    c.send(
        &w.router,
        colleague(Request::get(format!("/s/{}", share.key)))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let csrf = c.csrf();
    let ok = c
        .send(
            &w.router,
            colleague(Request::post(format!("/s/{}/password", share.key)))
                .body(Body::from(format!(
                    "csrf={csrf}&password=correct%20horse%201"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn folder_uploads_keep_their_folders_where_folders_may_be_made() {
    let w = world().await;
    for (level, item, expect) in [
        (
            AllowedActions::Full,
            "docs/reports",
            "docs/reports/album/2024/photo.txt",
        ),
        (AllowedActions::Upload, "docs/drop", "docs/drop/photo.txt"),
    ] {
        let share = w.share(&[item], |s| s.allowed = level).await;
        let top = item.rsplit('/').next().unwrap();
        let mut b = Browser::default();
        b.get(&w.router, &format!("/s/{}", share.key)).await;
        let csrf = b.csrf();
        let body = multipart(
            "XyZ",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("folder", None, top.as_bytes()),
                ("file", Some("album/2024/photo.txt"), b"pixels"),
                ("file", Some("C:\\Users\\bo\\note.txt"), b"note"),
            ],
        );
        let res = b
            .send(
                &w.router,
                Request::post(format!("/s/{}/upload", share.key))
                    .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                    .header(header::ACCEPT, "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{level:?}: {}", res.text());
        assert!(w.files.stat(&path(expect)).await.is_ok(), "{level:?}");
        assert!(
            w.files
                .stat(&path(&format!("{item}/note.txt")))
                .await
                .is_ok()
        );
    }
}

#[tokio::test]
async fn watermarked_previews_are_drawn_on_images_and_refused_for_other_files() {
    let w = world().await;
    let picture = image::RgbaImage::from_pixel(320, 240, image::Rgba([10, 20, 30, 255]));
    let mut png = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    put(&w.files, "docs/pics/photo.png", &png).await;
    put(&w.files, "docs/pics/notes.txt", b"secret notes").await;
    let share = w
        .share(&["docs/pics"], |s| {
            s.allowed = AllowedActions::PreviewOnly;
            s.watermark = Some(Watermark {
                text: "seen by {ip}".into(),
            });
        })
        .await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    let url = format!("/s/{}/preview/pics/photo.png", share.key);
    let res = b.get(&w.router, &url).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header("content-type"), "image/png");
    assert_ne!(res.body.as_ref(), png.as_slice());
    let marked = image::load_from_memory(&res.body).unwrap().into_rgba8();
    assert_eq!(marked.dimensions(), (320, 240));
    let changed = marked.pixels().filter(|p| p.0 != [10, 20, 30, 255]).count();
    assert!(changed > 1000, "only {changed} pixels carry the mark");

    // A range request gets the marked picture too, never a slice of the original.
    let ranged = b
        .send(
            &w.router,
            Request::get(&url)
                .header(header::RANGE, "bytes=0-99")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ranged.status, StatusCode::OK);
    assert_eq!(ranged.header("content-type"), "image/png");
    assert!(image::load_from_memory(&ranged.body).is_ok());

    // Nothing can be drawn on a text file, so it has no preview at all.
    let text = b
        .get(
            &w.router,
            &format!("/s/{}/preview/pics/notes.txt", share.key),
        )
        .await;
    assert_eq!(text.status, StatusCode::NOT_FOUND);
    assert!(!text.text().contains("secret notes"));

    // Without a watermark the original bytes are previewed as they are.
    let plain = w.share(&["docs/pics"], |_| {}).await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", plain.key)).await;
    let res = b
        .get(
            &w.router,
            &format!("/s/{}/preview/pics/photo.png", plain.key),
        )
        .await;
    assert_eq!(res.body.as_ref(), png.as_slice());
}

#[tokio::test]
async fn real_socket_one_time_download_spends_its_use_once() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 1,
                unit: UseUnit::Download,
            });
        })
        .await;
    let (addr, server) = serve(w.router.clone()).await;
    let mut r = Remote::new(addr);
    let (status, _) = r.open(&share.key.to_string(), "").await;
    assert_eq!(status, 200);
    // The whole file over a real connection: the server stops reading the body at its
    // Content-Length, and the use must count all the same.
    let (status, body) = r
        .form(&format!("/s/{}/dl/reports/a.txt", share.key), &[])
        .await;
    assert_eq!((status, body.as_str()), (200, "alpha"));
    let mut uses = 0;
    for _ in 0..50 {
        uses = w.uses(&share).await;
        if uses == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(uses, 1, "the completed download was not counted");
    let (status, _) = r
        .form(&format!("/s/{}/dl/reports/a.txt", share.key), &[])
        .await;
    assert_eq!(status, 410, "a one-time link served twice");
    server.abort();
}

#[tokio::test]
async fn bots_spend_nothing_bind_nothing_and_store_no_session() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 1,
                unit: UseUnit::Visit,
            })
        })
        .await;
    let link = format!("/s/{}", share.key);
    // A HEAD, as a link checker sends it.
    let head = Browser::default()
        .send(&w.router, Request::head(&link).body(Body::empty()).unwrap())
        .await;
    assert!(
        head.status.is_success() || head.status.is_redirection(),
        "{}",
        head.status
    );
    // A scanner's GET.
    let mut scanner = Browser::default();
    let first = scanner.get(&w.router, &link).await;
    assert!(
        first.text().contains("Press the button"),
        "{}",
        first.text()
    );
    // Opening would spend the visit: the answer is the button, straight away, and no
    // session.
    let bare = Browser::default()
        .send(&w.router, Request::get(&link).body(Body::empty()).unwrap())
        .await;
    assert!(bare.text().contains("Press the button"), "{}", bare.text());
    assert!(
        !bare
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("sl_s_"))
    );
    assert_eq!(w.uses(&share).await, 0, "no visit spent");
    let stats = w.app.statistics(&user("ana"), share.id).await.unwrap();
    assert_eq!((stats.visits, stats.unique_visitors), (0, 0));
    // The person's browser: one round trip with our cookie, a button (the visit counts),
    // and the share opens.
    let mut person = Browser::default();
    let page = person.get(&w.router, &link).await;
    assert!(page.text().contains("Press the button"), "{}", page.text());
    let csrf = person.csrf();
    let inside = person
        .post_form(&w.router, &format!("{link}/open"), &[("csrf", &csrf)])
        .await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text());
    assert!(inside.text().contains("a.txt") || inside.text().contains("reports"));
    assert_eq!(w.uses(&share).await, 1);
    let stats = w.app.statistics(&user("ana"), share.id).await.unwrap();
    assert_eq!((stats.visits, stats.unique_visitors), (1, 1));
}

#[tokio::test]
async fn a_plain_link_opens_for_a_person_in_one_round_trip() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut person = Browser::default();
    let page = person.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("reports/"), "{}", page.text());
    assert!(person.cookies.keys().any(|k| k.starts_with("sl_s_")));
    // A client that keeps no cookies sees the listing, and nothing is stored for it.
    let bare = Browser::default()
        .send(
            &w.router,
            Request::get(format!("/s/{}?go=1", share.key))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(bare.status, StatusCode::OK);
    assert!(bare.text().contains("reports/"), "{}", bare.text());
    let stats = w.app.statistics(&user("ana"), share.id).await.unwrap();
    assert_eq!(stats.visits, 1);
}

#[tokio::test]
async fn wiring_mistakes_are_reported_once() {
    use sharelink_http::WiringProblem;
    let base = fixtures::World::new();
    let app = Sharelink::new(
        base.mem.ports(),
        Config::new("https://files.example.test/s/"),
    )
    .unwrap();
    let state = SharelinkState::new(app, Arc::new(HeaderAuth), HttpConfig::default());
    let nested = Router::new().nest("/share", sharelink_http::router(state.clone()));
    assert!(state.wiring_problems().is_empty());
    for _ in 0..3 {
        let res = nested
            .clone()
            .oneshot(
                Request::get("/share/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // Served without connect info, under /share while links say /s/: each said once.
    assert_eq!(
        state.wiring_problems(),
        vec![
            WiringProblem::NoClientAddress,
            WiringProblem::LinksElsewhere {
                link_base: "https://files.example.test/s/".into(),
                served_at: "/share/s/".into(),
            },
        ]
    );
    assert_eq!(
        sharelink_http::link_base("https://files.example.test", "/share"),
        "https://files.example.test/share/s/"
    );
}

#[tokio::test]
async fn the_page_shows_dates_in_the_share_time_zone() {
    let w = world().await;
    let expires = fixtures::T0 + time::Duration::days(3);
    let share = w
        .share(&["docs/reports"], |s| {
            s.schedule.time_zone = Some("Europe/Paris".into());
            s.schedule.expires_at = Some(expires);
        })
        .await;
    let mut b = Browser::default();
    let page = b.get(&w.router, &format!("/s/{}", share.key)).await;
    let text = page.text();
    let shown = sharelink_core::text::local_date(expires, Some("Europe/Paris"));
    assert!(text.contains(&format!("Available until {shown}")), "{text}");
    assert!(shown.ends_with("(Europe/Paris)"));
}

#[tokio::test]
async fn the_api_tells_nothing_of_folders_one_may_not_share() {
    let w = world().await;
    put(&w.files, "secret/payroll.xlsx", b"salaries").await;
    let mut answers = Vec::new();
    for name in ["payroll.xlsx", "missing.xlsx"] {
        let res = api(
            &w,
            Method::POST,
            "/api/shares",
            Some("ana"),
            Some(serde_json::json!({
                "name": "x",
                "items": [{"path": format!("secret/{name}"), "alias": "doc.xlsx"}],
            })),
        )
        .await;
        answers.push((res.status, res.text()));
    }
    assert_eq!(
        answers[0], answers[1],
        "an existing and a missing file answer alike"
    );
    assert_eq!(
        answers[0].0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answers[0].1
    );
    assert!(answers[0].1.contains("you may not share"));
}

#[tokio::test]
async fn the_owner_finds_a_share_by_its_key() {
    let w = world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let key = share.key.to_string();
    let found = api(
        &w,
        Method::GET,
        &format!("/api/shares/by-key/{key}"),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    let body: serde_json::Value = serde_json::from_slice(&found.body).unwrap();
    assert_eq!(body["id"], share.id.0);
    let other = api(
        &w,
        Method::GET,
        &format!("/api/shares/by-key/{key}"),
        Some("bob"),
        None,
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let none = api(
        &w,
        Method::GET,
        "/api/shares/by-key/NoSuchKey2026x",
        Some("ana"),
        None,
    )
    .await;
    assert_eq!((none.status, none.text()), (other.status, other.text()));
}

//! The demo server over a real socket: sign-in, the file listing, shares created through
//! the management API the page uses, and anonymous visitors downloading.

use serde_json::{Value, json};
use sharelink_examples::demo::{self, DemoConfig};
use std::collections::HashMap;
use std::net::SocketAddr;

/// A running demo on a random loopback port, over a temporary data folder.
struct Running {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    data: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start() -> Running {
    let data = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = demo::build(&DemoConfig::new(data.path(), format!("http://{addr}")))
        .await
        .unwrap();
    let server = tokio::spawn(sharelink_http::serve(
        listener,
        app.router,
        sharelink_http::ServeLimits::default(),
        std::future::pending(),
    ));
    Running { addr, server, data }
}

/// A browser: a reqwest client that keeps cookies and does not follow redirects.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

/// A response, read.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Where a redirect points.
    location: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    fn new(running: &Running) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{}", running.addr),
            cookies: HashMap::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header("cookie", cookie).send().await.unwrap();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        for c in res.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        Answer {
            status: res.status().as_u16(),
            location,
            body: res.text().await.unwrap(),
        }
    }

    /// A GET, following redirects with the cookies as a browser does.
    async fn get(&mut self, path: &str) -> Answer {
        let mut url = self.url(path);
        for _ in 0..5 {
            let req = self.client.get(&url);
            let answer = self.send(req).await;
            match &answer.location {
                Some(next) if (300..400).contains(&answer.status) => url = self.url(next),
                _ => return answer,
            }
        }
        panic!("too many redirects from {path}");
    }

    async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        self.send(req).await
    }

    /// A management call as the page's script makes it (JSON in, JSON out, and the
    /// `X-Sharelink-Request` header).
    async fn api(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("accept", "application/json")
            .header("x-sharelink-request", "1");
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.send(req).await
    }

    /// The token of the demo's sign-in and sign-out forms, read from the page as a
    /// browser would.
    async fn form_token(&mut self) -> String {
        let page = self.get("/").await;
        let (_, rest) = page
            .body
            .split_once("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no form token: {}", page.body));
        rest.split('"').next().unwrap().to_owned()
    }

    async fn sign_in(running: &Running, user: &str) -> Self {
        let mut b = Self::new(running);
        let csrf = b.form_token().await;
        let res = b
            .form(
                "/login",
                &[("user", user), ("password", user), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert!(b.cookies.contains_key("demo_session"));
        b
    }
}

/// The body the page's script sends for a new share of `paths` (see `app.js`): name,
/// items and only the settings that differ from the defaults.
fn new_share(name: &str, paths: &[&str], settings: Value) -> Value {
    json!({
        "name": name,
        "items": paths.iter().map(|p| json!({"path": p, "alias": null})).collect::<Vec<_>>(),
        "settings": settings,
        "password": null,
        "custom_key": null,
    })
}

#[tokio::test]
async fn sign_in_page_and_wrong_password() {
    let demo = start().await;
    let mut b = Browser::new(&demo);
    let page = b.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("action=\"/login\"") && page.body.contains("Demo only"));
    let csrf = b.form_token().await;
    let wrong = b
        .form(
            "/login",
            &[("user", "alice"), ("password", "nope"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(!b.cookies.contains_key("demo_session"));
    let api = b.api(reqwest::Method::GET, "/share/api/shares", None).await;
    assert_eq!(api.status, 401);
    assert_eq!(b.get("/demo/files").await.status, 401);
}

#[tokio::test]
async fn alice_browses_only_what_she_may_see() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let page = alice.get("/").await;
    assert!(page.body.contains("<script src=\"/app.js\">") && page.body.contains("alice"));
    let js = alice.get("/app.js").await;
    assert_eq!(js.status, 200);
    assert!(js.body.contains("/share/api"));
    let root = alice.get("/demo/files?path=").await.json();
    let names: Vec<(&str, bool)> = root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["can_share"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("projects", true), ("reports", false)]);
    let reports = alice.get("/demo/files?path=reports").await.json();
    assert_eq!(reports["entries"].as_array().unwrap().len(), 2);
    assert_eq!(alice.get("/demo/files?path=hr").await.status, 404);
    assert_eq!(alice.get("/demo/files?path=../x").await.status, 400);
}

/// `(name, kind, can_share)` of a listing's entries.
fn tree_entries(listing: &Value) -> Vec<(String, String, bool)> {
    listing["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {listing}"))
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
                e["can_share"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The page's file tree opens one folder at a time: `/demo/files?path=` lists that
/// folder's children with what alice may do there; a path that would leave her files is
/// refused with the reason, and what she may not see (or no folder at all) is not found.
#[tokio::test]
async fn the_file_tree_lists_a_folders_children_and_stays_in_the_users_files() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let projects = alice.get("/demo/files?path=projects").await.json();
    assert_eq!(projects["path"], "projects");
    let folder = |n: &str, share| (n.to_owned(), "folder".to_owned(), share);
    let file = |n: &str, share| (n.to_owned(), "file".to_owned(), share);
    assert_eq!(
        tree_entries(&projects),
        [folder("apollo", true), folder("zephyr", true)]
    );
    let apollo = alice.get("/demo/files?path=projects%2Fapollo").await.json();
    assert_eq!(
        tree_entries(&apollo),
        [file("budget.csv", true), file("plan.txt", true)]
    );
    assert_eq!(apollo["entries"][1]["path"], "projects/apollo/plan.txt");
    assert!(apollo["entries"][1]["size"].as_u64().unwrap() > 0);
    // Read-only: listed, not shareable.
    let reports = alice.get("/demo/files?path=reports").await.json();
    assert!(tree_entries(&reports).iter().all(|(_, _, share)| !share));

    // A path that leaves her files is refused with the reason; what she may not see, or
    // what is no folder, is not found.
    let refused = [
        "..",
        "../hr",
        "projects/../hr",
        "projects/..",
        "/etc",
        "projects//apollo",
    ];
    let missing = [
        "hr",
        "hr/salaries.csv",
        "nothing",
        "projects/apollo/plan.txt",
        ".sharelink",
    ];
    let cases = refused.iter().map(|p| (p, 400, "bad_path"));
    for (path, status, code) in cases.chain(missing.iter().map(|p| (p, 404, "not_found"))) {
        let answer = alice
            .get(&format!("/demo/files?path={}", path.replace('/', "%2F")))
            .await;
        assert_eq!(answer.status, status, "{path}: {answer:?}");
        let body = answer.json();
        assert_eq!(body["error"], code, "{path}: {body}");
        let message = body["message"].as_str().unwrap();
        if status == 400 {
            assert!(
                message.contains("not a folder inside your files"),
                "{path}: {message}"
            );
        }
        if path.contains("..") {
            assert!(
                message.contains("may not contain `..`"),
                "{path}: {message}"
            );
        }
    }
    // The administrator sees every folder.
    let mut admin = Browser::sign_in(&demo, "admin").await;
    let hr = admin.get("/demo/files?path=hr").await.json();
    assert_eq!(tree_entries(&hr), [file("salaries.csv", true)]);
}

/// The pages share one stylesheet and one navigation: the site settings are one click
/// away for administrators, and not offered to others.
#[tokio::test]
async fn the_pages_share_a_stylesheet_and_a_navigation() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let css = alice.get("/demo.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains(".tree"));
    let page = alice.get("/").await;
    assert!(page.body.contains("<nav aria-label=\"Main\">"));
    assert!(page.body.contains("href=\"/demo.css\""));
    assert!(!page.body.contains("href=\"/admin\""));
    let mut admin = Browser::sign_in(&demo, "admin").await;
    let page = admin.get("/").await;
    assert!(page.body.contains("<a href=\"/admin\">Site settings</a>"));
    let settings = admin.get("/admin").await;
    assert!(settings.body.contains("<a href=\"/\">Shares</a>"));
    assert!(
        settings
            .body
            .contains("aria-current=\"page\">Site settings")
    );
}

#[tokio::test]
async fn alice_shares_a_project_and_an_anonymous_visitor_downloads_it() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let created = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Apollo",
                &["projects/apollo"],
                json!({"description": "The plan", "allowed": "download"}),
            )),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let share = created.json();
    let link = share["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("http://{}/share/s/", demo.addr)));

    let mut visitor = Browser::new(&demo);
    let page = visitor.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("The plan"));
    let file = visitor.get(&format!("{link}/dl/apollo/plan.txt")).await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(file.body, "Apollo plan\n1. Design\n2. Build\n3. Launch\n");

    // The owner sees the visit in the log and the statistics.
    let id = share["id"].as_i64().unwrap();
    let stats = alice
        .api(
            reqwest::Method::GET,
            &format!("/share/api/shares/{id}/statistics"),
            None,
        )
        .await
        .json();
    assert_eq!(stats["visits"], 1, "{stats}");
    let log = alice
        .api(
            reqwest::Method::GET,
            &format!("/share/api/shares/{id}/log"),
            None,
        )
        .await
        .json();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"visit"), "{kinds:?}");

    // Expired: the visitor is refused.
    let expired = alice
        .api(
            reqwest::Method::POST,
            &format!("/share/api/shares/{id}/expire"),
            Some(json!({})),
        )
        .await;
    assert_eq!(expired.status, 200, "{}", expired.body);
    assert_eq!(expired.json()["state"], "expired");
    let refused = visitor.get(&format!("{link}/dl/apollo/plan.txt")).await;
    assert_ne!(refused.status, 200);
}

#[tokio::test]
async fn a_generated_password_is_returned_once_and_opens_the_share() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let created = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Zephyr notes",
                &["projects/zephyr/notes.md"],
                json!({"password": true}),
            )),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let share = created.json();
    let password = share["generated_password"].as_str().unwrap().to_owned();
    let key = share["key"].as_str().unwrap().to_owned();

    let mut visitor = Browser::new(&demo);
    let gate = visitor.get(&format!("/share/s/{key}")).await;
    assert_eq!(gate.status, 401);
    assert!(gate.body.contains("name=\"password\""), "{}", gate.body);
    let denied = visitor.get(&format!("/share/s/{key}/dl/notes.md")).await;
    assert_ne!(denied.status, 200);
    let csrf = visitor.cookies.get("sl_csrf").cloned().unwrap();
    let passed = visitor
        .form(
            &format!("/share/s/{key}/password"),
            &[("csrf", &csrf), ("password", &password)],
        )
        .await;
    assert!(passed.status < 400, "{}: {}", passed.status, passed.body);
    let file = visitor.get(&format!("/share/s/{key}/dl/notes.md")).await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(file.body.starts_with("# Zephyr"));

    // Listing never shows the password again.
    let list = alice
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await;
    assert!(!list.body.contains(&password));
}

#[tokio::test]
async fn alice_cannot_share_reports() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    for path in ["reports", "reports/2026-q3.txt", "hr"] {
        let refused = alice
            .api(
                reqwest::Method::POST,
                "/share/api/shares",
                Some(new_share("Nope", &[path], json!({}))),
            )
            .await;
        assert_eq!(refused.status, 422, "{path}: {}", refused.body);
        assert!(refused.body.contains("may not share"), "{}", refused.body);
    }
    let list = alice
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await
        .json();
    assert_eq!(list["shares"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn admin_sees_alices_share_and_alice_sees_only_hers() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let mut admin = Browser::sign_in(&demo, "admin").await;
    let mine = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Budget",
                &["projects/apollo/budget.csv"],
                json!({"use_limit": {"max": 2, "unit": "download"}}),
            )),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let theirs = admin
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share("Salaries", &["hr/salaries.csv"], json!({}))),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.body);

    let all = admin
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await
        .json();
    let owners: Vec<(&str, &str)> = all["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["owner"].as_str().unwrap(),
                s["effective"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(owners.contains(&("alice", "Budget")), "{owners:?}");
    assert!(owners.contains(&("admin", "Salaries")), "{owners:?}");
    let searched = admin
        .api(
            reqwest::Method::GET,
            "/share/api/shares?owner=alice&name=Bud",
            None,
        )
        .await
        .json();
    assert_eq!(searched["shares"].as_array().unwrap().len(), 1);

    let hers = alice
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await
        .json();
    let names: Vec<&str> = hers["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["effective"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Budget"]);

    // Admin edits alice's share as the page does (settings laid over the requested ones),
    // then revokes it.
    let id = mine.json()["id"].as_i64().unwrap();
    let edited = admin
        .api(
            reqwest::Method::PATCH,
            &format!("/share/api/shares/{id}"),
            Some(json!({"settings": {"description": "Checked"}, "password": "keep"})),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.json()["effective"]["description"], "Checked");
    let revoked = admin
        .api(
            reqwest::Method::DELETE,
            &format!("/share/api/shares/{id}"),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let hers = alice
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await
        .json();
    assert_eq!(hers["shares"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn emailing_a_link_writes_to_the_outbox() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let created = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Plan",
                &["projects/apollo/plan.txt"],
                json!({"access": {"kind": "emailed_only"}}),
            )),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    let sent = alice
        .api(
            reqwest::Method::POST,
            &format!("/share/api/shares/{id}/email"),
            Some(json!({"recipients": [{"email": "bob@example.com"}], "message": null})),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.json()["outcomes"][0]["ok"], true, "{}", sent.body);
    // The mail worker delivers the queue every second.
    let outbox = demo.data.path().join("outbox");
    let count = || std::fs::read_dir(&outbox).map_or(0, |d| d.count());
    for _ in 0..100 {
        if count() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count(), 1);
}

#[tokio::test]
async fn sign_in_and_sign_out_refuse_forms_of_other_sites() {
    let demo = start().await;
    // No token (a form on another page cannot read it): refused, nobody signed in.
    let mut b = Browser::new(&demo);
    let csrf = b.form_token().await;
    let forged = b
        .form("/login", &[("user", "alice"), ("password", "alice")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(!b.cookies.contains_key("demo_session"));
    let wrong = b
        .form(
            "/login",
            &[
                ("user", "alice"),
                ("password", "alice"),
                ("csrf", "0".repeat(32).as_str()),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // The right token, but the browser says the form is on another site.
    let req = b
        .client
        .post(b.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .body(form_body(&[
            ("user", "alice"),
            ("password", "alice"),
            ("csrf", &csrf),
        ]));
    assert_eq!(b.send(req).await.status, 403);
    assert!(!b.cookies.contains_key("demo_session"));

    // Signed in, a forged sign-out changes nothing; the page's own one works.
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let forged = alice.form("/logout", &[]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(alice.get("/demo/me").await.status, 200);
    let csrf = alice.form_token().await;
    let out = alice.form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(alice.get("/demo/me").await.status, 401);
}

#[tokio::test]
async fn a_form_on_another_site_cannot_revoke_the_admins_shares() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let created = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share("Apollo", &["projects/apollo"], json!({}))),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    let mut admin = Browser::sign_in(&demo, "admin").await;
    // What a browser sends for `<form method=post action=…>` on another site, with the
    // admin's cookies.
    for path in [
        "/share/api/shares/revoke-all".to_owned(),
        format!("/share/api/shares/{id}/expire"),
    ] {
        for headers in [
            vec![
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            vec![("sec-fetch-site", "same-site")],
            vec![],
        ] {
            let mut req = admin
                .client
                .post(admin.url(&path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("x=1");
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            let a = admin.send(req).await;
            assert!(
                a.status == 403 || a.status == 415,
                "{path} {headers:?}: {a:?}"
            );
            assert!(a.json()["error"].is_string(), "{a:?}");
        }
    }
    let list = admin
        .api(reqwest::Method::GET, "/share/api/shares", None)
        .await
        .json();
    let shares = list["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0]["state"], "active");
}

#[tokio::test]
async fn the_pages_date_inputs_set_an_expiry_in_the_browsers_zone() {
    let demo = start().await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let me = alice.get("/demo/me").await.json();
    // What app.js sends: the defaults with the schedule from the datetime-local inputs,
    // the browser's zone and offset.
    let mut settings = me["defaults"].clone();
    settings["name"] = json!("Dated");
    settings["schedule"]["starts_at"] = json!("2035-01-01T08:00");
    settings["schedule"]["expires_at"] = json!("2035-07-01T18:30");
    settings["schedule"]["time_zone"] = json!("Europe/Paris");
    settings["schedule"]["display_offset"] = json!("+01:00:00");
    let created = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share("Dated", &["projects/apollo"], settings)),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let share = created.json();
    let schedule = &share["effective"]["schedule"];
    assert_eq!(schedule["starts_at"], "2035-01-01T07:00:00Z", "{share}");
    assert_eq!(schedule["expires_at"], "2035-07-01T16:30:00Z", "{share}");
    assert_eq!(share["state"], "not_yet_active");
    // A wrong date names the field and the format.
    let bad = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Bad",
                &["projects/apollo"],
                json!({"schedule": {"expires_at": "01/07/2035"}}),
            )),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let bad = bad.json();
    assert_eq!(bad["field"], "settings.schedule.expires_at");
    assert!(
        bad["message"].as_str().unwrap().contains("RFC 3339"),
        "{bad}"
    );
}

/// The site-settings page as an admin gets it, and the save its script makes: the form
/// and `admin.js` are served (to admins only), the script's `PATCH /share/api/site` with
/// the version it read changes what alice's next share gets, and a second save from the
/// same stale version is refused.
#[tokio::test]
async fn admin_changes_site_settings_on_the_admin_page() {
    let demo = start().await;
    let mut admin = Browser::sign_in(&demo, "admin").await;
    let mut alice = Browser::sign_in(&demo, "alice").await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for field in [
        "name=\"require_password\"",
        "name=\"device_binding\"",
        "name=\"one_active\"",
        "name=\"daily_quota\"",
        "name=\"refused_extensions\"",
        "name=\"retention\"",
        "name=\"default_use_max\"",
        "src=\"/admin.js\"",
    ] {
        assert!(page.body.contains(field), "{field} missing from the page");
    }
    let script = admin.get("/admin.js").await;
    assert!(script.body.contains("/share/api/site") && script.body.contains("expected_version"));
    // Every branding field has its input and is sent back by the script: a save from the
    // page never drops one set through the API.
    let every = sharelink_core::Branding {
        accent_color: Some("#123456".into()),
        favicon_url: Some("https://example.com/i.png".into()),
        footer_text: Some("Imprint".into()),
        stylesheet_url: Some("https://example.com/s.css".into()),
        ..sharelink_core::Branding::default()
    };
    let fields = serde_json::to_value(&every).expect("branding as JSON");
    for name in fields.as_object().expect("an object").keys() {
        assert!(
            page.body.contains(&format!("name=\"{name}\"")),
            "branding field {name} has no input on the page"
        );
        assert!(
            script.body.contains(&format!("{name}: f.{name}.value")),
            "admin.js does not send branding field {name}"
        );
    }
    assert_eq!(alice.get("/admin").await.status, 403);
    assert_eq!(
        alice
            .api(reqwest::Method::GET, "/share/api/site", None)
            .await
            .status,
        403
    );

    let read = admin
        .api(reqwest::Method::GET, "/share/api/site", None)
        .await
        .json();
    assert_eq!(read["version"], 0);
    // What `collect()` in admin.js sends: every setting the form shows.
    let mut settings = read["settings"].clone();
    for name in [
        "min_lifetime",
        "max_lifetime",
        "share_defaults",
        "log_privacy",
        "branding",
        "custom_keys",
    ] {
        assert!(settings.get(name).is_some(), "{name}");
    }
    settings["require_password"] = json!(true);
    settings["refused_extensions"] = json!(["csv"]);
    let saved = admin
        .api(
            reqwest::Method::PATCH,
            "/share/api/site",
            Some(json!({"expected_version": 0, "settings": settings})),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.json()["version"], 1);
    let stale = admin
        .api(
            reqwest::Method::PATCH,
            "/share/api/site",
            Some(json!({"expected_version": 0, "settings": {"require_password": false}})),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);

    let share = alice
        .api(
            reqwest::Method::POST,
            "/share/api/shares",
            Some(new_share(
                "Plan",
                &["projects/apollo/budget.csv"],
                json!({}),
            )),
        )
        .await;
    assert_eq!(share.status, 201, "{}", share.body);
    assert!(
        share.json()["generated_password"].is_string(),
        "{}",
        share.body
    );
}

/// The command line's site flags are the settings in effect until an admin saves others.
#[tokio::test]
async fn site_flags_are_the_initial_settings() {
    let data = tempfile::tempdir().unwrap();
    let flags = sharelink_examples::demo::cli::SiteArgs {
        device_binding: true,
        one_active_per_recipient: true,
        daily_quota: Some(3),
        ..Default::default()
    };
    let config = DemoConfig {
        site: flags,
        housekeeping: false,
        ..DemoConfig::new(data.path(), "http://127.0.0.1:1")
    };
    let app = demo::build(&config).await.unwrap().sharelink;
    let site = app.site().await.unwrap();
    assert!(site.device_binding && site.one_active_share_per_recipient_item);
    assert_eq!(site.shares_per_user_per_day, Some(3));
}
/// The `(method, path)` of every management API call the page's script makes, its
/// `${…}` parts written `{}` and its query cut off.
fn page_api_calls() -> Vec<(String, String)> {
    let script = include_str!("../src/demo/app.js");
    let mut calls = Vec::new();
    for part in script.split("call(\"").skip(1) {
        let Some((method, rest)) = part.split_once('"') else {
            continue;
        };
        let Some(rest) = rest.trim_start_matches([',', ' ']).strip_prefix("`${API}") else {
            continue;
        };
        let url = rest.split(['`', '?']).next().unwrap_or_default();
        let mut path = String::new();
        let mut inside = false;
        for c in url.chars() {
            match c {
                '$' => {}
                '{' => {
                    inside = true;
                    path.push_str("{}");
                }
                '}' => inside = false,
                c if !inside => path.push(c),
                _ => {}
            }
        }
        calls.push((method.to_lowercase(), path));
    }
    calls
}

#[tokio::test]
async fn the_page_uses_only_documented_api_calls() {
    let running = start().await;
    let mut browser = Browser::sign_in(&running, "alice").await;
    let doc = browser.get("/share/api/openapi.json").await.json();
    let calls = page_api_calls();
    assert!(calls.len() >= 9, "{calls:?}");
    let documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            // `/api/shares/{id}` → `/shares/{}`: the page's API constant ends in `/api`.
            let mut template = String::new();
            let mut inside = false;
            for c in path.trim_start_matches("/api").chars() {
                match c {
                    '{' => {
                        inside = true;
                        template.push_str("{}");
                    }
                    '}' => inside = false,
                    c if !inside => template.push(c),
                    _ => {}
                }
            }
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), template.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    for call in &calls {
        assert!(
            documented.contains(call),
            "{call:?} is not in the OpenAPI document"
        );
    }
    assert!(
        include_str!("../src/demo/app.js").contains("const API = \"/share/api\";"),
        "the page's calls are read relative to /share/api"
    );
}

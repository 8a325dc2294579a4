//! Auto-fill through the management API over a real socket: the link the API returns
//! carries the access code, reading the share gives it again, and a browser following
//! it goes straight past the password gate.

use super::*;
use serde_json::{Value, json};

/// A browser over a real socket: follows redirects itself, keeps cookies, asks for HTML.
struct WebBrowser {
    client: reqwest::Client,
    cookies: Jar,
}

impl WebBrowser {
    fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Jar::default(),
        }
    }

    /// GETs `url` and follows redirects (at most 5), as a browser does.
    async fn get(&mut self, url: &str) -> (u16, String) {
        let origin = url.split("/share/").next().unwrap().to_owned();
        let mut url = url.to_owned();
        for _ in 0..5 {
            let res = self
                .client
                .get(&url)
                .header("cookie", self.cookies.header())
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            self.cookies.keep(&res);
            if res.status().is_redirection() {
                let to = res.headers()["location"].to_str().unwrap();
                url = if to.starts_with('/') {
                    format!("{origin}{to}")
                } else {
                    to.to_owned()
                };
                continue;
            }
            return (res.status().as_u16(), res.text().await.unwrap());
        }
        panic!("too many redirects from {url}");
    }
}

/// The value of `name` in a link's query, decoded.
fn query_value(link: &str, name: &str) -> Option<String> {
    let query = link.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client
        .request(method, url)
        .header("x-user", "ana")
        .header("x-sharelink-request", "1");
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn api_links_carry_the_code_and_a_browser_goes_straight_in() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let client = reqwest::Client::new();
    let api_base = format!("http://{addr}/share/api/shares");
    let password = "correct horse & co #1";
    let (status, created) = api(
        &client,
        reqwest::Method::POST,
        api_base.clone(),
        Some(json!({
            "name": "Autofilled",
            "items": [{"path": "docs/reports"}],
            "settings": {"password_autofill": true},
            "password": password,
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let link = created["link"].as_str().unwrap().to_owned();
    assert_eq!(
        query_value(&link, "code").as_deref(),
        Some(password),
        "{link}"
    );
    assert!(
        link.contains("code=correct%20horse%20%26%20co%20%231"),
        "{link}"
    );
    assert!(created.get("autofill_code").is_none() && created.get("password_hash").is_none());

    // The owner reads the same link again later.
    let id = created["id"].as_i64().unwrap();
    let (status, read) = api(
        &client,
        reqwest::Method::GET,
        format!("{api_base}/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["link"].as_str(), Some(link.as_str()));

    // The QR code is made from that link: another password draws another code.
    let qr = |client: &reqwest::Client| {
        let url = format!("{api_base}/{id}/qr.svg");
        let req = client.get(url).header("x-user", "ana");
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let first_qr = qr(&client).await;

    // A browser following the link, as the owner sends it, sees the files at once.
    let local = link.replace(fixtures::LINK_BASE, &format!("http://{addr}/share/s/"));
    let (status, page) = WebBrowser::new().get(&local).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("a.txt") || page.contains("reports"), "{page}");
    assert!(!page.contains("name=\"password\""), "{page}");
    // Without the code, the prompt.
    let bare = local.split('?').next().unwrap().to_owned();
    let (status, prompt) = WebBrowser::new().get(&bare).await;
    assert_eq!(status, 401);
    assert!(prompt.contains("name=\"password\""));

    // A new password: the link and the QR code follow it.
    let (status, updated) = api(
        &client,
        reqwest::Method::PATCH,
        format!("{api_base}/{id}"),
        Some(json!({"password": {"set": "second secret"}})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let second = updated["link"].as_str().unwrap();
    assert_eq!(
        query_value(second, "code").as_deref(),
        Some("second secret")
    );
    assert_ne!(qr(&client).await, first_qr);

    // Auto-fill off: the link is bare; turning it on again without the password is a
    // typed refusal.
    let (_, off) = api(
        &client,
        reqwest::Method::PATCH,
        format!("{api_base}/{id}"),
        Some(json!({"settings": {"password_autofill": false}})),
    )
    .await;
    assert!(!off["link"].as_str().unwrap().contains('?'), "{off}");
    let (status, refused) = api(
        &client,
        reqwest::Method::PATCH,
        format!("{api_base}/{id}"),
        Some(json!({"settings": {"password_autofill": true}})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("auto-fill"),
        "{refused}"
    );

    // An unknown time zone is refused with what was wrong.
    let (status, refused) = api(
        &client,
        reqwest::Method::PATCH,
        format!("{api_base}/{id}"),
        Some(json!({"settings": {"schedule": {"time_zone": "Mars/Olympus"}}})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus"),
        "{refused}"
    );
    server.abort();
}

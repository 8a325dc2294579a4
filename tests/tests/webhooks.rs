//! Webhooks lose nothing: a real receiving HTTP server of this test answers 500 to the
//! first attempts, then goes away (its port closed) while more events happen, then comes
//! back on the same port. Every event reaches both endpoints (the admin's site-wide one
//! and the owner's own, configured through the management API), in order per share,
//! repeated only as at-least-once allows (a repeat follows its first arrival directly),
//! and every signature verifies with an HMAC computed here, independently of sharelink.
//! A delivered message replayed through the API arrives again under the same id.
//!
//! Runs on SQLite and, when `SHARELINK_TEST_POSTGRES_URL` is set, on PostgreSQL.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use sharelink_core::memory::{MemoryDirectory, MemoryFileStore, MemoryMailer};
use sharelink_core::service::{Config, MailRetry, Ports, Sharelink};
use sharelink_core::testing::fixtures::{Person, people, put_file, share_request, user};
use sharelink_core::{Email, Rights, ShareId};
use sharelink_http::{HttpConfig, HyperWebhookTransport, SharelinkState};
use sharelink_tests::{Backend, HeaderAuth, TestDatabase, on_every_backend};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_every_backend!(every_event_arrives_in_order_through_failures_and_an_outage);

/// One request the receiver accepted.
#[derive(Debug, Clone)]
struct Arrival {
    endpoint: String,
    message_id: String,
    share: i64,
    kind: String,
}

/// What the receiver saw.
#[derive(Debug, Default)]
struct Seen {
    /// Requests so far (accepted or not).
    requests: AtomicUsize,
    /// Requests answered 500 before the receiver accepts any.
    fail_first: usize,
    /// Secrets by endpoint path, filled once the endpoints exist.
    secrets: Mutex<HashMap<String, String>>,
    accepted: Mutex<Vec<Arrival>>,
    bad_signatures: Mutex<Vec<String>>,
}

/// The Standard Webhooks check, written out here rather than taken from sharelink.
fn verify(secret: &str, headers: &HeaderMap, body: &str) -> Result<String, String> {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(format!("no {n}"))
    };
    let (id, ts, sigs) = (
        h("webhook-id")?,
        h("webhook-timestamp")?,
        h("webhook-signature")?,
    );
    let ts_num: i64 = ts
        .parse()
        .map_err(|_| "timestamp not a number".to_owned())?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - ts_num).abs() > 300 {
        return Err(format!("timestamp {ts_num} is not near {now}"));
    }
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").ok_or("no whsec_ prefix")?)
        .map_err(|e| e.to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    if sigs.split(' ').any(|s| s == expected) {
        Ok(id)
    } else {
        Err(format!("signature {sigs} is not {expected}"))
    }
}

async fn receive(
    State(seen): State<Arc<Seen>>,
    axum::extract::Path(endpoint): axum::extract::Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl axum::response::IntoResponse {
    // No connection outlives an answer, so when the receiver goes away nothing of it stays.
    let close = [(axum::http::header::CONNECTION, "close")];
    (close, answer(&seen, endpoint, &headers, &body))
}

fn answer(seen: &Seen, endpoint: String, headers: &HeaderMap, body: &str) -> StatusCode {
    let n = seen.requests.fetch_add(1, Ordering::SeqCst);
    if n < seen.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let secret = seen.secrets.lock().unwrap().get(&endpoint).cloned();
    let Some(secret) = secret else {
        return StatusCode::NOT_FOUND;
    };
    let message_id = match verify(&secret, headers, body) {
        Ok(id) => id,
        Err(why) => {
            seen.bad_signatures.lock().unwrap().push(why);
            return StatusCode::UNAUTHORIZED;
        }
    };
    let v: Value = serde_json::from_str(body).expect("a JSON body");
    seen.accepted.lock().unwrap().push(Arrival {
        endpoint,
        message_id,
        share: v["data"]["share"].as_i64().expect("a share id"),
        kind: v["type"].as_str().expect("a type").to_owned(),
    });
    StatusCode::NO_CONTENT
}

/// The receiver on `addr` until the handle is aborted (then its port is closed).
async fn start_receiver(addr: SocketAddr, seen: Arc<Seen>) -> tokio::task::JoinHandle<()> {
    let mut tries = 0;
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            // The old socket may linger a moment after the receiver went away.
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the receiver's port {addr} again: {e}"),
        }
    };
    let app = axum::Router::new()
        .route("/hooks/{endpoint}", post(receive))
        .with_state(seen);
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("the receiver runs");
    })
}

/// Calls the management API as `who`; the status and the JSON answer.
async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    who: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}/api{path}"))
        .header("x-sharelink-request", "1")
        .header("x-user", who);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let text = res.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Calls the management API as `who` and expects a success; its JSON answer.
async fn api(
    base: &str,
    method: reqwest::Method,
    path: &str,
    who: &str,
    body: Option<Value>,
) -> Value {
    let (status, answer) = call(base, method, path, who, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
    answer
}

/// Waits until `accepted` holds at least `count` arrivals (at most 60 s).
async fn wait_for(seen: &Seen, count: usize) {
    for _ in 0..600 {
        if seen.accepted.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} of {count} deliveries arrived in 60 s",
        seen.accepted.lock().unwrap().len()
    );
}

async fn every_event_arrives_in_order_through_failures_and_an_outage(backend: Backend) {
    let database = TestDatabase::create(backend)
        .await
        .expect("a fresh database");
    let store = sharelink_store_sql::StoreConfig::new(database.url())
        .connect()
        .await
        .expect("connect");
    let webhooks = store.webhooks();
    let (repo, log) = store.ports();
    let files = Arc::new(MemoryFileStore::new());
    put_file(files.as_ref(), "docs/a.txt", b"alpha").await;
    let directory = Arc::new(MemoryDirectory::new());
    let admin = Person {
        id: "root",
        admin: true,
        rights: &[],
    };
    let ana = Person {
        id: "ana",
        admin: false,
        rights: &[("docs", Rights::ALL)],
    };
    people(&directory, &[admin, ana], |id| {
        Email::parse(&format!("{id}@example.com")).expect("an address")
    });
    let transport = HyperWebhookTransport::new(Duration::from_secs(2)).expect("a transport");
    let ports = Ports::new(repo, log, files, Arc::new(MemoryMailer::new()), directory)
        .with_webhooks(webhooks, Arc::new(transport));
    let retry = MailRetry {
        first_delay: time::Duration::milliseconds(200),
        max_delay: time::Duration::seconds(1),
        max_attempts: 1000,
        lease: time::Duration::seconds(30),
    };
    let config = Config::new("http://127.0.0.1/s/").with_webhook_retry(retry);
    let app = Sharelink::new(ports, config).expect("the application");

    // The management API, served.
    let state = SharelinkState::new(app.clone(), Arc::new(HeaderAuth), HttpConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let router = sharelink_http::router::<()>(state);
    let server = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .await
            .expect("the server runs");
    });

    // The receiver, failing its first three requests.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let seen = Arc::new(Seen {
        fail_first: 3,
        ..Seen::default()
    });
    let mut receiver = start_receiver(addr, seen.clone()).await;

    let site = api(
        &base,
        reqwest::Method::POST,
        "/webhooks",
        "root",
        Some(json!({ "url": format!("http://{addr}/hooks/site"), "site_wide": true })),
    )
    .await;
    let own = api(
        &base,
        reqwest::Method::POST,
        "/webhooks",
        "ana",
        Some(json!({ "url": format!("http://{addr}/hooks/ana") })),
    )
    .await;
    assert_eq!(site["owner"], Value::Null);
    assert_eq!(own["owner"], "ana");
    for (name, created) in [("site", &site), ("ana", &own)] {
        let secret = created["secret"].as_str().expect("a secret").to_owned();
        assert!(secret.starts_with("whsec_"));
        seen.secrets.lock().unwrap().insert(name.to_owned(), secret);
    }
    let listed = api(&base, reqwest::Method::GET, "/webhooks", "ana", None).await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(1));
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "never listed"
    );

    // What the API refuses, each with its code.
    let refusals = [
        (
            "ana",
            json!({ "url": "https://x.example/", "site_wide": true }),
            403,
            "admin_only",
        ),
        (
            "ana",
            json!({ "url": "file:///etc/passwd" }),
            422,
            "bad_webhook_url",
        ),
        (
            "ana",
            json!({ "url": "https://u:p@x.example/" }),
            422,
            "bad_webhook_url",
        ),
    ];
    for (who, body, status, code) in refusals {
        let (got, answer) = call(&base, reqwest::Method::POST, "/webhooks", who, Some(body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
    }
    let site_path = format!("/webhooks/{}", site["id"]);
    let (got, answer) = call(&base, reqwest::Method::DELETE, &site_path, "ana", None).await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (404, Some("webhook_not_found"))
    );
    let bad_state = "/webhooks/deliveries?state=lost";
    let (got, answer) = call(&base, reqwest::Method::GET, bad_state, "ana", None).await;
    assert_eq!((got, answer["error"].as_str()), (400, Some("bad_state")));
    let replay_missing = "/webhooks/deliveries/999999/replay";
    let (got, answer) = call(&base, reqwest::Method::POST, replay_missing, "ana", None).await;
    assert_eq!(
        (got, answer["error"].as_str()),
        (404, Some("delivery_not_found"))
    );

    let worker = sharelink_http::spawn_webhook_worker(app.clone(), Duration::from_millis(50));

    // Phase 1: three shares, each created and expired twice; the first attempts fail.
    let ana = user("ana");
    let mut shares: Vec<ShareId> = Vec::new();
    let mut expected: HashMap<i64, Vec<&str>> = HashMap::new();
    for _ in 0..3 {
        let created = app
            .create_share(&ana, share_request(&["docs/a.txt"], |_| {}))
            .await
            .expect("a share");
        let id = created.share.id;
        shares.push(id);
        for _ in 0..2 {
            app.expire(&ana, id).await.expect("expire");
        }
        expected.insert(
            id.0,
            vec!["share.created", "share.updated", "share.updated"],
        );
    }
    let phase_one = 2 * 3 * 3;
    wait_for(&seen, phase_one).await;
    assert!(
        seen.requests.load(Ordering::SeqCst) >= phase_one + 3,
        "the 500s were retried"
    );

    // Phase 2: the receiver goes away; more events happen; it comes back a while later.
    receiver.abort();
    let _ = (&mut receiver).await;
    for id in &shares {
        app.expire(&ana, *id).await.expect("expire");
        app.revoke(&ana, *id).await.expect("revoke");
        let line = expected.get_mut(&id.0).expect("its line");
        line.extend(["share.updated", "share.revoked"]);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pending = api(
        &base,
        reqwest::Method::GET,
        "/webhooks/deliveries?state=pending",
        "root",
        None,
    )
    .await;
    let pending = pending["deliveries"].as_array().expect("a list").clone();
    assert_eq!(
        pending.len(),
        2 * 3 * 2,
        "all new events wait in the outbox"
    );
    assert!(
        pending.iter().any(|d| d["attempts"].as_u64() > Some(1)),
        "attempts failed while the receiver was away: {pending:?}"
    );
    let _receiver = start_receiver(addr, seen.clone()).await;
    let total = 2 * 3 * 5;
    wait_for(&seen, total).await;

    // Everything arrived, signed, in order per share and endpoint.
    assert!(
        seen.bad_signatures.lock().unwrap().is_empty(),
        "{:?}",
        seen.bad_signatures
    );
    let accepted = seen.accepted.lock().unwrap().clone();
    for endpoint in ["site", "ana"] {
        for (share, kinds) in &expected {
            let mut line: Vec<&Arrival> = accepted
                .iter()
                .filter(|a| a.endpoint == endpoint && a.share == *share)
                .collect();
            // At least once: a repeat may only follow its first arrival directly.
            line.dedup_by(|b, a| a.message_id == b.message_id);
            let got: Vec<&str> = line.iter().map(|a| a.kind.as_str()).collect();
            assert_eq!(&got, kinds, "{endpoint}, share {share}");
            let mut ids: Vec<&str> = line.iter().map(|a| a.message_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids.len(),
                kinds.len(),
                "{endpoint}, share {share}: a message came back later"
            );
        }
    }
    let all = api(
        &base,
        reqwest::Method::GET,
        "/webhooks/deliveries?limit=1000",
        "root",
        None,
    )
    .await;
    let all = all["deliveries"].as_array().expect("a list").clone();
    assert_eq!(all.len(), total);
    assert!(all.iter().all(|d| d["state"] == "delivered"), "{all:?}");
    let mine = api(
        &base,
        reqwest::Method::GET,
        "/webhooks/deliveries?limit=1000",
        "ana",
        None,
    )
    .await;
    assert_eq!(mine["deliveries"].as_array().map(Vec::len), Some(total / 2));

    // Replay one: it arrives again, under the same message id.
    let one = &mine["deliveries"][0];
    let path = format!("/webhooks/deliveries/{}/replay", one["id"]);
    let replayed = api(&base, reqwest::Method::POST, &path, "ana", None).await;
    assert_eq!(replayed["state"], "pending");
    wait_for(&seen, total + 1).await;
    let last = seen
        .accepted
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("an arrival");
    assert_eq!(last.message_id, one["message_id"].as_str().expect("an id"));
    assert_eq!(last.endpoint, "ana");

    // A deleted endpoint takes its deliveries with it.
    let own_path = format!("/webhooks/{}", own["id"]);
    let (got, _) = call(&base, reqwest::Method::DELETE, &own_path, "ana", None).await;
    assert_eq!(got, 204);
    let mine = api(
        &base,
        reqwest::Method::GET,
        "/webhooks/deliveries",
        "ana",
        None,
    )
    .await;
    assert_eq!(mine["deliveries"].as_array().map(Vec::len), Some(0));

    worker.abort();
    server.abort();
}

//! Tracing and metrics: no secret reaches a log line, and the counters move with what
//! visitors do.

use super::*;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use sharelink_core::ports::{ByteRange, ByteStream, Entry, FileRead, FileStoreError, WriteOptions};
use sharelink_core::telemetry;
use std::sync::Mutex;
use tracing_subscriber::fmt::format::FmtSpan;

/// Every line the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A file store whose reads of `broken.bin` fail as a backend would: the one fault that
/// makes the router answer 500.
#[derive(Debug)]
struct BrokenRead(Arc<dyn FileStore>);

#[async_trait::async_trait]
impl FileStore for BrokenRead {
    async fn stat(&self, p: &SharePath) -> Result<Entry, FileStoreError> {
        self.0.stat(p).await
    }
    async fn list(&self, p: &SharePath) -> Result<Vec<Entry>, FileStoreError> {
        self.0.list(p).await
    }
    async fn read(&self, p: &SharePath, r: Option<ByteRange>) -> Result<FileRead, FileStoreError> {
        if p.as_str().ends_with("broken.bin") {
            return Err(FileStoreError::Backend {
                store: "test",
                source: "the disk returned an I/O error".into(),
            });
        }
        self.0.read(p, r).await
    }
    async fn write(
        &self,
        p: &SharePath,
        d: ByteStream,
        o: WriteOptions,
    ) -> Result<Entry, FileStoreError> {
        self.0.write(p, d, o).await
    }
    async fn create_folder(&self, p: &SharePath) -> Result<(), FileStoreError> {
        self.0.create_folder(p).await
    }
    async fn delete(&self, p: &SharePath) -> Result<(), FileStoreError> {
        self.0.delete(p).await
    }
    async fn rename(&self, f: &SharePath, t: &SharePath) -> Result<(), FileStoreError> {
        self.0.rename(f, t).await
    }
    async fn copy(&self, f: &SharePath, t: &SharePath) -> Result<(), FileStoreError> {
        self.0.copy(f, t).await
    }
}

/// A world whose site allows custom keys and whose store fails reads of `broken.bin`.
async fn observed_world() -> World {
    let base = fixtures::World::new();
    let mut ports = base
        .mem
        .ports()
        .with_hasher(Arc::new(Argon2idHasher::new(Argon2Params::TESTING)));
    ports.files = Arc::new(BrokenRead(ports.files));
    let site = SiteSettings {
        custom_keys: CustomKeyRules {
            allowed: true,
            min_len: 8,
        },
        ..SiteSettings::default()
    };
    let app = Sharelink::new(ports, Config::new(fixtures::LINK_BASE).with_site(site)).unwrap();
    let http = HttpConfig {
        secure_cookies: false,
        ..HttpConfig::default()
    };
    let state = SharelinkState::new(app.clone(), Arc::new(HeaderAuth), http);
    World {
        app,
        router: sharelink_http::router(state),
        files: base.mem.files,
        mailer: base.mem.mailer,
    }
}

#[tokio::test]
async fn no_secret_reaches_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // While one subscriber exists, tracing-core asks only the registering thread's own
    // about a new callsite, so callsites first met by other tests' threads would be off
    // for this one; a second, idle subscriber makes every callsite ask each subscriber.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let w = observed_world().await;
    put(&w.files, "docs/reports/a.txt", b"hello").await;
    put(&w.files, "docs/reports/broken.bin", b"unreadable").await;
    let key = "OrchidLanternQuasar2026";
    let password = "Zebra-Lantern-Hunter-77";
    // The owner creates a share with a password and a custom key over the API.
    let created = api(
        &w,
        Method::POST,
        "/api/shares",
        Some("ana"),
        Some(serde_json::json!({
            "name": "Quarterly",
            "items": [{"path": "docs/reports"}],
            "settings": {"password": true},
            "password": password,
            "custom_key": key,
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let share_id = serde_json::from_slice::<serde_json::Value>(&created.body).unwrap()["id"]
        .as_i64()
        .unwrap();

    // A visitor opens the link, is refused a wrong password, passes the page's form,
    // downloads a file and meets a file the store cannot read (500).
    let mut b = Browser::default();
    let url = format!("/s/{key}");
    assert_eq!(
        b.get(&w.router, &url).await.status,
        StatusCode::UNAUTHORIZED
    );
    let csrf = b.csrf();
    let wrong = "Wrong-Guess-Tulip-91";
    let refused = b
        .post_form(
            &w.router,
            &format!("{url}/password"),
            &[("csrf", &csrf), ("password", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let passed = b
        .post_form(
            &w.router,
            &format!("{url}/password"),
            &[("csrf", &csrf), ("password", password)],
        )
        .await;
    assert_eq!(passed.status, StatusCode::SEE_OTHER);
    let file = b.get(&w.router, &format!("{url}/dl/reports/a.txt")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(&file.body[..], b"hello");
    let broken = b
        .get(&w.router, &format!("{url}/dl/reports/broken.bin"))
        .await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);

    // Another share asks for a verified email: the code comes by mail.
    let verified = w
        .share(&["docs/reports"], |s| {
            s.access = AccessControl::VerifiedEmails(vec![
                EmailPattern::parse("*@client.example").unwrap(),
            ]);
        })
        .await;
    let mut v = Browser::default();
    let vurl = format!("/s/{}", verified.key);
    v.get(&w.router, &vurl).await;
    let vcsrf = v.csrf();
    let sent = v
        .post_form(
            &w.router,
            &format!("{vurl}/email"),
            &[("csrf", &vcsrf), ("email", "bo@client.example")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    let code = w
        .mailer
        .sent()
        .into_iter()
        .find_map(|(m, _)| match m.message {
            MailMessage::OneTimeCode { code, .. } => Some(code.0),
            _ => None,
        })
        .unwrap();
    let ok = v
        .post_form(
            &w.router,
            &format!("{vurl}/code"),
            &[("csrf", &vcsrf), ("code", &code)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    settle().await;

    let log = captured.text();
    // The log is there and says what happened, by route template and share id...
    assert!(log.contains("route=/s/{key}/password"), "{log}");
    assert!(log.contains(&format!("share={share_id}")), "{log}");
    assert!(log.contains("submit_password"), "{log}");
    assert!(log.contains("answered a server error"), "{log}");
    assert!(log.contains("the disk returned an I/O error"), "{log}");
    // ...and carries no key, password, code, cookie or token.
    let mut secrets = vec![
        key.to_owned(),
        key.to_lowercase(),
        password.to_owned(),
        wrong.to_owned(),
        verified.key.to_string(),
        code,
    ];
    secrets.extend(b.cookies.values().cloned());
    secrets.extend(v.cookies.values().cloned());
    for secret in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(
            !log.contains(secret.as_str()),
            "`{secret}` is in the log:\n{log}"
        );
    }
    assert!(
        b.cookies.len() >= 2 && v.cookies.len() >= 2,
        "sessions and CSRF cookies were checked"
    );
}

/// A debugging recorder's snapshot: each metric with its labels and value.
type Snapshot = [(String, Vec<(String, String)>, DebugValue)];

/// The value of a counter (summed over label sets that contain `labels`).
fn counter(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> u64 {
    snapshot
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, v)| match v {
            DebugValue::Counter(c) => *c,
            _ => 0,
        })
        .sum()
}

fn histogram_count(snapshot: &Snapshot, name: &str) -> usize {
    snapshot
        .iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, _, v)| match v {
            DebugValue::Histogram(h) => h.len(),
            _ => 0,
        })
        .sum()
}

#[tokio::test]
async fn counters_move_for_a_download_a_denial_and_a_refund() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let w = observed_world().await;
    put(&w.files, "docs/reports/a.txt", b"hello world").await;
    put(&w.files, "docs/reports/broken.bin", b"unreadable").await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 5,
                ..UseLimit::ONE_TIME
            })
        })
        .await;
    let mut b = Browser::default();
    let url = format!("/s/{}", share.key);
    assert_eq!(b.get(&w.router, &url).await.status, StatusCode::OK);
    let csrf = b.csrf();
    let file = b
        .post_form(
            &w.router,
            &format!("{url}/dl/reports/a.txt"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text());
    // The client leaves before the first byte: the use is given back.
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let dropped = w
        .router
        .clone()
        .oneshot(
            Request::post(format!("{url}/dl/reports/a.txt"))
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={csrf}")))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(dropped.status(), StatusCode::OK);
    drop(dropped);
    settle().await;
    // The store fails: a server error.
    let broken = b
        .post_form(
            &w.router,
            &format!("{url}/dl/reports/broken.bin"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
    // An unknown key is a denial.
    let unknown = Browser::default()
        .get(&w.router, "/s/NoSuchKeyAnywhere42")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    settle().await;

    let snapshot: Vec<_> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect::<Vec<_>>();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    assert_eq!(
        counter(&snapshot, telemetry::BYTES_SERVED, &[("kind", "download")]),
        11
    );
    assert_eq!(
        counter(&snapshot, telemetry::DENIALS, &[("reason", "not_found")]),
        1
    );
    assert_eq!(counter(&snapshot, telemetry::USES_REFUNDED, &[]), 1);
    assert_eq!(
        counter(&snapshot, telemetry::USES_SPENT, &[]),
        w.uses(&share).await as u64 + 1,
        "every spent use is counted, the refunded one too"
    );
    assert_eq!(
        counter(
            &snapshot,
            telemetry::HTTP_REQUESTS,
            &[("route", "/s/{key}/dl/{*path}"), ("status", "2xx")]
        ),
        2
    );
    assert_eq!(
        counter(
            &snapshot,
            telemetry::HTTP_REQUESTS,
            &[("route", "/s/{key}/dl/{*path}"), ("status", "5xx")]
        ),
        1
    );
    assert!(histogram_count(&snapshot, telemetry::STORAGE_SECONDS) >= 2);
    assert!(histogram_count(&snapshot, telemetry::HTTP_REQUEST_SECONDS) >= 4);
}

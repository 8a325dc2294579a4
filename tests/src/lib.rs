//! Cross-crate end-to-end tests of sharelink (HTTP + SQL + storage + mail together).
//!
//! This library holds the wiring the end-to-end suites in `tests/` share: a [`Stack`] is
//! the whole product over real adapters — a SQL database (a fresh SQLite file, or a fresh
//! PostgreSQL database), a file store (a real S3-compatible server below a random prefix,
//! or a local folder), a mailer (a real SMTP server, or an outbox folder) and the axum
//! router served on a loopback socket — driven by [`Visitor`]s, reqwest clients with a
//! cookie jar.
//!
//! # Suites
//! Every scenario runs on SQLite and, when configured, on PostgreSQL
//! ([`on_every_backend!`]):
//! - `tests/visits.rs` — a live share shows a file added after creation; preview-only
//!   refuses downloads; a drop box takes uploads but lists nothing; a one-time link
//!   refuses a second download; download and visit limits stop at their maximum; an
//!   expired share answers 410 until reactivated; a snapshot keeps serving its copy; the
//!   download-all ZIP passes `unzip -t` (or `python3 -m zipfile -t`) and Python's reader.
//! - `tests/gates.rs` — password; emailed-only links bound to one browser, with the fresh
//!   link read back from MailDev; verified email with the one-time code read back from
//!   MailDev; a custom registration form; clickwrap.
//! - `tests/management.rs` — a revoked key answers exactly like an unknown one; revoke
//!   all; admins see every share and users their own; the download notification mail.
//! - `tests/edges.rs` — a new password shuts out visitors already inside; the daily quota
//!   is exact under 64 concurrent creations; the log names who registered.
//!
//! # Environment
//! | variable | what it names | unset |
//! |---|---|---|
//! | `SHARELINK_TEST_POSTGRES_URL` | a PostgreSQL server (an admin URL; each test creates and drops its own database) | PostgreSQL cases print a notice and pass |
//! | `SHARELINK_TEST_S3_ENDPOINT`, `SHARELINK_TEST_S3_BUCKET`, `AWS_*` | an S3-compatible server (moto) | files live in a local folder (a notice says so) |
//! | `SHARELINK_TEST_SMTP`, `SHARELINK_TEST_SMTP_API` | MailDev (SMTP and its JSON API) | mail goes to an outbox folder; tests that read mail print a notice and pass |
//!
//! A variable that is set while its server is down fails the test: a configured server
//! must be up. `.ci/setup.d/*.sh` starts every server and sets every variable.
//!
//! ```no_run
//! use sharelink_tests::{Backend, Stack};
//!
//! # async fn example() {
//! let stack = Stack::start(Backend::Sqlite).await;
//! let share = stack.share("ana", &["docs/reports"], |_| {}).await;
//! let mut visitor = stack.visitor();
//! let page = visitor.get(&format!("/s/{}", share.key)).await;
//! assert_eq!(page.status, 200);
//! # }
//! ```

/// The visitor crawler, which lives in the demo (its `crawl` command uses it too).
pub use sharelink_examples::demo::crawl;

use axum::serve::ListenerExt;
use bytes::Bytes;
use sharelink_core::memory::{ManualClock, MemoryDirectory};
use sharelink_core::ports::{Argon2idHasher, FileStore, Mailer};
use sharelink_core::service::{Config, Ports, Sharelink};
use sharelink_core::testing::fixtures::{Person, path, people, put_file, share_request, user};
use sharelink_core::{Argon2Params, Email, Rights, Share, ShareSettings, SiteSettings, UserId};
use sharelink_http::{Authenticator, HttpConfig, SharelinkState, TokioBlockingRunner};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Runs an async scenario once per SQL backend: `sqlite` always, `postgres` when
/// `SHARELINK_TEST_POSTGRES_URL` is set. For each `name`, the calling test file must hold
/// `async fn name(backend: Backend)`; the macro adds the tests `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::Backend::Postgres.configured() {
                        super::$name($crate::Backend::Postgres).await;
                    }
                }
            }
        )*
    };
}

// ----- environment --------------------------------------------------------------------------

/// One message read back from MailDev.
pub use sharelink_mail::testing::MailDevMessage as ReceivedMail;
/// The variables naming MailDev's SMTP server and its JSON API.
pub use sharelink_mail::testing::{SMTP_API_VAR, SMTP_VAR};
/// The variable naming the PostgreSQL server.
pub use sharelink_store_sql::testing::POSTGRES_VAR;
/// A SQL backend the stack can run on: `Sqlite` (a fresh file, always available) or
/// `Postgres` (a fresh database on the server [`POSTGRES_VAR`] names).
pub use sharelink_store_sql::testing::TestBackend as Backend;
/// A database used by one test, removed when dropped.
pub use sharelink_store_sql::testing::TestDatabase;

/// The variable naming the S3-compatible endpoint.
pub const S3_ENDPOINT_VAR: &str = "SHARELINK_TEST_S3_ENDPOINT";
/// The variable naming the S3 bucket.
pub const S3_BUCKET_VAR: &str = "SHARELINK_TEST_S3_BUCKET";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether a real SMTP server is configured; prints a notice when it is not (tests that
/// read mail back then return early).
pub fn smtp_configured() -> bool {
    let set = var(SMTP_VAR).is_some();
    if !set {
        eprintln!(
            "notice: {SMTP_VAR} is not set; skipping this test, which reads mail back \
             (run .ci/setup.d/30-smtp.sh)"
        );
    }
    set
}

/// Eight random bytes as hex, for names no other test uses.
pub fn random_tag() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Panics unless something listens at `url`'s host and port (`default_port` when the
/// URL names none).
fn require_reachable(variable: &str, url: &str, default_port: u16) {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{variable}={url}: {e}"));
    let address = parsed
        .socket_addrs(|| Some(default_port))
        .unwrap_or_else(|e| panic!("{variable}={url} does not resolve: {e}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{variable}={url} has no address"));
    if let Err(e) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
        panic!("{variable}={url} is set but the server is unreachable: {e}");
    }
}

// ----- databases -----------------------------------------------------------------------------

/// `url` with its `host:port` replaced by `authority` (user and password kept).
fn with_authority(url: &str, authority: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    format!("{}{authority}{}", &url[..host_start], &url[end..])
}

// ----- files and mail ------------------------------------------------------------------------

/// The file store of one test: the S3-compatible server below a random prefix when
/// `SHARELINK_TEST_S3_ENDPOINT` is set, else a local folder (with a notice). The second
/// value keeps the local folder alive.
///
/// # Panics
/// When the S3 server is configured but unreachable.
pub fn file_store() -> (Arc<dyn FileStore>, Option<tempfile::TempDir>) {
    file_store_at(None)
}

/// As [`file_store`], reaching the S3 server at `endpoint` instead of the configured one
/// (a [`Cutter`] in front of it) when given.
fn file_store_at(endpoint: Option<String>) -> (Arc<dyn FileStore>, Option<tempfile::TempDir>) {
    use sharelink_storage::ObjectFileStore;
    match var(S3_ENDPOINT_VAR) {
        Some(configured) => {
            let endpoint = endpoint.unwrap_or(configured);
            let bucket = var(S3_BUCKET_VAR)
                .unwrap_or_else(|| panic!("{S3_ENDPOINT_VAR} is set, so {S3_BUCKET_VAR} must be"));
            require_reachable(S3_ENDPOINT_VAR, &endpoint, 80);
            let allow_http = endpoint.starts_with("http://");
            let store = ObjectFileStore::from_url_with_options(
                &format!("s3://{bucket}/e2e-{}", random_tag()),
                [
                    ("endpoint", endpoint.clone()),
                    ("allow_http", allow_http.to_string()),
                ],
            )
            .expect("an S3 file store");
            (Arc::new(store), None)
        }
        None => {
            eprintln!(
                "notice: {S3_ENDPOINT_VAR} is not set; files live in a local folder \
                 (run .ci/setup.d/20-s3.sh for S3)"
            );
            local_file_store()
        }
    }
}

/// A file store over a fresh local folder, kept alive by the second value.
fn local_file_store() -> (Arc<dyn FileStore>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = sharelink_storage::ObjectFileStore::local(dir.path()).expect("a local file store");
    (Arc::new(store), Some(dir))
}

/// MailDev's JSON API (`sharelink_mail::testing::MailDev`) for the suites: a failure to
/// read it fails the test. Messages are found by recipient, never by clearing the mailbox
/// (other tests share it).
#[derive(Debug, Clone)]
pub struct MailDev(sharelink_mail::testing::MailDev);

impl MailDev {
    /// The MailDev the environment names; `None` when `SHARELINK_TEST_SMTP` is unset.
    ///
    /// # Panics
    /// When it is named but its API is not, or does not answer.
    pub async fn from_env() -> Option<Self> {
        sharelink_mail::testing::MailDev::from_env()
            .await
            .unwrap_or_else(|e| panic!("MailDev: {e}"))
            .map(Self)
    }

    /// Every message addressed to `to`, oldest first.
    ///
    /// # Panics
    /// When the API fails.
    pub async fn received_by(&self, to: &Email) -> Vec<ReceivedMail> {
        self.0
            .messages_to(to)
            .await
            .unwrap_or_else(|e| panic!("MailDev: {e}"))
    }

    /// The whole message as it came over SMTP (headers and body, CRLF line breaks).
    ///
    /// # Panics
    /// When the API fails.
    pub async fn source(&self, message: &ReceivedMail) -> String {
        let raw = self
            .0
            .source(&message.id)
            .await
            .unwrap_or_else(|e| panic!("MailDev: {e}"));
        String::from_utf8_lossy(&raw).into_owned()
    }

    /// Waits (up to ten seconds) until `to` has received at least `count` messages and
    /// returns them all.
    ///
    /// # Panics
    /// When fewer arrive in time.
    pub async fn wait_for(&self, to: &Email, count: usize) -> Vec<ReceivedMail> {
        self.0
            .wait_for(to, count, Duration::from_secs(10))
            .await
            .unwrap_or_else(|e| panic!("MailDev: {e}"))
    }
}

fn mailer(sender: Email) -> (Arc<dyn Mailer>, Option<tempfile::TempDir>) {
    match var(SMTP_VAR) {
        Some(url) => {
            require_reachable(SMTP_VAR, &url, 25);
            let config =
                sharelink_mail::SmtpConfig::from_url(&url, sender).expect("an SMTP configuration");
            let smtp = sharelink_mail::SmtpMailer::new(config).expect("an SMTP mailer");
            (Arc::new(smtp), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let outbox =
                sharelink_mail::OutboxMailer::new(dir.path(), sender).expect("an outbox mailer");
            (Arc::new(outbox), Some(dir))
        }
    }
}

// ----- the stack -----------------------------------------------------------------------------

/// The embedder's authentication, for the tests: the user named by the `x-user` header.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderAuth;

#[async_trait::async_trait]
impl Authenticator for HeaderAuth {
    async fn user(&self, parts: &axum::http::request::Parts) -> Option<UserId> {
        UserId::parse(parts.headers.get("x-user")?.to_str().ok()?).ok()
    }
}

/// The whole product over real adapters, served on a loopback socket under `/share`.
///
/// Users of the embedding application: `ana` (all rights on `docs`), `bob` (all rights
/// on `team`) and `root` (an admin). Files: `docs/reports/a.txt` (`alpha`),
/// `docs/reports/b.txt` (`bravo`), `docs/plan.pdf` (`plan`), the empty folder
/// `docs/drop`, and `team/notes.txt` (`notes`). Time is a manual clock starting at the
/// real current time.
pub struct Stack {
    /// The application (for setup and checks that need no HTTP).
    pub app: Sharelink,
    /// `http://127.0.0.1:port/share`: routes are below it.
    pub base: String,
    /// The file store.
    pub files: Arc<dyn FileStore>,
    /// The clock the application reads.
    pub clock: Arc<ManualClock>,
    /// MailDev, when a real SMTP server is configured.
    pub mail: Option<MailDev>,
    /// The folder holding the files, when they live on local disk.
    pub local_folder: Option<std::path::PathBuf>,
    tag: String,
    database_url: String,
    server: tokio::task::JoinHandle<()>,
    _folders: Vec<tempfile::TempDir>,
    _database: TestDatabase,
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("base", &self.base)
            .field("database", &self._database)
            .finish_non_exhaustive()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Stack {
    /// The stack on `backend` with the default site settings.
    pub async fn start(backend: Backend) -> Self {
        Self::with_site(backend, SiteSettings::default()).await
    }

    /// The stack on `backend` with `site` settings.
    ///
    /// # Panics
    /// When a configured server is unreachable, or the wiring fails.
    pub async fn with_site(backend: Backend, site: SiteSettings) -> Self {
        Self::build(backend, site, &Faults::default(), false).await
    }

    /// The stack on `backend` with its files in a local folder ([`Stack::local_folder`])
    /// whatever the environment, for tests of what other programs do to the files.
    ///
    /// # Panics
    /// As [`Stack::with_site`].
    pub async fn on_local_disk(backend: Backend) -> Self {
        Self::build(backend, SiteSettings::default(), &Faults::default(), true).await
    }

    /// The stack on `backend`, reaching its database and/or file store through the
    /// [`Cutter`]s in `faults`, so a test can make them go away and come back.
    ///
    /// # Panics
    /// As [`Stack::with_site`].
    pub async fn with_faults(backend: Backend, faults: &Faults) -> Self {
        Self::build(backend, SiteSettings::default(), faults, false).await
    }

    async fn build(
        backend: Backend,
        site: SiteSettings,
        faults: &Faults,
        local_files: bool,
    ) -> Self {
        let tag = random_tag();
        let database = TestDatabase::create(backend).await.unwrap_or_else(|e| {
            panic!(
                "a fresh {backend:?} database: {e} ({:?})",
                std::error::Error::source(&e)
            )
        });
        let database_url = match &faults.database {
            Some(cut) => with_authority(database.url(), &cut.address().to_string()),
            None => database.url().to_owned(),
        };
        let store = sharelink_store_sql::StoreConfig::new(&database_url)
            .connect_timeout(Duration::from_secs(2))
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect to {backend:?}: {e}"));
        let digests = store.digests();
        let site_store = store.site_settings();
        let (repo, log) = store.ports();
        let (files, files_dir) = if local_files {
            local_file_store()
        } else {
            file_store_at(
                faults
                    .storage
                    .as_ref()
                    .map(|c| format!("http://{}", c.address())),
            )
        };
        let local_folder = files_dir
            .as_ref()
            .and_then(|dir| std::fs::canonicalize(dir.path()).ok());
        let sender = Email::parse("noreply@sharelink.test").expect("an address");
        let (mailer, outbox_dir) = mailer(sender);
        let mail = MailDev::from_env().await;

        let directory = Arc::new(MemoryDirectory::new());
        people(
            &directory,
            &[
                Person {
                    id: "ana",
                    admin: false,
                    rights: &[("docs", Rights::ALL)],
                },
                Person {
                    id: "bob",
                    admin: false,
                    rights: &[("team", Rights::ALL)],
                },
                Person {
                    id: "root",
                    admin: true,
                    rights: &[],
                },
            ],
            |id| email_for(&tag, id),
        );

        for (p, data) in [
            ("docs/reports/a.txt", &b"alpha"[..]),
            ("docs/reports/b.txt", b"bravo"),
            ("docs/plan.pdf", b"plan"),
            ("team/notes.txt", b"notes"),
        ] {
            put_file(files.as_ref(), p, data).await;
        }
        files
            .create_folder(&path("docs/drop"))
            .await
            .expect("create docs/drop");

        let start = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("a whole second");
        let clock = Arc::new(ManualClock::new(start));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr: SocketAddr = listener.local_addr().expect("its address");
        let base = format!("http://{addr}/share");

        let ports = Ports::new(repo, log, files.clone(), mailer, directory)
            .with_digests(digests)
            .with_clock(clock.clone())
            .with_hasher(Arc::new(Argon2idHasher::new(Argon2Params::TESTING)))
            .with_blocking(Arc::new(TokioBlockingRunner))
            .with_site_store(site_store);
        let app = Sharelink::new(ports, Config::new(format!("{base}/s/")).with_site(site))
            .expect("the application");
        let server = serve_http(app.clone(), listener);

        Self {
            app,
            base,
            files,
            clock,
            mail,
            local_folder,
            tag,
            database_url,
            server,
            _folders: files_dir.into_iter().chain(outbox_dir).collect(),
            _database: database,
        }
    }

    /// An address unique to this test run: `{local}.{tag}@sharelink.test`. The users'
    /// own addresses are `email("ana")`, `email("bob")` and `email("root")`.
    pub fn email(&self, local: &str) -> Email {
        email_for(&self.tag, local)
    }

    /// Writes a file into the store (as the embedding application would).
    pub async fn put(&self, p: &str, data: &[u8]) {
        put_file(self.files.as_ref(), p, data).await;
    }

    /// Creates a share of `items` owned by `owner`, with settings changed by `f`.
    ///
    /// # Panics
    /// When creation is refused.
    pub async fn share(
        &self,
        owner: &str,
        items: &[&str],
        f: impl FnOnce(&mut ShareSettings),
    ) -> Share {
        self.share_with_password(owner, items, None, f).await
    }

    /// As [`share`](Self::share), protected by `password` when given.
    ///
    /// # Panics
    /// When creation is refused.
    pub async fn share_with_password(
        &self,
        owner: &str,
        items: &[&str],
        password: Option<&str>,
        f: impl FnOnce(&mut ShareSettings),
    ) -> Share {
        let mut request = share_request(items, f);
        request.password = password.map(str::to_owned);
        self.app
            .create_share(&user(owner), request)
            .await
            .unwrap_or_else(|e| panic!("create a share of {items:?}: {e}"))
            .share
    }

    /// The application's current time (the manual clock).
    pub fn clock_now(&self) -> OffsetDateTime {
        use sharelink_core::ports::Clock;
        self.clock.now()
    }

    /// The uses a share has spent, as its owner sees them.
    pub async fn uses(&self, share: &Share) -> u32 {
        self.app
            .get_share(&share.owner, share.id)
            .await
            .expect("the share")
            .uses
    }

    /// A share's statistics as its owner gets them from the management API.
    ///
    /// # Panics
    /// When the API does not answer 200.
    pub async fn statistics(&self, share: &Share) -> serde_json::Value {
        let reply = self
            .api(
                reqwest::Method::GET,
                &format!("/shares/{}/statistics", share.id.0),
                Some(share.owner.as_str()),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// Waits (up to five seconds) until the owner's access log of `share` holds at least
    /// `count` download events (a download is logged once its body has been sent), and
    /// returns them as the management API shows them, newest first.
    ///
    /// # Panics
    /// When it does not happen in time.
    pub async fn logged_downloads(&self, share: &Share, count: usize) -> Vec<serde_json::Value> {
        let mut downloads = Vec::new();
        for _ in 0..50 {
            let log = self
                .api(
                    reqwest::Method::GET,
                    &format!("/shares/{}/log", share.id.0),
                    Some(share.owner.as_str()),
                    None,
                )
                .await;
            assert_eq!(log.status, 200, "{}", log.text());
            downloads = log.json()["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e["kind"] == "download")
                .collect();
            if downloads.len() >= count {
                return downloads;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} download events logged, expected {count}",
            downloads.len()
        );
    }

    /// Waits (up to five seconds) until `share` has spent `count` uses: a download's use
    /// is settled once its body has been sent.
    ///
    /// # Panics
    /// When it does not happen in time.
    pub async fn wait_for_uses(&self, share: &Share, count: u32) {
        for _ in 0..50 {
            if self.uses(share).await == count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(self.uses(share).await, count, "uses of the share");
    }

    /// A new browser (no cookies) asking for JSON.
    pub fn visitor(&self) -> Visitor {
        Visitor::new(&self.base, true)
    }

    /// A new browser (no cookies) asking for HTML pages.
    pub fn html_visitor(&self) -> Visitor {
        Visitor::new(&self.base, false)
    }

    /// A second application over the same database through its own connection pool, as
    /// another server process would have it (same files, users, mail and clock).
    ///
    /// # Panics
    /// When the database cannot be reached.
    pub async fn second_process(&self) -> Sharelink {
        let store = sharelink_store_sql::StoreConfig::new(&self.database_url)
            .connect()
            .await
            .expect("a second pool");
        let site = store.site_settings();
        let (repo, log) = store.ports();
        let ports = Ports {
            repo,
            log,
            site,
            ..self.app.ports().clone()
        };
        Sharelink::new(ports, self.app.config().clone()).expect("the second application")
    }

    /// [`second_process`](Self::second_process) behind its own HTTP server, as a load
    /// balancer's second backend: the base URL of its sharelink router (as `base`, on
    /// another port). The server stops with the test's runtime.
    ///
    /// # Panics
    /// When the database cannot be reached or no port is free.
    pub async fn second_server(&self) -> String {
        let app = self.second_process().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr: SocketAddr = listener.local_addr().expect("its address");
        drop(serve_http(app, listener));
        format!("http://{addr}/share")
    }

    /// Calls the management API (`path` below `/share/api`) as `user` (or anonymously).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}/api{path}", self.base))
            .header("accept", "application/json")
            // What a script sends, which a form on another site cannot.
            .header("x-sharelink-request", "1");
        if let Some(u) = user {
            req = req.header("x-user", u);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Reply::from(req.send().await.expect("the server answers")).await
    }
}

fn email_for(tag: &str, local: &str) -> Email {
    Email::parse(&format!("{local}.{tag}@sharelink.test")).expect("an address")
}

// ----- visitors ------------------------------------------------------------------------------

/// An answer from the server.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The whole answer of a request sent with `reqwest`.
    pub async fn from(res: reqwest::Response) -> Self {
        Self::read(res).await.expect("a whole body")
    }

    /// Reads a whole answer; `Err` when its body is cut off.
    async fn read(res: reqwest::Response) -> Result<Self, reqwest::Error> {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.bytes().await?;
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A header as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A browser: a reqwest client that keeps cookies, never follows redirects, and sends
/// the CSRF token with every form.
#[derive(Debug)]
pub struct Visitor {
    client: reqwest::Client,
    base: String,
    json: bool,
    cookies: HashMap<String, String>,
    headers: Vec<(String, String)>,
}

/// Serves `app`'s router (header sign-in, cookies without `Secure`) under `/share` on
/// `listener`, as every test server does.
fn serve_http(app: Sharelink, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
    let state = SharelinkState::new(
        app,
        Arc::new(HeaderAuth),
        HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        },
    );
    let router = axum::Router::new().nest("/share", sharelink_http::router(state));
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("the server runs");
    })
}

impl Visitor {
    /// Sends this browser's next requests to the sharelink router at `base` (another
    /// server of the same site, as a load balancer may), with the cookies it holds.
    pub fn switch_to(&mut self, base: &str) {
        base.clone_into(&mut self.base);
    }

    /// A new browser (no cookies) of the sharelink router mounted at `base` (e.g.
    /// `http://127.0.0.1:8080/share`), asking for JSON when `json` is set, else HTML.
    pub fn at(base: &str, json: bool) -> Self {
        Self::new(base, json)
    }

    fn new(base: &str, json: bool) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            base: base.to_owned(),
            json,
            cookies: HashMap::new(),
            headers: Vec::new(),
        }
    }

    /// Sends header `name` with every request, as a browser sends its `Accept-Language`.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// Sets a cookie, as a visitor who forges one would.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The value of cookie `name` this browser holds, if any.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Whether this browser holds a visitor session cookie (`sl_s_…`) of any share.
    pub fn has_session(&self) -> bool {
        self.cookies.keys().any(|k| k.starts_with("sl_s_"))
    }

    /// This browser's cookies as one `Cookie` header value (for raw requests).
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The CSRF token of this browser (empty before its first request).
    pub fn csrf(&self) -> String {
        self.cookies.get("sl_csrf").cloned().unwrap_or_default()
    }

    /// Sends a request with this browser's cookies and keeps the cookies it sets.
    ///
    /// # Panics
    /// When the server does not answer.
    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        self.try_send(req).await.expect("the server answers")
    }

    /// As [`Visitor::send`], with `Err` when the server does not answer in full (it is
    /// down, or went away mid-answer).
    pub async fn try_send(
        &mut self,
        mut req: reqwest::RequestBuilder,
    ) -> Result<Reply, reqwest::Error> {
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        if self.json {
            req = req.header("accept", "application/json");
        }
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let res = req.send().await?;
        for c in res.headers().get_all("set-cookie") {
            let c = c.to_str().expect("an ASCII cookie");
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        Reply::read(res).await
    }

    /// `GET` of `path` below the mount point (e.g. `/s/{key}`), following redirects as a
    /// browser does.
    pub async fn get(&mut self, path: &str) -> Reply {
        let url = format!("{}{path}", self.base);
        self.get_url(&url).await
    }

    /// `GET` of an absolute URL (a link from an email), following redirects as a browser
    /// does.
    pub async fn get_url(&mut self, url: &str) -> Reply {
        self.try_get_url(url).await.expect("the server answers")
    }

    /// As [`Visitor::get_url`], with `Err` when the server does not answer in full.
    ///
    /// # Panics
    /// After five redirects.
    pub async fn try_get_url(&mut self, url: &str) -> Result<Reply, reqwest::Error> {
        let mut url = url.to_owned();
        for _ in 0..5 {
            let reply = self.try_send(self.client.get(&url)).await?;
            let location = reply
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match location {
                Some(next) if (300..400).contains(&reply.status) && reply.status != 304 => {
                    url = if next.starts_with('/') {
                        let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
                        format!("{origin}{next}")
                    } else {
                        next
                    };
                }
                // A JSON client without a session is asked to open one: it posts to
                // `/open` with the token it was given, and asks again.
                // (A confirmation that would spend a use or take an invitation comes with
                // its `gate`: that one is the test's to press.)
                _ if self.json
                    && reply.status == 409
                    && reply.json()["error"] == "confirmation_required"
                    && reply.json().get("gate").is_none()
                    && !self.cookies.keys().any(|k| k.starts_with("sl_s_")) =>
                {
                    let open = url.split('?').next().unwrap_or_default().to_owned();
                    let Some(at) = open.find("/s/") else {
                        return Ok(reply);
                    };
                    let key: String = open[at + 3..].chars().take_while(|c| *c != '/').collect();
                    let base = &open[..at];
                    let csrf = reply.json()["csrf"].as_str().unwrap_or_default().to_owned();
                    // The invitation or access code of the link goes with the press.
                    let fields: Vec<String> = url
                        .split_once('?')
                        .map(|(_, q)| q)
                        .unwrap_or_default()
                        .split('&')
                        .filter(|kv| kv.starts_with("r=") || kv.starts_with("code="))
                        .map(str::to_owned)
                        .collect();
                    let opened = self
                        .try_send(
                            self.client
                                .post(format!("{base}/s/{key}/open"))
                                .header("x-csrf-token", csrf)
                                .header("content-type", "application/x-www-form-urlencoded")
                                .body(fields.join("&")),
                        )
                        .await?;
                    if opened.status != 200 {
                        return Ok(opened);
                    }
                }
                _ => return Ok(reply),
            }
        }
        panic!("too many redirects from {url}");
    }

    /// `HEAD` of `path` below the mount point.
    pub async fn head(&mut self, path: &str) -> Reply {
        let req = self.client.head(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// `POST` of a form to `path`, with the CSRF token added.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = all
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Uploads one file named `name` into `folder` of share `key` (multipart, with the
    /// CSRF token).
    pub async fn upload(&mut self, key: &str, folder: &str, name: &str, data: &[u8]) -> Reply {
        self.try_upload(key, folder, name, data)
            .await
            .expect("the server answers")
    }

    /// As [`Visitor::upload`], with `Err` when the server does not answer in full.
    pub async fn try_upload(
        &mut self,
        key: &str,
        folder: &str,
        name: &str,
        data: &[u8],
    ) -> Result<Reply, reqwest::Error> {
        let boundary = format!("e2e{}", random_tag());
        let csrf = self.csrf();
        let mut body = Vec::new();
        for (field, value) in [("csrf", csrf.as_str()), ("folder", folder)] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n\
                     {value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .client
            .post(format!("{}/s/{key}/upload", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.try_send(req).await
    }
}

// ----- faults --------------------------------------------------------------------------------

/// Which servers a [`Stack`] reaches through a [`Cutter`].
#[derive(Debug, Default)]
pub struct Faults {
    /// In front of the database server.
    pub database: Option<Cutter>,
    /// In front of the S3-compatible server.
    pub storage: Option<Cutter>,
}

/// A TCP proxy on loopback in front of a real server, which a test can cut (open
/// connections are dropped and the port stops listening, so new connections are refused,
/// as when the server goes away) and restore. The server itself keeps running for every
/// other test.
#[derive(Debug)]
pub struct Cutter {
    address: SocketAddr,
    inner: Arc<CutterState>,
}

#[derive(Debug)]
struct CutterState {
    target: SocketAddr,
    open: std::sync::atomic::AtomicBool,
    /// Bytes still allowed upstream before the cutter cuts by itself (`u64::MAX`: no
    /// limit).
    budget: std::sync::atomic::AtomicU64,
    links: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    accept: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl CutterState {
    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        if let Some(accept) = self.accept.lock().expect("accept").take() {
            accept.abort();
        }
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Counts `n` bytes going upstream; `true` when the budget is spent.
    fn spend(&self, n: usize) -> bool {
        use std::sync::atomic::Ordering;
        let mut spent = false;
        let _ = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                if left == u64::MAX {
                    return None;
                }
                let rest = left.saturating_sub(n as u64);
                spent = rest == 0;
                Some(rest)
            });
        spent
    }

    /// Accepts and forwards connections on `listener` until cut.
    fn listen(self: &Arc<Self>, listener: tokio::net::TcpListener) {
        let state = self.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let link = tokio::spawn({
                    let state = state.clone();
                    async move {
                        let _ = forward(inbound, state.target, state).await;
                    }
                });
                state.links.lock().expect("links").push(link);
            }
        });
        *self.accept.lock().expect("accept") = Some(task);
    }
}

/// Forwards one connection, counting the bytes that go upstream.
async fn forward(
    inbound: tokio::net::TcpStream,
    target: SocketAddr,
    state: Arc<CutterState>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let outbound = tokio::net::TcpStream::connect(target).await?;
    let (mut from_client, mut to_client) = inbound.into_split();
    let (mut from_server, mut to_server) = outbound.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = from_client.read(&mut buf).await?;
            if n == 0 {
                return to_server.shutdown().await;
            }
            if state.spend(n) {
                state.cut();
                return Ok(());
            }
            to_server.write_all(&buf[..n]).await?;
        }
    };
    let down = tokio::io::copy(&mut from_server, &mut to_client);
    let (a, b) = tokio::join!(up, down);
    a.and(b.map(|_| ()))
}

impl Cutter {
    /// A proxy to the host and port of `url` (`default_port` when it names none).
    ///
    /// # Panics
    /// When the URL has no address, or no loopback port is free.
    pub async fn to_url(url: &str, default_port: u16) -> Self {
        let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let target = parsed
            .socket_addrs(|| Some(default_port))
            .ok()
            .and_then(|a| a.into_iter().next())
            .unwrap_or_else(|| panic!("{url} has no address"));
        Self::to(target).await
    }

    /// A proxy to `target`.
    ///
    /// # Panics
    /// When no loopback port is free.
    pub async fn to(target: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let inner = Arc::new(CutterState {
            target,
            open: std::sync::atomic::AtomicBool::new(true),
            budget: std::sync::atomic::AtomicU64::new(u64::MAX),
            links: std::sync::Mutex::new(Vec::new()),
            accept: std::sync::Mutex::new(None),
        });
        inner.listen(listener);
        Self { address, inner }
    }

    /// Where clients connect.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The server "goes away": open connections are dropped and new ones refused.
    pub fn cut(&self) {
        self.inner.cut();
    }

    /// Cuts by itself once `bytes` more have gone upstream (mid-request, say).
    pub fn cut_after(&self, bytes: u64) {
        self.inner
            .budget
            .store(bytes.max(1), std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the cutter is cut now.
    pub fn is_cut(&self) -> bool {
        !self.inner.open.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The server is back (on the same address; any byte budget is lifted).
    ///
    /// # Panics
    /// When the address cannot be listened on again.
    pub async fn restore(&self) {
        use std::sync::atomic::Ordering;
        self.inner.budget.store(u64::MAX, Ordering::SeqCst);
        if self.inner.open.swap(true, Ordering::SeqCst) {
            return;
        }
        // The aborted accept loop drops its listener asynchronously: retry briefly.
        for attempt in 0..50 {
            match tokio::net::TcpListener::bind(self.address).await {
                Ok(listener) => {
                    self.inner.listen(listener);
                    return;
                }
                Err(e) if attempt == 49 => panic!("cannot listen on {} again: {e}", self.address),
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

impl Drop for Cutter {
    fn drop(&mut self) {
        self.inner.cut();
    }
}

/// Percent-encodes a form value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_replaced() {
        assert_eq!(
            with_authority("postgres://u:p@h:5432/db?x=1", "127.0.0.1:9"),
            "postgres://u:p@127.0.0.1:9/db?x=1"
        );
        assert_eq!(
            with_authority("postgres://h/db", "127.0.0.1:9"),
            "postgres://127.0.0.1:9/db"
        );
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(encode("é"), "%C3%A9");
    }
}

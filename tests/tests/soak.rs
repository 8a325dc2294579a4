//! The soak test: four `sharelink-demo` processes on one PostgreSQL database, one S3
//! store (moto) and one SMTP server (MailDev) serve a bounded mixed workload while faults
//! are injected, then an invariant checker reads the database, the store and the mailbox.
//!
//! It runs only when `SHARELINK_SOAK_SECONDS` is set (`tests/soak/run` sets it and starts
//! the services of its own that it may stop: a PostgreSQL cluster, moto, MailDev and a
//! small tmpfs); otherwise it prints a notice and passes.
//!
//! Workload, for the whole run: an admin per process creates shares (plain, use-limited,
//! snapshot, upload), shares them by email, renames, expires and revokes them; hundreds of
//! visitors (each a fresh browser) open them on any process, download whole files, byte
//! ranges and aborted downloads, and upload files.
//!
//! Faults, in cycles until the time is up: `kill -9` of a process mid-download and of
//! another mid-upload (each restarted); the PostgreSQL server stopped and started; the S3
//! server away for 20 s and the SMTP server for 60 s (a [`Cutter`] in front of each); the
//! local disk full during an upload (a fifth process whose files live on the tmpfs).
//!
//! Invariants checked at the end: no use limit exceeded; every counted download logged
//! (but for downloads in flight in a process killed with `-9`); no partial or orphaned
//! upload visible; no snapshot copy left without its share (a revoked share leaves none);
//! every queued mail sent (and found in MailDev) or dead-lettered; no 5xx and no failed
//! connection outside the fault windows (none at all while only SMTP is away); every
//! process serving again after each fault without being restarted.

use bytes::Bytes;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sharelink_core::ports::FileStore;
use sharelink_core::{AllowedActions, SharePath, ShareSettings, UseLimit, UseUnit};
use sharelink_storage::ObjectFileStore;
use sharelink_tests::{Cutter, Visitor, random_tag};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ----- configuration -------------------------------------------------------------------------

/// What `tests/soak/run` hands over.
#[derive(Debug, Clone)]
struct Setup {
    seconds: u64,
    demo: PathBuf,
    /// The soak's own PostgreSQL server (an admin URL).
    postgres: String,
    pg_stop: String,
    pg_start: String,
    s3_endpoint: String,
    s3_bucket: String,
    smtp: String,
    smtp_api: String,
    /// A folder on a small tmpfs.
    disk: PathBuf,
    work: PathBuf,
    report: Option<PathBuf>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> String {
    var(name).unwrap_or_else(|| {
        panic!("SHARELINK_SOAK_SECONDS is set, so {name} must be (run tests/soak/run)")
    })
}

impl Setup {
    fn from_env() -> Option<Self> {
        let seconds = var("SHARELINK_SOAK_SECONDS")?
            .parse()
            .expect("SHARELINK_SOAK_SECONDS is a number of seconds");
        Some(Self {
            seconds,
            demo: required("SHARELINK_SOAK_DEMO").into(),
            postgres: required("SHARELINK_SOAK_POSTGRES_URL"),
            pg_stop: required("SHARELINK_SOAK_PG_STOP"),
            pg_start: required("SHARELINK_SOAK_PG_START"),
            s3_endpoint: required("SHARELINK_SOAK_S3_ENDPOINT"),
            s3_bucket: required("SHARELINK_SOAK_S3_BUCKET"),
            smtp: required("SHARELINK_SOAK_SMTP"),
            smtp_api: required("SHARELINK_SOAK_SMTP_API"),
            disk: required("SHARELINK_SOAK_DISK").into(),
            work: required("SHARELINK_SOAK_WORK").into(),
            report: var("SHARELINK_SOAK_REPORT").map(PathBuf::from),
        })
    }
}

/// The processes on the shared database.
const NODES: usize = 4;
/// Visitors browsing at once.
const VISITORS_AT_ONCE: usize = 12;
/// The large file: several multipart parts.
const BIG: usize = 6 * 1024 * 1024;
/// Longest a process may take to serve again once a fault is over.
const RECOVERY: Duration = Duration::from_secs(60);
/// The type of a form body (the tokens sent in them need no escaping).
const FORM: &str = "application/x-www-form-urlencoded";
/// Slack around a fault window for requests answered just after it.
const SLACK: Duration = Duration::from_secs(3);

// ----- processes ------------------------------------------------------------------------------

/// One `sharelink-demo` process.
#[derive(Debug)]
struct Node {
    name: String,
    port: u16,
    args: Vec<String>,
    log: PathBuf,
    child: Mutex<Option<std::process::Child>>,
    restarts: AtomicU64,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Node {
    fn new(name: &str, args: Vec<String>, work: &std::path::Path) -> Self {
        Self {
            name: name.to_owned(),
            port: free_port(),
            args,
            log: work.join(format!("{name}.log")),
            child: Mutex::new(None),
            restarts: AtomicU64::new(0),
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn base(&self) -> String {
        format!("{}/share", self.origin())
    }

    async fn start(&self, demo: &std::path::Path) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the process log");
        let mut command = std::process::Command::new(demo);
        for (name, _) in std::env::vars() {
            if name.starts_with("SHARELINK_") {
                command.env_remove(name);
            }
        }
        let child = command
            .args(&self.args)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--max-connections-per-address", "100000"])
            // A long run makes more shares a day than a person would.
            .args(["--daily-quota", "0"])
            .env("AWS_ACCESS_KEY_ID", "soak")
            .env("AWS_SECRET_ACCESS_KEY", "soak-secret")
            .env("AWS_REGION", "us-east-1")
            .stdout(log.try_clone().expect("the log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", demo.display()));
        *self.child.lock().expect("child") = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(self.origin()).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not start; see {}", self.name, self.log.display());
    }

    /// `kill -9`.
    fn kill(&self) {
        if let Some(mut child) = self.child.lock().expect("child").take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&self, demo: &std::path::Path) {
        self.kill();
        self.restarts.fetch_add(1, Ordering::SeqCst);
        self.start(demo).await;
    }

    /// Whether the process runs (it did not exit by itself).
    fn alive(&self) -> bool {
        match self.child.lock().expect("child").as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

// ----- what happened ---------------------------------------------------------------------------

/// One request of the workload and how it ended.
#[derive(Debug, Clone)]
struct Record {
    node: usize,
    op: &'static str,
    start: Instant,
    end: Instant,
    /// The status, or `None` when the connection failed.
    status: Option<u16>,
    error: Option<String>,
}

/// A time when a fault was in force, on one process or all.
#[derive(Debug, Clone)]
struct Window {
    fault: &'static str,
    node: Option<usize>,
    start: Instant,
    end: Instant,
    /// Whether 5xx answers are expected while it lasts (not while only SMTP is away).
    errors_expected: bool,
}

impl Window {
    fn covers(&self, r: &Record) -> bool {
        self.node.is_none_or(|n| n == r.node)
            && r.start < self.end + SLACK
            && r.end + SLACK > self.start
    }
}

/// A share the workload made.
#[derive(Debug, Clone)]
struct Made {
    id: i64,
    key: String,
    kind: Kind,
    /// The snapshot folder, for snapshot shares.
    snapshot: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Limited,
    Snapshot,
    Upload,
}

/// An upload and how it was answered.
#[derive(Debug, Clone)]
struct Sent {
    path: String,
    size: u64,
    status: Option<u16>,
}

/// Everything the run saw, shared by its tasks.
#[derive(Debug, Default)]
struct Journal {
    records: Mutex<Vec<Record>>,
    windows: Mutex<Vec<Window>>,
    shares: Mutex<Vec<Made>>,
    revoked: Mutex<Vec<Made>>,
    uploads: Mutex<Vec<Sent>>,
    /// Downloads in flight in a process killed with `-9`, per share id.
    killed_downloads: Mutex<HashMap<i64, u32>>,
    recoveries: Mutex<Vec<(String, Duration)>>,
    /// A share no workload step changes, to see whether a process serves.
    probe: Mutex<Option<Made>>,
    notes: Mutex<Vec<String>>,
    failures: Mutex<Vec<String>>,
    visitors: AtomicU64,
    made: AtomicU64,
    emails: AtomicU64,
    counter: AtomicU64,
}

impl Journal {
    fn record(&self, node: usize, op: &'static str, start: Instant, out: Result<u16, String>) {
        let (status, error) = match out {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        self.records.lock().expect("records").push(Record {
            node,
            op,
            start,
            end: Instant::now(),
            status,
            error,
        });
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    fn fail(&self, what: String) {
        eprintln!("soak: VIOLATION {what}");
        self.failures.lock().expect("failures").push(what);
    }

    fn note(&self, what: String) {
        eprintln!("soak: {what}");
        self.notes.lock().expect("notes").push(what);
    }

    fn count(&self, kind: Option<Kind>) -> usize {
        let shares = self.shares.lock().expect("shares");
        shares
            .iter()
            .filter(|m| kind.is_none_or(|k| m.kind == k))
            .count()
    }

    fn live(&self, kind: Option<Kind>) -> Option<Made> {
        let shares = self.shares.lock().expect("shares");
        let fit: Vec<&Made> = shares
            .iter()
            .filter(|m| kind.is_none_or(|k| m.kind == k))
            .collect();
        if fit.is_empty() {
            return None;
        }
        Some(fit[pick(fit.len())].clone())
    }
}

fn pick(n: usize) -> usize {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random bytes");
    usize::try_from(u64::from_le_bytes(b) % n.max(1) as u64).unwrap_or(0)
}

fn chance(percent: usize) -> bool {
    pick(100) < percent
}

fn outcome(r: Result<u16, reqwest::Error>) -> Result<u16, String> {
    r.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            let _ = write!(text, ": {s}");
            source = s.source();
        }
        text
    })
}

// ----- the soak --------------------------------------------------------------------------------

struct Soak {
    setup: Setup,
    nodes: Vec<Node>,
    disk_node: Node,
    journal: Journal,
    admins: Mutex<HashMap<usize, String>>,
    s3_cut: Cutter,
    smtp_cut: Cutter,
    db: DatabaseConnection,
    store: ObjectFileStore,
    prefix: String,
    stop: AtomicBool,
    client: reqwest::Client,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak() {
    let Some(setup) = Setup::from_env() else {
        eprintln!(
            "notice: SHARELINK_SOAK_SECONDS is not set; skipping the soak test \
             (run tests/soak/run [SECONDS])"
        );
        return;
    };
    let began = time::OffsetDateTime::now_utc();
    let soak = Arc::new(Soak::start(setup).await);
    let report = soak.clone().run().await;
    let failures = soak.journal.failures.lock().expect("failures").clone();
    let text = soak.report(&report, began, &failures);
    println!("{text}");
    if let Some(path) = &soak.setup.report {
        std::fs::write(path, &text).expect("the report file");
    }
    for node in soak.nodes.iter().chain([&soak.disk_node]) {
        node.kill();
    }
    assert!(
        failures.is_empty(),
        "{} invariant(s) broken:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Figures of a run.
#[derive(Debug, Default)]
struct Figures {
    seconds: u64,
    cycles: u32,
    mail_wait: Duration,
    mail: BTreeMap<String, i64>,
    maildev_messages: usize,
    incomplete_multipart: usize,
    snapshot_folders: usize,
}

impl Soak {
    async fn start(setup: Setup) -> Self {
        let tag = random_tag();
        // A fresh database on the soak's own server.
        let admin = Database::connect(&setup.postgres)
            .await
            .expect("the soak's PostgreSQL server");
        let name = format!("soak_{tag}");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("a fresh database");
        let url = with_database(&setup.postgres, &name);
        let s3_cut = Cutter::to_url(&setup.s3_endpoint, 80).await;
        let smtp_cut = Cutter::to_url(&setup.smtp, 25).await;
        let prefix = format!("soak-{tag}");
        let storage = format!(
            "s3://{}/{prefix}?endpoint=http://{}&allow_http=true&region=us-east-1",
            setup.s3_bucket,
            s3_cut.address()
        );
        let store = ObjectFileStore::from_url_with_options(
            &format!("s3://{}/{prefix}", setup.s3_bucket),
            [
                ("endpoint", setup.s3_endpoint.clone()),
                ("allow_http", "true".to_owned()),
                ("region", "us-east-1".to_owned()),
                ("access_key_id", "soak".to_owned()),
                ("secret_access_key", "soak-secret".to_owned()),
            ],
        )
        .expect("the soak's S3 store");
        seed(&store).await;
        let smtp = format!("smtp://{}?timeout=5", smtp_cut.address());
        let nodes: Vec<Node> = (0..NODES)
            .map(|i| {
                let data = setup.work.join(format!("node{i}"));
                let mut args = vec![
                    "--data".to_owned(),
                    data.display().to_string(),
                    "--database".to_owned(),
                    url.clone(),
                    "--storage".to_owned(),
                    storage.clone(),
                    "--smtp".to_owned(),
                    smtp.clone(),
                ];
                // Two run the housekeeper, two do not (it is one job across them all).
                if i >= 2 {
                    args.push("--no-housekeeping".to_owned());
                }
                Node::new(&format!("node{i}"), args, &setup.work)
            })
            .collect();
        // The fifth process keeps its files on the small tmpfs (its own SQLite database).
        let files = setup.disk.join("files");
        std::fs::create_dir_all(&files).expect("a folder on the tmpfs");
        let disk_node = Node::new(
            "disk",
            vec![
                "--data".to_owned(),
                setup.work.join("disk").display().to_string(),
                "--storage".to_owned(),
                format!("file://{}", files.display()),
            ],
            &setup.work,
        );
        // The first process migrates the database; the others start after it.
        nodes[0].start(&setup.demo).await;
        for node in &nodes[1..] {
            node.start(&setup.demo).await;
        }
        disk_node.start(&setup.demo).await;
        let db = Database::connect(&url).await.expect("the soak database");
        Self {
            setup,
            nodes,
            disk_node,
            journal: Journal::default(),
            admins: Mutex::new(HashMap::new()),
            s3_cut,
            smtp_cut,
            db,
            store,
            prefix,
            stop: AtomicBool::new(false),
            // Redirects are not followed: the sign-in's cookie comes with its redirect.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a client"),
        }
    }

    fn node(&self, i: usize) -> &Node {
        if i == NODES {
            &self.disk_node
        } else {
            &self.nodes[i]
        }
    }

    async fn run(self: Arc<Self>) -> Figures {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(self.setup.seconds);
        // Every process creates a few shares before visitors arrive.
        for i in 0..NODES {
            for kind in [Kind::Plain, Kind::Limited, Kind::Snapshot, Kind::Upload] {
                let _ = self.create(i, kind).await;
            }
        }
        assert!(
            self.journal.shares.lock().expect("shares").len() >= NODES * 3,
            "the shares of the workload could not be created"
        );
        let probe = self.create(0, Kind::Plain).await.expect("the probe share");
        self.journal
            .shares
            .lock()
            .expect("shares")
            .retain(|m| m.id != probe.id);
        *self.journal.probe.lock().expect("probe") = Some(probe);
        let mut tasks = Vec::new();
        for _ in 0..VISITORS_AT_ONCE {
            let soak = self.clone();
            tasks.push(tokio::spawn(async move {
                while !soak.stop.load(Ordering::SeqCst) {
                    soak.visit().await;
                }
            }));
        }
        let soak = self.clone();
        tasks.push(tokio::spawn(async move {
            while !soak.stop.load(Ordering::SeqCst) {
                soak.manage().await;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }));
        // Fault cycles until the time is up (at least one).
        let gap = if self.setup.seconds < 600 {
            Duration::from_secs(3)
        } else {
            Duration::from_secs(30)
        };
        let cycle_estimate = Duration::from_secs(115) + gap * 6;
        let mut cycles = 0;
        loop {
            self.cycle(gap).await;
            cycles += 1;
            if Instant::now() + cycle_estimate > deadline {
                break;
            }
        }
        let rest = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(rest).await;
        self.stop.store(true, Ordering::SeqCst);
        for t in tasks {
            let _ = t.await;
        }
        let seconds = started.elapsed().as_secs();
        for (i, node) in self.nodes.iter().enumerate() {
            if !node.alive() {
                self.journal.fail(format!("node{i} exited by itself"));
            }
        }
        let mail_wait = self.wait_for_mail().await;
        let mut figures = self.check().await;
        figures.seconds = seconds;
        figures.cycles = cycles;
        figures.mail_wait = mail_wait;
        figures
    }

    // ----- management ---------------------------------------------------------------------

    /// Signs `admin` in on process `i` (the demo's sign-in form) and returns the session.
    async fn sign_in(&self, i: usize) -> Result<String, String> {
        let token = format!("{}{}", random_tag(), random_tag());
        let res = self
            .client
            .post(format!("{}/login", self.node(i).origin()))
            .header("cookie", format!("demo_csrf={token}"))
            .header("content-type", FORM)
            .body(format!("user=admin&password=admin&csrf={token}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let session = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("demo_session="))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
            .ok_or_else(|| format!("sign-in answered {}", res.status()))?;
        self.admins
            .lock()
            .expect("admins")
            .insert(i, session.clone());
        Ok(session)
    }

    /// A management call as admin on process `i`; signs in again when the process lost
    /// its sessions (it was restarted).
    async fn api(
        &self,
        i: usize,
        op: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        for _ in 0..2 {
            let session = self.admins.lock().expect("admins").get(&i).cloned();
            let session = match session {
                Some(s) => s,
                None => match self.sign_in(i).await {
                    Ok(s) => s,
                    Err(_) => return None,
                },
            };
            let mut req = self
                .client
                .request(method.clone(), format!("{}/api{path}", self.node(i).base()))
                .header("accept", "application/json")
                .header("x-sharelink-request", "1")
                .header("cookie", format!("demo_session={session}"));
            if let Some(b) = &body {
                req = req.json(b);
            }
            let start = Instant::now();
            let res = req.send().await;
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    self.journal.record(i, op, start, outcome(Err(e)));
                    return None;
                }
            };
            let status = res.status().as_u16();
            if status == 401 {
                self.admins.lock().expect("admins").remove(&i);
                continue;
            }
            let body = match res.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    self.journal.record(i, op, start, outcome(Err(e)));
                    return None;
                }
            };
            self.journal.record(i, op, start, Ok(status));
            if (400..500).contains(&status) && status != 404 {
                // A refusal of the workload itself: the soak asked for something wrong.
                eprintln!(
                    "soak: {op} on node{i} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            if status >= 300 {
                return None;
            }
            return Some(serde_json::from_slice(&body).unwrap_or_default());
        }
        None
    }

    async fn create(&self, i: usize, kind: Kind) -> Option<Made> {
        let n = self.journal.next();
        let mut settings = ShareSettings::named(&format!("soak {n}"));
        let item = match kind {
            Kind::Plain => "soak/files",
            Kind::Limited => {
                settings.use_limit = Some(UseLimit {
                    max: 3,
                    unit: UseUnit::Download,
                });
                "soak/files"
            }
            Kind::Snapshot => {
                settings.mode = sharelink_core::ShareMode::Snapshot;
                "soak/files/small-1.txt"
            }
            Kind::Upload => {
                settings.allowed = AllowedActions::UploadDownload;
                "soak/inbox"
            }
        };
        let body = serde_json::json!({
            "name": settings.name,
            "items": [{"path": item}],
            "settings": serde_json::to_value(&settings).expect("settings as JSON"),
        });
        let made = self
            .api(i, "create", reqwest::Method::POST, "/shares", Some(body))
            .await?;
        let snapshot = made["items"][0]["path"]
            .as_str()
            .filter(|_| kind == Kind::Snapshot)
            .and_then(|p| p.rsplitn(3, '/').nth(2))
            .map(str::to_owned);
        let made = Made {
            id: made["id"].as_i64()?,
            key: made["key"].as_str()?.to_owned(),
            kind,
            snapshot,
        };
        self.journal.made.fetch_add(1, Ordering::SeqCst);
        self.journal
            .shares
            .lock()
            .expect("shares")
            .push(made.clone());
        Some(made)
    }

    /// One management step on a random process.
    async fn manage(&self) {
        let i = pick(NODES);
        match pick(10) {
            0..=3 => {
                let kind = [Kind::Plain, Kind::Limited, Kind::Snapshot, Kind::Upload][pick(4)];
                let _ = self.create(i, kind).await;
            }
            4 | 5 => {
                if let Some(share) = self.journal.live(None) {
                    self.share_by_email(i, &share).await;
                }
            }
            6 => {
                if let Some(share) = self.journal.live(None) {
                    let n = self.journal.next();
                    let body = serde_json::json!({"settings": {"name": format!("renamed {n}")}});
                    let path = format!("/shares/{}", share.id);
                    let _ = self
                        .api(i, "rename", reqwest::Method::PATCH, &path, Some(body))
                        .await;
                }
            }
            7 if self.journal.count(None) > 12 => {
                if let Some(share) = self.journal.live(None) {
                    self.revoke(i, &share).await;
                }
            }
            8 if self.journal.count(Some(Kind::Plain)) > 3 => {
                if let Some(share) = self.journal.live(Some(Kind::Plain)) {
                    let path = format!("/shares/{}/expire", share.id);
                    if self
                        .api(i, "expire", reqwest::Method::POST, &path, None)
                        .await
                        .is_some()
                    {
                        self.journal
                            .shares
                            .lock()
                            .expect("shares")
                            .retain(|m| m.id != share.id);
                    }
                }
            }
            _ => {
                let _ = self
                    .api(i, "list", reqwest::Method::GET, "/shares?limit=20", None)
                    .await;
            }
        }
    }

    async fn share_by_email(&self, i: usize, share: &Made) {
        let n = self.journal.next();
        let body = serde_json::json!({
            "recipients": [{"email": format!("visitor{n}@soak.test")}],
            "message": "from the soak",
        });
        let path = format!("/shares/{}/email", share.id);
        if self
            .api(i, "email", reqwest::Method::POST, &path, Some(body))
            .await
            .is_some()
        {
            self.journal.emails.fetch_add(1, Ordering::SeqCst);
        }
    }

    async fn revoke(&self, i: usize, share: &Made) {
        let path = format!("/shares/{}", share.id);
        // A failed revoke may still have revoked (the answer was lost): either way the
        // share is checked as revoked if it is gone from the database at the end.
        let _ = self
            .api(i, "revoke", reqwest::Method::DELETE, &path, None)
            .await;
        self.journal
            .shares
            .lock()
            .expect("shares")
            .retain(|m| m.id != share.id);
        self.journal
            .revoked
            .lock()
            .expect("revoked")
            .push(share.clone());
    }

    // ----- visitors -------------------------------------------------------------------------

    /// One visitor: a fresh browser opens a share on a random process and downloads or
    /// uploads.
    async fn visit(&self) {
        let Some(share) = self.journal.live(None) else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        };
        self.journal.visitors.fetch_add(1, Ordering::SeqCst);
        let i = pick(NODES);
        let base = self.nodes[i].base();
        let mut visitor = Visitor::at(&base, true);
        let start = Instant::now();
        let page = visitor
            .try_get_url(&format!("{base}/s/{}", share.key))
            .await;
        let opened = page.as_ref().is_ok_and(|p| p.status == 200);
        self.journal
            .record(i, "visit", start, outcome(page.map(|p| p.status)));
        if !opened {
            return;
        }
        for _ in 0..1 + pick(3) {
            let i = pick(NODES);
            match share.kind {
                Kind::Upload if chance(60) => self.upload(i, &mut visitor, &share).await,
                Kind::Upload => self.download(i, &visitor, &share, "inbox/readme.txt").await,
                Kind::Snapshot => self.download(i, &visitor, &share, "small-1.txt").await,
                Kind::Plain | Kind::Limited => {
                    let file = if chance(20) {
                        "files/big.bin".to_owned()
                    } else {
                        format!("files/small-{}.txt", pick(4))
                    };
                    self.download(i, &visitor, &share, &file).await;
                }
            }
        }
    }

    /// Downloads `file` of `share` through process `i` in this visitor's session: whole,
    /// a byte range, or aborted after the first bytes.
    async fn download(&self, i: usize, visitor: &Visitor, share: &Made, file: &str) {
        let url = format!("{}/s/{}/dl/{file}", self.nodes[i].base(), share.key);
        let mut req = self
            .client
            .post(url)
            .header("cookie", visitor.cookie_header())
            .header("accept", "application/json")
            .header("content-type", FORM)
            .body(format!("csrf={}", visitor.csrf()));
        let (op, abort) = match pick(4) {
            0 => {
                req = req.header("range", format!("bytes={}-{}", pick(8), 8 + pick(64)));
                ("download-range", false)
            }
            1 => ("download-abort", true),
            _ => ("download", false),
        };
        let start = Instant::now();
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) => return self.journal.record(i, op, start, outcome(Err(e))),
        };
        let status = res.status().as_u16();
        let out = if abort {
            let mut res = res;
            let first = res.chunk().await.map(|_| status);
            drop(res);
            first
        } else {
            res.bytes().await.map(|_| status)
        };
        self.journal.record(i, op, start, outcome(out));
    }

    async fn upload(&self, i: usize, visitor: &mut Visitor, share: &Made) {
        let n = self.journal.next();
        let name = format!("u{n}.bin");
        let size = if chance(5) {
            BIG
        } else {
            1024 + pick(64 * 1024)
        };
        let data = vec![u8::try_from(n % 251).unwrap_or(7); size];
        let mut at_node = Visitor::at(&self.nodes[i].base(), true);
        for (k, v) in cookies(visitor) {
            at_node.set_cookie(&k, &v);
        }
        let start = Instant::now();
        let reply = at_node.try_upload(&share.key, "inbox", &name, &data).await;
        let status = reply.as_ref().ok().map(|r| r.status);
        self.journal
            .record(i, "upload", start, outcome(reply.map(|r| r.status)));
        self.journal.uploads.lock().expect("uploads").push(Sent {
            path: format!("soak/inbox/{name}"),
            size: size as u64,
            status,
        });
    }

    // ----- faults -----------------------------------------------------------------------------

    async fn cycle(&self, gap: Duration) {
        tokio::time::sleep(gap).await;
        self.kill_mid_download().await;
        tokio::time::sleep(gap).await;
        self.kill_mid_upload().await;
        tokio::time::sleep(gap).await;
        self.restart_postgres().await;
        tokio::time::sleep(gap).await;
        self.s3_away().await;
        tokio::time::sleep(gap).await;
        self.smtp_away().await;
        tokio::time::sleep(gap).await;
        self.disk_full().await;
    }

    fn window(&self, fault: &'static str, node: Option<usize>, start: Instant, errors: bool) {
        self.journal.windows.lock().expect("windows").push(Window {
            fault,
            node,
            start,
            end: Instant::now(),
            errors_expected: errors,
        });
    }

    /// Waits until every process but `except` answers a visitor (and, with `files`, a
    /// download from the store), without restarting it; records how long each took.
    async fn recovered(&self, fault: &'static str, since: Instant, files: bool) {
        let Some(share) = self.journal.probe.lock().expect("probe").clone() else {
            return;
        };
        for (i, node) in self.nodes.iter().enumerate() {
            let restarts = node.restarts.load(Ordering::SeqCst);
            let mut ok = false;
            while since.elapsed() < RECOVERY {
                let mut v = Visitor::at(&node.base(), true);
                let page = v
                    .try_get_url(&format!("{}/s/{}", node.base(), share.key))
                    .await;
                let mut good = page.is_ok_and(|p| p.status == 200);
                if good && files {
                    let file = v
                        .try_send(
                            self.client
                                .post(format!(
                                    "{}/s/{}/dl/files/small-0.txt",
                                    node.base(),
                                    share.key
                                ))
                                .header("content-type", FORM)
                                .body(format!("csrf={}", v.csrf())),
                        )
                        .await;
                    good = file.is_ok_and(|f| f.status == 200);
                }
                if good {
                    ok = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            if ok && node.restarts.load(Ordering::SeqCst) == restarts {
                self.journal
                    .recoveries
                    .lock()
                    .expect("recoveries")
                    .push((fault.to_owned(), since.elapsed()));
            } else {
                self.journal.fail(format!(
                    "node{i} did not serve again within {RECOVERY:?} after {fault}"
                ));
            }
        }
    }

    /// `kill -9` of node 1 while it sends the large file to a visitor of a use-limited
    /// share; then it is started again.
    async fn kill_mid_download(&self) {
        let node = 1;
        // A fresh one, so its uses are not spent yet.
        let Some(share) = self.create(0, Kind::Limited).await else {
            return;
        };
        let base = self.nodes[node].base();
        let mut visitor = Visitor::at(&base, true);
        let start = Instant::now();
        let opened = visitor
            .try_get_url(&format!("{base}/s/{}", share.key))
            .await
            .is_ok_and(|p| p.status == 200);
        let res = if opened {
            self.client
                .post(format!("{base}/s/{}/dl/files/big.bin", share.key))
                .header("cookie", visitor.cookie_header())
                .header("content-type", FORM)
                .body(format!("csrf={}", visitor.csrf()))
                .send()
                .await
                .ok()
        } else {
            None
        };
        let mut in_flight = false;
        if let Some(mut res) = res.filter(|r| r.status() == 200) {
            // The first bytes arrived: the use is spent; the rest never will.
            in_flight = res.chunk().await.is_ok_and(|c| c.is_some());
            self.nodes[node].kill();
            drop(res);
        } else {
            self.nodes[node].kill();
        }
        if in_flight {
            *self
                .journal
                .killed_downloads
                .lock()
                .expect("killed")
                .entry(share.id)
                .or_default() += 1;
        }
        self.nodes[node].restart(&self.setup.demo).await;
        self.window("kill -9 mid-download", Some(node), start, true);
        self.journal.note(format!(
            "kill -9 of node{node} mid-download (first bytes received: {in_flight}); restarted in {:?}",
            start.elapsed()
        ));
    }

    /// `kill -9` of node 2 while a visitor's upload of the large file is half sent; then it
    /// is started again. The file must never appear.
    async fn kill_mid_upload(&self) {
        let node = 2;
        let Some(share) = self.journal.live(Some(Kind::Upload)) else {
            return;
        };
        let base = self.nodes[node].base();
        let mut visitor = Visitor::at(&base, true);
        let start = Instant::now();
        let opened = visitor
            .try_get_url(&format!("{base}/s/{}", share.key))
            .await
            .is_ok_and(|p| p.status == 200);
        let name = format!("killed{}.bin", self.journal.next());
        if opened {
            let boundary = format!("soak{}", random_tag());
            let head = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"folder\"\r\n\r\ninbox\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                visitor.csrf()
            );
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
            let body = reqwest::Body::wrap_stream(tokio_stream(rx));
            let req = self
                .client
                .post(format!("{base}/s/{}/upload", share.key))
                .header("cookie", visitor.cookie_header())
                .header("accept", "application/json")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send();
            let sending = tokio::spawn(req);
            let _ = tx.send(Ok(Bytes::from(head))).await;
            // Half of a file of twice the large size: more than one multipart part.
            for _ in 0..6 {
                let _ = tx.send(Ok(Bytes::from(vec![9u8; 1024 * 1024]))).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.nodes[node].kill();
            drop(tx);
            // It never completes: whatever the client saw, the file must not appear.
            let _ = sending.await;
            self.journal.uploads.lock().expect("uploads").push(Sent {
                path: format!("soak/inbox/{name}"),
                size: 12 * 1024 * 1024,
                status: None,
            });
        } else {
            self.nodes[node].kill();
        }
        self.nodes[node].restart(&self.setup.demo).await;
        self.window("kill -9 mid-upload", Some(node), start, true);
        self.journal.note(format!(
            "kill -9 of node{node} mid-upload of {name}; restarted in {:?}",
            start.elapsed()
        ));
    }

    async fn restart_postgres(&self) {
        let start = Instant::now();
        shell(&self.setup.pg_stop);
        tokio::time::sleep(Duration::from_secs(3)).await;
        shell(&self.setup.pg_start);
        let back = Instant::now();
        self.recovered("PostgreSQL restart", back, false).await;
        self.window("PostgreSQL restart", None, start, true);
        self.journal.note(format!(
            "PostgreSQL stopped and started ({:?} down); every process served again after {:?}",
            back - start,
            back.elapsed()
        ));
    }

    async fn s3_away(&self) {
        let start = Instant::now();
        self.s3_cut.cut();
        // Revokes while the store is away: the snapshot copy must still go.
        tokio::time::sleep(Duration::from_secs(5)).await;
        for _ in 0..2 {
            if let Some(share) = self.journal.live(Some(Kind::Snapshot)) {
                self.revoke(pick(NODES), &share).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(15)).await;
        self.s3_cut.restore().await;
        let back = Instant::now();
        self.recovered("S3 away 20 s", back, true).await;
        self.window("S3 away 20 s", None, start, true);
        self.journal.note(format!(
            "S3 away for {:?}; every process served files again after {:?}",
            back - start,
            back.elapsed()
        ));
    }

    async fn smtp_away(&self) {
        let start = Instant::now();
        self.smtp_cut.cut();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(15)).await;
            if let Some(share) = self.journal.live(None) {
                self.share_by_email(pick(NODES), &share).await;
            }
        }
        self.smtp_cut.restore().await;
        let back = Instant::now();
        self.recovered("SMTP away 60 s", back, false).await;
        // Nothing but mail depends on SMTP: no 5xx is expected meanwhile.
        self.window("SMTP away 60 s", None, start, false);
        self.journal
            .note(format!("SMTP away for {:?}", back - start));
    }

    /// Fills the fifth process's tmpfs with uploads until one fails for want of space;
    /// nothing of that one may stay, and once space is freed (without a restart) the same
    /// upload succeeds.
    async fn disk_full(&self) {
        let i = NODES;
        let start = Instant::now();
        let body = serde_json::json!({
            "name": "disk full",
            "items": [{"path": "projects"}],
            "settings": {"allowed": serde_json::to_value(AllowedActions::UploadDownload)
                .expect("JSON")},
        });
        let Some(made) = self
            .api(i, "create", reqwest::Method::POST, "/shares", Some(body))
            .await
        else {
            self.journal
                .fail("the disk-full process refused to create a share".to_owned());
            return;
        };
        let key = made["key"].as_str().unwrap_or_default().to_owned();
        let base = self.disk_node.base();
        let mut visitor = Visitor::at(&base, true);
        let _ = visitor.try_get_url(&format!("{base}/s/{key}")).await;
        let data = vec![5u8; 3 * 1024 * 1024];
        let mut stored = Vec::new();
        let mut refused = None;
        for _ in 0..40 {
            let name = format!("fill{}.bin", self.journal.next());
            let started = Instant::now();
            let reply = visitor.try_upload(&key, "projects", &name, &data).await;
            let status = reply.as_ref().ok().map(|r| r.status);
            self.journal.record(
                i,
                "upload (disk)",
                started,
                outcome(reply.map(|r| r.status)),
            );
            match status {
                Some(s) if s < 300 => stored.push(name),
                other => {
                    refused = Some((name, other));
                    break;
                }
            }
        }
        let files = self.setup.disk.join("files/projects");
        let Some((name, status)) = refused else {
            self.journal.fail(
                "the tmpfs never filled up: the disk-full fault was not exercised".to_owned(),
            );
            return;
        };
        // Refused as what it is: the store has no room (507), not a server fault.
        if status != Some(507) {
            self.journal.fail(format!(
                "an upload on a full disk answered {status:?}, not 507 (no space)"
            ));
        }
        // Nothing of the refused upload stays, under its name or beside it.
        let left: Vec<String> = std::fs::read_dir(&files)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("fill") && !stored.contains(n))
                    .collect()
            })
            .unwrap_or_default();
        if !left.is_empty() {
            self.journal.fail(format!(
                "a refused upload on a full disk left {left:?} in {}",
                files.display()
            ));
        }
        for n in &stored {
            let size = std::fs::metadata(files.join(n))
                .map(|m| m.len())
                .unwrap_or(0);
            if size != data.len() as u64 {
                self.journal
                    .fail(format!("stored upload {n} has {size} bytes on the disk"));
            }
        }
        // Space is freed; the same process takes the upload now.
        for n in &stored {
            let _ = std::fs::remove_file(files.join(n));
        }
        let again = visitor.try_upload(&key, "projects", &name, &data).await;
        let again = again.map(|r| r.status).ok();
        if again.is_none_or(|s| s >= 300) {
            self.journal.fail(format!(
                "after space was freed the disk-full process answered {again:?} to an upload"
            ));
        }
        let _ = std::fs::remove_file(files.join(&name));
        self.window("local disk full", Some(i), start, true);
        self.journal.note(format!(
            "disk full after {} uploads of 3 MiB: refused with {status:?}; after freeing space \
             the same process stored it ({again:?})",
            stored.len()
        ));
    }

    // ----- the end ----------------------------------------------------------------------------

    async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }

    /// Waits until no mail is pending (the retries after the SMTP outage), up to six
    /// minutes (a mail claimed by a killed process waits out its five-minute lease).
    async fn wait_for_mail(&self) -> Duration {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(360) {
            let pending = self
                .scalar("SELECT COUNT(*) FROM sl_mail_queue WHERE state = 'pending'")
                .await;
            if pending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        start.elapsed()
    }

    async fn rows(&self, sql: &str) -> Vec<sea_orm::QueryResult> {
        self.db
            .query_all_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn check(&self) -> Figures {
        let mut figures = Figures::default();
        let j = &self.journal;

        // No use limit exceeded; every counted download logged.
        let killed = j.killed_downloads.lock().expect("killed").clone();
        for row in self
            .rows(
                "SELECT s.id, s.use_max, s.uses, \
                 (SELECT COUNT(*) FROM sl_log_events e WHERE e.share_id = s.id \
                  AND e.kind IN ('download', 'download_all')) \
                 FROM sl_shares s WHERE s.use_max IS NOT NULL",
            )
            .await
        {
            let id: i64 = row.try_get_by_index(0).expect("id");
            let max: i64 = row.try_get_by_index(1).expect("use_max");
            let uses: i64 = row.try_get_by_index(2).expect("uses");
            let logged: i64 = row.try_get_by_index(3).expect("logged");
            if uses > max {
                j.fail(format!("share {id} spent {uses} uses of {max}"));
            }
            let lost = i64::from(killed.get(&id).copied().unwrap_or(0));
            if uses > logged + lost {
                j.fail(format!(
                    "share {id} counted {uses} downloads but logged {logged} \
                     ({lost} in flight in a killed process)"
                ));
            }
        }

        // No partial or orphaned upload visible.
        let inbox = SharePath::parse("soak/inbox").expect("path");
        let listed: HashMap<String, u64> = self
            .store
            .list(&inbox)
            .await
            .expect("the inbox listing")
            .into_iter()
            .map(|e| (e.path.to_string(), e.size))
            .collect();
        let uploads = j.uploads.lock().expect("uploads").clone();
        for sent in &uploads {
            match (listed.get(&sent.path), sent.status) {
                (Some(size), Some(s)) if s < 300 && *size != sent.size => j.fail(format!(
                    "upload {} is visible with {size} of its {} bytes",
                    sent.path, sent.size
                )),
                (None, Some(s)) if s < 300 => {
                    j.fail(format!(
                        "upload {} was acknowledged but is missing",
                        sent.path
                    ));
                }
                (Some(size), status) if status.is_none_or(|s| s >= 300) && *size != sent.size => {
                    j.fail(format!(
                        "failed upload {} is visible with {size} of its {} bytes",
                        sent.path, sent.size
                    ));
                }
                _ => {}
            }
        }
        let known: HashSet<&str> = uploads.iter().map(|s| s.path.as_str()).collect();
        for path in listed.keys() {
            if !known.contains(path.as_str()) && !path.ends_with("readme.txt") {
                j.fail(format!("{path} is in the inbox but no visitor uploaded it"));
            }
        }
        let multipart = self
            .client
            .get(format!(
                "{}/{}?uploads&prefix={}/",
                self.setup.s3_endpoint, self.setup.s3_bucket, self.prefix
            ))
            .send()
            .await
            .expect("the S3 server")
            .text()
            .await
            .unwrap_or_default();
        figures.incomplete_multipart = multipart.matches("<Upload>").count();

        // No snapshot copy without its share.
        let items: Vec<String> = self
            .rows("SELECT items FROM sl_shares")
            .await
            .into_iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        let snapshots = SharePath::parse(".sharelink/snapshots").expect("path");
        let folders = self.store.list(&snapshots).await.unwrap_or_default();
        figures.snapshot_folders = folders.len();
        let revoked = j.revoked.lock().expect("revoked").clone();
        for folder in folders {
            let path = folder.path.to_string();
            if items.iter().any(|i| i.contains(&format!("{path}/"))) {
                continue;
            }
            match revoked
                .iter()
                .find(|m| m.snapshot.as_deref() == Some(&path))
            {
                Some(m) => j.fail(format!(
                    "the snapshot copy {path} of revoked share {} is still stored",
                    m.id
                )),
                None => j.fail(format!("the snapshot copy {path} belongs to no share")),
            }
        }

        // Every queued mail sent or dead-lettered, and the sent ones in the mailbox.
        for row in self
            .rows("SELECT state, COUNT(*) FROM sl_mail_queue GROUP BY state")
            .await
        {
            let state: String = row.try_get_by_index(0).expect("state");
            let count: i64 = row.try_get_by_index(1).expect("count");
            if state == "pending" {
                j.fail(format!("{count} mail(s) still pending at the end"));
            }
            figures.mail.insert(state, count);
        }
        let sent: Vec<String> = self
            .rows("SELECT recipient FROM sl_mail_queue WHERE state = 'sent'")
            .await
            .into_iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        let mailbox: Vec<serde_json::Value> = self
            .client
            .get(format!("{}/api/email", self.setup.smtp_api))
            .send()
            .await
            .expect("MailDev")
            .json()
            .await
            .expect("MailDev's JSON");
        figures.maildev_messages = mailbox.len();
        let mut received: HashMap<String, usize> = HashMap::new();
        for m in &mailbox {
            for to in m["to"].as_array().into_iter().flatten() {
                if let Some(a) = to["address"].as_str() {
                    *received.entry(a.to_lowercase()).or_default() += 1;
                }
            }
        }
        let mut expected: HashMap<String, usize> = HashMap::new();
        for r in sent {
            *expected.entry(r.to_lowercase()).or_default() += 1;
        }
        for (to, n) in expected {
            let got = received.get(&to).copied().unwrap_or(0);
            if got < n {
                j.fail(format!("{n} mail(s) to {to} marked sent, {got} in MailDev"));
            }
        }

        // No 5xx, no failed connection outside the fault windows.
        let windows = j.windows.lock().expect("windows").clone();
        let records = j.records.lock().expect("records").clone();
        let mut outside = 0;
        for r in &records {
            let bad = r.status.is_none_or(|s| s >= 500);
            if !bad {
                continue;
            }
            let covered = windows.iter().any(|w| w.errors_expected && w.covers(r));
            if !covered {
                outside += 1;
                if outside <= 20 {
                    j.fail(format!(
                        "{} on node{} answered {:?} {} outside every fault window",
                        r.op,
                        r.node,
                        r.status,
                        r.error.as_deref().unwrap_or_default()
                    ));
                }
            }
        }
        if outside > 20 {
            j.fail(format!(
                "… {} more outside every fault window",
                outside - 20
            ));
        }
        figures
    }

    fn report(&self, f: &Figures, began: time::OffsetDateTime, failures: &[String]) -> String {
        let j = &self.journal;
        let records = j.records.lock().expect("records");
        let windows = j.windows.lock().expect("windows");
        let mut by_op: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
        for r in records.iter() {
            let key = r.status.map_or("error".to_owned(), |s| s.to_string());
            *by_op.entry(r.op).or_default().entry(key).or_default() += 1;
        }
        let mut faults: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for w in windows.iter() {
            let inside = records
                .iter()
                .filter(|r| w.covers(r) && r.status.is_none_or(|s| s >= 500))
                .count();
            let e = faults.entry(w.fault).or_default();
            e.0 += 1;
            e.1 += inside;
        }
        let mut recovery: BTreeMap<String, Duration> = BTreeMap::new();
        for (fault, d) in j.recoveries.lock().expect("recoveries").iter() {
            let e = recovery.entry(fault.clone()).or_default();
            *e = (*e).max(*d);
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "soak run of {} (UTC), {} s, {} fault cycle(s), {} processes on one PostgreSQL \
             database + 1 on a tmpfs",
            began
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            f.seconds,
            f.cycles,
            NODES
        );
        let _ = writeln!(
            out,
            "requests: {} ({} visitors, {} shares made, {} revoked, {} emails queued)",
            records.len(),
            j.visitors.load(Ordering::SeqCst),
            j.made.load(Ordering::SeqCst),
            j.revoked.lock().expect("revoked").len(),
            j.emails.load(Ordering::SeqCst)
        );
        for (op, statuses) in &by_op {
            let list: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
            let _ = writeln!(out, "  {op}: {}", list.join(" "));
        }
        let _ = writeln!(
            out,
            "faults (times injected, 5xx/failed connections inside):"
        );
        for (fault, (n, inside)) in &faults {
            let worst = recovery.get(*fault).map_or(String::new(), |d| {
                format!(", slowest recovery {:.1} s", d.as_secs_f64())
            });
            let _ = writeln!(out, "  {fault}: {n}×, {inside} inside{worst}");
        }
        let _ = writeln!(
            out,
            "mail: {:?} by state, {} messages in MailDev, queue drained {:.1} s after the run",
            f.mail,
            f.maildev_messages,
            f.mail_wait.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "store: {} snapshot folder(s) left (all owned by live shares unless listed below), \
             {} incomplete multipart upload(s) (invisible; left by killed uploads)",
            f.snapshot_folders, f.incomplete_multipart
        );
        for n in j.notes.lock().expect("notes").iter() {
            let _ = writeln!(out, "  note: {n}");
        }
        if failures.is_empty() {
            let _ = writeln!(out, "invariants: all held");
        } else {
            let _ = writeln!(out, "invariants: {} broken", failures.len());
            for f in failures {
                let _ = writeln!(out, "  {f}");
            }
        }
        out
    }
}

/// The cookies of a browser, to carry its session to another process.
fn cookies(visitor: &Visitor) -> Vec<(String, String)> {
    visitor
        .cookie_header()
        .split("; ")
        .filter_map(|c| c.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A stream of what comes through `rx`.
fn tokio_stream(
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
}

/// Runs a shell command of the setup; panics when it fails.
fn shell(command: &str) {
    let status = std::process::Command::new("sh")
        .args(["-c", command])
        .status()
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    assert!(status.success(), "{command}: {status}");
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The files the shares point at: four small ones, one large, and an upload folder.
async fn seed(store: &ObjectFileStore) {
    use sharelink_core::ports::{ByteStream, FileStoreError, WriteOptions};
    let mut files: Vec<(String, Bytes)> = (0..4)
        .map(|i| {
            (
                format!("soak/files/small-{i}.txt"),
                Bytes::from(format!("small file {i}\n").repeat(64)),
            )
        })
        .collect();
    let big: Vec<u8> = (0..BIG)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    files.push(("soak/files/big.bin".to_owned(), Bytes::from(big)));
    files.push((
        "soak/inbox/readme.txt".to_owned(),
        Bytes::from_static(b"uploads land here\n"),
    ));
    for (path, data) in files {
        let body: ByteStream = Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(data)]));
        store
            .write(
                &SharePath::parse(&path).expect("path"),
                body,
                WriteOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("seeding {path}: {e}"));
    }
}

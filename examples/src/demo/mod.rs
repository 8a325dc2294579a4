//! The demo server: sharelink over SQLite, a local folder and an outbox folder, with two
//! built-in users, a sign-in form and a small management page.
//!
//! [`DemoConfig`] says where things live; [`build`] wires every port into a
//! [`Sharelink`] and returns the whole axum application (the demo's pages at `/`, the
//! sharelink router nested at `/share`), which the binary runs with
//! [`sharelink_http::serve`]; [`cli`] is its command line.

pub mod cli;
pub mod crawl;
pub mod crawl_command;
pub mod metrics;
pub mod migrate_db;
pub mod move_storage;
pub mod pages;
pub mod users;

use axum::Router;
use bytes::Bytes;
use cli::SiteArgs;
use sharelink_core::ports::{
    ByteStream, FileStore, FileStoreError, Mailer, RandomSourceExt, WriteOptions,
};
use sharelink_core::service::{Config, Housekeeping, JobPeriods, Ports, Sharelink};
use sharelink_core::{Email, SharePath};
use sharelink_http::{HttpConfig, SharelinkState, TokioBlockingRunner};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use users::DemoUsers;

/// Any error of the demo's setup.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where the demo keeps its data and how it is reached.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Folder for the embedded defaults (`sharelink.db`, `files/`, `outbox/`).
    pub data_dir: PathBuf,
    /// Database URL (default: SQLite at `<data_dir>/sharelink.db`); `postgres://…` for
    /// PostgreSQL.
    pub database: Option<String>,
    /// Storage URL (default: the local folder `<data_dir>/files`); `s3://…` for S3.
    pub storage: Option<String>,
    /// SMTP URL (default: `.eml` files in `<data_dir>/outbox`).
    pub smtp: Option<String>,
    /// The address browsers use to reach the server, e.g. `http://127.0.0.1:8080`
    /// (links are built from it).
    pub public_url: String,
    /// Failed password or code attempts allowed per client and per share within the
    /// counting window (default: the site defaults, 5 and 100 per 15 minutes). The
    /// benchmarks raise it so that every guess is checked.
    pub attempt_limit: Option<u32>,
    /// Whether this process runs the housekeeper (purge and expiry reminders, each once
    /// per period across every process on the database). On by default.
    pub housekeeping: bool,
    /// The initial site settings' flags (in effect until an administrator saves others).
    pub site: SiteArgs,
}

impl DemoConfig {
    /// The embedded defaults under `data_dir`, reached at `public_url`.
    pub fn new(data_dir: impl Into<PathBuf>, public_url: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database: None,
            storage: None,
            smtp: None,
            public_url: public_url.into(),
            attempt_limit: None,
            housekeeping: true,
            site: SiteArgs::default(),
        }
    }
}

/// The built demo: the axum application and the pieces tests may want to look at.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The whole application (demo pages at `/`, sharelink at `/share`).
    pub router: Router,
    /// The sharelink application.
    pub sharelink: Sharelink,
    /// The built-in users and their sessions.
    pub users: DemoUsers,
}

/// The sample files written into an empty store on first start.
pub const SAMPLE_FILES: &[(&str, &str)] = &[
    (
        "projects/apollo/plan.txt",
        "Apollo plan\n1. Design\n2. Build\n3. Launch\n",
    ),
    (
        "projects/apollo/budget.csv",
        "item,cost\nservers,1200\nlicences,300\n",
    ),
    (
        "projects/zephyr/notes.md",
        "# Zephyr\nKick-off on Monday. Bring ideas.\n",
    ),
    ("reports/2026-q3.txt", "Q3 2026: revenue +12%, costs -3%.\n"),
    ("reports/summary.csv", "quarter,revenue\nQ2,100\nQ3,112\n"),
    ("hr/salaries.csv", "name,salary\n(confidential)\n"),
    (
        "README.txt",
        "Sample files of the sharelink demo. Sign in as alice or admin.\n",
    ),
];

/// Builds the demo: opens (or creates) the database, the file store (seeding the sample
/// tree when it is empty) and the mailer, starts the mail worker (mail is queued in the
/// database and delivered every second, with retries), the webhook worker (events in the
/// database's outbox, posted signed every second, with retries) and, unless turned off, the
/// housekeeper, and returns the application.
///
/// # Errors
/// When a folder cannot be created or a backend cannot be opened.
pub async fn build(config: &DemoConfig) -> Result<Demo, BoxError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let data_dir = std::fs::canonicalize(&config.data_dir)?;
    let store = database(config, &data_dir).await?;
    let queue = store.mail_queue();
    let webhooks = store.webhooks();
    let lease = store.lease();
    let digests = store.digests();
    let site_store = store.site_settings();
    let (repo, log) = store.ports();
    let files = storage(config, &data_dir)?;
    seed(files.as_ref()).await?;
    let mailer = mailer(config, &data_dir)?;
    let users = DemoUsers::default();
    let base = config.public_url.trim_end_matches('/');
    // Mail goes through the database's queue, so an SMTP outage loses none of it.
    let ports = Ports::new(repo, log, files, mailer, Arc::new(users.clone()))
        .with_mail_queue(queue)
        .with_digests(digests)
        // Events go to the database's webhook outbox; the worker below posts them.
        .with_webhooks(
            webhooks,
            Arc::new(sharelink_http::HyperWebhookTransport::new(
                std::time::Duration::from_secs(10),
            )?),
        )
        .with_blocking(Arc::new(TokioBlockingRunner))
        // Saved site settings live in the database, shared by every process on it.
        .with_site_store(site_store);
    let mut site = sharelink_core::SiteSettings {
        // Let the page show custom keys (off by default).
        custom_keys: sharelink_core::CustomKeyRules {
            allowed: true,
            min_len: 8,
        },
        notification_sender: Email::parse("noreply@demo.example").ok(),
        ..Default::default()
    };
    if let Some(limit) = config.attempt_limit {
        site.attempts.per_client = limit;
        site.attempts.per_share = limit;
        site.attempts.per_network = limit;
    }
    let site = config.site.apply(site);
    let sharelink = Sharelink::new(
        ports,
        Config::new(sharelink_http::link_base(base, "/share")).with_site(site),
    )?;
    let secure_cookies = base.starts_with("https://");
    let http = HttpConfig {
        secure_cookies,
        ..HttpConfig::default()
    };
    // Detached: it runs as long as the runtime that built the demo.
    drop(sharelink_http::spawn_mail_worker(
        sharelink.clone(),
        std::time::Duration::from_secs(1),
    ));
    drop(sharelink_http::spawn_webhook_worker(
        sharelink.clone(),
        std::time::Duration::from_secs(1),
    ));
    if config.housekeeping {
        // Detached like the mail worker. The holder names this process in the lease table.
        let holder = format!(
            "demo-{}-{}",
            std::process::id(),
            sharelink.ports().random.next_u64()
        );
        let jobs = Housekeeping::new(sharelink.clone(), lease, holder, JobPeriods::default());
        drop(sharelink_http::spawn_housekeeper(
            jobs,
            std::time::Duration::from_secs(60),
        ));
    }
    let state = SharelinkState::new(sharelink.clone(), Arc::new(users.clone()), http);
    let router = pages::routes(pages::PageState {
        sharelink: sharelink.clone(),
        users: users.clone(),
        secure_cookies,
    })
    .nest("/share", sharelink_http::router(state));
    Ok(Demo {
        router,
        sharelink,
        users,
    })
}

async fn database(
    config: &DemoConfig,
    data_dir: &Path,
) -> Result<sharelink_store_sql::SqlStore, BoxError> {
    let url = match &config.database {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("sharelink.db").display()
        ),
    };
    Ok(sharelink_store_sql::connect(&url).await?)
}

fn storage(config: &DemoConfig, data_dir: &Path) -> Result<Arc<dyn FileStore>, BoxError> {
    let url = match &config.storage {
        Some(url) => url.clone(),
        None => {
            let dir = data_dir.join("files");
            std::fs::create_dir_all(&dir)?;
            format!("file://{}", dir.display())
        }
    };
    Ok(Arc::new(sharelink_storage::ObjectFileStore::from_url(
        &url,
    )?))
}

fn mailer(config: &DemoConfig, data_dir: &Path) -> Result<Arc<dyn Mailer>, BoxError> {
    let sender = Email::parse("noreply@demo.example")?;
    Ok(match &config.smtp {
        Some(url) => Arc::new(sharelink_mail::SmtpMailer::new(
            sharelink_mail::SmtpConfig::from_url(url, sender)?,
        )?),
        None => Arc::new(sharelink_mail::OutboxMailer::new(
            data_dir.join("outbox"),
            sender,
        )?),
    })
}

/// Writes [`SAMPLE_FILES`] when the store is empty.
async fn seed(files: &dyn FileStore) -> Result<(), BoxError> {
    if !files.list(&SharePath::root()).await?.is_empty() {
        return Ok(());
    }
    for (path, text) in SAMPLE_FILES {
        let body: ByteStream = Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(
            Bytes::from_static(text.as_bytes()),
        )]));
        files
            .write(&SharePath::parse(path)?, body, WriteOptions::default())
            .await?;
    }
    Ok(())
}

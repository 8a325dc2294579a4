//! Fresh, isolated databases for tests (feature `testing`), on every backend the
//! environment names.
//!
//! | backend | where | variable |
//! |---|---|---|
//! | [`TestBackend::Sqlite`] | a new file in a temporary folder, removed with it | none: always available |
//! | [`TestBackend::SqliteMemory`] | `sqlite::memory:` (one connection) | none: always available |
//! | [`TestBackend::Postgres`] | a new database `sl_test_<random>` on the server, dropped `WITH (FORCE)` | [`POSTGRES_VAR`] (`SHARELINK_TEST_POSTGRES_URL`) |
//! | [`TestBackend::MySql`] | a new database `sl_test_<random>` on the server, dropped | [`MYSQL_VAR`] (`SHARELINK_TEST_MYSQL_URL`) |
//!
//! The variables hold an admin URL (a user allowed to create databases). A variable that
//! is unset means the backend is not tested here: [`TestBackend::configured`] says so
//! with a notice and [`run`] skips the case. A variable that is set while its server is
//! down is a failure, never a skip: the first [`TestDatabase::create`] of a test binary
//! tries the server's address once (two seconds at most) and, when nothing answers,
//! returns [`TestDatabaseError::NoAnswer`] naming the variable and the address; every
//! later call in the same binary gets the same answer at once, so a suite of hundreds of
//! cases fails in seconds rather than waiting out a connect timeout per case.
//!
//! [`TestDatabase`] is the building block: it owns one database and removes it when
//! dropped. [`run`], [`fresh_url`] and [`fresh_store`] are for test cases that cannot
//! hold on to it (the conformance macros hand a case only the ports): the databases they
//! create live until the surrounding [`run`] returns, pass or fail.
//!
//! ```
//! use sharelink_store_sql::testing::{TestBackend, fresh_store, run};
//!
//! run(TestBackend::Sqlite, async {
//!     let store = fresh_store(TestBackend::Sqlite).await;
//!     assert_eq!(store.backend(), sharelink_store_sql::DbBackend::Sqlite);
//! });
//! ```

use crate::{SqlStore, StoreConfig};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbErr};
use sharelink_core::ports::{OsRandom, RandomSourceExt};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

/// The variable naming the PostgreSQL server tests may create databases on.
pub const POSTGRES_VAR: &str = "SHARELINK_TEST_POSTGRES_URL";
/// The variable naming the MySQL / MariaDB server tests may create databases on.
pub const MYSQL_VAR: &str = "SHARELINK_TEST_MYSQL_URL";

/// How long reaching a configured server may take before the test fails.
const SERVER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the once-per-binary check waits for a configured server's port to answer.
const PORT_TIMEOUT: Duration = Duration::from_secs(2);

/// A database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestBackend {
    /// A fresh SQLite file in a temporary folder (always available).
    Sqlite,
    /// `sqlite::memory:`: a database private to the one connection of its pool.
    SqliteMemory,
    /// A fresh database on the server [`POSTGRES_VAR`] names.
    Postgres,
    /// A fresh database on the MySQL / MariaDB server [`MYSQL_VAR`] names.
    MySql,
}

impl TestBackend {
    /// The variable naming this backend's server (`None` for SQLite).
    pub fn variable(self) -> Option<&'static str> {
        match self {
            TestBackend::Sqlite | TestBackend::SqliteMemory => None,
            TestBackend::Postgres => Some(POSTGRES_VAR),
            TestBackend::MySql => Some(MYSQL_VAR),
        }
    }

    /// The admin URL of this backend's server, when the environment names one.
    pub fn server_url(self) -> Option<String> {
        let variable = self.variable()?;
        std::env::var(variable)
            .ok()
            .filter(|url| !url.trim().is_empty())
    }

    /// Whether this backend can be tested here (SQLite always; a server when its
    /// variable is set). Prints a notice when it cannot.
    pub fn configured(self) -> bool {
        match self.variable() {
            None => true,
            Some(variable) => {
                let set = self.server_url().is_some();
                if !set {
                    eprintln!("notice: {variable} is not set; skipping this {self:?} case");
                }
                set
            }
        }
    }
}

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestDatabaseError {
    /// The backend's variable is unset (check [`TestBackend::configured`] first).
    #[error("{variable} is not set")]
    NotConfigured {
        /// The variable.
        variable: &'static str,
    },
    /// The variable is set but nothing answers at its address (found once per test
    /// binary, then repeated at once): a failure, not a skip.
    #[error("{variable} is set but nothing answers at {address}: {reason}")]
    NoAnswer {
        /// The variable naming the server.
        variable: &'static str,
        /// The address it names (`host:port`).
        address: String,
        /// Why: the connect error, or that the URL names no address.
        reason: String,
    },
    /// The variable is set but its server cannot be reached: a failure, not a skip.
    #[error("{variable} is set but the server is unreachable")]
    Unreachable {
        /// The variable naming the server.
        variable: &'static str,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// The server refused to create the database.
    #[error("cannot create the test database {name}")]
    Create {
        /// The database's name.
        name: String,
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// No temporary folder for an SQLite file.
    #[error("cannot create a temporary folder for an SQLite test database")]
    TempDir {
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
}

/// A database on a server, created for one test.
struct ServerDatabase {
    admin_url: String,
    name: String,
    postgres: bool,
}

/// One empty database for one test, removed when dropped (a server's database is
/// dropped from a thread of its own, so dropping inside a runtime, or while a failed test
/// unwinds, is fine).
pub struct TestDatabase {
    backend: TestBackend,
    url: String,
    server: Option<ServerDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the URL: it may hold a password.
        f.debug_struct("TestDatabase")
            .field("backend", &self.backend)
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// A fresh, empty database on `backend`, on the server its variable names.
    ///
    /// # Errors
    /// [`TestDatabaseError::NotConfigured`] when the variable is unset,
    /// [`TestDatabaseError::NoAnswer`] when nothing listens at its address (checked once
    /// per test binary), [`TestDatabaseError::Unreachable`] when its server does not
    /// answer within five seconds, [`TestDatabaseError::Create`] or
    /// [`TestDatabaseError::TempDir`].
    pub async fn create(backend: TestBackend) -> Result<Self, TestDatabaseError> {
        match backend.variable() {
            None => Self::create_on(backend, "").await,
            Some(variable) => {
                let admin_url = backend
                    .server_url()
                    .ok_or(TestDatabaseError::NotConfigured { variable })?;
                answers_once(backend, variable, &admin_url)?;
                Self::create_on(backend, &admin_url).await
            }
        }
    }

    /// A fresh, empty database on the server at `admin_url` (ignored for SQLite), for
    /// callers that name the server themselves (benchmarks).
    ///
    /// # Errors
    /// As [`TestDatabase::create`].
    pub async fn create_on(
        backend: TestBackend,
        admin_url: &str,
    ) -> Result<Self, TestDatabaseError> {
        let variable = backend.variable();
        let Some(variable) = variable else {
            return Ok(match backend {
                TestBackend::SqliteMemory => Self {
                    backend,
                    url: "sqlite::memory:".to_owned(),
                    server: None,
                    _dir: None,
                },
                _ => {
                    let dir = tempfile::tempdir()
                        .map_err(|source| TestDatabaseError::TempDir { source })?;
                    let url = format!("sqlite://{}", dir.path().join("sharelink.db").display());
                    Self {
                        backend,
                        url,
                        server: None,
                        _dir: Some(dir),
                    }
                }
            });
        };
        let name = format!("sl_test_{}", OsRandom.string_from(b"0123456789abcdef", 16));
        let admin = connect_admin(admin_url)
            .await
            .map_err(|source| TestDatabaseError::Unreachable { variable, source })?;
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await;
        let _ = admin.close().await;
        created.map_err(|source| TestDatabaseError::Create {
            name: name.clone(),
            source,
        })?;
        Ok(Self {
            backend,
            url: with_database(admin_url, &name),
            server: Some(ServerDatabase {
                admin_url: admin_url.to_owned(),
                name,
                postgres: backend == TestBackend::Postgres,
            }),
            _dir: None,
        })
    }

    /// The backend it lives on.
    pub fn backend(&self) -> TestBackend {
        self.backend
    }

    /// The database's URL, for [`crate::connect`] or [`StoreConfig::new`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name on its server (`None` for SQLite).
    pub fn name(&self) -> Option<&str> {
        self.server.as_ref().map(|s| s.name.as_str())
    }

    /// Opens (and migrates) a store on this database. Each call opens a pool of its own,
    /// like another node would; for [`TestBackend::SqliteMemory`] each call is a new,
    /// separate database.
    ///
    /// # Errors
    /// As [`StoreConfig::connect`].
    pub async fn connect(&self) -> Result<SqlStore, crate::Error> {
        StoreConfig::new(&self.url).connect().await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        // A thread and runtime of its own: this may run inside a runtime, or while
        // unwinding out of one.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(drop_database(server));
        })
        .join();
    }
}

/// Whether something listens at the address of `backend`'s server: tried once per test
/// binary (the first caller waits at most [`PORT_TIMEOUT`]; the test threads calling at
/// the same time wait for its answer), then answered from memory.
fn answers_once(
    backend: TestBackend,
    variable: &'static str,
    admin_url: &str,
) -> Result<(), TestDatabaseError> {
    static POSTGRES: OnceLock<Result<(), (String, String)>> = OnceLock::new();
    static MYSQL: OnceLock<Result<(), (String, String)>> = OnceLock::new();
    let (cell, default_port) = match backend {
        TestBackend::Postgres => (&POSTGRES, 5432),
        TestBackend::MySql => (&MYSQL, 3306),
        TestBackend::Sqlite | TestBackend::SqliteMemory => return Ok(()),
    };
    cell.get_or_init(|| port_answers(admin_url, default_port))
        .clone()
        .map_err(|(address, reason)| TestDatabaseError::NoAnswer {
            variable,
            address,
            reason,
        })
}

/// Connects to the host and port of `url` (`default_port` when it names none) and hangs
/// up; on failure, the address tried and why. A URL without a host (a Unix socket) is
/// left to the driver.
fn port_answers(url: &str, default_port: u16) -> Result<(), (String, String)> {
    let parsed = url::Url::parse(url).map_err(|e| (crate::config::redact(url), e.to_string()))?;
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Ok(());
    };
    let address = format!("{host}:{}", parsed.port().unwrap_or(default_port));
    let resolved: Vec<SocketAddr> = (host, parsed.port().unwrap_or(default_port))
        .to_socket_addrs()
        .map_err(|e| (address.clone(), format!("does not resolve: {e}")))?
        .collect();
    let mut last = format!("{host} has no address");
    for socket in resolved {
        match TcpStream::connect_timeout(&socket, PORT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err((address, last))
}

/// An admin connection that gives up quickly when the server is down.
async fn connect_admin(admin_url: &str) -> Result<sea_orm::DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(admin_url);
    opts.max_connections(1)
        .connect_timeout(SERVER_TIMEOUT)
        .acquire_timeout(SERVER_TIMEOUT)
        .sqlx_logging(false);
    Database::connect(opts).await
}

/// Drops the database, best effort: a leftover is reported, never a failure.
async fn drop_database(server: ServerDatabase) {
    let ServerDatabase {
        admin_url,
        name,
        postgres,
    } = server;
    let Ok(admin) = connect_admin(&admin_url).await else {
        eprintln!("notice: could not reach the server to drop test database {name}");
        return;
    };
    let sql = if postgres {
        // Pools of the test may still hold connections.
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    } else {
        format!("DROP DATABASE IF EXISTS {name}")
    };
    if let Err(e) = admin.execute_unprepared(&sql).await {
        eprintln!("notice: could not drop test database {name}: {e}");
    }
    let _ = admin.close().await;
}

/// `url` with its database (the last path segment) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

// ----- cases that cannot hold their database ----------------------------------------------

thread_local! {
    /// The databases of the case [`run`] is running on this thread; `None` outside one.
    static CASE_DATABASES: RefCell<Option<Vec<TestDatabase>>> = const { RefCell::new(None) };
}

/// A multi-threaded runtime, as a server would use.
///
/// # Panics
/// When the runtime cannot be built.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs one test case on a fresh [`runtime`], or skips it (with a notice) when `backend`
/// is not configured; then removes the databases the case made with [`fresh_url`] or
/// [`fresh_store`], even when it panicked.
///
/// # Panics
/// When the case panics (that is its failure).
pub fn run<F: Future<Output = ()>>(backend: TestBackend, case: F) {
    if !backend.configured() {
        return;
    }
    CASE_DATABASES.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let _cleanup = CaseCleanup;
    let rt = runtime();
    rt.block_on(case);
    // Dropping the runtime (before `_cleanup`) closes the case's pools.
}

/// Drops the case's databases when [`run`] returns or unwinds.
struct CaseCleanup;

impl Drop for CaseCleanup {
    fn drop(&mut self) {
        let databases = CASE_DATABASES.with(|c| c.borrow_mut().take());
        drop(databases);
    }
}

/// The URL of a new, empty database on `backend`, removed when the surrounding [`run`]
/// ends.
///
/// # Panics
/// Outside [`run`], and when the database cannot be made (its server is configured but
/// unreachable, say): that is a failure, not a skip.
pub async fn fresh_url(backend: TestBackend) -> String {
    let database = TestDatabase::create(backend)
        .await
        .unwrap_or_else(|e| panic!("a fresh {backend:?} database: {}", chain(&e)));
    let url = database.url().to_owned();
    CASE_DATABASES.with(|c| match c.borrow_mut().as_mut() {
        Some(databases) => databases.push(database),
        None => panic!("fresh_url and fresh_store must be called inside testing::run"),
    });
    url
}

/// A migrated store on a new, empty database on `backend` (see [`fresh_url`]).
///
/// # Panics
/// As [`fresh_url`], and when connecting or migrating fails.
pub async fn fresh_store(backend: TestBackend) -> SqlStore {
    let url = fresh_url(backend).await;
    StoreConfig::new(url)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect to {backend:?}: {}", chain(&e)))
}

/// An error and its sources, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_replace_the_path() {
        for (url, expected) in [
            ("postgres://u@h:5432/test", "postgres://u@h:5432/x"),
            (
                "postgres://u@h:5432/test?sslmode=disable",
                "postgres://u@h:5432/x?sslmode=disable",
            ),
            ("postgres://u@h", "postgres://u@h/x"),
            (
                "mysql://root@127.0.0.1:3306/test?ssl-mode=disabled",
                "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled",
            ),
            ("mysql://root@h:3306", "mysql://root@h:3306/x"),
        ] {
            assert_eq!(with_database(url, "x"), expected, "{url}");
        }
    }

    #[test]
    fn a_configured_server_that_is_down_fails_fast() {
        let started = std::time::Instant::now();
        let err = runtime()
            .block_on(TestDatabase::create_on(
                TestBackend::Postgres,
                "postgres://postgres@127.0.0.1:1/test",
            ))
            .expect_err("nothing listens on port 1");
        assert!(
            matches!(err, TestDatabaseError::Unreachable { variable, .. } if variable == POSTGRES_VAR),
            "{err:?}"
        );
        assert!(err.to_string().contains("unreachable"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_closed_port_is_named_with_the_reason() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        let started = std::time::Instant::now();
        let (address, reason) = port_answers(&format!("postgres://u:pw@127.0.0.1:{port}/t"), 1)
            .expect_err("nothing listens there");
        assert_eq!(address, format!("127.0.0.1:{port}"));
        assert!(!reason.is_empty());
        assert!(started.elapsed() <= PORT_TIMEOUT + Duration::from_secs(1));
        // No host (a Unix socket): left to the driver.
        assert!(port_answers("postgres:///t?host=/run/postgresql", 5432).is_ok());
        let err = port_answers("not a url", 5432).expect_err("unparseable");
        assert!(!err.0.contains("pw"));
    }

    #[test]
    fn sqlite_files_are_removed_with_their_database() {
        runtime().block_on(async {
            let database = TestDatabase::create(TestBackend::Sqlite)
                .await
                .expect("a file");
            let path = database.url().trim_start_matches("sqlite://").to_owned();
            let store = database.connect().await.expect("connect");
            store.close().await.expect("close");
            assert!(std::path::Path::new(&path).exists());
            drop(database);
            assert!(!std::path::Path::new(&path).exists());
        });
    }
}

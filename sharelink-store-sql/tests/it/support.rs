//! Fresh, isolated databases for each test case, and the runner that removes them.
//!
//! SQLite: a new file in a temporary folder. PostgreSQL and MariaDB/MySQL: a new database
//! `sl_test_<random>` created from the URL in `SHARELINK_TEST_POSTGRES_URL` /
//! `SHARELINK_TEST_MYSQL_URL` and dropped (best effort) when the case ends, pass or fail.
//! A variable that is unset skips the case with a notice; one that is set with the server
//! down fails it.

use sea_orm::{ConnectionTrait, Database};
use sharelink_core::conformance::repository::Stores;
use sharelink_store_sql::SqlStore;
use std::cell::RefCell;
use std::future::Future;

/// A database backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    fn variable(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("SHARELINK_TEST_POSTGRES_URL"),
            Backend::MySql => Some("SHARELINK_TEST_MYSQL_URL"),
        }
    }

    /// The server's admin URL, or `None` (with a notice) when the case must be skipped.
    fn admin_url(self) -> Option<Option<String>> {
        let Some(var) = self.variable() else {
            return Some(None);
        };
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Some(Some(url)),
            _ => {
                eprintln!("notice: {var} is not set; skipping this {self:?} case");
                None
            }
        }
    }
}

/// Something to remove when the case ends.
enum Leftover {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

thread_local! {
    static LEFTOVERS: RefCell<Vec<Leftover>> = const { RefCell::new(Vec::new()) };
}

/// A multi-threaded runtime, as a server would use.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs one case on `backend` (or skips it), then removes its databases, even when the
/// case panicked.
pub(crate) fn run<F: Future<Output = ()>>(backend: Backend, case: F) {
    if backend.admin_url().is_none() {
        return;
    }
    let _cleanup = Cleanup;
    let rt = rt();
    rt.block_on(case);
    // Dropping the runtime (before `_cleanup`) closes the case's pools.
}

struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let leftovers = LEFTOVERS.with(|l| std::mem::take(&mut *l.borrow_mut()));
        if leftovers.is_empty() {
            return;
        }
        // A fresh thread and runtime: this may run while unwinding out of a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            for leftover in leftovers {
                if let Leftover::Database { admin_url, name } = leftover {
                    rt.block_on(drop_database(&admin_url, &name));
                }
            }
        })
        .join();
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    let Ok(admin) = Database::connect(admin_url).await else {
        return;
    };
    let sql = if admin_url.starts_with("postgres") {
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    } else {
        format!("DROP DATABASE IF EXISTS {name}")
    };
    if let Err(e) = admin.execute_unprepared(&sql).await {
        eprintln!("notice: could not drop test database {name}: {e}");
    }
    let _ = admin.close().await;
}

fn random_name() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("random");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sl_test_{hex}")
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

/// The URL of a new, empty database on `backend`, removed when the case ends.
///
/// # Panics
/// When the server is configured but cannot be reached: that is a failure, not a skip.
pub(crate) async fn fresh_url(backend: Backend) -> String {
    let admin_url = backend
        .admin_url()
        .expect("`run` skips cases of unconfigured backends");
    match admin_url {
        None => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}", dir.path().join("sharelink.db").display());
            LEFTOVERS.with(|l| l.borrow_mut().push(Leftover::Dir(dir)));
            url
        }
        Some(admin_url) => {
            let name = random_name();
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("{backend:?} server unreachable: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap_or_else(|e| panic!("cannot create a {backend:?} test database: {e}"));
            let _ = admin.close().await;
            LEFTOVERS.with(|l| {
                l.borrow_mut().push(Leftover::Database {
                    admin_url: admin_url.clone(),
                    name: name.clone(),
                })
            });
            with_database(&admin_url, &name)
        }
    }
}

/// A migrated store on a fresh database.
pub(crate) async fn fresh_store(backend: Backend) -> SqlStore {
    let url = fresh_url(backend).await;
    sharelink_store_sql::connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "connect to {backend:?}: {e} ({:?})",
                std::error::Error::source(&e)
            )
        })
}

/// The two ports of a fresh store, for the conformance suite.
pub(crate) async fn stores(backend: Backend) -> Stores {
    fresh_store(backend).await.ports()
}

#[test]
fn database_names_replace_the_path() {
    assert_eq!(
        with_database("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "x"),
        "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled"
    );
    assert_eq!(
        with_database("mysql://root@h:3306", "x"),
        "mysql://root@h:3306/x"
    );
}

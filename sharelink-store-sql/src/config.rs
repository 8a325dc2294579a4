//! Opening a store: the database URL, pool settings, and the connection itself.

use crate::SqlStore;
use crate::error::Error;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use std::fmt;
use std::time::Duration;

/// How to open a [`SqlStore`]: the database URL and pool settings.
///
/// | database | URL |
/// |---|---|
/// | SQLite file (created if missing) | `sqlite://path/to/sharelink.db` or `sqlite://path?mode=rwc` |
/// | SQLite in memory (one connection) | `sqlite::memory:` |
/// | PostgreSQL | `postgres://user:password@host:5432/database` |
/// | MySQL / MariaDB | `mysql://user:password@host:3306/database` (or `mariadb://…`) |
#[derive(Clone)]
pub struct StoreConfig {
    url: String,
    max_connections: Option<u32>,
    connect_timeout: Duration,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &redact(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The URL with any password replaced, for logs and debug output.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl StoreConfig {
    /// A configuration for `url` with default pool settings (SQLite files: 4 connections;
    /// `sqlite::memory:`: 1; servers: 10) and a 10-second connect timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: None,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Most connections in the pool (ignored for `sqlite::memory:`, which has one).
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n.max(1));
        self
    }

    /// How long to wait for a connection (to open one, or to get one from the pool).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Which backend the URL names.
    ///
    /// # Errors
    /// [`Error::UnsupportedScheme`] for an unknown scheme or a backend whose cargo
    /// feature is off; [`Error::BadUrl`] when the URL does not parse.
    pub fn backend(&self) -> Result<DbBackend, Error> {
        Ok(parse_url(&self.url)?.0)
    }

    /// Connects, then creates or upgrades the schema (idempotent: connecting again to a
    /// migrated database changes nothing).
    ///
    /// SQLite files are opened in WAL mode with foreign keys on and a 10-second busy
    /// timeout, and created if missing unless the URL gives a `mode`.
    ///
    /// # Errors
    /// [`Error::BadUrl`], [`Error::UnsupportedScheme`], [`Error::Unreachable`] or
    /// [`Error::Migration`].
    pub async fn connect(&self) -> Result<SqlStore, Error> {
        let db = self.open().await?;
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        // Two processes migrating at once: the migration's transaction reads before it
        // writes, and SQLite refuses (without waiting) to let a reader whose snapshot
        // another process has since written to become a writer. The transaction rolled
        // back whole, so running it again is safe; the second run finds the work done.
        again_while_busy(sqlite, || crate::migration::migrate(&db))
            .await
            .map_err(|source| Error::Migration { source })?;
        let unflushed = self.open_unflushed().await?;
        Ok(SqlStore::from_migrated(db, unflushed))
    }

    /// Connects without touching the schema (for reading a database as it is, as the
    /// database copy does with its source).
    pub(crate) async fn open(&self) -> Result<DatabaseConnection, Error> {
        // Boxed: the pool's opening is a deep future, and callers' futures nest it.
        Box::pin(self.open_pool(false)).await
    }

    /// On PostgreSQL, a second, small pool whose connections do not wait for the log
    /// flush when they commit (`synchronous_commit = off` for the session): one round
    /// trip for a visitor session or a lone access-log row, where a transaction setting
    /// it locally takes four. `None` on the other databases.
    async fn open_unflushed(&self) -> Result<Option<DatabaseConnection>, Error> {
        if parse_url(&self.url)?.0 != DbBackend::Postgres {
            return Ok(None);
        }
        Ok(Some(Box::pin(self.open_pool(true)).await?))
    }

    async fn open_pool(&self, unflushed: bool) -> Result<DatabaseConnection, Error> {
        let (backend, url) = parse_url(&self.url)?;
        let mut opts = ConnectOptions::new(url.clone());
        opts.sqlx_logging(false)
            .connect_timeout(self.connect_timeout)
            .acquire_timeout(self.connect_timeout);
        let memory = backend == DbBackend::Sqlite && url.contains(":memory:");
        let max = match (memory, self.max_connections) {
            // Each connection to `:memory:` would otherwise see its own database.
            (true, _) => 1,
            (false, Some(n)) => n,
            (false, None) if backend == DbBackend::Sqlite => 4,
            (false, None) => 10,
        };
        opts.max_connections(max);
        #[cfg(feature = "postgres")]
        if unflushed && backend == DbBackend::Postgres {
            opts.max_connections(max.min(UNFLUSHED_CONNECTIONS))
                .map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
        }
        #[cfg(feature = "sqlite")]
        if backend == DbBackend::Sqlite {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let create = !url.contains("mode=");
            opts.map_sqlx_sqlite_opts(move |o| {
                let o = o
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .journal_mode(if memory {
                        SqliteJournalMode::Memory
                    } else {
                        SqliteJournalMode::Wal
                    })
                    .synchronous(SqliteSynchronous::Normal);
                if create { o.create_if_missing(true) } else { o }
            });
        }
        let sqlite = backend == DbBackend::Sqlite;
        // Two processes opening a new SQLite file at once race to switch it to WAL, which
        // takes an exclusive lock that the busy timeout does not wait for: the loser is
        // told "database is locked" and simply tries again.
        let mut db = again_while_busy(sqlite, || Database::connect(opts.clone()))
            .await
            .map_err(|source| Error::Unreachable { source })?;
        db.set_metric_callback(|info| {
            let outcome = if info.failed { "error" } else { "ok" };
            metrics::histogram!(sharelink_core::telemetry::DB_QUERY_SECONDS, "outcome" => outcome)
                .record(info.elapsed.as_secs_f64());
        });
        Ok(db)
    }
}

/// Most connections of the PostgreSQL pool that skips the log flush (see
/// `StoreConfig::open_unflushed`): its writes are short and grouped.
const UNFLUSHED_CONNECTIONS: u32 = 4;

/// Runs `op` until it succeeds or fails otherwise than with SQLite's "database is locked"
/// (at most 50 times, backing off a little more each time; servers are not retried).
async fn again_while_busy<T, F, Fut>(sqlite: bool, mut op: F) -> Result<T, sea_orm::DbErr>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sea_orm::DbErr>>,
{
    let mut tries = 0;
    loop {
        match op().await {
            Err(e) if sqlite && tries < 50 && crate::error::is_busy(&e) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20 * tries)).await;
            }
            other => return other,
        }
    }
}

/// The backend of a URL, and the URL as sea-orm expects it, checked by the driver's own
/// parser so that a malformed URL is reported as such rather than as unreachable.
fn parse_url(url: &str) -> Result<(DbBackend, String), Error> {
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .ok_or_else(|| Error::BadUrl {
            reason: "no scheme (expected sqlite:, postgres:// or mysql://)".into(),
        })?;
    let bad = |e: &dyn fmt::Display| Error::BadUrl {
        reason: e.to_string(),
    };
    match scheme.as_str() {
        "sqlite" => {
            #[cfg(feature = "sqlite")]
            {
                use sea_orm::sqlx::sqlite::SqliteConnectOptions;
                url.parse::<SqliteConnectOptions>().map_err(|e| bad(&e))?;
                Ok((DbBackend::Sqlite, url.to_owned()))
            }
            #[cfg(not(feature = "sqlite"))]
            Err(Error::UnsupportedScheme {
                scheme,
                hint: "enable the `sqlite` feature of sharelink-store-sql",
            })
        }
        "postgres" | "postgresql" => {
            #[cfg(feature = "postgres")]
            {
                use sea_orm::sqlx::postgres::PgConnectOptions;
                url.parse::<PgConnectOptions>().map_err(|e| bad(&e))?;
                Ok((DbBackend::Postgres, url.to_owned()))
            }
            #[cfg(not(feature = "postgres"))]
            Err(Error::UnsupportedScheme {
                scheme,
                hint: "enable the `postgres` feature of sharelink-store-sql",
            })
        }
        "mysql" | "mariadb" => {
            #[cfg(feature = "mysql")]
            {
                use sea_orm::sqlx::mysql::MySqlConnectOptions;
                let url = format!("mysql:{}", &url[scheme.len() + 1..]);
                url.parse::<MySqlConnectOptions>().map_err(|e| bad(&e))?;
                Ok((DbBackend::MySql, url))
            }
            #[cfg(not(feature = "mysql"))]
            Err(Error::UnsupportedScheme {
                scheme,
                hint: "enable the `mysql` feature of sharelink-store-sql",
            })
        }
        _ => {
            let _ = bad;
            Err(Error::UnsupportedScheme {
                scheme,
                hint: "use sqlite:, postgres:// or mysql://",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords() {
        let c = StoreConfig::new("postgres://app:s3cret@db:5432/x");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret") && shown.contains("app:***@db"));
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(matches!(
            parse_url("redis://localhost"),
            Err(Error::UnsupportedScheme { .. })
        ));
        assert!(matches!(parse_url("nonsense"), Err(Error::BadUrl { .. })));
    }
}

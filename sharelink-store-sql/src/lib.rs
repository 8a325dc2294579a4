//! SQL persistence for sharelink: the share-repository and access-log ports of
//! `sharelink-core` over sea-orm, with one code path for SQLite (the embedded default),
//! PostgreSQL and MySQL/MariaDB.
//!
//! [`connect`] opens a database by URL and creates or upgrades the schema (the migration
//! is idempotent and safe when several nodes start at once). The resulting [`SqlStore`]
//! implements both [`ShareRepository`] and [`AccessLog`]; [`SqlStore::ports`] hands them
//! out as the `Arc<dyn …>` the core services take.
//!
//! ```
//! use sharelink_core::ports::{NewShare, ShareStore};
//! use sharelink_core::{ItemKind, ShareItem, SharePath, ShareSettings, UrlKey, UserId};
//! use time::macros::datetime;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = sharelink_store_sql::connect("sqlite::memory:").await?;
//! let item = ShareItem::new(SharePath::parse("reports/q3.pdf")?, ItemKind::File, None)?;
//! let settings = ShareSettings::named("Q3 report");
//! let share = store
//!     .insert_share(NewShare {
//!         key: UrlKey::parse("Q3reportKey2026")?,
//!         owner: UserId::parse("alice")?,
//!         items: vec![item],
//!         requested: settings.clone(),
//!         settings,
//!         adjustments: vec![],
//!         password_hash: None,
//!         autofill_code: None,
//!         created_at: datetime!(2026-11-23 10:00 UTC),
//!     })
//!     .await?;
//! // Keys are found without regard to case.
//! let found = store.find_by_key(&UrlKey::parse("q3REPORTkey2026")?).await?;
//! assert_eq!(found.map(|s| s.id), Some(share.id));
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//! | feature | default | what it adds | URL |
//! |---|---|---|---|
//! | `sqlite` | yes | SQLite through sqlx (bundled library): a file in WAL mode with foreign keys on, or in memory | `sqlite://path/to/file.db`, `sqlite://file.db?mode=rwc`, `sqlite::memory:` |
//! | `postgres` | no | PostgreSQL (and compatible servers) through sqlx, TLS by rustls | `postgres://user:password@host:5432/db` |
//! | `mysql` | no | MySQL and MariaDB through sqlx, TLS by rustls | `mysql://user:password@host:3306/db` |
//! | `testing` | no | [`testing`]: a fresh, isolated database per test on SQLite and on the servers `SHARELINK_TEST_POSTGRES_URL` / `SHARELINK_TEST_MYSQL_URL` name (for this crate's tests and the embedder's) | |
//!
//! # Storage
//! Complex values (settings, items, adjustments, sessions, registration answers,
//! templates) are JSON text; what queries need is kept in indexed columns: the key folded
//! to lower case (unique), owner and creation time (keyset listing), expiry (sweeps), and
//! share and time for the log. Instants are stored as nanoseconds since the Unix epoch
//! (exact, ordered the same on every backend), which limits them to the years 1677–2262.
//! Tables are prefixed `sl_`, and migrations are recorded in `sl_migrations`, so the
//! schema can live beside the embedding application's own tables.
//!
//! # Concurrency
//! Use counting, the upload quota, device and browser binding, reminders, one-time codes
//! and brute-force counters are each decided by one conditional statement (for example
//! `UPDATE sl_shares SET uses = uses + 1 WHERE id = ? AND uses < ?`), so the limits hold
//! across any number of processes sharing the database.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod access_log;
mod codec;
mod config;
pub mod copy;
mod entity;
mod error;
mod log_writer;
pub mod migration;
mod repository;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use config::StoreConfig;
pub use copy::{CopyError, CopyOptions, CopyReport, copy_database};
pub use error::{Error, STORE};
pub use sea_orm::{DatabaseConnection, DbBackend};

use sharelink_core::ports::{AccessLog, ShareRepository};
use std::fmt;
use std::sync::Arc;

/// Opens the database at `url` with default pool settings and applies pending migrations.
/// See [`StoreConfig`] for the URL forms and for pool settings.
///
/// # Errors
/// [`Error::BadUrl`], [`Error::UnsupportedScheme`], [`Error::Unreachable`] or
/// [`Error::Migration`].
pub async fn connect(url: &str) -> Result<SqlStore, Error> {
    StoreConfig::new(url).connect().await
}

/// A migrated database holding shares and the access log. Cloning is cheap: clones share
/// the connection pool.
#[derive(Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
    /// On PostgreSQL, the pool whose commits do not wait for the log flush (see
    /// [`SqlStore::unflushed`]); `None` elsewhere.
    unflushed: Option<DatabaseConnection>,
    /// The access-log writer (group commit), shared by clones.
    log_writer: Arc<log_writer::LogWriter>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    pub(crate) fn from_migrated(
        db: DatabaseConnection,
        unflushed: Option<DatabaseConnection>,
    ) -> Self {
        Self {
            db,
            unflushed,
            log_writer: Arc::default(),
        }
    }

    /// Where rows whose loss in a crash of the database server itself is harmless are
    /// written (visitor sessions: the visitor opens a new one; access-log rows). On
    /// PostgreSQL, the pool of `StoreConfig::open_unflushed`, whose commits do not wait
    /// for the log flush: that bounds the loss to the last `3 × wal_writer_delay` (600 ms
    /// by default) before such a crash and loses nothing when only this process dies.
    /// Elsewhere the main pool (SQLite in WAL mode with `synchronous=NORMAL` does not
    /// flush on commit anyway).
    pub(crate) fn unflushed(&self) -> &DatabaseConnection {
        self.unflushed.as_ref().unwrap_or(&self.db)
    }

    pub(crate) fn log_writer(&self) -> &log_writer::LogWriter {
        &self.log_writer
    }

    /// The sea-orm connection pool (for health checks, or the embedder's own queries).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The two ports, sharing this store's pool.
    pub fn ports(self) -> (Arc<dyn ShareRepository>, Arc<dyn AccessLog>) {
        (Arc::new(self.clone()), Arc::new(self))
    }

    /// Closes the pool, waiting for connections in use to be returned.
    ///
    /// # Errors
    /// The driver's error if closing failed.
    pub async fn close(self) -> Result<(), sea_orm::DbErr> {
        if let Some(unflushed) = self.unflushed {
            unflushed.close().await?;
        }
        self.db.close().await
    }
}

#[cfg(all(test, feature = "testing", feature = "postgres"))]
mod tests {
    use crate::testing::{TestBackend, fresh_store, run};
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

    async fn synchronous_commit(conn: &impl ConnectionTrait) -> String {
        let row = conn
            .query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SHOW synchronous_commit",
            ))
            .await
            .expect("show")
            .expect("a row");
        row.try_get_by_index(0).expect("the setting")
    }

    /// On PostgreSQL, only visitor sessions and access-log rows skip waiting for the log
    /// flush (the store's second pool, in transactions too); every statement and
    /// transaction on the main pool waits as configured.
    #[test]
    fn only_unflushed_transactions_skip_the_flush() {
        run(TestBackend::Postgres, async {
            let store = fresh_store(TestBackend::Postgres).await;
            assert!(
                store.unflushed.is_some(),
                "a store opened from a PostgreSQL URL has that pool"
            );
            let unflushed = store.unflushed();
            let txn = unflushed.begin().await.expect("begin");
            assert_eq!(synchronous_commit(&txn).await, "off");
            txn.commit().await.expect("commit");
            assert_eq!(synchronous_commit(unflushed).await, "off");
            let db = store.connection();
            let ordinary = db.begin().await.expect("begin");
            assert_eq!(synchronous_commit(&ordinary).await, "on");
            ordinary.commit().await.expect("commit");
            assert_eq!(synchronous_commit(db).await, "on");
        });
    }
}

//! Errors: [`Error`] for connecting and migrating, and the mapping of database errors
//! into the ports' [`RepoError`].

use sea_orm::{DbErr, SqlErr};
use sharelink_core::ports::RepoError;

/// The name this store gives itself in [`RepoError`]s.
pub const STORE: &str = "sql";

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL could not be understood.
    #[error("bad database URL: {reason}")]
    BadUrl {
        /// What is wrong with it (the URL itself is not repeated: it may hold a password).
        reason: String,
    },
    /// The URL names a database this build does not support (unknown scheme, or the
    /// cargo feature of that backend is off).
    #[error("unsupported database `{scheme}`: {hint}")]
    UnsupportedScheme {
        /// The URL's scheme.
        scheme: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// The database server could not be reached, or refused the connection.
    #[error("the database is unreachable")]
    Unreachable {
        /// The driver's error.
        #[source]
        source: DbErr,
    },
    /// Creating or upgrading the schema failed.
    #[error("the database migration failed")]
    Migration {
        /// The driver's error.
        #[source]
        source: DbErr,
    },
}

/// A database error met by a port method. It exists so that `?` turns sea-orm's errors
/// into [`RepoError`] (both are foreign types, so `From` cannot join them directly).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct DbError(#[from] pub(crate) DbErr);

impl From<DbError> for RepoError {
    fn from(DbError(err): DbError) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(what)) => {
                return RepoError::Conflict(constraint_name(&what));
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => return RepoError::NotFound("share"),
            _ => {}
        }
        if is_connection_loss(&err) {
            return RepoError::Unavailable {
                store: STORE,
                source: Box::new(err),
            };
        }
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => RepoError::Unavailable {
                store: STORE,
                source: Box::new(err),
            },
            DbErr::TryIntoErr { .. } | DbErr::Type(_) | DbErr::Json(_) => RepoError::Corrupt {
                store: STORE,
                reason: err.to_string(),
            },
            other => RepoError::Backend {
                store: STORE,
                source: Box::new(other),
            },
        }
    }
}

/// The driver's error inside a statement or connection failure, if sqlx reported it.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// Whether a statement failed because the database went away (the connection broke, the
/// pool could not open a new one, or timed out waiting): the request may be retried once
/// the server is back, and the pool reconnects by itself.
fn is_connection_loss(err: &DbErr) -> bool {
    if matches!(err, DbErr::ConnectionAcquire(_)) {
        return true;
    }
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    if let Some(e) = sqlx_error(err) {
        use sea_orm::sqlx::Error as X;
        return matches!(
            e,
            X::Io(_) | X::Tls(_) | X::PoolTimedOut | X::PoolClosed | X::WorkerCrashed
        ) || matches!(e, X::Protocol(m) if m.contains("closed") || m.contains("EOF"))
            || matches!(e, X::Database(db) if db.code().is_some_and(|c| server_going_away(&c)));
    }
    false
}

/// Whether an SQLSTATE says the server ended the connection or cannot take one now: class
/// 08 (connection exception, MySQL's `08S01` among them) and PostgreSQL's 57P01–57P03
/// (terminated by an administrator — a fast shutdown —, crashed, starting up or shutting
/// down). The statement did not run to its end; the pool reconnects once the server is
/// back.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn server_going_away(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || matches!(sqlstate, "57P01" | "57P02" | "57P03")
}

#[cfg(all(test, any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
mod tests {
    use super::server_going_away;

    #[test]
    fn a_server_going_away_is_a_connection_loss_and_nothing_else_is() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001", "08S01"] {
            assert!(server_going_away(code), "{code}");
        }
        // A cancelled statement, a deadlock, a constraint, a syntax error: not a loss.
        for code in ["57014", "40P01", "23505", "42601", "HY000", ""] {
            assert!(!server_going_away(code), "{code}");
        }
    }
}

/// Keeps only the constraint or index name out of a driver message, so that values
/// (which may be secrets such as link codes) never reach the error.
fn constraint_name(message: &str) -> String {
    for word in message.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`') {
        if word.starts_with("ux_") || word.starts_with("sl_") {
            return word.trim_end_matches([',', '.', ':']).to_owned();
        }
    }
    "unique constraint".to_owned()
}

/// Stored data that does not fit the domain.
pub(crate) fn corrupt(reason: impl std::fmt::Display) -> RepoError {
    RepoError::Corrupt {
        store: STORE,
        reason: reason.to_string(),
    }
}

/// A value the schema cannot hold (an instant or size out of range).
pub(crate) fn out_of_range(what: &str) -> RepoError {
    RepoError::Backend {
        store: STORE,
        source: format!("{what} is out of the range this store can hold").into(),
    }
}

/// Whether an error is a transient conflict between transactions that a retry resolves:
/// a deadlock or serialization failure (SQLSTATE `40001`, `40P01`; MySQL reports its
/// deadlocks as `40001`), or SQLite's busy snapshot.
/// The database's own error code of a failed statement (SQLSTATE, or SQLite's number).
fn database_code(err: &DbErr) -> Option<String> {
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    if let Some(e) = sqlx_error(err) {
        return e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
    }
    let _ = err;
    None
}

/// Whether SQLite answered "database is locked" (`SQLITE_BUSY`, or `SQLITE_BUSY_SNAPSHOT`).
pub(crate) fn is_busy(err: &DbErr) -> bool {
    matches!(database_code(err).as_deref(), Some("5" | "517"))
}

/// Whether a statement lost a deadlock, a serialization conflict or SQLite's write lock:
/// running it again may succeed.
pub(crate) fn is_transient(err: &RepoError) -> bool {
    let RepoError::Backend { source, .. } = err else {
        return false;
    };
    source.downcast_ref::<DbErr>().is_some_and(|db| {
        is_busy(db) || matches!(database_code(db).as_deref(), Some("40001" | "40P01"))
    })
}

/// Runs a transactional operation again (up to four more times) when it lost a deadlock
/// or serialization conflict; its transaction was rolled back, so nothing was applied.
pub(crate) async fn retry_transient<T, F, Fut>(mut op: F) -> Result<T, RepoError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RepoError>>,
{
    let mut retries = 0;
    loop {
        match op().await {
            Err(e) if retries < 4 && is_transient(&e) => retries += 1,
            other => return other,
        }
    }
}

//! Integration tests of sharelink-store-sql: the core conformance suite and the store's
//! own cases (two nodes racing for uses, migrations, errors) on SQLite, PostgreSQL and
//! MariaDB/MySQL.
//!
//! PostgreSQL and MySQL cases run when `SHARELINK_TEST_POSTGRES_URL` /
//! `SHARELINK_TEST_MYSQL_URL` are set (and the crate's `postgres` / `mysql` features
//! are on); each case gets its own database.

mod store;
mod stored_rows;
mod support;

/// The conformance suite on SQLite files.
mod sqlite {
    use crate::support::{Backend, run, stores};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::Sqlite, f),
        make = stores(Backend::Sqlite)
    );
}

/// The conformance suite on PostgreSQL.
#[cfg(feature = "postgres")]
mod postgres {
    use crate::support::{Backend, run, stores};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::Postgres, f),
        make = stores(Backend::Postgres)
    );
}

/// The conformance suite on MariaDB/MySQL.
#[cfg(feature = "mysql")]
mod mysql {
    use crate::support::{Backend, run, stores};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::MySql, f),
        make = stores(Backend::MySql)
    );
}

/// The conformance suite on `sqlite::memory:` (one connection).
mod sqlite_memory {
    async fn stores() -> sharelink_core::conformance::repository::Stores {
        sharelink_store_sql::connect("sqlite::memory:")
            .await
            .expect("connect")
            .ports()
    }
    sharelink_core::repository_conformance!(
        run = |f| crate::support::rt().block_on(f),
        make = stores()
    );
}

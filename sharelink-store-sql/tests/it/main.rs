//! Integration tests of sharelink-store-sql: the core conformance suite and the store's
//! own cases (two nodes racing for uses, migrations, databases made by earlier versions,
//! errors) on SQLite, PostgreSQL and MariaDB/MySQL.
//!
//! PostgreSQL and MySQL cases run when `SHARELINK_TEST_POSTGRES_URL` /
//! `SHARELINK_TEST_MYSQL_URL` are set (and the crate's `postgres` / `mysql` features
//! are on); each case gets its own database from `sharelink_store_sql::testing`.

mod compat;
mod copy;
mod store;
mod stored_rows;

use sharelink_core::conformance::repository::Stores;
use sharelink_store_sql::testing::{TestBackend, fresh_store};

/// The two ports of a migrated store on a fresh database.
async fn stores(backend: TestBackend) -> Stores {
    fresh_store(backend).await.ports()
}

/// The conformance suite on SQLite files.
mod sqlite {
    use crate::stores;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::Sqlite, f),
        make = stores(Backend::Sqlite)
    );
}

/// The conformance suite on PostgreSQL.
#[cfg(feature = "postgres")]
mod postgres {
    use crate::stores;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::Postgres, f),
        make = stores(Backend::Postgres)
    );
}

/// The conformance suite on MariaDB/MySQL.
#[cfg(feature = "mysql")]
mod mysql {
    use crate::stores;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::MySql, f),
        make = stores(Backend::MySql)
    );
}

/// The conformance suite on `sqlite::memory:` (one connection).
mod sqlite_memory {
    use crate::stores;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};
    sharelink_core::repository_conformance!(
        run = |f| run(Backend::SqliteMemory, f),
        make = stores(Backend::SqliteMemory)
    );
}

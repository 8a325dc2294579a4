//! Integration tests of sharelink-store-sql: the core conformance suite and the store's
//! own cases (two nodes racing for uses, two OS processes on one SQLite file, migrations,
//! databases made by earlier versions and by today's release, errors) on SQLite,
//! PostgreSQL and MariaDB/MySQL, and a check that a configured server which is down
//! fails the binary at once.
//!
//! PostgreSQL and MySQL cases run when `SHARELINK_TEST_POSTGRES_URL` /
//! `SHARELINK_TEST_MYSQL_URL` are set (and the crate's `postgres` / `mysql` features
//! are on); each case gets its own database from `sharelink_store_sql::testing`.

mod compat;
mod copy;
mod fail_fast;
mod processes;
mod store;
mod stored_rows;
mod upgrade;

use sharelink_core::conformance::lease::Leases;
use sharelink_core::conformance::mail_queue::Queues;
use sharelink_core::conformance::repository::Stores;
use sharelink_store_sql::StoreConfig;
use sharelink_store_sql::testing::{TestBackend, fresh_store, fresh_url};

/// The two ports of a migrated store on a fresh database.
async fn stores(backend: TestBackend) -> Stores {
    fresh_store(backend).await.ports()
}

/// Two handles on the mail queue of a fresh database: two pools, as two processes would
/// have (one pool on `sqlite::memory:`, where a second would be another database).
async fn queues(backend: TestBackend) -> Queues {
    if backend == TestBackend::SqliteMemory {
        let store = fresh_store(backend).await;
        return (store.mail_queue(), store.mail_queue());
    }
    let url = fresh_url(backend).await;
    let a = StoreConfig::new(&url).connect().await.expect("first pool");
    let b = StoreConfig::new(&url).connect().await.expect("second pool");
    (a.mail_queue(), b.mail_queue())
}

/// Two handles on the leases of a fresh database: two pools, as two processes would have
/// (one pool on `sqlite::memory:`, where a second would be another database).
async fn leases(backend: TestBackend) -> Leases {
    if backend == TestBackend::SqliteMemory {
        let store = fresh_store(backend).await;
        return (store.lease(), store.lease());
    }
    let url = fresh_url(backend).await;
    let a = StoreConfig::new(&url).connect().await.expect("first pool");
    let b = StoreConfig::new(&url).connect().await.expect("second pool");
    (a.lease(), b.lease())
}

/// The lease suite on every backend.
mod lease {
    use crate::leases;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};

    mod sqlite {
        use super::*;
        sharelink_core::lease_conformance!(
            run = |f| run(Backend::Sqlite, f),
            make = leases(Backend::Sqlite)
        );
    }

    mod sqlite_memory {
        use super::*;
        sharelink_core::lease_conformance!(
            run = |f| run(Backend::SqliteMemory, f),
            make = leases(Backend::SqliteMemory)
        );
    }

    #[cfg(feature = "postgres")]
    mod postgres {
        use super::*;
        sharelink_core::lease_conformance!(
            run = |f| run(Backend::Postgres, f),
            make = leases(Backend::Postgres)
        );
    }

    #[cfg(feature = "mysql")]
    mod mysql {
        use super::*;
        sharelink_core::lease_conformance!(
            run = |f| run(Backend::MySql, f),
            make = leases(Backend::MySql)
        );
    }
}

/// The mail-queue suite on every backend.
mod mail_queue {
    use crate::queues;
    use sharelink_store_sql::testing::{TestBackend as Backend, run};

    mod sqlite {
        use super::*;
        sharelink_core::mail_queue_conformance!(
            run = |f| run(Backend::Sqlite, f),
            make = queues(Backend::Sqlite)
        );
    }

    mod sqlite_memory {
        use super::*;
        sharelink_core::mail_queue_conformance!(
            run = |f| run(Backend::SqliteMemory, f),
            make = queues(Backend::SqliteMemory)
        );
    }

    #[cfg(feature = "postgres")]
    mod postgres {
        use super::*;
        sharelink_core::mail_queue_conformance!(
            run = |f| run(Backend::Postgres, f),
            make = queues(Backend::Postgres)
        );
    }

    #[cfg(feature = "mysql")]
    mod mysql {
        use super::*;
        sharelink_core::mail_queue_conformance!(
            run = |f| run(Backend::MySql, f),
            make = queues(Backend::MySql)
        );
    }
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

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

use sharelink_core::conformance::digest::Digests;
use sharelink_core::conformance::lease::Leases;
use sharelink_core::conformance::mail_queue::Queues;
use sharelink_core::conformance::repository::Stores;
use sharelink_core::conformance::site::SiteStores;
use sharelink_core::conformance::webhooks::Stores as Webhooks;
use sharelink_store_sql::testing::{TestBackend, fresh_store, fresh_url};
use sharelink_store_sql::{SqlStore, StoreConfig};

/// The two ports of a migrated store on a fresh database.
async fn stores(backend: TestBackend) -> Stores {
    fresh_store(backend).await.ports()
}

/// Two handles on one port of a fresh database, from two pools as two processes would
/// have them (one pool on `sqlite::memory:`, where a second would be another database).
async fn two_pools<T>(backend: TestBackend, port: fn(&SqlStore) -> T) -> (T, T) {
    if backend == TestBackend::SqliteMemory {
        let store = fresh_store(backend).await;
        return (port(&store), port(&store));
    }
    let url = fresh_url(backend).await;
    let a = StoreConfig::new(&url).connect().await.expect("first pool");
    let b = StoreConfig::new(&url).connect().await.expect("second pool");
    (port(&a), port(&b))
}

async fn queues(backend: TestBackend) -> Queues {
    two_pools(backend, SqlStore::mail_queue).await
}

async fn digests(backend: TestBackend) -> Digests {
    two_pools(backend, SqlStore::digests).await
}

async fn webhooks(backend: TestBackend) -> Webhooks {
    two_pools(backend, SqlStore::webhooks).await
}

async fn leases(backend: TestBackend) -> Leases {
    two_pools(backend, SqlStore::lease).await
}

async fn site_stores(backend: TestBackend) -> SiteStores {
    two_pools(backend, SqlStore::site_settings).await
}

/// A core conformance suite (`$suite`, one of core's `…_conformance!` macros) over the
/// ports `$make` gives, on every backend the build and environment offer.
macro_rules! on_every_backend {
    ($suite:ident, $make:ident) => {
        use sharelink_store_sql::testing::{TestBackend as Backend, run};

        mod sqlite {
            use super::*;
            sharelink_core::$suite!(
                run = |f| run(Backend::Sqlite, f),
                make = $make(Backend::Sqlite)
            );
        }

        mod sqlite_memory {
            use super::*;
            sharelink_core::$suite!(
                run = |f| run(Backend::SqliteMemory, f),
                make = $make(Backend::SqliteMemory)
            );
        }

        #[cfg(feature = "postgres")]
        mod postgres {
            use super::*;
            sharelink_core::$suite!(
                run = |f| run(Backend::Postgres, f),
                make = $make(Backend::Postgres)
            );
        }

        #[cfg(feature = "mysql")]
        mod mysql {
            use super::*;
            sharelink_core::$suite!(
                run = |f| run(Backend::MySql, f),
                make = $make(Backend::MySql)
            );
        }
    };
}

/// The digest-store suite on every backend.
mod digest {
    use crate::digests;
    on_every_backend!(digest_conformance, digests);
}

/// The lease suite on every backend.
mod lease {
    use crate::leases;
    on_every_backend!(lease_conformance, leases);
}

/// The site-settings suite on every backend.
mod site {
    use crate::site_stores;
    on_every_backend!(site_conformance, site_stores);
}

/// The mail-queue suite on every backend.
mod mail_queue {
    use crate::queues;
    on_every_backend!(mail_queue_conformance, queues);
}

/// The webhook-store suite on every backend.
mod webhooks {
    use crate::webhooks;
    on_every_backend!(webhooks_conformance, webhooks);
}

/// The repository and access-log suite on every backend.
mod repository {
    use crate::stores;
    on_every_backend!(repository_conformance, stores);
}

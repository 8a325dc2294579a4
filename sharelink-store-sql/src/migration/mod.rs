//! The schema and its migrations (sea-orm-migration), applied by [`crate::connect`].
//!
//! Each migration is a file of its own, named `mYYYYMMDD_NNNNNN_what.rs`; [`Migrator`]
//! lists them oldest first. The name of the file is the name recorded in the migrations
//! table, so a file is never renamed. A migration's DDL is written out in full (every
//! column, type, null-ness, default, index and foreign key), never derived from the
//! entities (`src/entity.rs`): a database created by this version must get exactly
//! the schema a database created by an older version was upgraded to.
//!
//! **A migration, once released, is frozen.** A later schema change (a column, an index,
//! a new table) is a new file added at the end of [`Migrator::migrations`], never an edit
//! of an existing one: databases that already ran a migration will not run it again, so
//! an edit would reach only new databases and the two would drift apart.
//!
//! Migrations are recorded in `sl_migrations` (not sea-orm's default table, so an
//! embedding application can keep its own migrations in the same database) and run under
//! a database-wide lock, so several nodes starting at once apply them exactly once.
//!
//! Databases created before the initial migration had a file of its own recorded it as
//! `migration` (the name of the file that held it then). Connecting renames that record
//! to `m20261123_000001_init` before anything runs, so such a database is taken as it
//! is: its schema is the one that migration creates.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::prelude::*;

mod m20261123_000001_init;
mod m20261130_000001_creations;
mod m20261201_000001_autofill_code;
mod m20261202_000001_mail_queue;
mod m20261203_000001_leases;
mod m20261203_000002_recipients;
mod m20261204_000001_webhooks;
mod m20261204_000002_site_settings;
mod m20261204_000003_notification_digest;

/// The name the initial migration is recorded under.
const INIT: &str = "m20261123_000001_init";
/// The name databases created before it had a file of its own recorded it under.
const LEGACY_INIT: &str = "migration";

/// The migrations of this crate, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_init::Migration),
            Box::new(m20261130_000001_creations::Migration),
            Box::new(m20261201_000001_autofill_code::Migration),
            Box::new(m20261202_000001_mail_queue::Migration),
            Box::new(m20261203_000001_leases::Migration),
            Box::new(m20261203_000002_recipients::Migration),
            Box::new(m20261204_000001_webhooks::Migration),
            Box::new(m20261204_000002_site_settings::Migration),
            Box::new(m20261204_000003_notification_digest::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "sl_migrations".into_iden()
    }
}

/// Applies every pending migration, holding a lock so that concurrent starts do not race.
pub(crate) async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // A transaction pins one connection: the lock below belongs to it.
    let txn = db.begin().await?;
    match backend {
        DbBackend::Postgres => {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7311064025017651)")
                .await?;
        }
        DbBackend::MySql => {
            txn.execute_unprepared("SELECT GET_LOCK('sharelink_migrations', 120)")
                .await?;
        }
        // SQLite: the first statement of `up` writes, which takes the database's write lock.
        _ => {}
    }
    let result = match rename_legacy_record(&txn).await {
        Ok(()) => Migrator::up(&txn, None).await,
        Err(e) => Err(e),
    };
    if backend == DbBackend::MySql {
        // MySQL commits DDL as it goes; the lock is released explicitly either way.
        txn.execute_unprepared("SELECT RELEASE_LOCK('sharelink_migrations')")
            .await?;
    }
    match result {
        Ok(()) => txn.commit().await,
        Err(e) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed migration failed");
            }
            Err(e)
        }
    }
}

/// Renames the initial migration's record from [`LEGACY_INIT`] to [`INIT`], if the
/// database has one (under the lock [`migrate`] holds).
async fn rename_legacy_record<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    // Creating the table if absent (as `up` would) rather than asking whether it exists:
    // on SQLite the first statement must write, to take the write lock before any read.
    Migrator::install(db).await?;
    let rename = Query::update()
        .table(Migrator::migration_table_name())
        .value(Alias::new("version"), INIT)
        .and_where(Expr::col(Alias::new("version")).eq(LEGACY_INIT))
        .to_owned();
    db.execute(&rename).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_recorded_under_their_file_names_oldest_first() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                INIT,
                "m20261130_000001_creations",
                "m20261201_000001_autofill_code",
                "m20261202_000001_mail_queue",
                "m20261203_000001_leases",
                "m20261203_000002_recipients",
                "m20261204_000001_webhooks",
                "m20261204_000002_site_settings",
                "m20261204_000003_notification_digest"
            ]
        );
    }
}

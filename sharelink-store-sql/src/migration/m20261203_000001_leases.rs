//! Housekeeping leases (`sl_leases`): one row per job, naming the process that holds it
//! and until when, so that among several processes on one database exactly one runs a
//! job at a time.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_leases`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlLeases {
    Table,
    Job,
    Holder,
    HeldUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SlLeases as L;
        let mut t = Table::create();
        t.table(L::Table).if_not_exists();
        if manager.get_database_backend() == DbBackend::MySql {
            t.engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
        }
        manager
            .create_table(
                t.col(
                    ColumnDef::new(L::Job)
                        .string_len(100)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(L::Holder).string_len(200).not_null())
                // Nanoseconds since the Unix epoch.
                .col(ColumnDef::new(L::HeldUntil).big_integer().not_null())
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SlLeases::Table).if_exists().to_owned())
            .await
    }
}

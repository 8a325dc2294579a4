//! Share creations counted per owner and UTC day, for the daily quota: counting
//! creations (not the shares that still exist) means revoking gives nothing back, and
//! one conditional statement per creation keeps the quota exact under concurrency.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_creations`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlCreations {
    Table,
    Owner,
    Day,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(SlCreations::Table).if_not_exists();
        if manager.get_database_backend() == DbBackend::MySql {
            t.engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
        }
        manager
            .create_table(
                t.col(
                    ColumnDef::new(SlCreations::Owner)
                        .string_len(200)
                        .not_null(),
                )
                // Days since 1970-01-01 (UTC).
                .col(ColumnDef::new(SlCreations::Day).big_integer().not_null())
                .col(ColumnDef::new(SlCreations::Count).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(SlCreations::Owner)
                        .col(SlCreations::Day),
                )
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SlCreations::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

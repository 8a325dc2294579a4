//! Site settings (`sl_site_settings`): the one row of settings administrators save at
//! runtime, as JSON, with the version each save must name (compare-and-swap) and who
//! saved it when.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_site_settings`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlSiteSettings {
    Table,
    Id,
    Version,
    Settings,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SlSiteSettings as S;
        let mut t = Table::create();
        t.table(S::Table).if_not_exists();
        let mut settings = ColumnDef::new(S::Settings);
        if manager.get_database_backend() == DbBackend::MySql {
            t.engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
            settings.custom("longtext");
        } else {
            settings.text();
        }
        manager
            .create_table(
                // One row, id 1: the primary key makes a second first save fail. A
                // BIGINT like every other key, which the backend copy expects.
                t.col(ColumnDef::new(S::Id).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(S::Version).big_integer().not_null())
                    .col(settings.not_null())
                    // Nanoseconds since the Unix epoch.
                    .col(ColumnDef::new(S::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(S::UpdatedBy).string_len(200).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SlSiteSettings::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

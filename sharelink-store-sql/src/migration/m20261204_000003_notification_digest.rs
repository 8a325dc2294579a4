//! Owner notifications waiting for the hourly digest (`sl_digest_entries`): one row per
//! event and recipient, holding what the digest will say (share name, the visitor as far
//! as known, the client address as the log keeps it; never a password, a code or a
//! link). Rows are not tied to a share by a foreign key: the digest job mails and removes
//! them within the hour, whatever became of the share.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_digest_entries`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlDigestEntries {
    Table,
    Id,
    Recipient,
    ShareId,
    Owner,
    TimeZone,
    Notice,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SlDigestEntries as D;
        let mut t = Table::create();
        t.table(D::Table).if_not_exists();
        let mut notice = ColumnDef::new(D::Notice);
        if manager.get_database_backend() == DbBackend::MySql {
            t.engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
            notice.custom("longtext");
        } else {
            notice.text();
        }
        manager
            .create_table(
                t.col(
                    ColumnDef::new(D::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(D::Recipient).text().not_null())
                .col(ColumnDef::new(D::ShareId).big_integer().not_null())
                .col(ColumnDef::new(D::Owner).string_len(200).not_null())
                .col(ColumnDef::new(D::TimeZone).string_len(100).null())
                // The notice's JSON (share name, activity, instant).
                .col(notice.not_null())
                // Nanoseconds since the Unix epoch.
                .col(ColumnDef::new(D::At).big_integer().not_null())
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SlDigestEntries::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

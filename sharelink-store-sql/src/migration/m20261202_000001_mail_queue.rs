//! The durable mail queue (`sl_mail_queue`): one row per outgoing mail, its JSON (which
//! holds links and codes: as secret as the shares), who may see it, and where its
//! delivery stands. Rows are not tied to a share by a foreign key: a mail about a revoked
//! share stays readable in the queue's history.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_mail_queue` and its indexes.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlMailQueue {
    Table,
    Id,
    ShareId,
    Owner,
    Recipient,
    Kind,
    Mail,
    State,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    NotAfter,
    LastError,
    QueuedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SlMailQueue as Q;
        let mysql = manager.get_database_backend() == DbBackend::MySql;
        let mut t = Table::create();
        t.table(Q::Table).if_not_exists();
        let mut mail = ColumnDef::new(Q::Mail);
        if mysql {
            t.engine("InnoDB")
                .character_set("utf8mb4")
                .collate("utf8mb4_bin");
            mail.custom("longtext");
        } else {
            mail.text();
        }
        manager
            .create_table(
                t.col(
                    ColumnDef::new(Q::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Q::ShareId).big_integer().null())
                .col(ColumnDef::new(Q::Owner).string_len(200).null())
                .col(ColumnDef::new(Q::Recipient).text().not_null())
                .col(ColumnDef::new(Q::Kind).string_len(40).not_null())
                .col(mail.not_null())
                // `pending`, `sent`, `dead` or `expired`.
                .col(ColumnDef::new(Q::State).string_len(16).not_null())
                .col(ColumnDef::new(Q::Attempts).big_integer().not_null())
                // Instants: nanoseconds since the Unix epoch.
                .col(ColumnDef::new(Q::NextAttemptAt).big_integer().not_null())
                .col(ColumnDef::new(Q::LeasedUntil).big_integer().null())
                .col(ColumnDef::new(Q::NotAfter).big_integer().null())
                .col(ColumnDef::new(Q::LastError).text().null())
                .col(ColumnDef::new(Q::QueuedAt).big_integer().not_null())
                .col(ColumnDef::new(Q::UpdatedAt).big_integer().not_null())
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sl_ix_mail_queue_due")
                    .table(Q::Table)
                    .col(Q::State)
                    .col(Q::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sl_ix_mail_queue_owner")
                    .table(Q::Table)
                    .col(Q::Owner)
                    .col(Q::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SlMailQueue::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

//! Per-recipient control (`sl_recipients.revoked_at`, `expires_at`, `last_access_at`):
//! nullable instants (nanoseconds since the epoch, like every instant here), null in
//! every row written before, which leaves those recipients active and never opened.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm_migration::prelude::*;

/// Adds the revocation, own expiry and last access of a recipient.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SlRecipients {
    Table,
    RevokedAt,
    ExpiresAt,
    LastAccessAt,
}

const COLUMNS: [SlRecipients; 3] = [
    SlRecipients::RevokedAt,
    SlRecipients::ExpiresAt,
    SlRecipients::LastAccessAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(SlRecipients::Table)
                        .add_column(ColumnDef::new(column).big_integer().null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(SlRecipients::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

//! The readable access code of shares with auto-fill (`sl_shares.autofill_code`), so the
//! owner can read the link with the code again: nullable, and null in every row written
//! before (those shares' links carry no code until the owner sets the password again).
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm_migration::prelude::*;

/// Adds `sl_shares.autofill_code`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlShares {
    Table,
    AutofillCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SlShares::Table)
                    .add_column(ColumnDef::new(SlShares::AutofillCode).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SlShares::Table)
                    .drop_column(SlShares::AutofillCode)
                    .to_owned(),
            )
            .await
    }
}

//! Webhooks: endpoints (`sl_webhook_endpoints`: per owner, or site-wide with no owner, and
//! their signing secrets) and the outbox (`sl_webhook_deliveries`: one row per event and
//! endpoint, with the body exactly as signed and where its delivery stands). Deliveries
//! name their endpoint without a foreign key; deleting an endpoint deletes its deliveries
//! in the same transaction. They are not tied to a share either: a revoked share's events
//! are still delivered.
//!
//! Frozen once released: change the schema with a new migration file.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

/// Creates `sl_webhook_endpoints`, `sl_webhook_deliveries` and their indexes.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlWebhookEndpoints {
    Table,
    Id,
    Owner,
    Url,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SlWebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EndpointOwner,
    MessageId,
    ShareId,
    EventType,
    Payload,
    State,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SlWebhookDeliveries as D;
        use SlWebhookEndpoints as E;
        let mysql = manager.get_database_backend() == DbBackend::MySql;
        let table = |name| {
            let mut t = Table::create();
            t.table(name).if_not_exists();
            if mysql {
                t.engine("InnoDB")
                    .character_set("utf8mb4")
                    .collate("utf8mb4_bin");
            }
            t
        };
        let id = |col| {
            ColumnDef::new(col)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key()
                .to_owned()
        };
        manager
            .create_table(
                table(E::Table.into_iden())
                    .col(id(E::Id.into_iden()))
                    .col(ColumnDef::new(E::Owner).string_len(200).null())
                    .col(ColumnDef::new(E::Url).text().not_null())
                    .col(ColumnDef::new(E::Secret).string_len(200).not_null())
                    // Instants: nanoseconds since the Unix epoch.
                    .col(ColumnDef::new(E::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        let mut payload = ColumnDef::new(D::Payload);
        if mysql {
            payload.custom("longtext");
        } else {
            payload.text();
        }
        manager
            .create_table(
                table(D::Table.into_iden())
                    .col(id(D::Id.into_iden()))
                    .col(ColumnDef::new(D::EndpointId).big_integer().not_null())
                    .col(ColumnDef::new(D::EndpointOwner).string_len(200).null())
                    .col(ColumnDef::new(D::MessageId).string_len(100).not_null())
                    .col(ColumnDef::new(D::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(D::EventType).string_len(60).not_null())
                    .col(payload.not_null())
                    // `pending`, `delivered` or `dead`.
                    .col(ColumnDef::new(D::State).string_len(16).not_null())
                    .col(ColumnDef::new(D::Attempts).big_integer().not_null())
                    .col(ColumnDef::new(D::NextAttemptAt).big_integer().not_null())
                    .col(ColumnDef::new(D::LeasedUntil).big_integer().null())
                    .col(ColumnDef::new(D::LastError).text().null())
                    .col(ColumnDef::new(D::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(D::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("sl_ix_webhook_deliveries_due", [D::State, D::NextAttemptAt]),
            ("sl_ix_webhook_deliveries_line", [D::EndpointId, D::ShareId]),
            ("sl_ix_webhook_deliveries_owner", [D::EndpointOwner, D::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(D::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("sl_ix_webhook_endpoints_owner")
                    .table(E::Table)
                    .col(E::Owner)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SlWebhookDeliveries::Table.into_iden(),
            SlWebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

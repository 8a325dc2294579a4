//! The initial schema: shares, recipients, registrations, sessions, one-time codes,
//! use reservations, brute-force counters, templates and the access log.
//!
//! Frozen: this file is the schema every database created by sharelink 0.1 got (before
//! this file existed the same DDL was built from the entities, and recorded as
//! `migration`), and the name of this file is recorded in `sl_migrations`. Change the
//! schema with a new migration file, never here.

use sea_orm::{DbBackend, DbErr};
use sea_orm_migration::prelude::*;

/// Creates the nine `sl_` tables and their indexes.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SlShares {
    Table,
    Id,
    KeyText,
    KeyFolded,
    Owner,
    NameFolded,
    Items,
    Requested,
    Settings,
    Adjustments,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
    StartsAt,
    ExpiresAt,
    UseMax,
    Uses,
    UploadedBytes,
    BoundDevice,
    ReminderSentAt,
}

#[derive(DeriveIden)]
enum SlRecipients {
    Table,
    Id,
    ShareId,
    Email,
    EmailNorm,
    Company,
    Note,
    SentAt,
    LinkCode,
    BoundBrowser,
}

#[derive(DeriveIden)]
enum SlRegistrations {
    Table,
    Id,
    ShareId,
    Answers,
    At,
    Ip,
}

#[derive(DeriveIden)]
enum SlSessions {
    Table,
    Id,
    ShareId,
    CreatedAt,
    Data,
}

#[derive(DeriveIden)]
enum SlCodes {
    Table,
    SessionId,
    ShareId,
    Email,
    Code,
    ExpiresAt,
    AttemptsLeft,
}

#[derive(DeriveIden)]
enum SlReservations {
    Table,
    ShareId,
    Dedup,
}

#[derive(DeriveIden)]
enum SlAttempts {
    Table,
    ShareId,
    Scope,
    Client,
    WindowStart,
    Hits,
}

#[derive(DeriveIden)]
enum SlTemplates {
    Table,
    Id,
    Owner,
    Name,
    Body,
}

#[derive(DeriveIden)]
enum SlLogEvents {
    Table,
    Id,
    ShareId,
    At,
    Kind,
    Paths,
    Bytes,
    Ip,
    UserAgent,
    Visitor,
    Email,
    Registration,
    Detail,
}

/// Text that may be long (JSON documents, descriptions): `longtext` on MySQL, whose
/// `text` holds only 64 KiB.
fn long_text<C: IntoIden>(backend: DbBackend, col: C) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    if backend == DbBackend::MySql {
        def.custom("longtext");
    } else {
        def.text();
    }
    def
}

/// A table, with InnoDB, utf8mb4 and a binary (case- and accent-sensitive) collation on
/// MySQL, so that keys, codes and session ids compare exactly as on the other backends.
fn table<T: IntoTableRef>(backend: DbBackend, name: T) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists();
    if backend == DbBackend::MySql {
        t.engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_bin");
    }
    t
}

/// A `bigint` primary key the database numbers.
fn id<C: IntoIden>(col: C) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// `from.col` references `sl_shares.id`; deleting the share deletes the row.
fn cascade_to_share<T: IntoTableRef, C: IntoIden>(
    name: &str,
    from: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, col)
        .to(SlShares::Table, SlShares::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index<T: IntoTableRef>(name: &str, table: T) -> IndexCreateStatement {
    Index::create().name(name).table(table).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();

        use SlShares as S;
        manager
            .create_table(
                table(b, S::Table)
                    .col(id(S::Id))
                    .col(ColumnDef::new(S::KeyText).string_len(64).not_null())
                    .col(ColumnDef::new(S::KeyFolded).string_len(64).not_null())
                    .col(ColumnDef::new(S::Owner).string_len(200).not_null())
                    .col(ColumnDef::new(S::NameFolded).text().not_null())
                    .col(long_text(b, S::Items).not_null())
                    .col(long_text(b, S::Requested).not_null())
                    .col(long_text(b, S::Settings).not_null())
                    .col(long_text(b, S::Adjustments).not_null())
                    .col(ColumnDef::new(S::PasswordHash).text().null())
                    .col(ColumnDef::new(S::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(S::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(S::StartsAt).big_integer().null())
                    .col(ColumnDef::new(S::ExpiresAt).big_integer().null())
                    .col(ColumnDef::new(S::UseMax).big_integer().null())
                    .col(ColumnDef::new(S::Uses).big_integer().not_null().default(0))
                    .col(
                        ColumnDef::new(S::UploadedBytes)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(S::BoundDevice).string_len(128).null())
                    .col(ColumnDef::new(S::ReminderSentAt).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ux_shares_key", S::Table)
                    .col(S::KeyFolded)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_shares_owner_created", S::Table)
                    .col(S::Owner)
                    .col(S::CreatedAt)
                    .col(S::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_shares_created", S::Table)
                    .col(S::CreatedAt)
                    .col(S::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_shares_expires", S::Table)
                    .col(S::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        use SlRecipients as R;
        manager
            .create_table(
                table(b, R::Table)
                    .col(id(R::Id))
                    .col(ColumnDef::new(R::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(R::Email).string_len(320).not_null())
                    .col(ColumnDef::new(R::EmailNorm).string_len(320).not_null())
                    .col(ColumnDef::new(R::Company).text().null())
                    .col(long_text(b, R::Note).null())
                    .col(ColumnDef::new(R::SentAt).big_integer().null())
                    .col(ColumnDef::new(R::LinkCode).string_len(128).not_null())
                    .col(ColumnDef::new(R::BoundBrowser).string_len(128).null())
                    .foreign_key(&mut cascade_to_share(
                        "sl_fk_recipients_share",
                        R::Table,
                        R::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ux_recipients_code", R::Table)
                    .col(R::ShareId)
                    .col(R::LinkCode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_recipients_email", R::Table)
                    .col(R::EmailNorm)
                    .to_owned(),
            )
            .await?;

        use SlRegistrations as G;
        manager
            .create_table(
                table(b, G::Table)
                    .col(id(G::Id))
                    .col(ColumnDef::new(G::ShareId).big_integer().not_null())
                    .col(long_text(b, G::Answers).not_null())
                    .col(ColumnDef::new(G::At).big_integer().not_null())
                    .col(ColumnDef::new(G::Ip).string_len(64).null())
                    .foreign_key(&mut cascade_to_share(
                        "sl_fk_registrations_share",
                        G::Table,
                        G::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_registrations_share", G::Table)
                    .col(G::ShareId)
                    .col(G::Id)
                    .to_owned(),
            )
            .await?;

        use SlSessions as V;
        manager
            .create_table(
                table(b, V::Table)
                    .col(
                        ColumnDef::new(V::Id)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(V::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(V::CreatedAt).big_integer().not_null())
                    .col(long_text(b, V::Data).not_null())
                    .foreign_key(&mut cascade_to_share(
                        "sl_fk_sessions_share",
                        V::Table,
                        V::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_sessions_share", V::Table)
                    .col(V::ShareId)
                    .to_owned(),
            )
            .await?;

        use SlCodes as C;
        manager
            .create_table(
                table(b, C::Table)
                    .col(
                        ColumnDef::new(C::SessionId)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(C::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(C::Email).string_len(320).not_null())
                    .col(ColumnDef::new(C::Code).string_len(128).not_null())
                    .col(ColumnDef::new(C::ExpiresAt).big_integer().not_null())
                    .col(ColumnDef::new(C::AttemptsLeft).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_codes_share", C::Table)
                    .col(C::ShareId)
                    .to_owned(),
            )
            .await?;

        use SlReservations as U;
        manager
            .create_table(
                table(b, U::Table)
                    .col(ColumnDef::new(U::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(U::Dedup).string_len(500).not_null())
                    .primary_key(Index::create().col(U::ShareId).col(U::Dedup))
                    .foreign_key(&mut cascade_to_share(
                        "sl_fk_reservations_share",
                        U::Table,
                        U::ShareId,
                    ))
                    .to_owned(),
            )
            .await?;

        use SlAttempts as A;
        manager
            .create_table(
                table(b, A::Table)
                    .col(ColumnDef::new(A::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(A::Scope).string_len(32).not_null())
                    .col(ColumnDef::new(A::Client).string_len(255).not_null())
                    .col(ColumnDef::new(A::WindowStart).big_integer().not_null())
                    .col(ColumnDef::new(A::Hits).big_integer().not_null())
                    .primary_key(Index::create().col(A::ShareId).col(A::Scope).col(A::Client))
                    .to_owned(),
            )
            .await?;

        use SlTemplates as T;
        manager
            .create_table(
                table(b, T::Table)
                    .col(id(T::Id))
                    .col(ColumnDef::new(T::Owner).string_len(200).not_null())
                    .col(ColumnDef::new(T::Name).text().not_null())
                    .col(long_text(b, T::Body).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_templates_owner", T::Table)
                    .col(T::Owner)
                    .col(T::Id)
                    .to_owned(),
            )
            .await?;

        use SlLogEvents as L;
        manager
            .create_table(
                table(b, L::Table)
                    .col(id(L::Id))
                    .col(ColumnDef::new(L::ShareId).big_integer().not_null())
                    .col(ColumnDef::new(L::At).big_integer().not_null())
                    .col(ColumnDef::new(L::Kind).string_len(32).not_null())
                    .col(long_text(b, L::Paths).not_null())
                    .col(ColumnDef::new(L::Bytes).big_integer().null())
                    .col(ColumnDef::new(L::Ip).string_len(64).null())
                    .col(ColumnDef::new(L::UserAgent).text().null())
                    .col(ColumnDef::new(L::Visitor).string_len(255).null())
                    .col(ColumnDef::new(L::Email).string_len(320).null())
                    .col(ColumnDef::new(L::Registration).big_integer().null())
                    .col(long_text(b, L::Detail).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("sl_ix_log_share_at", L::Table)
                    .col(L::ShareId)
                    .col(L::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sl_ix_log_at", L::Table).col(L::At).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SlLogEvents::Table.into_table_ref(),
            SlTemplates::Table.into_table_ref(),
            SlAttempts::Table.into_table_ref(),
            SlReservations::Table.into_table_ref(),
            SlCodes::Table.into_table_ref(),
            SlSessions::Table.into_table_ref(),
            SlRegistrations::Table.into_table_ref(),
            SlRecipients::Table.into_table_ref(),
            SlShares::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

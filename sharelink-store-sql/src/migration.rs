//! The schema and its migrations (sea-orm-migration), applied by [`crate::connect`].
//!
//! Migrations are recorded in `sl_migrations` (not sea-orm's default table, so an
//! embedding application can keep its own migrations in the same database) and run under
//! a database-wide lock, so several nodes starting at once apply them exactly once.

use crate::entity::{
    attempt, code, log_event, recipient, registration, reservation, session, share, template,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::prelude::*;

/// The migrations of this crate, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20260101_000001_init::Migration)]
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
    let result = Migrator::up(&txn, None).await;
    if backend == DbBackend::MySql {
        // MySQL commits DDL as it goes; the lock is released explicitly either way.
        txn.execute_unprepared("SELECT RELEASE_LOCK('sharelink_migrations')")
            .await?;
    }
    match result {
        Ok(()) => txn.commit().await,
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
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

fn id<C: IntoIden>(col: C) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn cascade_to_share<T: IntoTableRef, C: IntoIden>(
    name: &str,
    from: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, col)
        .to(share::Entity, share::Column::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index<T: IntoTableRef>(name: &str, table: T) -> IndexCreateStatement {
    Index::create().name(name).table(table).to_owned()
}

mod m20260101_000001_init {
    use super::*;

    #[derive(DeriveMigrationName)]
    pub(super) struct Migration;

    #[async_trait::async_trait]
    impl MigrationTrait for Migration {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let b = manager.get_database_backend();
            use share::Column as S;
            manager
                .create_table(
                    table(b, share::Entity)
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
                    index("sl_ux_shares_key", share::Entity)
                        .col(S::KeyFolded)
                        .unique()
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_shares_owner_created", share::Entity)
                        .col(S::Owner)
                        .col(S::CreatedAt)
                        .col(S::Id)
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_shares_created", share::Entity)
                        .col(S::CreatedAt)
                        .col(S::Id)
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_shares_expires", share::Entity)
                        .col(S::ExpiresAt)
                        .to_owned(),
                )
                .await?;

            use recipient::Column as R;
            manager
                .create_table(
                    table(b, recipient::Entity)
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
                            recipient::Entity,
                            R::ShareId,
                        ))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ux_recipients_code", recipient::Entity)
                        .col(R::ShareId)
                        .col(R::LinkCode)
                        .unique()
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_recipients_email", recipient::Entity)
                        .col(R::EmailNorm)
                        .to_owned(),
                )
                .await?;

            use registration::Column as G;
            manager
                .create_table(
                    table(b, registration::Entity)
                        .col(id(G::Id))
                        .col(ColumnDef::new(G::ShareId).big_integer().not_null())
                        .col(long_text(b, G::Answers).not_null())
                        .col(ColumnDef::new(G::At).big_integer().not_null())
                        .col(ColumnDef::new(G::Ip).string_len(64).null())
                        .foreign_key(&mut cascade_to_share(
                            "sl_fk_registrations_share",
                            registration::Entity,
                            G::ShareId,
                        ))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_registrations_share", registration::Entity)
                        .col(G::ShareId)
                        .col(G::Id)
                        .to_owned(),
                )
                .await?;

            use session::Column as V;
            manager
                .create_table(
                    table(b, session::Entity)
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
                            session::Entity,
                            V::ShareId,
                        ))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_sessions_share", session::Entity)
                        .col(V::ShareId)
                        .to_owned(),
                )
                .await?;

            use code::Column as C;
            manager
                .create_table(
                    table(b, code::Entity)
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
                    index("sl_ix_codes_share", code::Entity)
                        .col(C::ShareId)
                        .to_owned(),
                )
                .await?;

            use reservation::Column as U;
            manager
                .create_table(
                    table(b, reservation::Entity)
                        .col(ColumnDef::new(U::ShareId).big_integer().not_null())
                        .col(ColumnDef::new(U::Dedup).string_len(500).not_null())
                        .primary_key(Index::create().col(U::ShareId).col(U::Dedup))
                        .foreign_key(&mut cascade_to_share(
                            "sl_fk_reservations_share",
                            reservation::Entity,
                            U::ShareId,
                        ))
                        .to_owned(),
                )
                .await?;

            use attempt::Column as A;
            manager
                .create_table(
                    table(b, attempt::Entity)
                        .col(ColumnDef::new(A::ShareId).big_integer().not_null())
                        .col(ColumnDef::new(A::Scope).string_len(32).not_null())
                        .col(ColumnDef::new(A::Client).string_len(255).not_null())
                        .col(ColumnDef::new(A::WindowStart).big_integer().not_null())
                        .col(ColumnDef::new(A::Hits).big_integer().not_null())
                        .primary_key(Index::create().col(A::ShareId).col(A::Scope).col(A::Client))
                        .to_owned(),
                )
                .await?;

            use template::Column as T;
            manager
                .create_table(
                    table(b, template::Entity)
                        .col(id(T::Id))
                        .col(ColumnDef::new(T::Owner).string_len(200).not_null())
                        .col(ColumnDef::new(T::Name).text().not_null())
                        .col(long_text(b, T::Body).not_null())
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_templates_owner", template::Entity)
                        .col(T::Owner)
                        .col(T::Id)
                        .to_owned(),
                )
                .await?;

            use log_event::Column as L;
            manager
                .create_table(
                    table(b, log_event::Entity)
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
                    index("sl_ix_log_share_at", log_event::Entity)
                        .col(L::ShareId)
                        .col(L::At)
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    index("sl_ix_log_at", log_event::Entity)
                        .col(L::At)
                        .to_owned(),
                )
                .await?;
            Ok(())
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            for t in [
                log_event::Entity.into_table_ref(),
                template::Entity.into_table_ref(),
                attempt::Entity.into_table_ref(),
                reservation::Entity.into_table_ref(),
                code::Entity.into_table_ref(),
                session::Entity.into_table_ref(),
                registration::Entity.into_table_ref(),
                recipient::Entity.into_table_ref(),
                share::Entity.into_table_ref(),
            ] {
                manager
                    .drop_table(Table::drop().table(t).if_exists().to_owned())
                    .await?;
            }
            Ok(())
        }
    }
}

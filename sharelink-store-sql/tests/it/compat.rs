//! Databases created by earlier versions: each fixture in `fixtures/` is the schema and
//! migration record that sharelink 0.1 (whose migration built its DDL from the entities
//! and was recorded as `migration`) left on a backend, dumped from a real database.
//! Connecting with this version must accept it as it is: the record is renamed, nothing
//! re-runs, and the store works on it.

use sea_orm::{ConnectionTrait, Database, Statement};
use sharelink_core::UrlKey;
use sharelink_core::conformance::repository::{T0, new_share};
use sharelink_core::ports::{AccessLog, LogKind, LogQuery, NewLogEvent, ShareStore};
use sharelink_store_sql::testing::{TestBackend as Backend, fresh_url, run};

/// The schema of sharelink 0.1 on SQLite (`sqlite3 .schema`).
const SQLITE_0_1: &str = include_str!("fixtures/schema_0_1_sqlite.sql");
/// The schema of sharelink 0.1 on PostgreSQL (`pg_dump -s`, without ownership).
#[cfg(feature = "postgres")]
const POSTGRES_0_1: &str = include_str!("fixtures/schema_0_1_postgres.sql");
/// The schema of sharelink 0.1 on MariaDB (`SHOW CREATE TABLE`).
#[cfg(feature = "mysql")]
const MYSQL_0_1: &str = include_str!("fixtures/schema_0_1_mysql.sql");

/// The migrations table as 0.1 left it.
async fn recorded(db: &impl ConnectionTrait) -> Vec<(String, i64)> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT version, applied_at FROM sl_migrations ORDER BY version",
    ))
    .await
    .expect("read sl_migrations")
    .into_iter()
    .map(|row| {
        (
            row.try_get::<String>("", "version").expect("version"),
            row.try_get::<i64>("", "applied_at").expect("applied_at"),
        )
    })
    .collect()
}

/// Loads `fixture` into a fresh database, then connects with this version's code.
async fn accepts_a_database_of_0_1(backend: Backend, fixture: &str) {
    let url = fresh_url(backend).await;
    let raw_url = match backend {
        Backend::Sqlite => format!("{url}?mode=rwc"),
        _ => url.clone(),
    };
    let db = Database::connect(&raw_url).await.expect("connect");
    // One statement at a time: not every driver takes several in one call.
    for statement in fixture.split(";\n") {
        let sql: String = statement
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        if !sql.trim().is_empty() {
            db.execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("fixture statement failed: {e}\n{sql}"));
        }
    }
    let before = recorded(&db).await;
    // 0.1 recorded its one migration under the name of the file that held it.
    assert_eq!(
        before,
        vec![("migration".to_owned(), 1_796_035_486)],
        "the fixture's migration record"
    );
    db.close().await.expect("close");

    let store = sharelink_store_sql::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: a 0.1 database is refused: {e:?}"));
    // The same migration, under its file's name now: it did not run again; the ones
    // added since ran once.
    let after = recorded(store.connection()).await;
    assert_eq!(
        after[0],
        ("m20261123_000001_init".to_owned(), 1_796_035_486)
    );
    assert_eq!(
        after[1..]
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        vec![
            "m20261130_000001_creations",
            "m20261201_000001_autofill_code",
            "m20261202_000001_mail_queue",
            "m20261203_000001_leases",
            "m20261203_000002_recipients",
            "m20261204_000001_webhooks",
            "m20261204_000002_site_settings",
            "m20261204_000003_notification_digest"
        ]
    );

    // The store works on it: a share with a use limit, and the log.
    let share = store
        .insert_share(new_share("compat01Key", "ana", "Old plans", T0))
        .await
        .expect("insert");
    let found = store
        .find_by_key(&UrlKey::parse("COMPAT01key").expect("key"))
        .await
        .expect("find");
    assert_eq!(found.map(|s| s.id), Some(share.id));
    // The auto-fill column added since 0.1 holds a code.
    let mut with_code = new_share("compat02Key", "ana", "Coded", T0);
    with_code.autofill_code = Some(sharelink_core::AutofillCode::of(
        &sharelink_core::PlainPassword::new("open sesame", 1).expect("password"),
    ));
    let coded = store.insert_share(with_code).await.expect("insert");
    let back = store
        .get_share(coded.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        back.autofill_code.as_ref().map(|c| c.expose()),
        Some("open sesame")
    );
    store
        .append(&NewLogEvent {
            share_id: share.id,
            at: T0,
            kind: LogKind::Visit,
            paths: vec![],
            bytes: None,
            ip: None,
            user_agent: None,
            visitor: None,
            email: None,
            registration: None,
            detail: None,
        })
        .await
        .expect("append");
    let events = store
        .query(&LogQuery {
            shares: Some(vec![share.id]),
            kinds: None,
            from: None,
            to: None,
            before_id: None,
            limit: 10,
        })
        .await
        .expect("query");
    assert_eq!(events.len(), 1);
    // And connecting again still changes nothing.
    store.close().await.expect("close");
    let again = sharelink_store_sql::connect(&url).await.expect("again");
    assert_eq!(recorded(again.connection()).await, after);
}

#[test]
fn sqlite_accepts_a_database_of_0_1() {
    run(
        Backend::Sqlite,
        accepts_a_database_of_0_1(Backend::Sqlite, SQLITE_0_1),
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_accepts_a_database_of_0_1() {
    run(
        Backend::Postgres,
        accepts_a_database_of_0_1(Backend::Postgres, POSTGRES_0_1),
    );
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_accepts_a_database_of_0_1() {
    run(
        Backend::MySql,
        accepts_a_database_of_0_1(Backend::MySql, MYSQL_0_1),
    );
}

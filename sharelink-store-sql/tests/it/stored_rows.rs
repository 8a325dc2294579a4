//! Rows written by earlier versions still load: the frozen JSON of core's
//! `tests/fixtures/stored/` goes into today's columns through plain SQL, then comes back
//! through the repository; writing it again stores RFC 3339 instants.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sharelink_core::ports::{ShareStore, VisitorStore};
use sharelink_core::{Adjustment, SessionId, ShareId, ShareSettings, UrlKey, VisitorSession};
use sharelink_store_sql::SqlStore;
use sharelink_store_sql::testing::{TestBackend as Backend, fresh_store, run};
use time::OffsetDateTime;
use time::macros::datetime;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../sharelink-core/tests/fixtures/stored/",
            $name
        ))
    };
}

const CREATED: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).expect("instant in range")
}

/// Inserts a row through plain SQL, one value per column.
async fn insert_row<const N: usize>(store: &SqlStore, table: &str, row: [(&str, Expr); N]) {
    let (columns, values): (Vec<_>, Vec<_>) = row
        .into_iter()
        .map(|(column, value)| (Alias::new(column), value))
        .unzip();
    let insert = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns)
        .values(values)
        .expect("one value per column")
        .to_owned();
    store
        .connection()
        .execute(&insert)
        .await
        .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
}

/// Inserts a share row as an earlier version left it: the JSON columns hold the frozen
/// text; the columns queries filter on are filled from the same settings.
async fn insert_share(store: &SqlStore, id: i64, key: &str, settings_json: &str) {
    let settings: ShareSettings = serde_json::from_str(settings_json).expect("fixture loads");
    // The full row (42) carries one adjustment of every kind.
    let adjustments = if id == 42 {
        fixture!("adjustments_v1.json")
    } else {
        "[]"
    };
    let no_text = Option::<String>::None;
    insert_row(
        store,
        "sl_shares",
        [
            ("id", id.into()),
            ("key_text", key.into()),
            ("key_folded", key.to_lowercase().into()),
            ("owner", "ana".into()),
            ("name_folded", settings.name.to_lowercase().into()),
            ("items", fixture!("share_items_v1.json").trim().into()),
            ("requested", settings_json.trim().into()),
            ("settings", settings_json.trim().into()),
            ("adjustments", adjustments.trim().into()),
            ("password_hash", no_text.clone().into()),
            ("created_at", nanos(CREATED).into()),
            ("updated_at", nanos(CREATED).into()),
            ("starts_at", settings.schedule.starts_at.map(nanos).into()),
            ("expires_at", settings.schedule.expires_at.map(nanos).into()),
            (
                "use_max",
                settings.use_limit.map(|l| i64::from(l.max)).into(),
            ),
            ("uses", 0i64.into()),
            ("uploaded_bytes", 0i64.into()),
            ("bound_device", no_text.into()),
            ("reminder_sent_at", Option::<i64>::None.into()),
        ],
    )
    .await;
}

/// Inserts a session row (on share 42) as an earlier version left it.
async fn insert_session(store: &SqlStore, data: &str) {
    let session: VisitorSession = serde_json::from_str(data).expect("fixture loads");
    insert_row(
        store,
        "sl_sessions",
        [
            ("id", session.id.as_str().into()),
            ("share_id", 42i64.into()),
            ("created_at", nanos(session.created_at).into()),
            ("data", data.trim().into()),
        ],
    )
    .await;
}

/// A JSON column of a row, as stored.
async fn stored_text(store: &SqlStore, table: &str, column: &str, id: Expr) -> String {
    let select = Query::select()
        .column(Alias::new(column))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    store
        .connection()
        .query_one(&select)
        .await
        .expect("select")
        .expect("row exists")
        .try_get("", column)
        .expect("text column")
}

/// The frozen share rows: id, key, settings.
const SHARES: [(i64, &str, &str); 6] = [
    (42, "FrozenFull42", fixture!("share_settings_v1_full.json")),
    (
        43,
        "frozenminimal",
        fixture!("share_settings_v1_minimal.json"),
    ),
    (
        44,
        "frozenemailed",
        fixture!("share_settings_v1_emailed_only.json"),
    ),
    (
        45,
        "frozenorg",
        fixture!("share_settings_v1_organization.json"),
    ),
    (46, "frozenold", fixture!("share_settings_v0_old_row.json")),
    (
        47,
        "frozennewer",
        fixture!("share_settings_v2_newer_row.json"),
    ),
];

/// The frozen session rows (all on share 42).
const SESSIONS: [&str; 3] = [
    fixture!("visitor_session_v1_fresh.json"),
    fixture!("visitor_session_v1_all_gates.json"),
    fixture!("visitor_session_v0_old_row.json"),
];

async fn frozen_rows_load(backend: Backend) {
    let store = fresh_store(backend).await;
    for (id, key, settings) in SHARES {
        insert_share(&store, id, key, settings).await;
    }
    for data in SESSIONS {
        insert_session(&store, data).await;
    }

    // Each share comes back by key (and the full one by id) with the settings its frozen
    // text holds; core's `stored_json` test checks what that text means.
    for (id, key, settings) in SHARES {
        let expected: ShareSettings = serde_json::from_str(settings).expect("fixture loads");
        let share = store
            .find_by_key(&UrlKey::parse(key).expect("key"))
            .await
            .unwrap_or_else(|e| panic!("row {key} loads: {e}"))
            .unwrap_or_else(|| panic!("row {key} found"));
        assert_eq!(share.id, ShareId(id));
        assert_eq!(share.settings, expected, "{key}");
        assert_eq!(share.requested, expected, "{key}");
        assert_eq!(share.items.len(), 2);
        assert_eq!(share.created_at, CREATED);
        // Rows from before auto-fill kept its code (v1 has auto-fill on) have none.
        assert_eq!(share.autofill_code, None, "{key}");
    }
    let full = store
        .get_share(ShareId(42))
        .await
        .expect("the full row loads")
        .expect("found");
    assert_eq!(full.settings.name, "Q3 reports — final");
    assert_eq!(
        full.settings.schedule.expires_at,
        Some(datetime!(2026-12-31 23:59:59.5 +01:00))
    );
    assert_eq!(full.adjustments.len(), 7);
    assert_eq!(
        full.adjustments[2],
        Adjustment::ExpiryCapped {
            requested: Some(datetime!(2030-01-01 00:00 UTC)),
            to: datetime!(2027-11-23 10:00:00.25 UTC),
        }
    );

    for data in SESSIONS {
        let expected: VisitorSession = serde_json::from_str(data).expect("fixture loads");
        let session = store
            .get_session(&expected.id)
            .await
            .unwrap_or_else(|e| panic!("session {} loads: {e}", expected.id.as_str()))
            .unwrap_or_else(|| panic!("session {} found", expected.id.as_str()));
        assert_eq!(session, expected);
    }
    let gates = store
        .get_session(&SessionId::parse("sess-gates-0002").expect("id"))
        .await
        .expect("loads")
        .expect("found");
    assert!(gates.password_passed && gates.clickwrap_accepted);
    assert_eq!(gates.created_at, datetime!(2026-11-23 11:00 UTC));

    // Writing them again stores RFC 3339, and that loads too.
    store.update_share(&full).await.expect("update share");
    let text = stored_text(&store, "sl_shares", "settings", 42i64.into()).await;
    assert!(
        text.contains(r#""expires_at":"2026-12-31T23:59:59.5+01:00""#),
        "{text}"
    );
    let text = stored_text(&store, "sl_shares", "adjustments", 42i64.into()).await;
    assert!(text.contains(r#""to":"2027-11-23T10:00:00.25Z""#), "{text}");
    let again = store
        .get_share(ShareId(42))
        .await
        .expect("loads")
        .expect("found");
    assert_eq!(again.settings, full.settings);
    assert_eq!(again.adjustments, full.adjustments);

    store.update_session(&gates).await.expect("update session");
    let text = stored_text(&store, "sl_sessions", "data", gates.id.as_str().into()).await;
    assert!(
        text.contains(r#""created_at":"2026-11-23T11:00:00Z""#),
        "{text}"
    );
    let again = store.get_session(&gates.id).await.expect("loads");
    assert_eq!(again, Some(gates));
}

#[test]
fn sqlite() {
    run(Backend::Sqlite, frozen_rows_load(Backend::Sqlite));
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    run(Backend::Postgres, frozen_rows_load(Backend::Postgres));
}

#[cfg(feature = "mysql")]
#[test]
fn mysql() {
    run(Backend::MySql, frozen_rows_load(Backend::MySql));
}

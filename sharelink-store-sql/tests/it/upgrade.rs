//! Upgrades: databases created by today's release, frozen in `fixtures/today/`, are
//! migrated by the code under test, and every row still reads as it read when written.
//!
//! | file | what |
//! |---|---|
//! | `sharelink.db` | a SQLite file (journal mode `delete`, 1 KiB pages, vacuumed) |
//! | `postgres.sql` | the same rows on PostgreSQL: `pg_dump --no-owner --no-privileges --inserts` |
//! | `expected.json` | what the ports read from them when they were made ([`Snapshot`]) |
//!
//! The rows ([`populate`]) are shares of every mode and access kind (with passwords,
//! auto-fill codes, adjustments, a bound device, a reminder, spent uses and upload
//! space), recipients (one bound to a browser, one with a replaced link code), sessions
//! with gate stamps, a one-time code, attempt and daily-creation counters, counted
//! downloads, registrations, templates and one log row of every kind.
//!
//! **Regenerating** (only when a release changes what is stored; the fixtures of a
//! release are otherwise frozen): with `SHARELINK_TEST_POSTGRES_URL` set and `pg_dump`
//! on the PATH, run
//! `SHARELINK_WRITE_UPGRADE_FIXTURES=1 cargo test -p sharelink-store-sql --all-features --test it upgrade::fixtures_of_today`.
//! Without the variable that test still makes the rows on a fresh SQLite file and checks
//! that they read back as [`Snapshot`] says, so the generator keeps working.

use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sharelink_core::ports::{
    AccessLog, AttemptKey, CodeCheck, LogEvent, LogKind, LogQuery, NewLogEvent, NewRecipient,
    NewShare, OneTimeCode, RecipientStore, ShareQuery, ShareStats, ShareStore, Template,
    TemplateBody, TemplateStore, VisitorStore,
};
use sharelink_core::{
    Adjustment, AllowedActions, AutofillCode, BrowserId, DeviceId, Email, PasswordHash,
    PlainPassword, Recipient, Registration, RegistrationId, SessionId, Share, ShareId, ShareItem,
    SharePath, ShareSettings, UploadRules, UploaderFolder, UrlKey, UseLimit, UserId,
    VisitorSession,
};
use sharelink_store_sql::SqlStore;
use sharelink_store_sql::testing::{TestBackend as Backend, fresh_url, run};
use std::net::IpAddr;
use std::path::Path;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

/// Set (to anything) to write the fixtures anew.
const WRITE_VAR: &str = "SHARELINK_WRITE_UPGRADE_FIXTURES";
/// Where the fixtures live.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures/today");

macro_rules! stored {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../sharelink-core/tests/fixtures/stored/",
            $name
        ))
    };
}

const CREATED: OffsetDateTime = datetime!(2026-12-01 09:00 UTC);
const DAY: time::Date = date!(2026 - 12 - 01);
const WINDOW: Duration = Duration::hours(1);
const SESSIONS: [&str; 2] = ["sess-today-gates", "sess-today-fresh"];
const OWNERS: [&str; 2] = ["ana", "bob"];
const DOWNLOADS: [&str; 2] = ["download-a", "download-b"];

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("a user id")
}

fn email(text: &str) -> Email {
    Email::parse(text).expect("an email")
}

fn attempt_key(share: ShareId) -> AttemptKey {
    AttemptKey {
        share_id: share,
        scope: "password",
        client: Some("198.51.100.4".into()),
    }
}

/// A share made from frozen settings text, with `f` applied to the new share.
fn share(key: &str, owner: &str, settings: &str, f: impl FnOnce(&mut NewShare)) -> NewShare {
    let settings: ShareSettings = serde_json::from_str(settings).expect("settings load");
    let mut new = NewShare {
        key: UrlKey::parse(key).expect("a key"),
        owner: user(owner),
        items: serde_json::from_str::<Vec<ShareItem>>(stored!("share_items_v1.json"))
            .expect("items load"),
        requested: settings.clone(),
        settings,
        adjustments: vec![],
        password_hash: None,
        autofill_code: None,
        created_at: CREATED,
    };
    f(&mut new);
    new
}

/// Today's rows, written through the ports.
async fn populate(store: &SqlStore) {
    let full = store
        .insert_share(share("TodayFull01", "ana", stored!("share_settings_v1_full.json"), |s| {
            s.adjustments = serde_json::from_str::<Vec<Adjustment>>(stored!("adjustments_v1.json"))
                .expect("adjustments load");
            s.password_hash = Some(
                PasswordHash::parse(
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$YmFzZTY0aGFzaGJhc2U2NGhhc2hiYXNlNjRoYXNo",
                )
                .expect("a hash"),
            );
            s.autofill_code = Some(AutofillCode::of(
                &PlainPassword::new("open sesame", 1).expect("a password"),
            ));
        }))
        .await
        .expect("full");
    let minimal = store
        .insert_share(share(
            "todayminimal",
            "ana",
            stored!("share_settings_v1_minimal.json"),
            |_| {},
        ))
        .await
        .expect("minimal");
    let emailed = store
        .insert_share(share(
            "todayemailed",
            "bob",
            stored!("share_settings_v1_emailed_only.json"),
            |_| {},
        ))
        .await
        .expect("emailed");
    let org = store
        .insert_share(share(
            "todayorg",
            "bob",
            stored!("share_settings_v1_organization.json"),
            |_| {},
        ))
        .await
        .expect("organization");
    let one_time = store
        .insert_share(share(
            "todayOneTime",
            "ana",
            stored!("share_settings_v1_minimal.json"),
            |s| {
                s.settings.use_limit = Some(UseLimit::ONE_TIME);
                s.requested.use_limit = Some(UseLimit::ONE_TIME);
                s.settings.schedule.expires_at = Some(CREATED + Duration::days(7));
            },
        ))
        .await
        .expect("one-time");
    let drop_box = store
        .insert_share(share(
            "todayDropBox",
            "bob",
            stored!("share_settings_v1_minimal.json"),
            |s| {
                let mut settings = ShareSettings::named("Drop box");
                settings.allowed = AllowedActions::Upload;
                settings.inbox = Some(SharePath::parse("drop").expect("a path"));
                settings.upload_rules = UploadRules {
                    max_share_bytes: Some(10_000),
                    subfolder: UploaderFolder::ByTime,
                    ..UploadRules::default()
                };
                s.settings = settings;
                s.requested = s.settings.clone();
            },
        ))
        .await
        .expect("drop box");

    // Counters on shares.
    for d in DOWNLOADS {
        store
            .reserve_use(one_time.id, 5, Some(d))
            .await
            .expect("reserve");
    }
    store
        .refund_use(one_time.id, Some(DOWNLOADS[1]))
        .await
        .expect("refund");
    assert!(
        store
            .add_uploaded_bytes(drop_box.id, 1_234, Some(10_000))
            .await
            .expect("bytes")
    );
    let device = DeviceId::parse("device-today").expect("a device");
    assert!(store.bind_device(full.id, &device).await.expect("bind"));
    assert!(
        store
            .mark_reminded(one_time.id, CREATED + Duration::days(6))
            .await
            .expect("remind")
    );
    for _ in 0..3 {
        assert!(
            store
                .count_creation(&user("ana"), DAY, 50)
                .await
                .expect("count")
        );
    }

    // Recipients.
    let carla = store
        .add_recipient(NewRecipient {
            share_id: emailed.id,
            email: email("carla@example.com"),
            company: Some("Example GmbH".into()),
            note: Some("Board member".into()),
            link_code: "linkcodecarla01".into(),
            sent_at: Some(CREATED),
        })
        .await
        .expect("carla");
    store
        .bind_recipient_browser(
            carla.id,
            &BrowserId::parse("browser-carla").expect("a browser"),
        )
        .await
        .expect("bind browser");
    let dan = store
        .add_recipient(NewRecipient {
            share_id: emailed.id,
            email: email("dan@example.org"),
            company: None,
            note: None,
            link_code: "linkcodedan0001".into(),
            sent_at: None,
        })
        .await
        .expect("dan");
    store
        .replace_link_code(dan.id, "linkcodedan0002", CREATED + Duration::hours(2))
        .await
        .expect("replace code");

    // Registrations, sessions, codes, attempts.
    let registration: Registration = serde_json::from_value(json!({
        "name": "Eve Example", "email": "eve@example.com",
        "answers": [{"label": "Team", "value": "Legal"}, {"label": "Why", "value": "Audit ✓"}]
    }))
    .expect("a registration");
    let reg_id = store
        .add_registration(
            full.id,
            &registration,
            CREATED,
            Some("2001:db8::9".parse().expect("ip")),
        )
        .await
        .expect("registration");
    store
        .add_registration(
            org.id,
            &Registration {
                answers: vec![],
                ..registration.clone()
            },
            CREATED,
            None,
        )
        .await
        .expect("registration");
    let mut gates: VisitorSession =
        serde_json::from_str(stored!("visitor_session_v1_all_gates.json")).expect("session");
    gates.id = SessionId::parse(SESSIONS[0]).expect("an id");
    gates.share_id = full.id;
    gates.recipient = None;
    gates.registration = Some(reg_id);
    gates.gate_stamps = [("password".to_owned(), 3), ("registration".to_owned(), 1)].into();
    gates.email = Some(email("eve@example.com"));
    gates.name = Some("Eve Example".into());
    store.insert_session(&gates).await.expect("session");
    let mut fresh: VisitorSession =
        serde_json::from_str(stored!("visitor_session_v1_fresh.json")).expect("session");
    fresh.id = SessionId::parse(SESSIONS[1]).expect("an id");
    fresh.share_id = emailed.id;
    fresh.recipient = Some(carla.id);
    store.insert_session(&fresh).await.expect("session");
    store
        .put_code(&OneTimeCode {
            share_id: emailed.id,
            session_id: fresh.id.clone(),
            email: email("carla@example.com"),
            code: "481516".into(),
            expires_at: CREATED + Duration::minutes(15),
            attempts_left: 3,
        })
        .await
        .expect("code");
    for _ in 0..2 {
        store
            .hit_attempt(&attempt_key(full.id), CREATED, WINDOW)
            .await
            .expect("hit");
    }

    // Templates.
    store
        .put_template(&user("ana"), "Board form", &serde_json::from_value::<TemplateBody>(json!({
            "kind": "form", "form": {"kind": "custom", "fields": [
                {"label": "Name", "description": null, "required": true, "kind": {"type": "short_answer"}}
            ]}
        })).expect("a form"))
        .await
        .expect("template");
    store
        .put_template(
            &user("bob"),
            "NDA",
            &TemplateBody::Clickwrap {
                clickwrap: serde_json::from_value(
                    json!({"title": "NDA", "terms": "Keep it quiet."}),
                )
                .expect("terms"),
            },
        )
        .await
        .expect("template");

    // The log: one row of every kind, spread over the shares.
    let shares = [
        full.id,
        minimal.id,
        emailed.id,
        org.id,
        one_time.id,
        drop_box.id,
    ];
    for (i, kind) in LogKind::ALL.into_iter().enumerate() {
        let n = i64::try_from(i).expect("small");
        store
            .append(&NewLogEvent {
                share_id: shares[i % shares.len()],
                at: CREATED + Duration::minutes(n),
                kind,
                paths: if i % 2 == 0 {
                    vec![format!("reports/file-{i}.pdf")]
                } else {
                    vec![]
                },
                bytes: (i % 3 == 0).then_some(1_000 * u64::try_from(i).expect("small")),
                ip: (i % 2 == 1).then(|| "203.0.113.7".parse::<IpAddr>().expect("ip")),
                user_agent: Some("Mozilla/5.0 (today)".into()),
                visitor: Some(format!("visitor-{}", i % 4)),
                email: (i % 5 == 0).then(|| email("eve@example.com")),
                registration: (kind == LogKind::GatePassed).then_some(reg_id),
                detail: (kind == LogKind::Denied).then(|| "expired".to_owned()),
            })
            .await
            .expect("log row");
    }
}

/// A registration as the visitor store lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RegistrationRow {
    id: RegistrationId,
    share_id: ShareId,
    registration: Registration,
    at_nanos: i128,
    ip: Option<IpAddr>,
}

/// Everything the ports read from a database made by [`populate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Snapshot {
    shares: Vec<Share>,
    recipients: Vec<Recipient>,
    /// The recipient each current link code finds.
    found_by_code: Vec<Option<Recipient>>,
    sessions: Vec<Option<VisitorSession>>,
    registrations: Vec<RegistrationRow>,
    templates: Vec<Template>,
    log: Vec<LogEvent>,
    stats: Vec<ShareStats>,
    /// `is_counted` for each download key, on each share.
    counted: Vec<bool>,
    attempts: u32,
    /// How many more creations the daily quota of 50 allows today.
    creations_left: u32,
    /// What a wrong guess, then the right one, at the one-time code answer.
    code_checks: Vec<String>,
}

/// Reads every row back through the ports (the code check and the quota probe write).
async fn read_back(store: &SqlStore) -> Snapshot {
    let shares = store
        .list_shares(&ShareQuery {
            limit: 1_000,
            ..ShareQuery::default()
        })
        .await
        .expect("list shares")
        .shares;
    let mut ids: Vec<ShareId> = shares.iter().map(|s| s.id).collect();
    ids.sort();
    let mut snapshot = Snapshot {
        shares: Vec::new(),
        recipients: Vec::new(),
        found_by_code: Vec::new(),
        sessions: Vec::new(),
        registrations: Vec::new(),
        templates: Vec::new(),
        log: Vec::new(),
        stats: Vec::new(),
        counted: Vec::new(),
        attempts: 0,
        creations_left: 0,
        code_checks: Vec::new(),
    };
    for id in &ids {
        snapshot
            .shares
            .push(store.get_share(*id).await.expect("get").expect("listed"));
        for r in store.list_recipients(*id).await.expect("recipients") {
            snapshot
                .found_by_code
                .push(store.find_recipient(*id, &r.link_code).await.expect("find"));
            snapshot.recipients.push(r);
        }
        for r in store.list_registrations(*id).await.expect("registrations") {
            snapshot.registrations.push(RegistrationRow {
                id: r.id,
                share_id: r.share_id,
                registration: r.registration,
                at_nanos: r.at.unix_timestamp_nanos(),
                ip: r.ip,
            });
        }
        snapshot
            .stats
            .push(store.statistics(*id).await.expect("stats"));
        for d in DOWNLOADS {
            snapshot
                .counted
                .push(store.is_counted(*id, d).await.expect("counted"));
        }
    }
    for id in SESSIONS {
        let id = SessionId::parse(id).expect("an id");
        snapshot
            .sessions
            .push(store.get_session(&id).await.expect("session"));
    }
    for owner in OWNERS {
        snapshot
            .templates
            .extend(store.list_templates(&user(owner)).await.expect("templates"));
    }
    snapshot.log = store
        .query(&LogQuery {
            limit: 1_000,
            ..LogQuery::default()
        })
        .await
        .expect("log");
    if let Some(first) = ids.first() {
        snapshot.attempts = store
            .attempts(&attempt_key(*first), CREATED, WINDOW)
            .await
            .expect("attempts");
    }
    while store
        .count_creation(&user("ana"), DAY, 50)
        .await
        .expect("count")
    {
        snapshot.creations_left += 1;
    }
    let session = SessionId::parse(SESSIONS[1]).expect("an id");
    let at = CREATED + Duration::minutes(1);
    for guess in ["000000", "481516"] {
        let check: CodeCheck = store.check_code(&session, guess, at).await.expect("check");
        snapshot.code_checks.push(format!("{check:?}"));
    }
    snapshot
}

/// Every migration of this version is recorded: the upgrade ran the ones added since.
async fn assert_fully_migrated(backend: Backend, store: &SqlStore) {
    use sea_orm_migration::MigratorTrait;
    let db = store.connection();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM sl_migrations ORDER BY version",
        ))
        .await
        .expect("read sl_migrations");
    let recorded: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "version").expect("version"))
        .collect();
    let mut known: Vec<String> = sharelink_store_sql::migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    known.sort();
    assert_eq!(recorded, known, "{backend:?}: migrations recorded");
}

fn expected() -> Snapshot {
    let text =
        std::fs::read_to_string(Path::new(DIR).join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json loads")
}

/// Compares part by part, so that a failure names what no longer reads the same.
fn assert_reads_as_before(backend: Backend, got: &Snapshot, want: &Snapshot) {
    assert_eq!(got.shares, want.shares, "{backend:?}: shares");
    assert_eq!(got.recipients, want.recipients, "{backend:?}: recipients");
    assert_eq!(
        got.found_by_code, want.found_by_code,
        "{backend:?}: recipients by code"
    );
    assert_eq!(got.sessions, want.sessions, "{backend:?}: sessions");
    assert_eq!(
        got.registrations, want.registrations,
        "{backend:?}: registrations"
    );
    assert_eq!(got.templates, want.templates, "{backend:?}: templates");
    assert_eq!(got.log, want.log, "{backend:?}: log");
    assert_eq!(got.stats, want.stats, "{backend:?}: statistics");
    assert_eq!(got.counted, want.counted, "{backend:?}: counted downloads");
    assert_eq!(got.attempts, want.attempts, "{backend:?}: attempts");
    assert_eq!(
        got.creations_left, want.creations_left,
        "{backend:?}: daily quota"
    );
    assert_eq!(
        got.code_checks, want.code_checks,
        "{backend:?}: one-time code"
    );
    assert_eq!(got, want, "{backend:?}");
}

/// The fixture is complete: every kind of row is there.
fn assert_covers_everything(s: &Snapshot) {
    assert_eq!(s.shares.len(), 6);
    assert!(
        s.shares
            .iter()
            .any(|x| x.password_hash.is_some() && x.autofill_code.is_some())
    );
    assert!(s.shares.iter().any(|x| x.bound_device.is_some()));
    assert!(
        s.shares
            .iter()
            .any(|x| x.reminder_sent_at.is_some() && x.uses == 1)
    );
    assert!(s.shares.iter().any(|x| x.uploaded_bytes == 1_234));
    assert_eq!(s.recipients.len(), 2);
    assert!(s.recipients.iter().any(|r| r.bound_browser.is_some()));
    assert!(s.sessions.iter().all(Option::is_some));
    assert!(
        s.sessions
            .iter()
            .flatten()
            .any(|x| !x.gate_stamps.is_empty())
    );
    assert_eq!(s.registrations.len(), 2);
    assert_eq!(s.templates.len(), 2);
    let mut kinds: Vec<_> = s.log.iter().map(|e| e.event.kind.as_str()).collect();
    kinds.sort_unstable();
    let mut all: Vec<_> = LogKind::ALL.iter().map(|k| k.as_str()).collect();
    all.sort_unstable();
    assert_eq!(kinds, all, "one log row of every kind");
    assert_eq!((s.attempts, s.creations_left), (2, 47));
    assert!(s.code_checks[1].starts_with("Valid"), "{:?}", s.code_checks);
}

#[test]
fn a_sqlite_database_of_today_is_migrated_and_reads_the_same() {
    run(Backend::Sqlite, async {
        let url = fresh_url(Backend::Sqlite).await;
        let path = url.trim_start_matches("sqlite://");
        std::fs::copy(Path::new(DIR).join("sharelink.db"), path).expect("copy the fixture");
        let store = sharelink_store_sql::connect(&url).await.expect("migrate");
        assert_fully_migrated(Backend::Sqlite, &store).await;
        let want = expected();
        assert_covers_everything(&want);
        assert_reads_as_before(Backend::Sqlite, &read_back(&store).await, &want);
    });
}

#[cfg(feature = "postgres")]
#[test]
fn a_postgres_database_of_today_is_migrated_and_reads_the_same() {
    run(Backend::Postgres, async {
        let url = fresh_url(Backend::Postgres).await;
        let dump = std::fs::read_to_string(Path::new(DIR).join("postgres.sql")).expect("dump");
        let raw = Database::connect(ConnectOptions::new(&url).max_connections(1).to_owned())
            .await
            .expect("connect");
        // The simple query protocol takes the whole dump at once.
        raw.execute_unprepared(&dump)
            .await
            .expect("restore the dump");
        raw.close().await.expect("close");
        let store = sharelink_store_sql::connect(&url).await.expect("migrate");
        assert_fully_migrated(Backend::Postgres, &store).await;
        assert_reads_as_before(Backend::Postgres, &read_back(&store).await, &expected());
    });
}

/// Makes today's rows on a fresh SQLite file (and, when writing, on PostgreSQL), checks
/// they read back completely and alike, and with [`WRITE_VAR`] set freezes them.
#[test]
fn fixtures_of_today() {
    run(Backend::Sqlite, async {
        let write = std::env::var_os(WRITE_VAR).is_some();
        let url = fresh_url(Backend::Sqlite).await;
        let store = sharelink_store_sql::connect(&url).await.expect("connect");
        populate(&store).await;
        store.close().await.expect("close");
        let path = url.trim_start_matches("sqlite://").to_owned();
        let frozen = format!("{path}.frozen");
        let raw = Database::connect(format!("{url}?mode=rw"))
            .await
            .expect("raw");
        raw.execute_unprepared(&format!(
            "PRAGMA journal_mode=DELETE; PRAGMA page_size=1024; VACUUM INTO '{frozen}'"
        ))
        .await
        .expect("vacuum into a single file");
        raw.close().await.expect("close");
        let store = sharelink_store_sql::connect(&url).await.expect("reopen");
        let snapshot = read_back(&store).await;
        assert_covers_everything(&snapshot);
        if !write {
            eprintln!("notice: {WRITE_VAR} is not set; the fixtures were not written");
            return;
        }
        #[cfg(feature = "postgres")]
        {
            let dump = postgres_dump(&snapshot).await;
            std::fs::write(Path::new(DIR).join("postgres.sql"), dump).expect("write the dump");
        }
        std::fs::copy(&frozen, Path::new(DIR).join("sharelink.db")).expect("write the file");
        let json = serde_json::to_string_pretty(&snapshot).expect("json");
        std::fs::write(Path::new(DIR).join("expected.json"), json + "\n").expect("write");
    });
}

/// Today's rows on a fresh PostgreSQL database, dumped as plain SQL (after checking they
/// read the same as on SQLite).
#[cfg(feature = "postgres")]
async fn postgres_dump(sqlite: &Snapshot) -> String {
    let url = fresh_url(Backend::Postgres).await;
    let store = sharelink_store_sql::connect(&url).await.expect("connect");
    populate(&store).await;
    let output = std::process::Command::new("pg_dump")
        .args([
            "--no-owner",
            "--no-privileges",
            "--inserts",
            "--dbname",
            &url,
        ])
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_reads_as_before(Backend::Postgres, &read_back(&store).await, sqlite);
    // psql's meta-commands (`\restrict`) are not SQL.
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .filter(|line| !line.starts_with('\\'))
        .map(|line| format!("{line}\n"))
        .collect()
}

//! Moving a database: a data set made through the service (every kind of share,
//! recipient, session, code, registration, template, counter and log row) is copied
//! SQLite → PostgreSQL → MariaDB → SQLite with a crash injected mid-copy and resumed at
//! each hop; at the end the service reads back what it wrote, every table's checksum is
//! the one it started with, and new rows get fresh ids.

use sea_orm::{ConnectionTrait, Statement};
use sharelink_core::memory::InMemory;
use sharelink_core::ports::{
    Argon2idHasher, FileStore, InlineRunner, LogQuery, MailMessage, TemplateBody,
};
use sharelink_core::service::{
    Client, Config, CreateShare, NewRecipientInput, OpenRequest, Outcome, Ports, Sharelink,
    VisitRequest,
};
use sharelink_core::testing::fixtures::{
    FILES, FOLDERS, LINK_BASE, PEOPLE, T0, chunks, client, corp_email, path, people, put_file,
    share_request, user,
};
use sharelink_core::{
    AccessControl, Action, AllowedActions, Answer, Argon2Params, Clickwrap, Email, EmailPattern,
    RegistrationForm, ShareId, ShareMode, SiteSettings, UseLimit,
};
use sharelink_store_sql::copy::{CopyError, CopyOptions, PROGRESS_TABLE};
use sharelink_store_sql::testing::{TestBackend as Backend, fresh_url, run};
use sharelink_store_sql::{SqlStore, StoreConfig, copy_database};
use std::collections::BTreeMap;
use std::sync::Arc;

/// sharelink over `store` (files, mail and people in memory), the clock at `T0`.
fn app_over(store: SqlStore, mem: &InMemory) -> Sharelink {
    // Mail goes through the store's queue, so the data set fills its table too.
    let queue = store.mail_queue();
    // Owner notifications of digest shares wait in the store, so its table fills too.
    let digests = store.digests();
    let webhooks = store.webhooks();
    let site_store = store.site_settings();
    let (repo, log) = store.ports();
    let ports = Ports::new(
        repo,
        log,
        mem.files.clone(),
        mem.mailer.clone(),
        mem.directory.clone(),
    )
    .with_clock(mem.clock.clone())
    .with_random(mem.random.clone())
    .with_hasher(Arc::new(Argon2idHasher::new(Argon2Params::TESTING)))
    .with_blocking(Arc::new(InlineRunner))
    .with_mail_queue(queue)
    .with_digests(digests)
    // Events go to the store's webhook outbox, so its tables fill too.
    .with_webhooks(
        webhooks,
        Arc::new(sharelink_core::memory::MemoryWebhookTransport::new()),
    )
    .with_site_store(site_store);
    let site = SiteSettings {
        shares_per_user_per_day: Some(100),
        ..SiteSettings::default()
    };
    Sharelink::new(ports, Config::new(LINK_BASE).with_site(site)).expect("a valid site")
}

/// The in-memory side of the world: people, files and folders.
async fn world() -> InMemory {
    let mem = InMemory::new(T0);
    people(&mem.directory, PEOPLE, corp_email);
    for (p, data) in FILES {
        put_file(mem.files.as_ref(), p, data).await;
    }
    for f in FOLDERS {
        mem.files.create_folder(&path(f)).await.expect("a folder");
    }
    mem
}

/// Opens `key` as `c` and returns the session id.
async fn open(
    app: &Sharelink,
    key: &str,
    c: &Client,
    code: Option<&str>,
) -> sharelink_core::SessionId {
    let visit = app
        .open(OpenRequest {
            key,
            client: c,
            recipient_code: code,
            access_code: None,
            mode: sharelink_core::RequestMode::Confirmed,
        })
        .await
        .unwrap_or_else(|e| panic!("open {key}: {e}"));
    visit.session.expect("a session").id
}

fn confirmed<'a>(
    key: &'a str,
    session: &'a sharelink_core::SessionId,
    c: &'a Client,
) -> VisitRequest<'a> {
    VisitRequest::new(key, session, c, sharelink_core::RequestMode::Confirmed)
}

/// Downloads `file` completely.
async fn download(app: &Sharelink, key: &str, c: &Client, file: &str) {
    let session = open(app, key, c, None).await;
    let d = app
        .download(
            &confirmed(key, &session, c),
            &path(file),
            None,
            Action::Download,
        )
        .await
        .unwrap_or_else(|e| panic!("download {file}: {e}"));
    app.finish(d.ticket, Outcome::Completed { bytes: 5 }).await;
}

/// Writes the data set through the service; the ids of its shares.
async fn fill(app: &Sharelink, mem: &InMemory) -> Vec<ShareId> {
    let ana = &user("ana");
    let create =
        |req: CreateShare| async move { app.create_share(ana, req).await.expect("created").share };
    let mut ids = Vec::new();

    // A site-wide and an owner's webhook: every event below fills the outbox.
    let root = user("root");
    app.create_webhook(&root, "https://hooks.example.com/site", true)
        .await
        .expect("a site-wide webhook");
    app.create_webhook(ana, "https://hooks.example.com/ana?x=1", false)
        .await
        .expect("an owner's webhook");

    // Public, downloaded twice (log rows, a counted use).
    let public = create(share_request(&["docs/reports"], |s| {
        s.description = Some("Quarterly «reports» — ünïcode".into());
    }))
    .await;
    download(app, public.key.as_str(), &client("p1"), "reports/a.txt").await;
    download(app, public.key.as_str(), &client("p2"), "reports/a.txt").await;
    ids.push(public.id);

    // A password with auto-fill; and a typed password, tried wrong then right.
    let autofill = create(share_request(&["docs/plan.pdf"], |s| {
        s.password = true;
        s.password_autofill = true;
    }))
    .await;
    ids.push(autofill.id);
    let mut typed = share_request(&["docs/reports"], |s| s.password = true);
    typed.password = Some("correct horse battery".into());
    let typed = create(typed).await;
    let c = client("pw");
    let session = open(app, typed.key.as_str(), &c, None).await;
    let req = confirmed(typed.key.as_str(), &session, &c);
    assert!(app.submit_password(&req, "wrong guess here").await.is_err());
    app.submit_password(&req, "correct horse battery")
        .await
        .expect("the right password");
    ids.push(typed.id);

    // Emailed recipients, one of whom opened the link (binding a browser); the owner
    // hears of first visits in the hourly digest.
    let emailed = create(share_request(&["docs/reports"], |s| {
        s.access = AccessControl::EmailedOnly;
        s.notifications.first_visit = true;
        s.notifications.digest = true;
    }))
    .await;
    let rita = Email::parse("rita@ext.example").expect("an address");
    let sam = Email::parse("sam@ext.example").expect("an address");
    app.share_by_email(
        &user("ana"),
        emailed.id,
        vec![
            NewRecipientInput {
                email: rita.clone(),
                company: Some("Ext".into()),
                note: Some("for the audit".into()),
            },
            NewRecipientInput {
                email: sam,
                company: None,
                note: None,
            },
        ],
        Some("Here you go".into()),
    )
    .await
    .expect("sent");
    // The queue hands the invitations to the mailer (the rows stay, marked sent).
    app.deliver_mail(100).await.expect("delivered");
    let invitation = match &mem.mailer.sent_to(&rita)[0].0.message {
        MailMessage::Invitation { link, .. } => {
            link.0.rsplit_once("?r=").expect("a code").1.to_owned()
        }
        other => panic!("{other:?}"),
    };
    open(
        app,
        emailed.key.as_str(),
        &client("rita"),
        Some(&invitation),
    )
    .await;
    ids.push(emailed.id);

    // Verified addresses: a code requested and still pending.
    let verified = create(share_request(&["docs/reports"], |s| {
        s.access = AccessControl::VerifiedEmails(vec![
            EmailPattern::parse("*@ext.example").expect("a pattern"),
        ])
    }))
    .await;
    let c = client("code");
    let session = open(app, verified.key.as_str(), &c, None).await;
    app.request_code(&confirmed(verified.key.as_str(), &session, &c), &rita)
        .await
        .expect("a code");
    ids.push(verified.id);

    // Registration and clickwrap, both passed.
    let gated = create(share_request(&["docs/reports"], |s| {
        s.registration = Some(RegistrationForm::Default);
        s.clickwrap = Some(Clickwrap {
            title: "NDA".into(),
            terms: "Keep it secret.".into(),
        });
    }))
    .await;
    let c = client("reg");
    let session = open(app, gated.key.as_str(), &c, None).await;
    let req = confirmed(gated.key.as_str(), &session, &c);
    app.register(
        &req,
        &[
            Answer {
                label: "Name".into(),
                value: "Rita".into(),
            },
            Answer {
                label: "Email".into(),
                value: "rita@ext.example".into(),
            },
        ],
    )
    .await
    .expect("registered");
    app.accept_terms(&req).await.expect("accepted");
    ids.push(gated.id);

    // A one-time link, spent; a device-bound share, opened; a snapshot.
    let once = create(share_request(&["docs/reports"], |s| {
        s.use_limit = Some(UseLimit::ONE_TIME)
    }))
    .await;
    download(app, once.key.as_str(), &client("once"), "reports/a.txt").await;
    ids.push(once.id);
    let bound = create(share_request(&["docs/reports"], |s| {
        s.device_binding = true
    }))
    .await;
    open(app, bound.key.as_str(), &client("dev"), None).await;
    ids.push(bound.id);
    let snapshot = create(share_request(&["docs/plan.pdf"], |s| {
        s.mode = ShareMode::Snapshot
    }))
    .await;
    ids.push(snapshot.id);

    // An inbox, uploaded into.
    let inbox = create(share_request(&["docs/drop"], |s| {
        s.allowed = AllowedActions::Upload
    }))
    .await;
    let c = client("up");
    let session = open(app, inbox.key.as_str(), &c, None).await;
    app.upload(
        &confirmed(inbox.key.as_str(), &session, &c),
        &path("drop"),
        "report.txt",
        Some(6),
        chunks(b"upload", 3),
    )
    .await
    .expect("uploaded");
    ids.push(inbox.id);

    // Templates of both kinds.
    app.save_template(
        &user("ana"),
        "Visitor form",
        TemplateBody::Form {
            form: RegistrationForm::Default,
        },
    )
    .await
    .expect("a template");
    app.save_template(
        &user("ana"),
        "NDA",
        TemplateBody::Clickwrap {
            clickwrap: Clickwrap {
                title: "NDA".into(),
                terms: "Keep it.".into(),
            },
        },
    )
    .await
    .expect("a template");
    ids
}

/// Everything the service reads back about the data set, as text to compare.
async fn read_back(app: &Sharelink, ids: &[ShareId]) -> Vec<String> {
    let ana = user("ana");
    let mut out = Vec::new();
    for &id in ids {
        let share = app.get_share(&ana, id).await.expect("the share");
        out.push(serde_json::to_string(&share).expect("json"));
        out.push(format!(
            "{:?}",
            app.recipients(&ana, id).await.expect("recipients")
        ));
        out.push(format!(
            "{:?}",
            app.registrations(&ana, id).await.expect("registrations")
        ));
        out.push(format!(
            "{:?}",
            app.access_log(&ana, id, LogQuery::default())
                .await
                .expect("log")
        ));
        out.push(format!(
            "{:?}",
            app.statistics(&ana, id).await.expect("stats")
        ));
    }
    out.push(format!(
        "{:?}",
        app.templates(&ana).await.expect("templates")
    ));
    out.push(format!(
        "{:?}",
        app.site_settings(&user("root"))
            .await
            .expect("site settings")
    ));
    out
}

/// The `sl_` tables of a migrated database, but the migrations record.
async fn schema_tables(store: &SqlStore) -> Vec<String> {
    let db = store.connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sl%' ORDER BY name",
        ))
        .await
        .expect("the catalogue");
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("a name"))
        .filter(|n| n != "sl_migrations")
        .collect()
}

/// Copies `from` to `to`, stopping after two batches first, then resuming; returns the
/// checksums per table.
async fn hop(from: &str, to: &str) -> BTreeMap<String, (u64, String)> {
    let options = CopyOptions::new().batch_rows(2);
    let stopped = copy_database(from, to, &options.clone().stop_after_batches(2)).await;
    assert!(
        matches!(stopped, Err(CopyError::Stopped { batches: 2 })),
        "{stopped:?}"
    );
    // An interrupted copy is not taken for an empty target.
    let refused = copy_database(from, to, &options).await;
    assert!(
        matches!(&refused, Err(CopyError::TargetNotEmpty { table, .. }) if table == PROGRESS_TABLE),
        "{refused:?}"
    );
    let report = copy_database(from, to, &options.resume(true))
        .await
        .unwrap_or_else(|e| panic!("resumed copy: {e:?}"));
    assert!(report.resumed);
    let copied_now: u64 = report.tables.iter().map(|t| t.copied).sum();
    assert_eq!(copied_now + 4, report.total_rows(), "{report}");
    eprintln!("{report}");
    report
        .tables
        .into_iter()
        .map(|t| (t.table, (t.rows, t.checksum)))
        .collect()
}

/// The data set, then the hops through `backends`; the service reads the same at the end.
async fn round_trip(backends: &[Backend]) {
    let mem = world().await;
    let first = fresh_url(Backend::Sqlite).await;
    let store = StoreConfig::new(&first).connect().await.expect("connect");
    let tables = schema_tables(&store).await;
    // A housekeeping lease is held, as a running server holds one.
    let lease = store.lease();
    assert!(
        lease
            .try_acquire("purge", "node-a", T0, T0 + time::Duration::hours(1))
            .await
            .expect("a lease")
    );
    let app = app_over(store, &mem);
    // An administrator saved the site settings, so their table has its row.
    let mut site = app.site().await.expect("the site settings");
    site.device_binding = true;
    app.update_site_settings(&user("root"), 0, site)
        .await
        .expect("saved site settings");
    let ids = fill(&app, &mem).await;
    let before = read_back(&app, &ids).await;

    let mut from = first;
    let mut sums: Option<BTreeMap<String, (u64, String)>> = None;
    for &backend in backends {
        let to = fresh_url(backend).await;
        let these = hop(&from, &to).await;
        // Every table of the schema is copied, and the data set fills each one.
        assert_eq!(these.keys().cloned().collect::<Vec<_>>(), tables);
        for (table, (rows, _)) in &these {
            assert!(*rows > 0, "the data set leaves `{table}` empty");
        }
        if let Some(previous) = &sums {
            assert_eq!(
                previous, &these,
                "checksums changed on the way to {backend:?}"
            );
        }
        sums = Some(these);
        from = to;
    }

    let last = StoreConfig::new(&from).connect().await.expect("connect");
    let app = app_over(last.clone(), &mem);
    assert_eq!(read_back(&app, &ids).await, before);
    let max = ids.iter().map(|id| id.0).max().expect("shares");
    let fresh = app
        .create_share(&user("ana"), share_request(&["docs/reports"], |_| {}))
        .await
        .expect("a new share on the copy");
    assert!(fresh.share.id.0 > max, "ids continue after the copied ones");
}

#[test]
fn sqlite_to_sqlite_with_a_crash_and_resume() {
    run(Backend::Sqlite, round_trip(&[Backend::Sqlite]));
}

#[cfg(all(feature = "postgres", feature = "mysql"))]
#[test]
fn sqlite_to_postgres_to_mariadb_to_sqlite() {
    if !Backend::MySql.configured() {
        return;
    }
    run(
        Backend::Postgres,
        round_trip(&[Backend::Postgres, Backend::MySql, Backend::Sqlite]),
    );
}

#[test]
fn a_target_with_rows_is_refused() {
    run(Backend::Sqlite, async {
        let mem = world().await;
        let from = fresh_url(Backend::Sqlite).await;
        StoreConfig::new(&from).connect().await.expect("migrated");
        let to = fresh_url(Backend::Sqlite).await;
        let app = app_over(
            StoreConfig::new(&to).connect().await.expect("connect"),
            &mem,
        );
        app.create_share(&user("ana"), share_request(&["docs/reports"], |_| {}))
            .await
            .expect("a share");
        let err = copy_database(&from, &to, &CopyOptions::new().resume(true))
            .await
            .expect_err("not empty");
        assert!(
            matches!(&err, CopyError::TargetNotEmpty { table, rows: 1 } if table.starts_with("sl_")),
            "{err:?}"
        );
    });
}

#[test]
fn a_source_at_another_schema_version_is_refused() {
    run(Backend::Sqlite, async {
        let from = fresh_url(Backend::Sqlite).await;
        let source = StoreConfig::new(&from).connect().await.expect("connect");
        source
            .connection()
            .execute_unprepared("DELETE FROM sl_migrations WHERE version LIKE '%autofill%'")
            .await
            .expect("forget a migration");
        let to = fresh_url(Backend::Sqlite).await;
        let err = copy_database(&from, &to, &CopyOptions::new())
            .await
            .expect_err("mismatch");
        assert!(matches!(err, CopyError::SchemaMismatch { .. }), "{err:?}");
    });
}

#[test]
fn a_target_changed_between_crash_and_resume_fails_verification() {
    run(Backend::Sqlite, async {
        let mem = world().await;
        let from = fresh_url(Backend::Sqlite).await;
        let app = app_over(
            StoreConfig::new(&from).connect().await.expect("connect"),
            &mem,
        );
        fill(&app, &mem).await;
        let to = fresh_url(Backend::Sqlite).await;
        let options = CopyOptions::new().batch_rows(3);
        let stopped = copy_database(&from, &to, &options.clone().stop_after_batches(1)).await;
        assert!(
            matches!(stopped, Err(CopyError::Stopped { .. })),
            "{stopped:?}"
        );
        let target = StoreConfig::new(&to).connect().await.expect("connect");
        target
            .connection()
            // The first table copied (parents first, then by name).
            .execute_unprepared("UPDATE sl_attempts SET hits = hits + 5")
            .await
            .expect("tamper");
        let err = copy_database(&from, &to, &options.resume(true))
            .await
            .expect_err("verification fails");
        assert!(
            matches!(&err, CopyError::VerificationMismatch { table, .. } if table == "sl_attempts"),
            "{err:?}"
        );
    });
}

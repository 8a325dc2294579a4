//! Moving the files of a running sharelink to another store changes nothing a visitor
//! can see: local disk → S3 (when `SHARELINK_TEST_S3_ENDPOINT` is set; memory otherwise)
//! → a fresh local folder, each move crashed halfway and resumed, with every kind of
//! share in the data set. The crawler's before/after diff is empty, and use counts,
//! device bindings and access-log totals carry over (a one-time link used before the move
//! stays used).

use sharelink_core::memory::InMemory;
use sharelink_core::service::{Client, Config, OpenRequest, Outcome, Sharelink, VisitRequest};
use sharelink_core::testing::fixtures::{Person, path, people, put_file, share_request, user};
use sharelink_core::{
    Action, BrowserId, Email, RequestMode, Rights, Share, ShareMode, ShareSettings, UseLimit,
};
use sharelink_storage::ObjectFileStore;
use sharelink_storage::migrate::{self, MigrateError, MigrateOptions};
use sharelink_tests::crawl::{self, Crawl, Seen};
use sharelink_tests::{S3_BUCKET_VAR, S3_ENDPOINT_VAR, random_tag};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The application over the shared repository and log of `parts`, with `files`.
fn app(parts: &InMemory, files: Arc<ObjectFileStore>) -> Sharelink {
    let mut ports = parts.ports();
    ports.files = files;
    Sharelink::new(ports, Config::new("http://sharelink.test/s/")).expect("the application")
}

fn local() -> (Arc<ObjectFileStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = ObjectFileStore::local(dir.path()).expect("a local store");
    (Arc::new(store), dir)
}

/// The configured S3 server below a fresh prefix, or memory (with a notice).
fn remote() -> Arc<ObjectFileStore> {
    let Ok(endpoint) = std::env::var(S3_ENDPOINT_VAR) else {
        eprintln!("notice: {S3_ENDPOINT_VAR} is not set; the middle store is memory");
        return Arc::new(ObjectFileStore::memory());
    };
    let bucket = std::env::var(S3_BUCKET_VAR).expect("the S3 bucket variable");
    let allow_http = endpoint.starts_with("http://");
    let store = ObjectFileStore::from_url_with_options(
        &format!("s3://{bucket}/moves-{}", random_tag()),
        [
            ("endpoint", endpoint),
            ("allow_http", allow_http.to_string()),
        ],
    )
    .expect("an S3 store");
    Arc::new(store)
}

async fn share(
    app: &Sharelink,
    items: &[&str],
    password: Option<&str>,
    f: impl FnOnce(&mut ShareSettings),
) -> Share {
    let mut request = share_request(items, f);
    request.password = password.map(str::to_owned);
    app.create_share(&user("ana"), request)
        .await
        .unwrap_or_else(|e| panic!("create a share of {items:?}: {e}"))
        .share
}

/// Downloads `file` from `share` as a visitor would, spending its use.
async fn download_once(app: &Sharelink, share: &Share, file: &str) {
    let client = Client {
        ip: Some([10, 0, 0, 7].into()),
        user_agent: Some("a visitor".to_owned()),
        browser: BrowserId::parse("visitor-browser").expect("a browser id"),
        device: None,
        user: None,
        locale: None,
    };
    let key = share.key.as_str();
    let visit = app
        .open(OpenRequest {
            key,
            client: &client,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        })
        .await
        .expect("the visitor opens the link");
    let session = visit.session.expect("a session");
    let req = VisitRequest::new(key, &session.id, &client, RequestMode::Confirmed);
    let download = app
        .download(&req, &path(file), None, Action::Download)
        .await
        .expect("the download");
    let bytes = download.read.entry.size;
    app.finish(download.ticket, Outcome::Completed { bytes })
        .await;
}

/// Moves `from` to `to`, crashing after three copies, then resuming.
async fn move_with_a_crash(from: &ObjectFileStore, to: &ObjectFileStore) {
    let crash = MigrateOptions::default().with_concurrency(2).fail_after(3);
    let err = migrate::migrate(from, to, &crash)
        .await
        .expect_err("the injected fault");
    assert!(matches!(err, MigrateError::Interrupted { .. }), "{err}");
    let report = migrate::migrate(from, to, &MigrateOptions::default())
        .await
        .expect("the resumed move");
    assert!(report.skipped >= 1, "the rerun resumed: {report:?}");
    assert!(report.verified.extra.is_empty(), "{report:?}");
}

fn assert_same(before: &Crawl, after: &Crawl) {
    let changes = crawl::diff(before, after);
    assert!(
        changes.is_empty(),
        "visitors see a change:\n{}",
        changes.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_trip_through_another_store_changes_nothing_for_visitors() {
    let parts = InMemory::new(time::OffsetDateTime::now_utc());
    people(
        &parts.directory,
        &[
            Person {
                id: "ana",
                admin: false,
                rights: &[("docs", Rights::ALL)],
            },
            Person {
                id: "root",
                admin: true,
                rights: &[],
            },
        ],
        |id| Email::parse(&format!("{id}@sharelink.test")).expect("an address"),
    );
    let admin = user("root");
    let (start, start_dir) = local();
    for (p, data) in [
        ("docs/reports/a.txt", &b"alpha"[..]),
        ("docs/reports/b.txt", b"bravo"),
        ("docs/plan.pdf", b"%PDF plan"),
        ("docs/inbox/from-a-visitor.txt", b"uploaded"),
        ("docs/big.bin", &vec![7u8; 5 * 1024 * 1024]),
    ] {
        put_file(start.as_ref(), p, data).await;
    }
    sharelink_core::ports::FileStore::create_folder(start.as_ref(), &path("docs/drop"))
        .await
        .expect("an empty folder");
    // An empty folder made by another program: a directory, no object.
    std::fs::create_dir_all(start_dir.path().join("docs/reports/empty")).expect("mkdir");

    let before_app = app(&parts, start.clone());
    share(&before_app, &["docs/reports"], None, |s| {
        s.name = "reference".into()
    })
    .await;
    share(&before_app, &["docs"], Some("open sesame 42"), |s| {
        s.name = "password".into()
    })
    .await;
    share(&before_app, &["docs/reports"], None, |s| {
        s.name = "snapshot".into();
        s.mode = ShareMode::Snapshot;
    })
    .await;
    share(&before_app, &["docs"], None, |s| {
        s.name = "inbox".into();
        s.inbox = Some(path("docs/inbox"));
    })
    .await;
    share(&before_app, &["docs/drop"], None, |s| {
        s.name = "empty folder".into()
    })
    .await;
    let used = share(&before_app, &["docs/plan.pdf"], None, |s| {
        s.name = "one-time, used".into();
        s.use_limit = Some(UseLimit::ONE_TIME);
    })
    .await;
    share(&before_app, &["docs/plan.pdf"], None, |s| {
        s.name = "one-time, unused".into();
        s.use_limit = Some(UseLimit::ONE_TIME);
    })
    .await;
    share(&before_app, &["docs/reports/b.txt"], None, |s| {
        s.name = "bound to a device".into();
        s.device_binding = true;
    })
    .await;
    download_once(&before_app, &used, "plan.pdf").await;
    // The snapshot serves the bytes of its creation, whatever happens to the original.
    put_file(start.as_ref(), "docs/reports/a.txt", b"ALPHA, edited").await;

    let passwords = BTreeMap::from([("password".to_owned(), "open sesame 42".to_owned())]);
    let spent = crawl::counters(&before_app, &admin)
        .await
        .expect("the crawl");
    let before = crawl::crawl(&before_app, &admin, &passwords)
        .await
        .expect("the crawl");
    let counters = crawl::counters(&before_app, &admin)
        .await
        .expect("the crawl");
    for (name, counted) in &spent {
        let now = &counters[name];
        assert_eq!(
            (now.uses, now.bound),
            (counted.uses, counted.bound),
            "the crawl spent: {name}"
        );
    }
    assert!(
        matches!(&before[&format!("one-time, used ({})", used.key.as_str())],
        Seen::Stopped(answer) if answer.contains("UsesExhausted")),
        "{before:#?}"
    );
    let walked = before
        .values()
        .filter(|s| matches!(s, Seen::Walked(_)))
        .count();
    assert_eq!(walked, 6, "{before:#?}");

    let middle = remote();
    move_with_a_crash(&start, &middle).await;
    let middle_app = app(&parts, middle.clone());
    assert_eq!(
        crawl::counters(&middle_app, &admin)
            .await
            .expect("the crawl"),
        counters
    );
    let seen = crawl::crawl(&middle_app, &admin, &passwords)
        .await
        .expect("the crawl");
    assert_same(&before, &seen);

    let counters = crawl::counters(&middle_app, &admin)
        .await
        .expect("the crawl");
    let (end, _end_dir) = local();
    move_with_a_crash(&middle, &end).await;
    let end_app = app(&parts, end.clone());
    assert_eq!(
        crawl::counters(&end_app, &admin).await.expect("the crawl"),
        counters
    );
    assert_same(
        &before,
        &crawl::crawl(&end_app, &admin, &passwords)
            .await
            .expect("the crawl"),
    );
}

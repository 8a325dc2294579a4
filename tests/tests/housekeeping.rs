//! Housekeeping on a real database: several processes (each its own connection pool)
//! each running a housekeeper, and log retention deleting exactly the old rows.

use sharelink_core::memory::MemoryLease;
use sharelink_core::ports::{AccessLog, Clock, LogKind, NewLogEvent};
use sharelink_core::service::{Config, Housekeeping, Job, JobPeriods, Sharelink};
use sharelink_core::testing::fixtures::{T0, World, share_request, user};
use sharelink_core::{LogPrivacy, ShareId, SiteSettings};
use sharelink_store_sql::{SqlStore, StoreConfig};
use sharelink_tests::{Backend, TestDatabase, on_every_backend};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::Duration;

on_every_backend!(
    three_housekeepers_run_each_job_once_per_period,
    retention_deletes_exactly_the_old_rows
);

const RETENTION: Duration = Duration::days(30);

fn site() -> SiteSettings {
    SiteSettings {
        log_privacy: LogPrivacy {
            retention: Some(RETENTION),
            ..LogPrivacy::default()
        },
        ..SiteSettings::default()
    }
}

/// The application of one process: its own pool on `url`, the world's files, people and
/// clock.
async fn process(world: &World, url: &str) -> (Sharelink, SqlStore) {
    let store = StoreConfig::new(url).connect().await.expect("connect");
    let (repo, log) = store.clone().ports();
    let mut ports = world.mem.ports();
    ports.repo = repo;
    ports.log = log;
    let app = Sharelink::new(
        ports,
        Config::new("https://files.example.com/s/").with_site(site()),
    )
    .expect("app");
    (app, store)
}

async fn count_log_rows(store: &SqlStore) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            store.backend(),
            "SELECT COUNT(*) AS n FROM sl_log_events",
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Waits (in real time) until the processes together ran `job` `n` times.
async fn wait_for_runs(keepers: &[sharelink_http::Housekeeper], job: Job, n: u64) {
    let total = || keepers.iter().map(|k| k.runs(job)).sum::<u64>();
    for _ in 0..500 {
        if total() >= n {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!("{job}: {} runs, expected {n}", total());
}

async fn three_housekeepers_run_each_job_once_per_period(backend: Backend) {
    let db = TestDatabase::create(backend).await.expect("database");
    let world = World::with_site(site());
    let periods = JobPeriods::new(Duration::HOUR, Duration::minutes(15)).expect("periods");
    // A minute into a period, so every step of 15 minutes starts a reminders period.
    world.mem.clock.set(T0.replace_minute(1).expect("minute"));
    let mut keepers = Vec::new();
    for node in ["node-a", "node-b", "node-c"] {
        let (app, store) = process(&world, db.url()).await;
        let jobs = Housekeeping::new(app, store.lease(), node, periods);
        keepers.push(sharelink_http::spawn_housekeeper(
            jobs,
            StdDuration::from_millis(5),
        ));
    }
    let (mut purges, mut reminders) = (1, 1);
    for step in 0..=8 {
        if step > 0 {
            let before = world.mem.clock.now();
            world.mem.clock.advance(Duration::minutes(15));
            reminders += 1;
            if before.hour() != world.mem.clock.now().hour() {
                purges += 1;
            }
        }
        wait_for_runs(&keepers, Job::Reminders, reminders).await;
        wait_for_runs(&keepers, Job::Purge, purges).await;
        // Long enough for every housekeeper to tick several more times in this period.
        tokio::time::sleep(StdDuration::from_millis(60)).await;
        for (job, n) in [(Job::Reminders, reminders), (Job::Purge, purges)] {
            let runs: Vec<u64> = keepers.iter().map(|k| k.runs(job)).collect();
            assert_eq!(
                runs.iter().sum::<u64>(),
                n,
                "{backend:?} step {step}: {job} {runs:?}"
            );
        }
    }
    assert_eq!((purges, reminders), (3, 9));
    for k in &keepers {
        k.stop();
    }
}

async fn retention_deletes_exactly_the_old_rows(backend: Backend) {
    let db = TestDatabase::create(backend).await.expect("database");
    let world = World::with_site(site());
    let (app, store) = process(&world, db.url()).await;
    let share = app
        .create_share(&user("ana"), share_request(&["docs/plan.pdf"], |_| {}))
        .await
        .expect("share")
        .share;
    let now = world.mem.clock.now();
    let log = store.clone().ports().1;
    // Ages in days; the cut-off itself (exactly 30 days) is kept.
    let ages = [90, 45, 31, 30, 29, 1, 0];
    for days in ages {
        append(log.as_ref(), share.id, now - Duration::days(days)).await;
    }
    let before = count_log_rows(&store).await;
    let old = ages
        .iter()
        .filter(|d| Duration::days(**d) > RETENTION)
        .count() as i64;
    let jobs = Housekeeping::new(
        app,
        Arc::new(MemoryLease::new()),
        "node-a",
        JobPeriods::default(),
    );
    let runs = jobs.run_due().await;
    assert!(runs.iter().all(|(_, r)| r.is_ok()), "{runs:?}");
    let after = count_log_rows(&store).await;
    assert_eq!((before - after, old), (3, 3), "{backend:?}");
    // An hour later the row of exactly 30 days has passed the retention too, and only it.
    world.mem.clock.advance(Duration::HOUR);
    jobs.run_due().await;
    assert_eq!(count_log_rows(&store).await, after - 1, "{backend:?}");
}

async fn append(log: &dyn AccessLog, share: ShareId, at: time::OffsetDateTime) {
    log.append(&NewLogEvent {
        share_id: share,
        at,
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
}

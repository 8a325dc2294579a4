//! Several processes on one SQLite file (a common small deployment): two OS processes —
//! this test binary, run again as children — race on one file, and every limit stays
//! exact while writers wait for each other (busy timeout, retried snapshots) instead of
//! failing with "database is locked".

use serde::{Deserialize, Serialize};
use sharelink_core::conformance::repository::{T0, new_share};
use sharelink_core::ports::{AttemptKey, RepoError, Reservation, ShareStore, VisitorStore};
use sharelink_core::{ShareId, UserId};
use sharelink_store_sql::{SqlStore, StoreConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Set in a child: the folder holding the database and the hand-over files.
const CHILD_DIR: &str = "SHARELINK_TEST_FLEET_DIR";
/// Set in a child: its number.
const CHILD_NUMBER: &str = "SHARELINK_TEST_FLEET_CHILD";
/// This test's full name, to run it again as a child.
const THIS_TEST: &str = "processes::two_processes_race_on_one_sqlite_file";
/// Requests of each kind each child fires at once.
const TRIES: usize = 64;
/// Bytes of one upload, and the share's upload space (ten uploads fit).
const UPLOAD: u64 = 1_000;
const UPLOAD_SPACE: u64 = 10 * UPLOAD;
/// The daily creation quota of the racing owner.
const DAILY_QUOTA: u32 = 10;
/// The brute-force window of the attempt counter.
const WINDOW: time::Duration = time::Duration::hours(1);

/// The shares the children race on, made by the parent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Targets {
    max_10: ShareId,
    max_1: ShareId,
    uploads: ShareId,
}

/// What one child saw.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Outcome {
    reserved_of_10: usize,
    reserved_of_1: usize,
    creations: usize,
    uploads: usize,
    /// The count each `hit_attempt` answered.
    attempt_counts: Vec<u32>,
    /// Every error, as text ("database is locked" would be one).
    errors: Vec<String>,
    millis: u128,
}

fn url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("fleet.db").display())
}

fn attempt_key(share: ShareId) -> AttemptKey {
    AttemptKey {
        share_id: share,
        scope: "password",
        client: Some("203.0.113.9".into()),
    }
}

/// Waits until every child has arrived at `stage` (failing when one ended instead), then
/// lets them all through.
fn barrier(children: &mut [Child], dir: &Path, stage: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(0..children.len()).all(|n| dir.join(format!("{stage}-{n}")).exists()) {
        for child in children.iter_mut() {
            if let Some(status) = child.try_wait().expect("a child's status") {
                panic!("a child ended before {stage}: {status}");
            }
        }
        assert!(
            Instant::now() < deadline,
            "the children did not reach {stage}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::fs::write(dir.join(stage), b"").expect("open the barrier");
}

/// A child's side of [`barrier`]: says it arrived, then waits to be let through.
fn arrive(dir: &Path, stage: &str, number: &str) {
    std::fs::write(dir.join(format!("{stage}-{number}")), b"").expect("arrive");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !dir.join(stage).exists() {
        assert!(Instant::now() < deadline, "{stage} never opened");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn two_processes_race_on_one_sqlite_file() {
    match (std::env::var(CHILD_DIR), std::env::var(CHILD_NUMBER)) {
        (Ok(dir), Ok(number)) => child(Path::new(&dir), &number),
        _ => parent(),
    }
}

fn parent() {
    let dir = tempfile::tempdir().expect("a folder");
    let rt = sharelink_store_sql::testing::runtime();
    let targets = rt.block_on(async {
        let store = sharelink_store_sql::connect(&url(dir.path()))
            .await
            .expect("create the file");
        let mut ids = Vec::new();
        for key in ["fleetMax10", "fleetMax1", "fleetUploads"] {
            let share = store
                .insert_share(new_share(key, "ana", key, T0))
                .await
                .expect("insert");
            ids.push(share.id);
        }
        store.close().await.expect("close");
        Targets {
            max_10: ids[0],
            max_1: ids[1],
            uploads: ids[2],
        }
    });
    std::fs::write(
        dir.path().join("targets.json"),
        serde_json::to_vec(&targets).expect("json"),
    )
    .expect("write targets");

    let mut children: Vec<_> = (0..2)
        .map(|n| {
            Command::new(std::env::current_exe().expect("this test binary"))
                .args([THIS_TEST, "--exact", "--nocapture", "--test-threads", "1"])
                .env(CHILD_DIR, dir.path())
                .env(CHILD_NUMBER, n.to_string())
                .spawn()
                .expect("spawn a child")
        })
        .collect();
    // Both start opening the file together (migrations racing), then, once both are
    // connected, fire their requests together.
    barrier(&mut children, dir.path(), "connect");
    barrier(&mut children, dir.path(), "go");
    let started = Instant::now();
    for mut child in children {
        let status = child.wait().expect("wait for a child");
        assert!(status.success(), "a child failed: {status}");
    }
    let took = started.elapsed();

    let outcomes: Vec<Outcome> = (0..2)
        .map(|n| {
            let text = std::fs::read(result_path(dir.path(), &n.to_string())).expect("result");
            serde_json::from_slice(&text).expect("a result")
        })
        .collect();
    let total = |f: fn(&Outcome) -> usize| outcomes.iter().map(f).sum::<usize>();
    eprintln!(
        "2 processes × {TRIES} concurrent requests of each of 5 kinds on one SQLite file: \
         {took:?} in all (children: {} ms, {} ms)",
        outcomes[0].millis, outcomes[1].millis
    );
    for o in &outcomes {
        assert_eq!(o.errors, Vec::<String>::new(), "no request failed");
    }
    assert_eq!(total(|o| o.reserved_of_10), 10);
    assert_eq!(total(|o| o.reserved_of_1), 1);
    assert_eq!(total(|o| o.creations), DAILY_QUOTA as usize);
    assert_eq!(total(|o| o.uploads), (UPLOAD_SPACE / UPLOAD) as usize);
    let mut counts: Vec<u32> = outcomes
        .iter()
        .flat_map(|o| o.attempt_counts.iter().copied())
        .collect();
    counts.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(2 * TRIES).expect("small")).collect();
    assert_eq!(counts, expected, "each attempt counted once, none lost");

    // What is stored agrees.
    rt.block_on(async {
        let store = sharelink_store_sql::connect(&url(dir.path()))
            .await
            .expect("reopen");
        let get = |id| {
            let store = store.clone();
            async move { store.get_share(id).await.expect("get").expect("present") }
        };
        assert_eq!(get(targets.max_10).await.uses, 10);
        assert_eq!(get(targets.max_1).await.uses, 1);
        assert_eq!(get(targets.uploads).await.uploaded_bytes, UPLOAD_SPACE);
        let hits = store
            .attempts(&attempt_key(targets.max_10), T0, WINDOW)
            .await
            .expect("attempts");
        assert_eq!(hits, u32::try_from(2 * TRIES).expect("small"));
        assert!(
            !store
                .count_creation(&owner(), T0.date(), DAILY_QUOTA)
                .await
                .expect("count"),
            "the quota is spent"
        );
    });
}

fn owner() -> UserId {
    UserId::parse("fleet-owner").expect("a user id")
}

fn result_path(dir: &Path, number: &str) -> PathBuf {
    dir.join(format!("result-{number}.json"))
}

fn child(dir: &Path, number: &str) {
    let targets: Targets = serde_json::from_slice(
        &std::fs::read(dir.join("targets.json")).expect("the parent's targets"),
    )
    .expect("targets");
    let rt = sharelink_store_sql::testing::runtime();
    let outcome = rt.block_on(async {
        arrive(dir, "connect", number);
        // More connections than the default, so that the process's own requests contend
        // with each other as well as with the other process's.
        let store = StoreConfig::new(url(dir))
            .max_connections(8)
            .connect()
            .await
            .expect("connect");
        arrive(dir, "go", number);
        let started = Instant::now();
        let mut outcome = race(&store, targets).await;
        outcome.millis = started.elapsed().as_millis();
        store.close().await.expect("close");
        outcome
    });
    std::fs::write(
        result_path(dir, number),
        serde_json::to_vec(&outcome).expect("json"),
    )
    .expect("write the result");
}

/// One request of each kind, `TRIES` times, all at once.
async fn race(store: &SqlStore, targets: Targets) -> Outcome {
    let tasks: Vec<_> = (0..TRIES)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let (owner, key) = (owner(), attempt_key(targets.max_10));
                let (of_10, of_1, created, uploaded, hit) = tokio::join!(
                    store.reserve_use(targets.max_10, 10, None),
                    store.reserve_use(targets.max_1, 1, None),
                    store.count_creation(&owner, T0.date(), DAILY_QUOTA),
                    store.add_uploaded_bytes(targets.uploads, UPLOAD, Some(UPLOAD_SPACE)),
                    store.hit_attempt(&key, T0, WINDOW),
                );
                (of_10, of_1, created, uploaded, hit)
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    let error = describe;
    let mut errors = Vec::new();
    for task in tasks {
        let (of_10, of_1, created, uploaded, hit) = task.await.expect("task");
        match of_10 {
            Ok(r) => outcome.reserved_of_10 += usize::from(r == Reservation::Reserved),
            Err(e) => errors.push(error(&e)),
        }
        match of_1 {
            Ok(r) => outcome.reserved_of_1 += usize::from(r == Reservation::Reserved),
            Err(e) => errors.push(error(&e)),
        }
        match created {
            Ok(yes) => outcome.creations += usize::from(yes),
            Err(e) => errors.push(error(&e)),
        }
        match uploaded {
            Ok(yes) => outcome.uploads += usize::from(yes),
            Err(e) => errors.push(error(&e)),
        }
        match hit {
            Ok(n) => outcome.attempt_counts.push(n),
            Err(e) => errors.push(error(&e)),
        }
    }
    outcome.errors = errors;
    outcome
}

/// An error with its sources, on one line.
fn describe(e: &RepoError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

//! `sharelink-demo crawl` around a move done with the demo's own commands: the crawl of
//! the moved database and storage compares equal to the crawl before the move (exit 0),
//! and a file changed in the moved storage is reported (exit 1).

use sharelink_core::testing::fixtures::share_request;
use sharelink_core::{UseLimit, UserId};
use sharelink_examples::demo::crawl::Seen;
use sharelink_examples::demo::crawl_command::Record;
use sharelink_examples::demo::{self, DemoConfig};
use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with `args`, with no `SHARELINK_…` variable of the environment
/// leaking in.
fn demo(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sharelink-demo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SHARELINK_") {
            command.env_remove(name);
        }
    }
    command.args(args).output().expect("the demo runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn sqlite(file: &Path) -> String {
    format!("sqlite://{}?mode=rwc", file.display())
}

fn folder(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// A demo data folder with a folder share, a password share that keeps its auto-fill
/// code, one that does not, and a one-time link.
async fn data_set(data: &Path) {
    let config = DemoConfig {
        housekeeping: false,
        ..DemoConfig::new(data, "http://127.0.0.1:1")
    };
    let app = demo::build(&config).await.unwrap().sharelink;
    let alice = UserId::parse("alice").unwrap();
    app.create_share(
        &alice,
        share_request(&["projects"], |s| s.name = "projects".into()),
    )
    .await
    .unwrap();
    let mut autofill = share_request(&["projects/apollo"], |s| {
        s.name = "auto-filled".into();
        s.password_autofill = true;
    });
    autofill.password = Some("correct horse 42".into());
    app.create_share(&alice, autofill).await.unwrap();
    let mut secret = share_request(&["projects/zephyr"], |s| s.name = "secret".into());
    secret.password = Some("battery staple 42".into());
    app.create_share(&alice, secret).await.unwrap();
    app.create_share(
        &alice,
        share_request(&["projects/apollo/plan.txt"], |s| {
            s.name = "one-time".into();
            s.use_limit = Some(UseLimit::ONE_TIME);
        }),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_after_a_move_compares_equal_and_a_changed_file_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let moved = tempfile::tempdir().unwrap();
    data_set(data.path()).await;
    let before = data.path().join("before.json");
    let data_dir = data.path().to_str().unwrap();

    let out = demo(&[
        "crawl",
        "--data",
        data_dir,
        "--out",
        before.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let record: Record = serde_json::from_slice(&std::fs::read(&before).unwrap()).unwrap();
    let seen = |name: &str| {
        record
            .crawl
            .iter()
            .find(|(label, _)| label.starts_with(&format!("{name} (")))
            .map(|(_, seen)| seen.clone())
            .unwrap_or_else(|| panic!("{name} crawled: {record:?}"))
    };
    assert!(
        matches!(seen("projects"), Seen::Walked(paths) if paths.len() == 6),
        "{record:?}"
    );
    assert!(
        matches!(seen("auto-filled"), Seen::Walked(paths) if paths.contains_key("apollo/plan.txt")),
        "{record:?}"
    );
    assert!(
        matches!(seen("secret"), Seen::Stopped(answer) if answer.contains("PasswordRequired")),
        "{record:?}"
    );
    assert!(matches!(seen("one-time"), Seen::Stopped(_)), "{record:?}");
    assert_eq!(record.counters.len(), 4);

    let database = moved.path().join("moved.db");
    let storage = moved.path().join("files");
    std::fs::create_dir_all(&storage).unwrap();
    let out = demo(&[
        "migrate-db",
        "--from",
        &sqlite(&data.path().join("sharelink.db")),
        "--to",
        &sqlite(&database),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = demo(&[
        "migrate-storage",
        "--from",
        &folder(&data.path().join("files")),
        "--to",
        &folder(&storage),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let compare = |label: &str| {
        let out = demo(&[
            "crawl",
            "--data",
            moved.path().to_str().unwrap(),
            "--database",
            &sqlite(&database),
            "--storage",
            &folder(&storage),
            "--compare",
            before.to_str().unwrap(),
        ]);
        eprintln!("{label}: {}", text(&out));
        out
    };
    let out = compare("after the move");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no difference");

    std::fs::write(
        storage.join("projects/apollo/budget.csv"),
        "item,cost\nall,0\n",
    )
    .unwrap();
    let out = compare("after an edit");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    // The file is reached through two shares, both report it; nothing else changed
    // but the access-log totals, which count the previous compare's visits.
    assert!(
        lines
            .iter()
            .all(|l| l.contains("apollo/budget.csv") || l.contains(": counters ")),
        "{report}"
    );
    for share in ["projects", "auto-filled"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("{share} (")) && l.contains("apollo/budget.csv")),
            "{report}"
        );
    }
}

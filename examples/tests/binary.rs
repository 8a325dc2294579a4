//! The `sharelink-demo` binary as a container runs it: `--help` describes every flag and
//! its environment variable, a bad value is refused naming the flag, and SIGTERM during a
//! download lets it finish and settles its use before the process exits.

use sharelink_core::ports::{LogKind, LogQuery};
use sharelink_core::testing::fixtures::share_request;
use sharelink_core::{UseLimit, UseUnit, UserId};
use sharelink_examples::demo::{self, DemoConfig};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary, with no `SHARELINK_…` variable of the environment leaking in.
fn demo_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sharelink-demo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SHARELINK_") {
            command.env_remove(name);
        }
    }
    command
}

#[test]
fn help_describes_every_flag_and_its_environment_variable() {
    let out = demo_command().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--listen", "SHARELINK_LISTEN"),
        ("--public-url", "SHARELINK_PUBLIC_URL"),
        ("--data", "SHARELINK_DATA"),
        ("--database", "SHARELINK_DATABASE_URL"),
        ("--storage", "SHARELINK_STORAGE_URL"),
        ("--smtp", "SHARELINK_SMTP_URL"),
        ("--attempt-limit", "SHARELINK_ATTEMPT_LIMIT"),
        ("--max-connections", "SHARELINK_MAX_CONNECTIONS"),
        (
            "--max-connections-per-address",
            "SHARELINK_MAX_CONNECTIONS_PER_ADDRESS",
        ),
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
        assert!(help.contains(&format!("[env: {env}")), "{env} missing");
    }
    assert!(
        help.contains("migrate-db") && help.contains("migrate-storage") && help.contains("crawl")
    );
    for command in ["migrate-db", "migrate-storage"] {
        let out = demo_command().args([command, "--help"]).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("--from") && help.contains("--to"), "{help}");
    }
}

#[test]
fn a_bad_value_names_the_flag_and_what_it_expected() {
    let out = demo_command()
        .args(["--listen", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(
        message.contains("'--listen <IP:PORT>'") && message.contains("socket address"),
        "{message}"
    );
    // The same from the environment, as a container passes it.
    let out = demo_command()
        .env("SHARELINK_ATTEMPT_LIMIT", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(message.contains("--attempt-limit"), "{message}");
    // migrate-db keeps its required flags.
    let out = demo_command().arg("migrate-db").output().unwrap();
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(message.contains("--from <URL>"), "{message}");
}

const SIZE: usize = 24 << 20;

#[tokio::test]
async fn sigterm_during_a_download_lets_it_finish_and_settles_its_use() {
    let data = tempfile::tempdir().unwrap();
    let files = data.path().join("files/projects");
    std::fs::create_dir_all(&files).unwrap();
    let payload: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    std::fs::write(files.join("big.bin"), &payload).unwrap();
    let alice = UserId::parse("alice").unwrap();
    let config = DemoConfig::new(data.path(), "http://127.0.0.1:1");
    let share = demo::build(&config)
        .await
        .unwrap()
        .sharelink
        .create_share(
            &alice,
            share_request(&["projects/big.bin"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 2,
                    unit: UseUnit::Download,
                })
            }),
        )
        .await
        .unwrap()
        .share;

    let mut child = demo_command()
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("sharelink demo: open ")
        .unwrap_or_else(|| panic!("{line}"))
        .trim_end_matches('/')
        .to_owned();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies = Vec::new();
    let mut url = format!("{base}/share/s/{}", share.key);
    for _ in 0..3 {
        let res = client
            .get(&url)
            .header("cookie", cookies.join("; "))
            .send()
            .await
            .unwrap();
        for c in res.headers().get_all("set-cookie") {
            cookies.push(c.to_str().unwrap().split(';').next().unwrap().to_owned());
        }
        match res.headers().get("location") {
            Some(to) => url = format!("{base}{}", to.to_str().unwrap()),
            None => break,
        }
    }
    // The download counts a use: the confirm button's POST, with the page's CSRF token.
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix("sl_csrf="))
        .unwrap()
        .to_owned();
    let mut download = client
        .post(format!("{base}/share/s/{}/dl/big.bin", share.key))
        .header("cookie", cookies.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let mut got = download.chunk().await.unwrap().unwrap().to_vec();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    // A slow reader: the server must wait for it rather than cut it.
    let started = Instant::now();
    while let Some(chunk) = download.chunk().await.unwrap() {
        got.extend_from_slice(&chunk);
        if started.elapsed() < Duration::from_millis(500) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(got == payload, "{} of {SIZE} bytes arrived", got.len());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");

    let app = demo::build(&config).await.unwrap().sharelink;
    let uses = app.get_share(&alice, share.id).await.unwrap().uses;
    assert_eq!(uses, 1, "the finished download spent exactly one use");
    let log = app
        .access_log(
            &alice,
            share.id,
            LogQuery {
                kinds: Some(vec![LogKind::Download]),
                limit: 10,
                ..LogQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].event.detail, None, "{log:?}");
    assert_eq!(log[0].event.bytes, Some(SIZE as u64));
}

/// A line of the server's standard output that starts with `prefix`, without it.
fn line_starting(stdout: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no line starts with {prefix}"
        );
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}

#[tokio::test]
async fn the_metrics_endpoint_answers_prometheus_text_on_its_own_address() {
    let data = tempfile::tempdir().unwrap();
    let mut child = demo_command()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let base = line_starting(&mut stdout, "sharelink demo: open ")
        .trim_end_matches('/')
        .to_owned();
    let metrics = line_starting(&mut stdout, "metrics at ");
    assert_ne!(metrics, format!("{base}/metrics"), "a separate address");

    // A visitor with a key that opens nothing: one request, one denial.
    let refused = reqwest::get(format!("{base}/share/s/NoSuchKeyAnywhere42"))
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // The public address does not serve the metrics.
    let public = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_ne!(public.status(), 200);

    let res = reqwest::get(&metrics).await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"sharelink_denials_total{reason="not_found"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"sharelink_http_requests_total{route="/share/s/{key}",method="GET",status="4xx"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("# TYPE sharelink_http_request_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("sharelink_db_query_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(!text.contains("NoSuchKey"), "no key in a label: {text}");
    child.kill().unwrap();
    child.wait().unwrap();
}

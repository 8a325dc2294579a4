//! A configured server that is down fails the whole test binary within seconds: this
//! binary runs itself as a child with the server variable pointing at a closed port, and
//! every case of that backend must fail at once, each naming the variable and the
//! address.

use std::process::Command;
use std::time::{Duration, Instant};

/// A local port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("its address").port()
}

/// Runs this binary's `filter` cases with `variable` naming a closed port; asserts they
/// fail quickly and say why.
fn fails_fast(variable: &str, scheme: &str, filter: &str) {
    let port = closed_port();
    let url = format!("{scheme}://root@127.0.0.1:{port}/test");
    let started = Instant::now();
    let output = Command::new(std::env::current_exe().expect("this test binary"))
        .args([filter, "--test-threads", "2"])
        .env(variable, &url)
        .output()
        .expect("run the child");
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failed = stdout.matches(" ... FAILED").count();
    eprintln!("{variable} at a closed port: {failed} cases failed in {took:?}");
    assert!(!output.status.success(), "the child passed:\n{stdout}");
    assert!(failed > 10, "only {failed} cases failed:\n{stdout}");
    assert_eq!(stdout.matches(" ... ok").count(), 0, "{stdout}");
    let message = format!("{variable} is set but nothing answers at 127.0.0.1:{port}");
    assert_eq!(
        stdout.matches(&message).count(),
        failed,
        "each failure names the variable and the address:\n{stdout}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[cfg(feature = "postgres")]
#[test]
fn a_closed_postgres_port_fails_every_case_at_once() {
    fails_fast(
        sharelink_store_sql::testing::POSTGRES_VAR,
        "postgres",
        "postgres::",
    );
}

#[cfg(feature = "mysql")]
#[test]
fn a_closed_mysql_port_fails_every_case_at_once() {
    fails_fast(sharelink_store_sql::testing::MYSQL_VAR, "mysql", "mysql::");
}

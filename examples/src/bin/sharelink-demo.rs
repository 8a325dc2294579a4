//! The sharelink demo server.
//!
//! Runs on a fresh machine with embedded defaults: SQLite at
//! `./sharelink-demo-data/sharelink.db`, files in `./sharelink-demo-data/files` (a sample
//! tree is written on first start), mail as `.eml` files in
//! `./sharelink-demo-data/outbox`. Sign in as `alice` / `alice` or `admin` / `admin`
//! (demo only: a toy sign-in).
//!
//! ```text
//! cargo run --release -p sharelink-examples --bin sharelink-demo -- --help
//! ```
//! lists every flag and the `SHARELINK_…` environment variable each also reads
//! (`SHARELINK_LISTEN=0.0.0.0:8080`, `SHARELINK_DATABASE_URL=postgres://…`, …), and the
//! `migrate-db`, `migrate-storage` and `crawl` commands. The server raises its open-file limit to
//! the hard limit, closes slow and idle connections, limits connections per client
//! address, and on SIGTERM or Ctrl-C lets downloads in flight finish before it exits.

use clap::Parser;
use sharelink_examples::demo::cli::{Cli, Command};
use sharelink_examples::demo::{self, BoxError};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Exits with clap's message (naming the flag and what it expects) on a bad value.
    let cli = Cli::parse();
    // Logs (a wiring mistake, a request's cause of failure) go to standard error, as
    // `--log` (or RUST_LOG) filters them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.server.log))
        .init();
    let result = match cli.command {
        Some(Command::MigrateDb(args)) => demo::migrate_db::run(args).await,
        Some(Command::MigrateStorage(args)) => demo::move_storage::run(args).await,
        // As diff(1): 0 same, 1 different, 2 trouble.
        Some(Command::Crawl(args)) => {
            return match demo::crawl_command::run(args).await {
                Ok(demo::crawl_command::Verdict::Same) => std::process::ExitCode::SUCCESS,
                Ok(demo::crawl_command::Verdict::Different) => std::process::ExitCode::from(1),
                Err(e) => {
                    eprintln!("sharelink-demo crawl: {e}");
                    std::process::ExitCode::from(2)
                }
            };
        }
        None => run(cli.server).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sharelink-demo: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: demo::cli::ServerArgs) -> Result<(), BoxError> {
    // Every connection is a file descriptor; soft limits are often 1,024 or less.
    let open_files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "the open-file limit could not be raised");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let config = args.config(listener.local_addr()?);
    let limits = args.limits(open_files);
    let app = demo::build(&config).await?;
    println!("sharelink demo: open {}/", config.public_url);
    println!(
        "  sign in as alice / alice (may share projects/, only read reports/) or admin / admin"
    );
    println!("  data in {}", config.data_dir.display());
    println!(
        "  open-file limit {open_files}: at most {} connections, {} per address",
        limits.max_connections, limits.max_connections_per_address
    );
    if let Some(addr) = args.metrics_listen {
        let handle = demo::metrics::install()?;
        let metrics = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("--metrics-listen {addr}: {e}"))?;
        println!("  metrics at http://{}/metrics", metrics.local_addr()?);
        demo::metrics::spawn(metrics, handle);
    }
    sharelink_http::serve(listener, app.router, limits, stop_asked()).await;
    println!("sharelink demo: stopped");
    Ok(())
}

/// Completes on SIGTERM (how containers are stopped) or Ctrl-C.
async fn stop_asked() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    println!("sharelink demo: stopping; downloads in flight may finish");
}

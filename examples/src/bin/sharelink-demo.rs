//! The sharelink demo server.
//!
//! Runs on a fresh machine with embedded defaults: SQLite at
//! `./sharelink-demo-data/sharelink.db`, files in `./sharelink-demo-data/files` (a sample
//! tree is written on first start), mail as `.eml` files in
//! `./sharelink-demo-data/outbox`. Sign in as `alice` / `alice` or `admin` / `admin`
//! (demo only: a toy sign-in).
//!
//! ```text
//! cargo run --release -p sharelink-examples --bin sharelink-demo -- [options]
//!   --listen ADDR      address to listen on (default 127.0.0.1:8080)
//!   --public-url URL   address browsers use (default http://ADDR)
//!   --data DIR         data folder (default ./sharelink-demo-data)
//!   --database URL     e.g. postgres://user:pass@localhost/sharelink (default: SQLite)
//!   --storage URL      e.g. s3://bucket/prefix?region=eu-west-3 (default: local folder)
//!   --smtp URL         e.g. smtp://user:pass@smtp.example.com:587?tls=starttls (default: outbox)
//!   --attempt-limit N  failed password/code attempts per client and per share in 15 minutes
//!                      (default 5 per client, 100 per share)
//! cargo run --release -p sharelink-examples --bin sharelink-demo -- migrate-storage \
//!     --from URL --to URL [--verify] [--concurrency N]
//! cargo run --release -p sharelink-examples --bin sharelink-demo -- migrate-db \
//!   --from URL --to URL [--resume] [--batch ROWS]
//!                      copy every table to another database, verify, print a report
//! ```

use sharelink_examples::demo::{self, BoxError, DemoConfig};

const USAGE: &str = "usage: sharelink-demo [--listen ADDR] [--public-url URL] [--data DIR] \
[--database URL] [--storage URL] [--smtp URL] [--attempt-limit N]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Warnings (a wiring mistake, say) go to standard error; RUST_LOG is not read here.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sharelink-demo: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut public_url = None;
    let mut config = DemoConfig::new("sharelink-demo-data", "");
    let mut args = std::env::args().skip(1).peekable();
    if args.next_if(|a| a == "migrate-storage").is_some() {
        return demo::move_storage::run(args).await;
    }
    if args.next_if(|a| a == "migrate-db").is_some() {
        return demo::migrate_db::run(args).await;
    }
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            return Ok(());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--listen" => listen = value,
            "--public-url" => public_url = Some(value),
            "--data" => config.data_dir = value.into(),
            "--database" => config.database = Some(value),
            "--storage" => config.storage = Some(value),
            "--smtp" => config.smtp = Some(value),
            "--attempt-limit" => {
                config.attempt_limit = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--attempt-limit needs a positive number\n{USAGE}"))?,
                )
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    config.public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
    let app = demo::build(&config).await?;
    println!("sharelink demo: open {}/", config.public_url);
    println!(
        "  sign in as alice / alice (may share projects/, only read reports/) or admin / admin"
    );
    println!("  data in {}", config.data_dir.display());
    demo::serve(listener, app.router).await?;
    Ok(())
}

//! `sharelink-demo crawl`: a visitor's-eye record of every share ([`super::crawl`]) over
//! the demo's backends, written as JSON before a move and compared after it.
//!
//! The crawl goes through the application exactly as the server builds it
//! ([`super::build`], without the housekeeper, which could expire or purge shares in
//! between), as the demo's admin. A password-gated share is passed with its stored
//! auto-fill code when it keeps one; other gated shares are recorded with what they
//! answer.
//!
//! The file also holds the [`Counters`] read after the crawl (the crawl's own visits
//! write access-log rows). `--compare` reads the counters before crawling again, so a
//! move made after the first crawl compares equal; a second `--compare` against the same
//! file sees the visits of the first.

use super::crawl::{self, Counters, Crawl};
use super::{BoxError, DemoConfig};
use serde::{Deserialize, Serialize};
use sharelink_core::UserId;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The command's flags.
#[derive(Debug, Clone, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(true).args(["out", "compare"]))]
pub struct Args {
    /// Folder of the embedded defaults: sharelink.db, files/.
    #[arg(
        long,
        env = "SHARELINK_DATA",
        value_name = "DIR",
        default_value = "sharelink-demo-data"
    )]
    pub data: PathBuf,
    /// Database URL [default: SQLite at <data>/sharelink.db].
    #[arg(
        long,
        env = "SHARELINK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Storage URL [default: the folder <data>/files].
    #[arg(
        long,
        env = "SHARELINK_STORAGE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub storage: Option<String>,
    /// Write the crawl and the counters to FILE (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Crawl again and print each difference from the crawl in FILE (exit status 1 when
    /// there is one).
    #[arg(long, value_name = "FILE")]
    pub compare: Option<PathBuf>,
}

/// What `--out` writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// What a visitor reaches, by share.
    pub crawl: Crawl,
    /// Use counts, bindings and access-log totals after the crawl, by share.
    pub counters: BTreeMap<String, Counters>,
}

/// Whether a `--compare` found the two the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to compare, or no difference.
    Same,
    /// At least one difference (printed).
    Different,
}

/// Runs the command: crawls, writes `--out`, and with `--compare` prints the differences
/// (one a line) or "no difference".
///
/// # Errors
/// A backend that cannot be opened, a crawl that fails, or a file that cannot be read,
/// parsed or written.
pub async fn run(args: Args) -> Result<Verdict, BoxError> {
    let earlier = match &args.compare {
        Some(file) => {
            let text = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let record: Record = serde_json::from_slice(&text)
                .map_err(|e| format!("{}: not a crawl: {e}", file.display()))?;
            Some(record)
        }
        None => None,
    };
    let config = DemoConfig {
        database: args.database,
        storage: args.storage,
        housekeeping: false,
        ..DemoConfig::new(&args.data, "http://127.0.0.1")
    };
    let demo = super::build(&config).await?;
    let admin = demo
        .users
        .users()
        .iter()
        .find(|u| u.is_admin)
        .ok_or("the demo has no admin")?;
    let admin = UserId::parse(admin.name)?;
    let app = &demo.sharelink;
    let found = crawl::counters(app, &admin).await?;
    let seen = crawl::crawl(app, &admin, &BTreeMap::new()).await?;
    let record = Record {
        crawl: seen,
        counters: crawl::counters(app, &admin).await?,
    };
    if let Some(file) = &args.out {
        let json = serde_json::to_vec_pretty(&record)?;
        std::fs::write(file, json).map_err(|e| format!("{}: {e}", file.display()))?;
        println!(
            "crawled {} shares into {}",
            record.crawl.len(),
            file.display()
        );
    }
    let Some(earlier) = earlier else {
        return Ok(Verdict::Same);
    };
    let mut changes = crawl::diff(&earlier.crawl, &record.crawl);
    changes.extend(crawl::diff_counters(&earlier.counters, &found));
    if changes.is_empty() {
        println!("no difference");
        return Ok(Verdict::Same);
    }
    for change in &changes {
        println!("{change}");
    }
    Ok(Verdict::Different)
}

//! `sharelink-demo migrate-db`: moves the demo's database to another database (any of
//! SQLite, PostgreSQL, MySQL/MariaDB) with [`sharelink_store_sql::copy_database`].

use super::BoxError;
use sharelink_store_sql::{CopyError, CopyOptions, copy_database};

/// The command's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Database to copy from, e.g. sqlite://sharelink-demo-data/sharelink.db.
    #[arg(
        long,
        env = "SHARELINK_MIGRATE_DB_FROM",
        value_name = "URL",
        hide_env_values = true
    )]
    pub from: String,
    /// Database to copy into (empty, or partly filled by a stopped run with --resume),
    /// e.g. postgres://user:pass@db/sharelink.
    #[arg(
        long,
        env = "SHARELINK_MIGRATE_DB_TO",
        value_name = "URL",
        hide_env_values = true
    )]
    pub to: String,
    /// Go on from what a stopped run committed instead of refusing a non-empty target.
    #[arg(long, env = "SHARELINK_MIGRATE_DB_RESUME")]
    pub resume: bool,
    /// Rows copied per batch (one transaction each).
    #[arg(long, env = "SHARELINK_MIGRATE_DB_BATCH", value_name = "ROWS", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: Option<u32>,
}

/// Runs the command: copies, verifies, and prints the report (per table: rows, rows
/// copied by this run, checksum).
///
/// # Errors
/// The copy's [`CopyError`] (the target keeps what was committed: run again with
/// `--resume`).
pub async fn run(args: Args) -> Result<(), BoxError> {
    let mut options = CopyOptions::new().resume(args.resume);
    if let Some(rows) = args.batch {
        options = options.batch_rows(usize::try_from(rows)?);
    }
    let (from, to) = (args.from, args.to);
    match copy_database(&from, &to, &options).await {
        Ok(report) => {
            print!("{report}");
            Ok(())
        }
        Err(e) => {
            // The driver's message is in the sources; print them all on one line.
            let mut message =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            if matches!(e, CopyError::Database { .. } | CopyError::Stopped { .. }) {
                message.push_str("; what was copied is kept: run again with --resume");
            }
            Err(message.into())
        }
    }
}

//! `sharelink-demo migrate-db`: moves the demo's database to another database (any of
//! SQLite, PostgreSQL, MySQL/MariaDB) with [`sharelink_store_sql::copy_database`].

use super::BoxError;
use sharelink_store_sql::{CopyError, CopyOptions, copy_database};

/// How the command is called.
pub const USAGE: &str = "usage: sharelink-demo migrate-db --from URL --to URL [--resume] \
[--batch ROWS]";

/// Runs the command with its arguments (after `migrate-db`): copies, verifies, and
/// prints the report (per table: rows, rows copied by this run, checksum).
///
/// # Errors
/// A bad argument, or the copy's [`CopyError`] (the target keeps what was committed:
/// run again with `--resume`).
pub async fn run(mut args: impl Iterator<Item = String>) -> Result<(), BoxError> {
    let (mut from, mut to) = (None, None);
    let mut options = CopyOptions::new();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--resume" => options = options.resume(true),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--from" | "--to" | "--batch" => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
                match flag.as_str() {
                    "--from" => from = Some(value),
                    "--to" => to = Some(value),
                    _ => {
                        let rows = value
                            .parse()
                            .map_err(|_| format!("--batch needs a number of rows\n{USAGE}"))?;
                        options = options.batch_rows(rows);
                    }
                }
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(format!("--from and --to are required\n{USAGE}").into());
    };
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

//! `sharelink-demo migrate-storage`: moves every file of the demo (shared files, snapshot
//! copies, inboxes, empty folders) from one storage URL to another with
//! [`sharelink_storage::migrate`], or with `--verify` only checks that the two hold the
//! same objects.

use super::BoxError;
use sharelink_storage::ObjectFileStore;
use sharelink_storage::migrate::{self, MigrateOptions};

/// Usage of the command.
pub const USAGE: &str = "usage: sharelink-demo migrate-storage --from URL --to URL \
[--verify] [--concurrency N]\n  copies every object (a rerun resumes and skips what is \
there), then checks each by size and SHA-256; --verify only checks";

/// Runs the command with its arguments (after `migrate-storage`); prints a report.
///
/// # Errors
/// A usage mistake, a storage URL that does not configure, or the move's
/// [`MigrateError`](sharelink_storage::migrate::MigrateError).
pub async fn run(mut args: impl Iterator<Item = String>) -> Result<(), BoxError> {
    let (mut from, mut to, mut check_only) = (None, None, false);
    let mut options = MigrateOptions::default();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--from" => from = Some(value()?),
            "--to" => to = Some(value()?),
            "--verify" => check_only = true,
            "--concurrency" => {
                let n = value()?
                    .parse()
                    .map_err(|_| format!("--concurrency needs a positive number\n{USAGE}"))?;
                options = options.with_concurrency(n);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(format!("--from and --to are required\n{USAGE}").into());
    };
    let source = ObjectFileStore::from_url(&from)?;
    let target = ObjectFileStore::from_url(&to)?;
    let started = std::time::Instant::now();
    let verification = if check_only {
        migrate::verify(&source, &target, &options).await?
    } else {
        let report = migrate::migrate(&source, &target, &options).await?;
        println!(
            "copied {} objects ({} bytes), skipped {} already there ({} bytes), \
             {} empty folders",
            report.copied,
            report.copied_bytes,
            report.skipped,
            report.skipped_bytes,
            report.folders
        );
        report.verified
    };
    println!(
        "verified {} objects ({} bytes) by size and SHA-256 in {:.1?} (total {:.1?})",
        verification.objects,
        verification.bytes,
        verification.elapsed,
        started.elapsed()
    );
    for key in &verification.extra {
        println!("only at the target (left alone): {key}");
    }
    Ok(())
}

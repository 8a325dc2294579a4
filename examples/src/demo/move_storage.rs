//! `sharelink-demo migrate-storage`: moves every file of the demo (shared files, snapshot
//! copies, inboxes, empty folders) from one storage URL to another with
//! [`sharelink_storage::migrate`], or with `--verify` only checks that the two hold the
//! same objects.

use super::BoxError;
use sharelink_storage::ObjectFileStore;
use sharelink_storage::migrate::{self, MigrateOptions};

/// The command's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Storage URL to copy from, e.g. file:///srv/sharelink/files.
    #[arg(
        long,
        env = "SHARELINK_MIGRATE_STORAGE_FROM",
        value_name = "URL",
        hide_env_values = true
    )]
    pub from: String,
    /// Storage URL to copy into, e.g. s3://bucket/sharelink?region=eu-west-3.
    #[arg(
        long,
        env = "SHARELINK_MIGRATE_STORAGE_TO",
        value_name = "URL",
        hide_env_values = true
    )]
    pub to: String,
    /// Only check that both hold the same objects (size and SHA-256); copy nothing.
    #[arg(long, env = "SHARELINK_MIGRATE_STORAGE_VERIFY")]
    pub verify: bool,
    /// Objects copied at once.
    #[arg(long, env = "SHARELINK_MIGRATE_STORAGE_CONCURRENCY", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
}

/// Runs the command; prints a report.
///
/// # Errors
/// A storage URL that does not configure, or the move's
/// [`MigrateError`](sharelink_storage::migrate::MigrateError).
pub async fn run(args: Args) -> Result<(), BoxError> {
    let mut options = MigrateOptions::default();
    if let Some(n) = args.concurrency {
        options = options.with_concurrency(usize::try_from(n)?);
    }
    let (from, to, check_only) = (args.from, args.to, args.verify);
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

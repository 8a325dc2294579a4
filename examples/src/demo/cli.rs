//! The demo's command line: every flag also reads a `SHARELINK_…` environment variable,
//! so the demo runs in a container unchanged, and a bad value is refused with the flag
//! and what it expects.

use super::{DemoConfig, crawl_command, migrate_db, move_storage};
use clap::{Parser, Subcommand};
use sharelink_http::ServeLimits;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The sharelink demo server: share links to files and folders, over SQLite, a local
/// folder and an outbox folder by default.
///
/// Sign in as alice / alice (may share projects/, only read reports/) or admin / admin
/// (demo only: a toy sign-in). SIGTERM or Ctrl-C stops accepting, lets downloads in
/// flight finish (30 s at most) and then exits.
#[derive(Debug, Parser)]
#[command(name = "sharelink-demo", version, max_term_width = 100)]
pub struct Cli {
    /// A maintenance command instead of the server.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The server's settings.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// The maintenance commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy every table to another database (SQLite, PostgreSQL, MySQL/MariaDB), verify
    /// it by per-table checksums and print a report.
    MigrateDb(migrate_db::Args),
    /// Copy every stored file to another storage URL (a rerun resumes), then check each
    /// by size and SHA-256.
    MigrateStorage(move_storage::Args),
    /// Open every share as a visitor, list every folder and hash every file: write it
    /// with --out before a move, and --compare it after (exit status 1 on a difference).
    Crawl(crawl_command::Args),
}

/// How the server is reached, where it keeps its data, and how many it serves.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:8080 in a container.
    #[arg(
        long,
        env = "SHARELINK_LISTEN",
        value_name = "IP:PORT",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// The address browsers use, e.g. https://share.example.com (links and cookies are
    /// built from it; https:// marks cookies Secure) [default: http://<listen address>].
    #[arg(long, env = "SHARELINK_PUBLIC_URL", value_name = "URL", value_parser = http_url)]
    pub public_url: Option<String>,
    /// Folder of the embedded defaults: sharelink.db, files/, outbox/.
    #[arg(
        long,
        env = "SHARELINK_DATA",
        value_name = "DIR",
        default_value = "sharelink-demo-data"
    )]
    pub data: PathBuf,
    /// Database URL, e.g. postgres://user:pass@db/sharelink or mysql://… [default: SQLite
    /// at <data>/sharelink.db].
    #[arg(long, env = "SHARELINK_DATABASE_URL", value_name = "URL", value_parser = any_url, hide_env_values = true)]
    pub database: Option<String>,
    /// Storage URL, e.g. s3://bucket/prefix?region=eu-west-3 or file:///srv/files
    /// [default: the folder <data>/files].
    #[arg(long, env = "SHARELINK_STORAGE_URL", value_name = "URL", value_parser = any_url, hide_env_values = true)]
    pub storage: Option<String>,
    /// SMTP URL, e.g. smtp://user:pass@smtp.example.com:587?tls=starttls [default: .eml
    /// files in <data>/outbox].
    #[arg(long, env = "SHARELINK_SMTP_URL", value_name = "URL", value_parser = any_url, hide_env_values = true)]
    pub smtp: Option<String>,
    /// Failed password or code attempts allowed per client and per share in 15 minutes
    /// [default: 5 per client, 100 per share].
    #[arg(long, env = "SHARELINK_ATTEMPT_LIMIT", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub attempt_limit: Option<u32>,
    /// Connections open at once [default: the open-file limit less 256 kept for files
    /// and the database].
    #[arg(long, env = "SHARELINK_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Connections open at once from one client address (behind a reverse proxy, set it
    /// as high as --max-connections).
    #[arg(long, env = "SHARELINK_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: u32,
    /// Do not run the housekeeper (purge and expiry reminders) in this process; another
    /// process on the same database may still run it.
    #[arg(long, env = "SHARELINK_NO_HOUSEKEEPING")]
    pub no_housekeeping: bool,
    /// Serve the metrics as Prometheus text at http://IP:PORT/metrics, an address of its
    /// own (keep it off the public network) [default: no metrics endpoint].
    #[arg(long, env = "SHARELINK_METRICS_LISTEN", value_name = "IP:PORT")]
    pub metrics_listen: Option<SocketAddr>,
    /// What to log, as `tracing-subscriber` filter directives (`info`,
    /// `sharelink_core=debug,info`, `trace`); logs go to standard error.
    #[arg(long, env = "RUST_LOG", value_name = "FILTER", default_value = "info", value_parser = log_filter)]
    pub log: String,
    /// Initial site settings: in effect until an administrator saves others on the
    /// `/admin` page (or `PATCH /share/api/site`); the saved ones, in the database, win.
    #[command(flatten)]
    pub site: SiteArgs,
}

/// The initial site settings the command line sets (each flag also reads its variable).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Initial site settings")]
pub struct SiteArgs {
    /// Shares may bind to the first device that opens them.
    #[arg(long, env = "SHARELINK_DEVICE_BINDING")]
    pub device_binding: bool,
    /// Only one active link per recipient email and item.
    #[arg(long, env = "SHARELINK_ONE_ACTIVE_PER_RECIPIENT")]
    pub one_active_per_recipient: bool,
    /// Every share must have a password (generated when the creator gives none).
    #[arg(long, env = "SHARELINK_REQUIRE_PASSWORD")]
    pub require_password: bool,
    /// Lifetime in days of shares created without an expiry, 0 for none [default: 30].
    #[arg(long, env = "SHARELINK_DEFAULT_LIFETIME_DAYS", value_name = "DAYS")]
    pub default_lifetime_days: Option<u32>,
    /// Shares one user may create per day, 0 for no quota [default: 500].
    #[arg(long, env = "SHARELINK_DAILY_QUOTA", value_name = "N")]
    pub daily_quota: Option<u32>,
    /// File extensions public links refuse, comma-separated, without dots (an empty
    /// value refuses none) [default: apk,ipa].
    #[arg(
        long,
        env = "SHARELINK_REFUSED_EXTENSIONS",
        value_name = "EXT,…",
        value_delimiter = ','
    )]
    pub refused_extensions: Option<Vec<String>>,
}

impl SiteArgs {
    /// `site` with these flags applied.
    pub fn apply(&self, mut site: sharelink_core::SiteSettings) -> sharelink_core::SiteSettings {
        site.device_binding |= self.device_binding;
        site.one_active_share_per_recipient_item |= self.one_active_per_recipient;
        site.require_password |= self.require_password;
        if let Some(days) = self.default_lifetime_days {
            site.default_lifetime = (days > 0).then(|| time::Duration::days(i64::from(days)));
        }
        if let Some(n) = self.daily_quota {
            site.shares_per_user_per_day = (n > 0).then_some(n);
        }
        if let Some(exts) = &self.refused_extensions {
            site.refused_extensions = exts
                .iter()
                .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
                .filter(|e| !e.is_empty())
                .collect();
        }
        site
    }
}

/// File descriptors kept for everything but connections: files being sent, the
/// database pool, the log.
const RESERVED_FILES: u64 = 256;

impl ServerArgs {
    /// The demo's configuration, its public URL built from `bound` (the address the
    /// listener got) unless `--public-url` gives one.
    pub fn config(&self, bound: SocketAddr) -> DemoConfig {
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        DemoConfig {
            database: self.database.clone(),
            storage: self.storage.clone(),
            smtp: self.smtp.clone(),
            attempt_limit: self.attempt_limit,
            housekeeping: !self.no_housekeeping,
            site: self.site.clone(),
            ..DemoConfig::new(&self.data, public_url)
        }
    }

    /// The server's limits when the process may open `open_files` files.
    pub fn limits(&self, open_files: u64) -> ServeLimits {
        let fit = usize::try_from(open_files.saturating_sub(RESERVED_FILES).max(16))
            .unwrap_or(usize::MAX);
        let max_connections = self
            .max_connections
            .map_or(fit, |n| usize::try_from(n).unwrap_or(usize::MAX));
        ServeLimits {
            max_connections,
            max_connections_per_address: usize::try_from(self.max_connections_per_address)
                .unwrap_or(usize::MAX),
            ..ServeLimits::default()
        }
    }
}

/// Log filter directives, checked, kept as written.
fn log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("not a log filter ({e}); e.g. info or sharelink_core=debug,info"))
}

/// A URL, checked, kept as written.
fn any_url(value: &str) -> Result<String, String> {
    url::Url::parse(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("expected a URL such as scheme://host/path ({e})"))
}

/// An `http://` or `https://` URL, checked, kept as written.
fn http_url(value: &str) -> Result<String, String> {
    let url = url::Url::parse(value)
        .map_err(|e| format!("expected a URL such as https://share.example.com ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(value.to_owned()),
        other => Err(format!(
            "expected an http:// or https:// URL, not {other}://"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn connections_fit_under_the_open_file_limit() {
        let args = Cli::try_parse_from(["sharelink-demo"]).unwrap().server;
        assert_eq!(args.limits(1024).max_connections, 768);
        assert_eq!(args.limits(100).max_connections, 16);
        let args = Cli::try_parse_from(["sharelink-demo", "--max-connections", "50"])
            .unwrap()
            .server;
        assert_eq!(args.limits(1024).max_connections, 50);
    }

    #[test]
    fn site_flags_set_the_initial_site_settings() {
        let args = Cli::try_parse_from([
            "sharelink-demo",
            "--device-binding",
            "--one-active-per-recipient",
            "--require-password",
            "--default-lifetime-days",
            "0",
            "--daily-quota",
            "7",
            "--refused-extensions",
            ".EXE,msi",
        ])
        .unwrap()
        .server;
        let site = args.site.apply(sharelink_core::SiteSettings::default());
        assert!(site.device_binding && site.one_active_share_per_recipient_item);
        assert!(site.require_password);
        assert_eq!(site.default_lifetime, None);
        assert_eq!(site.shares_per_user_per_day, Some(7));
        assert_eq!(site.refused_extensions, ["exe", "msi"]);
        assert!(site.check().is_ok());
        // No flags: the defaults as they are.
        let none = Cli::try_parse_from(["sharelink-demo"]).unwrap().server;
        assert_eq!(
            none.site.apply(sharelink_core::SiteSettings::default()),
            sharelink_core::SiteSettings::default()
        );
    }

    #[test]
    fn bad_values_name_the_flag_and_what_it_expects() {
        for (flag, value, expected) in [
            ("--listen", "nonsense", "socket address"),
            ("--public-url", "ftp://x", "http:// or https://"),
            ("--database", "not a url", "expected a URL"),
            ("--attempt-limit", "0", "1.."),
            ("--daily-quota", "many", "invalid digit"),
        ] {
            let e = Cli::try_parse_from(["sharelink-demo", flag, value])
                .unwrap_err()
                .to_string();
            assert!(e.contains(flag) && e.contains(expected), "{flag}: {e}");
        }
    }
}

//! The access-log port: every visitor event, queries over them, and statistics.

use crate::ports::repository::RepoError;
use crate::{Email, RegistrationId, ShareId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::net::IpAddr;
use time::{Date, OffsetDateTime};

/// What happened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LogKind {
    /// A visitor session was opened.
    Visit,
    /// A gate was passed (`detail` names it).
    GatePassed,
    /// A gate was failed (`detail` names it).
    GateFailed,
    /// A folder was listed.
    List,
    /// A file was previewed.
    Preview,
    /// A file was downloaded.
    Download,
    /// Several files were downloaded as a ZIP.
    DownloadAll,
    /// A file was uploaded.
    Upload,
    /// A folder was made.
    CreateFolder,
    /// Renamed.
    Rename,
    /// Moved.
    Move,
    /// Copied.
    Copy,
    /// Deleted.
    Delete,
    /// Access was refused (`detail` says why).
    Denied,
}

impl LogKind {
    /// A stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Visit => "visit",
            LogKind::GatePassed => "gate_passed",
            LogKind::GateFailed => "gate_failed",
            LogKind::List => "list",
            LogKind::Preview => "preview",
            LogKind::Download => "download",
            LogKind::DownloadAll => "download_all",
            LogKind::Upload => "upload",
            LogKind::CreateFolder => "create_folder",
            LogKind::Rename => "rename",
            LogKind::Move => "move",
            LogKind::Copy => "copy",
            LogKind::Delete => "delete",
            LogKind::Denied => "denied",
        }
    }

    /// Every kind.
    pub const ALL: [LogKind; 14] = [
        LogKind::Visit,
        LogKind::GatePassed,
        LogKind::GateFailed,
        LogKind::List,
        LogKind::Preview,
        LogKind::Download,
        LogKind::DownloadAll,
        LogKind::Upload,
        LogKind::CreateFolder,
        LogKind::Rename,
        LogKind::Move,
        LogKind::Copy,
        LogKind::Delete,
        LogKind::Denied,
    ];

    /// Parses [`LogKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One event to append.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLogEvent {
    /// The share.
    pub share_id: ShareId,
    /// When.
    #[serde(with = "crate::model::instant")]
    pub at: OffsetDateTime,
    /// What.
    pub kind: LogKind,
    /// Visitor paths involved.
    pub paths: Vec<String>,
    /// Bytes served or received.
    pub bytes: Option<u64>,
    /// Client address (already truncated when the site asks).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub ip: Option<IpAddr>,
    /// User agent.
    pub user_agent: Option<String>,
    /// A non-secret tag of the visitor session, for counting unique visitors.
    pub visitor: Option<String>,
    /// Verified (or registered) email.
    pub email: Option<Email>,
    /// Registration.
    pub registration: Option<RegistrationId>,
    /// The gate, or the reason of a denial.
    pub detail: Option<String>,
}

/// A stored event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    /// Id, increasing in insertion order.
    pub id: i64,
    /// The event.
    #[serde(flatten)]
    pub event: NewLogEvent,
}

/// Which events to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// Only these shares (`None`: all; services always restrict to what the actor sees).
    pub shares: Option<Vec<ShareId>>,
    /// Only these kinds.
    pub kinds: Option<Vec<LogKind>>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
    /// Keyset cursor: events with an id below this (newest first).
    pub before_id: Option<i64>,
    /// Page size (1 to 1000).
    pub limit: u32,
}

/// Statistics of one share.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShareStats {
    /// Visits (sessions opened).
    pub visits: u64,
    /// Distinct visitor tags (browsers) among the visit events: a refused request or a
    /// bot is no visitor.
    pub unique_visitors: u64,
    /// Downloads (files and ZIPs).
    pub downloads: u64,
    /// Bytes downloaded.
    pub bytes_downloaded: u64,
    /// Uploads.
    pub uploads: u64,
    /// Bytes uploaded.
    pub bytes_uploaded: u64,
    /// Denials.
    pub denials: u64,
}

/// Which events a per-day report counts: every UTC day from `first` to `last`, both
/// included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyQuery {
    /// Only these shares (`None`: all; services always restrict to what the actor sees).
    pub shares: Option<Vec<ShareId>>,
    /// The first day (UTC).
    pub first: Date,
    /// The last day (UTC), included.
    pub last: Date,
}

/// The statistics of one UTC day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// The day (UTC), `YYYY-MM-DD`.
    #[serde(with = "day_text")]
    pub day: Date,
    /// Its counts; `unique_visitors` are distinct within the day.
    #[serde(flatten)]
    pub stats: ShareStats,
}

/// A day as `YYYY-MM-DD` in JSON.
mod day_text {
    time::serde::format_description!(pub(super) iso_day, Date, "[year]-[month]-[day]");
    pub(super) use iso_day::{deserialize, serialize};
}

/// One [`DayStats`] per day of `query`'s range in order, taking the counts of the days
/// `counted` names and zeros for the rest: what [`AccessLog::daily_statistics`] answers
/// from the days an adapter found events on.
pub fn every_day(
    query: &DailyQuery,
    counted: impl IntoIterator<Item = (Date, ShareStats)>,
) -> Vec<DayStats> {
    let counted: std::collections::HashMap<Date, ShareStats> = counted.into_iter().collect();
    std::iter::successors(Some(query.first), |d| d.next_day())
        .take_while(|d| *d <= query.last)
        .map(|day| DayStats {
            day,
            stats: counted.get(&day).copied().unwrap_or_default(),
        })
        .collect()
}

/// Keeps the access log.
///
/// Contract (each bullet is a case of `conformance::access_log`):
/// - `append` stores every field and returns increasing ids.
/// - `query` filters by shares, kinds and time range, newest first (by id), and pages with
///   `before_id` so that following pages visits every event once.
/// - `statistics` counts visits, distinct visitors, downloads (`Download` and
///   `DownloadAll`) and their bytes, uploads and their bytes, and denials, for one share.
/// - `daily_statistics` counts the same per UTC day over the shares asked, one entry per
///   day of the range in order, zeros for days without events, unique visitors distinct
///   within each day; nothing when the last day is before the first.
/// - `purge_before` deletes events older than an instant (retention) and returns how many.
/// - `delete_share` deletes every event of a share (revoke).
#[async_trait]
pub trait AccessLog: Send + Sync + Debug + 'static {
    /// Appends an event.
    ///
    /// # Errors
    /// A store error.
    async fn append(&self, event: &NewLogEvent) -> Result<i64, RepoError>;

    /// Reads events.
    ///
    /// # Errors
    /// A store error.
    async fn query(&self, query: &LogQuery) -> Result<Vec<LogEvent>, RepoError>;

    /// Statistics of one share.
    ///
    /// # Errors
    /// A store error.
    async fn statistics(&self, share: ShareId) -> Result<ShareStats, RepoError>;

    /// Statistics per UTC day (see [`every_day`] for the shape).
    ///
    /// # Errors
    /// A store error.
    async fn daily_statistics(&self, query: &DailyQuery) -> Result<Vec<DayStats>, RepoError>;

    /// Deletes events before `cutoff`; returns how many.
    ///
    /// # Errors
    /// A store error.
    async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64, RepoError>;

    /// Deletes every event of a share; returns how many.
    ///
    /// # Errors
    /// A store error.
    async fn delete_share(&self, share: ShareId) -> Result<u64, RepoError>;
}

//! The in-memory access log.

use crate::ports::RepoError;
use crate::ports::access_log::{
    AccessLog, DailyQuery, DayStats, LogEvent, LogKind, LogQuery, NewLogEvent, ShareStats,
    every_day,
};
use crate::*;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use time::{Date, OffsetDateTime, UtcOffset};

/// An access log in memory.
#[derive(Debug, Default)]
pub struct MemoryAccessLog {
    events: Mutex<Vec<LogEvent>>,
}

impl MemoryAccessLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<LogEvent>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The statistics of `events` (the rules of [`AccessLog::statistics`]).
fn tally<'a>(events: impl IntoIterator<Item = &'a NewLogEvent>) -> ShareStats {
    let mut stats = ShareStats::default();
    let mut visitors = HashSet::new();
    for e in events {
        match e.kind {
            LogKind::Visit => {
                stats.visits += 1;
                if let Some(v) = &e.visitor {
                    visitors.insert(v.as_str());
                }
            }
            LogKind::Download | LogKind::DownloadAll => {
                stats.downloads += 1;
                stats.bytes_downloaded += e.bytes.unwrap_or(0);
            }
            LogKind::Upload => {
                stats.uploads += 1;
                stats.bytes_uploaded += e.bytes.unwrap_or(0);
            }
            LogKind::Denied => stats.denials += 1,
            _ => {}
        }
    }
    stats.unique_visitors = visitors.len() as u64;
    stats
}

#[async_trait]
impl AccessLog for MemoryAccessLog {
    async fn append(&self, event: &NewLogEvent) -> Result<i64, RepoError> {
        let mut events = self.lock();
        let id = events.last().map_or(1, |e| e.id + 1);
        events.push(LogEvent {
            id,
            event: event.clone(),
        });
        Ok(id)
    }

    async fn query(&self, q: &LogQuery) -> Result<Vec<LogEvent>, RepoError> {
        let events = self.lock();
        Ok(events
            .iter()
            .rev()
            .filter(|e| {
                q.shares
                    .as_ref()
                    .is_none_or(|s| s.contains(&e.event.share_id))
            })
            .filter(|e| q.kinds.as_ref().is_none_or(|k| k.contains(&e.event.kind)))
            .filter(|e| q.from.is_none_or(|f| e.event.at >= f))
            .filter(|e| q.to.is_none_or(|t| e.event.at < t))
            .filter(|e| q.before_id.is_none_or(|b| e.id < b))
            .take(q.limit.clamp(1, 1000) as usize)
            .cloned()
            .collect())
    }

    async fn statistics(&self, share: ShareId) -> Result<ShareStats, RepoError> {
        let events = self.lock();
        Ok(tally(
            events
                .iter()
                .map(|e| &e.event)
                .filter(|e| e.share_id == share),
        ))
    }

    async fn daily_statistics(&self, q: &DailyQuery) -> Result<Vec<DayStats>, RepoError> {
        let events = self.lock();
        let mut days: BTreeMap<Date, Vec<&NewLogEvent>> = BTreeMap::new();
        for e in events.iter().map(|e| &e.event).filter(|e| {
            q.shares.as_ref().is_none_or(|s| s.contains(&e.share_id))
                && (q.first..=q.last).contains(&e.at.to_offset(UtcOffset::UTC).date())
        }) {
            days.entry(e.at.to_offset(UtcOffset::UTC).date())
                .or_default()
                .push(e);
        }
        Ok(every_day(
            q,
            days.into_iter().map(|(day, events)| (day, tally(events))),
        ))
    }

    async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64, RepoError> {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|e| e.event.at >= cutoff);
        Ok((before - events.len()) as u64)
    }

    async fn delete_share(&self, share: ShareId) -> Result<u64, RepoError> {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|e| e.event.share_id != share);
        Ok((before - events.len()) as u64)
    }
}

//! Reporting use cases: the access log exported page by page, and statistics per UTC day,
//! of one share, one owner's shares, or (admins) every share.

use super::{Result, Sharelink};
use crate::ports::access_log::{AccessLog, DailyQuery, DayStats, LogEvent, LogQuery};
use crate::ports::repository::ShareQuery;
use crate::{ShareId, UserId};
use std::sync::Arc;
use time::Date;

/// The most days one per-day report spans.
pub const MAX_REPORT_DAYS: i64 = 1000;

/// Events read per page of an export.
const EXPORT_PAGE: u32 = 1000;

/// Whose events a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
    /// Only this share (the actor must manage it).
    pub share: Option<ShareId>,
    /// Only this owner's shares: admins may name anybody (without a name they get every
    /// share); others always get their own, whatever they name.
    pub owner: Option<UserId>,
}

/// A report request that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The last day is before the first.
    #[error("the last day ({last}) is before the first ({first})")]
    InvertedRange {
        /// The first day asked.
        first: Date,
        /// The last day asked.
        last: Date,
    },
    /// The range spans more days than one report may.
    #[error("a report spans at most {max} days, this one {days}")]
    RangeTooLong {
        /// Days asked.
        days: i64,
        /// [`MAX_REPORT_DAYS`].
        max: i64,
    },
}

/// An access-log export under way: pages of events, newest first, of what the actor may
/// see, read one at a time so no more than a page is ever held.
#[derive(Debug)]
pub struct LogExport {
    log: Arc<dyn AccessLog>,
    query: LogQuery,
    done: bool,
}

impl LogExport {
    /// The next page, or an empty one when every event has been read.
    ///
    /// # Errors
    /// Repository errors.
    pub async fn next_page(&mut self) -> Result<Vec<LogEvent>> {
        if self.done {
            return Ok(Vec::new());
        }
        let page = self.log.query(&self.query).await?;
        self.done = page.len() < self.query.limit as usize;
        self.query.before_id = page.last().map(|e| e.id);
        Ok(page)
    }
}

impl Sharelink {
    /// The shares a report of `actor` over `scope` reads: `None` for every share (an admin
    /// naming neither share nor owner).
    async fn report_shares(
        &self,
        actor: &UserId,
        scope: &ReportScope,
    ) -> Result<Option<Vec<ShareId>>> {
        if let Some(id) = scope.share {
            let (user, share) = self.managed(actor, id).await?;
            let owner_matches =
                !user.is_admin || scope.owner.as_ref().is_none_or(|o| *o == share.owner);
            return Ok(Some(if owner_matches {
                vec![share.id]
            } else {
                Vec::new()
            }));
        }
        let user = self.actor(actor).await?;
        let owner = match (user.is_admin, &scope.owner) {
            (true, None) => return Ok(None),
            (true, Some(owner)) => owner.clone(),
            (false, _) => actor.clone(),
        };
        let mut ids = Vec::new();
        let mut query = ShareQuery {
            owner: Some(owner),
            limit: 1000,
            ..ShareQuery::default()
        };
        loop {
            let page = self.ports.repo.list_shares(&query).await?;
            ids.extend(page.shares.iter().map(|s| s.id));
            match page.next {
                Some(next) if !page.shares.is_empty() => query.after = Some(next),
                _ => break,
            }
        }
        Ok(Some(ids))
    }

    /// Starts an export of the access log over `scope`, filtered by `filter`'s kinds and
    /// time range (its shares, cursor and page size are the export's own).
    ///
    /// # Errors
    /// `ShareNotFound` for a share the actor may not manage, directory and repository
    /// errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn export_log(
        &self,
        actor: &UserId,
        scope: &ReportScope,
        filter: LogQuery,
    ) -> Result<LogExport> {
        let shares = self.report_shares(actor, scope).await?;
        Ok(LogExport {
            log: self.ports.log.clone(),
            done: shares.as_ref().is_some_and(Vec::is_empty),
            query: LogQuery {
                shares,
                before_id: None,
                limit: EXPORT_PAGE,
                ..filter
            },
        })
    }

    /// Statistics per UTC day from `first` to `last` (included) over `scope`: one entry
    /// per day, zeros on days without events.
    ///
    /// # Errors
    /// [`ReportError`] for an inverted or too long range, `ShareNotFound` for a share the
    /// actor may not manage, directory and repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn daily_statistics(
        &self,
        actor: &UserId,
        scope: &ReportScope,
        first: Date,
        last: Date,
    ) -> Result<Vec<DayStats>> {
        if last < first {
            return Err(ReportError::InvertedRange { first, last }.into());
        }
        let days = (last - first).whole_days() + 1;
        if days > MAX_REPORT_DAYS {
            return Err(ReportError::RangeTooLong {
                days,
                max: MAX_REPORT_DAYS,
            }
            .into());
        }
        let shares = self.report_shares(actor, scope).await?;
        Ok(self
            .ports
            .log
            .daily_statistics(&DailyQuery {
                shares,
                first,
                last,
            })
            .await?)
    }
}

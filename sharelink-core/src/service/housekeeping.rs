//! Housekeeping: the periodic jobs (purge with log retention, expiry reminders, owner
//! digests), each run
//! by exactly one process per period among all the processes that share a store.
//!
//! Time is cut into periods aligned on the Unix epoch. On each tick, a process tries the
//! job's [`Lease`] until the end of the current period: the one that wins runs the job,
//! and the lease, still held, tells every other process (and itself) that the job is done
//! for this period. A process that dies mid-run holds the job only until the period ends;
//! a run that fails releases the lease, so the next tick (of any process) tries again.

use super::{Result, Sharelink};
use crate::ports::lease::Lease;
use std::fmt;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// A housekeeping job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Job {
    /// [`Sharelink::purge`]: log events past the retention, copies of expired snapshots.
    Purge,
    /// [`Sharelink::send_expiry_reminders`].
    Reminders,
    /// [`Sharelink::send_digests`]: one mail per recipient of the owner notifications
    /// gathered since the last run.
    Digest,
}

impl Job {
    /// Every job.
    pub const ALL: [Self; 3] = [Self::Purge, Self::Reminders, Self::Digest];

    /// The job's name, which is also its lease's name: `purge`, `reminders` or `digest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purge => "purge",
            Self::Reminders => "reminders",
            Self::Digest => "digest",
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A period that is not positive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the period of the {job} job must be positive (got {period})")]
pub struct PeriodError {
    /// The job.
    pub job: Job,
    /// The period given.
    pub period: Duration,
}

/// How often each job runs (once per period, across every process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobPeriods {
    purge: Duration,
    reminders: Duration,
    digest: Duration,
}

impl JobPeriods {
    /// Purge every `purge`, remind every `reminders`, send digests hourly.
    ///
    /// # Errors
    /// [`PeriodError`] for a period that is zero or negative.
    pub fn new(purge: Duration, reminders: Duration) -> Result<Self, PeriodError> {
        Self {
            purge,
            reminders,
            digest: Duration::HOUR,
        }
        .checked()
    }

    /// The same, with digests sent every `digest` instead.
    ///
    /// # Errors
    /// [`PeriodError`] for a period that is zero or negative.
    pub fn with_digest(self, digest: Duration) -> Result<Self, PeriodError> {
        Self { digest, ..self }.checked()
    }

    fn checked(self) -> Result<Self, PeriodError> {
        for job in Job::ALL {
            let period = self.of(job);
            if !period.is_positive() {
                return Err(PeriodError { job, period });
            }
        }
        Ok(self)
    }

    /// The period of `job`.
    pub fn of(&self, job: Job) -> Duration {
        match job {
            Job::Purge => self.purge,
            Job::Reminders => self.reminders,
            Job::Digest => self.digest,
        }
    }
}

impl Default for JobPeriods {
    /// Purge hourly, remind every quarter of an hour, send digests hourly.
    fn default() -> Self {
        Self {
            purge: Duration::HOUR,
            reminders: Duration::minutes(15),
            digest: Duration::HOUR,
        }
    }
}

/// The end of the period of length `period` (positive) that holds `now`.
pub fn period_end(period: Duration, now: OffsetDateTime) -> OffsetDateTime {
    let len = period.whole_nanoseconds().max(1);
    let since = (now - OffsetDateTime::UNIX_EPOCH).whole_nanoseconds();
    let slot = since.div_euclid(len) + 1;
    let end = i64::try_from(slot * len).unwrap_or(i64::MAX);
    OffsetDateTime::UNIX_EPOCH + Duration::nanoseconds(end)
}

/// What one run of a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobOutcome {
    /// The purge ran.
    Purged {
        /// Log events deleted.
        events: u64,
        /// Snapshot copies deleted.
        snapshots: u32,
    },
    /// Reminders were sent.
    Reminded {
        /// How many.
        sent: u32,
    },
    /// Digests were sent.
    Digested {
        /// How many (one per recipient with waiting notifications).
        sent: u32,
    },
}

/// The housekeeping jobs of one process.
#[derive(Debug, Clone)]
pub struct Housekeeping {
    app: Sharelink,
    lease: Arc<dyn Lease>,
    holder: String,
    periods: JobPeriods,
}

impl Housekeeping {
    /// The jobs of `app`, coordinated through `lease` under the name `holder` (unique per
    /// process: it is what a lease records), on `periods`.
    pub fn new(
        app: Sharelink,
        lease: Arc<dyn Lease>,
        holder: impl Into<String>,
        periods: JobPeriods,
    ) -> Self {
        Self {
            app,
            lease,
            holder: holder.into(),
            periods,
        }
    }

    /// The periods.
    pub fn periods(&self) -> JobPeriods {
        self.periods
    }

    /// Runs each job not yet run in its current period whose lease this process wins,
    /// and says what each did. A job whose run fails is released for another try.
    ///
    /// # Errors
    /// Per job: the lease's store failed, or the job did (the other jobs still run).
    #[tracing::instrument(skip_all)]
    pub async fn run_due(&self) -> Vec<(Job, Result<JobOutcome>)> {
        let mut runs = Vec::new();
        for job in Job::ALL {
            let now = self.app.now();
            let until = period_end(self.periods.of(job), now);
            match self
                .lease
                .try_acquire(job.as_str(), &self.holder, now, until)
                .await
            {
                Ok(false) => continue,
                Ok(true) => {}
                Err(e) => {
                    runs.push((job, Err(e.into())));
                    continue;
                }
            }
            let outcome = self.run(job).await;
            if outcome.is_err() {
                // Best effort: if the release fails too, the lease simply runs out.
                if let Err(e) = self.lease.release(job.as_str(), &self.holder).await {
                    crate::telemetry::discarded("a job's lease is kept until it runs out", &e);
                }
            }
            runs.push((job, outcome));
        }
        runs
    }

    async fn run(&self, job: Job) -> Result<JobOutcome> {
        Ok(match job {
            Job::Purge => {
                let (events, snapshots) = self.app.purge().await?;
                JobOutcome::Purged { events, snapshots }
            }
            Job::Reminders => JobOutcome::Reminded {
                sent: self.app.send_expiry_reminders().await?,
            },
            Job::Digest => JobOutcome::Digested {
                sent: self.app.send_digests().await?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ShareMode;
    use crate::memory::MemoryLease;
    use crate::ports::{Clock, FileStore};
    use crate::service::ServiceError;
    use crate::testing::fixtures::{T0, World, share_request, user};
    use futures::executor::block_on;
    use time::macros::datetime;

    #[test]
    fn among_processes_each_job_runs_once_per_period() {
        let w = World::new();
        let lease = Arc::new(MemoryLease::new());
        let periods = JobPeriods::new(Duration::HOUR, Duration::minutes(15)).unwrap();
        let nodes: Vec<Housekeeping> = ["a", "b", "c"]
            .into_iter()
            .map(|n| Housekeeping::new(w.app.clone(), lease.clone(), n, periods))
            .collect();
        let mut runs: Vec<Job> = Vec::new();
        // Two hours in steps of five minutes, every node ticking twice a step.
        for _ in 0..24 {
            for _ in 0..2 {
                for node in &nodes {
                    for (job, outcome) in block_on(node.run_due()) {
                        outcome.unwrap();
                        runs.push(job);
                    }
                }
            }
            w.mem.clock.advance(Duration::minutes(5));
        }
        let count = |j: Job| runs.iter().filter(|r| **r == j).count();
        assert_eq!(count(Job::Purge), 2);
        assert_eq!(count(Job::Reminders), 8);
        assert_eq!(count(Job::Digest), 2);
    }

    #[test]
    fn a_purged_snapshot_share_cannot_be_reactivated() {
        let w = World::new();
        let ana = user("ana");
        let expiring = |s: &mut crate::ShareSettings| {
            s.mode = ShareMode::Snapshot;
            s.schedule.expires_at = Some(T0 + Duration::hours(1));
        };
        let purged = block_on(
            w.app
                .create_share(&ana, share_request(&["docs/reports"], expiring)),
        )
        .unwrap()
        .share;
        w.mem.clock.advance(Duration::hours(2));
        let lease = Arc::new(MemoryLease::new());
        let node = Housekeeping::new(w.app.clone(), lease, "a", JobPeriods::default());
        let runs = block_on(node.run_due());
        assert!(
            runs.iter().any(|(j, o)| *j == Job::Purge
                && matches!(o, Ok(JobOutcome::Purged { snapshots: 1, .. })))
        );
        assert!(block_on(w.mem.files.stat(&purged.items[0].path)).is_err());
        let later = Some(w.mem.clock.now() + Duration::days(1));
        assert!(matches!(
            block_on(w.app.reactivate(&ana, purged.id, later)),
            Err(ServiceError::SnapshotPurged)
        ));
        // A snapshot share that expired but still has its copies comes back.
        let kept = block_on(w.app.create_share(
            &ana,
            share_request(&["docs/reports"], |s| {
                s.mode = ShareMode::Snapshot;
                s.schedule.expires_at = Some(w.mem.clock.now() + Duration::hours(1));
            }),
        ))
        .unwrap()
        .share;
        w.mem.clock.advance(Duration::hours(2));
        let later = Some(w.mem.clock.now() + Duration::days(1));
        let back = block_on(w.app.reactivate(&ana, kept.id, later)).unwrap();
        assert_eq!(back.settings.schedule.expires_at, later);
    }

    #[test]
    fn periods_end_on_multiples_of_their_length_since_the_epoch() {
        let cases = [
            (
                Duration::HOUR,
                datetime!(2026-03-01 12:00 UTC),
                datetime!(2026-03-01 13:00 UTC),
            ),
            (
                Duration::HOUR,
                datetime!(2026-03-01 12:59:59.999 UTC),
                datetime!(2026-03-01 13:00 UTC),
            ),
            (
                Duration::minutes(15),
                datetime!(2026-03-01 12:20 UTC),
                datetime!(2026-03-01 12:30 UTC),
            ),
            (
                Duration::DAY,
                datetime!(1969-12-31 23:00 UTC),
                datetime!(1970-01-01 0:00 UTC),
            ),
        ];
        for (period, now, end) in cases {
            assert_eq!(period_end(period, now), end, "{period} at {now}");
        }
    }

    #[test]
    fn periods_must_be_positive() {
        assert_eq!(
            JobPeriods::new(Duration::ZERO, Duration::HOUR),
            Err(PeriodError {
                job: Job::Purge,
                period: Duration::ZERO
            })
        );
        assert!(JobPeriods::new(Duration::HOUR, Duration::seconds(-1)).is_err());
        assert!(JobPeriods::new(Duration::SECOND, Duration::SECOND).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn now_lies_in_the_period_before_its_end(secs in -1_000_000_000i64..4_000_000_000, len in 1i64..1_000_000) {
            let now = OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs);
            let period = Duration::seconds(len);
            let end = period_end(period, now);
            proptest::prop_assert!(end > now && end - period <= now);
        }
    }
}

//! The housekeeper: a tokio task that runs core's housekeeping jobs ([`Housekeeping`]:
//! purge with log retention, expiry reminders, owner digests) on a schedule.

use sharelink_core::service::{Housekeeping, Job, JobOutcome};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A running housekeeper: how many runs of each job this process made, and a way to stop
/// it. Dropping the handle leaves the task running.
#[derive(Debug)]
pub struct Housekeeper {
    task: tokio::task::JoinHandle<()>,
    runs: Arc<[AtomicU64; Job::ALL.len()]>,
}

impl Housekeeper {
    /// How many times this process ran `job` (successfully or not).
    pub fn runs(&self, job: Job) -> u64 {
        self.runs[index(job)].load(Ordering::SeqCst)
    }

    /// Stops the task (a job in progress is dropped where it stands; its lease runs out
    /// at the end of its period).
    pub fn stop(&self) {
        self.task.abort();
    }
}

fn index(job: Job) -> usize {
    Job::ALL.iter().position(|j| *j == job).unwrap_or(0)
}

/// Starts the housekeeper on the current tokio runtime: every `tick`, each job not yet run
/// in its period is run if this process wins its lease, so that among all the processes
/// on one database each job runs once per period ([`Housekeeping::run_due`]). Failures
/// are logged, and retried on a later tick. Pick a `tick` well under the shortest period
/// (a minute suits hourly jobs).
pub fn spawn_housekeeper(housekeeping: Housekeeping, tick: std::time::Duration) -> Housekeeper {
    let runs: Arc<[AtomicU64; Job::ALL.len()]> = Arc::new(Default::default());
    let counts = runs.clone();
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(tick);
        // A tick missed while a job ran is not made up: the periods decide what runs.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            for (job, outcome) in housekeeping.run_due().await {
                counts[index(job)].fetch_add(1, Ordering::SeqCst);
                match outcome {
                    Ok(JobOutcome::Purged { events, snapshots }) => {
                        tracing::info!(%job, events, snapshots, "housekeeper: purged");
                    }
                    Ok(JobOutcome::Reminded { sent }) => {
                        tracing::info!(%job, sent, "housekeeper: reminders sent");
                    }
                    Ok(JobOutcome::Digested { sent }) => {
                        tracing::info!(%job, sent, "housekeeper: digests sent");
                    }
                    Ok(other) => tracing::info!(%job, ?other, "housekeeper: ran"),
                    Err(e) => tracing::warn!(%job, error = %e, "housekeeper: job failed"),
                }
            }
        }
    });
    Housekeeper { task, runs }
}

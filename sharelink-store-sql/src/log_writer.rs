//! Group commit for the access log: appends made at the same time are written by one
//! task in one transaction, instead of one transaction (and, on SQLite, one fight for the
//! write lock) each.
//!
//! An append still returns only once its row is committed, so nothing it acknowledged
//! can be lost; what a batch changes is how many appends share a commit. The writer
//! takes whatever is queued when it starts a batch (at most [`MAX_BATCH`]) and never
//! waits for more, so a lone append is written at once.

use crate::error::DbError;
use sea_orm::{DatabaseConnection, TransactionTrait};
use sharelink_core::ports::{NewLogEvent, RepoError};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

/// Most appends written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<i64, RepoError>>;

/// One queued append and where its answer goes.
struct Job {
    event: NewLogEvent,
    reply: Reply,
}

/// The handle of the writer task of one store (shared by its clones).
#[derive(Default)]
pub(crate) struct LogWriter {
    /// The queue of the running writer task; started on first use, and again when the
    /// runtime that ran it has gone (each test runtime, say).
    queue: Mutex<Option<mpsc::UnboundedSender<Job>>>,
}

impl LogWriter {
    /// Appends `event` through the writer task; `None` when no task can run here (no
    /// tokio runtime), so the caller writes it itself.
    pub(crate) async fn append(
        &self,
        db: &DatabaseConnection,
        event: &NewLogEvent,
    ) -> Option<Result<i64, RepoError>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            event: event.clone(),
            reply,
        };
        self.enqueue(&runtime, db, job);
        Some(answer.await.unwrap_or_else(|_| Err(gone())))
    }

    /// Queues `job` for the running writer task, starting one first when there is none
    /// or its runtime has ended.
    fn enqueue(&self, runtime: &tokio::runtime::Handle, db: &DatabaseConnection, job: Job) {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let job = match queue.as_ref() {
            Some(sender) => match sender.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        runtime.spawn(run(db.clone(), receiver));
        // The receiver of a new channel is alive: this send cannot fail.
        let _ = sender.send(job);
        *queue = Some(sender);
    }
}

/// The writer task dropped an append unanswered (its runtime is shutting down).
fn gone() -> RepoError {
    RepoError::Unavailable {
        store: crate::STORE,
        source: "the access-log writer stopped before writing the event".into(),
    }
}

/// The writer task: batches of whatever is queued, each in one transaction.
async fn run(db: DatabaseConnection, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write(&db, std::mem::take(&mut batch)).await;
        batch.reserve(MAX_BATCH);
    }
}

/// Writes a batch and answers each append. A batch that fails as a whole is written
/// again one event at a time, so one bad event fails alone.
async fn write(db: &DatabaseConnection, batch: Vec<Job>) {
    if batch.len() > 1 {
        match write_together(db, &batch).await {
            Ok(ids) => {
                for (job, id) in batch.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "an access-log batch failed; writing its events one by one");
            }
        }
    }
    for job in batch {
        let result = crate::access_log::insert(db, &job.event).await;
        // The caller may have gone (its request ended): the row is written all the same.
        let _ = job.reply.send(result);
    }
}

/// All events of `batch` in one transaction (one statement where the backend allows,
/// see [`crate::access_log::insert_all`]); their ids in order.
async fn write_together(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<i64>, RepoError> {
    let txn = db.begin().await.map_err(DbError)?;
    let events: Vec<&NewLogEvent> = batch.iter().map(|job| &job.event).collect();
    let ids = crate::access_log::insert_all(&txn, &events).await?;
    txn.commit().await.map_err(DbError)?;
    Ok(ids)
}

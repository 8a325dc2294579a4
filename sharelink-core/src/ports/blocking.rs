//! The blocking-runner port: where CPU-heavy work (argon2) runs, off the async runtime.

use async_trait::async_trait;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

/// A job for a [`BlockingRunner`].
pub type BlockingJob = Box<dyn FnOnce() + Send + 'static>;

/// Runs CPU-heavy jobs (argon2) where they cannot stall the async runtime — with tokio,
/// `spawn_blocking`. Contract: `run` returns after the job has run to completion.
#[async_trait]
pub trait BlockingRunner: Send + Sync + Debug + 'static {
    /// Runs the job and waits for it.
    async fn run(&self, job: BlockingJob);
}

/// Runs jobs on the calling task. For tests and single-threaded tools only.
#[derive(Debug, Default, Clone, Copy)]
pub struct InlineRunner;

#[async_trait]
impl BlockingRunner for InlineRunner {
    async fn run(&self, job: BlockingJob) {
        job();
    }
}

/// Runs `f` through `runner` and returns its result.
///
/// # Errors
/// `None` if the runner dropped the job without running it.
pub async fn run_blocking<R: Send + 'static>(
    runner: &dyn BlockingRunner,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    let slot = Arc::new(Mutex::new(None));
    let out = Arc::clone(&slot);
    runner
        .run(Box::new(move || {
            let r = f();
            if let Ok(mut guard) = out.lock() {
                *guard = Some(r);
            }
        }))
        .await;
    slot.lock().ok().and_then(|mut g| g.take())
}

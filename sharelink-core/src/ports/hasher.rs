//! The password-hasher port, with argon2id as the default implementation, and the
//! blocking-runner port that keeps CPU-heavy work off the async runtime.

use crate::model::password::{Argon2Params, hash_password, verify_password};
use crate::ports::{OsRandom, RandomSource};
use crate::{PasswordError, PasswordHash, PlainPassword};
use async_trait::async_trait;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

/// Hashes and verifies share passwords. CPU-heavy and synchronous: services call it
/// through a [`BlockingRunner`].
pub trait PasswordHasher: Send + Sync + Debug + 'static {
    /// Hashes a password with a fresh salt.
    ///
    /// # Errors
    /// [`PasswordError::Hashing`].
    fn hash(&self, password: &PlainPassword) -> Result<PasswordHash, PasswordError>;

    /// Whether the password matches the hash.
    fn verify(&self, password: &PlainPassword, hash: &PasswordHash) -> bool;
}

/// argon2id with configurable cost (default: OWASP's 19 MiB, 2 passes).
#[derive(Debug, Clone)]
pub struct Argon2idHasher {
    params: Argon2Params,
    rng: Arc<dyn RandomSource>,
}

impl Argon2idHasher {
    /// A hasher with the given cost, salting from the OS CSPRNG.
    pub fn new(params: Argon2Params) -> Self {
        Self {
            params,
            rng: Arc::new(OsRandom),
        }
    }
}

impl Default for Argon2idHasher {
    fn default() -> Self {
        Self::new(Argon2Params::RECOMMENDED)
    }
}

impl PasswordHasher for Argon2idHasher {
    fn hash(&self, password: &PlainPassword) -> Result<PasswordHash, PasswordError> {
        hash_password(password, self.params, self.rng.as_ref())
    }

    fn verify(&self, password: &PlainPassword, hash: &PasswordHash) -> bool {
        verify_password(password, hash)
    }
}

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

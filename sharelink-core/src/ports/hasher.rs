//! The password-hasher port, with argon2id as the default implementation.

use crate::model::password::{Argon2Memory, Argon2Params};
use crate::ports::{OsRandom, RandomSource};
use crate::{PasswordError, PasswordHash, PlainPassword};
use std::fmt::Debug;
use std::sync::Arc;

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

/// argon2id with configurable cost (default: OWASP's 19 MiB, 2 passes), hashing and
/// verifying in a bounded set of reused work areas ([`Argon2Memory`]): by default as
/// many as the machine has cores (clones share them), so the memory argon2 holds is at
/// most that many times its cost, however many checks ran on however many threads.
#[derive(Debug, Clone)]
pub struct Argon2idHasher {
    params: Argon2Params,
    rng: Arc<dyn RandomSource>,
    memory: Arc<Argon2Memory>,
}

impl Argon2idHasher {
    /// A hasher with the given cost, salting from the OS CSPRNG, with one work area per
    /// core.
    pub fn new(params: Argon2Params) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::with_work_areas(params, cores)
    }

    /// A hasher with the given cost and at most `areas` work areas (at least one): at
    /// most that many checks run at once, the others wait for an area.
    pub fn with_work_areas(params: Argon2Params, areas: usize) -> Self {
        Self {
            params,
            rng: Arc::new(OsRandom),
            memory: Arc::new(Argon2Memory::new(areas)),
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
        self.memory.hash(password, self.params, self.rng.as_ref())
    }

    fn verify(&self, password: &PlainPassword, hash: &PasswordHash) -> bool {
        self.memory.verify(password, hash)
    }
}

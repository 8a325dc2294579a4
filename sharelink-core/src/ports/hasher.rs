//! The password-hasher port, with argon2id as the default implementation.

use crate::model::password::{Argon2Params, hash_password, verify_password};
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

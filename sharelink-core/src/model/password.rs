//! Share passwords: plain passwords (secret), argon2id hashes (PHC strings), generation.

use crate::PasswordError;
use crate::model::random::{RandomSource, RandomSourceExt};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest password accepted, in characters (bounds hashing cost and input size).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Length of generated passwords (at least; the site minimum may ask for more).
pub const GENERATED_PASSWORD_LEN: usize = 14;
/// Alphabet of generated passwords: no look-alikes (0/O, 1/l/I).
pub const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A password in clear text. `Debug` hides it; it is never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPassword(String);

impl PlainPassword {
    /// A password that meets the site minimum length.
    ///
    /// # Errors
    /// [`PasswordError::TooShort`] or [`PasswordError::TooLong`].
    pub fn new(text: &str, min_len: usize) -> Result<Self, PasswordError> {
        let chars = text.chars().count();
        if chars < min_len.max(1) {
            return Err(PasswordError::TooShort {
                min: min_len.max(1),
            });
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                max: MAX_PASSWORD_CHARS,
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// A password a visitor typed, for checking (no minimum, bounded length).
    ///
    /// # Errors
    /// [`PasswordError::TooLong`].
    pub fn attempt(text: &str) -> Result<Self, PasswordError> {
        if text.chars().count() > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong {
                max: MAX_PASSWORD_CHARS,
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// A random password of at least `min_len` (and at least 14) characters.
    pub fn generate(rng: &dyn RandomSource, min_len: usize) -> Self {
        Self(rng.string_from(PASSWORD_ALPHABET, min_len.max(GENERATED_PASSWORD_LEN)))
    }

    /// The clear text. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainPassword(…)")
    }
}

/// The access code a share with auto-fill puts in its link, kept readable so the owner
/// can get the link again. `Debug` hides it.
///
/// Only a share whose effective settings ask for auto-fill holds one; the gate still
/// checks the argon2 hash, never this copy.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AutofillCode(String);

impl AutofillCode {
    /// The readable copy of a share's password.
    pub fn of(password: &PlainPassword) -> Self {
        Self(password.expose().to_owned())
    }

    /// The code as stored (read back from a store).
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The clear text. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AutofillCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AutofillCode(…)")
    }
}

/// An argon2id hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Accepts a stored PHC string if it is an argon2id hash.
    ///
    /// # Errors
    /// [`PasswordError::BadHash`].
    pub fn parse(phc: &str) -> Result<Self, PasswordError> {
        let parsed =
            argon2::password_hash::PasswordHash::new(phc).map_err(|_| PasswordError::BadHash)?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(PasswordError::BadHash);
        }
        Ok(Self(phc.to_owned()))
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = PasswordError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<PasswordHash> for String {
    fn from(h: PasswordHash) -> String {
        h.0
    }
}
impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// Cost parameters of argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP's recommendation: 19 MiB, 2 iterations, 1 lane.
    pub const RECOMMENDED: Argon2Params = Argon2Params {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// Cheap parameters for tests only.
    pub const TESTING: Argon2Params = Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::RECOMMENDED
    }
}

fn argon2(params: Argon2Params) -> Result<argon2::Argon2<'static>, PasswordError> {
    let p = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        p,
    ))
}

/// Hashes a password with argon2id and a random salt. CPU-heavy: callers on an async
/// runtime run it on a blocking pool.
///
/// # Errors
/// [`PasswordError::Hashing`] if the parameters are invalid.
pub fn hash_password(
    password: &PlainPassword,
    params: Argon2Params,
    rng: &dyn RandomSource,
) -> Result<PasswordHash, PasswordError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let hash = argon2(params)?
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Checks a password against a hash (constant-time comparison; parameters from the hash).
pub fn verify_password(password: &PlainPassword, hash: &PasswordHash) -> bool {
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(hash.as_str()) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SeededRandom;

    #[test]
    fn hash_and_verify() {
        let pw = PlainPassword::new("correct horse", 8).unwrap();
        let h = hash_password(&pw, Argon2Params::TESTING, &SeededRandom::new(2)).unwrap();
        assert!(h.as_str().starts_with("$argon2id$"));
        assert!(verify_password(&pw, &h));
        assert!(!verify_password(
            &PlainPassword::attempt("wrong").unwrap(),
            &h
        ));
        assert_eq!(PasswordHash::parse(h.as_str()).unwrap(), h);
    }

    #[test]
    fn policy_and_secrecy() {
        assert_eq!(
            PlainPassword::new("short", 8),
            Err(PasswordError::TooShort { min: 8 })
        );
        assert!(PlainPassword::new(&"x".repeat(300), 8).is_err());
        let p = PlainPassword::generate(&SeededRandom::new(3), 20);
        assert_eq!(p.expose().chars().count(), 20);
        assert!(!format!("{p:?}").contains(p.expose()));
        assert!(PasswordHash::parse("$2b$10$abcdefghijklmnopqrstuu").is_err());
        assert!(PasswordHash::parse("plain").is_err());
        let code = AutofillCode::of(&p);
        assert_eq!(code.expose(), p.expose());
        assert!(!format!("{code:?}").contains(p.expose()));
    }
}

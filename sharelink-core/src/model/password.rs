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

/// A bounded set of argon2 work areas (19 MiB each at the recommended cost), reused from
/// one hash or verification to the next.
///
/// Without it every check allocates its blocks afresh on whichever pool thread runs it,
/// and the allocator keeps those blocks in per-thread arenas: the process's memory grows
/// with every thread that ever checked a password and never shrinks. Here at most
/// `slots` areas ever exist; a check that finds all of them busy waits for one (it runs
/// on a blocking thread, never on the async runtime).
#[derive(Debug)]
pub struct Argon2Memory {
    slots: usize,
    state: std::sync::Mutex<MemoryState>,
    returned: std::sync::Condvar,
}

/// A work area in use, given back to its [`Argon2Memory`] when dropped.
struct Lease<'a> {
    memory: &'a Argon2Memory,
    area: Vec<argon2::Block>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let area = std::mem::take(&mut self.area);
        self.memory.lock().free.push(area);
        self.memory.returned.notify_one();
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    free: Vec<Vec<argon2::Block>>,
    created: usize,
}

impl Argon2Memory {
    /// At most `slots` work areas (at least one).
    pub fn new(slots: usize) -> Self {
        Self {
            slots: slots.max(1),
            state: std::sync::Mutex::default(),
            returned: std::sync::Condvar::new(),
        }
    }

    /// How many work areas exist now (never more than the slots).
    pub fn areas(&self) -> usize {
        self.lock().created
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` with a work area of at least `blocks` blocks, then gives the area back.
    fn with_blocks<T>(&self, blocks: usize, f: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
        let mut area = {
            let mut state = self.lock();
            loop {
                if let Some(area) = state.free.pop() {
                    break area;
                }
                if state.created < self.slots {
                    state.created += 1;
                    break Vec::new();
                }
                state = self
                    .returned
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        if area.len() < blocks {
            area.resize(blocks, argon2::Block::default());
        }
        // Given back when done, also if `f` panics: a lost area would be a lost slot.
        let mut lease = Lease { memory: self, area };
        f(&mut lease.area[..blocks])
    }

    /// [`hash_password`] in one of the work areas.
    ///
    /// # Errors
    /// [`PasswordError::Hashing`] if the parameters are invalid.
    pub fn hash(
        &self,
        password: &PlainPassword,
        params: Argon2Params,
        rng: &dyn RandomSource,
    ) -> Result<PasswordHash, PasswordError> {
        let hashing = |e: &dyn fmt::Display| PasswordError::Hashing(e.to_string());
        let mut salt = [0u8; 16];
        rng.fill(&mut salt);
        let hasher = argon2(params)?;
        let out_len = argon2::Params::DEFAULT_OUTPUT_LEN;
        let mut out = vec![0u8; out_len];
        let blocks = hasher.params().block_count();
        self.with_blocks(blocks, |area| {
            hasher.hash_password_into_with_memory(
                password.expose().as_bytes(),
                &salt,
                &mut out,
                area,
            )
        })
        .map_err(|e| hashing(&e))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| hashing(&e))?;
        let phc = argon2::password_hash::PasswordHash {
            algorithm: argon2::Algorithm::Argon2id.ident(),
            version: Some(argon2::Version::V0x13.into()),
            params: argon2::password_hash::ParamsString::try_from(hasher.params())
                .map_err(|e| hashing(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| hashing(&e))?),
        };
        Ok(PasswordHash(phc.to_string()))
    }

    /// [`verify_password`] in one of the work areas.
    pub fn verify(&self, password: &PlainPassword, hash: &PasswordHash) -> bool {
        let Ok(parsed) = argon2::password_hash::PasswordHash::new(hash.as_str()) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else {
            return false;
        };
        let Ok(version) = parsed
            .version
            .map_or(Ok(argon2::Version::default()), argon2::Version::try_from)
        else {
            return false;
        };
        let Ok(params) = argon2::Params::try_from(&parsed) else {
            return false;
        };
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let hasher = argon2::Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        let blocks = hasher.params().block_count();
        let done = self.with_blocks(blocks, |area| {
            hasher.hash_password_into_with_memory(
                password.expose().as_bytes(),
                salt,
                &mut out,
                area,
            )
        });
        done.is_ok() && crate::model::token::constant_time_eq(&out, expected.as_bytes())
    }
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
    fn the_work_areas_agree_with_argon2_and_stay_bounded() {
        let memory = std::sync::Arc::new(Argon2Memory::new(2));
        let pw = PlainPassword::new("correct horse", 8).unwrap();
        let wrong = PlainPassword::attempt("wrong").unwrap();
        // A hash made the usual way checks in the work areas, and the reverse.
        let usual = hash_password(&pw, Argon2Params::TESTING, &SeededRandom::new(2)).unwrap();
        let pooled = memory
            .hash(&pw, Argon2Params::TESTING, &SeededRandom::new(2))
            .unwrap();
        assert_eq!(pooled, usual, "same salt, same PHC string");
        assert!(memory.verify(&pw, &usual));
        assert!(!memory.verify(&wrong, &usual));
        assert!(!memory.verify(&pw, &PasswordHash("$argon2id$v=19$m=64,t=1,p=1$x$y".into())));
        // Eight threads checking at once never make more than two areas.
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (memory, usual, pw, wrong) =
                    (memory.clone(), usual.clone(), pw.clone(), wrong.clone());
                std::thread::spawn(move || {
                    for _ in 0..5 {
                        assert!(memory.verify(&pw, &usual));
                        assert!(!memory.verify(&wrong, &usual));
                    }
                    i
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // At most two (how many checks overlapped, and so how many areas were made, is
        // up to the scheduler: a loaded machine may run them one at a time).
        assert!(
            (1..=2).contains(&memory.areas()),
            "{} areas",
            memory.areas()
        );
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

//! Randomness as the model sees it: the [`RandomSource`] trait (a port, implemented by
//! adapters) and what keys, codes and passwords draw from it ([`RandomSourceExt`]).
//!
//! It lives in the model, not in `ports`, because generating keys and passwords needs it
//! and the model depends on nothing outside itself; `ports::random` re-exports it with the
//! operating system's adapter.

use std::fmt::Debug;

/// A source of random bytes.
///
/// Contract: `fill` writes unpredictable bytes into the whole buffer. Production
/// implementations MUST be a CSPRNG (see `ports::OsRandom`); deterministic ones are for
/// tests.
pub trait RandomSource: Send + Sync + Debug + 'static {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// Extension methods for any [`RandomSource`].
pub trait RandomSourceExt: RandomSource {
    /// A uniformly random `u64`.
    fn next_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }

    /// A uniformly random index in `0..n` (`n > 0`), without modulo bias.
    fn below(&self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let n = n.max(1);
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// A random string of `len` characters drawn uniformly from `alphabet`.
    fn string_from(&self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len() as u64) as usize]))
            .collect()
    }
}

impl<T: RandomSource + ?Sized> RandomSourceExt for T {}

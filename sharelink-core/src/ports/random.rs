//! The random-source port: unpredictable bytes for keys, codes, salts and tokens.
//!
//! The trait is defined in the model ([`crate::model::random`]), which needs it to make
//! keys and passwords; this module re-exports it beside the operating system's CSPRNG.

pub use crate::model::random::{RandomSource, RandomSourceExt};

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // The OS generator failing is not recoverable: continuing would hand out
        // predictable keys, so abort instead.
        getrandom::fill(buf).expect("the operating system's random generator failed");
    }
}

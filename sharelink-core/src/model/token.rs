//! Secret tokens: the alphabet of session ids, CSRF tokens and link codes, the
//! constant-time comparison every check of a secret uses, and a stable fingerprint.

/// Letters and digits used for tokens (session ids, CSRF tokens, recipients' link codes).
pub const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Compares two byte strings in time independent of where they differ.
///
/// ```
/// use sharelink_core::model::token::constant_time_eq;
/// assert!(constant_time_eq(b"abc", b"abc"));
/// assert!(!constant_time_eq(b"abc", b"abd"));
/// assert!(!constant_time_eq(b"abc", b"ab"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A stable 64-bit fingerprint of bytes (FNV-1a): the same in every process and version,
/// for telling apart configurations or tagging a token in the log. Not a secret-keeping
/// hash: use it only where the input needs no protection or carries enough entropy that
/// 64 bits of it reveal nothing useful.
///
/// ```
/// use sharelink_core::model::token::fingerprint;
/// assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
/// assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
/// ```
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The SHA-256 of a text a visitor accepted (terms, a form), as `sha256:` and 64 lower-case
/// hex digits: kept with the acceptance so it stays provable which text was accepted
/// after the text changes.
///
/// ```
/// use sharelink_core::model::token::text_digest;
/// assert_eq!(
///     text_digest(b"abc"),
///     "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn text_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let hash = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_equality(a in proptest::collection::vec(any::<u8>(), 0..8),
                                b in proptest::collection::vec(any::<u8>(), 0..8)) {
            prop_assert_eq!(constant_time_eq(&a, &b), a == b);
        }
    }
}

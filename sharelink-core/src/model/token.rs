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
    let mut f = Fingerprinter::new();
    f.add(bytes);
    f.finish()
}

/// The [`fingerprint`] of a value's JSON, computed as the JSON is written (no string is
/// built): equal to `fingerprint(serde_json::to_string(value)?.as_bytes())`, and to
/// `fingerprint(b"")` when the value cannot be written as JSON.
///
/// ```
/// use sharelink_core::model::token::{fingerprint, fingerprint_json};
/// let v = serde_json::json!({"title": "Terms", "lines": [1, 2]});
/// assert_eq!(fingerprint_json(&v), fingerprint(v.to_string().as_bytes()));
/// ```
pub fn fingerprint_json<T: serde::Serialize + ?Sized>(value: &T) -> u64 {
    let mut f = Fingerprinter::new();
    match serde_json::to_writer(&mut f, value) {
        Ok(()) => f.finish(),
        Err(_) => fingerprint(b""),
    }
}

/// A [`fingerprint`] fed piece by piece (also an [`std::io::Write`] that never fails).
#[derive(Debug, Clone, Copy)]
pub struct Fingerprinter(u64);

impl Fingerprinter {
    /// The fingerprint of nothing yet.
    pub const fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds `bytes`.
    pub fn add(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The fingerprint of everything fed.
    pub const fn finish(self) -> u64 {
        self.0
    }
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::io::Write for Fingerprinter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.add(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

        /// Streaming gives the stamp the sessions already hold: the fingerprint of the
        /// JSON string, for every registration form and clickwrap a share can have.
        #[test]
        fn the_streamed_json_fingerprint_is_that_of_the_string(
            settings in crate::testing::strategies::share_settings(crate::AllowedActions::UploadDownload),
            text in ".{0,40}",
        ) {
            for value in [
                serde_json::to_value(&settings.registration).unwrap_or_default(),
                serde_json::to_value(&settings.clickwrap).unwrap_or_default(),
                serde_json::json!({"title": text, "terms": [text.clone(), "\u{0}\"".to_owned()]}),
            ] {
                let string = serde_json::to_string(&value).unwrap_or_default();
                prop_assert_eq!(fingerprint_json(&value), fingerprint(string.as_bytes()));
            }
            prop_assert_eq!(
                fingerprint_json(&settings.registration),
                fingerprint(serde_json::to_string(&settings.registration).unwrap_or_default().as_bytes())
            );
            prop_assert_eq!(
                fingerprint_json(&settings.clickwrap),
                fingerprint(serde_json::to_string(&settings.clickwrap).unwrap_or_default().as_bytes())
            );
        }
    }
}

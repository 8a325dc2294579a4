//! Conversions between domain values and column values: instants as nanoseconds since
//! the Unix epoch (exact, ordered and indexable on every backend), counters as `BIGINT`,
//! and structured values as JSON text.

use crate::error::{corrupt, out_of_range};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sharelink_core::ports::RepoError;
use time::OffsetDateTime;

/// An instant as nanoseconds since the Unix epoch (years 1677 to 2262).
pub(crate) fn nanos(at: OffsetDateTime) -> Result<i64, RepoError> {
    i64::try_from(at.unix_timestamp_nanos()).map_err(|_| out_of_range("an instant"))
}

/// An optional instant as nanoseconds.
pub(crate) fn opt_nanos(at: Option<OffsetDateTime>) -> Result<Option<i64>, RepoError> {
    at.map(nanos).transpose()
}

/// Nanoseconds back into a UTC instant.
pub(crate) fn instant(nanos: i64) -> Result<OffsetDateTime, RepoError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).map_err(corrupt)
}

/// Optional nanoseconds back into an instant.
pub(crate) fn opt_instant(nanos: Option<i64>) -> Result<Option<OffsetDateTime>, RepoError> {
    nanos.map(instant).transpose()
}

/// A counter into a `BIGINT`.
pub(crate) fn big(n: u64) -> Result<i64, RepoError> {
    i64::try_from(n).map_err(|_| out_of_range("a byte count"))
}

/// A `BIGINT` back into a counter.
pub(crate) fn unsigned<T: TryFrom<i64>>(n: i64) -> Result<T, RepoError> {
    T::try_from(n).map_err(|_| corrupt(format!("counter out of range: {n}")))
}

/// A value as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, RepoError> {
    serde_json::to_string(value).map_err(|e| RepoError::Backend {
        store: crate::error::STORE,
        source: Box::new(e),
    })
}

/// JSON text back into a value.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, RepoError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// A domain value parsed from its stored text.
pub(crate) fn parse<T, E: std::fmt::Display>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, RepoError> {
    parse(text).map_err(corrupt)
}

/// Text to search for inside a `LIKE` pattern: lower-cased (the searched column is stored
/// lower-cased too) with `\`, `%` and `_` escaped, so they match themselves.
pub(crate) fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Longest dedup key kept verbatim (the indexed column holds 500 characters).
pub(crate) const MAX_DEDUP: usize = 500;

/// A dedup key that fits its column.
pub(crate) fn dedup_key(dedup: &str) -> String {
    fit(dedup, MAX_DEDUP)
}

/// Text that fits an indexed column of `max` characters: short text as it is, longer
/// text as a prefix, its length and two independent 64-bit FNV-1a checksums of the whole.
pub(crate) fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let tail = format!(
        "#{}#{:016x}{:016x}",
        text.len(),
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    );
    let prefix: String = text.chars().take(max - tail.len()).collect();
    format!("{prefix}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("A_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn instants_round_trip_exactly() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_789).unwrap();
        assert_eq!(instant(nanos(at).unwrap()).unwrap(), at);
        assert!(
            nanos(OffsetDateTime::from_unix_timestamp(i64::from(u32::MAX) * 4).unwrap()).is_err()
        );
    }

    #[test]
    fn long_dedup_keys_are_shortened_distinctly() {
        let a = "x".repeat(2000);
        let b = format!("{}y", "x".repeat(1999));
        assert_ne!(dedup_key(&a), dedup_key(&b));
        assert!(dedup_key(&a).chars().count() <= MAX_DEDUP);
        assert_eq!(dedup_key("short"), "short");
    }
}

//! The headers of file responses: byte ranges, validators (ETag, Last-Modified), safe
//! `Content-Disposition`, and which types may show inline.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;
use time::macros::format_description;

/// One range of a `Range: bytes=…` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeSpec {
    /// `a-b` (inclusive) or `a-` (`end` = `None`).
    From {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: Option<u64>,
    },
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// Parses a `Range` header; `None` when it is absent, not in bytes, or malformed (the
/// whole file is then served, as RFC 9110 allows).
pub(crate) fn parse_range(header: &str) -> Option<Vec<RangeSpec>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let mut out = Vec::new();
    for part in spec.split(',') {
        let (a, b) = part.trim().split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() {
            out.push(RangeSpec::Suffix(b.parse().ok()?));
        } else {
            let start = a.parse().ok()?;
            let end = if b.is_empty() {
                None
            } else {
                Some(b.parse().ok()?)
            };
            if end.is_some_and(|e| e < start) {
                return None;
            }
            out.push(RangeSpec::From { start, end });
        }
    }
    if out.is_empty() || out.len() > 32 {
        return None;
    }
    Some(out)
}

impl RangeSpec {
    /// The half-open range for a file of `size` bytes; `None` when not satisfiable.
    pub(crate) fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            RangeSpec::From { start, end } if start < size => {
                Some((start, end.map_or(size, |e| e.saturating_add(1).min(size))))
            }
            RangeSpec::Suffix(n) if n > 0 && size > 0 => Some((size.saturating_sub(n), size)),
            _ => None,
        }
    }
}

/// The entity tag of a file version, quoted.
pub(crate) fn etag(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"')
        .collect();
    format!("\"{clean}\"")
}

/// Whether an `If-None-Match` value matches `tag` (weak comparison).
pub(crate) fn none_match(header: &str, tag: &str) -> bool {
    let tag = tag.trim_start_matches("W/");
    header.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t.trim_start_matches("W/") == tag
    })
}

/// An HTTP date (IMF-fixdate).
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap_or_default()
}

/// Parses an IMF-fixdate.
pub(crate) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(
        text.trim(),
        format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
    .ok()
    .map(|t| t.assume_utc())
}

const FILENAME_STAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'!')
    .remove(b'+');

/// A `Content-Disposition` value (RFC 6266): an ASCII fallback name and the exact name
/// as `filename*=UTF-8''…` (RFC 5987).
pub(crate) fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';' | '/') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = if fallback.trim().is_empty() {
        "download".to_owned()
    } else {
        fallback
    };
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, FILENAME_STAR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_resolve() {
        let r = parse_range("bytes=0-4, -3,10-").unwrap();
        assert_eq!(r[0].resolve(20), Some((0, 5)));
        assert_eq!(r[1].resolve(20), Some((17, 20)));
        assert_eq!(r[2].resolve(20), Some((10, 20)));
        assert_eq!(r[2].resolve(5), None);
        assert_eq!(parse_range("bytes=5-1"), None);
        assert_eq!(parse_range("items=0-1"), None);
    }

    #[test]
    fn disposition_has_ascii_fallback_and_utf8_name() {
        assert_eq!(
            disposition("attachment", "résumé \"x\";.pdf"),
            "attachment; filename=\"r_sum_ _x__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22%3B.pdf"
        );
    }

    #[test]
    fn http_dates_round_trip() {
        let t = time::macros::datetime!(2026-11-23 09:00:05 UTC);
        let s = http_date(t);
        assert_eq!(s, "Mon, 23 Nov 2026 09:00:05 GMT");
        assert_eq!(parse_http_date(&s), Some(t));
    }
}

//! Instants in stored and exchanged JSON: written as RFC 3339, read as RFC 3339 or as the
//! `time` crate's human-readable form that rows written before the switch hold.
//!
//! Use with `#[serde(with = "crate::model::instant")]` on an `OffsetDateTime` field and
//! `#[serde(default, with = "crate::model::instant::option")]` on an
//! `Option<OffsetDateTime>` one.
//!
//! An instant whose offset has seconds (which RFC 3339 cannot express) is written in UTC;
//! one outside the years 0 to 9999 cannot be written at all.

use serde::de::{self, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// The RFC 3339 text of an instant.
fn format(at: OffsetDateTime) -> Result<String, time::error::Format> {
    let at = if at.offset().seconds_past_minute() == 0 {
        at
    } else {
        at.checked_to_offset(UtcOffset::UTC).unwrap_or(at)
    };
    at.format(&Rfc3339)
}

/// An instant from RFC 3339 text, or from the form `time` wrote before
/// (`2026-11-23 10:00:00.0 +00:00:00`).
fn parse(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).or_else(|rfc3339| {
        let old: de::value::StrDeserializer<'_, de::value::Error> = text.into_deserializer();
        OffsetDateTime::deserialize(old)
            .map_err(|_| format!("an instant is neither RFC 3339 ({rfc3339}) nor in the old form"))
    })
}

/// Writes an instant as RFC 3339.
///
/// # Errors
/// When the instant lies outside the years 0 to 9999.
pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let text = format(*at).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

/// Reads an instant written as RFC 3339 or in the old human-readable form.
///
/// # Errors
/// When the value is not a string in either form.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    deserializer.deserialize_str(InstantVisitor)
}

struct InstantVisitor;

impl de::Visitor<'_> for InstantVisitor {
    type Value = OffsetDateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 instant")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<OffsetDateTime, E> {
        parse(text).map_err(E::custom)
    }
}

/// The same for `Option<OffsetDateTime>` (`null` for `None`); pair it with
/// `#[serde(default)]` so a missing field reads as `None`.
pub mod option {
    use super::InstantVisitor;
    use serde::de;
    use serde::{Deserializer, Serializer};
    use std::fmt;
    use time::OffsetDateTime;

    /// Writes an optional instant as RFC 3339 or `null`.
    ///
    /// # Errors
    /// When the instant lies outside the years 0 to 9999.
    pub fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an optional instant in either form, or `null`.
    ///
    /// # Errors
    /// When the value is neither `null` nor a string in either form.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> de::Visitor<'de> for OptionVisitor {
        type Value = Option<OffsetDateTime>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 instant or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(InstantVisitor).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use time::macros::{datetime, offset};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "super")]
        at: OffsetDateTime,
        #[serde(default, with = "super::option")]
        maybe: Option<OffsetDateTime>,
    }

    fn read(json: &str) -> Result<Row, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn writes_rfc3339_keeping_offset_and_nanoseconds() {
        let row = Row {
            at: datetime!(2026-11-23 08:30:00.123456789 UTC),
            maybe: Some(datetime!(2026-12-31 23:59:59.5 +01:00)),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"at":"2026-11-23T08:30:00.123456789Z","maybe":"2026-12-31T23:59:59.5+01:00"}"#
        );
        let back = read(&json).unwrap();
        assert_eq!(back, row);
        assert_eq!(back.maybe.unwrap().offset(), offset!(+01:00));
        let none = Row { maybe: None, ..row };
        assert_eq!(
            serde_json::to_string(&none).unwrap(),
            r#"{"at":"2026-11-23T08:30:00.123456789Z","maybe":null}"#
        );
    }

    #[test]
    fn reads_the_old_form_exactly() {
        let row = read(
            r#"{"at":"2026-11-23 08:30:00.123456789 +00:00:00","maybe":"2026-12-31 23:59:59.5 +01:00:00"}"#,
        )
        .unwrap();
        assert_eq!(row.at, datetime!(2026-11-23 08:30:00.123456789 UTC));
        assert_eq!(row.maybe, Some(datetime!(2026-12-31 23:59:59.5 +01:00)));
        assert_eq!(row.maybe.unwrap().offset(), offset!(+01:00));
    }

    #[test]
    fn missing_and_null_options_are_none() {
        let row = read(r#"{"at":"2026-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(row.maybe, None);
        let row = read(r#"{"at":"2026-01-01T00:00:00Z","maybe":null}"#).unwrap();
        assert_eq!(row.maybe, None);
    }

    #[test]
    fn offsets_with_seconds_are_written_in_utc() {
        let at = datetime!(2026-01-01 12:00:00 +01:00:30);
        let json = serde_json::to_string(&Row { at, maybe: None }).unwrap();
        assert!(json.contains(r#""2026-01-01T10:59:30Z""#), "{json}");
        assert_eq!(read(&json).unwrap().at, at);
    }

    #[test]
    fn other_values_are_errors() {
        for bad in [
            r#"{"at":"yesterday"}"#,
            r#"{"at":1790000000}"#,
            r#"{"at":null}"#,
            r#"{"at":"2026-01-01T00:00:00Z","maybe":"soon"}"#,
            r#"{"at":"2026-01-01T00:00:00Z","maybe":[2026,1]}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        let far = datetime!(-0001-01-01 0:00 UTC);
        assert!(
            serde_json::to_string(&Row {
                at: far,
                maybe: None
            })
            .is_err()
        );
    }
}

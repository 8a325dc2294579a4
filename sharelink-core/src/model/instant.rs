//! Instants in stored and exchanged JSON: written as RFC 3339, read as RFC 3339 or as the
//! `time` crate's human-readable form that rows written before the switch hold.
//!
//! Use with `#[serde(with = "crate::model::instant")]` on an `OffsetDateTime` field and
//! `#[serde(default, with = "crate::model::instant::option")]` on an
//! `Option<OffsetDateTime>` one.
//!
//! An instant whose offset has seconds (which RFC 3339 cannot express) is written in UTC;
//! one outside the years 0 to 9999 cannot be written at all.
//!
//! What a browser's `<input type="datetime-local">` sends (`2026-11-23T10:00`, no
//! offset) is not an instant until a time zone is chosen: [`parse_in_zone`] reads it in
//! a given IANA zone (the share's), or in UTC without one. The serde functions here never
//! guess a zone, so stored rows stay unambiguous.

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
        OffsetDateTime::deserialize(old).map_err(|_| {
            format!(
                "`{text}` is not an RFC 3339 instant such as 2026-11-23T10:00:00Z or \
                 2026-11-23T11:00:00+01:00 ({rfc3339})"
            )
        })
    })
}

/// An instant that could not be read by [`parse_in_zone`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is neither an RFC 3339 instant (2026-11-23T10:00:00Z, \
     2026-11-23T11:00:00+01:00) nor a local date and time (2026-11-23T10:00){}",
    zone.as_ref().map(|z| format!(" in the time zone {z}")).unwrap_or_default()
)]
pub struct InstantError {
    /// The text given.
    pub text: String,
    /// The time zone a local date and time was to be read in, when the zone is the
    /// reason (unknown zone, or a time that does not exist there).
    pub zone: Option<String>,
}

/// The local date-and-time form of `<input type="datetime-local">`: minutes, optional
/// seconds and fraction, no offset.
const LOCAL: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    version = 2,
    "[year]-[month]-[day]T[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
);

/// An instant from RFC 3339 text (with `Z` or an offset), or from a local date and time
/// without offset (`2026-11-23T10:00`, what `<input type="datetime-local">` sends) read in
/// the IANA time zone `zone`, or in UTC when `zone` is `None`. A local time that a
/// daylight-saving change skips is moved forward by the gap, one it repeats takes the
/// first occurrence, as JavaScript's `Date` does.
///
/// ```
/// use sharelink_core::model::instant::parse_in_zone;
/// use time::macros::datetime;
/// assert_eq!(parse_in_zone("2026-07-01T10:00", Some("Europe/Paris")), Ok(datetime!(2026-07-01 08:00 UTC)));
/// assert_eq!(parse_in_zone("2026-07-01T10:00", None), Ok(datetime!(2026-07-01 10:00 UTC)));
/// assert_eq!(parse_in_zone("2026-07-01T10:00:00+02:00", Some("Asia/Tokyo")), Ok(datetime!(2026-07-01 08:00 UTC)));
/// ```
///
/// # Errors
/// When the text is in neither form, or the zone is unknown.
pub fn parse_in_zone(text: &str, zone: Option<&str>) -> Result<OffsetDateTime, InstantError> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let error = |zone: Option<&str>| InstantError {
        text: text.to_owned(),
        zone: zone.map(str::to_owned),
    };
    let local = time::PrimitiveDateTime::parse(text, LOCAL).map_err(|_| error(None))?;
    let Some(zone) = zone else {
        return Ok(local.assume_utc());
    };
    let tz = jiff::tz::TimeZone::get(zone).map_err(|_| error(Some(zone)))?;
    let civil = jiff::civil::DateTime::new(
        i16::try_from(local.year()).map_err(|_| error(None))?,
        i8::try_from(u8::from(local.month())).map_err(|_| error(None))?,
        i8::try_from(local.day()).map_err(|_| error(None))?,
        i8::try_from(local.hour()).map_err(|_| error(None))?,
        i8::try_from(local.minute()).map_err(|_| error(None))?,
        i8::try_from(local.second()).map_err(|_| error(None))?,
        i32::try_from(local.nanosecond()).map_err(|_| error(None))?,
    )
    .map_err(|_| error(None))?;
    let stamp = tz
        .to_ambiguous_timestamp(civil)
        .compatible()
        .map_err(|_| error(Some(zone)))?;
    OffsetDateTime::from_unix_timestamp_nanos(stamp.as_nanosecond()).map_err(|_| error(None))
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
    fn local_times_are_read_in_the_zone_given_or_utc() {
        let cases = [
            (
                "2026-11-23T10:00",
                None,
                Some(datetime!(2026-11-23 10:00 UTC)),
            ),
            (
                "2026-11-23T10:00",
                Some("Europe/Paris"),
                Some(datetime!(2026-11-23 09:00 UTC)),
            ),
            (
                "2026-07-01T10:00:30",
                Some("Europe/Paris"),
                Some(datetime!(2026-07-01 08:00:30 UTC)),
            ),
            (
                "2026-07-01T10:00:30.25",
                Some("America/New_York"),
                Some(datetime!(2026-07-01 14:00:30.25 UTC)),
            ),
            // Skipped by the spring change: moved forward an hour, to 03:30+02:00.
            (
                "2026-03-29T02:30",
                Some("Europe/Paris"),
                Some(datetime!(2026-03-29 01:30 UTC)),
            ),
            // Repeated by the autumn change: the first occurrence, at +02:00.
            (
                "2026-10-25T02:30",
                Some("Europe/Paris"),
                Some(datetime!(2026-10-25 00:30 UTC)),
            ),
            ("2026-11-23T10:00Z", Some("Europe/Paris"), None),
            (
                "2026-11-23T10:00:00Z",
                Some("Europe/Paris"),
                Some(datetime!(2026-11-23 10:00 UTC)),
            ),
            ("2026-11-23T10:00", Some("Mars/Olympus"), None),
            ("2026-11-23", None, None),
            ("23/11/2026 10:00", None, None),
        ];
        for (text, zone, expected) in cases {
            assert_eq!(
                parse_in_zone(text, zone).ok(),
                expected,
                "{text} in {zone:?}"
            );
        }
        let e = parse_in_zone("2026-11-23T10:00", Some("Mars/Olympus")).unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
        let e = parse_in_zone("soon", None).unwrap_err();
        assert!(e.to_string().contains("2026-11-23T10:00:00Z"), "{e}");
    }

    #[test]
    fn the_error_names_the_expected_format() {
        let e = read(r#"{"at":"2026-11-23T10:00"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("RFC 3339") && e.contains("2026-11-23T10:00:00Z"),
            "{e}"
        );
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

//! Text made safe for where it goes: HTML (pages and mail bodies) and single header lines
//! (mail headers, file names). Every adapter uses these, so each rule is written once.

/// Escapes text for HTML element content and quoted attribute values.
///
/// ```
/// use sharelink_core::text::escape_html;
/// assert_eq!(escape_html(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Makes text safe for one header line: every control character (CR, LF, tab, NUL…) and
/// Unicode line or paragraph separator becomes a space, runs of spaces collapse, and the
/// ends are trimmed.
///
/// ```
/// use sharelink_core::text::single_line;
/// assert_eq!(single_line("Hi\r\nBcc: eve@example.com "), "Hi Bcc: eve@example.com");
/// ```
pub fn single_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            pending_space = true;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Longest piece of user text (a share name, a sender) [`subject_part`] keeps.
pub const SUBJECT_PART_CHARS: usize = 120;

/// User text for a mail subject: on one line ([`single_line`]) and cut to
/// [`SUBJECT_PART_CHARS`] characters, the last one an ellipsis when cut.
///
/// ```
/// use sharelink_core::text::{SUBJECT_PART_CHARS, subject_part};
/// assert_eq!(subject_part("Q3\nfigures"), "Q3 figures");
/// assert_eq!(subject_part(&"x".repeat(500)).chars().count(), SUBJECT_PART_CHARS);
/// ```
pub fn subject_part(text: &str) -> String {
    let one = single_line(text);
    if one.chars().count() <= SUBJECT_PART_CHARS {
        one
    } else {
        let mut cut: String = one.chars().take(SUBJECT_PART_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// User text for a mail body: keeps line breaks and tabs, drops every other control
/// character, and turns CR LF and a lone CR into LF.
///
/// ```
/// use sharelink_core::text::body_text;
/// assert_eq!(body_text("a\r\nb\rc\u{7}"), "a\nb\nc");
/// ```
pub fn body_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Whether a link may become an `href`: only web links (`https://`, `http://`, any
/// case), never `javascript:` and the like.
///
/// ```
/// use sharelink_core::text::is_web_link;
/// assert!(is_web_link(" HTTPS://files.example.com/s/k"));
/// assert!(!is_web_link("javascript:alert(1)"));
/// ```
pub fn is_web_link(link: &str) -> bool {
    let lower = link.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The IANA name of a time zone the bundled time-zone database knows, spelled as the
/// database spells it (`europe/paris` gives `Europe/Paris`); `None` for any other text.
///
/// ```
/// use sharelink_core::text::time_zone_name;
/// assert_eq!(time_zone_name("europe/paris").as_deref(), Some("Europe/Paris"));
/// assert_eq!(time_zone_name("Mars/Olympus"), None);
/// ```
pub fn time_zone_name(name: &str) -> Option<String> {
    let zone = jiff::tz::TimeZone::get(name).ok()?;
    Some(zone.iana_name().unwrap_or(name).to_owned())
}

/// An instant as people read it in `zone` (an IANA name), the zone named:
/// `3 December 2026, 17:00 (Europe/Paris)`. Without a zone, or with one the time-zone
/// database does not know, the date is in UTC and says so. Mail and pages show dates
/// through this one function.
///
/// ```
/// use sharelink_core::text::local_date;
/// use time::macros::datetime;
/// let at = datetime!(2026-12-03 16:00 UTC);
/// assert_eq!(local_date(at, Some("Europe/Paris")), "3 December 2026, 17:00 (Europe/Paris)");
/// assert_eq!(local_date(at, None), "3 December 2026, 16:00 (UTC)");
/// ```
pub fn local_date(at: time::OffsetDateTime, zone: Option<&str>) -> String {
    let t = local_time(at, zone);
    let month =
        time::Month::try_from(t.month).map_or_else(|_| t.month.to_string(), |m| m.to_string());
    format!(
        "{} {month} {}, {:02}:{:02} ({})",
        t.day, t.year, t.hour, t.minute, t.zone
    )
}

/// An instant's calendar date and wall-clock time in a time zone, and the zone's name:
/// what [`local_date`] writes, in parts, for adapters that word dates per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
    /// The hour, 0 to 23.
    pub hour: u8,
    /// The minute, 0 to 59.
    pub minute: u8,
    /// The zone's IANA name, or `UTC`.
    pub zone: String,
}

/// `at` in `zone` (an IANA name); in UTC, named so, without a zone or with one the
/// time-zone database does not know.
///
/// ```
/// use sharelink_core::text::local_time;
/// use time::macros::datetime;
/// let t = local_time(datetime!(2026-12-03 23:30 UTC), Some("Europe/Paris"));
/// assert_eq!((t.day, t.hour, t.minute, t.zone.as_str()), (4, 0, 30, "Europe/Paris"));
/// ```
pub fn local_time(at: time::OffsetDateTime, zone: Option<&str>) -> LocalTime {
    let zoned = zone
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .and_then(|tz| {
            let ts = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()).ok()?;
            let name = tz.iana_name()?.to_owned();
            Some((ts.to_zoned(tz), name))
        });
    match zoned {
        Some((z, name)) => LocalTime {
            year: i32::from(z.year()),
            month: u8::try_from(z.month()).unwrap_or(1),
            day: u8::try_from(z.day()).unwrap_or(1),
            hour: u8::try_from(z.hour()).unwrap_or(0),
            minute: u8::try_from(z.minute()).unwrap_or(0),
            zone: name,
        },
        None => {
            let u = at.to_offset(time::UtcOffset::UTC);
            LocalTime {
                year: u.year(),
                month: u8::from(u.month()),
                day: u.day(),
                hour: u.hour(),
                minute: u.minute(),
                zone: "UTC".to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::OffsetDateTime;
    use time::macros::datetime;

    #[test]
    fn local_dates_table() {
        let winter = datetime!(2026-12-03 16:00 UTC);
        let summer = datetime!(2026-07-01 23:30 UTC);
        for (at, zone, expected) in [
            (
                winter,
                Some("Europe/Paris"),
                "3 December 2026, 17:00 (Europe/Paris)",
            ),
            (
                summer,
                Some("Europe/Paris"),
                "2 July 2026, 01:30 (Europe/Paris)",
            ),
            (
                winter,
                Some("america/new_york"),
                "3 December 2026, 11:00 (America/New_York)",
            ),
            (
                winter,
                Some("Asia/Kolkata"),
                "3 December 2026, 21:30 (Asia/Kolkata)",
            ),
            (winter, Some("UTC"), "3 December 2026, 16:00 (UTC)"),
            (winter, None, "3 December 2026, 16:00 (UTC)"),
            (winter, Some("Mars/Olympus"), "3 December 2026, 16:00 (UTC)"),
            (
                winter,
                Some("../../etc/passwd"),
                "3 December 2026, 16:00 (UTC)",
            ),
        ] {
            assert_eq!(local_date(at, zone), expected, "{zone:?}");
        }
    }

    #[test]
    fn zone_names_are_checked_and_spelled_as_the_database_does() {
        for (name, expected) in [
            ("Europe/Paris", Some("Europe/Paris")),
            ("EUROPE/PARIS", Some("Europe/Paris")),
            ("UTC", Some("UTC")),
            ("", None),
            ("Europe/Atlantis", None),
            ("/usr/share/zoneinfo/Europe/Paris", None),
            ("+01:00", None),
        ] {
            assert_eq!(time_zone_name(name).as_deref(), expected, "{name:?}");
        }
    }

    fn zone() -> impl Strategy<Value = Option<&'static str>> {
        prop::option::of(prop::sample::select(vec![
            "Europe/Paris",
            "America/Los_Angeles",
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "UTC",
        ]))
    }

    proptest! {
        #[test]
        fn any_instant_formats_with_its_zone_named(
            nanos in OffsetDateTime::UNIX_EPOCH.replace_year(-9999).unwrap().unix_timestamp_nanos()
                ..=datetime!(9999-12-31 23:59:59.999_999_999 UTC).unix_timestamp_nanos(),
            zone in zone(),
        ) {
            let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            let text = local_date(at, zone);
            let named = format!("({})", zone.unwrap_or("UTC"));
            // At the very ends of the range a zone may not fit: the date falls back to UTC.
            prop_assert!(text.ends_with(&named) || text.ends_with("(UTC)"), "{text}");
            prop_assert!(!text.chars().any(char::is_control));
            if zone.is_none() {
                let utc = at.to_offset(time::UtcOffset::UTC);
                let expected = format!("{} {} {}, ", utc.day(), utc.month(), utc.year());
                prop_assert!(text.starts_with(&expected), "{text}");
            }
        }

        #[test]
        fn instants_of_ordinary_years_show_in_their_zone(
            nanos in datetime!(1970-01-01 0:00 UTC).unix_timestamp_nanos()
                ..datetime!(2200-01-01 0:00 UTC).unix_timestamp_nanos(),
            zone in zone(),
        ) {
            let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            let text = local_date(at, zone);
            prop_assert!(text.ends_with(&format!("({})", zone.unwrap_or("UTC"))), "{text}");
        }
    }
}

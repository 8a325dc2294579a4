//! Site settings: the policy an administrator sets for every share on the site.

use crate::{
    AccessControl, Clickwrap, CustomKeyRules, Email, RegistrationForm, ShareSettings, UseLimit,
};
use serde::{Deserialize, Serialize};
use time::Duration;

/// Durations in site settings, written as whole seconds (`2592000` for 30 days) — in the
/// stored row and in the management API alike.
///
/// Use with `#[serde(with = "seconds")]` on a `Duration` field and
/// `#[serde(with = "seconds::option")]` on an `Option<Duration>` one.
pub mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    /// Writes whole seconds (a fraction is dropped).
    ///
    /// # Errors
    /// Never, beyond the serializer's own.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.whole_seconds())
    }

    /// Reads whole seconds.
    ///
    /// # Errors
    /// Not an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }

    /// The same for `Option<Duration>` (`null` for none).
    pub mod option {
        use super::*;

        /// Writes whole seconds or `null`.
        ///
        /// # Errors
        /// Never, beyond the serializer's own.
        #[allow(clippy::ref_option)] // serde's `with` passes a reference to the field.
        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&d.whole_seconds()),
                None => s.serialize_none(),
            }
        }

        /// Reads whole seconds or `null`.
        ///
        /// # Errors
        /// Neither an integer nor `null`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            Ok(Option::<i64>::deserialize(d)?.map(Duration::seconds))
        }
    }
}

/// White-label branding of pages and emails. The page fields (accent colour, favicon,
/// footer, stylesheet) are left out of the JSON when unset, so rows and queued mails
/// written before they existed rewrite unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// Site title shown on pages and in email subjects.
    pub site_title: String,
    /// Display name of the sender of emails.
    pub sender_name: String,
    /// Address of a logo image, if any.
    pub logo_url: Option<String>,
    /// The colour of links, buttons and the header rule on pages, `#rrggbb`; `None`: the
    /// stylesheet's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// Address of the pages' icon (favicon), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favicon_url: Option<String>,
    /// A line at the bottom of every page (an imprint, a support address), plain text of
    /// at most [`MAX_FOOTER_CHARS`] characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer_text: Option<String>,
    /// Address of a stylesheet pages load after their own, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stylesheet_url: Option<String>,
}

/// The most characters of the pages' footer text.
pub const MAX_FOOTER_CHARS: usize = 500;

/// Whether `url` is an `https://`, `http://` or site-relative (`/…`) address of at most
/// 2000 characters without spaces or control characters.
fn is_page_url(url: &str) -> bool {
    let scheme = url.starts_with("https://")
        || url.starts_with("http://")
        || (url.starts_with('/') && !url.starts_with("//"));
    scheme && url.len() <= 2000 && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Whether `c` is a colour written `#rrggbb`.
fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The most characters of the site title and the sender name.
pub const MAX_BRANDING_CHARS: usize = 100;
/// The most refused extensions a site lists.
pub const MAX_REFUSED_EXTENSIONS: usize = 200;

/// Whether `ext` is a refused-extension entry: 1 to 32 of `a-z`, `0-9`, `-`, `_`.
fn is_extension(ext: &str) -> bool {
    (1..=32).contains(&ext.len())
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Branding {
    /// Checks the title and sender name are 1 to 100 characters on one line, the logo,
    /// favicon and stylesheet addresses are `https://`, `http://` or site-relative (`/…`)
    /// ones, the accent colour is `#rrggbb` and the footer at most 500 characters.
    fn check(&self) -> Result<(), crate::SettingsError> {
        let line = |t: &str| {
            !t.trim().is_empty()
                && t.chars().count() <= MAX_BRANDING_CHARS
                && !t.chars().any(char::is_control)
        };
        let fail = |field: &'static str, problem: &'static str| {
            Err(crate::SettingsError::Site { field, problem })
        };
        if !line(&self.site_title) {
            return fail(
                "branding.site_title",
                "must be 1 to 100 characters on one line",
            );
        }
        if !line(&self.sender_name) {
            return fail(
                "branding.sender_name",
                "must be 1 to 100 characters on one line",
            );
        }
        for (field, url) in [
            ("branding.logo_url", &self.logo_url),
            ("branding.favicon_url", &self.favicon_url),
            ("branding.stylesheet_url", &self.stylesheet_url),
        ] {
            if url.as_deref().is_some_and(|u| !is_page_url(u)) {
                return fail(
                    field,
                    "must be an https://, http:// or /… address of at most 2000 characters",
                );
            }
        }
        if self
            .accent_color
            .as_deref()
            .is_some_and(|c| !is_hex_colour(c))
        {
            return fail("branding.accent_color", "must be a colour written #rrggbb");
        }
        if let Some(footer) = &self.footer_text
            && (footer.chars().count() > MAX_FOOTER_CHARS
                || footer.chars().any(|c| c.is_control() && c != '\n'))
        {
            return fail(
                "branding.footer_text",
                "must be at most 500 characters without control characters",
            );
        }
        Ok(())
    }
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            site_title: "sharelink".to_owned(),
            sender_name: "sharelink".to_owned(),
            logo_url: None,
            accent_color: None,
            favicon_url: None,
            footer_text: None,
            stylesheet_url: None,
        }
    }
}

/// Privacy of the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogPrivacy {
    /// Whether client addresses are truncated before they are stored.
    pub truncate_ip: bool,
    /// IPv4 bits kept when truncating (e.g. 24).
    pub ipv4_prefix: u8,
    /// IPv6 bits kept when truncating (e.g. 48).
    pub ipv6_prefix: u8,
    /// How long events are kept; `None` keeps them until the share is revoked.
    #[serde(with = "seconds::option")]
    pub retention: Option<Duration>,
}

impl Default for LogPrivacy {
    fn default() -> Self {
        Self {
            truncate_ip: false,
            ipv4_prefix: 24,
            ipv6_prefix: 48,
            retention: None,
        }
    }
}

/// Limits on guessing passwords and one-time codes.
///
/// Every attempt is counted before it is evaluated, in fixed windows of `window`:
/// - per client address: past `per_client`, the client's attempts are refused unevaluated;
/// - per network (IPv4 /24, IPv6 /64): past `per_network`, likewise, so one subnet cannot
///   spray guesses from many addresses;
/// - per share: past `per_share` the share is not locked but slowed down: it evaluates at
///   most one attempt per [`AttemptLimits::slow_down`] (growing with the excess, at most
///   `slow_max`), and refuses the others unevaluated until then; browsers that passed the
///   gate within `remember_browsers` are exempt. The owner is told once per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttemptLimits {
    /// Failed attempts one client may make on one share within `window`.
    pub per_client: u32,
    /// Failed attempts all clients of one network (IPv4 /24, IPv6 /64) may make on one
    /// share within `window`.
    pub per_network: u32,
    /// Attempts all clients together may make on one share within `window` before the
    /// share slows down (it never locks: a visitor with the right password still passes).
    pub per_share: u32,
    /// The counting window.
    #[serde(with = "seconds")]
    pub window: Duration,
    /// The slow-down's step: past `per_share`, the share evaluates one attempt per step
    /// for the first `per_share` attempts in excess, one per two steps for the next, and
    /// so on up to `slow_max`.
    #[serde(with = "seconds")]
    pub slow_step: Duration,
    /// The longest slow-down.
    #[serde(with = "seconds")]
    pub slow_max: Duration,
    /// How long a browser that passed a share's gate stays exempt from its slow-down.
    #[serde(with = "seconds")]
    pub remember_browsers: Duration,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        Self {
            per_client: 5,
            per_network: 25,
            per_share: 100,
            window: Duration::minutes(15),
            slow_step: Duration::seconds(1),
            slow_max: Duration::seconds(5),
            remember_browsers: Duration::days(30),
        }
    }
}

impl AttemptLimits {
    /// Checks every limit is positive and the slow-down steps at least a second.
    fn check(&self) -> Result<(), crate::SettingsError> {
        let fail = |field: &'static str, problem: &'static str| {
            Err(crate::SettingsError::Site { field, problem })
        };
        for (field, n) in [
            ("attempts.per_client", self.per_client),
            ("attempts.per_network", self.per_network),
            ("attempts.per_share", self.per_share),
        ] {
            if n == 0 {
                return fail(field, "must be at least 1");
            }
        }
        if !self.window.is_positive() {
            return fail("attempts.window", "must be a positive number of seconds");
        }
        if self.slow_step < Duration::seconds(1) {
            return fail("attempts.slow_step", "must be at least one second");
        }
        if self.slow_max < self.slow_step {
            return fail("attempts.slow_max", "must not be shorter than slow_step");
        }
        if !self.remember_browsers.is_positive() {
            return fail(
                "attempts.remember_browsers",
                "must be a positive number of seconds",
            );
        }
        Ok(())
    }

    /// The slow-down of a share whose counter stands at `count` in the window (`None`
    /// up to `per_share`): one step per `per_share` attempts in excess, at most
    /// `slow_max`, in whole steps.
    pub fn slow_down(&self, count: u32) -> Option<Duration> {
        let excess = count.checked_sub(self.per_share).filter(|e| *e > 0)?;
        let steps = 1 + (excess - 1) / self.per_share.max(1);
        Some(self.slow_step * steps.min(self.slow_levels()))
    }

    /// The number of distinct slow-downs (`slow_max` in whole steps, at least one).
    pub fn slow_levels(&self) -> u32 {
        let step = self.slow_step.whole_milliseconds().max(1);
        u32::try_from(self.slow_max.whole_milliseconds() / step)
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// At most how many attempts past `per_share` a share evaluates during `span` inside
    /// one window, however many clients try at once (browsers exempt from the slow-down
    /// aside): each slow-down level `k` opens one slot per `k × slow_step`.
    pub fn most_slowed_evaluations(&self, span: Duration) -> u64 {
        let step = self.slow_step.whole_milliseconds().max(1);
        let span = span.whole_milliseconds().max(0);
        (1..=i128::from(self.slow_levels()))
            .map(|k| u64::try_from(span / (k * step) + 1).unwrap_or(u64::MAX))
            .sum()
    }
}

/// One-time verification codes sent by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OneTimeCodePolicy {
    /// How long a code stays valid.
    #[serde(with = "seconds")]
    pub ttl: Duration,
    /// Wrong guesses before a code is burnt.
    pub max_attempts: u32,
    /// Number of digits.
    pub digits: u8,
}

impl Default for OneTimeCodePolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::minutes(10),
            max_attempts: 5,
            digits: 6,
        }
    }
}

/// What a new share starts from where its creator leaves a setting out: the site's
/// choice of access control, use limit, registration form and terms to accept.
///
/// The defaults are only a starting point: a creator who names a setting gets it (within
/// site policy), and changing the defaults changes no existing share.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareDefaults {
    /// Who may pass the first gate (default: anyone with the link).
    pub access: AccessControl,
    /// The use limit (default: none).
    pub use_limit: Option<UseLimit>,
    /// The registration form visitors fill in (default: none).
    pub registration: Option<RegistrationForm>,
    /// Terms visitors accept (default: none).
    pub clickwrap: Option<Clickwrap>,
}

impl ShareDefaults {
    /// The settings a new share named `name` starts from: [`ShareSettings::named`] with
    /// these defaults laid over it.
    pub fn settings_named(&self, name: &str) -> ShareSettings {
        ShareSettings {
            access: self.access.clone(),
            use_limit: self.use_limit,
            registration: self.registration.clone(),
            clickwrap: self.clickwrap.clone(),
            ..ShareSettings::named(name)
        }
    }
}

/// The site-wide policy for shares.
///
/// Stored as JSON (durations in whole seconds, see [`seconds`]); a field missing from a
/// stored row takes its default, so rows written by earlier versions still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    /// Lifetime given to shares created without an expiry (`None`: no expiry).
    #[serde(with = "seconds::option")]
    pub default_lifetime: Option<Duration>,
    /// Shortest lifetime a share may have (expiry is raised to it).
    #[serde(with = "seconds::option")]
    pub min_lifetime: Option<Duration>,
    /// Longest lifetime a share may have (expiry is capped to it; a share without
    /// expiry gets this one).
    #[serde(with = "seconds::option")]
    pub max_lifetime: Option<Duration>,
    /// Whether creators may choose their own link keys, and how long they must be.
    pub custom_keys: CustomKeyRules,
    /// Every share must have a password (one is generated when the creator gives none).
    pub require_password: bool,
    /// Minimum password length in characters.
    pub password_min_len: usize,
    /// Whether shares may bind to the first device that opens them.
    pub device_binding: bool,
    /// Shares one user may create per day (`None`: unlimited). Seed default: 500.
    pub shares_per_user_per_day: Option<u32>,
    /// Lower-case file extensions that public (not organization-only) shares refuse to
    /// serve or accept. Seed default: apk, ipa.
    pub refused_extensions: Vec<String>,
    /// Only one active share per (recipient email, item).
    pub one_active_share_per_recipient_item: bool,
    /// Most items one share may hold.
    pub max_items: usize,
    /// Page and email branding.
    pub branding: Branding,
    /// The From address of every email sent on the site's behalf (invitations, codes,
    /// notifications, reminders), under the branding's sender name; `None`: the mail
    /// adapter's own address. The adapter's own address stays the envelope sender (and
    /// the `Sender` header), so bounces and SPF stay with the mail server: the site's
    /// domain should allow that server (SPF/DKIM) for DMARC to pass.
    pub notification_sender: Option<Email>,
    /// Addresses (administrators) that get a copy of every owner notification — each
    /// mail a share's choices send its owner, alone or as a digest — besides the owner;
    /// empty: none. Settings stored before it read as empty.
    #[serde(default)]
    pub notification_copy: Vec<Email>,
    /// Access-log privacy.
    pub log_privacy: LogPrivacy,
    /// Password and code guessing limits.
    pub attempts: AttemptLimits,
    /// One-time code policy.
    pub one_time_codes: OneTimeCodePolicy,
    /// How long before expiry owners are reminded (`None`: no reminders).
    #[serde(with = "seconds::option")]
    pub expiry_reminder: Option<Duration>,
    /// What new shares start from where their creator leaves a setting out.
    pub share_defaults: ShareDefaults,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            default_lifetime: Some(Duration::days(30)),
            min_lifetime: None,
            max_lifetime: None,
            custom_keys: CustomKeyRules::default(),
            require_password: false,
            password_min_len: 8,
            device_binding: false,
            shares_per_user_per_day: Some(500),
            refused_extensions: vec!["apk".to_owned(), "ipa".to_owned()],
            one_active_share_per_recipient_item: false,
            max_items: 1000,
            branding: Branding::default(),
            notification_sender: None,
            notification_copy: Vec::new(),
            log_privacy: LogPrivacy::default(),
            attempts: AttemptLimits::default(),
            one_time_codes: OneTimeCodePolicy::default(),
            expiry_reminder: Some(Duration::days(1)),
            share_defaults: ShareDefaults::default(),
        }
    }
}

impl SiteSettings {
    /// Checks that the settings agree with themselves and are within bounds: positive
    /// durations, min ≤ max lifetime (a default outside them is clamped by
    /// [`crate::policy::apply_policy`]), limits of at least one, extensions as
    /// lower-case words without a dot, branding of sane length.
    ///
    /// # Errors
    /// [`crate::SettingsError::Site`] naming the first field at fault (a path such as
    /// `attempts.per_client`) and what it must be.
    pub fn check(&self) -> Result<(), crate::SettingsError> {
        let fail = |field: &'static str, problem: &'static str| {
            Err(crate::SettingsError::Site { field, problem })
        };
        let positive = |d: Option<Duration>| d.is_none_or(|d| d.is_positive());
        for (field, d) in [
            ("default_lifetime", self.default_lifetime),
            ("min_lifetime", self.min_lifetime),
            ("max_lifetime", self.max_lifetime),
            ("expiry_reminder", self.expiry_reminder),
            ("log_privacy.retention", self.log_privacy.retention),
        ] {
            if !positive(d) {
                return fail(field, "must be a positive number of seconds, or null");
            }
        }
        if let (Some(min), Some(max)) = (self.min_lifetime, self.max_lifetime)
            && min > max
        {
            return fail("min_lifetime", "must not exceed max_lifetime");
        }
        if self.password_min_len == 0
            || self.password_min_len > crate::model::password::MAX_PASSWORD_CHARS
        {
            return fail("password_min_len", "must be 1 to 256");
        }
        if self.custom_keys.min_len == 0
            || self.custom_keys.min_len > crate::model::key::MAX_KEY_LEN
        {
            return fail("custom_keys.min_len", "must be 1 to 64");
        }
        if self.shares_per_user_per_day == Some(0) {
            return fail(
                "shares_per_user_per_day",
                "must be at least 1 (null for no quota)",
            );
        }
        if self.refused_extensions.len() > MAX_REFUSED_EXTENSIONS {
            return fail("refused_extensions", "may hold at most 200 extensions");
        }
        if !self.refused_extensions.iter().all(|e| is_extension(e)) {
            return fail(
                "refused_extensions",
                "each must be 1 to 32 lower-case letters, digits, `-` or `_`, without the dot",
            );
        }
        if self.max_items == 0 {
            return fail("max_items", "must be at least 1");
        }
        self.branding.check()?;
        let p = &self.log_privacy;
        if p.ipv4_prefix > 32 {
            return fail("log_privacy.ipv4_prefix", "must be 0 to 32");
        }
        if p.ipv6_prefix > 128 {
            return fail("log_privacy.ipv6_prefix", "must be 0 to 128");
        }
        self.attempts.check()?;
        let codes = &self.one_time_codes;
        if !(6..=10).contains(&codes.digits) {
            return fail("one_time_codes.digits", "must be 6 to 10");
        }
        if codes.max_attempts == 0 {
            return fail("one_time_codes.max_attempts", "must be at least 1");
        }
        if !codes.ttl.is_positive() {
            return fail("one_time_codes.ttl", "must be a positive number of seconds");
        }
        let defaults = &self.share_defaults;
        if defaults.use_limit.is_some_and(|l| l.max == 0) {
            return fail("share_defaults.use_limit.max", "must be at least 1");
        }
        if matches!(&defaults.access, AccessControl::VerifiedEmails(p) if p.is_empty()) {
            return fail(
                "share_defaults.access",
                "verified-email access needs at least one email pattern",
            );
        }
        if defaults
            .registration
            .as_ref()
            .is_some_and(|f| f.check().is_err())
        {
            return fail(
                "share_defaults.registration",
                "needs 1 to 30 fields with distinct labels, choices with distinct options",
            );
        }
        if let Some(c) = &defaults.clickwrap
            && (c.title.trim().is_empty() || c.terms.trim().is_empty())
        {
            return fail("share_defaults.clickwrap", "needs a title and terms");
        }
        Ok(())
    }

    /// Whether `ext` (lower case, no dot) is refused on public shares.
    pub fn refuses_extension(&self, ext: &str) -> bool {
        self.refused_extensions
            .iter()
            .any(|e| e.eq_ignore_ascii_case(ext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field_of(b: Branding) -> Option<&'static str> {
        match b.check() {
            Ok(()) => None,
            Err(crate::SettingsError::Site { field, .. }) => Some(field),
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn page_branding_is_checked() {
        let ok = Branding {
            accent_color: Some("#0A7d5a".into()),
            favicon_url: Some("/favicon.ico".into()),
            footer_text: Some("Acme Ltd\nImprint".into()),
            stylesheet_url: Some("https://cdn.example.com/a.css".into()),
            ..Branding::default()
        };
        assert_eq!(field_of(ok.clone()), None);
        for (field, bad) in [
            (
                "branding.accent_color",
                Branding {
                    accent_color: Some("red".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.accent_color",
                Branding {
                    accent_color: Some("#12345".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.accent_color",
                Branding {
                    accent_color: Some("#12345g".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.favicon_url",
                Branding {
                    favicon_url: Some("data:image/png,x".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.stylesheet_url",
                Branding {
                    stylesheet_url: Some("//evil.example/a.css".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.stylesheet_url",
                Branding {
                    stylesheet_url: Some("javascript:x".into()),
                    ..ok.clone()
                },
            ),
            (
                "branding.footer_text",
                Branding {
                    footer_text: Some("x".repeat(501)),
                    ..ok.clone()
                },
            ),
            (
                "branding.footer_text",
                Branding {
                    footer_text: Some("a\u{7}b".into()),
                    ..ok.clone()
                },
            ),
        ] {
            assert_eq!(field_of(bad), Some(field));
        }
    }

    #[test]
    fn stored_branding_without_the_page_fields_still_reads() {
        let b: Branding =
            serde_json::from_str(r#"{"site_title":"Acme","sender_name":"Acme","logo_url":null}"#)
                .expect("reads");
        assert_eq!(b.accent_color, None);
        assert_eq!(b.footer_text, None);
    }

    proptest! {
        #[test]
        fn accent_colour_is_exactly_hash_and_six_hex_digits(c in ".{0,9}") {
            let b = Branding { accent_color: Some(c.clone()), ..Branding::default() };
            let valid = c.len() == 7
                && c.starts_with('#')
                && c.chars().skip(1).all(|ch| ch.is_ascii_hexdigit());
            prop_assert_eq!(b.check().is_ok(), valid);
        }
    }
}

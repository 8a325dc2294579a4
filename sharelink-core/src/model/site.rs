//! Site settings: the policy an administrator sets for every share on the site.

use crate::{CustomKeyRules, Email};
use serde::{Deserialize, Serialize};
use time::Duration;

/// White-label branding of pages and emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// Site title shown on pages and in email subjects.
    pub site_title: String,
    /// Display name of the sender of emails.
    pub sender_name: String,
    /// Address of a logo image, if any.
    pub logo_url: Option<String>,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            site_title: "sharelink".to_owned(),
            sender_name: "sharelink".to_owned(),
            logo_url: None,
        }
    }
}

/// Privacy of the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPrivacy {
    /// Whether client addresses are truncated before they are stored.
    pub truncate_ip: bool,
    /// IPv4 bits kept when truncating (e.g. 24).
    pub ipv4_prefix: u8,
    /// IPv6 bits kept when truncating (e.g. 48).
    pub ipv6_prefix: u8,
    /// How long events are kept; `None` keeps them until the share is revoked.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLimits {
    /// Failed attempts one client may make on one share within `window`.
    pub per_client: u32,
    /// Failed attempts all clients together may make on one share within `window`
    /// (higher, so one office behind a NAT cannot lock everyone out).
    pub per_share: u32,
    /// The counting window.
    pub window: Duration,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        Self {
            per_client: 5,
            per_share: 100,
            window: Duration::minutes(15),
        }
    }
}

/// One-time verification codes sent by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeCodePolicy {
    /// How long a code stays valid.
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

/// The site-wide policy for shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    /// Lifetime given to shares created without an expiry (`None`: no expiry).
    pub default_lifetime: Option<Duration>,
    /// Shortest lifetime a share may have (expiry is raised to it).
    pub min_lifetime: Option<Duration>,
    /// Longest lifetime a share may have (expiry is capped to it; a share without
    /// expiry gets this one).
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
    /// Sender address of notification emails.
    pub notification_sender: Option<Email>,
    /// Access-log privacy.
    pub log_privacy: LogPrivacy,
    /// Password and code guessing limits.
    pub attempts: AttemptLimits,
    /// One-time code policy.
    pub one_time_codes: OneTimeCodePolicy,
    /// How long before expiry owners are reminded (`None`: no reminders).
    pub expiry_reminder: Option<Duration>,
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
            log_privacy: LogPrivacy::default(),
            attempts: AttemptLimits::default(),
            one_time_codes: OneTimeCodePolicy::default(),
            expiry_reminder: Some(Duration::days(1)),
        }
    }
}

impl SiteSettings {
    /// Checks that the settings agree with themselves (min ≤ default ≤ max, positive
    /// durations, sane limits).
    ///
    /// # Errors
    /// [`crate::SettingsError::Site`] naming the contradiction.
    pub fn check(&self) -> Result<(), crate::SettingsError> {
        use crate::SettingsError::Site;
        let positive = |d: Option<Duration>| d.is_none_or(|d| d.is_positive());
        if !positive(self.default_lifetime)
            || !positive(self.min_lifetime)
            || !positive(self.max_lifetime)
        {
            return Err(Site("lifetimes must be positive"));
        }
        if let (Some(min), Some(max)) = (self.min_lifetime, self.max_lifetime)
            && min > max
        {
            return Err(Site("minimum lifetime exceeds maximum lifetime"));
        }
        if self.password_min_len == 0
            || self.password_min_len > crate::model::password::MAX_PASSWORD_CHARS
        {
            return Err(Site("password minimum length must be 1 to 256"));
        }
        if self.attempts.per_client == 0
            || self.attempts.per_share == 0
            || !self.attempts.window.is_positive()
        {
            return Err(Site("attempt limits must be positive"));
        }
        if self.one_time_codes.digits < 6
            || self.one_time_codes.digits > 10
            || self.one_time_codes.max_attempts == 0
        {
            return Err(Site(
                "one-time codes need 6 to 10 digits and at least one attempt",
            ));
        }
        if self.max_items == 0 {
            return Err(Site("max_items must be at least 1"));
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

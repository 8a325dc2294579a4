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
    pub window: Duration,
    /// The slow-down's step: past `per_share`, the share evaluates one attempt per step
    /// for the first `per_share` attempts in excess, one per two steps for the next, and
    /// so on up to `slow_max`.
    pub slow_step: Duration,
    /// The longest slow-down.
    pub slow_max: Duration,
    /// How long a browser that passed a share's gate stays exempt from its slow-down.
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
            notification_copy: Vec::new(),
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
        let a = &self.attempts;
        if a.per_client == 0
            || a.per_network == 0
            || a.per_share == 0
            || !a.window.is_positive()
            || a.slow_step < Duration::seconds(1)
            || a.slow_max < a.slow_step
            || !a.remember_browsers.is_positive()
        {
            return Err(Site(
                "attempt limits must be positive, slow-down steps at least a second and at most slow_max",
            ));
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

//! Requested → effective settings: site policy and the creator's rights applied to what
//! the creator asked for, with every change recorded as an [`Adjustment`].

use crate::model::share::{Adjustment, ShareItem};
use crate::{Capability, Rights, SettingsError, ShareSettings, SiteSettings};
use time::{OffsetDateTime, Time};

/// What policy needs to know.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    /// What the creator asked for.
    pub requested: &'a ShareSettings,
    /// The items.
    pub items: &'a [ShareItem],
    /// The creator's current rights on each item, in the same order as `items`.
    pub creator_rights: &'a [Rights],
    /// Site policy.
    pub site: &'a SiteSettings,
    /// Now.
    pub now: OffsetDateTime,
}

/// The settings in effect, and how they differ from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The settings in effect.
    pub settings: ShareSettings,
    /// What policy changed, and why.
    pub adjustments: Vec<Adjustment>,
}

impl Effective {
    /// The expiry the creator asked for, as recorded in the adjustments (or in effect).
    pub fn requested_expiry(&self) -> Option<OffsetDateTime> {
        self.adjustments
            .iter()
            .find_map(|a| match a {
                Adjustment::ExpiryCapped { requested, .. } => Some(*requested),
                Adjustment::ExpiryRaised { requested, .. } => Some(Some(*requested)),
                _ => None,
            })
            .unwrap_or(self.settings.schedule.expires_at)
    }
}

/// Applies site policy and the creator's rights to requested settings.
///
/// Refused (errors): invalid settings, an item the creator may not share, no level left
/// within the creator's rights, an expiry before today (in the creator's time zone: an
/// expiry earlier *today* is accepted), an inbox the creator may not upload to.
/// Adjusted (recorded): expiry defaulted, capped to the maximum lifetime or raised to the
/// minimum; password forced by the site; level reduced to the creator's rights; device
/// binding dropped when the site does not offer it.
///
/// # Errors
/// [`SettingsError`] for anything refused.
pub fn apply_policy(input: &PolicyInput<'_>) -> Result<Effective, SettingsError> {
    let PolicyInput {
        requested,
        items,
        creator_rights,
        site,
        now,
    } = input;
    site.check()?;
    requested.check(items, site.max_items)?;
    if creator_rights.len() != items.len() {
        return Err(SettingsError::NoRightsOnItem(String::new()));
    }
    let mut settings = (*requested).clone();
    let mut adjustments = Vec::new();

    let mut common = Rights::ALL;
    for (item, rights) in items.iter().zip(creator_rights.iter()) {
        if !rights.has(Capability::Share) {
            return Err(SettingsError::NoShareRight(item.display_name().to_owned()));
        }
        common = common.intersect(*rights);
    }
    let level = requested.allowed.reduce_to(common).ok_or_else(|| {
        SettingsError::NoRightsOnItem(first_lacking(items, creator_rights, requested))
    })?;
    if level != requested.allowed {
        crate::model::share::check_items(items, level, site.max_items)?;
        settings.allowed = level;
        adjustments.push(Adjustment::LevelReduced {
            requested: requested.allowed,
            to: level,
        });
    }
    if let Some(inbox) = &requested.inbox {
        let may_upload = items
            .iter()
            .zip(creator_rights.iter())
            .any(|(i, r)| inbox.starts_with(&i.path) && r.has(Capability::Upload));
        if !may_upload {
            return Err(SettingsError::BadInbox);
        }
    }

    let schedule = &requested.schedule;
    if let Some(e) = schedule.expires_at {
        let local_now = now.to_offset(schedule.display_offset);
        let start_of_today = local_now.replace_time(Time::MIDNIGHT);
        if e < start_of_today {
            return Err(SettingsError::ExpiryInPast);
        }
    }
    let base = schedule.starts_at.map_or(*now, |s| s.max(*now));
    let mut expires = schedule.expires_at;
    if expires.is_none()
        && let Some(d) = site.default_lifetime
    {
        let to = base + d;
        expires = Some(to);
        adjustments.push(Adjustment::ExpiryDefaulted { to });
    }
    if let Some(max) = site.max_lifetime {
        let cap = base + max;
        if expires.is_none_or(|e| e > cap) {
            if !matches!(adjustments.last(), Some(Adjustment::ExpiryDefaulted { .. })) {
                adjustments.push(Adjustment::ExpiryCapped {
                    requested: schedule.expires_at,
                    to: cap,
                });
            } else if let Some(Adjustment::ExpiryDefaulted { to }) = adjustments.last_mut() {
                *to = cap;
            }
            expires = Some(cap);
        }
    }
    if let (Some(min), Some(e)) = (site.min_lifetime, expires) {
        let floor = base + min;
        if e < floor {
            adjustments.push(Adjustment::ExpiryRaised {
                requested: e,
                to: floor,
            });
            expires = Some(floor);
        }
    }
    settings.schedule.expires_at = expires;

    if site.require_password && !requested.password {
        settings.password = true;
        adjustments.push(Adjustment::PasswordRequired);
    }
    if requested.device_binding && !site.device_binding {
        settings.device_binding = false;
        adjustments.push(Adjustment::DeviceBindingUnavailable);
    }
    Ok(Effective {
        settings,
        adjustments,
    })
}

fn first_lacking(items: &[ShareItem], rights: &[Rights], requested: &ShareSettings) -> String {
    items
        .iter()
        .zip(rights.iter())
        .find(|(_, r)| requested.allowed.reduce_to(**r).is_none())
        .map(|(i, _)| i.display_name().to_owned())
        .unwrap_or_else(|| {
            items
                .first()
                .map(|i| i.display_name().to_owned())
                .unwrap_or_default()
        })
}

/// The most shares one creator may make per UTC day, if the site sets a quota. Stores
/// count creations against it atomically (`ShareStore::count_creation`); a full day is
/// [`SettingsError::DailyQuota`].
pub fn daily_quota(site: &SiteSettings) -> Option<u32> {
    site.shares_per_user_per_day
}

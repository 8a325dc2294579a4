//! Site-settings use cases: the settings in effect, and administrators reading and
//! changing them at runtime.
//!
//! The settings in effect are the ones last saved in the [`SiteSettingsStore`] (shared by
//! every process on one database), or the configuration's until the first save. Each
//! application keeps the ones it last read or saved for at most
//! [`Config::site_cache`](super::Config::site_cache) (1 s by default), so a save is in
//! effect at once on the process that made it and within that bound on every other
//! process; administrators always read the store itself.
//!
//! [`SiteSettingsStore`]: crate::ports::SiteSettingsStore

use super::{Result, ServiceError, Sharelink};
use crate::ports::events::ShareEvent;
use crate::ports::site::SiteSaveError;
use crate::{Branding, ShareSettings, SiteSettings, UserId};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The site settings in effect, with their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteView {
    /// The settings.
    pub settings: SiteSettings,
    /// The version a change must name to replace them; 0 while the configuration's
    /// initial settings are in effect (nothing saved yet).
    pub version: u64,
    /// When they were saved (`None`: never, the configuration's).
    pub updated_at: Option<OffsetDateTime>,
    /// Who saved them (`None`: never, the configuration's).
    pub updated_by: Option<UserId>,
}

/// The site settings an application last read or saved, and since when they are known
/// to be current. Its age is measured on the process's monotonic clock
/// ([`Instant`]), not the clock port: the bound is on real elapsed time, so a frozen or
/// hand-moved test clock cannot keep stale settings forever, and a wall clock set back
/// cannot stretch it. No rule reads this time.
#[derive(Debug, Default)]
pub(super) struct SiteCache {
    entry: RwLock<Option<CachedSite>>,
}

#[derive(Debug)]
struct CachedSite {
    view: Arc<SiteView>,
    /// The store held these settings (or later ones) at this instant.
    current_at: Instant,
}

impl SiteCache {
    /// The settings, if known to be current less than `bound` ago.
    pub(super) fn fresh(&self, bound: Duration) -> Option<Arc<SiteView>> {
        let entry = self.entry.read().unwrap_or_else(PoisonError::into_inner);
        entry
            .as_ref()
            .filter(|e| e.current_at.elapsed() < bound)
            .map(|e| Arc::clone(&e.view))
    }

    /// Keeps `view`, which the store held at `current_at`, unless what is kept is newer:
    /// a read that began before a save of this process and ends after it must not bring
    /// the older settings back.
    pub(super) fn offer(&self, view: Arc<SiteView>, current_at: Instant) {
        let mut entry = self.entry.write().unwrap_or_else(PoisonError::into_inner);
        let newer = entry
            .as_ref()
            .is_none_or(|e| view.version >= e.view.version || current_at >= e.current_at);
        if newer {
            *entry = Some(CachedSite { view, current_at });
        }
    }
}

impl Sharelink {
    /// The site settings in effect now: the last saved, or the configuration's (as read
    /// at most [`Config::site_cache`](super::Config::site_cache) ago).
    ///
    /// # Errors
    /// [`ServiceError::Repo`] when the store cannot be read.
    pub async fn site(&self) -> Result<SiteSettings> {
        Ok(self.site_shared().await?.settings.clone())
    }

    /// The site's branding in effect now, as [`Self::site`] reads it (without copying the
    /// rest of the settings): what adapters' pages and mails show.
    ///
    /// # Errors
    /// [`ServiceError::Repo`] when the store cannot be read.
    pub async fn branding(&self) -> Result<Branding> {
        Ok(self.site_shared().await?.settings.branding.clone())
    }

    /// The site settings in effect, shared with the cache (no copy): what the use cases
    /// read. From the cache while it is younger than the configured bound, else from the
    /// store (and then kept).
    pub(super) async fn site_shared(&self) -> Result<Arc<SiteView>> {
        let bound = self.config.site_cache;
        if !bound.is_zero()
            && let Some(view) = self.site_cache.fresh(bound)
        {
            return Ok(view);
        }
        self.site_view_from_store().await
    }

    /// The site settings as the store holds them now (kept in the cache too).
    async fn site_view_from_store(&self) -> Result<Arc<SiteView>> {
        let asked_at = Instant::now();
        let view = Arc::new(match self.ports.site.load().await? {
            Some(s) => SiteView {
                settings: s.settings,
                version: s.version,
                updated_at: Some(s.updated_at),
                updated_by: Some(s.updated_by),
            },
            None => SiteView {
                settings: self.config.site.clone(),
                version: 0,
                updated_at: None,
                updated_by: None,
            },
        });
        if !self.config.site_cache.is_zero() {
            self.site_cache.offer(Arc::clone(&view), asked_at);
        }
        Ok(view)
    }

    /// The settings a new share named `name` starts from: the site's
    /// [`crate::ShareDefaults`] (access control, use limit, registration, terms) over
    /// [`ShareSettings::named`]. Adapters lay what the creator asked for over these and
    /// pass the result to [`Sharelink::create_share`], so a setting the creator leaves
    /// out takes the site's default.
    ///
    /// # Errors
    /// [`ServiceError::Repo`] when the site settings cannot be read.
    pub async fn new_share_settings(&self, name: &str) -> Result<ShareSettings> {
        Ok(self
            .site_shared()
            .await?
            .settings
            .share_defaults
            .settings_named(name))
    }

    /// The site settings in effect and their version, for an administrator: read from
    /// the store itself, never from the cache.
    ///
    /// # Errors
    /// [`ServiceError::AdminOnly`] for anyone else; unknown or disabled user; the store
    /// failed.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn site_settings(&self, admin: &UserId) -> Result<SiteView> {
        self.admin(admin).await?;
        Ok(Arc::unwrap_or_clone(self.site_view_from_store().await?))
    }

    /// Replaces the site settings, if they are still at `expected_version` (the version
    /// the administrator read: 0 while none were saved). Checked first; in effect at once
    /// in this application and its clones, and within
    /// [`Config::site_cache`](super::Config::site_cache) for every other process sharing
    /// the store; published as
    /// [`ShareEvent::SiteSettingsChanged`] naming the fields that changed. Existing
    /// shares keep their effective settings until they are next updated; visitor rules
    /// (refused file types, attempt limits, device binding) apply to the next request.
    ///
    /// # Errors
    /// [`ServiceError::AdminOnly`] for anyone but an administrator;
    /// [`crate::SettingsError::Site`] naming the field at fault;
    /// [`ServiceError::SiteVersionConflict`] when someone saved in between (nothing is
    /// saved); the store failed.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn update_site_settings(
        &self,
        admin: &UserId,
        expected_version: u64,
        settings: SiteSettings,
    ) -> Result<SiteView> {
        self.admin(admin).await?;
        settings.check()?;
        let before = self.site_view_from_store().await?;
        if before.version != expected_version {
            return Err(ServiceError::SiteVersionConflict {
                current: before.version,
            });
        }
        let at = self.now();
        let stored = self
            .ports
            .site
            .save(expected_version, &settings, admin, at)
            .await
            .map_err(|e| match e {
                SiteSaveError::Conflict { current } => {
                    ServiceError::SiteVersionConflict { current }
                }
                SiteSaveError::Repo(e) => ServiceError::Repo(e),
            })?;
        self.ports
            .events
            .publish(&ShareEvent::SiteSettingsChanged {
                by: admin.clone(),
                version: stored.version,
                fields: changed_fields(&before.settings, &stored.settings),
                at,
            })
            .await;
        let view = SiteView {
            settings: stored.settings,
            version: stored.version,
            updated_at: Some(stored.updated_at),
            updated_by: Some(stored.updated_by),
        };
        if !self.config.site_cache.is_zero() {
            self.site_cache
                .offer(Arc::new(view.clone()), Instant::now());
        }
        Ok(view)
    }

    /// The actor, if an administrator.
    async fn admin(&self, actor: &UserId) -> Result<()> {
        if self.actor(actor).await?.is_admin {
            Ok(())
        } else {
            Err(ServiceError::AdminOnly)
        }
    }
}

/// The top-level names of the settings that differ, in alphabetical order.
pub(super) fn changed_fields(before: &SiteSettings, after: &SiteSettings) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = b
        .iter()
        .filter(|(k, v)| a.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    names.sort();
    names
}

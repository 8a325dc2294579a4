//! Site-settings use cases: the settings in effect, and administrators reading and
//! changing them at runtime.
//!
//! The settings in effect are the ones last saved in the [`SiteSettingsStore`] (shared by
//! every process on one database), or the configuration's until the first save. Every use
//! case that needs them reads them from the store when it runs — one keyed read of one
//! row — so a save is in effect at once on every process, with no cache to go stale.

use super::{Result, ServiceError, Sharelink};
use crate::ports::events::ShareEvent;
use crate::ports::site::SiteSaveError;
use crate::{ShareSettings, SiteSettings, UserId};
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

impl Sharelink {
    /// The site settings in effect now: the last saved, or the configuration's.
    ///
    /// # Errors
    /// [`ServiceError::Repo`] when the store cannot be read.
    pub async fn site(&self) -> Result<SiteSettings> {
        Ok(self.site_view().await?.settings)
    }

    async fn site_view(&self) -> Result<SiteView> {
        Ok(match self.ports.site.load().await? {
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
        })
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
        Ok(self.site().await?.share_defaults.settings_named(name))
    }

    /// The site settings in effect and their version, for an administrator.
    ///
    /// # Errors
    /// [`ServiceError::AdminOnly`] for anyone else; unknown or disabled user; the store
    /// failed.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn site_settings(&self, admin: &UserId) -> Result<SiteView> {
        self.admin(admin).await?;
        self.site_view().await
    }

    /// Replaces the site settings, if they are still at `expected_version` (the version
    /// the administrator read: 0 while none were saved). Checked first; in effect at once
    /// for every process sharing the store; published as
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
        let before = self.site_view().await?;
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
        Ok(SiteView {
            settings: stored.settings,
            version: stored.version,
            updated_at: Some(stored.updated_at),
            updated_by: Some(stored.updated_by),
        })
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

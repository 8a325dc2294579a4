//! In-memory site settings.

use crate::ports::repository::RepoError;
use crate::ports::site::{SiteSaveError, SiteSettingsStore, StoredSite};
use crate::{SiteSettings, UserId};
use async_trait::async_trait;
use std::sync::{Mutex, PoisonError};
use time::OffsetDateTime;

/// A [`SiteSettingsStore`] in memory: one lock around the one row, so saves are exclusive.
#[derive(Debug, Default)]
pub struct MemorySiteSettings {
    stored: Mutex<Option<StoredSite>>,
}

impl MemorySiteSettings {
    /// Nothing stored.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SiteSettingsStore for MemorySiteSettings {
    async fn load(&self) -> Result<Option<StoredSite>, RepoError> {
        Ok(self
            .stored
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    async fn save(
        &self,
        expected_version: u64,
        settings: &SiteSettings,
        by: &UserId,
        at: OffsetDateTime,
    ) -> Result<StoredSite, SiteSaveError> {
        let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        let current = stored.as_ref().map_or(0, |s| s.version);
        if current != expected_version {
            return Err(SiteSaveError::Conflict { current });
        }
        let next = StoredSite {
            settings: settings.clone(),
            version: current + 1,
            updated_at: at,
            updated_by: by.clone(),
        };
        *stored = Some(next.clone());
        Ok(next)
    }
}

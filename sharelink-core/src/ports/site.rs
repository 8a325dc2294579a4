//! The site-settings port: the one row of site settings administrators change at runtime,
//! shared by every server process on one database.
//!
//! Each save names the version it was based on (compare-and-swap), so two administrators
//! saving at once cannot silently overwrite each other: the second learns it lost.

use crate::ports::repository::RepoError;
use crate::{SiteSettings, UserId};
use async_trait::async_trait;
use std::fmt::Debug;
use time::OffsetDateTime;

/// The stored site settings and who saved them when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSite {
    /// The settings.
    pub settings: SiteSettings,
    /// How many saves made them (1 after the first).
    pub version: u64,
    /// When they were saved.
    pub updated_at: OffsetDateTime,
    /// Who saved them.
    pub updated_by: UserId,
}

/// Why a save did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteSaveError {
    /// The stored settings are no longer at the version the save was based on: someone
    /// saved in between. Nothing was written.
    #[error("the site settings changed meanwhile (now at version {current})")]
    Conflict {
        /// The version stored now (0: nothing stored).
        current: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Where the site settings live.
///
/// Contract:
/// - [`SiteSettingsStore::load`] answers `None` until the first save, then the last
///   saved settings, version, instant and author, every field as saved.
/// - [`SiteSettingsStore::save`] with `expected_version` equal to the stored version (0
///   when nothing is stored) stores the settings as version `expected_version + 1` and
///   returns what is now stored.
/// - A save at any other version writes nothing and fails with
///   [`SiteSaveError::Conflict`] naming the current version.
/// - Of concurrent saves at one version, from any number of processes, exactly one
///   succeeds; the others fail with `Conflict`.
/// - A save through one handle is seen by the next load through every other handle on
///   the same store (no cache in between).
#[async_trait]
pub trait SiteSettingsStore: Send + Sync + Debug + 'static {
    /// The stored settings, if any were ever saved.
    ///
    /// # Errors
    /// The store failed, or the stored row cannot be read.
    async fn load(&self) -> Result<Option<StoredSite>, RepoError>;

    /// Stores `settings` (already checked) as the next version, if the stored version is
    /// `expected_version`. Decided by one conditional statement, never by reading then
    /// writing.
    ///
    /// # Errors
    /// [`SiteSaveError::Conflict`] when the stored version differs; the store failed.
    async fn save(
        &self,
        expected_version: u64,
        settings: &SiteSettings,
        by: &UserId,
        at: OffsetDateTime,
    ) -> Result<StoredSite, SiteSaveError>;
}

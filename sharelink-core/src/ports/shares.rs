//! The share store: shares themselves and their atomic counters (uses, upload space,
//! device binding, reminders).

use crate::model::share::Adjustment;
use crate::ports::RepoError;
use crate::{
    AutofillCode, DeviceId, PasswordHash, Share, ShareId, ShareItem, ShareSettings, ShareState,
    UrlKey, UserId,
};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use time::{Date, OffsetDateTime};

/// A share about to be stored (the repository assigns the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShare {
    /// Public key.
    pub key: UrlKey,
    /// Owner.
    pub owner: UserId,
    /// Items.
    pub items: Vec<ShareItem>,
    /// What was asked.
    pub requested: ShareSettings,
    /// What is in effect.
    pub settings: ShareSettings,
    /// How they differ.
    pub adjustments: Vec<Adjustment>,
    /// Password hash.
    pub password_hash: Option<PasswordHash>,
    /// The readable password of a share with auto-fill.
    pub autofill_code: Option<AutofillCode>,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// Filters and page of a share listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShareQuery {
    /// Only this owner's shares (`None`: everybody's, for admins).
    pub owner: Option<UserId>,
    /// Name contains this text, without regard to case (wildcards are literal).
    pub name_contains: Option<String>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created before.
    pub created_to: Option<OffsetDateTime>,
    /// Only shares in this state at `now`.
    pub state: Option<ShareState>,
    /// The instant states are computed at.
    pub now: Option<OffsetDateTime>,
    /// Keyset cursor: only shares after this one in the order (newest first).
    pub after: Option<ShareCursor>,
    /// Page size (1 to 1000).
    pub limit: u32,
}

/// Position in the listing order: created_at descending, then id descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCursor {
    /// Creation time of the last share seen.
    #[serde(with = "crate::model::instant")]
    pub created_at: OffsetDateTime,
    /// Id of the last share seen.
    pub id: ShareId,
}

/// One page of shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharePage {
    /// The shares, newest first.
    pub shares: Vec<Share>,
    /// Where the next page starts, if there may be one.
    pub next: Option<ShareCursor>,
}

/// Outcome of a use reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// A use was reserved.
    Reserved,
    /// This dedup key was already counted (a range request of the same download).
    AlreadyCounted,
    /// No use left.
    Exhausted,
}

/// Stores shares and their counters.
///
/// Contract (each bullet is a case of `conformance::shares`):
/// - `insert_share` assigns a fresh id and stores every field; `find_by_key` finds it by
///   key without regard to case; a second share with the same key (in any case) gives
///   `KeyTaken` and stores nothing.
/// - `update_share` replaces items, requested and effective settings, adjustments, password
///   hash, auto-fill code (set, changed or erased) and `updated_at`, but never the counters (`uses`, `uploaded_bytes`,
///   `bound_device`, `reminder_sent_at`), which only the atomic methods change — except
///   that a changed expiry clears `reminder_sent_at` (one reminder per expiry).
/// - `delete_share` removes the share and everything under it (recipients, registrations,
///   sessions, codes, counters, reservations) in one step; afterwards `find_by_key` and
///   `get_share` give `None` exactly as for a key never used. Deleting twice is `Ok(false)`.
/// - `list_shares` filters by owner, name substring (case-insensitive, `%` and `_` are
///   literal), creation range and state at `now`, newest first (created_at, then id), and
///   pages by keyset: following `next` visits every share exactly once.
/// - `count_creation` is atomic: under any concurrency at most `max` creations are counted
///   per owner and UTC day, whatever happens to the shares afterwards (deleting one gives
///   nothing back); `uncount_creation` takes back one counted creation that did not happen
///   (never below zero).
/// - `reserve_use` is atomic: under any concurrency at most `max` reservations succeed in
///   total (minus refunds); a repeated dedup key counts once and answers `AlreadyCounted`
///   even when no use is left (checked before exhaustion). `refund_use` gives one back
///   (never below zero; with a dedup key, only if that key was counted, and forgets it).
///   `is_counted` answers whether a dedup key is counted, without changing anything.
/// - `add_uploaded_bytes` is atomic and refuses to pass `max`.
/// - `bind_device` binds the first device atomically and reports whether the share is now
///   bound to the given device.
/// - `mark_reminded` succeeds once per expiry.
#[async_trait]
pub trait ShareStore: Send + Sync + Debug + 'static {
    /// `KeyTaken`, or a store error.
    async fn insert_share(&self, share: NewShare) -> Result<Share, RepoError>;

    /// A share by id.
    ///
    /// # Errors
    /// A store error.
    async fn get_share(&self, id: ShareId) -> Result<Option<Share>, RepoError>;

    /// A share by key, without regard to case.
    ///
    /// # Errors
    /// A store error.
    async fn find_by_key(&self, key: &UrlKey) -> Result<Option<Share>, RepoError>;

    /// Replaces a share's items and settings (not its counters).
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn update_share(&self, share: &Share) -> Result<(), RepoError>;

    /// Deletes a share and everything under it. `Ok(false)` if it did not exist.
    ///
    /// # Errors
    /// A store error.
    async fn delete_share(&self, id: ShareId) -> Result<bool, RepoError>;

    /// Lists shares.
    ///
    /// # Errors
    /// A store error.
    async fn list_shares(&self, query: &ShareQuery) -> Result<SharePage, RepoError>;

    /// Counts one share creation by `owner` on `day` (UTC) if fewer than `max` were
    /// counted that day; `Ok(false)` when the day's quota is full. Decided by one
    /// conditional statement.
    ///
    /// # Errors
    /// A store error.
    async fn count_creation(&self, owner: &UserId, day: Date, max: u32) -> Result<bool, RepoError>;

    /// Takes back one creation counted for `owner` on `day` (a creation that failed after
    /// it was counted); never below zero.
    ///
    /// # Errors
    /// A store error.
    async fn uncount_creation(&self, owner: &UserId, day: Date) -> Result<(), RepoError>;

    /// Reserves one use if fewer than `max` are spent; `dedup` makes repeats count once.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn reserve_use(
        &self,
        id: ShareId,
        max: u32,
        dedup: Option<&str>,
    ) -> Result<Reservation, RepoError>;

    /// Gives back one reserved use (a download that failed).
    ///
    /// # Errors
    /// A store error.
    async fn refund_use(&self, id: ShareId, dedup: Option<&str>) -> Result<(), RepoError>;

    /// Whether a use is counted under `dedup` on the share (reserved and not refunded).
    /// Read-only: it never reserves or spends anything.
    ///
    /// # Errors
    /// A store error.
    async fn is_counted(&self, id: ShareId, dedup: &str) -> Result<bool, RepoError>;

    /// Adds uploaded bytes unless the total would pass `max`; `Ok(false)` if refused.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn add_uploaded_bytes(
        &self,
        id: ShareId,
        bytes: u64,
        max: Option<u64>,
    ) -> Result<bool, RepoError>;

    /// Binds the share to `device` if unbound; `Ok(true)` if it is now bound to `device`.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn bind_device(&self, id: ShareId, device: &DeviceId) -> Result<bool, RepoError>;

    /// Records that the owner was reminded; `Ok(false)` if already reminded.
    ///
    /// # Errors
    /// A store error.
    async fn mark_reminded(&self, id: ShareId, at: OffsetDateTime) -> Result<bool, RepoError>;
}

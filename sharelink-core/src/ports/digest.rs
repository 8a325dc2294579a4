//! The digest port: owner notifications held back for the hourly digest, so that an
//! owner who asked for one gets one mail per hour instead of one per event.
//!
//! The use cases add an entry per event and recipient; the housekeeping job
//! ([`crate::service::Sharelink::send_digests`]) reads every entry, mails one digest per
//! recipient, and removes the entries it mailed. An entry holds what the mail will say
//! (share name, visitor as far as known, client address as the log keeps it), never a
//! password, a code or a link.

use crate::model::notify::Notice;
use crate::ports::repository::RepoError;
use crate::{Email, ShareId, UserId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Identifier of a digest entry, assigned by the store, increasing in the order entries
/// are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DigestEntryId(pub i64);

/// An event waiting for its recipient's next digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDigestEntry {
    /// Who gets the digest (the owner, or an address of the site's administrator copy).
    pub to: Email,
    /// The share the event is about.
    pub share: ShareId,
    /// The share's owner.
    pub owner: UserId,
    /// The share's IANA time zone, dates are shown in it (`None`: UTC).
    pub time_zone: Option<String>,
    /// What happened.
    pub notice: Notice,
}

/// A stored digest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEntry {
    /// Its identifier.
    pub id: DigestEntryId,
    /// What was added.
    pub entry: NewDigestEntry,
}

/// Owner notifications waiting for a digest.
///
/// Contract (each bullet is a case of `conformance::digest`):
/// - `add_digest_entry` stores the entry whole (every field, the notice's activity with
///   all its details, non-ASCII text intact) and returns an id greater than every id it
///   returned before.
/// - `digest_entries` returns entries with an id greater than `after` (all when `None`),
///   in increasing id order, at most `limit` of them; paging with the last id returned
///   reads each entry exactly once.
/// - `remove_digest_entries` removes exactly the entries named (unknown ids are ignored)
///   and returns how many it removed; an entry removed is never returned again, and
///   removing it twice removes it once.
/// - Entries added while another handle (process) reads or removes are neither lost nor
///   removed unless named.
#[async_trait]
pub trait DigestStore: Send + Sync + Debug + 'static {
    /// Stores an entry.
    ///
    /// # Errors
    /// The store failed.
    async fn add_digest_entry(&self, entry: &NewDigestEntry) -> Result<DigestEntryId, RepoError>;

    /// Entries after `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// The store failed, or a stored entry cannot be read.
    async fn digest_entries(
        &self,
        after: Option<DigestEntryId>,
        limit: u32,
    ) -> Result<Vec<DigestEntry>, RepoError>;

    /// Removes the entries named; returns how many were removed.
    ///
    /// # Errors
    /// The store failed.
    async fn remove_digest_entries(&self, ids: &[DigestEntryId]) -> Result<u64, RepoError>;
}

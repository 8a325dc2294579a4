//! The recipient store: the people a share was emailed to, and their link codes.

use crate::ports::RepoError;
use crate::{BrowserId, Email, Recipient, RecipientId, ShareId, SharePath};
use async_trait::async_trait;
use std::fmt::Debug;
use time::OffsetDateTime;

/// A recipient about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// The share.
    pub share_id: ShareId,
    /// Address.
    pub email: Email,
    /// Company.
    pub company: Option<String>,
    /// Owner's note.
    pub note: Option<String>,
    /// Link code (secret).
    pub link_code: String,
    /// When sent.
    pub sent_at: Option<OffsetDateTime>,
}

/// The owner's hold on one recipient's link: revoked and/or given its own expiry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecipientAccess {
    /// When it was revoked; `None` for not revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Its own expiry; `None` for only the share's.
    pub expires_at: Option<OffsetDateTime>,
}

/// Stores a share's recipients.
///
/// Contract (each bullet is a case of `conformance::recipients`):
/// - Recipients are added with their code, found by (share, code), listed per share in the
///   order added, and removed with their share.
/// - `bind_recipient_browser` binds the first browser atomically.
/// - `replace_link_code` changes the code (the old one stops working) and clears the
///   binding.
/// - `active_recipient_shares` finds active shares holding an item for an email.
/// - `set_recipient_access` replaces one recipient's revocation and expiry, leaving the
///   other recipients (and its code and binding) as they were.
/// - `touch_recipient` records the last access time of one recipient only.
#[async_trait]
pub trait RecipientStore: Send + Sync + Debug + 'static {
    /// Adds a recipient.
    ///
    /// # Errors
    /// `NotFound` for the share, or a store error.
    async fn add_recipient(&self, recipient: NewRecipient) -> Result<Recipient, RepoError>;

    /// A share's recipients, in the order added.
    ///
    /// # Errors
    /// A store error.
    async fn list_recipients(&self, share: ShareId) -> Result<Vec<Recipient>, RepoError>;

    /// One recipient of a share, by id (`None` when it is not one of `share`'s).
    ///
    /// # Errors
    /// A store error.
    async fn get_recipient(
        &self,
        share: ShareId,
        id: RecipientId,
    ) -> Result<Option<Recipient>, RepoError>;

    /// The recipient whose link carries `code`.
    ///
    /// # Errors
    /// A store error.
    async fn find_recipient(
        &self,
        share: ShareId,
        code: &str,
    ) -> Result<Option<Recipient>, RepoError>;

    /// Binds the recipient's link to `browser` if unbound; returns the recipient after.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn bind_recipient_browser(
        &self,
        id: RecipientId,
        browser: &BrowserId,
    ) -> Result<Recipient, RepoError>;

    /// Gives the recipient a new link code (clearing the browser binding).
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn replace_link_code(
        &self,
        id: RecipientId,
        code: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// Ids of shares that are active at `now`, hold an item at `path`, and have a
    /// recipient with `email` (for the one-active-share-per-recipient rule).
    ///
    /// # Errors
    /// A store error.
    async fn active_recipient_shares(
        &self,
        email: &Email,
        path: &SharePath,
        now: OffsetDateTime,
    ) -> Result<Vec<ShareId>, RepoError>;

    /// Replaces the recipient's revocation and own expiry (code and binding unchanged);
    /// returns the recipient after.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn set_recipient_access(
        &self,
        id: RecipientId,
        access: RecipientAccess,
    ) -> Result<Recipient, RepoError>;

    /// Records that the recipient opened their link at `at`.
    ///
    /// # Errors
    /// `NotFound`, or a store error.
    async fn touch_recipient(&self, id: RecipientId, at: OffsetDateTime) -> Result<(), RepoError>;
}

//! The permission-directory port: the embedder's users, admins and rights per path.

use crate::ports::BoxError;
use crate::{Email, Rights, SharePath, UserId};
use async_trait::async_trait;
use std::fmt::Debug;

/// What sharelink needs to know about one of the embedder's users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Id.
    pub id: UserId,
    /// Name to show (in emails, to visitors).
    pub display_name: String,
    /// Their address (for notifications).
    pub email: Option<Email>,
    /// Admins see and manage every share.
    pub is_admin: bool,
    /// A disabled user's shares lose all power.
    pub disabled: bool,
}

/// Errors of the directory.
#[derive(Debug, thiserror::Error)]
#[error("permission directory failed")]
pub struct DirectoryError {
    /// The embedder's error.
    #[source]
    pub source: BoxError,
}

/// The embedding application's users and their rights.
///
/// Contract:
/// - `user` returns `None` for an unknown user.
/// - `rights` returns the user's current rights on a path of the file store, including
///   [`crate::Capability::Share`] where the user may create share links; an unknown user
///   has no rights. Rights may change at any time; sharelink asks at every access.
#[async_trait]
pub trait PermissionDirectory: Send + Sync + Debug + 'static {
    /// A user.
    ///
    /// # Errors
    /// When the embedder's directory fails.
    async fn user(&self, id: &UserId) -> Result<Option<UserInfo>, DirectoryError>;

    /// A user's rights on a path.
    ///
    /// # Errors
    /// When the embedder's directory fails.
    async fn rights(&self, id: &UserId, path: &SharePath) -> Result<Rights, DirectoryError>;
}

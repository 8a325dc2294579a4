//! The share repository: the union of the stores that keep shares and what hangs off
//! them, and the error they share.
//!
//! The stores are split by subject ([`ShareStore`], [`RecipientStore`], [`VisitorStore`],
//! [`TemplateStore`]); an adapter implements the four and gets [`ShareRepository`] for
//! free, which is what the services hold.

use crate::ports::BoxError;

pub use super::recipients::{NewRecipient, RecipientAccess, RecipientStore};
pub use super::shares::{NewShare, Reservation, ShareCursor, SharePage, ShareQuery, ShareStore};
pub use super::templates::{Template, TemplateBody, TemplateStore};
pub use super::visitors::{AttemptKey, CodeCheck, OneTimeCode, StoredRegistration, VisitorStore};

/// Errors of a repository.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// The key is already used by another share (keys are unique without regard to case).
    #[error("the link key is already taken")]
    KeyTaken,
    /// The referenced share, recipient or session does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule other than the key was broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached.
    #[error("{store}: database unavailable")]
    Unavailable {
        /// Which store.
        store: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// Stored data could not be read back into the domain (corrupt or from a newer version).
    #[error("{store}: stored data is invalid: {reason}")]
    Corrupt {
        /// Which store.
        store: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Any other failure.
    #[error("{store}: {source}")]
    Backend {
        /// Which store.
        store: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

/// Every store of shares and what hangs off them, as one port.
///
/// Implemented automatically for any type that implements the four stores.
pub trait ShareRepository: ShareStore + RecipientStore + VisitorStore + TemplateStore {}

impl<T> ShareRepository for T where T: ShareStore + RecipientStore + VisitorStore + TemplateStore {}

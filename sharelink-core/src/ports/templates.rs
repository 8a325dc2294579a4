//! The template store: registration forms and clickwrap terms an owner reuses.

use crate::ports::RepoError;
use crate::{Clickwrap, RegistrationForm, UserId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// The content of a template.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TemplateBody {
    /// A registration form.
    Form {
        /// The form.
        form: RegistrationForm,
    },
    /// Clickwrap terms.
    Clickwrap {
        /// The terms.
        clickwrap: Clickwrap,
    },
}

impl TemplateBody {
    /// `"form"` or `"clickwrap"`, as the JSON names the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            TemplateBody::Form { .. } => "form",
            TemplateBody::Clickwrap { .. } => "clickwrap",
        }
    }
}

/// A reusable template kept by an owner: a registration form or clickwrap terms.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Id.
    pub id: i64,
    /// Owner.
    pub owner: UserId,
    /// Name.
    pub name: String,
    /// The form or the terms.
    pub body: TemplateBody,
}

/// Stores an owner's templates.
///
/// Contract (each bullet is a case of `conformance::templates`):
/// - Templates are stored with a fresh id, listed per owner, and deleted by their owner
///   only (`Ok(false)` when absent or someone else's).
/// - A template is read and replaced (name and body) by its owner only (`Ok(None)` when
///   absent or someone else's); a replaced template reads back as replaced, its id kept.
#[async_trait]
pub trait TemplateStore: Send + Sync + Debug + 'static {
    /// Stores a template.
    ///
    /// # Errors
    /// A store error.
    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template, RepoError>;

    /// An owner's templates.
    ///
    /// # Errors
    /// A store error.
    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>, RepoError>;

    /// One of an owner's templates; `Ok(None)` if absent or someone else's.
    ///
    /// # Errors
    /// A store error.
    async fn get_template(&self, owner: &UserId, id: i64) -> Result<Option<Template>, RepoError>;

    /// Replaces the name and body of one of an owner's templates; `Ok(None)` if absent
    /// or someone else's.
    ///
    /// # Errors
    /// A store error.
    async fn update_template(
        &self,
        owner: &UserId,
        id: i64,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Option<Template>, RepoError>;

    /// Deletes a template; `Ok(false)` if absent.
    ///
    /// # Errors
    /// A store error.
    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool, RepoError>;
}

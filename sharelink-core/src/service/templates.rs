//! Saved templates (registration forms, clickwrap terms) and the shares that use one by
//! reference: the rule that resolves a reference ([`apply_templates`]), and the use cases
//! that save, replace and delete templates.

use super::{Result, ServiceError, Sharelink};
use crate::ports::repository::*;
use crate::{SettingsError, Share, ShareSettings, UserId};

/// Fills in the registration form and the terms of `settings` from the templates they
/// reference (`find` gives one of the owner's templates by id). The rules:
///
/// - a reference replaces the inline copy with the template's content, so an edit of the
///   template reaches every share that uses it;
/// - `registration_template` must name a form template and `clickwrap_template` a
///   clickwrap one;
/// - settings without a reference keep their inline form and terms untouched;
/// - each reference is resolved on its own: when one fails, the other is still applied,
///   and the failing one keeps its inline copy.
///
/// # Errors
/// [`SettingsError::NoSuchTemplate`] or [`SettingsError::TemplateKind`] for the first
/// reference that cannot be resolved.
pub fn apply_templates(
    settings: &mut ShareSettings,
    find: impl Fn(i64) -> Option<TemplateBody>,
) -> std::result::Result<(), SettingsError> {
    let mut first_error = None;
    if let Some(id) = settings.registration_template {
        match find(id) {
            Some(TemplateBody::Form { form }) => settings.registration = Some(form),
            Some(_) => {
                first_error.get_or_insert(SettingsError::TemplateKind {
                    id,
                    expected: "form",
                });
            }
            None => {
                first_error.get_or_insert(SettingsError::NoSuchTemplate(id));
            }
        }
    }
    if let Some(id) = settings.clickwrap_template {
        match find(id) {
            Some(TemplateBody::Clickwrap { clickwrap }) => settings.clickwrap = Some(clickwrap),
            Some(_) => {
                first_error.get_or_insert(SettingsError::TemplateKind {
                    id,
                    expected: "clickwrap",
                });
            }
            None => {
                first_error.get_or_insert(SettingsError::NoSuchTemplate(id));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The template ids `settings` reference.
fn references(settings: &ShareSettings) -> impl Iterator<Item = i64> {
    [settings.registration_template, settings.clickwrap_template]
        .into_iter()
        .flatten()
}

impl Sharelink {
    /// The owner's templates that any of `settings` reference.
    async fn referenced(
        &self,
        owner: &UserId,
        settings: &[&ShareSettings],
    ) -> Result<Vec<Template>> {
        let mut found: Vec<Template> = Vec::new();
        for id in settings.iter().flat_map(|s| references(s)) {
            if found.iter().any(|t| t.id == id) {
                continue;
            }
            if let Some(t) = self.ports.repo.get_template(owner, id).await? {
                found.push(t);
            }
        }
        Ok(found)
    }

    /// Fills in what `settings` reference from `owner`'s templates, refusing references
    /// that cannot be resolved (when a share is created or changed).
    ///
    /// # Errors
    /// [`SettingsError`] naming the reference; repository errors.
    pub(super) async fn fill_templates(
        &self,
        owner: &UserId,
        settings: &mut ShareSettings,
    ) -> Result<()> {
        let found = self.referenced(owner, &[settings]).await?;
        apply_templates(settings, |id| lookup(&found, id))?;
        Ok(())
    }

    /// Resolves the template references of a share read from the store (requested and
    /// effective settings), so visitors and the API see each template as it is now. A
    /// reference that cannot be resolved keeps the copy stored with the share (deleting
    /// a template in use is refused, so this only happens to rows changed by hand).
    ///
    /// # Errors
    /// Repository errors.
    pub(super) async fn resolve_templates(&self, share: &mut Share) -> Result<()> {
        if references(&share.settings)
            .chain(references(&share.requested))
            .next()
            .is_none()
        {
            return Ok(());
        }
        let found = self
            .referenced(&share.owner, &[&share.settings, &share.requested])
            .await?;
        let _ = apply_templates(&mut share.settings, |id| lookup(&found, id));
        let _ = apply_templates(&mut share.requested, |id| lookup(&found, id));
        Ok(())
    }

    /// Saves a form or clickwrap template.
    ///
    /// # Errors
    /// Form errors, a bad name, repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn save_template(
        &self,
        actor: &UserId,
        name: &str,
        body: TemplateBody,
    ) -> Result<Template> {
        self.actor(actor).await?;
        let name = checked_template(name, &body)?;
        Ok(self.ports.repo.put_template(actor, name, &body).await?)
    }

    /// Replaces one of the actor's templates (its name and content; the kind stays). Every
    /// share that uses it by reference shows the new content from now on; visitors who
    /// accepted the old terms or filled in the old form pass that gate again.
    ///
    /// # Errors
    /// [`ServiceError::TemplateNotFound`], [`ServiceError::TemplateKindFixed`], form
    /// errors, a bad name, repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn update_template(
        &self,
        actor: &UserId,
        id: i64,
        name: &str,
        body: TemplateBody,
    ) -> Result<Template> {
        self.actor(actor).await?;
        let name = checked_template(name, &body)?;
        let current = self
            .ports
            .repo
            .get_template(actor, id)
            .await?
            .ok_or(ServiceError::TemplateNotFound)?;
        if current.body.kind() != body.kind() {
            return Err(ServiceError::TemplateKindFixed {
                from: current.body.kind(),
                to: body.kind(),
            });
        }
        self.ports
            .repo
            .update_template(actor, id, name, &body)
            .await?
            .ok_or(ServiceError::TemplateNotFound)
    }

    /// The actor's templates.
    ///
    /// # Errors
    /// Repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn templates(&self, actor: &UserId) -> Result<Vec<Template>> {
        self.actor(actor).await?;
        Ok(self.ports.repo.list_templates(actor).await?)
    }

    /// Deletes one of the actor's templates, unless a share uses it by reference.
    /// Returns whether there was one to delete.
    ///
    /// # Errors
    /// [`ServiceError::TemplateInUse`] naming how many of the actor's shares use it;
    /// repository errors.
    #[tracing::instrument(skip_all, err(Display, level = "debug"))]
    pub async fn delete_template(&self, actor: &UserId, id: i64) -> Result<bool> {
        self.actor(actor).await?;
        let shares = self.shares_using(actor, id).await?;
        if shares > 0 {
            return Err(ServiceError::TemplateInUse { shares });
        }
        Ok(self.ports.repo.delete_template(actor, id).await?)
    }

    /// How many of `owner`'s shares (in any state) reference template `id`.
    async fn shares_using(&self, owner: &UserId, id: i64) -> Result<usize> {
        let mut count = 0;
        let mut after = None;
        loop {
            let page = self
                .ports
                .repo
                .list_shares(&ShareQuery {
                    owner: Some(owner.clone()),
                    name_contains: None,
                    created_from: None,
                    created_to: None,
                    state: None,
                    now: None,
                    after,
                    limit: 500,
                })
                .await?;
            count += page
                .shares
                .iter()
                .filter(|s| {
                    references(&s.requested)
                        .chain(references(&s.settings))
                        .any(|r| r == id)
                })
                .count();
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(count),
            }
        }
    }

    /// A page of shares with their template references resolved.
    pub(super) async fn resolve_page(&self, mut page: SharePage) -> Result<SharePage> {
        for share in &mut page.shares {
            self.resolve_templates(share).await?;
        }
        Ok(page)
    }
}

/// A template's name, trimmed, once name and form are checked.
fn checked_template<'a>(name: &'a str, body: &TemplateBody) -> Result<&'a str> {
    if let TemplateBody::Form { form } = body {
        form.check()?;
    }
    let name = name.trim();
    let max = crate::model::share::MAX_NAME;
    if name.is_empty() || name.chars().count() > max {
        return Err(SettingsError::BadName { max }.into());
    }
    Ok(name)
}

fn lookup(found: &[Template], id: i64) -> Option<TemplateBody> {
    found.iter().find(|t| t.id == id).map(|t| t.body.clone())
}

//! The in-memory TemplateStore.

use super::repository::MemoryRepository;
use crate::ports::repository::*;
use crate::*;
use async_trait::async_trait;

#[async_trait]
impl TemplateStore for MemoryRepository {
    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template, RepoError> {
        let mut st = self.lock();
        let t = Template {
            id: st.id(),
            owner: owner.clone(),
            name: name.to_owned(),
            body: body.clone(),
        };
        st.templates.push(t.clone());
        Ok(t)
    }

    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>, RepoError> {
        Ok(self
            .lock()
            .templates
            .iter()
            .filter(|t| &t.owner == owner)
            .cloned()
            .collect())
    }

    async fn get_template(&self, owner: &UserId, id: i64) -> Result<Option<Template>, RepoError> {
        Ok(self
            .lock()
            .templates
            .iter()
            .find(|t| t.id == id && &t.owner == owner)
            .cloned())
    }

    async fn update_template(
        &self,
        owner: &UserId,
        id: i64,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Option<Template>, RepoError> {
        let mut st = self.lock();
        let found = st
            .templates
            .iter_mut()
            .find(|t| t.id == id && &t.owner == owner);
        Ok(found.map(|t| {
            t.name = name.to_owned();
            t.body = body.clone();
            t.clone()
        }))
    }

    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let before = st.templates.len();
        st.templates.retain(|t| !(t.id == id && &t.owner == owner));
        Ok(st.templates.len() != before)
    }
}

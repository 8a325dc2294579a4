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

    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let before = st.templates.len();
        st.templates.retain(|t| !(t.id == id && &t.owner == owner));
        Ok(st.templates.len() != before)
    }
}

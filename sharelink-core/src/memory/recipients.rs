//! The in-memory RecipientStore.

use super::repository::MemoryRepository;
use crate::ports::repository::*;
use crate::*;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl RecipientStore for MemoryRepository {
    async fn add_recipient(&self, new: NewRecipient) -> Result<Recipient, RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&new.share_id) {
            return Err(RepoError::NotFound("share"));
        }
        let id = RecipientId(st.id());
        let r = Recipient {
            id,
            share_id: new.share_id,
            email: new.email,
            company: new.company,
            note: new.note,
            sent_at: new.sent_at,
            link_code: new.link_code,
            bound_browser: None,
            revoked_at: None,
            expires_at: None,
            last_access_at: None,
        };
        st.recipients.insert(id, r.clone());
        Ok(r)
    }

    async fn list_recipients(&self, share: ShareId) -> Result<Vec<Recipient>, RepoError> {
        Ok(self
            .lock()
            .recipients
            .values()
            .filter(|r| r.share_id == share)
            .cloned()
            .collect())
    }

    async fn get_recipient(
        &self,
        share: ShareId,
        id: RecipientId,
    ) -> Result<Option<Recipient>, RepoError> {
        Ok(self
            .lock()
            .recipients
            .get(&id)
            .filter(|r| r.share_id == share)
            .cloned())
    }

    async fn find_recipient(
        &self,
        share: ShareId,
        code: &str,
    ) -> Result<Option<Recipient>, RepoError> {
        Ok(self
            .lock()
            .recipients
            .values()
            .find(|r| r.share_id == share && r.link_code == code)
            .cloned())
    }

    async fn bind_recipient_browser(
        &self,
        id: RecipientId,
        browser: &BrowserId,
    ) -> Result<Recipient, RepoError> {
        let mut st = self.lock();
        let r = st
            .recipients
            .get_mut(&id)
            .ok_or(RepoError::NotFound("recipient"))?;
        r.bound_browser.get_or_insert_with(|| browser.clone());
        Ok(r.clone())
    }

    async fn replace_link_code(
        &self,
        id: RecipientId,
        code: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let mut st = self.lock();
        let r = st
            .recipients
            .get_mut(&id)
            .ok_or(RepoError::NotFound("recipient"))?;
        r.link_code = code.to_owned();
        r.sent_at = Some(sent_at);
        r.bound_browser = None;
        Ok(())
    }

    async fn active_recipient_shares(
        &self,
        email: &Email,
        path: &SharePath,
        now: OffsetDateTime,
    ) -> Result<Vec<ShareId>, RepoError> {
        let st = self.lock();
        let mut ids: Vec<ShareId> = st
            .recipients
            .values()
            .filter(|r| &r.email == email && r.state(now) == crate::RecipientState::Active)
            .filter_map(|r| st.shares.get(&r.share_id))
            .filter(|s| s.state(now) == crate::ShareState::Active)
            .filter(|s| s.items.iter().any(|i| i.rights_path() == path))
            .map(|s| s.id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn set_recipient_access(
        &self,
        id: RecipientId,
        access: RecipientAccess,
    ) -> Result<Recipient, RepoError> {
        let mut st = self.lock();
        let r = st
            .recipients
            .get_mut(&id)
            .ok_or(RepoError::NotFound("recipient"))?;
        r.revoked_at = access.revoked_at;
        r.expires_at = access.expires_at;
        Ok(r.clone())
    }

    async fn touch_recipient(&self, id: RecipientId, at: OffsetDateTime) -> Result<(), RepoError> {
        let mut st = self.lock();
        let r = st
            .recipients
            .get_mut(&id)
            .ok_or(RepoError::NotFound("recipient"))?;
        r.last_access_at = Some(at);
        Ok(())
    }
}

//! The in-memory ShareStore.

use super::repository::MemoryRepository;
use crate::ports::repository::*;
use crate::*;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl ShareStore for MemoryRepository {
    async fn insert_share(&self, new: NewShare) -> Result<Share, RepoError> {
        let mut st = self.lock();
        if st.shares.values().any(|s| s.key == new.key) {
            return Err(RepoError::KeyTaken);
        }
        let id = ShareId(st.id());
        let share = Share {
            id,
            key: new.key,
            owner: new.owner,
            items: new.items,
            requested: new.requested,
            settings: new.settings,
            adjustments: new.adjustments,
            password_hash: new.password_hash,
            autofill_code: new.autofill_code,
            bound_device: None,
            uses: 0,
            uploaded_bytes: 0,
            reminder_sent_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
        };
        st.shares.insert(id, share.clone());
        Ok(share)
    }

    async fn get_share(&self, id: ShareId) -> Result<Option<Share>, RepoError> {
        Ok(self.lock().shares.get(&id).cloned())
    }

    async fn find_by_key(&self, key: &UrlKey) -> Result<Option<Share>, RepoError> {
        Ok(self.lock().shares.values().find(|s| &s.key == key).cloned())
    }

    async fn update_share(&self, share: &Share) -> Result<(), RepoError> {
        let mut st = self.lock();
        let stored = st
            .shares
            .get_mut(&share.id)
            .ok_or(RepoError::NotFound("share"))?;
        if stored.settings.schedule.expires_at != share.settings.schedule.expires_at {
            stored.reminder_sent_at = None;
        }
        stored.items = share.items.clone();
        stored.requested = share.requested.clone();
        stored.settings = share.settings.clone();
        stored.adjustments = share.adjustments.clone();
        stored.password_hash = share.password_hash.clone();
        stored.autofill_code = share.autofill_code.clone();
        stored.updated_at = share.updated_at;
        Ok(())
    }

    async fn delete_share(&self, id: ShareId) -> Result<bool, RepoError> {
        let mut st = self.lock();
        if st.shares.remove(&id).is_none() {
            return Ok(false);
        }
        st.recipients.retain(|_, r| r.share_id != id);
        st.registrations.retain(|r| r.share_id != id);
        st.sessions.retain(|_, s| s.share_id != id);
        st.codes.retain(|_, c| c.share_id != id);
        st.attempts.retain(|k, _| k.share_id != id);
        st.dedup.retain(|(s, _)| *s != id);
        Ok(true)
    }

    async fn list_shares(&self, q: &ShareQuery) -> Result<SharePage, RepoError> {
        let st = self.lock();
        let now = q.now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let needle = q.name_contains.as_ref().map(|n| n.to_lowercase());
        let mut matching: Vec<&Share> = st
            .shares
            .values()
            .filter(|s| q.owner.as_ref().is_none_or(|o| &s.owner == o))
            .filter(|s| {
                needle
                    .as_ref()
                    .is_none_or(|n| s.settings.name.to_lowercase().contains(n.as_str()))
            })
            .filter(|s| q.created_from.is_none_or(|f| s.created_at >= f))
            .filter(|s| q.created_to.is_none_or(|t| s.created_at < t))
            .filter(|s| q.state.is_none_or(|state| s.state(now) == state))
            .filter(|s| {
                q.after
                    .is_none_or(|c| (s.created_at, s.id) < (c.created_at, c.id))
            })
            .collect();
        matching.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        let limit = q.limit.clamp(1, 1000) as usize;
        let has_more = matching.len() > limit;
        let shares: Vec<Share> = matching.into_iter().take(limit).cloned().collect();
        let next = if has_more {
            shares.last().map(|s| ShareCursor {
                created_at: s.created_at,
                id: s.id,
            })
        } else {
            None
        };
        Ok(SharePage { shares, next })
    }

    async fn count_creation(
        &self,
        owner: &UserId,
        day: time::Date,
        max: u32,
    ) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let count = st.creations.entry((owner.clone(), day)).or_default();
        if *count >= max {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }

    async fn uncount_creation(&self, owner: &UserId, day: time::Date) -> Result<(), RepoError> {
        if let Some(count) = self.lock().creations.get_mut(&(owner.clone(), day)) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }

    async fn reserve_use(
        &self,
        id: ShareId,
        max: u32,
        dedup: Option<&str>,
    ) -> Result<Reservation, RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&id) {
            return Err(RepoError::NotFound("share"));
        }
        if let Some(d) = dedup
            && st.dedup.contains(&(id, d.to_owned()))
        {
            return Ok(Reservation::AlreadyCounted);
        }
        let share = st.shares.get_mut(&id).ok_or(RepoError::NotFound("share"))?;
        if share.uses >= max {
            return Ok(Reservation::Exhausted);
        }
        share.uses += 1;
        if let Some(d) = dedup {
            st.dedup.insert((id, d.to_owned()));
        }
        Ok(Reservation::Reserved)
    }

    async fn refund_use(&self, id: ShareId, dedup: Option<&str>) -> Result<(), RepoError> {
        let mut st = self.lock();
        if let Some(d) = dedup
            && !st.dedup.remove(&(id, d.to_owned()))
        {
            return Ok(());
        }
        if let Some(s) = st.shares.get_mut(&id) {
            s.uses = s.uses.saturating_sub(1);
        }
        Ok(())
    }

    async fn is_counted(&self, id: ShareId, dedup: &str) -> Result<bool, RepoError> {
        Ok(self.lock().dedup.contains(&(id, dedup.to_owned())))
    }

    async fn add_uploaded_bytes(
        &self,
        id: ShareId,
        bytes: u64,
        max: Option<u64>,
    ) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let s = st.shares.get_mut(&id).ok_or(RepoError::NotFound("share"))?;
        let total = s.uploaded_bytes.saturating_add(bytes);
        if max.is_some_and(|m| total > m) {
            return Ok(false);
        }
        s.uploaded_bytes = total;
        Ok(true)
    }

    async fn bind_device(&self, id: ShareId, device: &DeviceId) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let s = st.shares.get_mut(&id).ok_or(RepoError::NotFound("share"))?;
        let bound = s.bound_device.get_or_insert_with(|| device.clone());
        Ok(bound == device)
    }

    async fn mark_reminded(&self, id: ShareId, at: OffsetDateTime) -> Result<bool, RepoError> {
        let mut st = self.lock();
        let Some(s) = st.shares.get_mut(&id) else {
            return Ok(false);
        };
        if s.reminder_sent_at.is_some() {
            return Ok(false);
        }
        s.reminder_sent_at = Some(at);
        Ok(true)
    }
}

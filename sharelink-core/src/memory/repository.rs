//! In-memory share repository and access log.

use crate::model::form::Registration;
use crate::ports::access_log::{AccessLog, LogEvent, LogKind, LogQuery, NewLogEvent, ShareStats};
use crate::ports::repository::*;
use crate::{
    BrowserId, DeviceId, Email, Recipient, RecipientId, RegistrationId, SessionId, Share, ShareId,
    SharePath, UrlKey, UserId, VisitorSession,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    shares: BTreeMap<ShareId, Share>,
    recipients: BTreeMap<RecipientId, Recipient>,
    registrations: Vec<StoredRegistration>,
    sessions: HashMap<String, VisitorSession>,
    codes: HashMap<String, OneTimeCode>,
    attempts: HashMap<AttemptKey, (OffsetDateTime, u32)>,
    dedup: HashSet<(ShareId, String)>,
    templates: Vec<Template>,
}

impl State {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

/// A share repository in memory: every contract of [`ShareRepository`] under one mutex.
#[derive(Debug, Default)]
pub struct MemoryRepository {
    state: Mutex<State>,
}

impl MemoryRepository {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every method mutates at
        // the end), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn window_start(now: OffsetDateTime, window: Duration) -> OffsetDateTime {
    let w = window.whole_seconds().max(1);
    let t = now.unix_timestamp();
    OffsetDateTime::from_unix_timestamp(t - t.rem_euclid(w)).unwrap_or(now)
}

#[async_trait]
impl ShareRepository for MemoryRepository {
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

    async fn count_created_since(
        &self,
        owner: &UserId,
        since: OffsetDateTime,
    ) -> Result<u32, RepoError> {
        let n = self
            .lock()
            .shares
            .values()
            .filter(|s| &s.owner == owner && s.created_at >= since)
            .count();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
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
            .filter(|r| &r.email == email)
            .filter_map(|r| st.shares.get(&r.share_id))
            .filter(|s| s.state(now) == crate::ShareState::Active)
            .filter(|s| s.items.iter().any(|i| i.rights_path() == path))
            .map(|s| s.id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    async fn add_registration(
        &self,
        share: ShareId,
        registration: &Registration,
        at: OffsetDateTime,
        ip: Option<IpAddr>,
    ) -> Result<RegistrationId, RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&share) {
            return Err(RepoError::NotFound("share"));
        }
        let id = RegistrationId(st.id());
        st.registrations.push(StoredRegistration {
            id,
            share_id: share,
            registration: registration.clone(),
            at,
            ip,
        });
        Ok(id)
    }

    async fn list_registrations(
        &self,
        share: ShareId,
    ) -> Result<Vec<StoredRegistration>, RepoError> {
        Ok(self
            .lock()
            .registrations
            .iter()
            .filter(|r| r.share_id == share)
            .cloned()
            .collect())
    }

    async fn insert_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        let mut st = self.lock();
        if !st.shares.contains_key(&session.share_id) {
            return Err(RepoError::NotFound("share"));
        }
        st.sessions
            .insert(session.id.as_str().to_owned(), session.clone());
        Ok(())
    }

    async fn get_session(&self, id: &SessionId) -> Result<Option<VisitorSession>, RepoError> {
        Ok(self.lock().sessions.get(id.as_str()).cloned())
    }

    async fn update_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        let mut st = self.lock();
        let s = st
            .sessions
            .get_mut(session.id.as_str())
            .ok_or(RepoError::NotFound("session"))?;
        *s = session.clone();
        Ok(())
    }

    async fn put_code(&self, code: &OneTimeCode) -> Result<(), RepoError> {
        self.lock()
            .codes
            .insert(code.session_id.as_str().to_owned(), code.clone());
        Ok(())
    }

    async fn check_code(
        &self,
        session: &SessionId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck, RepoError> {
        let mut st = self.lock();
        let Some(pending) = st.codes.get_mut(session.as_str()) else {
            return Ok(CodeCheck::Missing);
        };
        if now >= pending.expires_at {
            st.codes.remove(session.as_str());
            return Ok(CodeCheck::Expired);
        }
        if pending.attempts_left == 0 {
            return Ok(CodeCheck::Wrong { attempts_left: 0 });
        }
        if constant_time_eq(pending.code.as_bytes(), code.as_bytes()) {
            let email = pending.email.clone();
            st.codes.remove(session.as_str());
            return Ok(CodeCheck::Valid(email));
        }
        pending.attempts_left -= 1;
        Ok(CodeCheck::Wrong {
            attempts_left: pending.attempts_left,
        })
    }

    async fn hit_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError> {
        let start = window_start(now, window);
        let mut st = self.lock();
        let entry = st.attempts.entry(key.clone()).or_insert((start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn release_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), RepoError> {
        let start = window_start(now, window);
        if let Some(entry) = self.lock().attempts.get_mut(key)
            && entry.0 == start
        {
            entry.1 = entry.1.saturating_sub(1);
        }
        Ok(())
    }

    async fn attempts(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<u32, RepoError> {
        let start = window_start(now, window);
        Ok(self
            .lock()
            .attempts
            .get(key)
            .filter(|(s, _)| *s == start)
            .map_or(0, |(_, n)| *n))
    }

    async fn clear_attempts(&self, key: &AttemptKey) -> Result<(), RepoError> {
        self.lock().attempts.remove(key);
        Ok(())
    }

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

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An access log in memory.
#[derive(Debug, Default)]
pub struct MemoryAccessLog {
    events: Mutex<Vec<LogEvent>>,
}

impl MemoryAccessLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<LogEvent>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl AccessLog for MemoryAccessLog {
    async fn append(&self, event: &NewLogEvent) -> Result<i64, RepoError> {
        let mut events = self.lock();
        let id = events.last().map_or(1, |e| e.id + 1);
        events.push(LogEvent {
            id,
            event: event.clone(),
        });
        Ok(id)
    }

    async fn query(&self, q: &LogQuery) -> Result<Vec<LogEvent>, RepoError> {
        let events = self.lock();
        Ok(events
            .iter()
            .rev()
            .filter(|e| {
                q.shares
                    .as_ref()
                    .is_none_or(|s| s.contains(&e.event.share_id))
            })
            .filter(|e| q.kinds.as_ref().is_none_or(|k| k.contains(&e.event.kind)))
            .filter(|e| q.from.is_none_or(|f| e.event.at >= f))
            .filter(|e| q.to.is_none_or(|t| e.event.at < t))
            .filter(|e| q.before_id.is_none_or(|b| e.id < b))
            .take(q.limit.clamp(1, 1000) as usize)
            .cloned()
            .collect())
    }

    async fn statistics(&self, share: ShareId) -> Result<ShareStats, RepoError> {
        let events = self.lock();
        let mut stats = ShareStats::default();
        let mut visitors = HashSet::new();
        for e in events
            .iter()
            .map(|e| &e.event)
            .filter(|e| e.share_id == share)
        {
            match e.kind {
                LogKind::Visit => {
                    stats.visits += 1;
                    if let Some(v) = &e.visitor {
                        visitors.insert(v.clone());
                    }
                }
                LogKind::Download | LogKind::DownloadAll => {
                    stats.downloads += 1;
                    stats.bytes_downloaded += e.bytes.unwrap_or(0);
                }
                LogKind::Upload => {
                    stats.uploads += 1;
                    stats.bytes_uploaded += e.bytes.unwrap_or(0);
                }
                LogKind::Denied => stats.denials += 1,
                _ => {}
            }
        }
        stats.unique_visitors = visitors.len() as u64;
        Ok(stats)
    }

    async fn purge_before(&self, cutoff: OffsetDateTime) -> Result<u64, RepoError> {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|e| e.event.at >= cutoff);
        Ok((before - events.len()) as u64)
    }

    async fn delete_share(&self, share: ShareId) -> Result<u64, RepoError> {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|e| e.event.share_id != share);
        Ok((before - events.len()) as u64)
    }
}

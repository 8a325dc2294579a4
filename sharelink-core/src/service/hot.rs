//! The per-process cache of shares found by key and of visitor sessions: opening a link,
//! listing and downloading read them from the store once per
//! [`Config::share_cache`](super::Config) at most, instead of on every request.
//!
//! [`HotShares`] wraps the repository port: every write made through it (this process's
//! own changes: settings, revoke, delete, a use spent or refunded, a device bound, a
//! session opened or through a gate) replaces or drops the entry before it returns, so
//! this process sees its own changes at once; a change made by another process sharing
//! the database is seen once the entry is older than the bound. Only shares found by key
//! are kept (not unknown keys). A session is only ever changed by a visitor passing a
//! gate, so a kept copy can lag the store only by gates passed on another process: the
//! service uses a kept session only when it is through every gate of its share (see
//! `Sharelink::scene`), and reads any other from the store. Use counts are never
//! taken from the cache (limits stay exact).

use crate::model::form::Registration;
use crate::ports::{
    AttemptKey, CodeCheck, NewRecipient, NewShare, OneTimeCode, RecipientAccess, RecipientStore,
    RepoError, Reservation, SharePage, ShareQuery, ShareRepository, ShareStore, StoredRegistration,
    Template, TemplateBody, TemplateStore, VisitorStore,
};
use crate::{
    BrowserId, DeviceId, Email, Recipient, RecipientId, RegistrationId, SessionId, Share, ShareId,
    SharePath, UrlKey, UserId, VisitorSession,
};
use async_trait::async_trait;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::{Date, OffsetDateTime};

/// Most shares kept; past it, stale entries are dropped, then all if still full.
const MAX_ENTRIES: usize = 4096;

/// Most sessions kept (a few hundred bytes each), dropped as shares are.
const MAX_SESSIONS: usize = 16_384;

/// A repository whose `find_by_key` answers from a per-process cache (see the module).
pub(super) struct HotShares {
    inner: Arc<dyn ShareRepository>,
    bound: Duration,
    cache: Mutex<Cache>,
    /// Bumped by every write: a read that began before a write does not fill the cache
    /// with what it read (it may predate the write).
    writes: AtomicU64,
    /// Sessions read or written by this process, with when.
    sessions: Mutex<HashMap<SessionId, (VisitorSession, Instant)>>,
    /// As `writes`, for sessions.
    session_writes: AtomicU64,
}

#[derive(Default)]
struct Cache {
    /// Lower-cased key → share (keys are unique without regard to case).
    ids: HashMap<String, ShareId>,
    shares: HashMap<ShareId, (Share, Instant)>,
}

impl Cache {
    fn get(&self, key: &str, bound: Duration) -> Option<Share> {
        let id = self.ids.get(key)?;
        let (share, read_at) = self.shares.get(id)?;
        // A share whose key changed no longer answers to the old one.
        (read_at.elapsed() < bound && share.key.as_str().eq_ignore_ascii_case(key))
            .then(|| share.clone())
    }

    fn put(&mut self, key: String, share: Share, read_at: Instant, bound: Duration) {
        if self.shares.len() >= MAX_ENTRIES {
            self.shares.retain(|_, (_, at)| at.elapsed() < bound);
            if self.shares.len() >= MAX_ENTRIES {
                self.shares.clear();
            }
            let shares = &self.shares;
            self.ids.retain(|_, id| shares.contains_key(id));
        }
        self.ids.insert(key, share.id);
        self.shares.insert(share.id, (share, read_at));
    }
}

impl HotShares {
    /// `inner` with shares found by key kept for `bound`.
    pub(super) fn new(inner: Arc<dyn ShareRepository>, bound: Duration) -> Self {
        Self {
            inner,
            bound,
            cache: Mutex::default(),
            writes: AtomicU64::new(0),
            sessions: Mutex::default(),
            session_writes: AtomicU64::new(0),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, (VisitorSession, Instant)>> {
        // As `cache`: no invariant a panic could break.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The copy of session `id` this process read or wrote within the bound, if any. It
    /// may lack gates passed on another process since (see the module).
    pub(super) fn cached_session(&self, id: &SessionId) -> Option<VisitorSession> {
        let sessions = self.sessions();
        let (session, at) = sessions.get(id)?;
        (at.elapsed() < self.bound).then(|| session.clone())
    }

    /// Keeps `session`, as the store held it at `at`, unless a session write happened
    /// since `writes` was the count of them.
    fn keep_session(&self, session: &VisitorSession, writes: u64, at: Instant) {
        let mut sessions = self.sessions();
        if self.session_writes.load(Ordering::SeqCst) != writes {
            return;
        }
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, (_, kept)| kept.elapsed() < self.bound);
            if sessions.len() >= MAX_SESSIONS {
                sessions.clear();
            }
        }
        sessions.insert(session.id.clone(), (session.clone(), at));
    }

    /// Runs a write of `session`, then keeps what it wrote. The entry is dropped and the
    /// count of writes bumped before and after the write, so a read running meanwhile
    /// cannot put back what the write replaced.
    async fn writing_session(
        &self,
        session: &VisitorSession,
        write: impl Future<Output = Result<(), RepoError>>,
    ) -> Result<(), RepoError> {
        let forget = || {
            self.session_writes.fetch_add(1, Ordering::SeqCst);
            self.sessions().remove(&session.id);
        };
        forget();
        let out = write.await;
        forget();
        if out.is_ok() {
            let written = self.session_writes.load(Ordering::SeqCst);
            self.keep_session(session, written, Instant::now());
        }
        out
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds no invariant a panic could break half-way.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops `id` from the cache; every write calls it before writing and after.
    fn forget(&self, id: ShareId) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.cache().shares.remove(&id);
    }

    /// Keeps `share`, read from the store under `key` at `read_at`, unless a write
    /// happened since `writes` was the count of writes (what was read may predate it).
    fn keep(&self, key: String, share: &Share, writes: u64, read_at: Instant) {
        let mut cache = self.cache();
        // Checked under the lock: a write after this point forgets the entry.
        if self.writes.load(Ordering::SeqCst) == writes {
            cache.put(key, share.clone(), read_at, self.bound);
        }
    }

    /// Runs a write of share `id`, forgetting the share before and after it (a read
    /// running meanwhile cannot put back what the write replaced).
    async fn writing<T>(&self, id: ShareId, write: impl Future<Output = T>) -> T {
        self.forget(id);
        let out = write.await;
        self.forget(id);
        out
    }
}

impl fmt::Debug for HotShares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotShares")
            .field("inner", &self.inner)
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ShareStore for HotShares {
    async fn insert_share(&self, share: NewShare) -> Result<Share, RepoError> {
        self.inner.insert_share(share).await
    }

    async fn get_share(&self, id: ShareId) -> Result<Option<Share>, RepoError> {
        self.inner.get_share(id).await
    }

    async fn find_by_key(&self, key: &UrlKey) -> Result<Option<Share>, RepoError> {
        let lower = key.as_str().to_ascii_lowercase();
        if let Some(share) = self.cache().get(&lower, self.bound) {
            return Ok(Some(share));
        }
        let (writes, read_at) = (self.writes.load(Ordering::SeqCst), Instant::now());
        let found = self.inner.find_by_key(key).await?;
        if let Some(share) = &found {
            self.keep(lower, share, writes, read_at);
        }
        Ok(found)
    }

    async fn update_share(&self, share: &Share) -> Result<(), RepoError> {
        self.writing(share.id, self.inner.update_share(share)).await
    }

    async fn delete_share(&self, id: ShareId) -> Result<bool, RepoError> {
        self.writing(id, self.inner.delete_share(id)).await
    }

    async fn list_shares(&self, query: &ShareQuery) -> Result<SharePage, RepoError> {
        self.inner.list_shares(query).await
    }

    async fn count_creation(&self, owner: &UserId, day: Date, max: u32) -> Result<bool, RepoError> {
        self.inner.count_creation(owner, day, max).await
    }

    async fn uncount_creation(&self, owner: &UserId, day: Date) -> Result<(), RepoError> {
        self.inner.uncount_creation(owner, day).await
    }

    async fn reserve_use(
        &self,
        id: ShareId,
        max: u32,
        dedup: Option<&str>,
    ) -> Result<Reservation, RepoError> {
        self.writing(id, self.inner.reserve_use(id, max, dedup))
            .await
    }

    async fn refund_use(&self, id: ShareId, dedup: Option<&str>) -> Result<(), RepoError> {
        self.writing(id, self.inner.refund_use(id, dedup)).await
    }

    async fn is_counted(&self, id: ShareId, dedup: &str) -> Result<bool, RepoError> {
        self.inner.is_counted(id, dedup).await
    }

    async fn add_uploaded_bytes(
        &self,
        id: ShareId,
        bytes: u64,
        max: Option<u64>,
    ) -> Result<bool, RepoError> {
        self.writing(id, self.inner.add_uploaded_bytes(id, bytes, max))
            .await
    }

    async fn bind_device(&self, id: ShareId, device: &DeviceId) -> Result<bool, RepoError> {
        self.writing(id, self.inner.bind_device(id, device)).await
    }

    async fn mark_reminded(&self, id: ShareId, at: OffsetDateTime) -> Result<bool, RepoError> {
        self.writing(id, self.inner.mark_reminded(id, at)).await
    }
}

#[async_trait]
impl VisitorStore for HotShares {
    async fn insert_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        self.writing_session(session, self.inner.insert_session(session))
            .await
    }

    /// Always from the store (the copy read is kept): the service decides when a kept
    /// copy will do ([`HotShares::cached_session`]).
    async fn get_session(&self, id: &SessionId) -> Result<Option<VisitorSession>, RepoError> {
        let (writes, at) = (self.session_writes.load(Ordering::SeqCst), Instant::now());
        let found = self.inner.get_session(id).await?;
        if let Some(session) = &found {
            self.keep_session(session, writes, at);
        }
        Ok(found)
    }

    async fn update_session(&self, session: &VisitorSession) -> Result<(), RepoError> {
        self.writing_session(session, self.inner.update_session(session))
            .await
    }

    async fn put_code(&self, code: &OneTimeCode) -> Result<(), RepoError> {
        self.inner.put_code(code).await
    }

    async fn check_code(
        &self,
        session: &SessionId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<CodeCheck, RepoError> {
        self.inner.check_code(session, code, now).await
    }

    async fn hit_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> Result<u32, RepoError> {
        self.inner.hit_attempt(key, now, window).await
    }

    async fn attempts(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> Result<u32, RepoError> {
        self.inner.attempts(key, now, window).await
    }

    async fn release_attempt(
        &self,
        key: &AttemptKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> Result<(), RepoError> {
        self.inner.release_attempt(key, now, window).await
    }

    async fn clear_attempts(&self, key: &AttemptKey) -> Result<(), RepoError> {
        self.inner.clear_attempts(key).await
    }

    async fn add_registration(
        &self,
        share: ShareId,
        registration: &Registration,
        at: OffsetDateTime,
        ip: Option<IpAddr>,
    ) -> Result<RegistrationId, RepoError> {
        self.inner
            .add_registration(share, registration, at, ip)
            .await
    }

    async fn list_registrations(
        &self,
        share: ShareId,
    ) -> Result<Vec<StoredRegistration>, RepoError> {
        self.inner.list_registrations(share).await
    }
}

#[async_trait]
impl RecipientStore for HotShares {
    async fn add_recipient(&self, recipient: NewRecipient) -> Result<Recipient, RepoError> {
        self.inner.add_recipient(recipient).await
    }

    async fn list_recipients(&self, share: ShareId) -> Result<Vec<Recipient>, RepoError> {
        self.inner.list_recipients(share).await
    }

    async fn get_recipient(
        &self,
        share: ShareId,
        id: RecipientId,
    ) -> Result<Option<Recipient>, RepoError> {
        self.inner.get_recipient(share, id).await
    }

    async fn find_recipient(
        &self,
        share: ShareId,
        code: &str,
    ) -> Result<Option<Recipient>, RepoError> {
        self.inner.find_recipient(share, code).await
    }

    async fn bind_recipient_browser(
        &self,
        id: RecipientId,
        browser: &BrowserId,
    ) -> Result<Recipient, RepoError> {
        self.inner.bind_recipient_browser(id, browser).await
    }

    async fn replace_link_code(
        &self,
        id: RecipientId,
        code: &str,
        sent_at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        self.inner.replace_link_code(id, code, sent_at).await
    }

    async fn active_recipient_shares(
        &self,
        email: &Email,
        path: &SharePath,
        now: OffsetDateTime,
    ) -> Result<Vec<ShareId>, RepoError> {
        self.inner.active_recipient_shares(email, path, now).await
    }

    async fn set_recipient_access(
        &self,
        id: RecipientId,
        access: RecipientAccess,
    ) -> Result<Recipient, RepoError> {
        self.inner.set_recipient_access(id, access).await
    }

    async fn touch_recipient(&self, id: RecipientId, at: OffsetDateTime) -> Result<(), RepoError> {
        self.inner.touch_recipient(id, at).await
    }
}

#[async_trait]
impl TemplateStore for HotShares {
    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template, RepoError> {
        self.inner.put_template(owner, name, body).await
    }

    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>, RepoError> {
        self.inner.list_templates(owner).await
    }

    async fn get_template(&self, owner: &UserId, id: i64) -> Result<Option<Template>, RepoError> {
        self.inner.get_template(owner, id).await
    }

    async fn update_template(
        &self,
        owner: &UserId,
        id: i64,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Option<Template>, RepoError> {
        self.inner.update_template(owner, id, name, body).await
    }

    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool, RepoError> {
        self.inner.delete_template(owner, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryRepository;
    use crate::testing::fixtures::{T0, path, user};
    use crate::{ItemKind, ShareItem, ShareSettings};
    use futures::executor::block_on;
    use proptest::prelude::*;

    fn key(k: &str) -> UrlKey {
        UrlKey::parse(k).expect("valid key")
    }

    fn new_share(k: &str) -> NewShare {
        let settings = ShareSettings::named(k);
        NewShare {
            key: key(k),
            owner: user("ana"),
            items: vec![ShareItem::new(path("docs"), ItemKind::Folder, None).expect("item")],
            requested: settings.clone(),
            settings,
            adjustments: Vec::new(),
            password_hash: None,
            autofill_code: None,
            created_at: T0,
        }
    }

    /// A cache over a memory repository holding shares `a`, `b` and `c`, and the
    /// repository itself (a write to it is what another process's write looks like).
    fn stores(bound: Duration) -> (HotShares, Arc<MemoryRepository>, Vec<Share>) {
        let inner = Arc::new(MemoryRepository::new());
        let shares = ["a", "b", "c"]
            .iter()
            .map(|k| block_on(inner.insert_share(new_share(k))).expect("insert"))
            .collect();
        (HotShares::new(inner.clone(), bound), inner, shares)
    }

    fn find(store: &dyn ShareStore, k: &str) -> Option<Share> {
        block_on(store.find_by_key(&key(k))).expect("find")
    }

    fn renamed(mut share: Share, name: &str) -> Share {
        share.settings.name = name.into();
        share
    }

    #[test]
    fn a_share_changed_elsewhere_is_seen_once_the_bound_has_passed() {
        let (hot, inner, shares) = stores(Duration::from_millis(150));
        assert_eq!(find(&hot, "a").expect("found").settings.name, "a");
        // Another process renames it: this one keeps what it read, within the bound.
        block_on(inner.update_share(&renamed(shares[0].clone(), "elsewhere"))).expect("update");
        assert_eq!(
            find(&hot, "A").expect("found").settings.name,
            "a",
            "any case of the key"
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(find(&hot, "a").expect("found").settings.name, "elsewhere");
    }

    #[test]
    fn this_process_sees_its_own_writes_at_once() {
        let (hot, _inner, shares) = stores(Duration::from_secs(60));
        assert!(find(&hot, "a").is_some() && find(&hot, "b").is_some());
        block_on(hot.update_share(&renamed(shares[0].clone(), "here"))).expect("update");
        assert_eq!(find(&hot, "a").expect("found").settings.name, "here");
        assert_eq!(
            block_on(hot.reserve_use(shares[0].id, 5, None)).expect("reserve"),
            Reservation::Reserved
        );
        assert_eq!(find(&hot, "a").expect("found").uses, 1);
        assert!(block_on(hot.delete_share(shares[1].id)).expect("delete"));
        assert_eq!(find(&hot, "b"), None);
    }

    #[test]
    fn no_cache_is_filled_by_a_read_a_write_overtook() {
        let (hot, _inner, shares) = stores(Duration::from_secs(60));
        // A read begins and gets the share as it is...
        let (writes, read_at) = (hot.writes.load(Ordering::SeqCst), Instant::now());
        let old = shares[0].clone();
        // ...a write through the cache ends before the read keeps what it got...
        block_on(hot.update_share(&renamed(shares[0].clone(), "new"))).expect("update");
        hot.keep("a".into(), &old, writes, read_at);
        // ...so it is not kept, and the next read sees the write.
        assert!(!hot.cache().shares.contains_key(&shares[0].id));
        assert_eq!(find(&hot, "a").expect("found").settings.name, "new");
        // A read no write overtook is kept.
        assert!(hot.cache().shares.contains_key(&shares[0].id));
    }

    #[test]
    fn a_full_cache_keeps_working() {
        let inner = Arc::new(MemoryRepository::new());
        let hot = HotShares::new(inner.clone(), Duration::from_secs(60));
        for i in 0..(MAX_ENTRIES + 10) {
            let k = format!("k{i}");
            block_on(inner.insert_share(new_share(&k))).expect("insert");
            assert!(find(&hot, &k).is_some());
        }
        assert!(hot.cache().shares.len() <= MAX_ENTRIES);
        assert!(find(&hot, "k0").is_some() && find(&hot, &format!("k{MAX_ENTRIES}")).is_some());
    }

    fn session(n: u32, share: ShareId) -> VisitorSession {
        VisitorSession::new(
            SessionId::parse(&format!("session{n}")).expect("session id"),
            share,
            BrowserId::parse("browser").expect("browser id"),
            T0,
        )
    }

    fn passed(mut s: VisitorSession) -> VisitorSession {
        s.password_passed = true;
        s
    }

    #[test]
    fn a_session_read_or_written_here_is_kept_within_the_bound() {
        let (hot, inner, shares) = stores(Duration::from_millis(150));
        let s = session(1, shares[0].id);
        assert_eq!(hot.cached_session(&s.id), None, "nothing kept yet");
        block_on(hot.insert_session(&s)).expect("insert");
        assert_eq!(
            hot.cached_session(&s.id),
            Some(s.clone()),
            "kept as written"
        );
        block_on(hot.update_session(&passed(s.clone()))).expect("update");
        assert_eq!(hot.cached_session(&s.id), Some(passed(s.clone())));
        // Written by another process: the copy here lags until the bound has passed...
        let mut elsewhere = passed(s.clone());
        elsewhere.clickwrap_accepted = true;
        block_on(inner.update_session(&elsewhere)).expect("update");
        assert_eq!(hot.cached_session(&s.id), Some(passed(s.clone())));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(hot.cached_session(&s.id), None);
        // ...and a read from the store (always one) keeps what it read.
        assert_eq!(
            block_on(hot.get_session(&s.id)).expect("get"),
            Some(elsewhere.clone())
        );
        assert_eq!(hot.cached_session(&s.id), Some(elsewhere));
    }

    #[test]
    fn no_session_is_kept_by_a_read_a_write_overtook() {
        let (hot, _inner, shares) = stores(Duration::from_secs(60));
        let s = session(1, shares[0].id);
        block_on(hot.insert_session(&s)).expect("insert");
        // A read begins and gets the session as it is...
        let (writes, read_at) = (hot.session_writes.load(Ordering::SeqCst), Instant::now());
        // ...a write through the cache ends before the read keeps what it got...
        block_on(hot.update_session(&passed(s.clone()))).expect("update");
        hot.keep_session(&s, writes, read_at);
        // ...so the written one stays.
        assert_eq!(hot.cached_session(&s.id), Some(passed(s)));
    }

    #[test]
    fn a_full_session_cache_keeps_working() {
        let (hot, _inner, shares) = stores(Duration::from_secs(60));
        for n in 0..u32::try_from(MAX_SESSIONS + 10).expect("small") {
            block_on(hot.insert_session(&session(n, shares[0].id))).expect("insert");
        }
        assert!(hot.sessions().len() <= MAX_SESSIONS);
        let last = session(
            u32::try_from(MAX_SESSIONS + 9).expect("small"),
            shares[0].id,
        );
        assert_eq!(hot.cached_session(&last.id), Some(last));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Find(usize),
        Rename(usize),
        Rekey(usize),
        Reserve(usize),
        Refund(usize),
        Bind(usize),
        Delete(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let i = 0..3usize;
        prop_oneof![
            4 => i.clone().prop_map(Op::Find),
            1 => i.clone().prop_map(Op::Rename),
            1 => i.clone().prop_map(Op::Rekey),
            1 => i.clone().prop_map(Op::Reserve),
            1 => i.clone().prop_map(Op::Refund),
            1 => i.clone().prop_map(Op::Bind),
            1 => i.prop_map(Op::Delete),
        ]
    }

    proptest! {
        /// The rule: whatever this process writes through the cache, a share found by
        /// key is the one the store holds (the cache is never seen stale by its writer).
        #[test]
        fn writes_through_the_cache_are_never_read_stale(ops in proptest::collection::vec(op(), 1..40)) {
            let (hot, inner, shares) = stores(Duration::from_secs(60));
            let ids: Vec<ShareId> = shares.iter().map(|s| s.id).collect();
            let mut keys = ["a", "b", "c"].map(String::from);
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Find(i) => { find(&hot, &keys[i]); }
                    Op::Rename(i) | Op::Rekey(i) => {
                        if let Some(mut s) = block_on(inner.get_share(ids[i])).expect("get") {
                            if matches!(op, Op::Rekey(_)) {
                                keys[i] = format!("{}x{n}", keys[i]);
                                s.key = key(&keys[i]);
                            } else {
                                s.settings.name = format!("name {n}");
                            }
                            block_on(hot.update_share(&s)).expect("update");
                        }
                    }
                    Op::Reserve(i) => { let _ = block_on(hot.reserve_use(ids[i], 3, None)); }
                    Op::Refund(i) => { let _ = block_on(hot.refund_use(ids[i], None)); }
                    Op::Bind(i) => {
                        let device = DeviceId::parse(&format!("device{n}")).expect("device");
                        let _ = block_on(hot.bind_device(ids[i], &device));
                    }
                    Op::Delete(i) => { block_on(hot.delete_share(ids[i])).expect("delete"); }
                }
                for k in keys.iter().chain(["a", "b", "c"].map(String::from).iter()) {
                    prop_assert_eq!(find(&hot, k), find(inner.as_ref(), k), "key {}", k);
                }
            }
        }

        /// The rule for sessions: whatever this process writes or reads through the cache,
        /// a kept session is the one the store holds.
        #[test]
        fn sessions_written_through_the_cache_are_never_kept_stale(
            ops in proptest::collection::vec((0..3u32, 0..4u8), 1..40)
        ) {
            let (hot, inner, shares) = stores(Duration::from_secs(60));
            for (n, what) in ops {
                let fresh = session(n, shares[0].id);
                let stored = block_on(inner.get_session(&fresh.id)).expect("get");
                match (what, stored) {
                    (0, None) => block_on(hot.insert_session(&fresh)).expect("insert"),
                    (1, Some(s)) => block_on(hot.update_session(&passed(s))).expect("update"),
                    (2, Some(mut s)) => {
                        s.clickwrap_accepted = true;
                        block_on(hot.update_session(&s)).expect("update");
                    }
                    _ => { block_on(hot.get_session(&fresh.id)).expect("get"); }
                }
                for n in 0..3 {
                    let id = session(n, shares[0].id).id;
                    if let Some(kept) = hot.cached_session(&id) {
                        prop_assert_eq!(Some(kept), block_on(inner.get_session(&id)).expect("get"));
                    }
                }
            }
        }
    }
}

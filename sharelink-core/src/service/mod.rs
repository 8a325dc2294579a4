//! Use cases over the ports: managing shares (owners and admins) and visiting them.
//!
//! [`Sharelink`] holds every port as `Arc<dyn …>`. Its methods are the whole behaviour of
//! the product; adapters (HTTP, CLI, jobs) only translate to and from them.

mod hot;
mod hot_webhooks;
mod housekeeping;
mod mail;
#[cfg(test)]
mod mail_tests;
mod manage;
mod notify;
#[cfg(test)]
mod notify_tests;
mod recipients;
#[cfg(test)]
mod recipients_tests;
mod reports;
mod send;
#[cfg(test)]
mod settings_tests;
mod site;
#[cfg(test)]
mod site_tests;
mod templates;
#[cfg(test)]
mod templates_tests;
#[cfg(test)]
mod tests;
mod visit;
mod webhooks;
#[cfg(test)]
mod webhooks_tests;

pub use housekeeping::{Housekeeping, Job, JobOutcome, JobPeriods, PeriodError, period_end};
pub use mail::{Delivery, ListMail, MailRetry, MailView};
pub use manage::*;
pub use recipients::*;
pub use reports::{LogExport, MAX_REPORT_DAYS, ReportError, ReportScope};
pub use send::SendBatch;
pub use site::SiteView;
pub use templates::apply_templates;
pub use visit::*;
pub use webhooks::{CreatedWebhook, ListDeliveries, WebhookRun, WebhookView, webhook_payload};

use crate::ports::*;
use crate::{
    Denial, Email, FormError, KeyError, PasswordError, PathError, SettingsError, Share,
    SiteSettings, UserId, truncate_ip,
};
use std::net::IpAddr;
use std::sync::Arc;

/// Every port the services use.
#[derive(Debug, Clone)]
pub struct Ports {
    /// Shares and what hangs off them.
    pub repo: Arc<dyn ShareRepository>,
    /// The access log.
    pub log: Arc<dyn AccessLog>,
    /// Where files live.
    pub files: Arc<dyn FileStore>,
    /// Outgoing email.
    pub mailer: Arc<dyn Mailer>,
    /// The durable queue outgoing email goes through, if any: with one, the use cases
    /// queue mail and [`Sharelink::deliver_mail`] sends it through `mailer`; without, they
    /// send it at once.
    pub mail_queue: Option<Arc<dyn MailQueue>>,
    /// Where owner notifications wait for their hourly digest, if anywhere: without one,
    /// a share that asks for a digest is notified one mail per event.
    pub digests: Option<Arc<dyn DigestStore>>,
    /// Webhook endpoints and their outbox, if webhooks are on: every published event is
    /// also written there for [`Sharelink::deliver_webhooks`].
    pub webhooks: Option<Arc<dyn WebhookStore>>,
    /// How the webhook worker posts deliveries (without one, the worker does nothing).
    pub webhook_transport: Option<Arc<dyn WebhookTransport>>,
    /// The embedder's users and rights.
    pub directory: Arc<dyn PermissionDirectory>,
    /// Lifecycle and visitor events.
    pub events: Arc<dyn EventSink>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness (a CSPRNG in production).
    pub random: Arc<dyn RandomSource>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Where CPU-heavy work runs.
    pub blocking: Arc<dyn BlockingRunner>,
    /// Where the site settings administrators save live. Every process sharing one
    /// database must share this store too (the SQL store's `site_settings()`), or a
    /// change made through one would not reach the others.
    pub site: Arc<dyn SiteSettingsStore>,
}

impl Ports {
    /// The ports an application must bring — where shares, the log, files, mail and users
    /// live — with safe defaults for the rest: no event sink, the system clock, the OS
    /// CSPRNG, argon2id with OWASP's parameters, jobs run inline, and site settings
    /// saved in this process's memory (give several processes one shared store with
    /// [`Ports::with_site_store`]).
    ///
    /// An async server should pass a blocking runner that moves CPU work off the runtime
    /// (`sharelink_http::TokioBlockingRunner`) with [`Ports::with_blocking`].
    pub fn new(
        repo: Arc<dyn ShareRepository>,
        log: Arc<dyn AccessLog>,
        files: Arc<dyn FileStore>,
        mailer: Arc<dyn Mailer>,
        directory: Arc<dyn PermissionDirectory>,
    ) -> Self {
        Self {
            repo,
            log,
            files,
            mailer,
            mail_queue: None,
            digests: None,
            webhooks: None,
            webhook_transport: None,
            directory,
            events: Arc::new(NoEvents),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            hasher: Arc::new(Argon2idHasher::default()),
            blocking: Arc::new(InlineRunner),
            site: Arc::new(crate::memory::MemorySiteSettings::new()),
        }
    }

    /// With another store of site settings (one every process on the database shares).
    #[must_use]
    pub fn with_site_store(mut self, site: Arc<dyn SiteSettingsStore>) -> Self {
        self.site = site;
        self
    }

    /// With another event sink.
    #[must_use]
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// With a durable mail queue: mail is queued and delivered by
    /// [`Sharelink::deliver_mail`].
    #[must_use]
    pub fn with_mail_queue(mut self, queue: Arc<dyn MailQueue>) -> Self {
        self.mail_queue = Some(queue);
        self
    }

    /// With a digest store: shares that ask for a digest have their owner notifications
    /// gathered and mailed by [`Sharelink::send_digests`].
    #[must_use]
    pub fn with_digests(mut self, digests: Arc<dyn DigestStore>) -> Self {
        self.digests = Some(digests);
        self
    }

    /// With webhooks: events go to the outbox in `store`, and
    /// [`Sharelink::deliver_webhooks`] posts them through `transport`
    /// (`sharelink_http::HyperWebhookTransport` in an async server).
    #[must_use]
    pub fn with_webhooks(
        mut self,
        store: Arc<dyn WebhookStore>,
        transport: Arc<dyn WebhookTransport>,
    ) -> Self {
        self.webhooks = Some(store);
        self.webhook_transport = Some(transport);
        self
    }

    /// With another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// With another source of randomness.
    #[must_use]
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// With another password hasher.
    #[must_use]
    pub fn with_hasher(mut self, hasher: Arc<dyn PasswordHasher>) -> Self {
        self.hasher = hasher;
        self
    }

    /// With another blocking runner.
    #[must_use]
    pub fn with_blocking(mut self, blocking: Arc<dyn BlockingRunner>) -> Self {
        self.blocking = blocking;
        self
    }
}

/// Service configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Site policy until an administrator saves other settings (see
    /// [`Sharelink::update_site_settings`]): the initial and fallback value.
    pub site: SiteSettings,
    /// The public address links start with, e.g. `https://files.example.com/s/`; a key
    /// is appended to it.
    pub link_base: String,
    /// Folder of the file store where snapshot copies live (never shared itself).
    pub snapshot_root: crate::SharePath,
    /// Folder of the file store where derived files live, such as the thumbnails of
    /// pictures ([`Sharelink::thumbnail`]). Never shared itself, nor through a parent,
    /// so no visitor lists or downloads it.
    pub cache_root: crate::SharePath,
    /// How queued mail is retried.
    pub mail_retry: MailRetry,
    /// How webhook deliveries are retried (the same kind of schedule as mail).
    pub webhook_retry: MailRetry,
    /// How long this process keeps using the site settings it last read before it reads
    /// them from the [`SiteSettingsStore`] again: a change saved by another process
    /// sharing the database is in effect here within this bound, one saved through this
    /// application (or a clone of it) at once. Measured on the monotonic clock of the
    /// process, not the clock port. Default [`Config::DEFAULT_SITE_CACHE`] (1 s);
    /// [`Duration::ZERO`](std::time::Duration::ZERO) reads the store on every use.
    pub site_cache: std::time::Duration,
    /// How long this process keeps a share it found by its key (opening a link, every
    /// visitor request) before it reads it from the store again: a change another
    /// process sharing the database makes to the share (settings, revoke, delete) is in
    /// effect here within this bound; a change made through this application (or a clone
    /// of it) at once. The same bound applies to a visitor session this process read or
    /// wrote (used only while it is through every gate of its share; one at a gate is
    /// read afresh, as a gate passed on another process may have changed it) and to
    /// "no webhook endpoint wants this owner's events of this type" (an endpoint added
    /// on another process gets this process's events from at most the bound after).
    /// Use counts are never taken from it (limits stay exact). Default
    /// [`Config::DEFAULT_SHARE_CACHE`] (1 s); [`Duration::ZERO`](std::time::Duration::ZERO)
    /// reads the store on every request.
    pub share_cache: std::time::Duration,
}

impl Config {
    /// Default site policy, links under `link_base` (e.g. `https://files.example.com/s/`;
    /// a key is appended to it), snapshot copies under `.sharelink/snapshots`, derived files
    /// (thumbnails) under `.sharelink/cache`.
    pub fn new(link_base: impl Into<String>) -> Self {
        Self {
            site: SiteSettings::default(),
            link_base: link_base.into(),
            snapshot_root: crate::SharePath::parse(".sharelink/snapshots").unwrap_or_default(),
            cache_root: crate::SharePath::parse(".sharelink/cache").unwrap_or_default(),
            mail_retry: MailRetry::default(),
            webhook_retry: MailRetry::default(),
            site_cache: Self::DEFAULT_SITE_CACHE,
            share_cache: Self::DEFAULT_SHARE_CACHE,
        }
    }

    /// Whether `path` lies in (or holds) an area of the store that is never shared: the
    /// snapshot copies and the cache of derived files.
    pub fn is_reserved(&self, path: &crate::SharePath) -> bool {
        [&self.snapshot_root, &self.cache_root]
            .into_iter()
            .any(|area| path.is_root() || path.starts_with(area) || area.starts_with(path))
    }

    /// The default of [`Config::share_cache`]: one second.
    pub const DEFAULT_SHARE_CACHE: std::time::Duration = std::time::Duration::from_secs(1);

    /// With this bound on how stale a share found by key may be in this process when
    /// another process changed it (see [`Config::share_cache`]; zero: no cache).
    #[must_use]
    pub fn with_share_cache(mut self, bound: std::time::Duration) -> Self {
        self.share_cache = bound;
        self
    }

    /// The default of [`Config::site_cache`]: one second.
    pub const DEFAULT_SITE_CACHE: std::time::Duration = std::time::Duration::from_secs(1);

    /// With this bound on how stale the site settings may be in this process when
    /// another process changed them (see [`Config::site_cache`]; zero: no cache).
    #[must_use]
    pub fn with_site_cache(mut self, bound: std::time::Duration) -> Self {
        self.site_cache = bound;
        self
    }

    /// With this retry schedule for queued mail.
    #[must_use]
    pub fn with_mail_retry(mut self, retry: MailRetry) -> Self {
        self.mail_retry = retry;
        self
    }

    /// With this retry schedule for webhook deliveries.
    #[must_use]
    pub fn with_webhook_retry(mut self, retry: MailRetry) -> Self {
        self.webhook_retry = retry;
        self
    }

    /// With this initial site policy (in effect until an administrator saves other
    /// settings).
    #[must_use]
    pub fn with_site(mut self, site: SiteSettings) -> Self {
        self.site = site;
        self
    }
}

/// A mail about `share` under `site`'s branding and notification sender, dates in the
/// share's time zone (see [`Sharelink::mail_about`]).
fn mail_for(
    site: &SiteSettings,
    share: &Share,
    to: Email,
    message: crate::ports::mailer::MailMessage,
) -> crate::ports::mailer::Mail {
    crate::ports::mailer::Mail {
        to,
        to_name: None,
        branding: site.branding.clone(),
        from: site.notification_sender.clone(),
        time_zone: share.settings.schedule.time_zone.clone(),
        locale: None,
        message,
    }
}

/// The sharelink application: every use case.
#[derive(Debug, Clone)]
pub struct Sharelink {
    /// The ports in use: the given ones, measured, the repository behind the share cache.
    ports: Ports,
    /// The ports as given (what [`Sharelink::ports`] hands out, so an application built
    /// from them does not stack a second cache on this one).
    given: Ports,
    /// The cache in front of the repository (the same one as `ports.repo`), when on.
    hot: Option<Arc<hot::HotShares>>,
    /// The webhook store's memory of events nobody wants (the same one as
    /// `ports.webhooks`), when on.
    quiet: Option<Arc<hot_webhooks::QuietOwners>>,
    config: Arc<Config>,
    /// The site settings last read or saved, shared by every clone.
    site_cache: Arc<site::SiteCache>,
}

/// Errors of the use cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A visitor was refused.
    #[error(transparent)]
    Denied(#[from] Denial),
    /// Settings that cannot be accepted.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A bad path.
    #[error(transparent)]
    Path(#[from] PathError),
    /// A bad form or answers.
    #[error(transparent)]
    Form(#[from] FormError),
    /// A bad password.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// A bad key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Only administrators may do this.
    #[error("only administrators may do this")]
    AdminOnly,
    /// The site settings were saved by someone else since the version the change was
    /// based on; nothing was saved.
    #[error("the site settings changed meanwhile (now at version {current}); reload and try again")]
    SiteVersionConflict {
        /// The version stored now.
        current: u64,
    },
    /// The acting user is unknown to the embedder.
    #[error("unknown user")]
    UnknownUser,
    /// The acting user is disabled.
    #[error("this account is disabled")]
    UserDisabled,
    /// The share does not exist or the actor may not see it (indistinguishable on purpose).
    #[error("share not found")]
    ShareNotFound,
    /// The custom link key is taken by another share (keys are unique without regard to
    /// case). "Create if absent" matches on this.
    #[error("this link key is already taken")]
    KeyTaken,
    /// A share's mode (reference or snapshot) is fixed at creation.
    #[error("the mode of a share cannot change")]
    ModeFixed,
    /// The items of a snapshot share are fixed at creation.
    #[error("the items of a snapshot share cannot change")]
    SnapshotItemsFixed,
    /// A new expiry must lie in the future.
    #[error("the new expiry must be in the future")]
    ExpiryInPast,
    /// Only an active (or not yet active) share can be sent to recipients.
    #[error("only an active share can be sent")]
    NotActive,
    /// The site allows one active share per recipient and item, and this recipient has one.
    #[error("{email} already has an active share of `{item}`")]
    RecipientHasShare {
        /// The recipient.
        email: crate::Email,
        /// The item's name.
        item: String,
    },
    /// No recipient with this id on this share, or the actor may not see it.
    #[error("recipient not found")]
    RecipientNotFound,
    /// A batch names more shares than one call may.
    #[error("too many shares in one call (at most {max})")]
    BatchTooLarge {
        /// The most ids one call takes.
        max: usize,
    },
    /// A template some shares use by reference cannot be deleted: they would lose their
    /// form or terms. Unset the reference on those shares (they keep a copy) first.
    #[error("template is used by {shares} share(s); remove it from them first")]
    TemplateInUse {
        /// How many shares use it.
        shares: usize,
    },
    /// A template's kind (form or clickwrap) is fixed: the shares using it expect it.
    #[error("a template cannot change from {from} to {to}")]
    TemplateKindFixed {
        /// The template's kind.
        from: &'static str,
        /// The kind asked for.
        to: &'static str,
    },
    /// The actor may not upload and share in this folder of the file store (or it is
    /// the snapshot area).
    #[error("you may not upload and share in `{0}`")]
    NoUploadRight(String),
    /// No such template, or not the actor's.
    #[error("template not found")]
    TemplateNotFound,
    /// The gate answered is already passed (or not asked by this share).
    #[error("this step is already done")]
    GateAlreadyPassed,
    /// A download-all would hold more files than one archive may.
    #[error("too many files for one archive (at most {max})")]
    TooManyFiles {
        /// The most files one archive holds.
        max: usize,
    },
    /// The uploader's own folder (`{0}`, a visitor path) is taken by a file.
    #[error("`{0}` is a file, so nothing can be uploaded into it")]
    UploaderFolderTaken(crate::SharePath),
    /// An item named at creation does not exist in the file store.
    #[error("`{0}` does not exist")]
    NoSuchItem(String),
    /// A visitor path that must name a folder (to list, to make a folder or upload in, to
    /// move or copy into) names a file, or nothing.
    #[error("`{0}` is not a folder of this share")]
    NotAFolder(crate::SharePath),
    /// A visitor path that must name a file (to download or preview) names a folder.
    #[error("`{0}` is a folder, not a file")]
    NotAFile(crate::SharePath),
    /// The file store failed.
    #[error(transparent)]
    Storage(#[from] FileStoreError),
    /// The repository failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The embedder's directory failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// No queued mail with this id, or the actor may not see it (indistinguishable).
    #[error("mail not found")]
    MailNotFound,
    /// A snapshot share whose copies were purged after it expired cannot serve again.
    #[error("this snapshot share expired and its copies were deleted; create a new share")]
    SnapshotPurged,
    /// Only a dead or expired mail can be sent again.
    #[error("only a dead or expired mail can be retried (this one is {0})")]
    MailNotRetryable(MailState),
    /// Webhooks are not configured (no webhook store).
    #[error("webhooks are not configured on this server")]
    WebhooksOff,
    /// A webhook address that cannot be used.
    #[error(transparent)]
    WebhookUrl(#[from] crate::model::webhook::WebhookUrlError),
    /// No webhook endpoint with this id, or the actor may not see it (indistinguishable).
    #[error("webhook not found")]
    WebhookNotFound,
    /// No webhook delivery with this id, or the actor may not see it (indistinguishable).
    #[error("webhook delivery not found")]
    DeliveryNotFound,
    /// Only a delivered or dead delivery can be replayed.
    #[error("this delivery is still pending")]
    DeliveryPending,
    /// Mail could not be sent.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The blocking pool dropped a job.
    #[error("background work was cancelled")]
    Cancelled,
    /// A report that cannot be answered.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Result of the use cases.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl Sharelink {
    /// The application over `ports`, with `config`. The file store and the mailer are
    /// wrapped in the [`crate::telemetry`] decorators that measure them.
    ///
    /// # Errors
    /// [`SettingsError::Site`] when the site settings contradict themselves.
    pub fn new(mut ports: Ports, config: Config) -> Result<Self> {
        config.site.check()?;
        let given = ports.clone();
        ports.files = Arc::new(crate::telemetry::TimedFileStore(ports.files));
        ports.mailer = Arc::new(crate::telemetry::CountedMailer(ports.mailer));
        let hot = (!config.share_cache.is_zero())
            .then(|| Arc::new(hot::HotShares::new(ports.repo.clone(), config.share_cache)));
        let mut quiet = None;
        if let Some(hot) = &hot {
            ports.repo = hot.clone();
            if let Some(store) = ports.webhooks.take() {
                let q = Arc::new(hot_webhooks::QuietOwners::new(store, config.share_cache));
                ports.webhooks = Some(q.clone());
                quiet = Some(q);
            }
        }
        Ok(Self {
            ports,
            given,
            hot,
            quiet,
            config: Arc::new(config),
            site_cache: Arc::default(),
        })
    }

    /// The ports as given to [`Sharelink::new`] (for adapters that need the same ones).
    /// Writes made to its repository directly, not through this application, are seen
    /// by it within [`Config::share_cache`].
    #[expect(
        clippy::misnamed_getters,
        reason = "the ports as given, not the decorated ones this application uses"
    )]
    pub fn ports(&self) -> &Ports {
        &self.given
    }

    /// Configuration (its `site` is the initial site policy; [`Sharelink::site`] gives
    /// the one in effect).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The public link of a share. With auto-fill on, it carries the access code
    /// (`?code=…`, percent-encoded) so the visitor skips the password prompt: treat it
    /// as a secret.
    pub fn link(&self, share: &Share) -> String {
        self.link_with(share, None)
    }

    /// A recipient's own link (`?r=<code>`), with the access code too under auto-fill.
    fn recipient_link(&self, share: &Share, recipient_code: &str) -> String {
        self.link_with(share, Some(recipient_code))
    }

    fn link_with(&self, share: &Share, recipient_code: Option<&str>) -> String {
        // Every byte but letters and digits is escaped: a code may hold `&`, `#`, `+` or
        // spaces, and each query parser must read back exactly the characters typed.
        let encode = |v: &str| {
            percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let mut query = Vec::new();
        if let Some(r) = recipient_code {
            query.push(format!("r={}", encode(r)));
        }
        if let Some(code) = share
            .autofill_code
            .as_ref()
            .filter(|_| share.settings.password && share.settings.password_autofill)
        {
            query.push(format!("code={}", encode(code.expose())));
        }
        let mut link = format!("{}{}", self.config.link_base, share.key.as_str());
        if !query.is_empty() {
            link.push('?');
            link.push_str(&query.join("&"));
        }
        link
    }

    /// A mail about `share`, sent on the site's behalf: the site's branding, its
    /// notification sender as the From address (when set), and dates in the share's
    /// time zone.
    ///
    /// # Errors
    /// The site settings cannot be read.
    async fn mail_about(
        &self,
        share: &Share,
        to: Email,
        message: crate::ports::mailer::MailMessage,
    ) -> Result<crate::ports::mailer::Mail> {
        Ok(mail_for(
            &self.site_shared().await?.settings,
            share,
            to,
            message,
        ))
    }

    fn token(&self, len: usize) -> String {
        self.ports
            .random
            .string_from(crate::model::token::TOKEN_ALPHABET, len)
    }

    fn now(&self) -> time::OffsetDateTime {
        self.ports.clock.now()
    }

    /// The address as the log should keep it (truncated when the site asks; none at all
    /// when the site settings cannot be read, as the log is best effort and privacy
    /// comes first).
    async fn log_ip(&self, ip: Option<IpAddr>) -> Option<IpAddr> {
        let p = self.site_shared().await.ok()?.settings.log_privacy;
        ip.map(|ip| {
            if p.truncate_ip {
                truncate_ip(ip, p.ipv4_prefix, p.ipv6_prefix)
            } else {
                ip
            }
        })
    }

    async fn hash(&self, password: crate::PlainPassword) -> Result<crate::PasswordHash> {
        let hasher = Arc::clone(&self.ports.hasher);
        run_blocking(self.ports.blocking.as_ref(), move || hasher.hash(&password))
            .await
            .ok_or(ServiceError::Cancelled)?
            .map_err(ServiceError::from)
    }

    async fn verify(
        &self,
        password: crate::PlainPassword,
        hash: crate::PasswordHash,
    ) -> Result<bool> {
        let hasher = Arc::clone(&self.ports.hasher);
        run_blocking(self.ports.blocking.as_ref(), move || {
            hasher.verify(&password, &hash)
        })
        .await
        .ok_or(ServiceError::Cancelled)
    }

    async fn owner_email(&self, owner: &UserId) -> Option<Email> {
        self.ports
            .directory
            .user(owner)
            .await
            .ok()
            .flatten()
            .and_then(|u| u.email)
    }
}

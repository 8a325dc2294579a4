//! In-memory reference adapters of every port, for tests (core's and users').

mod access_log;
mod digest;
mod file_store;
mod lease;
mod mail_queue;
mod mailer;
mod recipients;
mod repository;
mod shares;
mod site;
mod support;
mod templates;
mod visitors;
mod webhooks;

pub use access_log::MemoryAccessLog;
pub use digest::MemoryDigests;
pub use file_store::MemoryFileStore;
pub use lease::MemoryLease;
pub use mail_queue::MemoryMailQueue;
pub use mailer::MemoryMailer;
pub use repository::MemoryRepository;
pub use site::MemorySiteSettings;
pub use support::{ManualClock, MemoryDirectory, MemoryEvents, SeededRandom};
pub use webhooks::{MemoryWebhookStore, MemoryWebhookTransport};

use crate::model::password::Argon2Params;
use crate::ports::{Argon2idHasher, InlineRunner};
use crate::service::Ports;
use std::sync::Arc;
use time::OffsetDateTime;

/// Every port in memory, with typed handles to each part so a test can look inside (the
/// mail sent, the events published) or act on it (advance the clock, grant rights).
///
/// ```
/// use sharelink_core::memory::InMemory;
/// use sharelink_core::service::{Config, Sharelink};
/// use time::macros::datetime;
///
/// let mem = InMemory::new(datetime!(2026-11-23 09:00 UTC));
/// let app = Sharelink::new(mem.ports(), Config::new("https://files.example.com/s/")).unwrap();
/// assert!(mem.mailer.sent().is_empty());
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct InMemory {
    /// Shares and what hangs off them.
    pub repo: Arc<MemoryRepository>,
    /// The access log.
    pub log: Arc<MemoryAccessLog>,
    /// Files.
    pub files: Arc<MemoryFileStore>,
    /// Mail sent.
    pub mailer: Arc<MemoryMailer>,
    /// The mail queue (not in [`InMemory::ports`]: add it with
    /// [`Ports::with_mail_queue`] to test queued delivery).
    pub mail_queue: Arc<MemoryMailQueue>,
    /// Owner notifications waiting for their digest.
    pub digests: Arc<MemoryDigests>,
    /// Users and their rights.
    pub directory: Arc<MemoryDirectory>,
    /// Events published.
    pub events: Arc<MemoryEvents>,
    /// A clock that moves only when told.
    pub clock: Arc<ManualClock>,
    /// Seeded, repeatable randomness.
    pub random: Arc<SeededRandom>,
    /// The site settings administrators saved.
    pub site: Arc<MemorySiteSettings>,
}

impl InMemory {
    /// Empty stores, the clock at `start`, randomness seeded with 7.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            repo: Arc::new(MemoryRepository::new()),
            log: Arc::new(MemoryAccessLog::new()),
            files: Arc::new(MemoryFileStore::new()),
            mailer: Arc::new(MemoryMailer::new()),
            mail_queue: Arc::new(MemoryMailQueue::new()),
            digests: Arc::new(MemoryDigests::new()),
            directory: Arc::new(MemoryDirectory::new()),
            events: Arc::new(MemoryEvents::new()),
            clock: Arc::new(ManualClock::new(start)),
            random: Arc::new(SeededRandom::new(7)),
            site: Arc::new(MemorySiteSettings::new()),
        }
    }

    /// The ports over these parts, with argon2id at its cheap testing cost and jobs run
    /// inline (override with [`Ports`]'s `with_*` methods).
    pub fn ports(&self) -> Ports {
        Ports::new(
            self.repo.clone(),
            self.log.clone(),
            self.files.clone(),
            self.mailer.clone(),
            self.directory.clone(),
        )
        .with_events(self.events.clone())
        .with_digests(self.digests.clone())
        .with_clock(self.clock.clone())
        .with_random(self.random.clone())
        .with_hasher(Arc::new(Argon2idHasher::new(Argon2Params::TESTING)))
        .with_blocking(Arc::new(InlineRunner))
        .with_site_store(self.site.clone())
    }
}

//! Ports: the traits through which core reaches storage, databases, mail and the embedder.
//!
//! Each method documents what MUST happen; the `conformance` feature turns every contract
//! bullet into a test that adapters run.

pub mod access_log;
pub mod blocking;
pub mod clock;
pub mod digest;
pub mod directory;
pub mod events;
pub mod file_store;
pub mod hasher;
pub mod lease;
pub mod mail_queue;
pub mod mailer;
pub mod random;
pub mod recipients;
pub mod repository;
pub mod shares;
pub mod site;
pub mod templates;
pub mod visitors;
pub mod webhooks;

pub use access_log::{
    AccessLog, DailyQuery, DayStats, LogEvent, LogKind, LogQuery, NewLogEvent, ShareStats,
    every_day,
};
pub use blocking::{BlockingJob, BlockingRunner, InlineRunner, run_blocking};
pub use clock::{Clock, SystemClock};
pub use digest::{DigestEntry, DigestEntryId, DigestStore, NewDigestEntry};
pub use directory::{DirectoryError, PermissionDirectory, UserInfo};
pub use events::{EventSink, NoEvents, RecipientChange, ShareEvent};
pub use file_store::{
    ByteRange, ByteStream, Entry, EntryKind, FileRead, FileStore, FileStoreError, WriteOptions,
};
pub use hasher::{Argon2idHasher, PasswordHasher};
pub use lease::Lease;
pub use mail_queue::{
    Failure, MailQuery, MailQueue, MailState, NewQueuedMail, QueuedMail, QueuedMailId,
};
pub use mailer::{DefaultRenderer, MailRenderer, RenderError, RenderedMail};
pub use mailer::{Mail, MailError, MailMessage, Mailer, Secret, send_each};
pub use random::{OsRandom, RandomSource, RandomSourceExt};
pub use repository::{
    AttemptKey, CodeCheck, NewRecipient, NewShare, OneTimeCode, RecipientAccess, RecipientStore,
    RepoError, Reservation, ShareCursor, SharePage, ShareQuery, ShareRepository, ShareStore,
    StoredRegistration, Template, TemplateBody, TemplateStore, VisitorStore,
};
pub use site::{SiteSaveError, SiteSettingsStore, StoredSite};
pub use webhooks::{
    DeliveryFailure, DeliveryQuery, DeliveryState, NewWebhookEndpoint, NewWebhookEvent,
    WebhookDelivery, WebhookDeliveryId, WebhookEndpoint, WebhookEndpointId, WebhookError,
    WebhookRequest, WebhookStore, WebhookTransport,
};

/// Source error of an adapter, kept for diagnostics.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

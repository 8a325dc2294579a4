//! Email for sharelink: the mailer port of `sharelink-core` over SMTP (lettre, async,
//! TLS by rustls), and an outbox that writes each message to a folder for development.
//!
//! - [`SmtpMailer`] sends through an SMTP server configured with [`SmtpConfig`] (host,
//!   port, [`TlsMode`]: none, STARTTLS or implicit TLS, credentials, sender, timeouts),
//!   in code or from a URL such as `smtp://user:pass@host:587?tls=starttls` or
//!   `smtps://user:pass@host`.
//! - [`OutboxMailer`] writes `.eml` files into a folder (the demo server's default).
//!
//! Both render every message through a
//! [`MailRenderer`](sharelink_core::ports::mailer::MailRenderer), by default this crate's
//! [`TemplateRenderer`]: minijinja templates (embedded defaults, any of them or the
//! stylesheet replaceable with a [`MailTheme`]) worded with Fluent in English, French,
//! German and Simplified Chinese — the mail's own language
//! ([`Mail::locale`](sharelink_core::ports::Mail::locale), the visitor's for the mails a
//! visitor asks for), else the theme's default. The result is a one-line
//! subject, a plain-text part and an HTML part in which all user text is escaped, sent
//! as `multipart/alternative`. The From name and the site title come from each mail's
//! [`Branding`](sharelink_core::Branding). The From address is the mailer's configured
//! sender, unless the mail names the site's own (`Mail::from`, from
//! `SiteSettings::notification_sender`): then that is the From, and the configured
//! sender goes in a `Sender` header and stays the SMTP envelope sender, so bounces and
//! SPF stay with the mail server. Headers are built with lettre's typed
//! builders only, and names and subjects are reduced to one line first, so no user text
//! can add a header or a recipient. One [`Mail`](sharelink_core::ports::Mail) is one
//! message to one recipient; for many, use
//! [`send_each`](sharelink_core::ports::send_each), which reports each outcome.
//!
//! ```
//! use sharelink_core::Email;
//! use sharelink_core::ports::{Mail, MailMessage, Mailer, Secret};
//! use sharelink_mail::{OutboxMailer, SmtpConfig, SmtpMailer, TlsMode};
//!
//! let sender = Email::parse("noreply@files.example.com")?;
//!
//! // SMTP: nothing is sent, and no connection opened, until the first message.
//! let config = SmtpConfig::from_url(
//!     "smtp://mailer:s3cret@smtp.example.com:587?tls=starttls&timeout=10",
//!     sender.clone(),
//! )?;
//! assert_eq!(config.tls, TlsMode::StartTls);
//! let _smtp = SmtpMailer::new(config)?;
//!
//! // Outbox: each message becomes an .eml file.
//! let dir = tempfile::tempdir()?;
//! let outbox = OutboxMailer::new(dir.path(), sender)?;
//! let mail = Mail {
//!     to: Email::parse("ana@example.com")?,
//!     to_name: Some("Ana".into()),
//!     branding: Default::default(),
//!     from: None,
//!     time_zone: None,
//!     locale: None,
//!     message: MailMessage::LinkResent {
//!         share_name: "Plans".into(),
//!         link: Secret("https://files.example.com/s/4Hq2".into()),
//!     },
//! };
//! tokio::runtime::Runtime::new()?.block_on(outbox.send(&mail))?;
//! assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `testing` | no | [`testing`]: [`MailDev`](testing::MailDev), which reads the messages a MailDev SMTP server captured through its JSON API (for this crate's tests and the embedder's); brings in reqwest and serde_json |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod error;
mod i18n;
mod message;
mod outbox;
mod render;
mod smtp;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use config::{DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT, SmtpConfig, SmtpCredentials, TlsMode};
pub use error::ConfigError;
pub use i18n::TranslationError;
pub use outbox::OutboxMailer;
pub use render::{MailTheme, TemplateRenderer, ThemeError};
pub use smtp::SmtpMailer;

//! The SMTP mailer: lettre's async transport on Tokio, TLS by rustls, pooled connections.

use crate::error::from_smtp;
use crate::{ConfigError, SmtpConfig, TlsMode, message};
use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sharelink_core::Email;
use sharelink_core::ports::mailer::MailRenderer;
use sharelink_core::ports::{Mail, MailError, Mailer};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Sends sharelink's emails through an SMTP server.
///
/// Each [`Mail`] becomes one message to one recipient, with a plain-text and an HTML
/// part rendered by a [`MailRenderer`] (the default [`MailTheme`](crate::MailTheme)'s
/// [`TemplateRenderer`](crate::TemplateRenderer) unless [`SmtpMailer::with_renderer`] says
/// otherwise). To send to many recipients, use
/// [`send_each`](sharelink_core::ports::send_each): each recipient's outcome is
/// reported and one failure does not stop the rest.
///
/// Connections are opened on the first send (so the mailer can be built outside a
/// runtime), then pooled; sends must run on a Tokio runtime, and a mailer should stay
/// on the runtime it first sent from.
///
/// Errors: a permanent refusal (5xx) is [`MailError::Rejected`], a temporary one (4xx)
/// [`MailError::Deferred`], a connection, TLS or timeout failure
/// [`MailError::Unreachable`], a message that cannot be built [`MailError::Build`].
pub struct SmtpMailer {
    builder: AsyncSmtpTransportBuilder,
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    sender: Email,
    renderer: Arc<dyn MailRenderer>,
    endpoint: String,
    timeout: Duration,
}

impl SmtpMailer {
    /// Name used in errors.
    const NAME: &'static str = "smtp";

    /// A mailer for `config`. Nothing is sent and no connection is opened yet.
    ///
    /// # Errors
    /// [`ConfigError`] when the configuration is unsafe (see [`SmtpConfig::check`]) or
    /// TLS cannot be prepared.
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => {
                Tls::Required(TlsParameters::new(config.host.clone()).map_err(ConfigError::Tls)?)
            }
            TlsMode::Implicit => {
                Tls::Wrapper(TlsParameters::new(config.host.clone()).map_err(ConfigError::Tls)?)
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(config.max_connections.max(1)));
        if let Some(credentials) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                credentials.username.clone(),
                credentials.password.0.clone(),
            ));
        }
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        Ok(Self {
            builder,
            transport: OnceLock::new(),
            sender: config.sender,
            renderer: crate::render::default_renderer(),
            endpoint: format!("{}:{} ({:?})", config.host, config.port, config.tls),
            timeout: config.timeout,
        })
    }

    /// Renders messages with `renderer` instead of the default [`MailTheme`](crate::MailTheme)'s
    /// [`TemplateRenderer`](crate::TemplateRenderer).
    pub fn with_renderer(mut self, renderer: Arc<dyn MailRenderer>) -> Self {
        self.renderer = renderer;
        self
    }

    /// Connects to the server and says hello (and authenticates), without sending.
    ///
    /// # Errors
    /// [`MailError::Unreachable`] when the server cannot be reached; other kinds when it
    /// answers but refuses.
    pub async fn check_connection(&self) -> Result<(), MailError> {
        match tokio::time::timeout(self.timeout, self.transport().test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(MailError::Unreachable {
                mailer: Self::NAME,
                source: format!("{} did not accept a connection", self.endpoint).into(),
            }),
            Ok(Err(e)) => Err(from_smtp(Self::NAME, e, &self.sender)),
            Err(elapsed) => Err(self.timed_out(elapsed)),
        }
    }

    fn timed_out(&self, elapsed: tokio::time::error::Elapsed) -> MailError {
        MailError::Unreachable {
            mailer: Self::NAME,
            source: Box::new(elapsed),
        }
    }

    fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.transport.get_or_init(|| self.builder.clone().build())
    }
}

impl fmt::Debug for SmtpMailer {
    // The builder holds the credentials: show where mail goes, not how we log in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("endpoint", &self.endpoint)
            .field("sender", &self.sender)
            .field("renderer", &self.renderer)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let rendered = self
            .renderer
            .render(mail)
            .map_err(|e| MailError::render(Self::NAME, e))?;
        let message = message::build(Self::NAME, mail, &rendered, &self.sender)?;
        // lettre bounds each command, not the greeting nor the whole exchange: bound it here.
        match tokio::time::timeout(self.timeout, self.transport().send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(from_smtp(Self::NAME, e, &mail.to)),
            Err(elapsed) => Err(self.timed_out(elapsed)),
        }
    }
}

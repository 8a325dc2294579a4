//! Errors of configuration, and the mapping of lettre's errors into the port's
//! [`MailError`].

use lettre::transport::smtp::response::Category;
use sharelink_core::Email;
use sharelink_core::ports::MailError;
use std::path::PathBuf;

/// A mailer that could not be configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The SMTP URL does not parse.
    #[error("invalid SMTP URL")]
    InvalidUrl(#[source] url::ParseError),
    /// The URL's scheme is neither `smtp` nor `smtps`.
    #[error("unsupported scheme {0:?} (expected smtp or smtps)")]
    UnsupportedScheme(String),
    /// No server host.
    #[error("the SMTP server host is missing")]
    MissingHost,
    /// A URL parameter this crate does not know (a typo, most likely).
    #[error("unknown SMTP URL parameter {0:?}")]
    UnknownParameter(String),
    /// A URL parameter with a value that does not parse.
    #[error("invalid value {value:?} for SMTP URL parameter {name:?}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// Its value.
        value: String,
    },
    /// `smtps://` together with another `tls` mode.
    #[error("smtps:// means implicit TLS; it cannot be combined with another tls mode")]
    ConflictingTls,
    /// Credentials would be sent in clear over the network.
    #[error(
        "refusing to send SMTP credentials without TLS to {host}; use tls=starttls or smtps://"
    )]
    CredentialsWithoutTls {
        /// The server.
        host: String,
    },
    /// The TLS settings could not be prepared.
    #[error("could not prepare TLS for the SMTP server")]
    Tls(#[source] lettre::transport::smtp::Error),
    /// The outbox folder could not be created.
    #[error("could not create the outbox folder {path}")]
    Outbox {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Maps an SMTP transport error for a message to `recipient`.
pub(crate) fn from_smtp(
    mailer: &'static str,
    error: lettre::transport::smtp::Error,
    recipient: &Email,
) -> MailError {
    let reason = error.to_string();
    let auth_problem = error
        .status()
        .is_some_and(|code| code.category == Category::Unspecified3);
    if error.is_permanent() && !auth_problem {
        MailError::Rejected {
            mailer,
            recipient: recipient.clone(),
            reason,
            source: Some(Box::new(error)),
        }
    } else if error.is_transient() && !auth_problem {
        MailError::Deferred {
            mailer,
            recipient: recipient.clone(),
            reason,
            source: Some(Box::new(error)),
        }
    } else if error.is_client() || auth_problem {
        // This client could not speak to the server as configured, or the server refused
        // to let us authenticate: not a matter of reachability nor of this recipient.
        MailError::Other {
            mailer,
            source: Box::new(error),
        }
    } else {
        // Connection refused, DNS, TLS handshake, timeouts, a dropped connection or a
        // garbled reply.
        MailError::Unreachable {
            mailer,
            source: Box::new(error),
        }
    }
}

/// Maps an error of lettre's message builder.
pub(crate) fn from_build(
    mailer: &'static str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> MailError {
    MailError::Build {
        mailer,
        reason: error.to_string(),
        source: Some(Box::new(error)),
    }
}

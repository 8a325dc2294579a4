//! SMTP configuration: server, TLS mode, credentials, sender, timeouts; from code or a URL.

use crate::ConfigError;
use sharelink_core::Email;
use sharelink_core::ports::Secret;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain SMTP, no encryption (only for a server on the same machine or network).
    None,
    /// Plain connection upgraded with STARTTLS; the upgrade is required (default port 587).
    StartTls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Implicit,
}

impl TlsMode {
    /// The usual port for this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Implicit => 465,
        }
    }
}

/// A user name and password for SMTP authentication (the password never shows in
/// `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Secret,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// Everything [`SmtpMailer`](crate::SmtpMailer) needs to reach a server.
///
/// Build it with [`SmtpConfig::new`] and adjust the public fields, or from a URL with
/// [`SmtpConfig::from_url`]:
///
/// ```
/// use sharelink_mail::{SmtpConfig, TlsMode};
/// use sharelink_core::Email;
///
/// let sender = Email::parse("noreply@files.example.com").unwrap();
/// let config = SmtpConfig::from_url(
///     "smtp://mailer:s3cret@smtp.example.com:587?tls=starttls&timeout=20",
///     sender,
/// )
/// .unwrap();
/// assert_eq!(config.host, "smtp.example.com");
/// assert_eq!(config.tls, TlsMode::StartTls);
/// assert_eq!(config.credentials.unwrap().username, "mailer");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmtpConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
    /// Credentials, if the server wants authentication.
    pub credentials: Option<SmtpCredentials>,
    /// The address emails come from (the display name comes from each mail's branding).
    pub sender: Email,
    /// Longest time one message may take to send, connecting included (also the limit
    /// for each SMTP command).
    pub timeout: Duration,
    /// Name sent in `EHLO` (default: this machine's host name).
    pub hello_name: Option<String>,
    /// Most connections kept open to the server at once.
    pub max_connections: u32,
}

/// Default [`SmtpConfig::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`SmtpConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4;

impl SmtpConfig {
    /// A configuration for `host` on the usual port of `tls`, without credentials.
    pub fn new(host: impl Into<String>, tls: TlsMode, sender: Email) -> Self {
        Self {
            host: host.into(),
            port: tls.default_port(),
            tls,
            credentials: None,
            sender,
            timeout: DEFAULT_TIMEOUT,
            hello_name: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Reads a configuration from a URL:
    /// `smtp://[user:password@]host[:port][?tls=none|starttls][&timeout=SECONDS][&hello=NAME][&max_connections=N]`,
    /// or `smtps://…` for implicit TLS. User name and password are percent-decoded.
    /// `smtp://` without `tls` is plain SMTP; the port defaults to the mode's usual one.
    ///
    /// # Errors
    /// [`ConfigError`] when the URL does not parse, names another scheme, has no host,
    /// an unknown or invalid parameter, conflicting TLS settings, or credentials to be
    /// sent without TLS to a host other than this machine.
    pub fn from_url(url: &str, sender: Email) -> Result<Self, ConfigError> {
        let url = Url::parse(url).map_err(ConfigError::InvalidUrl)?;
        let smtps = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(ConfigError::UnsupportedScheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(ConfigError::MissingHost),
        };
        if host.is_empty() {
            return Err(ConfigError::MissingHost);
        }
        let mut tls = None;
        let mut timeout = DEFAULT_TIMEOUT;
        let mut hello_name = None;
        let mut max_connections = DEFAULT_MAX_CONNECTIONS;
        for (name, value) in url.query_pairs() {
            let invalid = || ConfigError::InvalidParameter {
                name: name.to_string(),
                value: value.to_string(),
            };
            match &*name {
                "tls" => {
                    tls = Some(match &*value {
                        "none" => TlsMode::None,
                        "starttls" => TlsMode::StartTls,
                        "implicit" => TlsMode::Implicit,
                        _ => return Err(invalid()),
                    });
                }
                "timeout" => {
                    let seconds: f64 = value.parse().map_err(|_| invalid())?;
                    timeout = Duration::try_from_secs_f64(seconds)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .ok_or_else(invalid)?;
                }
                "hello" => {
                    if value.is_empty() || !value.chars().all(|c| c.is_ascii_graphic()) {
                        return Err(invalid());
                    }
                    hello_name = Some(value.to_string());
                }
                "max_connections" => {
                    max_connections = value.parse().ok().filter(|n| *n > 0).ok_or_else(invalid)?;
                }
                _ => return Err(ConfigError::UnknownParameter(name.to_string())),
            }
        }
        let tls = match (smtps, tls) {
            (true, None | Some(TlsMode::Implicit)) => TlsMode::Implicit,
            (true, Some(_)) => return Err(ConfigError::ConflictingTls),
            (false, Some(mode)) => mode,
            (false, None) => TlsMode::None,
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some(SmtpCredentials {
                username: decode(url.username()),
                password: Secret(decode(url.password().unwrap_or_default())),
            })
        };
        let config = Self {
            port: url.port().unwrap_or(tls.default_port()),
            host,
            tls,
            credentials,
            sender,
            timeout,
            hello_name,
            max_connections,
        };
        config.check()?;
        Ok(config)
    }

    /// Checks that the configuration is usable and safe.
    ///
    /// # Errors
    /// [`ConfigError::MissingHost`] for an empty host;
    /// [`ConfigError::CredentialsWithoutTls`] when a password would cross the network in
    /// clear (credentials with [`TlsMode::None`] to a host other than this machine).
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.host.is_empty() {
            return Err(ConfigError::MissingHost);
        }
        if self.credentials.is_some() && self.tls == TlsMode::None && !is_loopback(&self.host) {
            return Err(ConfigError::CredentialsWithoutTls {
                host: self.host.clone(),
            });
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Email {
        Email::parse("noreply@example.com").unwrap()
    }

    /// URL, then the host, port, TLS mode and credentials read from it.
    type UrlCase = (
        &'static str,
        &'static str,
        u16,
        TlsMode,
        Option<(&'static str, &'static str)>,
    );

    #[test]
    fn urls() {
        let cases: &[UrlCase] = &[
            (
                "smtp://127.0.0.1:1025",
                "127.0.0.1",
                1025,
                TlsMode::None,
                None,
            ),
            (
                "smtp://mail.example.com",
                "mail.example.com",
                25,
                TlsMode::None,
                None,
            ),
            (
                "smtp://u:p@mail.example.com?tls=starttls",
                "mail.example.com",
                587,
                TlsMode::StartTls,
                Some(("u", "p")),
            ),
            (
                "smtps://a%40b.com:p%2Bw%20d@mail.example.com",
                "mail.example.com",
                465,
                TlsMode::Implicit,
                Some(("a@b.com", "p+w d")),
            ),
            (
                "smtp://mail.example.com:2465?tls=implicit",
                "mail.example.com",
                2465,
                TlsMode::Implicit,
                None,
            ),
            (
                "smtp://u:p@localhost:1025",
                "localhost",
                1025,
                TlsMode::None,
                Some(("u", "p")),
            ),
            ("smtp://[::1]:25", "::1", 25, TlsMode::None, None),
        ];
        for (url, host, port, tls, creds) in cases {
            let c = SmtpConfig::from_url(url, sender()).unwrap();
            assert_eq!((&*c.host, c.port, c.tls), (*host, *port, *tls), "{url}");
            let got = c
                .credentials
                .as_ref()
                .map(|c| (c.username.as_str(), c.password.0.as_str()));
            assert_eq!(got, *creds, "{url}");
        }
    }

    #[test]
    fn options() {
        let c = SmtpConfig::from_url(
            "smtp://h.example.com?timeout=2.5&hello=me.example.com&max_connections=9",
            sender(),
        )
        .unwrap();
        assert_eq!(c.timeout, Duration::from_millis(2500));
        assert_eq!(c.hello_name.as_deref(), Some("me.example.com"));
        assert_eq!(c.max_connections, 9);
    }

    #[test]
    fn bad_urls() {
        for url in [
            "not a url",
            "http://h.example.com",
            "smtp://h.example.com?tls=maybe",
            "smtp://h.example.com?timeout=0",
            "smtp://h.example.com?timeout=-1",
            "smtp://h.example.com?timeout=soon",
            "smtp://h.example.com?max_connections=0",
            "smtp://h.example.com?pasword=x",
            "smtps://h.example.com?tls=starttls",
            "smtp://u:p@h.example.com",
            "smtp://u:p@h.example.com?tls=none",
        ] {
            assert!(SmtpConfig::from_url(url, sender()).is_err(), "{url}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let c = SmtpConfig::from_url("smtps://u:hunter2@h.example.com", sender()).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

//! Reading mail back from MailDev in tests (feature `testing`).
//!
//! [MailDev](https://github.com/maildev/maildev) is an SMTP server that keeps every
//! message and shows them through a JSON API. Tests send through [`crate::SmtpMailer`]
//! to its SMTP port and read the messages back with [`MailDev`]:
//!
//! | variable | what it names | example |
//! |---|---|---|
//! | [`SMTP_VAR`] (`SHARELINK_TEST_SMTP`) | MailDev's SMTP server | `smtp://127.0.0.1:1025` |
//! | [`SMTP_API_VAR`] (`SHARELINK_TEST_SMTP_API`) | MailDev's JSON API | `http://127.0.0.1:1080` |
//!
//! With [`SMTP_VAR`] unset, [`MailDev::from_env`] answers `None` (the tests that read mail
//! back are skipped); set while MailDev is down, it fails. Messages are found by
//! recipient, never by clearing the mailbox, so tests can share one server: give each
//! test addresses of its own.
//!
//! ```no_run
//! use sharelink_core::Email;
//! use sharelink_mail::testing::MailDev;
//! use std::time::Duration;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! if let Some(maildev) = MailDev::from_env().await? {
//!     let to = Email::parse("it-4f2a@example.com")?;
//!     // … send a message to `to` through `SmtpMailer::new(maildev.smtp_config(sender)?)` …
//!     let messages = maildev.wait_for(&to, 1, Duration::from_secs(10)).await?;
//!     println!("{}", messages[0].subject);
//! }
//! # Ok(())
//! # }
//! ```

use crate::{ConfigError, SmtpConfig};
use sharelink_core::Email;
use std::collections::BTreeMap;
use std::time::Duration;

/// The variable naming MailDev's SMTP server.
pub const SMTP_VAR: &str = "SHARELINK_TEST_SMTP";
/// The variable naming MailDev's JSON API.
pub const SMTP_API_VAR: &str = "SHARELINK_TEST_SMTP_API";

/// Why MailDev could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailDevError {
    /// [`SMTP_VAR`] is set but [`SMTP_API_VAR`] is not.
    #[error("{SMTP_VAR} is set, so {SMTP_API_VAR} must be too")]
    ApiNotNamed,
    /// The API could not be reached (MailDev is down, or the address is wrong).
    #[error("MailDev's API at {url} is unreachable")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The API answered with an error status.
    #[error("MailDev's API at {url} answered {status}")]
    Status {
        /// The URL asked.
        url: String,
        /// The status.
        status: reqwest::StatusCode,
    },
    /// The API's answer was not what MailDev sends.
    #[error("MailDev's API at {url} answered something unexpected: {what}")]
    Unexpected {
        /// The URL asked.
        url: String,
        /// What was wrong with it.
        what: String,
    },
    /// Fewer messages arrived than expected within the time allowed.
    #[error("{to} received {got} message(s) within {waited:?}, expected {wanted}")]
    Timeout {
        /// The recipient.
        to: Email,
        /// How many arrived.
        got: usize,
        /// How many were expected.
        wanted: usize,
        /// How long it waited.
        waited: Duration,
    },
}

/// One message MailDev captured, as its API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailDevMessage {
    /// MailDev's id of the message (for [`MailDev::source`]).
    pub id: String,
    /// When MailDev received it (as MailDev formats it; sorts in time order).
    pub time: String,
    /// The SMTP envelope's recipients.
    pub envelope_to: Vec<String>,
    /// The addresses of the To, Cc and Bcc headers.
    pub header_to: Vec<String>,
    /// The subject, decoded.
    pub subject: String,
    /// The plain-text part, decoded (empty when there is none).
    pub text: String,
    /// The HTML part, decoded (empty when there is none).
    pub html: String,
}

impl MailDevMessage {
    /// The first link in the text part that starts with `prefix`, up to the next
    /// whitespace.
    pub fn link_starting_with(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }

    /// The first run of exactly `digits` ASCII digits in the text part (a one-time code).
    pub fn code(&self, digits: usize) -> Option<String> {
        self.text
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == digits)
            .map(str::to_owned)
    }

    fn from_json(m: &serde_json::Value) -> Option<Self> {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let mut header_to = addresses(&m["to"]);
        header_to.extend(addresses(&m["cc"]));
        header_to.extend(addresses(&m["bcc"]));
        Some(Self {
            id: m["id"].as_str()?.to_owned(),
            time: text(&m["time"]),
            envelope_to: addresses(&m["envelope"]["to"]),
            header_to,
            subject: text(&m["subject"]),
            text: text(&m["text"]),
            html: text(&m["html"]),
        })
    }
}

fn addresses(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["address"].as_str().map(str::to_owned))
        .collect()
}

/// MailDev's JSON API.
#[derive(Debug, Clone)]
pub struct MailDev {
    api: String,
    smtp: Option<String>,
    client: reqwest::Client,
}

impl MailDev {
    /// The MailDev the environment names ([`SMTP_VAR`] and [`SMTP_API_VAR`]), checked to
    /// answer; `None` when [`SMTP_VAR`] is unset.
    ///
    /// # Errors
    /// [`MailDevError::ApiNotNamed`], or as [`MailDev::connect`] when the API does not
    /// answer: a configured server must be up.
    pub async fn from_env() -> Result<Option<Self>, MailDevError> {
        let Some(smtp) = var(SMTP_VAR) else {
            return Ok(None);
        };
        let api = var(SMTP_API_VAR).ok_or(MailDevError::ApiNotNamed)?;
        let mut maildev = Self::connect(&api).await?;
        maildev.smtp = Some(smtp);
        Ok(Some(maildev))
    }

    /// MailDev's API at `api` (such as `http://127.0.0.1:1080`), checked to answer.
    ///
    /// # Errors
    /// [`MailDevError::Unreachable`] or [`MailDevError::Status`] when its health check
    /// fails.
    pub async fn connect(api: &str) -> Result<Self, MailDevError> {
        let maildev = Self {
            api: api.trim_end_matches('/').to_owned(),
            smtp: None,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|source| MailDevError::Unreachable {
                    url: api.to_owned(),
                    source,
                })?,
        };
        maildev.get("/api/healthz", &[]).await?;
        Ok(maildev)
    }

    /// The SMTP URL [`SMTP_VAR`] names (`None` when made by [`MailDev::connect`]).
    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp.as_deref()
    }

    /// An SMTP configuration sending to this MailDev from `sender`.
    ///
    /// # Errors
    /// [`ConfigError`] when [`SMTP_VAR`] is unset here or does not parse.
    pub fn smtp_config(&self, sender: Email) -> Result<SmtpConfig, ConfigError> {
        SmtpConfig::from_url(self.smtp.as_deref().unwrap_or_default(), sender)
    }

    /// Every message delivered to `to` so far (by envelope, To, Cc or Bcc, compared
    /// without regard to case), oldest first.
    ///
    /// # Errors
    /// When the API fails or answers something unexpected.
    pub async fn messages_to(&self, to: &Email) -> Result<Vec<MailDevMessage>, MailDevError> {
        // The API filters by exact value: ask for each field, then compare without regard
        // to case here.
        let mut found = BTreeMap::new();
        for field in [
            "envelope.to.address",
            "to.address",
            "cc.address",
            "bcc.address",
        ] {
            let list = self.get_json("/api/email", &[(field, to.as_str())]).await?;
            let Some(list) = list.as_array() else {
                return Err(MailDevError::Unexpected {
                    url: format!("{}/api/email", self.api),
                    what: "not a list".to_owned(),
                });
            };
            for m in list {
                let message =
                    MailDevMessage::from_json(m).ok_or_else(|| MailDevError::Unexpected {
                        url: format!("{}/api/email", self.api),
                        what: "a message without an id".to_owned(),
                    })?;
                found.insert((message.time.clone(), message.id.clone()), message);
            }
        }
        let wanted = to.normalized();
        Ok(found
            .into_values()
            .filter(|m| {
                m.envelope_to
                    .iter()
                    .chain(&m.header_to)
                    .any(|a| a.to_lowercase() == wanted)
            })
            .collect())
    }

    /// Waits (up to `timeout`) until `to` has received at least `count` messages, and
    /// returns them all, oldest first.
    ///
    /// # Errors
    /// [`MailDevError::Timeout`] when fewer arrive in time; as [`MailDev::messages_to`].
    pub async fn wait_for(
        &self,
        to: &Email,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<MailDevMessage>, MailDevError> {
        let started = tokio::time::Instant::now();
        loop {
            let got = self.messages_to(to).await?;
            if got.len() >= count {
                return Ok(got);
            }
            if started.elapsed() >= timeout {
                return Err(MailDevError::Timeout {
                    to: to.clone(),
                    got: got.len(),
                    wanted: count,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The raw message (RFC 5322) as MailDev received it.
    ///
    /// # Errors
    /// When the API fails (an unknown id answers [`MailDevError::Status`]).
    pub async fn source(&self, id: &str) -> Result<Vec<u8>, MailDevError> {
        let path = format!("/api/email/{id}/source");
        let response = self.get(&path, &[]).await?;
        let url = format!("{}{path}", self.api);
        response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|source| MailDevError::Unreachable { url, source })
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, MailDevError> {
        let url = format!("{}{path}", self.api);
        let response = self
            .client
            .get(&url)
            .query(query)
            .send()
            .await
            .map_err(|source| MailDevError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(MailDevError::Status { url, status });
        }
        Ok(response)
    }

    async fn get_json(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, MailDevError> {
        let url = format!("{}{path}", self.api);
        self.get(path, query)
            .await?
            .json()
            .await
            .map_err(|e| MailDevError::Unexpected {
                url,
                what: format!("not JSON: {e}"),
            })
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_links_are_found_in_mail_text() {
        let mail = MailDevMessage {
            text: "Open 2026 http://h/s/abc?r=x\n\n    123456\n".to_owned(),
            ..MailDevMessage::default()
        };
        assert_eq!(mail.code(6).as_deref(), Some("123456"));
        assert_eq!(mail.code(5), None);
        assert_eq!(
            mail.link_starting_with("http://h/s/").as_deref(),
            Some("http://h/s/abc?r=x")
        );
    }

    #[test]
    fn messages_are_read_from_maildev_json() {
        let json = serde_json::json!({
            "id": "Xy1",
            "time": "2026-11-23T10:00:00.000Z",
            "envelope": {"to": [{"address": "Ana@Example.com"}]},
            "to": [{"address": "ana@example.com", "name": "Ana"}],
            "cc": [{"address": "bob@example.com"}],
            "subject": "Plans",
            "text": "hello",
            "html": "<p>hello</p>",
        });
        let m = MailDevMessage::from_json(&json).expect("a message");
        assert_eq!(m.id, "Xy1");
        assert_eq!(m.envelope_to, vec!["Ana@Example.com"]);
        assert_eq!(m.header_to, vec!["ana@example.com", "bob@example.com"]);
        assert_eq!(
            (m.subject.as_str(), m.html.as_str()),
            ("Plans", "<p>hello</p>")
        );
        assert_eq!(MailDevMessage::from_json(&serde_json::json!({})), None);
    }

    #[tokio::test]
    async fn an_api_that_is_down_is_an_error() {
        let err = MailDev::connect("http://127.0.0.1:1")
            .await
            .expect_err("nothing listens on port 1");
        assert!(matches!(err, MailDevError::Unreachable { .. }), "{err:?}");
    }
}

//! The mailer suite against a real SMTP server: MailDev, read back through its JSON API.
//!
//! `SHARELINK_TEST_SMTP` (e.g. `smtp://127.0.0.1:1025`) and `SHARELINK_TEST_SMTP_API`
//! (e.g. `http://127.0.0.1:1080`) name the server; `.ci/setup.d/30-smtp.sh` starts one.
//! Unset: the cases print a notice and pass without running. Set but the server is
//! down: the cases fail.

use crate::eml;
use async_trait::async_trait;
use sharelink_core::Email;
use sharelink_core::conformance::mailer::{Mailbox, ReceivedMail};
use sharelink_core::ports::Mailer;
use sharelink_mail::{SmtpConfig, SmtpMailer};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// The server's SMTP URL and API address, if the environment names them.
fn server() -> Option<(String, String)> {
    let smtp = std::env::var("SHARELINK_TEST_SMTP").ok()?;
    let api = std::env::var("SHARELINK_TEST_SMTP_API").unwrap_or_else(|_| {
        panic!("SHARELINK_TEST_SMTP is set but SHARELINK_TEST_SMTP_API is not")
    });
    Some((smtp, api.trim_end_matches('/').to_owned()))
}

/// Runs a case on a fresh multi-threaded runtime, or skips it when no server is named.
pub(crate) fn run<F: Future<Output = ()>>(case: F) {
    if server().is_none() {
        eprintln!(
            "notice: SHARELINK_TEST_SMTP is not set; skipping this SMTP case \
             (run .ci/setup.d/30-smtp.sh to start MailDev)"
        );
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(case);
}

/// The messages MailDev captured, read through its API.
#[derive(Debug, Clone)]
pub(crate) struct MailDevMailbox {
    api: String,
    client: reqwest::Client,
}

impl MailDevMailbox {
    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let url = format!("{}{path}", self.api);
        let response = self
            .client
            .get(&url)
            .query(query)
            .send()
            .await
            .unwrap_or_else(|e| panic!("MailDev API {url} unreachable: {e}"));
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{url}: not JSON: {e}"))
    }

    async fn source(&self, id: &str) -> Vec<u8> {
        let url = format!("{}/api/email/{id}/source", self.api);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("MailDev API {url} unreachable: {e}"));
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.expect("message source").to_vec()
    }
}

fn addresses(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["address"].as_str().map(str::to_owned))
        .collect()
}

#[async_trait]
impl Mailbox for MailDevMailbox {
    async fn received_by(&self, to: &Email) -> Vec<ReceivedMail> {
        // The API filters by exact value: ask for the envelope and the header recipients,
        // then check without regard to case here.
        let mut found = BTreeMap::new();
        for field in [
            "envelope.to.address",
            "to.address",
            "cc.address",
            "bcc.address",
        ] {
            let list = self.get_json("/api/email", &[(field, to.as_str())]).await;
            for email in list.as_array().into_iter().flatten() {
                let id = email["id"].as_str().expect("an id").to_owned();
                let time = email["time"].as_str().unwrap_or_default().to_owned();
                found.insert((time, id), email.clone());
            }
        }
        let mut received = Vec::new();
        for ((_, id), email) in found {
            let envelope = addresses(&email["envelope"]["to"]);
            let mut headers_to = addresses(&email["to"]);
            headers_to.extend(addresses(&email["cc"]));
            headers_to.extend(addresses(&email["bcc"]));
            let wanted = to.normalized();
            if !envelope
                .iter()
                .chain(&headers_to)
                .any(|a| a.to_lowercase() == wanted)
            {
                continue;
            }
            received.push(eml::parse(&self.source(&id).await, Some(envelope)));
        }
        received
    }

    async fn refuse(&self, _to: &Email) -> bool {
        // MailDev accepts every recipient; the scripted server in `errors` covers refusals.
        false
    }
}

/// A sender address for the tests.
pub(crate) fn sender() -> Email {
    Email::parse("noreply@sharelink.example.com").expect("a valid address")
}

/// An SMTP mailer and a mailbox on the server the environment names; fails when it is
/// named but unreachable.
pub(crate) async fn make() -> (Arc<dyn Mailer>, Arc<dyn Mailbox>) {
    let (smtp, api) = server().expect("checked by run");
    let client = reqwest::Client::new();
    let healthy = client
        .get(format!("{api}/api/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("SHARELINK_TEST_SMTP_API={api} is set but unreachable: {e}"));
    assert!(
        healthy.status().is_success(),
        "MailDev health: {}",
        healthy.status()
    );
    let config = SmtpConfig::from_url(&smtp, sender()).expect("SHARELINK_TEST_SMTP parses");
    let mailer = SmtpMailer::new(config).expect("SMTP mailer");
    mailer
        .check_connection()
        .await
        .unwrap_or_else(|e| panic!("SHARELINK_TEST_SMTP={smtp} is set but unreachable: {e:?}"));
    (Arc::new(mailer), Arc::new(MailDevMailbox { api, client }))
}

sharelink_core::mailer_conformance!(run = run, make = make());

/// The raw message: From is the configured sender with the branding's name, the body is
/// multipart/alternative, and mail systems are told not to auto-reply.
#[test]
fn smtp_message_shape() {
    run(async {
        let (mailer, mailbox) = make().await;
        let to = crate::fresh_address();
        mailer.send(&crate::invitation(&to)).await.expect("sent");
        let mut received = mailbox.received_by(&to).await;
        assert_eq!(received.len(), 1);
        crate::assert_shape(&received.remove(0));
    });
}

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
use sharelink_mail::SmtpMailer;
use sharelink_mail::testing::{MailDev, SMTP_VAR};
use std::future::Future;
use std::sync::Arc;

/// Runs a case on a fresh multi-threaded runtime, or skips it when no server is named.
pub(crate) fn run<F: Future<Output = ()>>(case: F) {
    if !std::env::var(SMTP_VAR).is_ok_and(|v| !v.trim().is_empty()) {
        eprintln!(
            "notice: {SMTP_VAR} is not set; skipping this SMTP case \
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

/// The messages MailDev captured, each read back in full from its raw source.
#[derive(Debug, Clone)]
pub(crate) struct MailDevMailbox(MailDev);

#[async_trait]
impl Mailbox for MailDevMailbox {
    async fn received_by(&self, to: &Email) -> Vec<ReceivedMail> {
        let messages = self
            .0
            .messages_to(to)
            .await
            .unwrap_or_else(|e| panic!("MailDev: {e} ({:?})", std::error::Error::source(&e)));
        let mut received = Vec::new();
        for message in messages {
            let raw = self
                .0
                .source(&message.id)
                .await
                .unwrap_or_else(|e| panic!("MailDev: {e}"));
            received.push(eml::parse(&raw, Some(message.envelope_to)));
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
    let maildev = MailDev::from_env()
        .await
        .unwrap_or_else(|e| panic!("{e} ({:?})", std::error::Error::source(&e)))
        .expect("checked by run");
    let config = maildev
        .smtp_config(sender())
        .expect("SHARELINK_TEST_SMTP parses");
    let mailer = SmtpMailer::new(config).expect("SMTP mailer");
    mailer.check_connection().await.unwrap_or_else(|e| {
        panic!(
            "{SMTP_VAR}={} is set but unreachable: {e:?}",
            maildev.smtp_url().unwrap_or_default()
        )
    });
    (Arc::new(mailer), Arc::new(MailDevMailbox(maildev)))
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

//! Building the MIME message of a [`Mail`] with lettre's typed builders.
//!
//! Every header goes through lettre's typed `Mailbox` and header builders, which encode
//! display names and subjects; on top of that, names and subjects are reduced to one
//! line first, so a line break in user text can never start a header.

use crate::error::from_build;
use lettre::Address;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use sharelink_core::Email;
use sharelink_core::ports::Mail;
use sharelink_core::ports::mailer::RenderedMail;
use sharelink_core::ports::{MailError, OsRandom, RandomSourceExt};
use sharelink_core::text::single_line;

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail systems not to auto-reply.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A mailbox from an address and an untrusted display name.
fn mailbox(
    mailer: &'static str,
    name: Option<&str>,
    address: &Email,
) -> Result<Mailbox, MailError> {
    let address: Address = address
        .as_str()
        .parse()
        .map_err(|e| from_build(mailer, e))?;
    let name = name.map(single_line).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

/// The whole message: From (the site's notification sender, else the mailer's own
/// address, with the branding's name), To (the one recipient), Subject, Date, a
/// Message-ID at the sender's domain, `Auto-Submitted`, and a multipart/alternative body
/// with the text part first and the HTML part second.
///
/// When From is the site's address, the mailer's own address goes in a `Sender` header
/// (RFC 5322: the agent that sent the mail on the author's behalf), and lettre takes the
/// SMTP envelope sender from it: bounces come back to the mailbox the server may send
/// from, and SPF is checked against that server's domain.
pub(crate) fn build(
    mailer: &'static str,
    mail: &Mail,
    rendered: &RenderedMail,
    sender: &Email,
) -> Result<Message, MailError> {
    let name = Some(mail.branding.sender_name.as_str());
    let mut builder = Message::builder();
    match &mail.from {
        Some(from) if from != sender => {
            builder = builder
                .from(mailbox(mailer, name, from)?)
                .sender(mailbox(mailer, name, sender)?);
        }
        _ => builder = builder.from(mailbox(mailer, name, sender)?),
    }
    builder
        .to(mailbox(mailer, mail.to_name.as_deref(), &mail.to)?)
        .subject(single_line(rendered.subject()))
        .message_id(Some(format!(
            "<{}@{}>",
            OsRandom.string_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 24),
            sender.domain()
        )))
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text().to_owned(),
            rendered.html().to_owned(),
        ))
        .map_err(|e| from_build(mailer, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sharelink_core::Branding;
    use sharelink_core::ports::mailer::{DefaultRenderer, MailRenderer};
    use sharelink_core::ports::{MailMessage, Secret};

    #[test]
    fn hostile_names_stay_inside_their_header() {
        let mail = Mail {
            to: Email::parse("ana@example.com").unwrap(),
            to_name: Some("Ana\r\nBcc: eve@example.com".to_owned()),
            branding: Branding {
                sender_name: "Acme\nX-Injected: yes".to_owned(),
                ..Branding::default()
            },
            from: None,
            time_zone: None,
            locale: None,
            message: MailMessage::LinkResent {
                share_name: "S\r\nBcc: eve@example.com".to_owned(),
                link: Secret("https://x.example/s/k".to_owned()),
            },
        };
        let rendered = DefaultRenderer.render(&mail).unwrap();
        let sender = Email::parse("noreply@example.com").unwrap();
        let message = build("test", &mail, &rendered, &sender).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            assert!(!lower.starts_with("bcc:"), "{head}");
            assert!(!lower.starts_with("x-injected:"), "{head}");
        }
        assert!(head.contains("Auto-Submitted: auto-generated"), "{head}");
        let envelope: Vec<String> = message
            .envelope()
            .to()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(envelope, vec!["ana@example.com"]);
    }

    #[test]
    fn the_site_sender_is_the_from_and_the_mailer_stays_the_envelope() {
        let site = Email::parse("shares@acme.example").unwrap();
        let mailer = Email::parse("noreply@relay.example").unwrap();
        let mail = Mail {
            to: Email::parse("ana@example.com").unwrap(),
            to_name: None,
            branding: Branding::default(),
            from: Some(site),
            time_zone: None,
            locale: None,
            message: MailMessage::LinkResent {
                share_name: "S".to_owned(),
                link: Secret("https://x.example/s/k".to_owned()),
            },
        };
        let rendered = DefaultRenderer.render(&mail).unwrap();
        let message = build("test", &mail, &rendered, &mailer).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            head.contains("From: sharelink <shares@acme.example>"),
            "{head}"
        );
        assert!(
            head.contains("Sender: sharelink <noreply@relay.example>"),
            "{head}"
        );
        assert_eq!(
            message
                .envelope()
                .from()
                .map(ToString::to_string)
                .as_deref(),
            Some("noreply@relay.example")
        );
    }
}

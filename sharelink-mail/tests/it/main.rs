//! Integration tests of sharelink-mail: the mailer conformance suite on a real SMTP
//! server (MailDev) and on the outbox, and SMTP error mapping against a scripted server.

mod eml;
mod errors;
mod maildev;
mod outbox;

use sharelink_core::conformance::mailer::ReceivedMail;
use sharelink_core::ports::{Mail, MailMessage, OsRandom, RandomSourceExt, Secret};
use sharelink_core::{Branding, Email};

/// A fresh address nobody else uses, so tests can share one server.
fn fresh_address() -> Email {
    let local = OsRandom.string_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 16);
    Email::parse(&format!("it-{local}@example.com")).expect("a valid address")
}

/// An invitation to `to` from "Acme Files".
fn invitation(to: &Email) -> Mail {
    Mail {
        to: to.clone(),
        to_name: Some("Ana Lopez".to_owned()),
        branding: Branding {
            site_title: "Acme Files".to_owned(),
            sender_name: "Acme Files".to_owned(),
            logo_url: None,
            ..Branding::default()
        },
        from: None,
        time_zone: None,
        locale: None,
        message: MailMessage::Invitation {
            share_name: "Plans".to_owned(),
            sender: "Bob".to_owned(),
            message: None,
            link: Secret("https://files.example.com/s/abcdefghijklmnopqrstuv".to_owned()),
            expires_at: None,
        },
    }
}

/// What every message from this crate looks like on the wire.
fn assert_shape(m: &ReceivedMail) {
    assert_eq!(
        m.from, "Acme Files <noreply@sharelink.example.com>",
        "{m:#?}"
    );
    let content_type = m.header("content-type");
    assert_eq!(content_type.len(), 1, "{:#?}", m.headers);
    assert!(
        content_type[0].starts_with("multipart/alternative"),
        "{content_type:?}"
    );
    assert_eq!(m.header("auto-submitted"), vec!["auto-generated"]);
    assert_eq!(m.header("mime-version"), vec!["1.0"]);
    assert_eq!(m.header("message-id").len(), 1);
    assert_eq!(m.header("date").len(), 1);
    assert!(m.subject.contains("Plans"), "{}", m.subject);
    for part in [&m.text, &m.html] {
        assert!(part.contains("https://files.example.com/s/abcdefghijklmnopqrstuv"));
    }
    assert!(
        m.html
            .contains(r#"href="https://files.example.com/s/abcdefghijklmnopqrstuv""#)
    );
}

//! Conformance suite of the mailer port: one async function per contract bullet of
//! [`Mailer`], and [`mailer_conformance!`](crate::mailer_conformance) to run them all.
//!
//! Reading messages back needs a second trait, [`Mailbox`], which each adapter's tests
//! implement over whatever captures the mail (an SMTP test server's API, a folder of
//! `.eml` files, [`MemoryMailer`] itself). Every case sends to fresh random addresses, so
//! cases can run in parallel against one shared server.
//!
//! ```
//! use sharelink_core::conformance::mailer::Mailbox;
//! use sharelink_core::memory::MemoryMailer;
//! use sharelink_core::ports::Mailer;
//! use std::sync::Arc;
//!
//! async fn memory() -> (Arc<dyn Mailer>, Arc<dyn Mailbox>) {
//!     let mailer = Arc::new(MemoryMailer::new());
//!     (mailer.clone(), mailer)
//! }
//!
//! sharelink_core::mailer_conformance!(run = futures::executor::block_on, make = memory());
//! ```

use crate::memory::MemoryMailer;
use crate::ports::mailer::{Mail, MailMessage, Mailer, Secret, send_each, single_line};
use crate::ports::{OsRandom, RandomSourceExt};
use crate::{Branding, Email};
use async_trait::async_trait;
use std::sync::Arc;
use time::macros::datetime;

/// One message as it arrived, read back by a [`Mailbox`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Every address the message was delivered to: the SMTP envelope where the backend
    /// knows it, else the addresses of the To, Cc and Bcc headers.
    pub to: Vec<String>,
    /// The From header, decoded: display name and address (`Name <addr>`), or the name
    /// alone where the backend has no address.
    pub from: String,
    /// The subject, decoded.
    pub subject: String,
    /// The plain-text part, decoded, line breaks as LF.
    pub text: String,
    /// The HTML part, decoded, line breaks as LF, otherwise as sent (never sanitised by
    /// the reader).
    pub html: String,
    /// The message's top-level headers in order: name as sent, value unfolded.
    pub headers: Vec<(String, String)>,
}

impl ReceivedMail {
    /// Values of the headers named `name` (compared without regard to case).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Reads back the messages a mailer delivered (the test side of an adapter).
#[async_trait]
pub trait Mailbox: Send + Sync {
    /// Every message delivered to `to` so far (compared without regard to case), oldest
    /// first. Messages whose `send` returned `Ok` MUST be visible.
    async fn received_by(&self, to: &Email) -> Vec<ReceivedMail>;

    /// Arranges for later sends to `to` to fail; returns `false` when this backend cannot
    /// (the failure cases then check only the other recipients).
    async fn refuse(&self, to: &Email) -> bool;
}

#[async_trait]
impl Mailbox for MemoryMailer {
    async fn received_by(&self, to: &Email) -> Vec<ReceivedMail> {
        self.sent_to(to)
            .into_iter()
            .map(|(mail, rendered)| {
                let name = single_line(&mail.branding.sender_name);
                let from = match &mail.from {
                    Some(address) => format!("{name} <{address}>"),
                    None => name,
                };
                let to_header = match &mail.to_name {
                    Some(name) => format!("{} <{}>", single_line(name), mail.to),
                    None => mail.to.to_string(),
                };
                ReceivedMail {
                    to: vec![mail.to.to_string()],
                    headers: vec![
                        ("From".to_owned(), from.clone()),
                        ("To".to_owned(), to_header),
                        ("Subject".to_owned(), rendered.subject().to_owned()),
                    ],
                    from,
                    subject: rendered.subject().to_owned(),
                    text: rendered.text().to_owned(),
                    html: rendered.html().to_owned(),
                }
            })
            .collect()
    }

    async fn refuse(&self, to: &Email) -> bool {
        MemoryMailer::refuse(self, to);
        true
    }
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fresh address nobody else uses (`example.com` is reserved: nothing is delivered).
fn address(tag: &str) -> Email {
    let text = format!("{tag}-{}@example.com", OsRandom.string_from(ALPHABET, 16));
    Email::parse(&text).unwrap_or_else(|e| panic!("generated address {text}: {e}"))
}

/// A fresh link carrying a random key, so each case can find its own.
fn link() -> Secret {
    Secret(format!(
        "https://files.example.com/s/{}",
        OsRandom.string_from(ALPHABET, 22)
    ))
}

fn branding() -> Branding {
    Branding {
        site_title: "Acme Files".to_owned(),
        sender_name: "Acme Files Team".to_owned(),
        logo_url: None,
        ..Branding::default()
    }
}

fn mail(to: &Email, message: MailMessage) -> Mail {
    Mail {
        to: to.clone(),
        to_name: Some("Ana Lopez".to_owned()),
        branding: branding(),
        from: None,
        time_zone: None,
        locale: None,
        message,
    }
}

fn invitation(share_name: &str, message: Option<&str>, link: &Secret) -> MailMessage {
    MailMessage::Invitation {
        share_name: share_name.to_owned(),
        sender: "Bob Stone".to_owned(),
        message: message.map(str::to_owned),
        link: link.clone(),
        expires_at: Some(datetime!(2031-05-06 07:08 UTC)),
    }
}

async fn send_ok(mailer: &dyn Mailer, mail: &Mail) {
    if let Err(e) = mailer.send(mail).await {
        panic!("sending to {} failed: {e} ({e:?})", mail.to);
    }
}

/// The one message `to` received; fails unless there is exactly one.
async fn only_message(mailbox: &dyn Mailbox, to: &Email) -> ReceivedMail {
    let mut received = mailbox.received_by(to).await;
    assert_eq!(
        received.len(),
        1,
        "{to} should have received exactly one message: {received:#?}"
    );
    received.remove(0)
}

/// The envelope and headers name `to` as the only recipient, no header was injected,
/// and the message has a subject, a text part and an HTML part.
fn assert_well_formed(m: &ReceivedMail, to: &Email) {
    let recipients: Vec<String> = m.to.iter().map(|a| a.to_lowercase()).collect();
    assert_eq!(recipients, vec![to.normalized()], "recipients of {m:#?}");
    for forbidden in ["bcc", "cc", "x-injected"] {
        assert!(
            m.header(forbidden).is_empty(),
            "unexpected {forbidden} header in {:#?}",
            m.headers
        );
    }
    for single in ["to", "from", "subject"] {
        assert_eq!(
            m.header(single).len(),
            1,
            "one {single} header expected in {:#?}",
            m.headers
        );
    }
    assert!(!m.subject.trim().is_empty(), "empty subject");
    assert!(!m.subject.contains(['\r', '\n']), "subject {:?}", m.subject);
    assert!(!m.text.trim().is_empty(), "empty text part");
    assert!(
        m.html.contains("<html"),
        "HTML part expected, got {:?}",
        m.html
    );
    assert!(
        m.from.contains("Acme Files Team"),
        "sender name missing from {:?}",
        m.from
    );
}

fn assert_both_parts_contain(m: &ReceivedMail, needle: &str) {
    assert!(
        m.text.contains(needle),
        "text part lacks {needle:?}: {}",
        m.text
    );
    assert!(
        m.html.contains(needle),
        "HTML part lacks {needle:?}: {}",
        m.html
    );
}

/// An invitation arrives to exactly its recipient, with subject naming the share, and
/// both parts carrying the link and the sender's message.
pub async fn invitation_arrives_with_link(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("invite");
    let link = link();
    send_ok(
        &*mailer,
        &mail(
            &to,
            invitation("Quarterly plans", Some("Here are the plans."), &link),
        ),
    )
    .await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(
        m.subject.contains("Quarterly plans"),
        "subject {:?}",
        m.subject
    );
    assert_both_parts_contain(&m, &link.0);
    assert_both_parts_contain(&m, "Here are the plans.");
    assert_both_parts_contain(&m, "Bob Stone");
}

/// The site's notification sender arrives as the From address, under the branding's
/// name, and dates show in the mail's time zone, named.
pub async fn site_sender_and_time_zone_arrive(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("site-from");
    let site = address("shares");
    let mut m = mail(&to, invitation("Plans", None, &link()));
    m.from = Some(site.clone());
    m.time_zone = Some("Europe/Paris".to_owned());
    send_ok(&*mailer, &m).await;
    let got = only_message(&*mailbox, &to).await;
    assert!(
        got.from.contains(site.as_str()) && got.from.contains("Acme Files Team"),
        "From {:?}",
        got.from
    );
    // 2031-05-06 07:08 UTC is 09:08 in Paris (summer time).
    assert_both_parts_contain(&got, "6 May 2031, 09:08 (Europe/Paris)");
}

/// A one-time code arrives with the code in both parts.
pub async fn one_time_code_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("code");
    let code = OsRandom.string_from(b"0123456789", 8);
    let message = MailMessage::OneTimeCode {
        share_name: "Contracts".to_owned(),
        code: Secret(code.clone()),
        valid_minutes: 15,
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains("Contracts"), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, &code);
}

/// A download notification arrives with the share name and the downloaded paths.
pub async fn download_notification_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("notify");
    let path = format!("reports/{}.pdf", OsRandom.string_from(ALPHABET, 12));
    let message = MailMessage::DownloadNotification {
        share_name: "Reports".to_owned(),
        visitor: Some("carol@example.org".to_owned()),
        paths: vec![path.clone(), "reports/summary.xlsx".to_owned()],
        at: datetime!(2030-03-04 05:06 UTC),
        ip: Some(std::net::IpAddr::from([192, 0, 2, 0])),
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains("Reports"), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, &path);
    assert_both_parts_contain(&m, "reports/summary.xlsx");
    assert_both_parts_contain(&m, "carol@example.org");
}

/// An attack warning arrives with the share name, what is guessed and the count.
pub async fn under_attack_warning_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("attack");
    let name = format!("Payroll {}", OsRandom.string_from(ALPHABET, 8));
    let message = MailMessage::UnderAttack {
        share_name: name.clone(),
        target: "the password".to_owned(),
        attempts: 101,
        window_minutes: 15,
        at: datetime!(2030-05-06 07:08 UTC),
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains(&name), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, &name);
    assert_both_parts_contain(&m, "the password");
    assert_both_parts_contain(&m, "101 attempts within 15 minutes");
}

/// An owner's digest arrives as one message naming each event, its share and visitor.
pub async fn owner_digest_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("digest");
    let name = format!("Intake {}", OsRandom.string_from(ALPHABET, 8));
    let at = datetime!(2030-05-06 07:08 UTC);
    let notice = |activity| crate::Notice {
        share_name: name.clone(),
        activity,
        at,
    };
    let message = MailMessage::OwnerDigest {
        notices: vec![
            notice(crate::Activity::Uploaded {
                visitor: Some("carol@example.org".to_owned()),
                path: "inbox/scan.pdf".to_owned(),
                bytes: 2048,
                ip: None,
            }),
            notice(crate::Activity::FirstVisit {
                recipient: "dave@example.org".to_owned(),
            }),
        ],
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains(&name), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, "inbox/scan.pdf");
    assert_both_parts_contain(&m, "carol@example.org uploaded a file");
    assert_both_parts_contain(&m, "dave@example.org opened their link");
}

/// A re-sent link arrives with the new link in both parts.
pub async fn link_resent_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("resent");
    let link = link();
    let message = MailMessage::LinkResent {
        share_name: "Designs".to_owned(),
        link: link.clone(),
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains("Designs"), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, &link.0);
}

/// An expiry reminder arrives with the share name and the date in both parts.
pub async fn expiry_reminder_arrives(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("expiry");
    let name = format!("Budget {}", OsRandom.string_from(ALPHABET, 8));
    let message = MailMessage::ExpiryReminder {
        share_name: name.clone(),
        expires_at: datetime!(2030-12-24 18:00 UTC),
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(m.subject.contains(&name), "subject {:?}", m.subject);
    assert_both_parts_contain(&m, &name);
    assert_both_parts_contain(&m, "24 December 2030, 18:00 (UTC)");
}

/// Each message reaches its own recipient only: three recipients, three links, and
/// nobody sees another's link.
pub async fn each_message_reaches_only_its_recipient(
    mailer: Arc<dyn Mailer>,
    mailbox: Arc<dyn Mailbox>,
) {
    let people: Vec<(Email, Secret)> = (0..3).map(|_| (address("only"), link())).collect();
    for (to, link) in &people {
        send_ok(&*mailer, &mail(to, invitation("Shared", None, link))).await;
    }
    for (i, (to, own)) in people.iter().enumerate() {
        let m = only_message(&*mailbox, to).await;
        assert_well_formed(&m, to);
        assert_both_parts_contain(&m, &own.0);
        for (j, (_, other)) in people.iter().enumerate() {
            if i != j {
                assert!(!m.text.contains(&other.0), "{to} got another's link");
                assert!(!m.html.contains(&other.0), "{to} got another's link");
            }
        }
    }
}

/// Line breaks and header text in the recipient's or the sender's display name add no
/// header and no recipient.
pub async fn hostile_display_names_add_no_header_or_recipient(
    mailer: Arc<dyn Mailer>,
    mailbox: Arc<dyn Mailbox>,
) {
    let to = address("names");
    let victim = address("victim");
    let other_victim = address("victim");
    let link = link();
    let mut m = mail(&to, invitation("Plans", None, &link));
    m.to_name = Some(format!(
        "Ana\r\nBcc: {victim}\r\nX-Injected: yes\nCc: {victim}"
    ));
    m.branding.sender_name = format!("Acme Files Team\r\nBcc: {other_victim}\r\n\r\nbody takeover");
    send_ok(&*mailer, &m).await;
    let received = only_message(&*mailbox, &to).await;
    assert_well_formed(&received, &to);
    assert_both_parts_contain(&received, &link.0);
    assert!(
        !received.text.starts_with("body takeover"),
        "the sender name ended the headers"
    );
    for v in [&victim, &other_victim] {
        let stolen = mailbox.received_by(v).await;
        assert!(stolen.is_empty(), "{v} received a copy: {stolen:#?}");
    }
}

/// Line breaks and header text in a share name (which goes into the subject) add no
/// header and no recipient; the subject stays one line.
pub async fn hostile_share_name_adds_no_header(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("subject");
    let victim = address("victim");
    let name = format!("Plans\r\nBcc: {victim}\r\nX-Injected: yes");
    let message = MailMessage::ExpiryReminder {
        share_name: name,
        expires_at: datetime!(2030-01-01 00:00 UTC),
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let received = only_message(&*mailbox, &to).await;
    assert_well_formed(&received, &to);
    assert!(received.subject.contains("Plans"), "{:?}", received.subject);
    let stolen = mailbox.received_by(&victim).await;
    assert!(stolen.is_empty(), "{victim} received a copy: {stolen:#?}");
}

/// HTML in a custom message, a share name or a sender name arrives escaped in the HTML
/// part and verbatim in the text part.
pub async fn html_in_user_text_arrives_escaped(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("escape");
    let link = link();
    let message = MailMessage::Invitation {
        share_name: "<img src=x onerror=alert(1)>".to_owned(),
        sender: "<i>Mallory</i>".to_owned(),
        message: Some(
            r#"<script>alert("x")</script> & <a href="https://evil.example">win</a>"#.to_owned(),
        ),
        link: link.clone(),
        expires_at: None,
    };
    send_ok(&*mailer, &mail(&to, message)).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert_both_parts_contain(&m, &link.0);
    for markup in [
        "<script",
        "<img src=x",
        "<i>Mallory",
        "href=\"https://evil.example\"",
    ] {
        assert!(
            !m.html.contains(markup),
            "{markup:?} became markup: {}",
            m.html
        );
    }
    for escaped in ["&lt;script&gt;", "&lt;img src=x", "&lt;i&gt;Mallory"] {
        assert!(
            m.html.contains(escaped),
            "{escaped:?} missing from {}",
            m.html
        );
    }
    assert!(
        m.text.contains(r#"<script>alert("x")</script>"#),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("<img src=x onerror=alert(1)>"),
        "{}",
        m.text
    );
}

/// Non-ASCII names and text arrive intact in the subject, the From name and both parts.
pub async fn unicode_text_arrives_intact(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("unicode");
    let link = link();
    let name = "Résumé 2026 – 東京 ✓";
    let note = "Grüße aus Zürich — ¡hola! Привет 👋";
    let mut m = mail(&to, invitation(name, Some(note), &link));
    m.to_name = Some("Zoë Ångström".to_owned());
    m.branding.sender_name = "Acme Files Team — Ünïcode".to_owned();
    send_ok(&*mailer, &m).await;
    let received = only_message(&*mailbox, &to).await;
    assert_well_formed(&received, &to);
    assert!(
        received.subject.contains(name),
        "subject {:?}",
        received.subject
    );
    assert!(
        received.from.contains("Ünïcode"),
        "from {:?}",
        received.from
    );
    assert!(received.text.contains(name), "{}", received.text);
    assert_both_parts_contain(&received, note);
    assert_both_parts_contain(&received, &link.0);
}

/// A long custom message, with lines longer than SMTP allows, arrives whole.
pub async fn long_message_arrives_whole(mailer: Arc<dyn Mailer>, mailbox: Arc<dyn Mailbox>) {
    let to = address("long");
    let link = link();
    let line: String = (0..400).map(|i| format!("w{i} ")).collect();
    let line = line.trim_end().to_owned();
    let note = format!("{line}\n{line}\n.\nend of note");
    send_ok(&*mailer, &mail(&to, invitation("Long", Some(&note), &link))).await;
    let m = only_message(&*mailbox, &to).await;
    assert_well_formed(&m, &to);
    assert!(line.len() > 1000);
    assert_both_parts_contain(&m, &line);
    assert!(m.text.contains(&note), "the note's lines were changed");
    assert_both_parts_contain(&m, &link.0);
}

/// With [`send_each`], a recipient that fails does not stop the others: every outcome is
/// reported in order, and the others receive their message.
pub async fn failing_recipient_does_not_stop_others(
    mailer: Arc<dyn Mailer>,
    mailbox: Arc<dyn Mailbox>,
) {
    let first = address("each");
    let refused = address("refused");
    let last = address("each");
    let can_refuse = mailbox.refuse(&refused).await;
    let mails: Vec<Mail> = [&first, &refused, &last]
        .into_iter()
        .map(|to| mail(to, invitation("Team folder", None, &link())))
        .collect();
    let results = send_each(&*mailer, &mails).await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(results[2].is_ok(), "{:?}", results[2]);
    if can_refuse {
        assert!(
            results[1].is_err(),
            "the refused recipient's send succeeded"
        );
        assert!(mailbox.received_by(&refused).await.is_empty());
    }
    for to in [&first, &last] {
        let m = only_message(&*mailbox, to).await;
        assert_well_formed(&m, to);
    }
}

/// A failed send does not affect the next send to the same recipient's neighbours: the
/// mailer keeps working after an error.
pub async fn mailer_keeps_working_after_a_failure(
    mailer: Arc<dyn Mailer>,
    mailbox: Arc<dyn Mailbox>,
) {
    let refused = address("refused");
    let after = address("after");
    if mailbox.refuse(&refused).await {
        let result = mailer
            .send(&mail(&refused, invitation("X", None, &link())))
            .await;
        assert!(result.is_err(), "the refused recipient's send succeeded");
    }
    let link = link();
    send_ok(&*mailer, &mail(&after, invitation("After", None, &link))).await;
    let m = only_message(&*mailbox, &after).await;
    assert_both_parts_contain(&m, &link.0);
}

/// Turns the mailer suite into one `#[test]` per case.
///
/// `run` drives a future to completion (e.g. `futures::executor::block_on`, or a
/// closure over a tokio runtime); `make` is an expression evaluating to a future of
/// `(Arc<dyn Mailer>, Arc<dyn Mailbox>)`, evaluated afresh for each case.
#[macro_export]
macro_rules! mailer_conformance {
    (run = $run:expr, make = $make:expr) => {
        $crate::mailer_conformance!(@cases ($run) ($make)
            invitation_arrives_with_link,
            site_sender_and_time_zone_arrive,
            one_time_code_arrives,
            download_notification_arrives,
            link_resent_arrives,
            expiry_reminder_arrives,
            under_attack_warning_arrives,
            owner_digest_arrives,
            each_message_reaches_only_its_recipient,
            hostile_display_names_add_no_header_or_recipient,
            hostile_share_name_adds_no_header,
            html_in_user_text_arrives_escaped,
            unicode_text_arrives_intact,
            long_message_arrives_whole,
            failing_recipient_does_not_stop_others,
            mailer_keeps_working_after_a_failure,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let (mailer, mailbox) = $make.await;
                    $crate::conformance::mailer::$case(mailer, mailbox).await
                });
            }
        )*
    };
}

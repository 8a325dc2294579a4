//! Rendering: what each email says, as a subject, a plain-text part and an HTML part.
//!
//! Rendering is pure (no IO) and overridable: adapters call a [`MailRenderer`], and
//! embedders who want their own wording or layout implement it (possibly delegating some
//! kinds to [`DefaultRenderer`]).

use super::{Mail, MailMessage};
use crate::ports::BoxError;
use crate::text::{body_text, escape_html, is_web_link, local_date, single_line, subject_part};
use crate::{Activity, ActivityKind, Branding, Notice};
use std::fmt::{self, Debug, Write as _};
use time::OffsetDateTime;

/// A rendered email: a single-line subject, a plain-text part and an HTML part.
///
/// The subject never holds a line break or another control character, whatever the
/// renderer produced: [`RenderedMail::new`] replaces them, so no renderer can inject a
/// header through it.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    subject: String,
    text: String,
    html: String,
}

impl RenderedMail {
    /// A rendered email; the subject is passed through [`single_line`].
    pub fn new(subject: &str, text: impl Into<String>, html: impl Into<String>) -> Self {
        Self {
            subject: single_line(subject),
            text: text.into(),
            html: html.into(),
        }
    }

    /// The subject (one line, no control characters).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The plain-text part.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The HTML part (a whole document).
    pub fn html(&self) -> &str {
        &self.html
    }
}

impl Debug for RenderedMail {
    // The parts carry links and codes: show only their sizes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedMail")
            .field("subject", &self.subject)
            .field("text_len", &self.text.len())
            .field("html_len", &self.html.len())
            .finish()
    }
}

/// A message that could not be rendered (a custom template failed).
#[derive(Debug, thiserror::Error)]
#[error("could not render the email: {reason}")]
pub struct RenderError {
    /// Why (never a secret).
    pub reason: String,
    /// The template engine's error, if any.
    #[source]
    pub source: Option<BoxError>,
}

/// Turns a [`Mail`] into its subject, text and HTML.
///
/// Contract:
/// - every link and code of the message appears in both parts;
/// - every user-supplied text (share names, sender names, custom messages, paths,
///   visitor names, branding) is escaped in the HTML part (see [`escape_html`]);
/// - the result is deterministic: the same mail renders the same way.
pub trait MailRenderer: Send + Sync + Debug + 'static {
    /// Renders one mail.
    ///
    /// # Errors
    /// [`RenderError`] when a template fails; [`DefaultRenderer`] never fails.
    fn render(&self, mail: &Mail) -> Result<RenderedMail, RenderError>;
}

/// sharelink's own wording and layout (English), branded with the mail's [`Branding`].
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultRenderer;

impl MailRenderer for DefaultRenderer {
    fn render(&self, mail: &Mail) -> Result<RenderedMail, RenderError> {
        Ok(render_default(mail))
    }
}

/// The HTML body of one email, built from blocks whose text is escaped on the way in.
struct Html {
    body: String,
}

impl Html {
    fn new() -> Self {
        Self {
            body: String::new(),
        }
    }

    /// A paragraph of escaped text.
    fn para(&mut self, text: &str) {
        let _ = write!(
            self.body,
            r#"<p style="margin:0 0 16px;line-height:1.5">{}</p>"#,
            escape_html(text)
        );
    }

    /// A paragraph whose `{}` placeholders are filled with escaped, emphasised values.
    fn para_with(&mut self, template: &str, values: &[&str]) {
        let mut html = String::new();
        let mut values = values.iter();
        let mut parts = template.split("{}").peekable();
        while let Some(part) = parts.next() {
            html.push_str(&escape_html(part));
            if parts.peek().is_some() {
                let value = values.next().copied().unwrap_or_default();
                let _ = write!(html, "<strong>{}</strong>", escape_html(value));
            }
        }
        let _ = write!(
            self.body,
            r#"<p style="margin:0 0 16px;line-height:1.5">{html}</p>"#
        );
    }

    /// A quoted custom message, line breaks kept.
    fn quote(&mut self, text: &str) {
        let lines: Vec<String> = body_text(text).lines().map(escape_html).collect();
        let _ = write!(
            self.body,
            r#"<blockquote style="margin:0 0 16px;padding:8px 16px;border-left:4px solid #d0d7de;color:#424a53;white-space:pre-wrap">{}</blockquote>"#,
            lines.join("<br>")
        );
    }

    /// A button to a link, and the link in full for copying.
    fn button(&mut self, label: &str, link: &str) {
        let escaped = escape_html(link);
        if is_web_link(link) {
            let _ = write!(
                self.body,
                r#"<p style="margin:24px 0"><a href="{escaped}" style="display:inline-block;padding:12px 20px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">{}</a></p>"#,
                escape_html(label)
            );
        }
        let _ = write!(
            self.body,
            r#"<p style="margin:0 0 16px;font-size:13px;color:#57606a;word-break:break-all">{escaped}</p>"#
        );
    }

    /// A code shown large.
    fn code(&mut self, code: &str) {
        let _ = write!(
            self.body,
            r#"<p style="margin:24px 0;font-size:28px;font-weight:700;letter-spacing:4px;font-family:monospace">{}</p>"#,
            escape_html(code)
        );
    }

    /// A bulleted list of escaped items.
    fn list(&mut self, items: &[String]) {
        self.body
            .push_str(r#"<ul style="margin:0 0 16px;padding-left:20px;line-height:1.5">"#);
        for item in items {
            let _ = write!(self.body, "<li>{}</li>", escape_html(item));
        }
        self.body.push_str("</ul>");
    }

    /// The whole document around the body.
    fn document(self, subject: &str, branding: &Branding) -> String {
        let title = escape_html(&single_line(&branding.site_title));
        let logo = match &branding.logo_url {
            Some(url) if is_web_link(url) => format!(
                r#"<img src="{}" alt="{title}" style="max-height:48px;margin:0 0 16px">"#,
                escape_html(url)
            ),
            _ => String::new(),
        };
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{subject}</title></head>
<body style="margin:0;padding:24px;background:#f6f8fa;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:32px">
{logo}<p style="margin:0 0 24px;font-size:14px;font-weight:600;color:#57606a">{title}</p>
{body}
</div>
<p style="max-width:560px;margin:16px auto 0;font-size:12px;color:#6e7781">Sent by {title}.</p>
</body>
</html>
"#,
            subject = escape_html(subject),
            body = self.body,
        )
    }
}

/// One event in words: a sentence naming the share, and detail lines (what, from
/// where). Every user-supplied part is made single-line; the caller escapes for HTML.
fn describe(notice: &Notice, when: &dyn Fn(OffsetDateTime) -> String) -> (String, Vec<String>) {
    let name = single_line(&notice.share_name);
    let date = when(notice.at);
    let who = |v: &Option<String>| {
        v.as_deref()
            .map(single_line)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "An anonymous visitor".to_owned())
    };
    let from = |ip: &Option<std::net::IpAddr>| ip.map(|ip| format!("From address: {ip}"));
    match &notice.activity {
        Activity::Downloaded { visitor, paths, ip } => {
            let what = if paths.is_empty() {
                "all files".to_owned()
            } else {
                paths
                    .iter()
                    .map(|p| single_line(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let details = std::iter::once(format!("Downloaded: {what}"))
                .chain(from(ip))
                .collect();
            (
                format!("{} downloaded from “{name}” on {date}.", who(visitor)),
                details,
            )
        }
        Activity::Uploaded {
            visitor,
            path,
            bytes,
            ip,
        } => {
            let details = std::iter::once(format!("File: {} ({bytes} bytes)", single_line(path)))
                .chain(from(ip))
                .collect();
            (
                format!("{} uploaded a file to “{name}” on {date}.", who(visitor)),
                details,
            )
        }
        Activity::Registered { name: n, email } => {
            let details = n
                .as_deref()
                .map(|n| format!("Name: {}", single_line(n)))
                .into_iter()
                .chain(
                    email
                        .as_deref()
                        .map(|e| format!("Email: {}", single_line(e))),
                )
                .collect();
            (
                format!("A visitor filled in the registration form of “{name}” on {date}."),
                details,
            )
        }
        Activity::FirstVisit { recipient } => (
            format!(
                "{} opened their link to “{name}” for the first time on {date}.",
                single_line(recipient)
            ),
            Vec::new(),
        ),
        Activity::ExpirySoon { expires_at } => (
            format!("Your share “{name}” expires on {}.", when(*expires_at)),
            Vec::new(),
        ),
    }
}

fn render_default(mail: &Mail) -> RenderedMail {
    let when = |at: OffsetDateTime| local_date(at, mail.time_zone.as_deref());
    let branding = &mail.branding;
    let site = single_line(&branding.site_title);
    let mut text = String::new();
    let mut html = Html::new();
    let subject = match &mail.message {
        MailMessage::Invitation {
            share_name,
            sender,
            message,
            link,
            expires_at,
        } => {
            let sender = single_line(sender);
            let name = single_line(share_name);
            let _ = writeln!(text, "{sender} shared “{name}” with you on {site}.\n");
            html.para_with("{} shared {} with you.", &[&sender, &name]);
            if let Some(message) = message.as_deref().filter(|m| !m.trim().is_empty()) {
                let message = body_text(message);
                let _ = writeln!(text, "Message from {sender}:\n\n{message}\n");
                html.quote(&message);
            }
            let _ = writeln!(text, "Open it here:\n{}\n", link.0);
            html.button("Open the share", &link.0);
            if let Some(at) = expires_at {
                let _ = writeln!(text, "The link works until {}.\n", when(*at));
                html.para(&format!("The link works until {}.", when(*at)));
            }
            let note = "This link is for you: please do not forward it.";
            let _ = writeln!(text, "{note}");
            html.para(note);
            format!(
                "{} shared “{}” with you",
                subject_part(&sender),
                subject_part(&name)
            )
        }
        MailMessage::OneTimeCode {
            share_name,
            code,
            valid_minutes,
        } => {
            let name = single_line(share_name);
            let _ = writeln!(
                text,
                "Your code to open “{name}” on {site}:\n\n    {}\n",
                code.0
            );
            html.para_with("Your code to open {}:", &[&name]);
            html.code(&code.0);
            let validity = format!(
                "It is valid for {valid_minutes} minutes. If you did not ask for it, you can ignore this email."
            );
            let _ = writeln!(text, "{validity}");
            html.para(&validity);
            format!("Your code for “{}”", subject_part(&name))
        }
        MailMessage::DownloadNotification {
            share_name,
            visitor,
            paths,
            at,
            ip,
        } => {
            let name = single_line(share_name);
            let who = visitor
                .as_deref()
                .map(single_line)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "An anonymous visitor".to_owned());
            let _ = writeln!(
                text,
                "{who} downloaded from your share “{name}” on {}.",
                when(*at)
            );
            html.para_with(
                &format!("{{}} downloaded from your share {{}} on {}.", when(*at)),
                &[&who, &name],
            );
            if let Some(ip) = ip {
                let _ = writeln!(text, "From address: {ip}");
                html.para(&format!("From address: {ip}"));
            }
            let items: Vec<String> = if paths.is_empty() {
                vec!["all files".to_owned()]
            } else {
                paths.iter().map(|p| single_line(p)).collect()
            };
            let _ = writeln!(text, "\nDownloaded:");
            for item in &items {
                let _ = writeln!(text, "- {item}");
            }
            html.para("Downloaded:");
            html.list(&items);
            format!("“{}” was downloaded", subject_part(&name))
        }
        MailMessage::LinkResent { share_name, link } => {
            let name = single_line(share_name);
            let _ = writeln!(
                text,
                "Your link to “{name}” on {site} was opened in another browser, so it no longer works there.\nHere is a fresh link, for you only:\n\n{}\n",
                link.0
            );
            html.para_with(
                "Your link to {} was opened in another browser, so it no longer works there. Here is a fresh link, for you only:",
                &[&name],
            );
            html.button("Open the share", &link.0);
            let note =
                "If you did not open the link elsewhere, tell the person who shared it with you.";
            let _ = writeln!(text, "{note}");
            html.para(note);
            format!("Your new link to “{}”", subject_part(&name))
        }
        MailMessage::ExpiryReminder {
            share_name,
            expires_at,
        } => {
            let name = single_line(share_name);
            let date = when(*expires_at);
            let _ = writeln!(
                text,
                "Your share “{name}” on {site} expires on {date}.\nAfter that, visitors can no longer open it. You can extend it from your list of shares."
            );
            html.para_with(&format!("Your share {{}} expires on {date}."), &[&name]);
            html.para(
                "After that, visitors can no longer open it. You can extend it from your list of shares.",
            );
            format!("“{}” expires on {date}", subject_part(&name))
        }
        MailMessage::UnderAttack {
            share_name,
            target,
            attempts,
            window_minutes,
            at,
        } => {
            let name = single_line(share_name);
            let target = single_line(target);
            let date = when(*at);
            let _ = writeln!(
                text,
                "Someone is guessing {target} of your share “{name}” on {site}: {attempts} attempts within {window_minutes} minutes, by {date}."
            );
            html.para_with(
                &format!(
                    "Someone is guessing {{}} of your share {{}}: {attempts} attempts within {window_minutes} minutes, by {date}."
                ),
                &[&target, &name],
            );
            let note = "New attempts are slowed down for now; visitors who opened the share before are not affected. If the password may have leaked, change it or revoke the share.";
            let _ = writeln!(text, "{note}");
            html.para(note);
            format!("Someone is guessing at “{}”", subject_part(&name))
        }
        MailMessage::OwnerNotice { notice } => {
            let (line, details) = describe(notice, &when);
            let _ = writeln!(text, "{line}");
            html.para(&line);
            for d in &details {
                let _ = writeln!(text, "{d}");
            }
            if !details.is_empty() {
                html.list(&details);
            }
            let what = match notice.activity.kind() {
                ActivityKind::Download => "a download",
                ActivityKind::Upload => "a new upload",
                ActivityKind::Registration => "a new registration",
                ActivityKind::FirstVisit => "a first visit",
                ActivityKind::ExpirySoon => "its expiry",
            };
            format!("“{}”: {what}", subject_part(&notice.share_name))
        }
        MailMessage::OwnerDigest { notices } => {
            let intro = format!(
                "What happened on your shares on {site} since the last summary ({} events):",
                notices.len()
            );
            let _ = writeln!(text, "{intro}\n");
            html.para(&intro);
            let mut lines = Vec::with_capacity(notices.len());
            for notice in notices {
                let (line, details) = describe(notice, &when);
                let _ = writeln!(text, "- {line}");
                for d in &details {
                    let _ = writeln!(text, "    {d}");
                }
                lines.push(if details.is_empty() {
                    line
                } else {
                    format!("{line} ({})", details.join("; "))
                });
            }
            html.list(&lines);
            let shares: std::collections::BTreeSet<&str> =
                notices.iter().map(|n| n.share_name.as_str()).collect();
            match (shares.len(), shares.first()) {
                (1, Some(name)) => format!("Activity on “{}”", subject_part(name)),
                (n, _) => format!("Activity on {n} of your shares"),
            }
        }
    };
    let _ = write!(text, "\n-- \n{site}\n");
    let subject = format!("[{}] {subject}", subject_part(&site));
    let html = html.document(&subject, branding);
    RenderedMail::new(&subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::mailer::Secret;
    use crate::{Branding, Email};
    use time::macros::datetime;

    fn mail(message: MailMessage) -> Mail {
        Mail {
            to: Email::parse("ana@example.com").unwrap(),
            to_name: Some("Ana".to_owned()),
            branding: Branding {
                site_title: "Acme <Files>".to_owned(),
                sender_name: "Acme".to_owned(),
                logo_url: Some("javascript:alert(1)".to_owned()),
                ..Branding::default()
            },
            from: None,
            time_zone: None,
            locale: None,
            message,
        }
    }

    fn all_kinds(hostile: &str) -> Vec<MailMessage> {
        let at = datetime!(2030-01-02 03:04 UTC);
        vec![
            MailMessage::Invitation {
                share_name: hostile.to_owned(),
                sender: hostile.to_owned(),
                message: Some(hostile.to_owned()),
                link: Secret("https://x.example/s/KEY".to_owned()),
                expires_at: Some(at),
            },
            MailMessage::OneTimeCode {
                share_name: hostile.to_owned(),
                code: Secret("KEY".to_owned()),
                valid_minutes: 10,
            },
            MailMessage::DownloadNotification {
                share_name: hostile.to_owned(),
                visitor: Some(hostile.to_owned()),
                paths: vec![hostile.to_owned()],
                at,
                ip: Some("192.0.2.1".parse().unwrap()),
            },
            MailMessage::LinkResent {
                share_name: hostile.to_owned(),
                link: Secret("https://x.example/s/KEY".to_owned()),
            },
            MailMessage::ExpiryReminder {
                share_name: hostile.to_owned(),
                expires_at: at,
            },
            MailMessage::UnderAttack {
                share_name: hostile.to_owned(),
                target: hostile.to_owned(),
                attempts: 101,
                window_minutes: 15,
                at,
            },
            MailMessage::OwnerNotice {
                notice: Notice {
                    share_name: hostile.to_owned(),
                    activity: Activity::Uploaded {
                        visitor: Some(hostile.to_owned()),
                        path: hostile.to_owned(),
                        bytes: 5,
                        ip: None,
                    },
                    at,
                },
            },
            MailMessage::OwnerDigest {
                notices: vec![
                    Notice {
                        share_name: hostile.to_owned(),
                        activity: Activity::Registered {
                            name: Some(hostile.to_owned()),
                            email: Some(hostile.to_owned()),
                        },
                        at,
                    },
                    Notice {
                        share_name: hostile.to_owned(),
                        activity: Activity::FirstVisit {
                            recipient: hostile.to_owned(),
                        },
                        at,
                    },
                ],
            },
        ]
    }

    #[test]
    fn escaping_table() {
        for (input, expected) in [
            ("plain", "plain"),
            ("<b>", "&lt;b&gt;"),
            ("a & b", "a &amp; b"),
            (r#""q""#, "&quot;q&quot;"),
            ("it's", "it&#39;s"),
            ("&amp;", "&amp;amp;"),
        ] {
            assert_eq!(escape_html(input), expected, "{input}");
        }
    }

    #[test]
    fn single_line_table() {
        for (input, expected) in [
            ("a\r\nb", "a b"),
            ("\n\nx\n", "x"),
            ("a\u{2028}b\u{0}c", "a b c"),
            ("a\t \t b", "a b"),
            ("ünï  cødé", "ünï cødé"),
        ] {
            assert_eq!(single_line(input), expected, "{input:?}");
        }
    }

    #[test]
    fn every_kind_escapes_user_text_and_keeps_subject_on_one_line() {
        let hostile = "<script>alert(1)</script>\r\nBcc: eve@example.com";
        for message in all_kinds(hostile) {
            let rendered = DefaultRenderer.render(&mail(message.clone())).unwrap();
            assert!(!rendered.html().contains("<script"), "{message:?}");
            assert!(rendered.html().contains("&lt;script&gt;"), "{message:?}");
            assert!(!rendered.subject().contains(['\r', '\n']), "{message:?}");
            assert!(rendered.subject().starts_with("[Acme <Files>] "));
            assert!(rendered.html().contains("Acme &lt;Files&gt;"));
            assert!(
                !rendered.html().contains("javascript:"),
                "logo is not a web link"
            );
            assert!(rendered.text().contains("<script>alert(1)</script>"));
            if matches!(
                message,
                MailMessage::Invitation { .. }
                    | MailMessage::OneTimeCode { .. }
                    | MailMessage::LinkResent { .. }
            ) {
                assert!(rendered.text().contains("KEY"), "{message:?}");
                assert!(rendered.html().contains("KEY"), "{message:?}");
            }
        }
    }

    #[test]
    fn links_become_buttons_only_when_they_are_web_links() {
        let mut m = mail(all_kinds("x").remove(0));
        let rendered = DefaultRenderer.render(&m).unwrap();
        assert!(
            rendered
                .html()
                .contains(r#"href="https://x.example/s/KEY""#)
        );
        if let MailMessage::Invitation { link, .. } = &mut m.message {
            *link = Secret("javascript:alert(1)".to_owned());
        }
        let rendered = DefaultRenderer.render(&m).unwrap();
        assert!(!rendered.html().contains("href=\"javascript"));
    }

    #[test]
    fn long_names_are_cut_in_subjects_only() {
        let long = "n".repeat(500);
        let rendered = DefaultRenderer
            .render(&mail(MailMessage::ExpiryReminder {
                share_name: long.clone(),
                expires_at: datetime!(2030-01-02 03:04 UTC),
            }))
            .unwrap();
        assert!(rendered.subject().chars().count() < 200);
        assert!(rendered.text().contains(&long));
    }

    #[test]
    fn debug_hides_the_parts() {
        let rendered = DefaultRenderer
            .render(&mail(all_kinds("x").remove(1)))
            .unwrap();
        let debug = format!("{rendered:?}");
        assert!(!debug.contains("KEY"), "{debug}");
    }

    #[test]
    fn dates_show_in_the_share_time_zone_and_name_it() {
        let mut m = mail(all_kinds("x").remove(0));
        let utc = DefaultRenderer.render(&m).unwrap();
        assert!(
            utc.text().contains("2 January 2030, 03:04 (UTC)"),
            "{}",
            utc.text()
        );
        m.time_zone = Some("Europe/Paris".to_owned());
        let paris = DefaultRenderer.render(&m).unwrap();
        for part in [paris.text(), paris.html()] {
            assert!(
                part.contains("2 January 2030, 04:04 (Europe/Paris)"),
                "{part}"
            );
        }
        let mut reminder = mail(all_kinds("x").remove(4));
        reminder.time_zone = Some("America/New_York".to_owned());
        let rendered = DefaultRenderer.render(&reminder).unwrap();
        assert!(
            rendered
                .subject()
                .contains("1 January 2030, 22:04 (America/New_York)"),
            "{}",
            rendered.subject()
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        for message in all_kinds("x") {
            let m = mail(message);
            assert_eq!(
                DefaultRenderer.render(&m).unwrap(),
                DefaultRenderer.render(&m).unwrap()
            );
        }
    }
}

//! Mails in the visitor's language, through the real SMTP server: a French browser
//! (`Accept-Language`) asking for a one-time code gets a French mail, a browser that
//! picked Chinese with the language switcher a Chinese one; and a site with its own
//! branding is never called sharelink in what the recipient reads.

use sharelink_core::{AccessControl, Branding, Email, EmailPattern, SiteSettings};
use sharelink_tests::{
    Backend, MailDev, ReceivedMail, Stack, on_every_backend, random_tag, smtp_configured,
};

on_every_backend!(a_visitor_gets_the_code_in_the_language_of_the_page,);

/// Acme's site: its own title, sender name and From address.
fn acme() -> SiteSettings {
    SiteSettings {
        branding: Branding {
            site_title: "Acme Files".to_owned(),
            sender_name: "Acme".to_owned(),
            ..Branding::default()
        },
        notification_sender: Some(Email::parse("shares@acme.example").expect("an address")),
        ..SiteSettings::default()
    }
}

/// What the recipient reads: the subject, both parts, and the headers a mail program
/// shows (From with its display name, To, Subject, Reply-To). The mailer's own address
/// (the envelope, `Sender`, the Message-ID's domain) is the embedder's configuration.
async fn assert_white_label(mail: &MailDev, message: &ReceivedMail) {
    let source = mail.source(message).await;
    let head = source.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let mut seen = vec![
        ("subject", message.subject.clone()),
        ("text", message.text.clone()),
        ("html", message.html.clone()),
    ];
    let mut from = None;
    for line in unfolded.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if name == "from" {
            from = Some(value.trim().to_owned());
        }
        if matches!(name.as_str(), "from" | "to" | "subject" | "reply-to") {
            seen.push(("header", line.to_owned()));
        }
    }
    assert_eq!(
        from.as_deref(),
        Some("Acme <shares@acme.example>"),
        "{head}"
    );
    for (what, text) in seen {
        assert!(
            !text.to_lowercase().contains("sharelink"),
            "{what} names the product: {text}"
        );
    }
}

async fn a_visitor_gets_the_code_in_the_language_of_the_page(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let stack = Stack::with_site(backend, acme()).await;
    let mail = stack.mail.clone().expect("MailDev");
    let tag = random_tag();
    let french = Email::parse(&format!("rita.{tag}@acme.example")).expect("an address");
    let chinese = Email::parse(&format!("li.{tag}@acme.example")).expect("an address");
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.name = "Rapports".to_owned();
            s.access = AccessControl::VerifiedEmails(vec![
                EmailPattern::parse(french.as_str()).expect("a pattern"),
                EmailPattern::parse(chinese.as_str()).expect("a pattern"),
            ]);
        })
        .await;
    let key = share.key.to_string();

    // A French browser: the language comes from Accept-Language.
    let mut visitor = stack.visitor();
    visitor.set_header("accept-language", "fr-CH, fr;q=0.9, en;q=0.5");
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 401, "{}", gate.text());
    let asked = visitor
        .post_form(&format!("/s/{key}/email"), &[("email", french.as_str())])
        .await;
    assert!(asked.status < 400, "{}: {}", asked.status, asked.text());
    let message = &mail.wait_for(&french, 1).await[0];
    assert_eq!(
        message.subject, "[Acme Files] Votre code pour « Rapports »",
        "{message:?}"
    );
    assert!(
        message
            .text
            .contains("Votre code pour ouvrir «\u{a0}Rapports\u{a0}» sur Acme Files\u{a0}:"),
        "{}",
        message.text
    );
    assert!(
        message.html.contains("<html lang=\"fr\">"),
        "{}",
        message.html
    );
    assert!(message.html.contains("Il est valable"), "{}", message.html);
    assert_white_label(&mail, message).await;
    let code = message
        .code(6)
        .unwrap_or_else(|| panic!("no code in {message:?}"));
    let passed = visitor
        .post_form(&format!("/s/{key}/code"), &[("code", &code)])
        .await;
    assert_eq!(passed.status, 200, "{}", passed.text());

    // A browser that picked Chinese with the switcher (the cookie outranks its English
    // Accept-Language).
    let mut visitor = stack.visitor();
    visitor.set_header("accept-language", "en-US, en;q=0.9");
    let gate = visitor.get(&format!("/s/{key}?lang=zh-CN")).await;
    assert_eq!(gate.status, 401, "{}", gate.text());
    assert_eq!(visitor.cookie("sl_lang"), Some("zh-CN"));
    let asked = visitor
        .post_form(&format!("/s/{key}/email"), &[("email", chinese.as_str())])
        .await;
    assert!(asked.status < 400, "{}: {}", asked.status, asked.text());
    let message = &mail.wait_for(&chinese, 1).await[0];
    assert_eq!(
        message.subject, "[Acme Files] 您用于“Rapports”的验证码",
        "{message:?}"
    );
    assert!(
        message.html.contains("<html lang=\"zh-CN\">"),
        "{}",
        message.html
    );
    assert!(message.text.contains("分钟内有效"), "{}", message.text);
    assert_white_label(&mail, message).await;
}

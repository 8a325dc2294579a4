//! End-to-end gates over a real socket: password, emailed-only links bound to one browser
//! (the fresh link read back from the SMTP server), verified emails with a one-time code
//! read back from the SMTP server, a custom registration form, and clickwrap.

use reqwest::Method;
use serde_json::json;
use sharelink_core::{
    AccessControl, Clickwrap, EmailPattern, FieldKind, FormField, RegistrationForm,
};
use sharelink_tests::{Backend, Stack, on_every_backend, smtp_configured};

on_every_backend!(
    password_gate_guards_listing_and_downloads,
    emailed_only_link_binds_to_one_browser_and_resends_a_fresh_link,
    verified_email_passes_with_the_code_from_the_mail,
    registration_with_a_custom_form,
    clickwrap_must_be_accepted_first,
    autofill_mails_a_link_that_opens_past_the_password,
);

async fn password_gate_guards_listing_and_downloads(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share_with_password("ana", &["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true;
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 401, "{}", gate.text());
    assert_eq!(gate.json()["error"], "password_required");
    assert!(gate.json()["entries"].is_null());
    // No side door: the file and the listing stay closed.
    let side = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(side.status, 401, "{}", side.text());
    assert!(!side.text().contains("alpha"));
    let listing = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert!(!listing.text().contains("a.txt"), "{}", listing.text());

    let no_csrf = stack
        .visitor()
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "correct horse 1")],
        )
        .await;
    assert_eq!(no_csrf.status, 403, "a form without the CSRF cookie");

    let wrong = visitor
        .post_form(&format!("/s/{key}/password"), &[("password", "nope")])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    // The wrong answer opened this browser's session (a first fetch stores none): the
    // refusal carries its cookie, so the right answer goes on in it, one visit in all.
    assert!(
        visitor.has_session(),
        "the refusal carries the session it opened"
    );
    let right = visitor
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "correct horse 1")],
        )
        .await;
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(right.json()["entries"][0]["name"], "reports");
    let file = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert_eq!(&file.body[..], b"alpha");
    let stats = stack.statistics(&share).await;
    assert_eq!(stats["visits"], 1, "{stats}");

    // Another browser must pass the gate itself.
    let mut other = stack.visitor();
    assert_eq!(other.get(&format!("/s/{key}")).await.status, 401);
}

async fn emailed_only_link_binds_to_one_browser_and_resends_a_fresh_link(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let stack = Stack::start(backend).await;
    let mail = stack.mail.clone().expect("MailDev");
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.name = "Quarterly reports".into();
            s.access = AccessControl::EmailedOnly;
        })
        .await;
    let key = share.key.to_string();
    let guest = stack.email("guest");
    let sent = stack
        .api(
            Method::POST,
            &format!("/shares/{}/email", share.id.0),
            Some("ana"),
            Some(json!({
                "recipients": [{ "email": guest.as_str(), "company": "Client Ltd" }],
                "message": "Here are the reports.",
            })),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert_eq!(sent.json()["outcomes"][0]["ok"], true, "{}", sent.text());

    let prefix = format!("{}/s/{key}?r=", stack.base);
    let invitation = &mail.wait_for(&guest, 1).await[0];
    assert!(
        invitation.text.contains("Here are the reports."),
        "{invitation:?}"
    );
    let link = invitation
        .link_starting_with(&prefix)
        .unwrap_or_else(|| panic!("no link in {invitation:?}"));

    // Without a recipient's link, the share stays closed.
    let stranger = stack.visitor().get(&format!("/s/{key}")).await;
    assert_eq!(stranger.status, 403, "{}", stranger.text());

    // Fetching the link as mailed takes nothing (a mail scanner does that): the recipient
    // is asked to confirm, and the invitation is theirs once they do.
    let code = link
        .rsplit_once("?r=")
        .expect("a recipient code")
        .1
        .to_owned();
    let mut scanner = stack.visitor();
    let scanned = scanner.get_url(&link).await;
    assert_eq!(scanned.status, 409, "{}", scanned.text());
    assert_eq!(scanned.json()["error"], "confirmation_required");
    let mut first = stack.visitor();
    let asked = first.get_url(&link).await;
    assert_eq!(asked.status, 409, "{}", asked.text());
    let page = first
        .post_form(&format!("/s/{key}/open"), &[("r", &code)])
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.json()["entries"][0]["name"], "reports");
    let file = first.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");
    // The owner's log names the recipient behind the download.
    let downloads = stack.logged_downloads(&share, 1).await;
    assert_eq!(downloads[0]["email"], guest.as_str(), "{downloads:?}");

    // A second browser is refused, and the recipient gets a fresh link by email.
    let mut second = stack.visitor();
    let asked = second.get_url(&link).await;
    assert_eq!(asked.status, 409, "{}", asked.text());
    let refused = second
        .post_form(&format!("/s/{key}/open"), &[("r", &code)])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.json()["error"], "invitation_already_used");
    let mails = mail.wait_for(&guest, 2).await;
    // Both mails can carry the same second: find the re-sent one by its subject.
    let resent = mails
        .iter()
        .find(|m| m.subject.contains("new link"))
        .unwrap_or_else(|| panic!("no re-sent link in {mails:?}"));
    let fresh = resent
        .link_starting_with(&prefix)
        .unwrap_or_else(|| panic!("no link in {resent:?}"));
    assert_ne!(fresh, link, "the re-sent link is a new one");

    // The fresh link works in the browser that now holds it; the old one no longer does.
    let fresh_code = fresh
        .rsplit_once("?r=")
        .expect("a recipient code")
        .1
        .to_owned();
    let page = second
        .post_form(&format!("/s/{key}/open"), &[("r", &fresh_code)])
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let stale = stack.visitor().get_url(&link).await;
    assert_eq!(stale.status, 403, "{}", stale.text());
    let recipients = stack
        .api(
            Method::GET,
            &format!("/shares/{}/recipients", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    let r = recipients.json();
    assert_eq!(r["recipients"][0]["email"], guest.as_str(), "{r}");
    assert_eq!(r["recipients"][0]["bound"], true, "{r}");
}

async fn autofill_mails_a_link_that_opens_past_the_password(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let stack = Stack::start(backend).await;
    let mail = stack.mail.clone().expect("MailDev");
    let password = "open sesame & co";
    let share = stack
        .share_with_password("ana", &["docs/reports"], Some(password), |s| {
            s.name = "Autofilled reports".into();
            s.password_autofill = true;
            s.schedule.time_zone = Some("Europe/Paris".into());
            s.schedule.expires_at = Some(time::macros::datetime!(2026-12-03 16:00 UTC));
        })
        .await;
    let key = share.key.to_string();
    let encoded = "code=open%20sesame%20%26%20co";
    // The owner reads the link with the code back from the database.
    let read = stack
        .api(
            Method::GET,
            &format!("/shares/{}", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(
        read.json()["link"],
        format!("{}/s/{key}?{encoded}", stack.base),
        "{}",
        read.text()
    );

    let guest = stack.email("autofill");
    let sent = stack
        .api(
            Method::POST,
            &format!("/shares/{}/email", share.id.0),
            Some("ana"),
            Some(json!({ "recipients": [{ "email": guest.as_str() }] })),
        )
        .await;
    assert_eq!(sent.json()["outcomes"][0]["ok"], true, "{}", sent.text());
    let invitation = &mail.wait_for(&guest, 1).await[0];
    let link = invitation
        .link_starting_with(&format!("{}/s/{key}?r=", stack.base))
        .unwrap_or_else(|| panic!("no link in {invitation:?}"));
    assert!(link.ends_with(&format!("&{encoded}")), "{link}");
    assert!(invitation.html.contains(encoded), "{invitation:?}");
    // Dates are in the share's time zone, which the mail names.
    assert!(
        invitation
            .text
            .contains("3 December 2026, 17:00 (Europe/Paris)"),
        "{}",
        invitation.text
    );

    // The recipient presses the button of the link as mailed and is inside: no prompt.
    let mut guest_browser = stack.visitor();
    let asked = guest_browser.get_url(&link).await;
    assert_eq!(asked.status, 409, "{}", asked.text());
    let (_, query) = link.split_once('?').expect("a query");
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        fields.contains(&("code".to_owned(), password.to_owned())),
        "{fields:?}"
    );
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let page = guest_browser
        .post_form(&format!("/s/{key}/open"), &fields)
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(
        page.json()["entries"][0]["name"],
        "reports",
        "{}",
        page.text()
    );
    // Without the code the password is asked for.
    let bare = stack.visitor().get(&format!("/s/{key}")).await;
    assert_eq!(bare.json()["error"], "password_required", "{}", bare.text());
}

async fn verified_email_passes_with_the_code_from_the_mail(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let stack = Stack::start(backend).await;
    let mail = stack.mail.clone().expect("MailDev");
    let guest = stack.email("verified");
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.access =
                AccessControl::VerifiedEmails(vec![EmailPattern::parse(guest.as_str()).unwrap()]);
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 401, "{}", gate.text());
    assert_eq!(gate.json()["error"], "email_verification_required");

    let outsider = stack.email("outsider");
    let refused = visitor
        .post_form(&format!("/s/{key}/email"), &[("email", outsider.as_str())])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());

    let asked = visitor
        .post_form(&format!("/s/{key}/email"), &[("email", guest.as_str())])
        .await;
    assert!(asked.status < 400, "{}: {}", asked.status, asked.text());
    let message = &mail.wait_for(&guest, 1).await[0];
    let code = message
        .code(6)
        .unwrap_or_else(|| panic!("no code in {message:?}"));
    assert!(mail.received_by(&outsider).await.is_empty());

    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = visitor
        .post_form(&format!("/s/{key}/code"), &[("code", wrong_code)])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    let right = visitor
        .post_form(&format!("/s/{key}/code"), &[("code", &code)])
        .await;
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(right.json()["entries"][0]["name"], "reports");
    let file = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");
}

async fn registration_with_a_custom_form(backend: Backend) {
    let stack = Stack::start(backend).await;
    let field = |label: &str, required: bool, kind: FieldKind| FormField {
        label: label.into(),
        description: None,
        required,
        kind,
    };
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.registration = Some(RegistrationForm::Custom {
                fields: vec![
                    field("Full name", true, FieldKind::ShortAnswer),
                    field(
                        "Role",
                        true,
                        FieldKind::Dropdown {
                            options: vec!["Buyer".into(), "Seller".into()],
                        },
                    ),
                    field(
                        "Size",
                        false,
                        FieldKind::MultipleChoice {
                            options: vec!["Small".into(), "Large".into()],
                        },
                    ),
                    field("Why", false, FieldKind::Paragraph),
                ],
            });
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 403, "{}", gate.text());
    let g = gate.json();
    assert_eq!(g["error"], "registration_required", "{g}");
    assert!(g.to_string().contains("Full name"), "{g}");

    let url = format!("/s/{key}/register");
    let missing = visitor.post_form(&url, &[("field:Role", "Buyer")]).await;
    assert_eq!(missing.status, 422, "{}", missing.text());
    let bad_option = visitor
        .post_form(
            &url,
            &[("field:Full name", "Bo Client"), ("field:Role", "Thief")],
        )
        .await;
    assert_eq!(bad_option.status, 422, "{}", bad_option.text());
    let ok = visitor
        .post_form(
            &url,
            &[
                ("field:Full name", "Bo Client"),
                ("field:Role", "Seller"),
                ("field:Size", "Large"),
                ("field:Why", "Due diligence\nfor the merger"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["entries"][0]["name"], "reports");

    let list = stack
        .api(
            Method::GET,
            &format!("/shares/{}/registrations", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    let regs = list.json()["registrations"].clone();
    assert_eq!(regs.as_array().map(Vec::len), Some(1), "{regs}");
    let answers = &regs[0]["registration"]["answers"];
    let answer = |label: &str| {
        answers
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["label"] == label)
            .map(|a| a["value"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(answer("Full name").as_deref(), Some("Bo Client"), "{regs}");
    assert_eq!(answer("Role").as_deref(), Some("Seller"));
    assert_eq!(answer("Size").as_deref(), Some("Large"));
    assert_eq!(
        answer("Why").as_deref(),
        Some("Due diligence\nfor the merger")
    );
}

async fn clickwrap_must_be_accepted_first(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.clickwrap = Some(Clickwrap {
                title: "Non-disclosure".into(),
                terms: "Keep these <files> secret.".into(),
            });
        })
        .await;
    let key = share.key.to_string();

    // Page visitors read the terms, escaped.
    let mut browser = stack.html_visitor();
    let page = browser.get(&format!("/s/{key}")).await;
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(
        page.text().contains("Keep these &lt;files&gt; secret."),
        "{}",
        page.text()
    );
    assert!(page.text().contains("I accept"));

    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 403, "{}", gate.text());
    assert_eq!(gate.json()["error"], "clickwrap_required");
    let early = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert!(early.status >= 400, "{}", early.text());
    assert!(!early.text().contains("alpha"));

    let accepted = visitor.post_form(&format!("/s/{key}/terms"), &[]).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.json()["entries"][0]["name"], "reports");
    let file = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");
    let log = stack
        .api(
            Method::GET,
            &format!("/shares/{}/log", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert!(log.text().contains("gate_passed"), "{}", log.text());
}

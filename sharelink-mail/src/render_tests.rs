//! Tests of the templated renderer: every kind in every language, escaping, links,
//! dates, subjects, white label, themes.

use super::*;
use crate::i18n::Language;
use proptest::prelude::*;
use sharelink_core::ports::mailer::Secret;
use sharelink_core::{Branding, Email};
use time::macros::datetime;

fn renderer() -> TemplateRenderer {
    TemplateRenderer::new().expect("the default templates build")
}

fn branding() -> Branding {
    Branding {
        site_title: "Acme <Files>".to_owned(),
        sender_name: "Acme".to_owned(),
        logo_url: Some("javascript:alert(1)".to_owned()),
        ..Branding::default()
    }
}

fn mail(message: MailMessage) -> Mail {
    Mail {
        to: Email::parse("ana@example.com").unwrap(),
        to_name: Some("Ana".to_owned()),
        branding: branding(),
        from: None,
        time_zone: None,
        locale: None,
        message,
    }
}

fn in_language(message: MailMessage, language: Language) -> Mail {
    Mail {
        locale: Some(language.tag().to_owned()),
        ..mail(message)
    }
}

fn all_kinds(hostile: &str) -> Vec<MailMessage> {
    let at = datetime!(2030-01-02 03:04 UTC);
    let notice = |activity| Notice {
        share_name: hostile.to_owned(),
        activity,
        at,
    };
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
            notice: notice(Activity::Uploaded {
                visitor: Some(hostile.to_owned()),
                path: hostile.to_owned(),
                bytes: 5,
                ip: None,
            }),
        },
        MailMessage::OwnerDigest {
            notices: vec![
                notice(Activity::Registered {
                    name: Some(hostile.to_owned()),
                    email: Some(hostile.to_owned()),
                }),
                notice(Activity::FirstVisit {
                    recipient: hostile.to_owned(),
                }),
                notice(Activity::Downloaded {
                    visitor: None,
                    paths: Vec::new(),
                    ip: Some("192.0.2.1".parse().unwrap()),
                }),
                notice(Activity::ExpirySoon { expires_at: at }),
            ],
        },
    ]
}

/// The message ids of the English translations: none may show in a mail (a missing
/// translation shows its id).
fn message_ids() -> Vec<String> {
    Language::En
        .source()
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '\t', '}']) && l.contains(" ="))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
        .collect()
}

#[test]
fn every_kind_has_its_three_templates_and_the_defaults_build() {
    for kind in KINDS {
        for part in ["subject.txt", "txt", "html"] {
            let name = format!("{kind}.{part}");
            assert!(MailTheme::default_template(&name).is_some(), "{name}");
        }
    }
    assert_eq!(
        KINDS.to_vec(),
        all_kinds("x")
            .iter()
            .map(MailMessage::kind)
            .collect::<Vec<_>>()
    );
    MailTheme::new().check().expect("the defaults build");
}

#[test]
fn every_kind_renders_in_every_language_without_a_missing_text() {
    let r = renderer();
    let ids = message_ids();
    for language in Language::ALL {
        for message in all_kinds("Plans") {
            let m = in_language(message, language);
            let out = r.render(&m).expect("renders");
            for part in [out.subject(), out.text(), out.html()] {
                for id in &ids {
                    // Only whole ids (`date` is also a word of English text).
                    if id.contains('-') {
                        assert!(!part.contains(id.as_str()), "{id} in {part}");
                    }
                }
            }
            assert!(
                out.html()
                    .contains(&format!("<html lang=\"{}\">", language.tag())),
                "{}",
                out.html()
            );
            assert!(
                out.subject().starts_with("[Acme <Files>] "),
                "{}",
                out.subject()
            );
            assert!(
                out.text().ends_with("-- \nAcme <Files>\n"),
                "{:?}",
                out.text()
            );
        }
    }
}

#[test]
fn escaping_table() {
    let r = renderer();
    for (input, expected) in [
        ("plain", "plain"),
        ("<b>", "&lt;b&gt;"),
        ("a & b", "a &amp; b"),
        (r#""q""#, "&quot;q&quot;"),
        ("it's", "it&#39;s"),
        ("&amp;", "&amp;amp;"),
    ] {
        let out = r.render(&mail(all_kinds(input).remove(1))).unwrap();
        assert!(out.html().contains(expected), "{input}: {}", out.html());
        assert!(out.text().contains(input), "{input}: {}", out.text());
    }
}

#[test]
fn every_kind_escapes_user_text_and_keeps_subject_on_one_line() {
    let r = renderer();
    let hostile = "<script>alert(1)</script>\r\nBcc: eve@example.com";
    for language in Language::ALL {
        for message in all_kinds(hostile) {
            let rendered = r.render(&in_language(message.clone(), language)).unwrap();
            assert!(!rendered.html().contains("<script"), "{message:?}");
            assert!(rendered.html().contains("&lt;script&gt;"), "{message:?}");
            assert!(!rendered.subject().contains(['\r', '\n']), "{message:?}");
            assert!(rendered.html().contains("Acme &lt;Files&gt;"));
            assert!(
                !rendered.html().contains("javascript:"),
                "the logo is not a web link"
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
}

#[test]
fn links_become_buttons_only_when_they_are_web_links() {
    let r = renderer();
    let mut m = mail(all_kinds("x").remove(0));
    let rendered = r.render(&m).unwrap();
    assert!(
        rendered
            .html()
            .contains(r#"<a class="button" href="https://x.example/s/KEY">Open the share</a>"#),
        "{}",
        rendered.html()
    );
    if let MailMessage::Invitation { link, .. } = &mut m.message {
        *link = Secret("javascript:alert(1)".to_owned());
    }
    let rendered = r.render(&m).unwrap();
    assert!(!rendered.html().contains("href=\"javascript"));
    assert!(!rendered.html().contains("class=\"button\""));
    assert!(
        rendered.html().contains("javascript:alert(1)"),
        "shown as text"
    );
}

#[test]
fn long_names_are_cut_in_subjects_only() {
    let long = "n".repeat(500);
    let rendered = renderer()
        .render(&mail(MailMessage::ExpiryReminder {
            share_name: long.clone(),
            expires_at: datetime!(2030-01-02 03:04 UTC),
        }))
        .unwrap();
    assert!(rendered.subject().chars().count() < 200);
    assert!(rendered.text().contains(&long));
    assert!(rendered.html().contains(&long));
}

#[test]
fn dates_show_in_the_share_time_zone_and_name_it() {
    let r = renderer();
    let mut m = mail(all_kinds("x").remove(0));
    let utc = r.render(&m).unwrap();
    assert!(
        utc.text().contains("2 January 2030, 03:04 (UTC)"),
        "{}",
        utc.text()
    );
    m.time_zone = Some("Europe/Paris".to_owned());
    let paris = r.render(&m).unwrap();
    for part in [paris.text(), paris.html()] {
        assert!(
            part.contains("2 January 2030, 04:04 (Europe/Paris)"),
            "{part}"
        );
    }
    m.locale = Some("fr".to_owned());
    let french = r.render(&m).unwrap();
    assert!(
        french
            .text()
            .contains("Le lien fonctionne jusqu’au 2 janvier 2030, 04:04 (Europe/Paris)."),
        "{}",
        french.text()
    );
    let mut reminder = mail(all_kinds("x").remove(4));
    reminder.time_zone = Some("America/New_York".to_owned());
    let rendered = r.render(&reminder).unwrap();
    assert!(
        rendered
            .subject()
            .contains("1 January 2030, 22:04 (America/New_York)"),
        "{}",
        rendered.subject()
    );
}

#[test]
fn the_mail_language_wins_over_the_default_and_an_unknown_one_falls_back() {
    let code = all_kinds("Plans").remove(1);
    let german_site = MailTheme::new()
        .with_default_locale("de")
        .renderer()
        .expect("builds");
    let owner = german_site.render(&mail(code.clone())).unwrap();
    assert_eq!(owner.subject(), "[Acme <Files>] Ihr Code für „Plans“");
    let visitor = german_site
        .render(&in_language(code.clone(), Language::ZhCn))
        .unwrap();
    assert_eq!(visitor.subject(), "[Acme <Files>] 您用于“Plans”的验证码");
    assert!(
        visitor.text().contains("验证码在 10 分钟内有效"),
        "{}",
        visitor.text()
    );
    let unknown = Mail {
        locale: Some("ja".to_owned()),
        ..mail(code.clone())
    };
    assert_eq!(
        german_site.render(&unknown).unwrap().subject(),
        owner.subject()
    );
    let french = renderer().render(&in_language(code, Language::Fr)).unwrap();
    // The subject is one line of plain spaces; the body keeps the no-break ones.
    assert_eq!(french.subject(), "[Acme <Files>] Votre code pour « Plans »");
    assert!(
        french.text().contains("«\u{a0}Plans\u{a0}»"),
        "{}",
        french.text()
    );
    assert!(
        matches!(
            MailTheme::new().with_default_locale("tlh").check(),
            Err(ThemeError::UnknownLocale(t)) if t == "tlh"
        ),
        "Klingon is refused"
    );
}

#[test]
fn plural_forms_follow_the_count() {
    let r = renderer();
    let one = r
        .render(&mail(MailMessage::OneTimeCode {
            share_name: "S".to_owned(),
            code: Secret("1".to_owned()),
            valid_minutes: 1,
        }))
        .unwrap();
    assert!(
        one.text().contains("It is valid for one minute."),
        "{}",
        one.text()
    );
    let attack = r.render(&mail(all_kinds("S").remove(5))).unwrap();
    assert!(
        attack
            .text()
            .contains("101 attempts within 15 minutes, by 2 January 2030, 03:04 (UTC)."),
        "{}",
        attack.text()
    );
}

#[test]
fn under_attack_targets_are_translated() {
    let mut m = in_language(all_kinds("S").remove(5), Language::Fr);
    if let MailMessage::UnderAttack { target, .. } = &mut m.message {
        *target = "the password".to_owned();
    }
    let out = renderer().render(&m).unwrap();
    assert!(
        out.text()
            .contains("deviner le mot de passe de votre partage"),
        "{}",
        out.text()
    );
}

#[test]
fn debug_hides_the_parts() {
    let rendered = renderer().render(&mail(all_kinds("x").remove(1))).unwrap();
    let debug = format!("{rendered:?}");
    assert!(!debug.contains("KEY"), "{debug}");
}

#[test]
fn rendering_is_deterministic() {
    let r = renderer();
    for message in all_kinds("x") {
        let m = mail(message);
        assert_eq!(r.render(&m).unwrap(), r.render(&m).unwrap());
    }
}

#[test]
fn a_branded_site_is_never_called_sharelink() {
    let r = renderer();
    let branded = Branding {
        site_title: "Acme Files".to_owned(),
        sender_name: "Acme".to_owned(),
        logo_url: Some("https://cdn.acme.example/logo.png".to_owned()),
        accent_color: Some("#0a7d5a".to_owned()),
        footer_text: Some("Acme Ltd · Imprint".to_owned()),
        ..Branding::default()
    };
    let sender = Email::parse("noreply@acme.example").unwrap();
    for language in Language::ALL {
        for message in all_kinds("Plans") {
            let m = Mail {
                branding: branded.clone(),
                from: Some(Email::parse("shares@acme.example").unwrap()),
                ..in_language(message, language)
            };
            let out = r.render(&m).unwrap();
            let built = crate::message::build("test", &m, &out, &sender).expect("builds");
            let raw = String::from_utf8_lossy(&built.formatted()).into_owned();
            for (what, part) in [
                ("subject", out.subject()),
                ("text", out.text()),
                ("html", out.html()),
                ("message", raw.as_str()),
            ] {
                assert!(
                    !part.to_lowercase().contains("sharelink"),
                    "{} {what}: {part}",
                    m.message.kind()
                );
            }
            assert!(raw.contains("From: Acme <shares@acme.example>"), "{raw}");
            assert!(out.html().contains("a.button{background:#0a7d5a}"));
            assert!(out.html().contains("Acme Ltd · Imprint"));
        }
    }
    for name in MailTheme::template_names() {
        let source = MailTheme::default_template(name).unwrap_or_default();
        assert!(!source.to_lowercase().contains("sharelink"), "{name}");
    }
    assert!(!STYLESHEET.to_lowercase().contains("sharelink"));
}

#[test]
fn a_template_and_the_stylesheet_are_replaced() {
    let r = MailTheme::new()
        .with_template(
            "one_time_code.html",
            "{% extends \"base.html\" %}{% block content %}<div class=\"mine\">{{ share_name }} \
             {{ code }} {{ t(\"code-intro\", share=share_name, site=site) }}</div>{% endblock %}",
        )
        .with_template("one_time_code.subject.txt", "Code\n{{ share_name }}")
        .with_stylesheet("body{color:olive}")
        .with_extra_css(".mine{margin:0}")
        .renderer()
        .expect("builds");
    let out = r
        .render(&in_language(all_kinds("<i>x</i>").remove(1), Language::Fr))
        .unwrap();
    assert!(
        out.html().contains(
            "<div class=\"mine\">&lt;i&gt;x&lt;/i&gt; KEY Votre code pour ouvrir «\u{a0}&lt;i&gt;x&lt;/i&gt;\u{a0}» sur Acme &lt;Files&gt;\u{a0}:</div>"
        ),
        "{}",
        out.html()
    );
    assert!(
        out.html().contains("body{color:olive}.mine{margin:0}"),
        "{}",
        out.html()
    );
    assert!(
        !out.html().contains(".card{"),
        "the default stylesheet is gone"
    );
    assert_eq!(out.subject(), "Code <i>x</i>", "one line");
}

#[test]
fn a_broken_theme_is_refused_when_built() {
    assert!(matches!(
        MailTheme::new().with_template("nope.html", "x").check(),
        Err(ThemeError::UnknownTemplate(n)) if n == "nope.html"
    ));
    let err = MailTheme::new()
        .with_template("invitation.html", "{% if %}")
        .check()
        .expect_err("a syntax error");
    assert!(
        matches!(&err, ThemeError::Syntax { name, .. } if name == "invitation.html"),
        "{err}"
    );
}

#[test]
fn a_template_failing_at_render_time_is_an_error_not_a_panic() {
    let r = MailTheme::new()
        .with_template("link_resent.html", "{% include \"missing.html\" %}")
        .renderer()
        .expect("parses");
    let err = r
        .render(&mail(all_kinds("x").remove(3)))
        .expect_err("fails");
    assert!(err.reason.contains("link_resent.html"), "{err}");
    assert!(!err.reason.contains("KEY"), "no secret in the error: {err}");
}

#[test]
fn a_theme_folder_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("style.css"), "p{color:red}").expect("css");
    std::fs::write(
        dir.path().join("expiry_reminder.txt"),
        "folder:{{ share_name }}",
    )
    .expect("template");
    std::fs::write(dir.path().join("README.txt"), "ignored").expect("other");
    let r = MailTheme::from_dir(dir.path())
        .expect("reads")
        .renderer()
        .expect("builds");
    let out = r.render(&mail(all_kinds("S").remove(4))).unwrap();
    assert_eq!(out.text(), "folder:S");
    assert!(out.html().contains("p{color:red}"), "{}", out.html());
    assert!(matches!(
        MailTheme::from_dir(dir.path().join("missing")),
        Err(ThemeError::Read { .. })
    ));
}

/// Text with every character HTML cares about, line breaks and ordinary letters.
fn hostile_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("&".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("\r\n".to_owned()),
            Just("\n".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
            "[a-zA-Zéü中 ]{1,6}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hostile_user_text_stays_escaped_in_every_kind_and_language(
        text in hostile_text(),
        language in prop::sample::select(Language::ALL.to_vec()),
    ) {
        let r = renderer();
        let marked = format!("{text}<img src=x onerror=alert(1)>");
        for message in all_kinds(&marked) {
            let out = r.render(&in_language(message, language)).unwrap();
            prop_assert!(!out.html().contains("<img src=x"), "{}", out.html());
            prop_assert!(!out.html().contains("onerror=alert(1)>"), "{}", out.html());
            prop_assert!(!out.subject().contains(['\r', '\n']));
            prop_assert!(out.html().contains("&lt;img src=x onerror=alert(1)&gt;"));
        }
    }
}

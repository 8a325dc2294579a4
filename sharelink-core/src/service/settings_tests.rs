//! Scenario tests of the settings that reach links and mail: auto-fill puts the access
//! code in every link (and follows the password), the time zone dates mail, the site's
//! notification sender signs it, and the watermark names the registered visitor.

use super::*;
use crate::model::form::Answer;
use crate::ports::{Mail, MailMessage};
use crate::testing::fixtures::{World, client, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use proptest::prelude::*;

fn create(w: &World, req: CreateShare) -> Result<Created> {
    block_on(w.app.create_share(&user("ana"), req))
}

fn with_password(password: &str, f: impl FnOnce(&mut ShareSettings)) -> CreateShare {
    let mut req = request(&["docs/reports"], f);
    req.password = Some(password.to_owned());
    req
}

fn update(
    w: &World,
    share: &Share,
    f: impl FnOnce(&mut ShareSettings),
    pw: PasswordChange,
) -> Result<Share> {
    let mut settings = share.requested.clone();
    f(&mut settings);
    block_on(w.app.update_settings(&user("ana"), share.id, settings, pw)).map(|(s, _)| s)
}

/// The decoded value of `name` in a link's query.
fn query_value(link: &str, name: &str) -> Option<String> {
    let (_, query) = link.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .expect("UTF-8")
                .into_owned()
        })
    })
}

fn send(w: &World, share: &Share, to: &Email) -> Mail {
    let outcomes = block_on(w.app.share_by_email(
        &user("ana"),
        share.id,
        vec![NewRecipientInput {
            email: to.clone(),
            company: None,
            note: None,
        }],
        None,
    ))
    .expect("sent");
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);
    w.mem.mailer.sent_to(to).pop().expect("a mail").0
}

fn mailed_link(mail: &Mail) -> String {
    match &mail.message {
        MailMessage::Invitation { link, .. } | MailMessage::LinkResent { link, .. } => {
            link.0.clone()
        }
        other => panic!("no link in {other:?}"),
    }
}

/// Opens a share the way a browser follows a link: the link's own query.
fn follow(w: &World, link: &str, browser: &str) -> Visit {
    try_follow(w, link, browser).expect("opens")
}

fn try_follow(w: &World, link: &str, browser: &str) -> Result<Visit> {
    let key = link
        .strip_prefix(fixtures_base())
        .and_then(|rest| rest.split('?').next())
        .expect("a link of the world");
    let r = query_value(link, "r");
    let code = query_value(link, "code");
    block_on(w.app.open(OpenRequest {
        key,
        client: &client(browser),
        recipient_code: r.as_deref(),
        access_code: code.as_deref(),
        mode: RequestMode::Confirmed,
    }))
}

fn fixtures_base() -> &'static str {
    crate::testing::fixtures::LINK_BASE
}

#[test]
fn autofill_puts_the_code_in_every_link_and_follows_the_password() {
    let w = World::new();
    let typed = "correct horse & co #1+ü";
    let created = create(&w, with_password(typed, |s| s.password_autofill = true)).unwrap();
    // (a) the link returned at creation, encoded so it reads back exactly.
    assert_eq!(query_value(&created.link, "code").as_deref(), Some(typed));
    assert!(
        created
            .link
            .ends_with("?code=correct%20horse%20%26%20co%20%231%2B%C3%BC"),
        "{}",
        created.link
    );
    assert!(!format!("{created:?}").contains("horse"));
    assert!(!format!("{:?}", created.share).contains("horse"));
    // (d) the owner reads the same link again later.
    let share = block_on(w.app.get_share(&user("ana"), created.share.id)).unwrap();
    assert_eq!(w.app.link(&share), created.link);
    // Following the link goes straight past the password.
    let visit = follow(&w, &created.link, "b1");
    assert!(visit.view.is_some(), "{:?}", visit.gate);
    // Without the code the prompt stays.
    let bare = follow(&w, w.app.link(&share).split('?').next().unwrap(), "b2");
    assert_eq!(bare.gate.pending, Some(Denial::PasswordRequired));

    // A new password: the stored code follows it, and the old link no longer opens.
    let changed = update(
        &w,
        &share,
        |_| {},
        PasswordChange::Set("second secret".into()),
    )
    .unwrap();
    assert_eq!(
        query_value(&w.app.link(&changed), "code").as_deref(),
        Some("second secret")
    );
    assert_eq!(
        follow(&w, &created.link, "b3").gate.pending,
        Some(Denial::PasswordRequired)
    );
    assert!(follow(&w, &w.app.link(&changed), "b4").view.is_some());
    // A generated password is the new code too.
    let (generated, shown) = block_on(w.app.update_settings(
        &user("ana"),
        share.id,
        changed.requested.clone(),
        PasswordChange::Generate,
    ))
    .unwrap();
    let shown = shown.expect("shown once");
    assert_eq!(
        generated.autofill_code.as_ref().map(AutofillCode::expose),
        Some(shown.expose())
    );

    // Auto-fill off: nothing readable is kept, and the link has no code.
    let off = update(
        &w,
        &generated,
        |s| s.password_autofill = false,
        PasswordChange::Keep,
    )
    .unwrap();
    assert_eq!(off.autofill_code, None);
    assert!(off.password_hash.is_some());
    assert!(!w.app.link(&off).contains('?'));
    // Turned on again without the password: only its hash is left, so it must be given.
    assert!(matches!(
        update(
            &w,
            &off,
            |s| s.password_autofill = true,
            PasswordChange::Keep
        ),
        Err(ServiceError::Settings(SettingsError::AutofillNeedsPassword))
    ));
    let on = update(
        &w,
        &off,
        |s| s.password_autofill = true,
        PasswordChange::Set("third secret".into()),
    )
    .unwrap();
    assert_eq!(
        query_value(&w.app.link(&on), "code").as_deref(),
        Some("third secret")
    );
    // Other changes keep the code.
    let renamed = update(&w, &on, |s| s.name = "Renamed".into(), PasswordChange::Keep).unwrap();
    assert_eq!(renamed.autofill_code, on.autofill_code);
    // No password at all: no code either.
    let open = update(&w, &renamed, |s| s.password = false, PasswordChange::Keep).unwrap();
    assert_eq!((open.autofill_code, open.password_hash), (None, None));
}

#[test]
fn a_generated_password_is_the_code_and_without_autofill_nothing_is_kept() {
    let w = World::new();
    let created = create(
        &w,
        request(&["docs/reports"], |s| {
            s.password = true;
            s.password_autofill = true;
        }),
    )
    .unwrap();
    let generated = created.generated_password.expect("generated");
    assert_eq!(
        query_value(&created.link, "code").as_deref(),
        Some(generated.expose())
    );
    let plain = create(&w, with_password("correct horse", |_| {})).unwrap();
    assert_eq!(plain.share.autofill_code, None);
    assert!(!plain.link.contains('?'));
}

#[test]
fn mailed_links_carry_the_code_and_the_recipient_goes_straight_in() {
    let w = World::new();
    let share = create(
        &w,
        with_password("open sesame", |s| {
            s.password_autofill = true;
            s.access = AccessControl::EmailedOnly;
        }),
    )
    .unwrap()
    .share;
    let rita = Email::parse("rita@ext.example").unwrap();
    let link = mailed_link(&send(&w, &share, &rita));
    assert!(query_value(&link, "r").is_some(), "{link}");
    assert_eq!(query_value(&link, "code").as_deref(), Some("open sesame"));
    assert!(follow(&w, &link, "rita-browser").view.is_some());
    // The fresh link mailed when another browser opens it carries the code too.
    assert!(matches!(
        try_follow(&w, &link, "other-browser"),
        Err(ServiceError::Denied(Denial::InvitationAlreadyUsed))
    ));
    let resent = mailed_link(&w.mem.mailer.sent_to(&rita).pop().unwrap().0);
    assert_ne!(resent, link);
    assert_eq!(query_value(&resent, "code").as_deref(), Some("open sesame"));
}

#[test]
fn unknown_time_zones_are_refused_and_mail_dates_show_in_the_share_zone() {
    let w = World::new();
    for zone in ["Mars/Olympus", "", "Europe/Paris\nBcc: x"] {
        let refused = create(
            &w,
            request(&["docs/reports"], |s| {
                s.schedule.time_zone = Some(zone.into())
            }),
        );
        assert!(
            matches!(
                refused,
                Err(ServiceError::Settings(SettingsError::UnknownTimeZone(_)))
            ),
            "{zone:?}: {refused:?}"
        );
    }
    let share = create(
        &w,
        request(&["docs/reports"], |s| {
            s.schedule.time_zone = Some("Europe/Paris".into());
            s.schedule.expires_at = Some(time::macros::datetime!(2026-12-03 16:00 UTC));
        }),
    )
    .unwrap()
    .share;
    let changed = update(
        &w,
        &share,
        |s| s.schedule.time_zone = Some("Nowhere/Special".into()),
        PasswordChange::Keep,
    );
    assert!(matches!(
        changed,
        Err(ServiceError::Settings(SettingsError::UnknownTimeZone(_)))
    ));
    let rita = Email::parse("rita@ext.example").unwrap();
    let mail = send(&w, &share, &rita);
    assert_eq!(mail.time_zone.as_deref(), Some("Europe/Paris"));
    let rendered = &w.mem.mailer.sent_to(&rita)[0].1;
    assert!(
        rendered
            .text()
            .contains("3 December 2026, 17:00 (Europe/Paris)"),
        "{}",
        rendered.text()
    );
}

#[test]
fn the_site_notification_sender_signs_every_mail() {
    let rita = Email::parse("rita@ext.example").unwrap();
    let plain = World::new();
    let share = create(&plain, request(&["docs/reports"], |_| {}))
        .unwrap()
        .share;
    assert_eq!(send(&plain, &share, &rita).from, None);

    let site_sender = Email::parse("shares@acme.example").unwrap();
    let w = World::with_site(SiteSettings {
        notification_sender: Some(site_sender.clone()),
        ..SiteSettings::default()
    });
    let share = create(
        &w,
        request(&["docs/reports"], |s| s.notify_on_download = true),
    )
    .unwrap()
    .share;
    assert_eq!(send(&w, &share, &rita).from, Some(site_sender.clone()));
    assert!(
        w.mem
            .mailer
            .sent()
            .iter()
            .all(|(m, _)| m.from == Some(site_sender.clone()))
    );
}

#[test]
fn the_watermark_names_the_registered_visitor() {
    let w = World::new();
    let share = create(
        &w,
        request(&["docs/reports"], |s| {
            s.registration = Some(RegistrationForm::Default);
            s.watermark = Some(Watermark {
                text: "{name} <{email}>".into(),
            });
        }),
    )
    .unwrap()
    .share;
    let c = client("b1");
    let visit = block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &c,
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }))
    .unwrap();
    let s = visit.session.unwrap().id;
    let answers = [
        Answer {
            label: "Name".into(),
            value: "Rita Ext".into(),
        },
        Answer {
            label: "Email".into(),
            value: "rita@ext.example".into(),
        },
    ];
    let inside = block_on(w.app.register(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &answers,
    ))
    .unwrap();
    assert_eq!(
        inside.view.unwrap().watermark.as_deref(),
        Some("Rita Ext <rita@ext.example>")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the password, under auto-fill the link (and the mailed one) carries
    /// exactly it, and opening with what the link carries passes the gate; without
    /// auto-fill nothing readable is kept and the link has no code.
    #[test]
    fn the_link_carries_exactly_the_password(
        password in "[ -~\u{e9}\u{4e2d}\u{1f600}]{8,40}",
        autofill in any::<bool>(),
    ) {
        let w = World::new();
        let created = create(&w, with_password(&password, |s| s.password_autofill = autofill))
            .unwrap();
        let carried = query_value(&created.link, "code");
        if autofill {
            prop_assert_eq!(carried, Some(password.clone()));
            prop_assert!(created.link.split_once('?').unwrap().1.chars().all(|c| c.is_ascii_alphanumeric() || "=%&".contains(c)));
            let rita = Email::parse("rita@ext.example").unwrap();
            let mailed = mailed_link(&send(&w, &created.share, &rita));
            prop_assert_eq!(query_value(&mailed, "code"), Some(password.clone()));
            prop_assert!(follow(&w, &mailed, "b1").view.is_some());
        } else {
            prop_assert_eq!(carried, None);
            prop_assert_eq!(created.share.autofill_code, None);
        }
    }
}

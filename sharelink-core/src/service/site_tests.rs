//! Site settings at runtime: admins read and change them (checked, compare-and-swap,
//! published as an event), and a change is in effect at once for every application over
//! the same store.

use super::*;
use crate::conformance::site::unusual_settings;
use crate::testing::fixtures::{self, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use proptest::prelude::*;

fn world() -> fixtures::World {
    fixtures::World::new()
}

/// A second application over the same ports (another process on the same database).
fn second_app(w: &fixtures::World) -> Sharelink {
    Sharelink::new(w.mem.ports(), Config::new(fixtures::LINK_BASE)).expect("a valid site")
}

fn save(app: &Sharelink, version: u64, f: impl FnOnce(&mut SiteSettings)) -> SiteView {
    let mut s = block_on(app.site()).unwrap();
    f(&mut s);
    block_on(app.update_site_settings(&user("root"), version, s)).unwrap()
}

#[test]
fn admins_read_the_configured_settings_at_version_zero_others_are_refused() {
    let w = fixtures::World::with_site(SiteSettings {
        require_password: true,
        ..SiteSettings::default()
    });
    let view = block_on(w.app.site_settings(&user("root"))).unwrap();
    assert_eq!(view.version, 0);
    assert!(view.settings.require_password);
    assert_eq!((view.updated_at, view.updated_by), (None, None));
    for who in ["ana", "bob"] {
        assert!(matches!(
            block_on(w.app.site_settings(&user(who))),
            Err(ServiceError::AdminOnly)
        ));
        assert!(matches!(
            block_on(
                w.app
                    .update_site_settings(&user(who), 0, SiteSettings::default())
            ),
            Err(ServiceError::AdminOnly)
        ));
    }
    assert!(matches!(
        block_on(w.app.site_settings(&user("nobody"))),
        Err(ServiceError::UnknownUser)
    ));
    assert_eq!(block_on(w.mem.site.load()).unwrap(), None);
}

#[test]
fn a_save_is_versioned_published_and_read_back() {
    let w = world();
    let settings = unusual_settings();
    let saved = block_on(
        w.app
            .update_site_settings(&user("root"), 0, settings.clone()),
    )
    .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.updated_by, Some(user("root")));
    assert_eq!(saved.updated_at, Some(fixtures::T0));
    assert_eq!(block_on(w.app.site()).unwrap(), settings);
    assert_eq!(block_on(w.app.site_settings(&user("root"))).unwrap(), saved);
    let events = w.mem.events.events();
    let Some(crate::ports::ShareEvent::SiteSettingsChanged {
        by,
        version,
        fields,
        at,
    }) = events.last()
    else {
        panic!("no site event in {events:?}");
    };
    assert_eq!((by, *version, *at), (&user("root"), 1, fixtures::T0));
    assert!(
        fields.contains(&"require_password".to_owned()),
        "{fields:?}"
    );
    assert!(fields.contains(&"share_defaults".to_owned()), "{fields:?}");
    assert!(
        !fields.contains(&"attempts".to_owned()) || settings.attempts != AttemptLimits::default()
    );
    // A save of the same settings changes nothing and names no field.
    let again = block_on(w.app.update_site_settings(&user("root"), 1, settings)).unwrap();
    assert_eq!(again.version, 2);
    assert!(matches!(
        w.mem.events.events().last(),
        Some(crate::ports::ShareEvent::SiteSettingsChanged { fields, .. }) if fields.is_empty()
    ));
}

#[test]
fn a_stale_version_is_refused_and_nothing_is_saved() {
    let w = world();
    save(&w.app, 0, |s| s.max_items = 10);
    let stale = block_on(
        w.app
            .update_site_settings(&user("root"), 0, SiteSettings::default()),
    );
    assert!(
        matches!(stale, Err(ServiceError::SiteVersionConflict { current: 1 })),
        "{stale:?}"
    );
    let ahead = block_on(
        w.app
            .update_site_settings(&user("root"), 5, SiteSettings::default()),
    );
    assert!(matches!(
        ahead,
        Err(ServiceError::SiteVersionConflict { current: 1 })
    ));
    assert_eq!(block_on(w.app.site()).unwrap().max_items, 10);
}

#[test]
fn invalid_settings_are_refused_naming_the_field() {
    let w = world();
    type Change = Box<dyn Fn(&mut SiteSettings)>;
    let cases: Vec<(&str, Change)> = vec![
        ("password_min_len", Box::new(|s| s.password_min_len = 0)),
        (
            "min_lifetime",
            Box::new(|s| {
                s.min_lifetime = Some(time::Duration::days(9));
                s.max_lifetime = Some(time::Duration::days(2));
            }),
        ),
        (
            "default_lifetime",
            Box::new(|s| s.default_lifetime = Some(time::Duration::ZERO)),
        ),
        (
            "shares_per_user_per_day",
            Box::new(|s| s.shares_per_user_per_day = Some(0)),
        ),
        (
            "refused_extensions",
            Box::new(|s| s.refused_extensions = vec![".exe".into()]),
        ),
        (
            "refused_extensions",
            Box::new(|s| s.refused_extensions = vec!["EXE".into()]),
        ),
        (
            "branding.site_title",
            Box::new(|s| s.branding.site_title = " ".into()),
        ),
        (
            "branding.logo_url",
            Box::new(|s| s.branding.logo_url = Some("javascript:alert(1)".into())),
        ),
        (
            "log_privacy.ipv4_prefix",
            Box::new(|s| s.log_privacy.ipv4_prefix = 33),
        ),
        (
            "log_privacy.retention",
            Box::new(|s| s.log_privacy.retention = Some(time::Duration::seconds(-1))),
        ),
        (
            "attempts.per_client",
            Box::new(|s| s.attempts.per_client = 0),
        ),
        (
            "one_time_codes.digits",
            Box::new(|s| s.one_time_codes.digits = 4),
        ),
        (
            "custom_keys.min_len",
            Box::new(|s| s.custom_keys.min_len = 65),
        ),
        (
            "share_defaults.use_limit.max",
            Box::new(|s| {
                s.share_defaults.use_limit = Some(UseLimit {
                    max: 0,
                    unit: UseUnit::Download,
                });
            }),
        ),
        (
            "share_defaults.access",
            Box::new(|s| {
                s.share_defaults.access = AccessControl::VerifiedEmails(vec![]);
            }),
        ),
    ];
    for (field, change) in cases {
        let mut s = SiteSettings::default();
        change(&mut s);
        match block_on(w.app.update_site_settings(&user("root"), 0, s)) {
            Err(ServiceError::Settings(SettingsError::Site { field: f, .. })) => {
                assert_eq!(f, field);
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(block_on(w.mem.site.load()).unwrap(), None);
    assert!(w.mem.events.events().is_empty());
}

#[test]
fn a_change_through_one_application_is_in_effect_on_another_at_once() {
    let w = world();
    let other = second_app(&w);
    let ana = user("ana");
    let open = block_on(other.create_share(&ana, request(&["docs/plan.pdf"], |_| {}))).unwrap();
    assert!(open.generated_password.is_none());
    save(&w.app, 0, |s| {
        s.require_password = true;
        s.password_min_len = 20;
    });
    let guarded = block_on(other.create_share(&ana, request(&["docs/plan.pdf"], |_| {}))).unwrap();
    let pw = guarded.generated_password.expect("a generated password");
    assert!(pw.expose().chars().count() >= 20);
    assert!(
        guarded
            .share
            .adjustments
            .contains(&Adjustment::PasswordRequired)
    );
    // The daily quota too.
    save(&other, 1, |s| s.shares_per_user_per_day = Some(2));
    assert!(matches!(
        block_on(
            w.app
                .create_share(&ana, request(&["docs/plan.pdf"], |_| {}))
        ),
        Err(ServiceError::Settings(SettingsError::DailyQuota { max: 2 }))
    ));
}

#[test]
fn device_binding_and_one_active_link_per_recipient_switched_on_take_effect() {
    let w = world();
    let ana = user("ana");
    let bind = |app: &Sharelink| {
        block_on(app.create_share(
            &ana,
            request(&["docs/plan.pdf"], |s| s.device_binding = true),
        ))
        .unwrap()
        .share
    };
    let off = bind(&w.app);
    assert!(!off.settings.device_binding);
    assert!(
        off.adjustments
            .contains(&Adjustment::DeviceBindingUnavailable)
    );
    let rita = || {
        vec![NewRecipientInput {
            email: Email::parse("rita@ext.example").unwrap(),
            company: None,
            note: None,
        }]
    };
    let send = |app: &Sharelink, id| {
        block_on(app.share_by_email(&ana, id, rita(), None)).unwrap()[0]
            .result
            .is_ok()
    };
    let a = block_on(w.app.create_share(&ana, request(&["docs/reports"], |_| {})))
        .unwrap()
        .share;
    let b = block_on(w.app.create_share(&ana, request(&["docs/reports"], |_| {})))
        .unwrap()
        .share;
    assert!(send(&w.app, a.id));
    assert!(send(&w.app, b.id), "off: a second active link is allowed");
    let other = second_app(&w);
    save(&other, 0, |s| {
        s.device_binding = true;
        s.one_active_share_per_recipient_item = true;
    });
    let on = bind(&w.app);
    assert!(on.settings.device_binding);
    let c = block_on(w.app.create_share(&ana, request(&["docs/reports"], |_| {})))
        .unwrap()
        .share;
    assert!(matches!(
        block_on(w.app.share_by_email(&ana, c.id, rita(), None)).unwrap()[0].result,
        Err(ServiceError::RecipientHasShare { .. })
    ));
}

#[test]
fn refused_extensions_change_the_next_visit() {
    let w = world();
    let ana = user("ana");
    let share = block_on(
        w.app
            .create_share(&ana, request(&["docs/plan.pdf"], |_| {})),
    )
    .unwrap()
    .share;
    let c = fixtures::client("v1");
    let fetch = |app: &Sharelink| {
        let visit = block_on(app.open(OpenRequest {
            key: share.key.as_str(),
            client: &c,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        }))
        .unwrap();
        let session = visit.session.expect("a session").id;
        block_on(app.download(
            &VisitRequest::new(share.key.as_str(), &session, &c, RequestMode::Confirmed),
            &fixtures::path("plan.pdf"),
            None,
            Action::Download,
        ))
        .map(|_| ())
    };
    assert!(fetch(&w.app).is_ok());
    save(&second_app(&w), 0, |s| {
        s.refused_extensions = vec!["pdf".to_owned()]
    });
    assert!(matches!(
        fetch(&w.app),
        Err(ServiceError::Denied(Denial::FileTypeRefused { .. }))
    ));
}

#[test]
fn new_shares_start_from_the_site_defaults() {
    let w = world();
    let plain = block_on(w.app.new_share_settings("Q3")).unwrap();
    assert_eq!(plain, ShareSettings::named("Q3"));
    let limit = UseLimit {
        max: 3,
        unit: UseUnit::Download,
    };
    let terms = Clickwrap {
        title: "Terms".into(),
        terms: "Keep it private.".into(),
    };
    save(&w.app, 0, |s| {
        s.share_defaults.use_limit = Some(limit);
        s.share_defaults.clickwrap = Some(terms.clone());
        s.share_defaults.access = AccessControl::Organization;
    });
    let defaulted = block_on(w.app.new_share_settings("Q3")).unwrap();
    assert_eq!(defaulted.use_limit, Some(limit));
    assert_eq!(defaulted.clickwrap, Some(terms));
    assert_eq!(defaulted.access, AccessControl::Organization);
    assert_eq!(defaulted.name, "Q3");
    let created = block_on(w.app.create_share(
        &user("ana"),
        CreateShare {
            settings: defaulted,
            ..request(&["docs/plan.pdf"], |_| {})
        },
    ))
    .unwrap();
    assert_eq!(created.share.settings.use_limit, Some(limit));
}

proptest! {
    /// A sequence of saves at arbitrary versions: each succeeds exactly when it names the
    /// stored version, and the store then holds its settings at the next version.
    #[test]
    fn saves_succeed_exactly_at_the_current_version(
        attempts in proptest::collection::vec((0_u64..4, 1_usize..50), 1..12)
    ) {
        let w = world();
        let mut current = 0;
        let mut stored_items = SiteSettings::default().max_items;
        for (expected, items) in attempts {
            let s = SiteSettings { max_items: items, ..SiteSettings::default() };
            let r = block_on(w.app.update_site_settings(&user("root"), expected, s));
            if expected == current {
                prop_assert_eq!(r.unwrap().version, current + 1);
                current += 1;
                stored_items = items;
            } else {
                let conflict = matches!(r, Err(ServiceError::SiteVersionConflict { current: c }) if c == current);
                prop_assert!(conflict);
            }
            prop_assert_eq!(block_on(w.app.site()).unwrap().max_items, stored_items);
        }
    }

    /// Settings that pass the check survive the stored JSON unchanged; the check never
    /// panics, and what it refuses names a field of the settings.
    #[test]
    fn checked_settings_round_trip_and_refusals_name_a_field(
        min_len in 0_usize..300,
        per_client in 0_u32..4,
        digits in 0_u8..14,
        quota in proptest::option::of(0_u32..3),
        ext in "[a-zA-Z.]{0,5}",
        lifetime in proptest::option::of(-3_i64..3),
        ipv4 in 0_u8..40,
    ) {
        let mut s = SiteSettings {
            password_min_len: min_len,
            shares_per_user_per_day: quota,
            refused_extensions: vec![ext.clone()],
            default_lifetime: lifetime.map(time::Duration::days),
            ..SiteSettings::default()
        };
        s.attempts.per_client = per_client;
        s.one_time_codes.digits = digits;
        s.log_privacy.ipv4_prefix = ipv4;
        let valid = (1..=256).contains(&min_len)
            && per_client > 0
            && (6..=10).contains(&digits)
            && quota != Some(0)
            && !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_lowercase())
            && lifetime.is_none_or(|d| d > 0)
            && ipv4 <= 32;
        match s.check() {
            Ok(()) => {
                prop_assert!(valid);
                let json = serde_json::to_string(&s).unwrap();
                prop_assert_eq!(serde_json::from_str::<SiteSettings>(&json).unwrap(), s);
            }
            Err(SettingsError::Site { field, .. }) => {
                prop_assert!(!valid);
                let top = field.split('.').next().unwrap();
                let json = serde_json::to_value(SiteSettings::default()).unwrap();
                prop_assert!(json.get(top).is_some(), "{} is not a setting", field);
            }
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }
}

#[test]
fn stored_json_of_earlier_versions_loads_with_defaults() {
    // A row holding only some settings (as an older version wrote) takes defaults for the
    // rest; durations are whole seconds.
    let s: SiteSettings =
        serde_json::from_str(r#"{"require_password":true,"default_lifetime":86400}"#).unwrap();
    assert!(s.require_password);
    assert_eq!(s.default_lifetime, Some(time::Duration::days(1)));
    assert_eq!(s.share_defaults, ShareDefaults::default());
    assert_eq!(s.attempts, AttemptLimits::default());
}

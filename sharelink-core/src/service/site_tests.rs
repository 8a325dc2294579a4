//! Site settings at runtime: admins read and change them (checked, compare-and-swap,
//! published as an event), and a change is in effect at once in the application that
//! saved it and within its cache bound in every other over the same store (loads counted).

use super::*;
use crate::testing::fixtures::unusual_settings;
use crate::testing::fixtures::{self, CountingSiteStore, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use proptest::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn world() -> fixtures::World {
    fixtures::World::new()
}

/// Another application over the same ports (another process on the same database),
/// keeping the site settings it read for `bound`.
fn app_with_cache(w: &fixtures::World, bound: Duration) -> Sharelink {
    Sharelink::new(
        w.mem.ports(),
        Config::new(fixtures::LINK_BASE).with_site_cache(bound),
    )
    .expect("a valid site")
}

/// Like [`app_with_cache`], its site-settings loads counted.
fn counted_app(w: &fixtures::World, bound: Duration) -> (Sharelink, Arc<CountingSiteStore>) {
    let store = Arc::new(CountingSiteStore::new(w.mem.site.clone()));
    let app = Sharelink::new(
        w.mem.ports().with_site_store(store.clone()),
        Config::new(fixtures::LINK_BASE).with_site_cache(bound),
    )
    .expect("a valid site");
    (app, store)
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
fn without_a_cache_a_change_through_one_application_is_in_effect_on_another_at_once() {
    let w = world();
    let one = app_with_cache(&w, Duration::ZERO);
    let other = app_with_cache(&w, Duration::ZERO);
    let ana = user("ana");
    let open = block_on(other.create_share(&ana, request(&["docs/plan.pdf"], |_| {}))).unwrap();
    assert!(open.generated_password.is_none());
    save(&one, 0, |s| {
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
        block_on(one.create_share(&ana, request(&["docs/plan.pdf"], |_| {}))),
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
    save(&w.app, 0, |s| {
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
    save(&w.app, 0, |s| s.refused_extensions = vec!["pdf".to_owned()]);
    assert!(matches!(
        fetch(&w.app),
        Err(ServiceError::Denied(Denial::FileTypeRefused { .. }))
    ));
}

#[test]
fn within_the_bound_each_application_reads_the_store_once_and_sees_its_own_save_at_once() {
    let w = world();
    let hour = Duration::from_secs(3600);
    let (here, here_loads) = counted_app(&w, hour);
    let (there, there_loads) = counted_app(&w, hour);
    for _ in 0..50 {
        assert_eq!(
            block_on(here.site()).unwrap().max_items,
            SiteSettings::default().max_items
        );
        assert_eq!(
            block_on(there.site()).unwrap().max_items,
            SiteSettings::default().max_items
        );
    }
    // A password attempt reads the settings several times: still no load.
    assert_eq!((here_loads.loads(), there_loads.loads()), (1, 1));
    // A clone is the same process: it shares the cache.
    block_on(here.clone().site()).unwrap();
    assert_eq!(here_loads.loads(), 1);

    // A save checks the stored version itself (one load), then is in effect here at once.
    save(&here, 0, |s| s.max_items = 7);
    assert_eq!(here_loads.loads(), 2);
    assert_eq!(block_on(here.site()).unwrap().max_items, 7);
    assert_eq!(block_on(here.clone().site()).unwrap().max_items, 7);
    assert_eq!(here_loads.loads(), 2);
    // The other process keeps what it read until its bound (an hour here) runs out...
    assert_eq!(
        block_on(there.site()).unwrap().max_items,
        SiteSettings::default().max_items
    );
    assert_eq!(there_loads.loads(), 1);
    // ...but an administrator there reads the store itself, and that refreshes it.
    let view = block_on(there.site_settings(&user("root"))).unwrap();
    assert_eq!((view.version, view.settings.max_items), (1, 7));
    assert_eq!(block_on(there.site()).unwrap().max_items, 7);
    assert_eq!(there_loads.loads(), 2);
}

#[test]
fn another_application_sees_a_change_within_the_bound_even_with_the_clock_frozen() {
    // The fixtures' clock never moves: the bound runs on the process's monotonic clock.
    let w = world();
    let bound = Duration::from_millis(150);
    let (here, _) = counted_app(&w, bound);
    let (there, there_loads) = counted_app(&w, bound);
    assert_eq!(
        block_on(there.site()).unwrap().max_items,
        SiteSettings::default().max_items
    );
    save(&here, 0, |s| s.max_items = 7);
    let saved = Instant::now();
    while block_on(there.site()).unwrap().max_items != 7 {
        assert!(
            saved.elapsed() <= bound,
            "still stale after {:?}",
            saved.elapsed()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // What it read before the save was current before it, so it expired within the
    // bound: then one load brought the change.
    assert_eq!(there_loads.loads(), 2);
}

#[test]
fn with_a_zero_bound_every_use_reads_the_store() {
    let w = world();
    let (app, loads) = counted_app(&w, Duration::ZERO);
    for _ in 0..5 {
        block_on(app.site()).unwrap();
    }
    assert_eq!(loads.loads(), 5);
    save(&app, 0, |s| s.max_items = 3);
    // The helper's read of the settings to change, and the save's version check.
    assert_eq!(loads.loads(), 7);
    assert_eq!(block_on(app.site()).unwrap().max_items, 3);
    assert_eq!(loads.loads(), 8);
}

#[test]
fn an_older_read_never_replaces_newer_settings_in_the_cache() {
    let cache = super::site::SiteCache::default();
    let view = |version, max_items| {
        Arc::new(SiteView {
            settings: SiteSettings {
                max_items,
                ..SiteSettings::default()
            },
            version,
            updated_at: None,
            updated_by: None,
        })
    };
    let hour = Duration::from_secs(3600);
    let before = Instant::now();
    let saved = before + Duration::from_millis(1);
    cache.offer(view(2, 20), saved);
    // A read that began before the save and ended after it brings version 1.
    cache.offer(view(1, 10), before);
    assert_eq!(cache.fresh(hour).unwrap().version, 2);
    // A read that began later is what the store holds now, even at a lower version (a
    // store set back by an operator).
    cache.offer(view(0, 5), saved + Duration::from_millis(1));
    assert_eq!(cache.fresh(hour).unwrap().settings.max_items, 5);
    assert!(cache.fresh(Duration::ZERO).is_none());
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

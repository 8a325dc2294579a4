//! Table-driven tests and properties of the access decision and of effective settings.

use super::*;
use crate::model::share::{Adjustment, ShareItem, UploadRules};
use crate::testing::fixtures::passed_now;
use crate::testing::{access_scenario, allowed_actions, rights};
use crate::*;
use proptest::prelude::*;
use std::net::IpAddr;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn path(p: &str) -> SharePath {
    SharePath::parse(p).unwrap()
}

fn base_share() -> Share {
    let items = vec![
        ShareItem::new(
            path("docs/reports"),
            ItemKind::Folder,
            Some("Reports".into()),
        )
        .unwrap(),
        ShareItem::new(path("docs/plan.pdf"), ItemKind::File, None).unwrap(),
        ShareItem::new(path("docs/app.apk"), ItemKind::File, None).unwrap(),
    ];
    let settings = ShareSettings::named("Test");
    Share {
        id: ShareId(7),
        key: UrlKey::parse("abcdefghij").unwrap(),
        owner: UserId::parse("owner").unwrap(),
        items,
        requested: settings.clone(),
        settings,
        adjustments: vec![],
        password_hash: None,
        autofill_code: None,
        bound_device: None,
        uses: 0,
        uploaded_bytes: 0,
        reminder_sent_at: None,
        created_at: NOW - Duration::days(1),
        updated_at: NOW - Duration::days(1),
    }
}

fn session() -> VisitorSession {
    let mut s = VisitorSession::new(
        SessionId::parse("s1").unwrap(),
        ShareId(7),
        BrowserId::parse("b1").unwrap(),
        NOW,
    );
    s.client_ip = Some("192.0.2.10".parse().unwrap());
    s.device = Some(DeviceId::parse("dev1").unwrap());
    s
}

#[derive(Clone)]
struct Case {
    share: Option<Share>,
    session: VisitorSession,
    action: Action,
    path: &'static str,
    dest: Option<&'static str>,
    upload: Option<UploadInfo>,
    rename_to: Option<&'static str>,
    already_counted: bool,
    mode: RequestMode,
    creator: CreatorRights,
    site: SiteSettings,
}

impl Case {
    fn new(action: Action, path: &'static str) -> Self {
        Self {
            share: Some(base_share()),
            session: session(),
            action,
            path,
            dest: None,
            upload: None,
            rename_to: None,
            already_counted: false,
            mode: RequestMode::Confirmed,
            creator: CreatorRights::Active(Rights::ALL),
            site: SiteSettings::default(),
        }
    }
    fn share(mut self, f: impl FnOnce(&mut Share)) -> Self {
        f(self.share.as_mut().unwrap());
        self
    }
    fn session(mut self, f: impl FnOnce(&mut VisitorSession)) -> Self {
        f(&mut self.session);
        self
    }
    fn run(&self) -> Result<Grant, Denial> {
        let share = self.share.as_ref();
        let session =
            share.map_or_else(|| self.session.clone(), |sh| passed_now(sh, &self.session));
        self.run_with(&session)
    }

    /// Runs with the session exactly as given (no gate stamps added).
    fn run_with(&self, session: &VisitorSession) -> Result<Grant, Denial> {
        let p = path(self.path);
        let d = self.dest.map(path);
        let r = self.rename_to.map(path);
        decide(&AccessRequest {
            share: self.share.as_ref(),
            session,
            action: self.action,
            path: Some(&p),
            destination: d.as_ref(),
            upload: self.upload.as_ref(),
            rename_to: r.as_ref(),
            already_counted: self.already_counted,
            mode: self.mode,
            now: NOW,
            creator: self.creator,
            site: &self.site,
        })
    }
}

fn denial(c: Case) -> Denial {
    c.run().expect_err("expected a denial")
}

#[test]
fn plain_share_grants_listing_and_download() {
    let g = Case::new(Action::List, "").run().unwrap();
    assert_eq!(g.target, Some(Resolved::Top));
    let g = Case::new(Action::Download, "Reports/q1/a.pdf")
        .run()
        .unwrap();
    assert_eq!(
        g.target,
        Some(Resolved::Item {
            index: 0,
            storage: path("docs/reports/q1/a.pdf"),
            rel: path("q1/a.pdf")
        })
    );
    assert!(!g.counts_use);
    assert!(Case::new(Action::Visit, "").run().is_ok());
}

#[test]
fn denial_table() {
    use Action::*;
    let cases: Vec<(&str, Case, Denial)> = vec![
        (
            "unknown/revoked",
            Case {
                share: None,
                ..Case::new(List, "")
            },
            Denial::NotFound,
        ),
        (
            "expired",
            Case::new(List, "").share(|s| s.settings.schedule.expires_at = Some(NOW)),
            Denial::Expired,
        ),
        (
            "not yet",
            Case::new(List, "")
                .share(|s| s.settings.schedule.starts_at = Some(NOW + Duration::hours(1))),
            Denial::NotYetActive {
                starts_at: NOW + Duration::hours(1),
            },
        ),
        (
            "one-time used",
            Case::new(Download, "plan.pdf").share(|s| {
                s.settings.use_limit = Some(UseLimit::ONE_TIME);
                s.uses = 1;
            }),
            Denial::UsesExhausted,
        ),
        (
            "ip",
            Case::new(List, "")
                .share(|s| s.settings.ip_allow = IpAllowList::parse(["10.0.0.0/8"]).unwrap()),
            Denial::IpNotAllowed,
        ),
        (
            "emailed only",
            Case::new(List, "").share(|s| s.settings.access = AccessControl::EmailedOnly),
            Denial::InvitationRequired,
        ),
        (
            "verify email",
            Case::new(List, "").share(|s| {
                s.settings.access = AccessControl::VerifiedEmails(vec![
                    EmailPattern::parse("*@example.com").unwrap(),
                ])
            }),
            Denial::EmailVerificationRequired,
        ),
        (
            "wrong email",
            Case::new(List, "")
                .share(|s| {
                    s.settings.access = AccessControl::VerifiedEmails(vec![
                        EmailPattern::parse("*@example.com").unwrap(),
                    ])
                })
                .session(|s| s.verified_email = Some(Email::parse("x@other.org").unwrap())),
            Denial::EmailNotAllowed,
        ),
        (
            "organization",
            Case::new(List, "").share(|s| s.settings.access = AccessControl::Organization),
            Denial::SignInRequired,
        ),
        (
            "other device",
            Case {
                site: SiteSettings {
                    device_binding: true,
                    ..SiteSettings::default()
                },
                ..Case::new(List, "").share(|s| {
                    s.settings.device_binding = true;
                    s.bound_device = Some(DeviceId::parse("dev0").unwrap());
                })
            },
            Denial::DeviceMismatch,
        ),
        (
            "password",
            Case::new(List, "").share(|s| s.settings.password = true),
            Denial::PasswordRequired,
        ),
        (
            "registration",
            Case::new(List, "")
                .share(|s| s.settings.registration = Some(RegistrationForm::Default)),
            Denial::RegistrationRequired,
        ),
        (
            "clickwrap",
            Case::new(List, "").share(|s| {
                s.settings.clickwrap = Some(Clickwrap {
                    title: "T".into(),
                    terms: "x".into(),
                })
            }),
            Denial::ClickwrapRequired,
        ),
        (
            "preview only refuses download",
            Case::new(Download, "plan.pdf")
                .share(|s| s.settings.allowed = AllowedActions::PreviewOnly),
            Denial::ActionNotAllowed { action: Download },
        ),
        (
            "upload only cannot list",
            Case::new(List, "").share(|s| s.settings.allowed = AllowedActions::Upload),
            Denial::ActionNotAllowed { action: List },
        ),
        (
            "download level refuses delete",
            Case::new(Delete, "Reports/a.txt"),
            Denial::ActionNotAllowed { action: Delete },
        ),
        (
            "cannot delete a shared item itself",
            Case::new(Delete, "Reports").share(|s| s.settings.allowed = AllowedActions::Full),
            Denial::ActionNotAllowed { action: Delete },
        ),
        (
            "outside",
            Case::new(Download, "Elsewhere/x"),
            Denial::OutsideShare,
        ),
        (
            "inside a file",
            Case::new(Download, "plan.pdf/x"),
            Denial::OutsideShare,
        ),
        (
            "download at top",
            Case::new(Download, ""),
            Denial::OutsideShare,
        ),
        (
            "creator disabled",
            Case {
                creator: CreatorRights::Disabled,
                ..Case::new(List, "")
            },
            Denial::CreatorLacksRights,
        ),
        (
            "creator lost download",
            Case {
                creator: CreatorRights::Active(Rights::of(&[Capability::List])),
                ..Case::new(Download, "plan.pdf")
            },
            Denial::CreatorLacksRights,
        ),
        (
            "apk refused",
            Case::new(Download, "app.apk"),
            Denial::FileTypeRefused {
                extension: "apk".into(),
            },
        ),
        (
            "upload rule",
            Case {
                upload: Some(UploadInfo {
                    file_name: "x.exe".into(),
                    size: Some(1),
                }),
                ..Case::new(Upload, "Reports").share(|s| {
                    s.settings.allowed = AllowedActions::UploadDownload;
                    s.settings.upload_rules = UploadRules {
                        allowed_extensions: Some(vec!["pdf".into()]),
                        ..UploadRules::default()
                    };
                })
            },
            Denial::UploadRuleBroken(UploadViolation::TypeNotAllowed),
        ),
        (
            "one-time needs confirmation",
            Case {
                mode: RequestMode::Unconfirmed,
                ..Case::new(Download, "plan.pdf")
                    .share(|s| s.settings.use_limit = Some(UseLimit::ONE_TIME))
            },
            Denial::ConfirmationRequired,
        ),
        (
            "move outside",
            Case {
                dest: Some("nowhere/x"),
                ..Case::new(Move, "Reports/a.txt")
                    .share(|s| s.settings.allowed = AllowedActions::Full)
            },
            Denial::OutsideShare,
        ),
    ];
    for (name, case, expected) in cases {
        assert_eq!(denial(case), expected, "{name}");
    }
}

#[test]
fn gates_are_checked_in_order() {
    // Every gate on: the first one (access control) is reported first, then each in turn.
    let all_on = |s: &mut Share| {
        s.settings.access = AccessControl::Organization;
        s.settings.password = true;
        s.settings.registration = Some(RegistrationForm::Default);
        s.settings.clickwrap = Some(Clickwrap {
            title: "T".into(),
            terms: "x".into(),
        });
    };
    assert_eq!(
        denial(Case::new(List, "").share(all_on)),
        Denial::SignInRequired
    );
    let c = Case::new(Action::List, "")
        .share(all_on)
        .session(|s| s.org_user = Some(UserId::parse("m").unwrap()));
    assert_eq!(denial(c), Denial::PasswordRequired);
    let c = Case::new(Action::List, "").share(all_on).session(|s| {
        s.org_user = Some(UserId::parse("m").unwrap());
        s.password_passed = true;
    });
    assert_eq!(denial(c), Denial::RegistrationRequired);
    let c = Case::new(Action::List, "").share(all_on).session(|s| {
        s.org_user = Some(UserId::parse("m").unwrap());
        s.password_passed = true;
        s.registration = Some(RegistrationId(1));
    });
    assert_eq!(denial(c), Denial::ClickwrapRequired);
    let c = Case::new(Action::List, "").share(all_on).session(|s| {
        s.org_user = Some(UserId::parse("m").unwrap());
        s.password_passed = true;
        s.registration = Some(RegistrationId(1));
        s.clickwrap_accepted = true;
    });
    assert!(c.run().is_ok());
    use Action::List;
}

#[test]
fn head_never_counts_and_first_device_binds() {
    let c = Case {
        mode: RequestMode::Head,
        ..Case::new(Action::Download, "plan.pdf")
            .share(|s| s.settings.use_limit = Some(UseLimit::ONE_TIME))
    };
    assert!(!c.run().unwrap().counts_use);
    let c = Case::new(Action::Download, "plan.pdf")
        .share(|s| s.settings.use_limit = Some(UseLimit::ONE_TIME));
    assert!(c.run().unwrap().counts_use);
    let c = Case {
        site: SiteSettings {
            device_binding: true,
            ..SiteSettings::default()
        },
        ..Case::new(Action::Visit, "").share(|s| s.settings.device_binding = true)
    };
    assert!(c.run().unwrap().bind_device);
    // A bot binds nothing: a HEAD is let through unbound, an unconfirmed fetch is asked
    // to confirm first.
    let head = Case {
        mode: RequestMode::Head,
        ..c.clone()
    };
    assert!(!head.run().unwrap().bind_device);
    let unconfirmed = Case {
        mode: RequestMode::Unconfirmed,
        ..c
    };
    assert_eq!(denial(unconfirmed), Denial::ConfirmationRequired);
}

#[test]
fn organization_shares_may_serve_refused_types_and_inbox_takes_uploads() {
    let c = Case::new(Action::Download, "app.apk")
        .share(|s| s.settings.access = AccessControl::Organization)
        .session(|s| s.org_user = Some(UserId::parse("m").unwrap()));
    assert!(c.run().is_ok());
    let c = Case {
        upload: Some(UploadInfo {
            file_name: "in.pdf".into(),
            size: Some(3),
        }),
        ..Case::new(Action::Upload, "")
            .share(|s| s.settings.inbox = Some(path("docs/reports/inbox")))
    };
    let g = c.run().unwrap();
    assert_eq!(
        g.target,
        Some(Resolved::Item {
            index: 0,
            storage: path("docs/reports/inbox"),
            rel: path("inbox")
        })
    );
}

#[test]
fn visit_limit_lets_open_sessions_continue() {
    let visits = |s: &mut Share| {
        s.settings.use_limit = Some(UseLimit {
            max: 2,
            unit: UseUnit::Visit,
        });
        s.uses = 2;
    };
    assert_eq!(
        denial(Case::new(Action::Visit, "").share(visits)),
        Denial::UsesExhausted
    );
    assert!(
        Case::new(Action::Download, "plan.pdf")
            .share(visits)
            .run()
            .is_ok()
    );
}

fn is_gate_passed(s: &Share, v: &VisitorSession, site: &SiteSettings) -> bool {
    let st = &s.settings;
    let access = match &st.access {
        AccessControl::Anyone => true,
        AccessControl::EmailedOnly => v.recipient.is_some(),
        AccessControl::VerifiedEmails(p) => v
            .verified_email
            .as_ref()
            .is_some_and(|e| p.iter().any(|p| p.matches(e))),
        AccessControl::Organization => v.org_user.is_some(),
    };
    let device = !(st.device_binding && site.device_binding)
        || v.device.is_some() && (s.bound_device.is_none() || s.bound_device == v.device);
    access
        && device
        && (!st.password || v.password_passed)
        && (st.registration.is_none() || v.registration.is_some())
        && (st.clickwrap.is_none() || v.clickwrap_accepted)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn grants_never_exceed_level_rights_time_limit_gates_ip_or_items(sc in access_scenario()) {
        let Ok(grant) = decide(&sc.request()) else { return Ok(()); };
        let share = &sc.share;
        let s = &share.settings;
        // revoked and unknown keys never grant anything
        prop_assert!(!sc.revoked);
        // never beyond the allowed level (uploads may also go to an inbox)
        if let Some(cap) = sc.action.capability() {
            prop_assert!(s.allowed.rights().has(cap) || (sc.action == Action::Upload && s.inbox.is_some()));
            // never beyond the creator's current rights
            match sc.creator {
                CreatorRights::Active(r) => prop_assert!(r.has(cap)),
                CreatorRights::Disabled => prop_assert!(false, "granted with a disabled creator"),
            }
        }
        prop_assert!(grant.rights.is_subset_of(s.allowed.rights()));
        // never before start or after expiry
        prop_assert!(s.schedule.starts_at.is_none_or(|st| sc.now >= st));
        prop_assert!(s.schedule.expires_at.is_none_or(|e| sc.now < e));
        // never past the use limit (a use already counted for this request is one spent)
        if let Some(l) = s.use_limit {
            prop_assert!(!l.exhausted_for(share.uses - u32::from(sc.already_counted), sc.action));
            prop_assert!(!(grant.counts_use && sc.already_counted));
            if grant.counts_use { prop_assert!(share.uses < l.max); prop_assert_eq!(sc.mode, RequestMode::Confirmed); }
        }
        prop_assert!(!(grant.counts_use && sc.mode == RequestMode::Head));
        // never without each enabled gate passed
        prop_assert!(is_gate_passed(share, &sc.session, &sc.site));
        // never from outside the IP allow-list
        prop_assert!(s.ip_allow.allows(sc.session.client_ip));
        // never a path outside the shared items
        for r in [&grant.target, &grant.destination].into_iter().flatten() {
            if let Resolved::Item { index, storage, .. } = r {
                prop_assert!(storage.starts_with(&share.items[*index].path));
            }
        }
    }

    #[test]
    fn revoked_and_unknown_keys_answer_the_same(sc in access_scenario()) {
        let mut req = sc.request();
        req.share = None;
        prop_assert_eq!(decide(&req), Err(Denial::NotFound));
    }

    #[test]
    fn effective_settings_never_exceed_site_policy_or_creator_rights(
        level in allowed_actions(),
        r0 in rights(), r1 in rights(),
        expiry_days in proptest::option::of(-2i64..400),
        max_days in proptest::option::of(1i64..100),
        min_days in proptest::option::of(0i64..3),
        require_password in any::<bool>(),
        device_site in any::<bool>(),
        device in any::<bool>(),
    ) {
        let items = vec![
            ShareItem::new(path("a"), ItemKind::Folder, None).unwrap(),
            ShareItem::new(path("b"), ItemKind::Folder, None).unwrap(),
        ];
        let rights = [r0.union(Rights::of(&[Capability::Share])), r1.union(Rights::of(&[Capability::Share]))];
        let mut requested = ShareSettings::named("p");
        requested.allowed = level;
        requested.device_binding = device;
        requested.schedule.expires_at = expiry_days.map(|d| NOW + Duration::days(d));
        let max_lifetime = max_days.map(Duration::days);
        let min_lifetime = min_days.filter(|m| *m > 0).map(Duration::days);
        let site = SiteSettings { max_lifetime, min_lifetime, require_password, device_binding: device_site, ..SiteSettings::default() };
        match apply_policy(&PolicyInput { requested: &requested, items: &items, creator_rights: &rights, site: &site, now: NOW }) {
            Ok(eff) => {
                let e = &eff.settings;
                prop_assert!(e.allowed.rights().is_subset_of(rights[0].intersect(rights[1])));
                prop_assert!(e.allowed.rights().is_subset_of(level.rights()));
                if let Some(max) = max_lifetime { prop_assert!(e.schedule.expires_at.is_some_and(|x| x <= NOW + max)); }
                if let Some(min) = min_lifetime { prop_assert!(e.schedule.expires_at.is_none_or(|x| x >= NOW + min)); }
                if require_password { prop_assert!(e.password); }
                if !device_site { prop_assert!(!e.device_binding); }
                prop_assert_eq!(eff.adjustments.is_empty(), e == &requested);
            }
            Err(SettingsError::Site { .. }) => prop_assert!(min_lifetime.zip(max_lifetime).is_some_and(|(a, b)| a > b)),
            Err(SettingsError::ExpiryInPast) => prop_assert!(expiry_days.is_some_and(|d| d < 0)),
            Err(SettingsError::NoRightsOnItem(_)) => prop_assert!(level.reduce_to(rights[0].intersect(rights[1])).is_none()),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }
}

#[test]
fn effective_settings_table() {
    let items = vec![ShareItem::new(path("a"), ItemKind::Folder, None).unwrap()];
    let all = [Rights::ALL];
    let run = |req: &ShareSettings, site: &SiteSettings, rights: &[Rights]| {
        apply_policy(&PolicyInput {
            requested: req,
            items: &items,
            creator_rights: rights,
            site,
            now: NOW,
        })
    };
    let site = SiteSettings {
        default_lifetime: Some(Duration::days(7)),
        max_lifetime: Some(Duration::days(30)),
        ..SiteSettings::default()
    };
    // defaulted expiry
    let eff = run(&ShareSettings::named("x"), &site, &all).unwrap();
    assert_eq!(
        eff.adjustments,
        vec![Adjustment::ExpiryDefaulted {
            to: NOW + Duration::days(7)
        }]
    );
    // capped expiry
    let mut req = ShareSettings::named("x");
    req.schedule.expires_at = Some(NOW + Duration::days(90));
    let eff = run(&req, &site, &all).unwrap();
    assert_eq!(
        eff.settings.schedule.expires_at,
        Some(NOW + Duration::days(30))
    );
    assert_eq!(
        eff.settings.schedule.expires_at.unwrap() - NOW,
        Duration::days(30)
    );
    assert_eq!(eff.requested_expiry(), Some(NOW + Duration::days(90)));
    // same-day expiry in the past is accepted (seed 002); yesterday is not
    req.schedule.expires_at = Some(NOW - Duration::hours(2));
    assert!(run(&req, &site, &all).is_ok());
    req.schedule.expires_at = Some(NOW - Duration::days(1));
    assert_eq!(run(&req, &site, &all), Err(SettingsError::ExpiryInPast));
    // in the creator's time zone, "today" may differ from UTC
    req.schedule.expires_at = Some(datetime!(2026-11-22 23:30 UTC));
    req.schedule.display_offset = time::UtcOffset::from_hms(1, 0, 0).unwrap();
    assert!(run(&req, &site, &all).is_ok());
    // no share right
    let no_share = [Rights::of(&[Capability::List, Capability::Download])];
    assert_eq!(
        run(&ShareSettings::named("x"), &site, &no_share),
        Err(SettingsError::NoShareRight("a".into()))
    );
    // forced password and device binding dropped
    let mut req = ShareSettings::named("x");
    req.device_binding = true;
    let strict = SiteSettings {
        require_password: true,
        ..site.clone()
    };
    let eff = run(&req, &strict, &all).unwrap();
    assert!(eff.settings.password && !eff.settings.device_binding);
    assert!(eff.adjustments.contains(&Adjustment::PasswordRequired));
    assert!(
        eff.adjustments
            .contains(&Adjustment::DeviceBindingUnavailable)
    );
    // quota
    assert_eq!(daily_quota(&SiteSettings::default()), Some(500));
    let unlimited = SiteSettings {
        shares_per_user_per_day: None,
        ..SiteSettings::default()
    };
    assert_eq!(daily_quota(&unlimited), None);
}

#[test]
fn client_ip_is_an_ipaddr() {
    let ip: IpAddr = "::1".parse().unwrap();
    assert!(ip.is_loopback());
}

#[test]
fn a_use_already_counted_is_not_one_more() {
    let one_time = |s: &mut Share| {
        s.settings.use_limit = Some(UseLimit::ONE_TIME);
        s.uses = 1;
    };
    assert_eq!(
        denial(Case::new(Action::Download, "plan.pdf").share(one_time)),
        Denial::UsesExhausted
    );
    let counted = Case {
        already_counted: true,
        ..Case::new(Action::Download, "plan.pdf").share(one_time)
    };
    // Granted, and it spends nothing more: no use to reserve, no confirmation to ask.
    assert!(!counted.run().unwrap().counts_use);
    let unconfirmed = Case {
        mode: RequestMode::Unconfirmed,
        ..counted.clone()
    };
    assert!(unconfirmed.run().is_ok());
    // Only one use is "already counted": a limit overrun by two is still exhausted.
    let over = Case {
        already_counted: true,
        ..Case::new(Action::Download, "plan.pdf").share(|s| {
            s.settings.use_limit = Some(UseLimit::ONE_TIME);
            s.uses = 2;
        })
    };
    assert_eq!(denial(over), Denial::UsesExhausted);
}

#[test]
fn renaming_to_a_refused_type_is_refused_on_public_shares() {
    let full = |s: &mut Share| s.settings.allowed = AllowedActions::Full;
    let rename = |to: &'static str| Case {
        rename_to: Some(to),
        ..Case::new(Action::Rename, "Reports/a.txt").share(full)
    };
    assert_eq!(
        denial(rename("a.APK")),
        Denial::FileTypeRefused {
            extension: "apk".into()
        }
    );
    assert!(rename("a.pdf").run().is_ok());
    let org = Case {
        rename_to: Some("a.apk"),
        ..Case::new(Action::Rename, "Reports/a.txt")
            .share(full)
            .share(|s| s.settings.access = AccessControl::Organization)
            .session(|s| s.org_user = Some(UserId::parse("m").unwrap()))
    };
    assert!(org.run().is_ok(), "organization shares may hold any type");
}

#[test]
fn a_download_all_grant_leaves_refused_types_out() {
    let grant = Case::new(Action::DownloadAll, "Reports").run().unwrap();
    assert!(grant.serves(&path("docs/reports/a.txt")));
    assert!(!grant.serves(&path("docs/reports/b.Apk")));
    assert!(grant.serves(&path("docs/reports/README")));
    let org = Case::new(Action::DownloadAll, "Reports")
        .share(|s| s.settings.access = AccessControl::Organization)
        .session(|s| s.org_user = Some(UserId::parse("m").unwrap()))
        .run()
        .unwrap();
    assert!(org.serves(&path("docs/reports/b.apk")));
}

#[test]
fn gates_are_met_in_their_order() {
    // A share with every passable gate but one access control: each pending gate comes in
    // `Gate::ORDER`, and passing it reveals the next.
    let mut c = Case::new(Action::Visit, "").share(|s| {
        s.settings.password = true;
        s.settings.registration = Some(RegistrationForm::Default);
        s.settings.clickwrap = Some(Clickwrap {
            title: "Terms".into(),
            terms: "Be nice".into(),
        });
    });
    assert_eq!(denial(c.clone()), Gate::Password.pending());
    c.session.password_passed = true;
    assert_eq!(denial(c.clone()), Gate::Registration.pending());
    c.session.registration = Some(RegistrationId(1));
    assert_eq!(denial(c.clone()), Gate::Clickwrap.pending());
    c.session.clickwrap_accepted = true;
    assert!(c.run().is_ok());
}

proptest! {
    /// Whatever the scenario, a denial that `Gate::of` names is the first gate of
    /// `Gate::ORDER` the session has not passed.
    #[test]
    fn a_pending_gate_is_the_first_unpassed_one(s in access_scenario()) {
        if let Err(d) = decide(&s.request())
            && let Some(gate) = Gate::of(&d)
        {
            let first = Gate::ORDER
                .into_iter()
                .find(|g| g.applies(&s.share, &s.site) && g.check(&s.share, &s.session).is_err());
            prop_assert_eq!(first, Some(gate));
        }
    }
}

#[test]
fn a_changed_gate_must_be_passed_again() {
    use crate::ports::{Argon2idHasher, PasswordHasher};
    let hash = |p: &str| {
        Argon2idHasher::new(Argon2Params::TESTING)
            .hash(&PlainPassword::new(p, 1).unwrap())
            .unwrap()
    };
    let (first, second) = (hash("first secret"), hash("second secret"));
    let gated = move |s: &mut Share| {
        s.settings.password = true;
        s.password_hash = Some(first.clone());
        s.settings.registration = Some(RegistrationForm::Default);
        s.settings.clickwrap = Some(Clickwrap {
            title: "Terms".into(),
            terms: "v1".into(),
        });
    };
    let c = Case::new(Action::Download, "plan.pdf")
        .share(gated)
        .session(|s| {
            s.password_passed = true;
            s.registration = Some(RegistrationId(1));
            s.clickwrap_accepted = true;
        });
    let inside = passed_now(c.share.as_ref().unwrap(), &c.session);
    assert!(c.run_with(&inside).is_ok());
    // A session stored before stamps existed passes the gates again.
    assert_eq!(c.run_with(&c.session), Err(Denial::PasswordRequired));
    // A new password.
    let new_password = c.clone().share(|s| {
        s.password_hash = Some(second);
    });
    assert_eq!(
        new_password.run_with(&inside),
        Err(Denial::PasswordRequired)
    );
    // Another form.
    let new_form = c.clone().share(|s| {
        s.settings.registration = Some(
            RegistrationForm::custom(vec![FormField {
                label: "Employer".into(),
                description: None,
                required: true,
                kind: FieldKind::ShortAnswer,
            }])
            .unwrap(),
        );
    });
    assert_eq!(
        new_form.run_with(&inside),
        Err(Denial::RegistrationRequired)
    );
    // New terms.
    let new_terms = c.share(|s| {
        s.settings.clickwrap = Some(Clickwrap {
            title: "Terms".into(),
            terms: "v2".into(),
        });
    });
    assert_eq!(new_terms.run_with(&inside), Err(Denial::ClickwrapRequired));
}

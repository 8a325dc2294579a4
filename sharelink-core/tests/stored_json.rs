//! Stored JSON survives upgrades: every frozen row in `tests/fixtures/stored/` (written by
//! earlier versions, see its README) still loads into the same value, and writing it again
//! gives RFC 3339 instants and nothing else changed. Property tests check that what this
//! version writes reads back equal.

use serde_json::{Value, json};
use sharelink_core::*;
use std::net::{IpAddr, Ipv6Addr};
use time::OffsetDateTime;
use time::macros::{datetime, offset};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/stored/",
            $name
        ))
    };
}

fn load<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("stored row no longer loads: {e}"))
}

/// Checks that `value` writes as the frozen `text` with the instants at the JSON pointers
/// rewritten to the given RFC 3339 text, and that what it writes reads back equal.
fn rewrites_only_instants<T>(value: &T, text: &str, instants: &[(&str, &str)])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut expected: Value = serde_json::from_str(text).expect("fixture is JSON");
    for (pointer, rfc3339) in instants {
        *expected
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in the fixture")) = json!(rfc3339);
    }
    let mut written: Value = serde_json::to_value(value).expect("serialize");
    // Fields added since the fixture was frozen write their defaults; nothing else changes.
    if let (Value::Object(now), Value::Object(then)) = (&mut written, &expected) {
        now.retain(|k, v| then.contains_key(k) || !is_default(v));
    }
    assert_eq!(written, expected);
    let written = written.to_string();
    assert_eq!(&load::<T>(&written), value);
}

/// Whether a written value is what a field holds by default (added fields of old rows).
fn is_default(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Object(o) => {
            o.is_empty() || *v == serde_json::to_value(OwnerNotifications::default()).unwrap()
        }
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The settings `share_settings_v1_full.json` was generated from.
fn full_settings() -> ShareSettings {
    let field = |label: &str, description: Option<&str>, required, kind| FormField {
        label: label.into(),
        description: description.map(str::to_owned),
        required,
        kind,
    };
    let mut s = ShareSettings::named("Q3 reports — final");
    s.description = Some("Figures for the board.\nRead before Monday.".into());
    s.internal_note = Some("Ask Ana before extending".into());
    s.allowed = AllowedActions::Full;
    s.mode = ShareMode::Snapshot;
    s.schedule = Schedule {
        starts_at: Some(datetime!(2026-11-23 08:30:00.123456789 UTC)),
        expires_at: Some(datetime!(2026-12-31 23:59:59.5 +01:00)),
        display_offset: offset!(+01:00),
        time_zone: Some("Europe/Berlin".into()),
    };
    s.use_limit = Some(UseLimit {
        max: 3,
        unit: UseUnit::Download,
    });
    s.access = AccessControl::VerifiedEmails(vec![
        EmailPattern::parse("*@example.com").unwrap(),
        EmailPattern::parse("ana@example.org").unwrap(),
    ]);
    s.device_binding = true;
    s.ip_allow = IpAllowList::parse(["10.0.0.0/8", "2001:db8::/32"]).unwrap();
    s.password = true;
    s.password_autofill = true;
    s.registration = Some(
        RegistrationForm::custom(vec![
            field("Name", None, true, FieldKind::ShortAnswer),
            field(
                "Why",
                Some("A sentence or two"),
                false,
                FieldKind::Paragraph,
            ),
            field(
                "Team",
                None,
                true,
                FieldKind::MultipleChoice {
                    options: vec!["Sales".into(), "Legal".into()],
                },
            ),
            field(
                "Office",
                None,
                false,
                FieldKind::Dropdown {
                    options: vec!["Berlin".into(), "Lisbon".into()],
                },
            ),
        ])
        .unwrap(),
    );
    s.clickwrap = Some(Clickwrap {
        title: "Terms".into(),
        terms: "Do not forward these files.".into(),
    });
    s.watermark = Some(Watermark {
        text: "{email} {ip} {time} {name}".into(),
    });
    s.inbox = Some(SharePath::parse("reports/inbox").unwrap());
    s.upload_rules = UploadRules {
        allowed_extensions: Some(vec!["pdf".into(), "png".into()]),
        max_file_bytes: Some(10_485_760),
        max_share_bytes: Some(104_857_600),
        subfolder: UploaderFolder::ByIdentity,
    };
    s.notify_on_download = true;
    s
}

#[test]
fn full_settings_load_and_rewrite_with_rfc3339_instants() {
    let text = fixture!("share_settings_v1_full.json");
    let s: ShareSettings = load(text);
    assert_eq!(s, full_settings());
    // The instants keep their nanoseconds and their offset.
    let expiry = s.schedule.expires_at.unwrap();
    assert_eq!(expiry.offset(), offset!(+01:00));
    assert_eq!(expiry, datetime!(2026-12-31 22:59:59.5 UTC));
    rewrites_only_instants(
        &s,
        text,
        &[
            ("/schedule/starts_at", "2026-11-23T08:30:00.123456789Z"),
            ("/schedule/expires_at", "2026-12-31T23:59:59.5+01:00"),
        ],
    );
}

#[test]
fn minimal_settings_load_unchanged() {
    let text = fixture!("share_settings_v1_minimal.json");
    let s: ShareSettings = load(text);
    assert_eq!(s, ShareSettings::named("Minimal"));
    rewrites_only_instants(&s, text, &[]);
}

#[test]
fn owner_notification_choices_load_and_older_rows_keep_their_meaning() {
    let text = fixture!("share_settings_v3_notifications.json");
    let s: ShareSettings = load(text);
    assert_eq!(
        s.notifications,
        OwnerNotifications {
            download: true,
            upload: true,
            registration: false,
            first_visit: true,
            expiry_soon: false,
            digest: true,
        }
    );
    rewrites_only_instants(&s, text, &[]);
    // Rows from before the choices: expiry reminders on (as they were), downloads as the
    // older setting says.
    let old: ShareSettings = load(fixture!("share_settings_v1_full.json"));
    assert_eq!(old.notifications, OwnerNotifications::default());
    assert!(old.notifies(ActivityKind::Download) && old.notifies(ActivityKind::ExpirySoon));
    assert!(!old.notifies(ActivityKind::Upload));
    let minimal: ShareSettings = load(fixture!("share_settings_v1_minimal.json"));
    assert!(!minimal.notifies(ActivityKind::Download));
}

#[test]
fn queued_owner_notices_load_and_rewrite_unchanged() {
    use sharelink_core::ports::{Mail, MailMessage};
    let text = fixture!("queued_mail_v3_owner_notices.json");
    let mails: Vec<Mail> = load(text);
    let MailMessage::OwnerNotice { notice } = &mails[0].message else {
        panic!("{:?}", mails[0].message)
    };
    assert_eq!(
        notice.activity,
        Activity::Uploaded {
            visitor: Some("Rita (rita@ext.example)".into()),
            path: "drop/scan.pdf".into(),
            bytes: 4096,
            ip: Some("192.0.2.0".parse().unwrap()),
        }
    );
    assert_eq!(notice.at, datetime!(2026-12-04 09:00 UTC));
    let MailMessage::OwnerDigest { notices } = &mails[1].message else {
        panic!("{:?}", mails[1].message)
    };
    let kinds: Vec<ActivityKind> = notices.iter().map(|n| n.activity.kind()).collect();
    assert_eq!(
        kinds,
        [
            ActivityKind::Registration,
            ActivityKind::FirstVisit,
            ActivityKind::Download,
            ActivityKind::ExpirySoon
        ]
    );
    let frozen: Value = serde_json::from_str(text).expect("fixture is JSON");
    assert_eq!(serde_json::to_value(&mails).expect("serialize"), frozen);
}

#[test]
fn settings_of_every_access_control_load() {
    let text = fixture!("share_settings_v1_emailed_only.json");
    let s: ShareSettings = load(text);
    assert_eq!(s.access, AccessControl::EmailedOnly);
    assert_eq!(s.allowed, AllowedActions::Upload);
    assert_eq!(
        s.use_limit,
        Some(UseLimit {
            max: 1,
            unit: UseUnit::Visit
        })
    );
    assert_eq!(s.registration, Some(RegistrationForm::Default));
    assert_eq!(s.inbox.as_ref().map(SharePath::as_str), Some("drop"));
    assert_eq!(s.upload_rules.subfolder, UploaderFolder::ByTime);
    assert_eq!(s.schedule.starts_at, None);
    assert_eq!(s.schedule.expires_at, Some(datetime!(2027-01-15 00:00 UTC)));
    rewrites_only_instants(
        &s,
        text,
        &[("/schedule/expires_at", "2027-01-15T00:00:00Z")],
    );

    let text = fixture!("share_settings_v1_organization.json");
    let s: ShareSettings = load(text);
    assert_eq!(s.access, AccessControl::Organization);
    assert_eq!(s.allowed, AllowedActions::PreviewOnly);
    assert_eq!(
        s.use_limit,
        Some(UseLimit {
            max: 500,
            unit: UseUnit::Operation
        })
    );
    rewrites_only_instants(&s, text, &[]);
}

#[test]
fn an_old_row_missing_optional_fields_loads_with_defaults() {
    let s: ShareSettings = load(fixture!("share_settings_v0_old_row.json"));
    let mut expected = ShareSettings::named("Old row");
    expected.password = true;
    expected.schedule.expires_at = Some(datetime!(2026-03-01 12:00 UTC));
    assert_eq!(s, expected);
    assert_eq!(s.schedule.display_offset, offset!(UTC));
    assert_eq!(s.upload_rules, UploadRules::default());
    assert_eq!(s.mode, ShareMode::Reference);
    assert!(!s.notify_on_download && !s.password_autofill);
}

#[test]
fn a_newer_row_with_unknown_fields_loads() {
    let s: ShareSettings = load(fixture!("share_settings_v2_newer_row.json"));
    assert_eq!(s.name, "From a newer version");
    assert_eq!(
        s.schedule.starts_at,
        Some(datetime!(2026-11-23 08:30:00.123456789 UTC))
    );
    assert_eq!(
        s.schedule.expires_at,
        Some(datetime!(2026-12-31 23:59:59.5 +01:00))
    );
    assert_eq!(s.schedule.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(s.upload_rules, UploadRules::default());
}

#[test]
fn a_row_without_a_gate_is_refused_not_opened() {
    // Every version wrote the non-optional gates, so a row without one is damaged; reading
    // it as "no password" would open the share.
    let mut row: Value = serde_json::from_str(fixture!("share_settings_v1_full.json")).unwrap();
    for gate in ["password", "access", "device_binding", "ip_allow"] {
        let mut damaged = row.clone();
        damaged.as_object_mut().unwrap().remove(gate);
        let err = serde_json::from_value::<ShareSettings>(damaged).unwrap_err();
        assert!(err.to_string().contains(gate), "{err}");
    }
    row.as_object_mut().unwrap().remove("notify_on_download");
    assert!(
        !serde_json::from_value::<ShareSettings>(row)
            .unwrap()
            .notify_on_download
    );
}

#[test]
fn adjustments_load_and_rewrite_with_rfc3339_instants() {
    let text = fixture!("adjustments_v1.json");
    let a: Vec<Adjustment> = load(text);
    assert_eq!(
        a,
        vec![
            Adjustment::ExpiryDefaulted {
                to: datetime!(2026-12-23 10:00 UTC)
            },
            Adjustment::ExpiryCapped {
                requested: None,
                to: datetime!(2027-11-23 10:00 UTC)
            },
            Adjustment::ExpiryCapped {
                requested: Some(datetime!(2030-01-01 00:00 UTC)),
                to: datetime!(2027-11-23 10:00:00.25 UTC)
            },
            Adjustment::ExpiryRaised {
                requested: datetime!(2026-11-23 10:05 UTC),
                to: datetime!(2026-11-24 10:00 UTC)
            },
            Adjustment::PasswordRequired,
            Adjustment::LevelReduced {
                requested: AllowedActions::Full,
                to: AllowedActions::Download
            },
            Adjustment::DeviceBindingUnavailable,
        ]
    );
    rewrites_only_instants(
        &a,
        text,
        &[
            ("/0/to", "2026-12-23T10:00:00Z"),
            ("/1/to", "2027-11-23T10:00:00Z"),
            ("/2/requested", "2030-01-01T00:00:00Z"),
            ("/2/to", "2027-11-23T10:00:00.25Z"),
            ("/3/requested", "2026-11-23T10:05:00Z"),
            ("/3/to", "2026-11-24T10:00:00Z"),
        ],
    );
}

#[test]
fn items_load_unchanged() {
    let text = fixture!("share_items_v1.json");
    let items: Vec<ShareItem> = load(text);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].display_name(), "Q3");
    assert_eq!(items[0].kind, ItemKind::Folder);
    assert_eq!(items[1].path.as_str(), "reports/summary.pdf");
    assert_eq!(items[1].origin, None);
    rewrites_only_instants(&items, text, &[]);
}

#[test]
fn fresh_session_loads_and_rewrites_with_rfc3339_instants() {
    let text = fixture!("visitor_session_v1_fresh.json");
    let s: VisitorSession = load(text);
    assert_eq!(
        s,
        VisitorSession::new(
            SessionId::parse("sess-fresh-0001").unwrap(),
            ShareId(42),
            BrowserId::parse("browser-a").unwrap(),
            datetime!(2026-11-23 10:15:30.000001 UTC),
        )
    );
    rewrites_only_instants(&s, text, &[("/created_at", "2026-11-23T10:15:30.000001Z")]);
}

#[test]
fn session_with_every_gate_passed_loads() {
    let text = fixture!("visitor_session_v1_all_gates.json");
    let s: VisitorSession = load(text);
    assert_eq!(s.id.as_str(), "sess-gates-0002");
    assert_eq!(s.share_id, ShareId(42));
    assert_eq!(s.browser.as_str(), "browser-b");
    assert_eq!(s.device.as_ref().map(DeviceId::as_str), Some("device-b"));
    assert_eq!(
        s.client_ip,
        Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)))
    );
    assert_eq!(
        s.user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    );
    assert_eq!(s.created_at, datetime!(2026-11-23 11:00 UTC));
    assert_eq!(s.recipient, Some(RecipientId(7)));
    assert_eq!(
        s.verified_email.as_ref().map(Email::as_str),
        Some("ana@example.com")
    );
    assert_eq!(s.org_user.as_ref().map(UserId::as_str), Some("member-1"));
    assert_eq!(s.registration, Some(RegistrationId(9)));
    assert!(s.password_passed && s.clickwrap_accepted);
    rewrites_only_instants(&s, text, &[("/created_at", "2026-11-23T11:00:00Z")]);
}

#[test]
fn an_old_session_missing_optional_fields_loads_with_defaults() {
    let s: VisitorSession = load(fixture!("visitor_session_v0_old_row.json"));
    let mut expected = VisitorSession::new(
        SessionId::parse("sess-old-0003").unwrap(),
        ShareId(42),
        BrowserId::parse("browser-c").unwrap(),
        datetime!(2026-02-01 09:00 UTC),
    );
    expected.password_passed = true;
    assert_eq!(s, expected);
}

#[test]
fn what_this_version_writes_has_no_old_form_instant() {
    let written = serde_json::to_string(&full_settings()).unwrap();
    assert!(!written.contains(" +0"), "{written}");
    let at = OffsetDateTime::UNIX_EPOCH;
    let s = VisitorSession::new(
        SessionId::parse("s").unwrap(),
        ShareId(1),
        BrowserId::parse("b").unwrap(),
        at,
    );
    assert!(
        serde_json::to_string(&s)
            .unwrap()
            .contains(r#""created_at":"1970-01-01T00:00:00Z""#)
    );
}

/// What this version writes reads back equal, over the crate's own strategies with
/// sub-second and non-UTC instants mixed in.
#[cfg(feature = "proptest")]
mod round_trip {
    use proptest::prelude::*;
    use sharelink_core::testing::{allowed_actions, instant, session, share, share_settings};
    use sharelink_core::*;
    use time::{OffsetDateTime, UtcOffset};

    /// An instant with nanoseconds, shown at a whole-minute offset.
    fn fine_instant() -> impl Strategy<Value = OffsetDateTime> {
        (instant(), 0u32..1_000_000_000, -(14 * 60)..=(14 * 60i32)).prop_map(
            |(at, nanos, minutes)| {
                let offset = UtcOffset::from_whole_seconds(minutes * 60).unwrap_or(UtcOffset::UTC);
                (at + time::Duration::nanoseconds(i64::from(nanos))).to_offset(offset)
            },
        )
    }

    fn settings() -> impl Strategy<Value = ShareSettings> {
        allowed_actions()
            .prop_flat_map(share_settings)
            .prop_flat_map(|s| (Just(s), prop::option::of(fine_instant())))
            .prop_map(|(mut s, start)| {
                if start.is_some() {
                    s.schedule.starts_at = start;
                }
                s
            })
    }

    fn round_trips<T>(value: &T) -> Result<(), TestCaseError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: T =
            serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, value, "{}", text);
        Ok(())
    }

    proptest! {
        #[test]
        fn share_settings_round_trip(s in settings()) {
            round_trips(&s)?;
        }

        #[test]
        fn visitor_sessions_round_trip(mut s in session(), at in fine_instant()) {
            round_trips(&s)?;
            s.created_at = at;
            round_trips(&s)?;
        }

        #[test]
        fn shares_round_trip(mut s in share(), at in fine_instant()) {
            round_trips(&s)?;
            s.reminder_sent_at = Some(at);
            s.adjustments = vec![Adjustment::ExpiryCapped { requested: Some(at), to: at }];
            round_trips(&s)?;
        }
    }
}

/// The mails `queued_mail_v1_every_kind.json` holds.
fn every_kind_of_mail() -> Vec<sharelink_core::ports::Mail> {
    use sharelink_core::ports::{Mail, MailMessage, Secret};
    let branding = Branding {
        site_title: "Files".into(),
        sender_name: "Files team".into(),
        logo_url: None,
        ..Branding::default()
    };
    let at = datetime!(2026-11-23 09:00 UTC);
    let to = |e: &str| Email::parse(e).expect("valid email");
    let plain = |to: Email, message| Mail {
        to,
        to_name: None,
        branding: branding.clone(),
        from: None,
        time_zone: None,
        locale: None,
        message,
    };
    vec![
        Mail {
            to: to("rita@ext.example"),
            to_name: Some("Rita Ü".into()),
            branding: branding.clone(),
            from: Some(to("noreply@example.com")),
            time_zone: Some("Europe/Zurich".into()),
            locale: None,
            message: MailMessage::Invitation {
                share_name: "Plans — ünïcödé".into(),
                sender: "Ana".into(),
                message: Some("Line one\nline two".into()),
                link: Secret("https://files.example.com/s/abc?r=xyz".into()),
                expires_at: Some(datetime!(2026-12-01 09:00 UTC)),
            },
        },
        plain(
            to("rita@ext.example"),
            MailMessage::OneTimeCode {
                share_name: "Plans".into(),
                code: Secret("048213".into()),
                valid_minutes: 10,
            },
        ),
        plain(
            to("ana@example.com"),
            MailMessage::DownloadNotification {
                share_name: "Plans".into(),
                visitor: Some("rita@ext.example".into()),
                paths: vec!["a/b.pdf".into(), "c.txt".into()],
                at,
                ip: Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
            },
        ),
        plain(
            to("rita@ext.example"),
            MailMessage::LinkResent {
                share_name: "Plans".into(),
                link: Secret("https://files.example.com/s/abc?r=new".into()),
            },
        ),
        plain(
            to("ana@example.com"),
            MailMessage::ExpiryReminder {
                share_name: "Plans".into(),
                expires_at: datetime!(2026-11-24 09:00 UTC),
            },
        ),
        plain(
            to("ana@example.com"),
            MailMessage::UnderAttack {
                share_name: "Plans".into(),
                target: "the password".into(),
                attempts: 21,
                window_minutes: 15,
                at,
            },
        ),
    ]
}

#[test]
fn queued_mail_of_every_kind_loads_and_rewrites_unchanged() {
    let text = fixture!("queued_mail_v1_every_kind.json");
    let mails = every_kind_of_mail();
    assert_eq!(load::<Vec<sharelink_core::ports::Mail>>(text), mails);
    let frozen: Value = serde_json::from_str(text).expect("fixture is JSON");
    assert_eq!(serde_json::to_value(&mails).expect("serialize"), frozen);
}

#[test]
fn a_queued_mail_keeps_its_language_and_rows_without_one_have_none() {
    let mut mail = every_kind_of_mail().remove(1);
    assert_eq!(mail.locale, None, "rows written before languages");
    mail.locale = Some("zh-CN".into());
    let written = serde_json::to_value(&mail).expect("serialize");
    assert_eq!(written["locale"], "zh-CN");
    assert_eq!(
        load::<sharelink_core::ports::Mail>(&written.to_string()),
        mail
    );
}

#[test]
fn a_newer_queued_mail_with_unknown_fields_loads_with_defaults() {
    use sharelink_core::ports::{Mail, MailMessage, Secret};
    let mail: Mail = load(fixture!("queued_mail_v2_newer_row.json"));
    assert_eq!(mail.to, Email::parse("rita@ext.example").expect("valid"));
    assert_eq!(mail.branding, Branding::default());
    assert_eq!(mail.from, None);
    assert_eq!(
        mail.message,
        MailMessage::LinkResent {
            share_name: "Plans".into(),
            link: Secret("https://files.example.com/s/abc?r=new".into()),
        }
    );
}

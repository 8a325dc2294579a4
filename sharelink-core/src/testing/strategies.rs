//! Proptest strategies for sharelink's domain types, for users' own property tests.
//!
//! Enable the `proptest` feature; everything here is also at [`crate::testing`]. The strategies produce valid values (they go through
//! the validating constructors), spread over every variant that matters to policy.
//!
//! ```
//! use proptest::prelude::*;
//! use sharelink_core::testing::{access_scenario, AccessScenario};
//! use sharelink_core::policy::decide;
//!
//! proptest!(|(sc in access_scenario())| {
//!     // A grant never exceeds the share's level.
//!     if let Ok(_) = decide(&sc.request()) {
//!         if let Some(cap) = sc.action.capability() {
//!             prop_assert!(sc.share.settings.allowed.rights().has(cap)
//!                 || sc.share.settings.inbox.is_some());
//!         }
//!     }
//! });
//! ```

use crate::policy::{AccessRequest, CreatorRights, RequestMode, UploadInfo};
use crate::{
    AccessControl, Action, AllowedActions, BrowserId, Capability, Clickwrap, DeviceId, Email,
    EmailPattern, IpAllowList, IpNet, ItemKind, RecipientId, RegistrationForm, RegistrationId,
    Rights, Schedule, SessionId, Share, ShareId, ShareItem, SharePath, ShareSettings, SiteSettings,
    UrlKey, UseLimit, UseUnit, UserId, VisitorSession,
};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};
use time::{Duration, OffsetDateTime};

/// Arbitrary normalised relative paths (including the root).
pub fn share_path() -> impl Strategy<Value = SharePath> {
    prop::collection::vec("[a-zA-Z0-9 _.-]{1,12}", 0..5)
        .prop_filter_map("segments must not be . or ..", |segs| {
            SharePath::parse(&segs.join("/")).ok()
        })
}

/// Any of the five levels.
pub fn allowed_actions() -> impl Strategy<Value = AllowedActions> {
    prop::sample::select(AllowedActions::ALL.to_vec())
}

/// Any visitor action.
pub fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::ALL.to_vec())
}

/// Any set of rights.
pub fn rights() -> impl Strategy<Value = Rights> {
    prop::collection::vec(prop::sample::select(Capability::ALL.to_vec()), 0..8)
        .prop_map(|caps| Rights::of(&caps))
}

/// Instants around 2026-2027.
pub fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (1_780_000_000i64..1_800_000_000)
        .prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// An optional use limit with any unit.
pub fn use_limit() -> impl Strategy<Value = Option<UseLimit>> {
    prop::option::of(
        (
            1u32..5,
            prop::sample::select(vec![UseUnit::Visit, UseUnit::Download, UseUnit::Operation]),
        )
            .prop_map(|(max, unit)| UseLimit { max, unit }),
    )
}

/// Any access control.
pub fn access_control() -> impl Strategy<Value = AccessControl> {
    prop_oneof![
        Just(AccessControl::Anyone),
        Just(AccessControl::EmailedOnly),
        Just(AccessControl::Organization),
        prop::sample::select(vec!["*@example.com", "ana@example.org", "*@*.example.net"])
            .prop_filter_map("valid pattern", |p| EmailPattern::parse(p).ok())
            .prop_map(|p| AccessControl::VerifiedEmails(vec![p])),
    ]
}

/// An IP allow-list: empty, or one network around 10.0.0.0.
pub fn ip_allow_list() -> impl Strategy<Value = IpAllowList> {
    prop_oneof![
        3 => Just(IpAllowList::default()),
        1 => (8u8..=32).prop_filter_map("valid", |p| IpNet::parse(&format!("10.0.0.0/{p}")).ok().map(|n| IpAllowList::new(vec![n]))),
    ]
}

/// Items of a share valid for `allowed`: folders `f0..`, files `file0.txt..`.
pub fn items_for(allowed: AllowedActions) -> impl Strategy<Value = Vec<ShareItem>> {
    (
        1usize..3,
        0usize..3,
        prop::sample::select(vec!["txt", "pdf", "apk", "png"]),
    )
        .prop_map(move |(folders, files, ext)| {
            let mut items = Vec::new();
            for i in 0..folders {
                items.extend(ShareItem::new(
                    SharePath::parse(&format!("root/f{i}")).unwrap_or_default(),
                    ItemKind::Folder,
                    None,
                ));
            }
            if allowed.allows_file_items() {
                for i in 0..files {
                    items.extend(ShareItem::new(
                        SharePath::parse(&format!("root/file{i}.{ext}")).unwrap_or_default(),
                        ItemKind::File,
                        None,
                    ));
                }
            }
            items
        })
}

/// Effective-looking settings for a share (gates switched on at random).
pub fn share_settings(allowed: AllowedActions) -> impl Strategy<Value = ShareSettings> {
    (
        (
            access_control(),
            any::<bool>(),
            ip_allow_list(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            use_limit(),
            prop::option::of(instant()),
            prop::option::of(instant()),
            any::<bool>(),
            owner_notifications(),
        ),
    )
        .prop_map(
            move |(
                (access, device, ip, password, registration, clickwrap),
                (limit, start, expiry, inbox, notifications),
            )| {
                let mut s = ShareSettings::named("generated");
                s.allowed = allowed;
                s.access = access;
                s.device_binding = device;
                s.ip_allow = ip;
                s.password = password;
                s.registration = registration.then_some(RegistrationForm::Default);
                s.clickwrap = clickwrap.then(|| Clickwrap {
                    title: "Terms".into(),
                    terms: "Be nice.".into(),
                });
                s.use_limit = limit;
                let (start, expiry) = match (start, expiry) {
                    (Some(a), Some(b)) if a >= b => (Some(b), Some(a + Duration::seconds(1))),
                    other => other,
                };
                s.schedule = Schedule {
                    starts_at: start,
                    expires_at: expiry,
                    ..Schedule::default()
                };
                s.inbox = inbox.then(|| SharePath::parse("root/f0/inbox").unwrap_or_default());
                s.notifications = notifications;
                s
            },
        )
}

/// Arbitrary owner-notification choices (every combination of events, digest or not).
pub fn owner_notifications() -> impl Strategy<Value = crate::OwnerNotifications> {
    prop::array::uniform6(any::<bool>()).prop_map(|b| crate::OwnerNotifications {
        download: b[0],
        upload: b[1],
        registration: b[2],
        first_visit: b[3],
        expiry_soon: b[4],
        digest: b[5],
    })
}

/// An arbitrary share (consistent items and level).
pub fn share() -> impl Strategy<Value = Share> {
    allowed_actions().prop_flat_map(|allowed| {
        (
            items_for(allowed),
            share_settings(allowed),
            instant(),
            0u32..6,
            0u64..1000,
            any::<bool>(),
        )
            .prop_map(
                |(items, settings, created_at, uses, uploaded_bytes, bound)| Share {
                    id: ShareId(1),
                    key: UrlKey::parse("abcdefghijklmnopqrstuvwxy").expect("valid constant"),
                    owner: UserId::parse("owner").expect("valid constant"),
                    items,
                    requested: settings.clone(),
                    settings,
                    adjustments: Vec::new(),
                    password_hash: None,
                    autofill_code: None,
                    bound_device: bound
                        .then(|| DeviceId::parse("device-a").expect("valid constant")),
                    uses,
                    uploaded_bytes,
                    reminder_sent_at: None,
                    created_at,
                    updated_at: created_at,
                },
            )
    })
}

/// A visitor session on share 1 with random gates passed and client facts.
pub fn session() -> impl Strategy<Value = VisitorSession> {
    (
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        prop::sample::select(vec!["device-a", "device-b"]),
        prop::option::of(prop::sample::select(vec![
            "ana@example.com",
            "bob@elsewhere.org",
            "x@sub.example.net",
        ])),
        prop::sample::select(vec![[10u8, 0, 0, 7], [10, 1, 2, 3], [192, 0, 2, 1]]),
    )
        .prop_map(
            |((recipient, org, pw, reg, click, has_device), device, email, ip)| {
                let mut s = VisitorSession::new(
                    SessionId::parse("session").expect("valid constant"),
                    ShareId(1),
                    BrowserId::parse("browser").expect("valid constant"),
                    OffsetDateTime::UNIX_EPOCH,
                );
                s.recipient = recipient.then_some(RecipientId(1));
                s.org_user = org.then(|| UserId::parse("member").expect("valid constant"));
                s.password_passed = pw;
                s.registration = reg.then_some(RegistrationId(1));
                s.clickwrap_accepted = click;
                s.device = has_device.then(|| DeviceId::parse(device).expect("valid constant"));
                s.verified_email = email.and_then(|e| Email::parse(e).ok());
                s.client_ip = Some(IpAddr::V4(Ipv4Addr::from(ip)));
                s
            },
        )
}

/// Site settings with device binding and refused extensions varied.
pub fn site_settings() -> impl Strategy<Value = SiteSettings> {
    (any::<bool>(), any::<bool>()).prop_map(|(device, refuse)| SiteSettings {
        device_binding: device,
        refused_extensions: if refuse {
            vec!["apk".into()]
        } else {
            Vec::new()
        },
        ..SiteSettings::default()
    })
}

/// Everything one access decision takes, owned.
#[derive(Debug, Clone)]
pub struct AccessScenario {
    /// The share (`None` when `revoked`).
    pub share: Share,
    /// Whether the share is revoked (the decision sees no share).
    pub revoked: bool,
    /// The visitor.
    pub session: VisitorSession,
    /// The action.
    pub action: Action,
    /// The visitor path.
    pub path: SharePath,
    /// The destination of a move or copy.
    pub destination: SharePath,
    /// The upload.
    pub upload: UploadInfo,
    /// The new name of a rename.
    pub rename_to: Option<SharePath>,
    /// Whether the use the request would spend is already counted.
    pub already_counted: bool,
    /// How the request was made.
    pub mode: RequestMode,
    /// When.
    pub now: OffsetDateTime,
    /// The creator's rights.
    pub creator: CreatorRights,
    /// Site policy.
    pub site: SiteSettings,
}

impl AccessScenario {
    /// The request to hand to [`crate::policy::decide`].
    pub fn request(&self) -> AccessRequest<'_> {
        AccessRequest {
            share: (!self.revoked).then_some(&self.share),
            session: &self.session,
            action: self.action,
            path: Some(&self.path),
            destination: Some(&self.destination),
            upload: Some(&self.upload),
            rename_to: self.rename_to.as_ref(),
            already_counted: self.already_counted,
            mode: self.mode,
            now: self.now,
            creator: self.creator,
            site: &self.site,
        }
    }
}

/// Visitor paths aimed at the items of [`share`]'s shares (mostly inside, sometimes not),
/// from a fixed list; the scenario strategies aim at their own share's items with
/// [`names`](super::names) from a grammar.
pub fn visitor_path() -> impl Strategy<Value = SharePath> {
    prop::sample::select(vec![
        "",
        "f0",
        "f0/a.txt",
        "f0/sub/b.apk",
        "f1/c.pdf",
        "file0.txt",
        "file0.apk",
        "file1.png",
        "file0.txt/x",
        "nope",
        "nope/a.txt",
        "f0/inbox",
    ])
    .prop_map(|p| SharePath::parse(p).unwrap_or_default())
}

/// A complete, arbitrary access scenario, balanced so every outcome is common: about a
/// third [admitted](super::Scenarios::admitted), almost half [denied](super::Scenarios::denied)
/// for one reason (each [`DenialKind`](super::DenialKind) equally often), the rest
/// [tangled](super::tangled_scenario) (several checks broken at once).
pub fn access_scenario() -> impl Strategy<Value = AccessScenario> {
    prop_oneof![
        35 => super::Scenarios::admitted(),
        45 => super::Scenarios::denied(),
        20 => super::tangled_scenario(),
    ]
}

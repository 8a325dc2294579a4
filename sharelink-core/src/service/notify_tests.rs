//! Owner notifications through the use cases: which events reach the owner and the
//! site's administrator copy, one mail per event or an hourly digest, and what the mails
//! leave out.

use super::notify::group_by_recipient;
use super::*;
use crate::model::form::Answer;
use crate::ports::digest::{DigestEntry, DigestEntryId};
use crate::ports::{DigestStore, Mail, MailMessage};
use crate::testing::fixtures::{World, chunks, client, path, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use proptest::prelude::*;
use time::Duration;

const RITA: &str = "rita@ext.example";
const ADMIN: &str = "audit@corp.example";

fn email(e: &str) -> Email {
    Email::parse(e).unwrap()
}

fn world(copy: &[&str]) -> World {
    World::with_site(SiteSettings {
        notification_copy: copy.iter().map(|e| email(e)).collect(),
        ..SiteSettings::default()
    })
}

/// Messages mailed to `to`, other than invitations.
fn notices_to(w: &World, to: &str) -> Vec<Mail> {
    w.mem
        .mailer
        .sent_to(&email(to))
        .into_iter()
        .map(|(m, _)| m)
        .filter(|m| !matches!(m.message, MailMessage::Invitation { .. }))
        .collect()
}

/// Ana's upload-and-download share of `docs/drop` with the default registration form,
/// also sent to Rita by email, with `choices`; Rita opens her link, registers, uploads a
/// file and downloads it.
fn busy_share(w: &World, choices: OwnerNotifications) -> Share {
    let share = block_on(w.app.create_share(
        &user("ana"),
        request(&["docs/drop"], |s| {
            s.allowed = AllowedActions::UploadDownload;
            s.registration = Some(RegistrationForm::Default);
            s.notifications = choices;
        }),
    ))
    .unwrap()
    .share;
    let input = NewRecipientInput {
        email: email(RITA),
        company: None,
        note: None,
    };
    let sent = block_on(
        w.app
            .share_by_email(&user("ana"), share.id, vec![input], None),
    )
    .unwrap();
    assert!(sent[0].result.is_ok());
    let code = match &w.mem.mailer.sent_to(&email(RITA))[0].0.message {
        MailMessage::Invitation { link, .. } => link.0.rsplit_once("?r=").unwrap().1.to_owned(),
        other => panic!("{other:?}"),
    };
    let c = client("rita-laptop");
    let open = || {
        block_on(w.app.open(OpenRequest {
            key: share.key.as_str(),
            client: &c,
            recipient_code: Some(&code),
            access_code: None,
            mode: RequestMode::Confirmed,
        }))
        .unwrap()
    };
    let s = open().session.unwrap().id;
    // A second visit of the same link is no first visit.
    open();
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let answers = [
        Answer {
            label: "Name".into(),
            value: "Rita".into(),
        },
        Answer {
            label: "Email".into(),
            value: RITA.into(),
        },
    ];
    block_on(w.app.register(&req, &answers)).unwrap();
    let up = block_on(
        w.app
            .upload(&req, &path("drop"), "scan.pdf", Some(4), chunks(b"scan", 3)),
    )
    .unwrap();
    let d = block_on(w.app.download(&req, &up.path, None, Action::Download)).unwrap();
    block_on(w.app.finish(d.ticket, Outcome::Completed { bytes: 4 }));
    share
}

fn everything(digest: bool) -> OwnerNotifications {
    OwnerNotifications {
        download: true,
        upload: true,
        registration: true,
        first_visit: true,
        expiry_soon: true,
        digest,
    }
}

#[test]
fn each_chosen_event_mails_the_owner_and_the_admin_copy_once() {
    let w = world(&[ADMIN]);
    busy_share(&w, everything(false));
    for to in ["ana@corp.example", ADMIN] {
        let kinds: Vec<ActivityKind> = notices_to(&w, to)
            .iter()
            .map(|m| match &m.message {
                MailMessage::OwnerNotice { notice } => notice.activity.kind(),
                MailMessage::DownloadNotification { .. } => ActivityKind::Download,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ActivityKind::FirstVisit,
                ActivityKind::Registration,
                ActivityKind::Upload,
                ActivityKind::Download
            ],
            "{to}"
        );
    }
    // The visitor hears of none of it.
    assert!(notices_to(&w, RITA).is_empty());
}

#[test]
fn events_not_chosen_mail_nobody() {
    let w = world(&[ADMIN]);
    let only_uploads = OwnerNotifications {
        upload: true,
        ..OwnerNotifications::default()
    };
    busy_share(&w, only_uploads);
    for to in ["ana@corp.example", ADMIN] {
        let mails = notices_to(&w, to);
        assert_eq!(mails.len(), 1, "{to}");
        let MailMessage::OwnerNotice { notice } = &mails[0].message else {
            panic!("{:?}", mails[0].message)
        };
        assert_eq!(
            notice.activity,
            Activity::Uploaded {
                visitor: Some(format!("Rita ({RITA})")),
                path: "drop/scan.pdf".into(),
                bytes: 4,
                ip: Some("192.0.2.10".parse().unwrap()),
            }
        );
        assert_eq!(notice.share_name, "Test share");
    }
    let w = world(&[]);
    busy_share(&w, OwnerNotifications::default());
    assert!(notices_to(&w, "ana@corp.example").is_empty());
}

#[test]
fn the_older_download_setting_still_notifies_downloads() {
    let w = world(&[]);
    let share = block_on(w.app.create_share(
        &user("ana"),
        request(&["docs/plan.pdf"], |s| s.notify_on_download = true),
    ))
    .unwrap()
    .share;
    assert!(share.settings.notifies(ActivityKind::Download));
    let c = client("b1");
    let v = block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &c,
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }))
    .unwrap();
    let s = v.session.unwrap().id;
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let d = block_on(
        w.app
            .download(&req, &path("plan.pdf"), None, Action::Download),
    )
    .unwrap();
    block_on(w.app.finish(d.ticket, Outcome::Completed { bytes: 1 }));
    let mails = notices_to(&w, "ana@corp.example");
    assert!(matches!(
        mails[..],
        [Mail {
            message: MailMessage::DownloadNotification { .. },
            ..
        }]
    ));
}

#[test]
fn log_privacy_truncates_the_address_owners_are_told() {
    let mut site = SiteSettings::default();
    site.log_privacy.truncate_ip = true;
    let w = World::with_site(site);
    busy_share(&w, everything(false));
    let mails = notices_to(&w, "ana@corp.example");
    let upload = mails
        .iter()
        .find_map(|m| match &m.message {
            MailMessage::OwnerNotice {
                notice:
                    Notice {
                        activity: Activity::Uploaded { ip, .. },
                        ..
                    },
            } => Some(*ip),
            _ => None,
        })
        .unwrap();
    assert_eq!(upload, Some("192.0.2.0".parse().unwrap()));
}

#[test]
fn digest_gathers_every_event_into_one_mail_per_recipient_per_run() {
    let w = world(&[ADMIN]);
    let share = busy_share(&w, everything(true));
    // Nothing is mailed at once: four events wait for each of the two recipients.
    assert!(notices_to(&w, "ana@corp.example").is_empty());
    assert_eq!(w.mem.digests.len(), 8);
    // A second share of Ana's joins the same digest.
    let other = block_on(w.app.create_share(
        &user("ana"),
        request(&["docs/reports"], |s| {
            s.name = "Quarterly".into();
            s.notifications = everything(true);
            s.schedule.expires_at = Some(w.mem.clock.now() + Duration::hours(2));
        }),
    ))
    .unwrap()
    .share;
    assert_eq!(block_on(w.app.send_expiry_reminders()).unwrap(), 2);
    w.mem.clock.advance(Duration::minutes(30));
    assert_eq!(block_on(w.app.send_digests()).unwrap(), 2);
    for to in ["ana@corp.example", ADMIN] {
        let mails = w.mem.mailer.sent_to(&email(to));
        let [(mail, rendered)] = &mails[..] else {
            panic!("{to}: {mails:?}")
        };
        let MailMessage::OwnerDigest { notices } = &mail.message else {
            panic!("{:?}", mail.message)
        };
        let kinds: Vec<ActivityKind> = notices.iter().map(|n| n.activity.kind()).collect();
        assert_eq!(
            kinds,
            vec![
                ActivityKind::FirstVisit,
                ActivityKind::Registration,
                ActivityKind::Upload,
                ActivityKind::Download,
                ActivityKind::ExpirySoon
            ]
        );
        assert!(rendered.subject().contains("2 of your shares"));
        for needle in ["Test share", "Quarterly", "scan.pdf", RITA] {
            assert!(rendered.text().contains(needle), "{needle}");
        }
        // Never the link or its key.
        assert!(!rendered.text().contains(share.key.as_str()));
        assert!(!rendered.text().contains(other.key.as_str()));
    }
    assert!(w.mem.digests.is_empty());
    // Nothing waits: the next run mails nobody.
    assert_eq!(block_on(w.app.send_digests()).unwrap(), 0);
    assert_eq!(w.mem.mailer.sent_to(&email(ADMIN)).len(), 1);
}

#[test]
fn without_a_digest_store_a_digest_share_is_notified_at_once() {
    let base = World::new();
    let mut ports = base.mem.ports();
    ports.digests = None;
    let app = Sharelink::new(ports, Config::new(crate::testing::fixtures::LINK_BASE)).unwrap();
    let w = World { app, mem: base.mem };
    busy_share(&w, everything(true));
    assert_eq!(notices_to(&w, "ana@corp.example").len(), 4);
    assert!(w.mem.digests.is_empty());
    assert_eq!(block_on(w.app.send_digests()).unwrap(), 0);
}

#[test]
fn expiry_reminders_follow_the_share_choice() {
    let w = world(&[ADMIN]);
    let soon = |expiry_soon: bool| {
        block_on(w.app.create_share(
            &user("ana"),
            request(&["docs/reports"], |s| {
                s.notifications.expiry_soon = expiry_soon;
                s.schedule.expires_at = Some(w.mem.clock.now() + Duration::hours(2));
            }),
        ))
        .unwrap()
        .share
    };
    soon(false);
    soon(true);
    // One share asks: its owner and the admin copy are told, once.
    assert_eq!(block_on(w.app.send_expiry_reminders()).unwrap(), 2);
    assert_eq!(block_on(w.app.send_expiry_reminders()).unwrap(), 0);
    for to in ["ana@corp.example", ADMIN] {
        let mails = notices_to(&w, to);
        assert!(
            matches!(
                mails[..],
                [Mail {
                    message: MailMessage::ExpiryReminder { .. },
                    ..
                }]
            ),
            "{to}: {mails:?}"
        );
    }
}

#[test]
fn a_failing_digest_keeps_its_entries_for_the_next_run() {
    let w = world(&[]);
    busy_share(&w, everything(true));
    // The mailer refuses: the entries stay.
    w.mem.mailer.refuse(&email("ana@corp.example"));
    assert!(block_on(w.app.send_digests()).is_err());
    assert_eq!(w.mem.digests.len(), 4);
    w.mem.mailer.accept(&email("ana@corp.example"));
    assert_eq!(block_on(w.app.send_digests()).unwrap(), 1);
    assert!(w.mem.digests.is_empty());
}

fn entries() -> impl Strategy<Value = Vec<DigestEntry>> {
    proptest::collection::vec((0..3usize, 0..3i64, 0..50i64), 0..30).prop_map(|raw| {
        raw.into_iter()
            .zip(1..)
            .map(|((to, share, minutes), id)| DigestEntry {
                id: DigestEntryId(id),
                entry: crate::ports::NewDigestEntry {
                    to: email(["ana@corp.example", "bob@corp.example", ADMIN][to]),
                    share: ShareId(share),
                    owner: user("ana"),
                    time_zone: None,
                    notice: Notice {
                        share_name: format!("s{share}"),
                        activity: Activity::FirstVisit {
                            recipient: RITA.into(),
                        },
                        at: crate::testing::fixtures::T0 + Duration::minutes(minutes),
                    },
                },
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every entry lands in exactly one digest, the one of its recipient; there is one
    /// digest per recipient; each digest reads oldest first.
    #[test]
    fn digests_group_each_entry_once_by_recipient(all in entries()) {
        let groups = group_by_recipient(all.clone());
        let mut seen: Vec<DigestEntryId> = Vec::new();
        for (i, (to, group)) in groups.iter().enumerate() {
            prop_assert!(!group.is_empty());
            prop_assert!(group.iter().all(|e| &e.entry.to == to));
            prop_assert!(groups[..i].iter().all(|(other, _)| other != to));
            prop_assert!(group.windows(2).all(|p| p[0].entry.notice.at <= p[1].entry.notice.at));
            seen.extend(group.iter().map(|e| e.id));
        }
        seen.sort();
        prop_assert_eq!(seen, all.iter().map(|e| e.id).collect::<Vec<_>>());
    }

    /// Through the service: however the events of two shares interleave, one run mails
    /// each recipient once with every one of its events, and leaves nothing behind.
    #[test]
    fn one_digest_per_recipient_holds_all_its_events(
        events in proptest::collection::vec((any::<bool>(), 0..4u8), 1..12)
    ) {
        let w = world(&[ADMIN]);
        let digest = OwnerNotifications { digest: true, ..everything(true) };
        let shares: Vec<Share> = ["One", "Two"].iter().map(|n| {
            block_on(w.app.create_share(&user("ana"), request(&["docs/reports"], |s| {
                s.name = (*n).into();
                s.notifications = digest;
            }))).unwrap().share
        }).collect();
        for (second, kind) in &events {
            let share = &shares[usize::from(*second)];
            let activity = match kind {
                0 => Activity::FirstVisit { recipient: RITA.into() },
                1 => Activity::Registered { name: Some("R".into()), email: None },
                2 => Activity::Uploaded { visitor: None, path: "a".into(), bytes: 1, ip: None },
                _ => Activity::Downloaded { visitor: None, paths: vec![], ip: None },
            };
            prop_assert_eq!(block_on(w.app.notify_owner(share, activity)).unwrap(), 2);
            w.mem.clock.advance(Duration::seconds(7));
        }
        prop_assert_eq!(block_on(w.app.send_digests()).unwrap(), 2);
        for to in ["ana@corp.example", ADMIN] {
            let mails = w.mem.mailer.sent_to(&email(to));
            prop_assert_eq!(mails.len(), 1);
            let MailMessage::OwnerDigest { notices } = &mails[0].0.message else {
                panic!("{:?}", mails[0].0.message)
            };
            prop_assert_eq!(notices.len(), events.len());
            let named: Vec<bool> = notices.iter().map(|n| n.share_name == "Two").collect();
            prop_assert_eq!(named, events.iter().map(|e| e.0).collect::<Vec<_>>());
        }
        prop_assert!(w.mem.digests.is_empty());
        // Stored entries read back as added (the store is the in-memory one here).
        prop_assert!(block_on(w.mem.digests.digest_entries(None, 10)).unwrap().is_empty());
    }
}

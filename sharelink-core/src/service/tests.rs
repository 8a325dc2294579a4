//! Scenario tests of the use cases over the in-memory adapters (the seed scenarios).

use super::*;
use crate::memory::*;
use crate::model::form::Answer;
use crate::ports::{FileStore, MailMessage};
use crate::testing::fixtures::{self, T0, client, path, put_file, share_request as request, user};
use crate::*;
use futures::StreamExt;
use futures::executor::block_on;
use std::sync::Arc;
use time::Duration;

struct World {
    app: Sharelink,
    files: Arc<MemoryFileStore>,
    mailer: Arc<MemoryMailer>,
    dir: Arc<MemoryDirectory>,
    clock: Arc<ManualClock>,
    events: Arc<MemoryEvents>,
}

fn world_with(site: SiteSettings) -> World {
    let base = fixtures::World::with_site(site);
    World {
        app: base.app,
        files: base.mem.files,
        mailer: base.mem.mailer,
        dir: base.mem.directory,
        clock: base.mem.clock,
        events: base.mem.events,
    }
}

fn world() -> World {
    world_with(SiteSettings::default())
}

impl World {
    fn create(&self, owner: &str, req: CreateShare) -> Created {
        block_on(self.app.create_share(&user(owner), req)).unwrap()
    }

    fn open(&self, share: &Share, c: &Client) -> Result<Visit> {
        self.open_as(share, c, RequestMode::Confirmed)
    }

    fn open_as(&self, share: &Share, c: &Client, mode: RequestMode) -> Result<Visit> {
        block_on(self.app.open(OpenRequest {
            key: share.key.as_str(),
            client: c,
            recipient_code: None,
            access_code: None,
            mode,
        }))
    }

    fn uses(&self, share: &Share) -> u32 {
        block_on(self.app.get_share(&user("ana"), share.id))
            .unwrap()
            .uses
    }

    fn session(&self, share: &Share, c: &Client) -> SessionId {
        self.open(share, c).unwrap().session.unwrap().id
    }

    fn fetch(
        &self,
        share: &Share,
        s: &SessionId,
        c: &Client,
        p: &str,
        mode: RequestMode,
    ) -> Result<Vec<u8>> {
        let d = block_on(self.app.download(
            &VisitRequest::new(share.key.as_str(), s, c, mode),
            &path(p),
            None,
            Action::Download,
        ))?;
        let bytes: Vec<u8> = block_on(d.read.stream.collect::<Vec<_>>())
            .into_iter()
            .flat_map(|c| c.unwrap().to_vec())
            .collect();
        block_on(self.app.finish(
            d.ticket,
            Outcome::Completed {
                bytes: bytes.len() as u64,
            },
        ));
        Ok(bytes)
    }
}

fn denied(r: Result<impl std::fmt::Debug>) -> Denial {
    match r {
        Err(ServiceError::Denied(d)) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn plain_share_lists_and_downloads_and_logs() {
    let w = world();
    let created = w.create("ana", request(&["docs/reports", "docs/plan.pdf"], |_| {}));
    assert!(created.link.starts_with("https://x.test/s/"));
    let share = created.share;
    let c = client("b1");
    let visit = w.open(&share, &c).unwrap();
    let view = visit.view.unwrap();
    assert_eq!(view.items.len(), 2);
    let s = visit.session.unwrap().id;
    let top = block_on(w.app.list(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &SharePath::root(),
    ))
    .unwrap();
    assert_eq!(
        top.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        vec!["reports", "plan.pdf"]
    );
    let inner = block_on(w.app.list(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("reports"),
    ))
    .unwrap();
    assert_eq!(
        inner.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        vec!["reports/a.txt", "reports/page.html", "reports/sub"]
    );
    assert_eq!(
        w.fetch(&share, &s, &c, "reports/a.txt", RequestMode::Confirmed)
            .unwrap(),
        b"alpha"
    );
    assert_eq!(
        denied(
            w.fetch(&share, &s, &c, "elsewhere/plan.pdf", RequestMode::Confirmed)
                .map(|_| ())
        ),
        Denial::OutsideShare
    );
    let stats = block_on(w.app.statistics(&user("ana"), share.id)).unwrap();
    assert_eq!(
        (stats.visits, stats.downloads, stats.bytes_downloaded),
        (1, 1, 5)
    );
    let events: Vec<&'static str> = w
        .events
        .events()
        .iter()
        .map(|e| match e {
            crate::ports::ShareEvent::Created { .. } => "created",
            crate::ports::ShareEvent::Opened { .. } => "opened",
            crate::ports::ShareEvent::Downloaded { .. } => "downloaded",
            _ => "other",
        })
        .collect();
    assert_eq!(events, vec!["created", "opened", "downloaded"]);
}

#[test]
fn dynamic_share_sees_a_file_added_after_creation() {
    let w = world();
    let share = w.create("ana", request(&["docs/reports"], |_| {})).share;
    block_on(put_file(w.files.as_ref(), "docs/reports/new.txt", b"fresh"));
    let c = client("b1");
    let s = w.session(&share, &c);
    assert_eq!(
        w.fetch(&share, &s, &c, "reports/new.txt", RequestMode::Confirmed)
            .unwrap(),
        b"fresh"
    );
}

#[test]
fn preview_only_refuses_download_and_upload_only_cannot_list() {
    let w = world();
    let preview = w
        .create(
            "ana",
            request(&["docs/reports"], |s| {
                s.allowed = AllowedActions::PreviewOnly
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&preview, &c);
    assert_eq!(
        denied(w.fetch(&preview, &s, &c, "reports/a.txt", RequestMode::Confirmed)),
        Denial::ActionNotAllowed {
            action: Action::Download
        }
    );
    let p = block_on(w.app.download(
        &VisitRequest::new(preview.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("reports/a.txt"),
        None,
        Action::Preview,
    ));
    assert!(p.is_ok());

    let drop = w
        .create(
            "ana",
            request(&["docs/drop"], |s| {
                s.allowed = AllowedActions::Upload;
                s.registration = Some(RegistrationForm::Default);
                s.upload_rules.subfolder = UploaderFolder::ByIdentity;
            }),
        )
        .share;
    let v = w.open(&drop, &c).unwrap();
    assert_eq!(v.gate.pending, Some(Denial::RegistrationRequired));
    assert_eq!(v.gate.form.as_ref().unwrap().fields.len(), 3);
    let s = v.session.unwrap().id;
    let answers = [
        Answer {
            label: "Name".into(),
            value: "Rita".into(),
        },
        Answer {
            label: "Email".into(),
            value: "rita@ext.example".into(),
        },
    ];
    let inside = block_on(w.app.register(
        &VisitRequest::new(drop.key.as_str(), &s, &c, RequestMode::Confirmed),
        &answers,
    ))
    .unwrap();
    assert!(inside.view.is_some());
    assert_eq!(
        denied(block_on(w.app.list(
            &VisitRequest::new(drop.key.as_str(), &s, &c, RequestMode::Confirmed),
            &SharePath::root()
        ))),
        Denial::ActionNotAllowed {
            action: Action::List
        }
    );
    let up = |name: &str| {
        block_on(w.app.upload(
            &VisitRequest::new(drop.key.as_str(), &s, &c, RequestMode::Confirmed),
            &path("drop"),
            name,
            Some(3),
            fixtures::chunks(b"abc", 7),
        ))
    };
    assert_eq!(
        up("in.txt").unwrap().path.as_str(),
        "drop/Rita (rita@ext.example)/in.txt"
    );
    assert_eq!(
        up("in.txt").unwrap().path.as_str(),
        "drop/Rita (rita@ext.example)/in (1).txt"
    );
    assert_eq!(
        denied(up("evil.apk")),
        Denial::FileTypeRefused {
            extension: "apk".into()
        }
    );
    assert!(
        block_on(
            w.files
                .stat(&path("docs/drop/Rita (rita@ext.example)/in (1).txt"))
        )
        .is_ok()
    );
}

#[test]
fn one_time_link_counts_one_confirmed_download() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit::ONE_TIME)
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    // a link-preview bot (unconfirmed) cannot spend it; HEAD does not count
    assert_eq!(
        denied(w.fetch(&share, &s, &c, "plan.pdf", RequestMode::Unconfirmed)),
        Denial::ConfirmationRequired
    );
    assert!(
        w.fetch(&share, &s, &c, "plan.pdf", RequestMode::Head)
            .is_ok()
    );
    // a failed transfer is refunded
    let d = block_on(w.app.download(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("plan.pdf"),
        None,
        Action::Download,
    ))
    .unwrap();
    block_on(w.app.finish(d.ticket, Outcome::Failed));
    // range requests of the same download count once
    let r1 = block_on(w.app.download(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("plan.pdf"),
        Some(crate::ports::ByteRange { start: 0, end: 2 }),
        Action::Download,
    ))
    .unwrap();
    let r2 = block_on(w.app.download(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("plan.pdf"),
        Some(crate::ports::ByteRange { start: 2, end: 4 }),
        Action::Download,
    ))
    .unwrap();
    block_on(w.app.finish(r1.ticket, Outcome::Completed { bytes: 2 }));
    block_on(w.app.finish(r2.ticket, Outcome::Completed { bytes: 2 }));
    // used: a second visitor is refused
    let c2 = client("b2");
    assert_eq!(denied(w.open(&share, &c2)), Denial::UsesExhausted);
    assert_eq!(
        block_on(w.app.get_share(&user("ana"), share.id))
            .unwrap()
            .state(T0),
        ShareState::Exhausted
    );
}

impl World {
    /// Opens `plan.pdf` (whole, or the range `start..end`) in a request of session `s`.
    fn open_plan(
        &self,
        share: &Share,
        (s, c): (&SessionId, &Client),
        mode: RequestMode,
        range: Option<(u64, u64)>,
    ) -> Result<Download> {
        block_on(self.app.download(
            &VisitRequest::new(share.key.as_str(), s, c, mode),
            &path("plan.pdf"),
            range.map(|(start, end)| crate::ports::ByteRange { start, end }),
            Action::Download,
        ))
    }

    /// The share's download events, oldest first.
    fn downloads(&self, share: &Share) -> Vec<crate::ports::NewLogEvent> {
        let mut out: Vec<_> = block_on(self.app.ports().log.query(&crate::ports::LogQuery {
            shares: Some(vec![share.id]),
            kinds: Some(vec![crate::ports::LogKind::Download]),
            limit: 100,
            ..Default::default()
        }))
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
        out.reverse();
        out
    }
}

#[test]
fn aborted_download_keeps_its_use_and_resumes_by_range_in_the_session() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit::ONE_TIME);
                s.notify_on_download = true;
            }),
        )
        .share;
    let size = block_on(w.files.stat(&path("docs/plan.pdf"))).unwrap().size;
    assert!(size > 3);
    let c = client("b1");
    let s = w.session(&share, &c);
    // The client leaves after 3 bytes: the use is spent, the log says so, the owner
    // hears nothing and no download event is published.
    let d = w
        .open_plan(&share, (&s, &c), RequestMode::Confirmed, None)
        .unwrap();
    block_on(w.app.finish(d.ticket, Outcome::Aborted { bytes: 3 }));
    assert_eq!(w.uses(&share), 1);
    let log = w.downloads(&share);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].bytes, Some(3));
    assert_eq!(log[0].detail.as_deref(), Some(Outcome::ABORTED_DETAIL));
    assert!(w.mailer.sent().is_empty());
    assert!(
        !w.events
            .events()
            .iter()
            .any(|e| matches!(e, crate::ports::ShareEvent::Downloaded { .. }))
    );
    // A whole file again is a new download: refused, the one use is spent.
    assert_eq!(
        denied(w.open_plan(&share, (&s, &c), RequestMode::Confirmed, None)),
        Denial::UsesExhausted
    );
    // The same session resumes with a range of the same version, spending nothing (so
    // a browser's plain GET needs no confirmation).
    let rest = w
        .open_plan(
            &share,
            (&s, &c),
            RequestMode::Unconfirmed,
            Some((3, u64::MAX)),
        )
        .unwrap();
    assert_eq!(rest.read.range.len(), size - 3);
    block_on(
        w.app
            .finish(rest.ticket, Outcome::Completed { bytes: size - 3 }),
    );
    assert_eq!(w.uses(&share), 1);
    assert_eq!(w.downloads(&share)[1].detail, None);
    // Another browser cannot ride on it.
    assert_eq!(denied(w.open(&share, &client("b2"))), Denial::UsesExhausted);
}

#[test]
fn every_aborted_whole_download_spends_a_use_and_only_failures_refund() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 3,
                    unit: UseUnit::Download,
                })
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    // Nothing spent yet: an unconfirmed range is a new download and needs confirming.
    assert_eq!(
        denied(w.open_plan(&share, (&s, &c), RequestMode::Unconfirmed, Some((1, 2)))),
        Denial::ConfirmationRequired
    );
    let d = w
        .open_plan(&share, (&s, &c), RequestMode::Confirmed, None)
        .unwrap();
    block_on(w.app.finish(d.ticket, Outcome::Aborted { bytes: 1 }));
    assert_eq!(w.uses(&share), 1);
    // The same session's second whole download is a new use; failing, it is refunded,
    // and the first use (the one a resume rides on) stays.
    let d = w
        .open_plan(&share, (&s, &c), RequestMode::Confirmed, None)
        .unwrap();
    assert_eq!(w.uses(&share), 2);
    block_on(w.app.finish(d.ticket, Outcome::Failed));
    assert_eq!(w.uses(&share), 1);
    let r = w
        .open_plan(&share, (&s, &c), RequestMode::Confirmed, Some((1, 2)))
        .unwrap();
    block_on(w.app.finish(r.ticket, Outcome::Aborted { bytes: 0 }));
    assert_eq!(w.uses(&share), 1);
    for n in 2..=3 {
        let d = w
            .open_plan(&share, (&s, &c), RequestMode::Confirmed, None)
            .unwrap();
        block_on(w.app.finish(d.ticket, Outcome::Aborted { bytes: 2 }));
        assert_eq!(w.uses(&share), n);
    }
    assert_eq!(
        denied(w.open_plan(&share, (&s, &c), RequestMode::Confirmed, None)),
        Denial::UsesExhausted
    );
    // The session still resumes this version; a new version is a new download, even
    // for a range of it.
    let r = w
        .open_plan(&share, (&s, &c), RequestMode::Confirmed, Some((2, 3)))
        .unwrap();
    block_on(w.app.finish(r.ticket, Outcome::Completed { bytes: 1 }));
    block_on(put_file(
        &*w.files,
        "docs/plan.pdf",
        b"a new version of the plan",
    ));
    assert_eq!(
        denied(w.open_plan(&share, (&s, &c), RequestMode::Confirmed, Some((2, 3)))),
        Denial::UsesExhausted
    );
}

#[test]
fn visit_limit_counts_sessions_once() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 2,
                    unit: UseUnit::Visit,
                })
            }),
        )
        .share;
    let bot = block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &client("bot"),
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Unconfirmed,
    }))
    .unwrap();
    assert!(bot.session.is_none());
    assert_eq!(bot.gate.pending, Some(Denial::ConfirmationRequired));
    let c1 = client("b1");
    let s1 = w.session(&share, &c1);
    for _ in 0..3 {
        w.fetch(&share, &s1, &c1, "plan.pdf", RequestMode::Confirmed)
            .unwrap();
    }
    w.session(&share, &client("b2"));
    assert_eq!(denied(w.open(&share, &client("b3"))), Denial::UsesExhausted);
    // sessions already open keep working
    assert!(
        w.fetch(&share, &s1, &c1, "plan.pdf", RequestMode::Confirmed)
            .is_ok()
    );
}

#[test]
fn password_gate_with_attempt_limits_and_autofill() {
    let w = world();
    let mut req = request(&["docs/reports"], |s| s.password_autofill = true);
    req.password = Some("correct horse".into());
    let share = w.create("ana", req).share;
    let c = client("b1");
    let v = w.open(&share, &c).unwrap();
    assert_eq!(v.gate.pending, Some(Denial::PasswordRequired));
    assert!(v.view.is_none());
    let s = v.session.unwrap().id;
    assert_eq!(
        denied(block_on(w.app.list(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &SharePath::root()
        ))),
        Denial::PasswordRequired
    );
    for _ in 0..5 {
        assert_eq!(
            denied(block_on(w.app.submit_password(
                &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
                "wrong"
            ))),
            Denial::PasswordRequired
        );
    }
    assert_eq!(
        denied(block_on(w.app.submit_password(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            "correct horse"
        ))),
        Denial::TooManyAttempts
    );
    // another client (another address) is not locked out by the first one
    let mut other = client("b2");
    other.ip = Some("198.51.100.9".parse().unwrap());
    let s2 = w.open(&share, &other).unwrap().session.unwrap().id;
    assert!(
        block_on(w.app.submit_password(
            &VisitRequest::new(share.key.as_str(), &s2, &other, RequestMode::Confirmed),
            "correct horse"
        ))
        .unwrap()
        .view
        .is_some()
    );
    // after the window the first client may try again
    w.clock.advance(Duration::minutes(16));
    assert!(
        block_on(w.app.submit_password(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            "correct horse"
        ))
        .unwrap()
        .view
        .is_some()
    );
    // auto-fill: the code in the link skips the prompt
    let mut third = client("b3");
    third.ip = Some("203.0.113.5".parse().unwrap());
    let v = block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &third,
        recipient_code: None,
        access_code: Some("correct horse"),
        mode: RequestMode::Confirmed,
    }))
    .unwrap();
    assert!(v.view.is_some());
}

#[test]
fn required_password_is_generated_and_returned_once() {
    let w = world_with(SiteSettings {
        require_password: true,
        password_min_len: 10,
        ..SiteSettings::default()
    });
    let created = w.create("ana", request(&["docs/plan.pdf"], |_| {}));
    let pw = created.generated_password.clone().unwrap();
    assert!(pw.expose().len() >= 14);
    assert!(
        created
            .share
            .adjustments
            .contains(&Adjustment::PasswordRequired)
    );
    assert!(created.share.password_hash.is_some());
    let c = client("b1");
    let s = w.session(&created.share, &c);
    assert!(
        block_on(w.app.submit_password(
            &VisitRequest::new(created.share.key.as_str(), &s, &c, RequestMode::Confirmed),
            pw.expose()
        ))
        .unwrap()
        .view
        .is_some()
    );
    let mut short = request(&["docs/plan.pdf"], |_| {});
    short.password = Some("short".into());
    assert!(matches!(
        block_on(w.app.create_share(&user("ana"), short)),
        Err(ServiceError::Password(PasswordError::TooShort { min: 10 }))
    ));
}

#[test]
fn emailed_only_link_binds_one_browser_and_resends() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| s.access = AccessControl::EmailedOnly),
        )
        .share;
    let rita = Email::parse("rita@ext.example").unwrap();
    let outcomes = block_on(w.app.share_by_email(
        &user("ana"),
        share.id,
        vec![NewRecipientInput {
            email: rita.clone(),
            company: Some("Ext".into()),
            note: None,
        }],
        Some("Here you go".into()),
    ))
    .unwrap();
    assert!(outcomes[0].result.is_ok());
    let code_of = |mail: &crate::ports::Mail| match &mail.message {
        MailMessage::Invitation { link, .. } | MailMessage::LinkResent { link, .. } => {
            link.0.rsplit_once("?r=").unwrap().1.to_owned()
        }
        other => panic!("{other:?}"),
    };
    let code = code_of(&w.mailer.sent_to(&rita)[0].0);
    // without the code: refused
    assert_eq!(
        w.open(&share, &client("a")).unwrap().gate.pending,
        Some(Denial::InvitationRequired)
    );
    let open_as = |b: &str, code: &str, mode: RequestMode| {
        block_on(w.app.open(OpenRequest {
            key: share.key.as_str(),
            client: &client(b),
            recipient_code: Some(code),
            access_code: None,
            mode,
        }))
    };
    let open = |b: &str, code: &str| open_as(b, code, RequestMode::Confirmed);
    // A mail scanner fetching the link as mailed (and a HEAD) takes nothing: the
    // recipient is asked to confirm, nothing is bound, nothing is re-sent.
    for mode in [RequestMode::Unconfirmed, RequestMode::Head] {
        let scan = open_as("scanner", &code, mode).unwrap();
        assert_eq!(scan.gate.pending, Some(Denial::ConfirmationRequired));
        assert!(scan.session.is_none());
    }
    assert_eq!(w.mailer.sent_to(&rita).len(), 1);
    let inside = open("a", &code).unwrap();
    assert!(inside.view.is_some());
    // What the recipient does is logged under their address.
    let s = inside.session.unwrap().id;
    w.fetch(
        &share,
        &s,
        &client("a"),
        "reports/a.txt",
        RequestMode::Confirmed,
    )
    .unwrap();
    assert_eq!(w.downloads(&share)[0].email.as_ref(), Some(&rita));
    // Once bound, a scanner's fetch gets the button, and no fresh link is mailed.
    assert_eq!(
        open_as("scanner", &code, RequestMode::Unconfirmed)
            .unwrap()
            .gate
            .pending,
        Some(Denial::ConfirmationRequired)
    );
    assert_eq!(w.mailer.sent_to(&rita).len(), 1);
    assert!(
        open("a", &code).unwrap().view.is_some(),
        "same browser again"
    );
    assert_eq!(denied(open("b", &code)), Denial::InvitationAlreadyUsed);
    let sent = w.mailer.sent_to(&rita);
    assert_eq!(sent.len(), 2);
    let fresh = code_of(&sent[1].0);
    assert_ne!(fresh, code);
    assert!(open("b", &fresh).unwrap().view.is_some());
}

#[test]
fn one_active_share_per_recipient_and_item() {
    let w = world_with(SiteSettings {
        one_active_share_per_recipient_item: true,
        ..SiteSettings::default()
    });
    let a = w.create("ana", request(&["docs/reports"], |_| {})).share;
    let b = w.create("ana", request(&["docs/reports"], |_| {})).share;
    let rita = || {
        vec![NewRecipientInput {
            email: Email::parse("rita@ext.example").unwrap(),
            company: None,
            note: None,
        }]
    };
    assert!(
        block_on(w.app.share_by_email(&user("ana"), a.id, rita(), None)).unwrap()[0]
            .result
            .is_ok()
    );
    assert!(matches!(
        block_on(w.app.share_by_email(&user("ana"), b.id, rita(), None)).unwrap()[0].result,
        Err(ServiceError::RecipientHasShare { .. })
    ));
    block_on(w.app.expire(&user("ana"), a.id)).unwrap();
    assert!(
        block_on(w.app.share_by_email(&user("ana"), b.id, rita(), None)).unwrap()[0]
            .result
            .is_ok()
    );
}

#[test]
fn verified_email_with_one_time_code() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| {
                s.access = AccessControl::VerifiedEmails(vec![
                    EmailPattern::parse("*@ext.example").unwrap(),
                ]);
            }),
        )
        .share;
    // A visitor reading the pages in French.
    let mut c = client("b1");
    c.locale = Some("fr".into());
    let v = w.open(&share, &c).unwrap();
    assert_eq!(v.gate.pending, Some(Denial::EmailVerificationRequired));
    let s = v.session.unwrap().id;
    let eve = Email::parse("eve@evil.example").unwrap();
    assert_eq!(
        denied(block_on(w.app.request_code(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &eve
        ))),
        Denial::EmailNotAllowed
    );
    let rita = Email::parse("rita@ext.example").unwrap();
    block_on(w.app.request_code(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &rita,
    ))
    .unwrap();
    let sent = &w.mailer.sent_to(&rita)[0].0;
    assert_eq!(
        sent.locale.as_deref(),
        Some("fr"),
        "in the visitor's language"
    );
    let code = match &sent.message {
        MailMessage::OneTimeCode { code, .. } => code.0.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(code.len(), 6);
    assert_eq!(
        denied(block_on(w.app.verify_code(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            "000000x"
        ))),
        Denial::EmailVerificationRequired
    );
    let v = block_on(w.app.verify_code(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &code,
    ))
    .unwrap();
    assert!(v.view.is_some());
    // the gate is passed: the code cannot be used again
    assert!(matches!(
        block_on(w.app.verify_code(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &code
        )),
        Err(ServiceError::GateAlreadyPassed)
    ));
}

#[test]
fn gates_in_order_registration_custom_form_and_clickwrap() {
    let w = world();
    let form = RegistrationForm::custom(vec![FormField {
        label: "Project".into(),
        description: None,
        required: true,
        kind: FieldKind::Dropdown {
            options: vec!["A".into(), "B".into()],
        },
    }])
    .unwrap();
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| {
                s.registration = Some(form);
                s.clickwrap = Some(Clickwrap {
                    title: "NDA".into(),
                    terms: "Keep it secret.".into(),
                });
            }),
        )
        .share;
    let c = client("b1");
    let v = w.open(&share, &c).unwrap();
    let s = v.session.unwrap().id;
    // clickwrap cannot be accepted before registering
    assert_eq!(
        denied(block_on(w.app.accept_terms(&VisitRequest::new(
            share.key.as_str(),
            &s,
            &c,
            RequestMode::Confirmed
        )))),
        Denial::RegistrationRequired
    );
    let bad = [Answer {
        label: "Project".into(),
        value: "Z".into(),
    }];
    assert!(matches!(
        block_on(w.app.register(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &bad
        )),
        Err(ServiceError::Form(FormError::NotAnOption(_)))
    ));
    let good = [Answer {
        label: "Project".into(),
        value: "B".into(),
    }];
    let v = block_on(w.app.register(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &good,
    ))
    .unwrap();
    assert_eq!(v.gate.pending, Some(Denial::ClickwrapRequired));
    assert_eq!(v.gate.clickwrap.unwrap().title, "NDA");
    assert!(
        block_on(w.app.accept_terms(&VisitRequest::new(
            share.key.as_str(),
            &s,
            &c,
            RequestMode::Confirmed
        )))
        .unwrap()
        .view
        .is_some()
    );
    assert_eq!(
        block_on(w.app.registrations(&user("ana"), share.id))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn revoke_answers_exactly_like_an_unknown_key() {
    let w = world();
    let share = w.create("ana", request(&["docs/reports"], |_| {})).share;
    let c = client("b1");
    let s = w.session(&share, &c);
    block_on(w.app.revoke(&user("ana"), share.id)).unwrap();
    let unknown = block_on(w.app.open(OpenRequest {
        key: "zzzzzzzzzzzzzzzzzzzzzzzzz",
        client: &c,
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }));
    let revoked = w.open(&share, &c);
    assert_eq!(
        format!("{:?}", unknown.map(|_| ())),
        format!("{:?}", revoked.map(|_| ()))
    );
    assert_eq!(
        denied(block_on(w.app.list(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &SharePath::root()
        ))),
        Denial::NotFound
    );
    assert!(matches!(
        block_on(w.app.get_share(&user("ana"), share.id)),
        Err(ServiceError::ShareNotFound)
    ));
    assert!(
        block_on(w.app.ports().log.query(&crate::ports::LogQuery {
            shares: Some(vec![share.id]),
            limit: 10,
            ..Default::default()
        }))
        .unwrap()
        .is_empty()
    );
}

#[test]
fn expire_keeps_the_log_and_reactivation_restores_access() {
    let w = world();
    let share = w.create("ana", request(&["docs/plan.pdf"], |_| {})).share;
    let c = client("b1");
    w.session(&share, &c);
    block_on(w.app.expire(&user("ana"), share.id)).unwrap();
    assert_eq!(denied(w.open(&share, &c)), Denial::Expired);
    assert!(
        !block_on(w.app.access_log(
            &user("ana"),
            share.id,
            crate::ports::LogQuery {
                limit: 10,
                ..Default::default()
            }
        ))
        .unwrap()
        .is_empty()
    );
    assert!(matches!(
        block_on(
            w.app
                .reactivate(&user("ana"), share.id, Some(T0 - Duration::hours(1)))
        ),
        Err(ServiceError::ExpiryInPast)
    ));
    block_on(
        w.app
            .reactivate(&user("ana"), share.id, Some(T0 + Duration::days(3))),
    )
    .unwrap();
    assert!(w.open(&share, &c).is_ok());
    w.clock.advance(Duration::days(4));
    assert_eq!(denied(w.open(&share, &c)), Denial::Expired);
}

#[test]
fn creator_rights_bound_the_share_at_creation_and_at_every_access() {
    let w = world();
    // bob may only read: a full share is reduced to download, and recorded
    let created = w.create(
        "bob",
        request(&["docs/reports"], |s| s.allowed = AllowedActions::Full),
    );
    assert_eq!(created.share.settings.allowed, AllowedActions::Download);
    assert_eq!(created.share.requested.allowed, AllowedActions::Full);
    assert!(
        created
            .share
            .adjustments
            .iter()
            .any(|a| matches!(a, Adjustment::LevelReduced { .. }))
    );
    // no share right: refused
    w.dir.grant(
        &user("bob"),
        path("docs/reports"),
        Rights::of(&[Capability::List, Capability::Download]),
    );
    assert!(matches!(
        block_on(
            w.app
                .create_share(&user("bob"), request(&["docs/reports"], |_| {}))
        ),
        Err(ServiceError::Settings(SettingsError::NoShareRight(_)))
    ));
    // ana's share loses its power when ana loses the download right or is disabled
    let share = w.create("ana", request(&["docs/reports"], |_| {})).share;
    let c = client("b1");
    let s = w.session(&share, &c);
    w.dir.grant(
        &user("ana"),
        path("docs/reports"),
        Rights::of(&[Capability::List, Capability::Share]),
    );
    assert_eq!(
        denied(w.fetch(&share, &s, &c, "reports/a.txt", RequestMode::Confirmed)),
        Denial::CreatorLacksRights
    );
    w.dir.grant(&user("ana"), path("docs/reports"), Rights::ALL);
    assert!(
        w.fetch(&share, &s, &c, "reports/a.txt", RequestMode::Confirmed)
            .is_ok()
    );
    w.dir.set_disabled(&user("ana"), true);
    assert_eq!(
        denied(w.fetch(&share, &s, &c, "reports/a.txt", RequestMode::Confirmed)),
        Denial::CreatorLacksRights
    );
}

#[test]
fn admins_see_all_users_see_their_own_and_revoke_all() {
    let w = world();
    w.create(
        "ana",
        request(&["docs/reports"], |s| s.name = "ana one".into()),
    );
    w.create(
        "ana",
        request(&["docs/plan.pdf"], |s| s.name = "ana two".into()),
    );
    let bobs = w
        .create(
            "bob",
            request(&["docs/plan.pdf"], |s| s.name = "bob one".into()),
        )
        .share;
    let names = |actor: &str, f: ListShares| -> Vec<String> {
        block_on(w.app.list_shares(&user(actor), f))
            .unwrap()
            .shares
            .into_iter()
            .map(|s| s.settings.name)
            .collect()
    };
    assert_eq!(
        names("ana", ListShares::default()),
        vec!["ana two", "ana one"]
    );
    assert_eq!(
        names(
            "bob",
            ListShares {
                owner: Some(user("ana")),
                ..Default::default()
            }
        ),
        vec!["bob one"]
    );
    assert_eq!(names("root", ListShares::default()).len(), 3);
    assert_eq!(
        names(
            "root",
            ListShares {
                name_contains: Some("ONE".into()),
                ..Default::default()
            }
        ),
        vec!["bob one", "ana one"]
    );
    assert!(matches!(
        block_on(w.app.get_share(&user("ana"), bobs.id)),
        Err(ServiceError::ShareNotFound)
    ));
    assert_eq!(block_on(w.app.revoke_all(&user("ana"))).unwrap(), 2);
    assert_eq!(names("root", ListShares::default()), vec!["bob one"]);
}

#[test]
fn snapshot_keeps_serving_the_copy_and_revoke_deletes_it() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| s.mode = ShareMode::Snapshot),
        )
        .share;
    assert!(share.items[0].origin.is_some());
    block_on(put_file(w.files.as_ref(), "docs/reports/a.txt", b"CHANGED"));
    let c = client("b1");
    let s = w.session(&share, &c);
    assert_eq!(
        w.fetch(&share, &s, &c, "reports/a.txt", RequestMode::Confirmed)
            .unwrap(),
        b"alpha"
    );
    let copy = share.items[0].path.clone();
    block_on(w.app.revoke(&user("ana"), share.id)).unwrap();
    assert!(block_on(w.files.stat(&copy)).is_err());
}

#[test]
fn download_notification_and_expiry_reminder_emails() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.notify_on_download = true;
                s.schedule.expires_at = Some(T0 + Duration::hours(12));
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    w.fetch(&share, &s, &c, "plan.pdf", RequestMode::Confirmed)
        .unwrap();
    let ana = Email::parse("ana@corp.example").unwrap();
    assert!(w.mailer.sent_to(&ana).iter().any(|(m, _)| matches!(&m.message, MailMessage::DownloadNotification { paths, .. } if paths == &vec!["plan.pdf".to_owned()])));
    assert_eq!(block_on(w.app.send_expiry_reminders()).unwrap(), 1);
    assert_eq!(
        block_on(w.app.send_expiry_reminders()).unwrap(),
        0,
        "once per expiry"
    );
}

#[test]
fn full_level_changes_files_but_not_the_shared_item_itself() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| s.allowed = AllowedActions::Full),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let k = share.key.as_str();
    let m = RequestMode::Confirmed;
    assert_eq!(
        block_on(
            w.app
                .create_folder(&VisitRequest::new(k, &s, &c, m), &path("reports"), "new")
        )
        .unwrap()
        .as_str(),
        "reports/new"
    );
    assert_eq!(
        block_on(w.app.rename(
            &VisitRequest::new(k, &s, &c, m),
            &path("reports/a.txt"),
            "z.txt"
        ))
        .unwrap()
        .as_str(),
        "reports/z.txt"
    );
    assert_eq!(
        block_on(w.app.move_or_copy(
            &VisitRequest::new(k, &s, &c, m),
            &path("reports/z.txt"),
            &path("reports/new"),
            false
        ))
        .unwrap()
        .as_str(),
        "reports/new/z.txt"
    );
    assert_eq!(
        block_on(w.app.move_or_copy(
            &VisitRequest::new(k, &s, &c, m),
            &path("reports/new/z.txt"),
            &path("reports"),
            true
        ))
        .unwrap()
        .as_str(),
        "reports/z.txt"
    );
    block_on(
        w.app
            .delete(&VisitRequest::new(k, &s, &c, m), &path("reports/sub")),
    )
    .unwrap();
    assert_eq!(
        denied(block_on(
            w.app
                .delete(&VisitRequest::new(k, &s, &c, m), &path("reports"))
        )),
        Denial::ActionNotAllowed {
            action: Action::Delete
        }
    );
    assert_eq!(
        denied(block_on(w.app.rename(
            &VisitRequest::new(k, &s, &c, m),
            &path("reports/z.txt"),
            "z.apk"
        ))),
        Denial::FileTypeRefused {
            extension: "apk".into()
        }
    );
    let names: Vec<String> = block_on(
        w.app
            .list(&VisitRequest::new(k, &s, &c, m), &path("reports")),
    )
    .unwrap()
    .into_iter()
    .map(|e| e.name)
    .collect();
    assert_eq!(names, vec!["new", "page.html", "z.txt"]);
}

#[test]
fn download_all_collects_files_and_skips_refused_types() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/reports", "docs/app.apk", "docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 1,
                    unit: UseUnit::Download,
                })
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let b = block_on(w.app.download_all(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &[],
    ))
    .unwrap();
    let mut names: Vec<&str> = b.files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "plan.pdf",
            "reports/a.txt",
            "reports/page.html",
            "reports/sub/b.pdf"
        ]
    );
    block_on(w.app.finish(b.ticket, Outcome::Completed { bytes: 19 }));
    assert_eq!(
        denied(
            block_on(w.app.download_all(
                &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
                &[]
            ))
            .map(|_| ())
        ),
        Denial::UsesExhausted
    );
}

#[test]
fn quota_and_custom_keys() {
    let w = world_with(SiteSettings {
        shares_per_user_per_day: Some(2),
        custom_keys: CustomKeyRules {
            allowed: true,
            min_len: 8,
        },
        ..SiteSettings::default()
    });
    let mut req = request(&["docs/plan.pdf"], |_| {});
    req.custom_key = Some("Q3Figures2026x".into());
    let s = w.create("ana", req.clone()).share;
    assert_eq!(s.key.as_str(), "Q3Figures2026x");
    req.custom_key = Some("q3figures2026X".into());
    assert!(matches!(
        block_on(w.app.create_share(&user("ana"), req.clone())),
        Err(ServiceError::KeyTaken)
    ));
    req.custom_key = Some("password1".into());
    assert!(matches!(
        block_on(w.app.create_share(&user("ana"), req)),
        Err(ServiceError::Key(KeyError::Guessable))
    ));
    w.create("ana", request(&["docs/plan.pdf"], |_| {}));
    assert!(matches!(
        block_on(
            w.app
                .create_share(&user("ana"), request(&["docs/plan.pdf"], |_| {}))
        ),
        Err(ServiceError::Settings(SettingsError::DailyQuota { max: 2 }))
    ));
    w.clock.advance(Duration::days(1));
    assert!(
        block_on(
            w.app
                .create_share(&user("ana"), request(&["docs/plan.pdf"], |_| {}))
        )
        .is_ok()
    );
    assert!(matches!(
        block_on(
            w.app
                .create_share(&user("ana"), request(&["docs/missing"], |_| {}))
        ),
        Err(ServiceError::NoSuchItem(_))
    ));
}

#[test]
fn the_snapshot_and_cache_areas_are_never_shared_not_even_through_a_parent() {
    let w = world();
    w.dir.grant(&user("ana"), SharePath::root(), Rights::ALL);
    block_on(put_file(
        w.files.as_ref(),
        ".sharelink/snapshots/x/secret.txt",
        b"s",
    ));
    block_on(put_file(
        w.files.as_ref(),
        ".sharelink/cache/thumbnails/ab/ab.png",
        b"t",
    ));
    for p in [
        ".sharelink",
        ".sharelink/snapshots",
        ".sharelink/snapshots/x/secret.txt",
        ".sharelink/cache",
        ".sharelink/cache/thumbnails/ab/ab.png",
    ] {
        let r = block_on(w.app.create_share(&user("ana"), request(&[p], |_| {})));
        assert!(matches!(r, Err(ServiceError::NoSuchItem(_))), "{p}");
    }
}

#[test]
fn a_counted_visit_is_not_confirmed_again() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 2,
                    unit: UseUnit::Visit,
                })
            }),
        )
        .share;
    let c = client("b1");
    // Opening (confirmed) counts the visit once.
    let s = w.session(&share, &c);
    assert_eq!(w.uses(&share), 1);
    // Download links are plain GETs (unconfirmed): the visit they belong to is already
    // counted, so they spend nothing and ask nothing, as often as the visitor likes.
    for _ in 0..3 {
        assert_eq!(
            w.fetch(&share, &s, &c, "plan.pdf", RequestMode::Unconfirmed)
                .unwrap(),
            b"plan"
        );
    }
    let resumed = block_on(w.app.resume(&VisitRequest::new(
        share.key.as_str(),
        &s,
        &c,
        RequestMode::Unconfirmed,
    )))
    .unwrap();
    assert!(resumed.view.is_some());
    assert_eq!(w.uses(&share), 1);
    // A new session's visit still needs a confirmation (it would spend a use).
    let other = client("b2");
    let bot = w.open_as(&share, &other, RequestMode::Unconfirmed).unwrap();
    assert_eq!(bot.gate.pending, Some(Denial::ConfirmationRequired));
    assert_eq!(w.uses(&share), 1);
}

#[test]
fn the_daily_quota_counts_creations_not_shares() {
    let w = world_with(SiteSettings {
        shares_per_user_per_day: Some(3),
        ..SiteSettings::default()
    });
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(w.create("ana", request(&["docs/plan.pdf"], |_| {})).share);
    }
    // Revoking gives nothing back.
    block_on(w.app.revoke(&user("ana"), made[0].id)).unwrap();
    let refused = block_on(
        w.app
            .create_share(&user("ana"), request(&["docs/plan.pdf"], |_| {})),
    );
    assert!(matches!(
        refused,
        Err(ServiceError::Settings(SettingsError::DailyQuota { max: 3 }))
    ));
    // A creation that fails (an item that does not exist) does not use up the quota.
    let w = world_with(SiteSettings {
        shares_per_user_per_day: Some(1),
        ..SiteSettings::default()
    });
    assert!(
        block_on(
            w.app
                .create_share(&user("ana"), request(&["docs/missing.pdf"], |_| {}))
        )
        .is_err()
    );
    w.create("ana", request(&["docs/plan.pdf"], |_| {}));
    // The next day starts over.
    w.clock.advance(Duration::days(1));
    w.create("ana", request(&["docs/plan.pdf"], |_| {}));
}

#[test]
fn requests_nobody_confirmed_leave_nothing_behind() {
    let w = world();
    let visits = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit {
                    max: 1,
                    unit: UseUnit::Visit,
                })
            }),
        )
        .share;
    // A HEAD of a visit-limited link spends nothing and stores nothing.
    let head = w
        .open_as(&visits, &client("bot"), RequestMode::Head)
        .unwrap();
    assert!(head.session.is_none());
    assert_eq!(w.uses(&visits), 0);
    // The person's own (confirmed) visit then works.
    let c = client("b1");
    let s = w.session(&visits, &c);
    assert_eq!(w.uses(&visits), 1);
    assert_eq!(
        w.fetch(&visits, &s, &c, "plan.pdf", RequestMode::Head)
            .unwrap(),
        b"plan"
    );
    assert_eq!(w.uses(&visits), 1);

    // A plain link: a cookie-less fetch sees the share but stores no session, logs no
    // visit and is no unique visitor.
    let plain = w.create("ana", request(&["docs/reports"], |_| {})).share;
    let glance = w
        .open_as(&plain, &client("scanner"), RequestMode::Unconfirmed)
        .unwrap();
    assert!(glance.session.is_none());
    assert!(glance.view.is_some());
    let stats = block_on(w.app.statistics(&user("ana"), plain.id)).unwrap();
    assert_eq!((stats.visits, stats.unique_visitors), (0, 0));

    // Device binding happens on the first confirmed request only.
    let w = world_with(SiteSettings {
        device_binding: true,
        ..SiteSettings::default()
    });
    let bound = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| s.device_binding = true),
        )
        .share;
    let scan = w
        .open_as(&bound, &client("scanner"), RequestMode::Unconfirmed)
        .unwrap();
    assert_eq!(scan.gate.pending, Some(Denial::ConfirmationRequired));
    assert!(
        w.open_as(&bound, &client("scanner"), RequestMode::Head)
            .is_ok()
    );
    // The recipient's device is the one that binds.
    let c = client("mine");
    let s = w.session(&bound, &c);
    assert_eq!(
        w.fetch(&bound, &s, &c, "plan.pdf", RequestMode::Confirmed)
            .unwrap(),
        b"plan"
    );
    assert_eq!(
        denied(w.open(&bound, &client("other"))),
        Denial::DeviceMismatch
    );
}

/// A client of its own: browser `browser` at address `ip`.
fn client_at(browser: &str, ip: &str) -> Client {
    let mut c = client(browser);
    c.ip = Some(ip.parse().unwrap());
    c
}

impl World {
    /// Opens `share` as `c` and submits `password`: the visit, or the denial.
    fn try_password(&self, share: &Share, c: &Client, password: &str) -> Result<Visit> {
        let s = self.session(share, c);
        block_on(self.app.submit_password(
            &VisitRequest::new(share.key.as_str(), &s, c, RequestMode::Confirmed),
            password,
        ))
    }

    /// The attack warnings sent to `owner`.
    fn warnings_to(&self, owner: &str) -> usize {
        self.mailer
            .sent_to(&fixtures::corp_email(owner))
            .iter()
            .filter(|(m, _)| matches!(m.message, MailMessage::UnderAttack { .. }))
            .count()
    }

    /// The attack events published.
    fn attack_events(&self) -> Vec<crate::ports::ShareEvent> {
        self.events
            .events()
            .into_iter()
            .filter(|e| matches!(e, crate::ports::ShareEvent::UnderAttack { .. }))
            .collect()
    }
}

fn small_attempt_limits() -> SiteSettings {
    SiteSettings {
        attempts: AttemptLimits {
            per_client: 3,
            per_network: 6,
            per_share: 10,
            ..AttemptLimits::default()
        },
        ..SiteSettings::default()
    }
}

#[test]
fn slow_down_grows_with_the_excess_up_to_its_bound() {
    let limits = small_attempt_limits().attempts;
    for (count, delay) in [
        (0, None),
        (10, None),
        (11, Some(1)),
        (20, Some(1)),
        (21, Some(2)),
        (51, Some(5)),
        (10_000, Some(5)),
    ] {
        assert_eq!(
            limits.slow_down(count),
            delay.map(Duration::seconds),
            "{count}"
        );
    }
    assert_eq!(limits.slow_levels(), 5);
    // Frozen in time, each level opens one slot; a minute opens 60/k + 1 more per level.
    assert_eq!(limits.most_slowed_evaluations(Duration::ZERO), 5);
    assert_eq!(
        limits.most_slowed_evaluations(Duration::minutes(1)),
        61 + 31 + 21 + 16 + 13
    );
}

#[test]
fn guessing_slows_a_share_down_but_never_locks_the_right_password_out() {
    let w = world_with(small_attempt_limits());
    let mut req = request(&["docs/reports"], |_| {});
    req.password = Some("correct horse".into());
    let share = w.create("ana", req).share;
    // A visitor who passed before the attack.
    let known = client_at("known", "203.0.113.7");
    assert!(w.try_password(&share, &known, "correct horse").is_ok());
    // 60 wrong guesses, each from its own network, all at one instant: the first 10 are
    // evaluated, then one per slow-down level (1 s for 11..=20, 2 s for 21..=30, …, 5 s
    // from 51 on): the bound `most_slowed_evaluations` gives for no time passing.
    let outcomes: Vec<Denial> = (0..60)
        .map(|n| {
            denied(w.try_password(
                &share,
                &client_at(&format!("g{n}"), &format!("198.{n}.0.1")),
                "wrong",
            ))
        })
        .collect();
    let evaluated = outcomes
        .iter()
        .filter(|d| **d == Denial::PasswordRequired)
        .count();
    let limits = small_attempt_limits().attempts;
    assert_eq!(
        evaluated as u64,
        u64::from(limits.per_share) + limits.most_slowed_evaluations(Duration::ZERO),
        "{outcomes:?}"
    );
    assert_eq!(evaluated, 10 + 5);
    assert!(
        outcomes[10..]
            .iter()
            .all(|d| *d == Denial::PasswordRequired || *d == Denial::TooManyAttempts)
    );
    // The owner heard once: one event, one mail.
    assert_eq!(w.warnings_to("ana"), 1);
    let events = w.attack_events();
    assert_eq!(events.len(), 1);
    assert!(matches!(
        &events[0],
        crate::ports::ShareEvent::UnderAttack { share: s, scope, attempts: 11, at }
            if *s == share.id && scope == "password" && *at == T0
    ));
    // The browser that passed before gets in at once.
    assert!(w.try_password(&share, &known, "correct horse").is_ok());
    // A fresh browser on a fresh address waits for the share's next slot, then gets in.
    let fresh = client_at("fresh", "192.0.2.200");
    assert_eq!(
        denied(w.try_password(&share, &fresh, "correct horse")),
        Denial::TooManyAttempts
    );
    w.clock.advance(share_slow_max());
    assert!(w.try_password(&share, &fresh, "correct horse").is_ok());
    // More guessing in the same window warns nobody again.
    for n in 0..20 {
        let _ = w.try_password(
            &share,
            &client_at(&format!("h{n}"), &format!("100.{n}.0.1")),
            "wrong",
        );
    }
    assert_eq!(w.warnings_to("ana"), 1);
    assert_eq!(w.attack_events().len(), 1);
    // The next window's attack is told again.
    w.clock.advance(Duration::minutes(15));
    for n in 0..11 {
        let _ = w.try_password(
            &share,
            &client_at(&format!("i{n}"), &format!("101.{n}.0.1")),
            "wrong",
        );
    }
    assert_eq!(w.warnings_to("ana"), 2);
    assert_eq!(w.attack_events().len(), 2);
}

fn share_slow_max() -> Duration {
    small_attempt_limits().attempts.slow_max
}

#[test]
fn one_network_cannot_spray_guesses_from_many_addresses() {
    let w = world_with(small_attempt_limits());
    let mut req = request(&["docs/reports"], |_| {});
    req.password = Some("correct horse".into());
    let share = w.create("ana", req).share;
    // Two addresses of one /24 spend its six attempts; a third address there is refused
    // unevaluated, even with the right password, while its own counter is untouched.
    for n in 0..6 {
        let c = client_at(&format!("n{n}"), &format!("198.51.100.{}", n % 2 + 1));
        assert_eq!(
            denied(w.try_password(&share, &c, "wrong")),
            Denial::PasswordRequired
        );
    }
    let neighbour = client_at("neighbour", "198.51.100.77");
    assert_eq!(
        denied(w.try_password(&share, &neighbour, "correct horse")),
        Denial::TooManyAttempts
    );
    // Another network is not affected, nor is an IPv6 /64 by its neighbours' /24.
    assert!(
        w.try_password(&share, &client_at("other", "198.51.101.1"), "correct horse")
            .is_ok()
    );
    assert!(
        w.try_password(&share, &client_at("v6", "2001:db8::1"), "correct horse")
            .is_ok()
    );
    // After the window the neighbour gets in.
    w.clock.advance(Duration::minutes(16));
    assert!(w.try_password(&share, &neighbour, "correct horse").is_ok());
}

/// A full-level share of `docs/reports`, a session on it, and a request maker.
fn full_share(w: &World) -> (Share, SessionId, Client) {
    let share = w
        .create(
            "ana",
            request(&["docs/reports"], |s| s.allowed = AllowedActions::Full),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    (share, s, c)
}

#[test]
fn a_wrong_kind_of_path_is_a_typed_error_and_changes_nothing() {
    let w = world();
    let (share, s, c) = full_share(&w);
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let not_a_folder = |r: Result<_>, p: &str| match r {
        Err(ServiceError::NotAFolder(got)) => assert_eq!(got, path(p)),
        other => panic!("expected NotAFolder({p}), got {other:?}"),
    };
    not_a_folder(
        block_on(w.app.list(&req, &path("reports/a.txt"))).map(drop),
        "reports/a.txt",
    );
    match block_on(
        w.app
            .download(&req, &path("reports/sub"), None, Action::Download),
    ) {
        Err(ServiceError::NotAFile(got)) => assert_eq!(got, path("reports/sub")),
        other => panic!("expected NotAFile, got {other:?}"),
    }
    // A folder's name has no type with a preview: refused before the store is asked.
    let preview = block_on(
        w.app
            .download(&req, &path("reports/sub"), None, Action::Preview),
    );
    assert_eq!(denied(preview), Denial::NoPreview);
    for parent in ["reports/a.txt", "reports/missing"] {
        not_a_folder(
            block_on(w.app.create_folder(&req, &path(parent), "new")).map(drop),
            parent,
        );
    }
    for (into, copy) in [
        ("reports/a.txt", false),
        ("reports/a.txt", true),
        ("reports/missing", false),
        ("reports/missing", true),
    ] {
        not_a_folder(
            block_on(
                w.app
                    .move_or_copy(&req, &path("reports/sub"), &path(into), copy),
            )
            .map(drop),
            into,
        );
    }
    not_a_folder(
        block_on(w.app.upload(
            &req,
            &path("reports/a.txt"),
            "up.txt",
            Some(2),
            fixtures::chunks(b"up", 7),
        ))
        .map(drop),
        "reports/a.txt",
    );
    // Taken names are conflicts, whatever is there.
    for (from, name) in [("reports/a.txt", "sub"), ("reports/sub", "a.txt")] {
        let r = block_on(w.app.rename(&req, &path(from), name));
        assert!(
            matches!(
                r,
                Err(ServiceError::Storage(FileStoreError::AlreadyExists { .. }))
            ),
            "{from} -> {name}: {r:?}"
        );
    }
    let r = block_on(w.app.create_folder(&req, &path("reports"), "a.txt"));
    assert!(
        matches!(
            r,
            Err(ServiceError::Storage(FileStoreError::AlreadyExists { .. }))
        ),
        "{r:?}"
    );
    // Nothing was made, moved or spoiled.
    for missing in [
        "docs/reports/missing",
        "docs/reports/a.txt/new",
        "docs/reports/a.txt/up.txt",
    ] {
        assert!(
            matches!(
                block_on(w.files.stat(&path(missing))),
                Err(FileStoreError::NotFound { .. } | FileStoreError::WrongKind { .. })
            ),
            "{missing} exists"
        );
    }
    assert_eq!(
        block_on(w.files.stat(&path("docs/reports/sub/b.pdf")))
            .unwrap()
            .kind,
        EntryKind::File
    );
}

#[test]
fn the_uploaders_folder_taken_by_a_file_is_a_conflict() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/drop"], |s| {
                s.allowed = AllowedActions::Upload;
                s.upload_rules.subfolder = UploaderFolder::ByTime;
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let session = block_on(w.app.ports().repo.get_session(&s))
        .unwrap()
        .unwrap();
    let sub = share
        .settings
        .upload_rules
        .uploader_folder(None, None, session.created_at)
        .unwrap();
    block_on(put_file(
        w.files.as_ref(),
        &format!("docs/drop/{}", sub.as_str()),
        b"a file",
    ));
    let r = block_on(w.app.upload(
        &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
        &path("drop"),
        "in.txt",
        Some(2),
        fixtures::chunks(b"in", 7),
    ));
    match r {
        Err(e @ ServiceError::UploaderFolderTaken(_)) => {
            let message = e.to_string();
            assert!(
                message.contains(sub.as_str()) && message.contains("is a file"),
                "{message}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn new_names_with_invisible_characters_are_refused_and_uploads_cleaned() {
    let w = world();
    let (share, s, c) = full_share(&w);
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let hostile = "invoice\u{202E}fdp.exe";
    let refused = |r: Result<SharePath>| match r {
        Err(ServiceError::Path(PathError::InvisibleCharacter(c))) => assert_eq!(c, '\u{202E}'),
        other => panic!("expected a refused character, got {other:?}"),
    };
    refused(block_on(w.app.rename(
        &req,
        &path("reports/a.txt"),
        hostile,
    )));
    refused(block_on(w.app.create_folder(
        &req,
        &path("reports"),
        hostile,
    )));
    assert!(block_on(w.files.stat(&path("docs/reports/a.txt"))).is_ok());

    let up = |name: &str| {
        block_on(w.app.upload(
            &req,
            &path("reports"),
            name,
            Some(3),
            fixtures::chunks(b"abc", 7),
        ))
    };
    let stored = up(hostile).unwrap();
    assert_eq!(stored.name, "invoicefdp.exe");
    assert_eq!(stored.path, path("reports/invoicefdp.exe"));
    // The file-type rules see the cleaned name: a zero-width space cannot hide `apk`.
    assert_eq!(
        denied(up("game.ap\u{200B}k")),
        Denial::FileTypeRefused {
            extension: "apk".into()
        }
    );
    // A name of nothing but invisible characters is no name.
    assert_eq!(
        denied(up("\u{200B}\u{FEFF}")),
        Denial::UploadRuleBroken(UploadViolation::BadName)
    );
    let listed: Vec<String> = block_on(w.app.list(&req, &path("reports")))
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(
        listed
            .iter()
            .all(|n| !n.chars().any(crate::model::path::is_invisible)),
        "{listed:?}"
    );
}

#[test]
fn a_planned_download_reads_once_and_metadata_spends_nothing() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/plan.pdf"], |s| {
                s.use_limit = Some(UseLimit::ONE_TIME)
            }),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let planned = |plan: ReadPlan| {
        block_on(
            w.app
                .download_planned(&req, &path("plan.pdf"), Action::Download, move |e| {
                    assert_eq!(e.size, 4);
                    plan
                }),
        )
    };
    // Metadata only (a 304, a 416): nothing is read and nothing spent, even confirmed.
    for _ in 0..3 {
        match planned(ReadPlan::MetadataOnly) {
            Ok(Planned::Metadata(e)) => assert_eq!(e.size, 4),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(w.uses(&share), 0);
    // A range the plan chose from the size is read, and spends the one use.
    let Ok(Planned::Read(d)) = planned(ReadPlan::Range(crate::ports::ByteRange {
        start: 2,
        end: 4,
    })) else {
        panic!("a read")
    };
    assert_eq!(d.read.range, crate::ports::ByteRange { start: 2, end: 4 });
    block_on(w.app.finish(d.ticket, Outcome::Completed { bytes: 2 }));
    assert_eq!(w.uses(&share), 1);
    // Its metadata stays visible to the session that spent it; another browser is out.
    assert!(matches!(
        planned(ReadPlan::MetadataOnly),
        Ok(Planned::Metadata(_))
    ));
    assert_eq!(denied(w.open(&share, &client("b2"))), Denial::UsesExhausted);
}

#[test]
fn metadata_is_behind_the_gates_like_the_bytes() {
    let w = world();
    let created = w.create("ana", {
        let mut r = request(&["docs/plan.pdf"], |_| {});
        r.password = Some("correct horse".into());
        r
    });
    let share = created.share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let r = block_on(
        w.app
            .download_planned(&req, &path("plan.pdf"), Action::Download, |_| {
                ReadPlan::MetadataOnly
            }),
    );
    assert_eq!(denied(r), Denial::PasswordRequired);
}

#[test]
fn a_preview_of_a_file_without_one_is_refused_at_every_level() {
    let w = world();
    for level in AllowedActions::ALL {
        let share = w
            .create("ana", request(&["docs/reports"], |s| s.allowed = level))
            .share;
        let c = client("b1");
        let s = w.session(&share, &c);
        let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
        let preview = |p: &str| block_on(w.app.download(&req, &path(p), None, Action::Preview));
        let html = preview("reports/page.html");
        if level.rights().has(Capability::Preview) {
            assert_eq!(denied(html), Denial::NoPreview, "{level:?}");
            let text = preview("reports/a.txt").unwrap();
            block_on(w.app.finish(text.ticket, Outcome::Completed { bytes: 5 }));
        } else {
            assert!(
                matches!(denied(html), Denial::ActionNotAllowed { .. }),
                "{level:?}"
            );
        }
    }
}

#[test]
fn an_upload_to_the_top_of_a_drop_box_lands_in_its_folder() {
    let w = world();
    let share = w
        .create(
            "ana",
            request(&["docs/drop"], |s| s.allowed = AllowedActions::Upload),
        )
        .share;
    let c = client("b1");
    let s = w.session(&share, &c);
    let req = VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed);
    let listed = block_on(w.app.upload(
        &req,
        &SharePath::root(),
        "hello.txt",
        Some(2),
        fixtures::chunks(b"hi", 1),
    ))
    .unwrap();
    assert_eq!(listed.path, path("drop/hello.txt"));
    assert!(block_on(w.files.stat(&path("docs/drop/hello.txt"))).is_ok());

    // With two folders the top is ambiguous: the visitor names one.
    let two = w
        .create(
            "ana",
            request(&["docs/drop", "docs/reports"], |s| {
                s.allowed = AllowedActions::Upload
            }),
        )
        .share;
    let s = w.session(&two, &c);
    let req = VisitRequest::new(two.key.as_str(), &s, &c, RequestMode::Confirmed);
    let r = block_on(w.app.upload(
        &req,
        &SharePath::root(),
        "x.txt",
        Some(1),
        fixtures::chunks(b"x", 1),
    ));
    assert_eq!(denied(r), Denial::OutsideShare);
}

#[test]
fn sharing_where_one_has_no_rights_tells_nothing_of_what_is_there() {
    let w = world();
    block_on(put_file(&*w.files, "secret/payroll.xlsx", b"salaries"));
    let attempt = |p: &str| block_on(w.app.create_share(&user("ana"), request(&[p], |_| {})));
    // An existing file and a missing one answer alike: rights come before existence.
    for p in ["secret/payroll.xlsx", "secret/missing.xlsx", "secret"] {
        match attempt(p) {
            Err(ServiceError::Settings(crate::SettingsError::NoShareRight(_))) => {}
            other => panic!("{p}: {other:?}"),
        }
    }
    // Where one may share, a missing item is named as missing.
    assert!(matches!(
        attempt("docs/missing.txt"),
        Err(ServiceError::NoSuchItem(_))
    ));
}

#[test]
fn a_custom_key_taken_is_typed_and_its_owner_finds_the_share() {
    let w = world_with(SiteSettings {
        custom_keys: CustomKeyRules {
            allowed: true,
            min_len: 8,
        },
        ..SiteSettings::default()
    });
    let mut req = request(&["docs/plan.pdf"], |_| {});
    req.custom_key = Some("Quarterly2026Plan".into());
    let made = w.create("ana", req.clone()).share;
    // "Create if absent": the second creation says the key is taken, as a variant.
    assert!(matches!(
        block_on(w.app.create_share(&user("ana"), req)),
        Err(ServiceError::KeyTaken)
    ));
    let found = block_on(w.app.find_share_by_key(&user("ana"), "quarterly2026plan")).unwrap();
    assert_eq!(found.id, made.id);
    assert_eq!(
        block_on(w.app.find_share_by_key(&user("root"), "Quarterly2026Plan"))
            .unwrap()
            .id,
        made.id
    );
    // Someone else's share and no share answer alike.
    for (who, key) in [
        ("bob", "Quarterly2026Plan"),
        ("ana", "NoSuchKey2026x"),
        ("ana", "!!"),
    ] {
        assert!(
            matches!(
                block_on(w.app.find_share_by_key(&user(who), key)),
                Err(ServiceError::ShareNotFound)
            ),
            "{who} {key}"
        );
    }
}

//! The mail queue through the use cases: mail is queued, the worker delivers it with
//! retries and backoff while the mail server is away, gives up on permanent refusals and
//! after too many attempts, drops one-time codes that expired meanwhile, and owners and
//! admins see (and retry) what was given up on.

use super::*;
use crate::memory::{InMemory, MemoryMailer};
use crate::ports::mailer::{Mail, MailError, MailMessage};
use crate::ports::{MailState, Mailer};
use crate::testing::fixtures::{
    FILES, FOLDERS, LINK_BASE, PEOPLE, T0, client, corp_email, people, put_file,
    share_request as request, user,
};
use crate::{AccessControl, EmailPattern, RequestMode};
use async_trait::async_trait;
use futures::executor::block_on;
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use time::Duration;

/// A mailer over [`MemoryMailer`] whose server can be taken down (unreachable) or made
/// to defer every message (a 4xx reply).
#[derive(Debug, Default)]
struct FlakyMailer {
    inner: MemoryMailer,
    down: AtomicBool,
    deferring: AtomicBool,
}

#[async_trait]
impl Mailer for FlakyMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Unreachable {
                mailer: "flaky",
                source: "connection refused".into(),
            });
        }
        if self.deferring.load(Ordering::SeqCst) {
            return Err(MailError::Deferred {
                mailer: "flaky",
                recipient: mail.to.clone(),
                reason: "421 try again later".into(),
                source: None,
            });
        }
        self.inner.send(mail).await
    }
}

struct Queued {
    app: Sharelink,
    mem: InMemory,
    mailer: Arc<FlakyMailer>,
}

fn queued() -> Queued {
    let mem = InMemory::new(T0);
    people(&mem.directory, PEOPLE, corp_email);
    block_on(async {
        for (p, data) in FILES {
            put_file(mem.files.as_ref(), p, data).await;
        }
        for f in FOLDERS {
            mem.files
                .create_folder(&crate::SharePath::parse(f).unwrap())
                .await
                .unwrap();
        }
    });
    let mailer = Arc::new(FlakyMailer::default());
    let mut ports = mem.ports().with_mail_queue(mem.mail_queue.clone());
    ports.mailer = mailer.clone();
    let app = Sharelink::new(ports, Config::new(LINK_BASE)).unwrap();
    Queued { app, mem, mailer }
}

impl Queued {
    fn share(&self) -> Share {
        block_on(
            self.app
                .create_share(&user("ana"), request(&["docs/reports"], |_| {})),
        )
        .unwrap()
        .share
    }

    fn invite(&self, share: &Share, to: &Email) {
        let out = block_on(self.app.share_by_email(
            &user("ana"),
            share.id,
            vec![NewRecipientInput {
                email: to.clone(),
                company: None,
                note: None,
            }],
            None,
        ))
        .unwrap();
        assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    }

    fn deliver(&self) -> Delivery {
        block_on(self.app.deliver_mail(100)).unwrap()
    }

    fn list(&self, actor: &str, state: Option<MailState>) -> Vec<MailView> {
        block_on(self.app.queued_mail(
            &user(actor),
            ListMail {
                state,
                ..ListMail::default()
            },
        ))
        .unwrap()
    }

    fn sent_to(&self, to: &Email) -> usize {
        self.mailer.inner.sent_to(to).len()
    }
}

fn rita() -> Email {
    Email::parse("rita@ext.example").unwrap()
}

#[test]
fn invitations_are_queued_then_delivered() {
    let q = queued();
    let share = q.share();
    q.invite(&share, &rita());
    assert_eq!(
        q.sent_to(&rita()),
        0,
        "nothing is sent before the worker runs"
    );
    let mine = q.list("ana", Some(MailState::Pending));
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, "invitation");
    assert_eq!(mine[0].share, Some(share.id));
    assert_eq!(
        q.deliver(),
        Delivery {
            sent: 1,
            ..Delivery::default()
        }
    );
    assert_eq!(q.sent_to(&rita()), 1);
    assert_eq!(q.list("ana", Some(MailState::Sent)).len(), 1);
    assert_eq!(
        q.deliver(),
        Delivery::default(),
        "a sent mail is not sent again"
    );
}

#[test]
fn an_outage_retries_with_doubling_delays_then_gives_up() {
    let q = queued();
    let share = q.share();
    q.invite(&share, &rita());
    q.mailer.down.store(true, Ordering::SeqCst);
    let retry = MailRetry::default();
    let mut waits = Vec::new();
    for attempt in 1..retry.max_attempts {
        let d = q.deliver();
        assert_eq!(d.retrying, 1, "attempt {attempt}");
        let m = q.mem.mail_queue.all().remove(0);
        assert_eq!(m.attempts, attempt);
        assert!(m.last_error.as_deref().unwrap().contains("unreachable"));
        let wait = m.next_attempt_at - q.mem.clock.now();
        waits.push(wait.whole_seconds());
        // Nothing happens before the next attempt is due.
        q.mem.clock.advance(wait - Duration::seconds(1));
        assert_eq!(q.deliver(), Delivery::default());
        q.mem.clock.advance(Duration::seconds(1));
    }
    assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(
        q.deliver(),
        Delivery {
            dead: 1,
            ..Delivery::default()
        }
    );
    let dead = q.list("ana", Some(MailState::Dead));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, retry.max_attempts);
    assert!(
        q.list("bob", Some(MailState::Dead)).is_empty(),
        "not bob's share"
    );
    assert_eq!(
        q.list("root", Some(MailState::Dead)).len(),
        1,
        "admins see all"
    );
    assert!(matches!(
        block_on(q.app.retry_mail(&user("bob"), dead[0].id)),
        Err(ServiceError::MailNotFound)
    ));
    // The server is back; the owner sends it again.
    q.mailer.down.store(false, Ordering::SeqCst);
    let again = block_on(q.app.retry_mail(&user("ana"), dead[0].id)).unwrap();
    assert_eq!(again.state, MailState::Pending);
    assert!(matches!(
        block_on(q.app.retry_mail(&user("ana"), dead[0].id)),
        Err(ServiceError::MailNotRetryable(MailState::Pending))
    ));
    assert_eq!(q.deliver().sent, 1);
    assert_eq!(q.sent_to(&rita()), 1);
}

#[test]
fn a_deferred_mail_is_retried_and_arrives() {
    let q = queued();
    let share = q.share();
    q.invite(&share, &rita());
    q.mailer.deferring.store(true, Ordering::SeqCst);
    assert_eq!(q.deliver().retrying, 1);
    let m = q.mem.mail_queue.all().remove(0);
    assert!(m.last_error.as_deref().unwrap().contains("421"));
    q.mailer.deferring.store(false, Ordering::SeqCst);
    q.mem.clock.advance(Duration::seconds(30));
    assert_eq!(q.deliver().sent, 1);
    assert_eq!(q.sent_to(&rita()), 1);
}

#[test]
fn a_permanent_refusal_is_dead_at_once_with_its_reason() {
    let q = queued();
    let share = q.share();
    q.mailer.inner.refuse(&rita());
    q.invite(&share, &rita());
    assert_eq!(q.deliver().dead, 1);
    let dead = q.list("ana", Some(MailState::Dead));
    assert_eq!(dead[0].attempts, 1);
    assert!(dead[0].last_error.as_deref().unwrap().contains("refused"));
}

#[test]
fn a_one_time_code_due_after_its_expiry_is_not_sent() {
    let q = queued();
    let share = block_on(q.app.create_share(
        &user("ana"),
        request(&["docs/reports"], |s| {
            s.access =
                AccessControl::VerifiedEmails(vec![EmailPattern::parse("*@ext.example").unwrap()]);
        }),
    ))
    .unwrap()
    .share;
    let ask = |browser: &str| {
        let c = client(browser);
        let v = block_on(q.app.open(OpenRequest {
            key: share.key.as_str(),
            client: &c,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        }))
        .unwrap();
        let s = v.session.unwrap().id;
        block_on(q.app.request_code(
            &VisitRequest::new(share.key.as_str(), &s, &c, RequestMode::Confirmed),
            &rita(),
        ))
        .unwrap();
    };
    q.mailer.down.store(true, Ordering::SeqCst);
    ask("b1");
    assert_eq!(q.deliver().retrying, 1);
    q.mailer.down.store(false, Ordering::SeqCst);
    // The code lives 10 minutes by default; the server came back after it expired.
    let ttl = block_on(q.app.site()).unwrap().one_time_codes.ttl;
    q.mem.clock.advance(ttl + Duration::seconds(1));
    assert_eq!(
        q.deliver(),
        Delivery {
            expired: 1,
            ..Delivery::default()
        }
    );
    assert_eq!(q.sent_to(&rita()), 0, "an expired code is never sent");
    let expired = q.list("ana", Some(MailState::Expired));
    assert_eq!(expired[0].kind, "one_time_code");
    assert_eq!(expired[0].not_after, Some(T0 + ttl));
    // A code asked for now arrives.
    ask("b2");
    assert_eq!(q.deliver().sent, 1);
    match &q.mailer.inner.sent_to(&rita())[0].0.message {
        MailMessage::OneTimeCode { .. } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_a_queue_the_worker_does_nothing_and_lists_are_empty() {
    let w = crate::testing::fixtures::World::new();
    assert_eq!(
        block_on(w.app.deliver_mail(10)).unwrap(),
        Delivery::default()
    );
    assert!(
        block_on(w.app.queued_mail(&user("root"), ListMail::default()))
            .unwrap()
            .is_empty()
    );
}

proptest! {
    /// Waits never shrink from one attempt to the next, start at the first delay and
    /// never pass the cap.
    #[test]
    fn backoff_grows_and_is_capped(first in 1i64..600, cap in 1i64..100_000, n in 1u32..200) {
        let retry = MailRetry {
            first_delay: Duration::seconds(first),
            max_delay: Duration::seconds(cap),
            ..MailRetry::default()
        };
        prop_assert_eq!(retry.delay_after(1), Duration::seconds(first.min(cap)));
        prop_assert!(retry.delay_after(n) <= retry.delay_after(n + 1));
        prop_assert!(retry.delay_after(n) <= Duration::seconds(cap));
    }
}

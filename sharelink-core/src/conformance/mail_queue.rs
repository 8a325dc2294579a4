//! Conformance suite of the mail-queue port: one async function per contract bullet of
//! [`MailQueue`], and [`mail_queue_conformance!`](crate::mail_queue_conformance) to run
//! them all.
//!
//! Each case takes two handles on one fresh, empty queue ([`Queues`]): where the adapter
//! can, two separate connections (pools) to the same store, as two processes would have.
//!
//! ```
//! use sharelink_core::conformance::mail_queue::Queues;
//! use sharelink_core::memory::MemoryMailQueue;
//! use std::sync::Arc;
//!
//! async fn queues() -> Queues {
//!     let queue = Arc::new(MemoryMailQueue::new());
//!     (queue.clone(), queue)
//! }
//!
//! sharelink_core::mail_queue_conformance!(run = futures::executor::block_on, make = queues());
//! # fn main() {}
//! ```

use crate::ports::mail_queue::*;
use crate::ports::mailer::{Mail, MailMessage, Secret};
use crate::{Branding, Email, ShareId, UserId};
use std::collections::HashSet;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Two handles on one queue (the same one twice where the adapter has only one).
pub type Queues = (Arc<dyn MailQueue>, Arc<dyn MailQueue>);

/// The instant the suite's mails are queued around.
pub const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

fn email(local: &str) -> Email {
    Email::parse(&format!("{local}@example.com")).expect("valid email")
}

/// Every kind of message, with non-ASCII text and secrets.
pub fn every_message() -> Vec<MailMessage> {
    vec![
        MailMessage::Invitation {
            share_name: "Plans — ünïcödé".into(),
            sender: "Ana <ana@example.com>".into(),
            message: Some("Line one\nline two".into()),
            link: Secret("https://files.example.com/s/abc?r=xyz".into()),
            expires_at: Some(T0 + Duration::days(3)),
        },
        MailMessage::OneTimeCode {
            share_name: "Plans".into(),
            code: Secret("048213".into()),
            valid_minutes: 15,
        },
        MailMessage::DownloadNotification {
            share_name: "Plans".into(),
            visitor: Some("rita@example.com".into()),
            paths: vec!["a/b.pdf".into(), "c.txt".into()],
            at: T0,
            ip: Some("2001:db8::1".parse().expect("valid ip")),
        },
        MailMessage::LinkResent {
            share_name: "Plans".into(),
            link: Secret("https://files.example.com/s/abc?r=new".into()),
        },
        MailMessage::ExpiryReminder {
            share_name: "Plans".into(),
            expires_at: T0 + Duration::days(1),
        },
        MailMessage::UnderAttack {
            share_name: "Plans".into(),
            target: "the password".into(),
            attempts: 21,
            window_minutes: 15,
            at: T0,
        },
        MailMessage::OwnerNotice {
            notice: crate::Notice {
                share_name: "Plans".into(),
                activity: crate::Activity::FirstVisit {
                    recipient: "rita@example.com".into(),
                },
                at: T0,
            },
        },
        MailMessage::OwnerDigest {
            notices: vec![crate::Notice {
                share_name: "Plans".into(),
                activity: crate::Activity::Uploaded {
                    visitor: Some("Rita Ü".into()),
                    path: "inbox/a.pdf".into(),
                    bytes: 12,
                    ip: Some("192.0.2.0".parse().expect("valid ip")),
                },
                at: T0,
            }],
        },
    ]
}

/// A mail to `to`, queued at `at`, about share 7 of `owner`.
pub fn new_mail(to: &str, owner: &str, at: OffsetDateTime) -> NewQueuedMail {
    NewQueuedMail {
        mail: Mail {
            to: email(to),
            to_name: Some("Rita Ü".into()),
            branding: Branding::default(),
            from: Some(email("noreply")),
            time_zone: Some("Europe/Zurich".into()),
            locale: Some("fr".into()),
            message: MailMessage::LinkResent {
                share_name: "Plans".into(),
                link: Secret(format!("https://files.example.com/s/{to}")),
            },
        },
        share: Some(ShareId(7)),
        owner: Some(UserId::parse(owner).expect("valid user")),
        not_after: None,
        queued_at: at,
    }
}

async fn enqueue(q: &dyn MailQueue, new: NewQueuedMail) -> QueuedMail {
    q.enqueue(new).await.expect("enqueue")
}

async fn claim(q: &dyn MailQueue, now: OffsetDateTime, limit: u32) -> Vec<QueuedMail> {
    q.claim_due(now, now + Duration::minutes(5), limit)
        .await
        .expect("claim")
}

async fn get(q: &dyn MailQueue, id: QueuedMailId) -> QueuedMail {
    q.get_mail(id).await.expect("get").expect("the mail exists")
}

/// `enqueue` stores every kind of mail pending, due at once, with no attempts, under a
/// fresh id; the other handle reads it back equal.
pub async fn enqueue_and_read_back((a, b): Queues) {
    let mut ids = HashSet::new();
    for (i, message) in every_message().into_iter().enumerate() {
        let mut new = new_mail(&format!("r{i}"), "owner", T0);
        new.mail.message = message;
        new.not_after = (i == 1).then_some(T0 + Duration::minutes(15));
        let stored = enqueue(&*a, new.clone()).await;
        assert!(ids.insert(stored.id), "ids are fresh");
        assert_eq!(stored.mail, new.mail);
        assert_eq!(stored.share, new.share);
        assert_eq!(stored.owner, new.owner);
        assert_eq!(stored.not_after, new.not_after);
        assert_eq!(stored.state, MailState::Pending);
        assert_eq!(stored.attempts, 0);
        assert_eq!(stored.next_attempt_at, T0);
        assert_eq!(stored.leased_until, None);
        assert_eq!(stored.last_error, None);
        assert_eq!(stored.queued_at, T0);
        assert_eq!(get(&*b, stored.id).await, stored);
    }
    let mut unowned = new_mail("system", "owner", T0);
    unowned.share = None;
    unowned.owner = None;
    let stored = enqueue(&*a, unowned).await;
    assert_eq!(get(&*b, stored.id).await, stored);
    assert_eq!(
        a.get_mail(QueuedMailId(stored.id.0 + 1000))
            .await
            .expect("get"),
        None
    );
}

/// `claim_due` hands out due mails only, oldest due first, at most `limit`, each with one
/// more attempt and leased until the given instant.
pub async fn claim_hands_out_due_mail_oldest_first((a, b): Queues) {
    let later = enqueue(&*a, new_mail("later", "o", T0 + Duration::minutes(10))).await;
    let second = enqueue(&*a, new_mail("second", "o", T0 + Duration::minutes(1))).await;
    let first = enqueue(&*a, new_mail("first", "o", T0)).await;
    let now = T0 + Duration::minutes(2);
    assert!(b.claim_due(now, now, 0).await.expect("claim").is_empty());
    let claimed = claim(&*b, now, 1).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, first.id);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].leased_until, Some(now + Duration::minutes(5)));
    assert_eq!(claimed[0].mail, first.mail);
    assert_eq!(get(&*a, first.id).await, claimed[0]);
    let claimed = claim(&*a, now, 10).await;
    assert_eq!(
        claimed.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![second.id],
        "the mail due later is not handed out"
    );
    for m in [&first, &second] {
        assert!(a.mark_sent(m.id, 1, now).await.expect("mark"));
    }
    let claimed = claim(&*a, T0 + Duration::minutes(10), 10).await;
    assert_eq!(
        claimed.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![later.id]
    );
}

/// A leased mail is not handed out again, by either handle, until its lease ends; then it
/// is due again, with one more attempt.
pub async fn leased_mail_waits_for_its_lease((a, b): Queues) {
    let m = enqueue(&*a, new_mail("leased", "o", T0)).await;
    assert_eq!(claim(&*a, T0, 10).await.len(), 1);
    assert!(claim(&*a, T0 + Duration::minutes(1), 10).await.is_empty());
    assert!(claim(&*b, T0 + Duration::minutes(4), 10).await.is_empty());
    let again = claim(&*b, T0 + Duration::minutes(5), 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, m.id);
    assert_eq!(again[0].attempts, 2);
}

/// Outcomes need the current claim: a stale attempt number, or a mail no longer
/// pending, changes nothing and answers `false`.
pub async fn outcomes_need_the_current_claim((a, b): Queues) {
    let m = enqueue(&*a, new_mail("stale", "o", T0)).await;
    let first = claim(&*a, T0, 1).await.remove(0);
    // The lease ends; another worker claims it.
    let second = claim(&*b, T0 + Duration::minutes(6), 1).await.remove(0);
    assert_eq!(second.attempts, first.attempts + 1);
    let at = T0 + Duration::minutes(7);
    assert!(!a.mark_sent(m.id, first.attempts, at).await.expect("mark"));
    assert!(
        !a.mark_failed(m.id, first.attempts, "late", Failure::Dead, at)
            .await
            .expect("mark")
    );
    assert_eq!(get(&*a, m.id).await.state, MailState::Pending);
    assert!(b.mark_sent(m.id, second.attempts, at).await.expect("mark"));
    let sent = get(&*a, m.id).await;
    assert_eq!(sent.state, MailState::Sent);
    assert_eq!(sent.updated_at, at);
    assert_eq!(sent.leased_until, None);
    assert!(!b.mark_sent(m.id, second.attempts, at).await.expect("mark"));
    assert!(
        !b.mark_failed(m.id, second.attempts, "x", Failure::Dead, at)
            .await
            .expect("mark")
    );
    assert!(claim(&*a, at + Duration::hours(1), 10).await.is_empty());
    assert!(
        !a.mark_sent(QueuedMailId(m.id.0 + 1000), 1, at)
            .await
            .expect("mark")
    );
}

/// A retry clears the lease, keeps the error and makes the mail due at the given instant
/// (not before).
pub async fn retry_makes_mail_due_later((a, b): Queues) {
    let m = enqueue(&*a, new_mail("retry", "o", T0)).await;
    let c = claim(&*a, T0, 1).await.remove(0);
    let due = T0 + Duration::seconds(30);
    assert!(
        a.mark_failed(m.id, c.attempts, "421 try later", Failure::RetryAt(due), T0)
            .await
            .expect("mark")
    );
    let stored = get(&*b, m.id).await;
    assert_eq!(stored.state, MailState::Pending);
    assert_eq!(stored.next_attempt_at, due);
    assert_eq!(stored.leased_until, None);
    assert_eq!(stored.last_error.as_deref(), Some("421 try later"));
    assert!(claim(&*b, due - Duration::seconds(1), 10).await.is_empty());
    let again = claim(&*b, due, 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
}

/// Dead and expired end a mail (never claimed again, error kept); `retry_mail` makes it
/// pending again, due now, with no attempts; it refuses pending, sent and unknown mail.
pub async fn dead_and_expired_mail_can_be_retried((a, b): Queues) {
    let dead = enqueue(&*a, new_mail("dead", "o", T0)).await;
    let expired = enqueue(&*a, new_mail("expired", "o", T0)).await;
    let pending = enqueue(&*a, new_mail("pending", "o", T0 + Duration::hours(1))).await;
    let claimed = claim(&*a, T0, 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(
        a.mark_failed(dead.id, 1, "550 no such user", Failure::Dead, T0)
            .await
            .expect("mark")
    );
    assert!(
        a.mark_failed(expired.id, 1, "too late", Failure::Expired, T0)
            .await
            .expect("mark")
    );
    let d = get(&*b, dead.id).await;
    assert_eq!(d.state, MailState::Dead);
    assert_eq!(d.last_error.as_deref(), Some("550 no such user"));
    assert_eq!(get(&*b, expired.id).await.state, MailState::Expired);
    let other = claim(&*b, T0 + Duration::days(1), 10).await;
    assert_eq!(
        other.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![pending.id],
        "only the pending one"
    );
    assert!(
        b.mark_sent(pending.id, 1, T0 + Duration::days(1))
            .await
            .expect("mark")
    );

    let now = T0 + Duration::days(2);
    assert!(b.retry_mail(dead.id, now).await.expect("retry"));
    let r = get(&*a, dead.id).await;
    assert_eq!(r.state, MailState::Pending);
    assert_eq!(r.attempts, 0);
    assert_eq!(r.next_attempt_at, now);
    assert_eq!(r.leased_until, None);
    assert!(b.retry_mail(expired.id, now).await.expect("retry"));
    assert!(
        !b.retry_mail(dead.id, now).await.expect("retry"),
        "pending now"
    );
    assert!(!b.retry_mail(pending.id, now).await.expect("retry"));
    assert!(
        !b.retry_mail(QueuedMailId(pending.id.0 + 1000), now)
            .await
            .expect("retry")
    );
    let due = claim(&*a, now, 10).await;
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|m| m.attempts == 1));
    assert!(a.mark_sent(dead.id, 1, now).await.expect("mark"));
    assert!(
        !a.retry_mail(dead.id, now).await.expect("retry"),
        "sent mail stays sent"
    );
}

/// `list_mail` filters by state and owner, newest first, page by page.
pub async fn list_filters_newest_first((a, b): Queues) {
    let mut ana = Vec::new();
    for i in 0..5 {
        ana.push(
            enqueue(&*a, new_mail(&format!("ana{i}"), "ana", T0))
                .await
                .id,
        );
    }
    let bob = enqueue(&*a, new_mail("bob0", "bob", T0)).await.id;
    let c = claim(&*a, T0, 1).await.remove(0);
    assert!(
        a.mark_failed(c.id, 1, "550", Failure::Dead, T0)
            .await
            .expect("mark")
    );
    let ids = |v: Vec<QueuedMail>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let all = MailQuery {
        limit: 100,
        ..MailQuery::default()
    };
    let mut expected: Vec<_> = ana.iter().copied().chain([bob]).collect();
    expected.reverse();
    assert_eq!(ids(b.list_mail(&all).await.expect("list")), expected);
    let of_ana = MailQuery {
        owner: Some(UserId::parse("ana").expect("valid")),
        limit: 2,
        ..MailQuery::default()
    };
    assert_eq!(
        ids(b.list_mail(&of_ana).await.expect("list")),
        vec![ana[4], ana[3]]
    );
    let next = MailQuery {
        before: Some(ana[3]),
        limit: 10,
        ..of_ana.clone()
    };
    assert_eq!(
        ids(b.list_mail(&next).await.expect("list")),
        vec![ana[2], ana[1], ana[0]]
    );
    let dead = MailQuery {
        state: Some(MailState::Dead),
        limit: 10,
        ..MailQuery::default()
    };
    assert_eq!(ids(b.list_mail(&dead).await.expect("list")), vec![c.id]);
    let none = MailQuery {
        owner: Some(UserId::parse("carl").expect("valid")),
        limit: 10,
        ..MailQuery::default()
    };
    assert!(b.list_mail(&none).await.expect("list").is_empty());
    assert!(
        b.list_mail(&MailQuery::default())
            .await
            .expect("list")
            .is_empty(),
        "limit 0 lists nothing"
    );
}

/// Many claims at once, through both handles, never hand out the same mail twice, and
/// together hand out every due mail.
pub async fn concurrent_claims_never_share_a_mail((a, b): Queues) {
    const MAILS: usize = 40;
    for i in 0..MAILS {
        enqueue(&*a, new_mail(&format!("c{i}"), "o", T0)).await;
    }
    let mut seen = HashSet::new();
    for _round in 0..MAILS {
        let claims = (0..8).map(|i| {
            let q = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move { claim(&*q, T0, 3).await }
        });
        let got: Vec<QueuedMail> = futures::future::join_all(claims)
            .await
            .into_iter()
            .flatten()
            .collect();
        if got.is_empty() {
            break;
        }
        for m in got {
            assert_eq!(m.attempts, 1, "mail {} claimed twice", m.id);
            assert!(seen.insert(m.id), "mail {} handed out twice", m.id);
        }
    }
    assert_eq!(seen.len(), MAILS, "every due mail is handed out");
}

/// Turns the mail-queue suite into one `#[test]` per case.
///
/// `run` drives a future to completion; `make` is an expression evaluating to a future
/// of fresh [`Queues`], evaluated afresh for each case.
#[macro_export]
macro_rules! mail_queue_conformance {
    (run = $run:expr, make = $make:expr $(,)?) => {
        $crate::mail_queue_conformance!(@cases ($run) ($make)
            enqueue_and_read_back,
            claim_hands_out_due_mail_oldest_first,
            leased_mail_waits_for_its_lease,
            outcomes_need_the_current_claim,
            retry_makes_mail_due_later,
            dead_and_expired_mail_can_be_retried,
            list_filters_newest_first,
            concurrent_claims_never_share_a_mail,
        );
    };
    (@cases ($run:expr) ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let run = $run;
                run(async {
                    let queues: $crate::conformance::mail_queue::Queues = $make.await;
                    $crate::conformance::mail_queue::$case(queues).await
                });
            }
        )*
    };
}

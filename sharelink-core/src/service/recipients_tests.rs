//! Per-recipient control and batch revoke/expire over the in-memory adapters (seeds 002
//! and 004).

use super::*;
use crate::ports::{MailMessage, RecipientChange, ShareEvent};
use crate::testing::fixtures::{World, client, share_request as request, user};
use crate::*;
use futures::executor::block_on;
use time::Duration;

const RITA: &str = "rita@ext.example";
const SAM: &str = "sam@ext.example";

/// An emailed-only share of Ana's sent to Rita and Sam.
fn sent(w: &World) -> (Share, Vec<Recipient>) {
    let emailed = request(&["docs/reports"], |s| s.access = AccessControl::EmailedOnly);
    let share = block_on(w.app.create_share(&user("ana"), emailed))
        .unwrap()
        .share;
    let inputs = [RITA, SAM]
        .iter()
        .map(|e| NewRecipientInput {
            email: Email::parse(e).unwrap(),
            company: None,
            note: None,
        })
        .collect();
    let out = block_on(w.app.share_by_email(&user("ana"), share.id, inputs, None)).unwrap();
    let recipients = out.into_iter().map(|o| o.result.unwrap()).collect();
    (share, recipients)
}

/// The code in the last link mailed to `to`.
fn last_code(w: &World, to: &str) -> String {
    let sent = w.mem.mailer.sent_to(&Email::parse(to).unwrap());
    match &sent.last().expect("a mail").0.message {
        MailMessage::Invitation { link, .. } | MailMessage::LinkResent { link, .. } => {
            link.0.rsplit_once("?r=").unwrap().1.to_owned()
        }
        other => panic!("{other:?}"),
    }
}

fn open(w: &World, share: &Share, browser: &str, code: &str) -> Result<Visit> {
    block_on(w.app.open(OpenRequest {
        key: share.key.as_str(),
        client: &client(browser),
        recipient_code: Some(code),
        access_code: None,
        mode: RequestMode::Confirmed,
    }))
}

fn not_found(r: Result<Visit>) -> bool {
    matches!(r, Err(ServiceError::Denied(Denial::NotFound)))
}

#[test]
fn revoking_one_recipient_leaves_the_others_working() {
    let w = World::new();
    let (share, rs) = sent(&w);
    let (rita, sam) = (last_code(&w, RITA), last_code(&w, SAM));
    let inside = open(&w, &share, "r1", &rita).unwrap();
    let session = inside.session.unwrap().id;
    let after = block_on(w.app.revoke_recipient(&user("ana"), share.id, rs[0].id)).unwrap();
    assert_eq!(after.state(w.mem.clock.now()), RecipientState::Revoked);
    // Like a key never issued: the same denial an unknown key gets.
    assert!(not_found(open(&w, &share, "r1", &rita)));
    assert!(not_found(open(&w, &share, "r2", &rita)));
    let unknown = block_on(w.app.open(OpenRequest {
        key: "nosuchkey1",
        client: &client("r1"),
        recipient_code: None,
        access_code: None,
        mode: RequestMode::Confirmed,
    }));
    assert!(not_found(unknown));
    // The session opened through the link ends with it.
    let resumed = block_on(w.app.resume(&VisitRequest::new(
        share.key.as_str(),
        &session,
        &client("r1"),
        RequestMode::Confirmed,
    )));
    assert!(not_found(resumed));
    assert!(open(&w, &share, "s1", &sam).unwrap().view.is_some());
    let statuses = block_on(w.app.recipient_statuses(&user("ana"), share.id)).unwrap();
    let states: Vec<_> = statuses.iter().map(|s| s.state).collect();
    assert_eq!(states, [RecipientState::Revoked, RecipientState::Active]);
    assert!(statuses[1].recipient.last_access_at.is_some());
    assert!(statuses[1].recipient.bound_browser.is_some());
    assert!(w.mem.events.events().iter().any(|e| matches!(
        e,
        ShareEvent::RecipientChanged { change: RecipientChange::Revoked, recipient, .. }
            if *recipient == rs[0].id
    )));
}

#[test]
fn expiring_one_recipient_leaves_the_others_working() {
    let w = World::new();
    let (share, rs) = sent(&w);
    let (rita, sam) = (last_code(&w, RITA), last_code(&w, SAM));
    block_on(w.app.expire_recipient(&user("ana"), share.id, rs[1].id)).unwrap();
    assert!(not_found(open(&w, &share, "s1", &sam)));
    assert!(open(&w, &share, "r1", &rita).unwrap().view.is_some());
    let statuses = block_on(w.app.recipient_statuses(&user("ana"), share.id)).unwrap();
    assert_eq!(statuses[1].state, RecipientState::Expired);
    assert_eq!(statuses[1].recipient.last_access_at, None);
}

#[test]
fn a_resent_link_works_and_the_old_one_does_not() {
    let w = World::new();
    let (share, rs) = sent(&w);
    let old = last_code(&w, RITA);
    assert!(open(&w, &share, "r1", &old).unwrap().view.is_some());
    block_on(w.app.revoke_recipient(&user("ana"), share.id, rs[0].id)).unwrap();
    w.mem.clock.advance(Duration::minutes(5));
    let after =
        block_on(
            w.app
                .resend_recipient(&user("ana"), share.id, rs[0].id, Some("again".into())),
        )
        .unwrap();
    assert_eq!(after.state(w.mem.clock.now()), RecipientState::Active);
    assert_eq!(after.bound_browser, None);
    let sent = w.mem.mailer.sent_to(&Email::parse(RITA).unwrap());
    assert_eq!(sent.len(), 2);
    assert!(matches!(
        &sent[1].0.message,
        MailMessage::Invitation { message: Some(m), .. } if m == "again"
    ));
    let fresh = last_code(&w, RITA);
    assert_ne!(fresh, old);
    // The old code is no code at all now: the share asks for an invitation.
    let stale = open(&w, &share, "r1", &old).unwrap();
    assert!(stale.view.is_none());
    assert_eq!(stale.gate.pending, Some(Denial::InvitationRequired));
    // The binding went with the old code: a new browser may open the fresh link.
    assert!(open(&w, &share, "r2", &fresh).unwrap().view.is_some());
}

#[test]
fn only_the_owner_or_an_admin_controls_recipients() {
    let w = World::new();
    let (share, rs) = sent(&w);
    assert!(matches!(
        block_on(w.app.revoke_recipient(&user("bob"), share.id, rs[0].id)),
        Err(ServiceError::ShareNotFound)
    ));
    assert!(matches!(
        block_on(
            w.app
                .resend_recipient(&user("bob"), share.id, rs[0].id, None)
        ),
        Err(ServiceError::ShareNotFound)
    ));
    assert!(matches!(
        block_on(
            w.app
                .expire_recipient(&user("ana"), share.id, RecipientId(9999))
        ),
        Err(ServiceError::RecipientNotFound)
    ));
    // A recipient of another share is not one of this share's.
    let (other, _) = sent(&w);
    assert!(matches!(
        block_on(w.app.revoke_recipient(&user("ana"), other.id, rs[0].id)),
        Err(ServiceError::RecipientNotFound)
    ));
    block_on(w.app.expire_recipient(&user("root"), share.id, rs[0].id)).unwrap();
}

#[test]
fn resending_needs_an_active_share() {
    let w = World::new();
    let (share, rs) = sent(&w);
    block_on(w.app.expire(&user("ana"), share.id)).unwrap();
    assert!(matches!(
        block_on(
            w.app
                .resend_recipient(&user("ana"), share.id, rs[0].id, None)
        ),
        Err(ServiceError::NotActive)
    ));
}

#[test]
fn batch_reports_each_id_and_hides_foreign_ones() {
    let w = World::new();
    let mine = |n| {
        block_on(w.app.create_share(
            &user("ana"),
            request(&["docs/reports"], |s| s.name = format!("m{n}")),
        ))
        .unwrap()
        .share
    };
    let (a, b) = (mine(1), mine(2));
    let bobs = block_on(
        w.app
            .create_share(&user("bob"), request(&["docs/reports"], |_| {})),
    )
    .unwrap()
    .share;
    let missing = ShareId(99_999);
    let out = block_on(
        w.app
            .expire_shares(&user("ana"), vec![a.id, bobs.id, missing, a.id]),
    )
    .unwrap();
    assert_eq!(out.len(), 3, "a repeated id is done once");
    assert!(out[0].result.is_ok());
    assert!(matches!(out[1].result, Err(ServiceError::ShareNotFound)));
    assert!(matches!(out[2].result, Err(ServiceError::ShareNotFound)));
    let now = w.mem.clock.now();
    let state = |id| {
        block_on(w.app.get_share(&user("root"), id))
            .unwrap()
            .state(now)
    };
    assert_eq!(state(a.id), ShareState::Expired);
    assert_eq!(state(bobs.id), ShareState::Active);
    let out = block_on(w.app.revoke_shares(&user("ana"), vec![b.id, bobs.id, a.id])).unwrap();
    let ok: Vec<bool> = out.iter().map(|o| o.result.is_ok()).collect();
    assert_eq!(ok, [true, false, true]);
    assert!(block_on(w.app.get_share(&user("root"), b.id)).is_err());
    assert_eq!(state(bobs.id), ShareState::Active);
    assert!(matches!(
        block_on(
            w.app
                .revoke_shares(&user("ana"), vec![ShareId(1); MAX_BATCH + 1])
        ),
        Err(ServiceError::BatchTooLarge { .. })
    ));
    // An admin may batch anyone's.
    let out = block_on(w.app.revoke_shares(&user("root"), vec![bobs.id])).unwrap();
    assert!(out[0].result.is_ok());
}

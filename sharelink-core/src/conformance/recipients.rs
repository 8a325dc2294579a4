//! Conformance cases of the recipient store ([`RecipientStore`]).
//!
//! Run with [`crate::repository_conformance!`].

use super::repository::*;
use crate::ports::repository::*;
use crate::*;
use time::Duration;

/// Recipients are stored, found by code, listed; the first browser binds; a new code
/// replaces the old and clears the binding.
pub async fn recipients((repo, _): Stores) {
    let s = insert(repo.as_ref(), "reckey001", "ana", "recipients", T0).await;
    let r = repo
        .add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("Rita@Example.com").expect("valid"),
            company: Some("ACME".into()),
            note: Some("buyer".into()),
            link_code: "code-one".into(),
            sent_at: Some(T0),
        })
        .await
        .expect("add");
    assert_eq!(r.company.as_deref(), Some("ACME"));
    assert_eq!(
        repo.list_recipients(s.id).await.expect("list"),
        vec![r.clone()]
    );
    assert_eq!(
        repo.find_recipient(s.id, "code-one").await.expect("find"),
        Some(r.clone())
    );
    assert_eq!(
        repo.find_recipient(s.id, "code-two").await.expect("find"),
        None
    );
    let b1 = BrowserId::parse("browser-1").expect("valid");
    let b2 = BrowserId::parse("browser-2").expect("valid");
    assert_eq!(
        repo.bind_recipient_browser(r.id, &b1)
            .await
            .expect("bind")
            .bound_browser,
        Some(b1.clone())
    );
    assert_eq!(
        repo.bind_recipient_browser(r.id, &b2)
            .await
            .expect("bind")
            .bound_browser,
        Some(b1)
    );
    repo.replace_link_code(r.id, "code-two", T0 + Duration::hours(1))
        .await
        .expect("replace");
    assert_eq!(
        repo.find_recipient(s.id, "code-one").await.expect("find"),
        None
    );
    let fresh = repo
        .find_recipient(s.id, "code-two")
        .await
        .expect("find")
        .expect("present");
    assert_eq!(fresh.bound_browser, None);
    assert_eq!(fresh.sent_at, Some(T0 + Duration::hours(1)));
    assert!(matches!(
        repo.bind_recipient_browser(RecipientId(r.id.0 + 999), &b2)
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// Active shares holding an item for a recipient email are found (one-active rule).
pub async fn active_recipient_shares((repo, _): Stores) {
    let active = insert(repo.as_ref(), "actkey001", "ana", "active", T0).await;
    let expired = insert(repo.as_ref(), "actkey002", "ana", "expired", T0).await;
    let mut ex = expired.clone();
    ex.settings.schedule.expires_at = Some(T0 + Duration::hours(1));
    repo.update_share(&ex).await.expect("update");
    for s in [&active, &expired] {
        repo.add_recipient(NewRecipient {
            share_id: s.id,
            email: Email::parse("rita@example.com").expect("valid"),
            company: None,
            note: None,
            link_code: format!("c{}", s.id),
            sent_at: None,
        })
        .await
        .expect("add");
    }
    let now = T0 + Duration::days(1);
    let email = Email::parse("RITA@example.com").expect("valid");
    assert_eq!(
        repo.active_recipient_shares(&email, &path("docs/reports"), now)
            .await
            .expect("q"),
        vec![active.id]
    );
    assert!(
        repo.active_recipient_shares(&email, &path("docs/other"), now)
            .await
            .expect("q")
            .is_empty()
    );
    let other = Email::parse("zed@example.com").expect("valid");
    assert!(
        repo.active_recipient_shares(&other, &path("docs/reports"), now)
            .await
            .expect("q")
            .is_empty()
    );
}

/// One recipient's revocation, expiry and last access change that recipient only; an
/// inactive recipient no longer counts for the one-active rule.
pub async fn recipient_access((repo, _): Stores) {
    let s = insert(repo.as_ref(), "acckey001", "ana", "access", T0).await;
    let add = |code: &'static str, email: &'static str| {
        let repo = repo.clone();
        async move {
            repo.add_recipient(NewRecipient {
                share_id: s.id,
                email: Email::parse(email).expect("valid"),
                company: None,
                note: None,
                link_code: code.into(),
                sent_at: Some(T0),
            })
            .await
            .expect("add")
        }
    };
    let rita = add("code-rita", "rita@example.com").await;
    let sam = add("code-sam", "sam@example.com").await;
    let other = insert(repo.as_ref(), "acckey002", "ana", "other", T0).await;
    assert_eq!(
        repo.get_recipient(s.id, sam.id).await.expect("get"),
        Some(sam.clone())
    );
    assert_eq!(
        repo.get_recipient(other.id, sam.id).await.expect("get"),
        None
    );
    let later = T0 + Duration::hours(2);
    let after = repo
        .set_recipient_access(
            rita.id,
            RecipientAccess {
                revoked_at: Some(later),
                expires_at: Some(later),
            },
        )
        .await
        .expect("set");
    assert_eq!(after.revoked_at, Some(later));
    assert_eq!(after.expires_at, Some(later));
    assert_eq!(after.link_code, "code-rita");
    repo.touch_recipient(sam.id, later).await.expect("touch");
    let listed = repo.list_recipients(s.id).await.expect("list");
    assert_eq!(listed[0], after);
    assert_eq!(listed[1].revoked_at, None);
    assert_eq!(listed[1].expires_at, None);
    assert_eq!(listed[1].last_access_at, Some(later));
    assert_eq!(listed[0].last_access_at, None);
    let now = T0 + Duration::hours(3);
    let rita_email = Email::parse("rita@example.com").expect("valid");
    assert!(
        repo.active_recipient_shares(&rita_email, &path("docs/reports"), now)
            .await
            .expect("q")
            .is_empty()
    );
    assert_eq!(
        repo.active_recipient_shares(&sam.email, &path("docs/reports"), now)
            .await
            .expect("q"),
        vec![s.id]
    );
    let cleared = repo
        .set_recipient_access(rita.id, RecipientAccess::default())
        .await
        .expect("clear");
    assert_eq!(cleared.revoked_at, None);
    assert_eq!(cleared.state(now), RecipientState::Active);
    assert!(matches!(
        repo.set_recipient_access(RecipientId(sam.id.0 + 999), RecipientAccess::default())
            .await,
        Err(RepoError::NotFound(_))
    ));
    assert!(matches!(
        repo.touch_recipient(RecipientId(sam.id.0 + 999), later)
            .await,
        Err(RepoError::NotFound(_))
    ));
}

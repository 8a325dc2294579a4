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

//! Conformance cases of the visitor store ([`VisitorStore`]): sessions, codes, attempt
//! counters, registrations.
//!
//! Run with [`crate::repository_conformance!`].

use super::repository::*;
use crate::model::form::{Answer, Registration};
use crate::ports::repository::*;
use crate::*;
use futures::future::join_all;
use std::sync::Arc;
use time::Duration;
use time::macros::datetime;

/// Registrations are stored with their answers and listed oldest first.
pub async fn registrations((repo, _): Stores) {
    let s = insert(repo.as_ref(), "regkey001", "ana", "reg", T0).await;
    let reg = Registration {
        name: Some("Rita <script>".into()),
        email: Some(Email::parse("rita@example.com").expect("valid")),
        answers: vec![Answer {
            label: "Why".into(),
            value: "line 1\nline 2 ✓".into(),
        }],
        form_digest: Some(RegistrationForm::Default.digest()),
    };
    let ip = Some("2001:db8::1".parse().expect("valid"));
    let id1 = repo
        .add_registration(s.id, &reg, T0, ip)
        .await
        .expect("add");
    let id2 = repo
        .add_registration(s.id, &reg, T0 + Duration::seconds(1), None)
        .await
        .expect("add");
    assert_ne!(id1, id2);
    let list = repo.list_registrations(s.id).await.expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, id1);
    assert_eq!(list[0].registration, reg);
    assert_eq!(list[0].ip, ip);
    assert!(matches!(
        repo.add_registration(ShareId(s.id.0 + 999), &reg, T0, None)
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// Sessions round-trip and their gates can be updated.
pub async fn sessions((repo, _): Stores) {
    let s = insert(repo.as_ref(), "seskey001", "ana", "sessions", T0).await;
    let mut sess = session("session-token-1", s.id);
    repo.insert_session(&sess).await.expect("insert");
    assert_eq!(
        repo.get_session(&sess.id).await.expect("get"),
        Some(sess.clone())
    );
    sess.password_passed = true;
    sess.verified_email = Some(Email::parse("v@example.com").expect("valid"));
    sess.registration = Some(RegistrationId(5));
    sess.clickwrap_accepted = true;
    sess.recipient = Some(RecipientId(3));
    sess.org_user = Some(user("member"));
    sess.device = Some(DeviceId::parse("dev").expect("valid"));
    repo.update_session(&sess).await.expect("update");
    assert_eq!(
        repo.get_session(&sess.id).await.expect("get"),
        Some(sess.clone())
    );
    assert_eq!(
        repo.get_session(&SessionId::parse("other").expect("valid"))
            .await
            .expect("get"),
        None
    );
    let ghost = session("ghost", s.id);
    assert!(matches!(
        repo.update_session(&ghost).await,
        Err(RepoError::NotFound(_))
    ));
    assert!(matches!(
        repo.insert_session(&session("x", ShareId(s.id.0 + 999)))
            .await,
        Err(RepoError::NotFound(_))
    ));
}

/// One-time codes: right code once, wrong guesses spend attempts, expiry, replacement.
pub async fn one_time_codes((repo, _): Stores) {
    let s = insert(repo.as_ref(), "codekey01", "ana", "codes", T0).await;
    let sess = session("code-session", s.id);
    repo.insert_session(&sess).await.expect("session");
    let email = Email::parse("v@example.com").expect("valid");
    let code = |c: &str, attempts: u32| OneTimeCode {
        share_id: s.id,
        session_id: sess.id.clone(),
        email: email.clone(),
        code: c.into(),
        expires_at: T0 + Duration::minutes(10),
        attempts_left: attempts,
    };
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Missing
    );
    repo.put_code(&code("123456", 2)).await.expect("put");
    assert_eq!(
        repo.check_code(&sess.id, "000000", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 1 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Valid(email.clone())
    );
    assert_eq!(
        repo.check_code(&sess.id, "123456", T0)
            .await
            .expect("check"),
        CodeCheck::Missing
    );
    repo.put_code(&code("222222", 1)).await.expect("put");
    assert_eq!(
        repo.check_code(&sess.id, "000000", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 0 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "222222", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 0 },
        "burnt"
    );
    repo.put_code(&code("333333", 5)).await.expect("put");
    repo.put_code(&code("444444", 5)).await.expect("replace");
    assert_eq!(
        repo.check_code(&sess.id, "333333", T0)
            .await
            .expect("check"),
        CodeCheck::Wrong { attempts_left: 4 }
    );
    assert_eq!(
        repo.check_code(&sess.id, "444444", T0 + Duration::minutes(10))
            .await
            .expect("check"),
        CodeCheck::Expired
    );
    // concurrent guesses of the right code succeed at most once
    repo.put_code(&code("555555", 5)).await.expect("put");
    let results = join_all((0..8).map(|_| {
        let repo = Arc::clone(&repo);
        let id = sess.id.clone();
        async move { repo.check_code(&id, "555555", T0).await.expect("check") }
    }))
    .await;
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, CodeCheck::Valid(_)))
            .count(),
        1
    );
}

/// Attempt counters count within a fixed window, per key, and restart after it.
pub async fn attempt_counters((repo, _): Stores) {
    let s = insert(repo.as_ref(), "attkey001", "ana", "attempts", T0).await;
    let window = Duration::minutes(15);
    let client = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: Some("192.0.2.1".into()),
    };
    let all = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: None,
    };
    let now = datetime!(2026-03-01 12:01 UTC);
    assert_eq!(
        repo.attempts(&client, now, window).await.expect("attempts"),
        0
    );
    let results = join_all((0..10).map(|_| {
        let repo = Arc::clone(&repo);
        let k = client.clone();
        async move { repo.hit_attempt(&k, now, window).await.expect("hit") }
    }))
    .await;
    let mut sorted = results.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=10).collect::<Vec<_>>());
    assert_eq!(repo.hit_attempt(&all, now, window).await.expect("hit"), 1);
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(5), window)
            .await
            .expect("attempts"),
        10
    );
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(20), window)
            .await
            .expect("attempts"),
        0
    );
    assert_eq!(
        repo.hit_attempt(&client, now + Duration::minutes(20), window)
            .await
            .expect("hit"),
        1
    );
    repo.clear_attempts(&client).await.expect("clear");
    assert_eq!(
        repo.attempts(&client, now + Duration::minutes(20), window)
            .await
            .expect("attempts"),
        0
    );
    assert_eq!(repo.attempts(&all, now, window).await.expect("attempts"), 1);
}

/// Released attempts: concurrent releases each take back one hit, never below zero, and
/// only within the window the hits were counted in.
pub async fn attempt_release((repo, _): Stores) {
    let s = insert(repo.as_ref(), "attrel001", "ana", "release", T0).await;
    let window = Duration::minutes(15);
    let key = AttemptKey {
        share_id: s.id,
        scope: "password",
        client: None,
    };
    let other = AttemptKey {
        share_id: s.id,
        scope: "code",
        client: None,
    };
    let now = datetime!(2026-03-01 12:01 UTC);
    // Releasing a counter that does not exist is harmless.
    repo.release_attempt(&key, now, window)
        .await
        .expect("release");
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 0);
    for _ in 0..6 {
        repo.hit_attempt(&key, now, window).await.expect("hit");
    }
    repo.hit_attempt(&other, now, window).await.expect("hit");
    join_all((0..4).map(|_| {
        let repo = Arc::clone(&repo);
        let k = key.clone();
        async move {
            repo.release_attempt(&k, now, window)
                .await
                .expect("release")
        }
    }))
    .await;
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 2);
    assert_eq!(
        repo.attempts(&other, now, window).await.expect("attempts"),
        1
    );
    for _ in 0..5 {
        repo.release_attempt(&key, now, window)
            .await
            .expect("release");
    }
    assert_eq!(repo.attempts(&key, now, window).await.expect("attempts"), 0);
    assert_eq!(repo.hit_attempt(&key, now, window).await.expect("hit"), 1);
    // A release in a later window leaves nothing negative behind and does not touch the
    // new window's count.
    let later = now + Duration::minutes(20);
    repo.release_attempt(&key, later, window)
        .await
        .expect("release");
    assert_eq!(repo.hit_attempt(&key, later, window).await.expect("hit"), 1);
}

//! The mail queue through the management API and the worker the HTTP crate runs.

use super::*;
use sharelink_core::service::NewRecipientInput;

/// A world whose mail goes through an in-memory queue.
async fn queued_world() -> (World, sharelink_core::memory::InMemory) {
    let base = fixtures::World::new();
    let ports = base
        .mem
        .ports()
        .with_mail_queue(base.mem.mail_queue.clone());
    let app = Sharelink::new(ports, Config::new(fixtures::LINK_BASE)).unwrap();
    let state = SharelinkState::new(
        app.clone(),
        Arc::new(HeaderAuth),
        HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        },
    );
    let w = World {
        app,
        router: sharelink_http::router(state),
        files: base.mem.files.clone(),
        mailer: base.mem.mailer.clone(),
    };
    (w, base.mem)
}

async fn invite(w: &World, share: &Share, to: &str) {
    let out = w
        .app
        .share_by_email(
            &user("ana"),
            share.id,
            vec![NewRecipientInput {
                email: Email::parse(to).unwrap(),
                company: None,
                note: None,
            }],
            None,
        )
        .await
        .unwrap();
    assert!(out[0].result.is_ok());
}

fn json(r: &impl std::ops::Deref<Target = [u8]>) -> serde_json::Value {
    serde_json::from_slice(r).unwrap()
}

#[tokio::test]
async fn owners_and_admins_see_dead_letters_and_retry_them() {
    let (w, _mem) = queued_world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    let rita = Email::parse("rita@ext.example").unwrap();
    w.mailer.refuse(&rita);
    invite(&w, &share, "rita@ext.example").await;
    assert_eq!(w.app.deliver_mail(10).await.unwrap().dead, 1);

    let mine = api(&w, Method::GET, "/api/mail?state=dead", Some("ana"), None).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text());
    let body = json(&mine.body);
    let mail = body["mail"].as_array().unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["kind"], "invitation");
    assert_eq!(mail[0]["to"], "rita@ext.example");
    assert_eq!(mail[0]["state"], "dead");
    assert_eq!(mail[0]["attempts"], 1);
    assert!(mail[0]["last_error"].as_str().unwrap().contains("refused"));
    assert!(
        !mine.text().contains(fixtures::LINK_BASE),
        "the listing never shows the link: {}",
        mine.text()
    );
    let id = mail[0]["id"].as_i64().unwrap();

    let bobs = api(&w, Method::GET, "/api/mail", Some("bob"), None).await;
    assert_eq!(json(&bobs.body)["mail"].as_array().unwrap().len(), 0);
    let roots = api(&w, Method::GET, "/api/mail?state=dead", Some("root"), None).await;
    assert_eq!(json(&roots.body)["mail"].as_array().unwrap().len(), 1);
    let pending = api(
        &w,
        Method::GET,
        "/api/mail?state=pending",
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(json(&pending.body)["mail"].as_array().unwrap().len(), 0);
    let bad = api(&w, Method::GET, "/api/mail?state=lost", Some("ana"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let anonymous = api(&w, Method::GET, "/api/mail", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let retry = format!("/api/mail/{id}/retry");
    let not_bobs = api(&w, Method::POST, &retry, Some("bob"), None).await;
    assert_eq!(not_bobs.status, StatusCode::NOT_FOUND);
    let again = api(&w, Method::POST, &retry, Some("ana"), None).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(json(&again.body)["state"], "pending");
    let twice = api(&w, Method::POST, &retry, Some("ana"), None).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let unknown = api(
        &w,
        Method::POST,
        "/api/mail/999999/retry",
        Some("root"),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let doc = json(
        &api(&w, Method::GET, "/api/openapi.json", None, None)
            .await
            .body,
    );
    assert!(doc["paths"]["/api/mail"]["get"].is_object());
    assert!(doc["paths"]["/api/mail/{id}/retry"]["post"].is_object());
}

#[tokio::test]
async fn the_spawned_worker_delivers_queued_mail() {
    let (w, _mem) = queued_world().await;
    let share = w.share(&["docs/reports"], |_| {}).await;
    invite(&w, &share, "rita@ext.example").await;
    let rita = Email::parse("rita@ext.example").unwrap();
    assert!(w.mailer.sent_to(&rita).is_empty());
    let worker =
        sharelink_http::spawn_mail_worker(w.app.clone(), std::time::Duration::from_millis(10));
    for _ in 0..500 {
        if !w.mailer.sent_to(&rita).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    worker.abort();
    assert_eq!(w.mailer.sent_to(&rita).len(), 1);
}

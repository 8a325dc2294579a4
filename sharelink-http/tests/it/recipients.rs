//! Per-recipient control and batch revoke/expire through the management API, and what a
//! recipient's browser then gets.

use super::*;
use serde_json::{Value, json};

const RITA: &str = "rita@ext.example";
const SAM: &str = "sam@ext.example";

fn body(a: &Answer) -> Value {
    serde_json::from_slice(&a.body).unwrap_or(Value::Null)
}

/// The code in the last link mailed to `to`.
fn last_code(w: &World, to: &str) -> String {
    let sent = w.mailer.sent_to(&Email::parse(to).unwrap());
    match &sent.last().expect("a mail").0.message {
        MailMessage::Invitation { link, .. } | MailMessage::LinkResent { link, .. } => {
            link.0.rsplit_once("?r=").unwrap().1.to_owned()
        }
        other => panic!("{other:?}"),
    }
}

/// An emailed-only share sent to Rita and Sam over the API; the recipients' ids.
async fn sent(w: &World) -> (Share, Vec<i64>) {
    let share = w
        .share(&["docs/reports"], |s| s.access = AccessControl::EmailedOnly)
        .await;
    let out = api(
        w,
        Method::POST,
        &format!("/api/shares/{}/email", share.id.0),
        Some("ana"),
        Some(json!({"recipients": [{"email": RITA}, {"email": SAM}]})),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    let ids = body(&out)["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["recipient"]["id"].as_i64().unwrap())
        .collect();
    (share, ids)
}

/// A fresh browser follows a recipient's link and presses the button.
async fn enter(w: &World, share: &Share, code: &str) -> Answer {
    let mut b = Browser::default();
    let page = b
        .get(&w.router, &format!("/s/{}?r={code}", share.key))
        .await;
    if page.status != StatusCode::OK {
        return page;
    }
    let csrf = b.csrf();
    b.post_form(
        &w.router,
        &format!("/s/{}/open", share.key),
        &[("csrf", &csrf), ("r", code)],
    )
    .await
}

fn inside(a: &Answer) -> bool {
    a.status == StatusCode::OK && a.text().contains("reports/")
}

async fn states(w: &World, share: &Share) -> Vec<String> {
    let list = api(
        w,
        Method::GET,
        &format!("/api/shares/{}/recipients", share.id.0),
        Some("ana"),
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    body(&list)["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn revoking_one_recipient_leaves_the_other_link_working() {
    let w = world().await;
    let (share, ids) = sent(&w).await;
    let (rita, sam) = (last_code(&w, RITA), last_code(&w, SAM));
    assert!(inside(&enter(&w, &share, &rita).await));
    let uri = format!("/api/shares/{}/recipients/{}/revoke", share.id.0, ids[0]);
    // Bob may not; he is told the share does not exist.
    let bobs = api(&w, Method::POST, &uri, Some("bob"), None).await;
    assert_eq!(bobs.status, StatusCode::NOT_FOUND);
    assert_eq!(body(&bobs)["error"], "share_not_found");
    let done = api(&w, Method::POST, &uri, Some("ana"), None).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(body(&done)["state"], "revoked");
    assert!(body(&done)["revoked_at"].is_string());
    // Rita's link now answers like a link never issued.
    let unknown = Browser::default().get(&w.router, "/s/nosuchkey1").await;
    let revoked = enter(&w, &share, &rita).await;
    assert_eq!(revoked.status, unknown.status);
    assert_eq!(revoked.status, StatusCode::NOT_FOUND);
    assert!(inside(&enter(&w, &share, &sam).await));
    assert_eq!(states(&w, &share).await, ["revoked", "active"]);
    let missing = format!("/api/shares/{}/recipients/999999/expire", share.id.0);
    let missing = api(&w, Method::POST, &missing, Some("ana"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(body(&missing)["error"], "recipient_not_found");
}

#[tokio::test]
async fn expiring_one_recipient_leaves_the_other_link_working() {
    let w = world().await;
    let (share, ids) = sent(&w).await;
    let (rita, sam) = (last_code(&w, RITA), last_code(&w, SAM));
    let uri = format!("/api/shares/{}/recipients/{}/expire", share.id.0, ids[1]);
    let done = api(&w, Method::POST, &uri, Some("ana"), None).await;
    assert_eq!(body(&done)["state"], "expired", "{}", done.text());
    assert_eq!(enter(&w, &share, &sam).await.status, StatusCode::NOT_FOUND);
    assert!(inside(&enter(&w, &share, &rita).await));
    assert_eq!(states(&w, &share).await, ["active", "expired"]);
}

#[tokio::test]
async fn a_resent_link_works_and_the_old_one_does_not() {
    let w = world().await;
    let (share, ids) = sent(&w).await;
    let old = last_code(&w, RITA);
    assert!(inside(&enter(&w, &share, &old).await));
    let uri = format!("/api/shares/{}/recipients/{}/resend", share.id.0, ids[0]);
    let done = api(
        &w,
        Method::POST,
        &uri,
        Some("ana"),
        Some(json!({"message": "the new link"})),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(body(&done)["state"], "active");
    assert_eq!(body(&done)["bound"], false);
    let fresh = last_code(&w, RITA);
    assert_ne!(fresh, old);
    assert_eq!(w.mailer.sent_to(&Email::parse(RITA).unwrap()).len(), 2);
    assert!(inside(&enter(&w, &share, &fresh).await));
    assert!(!inside(&enter(&w, &share, &old).await));
    // Sam's link was never touched.
    assert!(inside(&enter(&w, &share, &last_code(&w, SAM)).await));
    // An empty body needs the API's request header like any other POST.
    let bare = Request::post(&uri)
        .header("x-user", "ana")
        .body(Body::empty())
        .unwrap();
    let bare = Browser::default().send(&w.router, bare).await;
    assert!(bare.status.is_client_error(), "{}", bare.status);
}

#[tokio::test]
async fn batch_revoke_and_expire_report_each_id_and_hide_foreign_ones() {
    let w = world().await;
    let a = w.share(&["docs/reports"], |_| {}).await;
    let b = w.share(&["docs/reports"], |_| {}).await;
    let bobs = w
        .app
        .create_share(&user("bob"), share_request(&["docs/reports"], |_| {}))
        .await
        .unwrap()
        .share;
    let ids = json!({"ids": [a.id.0, bobs.id.0, 999_999, b.id.0]});
    let expired = api(
        &w,
        Method::POST,
        "/api/shares/batch/expire",
        Some("ana"),
        Some(ids.clone()),
    )
    .await;
    assert_eq!(expired.status, StatusCode::OK, "{}", expired.text());
    let outcomes = |a: &Answer| -> Vec<(i64, bool, String)> {
        body(a)["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["id"].as_i64().unwrap(),
                    o["ok"].as_bool().unwrap(),
                    o["error"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let expected = vec![
        (a.id.0, true, String::new()),
        (bobs.id.0, false, "share_not_found".to_owned()),
        (999_999, false, "share_not_found".to_owned()),
        (b.id.0, true, String::new()),
    ];
    assert_eq!(outcomes(&expired), expected);
    assert_eq!(body(&read(&w, a.id.0).await)["state"], "expired");
    assert_eq!(body(&read(&w, bobs.id.0).await)["state"], "active");
    let revoked = api(
        &w,
        Method::POST,
        "/api/shares/batch/revoke",
        Some("ana"),
        Some(ids),
    )
    .await;
    assert_eq!(outcomes(&revoked), expected);
    assert_eq!(read(&w, a.id.0).await.status, StatusCode::NOT_FOUND);
    assert_eq!(read(&w, bobs.id.0).await.status, StatusCode::OK);
    let too_many = json!({"ids": vec![1; 501]});
    let too_many = api(
        &w,
        Method::POST,
        "/api/shares/batch/revoke",
        Some("ana"),
        Some(too_many),
    )
    .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(&too_many)["error"], "batch_too_large");
}

#[tokio::test]
async fn the_api_document_lists_the_new_routes() {
    let w = world().await;
    let doc = api(&w, Method::GET, "/api/openapi.json", Some("ana"), None).await;
    let doc = body(&doc);
    for p in [
        "/api/shares/{id}/recipients/{recipient}/revoke",
        "/api/shares/{id}/recipients/{recipient}/expire",
        "/api/shares/{id}/recipients/{recipient}/resend",
        "/api/shares/batch/revoke",
        "/api/shares/batch/expire",
    ] {
        assert!(doc["paths"][p]["post"].is_object(), "{p}");
    }
}

async fn read(w: &World, id: i64) -> Answer {
    let uri = format!("/api/shares/{id}");
    api(w, Method::GET, &uri, Some("root"), None).await
}

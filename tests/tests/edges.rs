//! End-to-end edges of the rules over a real socket, on every database: a changed gate
//! applies to visitors already inside, the daily quota counts creations exactly under
//! concurrency (revoking gives nothing back), and the log says who acted.

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;
use sharelink_core::{RegistrationForm, SiteSettings};
use sharelink_tests::{Backend, Stack, on_every_backend};

on_every_backend!(
    a_new_password_shuts_out_visitors_already_inside,
    the_daily_quota_counts_creations_exactly_under_concurrency,
    the_log_says_who_registered,
);

async fn a_new_password_shuts_out_visitors_already_inside(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share_with_password("ana", &["docs/reports"], Some("first secret 1"), |s| {
            s.password = true;
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(gate.status, 401, "{}", gate.text());
    let inside = visitor
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "first secret 1")],
        )
        .await;
    assert_eq!(inside.status, 200, "{}", inside.text());
    let file = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");

    // The owner changes the password (the seeds' way to disable a link).
    let changed = stack
        .api(
            Method::PATCH,
            &format!("/shares/{}", share.id.0),
            Some("ana"),
            Some(json!({"password": {"set": "second secret 2"}})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());

    // The visitor inside must pass the gate again.
    let refused = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert!(!refused.text().contains("alpha"));
    let old = visitor
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "first secret 1")],
        )
        .await;
    assert_eq!(old.status, 401, "the old password no longer opens it");
    let new = visitor
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "second secret 2")],
        )
        .await;
    assert_eq!(new.status, 200, "{}", new.text());
}

async fn the_daily_quota_counts_creations_exactly_under_concurrency(backend: Backend) {
    let stack = Stack::with_site(
        backend,
        SiteSettings {
            shares_per_user_per_day: Some(5),
            ..SiteSettings::default()
        },
    )
    .await;
    let create = |n: usize| {
        stack.api(
            Method::POST,
            "/shares",
            Some("ana"),
            Some(json!({"name": format!("race {n}"), "items": [{"path": "docs/plan.pdf"}]})),
        )
    };
    // 64 at once with 5 slots: exactly 5.
    let replies = join_all((0..64).map(create)).await;
    let made: Vec<i64> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.json()["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(made.len(), 5, "created under concurrency");
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("maximum of 5"), "{}", r.text());
    }
    // Revoking gives nothing back.
    let revoked = stack
        .api(
            Method::DELETE,
            &format!("/shares/{}", made[0]),
            Some("ana"),
            None,
        )
        .await;
    assert!(revoked.status < 300, "{}", revoked.text());
    assert_eq!(create(99).await.status, 422);
}

async fn the_log_says_who_registered(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.registration = Some(RegistrationForm::Default);
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let gate = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(
        gate.json()["error"],
        "registration_required",
        "{}",
        gate.text()
    );
    let registered = visitor
        .post_form(
            &format!("/s/{key}/register"),
            &[
                ("field:Name", "Rita Client"),
                ("field:Email", "rita@client.example"),
            ],
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let file = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");
    let downloads = stack.logged_downloads(&share, 1).await;
    assert_eq!(downloads.len(), 1, "one download logged");
    assert_eq!(
        downloads[0]["email"], "rita@client.example",
        "{downloads:?}"
    );
    // Unique visitors count browsers: the same browser opening a second session (which
    // must register again) is still one visitor.
    let again = visitor.post_form(&format!("/s/{key}/open"), &[]).await;
    assert_eq!(again.status, 403, "{}", again.text());
    let stats = stack.statistics(&share).await;
    assert_eq!(stats["visits"], 2, "{stats}");
    assert_eq!(stats["unique_visitors"], 1, "{stats}");
}

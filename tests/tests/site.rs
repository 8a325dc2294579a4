//! Site settings at runtime over a real socket and a real database: administrators read
//! and change them through `/api/site` (admin only, field-named errors, version conflicts),
//! a change is in effect at once in the process that made it and within the cache bound
//! (1 s) in another process on the same database, and the seed's
//! admin switches (device binding, one active link per recipient and item) and the
//! defaults for new shares take effect once turned on through the API.

use reqwest::Method;
use serde_json::{Value, json};
use sharelink_core::policy::RequestMode;
use sharelink_core::service::Sharelink;
use sharelink_core::service::{OpenRequest, VisitRequest};
use sharelink_core::testing::fixtures::{CountingSiteStore, client, path, share_request};
use sharelink_core::{Action, Denial, UserId};
use sharelink_tests::{Backend, Stack, on_every_backend};
use std::sync::Arc;
use std::time::{Duration, Instant};

on_every_backend!(
    only_admins_read_and_change_site_settings,
    changes_are_checked_and_versioned,
    a_change_is_in_effect_here_at_once_and_in_another_process_within_the_bound,
    switches_and_share_defaults_take_effect,
);

async fn patch(stack: &Stack, version: u64, settings: Value) -> sharelink_tests::Reply {
    stack
        .api(
            Method::PATCH,
            "/site",
            Some("root"),
            Some(json!({"expected_version": version, "settings": settings})),
        )
        .await
}

async fn only_admins_read_and_change_site_settings(backend: Backend) {
    let stack = Stack::start(backend).await;
    for user in [Some("ana"), None] {
        let read = stack.api(Method::GET, "/site", user, None).await;
        let change = stack
            .api(
                Method::PATCH,
                "/site",
                user,
                Some(json!({"expected_version": 0, "settings": {"require_password": true}})),
            )
            .await;
        let expected = if user.is_some() {
            (403, "admin_only")
        } else {
            (401, "unauthenticated")
        };
        for reply in [read, change] {
            assert_eq!(
                (reply.status, reply.json()["error"].as_str().unwrap_or("")),
                expected,
                "{}",
                reply.text()
            );
        }
    }
    let read = stack.api(Method::GET, "/site", Some("root"), None).await;
    assert_eq!(read.status, 200, "{}", read.text());
    let body = read.json();
    assert_eq!(body["version"], 0);
    assert_eq!(body["updated_at"], Value::Null);
    assert_eq!(body["settings"]["require_password"], false);
    // Durations are whole seconds.
    assert_eq!(body["settings"]["default_lifetime"], 30 * 24 * 3600);
    assert_eq!(
        body["settings"]["refused_extensions"],
        json!(["apk", "ipa"])
    );
    // A cross-site form cannot change them: no JSON body, no custom header.
    let forged = reqwest::Client::new()
        .patch(format!("{}/api/site", stack.base))
        .header("x-user", "root")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("expected_version=0")
        .send()
        .await
        .expect("an answer");
    assert_eq!(forged.status().as_u16(), 415);
    assert!(!stack.app.site().await.expect("site").require_password);
}

async fn changes_are_checked_and_versioned(backend: Backend) {
    let stack = Stack::start(backend).await;
    for (settings, field) in [
        (
            json!({"attempts": {"per_client": 0}}),
            "settings.attempts.per_client",
        ),
        (
            json!({"refused_extensions": [".exe"]}),
            "settings.refused_extensions",
        ),
        (json!({"nonsense": 1}), "settings.nonsense"),
        (
            json!({"password_min_len": "ten"}),
            "settings.password_min_len",
        ),
        (
            json!({"min_lifetime": 864000, "max_lifetime": 3600}),
            "settings.min_lifetime",
        ),
    ] {
        let reply = patch(&stack, 0, settings.clone()).await;
        assert_eq!(reply.status, 422, "{settings}: {}", reply.text());
        assert_eq!(reply.json()["error"], "invalid_field", "{}", reply.text());
        assert_eq!(reply.json()["field"], field, "{}", reply.text());
    }
    let saved = patch(
        &stack,
        0,
        json!({"require_password": true, "password_min_len": 14, "shares_per_user_per_day": null}),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let body = saved.json();
    assert_eq!(body["version"], 1);
    assert_eq!(body["updated_by"], "root");
    let at = body["updated_at"].as_str().expect("an instant");
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );
    assert_eq!(body["settings"]["require_password"], true);
    assert_eq!(body["settings"]["shares_per_user_per_day"], Value::Null);
    // Settings not named keep their value.
    assert_eq!(
        body["settings"]["refused_extensions"],
        json!(["apk", "ipa"])
    );
    // A second administrator who read version 0 is refused, and nothing changes.
    let late = patch(&stack, 0, json!({"require_password": false})).await;
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(late.json()["error"], "version_conflict");
    let now = stack
        .api(Method::GET, "/site", Some("root"), None)
        .await
        .json();
    assert_eq!(now["version"], 1);
    assert_eq!(now["settings"]["require_password"], true);
    assert_eq!(now["settings"]["password_min_len"], 14);
}

async fn a_change_is_in_effect_here_at_once_and_in_another_process_within_the_bound(
    backend: Backend,
) {
    let stack = Stack::start(backend).await;
    let bound = stack.app.config().site_cache;
    assert_eq!(bound, Duration::from_secs(1), "the default bound");
    // The other process, its reads of the stored settings counted.
    let other = stack.second_process().await;
    let loads = Arc::new(CountingSiteStore::new(other.ports().site.clone()));
    let other = Sharelink::new(
        other.ports().clone().with_site_store(loads.clone()),
        other.config().clone(),
    )
    .expect("the second application");
    let ana = UserId::parse("ana").expect("an id");
    let before = other
        .create_share(&ana, share_request(&["docs/reports"], |_| {}))
        .await
        .expect("a share");
    assert!(before.generated_password.is_none());
    let c = client("v1");
    let open = |app: sharelink_core::service::Sharelink, key: String| {
        let c = c.clone();
        async move {
            let visit = app
                .open(OpenRequest {
                    key: &key,
                    client: &c,
                    recipient_code: None,
                    access_code: None,
                    mode: RequestMode::Confirmed,
                })
                .await
                .expect("a visit");
            let session = visit.session.expect("a session").id;
            app.download(
                &VisitRequest::new(&key, &session, &c, RequestMode::Confirmed),
                &path("reports/a.txt"),
                None,
                Action::Download,
            )
            .await
            .map(|_| ())
        }
    };
    let key = before.share.key.to_string();
    assert!(open(other.clone(), key.clone()).await.is_ok());
    // A share created, a link opened and a file downloaded: one read of the row.
    assert_eq!(loads.loads(), 1);

    let saved = patch(
        &stack,
        0,
        json!({"require_password": true, "refused_extensions": ["txt"]}),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let saved_at = Instant::now();
    // In effect at once in the process that saved it.
    let here = stack
        .api(
            Method::POST,
            "/shares",
            Some("ana"),
            Some(json!({"name": "Q3", "items": [{"path": "docs/reports"}]})),
        )
        .await;
    assert_eq!(here.status, 201, "{}", here.text());
    assert!(
        here.json()["generated_password"].is_string(),
        "{}",
        here.text()
    );

    // Within the bound in the other: what it read before the save expires by then.
    while !other.site().await.expect("site").require_password {
        assert!(
            saved_at.elapsed() <= bound,
            "still stale after {:?}",
            saved_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The other process creates the next share with a password, and refuses the file type.
    let after = other
        .create_share(&ana, share_request(&["docs/reports"], |_| {}))
        .await
        .expect("a share");
    assert!(after.generated_password.is_some());
    assert!(matches!(
        open(other.clone(), key).await,
        Err(sharelink_core::service::ServiceError::Denied(
            Denial::FileTypeRefused { .. }
        ))
    ));
    // And a change made there is seen here.
    let mut site = other.site().await.expect("site");
    site.refused_extensions.clear();
    other
        .update_site_settings(&UserId::parse("root").expect("an id"), 1, site)
        .await
        .expect("saved by the other process");
    let read = stack
        .api(Method::GET, "/site", Some("root"), None)
        .await
        .json();
    assert_eq!(read["version"], 2);
    assert_eq!(read["settings"]["refused_extensions"], json!([]));
}

async fn switches_and_share_defaults_take_effect(backend: Backend) {
    let stack = Stack::start(backend).await;
    let create = |settings: Value| {
        stack.api(
            Method::POST,
            "/shares",
            Some("ana"),
            Some(json!({"name": "Q3", "items": [{"path": "docs/reports"}], "settings": settings})),
        )
    };
    let bound = create(json!({"device_binding": true})).await;
    assert_eq!(bound.status, 201, "{}", bound.text());
    assert_eq!(bound.json()["effective"]["device_binding"], false);
    let saved = patch(
        &stack,
        0,
        json!({
            "device_binding": true,
            "one_active_share_per_recipient_item": true,
            "share_defaults": {
                "use_limit": {"max": 3, "unit": "download"},
                "clickwrap": {"title": "Terms", "terms": "Keep it private."}
            }
        }),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    let bound = create(json!({"device_binding": true})).await;
    assert_eq!(bound.status, 201, "{}", bound.text());
    let share = bound.json();
    assert_eq!(share["effective"]["device_binding"], true);
    // Left out: the site's defaults; named: the creator's choice.
    assert_eq!(
        share["requested"]["use_limit"],
        json!({"max": 3, "unit": "download"})
    );
    assert_eq!(share["effective"]["clickwrap"]["title"], "Terms");
    let named = create(json!({"use_limit": null})).await.json();
    assert_eq!(named["effective"]["use_limit"], Value::Null);
    assert_eq!(named["effective"]["clickwrap"]["title"], "Terms");

    let rita = json!({"recipients": [{"email": "rita@ext.example"}]});
    let first = share["id"].as_i64().expect("an id");
    let second = named["id"].as_i64().expect("an id");
    let sent = stack
        .api(
            Method::POST,
            &format!("/shares/{first}/email"),
            Some("ana"),
            Some(rita.clone()),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let again = stack
        .api(
            Method::POST,
            &format!("/shares/{second}/email"),
            Some("ana"),
            Some(rita),
        )
        .await;
    assert!(
        again.text().contains("recipient_has_share"),
        "{}: {}",
        again.status,
        again.text()
    );
}

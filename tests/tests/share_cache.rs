//! The per-process share cache (`Config::share_cache`) across two processes on one real
//! database: a settings change, an expiry and a revoke made through one process's
//! management API are in effect on that process at once, and on another process sharing
//! the database within the bound (1 s), even though both had just served the share. A
//! visitor session is kept too, but a gate the visitor passes on one process is honoured
//! at once on the other, which had just refused them at that gate.

use reqwest::Method;
use serde_json::json;
use sharelink_core::policy::RequestMode;
use sharelink_core::service::{OpenRequest, ServiceError, Sharelink, VisitRequest};
use sharelink_core::testing::fixtures::{client, path};
use sharelink_core::{Action, SessionId};
use sharelink_tests::{Backend, Stack, on_every_backend};
use std::time::{Duration, Instant};

on_every_backend!(changes_are_in_effect_here_at_once_and_in_another_process_within_the_bound);
on_every_backend!(a_gate_passed_on_one_process_is_honoured_on_the_other_at_once);
on_every_backend!(a_password_given_through_one_server_s_page_opens_the_share_on_the_other);

/// Opens the share `key` on `app` as a new visitor; the visitor's session.
async fn open(app: &Sharelink, key: &str, browser: &str) -> SessionId {
    let c = client(browser);
    let visit = app
        .open(OpenRequest {
            key,
            client: &c,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        })
        .await
        .expect("the link opens");
    visit.session.expect("a session").id
}

/// Downloads `reports/a.txt` of the share `key` on `app` in `session`.
async fn download(
    app: &Sharelink,
    key: &str,
    session: &SessionId,
    browser: &str,
) -> Result<(), ServiceError> {
    let c = client(browser);
    app.download(
        &VisitRequest::new(key, session, &c, RequestMode::Confirmed),
        &path("reports/a.txt"),
        None,
        Action::Download,
    )
    .await
    .map(|_| ())
}

/// One change, made through `stack`'s API by `change`: both processes served the share
/// just before; `stack` refuses at once, `other` within `bound`.
async fn check_change(
    stack: &Stack,
    other: &Sharelink,
    bound: Duration,
    what: &str,
    change: impl AsyncFnOnce(i64) -> sharelink_tests::Reply,
) {
    let share = stack.share("ana", &["docs/reports"], |_| {}).await;
    let key = share.key.to_string();
    let here = open(&stack.app, &key, "here").await;
    let there = open(other, &key, "there").await;
    download(&stack.app, &key, &here, "here")
        .await
        .expect("served here");
    download(other, &key, &there, "there")
        .await
        .expect("served there");

    let reply = change(share.id.0).await;
    assert!(
        reply.status < 300,
        "{what}: {} {}",
        reply.status,
        reply.text()
    );
    let changed_at = Instant::now();
    assert!(
        download(&stack.app, &key, &here, "here").await.is_err(),
        "{what}: still served by the process that made the change"
    );
    while download(other, &key, &there, "there").await.is_ok() {
        assert!(
            changed_at.elapsed() <= bound,
            "{what}: still served by the other process after {:?}",
            changed_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn changes_are_in_effect_here_at_once_and_in_another_process_within_the_bound(
    backend: Backend,
) {
    let stack = Stack::start(backend).await;
    let bound = stack.app.config().share_cache;
    assert_eq!(bound, Duration::from_secs(1), "the default bound");
    let other = stack.second_process().await;

    check_change(&stack, &other, bound, "a password set", async |id| {
        stack
            .api(
                Method::PATCH,
                &format!("/shares/{id}"),
                Some("ana"),
                Some(json!({ "password": { "set": "a new secret phrase" } })),
            )
            .await
    })
    .await;
    check_change(&stack, &other, bound, "an expiry", async |id| {
        stack
            .api(
                Method::POST,
                &format!("/shares/{id}/expire"),
                Some("ana"),
                None,
            )
            .await
    })
    .await;
    check_change(&stack, &other, bound, "a revoke", async |id| {
        stack
            .api(Method::DELETE, &format!("/shares/{id}"), Some("ana"), None)
            .await
    })
    .await;
}

async fn a_gate_passed_on_one_process_is_honoured_on_the_other_at_once(backend: Backend) {
    let stack = Stack::start(backend).await;
    let other = stack.second_process().await;
    let share = stack
        .share_with_password(
            "ana",
            &["docs/reports"],
            Some("a long secret phrase"),
            |_| {},
        )
        .await;
    let key = share.key.to_string();
    // The visitor opens the link here: this process now holds their session, at the gate.
    let session = open(&stack.app, &key, "b").await;
    assert!(
        download(&stack.app, &key, &session, "b").await.is_err(),
        "refused before the password"
    );
    // The password goes to the other process (a load balancer's choice)...
    let c = client("b");
    other
        .submit_password(
            &VisitRequest::new(&key, &session, &c, RequestMode::Confirmed),
            "a long secret phrase",
        )
        .await
        .expect("the password is taken");
    // ...and the next request, here, is served: a session at a gate is read afresh.
    download(&stack.app, &key, &session, "b")
        .await
        .expect("served here at once after the password was given there");
    download(&other, &key, &session, "b")
        .await
        .expect("served there");
}

/// The same, as a person meets it behind a load balancer: the page of one server asks for
/// the password (that server now holds the session, at the gate), the page's form is
/// posted to the other server, and the next request, back on the first, is served.
async fn a_password_given_through_one_server_s_page_opens_the_share_on_the_other(backend: Backend) {
    let stack = Stack::start(backend).await;
    let other = stack.second_server().await;
    let share = stack
        .share_with_password(
            "ana",
            &["docs/reports"],
            Some("a long secret phrase"),
            |_| {},
        )
        .await;
    let key = share.key.to_string();
    let mut browser = stack.html_visitor();
    // A browser's first fetch goes round once for its cookie; then the password page.
    let mut page = browser.get(&format!("/s/{key}")).await;
    if page.status == 303 {
        page = browser.get(&format!("/s/{key}")).await;
    }
    assert_eq!(page.status, 401, "{}", page.text());
    assert!(page.text().contains("name=\"password\""), "{}", page.text());
    let refused = browser
        .post_form(&format!("/s/{key}/password"), &[("password", "not it")])
        .await;
    assert_eq!(refused.status, 401, "a wrong password: {}", refused.text());
    assert!(browser.has_session(), "the refusal opened the session here");
    let file = format!("/s/{key}/dl/reports/a.txt");
    assert_eq!(browser.get(&file).await.status, 401, "refused before");

    browser.switch_to(&other);
    let passed = browser
        .post_form(
            &format!("/s/{key}/password"),
            &[("password", "a long secret phrase")],
        )
        .await;
    assert!(
        passed.status < 400,
        "the password, there: {} {}",
        passed.status,
        passed.text()
    );

    browser.switch_to(&stack.base);
    let served = browser.get(&file).await;
    assert_eq!(served.status, 200, "served here at once: {}", served.text());
    assert_eq!(&served.body[..], b"alpha");
}

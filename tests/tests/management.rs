//! End-to-end management over a real socket: revoke (the key then answers exactly like an
//! unknown one), revoke all, who sees which shares, and the download notification mail
//! read back from the SMTP server.

use reqwest::Method;
use serde_json::Value;
use sharelink_tests::{Backend, Reply, Stack, on_every_backend, random_tag, smtp_configured};

on_every_backend!(
    revoked_key_answers_exactly_like_an_unknown_key,
    revoke_all_removes_only_the_callers_shares,
    admin_sees_every_share_and_users_their_own,
    download_notification_mail_reaches_the_owner,
);

/// What a client can observe of an answer to a request for `key`, apart from the date;
/// the key itself (echoed in a link back to the share) reads `KEY`.
fn observable(reply: &Reply, key: &str) -> (u16, String, String, usize) {
    (
        reply.status,
        reply.header("content-type").to_owned(),
        reply.text().replace(key, "KEY"),
        reply.headers.get_all("set-cookie").iter().count(),
    )
}

fn ids(list: &Reply) -> Vec<i64> {
    let mut out: Vec<i64> = list.json()["shares"]
        .as_array()
        .unwrap_or_else(|| panic!("no shares: {}", list.text()))
        .iter()
        .map(|s| s["id"].as_i64().expect("an id"))
        .collect();
    out.sort_unstable();
    out
}

async fn revoked_key_answers_exactly_like_an_unknown_key(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack.share("ana", &["docs/reports"], |_| {}).await;
    let key = share.key.to_string();
    let mut holder = stack.visitor();
    assert_eq!(holder.get(&format!("/s/{key}")).await.status, 200);

    let revoked = stack
        .api(
            Method::DELETE,
            &format!("/shares/{}", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text());

    // An unknown key of the same shape.
    let unknown: String = random_tag().chars().chain(random_tag().chars()).collect();
    let unknown = &unknown[..key.len().min(unknown.len())];
    for json in [true, false] {
        let mut a = if json {
            stack.visitor()
        } else {
            stack.html_visitor()
        };
        let mut b = if json {
            stack.visitor()
        } else {
            stack.html_visitor()
        };
        let gone = a.get(&format!("/s/{key}")).await;
        let never = b.get(&format!("/s/{unknown}")).await;
        assert_eq!(gone.status, 404, "{}", gone.text());
        assert_eq!(
            observable(&gone, &key),
            observable(&never, unknown),
            "json: {json}"
        );
        let gone = a.get(&format!("/s/{key}/dl/reports/a.txt")).await;
        let never = b.get(&format!("/s/{unknown}/dl/reports/a.txt")).await;
        assert_eq!(
            observable(&gone, &key),
            observable(&never, unknown),
            "json: {json}"
        );
    }
    // A browser that had a session is refused like one holding a session cookie for the
    // unknown key (as a forger would).
    let mut forger = stack.visitor();
    forger.set_cookie(
        &format!("sl_s_{unknown}"),
        &format!("{}{}{}", random_tag(), random_tag(), random_tag()),
    );
    forger.set_cookie("sl_b", &format!("{}{}", random_tag(), random_tag()));
    for path in ["", "/dl/reports/a.txt", "?p=reports"] {
        let stale = holder.get(&format!("/s/{key}{path}")).await;
        let never = forger.get(&format!("/s/{unknown}{path}")).await;
        assert_eq!(stale.status, 404, "{path}: {}", stale.text());
        assert_eq!(
            observable(&stale, &key),
            observable(&never, unknown),
            "{path}"
        );
    }

    // The management API forgets it too.
    let read = stack
        .api(
            Method::GET,
            &format!("/shares/{}", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(read.status, 404, "{}", read.text());
    let log = stack
        .api(
            Method::GET,
            &format!("/shares/{}/log", share.id.0),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(log.status, 404, "revoke deletes the log: {}", log.text());
}

async fn revoke_all_removes_only_the_callers_shares(backend: Backend) {
    let stack = Stack::start(backend).await;
    let mut mine = Vec::new();
    for item in ["docs/reports", "docs/plan.pdf", "docs/reports/a.txt"] {
        mine.push(stack.share("ana", &[item], |_| {}).await);
    }
    let theirs = stack.share("bob", &["team/notes.txt"], |_| {}).await;

    let all = stack
        .api(Method::POST, "/shares/revoke-all", Some("ana"), None)
        .await;
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(all.json()["revoked"], 3);

    for share in &mine {
        let page = stack.visitor().get(&format!("/s/{}", share.key)).await;
        assert_eq!(page.status, 404, "{}", page.text());
    }
    let list = stack.api(Method::GET, "/shares", Some("ana"), None).await;
    assert_eq!(ids(&list), Vec::<i64>::new());
    let mut visitor = stack.visitor();
    assert_eq!(
        visitor.get(&format!("/s/{}", theirs.key)).await.status,
        200,
        "bob's share is untouched"
    );
    let file = visitor
        .get(&format!("/s/{}/dl/notes.txt", theirs.key))
        .await;
    assert_eq!(&file.body[..], b"notes");
}

async fn admin_sees_every_share_and_users_their_own(backend: Backend) {
    let stack = Stack::start(backend).await;
    let a1 = stack.share("ana", &["docs/reports"], |_| {}).await;
    let a2 = stack.share("ana", &["docs/plan.pdf"], |_| {}).await;
    let b1 = stack.share("bob", &["team/notes.txt"], |_| {}).await;

    let anonymous = stack.api(Method::GET, "/shares", None, None).await;
    assert_eq!(anonymous.status, 401);
    let ana = stack.api(Method::GET, "/shares", Some("ana"), None).await;
    assert_eq!(ids(&ana), [a1.id.0, a2.id.0]);
    assert!(
        ana.json()["shares"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["owner"] == "ana")
    );
    let bob = stack.api(Method::GET, "/shares", Some("bob"), None).await;
    assert_eq!(ids(&bob), [b1.id.0]);
    let root = stack.api(Method::GET, "/shares", Some("root"), None).await;
    assert_eq!(ids(&root), [a1.id.0, a2.id.0, b1.id.0]);
    let filtered = stack
        .api(Method::GET, "/shares?owner=bob", Some("root"), None)
        .await;
    assert_eq!(ids(&filtered), [b1.id.0]);

    // One share: its owner and the admin may read it, another user may not.
    let path = format!("/shares/{}", b1.id.0);
    assert_eq!(
        stack
            .api(Method::GET, &path, Some("bob"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        stack
            .api(Method::GET, &path, Some("root"), None)
            .await
            .status,
        200
    );
    let other = stack.api(Method::GET, &path, Some("ana"), None).await;
    assert_eq!(other.status, 404, "{}", other.text());
    let revoke = stack.api(Method::DELETE, &path, Some("ana"), None).await;
    assert_eq!(revoke.status, 404, "{}", revoke.text());
    // The admin can manage it.
    let expired = stack
        .api(Method::POST, &format!("{path}/expire"), Some("root"), None)
        .await;
    assert_eq!(expired.status, 200, "{}", expired.text());
    let v: Value = expired.json();
    assert_eq!(v["state"], "expired");
    assert_eq!(v["owner"], "bob");
}

async fn download_notification_mail_reaches_the_owner(backend: Backend) {
    if !smtp_configured() {
        return;
    }
    let stack = Stack::start(backend).await;
    let mail = stack.mail.clone().expect("MailDev");
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.name = "Board pack".into();
            s.notify_on_download = true;
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    assert!(mail.received_by(&stack.email("ana")).await.is_empty());
    let file = visitor
        .post_form(&format!("/s/{key}/dl/reports/a.txt"), &[])
        .await;
    assert_eq!(file.status, 200, "{}", file.text());

    let owner = stack.email("ana");
    let notice = &mail.wait_for(&owner, 1).await[0];
    assert!(notice.subject.contains("Board pack"), "{notice:?}");
    assert!(notice.subject.contains("downloaded"), "{notice:?}");
    assert!(notice.text.contains("Downloaded:"), "{notice:?}");
    assert!(notice.text.contains("127.0.0.1"), "{notice:?}");
    // Nobody else is told.
    assert!(mail.received_by(&stack.email("bob")).await.is_empty());
}

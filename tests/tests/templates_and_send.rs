//! End-to-end on every backend (issue #17 items 7 and 8): shares that use a saved
//! clickwrap template by reference follow its edits (the page shows the new text, the
//! acceptance of the old text keeps its digest), and upload-and-send: files streamed in
//! one multipart request become a send-mode share mailed to recipients, and a refused
//! file mid-upload leaves nothing behind. The file store is S3 when
//! `SHARELINK_TEST_S3_ENDPOINT` is set.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest;
use sharelink_core::SharePath;
use sharelink_tests::{Backend, Reply, Stack, on_every_backend, random_tag, smtp_configured};

on_every_backend!(
    a_template_edit_reaches_every_share_and_the_page,
    upload_and_send_streams_files_and_mails_the_recipients,
    a_refused_file_mid_upload_leaves_nothing,
);

/// The digest an acceptance of these terms records (`Clickwrap::digest`), computed here
/// independently.
fn digest(title: &str, terms: &str) -> String {
    let hash = sha2::Sha256::digest(format!("{title}\n\n{terms}").as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn terms(text: &str) -> Value {
    json!({"name": "NDA", "body": {"kind": "clickwrap", "clickwrap": {"title": "NDA", "terms": text}}})
}

async fn a_template_edit_reaches_every_share_and_the_page(backend: Backend) {
    let stack = Stack::start(backend).await;
    let saved = stack
        .api(
            Method::POST,
            "/templates",
            Some("ana"),
            Some(terms("Version one.")),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    let template = saved.json()["id"].as_i64().expect("an id");
    let mut shares = Vec::new();
    for name in ["First", "Second"] {
        let created = stack
            .api(
                Method::POST,
                "/shares",
                Some("ana"),
                Some(json!({
                    "name": name,
                    "items": [{"path": "docs/reports"}],
                    "settings": {"clickwrap_template": template},
                })),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let v = created.json();
        assert_eq!(v["effective"]["clickwrap_template"], template);
        assert_eq!(v["effective"]["clickwrap"]["terms"], "Version one.");
        shares.push(v);
    }
    let key = shares[0]["key"].as_str().expect("a key").to_owned();

    // A visitor reads version one on the page and accepts it.
    let mut browser = stack.html_visitor();
    let page = browser.get(&format!("/s/{key}")).await;
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(page.text().contains("Version one."), "{}", page.text());
    let accepted = browser.post_form(&format!("/s/{key}/terms"), &[]).await;
    assert!(accepted.status < 400, "{}", accepted.text());
    assert_eq!(browser.get(&format!("/s/{key}")).await.status, 200);

    // The owner edits the template: both shares show version two.
    let edited = stack
        .api(
            Method::PUT,
            &format!("/templates/{template}"),
            Some("ana"),
            Some(terms("Version two.")),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    for share in &shares {
        let read = stack
            .api(
                Method::GET,
                &format!("/shares/{}", share["id"]),
                Some("ana"),
                None,
            )
            .await;
        let v = read.json();
        assert_eq!(v["effective"]["clickwrap"]["terms"], "Version two.", "{v}");
        assert_eq!(v["requested"]["clickwrap_template"], template);
    }
    let list = stack.api(Method::GET, "/shares", Some("ana"), None).await;
    for s in list.json()["shares"].as_array().expect("shares") {
        assert_eq!(s["effective"]["clickwrap"]["terms"], "Version two.");
    }

    // The same visitor meets the new terms on the page and accepts them again.
    let page = browser.get(&format!("/s/{key}")).await;
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(page.text().contains("Version two."), "{}", page.text());
    assert!(!page.text().contains("Version one."));
    let accepted = browser.post_form(&format!("/s/{key}/terms"), &[]).await;
    assert!(accepted.status < 400, "{}", accepted.text());

    // The log proves which text each acceptance was of.
    let log = stack
        .api(
            Method::GET,
            &format!("/shares/{}/log", shares[0]["id"]),
            Some("ana"),
            None,
        )
        .await;
    let details: Vec<String> = log.json()["events"]
        .as_array()
        .unwrap_or_else(|| panic!("events: {}", log.text()))
        .iter()
        .filter(|e| e["kind"] == "gate_passed")
        .filter_map(|e| e["detail"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        details,
        vec![
            format!("clickwrap {}", digest("NDA", "Version two.")),
            format!("clickwrap {}", digest("NDA", "Version one.")),
        ]
    );

    // A template in use is kept, and the refusal says by how many shares.
    let delete = stack
        .api(
            Method::DELETE,
            &format!("/templates/{template}"),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(delete.status, 409, "{}", delete.text());
    assert_eq!(delete.json()["error"], "template_in_use");
    assert!(delete.text().contains("2 share"), "{}", delete.text());
}

/// A multipart body: the `share` JSON part, then one part per file.
fn send_body(share: &Value, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("e2e{}", random_tag());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"share\"\r\n\
         Content-Type: application/json\r\n\r\n{share}\r\n"
    )
    .into_bytes();
    for (name, data) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(stack: &Stack, content_type: String, body: Vec<u8>, marked: bool) -> Reply {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/shares/upload", stack.base))
        .header("x-user", "ana")
        .header("content-type", content_type)
        .body(body);
    if marked {
        req = req.header("x-sharelink-request", "1");
    }
    Reply::from(req.send().await.expect("the server answers")).await
}

/// 20 MiB that differ from byte to byte, larger than any buffer on the way.
fn big_file() -> Vec<u8> {
    (0..20u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

async fn upload_and_send_streams_files_and_mails_the_recipients(backend: Backend) {
    let stack = Stack::start(backend).await;
    let big = big_file();
    let mail = if smtp_configured() {
        stack.mail.clone()
    } else {
        None
    };
    let (rita, sam) = (stack.email("rita"), stack.email("sam"));
    let recipients = if mail.is_some() {
        json!([{"email": rita.as_str()}, {"email": sam.as_str()}])
    } else {
        json!([])
    };
    let share = json!({
        "name": "Quarterly pack",
        "folder": "docs/drop",
        "settings": {"description": "Sent in one call"},
        "recipients": recipients,
        "message": "Here is the pack.",
    });
    let files: [(&str, &[u8]); 3] = [
        ("summary.txt", b"summary"),
        ("big.bin", &big),
        ("notes\u{200b}.md", b"# notes"),
    ];
    // Without the header a page of any site could send this: refused, nothing stored.
    let (content_type, body) = send_body(&share, &files[..1]);
    let refused = upload(&stack, content_type, body, false).await;
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert!(
        stack
            .files
            .list(&SharePath::parse("docs/drop").unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    let (content_type, body) = send_body(&share, &files);

    let sent = upload(&stack, content_type, body, true).await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let v = sent.json();
    assert_eq!(v["effective"]["mode"], "snapshot");
    assert_eq!(v["effective"]["description"], "Sent in one call");
    let names: Vec<&str> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["alias"].as_str().expect("an alias"))
        .collect();
    // The invisible character is cleaned from the name, as for visitors.
    assert_eq!(names, ["summary.txt", "big.bin", "notes.md"]);
    // The originals are in the owner's folder.
    let kept = stack
        .files
        .list(&SharePath::parse("docs/drop").unwrap())
        .await
        .unwrap();
    assert_eq!(kept.len(), 3);

    // A visitor downloads the big file whole through the link.
    let key = v["key"].as_str().expect("a key");
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    let got = visitor
        .post_form(&format!("/s/{key}/dl/big.bin"), &[])
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.body.len(), big.len());
    assert!(got.body[..] == big[..], "the downloaded bytes differ");

    let Some(mail) = mail else { return };
    let outcomes = v["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 2, "{v}");
    assert!(outcomes.iter().all(|o| o["ok"] == true), "{v}");
    for to in [&rita, &sam] {
        let received = &mail.wait_for(to, 1).await[0];
        assert!(received.subject.contains("Quarterly pack"), "{received:?}");
        assert!(received.text.contains("Here is the pack."), "{received:?}");
        assert!(received.text.contains(&format!("/s/{key}")), "{received:?}");
    }
}

async fn a_refused_file_mid_upload_leaves_nothing(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = json!({"name": "Apps", "folder": "docs/drop"});
    let big = big_file();
    let files: [(&str, &[u8]); 3] = [
        ("big.bin", &big),
        ("app.apk", b"PK not allowed on public links"),
        ("after.txt", b"never stored"),
    ];
    let (content_type, body) = send_body(&share, &files);
    let refused = upload(&stack, content_type, body, true).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        refused.json()["error"],
        "file_type_refused",
        "{}",
        refused.text()
    );
    let left = stack
        .files
        .list(&SharePath::parse("docs/drop").unwrap())
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    let list = stack.api(Method::GET, "/shares", Some("ana"), None).await;
    assert_eq!(list.json()["shares"], json!([]), "{}", list.text());

    // A folder the caller may not upload to is refused before any byte is stored.
    let (content_type, body) = send_body(
        &json!({"name": "Not mine", "folder": "team"}),
        &[("x.txt", b"x")],
    );
    let other = upload(&stack, content_type, body, true).await;
    assert_eq!(other.status, 403, "{}", other.text());
    assert_eq!(other.json()["error"], "no_upload_right");
}

//! Hostile-input corpora against every route that takes a path: traversal payloads
//! (encoded, double-encoded, overlong UTF-8, backslashes, NUL, absolute paths) are refused,
//! nothing outside the share is read, and nothing outside it is written.

use super::*;
use sharelink_core::ports::EntryKind;

/// Traversal payloads, as they would appear in a URL path or query (already encoded).
const ENCODED: &[&str] = &[
    "../secret.txt",
    "..%2fsecret.txt",
    "..%2Fsecret.txt",
    "%2e%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    "%252e%252e%252fsecret.txt",
    "..%5csecret.txt",
    "..\\secret.txt",
    "%c0%ae%c0%ae/secret.txt",
    "%c0%ae%c0%ae%c0%afsecret.txt",
    "reports/../../secret.txt",
    "reports/..%2f..%2fsecret.txt",
    "reports%2f..%2f..%2fsecret.txt",
    "....//secret.txt",
    "..%00/secret.txt",
    "reports/a.txt%00.png",
    "%2fetc%2fpasswd",
    "/docs/secret.txt",
    "reports/./../../other/secret.txt",
    "%u002e%u002e/secret.txt",
    "..%c1%9csecret.txt",
];

/// The same ideas as raw form values (the form encoder encodes them once more).
const RAW: &[&str] = &[
    "../secret.txt",
    "..",
    "../../other/secret.txt",
    "reports/../../secret.txt",
    "..\\secret.txt",
    "reports\\..\\..\\secret.txt",
    "/docs/secret.txt",
    "/etc/passwd",
    "reports/\0/../../secret.txt",
    "%2e%2e/secret.txt",
    "\u{2025}/secret.txt",
    "reports/..\u{0}",
    "C:\\Windows\\win.ini",
    "reports//../../secret.txt",
];

const SECRET: &[u8] = b"TOP-SECRET-CONTENT";

/// Every file in the store, with its content, and every folder (as `path/`, empty).
pub(super) async fn snapshot(files: &MemoryFileStore) -> Vec<(String, Vec<u8>)> {
    use futures::StreamExt;
    let mut out = Vec::new();
    let mut folders = vec![SharePath::root()];
    while let Some(folder) = folders.pop() {
        for e in files.list(&folder).await.unwrap_or_default() {
            match e.kind {
                EntryKind::Folder => {
                    out.push((format!("{}/", e.path), Vec::new()));
                    folders.push(e.path.clone());
                }
                EntryKind::File => {
                    let mut read = files.read(&e.path, None).await.unwrap();
                    let mut data = Vec::new();
                    while let Some(chunk) = read.stream.next().await {
                        data.extend_from_slice(&chunk.unwrap());
                    }
                    out.push((e.path.to_string(), data));
                }
            }
        }
    }
    out.sort();
    out
}

/// Files outside the shared folder `docs/reports`.
fn outside(all: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    all.iter()
        .filter(|(p, _)| !p.starts_with("docs/reports/"))
        .cloned()
        .collect()
}

fn leaks(a: &Answer) -> bool {
    a.body.windows(SECRET.len()).any(|w| w == SECRET)
}

#[tokio::test]
async fn traversal_payloads_are_refused_on_every_path_taking_route() {
    let w = world().await;
    put(&w.files, "docs/secret.txt", SECRET).await;
    put(&w.files, "other/secret.txt", SECRET).await;
    let share = w
        .share(&["docs/reports"], |s| s.allowed = AllowedActions::Full)
        .await;
    let before = outside(&snapshot(&w.files).await);
    assert!(
        before.iter().any(|(p, _)| p == "docs/secret.txt"),
        "the walk must see the secret: {before:?}"
    );
    let mut b = Browser::default();
    let opened = b.get(&w.router, &format!("/s/{}", share.key)).await;
    assert_eq!(opened.status, StatusCode::OK);
    let csrf = b.csrf();
    let base = format!("/s/{}", share.key);
    let mut tried = 0;

    // Reads: download, preview, listing, ZIP.
    for p in ENCODED {
        for uri in [
            format!("{base}/dl/{p}"),
            format!("{base}/preview/{p}"),
            format!("{base}?p={p}"),
        ] {
            let res = b.get(&w.router, &uri).await;
            tried += 1;
            assert!(!leaks(&res), "{uri} leaked the secret");
            assert!(
                res.status.is_client_error() || !res.text().contains("secret.txt"),
                "{uri} answered {} with {}",
                res.status,
                res.text()
            );
        }
    }
    for p in RAW {
        let res = b
            .post_form(
                &w.router,
                &format!("{base}/zip"),
                &[("csrf", &csrf), ("p", p)],
            )
            .await;
        tried += 1;
        assert!(!leaks(&res), "zip of {p:?} leaked the secret");
        let res = b
            .post_form(
                &w.router,
                &format!("{base}/dl/{}", enc(p)),
                &[("csrf", &csrf)],
            )
            .await;
        tried += 1;
        assert!(!leaks(&res), "download of {p:?} leaked the secret");
    }

    // Writes: new folder, rename, move, copy, delete, upload (folder field and file name).
    for p in RAW {
        let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("mkdir", vec![("parent", p), ("name", "x")]),
            ("mkdir", vec![("parent", "reports"), ("name", p)]),
            ("rename", vec![("path", p), ("name", "renamed.txt")]),
            ("rename", vec![("path", "reports/a.txt"), ("name", p)]),
            (
                "move",
                vec![("path", "reports/a.txt"), ("into", p), ("op", "move")],
            ),
            (
                "move",
                vec![("path", "reports/a.txt"), ("into", p), ("op", "copy")],
            ),
            (
                "move",
                vec![("path", p), ("into", "reports"), ("op", "copy")],
            ),
            ("delete", vec![("path", p)]),
        ];
        for (route, fields) in forms {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(fields);
            let res = b
                .post_form(&w.router, &format!("{base}/{route}"), &all)
                .await;
            tried += 1;
            assert!(!leaks(&res), "{route} with {p:?} leaked the secret");
        }
        let boundary = "hostileboundary";
        for (folder, name) in [(*p, "up.txt"), ("reports", *p)] {
            let body = multipart(
                boundary,
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("folder", None, folder.as_bytes()),
                    ("file", Some(name), b"uploaded"),
                ],
            );
            let res = b
                .send(
                    &w.router,
                    Request::post(format!("{base}/upload"))
                        .header(
                            header::CONTENT_TYPE,
                            format!("multipart/form-data; boundary={boundary}"),
                        )
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await;
            tried += 1;
            assert!(!leaks(&res), "upload with {p:?} leaked the secret");
        }
    }

    // Nothing outside the share was changed, created or deleted.
    let after = outside(&snapshot(&w.files).await);
    assert_eq!(before, after, "files outside the share changed");
    assert!(tried > 200, "only {tried} requests were tried");
}

#[tokio::test]
async fn header_injection_in_file_names_is_neutralised() {
    let w = world().await;
    for name in ["evil\r\nSet-Cookie: x=1.txt", "quote\".txt"] {
        // A store path may refuse control characters outright; then there is nothing to
        // inject.
        if SharePath::parse(&format!("docs/reports/{name}")).is_ok() {
            put(&w.files, &format!("docs/reports/{name}"), b"x").await;
        }
    }
    let share = w.share(&["docs/reports"], |_| {}).await;
    let mut b = Browser::default();
    b.get(&w.router, &format!("/s/{}", share.key)).await;
    for name in ["evil\r\nSet-Cookie: x=1.txt", "quote\".txt"] {
        let res = b
            .get(
                &w.router,
                &format!("/s/{}/dl/reports/{}", share.key, enc(name)),
            )
            .await;
        if res.status != StatusCode::OK {
            // Refusing such a name outright is as good as sending it safely (a quote is an
            // ordinary character, though: that file must be served).
            assert!(name.contains('\r'), "{name:?}: {}", res.status);
            continue;
        }
        let d = res.header("content-disposition");
        assert!(!d.contains('\r') && !d.contains('\n'), "{d:?}");
        assert!(res.headers.get("x").is_none());
        assert!(
            res.headers
                .get_all(header::SET_COOKIE)
                .iter()
                .all(|c| !c.to_str().unwrap_or("").starts_with("x=")),
            "a file name set a cookie"
        );
    }
}

/// Script payloads that must arrive as text wherever a content author can write.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "\"><svg onload=alert(3)>",
    "'><iframe src=javascript:alert(4)>",
    "</textarea><script>alert(5)</script>",
    "<a href=\"javascript:alert(6)\">x</a>",
];

/// No payload survives as markup: its `<` always arrives escaped.
fn assert_inert(page: &str, what: &str) {
    for p in XSS {
        assert!(!page.contains(p), "{what}: `{p}` arrived as markup");
    }
    // Escaped text may still spell `onerror=alert` (harmless once `<` and quotes are
    // escaped); what must never appear is a tag or an attribute breaking out of a value.
    for needle in [
        "<script>alert",
        "<img src=x",
        "<svg",
        "<iframe",
        "\"><svg",
        "'><iframe",
        "href=\"javascript",
    ] {
        assert!(!page.contains(needle), "{what}: `{needle}` in {page}");
    }
}

#[tokio::test]
async fn script_in_folder_names_form_labels_and_clickwrap_text_is_inert() {
    let w = world().await;
    for (i, p) in XSS.iter().enumerate() {
        if SharePath::segment(p).is_ok() {
            put(&w.files, &format!("docs/reports/{p}/f{i}.txt"), b"x").await;
        }
    }
    let fields = XSS
        .iter()
        .enumerate()
        .map(|(i, p)| FormField {
            label: format!("{p} {i}"),
            description: Some((*p).to_owned()),
            required: false,
            kind: if i % 2 == 0 {
                FieldKind::ShortAnswer
            } else {
                FieldKind::Dropdown {
                    options: vec![(*p).to_owned(), format!("{p}!")],
                }
            },
        })
        .collect();
    let share = w
        .share(&["docs/reports"], |s| {
            s.name = XSS[0].into();
            s.registration = Some(RegistrationForm::custom(fields).unwrap());
            s.clickwrap = Some(Clickwrap {
                title: XSS[1].into(),
                terms: XSS.join("\n"),
            });
        })
        .await;
    let mut b = Browser::default();
    let url = format!("/s/{}", share.key);
    let form = b.get(&w.router, &url).await;
    assert!(form.text().contains("&lt;script&gt;"), "{}", form.text());
    assert_inert(&form.text(), "registration form");
    let csrf = b.csrf();
    let registered = b
        .post_form(&w.router, &format!("{url}/register"), &[("csrf", &csrf)])
        .await;
    assert!(
        registered.status.is_redirection() || registered.status.is_success(),
        "{}: {}",
        registered.status,
        registered.text()
    );
    let terms = b.get(&w.router, &url).await;
    assert!(terms.text().contains("I accept"), "{}", terms.text());
    assert_inert(&terms.text(), "clickwrap");
    let accepted = b
        .post_form(&w.router, &format!("{url}/terms"), &[("csrf", &csrf)])
        .await;
    assert!(accepted.status.is_redirection(), "{}", accepted.text());
    let listing = b.get(&w.router, &format!("{url}?p=reports")).await;
    assert_eq!(listing.status, StatusCode::OK);
    assert!(
        listing.text().contains("&lt;img src=x"),
        "{}",
        listing.text()
    );
    assert_inert(&listing.text(), "folder listing");
}

//! End-to-end visits over a real socket: live (reference) and snapshot shares (also a
//! snapshot on local disk whose original is rewritten in place), the allowed-action
//! levels, use limits, expiry and reactivation, and the ZIP of all files checked with
//! independent readers.

use reqwest::Method;
use serde_json::{Value, json};
use sharelink_core::{AllowedActions, ShareMode, UseLimit, UseUnit};
use sharelink_tests::{Backend, Stack, on_every_backend};
use time::format_description::well_known::Rfc3339;

on_every_backend!(
    dynamic_share_shows_a_file_added_after_creation,
    preview_only_refuses_downloads,
    drop_box_accepts_uploads_but_cannot_list,
    one_time_link_refuses_a_second_download,
    use_limits_stop_at_their_maximum,
    expired_share_answers_gone_until_reactivated,
    snapshot_keeps_serving_the_copy_after_the_original_changes,
    download_all_zip_passes_independent_readers,
);

/// The names of a JSON listing.
fn names(page: &Value) -> Vec<String> {
    let mut out: Vec<String> = page["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no listing: {page}"))
        .iter()
        .map(|e| e["name"].as_str().expect("a name").to_owned())
        .collect();
    out.sort();
    out
}

async fn dynamic_share_shows_a_file_added_after_creation(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack.share("ana", &["docs/reports"], |_| {}).await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();

    let root = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(root.status, 200, "{}", root.text());
    assert_eq!(names(&root.json()), ["reports"]);
    let before = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert_eq!(names(&before.json()), ["a.txt", "b.txt"]);

    // The embedding application adds a file to the shared folder after the share exists.
    stack.put("docs/reports/c.txt", b"charlie").await;
    let after = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert_eq!(after.status, 200);
    assert_eq!(names(&after.json()), ["a.txt", "b.txt", "c.txt"]);
    let file = visitor.get(&format!("/s/{key}/dl/reports/c.txt")).await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert_eq!(&file.body[..], b"charlie");
    // A fresh visitor sees it too.
    let mut other = stack.visitor();
    other.get(&format!("/s/{key}")).await;
    let listing = other.get(&format!("/s/{key}?p=reports")).await;
    assert!(names(&listing.json()).contains(&"c.txt".to_owned()));
}

async fn preview_only_refuses_downloads(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.allowed = AllowedActions::PreviewOnly;
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let page = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(names(&page.json()), ["a.txt", "b.txt"]);

    let preview = visitor
        .get(&format!("/s/{key}/preview/reports/a.txt"))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    assert_eq!(&preview.body[..], b"alpha");
    assert!(
        !preview
            .header("content-disposition")
            .starts_with("attachment"),
        "a preview is shown inline: {:?}",
        preview.headers
    );

    let get = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(get.status, 403, "{}", get.text());
    assert_eq!(get.json()["error"], "action_not_allowed");
    let confirmed = visitor
        .post_form(&format!("/s/{key}/dl/reports/a.txt"), &[])
        .await;
    assert_eq!(confirmed.status, 403, "{}", confirmed.text());
    assert!(!confirmed.text().contains("alpha"));
    let zip = visitor.post_form(&format!("/s/{key}/zip"), &[]).await;
    assert_eq!(zip.status, 403, "download all is a download too");
}

async fn drop_box_accepts_uploads_but_cannot_list(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/drop"], |s| {
            s.allowed = AllowedActions::Upload
        })
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    let page = visitor.get(&format!("/s/{key}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.json()["entries"].is_null(), "{}", page.text());

    let up = visitor
        .upload(&key, "drop", "report.txt", b"dropped off")
        .await;
    assert_eq!(up.status, 200, "{}", up.text());
    let stored = stack
        .files
        .stat(&sharelink_core::SharePath::parse("docs/drop/report.txt").unwrap())
        .await
        .expect("the upload is in the store");
    assert_eq!(stored.size, 11);

    // The file now exists, yet the drop box lists nothing and serves nothing.
    let inside = visitor.get(&format!("/s/{key}?p=drop")).await;
    assert!(
        inside.status != 200 || inside.json()["entries"].is_null(),
        "{}",
        inside.text()
    );
    assert!(!inside.text().contains("report.txt"));
    let read = visitor.get(&format!("/s/{key}/dl/drop/report.txt")).await;
    assert_eq!(read.status, 403, "{}", read.text());
    let preview = visitor
        .get(&format!("/s/{key}/preview/drop/report.txt"))
        .await;
    assert_eq!(preview.status, 403, "{}", preview.text());
    let zip = visitor.post_form(&format!("/s/{key}/zip"), &[]).await;
    assert_eq!(zip.status, 403, "{}", zip.text());
}

// Counted single-file downloads are served with a Content-Length: the server stops
// polling the body once that many bytes are written, and the use must count all the same
// (a regression once: such downloads were refunded).

async fn one_time_link_refuses_a_second_download(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.use_limit = Some(UseLimit::ONE_TIME);
        })
        .await;
    let key = share.key.to_string();
    let file = format!("/s/{key}/dl/reports/a.txt");
    let zip = format!("/s/{key}/zip");
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    // A plain GET (a link scanner) and a HEAD spend nothing: a download must be confirmed.
    let scanner = visitor.get(&file).await;
    assert_eq!(scanner.status, 409, "{}", scanner.text());
    assert_eq!(scanner.json()["error"], "confirmation_required");
    assert_eq!(visitor.get(&zip).await.status, 409);
    assert_eq!(visitor.head(&file).await.status, 200);
    assert_eq!(stack.uses(&share).await, 0);

    let first = visitor.post_form(&file, &[]).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body.as_ref(), b"alpha");
    stack.wait_for_uses(&share, 1).await;

    let second = visitor.post_form(&file, &[]).await;
    assert_eq!(second.status, 410, "{}", second.text());
    assert_eq!(second.json()["error"], "uses_exhausted");
    let all = visitor.post_form(&zip, &[]).await;
    assert_eq!(all.status, 410, "{}", all.text());
    let mut other = stack.visitor();
    let again = other.get(&format!("/s/{key}")).await;
    assert_eq!(again.status, 410, "{}", again.text());
    assert_eq!(stack.uses(&share).await, 1);
}

async fn use_limits_stop_at_their_maximum(backend: Backend) {
    let stack = Stack::start(backend).await;
    // Downloads: at most two downloads served.
    let downloads = stack
        .share("ana", &["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 2,
                unit: UseUnit::Download,
            });
        })
        .await;
    let key = downloads.key.to_string();
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    // One single file and one ZIP: each is one download.
    let got = visitor
        .post_form(&format!("/s/{key}/dl/reports/a.txt"), &[])
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    stack.wait_for_uses(&downloads, 1).await;
    let got = visitor
        .post_form(&format!("/s/{key}/zip"), &[("p", "reports/b.txt")])
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    stack.wait_for_uses(&downloads, 2).await;
    let third = visitor
        .post_form(&format!("/s/{key}/zip"), &[("p", "reports/a.txt")])
        .await;
    assert_eq!(third.status, 410, "{}", third.text());
    assert_eq!(third.json()["error"], "uses_exhausted");
    let file = visitor
        .post_form(&format!("/s/{key}/dl/reports/a.txt"), &[])
        .await;
    assert_eq!(file.status, 410, "{}", file.text());

    // Visits: two browsers may open the link, a third may not; opening needs a confirm.
    let visits = stack
        .share("ana", &["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 2,
                unit: UseUnit::Visit,
            });
        })
        .await;
    let key = visits.key.to_string();
    for n in 0..2 {
        let mut browser = stack.visitor();
        let probe = browser.get(&format!("/s/{key}")).await;
        assert_eq!(probe.status, 409, "visit {n}: {}", probe.text());
        assert_eq!(probe.json()["error"], "confirmation_required");
        let opened = browser.post_form(&format!("/s/{key}/open"), &[]).await;
        assert_eq!(opened.status, 200, "visit {n}: {}", opened.text());
        assert_eq!(names(&opened.json()), ["reports"]);
    }
    assert_eq!(stack.uses(&visits).await, 2);
    let mut third = stack.visitor();
    let mut refused = third.get(&format!("/s/{key}")).await;
    if refused.status == 409 {
        refused = third.post_form(&format!("/s/{key}/open"), &[]).await;
    }
    assert_eq!(refused.status, 410, "{}", refused.text());
    assert_eq!(refused.json()["error"], "uses_exhausted");
    let list = stack
        .api(Method::GET, "/shares?state=exhausted", Some("ana"), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()["shares"].as_array().map(Vec::len), Some(2));
}

async fn expired_share_answers_gone_until_reactivated(backend: Backend) {
    let stack = Stack::start(backend).await;
    let now = stack.clock_now();
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.schedule.expires_at = Some(now + time::Duration::hours(1));
        })
        .await;
    let key = share.key.to_string();
    let id = share.id.0;
    let mut early = stack.visitor();
    assert_eq!(early.get(&format!("/s/{key}")).await.status, 200);

    stack.clock.advance(time::Duration::hours(2));
    let mut late = stack.visitor();
    let gone = late.get(&format!("/s/{key}")).await;
    assert_eq!(gone.status, 410, "{}", gone.text());
    assert_eq!(gone.json()["error"], "expired");
    let session = early.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(session.status, 410, "an open session expires too");
    let state = stack
        .api(Method::GET, &format!("/shares/{id}"), Some("ana"), None)
        .await;
    assert_eq!(state.json()["state"], "expired", "{}", state.text());

    // A future expiry reactivates it.
    let until = (stack.clock_now() + time::Duration::days(1))
        .format(&Rfc3339)
        .unwrap();
    let back = stack
        .api(
            Method::POST,
            &format!("/shares/{id}/reactivate"),
            Some("ana"),
            Some(json!({ "expires_at": until })),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.text());
    assert_eq!(back.json()["state"], "active");
    let mut again = stack.visitor();
    assert_eq!(again.get(&format!("/s/{key}")).await.status, 200);
    let file = again.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&file.body[..], b"alpha");

    // Expire now (keeps the log), then reactivate once more.
    let expired = stack
        .api(
            Method::POST,
            &format!("/shares/{id}/expire"),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(expired.json()["state"], "expired", "{}", expired.text());
    assert_eq!(stack.visitor().get(&format!("/s/{key}")).await.status, 410);
    let log = stack
        .api(
            Method::GET,
            &format!("/shares/{id}/log?kind=visit"),
            Some("ana"),
            None,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text());
    assert!(
        log.json()["events"]
            .as_array()
            .is_some_and(|e| e.len() >= 2),
        "expiring keeps the log: {}",
        log.text()
    );
    let back = stack
        .api(
            Method::POST,
            &format!("/shares/{id}/reactivate"),
            Some("ana"),
            Some(json!({ "expires_at": until })),
        )
        .await;
    assert_eq!(back.json()["state"], "active", "{}", back.text());
    assert_eq!(stack.visitor().get(&format!("/s/{key}")).await.status, 200);
}

async fn snapshot_keeps_serving_the_copy_after_the_original_changes(backend: Backend) {
    let stack = Stack::start(backend).await;
    let snapshot = stack
        .share("ana", &["docs/reports"], |s| s.mode = ShareMode::Snapshot)
        .await;
    let live = stack.share("ana", &["docs/reports"], |_| {}).await;

    // The original changes after both shares exist.
    stack.put("docs/reports/a.txt", b"changed").await;
    stack
        .files
        .delete(&sharelink_core::SharePath::parse("docs/reports/b.txt").unwrap())
        .await
        .expect("delete the original b.txt");

    let mut visitor = stack.visitor();
    let key = snapshot.key.to_string();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    let listing = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert_eq!(names(&listing.json()), ["a.txt", "b.txt"]);
    let a = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(&a.body[..], b"alpha");
    let b = visitor.get(&format!("/s/{key}/dl/reports/b.txt")).await;
    assert_eq!(&b.body[..], b"bravo");

    // The reference share shows the change.
    let key = live.key.to_string();
    visitor.get(&format!("/s/{key}")).await;
    let listing = visitor.get(&format!("/s/{key}?p=reports")).await;
    assert_eq!(names(&listing.json()), ["a.txt"]);
    let a = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&a.body[..], b"changed");
}

/// A snapshot share over local disk is a copy: another program rewriting the original in
/// place (same inode, `O_TRUNC`, as editors save) does not change what the link serves. A
/// hard-linked "copy" would serve the new bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_on_local_disk_survives_an_in_place_rewrite_of_the_original() {
    let stack = Stack::on_local_disk(Backend::Sqlite).await;
    let folder = stack.local_folder.clone().expect("files on local disk");
    let snapshot = stack
        .share("ana", &["docs/reports", "docs/plan.pdf"], |s| {
            s.mode = ShareMode::Snapshot;
        })
        .await;

    let rewrite = |relative: &str, data: &[u8]| {
        let file = folder.join(relative);
        #[cfg(unix)]
        let inode = |f: &std::path::Path| {
            std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(f).expect("metadata"))
        };
        #[cfg(unix)]
        let before = inode(&file);
        std::fs::write(&file, data).expect("an in-place rewrite");
        #[cfg(unix)]
        assert_eq!(inode(&file), before, "the rewrite keeps the inode");
    };
    rewrite("docs/reports/a.txt", b"rewritten in place");
    rewrite("docs/plan.pdf", b"new plan");

    let mut visitor = stack.visitor();
    let key = snapshot.key.to_string();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    for (path, old) in [("reports/a.txt", &b"alpha"[..]), ("plan.pdf", b"plan")] {
        let file = visitor.get(&format!("/s/{key}/dl/{path}")).await;
        assert_eq!(file.status, 200, "{path}: {}", file.text());
        assert_eq!(&file.body[..], old, "{path}");
    }
    // The original did change, so the check above is not vacuous.
    let live = stack.share("ana", &["docs/reports"], |_| {}).await;
    let key = live.key.to_string();
    visitor.get(&format!("/s/{key}")).await;
    let a = visitor.get(&format!("/s/{key}/dl/reports/a.txt")).await;
    assert_eq!(&a.body[..], b"rewritten in place");
}

/// Runs a program; `None` when it is not installed.
fn run(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("{program}: {e}"),
    }
}

async fn download_all_zip_passes_independent_readers(backend: Backend) {
    let stack = Stack::start(backend).await;
    let share = stack
        .share("ana", &["docs/reports", "docs/plan.pdf"], |_| {})
        .await;
    let key = share.key.to_string();
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{key}")).await.status, 200);
    let zip = visitor.post_form(&format!("/s/{key}/zip"), &[]).await;
    assert_eq!(zip.status, 200, "{}", zip.text());
    assert_eq!(zip.header("content-type"), "application/zip");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.zip");
    std::fs::write(&file, &zip.body).unwrap();
    let file = file.to_str().unwrap();

    // Integrity, by unzip when installed, else by Python's zipfile.
    let tested = run("unzip", &["-t", file])
        .map(|out| ("unzip -t", out))
        .or_else(|| run("python3", &["-m", "zipfile", "-t", file]).map(|o| ("zipfile -t", o)));
    match tested {
        Some((tool, out)) => assert!(
            out.status.success(),
            "{tool} refused the archive: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        None => eprintln!("notice: neither unzip nor python3 is installed; integrity unchecked"),
    }

    // Names and contents, as Python's zipfile reads them.
    let script = "import json, sys, zipfile\n\
z = zipfile.ZipFile(sys.argv[1])\n\
assert z.testzip() is None\n\
print(json.dumps({i.filename: z.read(i).decode() for i in z.infolist() if not i.is_dir()}))";
    match run("python3", &["-c", script, file]) {
        Some(out) => {
            assert!(
                out.status.success(),
                "python zipfile: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let files: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                files,
                json!({
                    "reports/a.txt": "alpha",
                    "reports/b.txt": "bravo",
                    "plan.pdf": "plan",
                })
            );
        }
        None => eprintln!("notice: python3 is not installed; names unchecked"),
    }
}

//! Injected faults, with the real servers behind a [`Cutter`] (a TCP proxy the test cuts
//! and restores, so the shared servers keep running for every other test):
//! - the database goes away mid-run: requests answer 503 with `Retry-After` (once what
//!   the process read in the last `Config::share_cache` is stale), and the service
//!   recovers by itself once it is back (no restart);
//! - the object store goes away during an upload: nothing partial becomes visible;
//! - a download that fails before its first byte does not spend a one-time use.

use sharelink_core::{SharePath, UseLimit, UseUnit};
use sharelink_tests::{Backend, Cutter, Faults, POSTGRES_VAR, S3_ENDPOINT_VAR, Stack};
use std::time::Duration;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_goes_away_and_comes_back() {
    let Some(url) = var(POSTGRES_VAR) else {
        eprintln!("notice: {POSTGRES_VAR} is not set; skipping the database fault test");
        return;
    };
    let faults = Faults {
        database: Some(Cutter::to_url(&url, 5432).await),
        storage: None,
    };
    let stack = Stack::with_faults(Backend::Postgres, &faults).await;
    let share = stack.share("ana", &["docs/reports"], |_| {}).await;
    let page = format!("/s/{}", share.key);
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&page).await.status, 200);

    let cut = faults.database.as_ref().expect("a database cutter");
    cut.cut();
    // What this process read in the last `share_cache` (the share, the visitor's session)
    // still serves that visitor meanwhile; past it, every request needs the database.
    tokio::time::sleep(stack.app.config().share_cache + Duration::from_millis(100)).await;
    let mut html = stack.html_visitor();
    for _ in 0..3 {
        let json = visitor.get(&page).await;
        assert_eq!(json.status, 503, "{}", json.text());
        assert_eq!(json.json()["error"], "unavailable");
        assert_eq!(json.header("retry-after"), "5");
        let page = html.get(&page).await;
        assert_eq!(page.status, 503);
        assert!(page.text().contains("Temporarily unavailable"));
    }
    let api = stack
        .api(reqwest::Method::GET, "/shares", Some("ana"), None)
        .await;
    assert_eq!(api.status, 503, "{}", api.text());

    // Back: the pool reconnects by itself, within a few attempts.
    cut.restore().await;
    let mut status = 0;
    for _ in 0..50 {
        status = visitor.get(&page).await.status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the service did not recover without a restart");
    let mut fresh = stack.visitor();
    assert_eq!(fresh.get(&page).await.status, 200);
}

/// A stack on SQLite whose S3 server is reached through a cutter (returned with it), or
/// `None` (with a notice) when no S3 server is configured.
async fn stack_with_cuttable_storage() -> Option<(Stack, Faults)> {
    let Some(endpoint) = var(S3_ENDPOINT_VAR) else {
        eprintln!("notice: {S3_ENDPOINT_VAR} is not set; skipping this storage fault test");
        return None;
    };
    let faults = Faults {
        database: None,
        storage: Some(Cutter::to_url(&endpoint, 80).await),
    };
    let stack = Stack::with_faults(Backend::Sqlite, &faults).await;
    Some((stack, faults))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failing_during_an_upload_leaves_nothing() {
    let Some((stack, faults)) = stack_with_cuttable_storage().await else {
        return;
    };
    let share = stack
        .share("ana", &["docs/drop"], |s| {
            s.allowed = sharelink_core::AllowedActions::Upload;
        })
        .await;
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{}", share.key)).await.status, 200);
    let cut = faults.storage.as_ref().expect("a storage cutter");

    // A large upload (several multipart parts): the store goes away once 8 MiB of it
    // have reached the S3 server (the first part is stored, the second is in flight).
    let data = vec![7u8; 24 * 1024 * 1024];
    cut.cut_after(8 * 1024 * 1024);
    let reply = visitor
        .upload(share.key.as_str(), "drop", "big.bin", &data)
        .await;
    assert!(cut.is_cut(), "the upload never reached 8 MiB upstream");
    assert!(
        reply.status >= 500,
        "an upload whose storage failed answered {}: {}",
        reply.status,
        reply.text()
    );
    cut.restore().await;
    // Nothing of it is visible: not the file, not a part of it.
    let listing = stack
        .files
        .list(&SharePath::parse("docs/drop").expect("path"))
        .await
        .expect("list");
    assert!(
        listing
            .iter()
            .all(|e| e.path.file_name() != Some("big.bin")),
        "a partial upload is visible: {listing:?}"
    );
    // And the store works again: the same upload now succeeds whole.
    let again = visitor
        .upload(share.key.as_str(), "drop", "big.bin", &data)
        .await;
    assert!(again.status < 400, "{}: {}", again.status, again.text());
    let entry = stack
        .files
        .stat(&SharePath::parse("docs/drop/big.bin").expect("path"))
        .await
        .expect("the complete upload");
    assert_eq!(entry.size, data.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_failing_before_its_first_byte_spends_no_use() {
    let Some((stack, faults)) = stack_with_cuttable_storage().await else {
        return;
    };
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.use_limit = Some(UseLimit {
                max: 1,
                unit: UseUnit::Download,
            });
        })
        .await;
    let mut visitor = stack.visitor();
    assert_eq!(visitor.get(&format!("/s/{}", share.key)).await.status, 200);
    let file = format!("/s/{}/dl/reports/a.txt", share.key);
    let cut = faults.storage.as_ref().expect("a storage cutter");

    cut.cut();
    let failed = visitor.post_form(&file, &[]).await;
    assert_eq!(failed.status, 503, "{}", failed.text());
    cut.restore().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        stack.uses(&share).await,
        0,
        "a failed download spent the use"
    );

    let ok = visitor.post_form(&file, &[]).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.body.as_ref(), b"alpha");
    stack.wait_for_uses(&share, 1).await;
    let again = visitor.post_form(&file, &[]).await;
    assert_eq!(again.status, 410, "a one-time link served twice");
}

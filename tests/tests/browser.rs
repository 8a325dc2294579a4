//! Real-browser tests: headless Chromium driven over WebDriver (chromedriver) against the
//! whole stack on a loopback socket (SQL, S3 or a local folder, the real router).
//!
//! Needs `SHARELINK_TEST_WEBDRIVER` (e.g. `http://127.0.0.1:9515`, started by
//! `.ci/setup.d/40-browser.sh`); unset, the test prints a notice and returns; set with the
//! driver unreachable, it fails. Screenshots of the main pages are saved as test
//! artefacts in `target/tmp/browser-screenshots/` (the paths are printed).

use fantoccini::{Client, ClientBuilder, Locator};
use sharelink_core::AllowedActions;
use sharelink_tests::{Backend, Stack};
use std::path::PathBuf;
use std::time::Duration;

/// A file name and a description that would run script if they were not escaped.
const HOSTILE_NAME: &str = "<img src=x onerror=\"document.title='pwned'\">.txt";
const HOSTILE_DESCRIPTION: &str =
    "<script>document.title='pwned'</script><b onmouseover=alert(1)>bold?</b>";

/// Where screenshots go.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let file = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&file, png).expect("write screenshot");
    println!("screenshot: {}", file.display());
}

async fn browser(webdriver: &str) -> Client {
    let profile = tempfile::tempdir().expect("profile").keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("SHARELINK_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // Both of rustls' crypto providers are in the build; the WebDriver client (plain
    // HTTP to a loopback driver) needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(webdriver)
        .await
        .unwrap_or_else(|e| panic!("SHARELINK_TEST_WEBDRIVER={webdriver} is set but unusable: {e}"))
}

/// No script of the page's content ran: the title is ours and no dialog is open.
async fn assert_inert(client: &Client) {
    let title = client.title().await.expect("title");
    assert_ne!(title, "pwned", "an injected script ran");
    assert!(
        client.get_alert_text().await.is_err(),
        "an injected script opened a dialog"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_opens_browses_downloads_and_uploads_in_a_real_browser() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    stack
        .put(&format!("docs/reports/{HOSTILE_NAME}"), b"harmless")
        .await;
    stack.put("docs/reports/docs/spec.txt", b"the spec").await;
    let share = stack
        .share_with_password(
            "ana",
            &["docs/reports"],
            Some("correct horse battery"),
            |s| {
                s.description = Some(HOSTILE_DESCRIPTION.into());
                s.allowed = AllowedActions::UploadDownload;
            },
        )
        .await;
    let link = format!("{}/s/{}", stack.base, share.key);
    let client = browser(&webdriver).await;
    let outcome = visit(&client, &link).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// The visit itself; errors are reported after the browser is closed.
async fn visit(c: &Client, link: &str) -> Result<(), String> {
    fn e(what: &'static str) -> impl Fn(fantoccini::error::CmdError) -> String {
        move |err| format!("{what}: {err}")
    }
    let body_text = || async {
        c.find(Locator::Css("body"))
            .await
            .map_err(e("body"))?
            .text()
            .await
            .map_err(e("body text"))
    };

    // 1. The password gate: a wrong password is refused, the right one lets us in.
    c.goto(link).await.map_err(e("open link"))?;
    screenshot(c, "1-password-gate").await;
    let field = c
        .find(Locator::Css("input[type=password]"))
        .await
        .map_err(e("password field"))?;
    field.send_keys("wrong guess").await.map_err(e("type"))?;
    // Mark this document, so the check below reads the answer, not the form (a loaded
    // machine may still show the old page right after the click).
    c.execute("window.slOldPage = true; return true;", vec![])
        .await
        .map_err(e("mark the page"))?;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .map_err(e("submit"))?
        .click()
        .await
        .map_err(e("click"))?;
    let mut replaced = false;
    for _ in 0..100 {
        let old = c
            .execute("return window.slOldPage === true;", vec![])
            .await
            .unwrap_or(serde_json::Value::Bool(true));
        if old == serde_json::Value::Bool(false) {
            replaced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !replaced {
        return Err("the wrong password's answer never loaded".into());
    }
    let text = body_text().await?;
    if !text.to_lowercase().contains("password") || text.contains("reports/") {
        return Err(format!("a wrong password was not refused: {text}"));
    }
    c.goto(link).await.map_err(e("reopen link"))?;
    let field = c
        .find(Locator::Css("input[type=password]"))
        .await
        .map_err(e("password field"))?;
    field
        .send_keys("correct horse battery")
        .await
        .map_err(e("type"))?;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .map_err(e("submit"))?
        .click()
        .await
        .map_err(e("click"))?;

    // 2. The share page: the hostile description is shown as text, no script ran.
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("reports/"))
        .await
        .map_err(e("share page"))?;
    screenshot(c, "2-share-page").await;
    let text = body_text().await?;
    if !text.contains("<script>document.title='pwned'</script>") {
        return Err(format!("the description is not shown as text: {text}"));
    }
    assert_inert(c).await;

    // 3. Browse into the folder: breadcrumbs, the files, the hostile name as text.
    c.find(Locator::LinkText("reports/"))
        .await
        .map_err(e("folder link"))?
        .click()
        .await
        .map_err(e("open folder"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("a.txt"))
        .await
        .map_err(e("folder listing"))?;
    screenshot(c, "3-folder").await;
    let text = body_text().await?;
    if !text.contains(HOSTILE_NAME) || !text.contains("docs/") || !text.contains("Home") {
        return Err(format!(
            "listing lacks the hostile name, a subfolder or breadcrumbs: {text}"
        ));
    }
    assert_inert(c).await;
    let injected = c.find_all(Locator::Css("img")).await.map_err(e("images"))?;
    if !injected.is_empty() {
        return Err("a file name turned into an <img> element".into());
    }

    // 4. Download: the link's target, fetched with the browser's own session.
    let href = c
        .find(Locator::LinkText("a.txt"))
        .await
        .map_err(e("download link"))?
        .attr("href")
        .await
        .map_err(e("href"))?
        .ok_or("the download link has no href")?;
    let got = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text().then(t => done(r.status + ':' + t)))
               .catch(err => done('error:' + err));",
            vec![serde_json::json!(href)],
        )
        .await
        .map_err(e("download"))?;
    if got.as_str() != Some("200:alpha") {
        return Err(format!("download answered {got}"));
    }

    // 5. Upload with the progress bar (upload.js): record the bar's highest value across
    //    the reload that follows a finished upload.
    let upload = data_file("upload.bin", 3 * 1024 * 1024);
    c.execute(
        "sessionStorage.setItem('sl-progress', '0');
         const bar = document.querySelector('form[data-upload] progress');
         new MutationObserver(() => {
           const seen = Number(sessionStorage.getItem('sl-progress'));
           sessionStorage.setItem('sl-progress', String(Math.max(seen, bar.value)));
         }).observe(bar, { attributes: true });
         return bar !== null;",
        vec![],
    )
    .await
    .map_err(e("watch the progress bar"))?;
    let input = c
        .find(Locator::Css(
            "form[data-upload] input[type=file]:not([webkitdirectory])",
        ))
        .await
        .map_err(e("file input"))?;
    input
        .send_keys(&upload.display().to_string())
        .await
        .map_err(e("choose file"))?;
    c.find(Locator::Css("form[data-upload] button"))
        .await
        .map_err(e("upload button"))?
        .click()
        .await
        .map_err(e("upload"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("upload.bin"))
        .await
        .map_err(e("uploaded file listed"))?;
    screenshot(c, "4-after-upload").await;
    let progress = c
        .execute("return sessionStorage.getItem('sl-progress');", vec![])
        .await
        .map_err(e("read progress"))?;
    if progress.as_str() != Some("100") {
        return Err(format!("the progress bar did not reach 100: {progress}"));
    }
    assert_inert(c).await;
    Ok(())
}

/// A file of `len` bytes in a temporary folder (kept until the process ends).
fn data_file(name: &str, len: usize) -> PathBuf {
    let dir = tempfile::tempdir().expect("tmp").keep();
    let file = dir.join(name);
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, data).expect("write upload");
    file
}

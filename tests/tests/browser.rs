//! Real-browser tests: headless Chromium driven over WebDriver (chromedriver) against the
//! whole stack on a loopback socket (SQL, S3 or a local folder, the real router).
//!
//! Needs `SHARELINK_TEST_WEBDRIVER` (e.g. `http://127.0.0.1:9515`, started by
//! `.ci/setup.d/40-browser.sh`); unset, the test prints a notice and returns; set with the
//! driver unreachable, it fails. Screenshots of the main pages are saved as test
//! artefacts in `target/tmp/browser-screenshots/` (the paths are printed).
//!
//! Every page type is also checked with axe-core when `SHARELINK_TEST_AXE` names its
//! `axe.min.js` (installed by the same setup script): any violation of impact `serious`
//! or `critical` fails the test. Unset, a notice is printed and the check skipped; set to
//! a missing file, the test fails.

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

/// Whether pages may run their scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scripts {
    On,
    Off,
}

/// The colour scheme the browser asks pages for (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Light,
    Dark,
}

async fn browser(webdriver: &str, scripts: Scripts) -> Client {
    browser_in(webdriver, scripts, Scheme::Light).await
}

async fn browser_in(webdriver: &str, scripts: Scripts, scheme: Scheme) -> Client {
    let profile = tempfile::tempdir().expect("profile").keep();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if scheme == Scheme::Dark {
        // Chromium then reports `prefers-color-scheme: dark`.
        args.push("--force-dark-mode".into());
    }
    if scripts == Scripts::Off {
        // The page's scripts are off (WebDriver's own `execute` still works).
        args.push("--blink-settings=scriptEnabled=false".into());
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("SHARELINK_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": args,
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

/// The axe-core script named by `SHARELINK_TEST_AXE`: `None` (after a notice) when the
/// variable is unset, an error when it is set but the file cannot be read.
async fn axe_source() -> Result<Option<String>, String> {
    let Ok(path) = std::env::var("SHARELINK_TEST_AXE") else {
        static NOTICE: std::sync::Once = std::sync::Once::new();
        NOTICE.call_once(|| {
            eprintln!("notice: SHARELINK_TEST_AXE is not set; skipping the axe-core checks");
        });
        return Ok(None);
    };
    let read = path.clone();
    tokio::task::spawn_blocking(move || std::fs::read_to_string(read))
        .await
        .map_err(|e| format!("reading axe-core: {e}"))?
        .map(Some)
        .map_err(|e| format!("SHARELINK_TEST_AXE={path} is set but unreadable: {e}"))
}

/// Runs axe-core on the current page (`page` names it in the error) and fails listing
/// every violation of impact `serious` or `critical`: its rule, impact, help and the first
/// elements it concerns.
async fn check_accessibility(c: &Client, page: &str) -> Result<(), String> {
    let Some(source) = axe_source().await? else {
        return Ok(());
    };
    let loaded = c
        .execute(
            &format!("{source}\n;return typeof window.axe === 'object';"),
            vec![],
        )
        .await
        .map_err(|e| format!("{page}: injecting axe-core: {e}"))?;
    if loaded != serde_json::Value::Bool(true) {
        return Err(format!("{page}: axe-core did not load ({loaded})"));
    }
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done({ violations: r.violations
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                   targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) }))
               .catch(err => done({ error: String(err) }));",
            vec![],
        )
        .await
        .map_err(|e| format!("{page}: running axe-core: {e}"))?;
    if let Some(err) = found.get("error") {
        return Err(format!("{page}: axe-core failed: {err}"));
    }
    let violations = found
        .get("violations")
        .and_then(|v| v.as_array())
        .ok_or_else(|| format!("{page}: axe-core answered {found}"))?;
    let describe = |v: &serde_json::Value| {
        format!(
            "  {} ({}): {} at {}",
            v["id"].as_str().unwrap_or("?"),
            v["impact"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or("?"),
            v["targets"]
        )
    };
    let (grave, lesser): (Vec<_>, Vec<_>) = violations
        .iter()
        .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
    for v in &lesser {
        println!("axe-core: {page}: minor or moderate:{}", describe(v));
    }
    if grave.is_empty() {
        println!("axe-core: {page}: no serious or critical violation");
        return Ok(());
    }
    let list: Vec<String> = grave.into_iter().map(describe).collect();
    Err(format!(
        "{page}: axe-core found {} serious or critical violation(s):\n{}",
        list.len(),
        list.join("\n")
    ))
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
    let client = browser(&webdriver, Scripts::On).await;
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
    check_accessibility(c, "password gate").await?;
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
    check_accessibility(c, "share listing (root)").await?;
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
    check_accessibility(c, "share listing (subfolder)").await?;
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

/// What the upload tests need: the stack, its shares and the driver.
struct Uploads {
    stack: Stack,
    /// An upload-only share of one folder (`docs/drop`).
    drop_box: String,
    /// A download share of `docs/reports` whose uploads go to `docs/reports/inbox`.
    inbox: String,
    /// An upload-and-download share of `docs/reports`.
    both: String,
}

impl Uploads {
    async fn start() -> Self {
        let stack = Stack::start(Backend::Sqlite).await;
        let link = |key: &sharelink_core::UrlKey| format!("{}/s/{key}", stack.base);
        let drop_box = stack
            .share("ana", &["docs/drop"], |s| {
                s.allowed = AllowedActions::Upload
            })
            .await;
        let inbox = stack
            .share("ana", &["docs/reports"], |s| {
                s.allowed = AllowedActions::Download;
                s.inbox = Some(sharelink_core::testing::fixtures::path(
                    "docs/reports/inbox",
                ));
            })
            .await;
        let both = stack
            .share("ana", &["docs/reports"], |s| {
                s.allowed = AllowedActions::UploadDownload
            })
            .await;
        Self {
            drop_box: link(&drop_box.key),
            inbox: link(&inbox.key),
            both: link(&both.key),
            stack,
        }
    }

    /// The bytes stored at `p`, or why there are none.
    async fn stored(&self, p: &str) -> Result<Vec<u8>, String> {
        use futures::TryStreamExt;
        let read = self
            .stack
            .files
            .read(&sharelink_core::testing::fixtures::path(p), None)
            .await
            .map_err(|e| format!("{p} was not stored: {e}"))?;
        read.stream
            .map_ok(|b| b.to_vec())
            .try_concat()
            .await
            .map_err(|e| format!("{p}: {e}"))
    }

    async fn expect_stored(&self, p: &str, data: &[u8]) -> Result<(), String> {
        let got = self.stored(p).await?;
        if got != data {
            return Err(format!(
                "{p} holds {} bytes, not the {} sent",
                got.len(),
                data.len()
            ));
        }
        Ok(())
    }
}

fn cmd(what: &'static str) -> impl Fn(fantoccini::error::CmdError) -> String {
    move |err| format!("{what}: {err}")
}

/// Waits until the page's notice (`role=status`) reads `expected`; errors with what the
/// page shows instead.
async fn wait_for_notice(c: &Client, expected: &str) -> Result<(), String> {
    let mut seen = String::new();
    for _ in 0..150 {
        if let Ok(n) = c.find(Locator::Css("[role=status]")).await {
            seen = n.text().await.unwrap_or_default();
            if seen == expected {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let body = match c.find(Locator::Css("body")).await {
        Ok(b) => b.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    Err(format!(
        "no notice `{expected}` (last notice `{seen}`); the page shows: {body}"
    ))
}

/// Chooses `paths` in the file input of the page's first upload form (the folder one when
/// `folder`) and presses its button.
async fn choose_and_submit(c: &Client, paths: &[PathBuf], folder: bool) -> Result<(), String> {
    let form = if folder {
        "form[data-upload]:has(input[webkitdirectory])"
    } else {
        "form[data-upload]:has(input[type=file]:not([webkitdirectory]))"
    };
    let input = c
        .find(Locator::Css(&format!("{form} input[type=file]")))
        .await
        .map_err(cmd("file input"))?;
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    input
        .send_keys(&list.join("\n"))
        .await
        .map_err(cmd("choose files"))?;
    c.find(Locator::Css(&format!("{form} button")))
        .await
        .map_err(cmd("upload button"))?
        .click()
        .await
        .map_err(cmd("press upload"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_boxes_and_inboxes_take_files_with_scripts_on() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let world = Uploads::start().await;
    let client = browser(&webdriver, Scripts::On).await;
    let outcome = upload_with_scripts(&client, &world).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn upload_with_scripts(c: &Client, w: &Uploads) -> Result<(), String> {
    // 1. A drop box: the form, the drop hint (shown by the script), a chosen file with
    //    the progress bar watched across the page change.
    c.goto(&w.drop_box).await.map_err(cmd("open drop box"))?;
    let hint = c
        .find(Locator::Css(".upload .hint"))
        .await
        .map_err(cmd("drop hint"))?;
    if !hint.is_displayed().await.map_err(cmd("hint shown"))? {
        return Err("the drop hint is hidden with scripts on".into());
    }
    for bar in c
        .find_all(Locator::Css("form[data-upload] progress"))
        .await
        .map_err(cmd("progress bars"))?
    {
        if bar.is_displayed().await.map_err(cmd("bar shown"))? {
            return Err("a progress bar shows before any upload".into());
        }
    }
    screenshot(c, "upload-1-drop-box").await;
    check_accessibility(c, "drop box (upload form)").await?;
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
    .map_err(cmd("watch the progress bar"))?;
    let big = data_file("scan.bin", 4 * 1024 * 1024);
    choose_and_submit(c, std::slice::from_ref(&big), false).await?;
    wait_for_notice(
        c,
        "1 file uploaded. The owner has received it; this link does not show the folder's contents.",
    )
    .await?;
    screenshot(c, "upload-2-drop-box-received").await;
    let progress = c
        .execute("return sessionStorage.getItem('sl-progress');", vec![])
        .await
        .map_err(cmd("read progress"))?;
    if progress.as_str() != Some("100") {
        return Err(format!("the progress bar did not reach 100: {progress}"));
    }
    w.expect_stored(
        "docs/drop/scan.bin",
        &std::fs::read(&big).map_err(|e| e.to_string())?,
    )
    .await?;

    // 2. Files dragged onto the form (a DataTransfer built in the page).
    c.execute(
        "const form = document.querySelector('form[data-upload]');
         const dt = new DataTransfer();
         dt.items.add(new File(['dropped one'], 'one.txt', { type: 'text/plain' }));
         dt.items.add(new File(['dropped two'], 'two.txt', { type: 'text/plain' }));
         form.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
         window.slDrop = () => form.dispatchEvent(
           new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
         return form.classList.contains('drop');",
        vec![],
    )
    .await
    .map_err(cmd("drag files over"))?;
    screenshot(c, "upload-2b-dragging-over").await;
    c.execute("window.slDrop(); return true;", vec![])
        .await
        .map_err(cmd("drop files"))?;
    wait_for_notice(
        c,
        "2 files uploaded. The owner has received them; this link does not show the folder's contents.",
    )
    .await?;
    w.expect_stored("docs/drop/one.txt", b"dropped one").await?;
    w.expect_stored("docs/drop/two.txt", b"dropped two").await?;

    // 3. An inbox of a download share: the listing and a form to send files to the owner.
    c.goto(&w.inbox).await.map_err(cmd("open inbox link"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("section.upload form[data-upload]"))
        .await
        .map_err(cmd("inbox form"))?;
    let answer = data_file("answer.txt", 300);
    choose_and_submit(c, std::slice::from_ref(&answer), false).await?;
    wait_for_notice(c, "1 file sent to the owner.").await?;
    screenshot(c, "upload-3-inbox-sent").await;
    w.expect_stored(
        "docs/reports/inbox/answer.txt",
        &std::fs::read(&answer).map_err(|e| e.to_string())?,
    )
    .await?;

    // 4. A whole folder through the folder input, at the upload-and-download level.
    c.goto(&format!("{}?p=reports", w.both))
        .await
        .map_err(cmd("open folder"))?;
    let dir = tempfile::tempdir()
        .map_err(|e| e.to_string())?
        .keep()
        .join("album");
    std::fs::create_dir_all(dir.join("2024")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("2024/photo.txt"), b"pixels").map_err(|e| e.to_string())?;
    std::fs::write(dir.join("readme.txt"), b"read me").map_err(|e| e.to_string())?;
    choose_and_submit(c, std::slice::from_ref(&dir), true).await?;
    wait_for_notice(c, "2 files uploaded.").await?;
    screenshot(c, "upload-4-folder-input").await;
    w.expect_stored("docs/reports/album/2024/photo.txt", b"pixels")
        .await?;
    w.expect_stored("docs/reports/album/readme.txt", b"read me")
        .await?;

    // 5. A whole folder dropped: directory entries read in batches (a scripted drop has
    //    no real entries, so the page is handed entry objects that behave like them).
    c.execute(
        "const file = (path, text) => ({ isFile: true, isDirectory: false, fullPath: path,
           file: (ok) => setTimeout(() => ok(new File([text], path.split('/').pop())), 0) });
         const dir = (path, children) => ({ isFile: false, isDirectory: true, fullPath: path,
           createReader: () => { const batches = [children.slice(0, 1), children.slice(1), []];
             return { readEntries: (ok) => setTimeout(() => ok(batches.shift() || []), 0) }; } });
         const tree = dir('/trip', [file('/trip/b.txt', 'bee'),
           dir('/trip/day1', [file('/trip/day1/a.txt', 'ay'), file('/trip/day1/c.txt', 'sea')])]);
         const drop = new Event('drop', { bubbles: true, cancelable: true });
         Object.defineProperty(drop, 'dataTransfer', { value: {
           items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }],
           files: [] } });
         document.querySelector('form[data-upload]').dispatchEvent(drop);
         return true;",
        vec![],
    )
    .await
    .map_err(cmd("drop a folder"))?;
    wait_for_notice(c, "3 files uploaded.").await?;
    screenshot(c, "upload-5-folder-dropped").await;
    w.expect_stored("docs/reports/trip/b.txt", b"bee").await?;
    w.expect_stored("docs/reports/trip/day1/a.txt", b"ay")
        .await?;
    w.expect_stored("docs/reports/trip/day1/c.txt", b"sea")
        .await?;
    assert_inert(c).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_boxes_and_inboxes_take_files_with_scripts_off() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let world = Uploads::start().await;
    let client = browser(&webdriver, Scripts::Off).await;
    let outcome = upload_without_scripts(&client, &world).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn upload_without_scripts(c: &Client, w: &Uploads) -> Result<(), String> {
    c.goto(&w.drop_box).await.map_err(cmd("open drop box"))?;
    let hint = c
        .find(Locator::Css(".upload .hint"))
        .await
        .map_err(cmd("drop hint"))?;
    if hint.is_displayed().await.map_err(cmd("hint shown"))? {
        return Err("the drop hint shows although no script ran: scripts are on".into());
    }
    let files = [data_file("plain.bin", 100_000), data_file("second.bin", 10)];
    choose_and_submit(c, &files, false).await?;
    wait_for_notice(
        c,
        "2 files uploaded. The owner has received them; this link does not show the folder's contents.",
    )
    .await?;
    screenshot(c, "upload-6-no-script-drop-box").await;
    w.expect_stored(
        "docs/drop/plain.bin",
        &std::fs::read(&files[0]).map_err(|e| e.to_string())?,
    )
    .await?;
    w.expect_stored(
        "docs/drop/second.bin",
        &std::fs::read(&files[1]).map_err(|e| e.to_string())?,
    )
    .await?;

    c.goto(&w.inbox).await.map_err(cmd("open inbox link"))?;
    let answer = data_file("reply.txt", 64);
    choose_and_submit(c, std::slice::from_ref(&answer), false).await?;
    wait_for_notice(c, "1 file sent to the owner.").await?;
    screenshot(c, "upload-7-no-script-inbox").await;
    w.expect_stored(
        "docs/reports/inbox/reply.txt",
        &std::fs::read(&answer).map_err(|e| e.to_string())?,
    )
    .await?;
    Ok(())
}

/// The share page as a French and then a German visitor sees it, on a desktop and a
/// phone: the switcher (a plain link) changes the language, the icons are drawn, no text
/// overflows the page. Screenshots: `share-{fr,de}-{desktop,phone}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_page_in_two_languages_and_two_widths() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    stack.put("docs/reports/photos/summer.jpg", b"jpeg").await;
    stack
        .put(
            "docs/reports/Quarterly report with a rather long name, final.pdf",
            b"%PDF",
        )
        .await;
    let share = stack
        .share("ana", &["docs/reports"], |s| {
            s.allowed = AllowedActions::Download;
        })
        .await;
    let link = format!("{}/s/{}?p=reports", stack.base, share.key);
    let client = browser(&webdriver, Scripts::Off).await;
    let outcome = two_languages(&client, &link).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn two_languages(c: &Client, link: &str) -> Result<(), String> {
    fn e(what: &'static str) -> impl Fn(fantoccini::error::CmdError) -> String {
        move |err| format!("{what}: {err}")
    }
    c.goto(&format!("{link}&lang=fr"))
        .await
        .map_err(e("open in French"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("Accueil"))
        .await
        .map_err(e("French page"))?;
    for (lang, home, all) in [
        ("fr", "Accueil", "Tout télécharger (ZIP)"),
        ("de", "Start", "Alles herunterladen (ZIP)"),
    ] {
        if lang == "de" {
            // The switcher is a link; the cookie it sets keeps the language.
            c.find(Locator::LinkText("Deutsch"))
                .await
                .map_err(e("switcher"))?
                .click()
                .await
                .map_err(e("switch"))?;
            c.wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::LinkText(home))
                .await
                .map_err(e("German page"))?;
        }
        for (width, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.map_err(e("resize"))?;
            let text = c
                .find(Locator::Css("body"))
                .await
                .map_err(e("body"))?
                .text()
                .await
                .map_err(e("text"))?;
            if !text.contains(all) || text.to_lowercase().contains("sharelink") {
                return Err(format!("{lang}: not the expected page: {text}"));
            }
            let check = c
                .execute(
                    "const over = document.documentElement.scrollWidth > window.innerWidth + 1;
                     const icons = [...document.querySelectorAll('.icon')];
                     const drawn = icons.length > 0 && icons.every(i => {
                       const s = getComputedStyle(i);
                       const mask = s.maskImage || s.webkitMaskImage;
                       return i.getBoundingClientRect().width > 0 && mask && mask !== 'none';
                     });
                     const broken = [...document.images].filter(i => !i.complete || !i.naturalWidth);
                     return [over, drawn, broken.length, document.documentElement.lang];",
                    vec![],
                )
                .await
                .map_err(e("layout"))?;
            let expected = serde_json::json!([false, true, 0, lang]);
            if check != expected {
                return Err(format!(
                    "{lang} {width}: overflow, icons, broken images, lang = {check}"
                ));
            }
            screenshot(c, &format!("share-{lang}-{width}")).await;
        }
    }
    Ok(())
}

/// Every page type with scripts on (axe-core needs them; the two-language test runs
/// without), in a light and then a dark browser: the password gate, the listing in French
/// and German at both widths, a drop box, a counted download's confirmation and an
/// unknown link's error page in English and French.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_type_passes_axe_in_light_and_dark() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    stack.put("docs/reports/photos/summer.jpg", b"jpeg").await;
    let gated = stack
        .share_with_password("ana", &["docs/reports"], Some("open sesame"), |_| {})
        .await;
    let listing = stack
        .share("ana", &["docs/reports"], |s| {
            s.allowed = AllowedActions::Download;
        })
        .await;
    let drop_box = stack
        .share("ana", &["docs/drop"], |s| {
            s.allowed = AllowedActions::Upload;
        })
        .await;
    let counted = stack
        .share("ana", &["docs/reports"], |s| {
            s.use_limit = Some(sharelink_core::UseLimit::ONE_TIME);
        })
        .await;
    let base = &stack.base;
    let links = Links {
        gated: format!("{base}/s/{}", gated.key),
        listing: format!("{base}/s/{}?p=reports", listing.key),
        drop_box: format!("{base}/s/{}", drop_box.key),
        counted: format!("{base}/s/{}", counted.key),
        unknown: format!("{base}/s/no-such-link-here"),
    };
    for scheme in [Scheme::Light, Scheme::Dark] {
        let client = browser_in(&webdriver, Scripts::On, scheme).await;
        let outcome = every_page(&client, &links, scheme).await;
        let _ = client.close().await;
        outcome.unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
    }
}

/// The links [`every_page`] opens.
struct Links {
    gated: String,
    listing: String,
    drop_box: String,
    counted: String,
    unknown: String,
}

async fn every_page(c: &Client, l: &Links, scheme: Scheme) -> Result<(), String> {
    let dark = c
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            vec![],
        )
        .await
        .map_err(cmd("read the colour scheme"))?;
    if dark != serde_json::Value::Bool(scheme == Scheme::Dark) {
        return Err(format!("the browser's dark mode is {dark}"));
    }
    let s = format!("{scheme:?}").to_lowercase();
    c.goto(&format!("{}?lang=de", l.gated))
        .await
        .map_err(cmd("open gated link"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("input[type=password]"))
        .await
        .map_err(cmd("password gate"))?;
    expect_lang(c, "de").await?;
    screenshot(c, &format!("axe-gate-de-{s}")).await;
    check_accessibility(c, &format!("password gate (de, {s})")).await?;

    for lang in ["fr", "de"] {
        c.goto(&format!("{}&lang={lang}", l.listing))
            .await
            .map_err(cmd("open listing"))?;
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::LinkText("a.txt"))
            .await
            .map_err(cmd("listing"))?;
        expect_lang(c, lang).await?;
        page_weight_below(c, 60 * 1024).await?;
        for (width, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.map_err(cmd("resize"))?;
            check_accessibility(c, &format!("share listing ({lang}, {width}, {s})")).await?;
        }
        c.set_window_size(1280, 900).await.map_err(cmd("resize"))?;
    }

    c.goto(&format!("{}?lang=fr", l.drop_box))
        .await
        .map_err(cmd("open drop box"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("form[data-upload]"))
        .await
        .map_err(cmd("drop box"))?;
    screenshot(c, &format!("axe-drop-box-fr-{s}")).await;
    check_accessibility(c, &format!("drop box (fr, {s})")).await?;

    c.goto(&l.counted).await.map_err(cmd("open counted link"))?;
    for lang in ["en", "fr"] {
        // A plain GET of a counted download asks for a confirmation (a button).
        c.goto(&format!("{}/dl/reports/a.txt?lang={lang}", l.counted))
            .await
            .map_err(cmd("open download"))?;
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("form button[type=submit]"))
            .await
            .map_err(cmd("confirmation page"))?;
        expect_lang(c, lang).await?;
        screenshot(c, &format!("axe-confirm-download-{lang}-{s}")).await;
        check_accessibility(c, &format!("confirm download ({lang}, {s})")).await?;

        c.goto(&format!("{}?lang={lang}", l.unknown))
            .await
            .map_err(cmd("open unknown link"))?;
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("main h1"))
            .await
            .map_err(cmd("error page"))?;
        expect_lang(c, lang).await?;
        screenshot(c, &format!("axe-unknown-link-{lang}-{s}")).await;
        check_accessibility(c, &format!("unknown link ({lang}, {s})")).await?;
    }
    Ok(())
}

/// The current page's HTML plus its scripts and stylesheets, fetched again (sizes once
/// decoded, i.e. uncompressed), weigh under `limit` bytes.
async fn page_weight_below(c: &Client, limit: usize) -> Result<(), String> {
    let weight = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const urls = [location.href,
               ...[...document.scripts].filter(s => s.src).map(s => s.src),
               ...[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)];
             Promise.all(urls.map(u => fetch(u, { headers: { Accept: 'text/html,*/*' } })
                 .then(r => r.arrayBuffer()).then(b => b.byteLength)))
               .then(sizes => done(sizes.reduce((a, b) => a + b, 0)))
               .catch(err => done(String(err)));",
            vec![],
        )
        .await
        .map_err(cmd("weigh the page"))?;
    match weight.as_u64() {
        Some(w) if (w as usize) < limit => {
            println!("page weight: {w} bytes");
            Ok(())
        }
        _ => Err(format!(
            "the share page weighs {weight} bytes (limit {limit})"
        )),
    }
}

/// The page's `<html lang>` is `lang`.
async fn expect_lang(c: &Client, lang: &str) -> Result<(), String> {
    let got = c
        .execute("return document.documentElement.lang;", vec![])
        .await
        .map_err(cmd("read lang"))?;
    if got.as_str() != Some(lang) {
        return Err(format!("the page's language is {got}, not {lang}"));
    }
    Ok(())
}

/// Keyboard only: Tab to the password field, type, Enter; the listing shows; Tab reaches
/// a folder, Enter opens it, and Tab reaches the first file's download link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_list_and_download_with_the_keyboard_only() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    let share = stack
        .share_with_password("ana", &["docs/reports"], Some("open sesame"), |s| {
            s.allowed = AllowedActions::Download;
        })
        .await;
    let link = format!("{}/s/{}", stack.base, share.key);
    let client = browser(&webdriver, Scripts::On).await;
    let outcome = keyboard_only(&client, &link).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Presses `key` on the focused element (or the page).
async fn press(c: &Client, key: fantoccini::key::Key) -> Result<(), String> {
    let keys = String::from(char::from(key));
    c.active_element()
        .await
        .map_err(cmd("focused element"))?
        .send_keys(&keys)
        .await
        .map_err(cmd("press a key"))
}

/// Presses Tab until the focused element matches the CSS `selector` (at most `max`
/// times); errors with what had the focus.
async fn tab_to(c: &Client, selector: &str, max: usize) -> Result<(), String> {
    let probe = "const a = document.activeElement;
                 return [a !== null && a.matches(arguments[0]),
                         a ? a.outerHTML.slice(0, 120) : ''];";
    let mut seen = Vec::new();
    for tabs in 0..=max {
        let got = c
            .execute(probe, vec![serde_json::json!(selector)])
            .await
            .map_err(cmd("read the focus"))?;
        if got[0] == serde_json::Value::Bool(true) {
            println!("keyboard: `{selector}` focused after {tabs} Tab(s)");
            return Ok(());
        }
        seen.push(got[1].as_str().unwrap_or_default().to_owned());
        press(c, fantoccini::key::Key::Tab).await?;
    }
    Err(format!(
        "{max} Tabs never focused `{selector}`; the focus went: {}",
        seen.join(" → ")
    ))
}

async fn keyboard_only(c: &Client, link: &str) -> Result<(), String> {
    use fantoccini::key::Key;
    c.goto(link).await.map_err(cmd("open link"))?;
    // From the start of the page: nothing focused (the field's autofocus is dropped).
    c.execute("document.activeElement.blur(); return true;", vec![])
        .await
        .map_err(cmd("blur"))?;
    tab_to(c, "input[type=password]", 10).await?;
    let field = c.active_element().await.map_err(cmd("focused field"))?;
    field
        .send_keys(&format!("open sesame{}", char::from(Key::Enter)))
        .await
        .map_err(cmd("type the password"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("reports/"))
        .await
        .map_err(cmd("listing after Enter"))?;
    tab_to(c, "tbody tr.folder a", 30).await?;
    press(c, Key::Enter).await?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::LinkText("a.txt"))
        .await
        .map_err(cmd("folder opened with Enter"))?;
    tab_to(c, "tbody tr.file a[download]", 30).await?;
    let first = c
        .execute(
            "return document.activeElement === document.querySelector('tbody tr.file a[download]')
                    ? document.activeElement.getAttribute('href') : null;",
            vec![],
        )
        .await
        .map_err(cmd("first file link"))?;
    match first.as_str() {
        Some(href) if href.contains("/dl/") && href.ends_with("a.txt") => Ok(()),
        _ => Err(format!(
            "the first focused download link is not the first file's: {first}"
        )),
    }
}

/// The grid view in a real browser: its thumbnails are drawn and load (each image's
/// `naturalWidth` is above zero), and axe-core finds no serious or critical violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grid_view_loads_its_thumbnails_and_passes_axe() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    for (name, colour, (w, h)) in [
        ("sunset.png", [230, 120, 40], (900, 600)),
        ("forest.png", [30, 140, 60], (400, 800)),
        ("sea.png", [20, 80, 200], (64, 64)),
    ] {
        let picture = image::RgbImage::from_pixel(w, h, image::Rgb(colour));
        let mut png = Vec::new();
        picture
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("a PNG");
        stack.put(&format!("docs/gallery/{name}"), &png).await;
    }
    stack.put("docs/gallery/notes.txt", b"notes").await;
    stack
        .put("docs/gallery/older/2019.png", b"not even a picture")
        .await;
    let share = stack
        .share("ana", &["docs/gallery"], |s| {
            s.allowed = AllowedActions::Download;
        })
        .await;
    let link = format!("{}/s/{}?p=gallery&view=grid", stack.base, share.key);
    let client = browser(&webdriver, Scripts::On).await;
    let outcome = grid_view(&client, &link).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn grid_view(c: &Client, link: &str) -> Result<(), String> {
    c.goto(link).await.map_err(cmd("open the grid"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("ul.grid img"))
        .await
        .map_err(cmd("the grid"))?;
    // Every thumbnail loads (lazy loading starts those in view at once).
    let mut widths = serde_json::Value::Null;
    for _ in 0..60 {
        widths = c
            .execute(
                "return [...document.querySelectorAll('ul.grid img')]
                   .map(i => i.complete ? i.naturalWidth : -1);",
                vec![],
            )
            .await
            .map_err(cmd("thumbnail widths"))?;
        let all: Vec<i64> = widths
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default();
        if all.len() == 3 && all.iter().all(|w| *w > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let all: Vec<i64> = widths
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default();
    if all.len() != 3 || all.iter().any(|w| *w <= 0 || *w > 256) {
        return Err(format!(
            "the thumbnails did not load: natural widths {widths}"
        ));
    }
    let lazy = c
        .execute(
            "return [...document.querySelectorAll('ul.grid img')]
               .every(i => i.loading === 'lazy');",
            vec![],
        )
        .await
        .map_err(cmd("lazy"))?;
    if lazy != serde_json::Value::Bool(true) {
        return Err("a thumbnail is not lazy-loaded".into());
    }
    screenshot(c, "grid-view").await;
    check_accessibility(c, "grid view").await?;
    page_weight_below(c, 60 * 1024).await?;
    // A tile opens the picture's preview page, which shows it.
    c.find(Locator::Css("ul.grid a[href*='/view/']"))
        .await
        .map_err(cmd("a tile"))?
        .click()
        .await
        .map_err(cmd("open a tile"))?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("figure.preview img"))
        .await
        .map_err(cmd("the preview page"))?;
    check_accessibility(c, "preview page").await?;
    Ok(())
}

/// Every visitor page type (the listing, the password, email, registration and terms
/// gates, an unknown link's message page, a counted download's confirmation, the embed
/// widget) in English and Chinese at desktop and phone widths: a screenshot of each as
/// `PAGE-LOCALE-WIDTH.png`, no text spilling out of its box, the page no wider than the
/// window, every image and font loaded and no resource answered with an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_visitor_page_in_two_languages_and_two_widths_fits_and_loads() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let stack = Stack::start(Backend::Sqlite).await;
    stack.put("docs/reports/photos/summer.jpg", b"jpeg").await;
    stack
        .put(
            "docs/reports/Quarterly report with a rather long name, final version.pdf",
            b"%PDF",
        )
        .await;
    let share = |configure: fn(&mut sharelink_core::ShareSettings)| {
        stack.share("ana", &["docs/reports"], configure)
    };
    let listing = share(|s| s.allowed = AllowedActions::Download).await;
    let password = stack
        .share_with_password("ana", &["docs/reports"], Some("open sesame"), |_| {})
        .await;
    let email = share(|s| {
        s.access = sharelink_core::AccessControl::VerifiedEmails(vec![
            sharelink_core::EmailPattern::parse("*@example.com").expect("a pattern"),
        ]);
    })
    .await;
    let register =
        share(|s| s.registration = Some(sharelink_core::RegistrationForm::Default)).await;
    let terms = share(|s| {
        s.clickwrap = Some(sharelink_core::Clickwrap {
            title: "Non-disclosure agreement for the quarterly reports".into(),
            terms: "Keep these files to yourself. ".repeat(20),
        });
    })
    .await;
    let counted = share(|s| s.use_limit = Some(sharelink_core::UseLimit::ONE_TIME)).await;
    let base = &stack.base;
    let pages = [
        ("share", format!("{base}/s/{}?p=reports", listing.key)),
        ("gate-password", format!("{base}/s/{}", password.key)),
        ("gate-email", format!("{base}/s/{}", email.key)),
        ("gate-register", format!("{base}/s/{}", register.key)),
        ("gate-terms", format!("{base}/s/{}", terms.key)),
        ("message", format!("{base}/s/no-such-link-here")),
        (
            "confirm",
            format!("{base}/s/{}/dl/reports/a.txt", counted.key),
        ),
        ("embed", format!("{base}/s/{}/embed", listing.key)),
    ];
    let client = browser(&webdriver, Scripts::On).await;
    let outcome = walk_pages(&client, &pages).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Opens each page in each language and width, saves its screenshot and checks its
/// layout and resources.
async fn walk_pages(c: &Client, pages: &[(&str, String)]) -> Result<(), String> {
    let mut problems = Vec::new();
    for (page, link) in pages {
        for lang in ["en", "zh-CN"] {
            let sep = if link.contains('?') { '&' } else { '?' };
            c.goto(&format!("{link}{sep}lang={lang}"))
                .await
                .map_err(cmd("open page"))?;
            c.wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::Css("body"))
                .await
                .map_err(cmd("page"))?;
            for (width, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
                c.set_window_size(w, h).await.map_err(cmd("resize"))?;
                let report = layout_report(c).await?;
                screenshot(c, &format!("{page}-{lang}-{width}")).await;
                if report
                    != serde_json::json!({
                        "wide": false, "spilled": [], "broken": [], "failed": [], "fonts": "loaded"
                    })
                {
                    problems.push(format!("{page} {lang} {width}: {report}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// What is wrong with the page's layout and resources, once its fonts are ready: `wide`
/// (the page is wider than the window), `spilled` (text elements whose text is wider
/// than their box, unless cut on purpose with an ellipsis), `broken` (images not
/// loaded), `failed` (resources answered with an error status), `fonts` (the state of
/// `document.fonts`).
async fn layout_report(c: &Client) -> Result<serde_json::Value, String> {
    c.execute_async(
        "const done = arguments[arguments.length - 1];
         document.fonts.ready.then(() => {
           const texts = 'h1,h2,h3,p,a,button,label,li,td,th,summary,legend,dt,dd,input,select,textarea,span';
           const spilled = [...document.querySelectorAll(texts)].filter(el => {
             const s = getComputedStyle(el);
             if (s.display === 'inline' || s.display === 'none' || s.visibility === 'hidden') return false;
             if (el.getClientRects().length === 0 || el.clientWidth === 0) return false;
             if (s.textOverflow === 'ellipsis' && s.overflowX !== 'visible') return false;
             return el.scrollWidth > el.clientWidth + 1;
           }).map(el => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent || el.value || '').trim().slice(0, 40)}`);
           const broken = [...document.images]
             .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
           // The browser's own guess at /favicon.ico is the embedder's site, not the page's.
           const failed = performance.getEntriesByType('resource')
             .filter(r => r.responseStatus >= 400 && new URL(r.name).pathname !== '/favicon.ico')
             .map(r => r.name);
           done({
             wide: document.documentElement.scrollWidth > window.innerWidth + 1,
             spilled, broken, failed, fonts: document.fonts.status,
           });
         });",
        vec![],
    )
    .await
    .map_err(cmd("measure the layout"))
}

/// The demo server (`sharelink-demo`'s application) on a loopback port, over a temporary
/// data folder; the server stops when this is dropped.
struct DemoServer {
    base: String,
    server: tokio::task::JoinHandle<()>,
    _data: tempfile::TempDir,
}

impl DemoServer {
    async fn start() -> Self {
        use sharelink_examples::demo::{self, DemoConfig};
        let data = tempfile::tempdir().expect("data folder");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let config = DemoConfig {
            housekeeping: false,
            ..DemoConfig::new(data.path(), base.clone())
        };
        let app = demo::build(&config).await.expect("demo");
        let server = tokio::spawn(sharelink_http::serve(
            listener,
            app.router,
            sharelink_http::ServeLimits::default(),
            std::future::pending(),
        ));
        Self {
            base,
            server,
            _data: data,
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A person manages shares on the demo's page: signs in, opens folders of the file tree
/// and ticks a file, creates a share, finds it in the list with a QR code that loads,
/// emails the link and expires that recipient's link, adds a second file by editing the
/// share, opens the share's activity (the access log with the visit made meanwhile, and
/// the per-day chart, an `<svg>`), then reaches the site settings through the navigation as the administrator. axe-core
/// checks the page (every setting unfolded) and the settings page; screenshots:
/// `manage-en-{desktop,phone}.png`, and the phone width must not scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_manages_shares_on_the_demo_page() {
    let Ok(webdriver) = std::env::var("SHARELINK_TEST_WEBDRIVER") else {
        eprintln!("notice: SHARELINK_TEST_WEBDRIVER is not set; skipping the browser test");
        return;
    };
    let demo = DemoServer::start().await;
    let client = browser(&webdriver, Scripts::On).await;
    let outcome = manage_shares(&client, &demo.base).await;
    let _ = client.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Waits up to 30 s for an element matching the CSS `selector`.
async fn wait_css(c: &Client, selector: &str) -> Result<fantoccini::elements::Element, String> {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(selector))
        .await
    {
        Ok(found) => Ok(found),
        Err(e) => Err(format!(
            "waiting for `{selector}`: {e}; the page shows: {}",
            page_text(c).await
        )),
    }
}

/// Clicks the element matching the CSS `selector`, waiting up to 30 s for it.
async fn click_css(c: &Client, selector: &str) -> Result<(), String> {
    wait_css(c, selector)
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking `{selector}`: {e}"))
}

/// What the page shows, for error messages (empty when it cannot be read).
async fn page_text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Polls `script` (which returns a boolean) for up to 30 s.
async fn wait_true(c: &Client, what: &str, script: &str) -> Result<(), String> {
    for _ in 0..150 {
        if c.execute(script, vec![]).await.map_err(cmd("poll"))? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "{what} never happened; the page shows: {}",
        page_text(c).await
    ))
}

/// Signs in on the demo's sign-in form.
async fn demo_sign_in(c: &Client, base: &str, user: &str) -> Result<(), String> {
    c.goto(&format!("{base}/"))
        .await
        .map_err(cmd("open the demo"))?;
    wait_css(c, "input[name=user]")
        .await?
        .send_keys(user)
        .await
        .map_err(cmd("type the user"))?;
    c.find(Locator::Css("input[name=password]"))
        .await
        .map_err(cmd("password field"))?
        .send_keys(user)
        .await
        .map_err(cmd("type the password"))?;
    click_css(c, "form[action='/login'] button").await?;
    wait_css(c, "#tree .tree li").await.map(drop)
}

async fn manage_shares(c: &Client, base: &str) -> Result<(), String> {
    demo_sign_in(c, base, "alice").await?;

    // 1. The tree: open projects, then apollo, and tick plan.txt.
    click_css(c, "button[data-open='projects']").await?;
    click_css(c, "button[data-open='projects/apollo']").await?;
    let expanded = c
        .find(Locator::Css("button[data-open='projects']"))
        .await
        .map_err(cmd("projects"))?
        .attr("aria-expanded")
        .await
        .map_err(cmd("aria-expanded"))?;
    if expanded.as_deref() != Some("true") {
        return Err(format!("the opened folder says aria-expanded={expanded:?}"));
    }
    click_css(c, "input[data-pick='projects/apollo/plan.txt']").await?;
    let picked = wait_css(c, "#picked li code")
        .await?
        .text()
        .await
        .map_err(cmd("picked"))?;
    if picked != "projects/apollo/plan.txt" {
        return Err(format!("picked `{picked}`"));
    }
    let name = c
        .find(Locator::Css("#share-form input[name=name]"))
        .await
        .map_err(cmd("name field"))?;
    name.clear().await.map_err(cmd("clear the name"))?;
    name.send_keys("Apollo plan")
        .await
        .map_err(cmd("type the name"))?;
    click_css(c, "#save").await?;

    // 2. The share in the list, with its state and a QR code that loads.
    let card = wait_css(c, "#shares .card").await?;
    let text = card.text().await.map_err(cmd("card text"))?;
    if !text.contains("Apollo plan") || !text.contains("Active") {
        return Err(format!("the new share's card reads: {text}"));
    }
    wait_true(
        c,
        "the QR code loading",
        "const i = document.querySelector('#shares .card img.qr');
         return !!i && i.complete && i.naturalWidth > 0;",
    )
    .await?;
    let link = c
        .execute(
            "return document.querySelector('#shares .card input[readonly]').value;",
            vec![],
        )
        .await
        .map_err(cmd("the link"))?;
    let link = link.as_str().unwrap_or_default().to_owned();
    if !link.starts_with(&format!("{base}/share/s/")) {
        return Err(format!("the card's link is `{link}`"));
    }
    // The link opens the share in another tab of this browser (the visit goes to the
    // log); the management page stays as it was.
    let page = c.window().await.map_err(cmd("this tab"))?;
    let tab = c.new_window(true).await.map_err(cmd("new tab"))?;
    c.switch_to_window(tab.handle)
        .await
        .map_err(cmd("to the new tab"))?;
    c.goto(&link).await.map_err(cmd("open the link"))?;
    wait_true(
        c,
        "the share page listing plan.txt",
        "return document.body.innerText.includes('plan.txt');",
    )
    .await?;
    c.close_window().await.map_err(cmd("close the tab"))?;
    c.switch_to_window(page).await.map_err(cmd("back"))?;

    // 3. Recipients: email the link, then expire that recipient's link.
    card.find(Locator::Css("[data-act=recipients]"))
        .await
        .map_err(cmd("recipients button"))?
        .click()
        .await
        .map_err(cmd("open recipients"))?;
    wait_css(c, "#invite input[name=to]")
        .await?
        .send_keys("rita@example.com")
        .await
        .map_err(cmd("type a recipient"))?;
    click_css(c, "#invite button").await?;
    click_css(
        c,
        "#recipients li[data-email='rita@example.com'] [data-recipient-act=expire]",
    )
    .await?;
    wait_true(
        c,
        "rita's link showing expired",
        "const li = document.querySelector(\"#recipients li[data-email='rita@example.com']\");
         return !!li && li.querySelector('.badge').textContent === 'Expired';",
    )
    .await?;

    // Edit: tick another file of the open tree and save; the card lists both.
    click_css(c, "#shares .card [data-act=edit]").await?;
    click_css(c, "input[data-pick='projects/apollo/budget.csv']").await?;
    click_css(c, "#save").await?;
    wait_true(
        c,
        "the card listing both files",
        "const card = document.querySelector('#shares .card');
         return !!card && card.innerText.includes('budget.csv') && card.innerText.includes('plan.txt');",
    )
    .await?;

    // 4. Activity: the access log and the chart.
    click_css(c, "#shares .card [data-act=activity]").await?;
    wait_css(c, "#details:not([hidden]) #chart svg rect").await?;
    let log = wait_css(c, "#log-rows")
        .await?
        .text()
        .await
        .map_err(cmd("log"))?;
    if !log.contains("visit") {
        return Err(format!("the access log shows no visit: {log}"));
    }

    // Every setting unfolded, so axe-core sees them all.
    click_css(c, "#more summary").await?;
    check_accessibility(c, "management page").await?;
    click_css(c, "#more summary").await?;
    for (width, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        c.set_window_size(w, h).await.map_err(cmd("resize"))?;
        // What sticks out on the right, if the page scrolls sideways.
        let over = c
            .execute(
                "const w = window.innerWidth;
                 if (document.documentElement.scrollWidth <= w + 1) return [];
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1
                     && !e.parentElement.closest('.scroll'))
                   .slice(0, 8)
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '')
                     + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '')
                     + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await
            .map_err(cmd("overflow"))?;
        if over != serde_json::json!([]) {
            return Err(format!("{width}: the page scrolls sideways: {over}"));
        }
        // The whole page in one picture: the window as tall as the page.
        let tall = c
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .map_err(cmd("page height"))?
            .as_u64()
            .unwrap_or(u64::from(h));
        let tall = u32::try_from(tall).unwrap_or(h).clamp(h, 6000);
        c.set_window_size(w, tall).await.map_err(cmd("resize"))?;
        c.execute("window.scrollTo(0, 0); return true;", vec![])
            .await
            .map_err(cmd("scroll to the top"))?;
        screenshot(c, &format!("manage-en-{width}")).await;
    }
    c.set_window_size(1280, 900).await.map_err(cmd("resize"))?;

    // 5. The administrator reaches the site settings from the navigation.
    click_css(c, "form[action='/logout'] button").await?;
    wait_css(c, "input[name=user]").await?;
    demo_sign_in(c, base, "admin").await?;
    click_css(c, "nav a[href='/admin']").await?;
    wait_true(
        c,
        "the site settings loading",
        "const v = document.querySelector('#version');
         return !!v && !v.textContent.startsWith('Loading');",
    )
    .await?;
    check_accessibility(c, "site settings page").await
}

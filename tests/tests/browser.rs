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

/// Whether pages may run their scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scripts {
    On,
    Off,
}

async fn browser(webdriver: &str, scripts: Scripts) -> Client {
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

//! What each of the five levels allows, route by route, over a real socket: a browser
//! with an open session sends GET, HEAD and POST to every visitor route of a share of a
//! folder of distinctive files, and [`TABLE`] says, for each level, the status and whether
//! file bytes came back (a file's whole content found in the body, or in an entry of a
//! ZIP). Every mismatch is listed before the test fails. Besides the table: a HEAD never
//! carries a body, counts a use or logs a download; a GET never counts a use; files change
//! only by a POST to a change route that succeeds; a counted download counts once.
//!
//! [`PAGES`] says which links and forms the share page offers at each level.

use super::hostile::snapshot;
use super::resume::{read, write_all};
use super::{Jar, World, enc, multipart, put, serve, world};
use sharelink_core::AllowedActions::{self, Download, Full, PreviewOnly, Upload, UploadDownload};
use sharelink_core::ports::{FileStore, LogKind, LogQuery};
use sharelink_core::testing::fixtures::{path, user};
use sharelink_core::{Share, UseLimit, UseUnit};
use std::fmt;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// The shared folder (its visitor path is `levels`).
const FOLDER: &str = "docs/levels";

/// The shared folder's files and their contents, each found nowhere else: previewable
/// ones (text, a real PNG) and ones without a preview (a document, an archive, active
/// content, an unknown type). The folder also holds an empty `sub/`.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([40 * x as u8, 90 * y as u8, 7]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    vec![
        ("a.txt", b"a.txt: plain text 4b1d".to_vec()),
        ("p.png", png.into_inner()),
        ("d.docx", b"PK d.docx: a document 7e22".to_vec()),
        ("z.zip", b"PK z.zip: an archive 9c03".to_vec()),
        (
            "page.html",
            b"<p>page.html: active content 35fa</p>".to_vec(),
        ),
        ("x.unknown", b"x.unknown: of no known type 0d6e".to_vec()),
    ]
}

/// Puts the folder back as [`files`] describes it.
async fn reset(w: &World) {
    let _ = w.files.delete(&path(FOLDER)).await;
    for (name, data) in files() {
        put(&w.files, &format!("{FOLDER}/{name}"), &data).await;
    }
    w.files
        .create_folder(&path(&format!("{FOLDER}/sub")))
        .await
        .unwrap();
}

// ----- the table -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum M {
    Get,
    Head,
    Post,
}
use M::{Get, Head, Post};

/// What a case answers: its status, and whether file bytes came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    status: u16,
    bytes: bool,
}

const fn no_bytes(status: u16) -> Cell {
    Cell {
        status,
        bytes: false,
    }
}

/// The file's bytes (or, for the ZIP, every file's).
const FILE: Cell = Cell {
    status: 200,
    bytes: true,
};
/// A page, or a HEAD's headers.
const OK: Cell = no_bytes(200);
/// A change made; back to the folder.
const DONE: Cell = no_bytes(303);
/// A gate form of a share without that gate: the share page again, saying "this step is
/// already done".
const NO_GATE: Cell = no_bytes(409);
/// Refused: the level does not allow it (`action_not_allowed`).
const DENIED: Cell = no_bytes(403);
/// Nothing of that kind there: a page at a file's path, a download of a folder.
const NOT_FOUND: Cell = no_bytes(404);
/// The file has no preview (`preview_unavailable`), whatever the level.
const NO_PREVIEW: Cell = no_bytes(404);
/// The route does not take the method.
const WRONG_METHOD: Cell = no_bytes(405);
/// The page asking to confirm a counted download (a button that POSTs).
const CONFIRM: Cell = no_bytes(409);

/// The levels, in the order of the table's columns.
const LEVELS: [AllowedActions; 5] = [PreviewOnly, Download, Upload, UploadDownload, Full];

/// Route (after `/s/{key}`), method, and what it answers at each level. Downloads count
/// (the share has a download limit), so an unconfirmed GET of a download gets the
/// confirmation page, and the page's button (a POST with the CSRF token) the bytes.
#[rustfmt::skip]
const TABLE: &[(&str, M, [Cell; 5])] = &[
    //                          preview only  download     drop box     upload+dl    full
    ("?p=levels",         Get,  [OK,          OK,          OK,          OK,          OK]),
    ("?p=levels",         Head, [OK,          OK,          OK,          OK,          OK]),
    ("?p=levels",         Post, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("?p=levels/a.txt",   Get,  [NOT_FOUND,   NOT_FOUND,   OK,          NOT_FOUND,   NOT_FOUND]),
    ("/embed",            Get,  [OK,          OK,          OK,          OK,          OK]),
    ("/embed",            Head, [OK,          OK,          OK,          OK,          OK]),
    ("/embed",            Post, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/open",             Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/open",             Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/open",             Post, [OK,          OK,          OK,          OK,          OK]),
    ("/password",         Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/password",         Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/password",         Post, [NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE]),
    ("/email",            Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/email",            Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/email",            Post, [NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE]),
    ("/code",             Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/code",             Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/code",             Post, [NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE]),
    ("/register",         Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/register",         Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/register",         Post, [NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE]),
    ("/terms",            Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/terms",            Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/terms",            Post, [NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE,     NO_GATE]),
    ("/dl/levels/a.txt",     Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/a.txt",     Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/a.txt",     Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/p.png",     Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/p.png",     Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/p.png",     Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/d.docx",    Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/d.docx",    Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/d.docx",    Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/z.zip",     Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/z.zip",     Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/z.zip",     Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/page.html", Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/page.html", Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/page.html", Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/x.unknown", Get,  [DENIED, CONFIRM, DENIED, CONFIRM, CONFIRM]),
    ("/dl/levels/x.unknown", Head, [DENIED, OK,      DENIED, OK,      OK]),
    ("/dl/levels/x.unknown", Post, [DENIED, FILE,    DENIED, FILE,    FILE]),
    ("/dl/levels/sub",       Get,  [DENIED, CONFIRM,   DENIED, CONFIRM,   CONFIRM]),
    ("/dl/levels/sub",       Post, [DENIED, NOT_FOUND, DENIED, NOT_FOUND, NOT_FOUND]),
    ("/preview/levels/a.txt",     Get,  [FILE,       FILE,       DENIED, FILE,       FILE]),
    ("/preview/levels/a.txt",     Head, [OK,         OK,         DENIED, OK,         OK]),
    ("/preview/levels/a.txt",     Post, [FILE,       FILE,       DENIED, FILE,       FILE]),
    ("/preview/levels/p.png",     Get,  [FILE,       FILE,       DENIED, FILE,       FILE]),
    ("/preview/levels/p.png",     Head, [OK,         OK,         DENIED, OK,         OK]),
    ("/preview/levels/p.png",     Post, [FILE,       FILE,       DENIED, FILE,       FILE]),
    ("/preview/levels/d.docx",    Get,  [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/d.docx",    Head, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/d.docx",    Post, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/z.zip",     Get,  [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/z.zip",     Head, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/z.zip",     Post, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/page.html", Get,  [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/page.html", Head, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/page.html", Post, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/x.unknown", Get,  [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/x.unknown", Head, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/preview/levels/x.unknown", Post, [NO_PREVIEW, NO_PREVIEW, DENIED, NO_PREVIEW, NO_PREVIEW]),
    ("/zip",              Get,  [DENIED,       CONFIRM,      DENIED,       CONFIRM,      CONFIRM]),
    ("/zip",              Head, [DENIED,       OK,           DENIED,       OK,           OK]),
    ("/zip",              Post, [DENIED,       FILE,         DENIED,       FILE,         FILE]),
    ("/mkdir",            Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/mkdir",            Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/mkdir",            Post, [DENIED,       DENIED,       DENIED,       DONE,         DONE]),
    ("/rename",           Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/rename",           Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/rename",           Post, [DENIED,       DENIED,       DENIED,       DENIED,       DONE]),
    ("/move",             Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/move",             Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/move",             Post, [DENIED,       DENIED,       DENIED,       DENIED,       DONE]),
    ("/move?op=copy",     Post, [DENIED,       DENIED,       DENIED,       DENIED,       DONE]),
    ("/delete",           Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/delete",           Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/delete",           Post, [DENIED,       DENIED,       DENIED,       DENIED,       DONE]),
    ("/upload",           Get,  [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/upload",           Head, [WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD, WRONG_METHOD]),
    ("/upload",           Post, [DENIED,       DENIED,       DONE,         DONE,         DONE]),
];

/// The form fields a route's POST sends, as the page's own form does (the CSRF token is
/// added to each).
fn form(route: &str) -> Vec<(&'static str, &'static str)> {
    match route {
        "/password" => vec![("password", "not the password")],
        "/email" => vec![("email", "eve@client.example")],
        "/code" => vec![("code", "123456")],
        "/register" => vec![("name", "Eve"), ("email", "eve@client.example")],
        "/zip" => vec![("p", "levels")],
        "/mkdir" => vec![("parent", "levels"), ("name", "made")],
        "/rename" => vec![("path", "levels/a.txt"), ("name", "renamed.txt")],
        "/move" => vec![
            ("path", "levels/a.txt"),
            ("into", "levels/sub"),
            ("op", "move"),
        ],
        "/move?op=copy" => vec![
            ("path", "levels/a.txt"),
            ("into", "levels/sub"),
            ("op", "copy"),
        ],
        "/delete" => vec![("path", "levels/a.txt")],
        _ => Vec::new(),
    }
}

/// Whether a route changes files (when it succeeds).
fn changes_files(route: &str) -> bool {
    ["/mkdir", "/rename", "/move", "/delete", "/upload"]
        .iter()
        .any(|r| route.starts_with(r))
}

/// Whether a route serves one file (the last segments of its path).
fn file_route(route: &str) -> Option<&str> {
    route
        .strip_prefix("/dl/levels/")
        .or_else(|| route.strip_prefix("/preview/levels/"))
}

// ----- a browser over a real socket ----------------------------------------------------

/// A browser with its cookie jar, inside a share (the link opened, its session set).
struct Visitor {
    http: reqwest::Client,
    addr: SocketAddr,
    share: String,
    cookies: Jar,
}

/// An answer as it came over the wire.
struct Reply {
    status: u16,
    /// `Content-Disposition` (not read from a HEAD).
    disposition: String,
    body: Vec<u8>,
}

impl Visitor {
    /// Opens the link as a browser does: the first fetch goes round once for our cookie,
    /// and the second opens the session.
    async fn open(addr: SocketAddr, key: &str) -> Self {
        let mut v = Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            addr,
            share: format!("/share/s/{key}"),
            cookies: Jar::default(),
        };
        let mut url = v.share.clone();
        for _ in 0..3 {
            let res = v.get(&url).await;
            if res.status != 303 && res.status != 302 && res.status != 307 {
                assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
                assert!(v.cookies.keys().any(|k| k.starts_with("sl_s_")));
                return v;
            }
            url = res.location;
        }
        panic!("the link did not open");
    }

    fn csrf(&self) -> String {
        self.cookies.get("sl_csrf").cloned().unwrap_or_default()
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> reqwest::Response {
        let res = req
            .header("cookie", self.cookies.header())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        self.cookies.keep(&res);
        res
    }

    async fn get(&mut self, url: &str) -> Located {
        let res = self
            .send(self.http.get(format!("http://{}{url}", self.addr)))
            .await;
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let status = res.status().as_u16();
        Located {
            status,
            body: res.bytes().await.unwrap().to_vec(),
            location: location
                .strip_prefix(&format!("http://{}", self.addr))
                .map(str::to_owned)
                .unwrap_or(location),
        }
    }

    /// One case: `route` (after `/s/{key}`) by `method`; a POST carries the page's form.
    async fn case(&mut self, method: M, route: &str) -> Reply {
        let url = format!("http://{}{}{route}", self.addr, self.share);
        let req = match method {
            Get => self.http.get(url),
            Head => return self.head(route).await,
            Post if route == "/upload" => {
                let csrf = self.csrf();
                let body = multipart(
                    "levels-b0undary",
                    &[
                        ("csrf", None, csrf.as_bytes()),
                        ("folder", None, b"levels"),
                        ("file", Some("up.txt"), b"uploaded at this level"),
                    ],
                );
                self.http
                    .post(url)
                    .header(
                        "content-type",
                        "multipart/form-data; boundary=levels-b0undary",
                    )
                    .body(body)
            }
            Post => {
                let csrf = self.csrf();
                let mut fields = vec![("csrf", csrf.as_str())];
                fields.extend(form(route));
                let body = fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                self.http
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
            }
        };
        let res = self.send(req).await;
        Reply {
            status: res.status().as_u16(),
            disposition: res
                .headers()
                .get("content-disposition")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            body: res.bytes().await.unwrap().to_vec(),
        }
    }

    /// A HEAD written on the socket by hand and read to the end, so a body sent after
    /// the head would be seen (an HTTP client drops it).
    async fn head(&self, route: &str) -> Reply {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let request = format!(
            "HEAD {}{route} HTTP/1.1\r\nHost: {}\r\nAccept: text/html\r\nCookie: {}\r\n\
             Connection: close\r\n\r\n",
            self.share,
            self.addr,
            self.cookies.header()
        );
        write_all(&tcp, request.as_bytes()).await;
        let mut all = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let n = read(&tcp, &mut chunk).await;
            if n == 0 {
                break;
            }
            all.extend_from_slice(&chunk[..n]);
        }
        let end = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head")
            + 4;
        let head = String::from_utf8_lossy(&all[..end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {head}"));
        Reply {
            status,
            disposition: String::new(),
            body: all.split_off(end),
        }
    }
}

/// A GET's answer with where it points to.
struct Located {
    status: u16,
    body: Vec<u8>,
    location: String,
}

/// The shared files whose whole content is in `body`, or in an entry of the ZIP it is.
fn served(body: &[u8]) -> Vec<&'static str> {
    let mut found_in = vec![body.to_vec()];
    if body.starts_with(b"PK\x03\x04")
        && let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(body))
    {
        for i in 0..zip.len() {
            let mut data = Vec::new();
            if let Ok(mut entry) = zip.by_index(i) {
                let _ = entry.read_to_end(&mut data);
            }
            found_in.push(data);
        }
    }
    files()
        .into_iter()
        .filter(|(_, data)| {
            found_in
                .iter()
                .any(|b| b.windows(data.len()).any(|w| w == data.as_slice()))
        })
        .map(|(name, _)| name)
        .collect()
}

/// What a page says, in short: its heading, or the start of the body.
fn gist(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text
        .split_once("<h1>")
        .and_then(|(_, rest)| rest.split_once("</h1>"))
    {
        Some((heading, _)) => heading.to_owned(),
        None => text.chars().take(60).collect(),
    }
}

// ----- the test ------------------------------------------------------------------------

/// A share of the folder at `level`, whose downloads count (a limit far from reached).
async fn level_share(w: &World, level: AllowedActions) -> Share {
    w.share(&[FOLDER], |s| {
        s.allowed = level;
        s.use_limit = Some(UseLimit {
            max: 1000,
            unit: UseUnit::Download,
        });
    })
    .await
}

/// Download and download-all events in the share's log.
async fn downloads_logged(w: &World, share: &Share) -> usize {
    w.app
        .access_log(
            &user("ana"),
            share.id,
            LogQuery {
                kinds: Some(vec![LogKind::Download, LogKind::DownloadAll]),
                limit: 1000,
                ..LogQuery::default()
            },
        )
        .await
        .unwrap()
        .len()
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            self.status,
            if self.bytes { " + bytes" } else { "" }
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_level_every_route_every_method() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let mut mismatches = Vec::new();
    let mut cases = 0;
    let mut counted = 0;
    for (column, level) in LEVELS.into_iter().enumerate() {
        reset(&w).await;
        let share = level_share(&w, level).await;
        let mut visitor = Visitor::open(addr, &share.key.to_string()).await;
        for (route, method, cells) in TABLE {
            cases += 1;
            let before = snapshot(&w.files).await;
            let (uses, logged) = (w.uses(&share).await, downloads_logged(&w, &share).await);
            let reply = visitor.case(*method, route).await;
            if file_route(route).is_some() || *route == "/zip" {
                // A served body settles its use and log entry in the background.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let found = served(&reply.body);
            let got = Cell {
                status: reply.status,
                bytes: !found.is_empty(),
            };
            let spent = w.uses(&share).await - uses;
            let logged = downloads_logged(&w, &share).await - logged;
            let changed = snapshot(&w.files).await != before;
            let mut wrong = Vec::new();
            if got != cells[column] {
                wrong.push(format!(
                    "expected {}, got {got} ({})",
                    cells[column],
                    gist(&reply.body)
                ));
            }
            if *method == Head && !reply.body.is_empty() {
                wrong.push(format!("a HEAD carried {} body bytes", reply.body.len()));
            }
            if *method != Post && (spent != 0 || logged != 0) {
                wrong.push(format!("counted {spent} uses, logged {logged} downloads"));
            }
            let counted_download =
                *method == Post && got.bytes && (route.starts_with("/dl/") || *route == "/zip");
            counted += u32::from(counted_download);
            if counted_download && spent != 1 {
                wrong.push(format!("a confirmed download counted {spent} uses"));
            }
            if !counted_download && spent != 0 {
                wrong.push(format!("counted {spent} uses without a download"));
            }
            if let Some(name) = file_route(route).filter(|_| got.bytes)
                && found != [name]
            {
                wrong.push(format!("served the bytes of {found:?}"));
            }
            if *route == "/zip" && got.bytes && found.len() != files().len() {
                wrong.push(format!("the ZIP held only {found:?}"));
            }
            // A preview is shown in the page; everything else is handed over to keep.
            let inline = route.starts_with("/preview/");
            if got.bytes && reply.disposition.starts_with("inline") != inline {
                wrong.push(format!("served as {:?}", reply.disposition));
            }
            if changed && !(changes_files(route) && *method == Post && got == DONE) {
                wrong.push("changed files".to_owned());
            }
            if !wrong.is_empty() {
                mismatches.push(format!(
                    "{:<15} {:<4} {route:<27} {}",
                    level.as_str(),
                    format!("{method:?}").to_uppercase(),
                    wrong.join("; ")
                ));
            }
            if changed {
                reset(&w).await;
            }
        }
        // A use or log entry settled late would have escaped its case.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (uses, logged) = (w.uses(&share).await, downloads_logged(&w, &share).await);
        if (uses, logged) != (counted, counted as usize) {
            mismatches.push(format!(
                "{:<15} in all: {counted} confirmed downloads, {uses} uses, {logged} logged",
                level.as_str()
            ));
        }
        counted = 0;
    }
    server.abort();
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases differ from the table:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A level and what its page offers, as [`PAGES`] reads.
type PageRow = (
    AllowedActions,
    bool,
    &'static [&'static str],
    bool,
    bool,
    bool,
    bool,
);

/// What the share page of each level offers: whether it lists the files, the files with
/// a preview link, and whether it has download links (and the ZIP forms), an upload form,
/// a new-folder form, and the rename/move/delete forms.
#[rustfmt::skip]
const PAGES: [PageRow; 5] = [
    // level         listing preview links         download upload  mkdir  change
    (PreviewOnly,    true,   &["a.txt", "p.png"],  false,   false,  false, false),
    (Download,       true,   &["a.txt", "p.png"],  true,    false,  false, false),
    (Upload,         false,  &[],                  false,   true,   false, false),
    (UploadDownload, true,   &["a.txt", "p.png"],  true,    true,   true,  false),
    (Full,           true,   &["a.txt", "p.png"],  true,    true,   true,  true),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_level_page_offers_only_what_it_allows() {
    let w = world().await;
    reset(&w).await;
    let (addr, server) = serve(w.router.clone()).await;
    let mut mismatches = Vec::new();
    for (level, listing, previews, download, upload, mkdir, change) in PAGES {
        let share = level_share(&w, level).await;
        let mut visitor = Visitor::open(addr, &share.key.to_string()).await;
        let expected = (listing, previews.to_vec(), download, upload, mkdir, change);
        // The folder's page offers exactly that; the top's offers no more.
        for (query, exact) in [("?p=levels", true), ("", false)] {
            let page = visitor.case(Get, query).await;
            assert_eq!(page.status, 200, "{level:?} {query}");
            let html = String::from_utf8_lossy(&page.body);
            let offered = (
                files()
                    .iter()
                    .any(|(name, _)| html.contains(&format!("{name}<"))),
                files()
                    .into_iter()
                    .map(|(name, _)| name)
                    // A preview link opens the preview, or its page.
                    .filter(|name| {
                        html.contains(&format!("/preview/levels/{name}\""))
                            || html.contains(&format!("/view/levels/{name}\""))
                    })
                    .collect::<Vec<_>>(),
                html.contains("/dl/") || html.contains("/zip\""),
                html.contains("/upload\""),
                html.contains("/mkdir\""),
                ["/rename\"", "/move\"", "/delete\""]
                    .iter()
                    .any(|a| html.contains(a)),
            );
            let within = (!offered.0 || listing)
                && offered.1.iter().all(|p| expected.1.contains(p))
                && (!offered.2 || download)
                && (!offered.3 || upload)
                && (!offered.4 || mkdir)
                && (!offered.5 || change);
            if (exact && offered != expected) || !within {
                mismatches.push(format!(
                    "{:<15} page {query:<10} expected {expected:?}, got {offered:?}",
                    level.as_str()
                ));
            }
        }
    }
    server.abort();
    assert!(
        mismatches.is_empty(),
        "pages differ from the table:\n{}",
        mismatches.join("\n")
    );
}

/// Without a use limit nothing needs confirming: a GET of a file route (the page's own
/// download and preview links, a plain fetch of `/zip`) answers as the table's POST of
/// that route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_a_get_answers_as_the_confirmed_post() {
    let w = world().await;
    reset(&w).await;
    let (addr, server) = serve(w.router.clone()).await;
    let mut mismatches = Vec::new();
    for (column, level) in LEVELS.into_iter().enumerate() {
        let share = w.share(&[FOLDER], |s| s.allowed = level).await;
        assert!(share.settings.use_limit.is_none());
        let mut visitor = Visitor::open(addr, &share.key.to_string()).await;
        let file_posts = TABLE
            .iter()
            .filter(|(r, m, _)| *m == Post && (file_route(r).is_some() || *r == "/zip"));
        for (route, _, cells) in file_posts {
            let reply = visitor.case(Get, route).await;
            let got = Cell {
                status: reply.status,
                bytes: !served(&reply.body).is_empty(),
            };
            if got != cells[column] {
                mismatches.push(format!(
                    "{:<15} GET  {route:<27} expected {}, got {got} ({})",
                    level.as_str(),
                    cells[column],
                    gist(&reply.body)
                ));
            }
        }
    }
    server.abort();
    assert!(
        mismatches.is_empty(),
        "GETs without a limit differ from the table's POSTs:\n{}",
        mismatches.join("\n")
    );
}

/// With a watermark, a preview-only share hands out no original at all: a picture's
/// preview is a new PNG (whatever range is asked), and the other files have no preview.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watermarked_preview_only_share_hands_out_no_original() {
    let w = world().await;
    reset(&w).await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&[FOLDER], |s| {
            s.allowed = PreviewOnly;
            s.watermark = Some(sharelink_core::Watermark {
                text: "for {ip}".into(),
            });
        })
        .await;
    let mut visitor = Visitor::open(addr, &share.key.to_string()).await;
    for (name, _) in files() {
        for range in [None, Some("bytes=0-20"), Some("bytes=-8")] {
            let url = format!("http://{addr}{}/preview/levels/{name}", visitor.share);
            let mut req = visitor.http.get(url);
            if let Some(r) = range {
                req = req.header("range", r);
            }
            let res = visitor.send(req).await;
            let status = res.status().as_u16();
            let body = res.bytes().await.unwrap();
            assert!(served(&body).is_empty(), "{name} {range:?}: the original");
            if name == "p.png" {
                assert_eq!(status, 200, "{name} {range:?}");
                let marked = image::load_from_memory_with_format(&body, image::ImageFormat::Png)
                    .expect("a PNG");
                assert_eq!((marked.width(), marked.height()), (3, 2));
            } else {
                assert_eq!(status, 404, "{name} {range:?}: {}", gist(&body));
            }
        }
    }
    server.abort();
}

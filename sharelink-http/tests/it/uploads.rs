//! Uploads as a person makes them, over a real socket: open the link, read the upload
//! form off the page, post what that form would post (its action, its hidden fields, its
//! file input, a choice of its select), follow the redirect and read the notice.

use super::*;
use futures::TryStreamExt;
use scraper::{ElementRef, Html, Selector};

/// A browser without JavaScript over a real socket: keeps cookies, follows redirects,
/// asks for HTML.
struct Person {
    client: reqwest::Client,
    origin: String,
    cookies: Jar,
}

/// A page as the person got it.
struct Seen {
    status: u16,
    /// The address the page was finally loaded from (after redirects).
    url: String,
    html: String,
}

impl Person {
    fn new(addr: std::net::SocketAddr) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            origin: format!("http://{addr}"),
            cookies: Jar::default(),
        }
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

    /// Follows `res` through its redirects, as a browser does after a form post.
    async fn follow(&mut self, mut res: reqwest::Response, mut url: String) -> Seen {
        for _ in 0..5 {
            if !res.status().is_redirection() {
                let status = res.status().as_u16();
                return Seen {
                    status,
                    url,
                    html: res.text().await.unwrap(),
                };
            }
            url = format!(
                "{}{}",
                self.origin,
                res.headers()["location"].to_str().unwrap()
            );
            res = self.send(self.client.get(&url)).await;
        }
        panic!("too many redirects, last {url}");
    }

    /// Opens an address (an absolute path) as a typed or clicked link.
    async fn open(&mut self, path: &str) -> Seen {
        let url = format!("{}{path}", self.origin);
        let res = self.send(self.client.get(&url)).await;
        self.follow(res, url).await
    }

    /// Posts `form` with `files` in its file input and `choice` in its select.
    async fn post(
        &mut self,
        form: &UploadForm,
        choice: Option<&str>,
        files: &[Chosen<'_>],
    ) -> reqwest::Response {
        let mut body = reqwest::multipart::Form::new();
        // Parts in the form's order, as a browser sends them.
        for control in &form.controls {
            body = match control {
                Control::Hidden(name, value) => body.text(name.clone(), value.clone()),
                Control::Select(name, options) => {
                    let chosen = choice.expect("the form asks to choose a folder");
                    assert!(
                        options.iter().any(|o| o == chosen),
                        "`{chosen}` is not among the options {options:?}"
                    );
                    body.text(name.clone(), chosen.to_owned())
                }
                Control::File(name) => files.iter().fold(body, |body, (file_name, data)| {
                    let part = reqwest::multipart::Part::bytes(data.to_vec())
                        .file_name((*file_name).to_owned())
                        .mime_str("application/octet-stream")
                        .unwrap();
                    body.part(name.clone(), part)
                }),
            };
        }
        let url = format!("{}{}", self.origin, form.action);
        self.send(self.client.post(&url).multipart(body)).await
    }

    /// Submits `form` as [`Person::post`] does and follows the redirect to the page the
    /// upload returns to.
    async fn submit(
        &mut self,
        form: &UploadForm,
        choice: Option<&str>,
        files: &[Chosen<'_>],
    ) -> Seen {
        let res = self.post(form, choice, files).await;
        assert_eq!(res.status(), 303, "an upload answers with a redirect");
        let url = res.url().to_string();
        self.follow(res, url).await
    }
}

/// A file chosen in a file input: its name (a path inside a chosen folder) and bytes.
type Chosen<'a> = (&'a str, &'a [u8]);

/// A control of an upload form, in document order.
#[derive(Debug)]
enum Control {
    Hidden(String, String),
    /// A select's name and its option values.
    Select(String, Vec<String>),
    File(String),
}

/// An upload form read off a page.
#[derive(Debug)]
struct UploadForm {
    action: String,
    /// Whether its file input picks a whole folder.
    directory: bool,
    controls: Vec<Control>,
}

/// The upload forms of a page (`multipart/form-data` posts).
fn upload_forms(html: &str) -> Vec<UploadForm> {
    let doc = Html::parse_document(html);
    let forms = Selector::parse("form[method=post][enctype=\"multipart/form-data\"]").unwrap();
    let controls = Selector::parse("input, select").unwrap();
    let options = Selector::parse("option").unwrap();
    let attr = |e: &ElementRef<'_>, a: &str| e.value().attr(a).unwrap_or_default().to_owned();
    doc.select(&forms)
        .map(|form| {
            let mut directory = false;
            let controls = form
                .select(&controls)
                .filter_map(|c| {
                    let name = attr(&c, "name");
                    match (c.value().name(), c.value().attr("type")) {
                        ("select", _) => Some(Control::Select(
                            name,
                            c.select(&options).map(|o| attr(&o, "value")).collect(),
                        )),
                        ("input", Some("hidden")) => Some(Control::Hidden(name, attr(&c, "value"))),
                        ("input", Some("file")) => {
                            directory |= c.value().attr("webkitdirectory").is_some();
                            Some(Control::File(name))
                        }
                        _ => None,
                    }
                })
                .collect();
            UploadForm {
                action: attr(&form, "action"),
                directory,
                controls,
            }
        })
        .collect()
}

/// The notice of a page (`role=status`), as text.
fn notice(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let status = Selector::parse("[role=status]").unwrap();
    doc.select(&status)
        .next()
        .map(|n| n.text().collect::<String>())
}

/// Opens `share` as a person and finds its upload form for files or for a folder.
async fn form_of(person: &mut Person, share: &Share, query: &str, directory: bool) -> UploadForm {
    let page = person.open(&format!("/share/s/{}{query}", share.key)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    upload_forms(&page.html)
        .into_iter()
        .find(|f| f.directory == directory)
        .unwrap_or_else(|| panic!("no upload form on the page: {}", page.html))
}

async fn content(w: &World, p: &str) -> Vec<u8> {
    let stream = w
        .files
        .read(&path(p), None)
        .await
        .unwrap_or_else(|e| panic!("{p} was not stored: {e}"))
        .stream;
    stream.map_ok(|b| b.to_vec()).try_concat().await.unwrap()
}

#[tokio::test]
async fn a_drop_box_of_one_folder_takes_files_from_its_page() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&["docs/drop"], |s| s.allowed = AllowedActions::Upload)
        .await;
    let mut person = Person::new(addr);
    let form = form_of(&mut person, &share, "", false).await;
    assert!(
        !form
            .controls
            .iter()
            .any(|c| matches!(c, Control::Select(..))),
        "one folder needs no choice: {form:?}"
    );
    let after = person
        .submit(
            &form,
            None,
            &[("report.txt", b"quarterly"), ("photo.jpg", b"pixels")],
        )
        .await;
    assert_eq!(after.status, 200, "{}", after.html);
    assert!(
        after.url.ends_with(&format!("/s/{}?uploaded=2", share.key)),
        "{}",
        after.url
    );
    assert_eq!(
        notice(&after.html).as_deref(),
        Some(
            "2 files uploaded. The owner has received them; this link does not show the \
folder's contents."
        )
    );
    // A drop box lists nothing, not even what was just dropped.
    assert!(!after.html.contains("report.txt"), "{}", after.html);
    assert_eq!(content(&w, "docs/drop/report.txt").await, b"quarterly");
    assert_eq!(content(&w, "docs/drop/photo.jpg").await, b"pixels");
    server.abort();
}

#[tokio::test]
async fn a_drop_box_of_two_folders_asks_which_one() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&["docs/drop", "docs/reports"], |s| {
            s.allowed = AllowedActions::Upload
        })
        .await;
    let mut person = Person::new(addr);
    let form = form_of(&mut person, &share, "", false).await;
    let Some(Control::Select(_, options)) = form
        .controls
        .iter()
        .find(|c| matches!(c, Control::Select(..)))
    else {
        panic!("two folders need a choice: {form:?}");
    };
    assert_eq!(options, &["drop", "reports"]);
    let after = person
        .submit(&form, Some("reports"), &[("minutes.txt", b"agreed")])
        .await;
    assert_eq!(after.status, 200, "{}", after.html);
    assert!(
        after.url.ends_with("?p=reports&uploaded=1"),
        "{}",
        after.url
    );
    assert!(
        notice(&after.html)
            .is_some_and(|n| n.starts_with("1 file uploaded. The owner has received it")),
        "{}",
        after.html
    );
    assert_eq!(content(&w, "docs/reports/minutes.txt").await, b"agreed");
    assert!(w.files.stat(&path("docs/drop/minutes.txt")).await.is_err());
    // The page it lands on uploads into the chosen folder again.
    let again = upload_forms(&after.html);
    assert!(
        again.iter().any(|f| f
            .controls
            .iter()
            .any(|c| matches!(c, Control::Hidden(n, v) if n == "folder" && v == "reports"))),
        "{again:?}"
    );
    server.abort();
}

#[tokio::test]
async fn a_download_share_with_an_inbox_takes_files_into_the_inbox() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.allowed = AllowedActions::Download;
            s.inbox = Some(path("docs/reports/inbox"));
        })
        .await;
    let mut person = Person::new(addr);
    let page = person.open(&format!("/share/s/{}", share.key)).await;
    assert!(
        page.html.contains("Send files to the owner"),
        "{}",
        page.html
    );
    let form = form_of(&mut person, &share, "", false).await;
    let after = person
        .submit(&form, None, &[("answer.txt", b"signed")])
        .await;
    assert_eq!(after.status, 200, "{}", after.html);
    assert_eq!(
        notice(&after.html).as_deref(),
        Some("1 file sent to the owner.")
    );
    // The listing is still there: this is a download share.
    assert!(after.html.contains("reports/"), "{}", after.html);
    assert_eq!(
        content(&w, "docs/reports/inbox/answer.txt").await,
        b"signed"
    );
    server.abort();
}

#[tokio::test]
async fn a_whole_folder_keeps_its_folders_at_the_upload_and_download_level() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.allowed = AllowedActions::UploadDownload
        })
        .await;
    let mut person = Person::new(addr);
    let form = form_of(&mut person, &share, "?p=reports", true).await;
    // What a folder input sends: each file by its path inside the chosen folder.
    let after = person
        .submit(
            &form,
            None,
            &[
                ("album/2024/photo.txt", b"pixels"),
                ("album/readme.txt", b"read me"),
            ],
        )
        .await;
    assert_eq!(after.status, 200, "{}", after.html);
    assert!(
        after.url.ends_with("?p=reports&uploaded=2"),
        "{}",
        after.url
    );
    assert_eq!(notice(&after.html).as_deref(), Some("2 files uploaded."));
    assert!(
        after.html.contains("album/"),
        "the new folder is listed: {}",
        after.html
    );
    assert_eq!(
        content(&w, "docs/reports/album/2024/photo.txt").await,
        b"pixels"
    );
    assert_eq!(
        content(&w, "docs/reports/album/readme.txt").await,
        b"read me"
    );
    server.abort();
}

#[tokio::test]
async fn a_refused_upload_says_why_with_a_way_back() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let share = w
        .share(&["docs/drop"], |s| {
            s.allowed = AllowedActions::Upload;
            s.upload_rules.allowed_extensions = Some(vec!["txt".into()]);
            s.upload_rules.max_file_bytes = Some(10);
            s.upload_rules.max_share_bytes = Some(12);
        })
        .await;
    let mut person = Person::new(addr);
    let form = form_of(&mut person, &share, "", false).await;
    let cases: [(&[Chosen<'_>], &str, &str); 3] = [
        (&[("tool.exe", b"MZ")], "tool.exe", "files of this type"),
        (
            &[("big.txt", b"more than ten")],
            "big.txt",
            "larger than 10 bytes",
        ),
        (
            &[("one.txt", b"123456"), ("two.txt", b"1234567")],
            "two.txt",
            "upload space (12 bytes)",
        ),
    ];
    for (files, refused, why) in cases {
        let res = person.post(&form, None, files).await;
        let status = res.status().as_u16();
        let html = res.text().await.unwrap();
        assert_eq!(status, 422, "{refused}: {html}");
        let doc = Html::parse_document(&html);
        let alert: String = doc
            .select(&Selector::parse("[role=alert]").unwrap())
            .flat_map(|n| n.text())
            .collect();
        assert!(alert.starts_with(&format!("{refused}: ")), "{alert}");
        assert!(alert.contains(why), "{alert}");
        assert!(html.contains("<h1>Upload refused</h1>"), "{html}");
        let back = doc
            .select(&Selector::parse("a").unwrap())
            .find(|a| a.text().collect::<String>() == "Back to the upload form")
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_else(|| panic!("no way back: {html}"))
            .to_owned();
        let page = person.open(&back).await;
        assert_eq!(page.status, 200);
        assert!(!upload_forms(&page.html).is_empty(), "{}", page.html);
    }
    assert!(w.files.stat(&path("docs/drop/tool.exe")).await.is_err());
    assert!(w.files.stat(&path("docs/drop/big.txt")).await.is_err());
    assert!(w.files.stat(&path("docs/drop/two.txt")).await.is_err());
    assert_eq!(content(&w, "docs/drop/one.txt").await, b"123456");
    server.abort();
}

//! Model-based, over HTTP: random sequences of visitor requests (browsers that keep
//! cookies, JSON and HTML, and cookie-less bots; page fetches, `HEAD`s, invitation links,
//! password posts, confirmed and unconfirmed downloads, ranges that resume with
//! `If-Range`, downloads the client leaves part-way over a raw socket) and owner changes
//! (password, use limit, revocation) against the real server on SQLite, checked after
//! every step against a small reference model: the use counter, which browsers hold a
//! session, the `visit` events and unique visitors in the log and statistics, and the
//! download events (an aborted one with detail `aborted` and its byte count).
//!
//! One stack serves every case; each case gets a fresh share (counters, sessions, attempt
//! counters and the log are per share), so a case's server state depends on its steps
//! only and shrinking works.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use reqwest::Method;
use sharelink_core::{Share, SiteSettings, UseLimit, UseUnit};
use sharelink_tests::{Backend, Reply, Stack, Visitor};
use std::collections::HashSet;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Larger than the server's loopback send buffer (4 MiB at most) and the client's small
/// receive buffer together, so the server is still sending when the client leaves.
const BIG: usize = 8 << 20;
const SMALL: usize = 4096;
/// Browsers of a case: 0 and 2 ask for JSON, 1 for HTML pages.
const BROWSERS: usize = 3;
const PASSWORD: &str = "first secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Small,
    Big,
}

impl File {
    fn path(self) -> &'static str {
        match self {
            File::Small => "model/small.txt",
            File::Big => "model/big.bin",
        }
    }
}

/// What part of the file a download asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    /// `Range: bytes=100-1123` with `If-Range` naming the file's version (a resume).
    Resume,
    /// The same range with `If-Range` naming another version: a whole download.
    Stale,
}

/// What a cookie-less client fetches.
#[derive(Debug, Clone, Copy)]
enum Bot {
    Page,
    File,
    Head,
    Invitation,
}

#[derive(Debug, Clone)]
enum Op {
    /// A browser fetches the page (following redirects; a JSON client opens its session
    /// with `POST /open` when asked to).
    Page {
        v: usize,
    },
    /// A browser sends `HEAD` for the page or a file.
    Head {
        v: usize,
        file: bool,
    },
    /// A browser fetches an invitation link (`?r=`).
    Invitation {
        v: usize,
    },
    /// A client without cookies.
    Bot(Bot),
    Password {
        v: usize,
        correct: bool,
    },
    /// `POST` (confirmed) or `GET` of a file.
    Download {
        v: usize,
        file: File,
        confirmed: bool,
        part: Part,
    },
    /// A confirmed download of the big file the client leaves after `kib` KiB of body.
    Abort {
        v: usize,
        kib: usize,
    },
    ChangePassword,
    SetLimit {
        max: u32,
    },
    Revoke,
}

/// The share a case starts with.
#[derive(Debug, Clone)]
struct Setup {
    limit: Option<UseLimit>,
    password: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        3 => (1u32..4, any::<bool>()).prop_map(|(max, password)| Setup {
            limit: Some(UseLimit { max, unit: UseUnit::Download }),
            password,
        }),
        1 => (1u32..4).prop_map(|max| Setup {
            limit: Some(UseLimit { max, unit: UseUnit::Visit }),
            password: false,
        }),
        1 => any::<bool>().prop_map(|password| Setup { limit: None, password }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..BROWSERS;
    let file = prop_oneof![4 => Just(File::Small), 1 => Just(File::Big)];
    let part = prop_oneof![2 => Just(Part::Whole), 2 => Just(Part::Resume), 1 => Just(Part::Stale)];
    let bot = prop_oneof![
        Just(Bot::Page),
        Just(Bot::File),
        Just(Bot::Head),
        Just(Bot::Invitation)
    ];
    prop_oneof![
        4 => v.clone().prop_map(|v| Op::Page { v }),
        1 => (v.clone(), any::<bool>()).prop_map(|(v, file)| Op::Head { v, file }),
        1 => v.clone().prop_map(|v| Op::Invitation { v }),
        2 => bot.prop_map(Op::Bot),
        2 => (v.clone(), prop::bool::weighted(0.8)).prop_map(|(v, correct)| Op::Password { v, correct }),
        7 => (v.clone(), file, prop::bool::weighted(0.6), part)
            .prop_map(|(v, file, confirmed, part)| Op::Download { v, file, confirmed, part }),
        2 => (v, 1usize..256).prop_map(|(v, kib)| Op::Abort { v, kib }),
        1 => Just(Op::ChangePassword),
        1 => (1u32..4).prop_map(|max| Op::SetLimit { max }),
        1 => Just(Op::Revoke),
    ]
}

/// The reference model of the case's share.
#[derive(Debug)]
struct Model {
    alive: bool,
    limit: Option<UseLimit>,
    password: Option<String>,
    uses: u32,
    /// Per browser: its session, and whether it passed the password gate.
    sessions: [Option<bool>; BROWSERS],
    /// Per browser: the files its current session spent a use on (its ranges resume them).
    resumable: [HashSet<&'static str>; BROWSERS],
    visits: u64,
    visitors: HashSet<usize>,
    downloads: u64,
    aborted: u64,
    wrong_passwords: u32,
    changes: u32,
}

/// How the server should answer a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served; `spends` whether a use is spent.
    Served {
        spends: bool,
    },
    NotFound,
    Exhausted,
    Password,
    Confirm,
    NoSession,
}

impl Model {
    fn exhausted(&self) -> bool {
        self.limit.is_some_and(|l| self.uses >= l.max)
    }

    /// More uses counted than the limit allows (the owner lowered it below them): closed
    /// even to a session whose own use was counted (that use is one of them, and the
    /// others are already too many).
    fn overrun(&self) -> bool {
        self.limit.is_some_and(|l| self.uses > l.max)
    }

    fn unit(&self) -> Option<UseUnit> {
        self.limit.map(|l| l.unit)
    }

    /// A confirmed open by browser `v` (no session yet): stores one when the share may
    /// be opened; a visit-limited share spends a use on it.
    fn open(&mut self, v: usize) -> bool {
        if !self.alive || self.exhausted() {
            return false;
        }
        if self.unit() == Some(UseUnit::Visit) {
            self.uses += 1;
        }
        self.sessions[v] = Some(self.password.is_none());
        self.resumable[v].clear();
        self.visits += 1;
        self.visitors.insert(v);
        true
    }

    /// A download by browser `v`, which holds a session (`Some(passed)`) or not.
    fn download(&self, v: usize, file: File, confirmed: bool, part: Part) -> Expect {
        if !self.alive {
            return Expect::NotFound;
        }
        let Some(passed) = self.sessions[v] else {
            return Expect::NoSession;
        };
        if self.overrun() {
            return Expect::Exhausted;
        }
        match self.unit() {
            Some(UseUnit::Download) => {
                if part == Part::Resume && self.resumable[v].contains(file.path()) {
                    if passed {
                        Expect::Served { spends: false }
                    } else {
                        Expect::Password
                    }
                } else if self.exhausted() {
                    Expect::Exhausted
                } else if !passed {
                    Expect::Password
                } else if !confirmed {
                    Expect::Confirm
                } else {
                    Expect::Served { spends: true }
                }
            }
            // The visit was counted when the session opened: nothing more to confirm.
            _ if !passed => Expect::Password,
            _ => Expect::Served { spends: false },
        }
    }
}

/// One stack for every case, with the case's files.
struct World {
    stack: Stack,
    etag: [String; 2],
    big: Vec<u8>,
}

fn big_payload() -> Vec<u8> {
    (0..BIG)
        .map(|i| u8::try_from((i * 7 + i / 4093) % 251).expect("a byte"))
        .collect()
}

async fn world() -> World {
    // Every case creates a share: many cases are more than a person's daily quota.
    let site = SiteSettings {
        shares_per_user_per_day: None,
        ..SiteSettings::default()
    };
    let stack = Stack::with_site(Backend::Sqlite, site).await;
    let big = big_payload();
    stack.put("docs/model/big.bin", &big).await;
    let small: Vec<u8> = (0..SMALL).map(|i| b"0123456789abcdef"[i % 16]).collect();
    stack.put("docs/model/small.txt", &small).await;
    // The versions' validators, read through an unlimited share.
    let share = stack.share("ana", &["docs/model"], |_| {}).await;
    let mut v = stack.visitor();
    assert_eq!(v.get(&format!("/s/{}", share.key)).await.status, 200);
    let mut etag = [String::new(), String::new()];
    for (i, f) in [File::Small, File::Big].into_iter().enumerate() {
        let r = v.head(&format!("/s/{}/dl/{}", share.key, f.path())).await;
        assert_eq!(r.status, 200, "{}", r.text());
        etag[i] = r.header("etag").to_owned();
        assert!(!etag[i].is_empty(), "an ETag for {f:?}");
    }
    World { stack, etag, big }
}

/// The state of one case: the share, its browsers and the model.
struct Case<'w> {
    w: &'w World,
    share: Share,
    key: String,
    browsers: Vec<Visitor>,
    model: Model,
}

fn status_of(expect: Expect, part: Part) -> &'static [u16] {
    match expect {
        Expect::Served { .. } if part == Part::Resume => &[206],
        Expect::Served { .. } => &[200],
        Expect::NotFound => &[404],
        Expect::Exhausted => &[410],
        Expect::Password => &[401, 403],
        Expect::Confirm => &[409],
        Expect::NoSession => &[401, 403],
    }
}

/// How a revoked key may answer: as an unknown one, which is "not found", or "no
/// session" for a file asked without a session of it.
fn gone(status: u16, with_session: bool) -> bool {
    status == 404 || (!with_session && status == 401)
}

impl Case<'_> {
    fn url(&self, rest: &str) -> String {
        format!("{}/s/{}{rest}", self.w.stack.base, self.key)
    }

    fn etag(&self, file: File) -> &str {
        &self.w.etag[usize::from(file == File::Big)]
    }

    fn has_b(&self, v: usize) -> bool {
        self.browsers[v].cookie("sl_b").is_some()
    }

    /// A bot's request: no cookies, no redirects followed.
    async fn bot(&self, method: Method, rest: &str) -> Reply {
        let mut bot = self.w.stack.visitor();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        bot.send(client.request(method, self.url(rest))).await
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let m = &mut self.model;
        match *op {
            Op::Page { v } => {
                let had = m.sessions[v].is_some();
                let returning = self.has_b(v);
                let json = v != 1;
                let reply = self.browsers[v].get(&format!("/s/{}", self.key)).await;
                let m = &mut self.model;
                if !m.alive {
                    prop_assert_eq!(reply.status, 404, "{}", reply.text());
                } else if !had {
                    // A visit-limited share asks to confirm the visit (it spends a use);
                    // a JSON client is not opened while a gate is pending.
                    let visit_limited = m.unit() == Some(UseUnit::Visit);
                    let opens = returning || (!visit_limited && (!json || m.password.is_none()));
                    if opens {
                        m.open(v);
                    }
                }
                prop_assert!(reply.status < 500, "{}", reply.text());
            }
            Op::Head { v, file } => {
                let rest = if file {
                    format!("/s/{}/dl/{}", self.key, File::Small.path())
                } else {
                    format!("/s/{}", self.key)
                };
                let reply = self.browsers[v].head(&rest).await;
                if !self.model.alive {
                    prop_assert!(
                        gone(reply.status, self.model.sessions[v].is_some()),
                        "{}",
                        reply.status
                    );
                }
                prop_assert!(reply.status < 500);
            }
            Op::Invitation { v } => {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("a client");
                let url = self.url("?r=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
                let reply = self.browsers[v].send(client.get(url)).await;
                if !self.model.alive {
                    prop_assert!(
                        gone(reply.status, self.model.sessions[v].is_some()),
                        "{}",
                        reply.status
                    );
                }
                prop_assert!(reply.status < 500, "{}", reply.text());
            }
            Op::Bot(kind) => {
                let (method, rest) = match kind {
                    Bot::Page => (Method::GET, String::new()),
                    Bot::File => (Method::GET, format!("/dl/{}", File::Small.path())),
                    Bot::Head => (Method::HEAD, String::new()),
                    Bot::Invitation => (Method::GET, "?r=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
                };
                let reply = self.bot(method, &rest).await;
                prop_assert!(
                    !reply
                        .headers
                        .get_all("set-cookie")
                        .iter()
                        .any(|c| c.to_str().unwrap_or_default().starts_with("sl_s_")),
                    "a bot was given a session"
                );
                if !self.model.alive {
                    prop_assert!(gone(reply.status, false), "{}", reply.status);
                }
                prop_assert!(reply.status < 500, "{}", reply.text());
            }
            Op::Password { v, correct } => {
                let Some(password) = m.password.clone() else {
                    return Ok(());
                };
                // Stay below the per-client attempt limit (5 per window, per share).
                if !correct && m.wrong_passwords >= 3 {
                    return Ok(());
                }
                let m = &self.model;
                if !self.has_b(v) || !m.alive || m.exhausted() || m.sessions[v] == Some(true) {
                    return Ok(());
                }
                let given = if correct {
                    password
                } else {
                    "wrong".to_owned()
                };
                let path = format!("/s/{}/password", self.key);
                let reply = self.browsers[v]
                    .post_form(&path, &[("password", &given)])
                    .await;
                let m = &mut self.model;
                if m.sessions[v].is_none() && !m.open(v) {
                    // A closed share: refused, nothing opened.
                    prop_assert!(reply.status >= 400 && reply.status < 500);
                    return Ok(());
                }
                if correct {
                    m.sessions[v] = Some(true);
                } else {
                    m.wrong_passwords += 1;
                }
                prop_assert!(reply.status < 500, "{}", reply.text());
            }
            Op::Download {
                v,
                file,
                confirmed,
                part,
            } => {
                // A browser with our cookie but no session gets one opened first (a
                // returning browser); a confirmed request opens one too.
                let returning = self.browsers[v].cookie("sl_b").is_some();
                let refused_open = m.sessions[v].is_none() && returning && !m.open(v);
                let mut expect = m.download(v, file, confirmed, part);
                if confirmed && !returning {
                    // No CSRF cookie: refused before anything else.
                    expect = Expect::NoSession;
                } else if confirmed && refused_open {
                    expect = if m.alive {
                        Expect::Exhausted
                    } else {
                        Expect::NotFound
                    };
                }
                let rest = format!("/s/{}/dl/{}", self.key, file.path());
                let url = format!("{}{rest}", self.w.stack.base);
                let client = reqwest::Client::new();
                let mut req = if confirmed {
                    client
                        .post(url)
                        .header("x-csrf-token", self.browsers[v].csrf())
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("accept", "application/json")
                } else {
                    client.get(url).header("accept", "application/json")
                };
                let range = (100, 1123);
                match part {
                    Part::Whole => {}
                    Part::Resume => {
                        req = req
                            .header("range", format!("bytes={}-{}", range.0, range.1))
                            .header("if-range", self.etag(file));
                    }
                    Part::Stale => {
                        req = req
                            .header("range", format!("bytes={}-{}", range.0, range.1))
                            .header("if-range", "\"another-version\"");
                    }
                }
                let reply = self.browsers[v].send(req).await;
                let statuses = status_of(expect, part);
                // Without a session, a revoked key may be refused for either reason.
                let either = expect == Expect::NotFound && self.model.sessions[v].is_none();
                prop_assert!(
                    statuses.contains(&reply.status) || (either && reply.status == 401),
                    "expected {:?} ({:?}), got {}: {}",
                    expect,
                    statuses,
                    reply.status,
                    reply.text()
                );
                let m = &mut self.model;
                if let Expect::Served { spends } = expect {
                    let len = if part == Part::Resume {
                        range.1 - range.0 + 1
                    } else if file == File::Big {
                        BIG
                    } else {
                        SMALL
                    };
                    prop_assert_eq!(reply.body.len(), len);
                    if file == File::Big && part == Part::Resume {
                        prop_assert!(reply.body[..] == self.w.big[range.0..=range.1]);
                    }
                    m.downloads += 1;
                    if spends {
                        m.uses += 1;
                        m.resumable[v].insert(file.path());
                    }
                }
            }
            Op::Abort { v, kib } => {
                if self.model.sessions[v].is_none() || !self.has_b(v) {
                    return Ok(());
                }
                let expect = self.model.download(v, File::Big, true, Part::Whole);
                let (status, got) = self.download_and_leave(v, kib << 10).await;
                let statuses = status_of(expect, Part::Whole);
                prop_assert!(
                    statuses.contains(&status),
                    "expected {:?}, got {}",
                    expect,
                    status
                );
                let m = &mut self.model;
                if let Expect::Served { spends } = expect {
                    prop_assert!(got[..] == self.w.big[..got.len()]);
                    m.downloads += 1;
                    m.aborted += 1;
                    if spends {
                        m.uses += 1;
                        m.resumable[v].insert(File::Big.path());
                    }
                }
            }
            Op::ChangePassword => {
                if !m.alive || m.unit() == Some(UseUnit::Visit) {
                    return Ok(());
                }
                m.changes += 1;
                let new = format!("secret number {}", m.changes);
                let reply = self
                    .w
                    .stack
                    .api(
                        Method::PATCH,
                        &format!("/shares/{}", self.share.id.0),
                        Some("ana"),
                        Some(serde_json::json!({ "password": { "set": new } })),
                    )
                    .await;
                prop_assert_eq!(reply.status, 200, "{}", reply.text());
                let m = &mut self.model;
                m.password = Some(new);
                for s in m.sessions.iter_mut().flatten() {
                    *s = false;
                }
            }
            Op::SetLimit { max } => {
                let Some(limit) = m.limit else {
                    return Ok(());
                };
                if !m.alive {
                    return Ok(());
                }
                let unit = match limit.unit {
                    UseUnit::Visit => "visit",
                    _ => "download",
                };
                let reply = self
                    .w
                    .stack
                    .api(
                        Method::PATCH,
                        &format!("/shares/{}", self.share.id.0),
                        Some("ana"),
                        Some(serde_json::json!({
                            "settings": { "use_limit": { "max": max, "unit": unit } }
                        })),
                    )
                    .await;
                prop_assert_eq!(reply.status, 200, "{}", reply.text());
                self.model.limit = Some(UseLimit { max, ..limit });
            }
            Op::Revoke => {
                if !m.alive {
                    return Ok(());
                }
                let reply = self
                    .w
                    .stack
                    .api(
                        Method::DELETE,
                        &format!("/shares/{}", self.share.id.0),
                        Some("ana"),
                        None,
                    )
                    .await;
                prop_assert_eq!(reply.status, 204, "{}", reply.text());
                self.model.alive = false;
            }
        }
        Ok(())
    }

    /// A confirmed download of the big file over a raw socket with a small receive
    /// buffer: reads the head and `keep` bytes of the body, then closes with unread bytes
    /// (a reset). Returns the status and the body bytes read.
    async fn download_and_leave(&mut self, v: usize, keep: usize) -> (u16, Vec<u8>) {
        let base = url::Url::parse(&self.w.stack.base).expect("the base URL");
        let addr = base
            .socket_addrs(|| None)
            .expect("an address")
            .into_iter()
            .next()
            .expect("one address");
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .set_recv_buffer_size(16 << 10)
            .expect("a small buffer");
        let mut tcp = socket.connect(addr).await.expect("connect");
        let browser = &self.browsers[v];
        let request = format!(
            "POST /share/s/{}/dl/{} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
             X-CSRF-Token: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 0\r\n\r\n",
            self.key,
            File::Big.path(),
            browser.cookie_header(),
            browser.csrf()
        );
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 16 << 10];
        let head_end = loop {
            let n = tcp.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed before the head");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        let mut body = buf.split_off(head_end);
        if status == 200 {
            while body.len() < keep {
                let n = tcp.read(&mut chunk).await.expect("read");
                assert!(n > 0, "closed before {keep} bytes");
                body.extend_from_slice(&chunk[..n]);
            }
        }
        drop(tcp);
        (status, body)
    }

    /// Compares the server's counters with the model's (download events are settled in
    /// the background, so they are waited for).
    async fn check(&self) -> Result<(), TestCaseError> {
        let m = &self.model;
        for (v, b) in self.browsers.iter().enumerate() {
            prop_assert_eq!(
                b.has_session(),
                m.sessions[v].is_some(),
                "browser {} holds a session",
                v
            );
        }
        if !m.alive {
            let page = self.bot(Method::GET, "").await;
            prop_assert_eq!(page.status, 404);
            return Ok(());
        }
        let stack = &self.w.stack;
        let id = self.share.id.0;
        let mut last = (0, 0, 0, 0, 0, 0);
        for _ in 0..50 {
            let stats = stack.statistics(&self.share).await;
            let log = stack
                .api(
                    Method::GET,
                    &format!("/shares/{id}/log?kind=download&limit=1000"),
                    Some("ana"),
                    None,
                )
                .await
                .json();
            let events = log["events"].as_array().cloned().unwrap_or_default();
            let aborted: Vec<_> = events.iter().filter(|e| e["detail"] == "aborted").collect();
            for e in &aborted {
                let bytes = e["bytes"].as_u64().unwrap_or(0);
                prop_assert!(bytes > 0 && bytes < BIG as u64, "aborted bytes {}", bytes);
            }
            let visit_events = stack
                .api(
                    Method::GET,
                    &format!("/shares/{id}/log?kind=visit&limit=1000"),
                    Some("ana"),
                    None,
                )
                .await
                .json()["events"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let visitors: HashSet<String> = visit_events
                .iter()
                .map(|e| e["visitor"].to_string())
                .collect();
            // The statistics' unique visitors are the browsers among the visit events: a
            // refused browser or a bot is none.
            // The statistics and the log agree on them (a disagreement never matches).
            let unique = stats["unique_visitors"]
                .as_u64()
                .filter(|u| *u == visitors.len() as u64)
                .unwrap_or(u64::MAX);
            last = (
                stack.uses(&self.share).await,
                visit_events.len() as u64,
                stats["visits"].as_u64().unwrap_or(u64::MAX),
                unique,
                events.len() as u64,
                aborted.len() as u64,
            );
            let want = (
                m.uses,
                m.visits,
                m.visits,
                m.visitors.len() as u64,
                m.downloads,
                m.aborted,
            );
            if last == want {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(TestCaseError::fail(format!(
            "(uses, visit events, visits, visitors of visits, download events, aborted) = \
             {last:?}, the model says {:?}",
            (
                m.uses,
                m.visits,
                m.visits,
                m.visitors.len(),
                m.downloads,
                m.aborted
            )
        )))
    }
}

async fn run(w: &World, setup: Setup, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let share = w
        .stack
        .share_with_password(
            "ana",
            &["docs/model"],
            setup.password.then_some(PASSWORD),
            |s| s.use_limit = setup.limit,
        )
        .await;
    let browsers = (0..BROWSERS)
        .map(|v| {
            if v == 1 {
                w.stack.html_visitor()
            } else {
                w.stack.visitor()
            }
        })
        .collect();
    let mut case = Case {
        w,
        key: share.key.to_string(),
        share,
        browsers,
        model: Model {
            alive: true,
            limit: setup.limit,
            password: setup.password.then(|| PASSWORD.to_owned()),
            uses: 0,
            sessions: [None; BROWSERS],
            resumable: Default::default(),
            visits: 0,
            visitors: HashSet::new(),
            downloads: 0,
            aborted: 0,
            wrong_passwords: 0,
            changes: 0,
        },
    };
    for op in &ops {
        case.step(op).await?;
        case.check().await?;
    }
    Ok(())
}

#[test]
fn http_follows_the_reference_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let w = rt.block_on(world());
    let cases = std::env::var("SHARELINK_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (setup(), prop::collection::vec(op(), 1..25));
    let result = runner.run(&strategy, |(s, ops)| rt.block_on(run(&w, s, ops)));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, (s, ops))) => {
            panic!("{why}\nminimal case: {s:?}\n{ops:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

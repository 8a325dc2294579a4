//! Brute force: 10,000 password guesses and 10,000 one-time-code guesses against one share,
//! concurrently, from 2,000 client addresses. The limits hold under that concurrency
//! (attempts are counted before they are evaluated), and the test counts how many guesses
//! were actually evaluated. 2,000 guesses from 2,000 networks slow the share down but do
//! not lock it: a fresh browser with the right password gets in after the slow-down, and
//! the owner is told once. Also: an unknown key and a revoked key take the same time.

use super::*;
use sharelink_core::PasswordError;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts the password verifications (each one an evaluated guess).
#[derive(Debug)]
struct Counting {
    inner: Argon2idHasher,
    verified: AtomicUsize,
}

impl PasswordHasher for Counting {
    fn hash(&self, password: &PlainPassword) -> Result<PasswordHash, PasswordError> {
        self.inner.hash(password)
    }

    fn verify(&self, password: &PlainPassword, hash: &PasswordHash) -> bool {
        self.verified.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, hash)
    }
}

const CLIENTS: u32 = 2_000;
const GUESSES_EACH: u32 = 5;

/// Client number `n`'s address: consecutive addresses, 256 to a /24 network.
fn dense(n: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + n)
}

/// Client number `n`'s address: one client to a /24 network.
fn spread(n: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + (n << 8))
}

/// A form request from `ip`.
fn from(ip: Ipv4Addr, req: axum::http::request::Builder) -> axum::http::request::Builder {
    let mut req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    req.extensions_mut()
        .unwrap()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40_000,
        ))));
    req
}

/// How a storm guesses.
#[derive(Clone, Copy)]
struct Storm {
    /// Concurrent clients.
    clients: u32,
    /// Guesses each.
    guesses_each: u32,
    /// Client number → address.
    address: fn(u32) -> Ipv4Addr,
}

/// `CLIENTS` clients guessing `GUESSES_EACH` times each from consecutive addresses.
const DENSE: Storm = Storm {
    clients: CLIENTS,
    guesses_each: GUESSES_EACH,
    address: dense,
};

/// Runs `storm.clients` concurrent clients, each opening the link, optionally posting
/// `prelude` once, then posting `storm.guesses_each` guesses to `route`; returns the
/// guess statuses.
async fn storm(
    router: &Router,
    key: &str,
    storm: Storm,
    prelude: Option<(&'static str, &'static str)>,
    route: &'static str,
    guess: &'static str,
) -> Vec<StatusCode> {
    let tasks: Vec<_> = (0..storm.clients)
        .map(|n| {
            let ip = (storm.address)(n);
            let router = router.clone();
            let key = key.to_owned();
            tokio::spawn(async move {
                let mut b = Browser::default();
                b.send(
                    &router,
                    from(ip, Request::get(format!("/s/{key}")))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
                let csrf = b.csrf();
                if let Some((route, body)) = prelude {
                    b.send(
                        &router,
                        from(ip, Request::post(format!("/s/{key}/{route}")))
                            .body(Body::from(format!("csrf={csrf}&{body}")))
                            .unwrap(),
                    )
                    .await;
                }
                let mut statuses = Vec::new();
                for _ in 0..storm.guesses_each {
                    let res = b
                        .send(
                            &router,
                            from(ip, Request::post(format!("/s/{key}/{route}")))
                                .body(Body::from(format!("csrf={csrf}&{guess}")))
                                .unwrap(),
                        )
                        .await;
                    statuses.push(res.status);
                }
                statuses
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// A router over in-memory ports whose clock, events and mail the test can see, with
/// password verifications counted.
struct Watched {
    router: Router,
    app: Sharelink,
    hasher: Arc<Counting>,
    mem: InMemory,
}

impl Watched {
    fn new() -> Self {
        let hasher = Arc::new(Counting {
            inner: Argon2idHasher::new(Argon2Params::TESTING),
            verified: AtomicUsize::new(0),
        });
        let base = fixtures::World::new();
        let ports = base.mem.ports().with_hasher(hasher.clone());
        let app = Sharelink::new(ports, Config::new(fixtures::LINK_BASE)).unwrap();
        let http = HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        };
        let state = SharelinkState::new(app.clone(), Arc::new(HeaderAuth), http);
        Self {
            router: sharelink_http::router(state),
            app,
            hasher,
            mem: base.mem,
        }
    }

    async fn password_share(&self, password: &str) -> Share {
        let mut settings = ShareSettings::named("Test share");
        settings.password = true;
        self.app
            .create_share(
                &user("ana"),
                CreateShare {
                    items: vec![NewItem {
                        path: path("docs/reports"),
                        alias: None,
                    }],
                    settings,
                    password: Some(password.to_owned()),
                    custom_key: None,
                },
            )
            .await
            .unwrap()
            .share
    }

    fn evaluated(&self) -> usize {
        self.hasher.verified.load(Ordering::SeqCst)
    }

    /// The attack warnings mailed, and the attack events published.
    fn warnings(&self) -> (usize, usize) {
        let mails = self
            .mem
            .mailer
            .sent()
            .iter()
            .filter(|(m, _)| {
                matches!(m.message, MailMessage::UnderAttack { .. })
                    && m.to == fixtures::corp_email("ana")
            })
            .count();
        let events = self
            .mem
            .events
            .events()
            .iter()
            .filter(|e| matches!(e, sharelink_core::ports::ShareEvent::UnderAttack { .. }))
            .count();
        (mails, events)
    }

    /// Opens the link as a new browser at `ip` and posts `password`: the answer's status.
    async fn try_password(
        &self,
        browser: &mut Browser,
        key: &str,
        ip: Ipv4Addr,
        password: &str,
    ) -> StatusCode {
        if browser.csrf().is_empty() {
            browser
                .send(
                    &self.router,
                    from(ip, Request::get(format!("/s/{key}")))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
        }
        let csrf = browser.csrf();
        browser
            .send(
                &self.router,
                from(ip, Request::post(format!("/s/{key}/password")))
                    .body(Body::from(format!(
                        "csrf={csrf}&password={}",
                        enc(password)
                    )))
                    .unwrap(),
            )
            .await
            .status
    }
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_password_guesses_evaluate_at_most_the_limits() {
    let w = Watched::new();
    let share = w.password_share("correct horse 1").await;
    let statuses = storm(
        &w.router,
        share.key.as_str(),
        DENSE,
        None,
        "password",
        "password=guess",
    )
    .await;
    assert_eq!(statuses.len(), (CLIENTS * GUESSES_EACH) as usize);
    let limits = AttemptLimits::default();
    let evaluated = w.evaluated();
    let wrong = count(&statuses, StatusCode::UNAUTHORIZED);
    let limited = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    println!(
        "password: {} guesses, {evaluated} evaluated, {wrong} refused as wrong, {limited} refused unevaluated",
        statuses.len()
    );
    // The clock stands still: past the share's limit, one guess per slow-down level.
    let bound = u64::from(limits.per_share) + limits.most_slowed_evaluations(time::Duration::ZERO);
    assert!(evaluated >= limits.per_share as usize, "{evaluated}");
    assert!(evaluated as u64 <= bound, "{evaluated} > {bound}");
    // 2,000 consecutive addresses are 8 networks: their limit caps the share's count.
    let networks = CLIENTS.div_ceil(256) as usize;
    assert!(evaluated <= networks * limits.per_network as usize);
    assert_eq!(wrong, evaluated);
    assert_eq!(wrong + limited, statuses.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_guesses_from_as_many_networks_slow_the_share_but_do_not_lock_it() {
    let w = Watched::new();
    let share = w.password_share("correct horse 1").await;
    let key = share.key.as_str();
    let limits = AttemptLimits::default();
    let spread_storm = Storm {
        clients: CLIENTS,
        guesses_each: 1,
        address: spread,
    };
    let statuses = storm(
        &w.router,
        key,
        spread_storm,
        None,
        "password",
        "password=guess",
    )
    .await;
    let evaluated = w.evaluated();
    println!(
        "spread password: {} guesses from {CLIENTS} networks, {evaluated} evaluated",
        statuses.len()
    );
    // Frozen clock: the share's limit, then exactly one guess per slow-down level.
    assert_eq!(
        evaluated as u64,
        u64::from(limits.per_share) + limits.most_slowed_evaluations(time::Duration::ZERO)
    );
    assert_eq!(count(&statuses, StatusCode::UNAUTHORIZED), evaluated);
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        statuses.len() - evaluated
    );
    // The owner heard once: one mail, one event.
    assert_eq!(w.warnings(), (1, 1));

    // A fresh browser on a fresh address with the right password: refused while the
    // share's slot is taken, let in once the slow-down (at most `slow_max` of the test
    // clock) has passed.
    let fresh_ip = Ipv4Addr::new(192, 0, 2, 200);
    let mut fresh = Browser::default();
    let first = w
        .try_password(&mut fresh, key, fresh_ip, "correct horse 1")
        .await;
    assert_eq!(first, StatusCode::TOO_MANY_REQUESTS);
    w.mem.clock.advance(limits.slow_max);
    let second = w
        .try_password(&mut fresh, key, fresh_ip, "correct horse 1")
        .await;
    assert_eq!(second, StatusCode::SEE_OTHER);
    let inside = fresh
        .send(
            &w.router,
            from(fresh_ip, Request::get(format!("/s/{key}")))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(inside.status, StatusCode::OK);

    // The browser that got in (its browser cookie) is exempt from the slow-down from now
    // on: with the share still slowed down and its slot taken, it gets in at once again.
    let again = w
        .try_password(
            &mut Browser::default(),
            key,
            Ipv4Addr::new(192, 0, 2, 201),
            "x",
        )
        .await;
    assert_eq!(again, StatusCode::TOO_MANY_REQUESTS, "the slot is taken");
    let mut returning = Browser {
        cookies: fresh
            .cookies
            .iter()
            .filter(|(k, _)| k.as_str() == "sl_b")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let back = w
        .try_password(
            &mut returning,
            key,
            Ipv4Addr::new(192, 0, 2, 202),
            "correct horse 1",
        )
        .await;
    assert_eq!(back, StatusCode::SEE_OTHER);

    // Still one warning for the window, even after more guessing.
    let more = Storm {
        clients: 50,
        guesses_each: 1,
        address: |n| Ipv4Addr::from(0x0b00_0000 + (n << 8)),
    };
    storm(&w.router, key, more, None, "password", "password=guess").await;
    assert_eq!(w.warnings(), (1, 1));
}

#[tokio::test]
async fn the_client_limit_still_refuses_a_single_guesser() {
    let w = Watched::new();
    let share = w.password_share("correct horse 1").await;
    let key = share.key.as_str();
    let limits = AttemptLimits::default();
    let ip = Ipv4Addr::new(198, 51, 100, 4);
    let mut b = Browser::default();
    for _ in 0..limits.per_client {
        let status = w.try_password(&mut b, key, ip, "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Refused unevaluated, even the right password, for the rest of the window.
    let status = w.try_password(&mut b, key, ip, "correct horse 1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(w.evaluated(), limits.per_client as usize);
    assert_eq!(w.warnings(), (0, 0));
    w.mem.clock.advance(limits.window);
    let status = w.try_password(&mut b, key, ip, "correct horse 1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_code_guesses_evaluate_at_most_the_limits() {
    let w = world().await;
    let share = w
        .share(&["docs/reports"], |s| {
            s.access = AccessControl::VerifiedEmails(vec![
                EmailPattern::parse("*@client.example").unwrap(),
            ]);
        })
        .await;
    // Every client asks for a code (for the same address), then guesses.
    let statuses = storm(
        &w.router,
        share.key.as_str(),
        DENSE,
        Some(("email", "email=bo%40client.example")),
        "code",
        "code=999999x",
    )
    .await;
    let limits = AttemptLimits::default();
    let bound = u64::from(limits.per_share) + limits.most_slowed_evaluations(time::Duration::ZERO);
    let evaluated = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    let sent = w
        .mailer
        .sent()
        .iter()
        .filter(|(m, _)| matches!(m.message, MailMessage::OneTimeCode { .. }))
        .count();
    println!(
        "codes: {} guesses, {evaluated} evaluated, {sent} codes sent",
        statuses.len()
    );
    assert_eq!(statuses.len(), (CLIENTS * GUESSES_EACH) as usize);
    assert!(
        evaluated as u64 <= bound,
        "{evaluated} code guesses were evaluated"
    );
    assert!(sent as u64 <= bound, "{sent} codes were sent");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "a guess passed: {statuses:?}"
    );
}

/// Median time of opening `/s/{key}`.
async fn open_time(router: &Router, key: &str) -> Duration {
    let mut b = Browser::default();
    let start = Instant::now();
    let res = b.get(router, &format!("/s/{key}")).await;
    let took = start.elapsed();
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    took
}

#[tokio::test]
async fn unknown_and_revoked_keys_take_the_same_time() {
    let w = world().await;
    let mut revoked = Vec::new();
    for _ in 0..20 {
        let s = w.share(&["docs/reports"], |_| {}).await;
        w.app.revoke(&user("ana"), s.id).await.unwrap();
        revoked.push(s.key.to_string());
    }
    let unknown: Vec<String> = (0..20)
        .map(|i| format!("{}x{i:03}", &revoked[0][..20]))
        .collect();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    // Interleaved, so drift in the machine's load hits both alike.
    for round in 0..300 {
        let i = round % 20;
        a.push(open_time(&w.router, &revoked[i]).await);
        b.push(open_time(&w.router, &unknown[i]).await);
    }
    a.sort();
    b.sort();
    let (ma, mb) = (a[a.len() / 2], b[b.len() / 2]);
    println!("median open: revoked {ma:?}, unknown {mb:?}");
    let ratio = ma.as_secs_f64() / mb.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "revoked {ma:?} vs unknown {mb:?}: the time tells them apart"
    );
}

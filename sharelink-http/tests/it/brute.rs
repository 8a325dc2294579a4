//! Brute force: 10,000 password guesses and 10,000 one-time-code guesses against one share,
//! concurrently, from 2,000 client addresses. The limits hold under that concurrency
//! (attempts are counted before they are evaluated), and the test counts how many guesses
//! were actually evaluated. Also: an unknown key and a revoked key take the same time.

use super::*;
use sharelink_core::PasswordError;
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

/// A request from client number `n` (a distinct address).
fn from(n: u32, req: axum::http::request::Builder) -> axum::http::request::Builder {
    let mut req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let ip = std::net::Ipv4Addr::from(0x0a00_0000 + n);
    req.extensions_mut()
        .unwrap()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40_000,
        ))));
    req
}

/// Runs `CLIENTS` concurrent clients, each opening the link, optionally posting `prelude`
/// once, then posting `GUESSES_EACH` guesses to `route`; returns the guess statuses.
async fn storm(
    router: &Router,
    key: &str,
    prelude: Option<(&'static str, &'static str)>,
    route: &'static str,
    guess: &'static str,
) -> Vec<StatusCode> {
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let router = router.clone();
            let key = key.to_owned();
            tokio::spawn(async move {
                let mut b = Browser::default();
                b.send(
                    &router,
                    from(n, Request::get(format!("/s/{key}")))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
                let csrf = b.csrf();
                if let Some((route, body)) = prelude {
                    b.send(
                        &router,
                        from(n, Request::post(format!("/s/{key}/{route}")))
                            .body(Body::from(format!("csrf={csrf}&{body}")))
                            .unwrap(),
                    )
                    .await;
                }
                let mut statuses = Vec::new();
                for _ in 0..GUESSES_EACH {
                    let res = b
                        .send(
                            &router,
                            from(n, Request::post(format!("/s/{key}/{route}")))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_password_guesses_evaluate_at_most_the_share_limit() {
    let hasher = Arc::new(Counting {
        inner: Argon2idHasher::new(Argon2Params::TESTING),
        verified: AtomicUsize::new(0),
    });
    let w = world_custom(
        HttpConfig {
            secure_cookies: false,
            ..HttpConfig::default()
        },
        hasher.clone(),
    )
    .await;
    let share = w
        .share_with_password(&["docs/reports"], Some("correct horse 1"), |s| {
            s.password = true
        })
        .await;
    let statuses = storm(
        &w.router,
        share.key.as_str(),
        None,
        "password",
        "password=guess",
    )
    .await;
    assert_eq!(statuses.len(), (CLIENTS * GUESSES_EACH) as usize);
    let limits = AttemptLimits::default();
    let evaluated = hasher.verified.load(Ordering::SeqCst);
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!(
        "password: {} guesses, {evaluated} evaluated, {wrong} refused as wrong, {limited} refused unevaluated",
        statuses.len()
    );
    assert_eq!(evaluated, limits.per_share as usize);
    assert_eq!(wrong, evaluated);
    assert_eq!(wrong + limited, statuses.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_code_guesses_evaluate_at_most_the_share_limit() {
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
        Some(("email", "email=bo%40client.example")),
        "code",
        "code=999999x",
    )
    .await;
    let limits = AttemptLimits::default();
    let evaluated = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    let sent = w.mailer.sent().len();
    println!(
        "codes: {} guesses, {evaluated} evaluated, {sent} codes sent",
        statuses.len()
    );
    assert_eq!(statuses.len(), (CLIENTS * GUESSES_EACH) as usize);
    assert!(
        evaluated <= limits.per_share as usize,
        "{evaluated} code guesses were evaluated"
    );
    assert!(sent <= limits.per_share as usize, "{sent} codes were sent");
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

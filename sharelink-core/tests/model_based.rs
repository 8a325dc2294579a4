//! Model-based test: random sequences of use-case calls (create, open, pass the password,
//! download, revoke, expire, reactivate, advance the clock) against the services over the
//! in-memory adapters, checked step by step against a small reference model.

use futures::executor::block_on;
use proptest::prelude::*;
use sharelink_core::memory::*;
use sharelink_core::ports::*;
use sharelink_core::service::*;
use sharelink_core::testing::fixtures::{LINK_BASE, Person, corp_email, people, put_file};
use sharelink_core::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-23 09:00 UTC);
const PASSWORD: &str = "open sesame";
const BROWSERS: usize = 3;

#[derive(Debug, Clone)]
enum Cmd {
    Create {
        password: bool,
        max: Option<u32>,
        expiry_hours: Option<i64>,
    },
    Open {
        share: usize,
        browser: usize,
    },
    Password {
        share: usize,
        browser: usize,
        correct: bool,
    },
    /// The whole file, or (`ranged`) `bytes=1-` as a browser resuming a download asks.
    Download {
        share: usize,
        browser: usize,
        confirmed: bool,
        end: End,
        ranged: bool,
    },
    Revoke {
        share: usize,
    },
    Expire {
        share: usize,
    },
    Reactivate {
        share: usize,
        hours: i64,
    },
    Advance {
        minutes: i64,
    },
}

/// How a transfer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Completed,
    /// The client left after some bytes.
    Aborted,
    /// The store failed.
    Failed,
}

impl End {
    fn outcome(self) -> Outcome {
        match self {
            End::Completed => Outcome::Completed { bytes: 7 },
            End::Aborted => Outcome::Aborted { bytes: 3 },
            End::Failed => Outcome::Failed,
        }
    }
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Completed), Just(End::Aborted), Just(End::Failed)]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let s = 0usize..3;
    let b = 0usize..BROWSERS;
    prop_oneof![
        2 => (any::<bool>(), prop::option::of(1u32..3), prop::option::of(1i64..48))
            .prop_map(|(password, max, expiry_hours)| Cmd::Create { password, max, expiry_hours }),
        4 => (s.clone(), b.clone()).prop_map(|(share, browser)| Cmd::Open { share, browser }),
        3 => (s.clone(), b.clone(), prop::bool::weighted(0.8)).prop_map(|(share, browser, correct)| Cmd::Password { share, browser, correct }),
        8 => (s.clone(), b.clone(), prop::bool::weighted(0.7), end(), prop::bool::weighted(0.4)).prop_map(|(share, browser, confirmed, end, ranged)| Cmd::Download { share, browser, confirmed, end, ranged }),
        1 => s.clone().prop_map(|share| Cmd::Revoke { share }),
        1 => s.clone().prop_map(|share| Cmd::Expire { share }),
        1 => (s, 1i64..72).prop_map(|(share, hours)| Cmd::Reactivate { share, hours }),
        2 => (1i64..600).prop_map(|minutes| Cmd::Advance { minutes }),
    ]
}

/// The reference model of one share.
#[derive(Debug, Default, Clone)]
struct ModelShare {
    alive: bool,
    password: bool,
    max: Option<u32>,
    uses: u32,
    expires_at: Option<OffsetDateTime>,
    /// Per browser: (password passed, download counted).
    sessions: HashMap<usize, (bool, bool)>,
    /// Per browser: failed password attempts as (window start, count).
    failures: HashMap<usize, (i64, u32)>,
    /// Browsers whose current session spent a use on the file (completed or aborted):
    /// their range requests resume it for free.
    resumable: HashSet<usize>,
}

impl ModelShare {
    fn expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }
    fn exhausted(&self) -> bool {
        self.max.is_some_and(|m| self.uses >= m)
    }
}

struct Real {
    app: Sharelink,
    clock: Arc<ManualClock>,
    shares: Vec<(Share, ModelShare)>,
    sessions: HashMap<(usize, usize), SessionId>,
}

fn client(b: usize) -> service::Client {
    service::Client {
        ip: Some(format!("192.0.2.{}", b + 1).parse().expect("valid ip")),
        user_agent: None,
        browser: BrowserId::parse(&format!("browser{b}")).expect("valid"),
        device: None,
        user: None,
        locale: None,
    }
}

fn setup() -> Real {
    let mem = InMemory::new(T0);
    block_on(put_file(mem.files.as_ref(), "docs/f.txt", b"payload"));
    people(
        &mem.directory,
        &[Person {
            id: "owner",
            admin: false,
            rights: &[("docs", Rights::ALL)],
        }],
        corp_email,
    );
    let ports = mem.ports().with_random(Arc::new(SeededRandom::new(11)));
    let app = Sharelink::new(ports, Config::new(LINK_BASE)).expect("valid config");
    Real {
        app,
        clock: mem.clock,
        shares: Vec::new(),
        sessions: HashMap::new(),
    }
}

fn denial<T>(r: service::Result<T>) -> Result<(), Denial> {
    match r {
        Ok(_) => Ok(()),
        Err(ServiceError::Denied(d)) => Err(d),
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

fn run(cmds: Vec<Cmd>) -> Result<(), TestCaseError> {
    let mut r = setup();
    let owner = UserId::parse("owner").expect("valid");
    for c in cmds {
        let now = r.clock.now();
        match c {
            Cmd::Create {
                password,
                max,
                expiry_hours,
            } => {
                let mut settings = ShareSettings::named("m");
                settings.use_limit = max.map(|max| UseLimit {
                    max,
                    unit: UseUnit::Download,
                });
                settings.schedule.expires_at = expiry_hours.map(|h| now + Duration::hours(h));
                let req = CreateShare {
                    items: vec![NewItem {
                        path: SharePath::parse("docs/f.txt").expect("valid"),
                        alias: None,
                    }],
                    settings,
                    password: password.then(|| PASSWORD.to_owned()),
                    custom_key: None,
                };
                let created = block_on(r.app.create_share(&owner, req)).expect("create");
                let model = ModelShare {
                    alive: true,
                    password,
                    max,
                    expires_at: Some(
                        expiry_hours.map_or(now + Duration::days(30), |h| now + Duration::hours(h)),
                    ),
                    ..ModelShare::default()
                };
                r.shares.push((created.share, model));
            }
            Cmd::Open { share, browser } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let expected = if !m.alive {
                    Err(Denial::NotFound)
                } else if m.expired(now) {
                    Err(Denial::Expired)
                } else if m.exhausted() {
                    Err(Denial::UsesExhausted)
                } else {
                    Ok(())
                };
                let got = block_on(r.app.open(OpenRequest {
                    key: s.key.as_str(),
                    client: &client(browser),
                    recipient_code: None,
                    access_code: None,
                    mode: RequestMode::Confirmed,
                }));
                match got {
                    Ok(v) => {
                        prop_assert_eq!(Ok(()), expected.clone());
                        prop_assert_eq!(v.gate.pending.is_some(), m.password);
                        r.sessions
                            .insert((share, browser), v.session.expect("stored").id);
                        m.sessions.insert(browser, (false, false));
                        m.resumable.remove(&browser);
                    }
                    Err(e) => prop_assert_eq!(denial::<()>(Err(e)), expected),
                }
            }
            Cmd::Password {
                share,
                browser,
                correct,
            } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let Some(sid) = r.sessions.get(&(share, browser)) else {
                    continue;
                };
                let Some(&(passed, counted)) = m.sessions.get(&browser) else {
                    continue;
                };
                let window = now.unix_timestamp() - now.unix_timestamp().rem_euclid(15 * 60);
                let failures = m
                    .failures
                    .get(&browser)
                    .filter(|(w, _)| *w == window)
                    .map_or(0, |(_, n)| *n);
                let expected = if !m.alive {
                    Err(Denial::NotFound)
                } else if m.expired(now) {
                    Err(Denial::Expired)
                } else if m.exhausted() && !counted {
                    Err(Denial::UsesExhausted)
                } else if !m.password || passed {
                    continue; // nothing to pass: the service answers Conflict, not modelled
                } else if failures >= 5 {
                    Err(Denial::TooManyAttempts)
                } else if correct {
                    Ok(())
                } else {
                    Err(Denial::PasswordRequired)
                };
                let pw = if correct { PASSWORD } else { "wrong" };
                let got = denial(block_on(r.app.submit_password(
                    &VisitRequest::new(
                        s.key.as_str(),
                        sid,
                        &client(browser),
                        RequestMode::Confirmed,
                    ),
                    pw,
                )));
                prop_assert_eq!(&got, &expected);
                match expected {
                    Ok(()) => {
                        m.sessions.insert(browser, (true, counted));
                    }
                    Err(Denial::PasswordRequired) => {
                        m.failures.insert(browser, (window, failures + 1));
                    }
                    _ => {}
                }
            }
            Cmd::Download {
                share,
                browser,
                confirmed,
                end,
                ranged,
            } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let Some(sid) = r.sessions.get(&(share, browser)) else {
                    continue;
                };
                let Some(&(passed, _)) = m.sessions.get(&browser) else {
                    continue;
                };
                // A range rides on the use its session spent: free, no confirmation. A
                // whole-file download is a download of its own: it always counts.
                let resumes = ranged && m.resumable.contains(&browser);
                let expected = if !m.alive {
                    Err(Denial::NotFound)
                } else if m.expired(now) {
                    Err(Denial::Expired)
                } else if resumes {
                    Ok(())
                } else if m.exhausted() {
                    Err(Denial::UsesExhausted)
                } else if m.password && !passed {
                    Err(Denial::PasswordRequired)
                } else if m.max.is_some() && !confirmed {
                    Err(Denial::ConfirmationRequired)
                } else {
                    Ok(())
                };
                let mode = if confirmed {
                    RequestMode::Confirmed
                } else {
                    RequestMode::Unconfirmed
                };
                let path = SharePath::parse("f.txt").expect("valid");
                let got = block_on(r.app.download(
                    &VisitRequest::new(s.key.as_str(), sid, &client(browser), mode),
                    &path,
                    ranged.then_some(ByteRange {
                        start: 1,
                        end: u64::MAX,
                    }),
                    Action::Download,
                ));
                match got {
                    Ok(d) => {
                        prop_assert_eq!(Ok(()), expected.clone());
                        block_on(r.app.finish(d.ticket, end.outcome()));
                        // Only the server's failure refunds; an abort spends the use.
                        if m.max.is_some() && !resumes && end != End::Failed {
                            m.uses += 1;
                            m.resumable.insert(browser);
                        }
                    }
                    Err(e) => prop_assert_eq!(denial::<()>(Err(e)), expected),
                }
            }
            Cmd::Revoke { share } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let got = block_on(r.app.revoke(&owner, s.id));
                prop_assert_eq!(got.is_ok(), m.alive);
                m.alive = false;
            }
            Cmd::Expire { share } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let got = block_on(r.app.expire(&owner, s.id));
                prop_assert_eq!(got.is_ok(), m.alive);
                if m.alive {
                    m.expires_at = Some(now);
                }
            }
            Cmd::Reactivate { share, hours } => {
                let Some((s, m)) = r.shares.get_mut(share) else {
                    continue;
                };
                let got = block_on(r.app.reactivate(
                    &owner,
                    s.id,
                    Some(now + Duration::hours(hours)),
                ));
                prop_assert_eq!(got.is_ok(), m.alive);
                if m.alive {
                    m.expires_at = Some(now + Duration::hours(hours));
                }
            }
            Cmd::Advance { minutes } => r.clock.advance(Duration::minutes(minutes)),
        }
        // Invariant: the store's use count never passes the limit and matches the model.
        for (s, m) in &r.shares {
            if m.alive {
                let stored = block_on(r.app.get_share(&owner, s.id)).expect("get");
                prop_assert_eq!(stored.uses, m.uses);
                prop_assert!(m.max.is_none_or(|max| stored.uses <= max));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn services_follow_the_reference_model(cmds in prop::collection::vec(cmd(), 1..40)) {
        run(cmds)?;
    }
}

//! Access scenarios aimed at an outcome: [`admitted`] (every gate passed, the target
//! inside an item), [`denied_by`] one chosen [`DenialKind`], [`stopped_at`] one
//! [`Gate`]; and [`Scenarios`], the builder they are made with, which narrows levels and
//! actions and is itself a proptest [`Strategy`].
//!
//! A scenario is built admitted first and then broken in one place: the gates are opened
//! by going through [`Gate::ORDER`] and passing each gate that [`Gate::applies`] (one
//! exhaustive `match` per gate here, so a new gate fails the build until it is taught),
//! the schedule, use limit, address list, creator's rights, file types and upload rules
//! are set to let the request through, and the request mode is confirmed when
//! [`decide`] asks for it. A break then undoes exactly one check, leaving the checks
//! [`decide`] makes before it passed, so the first denial is the chosen one.
//!
//! Names and paths come from the [`names`](super::names) grammar.

use super::names::{self, EXTENSIONS, INVALID_NAMES, join_within, with_extension};
use super::strategies::{AccessScenario, instant};
use crate::model::path::{MAX_PATH_BYTES, MAX_SEGMENT_BYTES};
use crate::policy::{CreatorRights, Gate, RequestMode, UploadInfo, decide};
use crate::{
    AccessControl, Action, AllowedActions, BrowserId, Capability, Clickwrap, Denial, DeviceId,
    Email, EmailPattern, IpAllowList, IpNet, ItemKind, MediaType, PasswordHash, RecipientId,
    RegistrationForm, RegistrationId, Rights, Schedule, SessionId, Share, ShareId, ShareItem,
    SharePath, ShareSettings, SiteSettings, UploaderFolder, UrlKey, UseLimit, UseUnit, UserId,
    VisitorSession, Watermark,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::TestRunner;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use time::{Duration, OffsetDateTime};

/// A reason [`decide`] refuses a request: a [`Denial`] variant without its data.
///
/// Three denials are not here because [`decide`] never gives them, so no scenario can
/// produce them: [`Denial::NoSession`] (the service finds no valid session before it
/// asks), [`Denial::TooManyAttempts`] (the service counts wrong passwords and codes) and
/// [`Denial::InvitationAlreadyUsed`] (the service binds a recipient's link to a browser).
/// Test those through the service (`testing::fixtures::World`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenialKind {
    /// [`Denial::NotFound`]: the share is revoked.
    NotFound,
    /// [`Denial::Expired`].
    Expired,
    /// [`Denial::NotYetActive`].
    NotYetActive,
    /// [`Denial::UsesExhausted`].
    UsesExhausted,
    /// [`Denial::IpNotAllowed`].
    IpNotAllowed,
    /// [`Denial::InvitationRequired`] ([`Gate::Invitation`]).
    InvitationRequired,
    /// [`Denial::EmailVerificationRequired`] ([`Gate::EmailVerification`]).
    EmailVerificationRequired,
    /// [`Denial::EmailNotAllowed`] ([`Gate::EmailVerification`], a proven address that
    /// matches no pattern).
    EmailNotAllowed,
    /// [`Denial::SignInRequired`] ([`Gate::SignIn`]).
    SignInRequired,
    /// [`Denial::DeviceMismatch`] ([`Gate::Device`]).
    DeviceMismatch,
    /// [`Denial::PasswordRequired`] ([`Gate::Password`]: not given, or given for a
    /// password since changed).
    PasswordRequired,
    /// [`Denial::RegistrationRequired`] ([`Gate::Registration`]).
    RegistrationRequired,
    /// [`Denial::ClickwrapRequired`] ([`Gate::Clickwrap`]).
    ClickwrapRequired,
    /// [`Denial::ActionNotAllowed`]: beyond the level, or renaming, moving or deleting an
    /// item itself.
    ActionNotAllowed,
    /// [`Denial::CreatorLacksRights`].
    CreatorLacksRights,
    /// [`Denial::OutsideShare`].
    OutsideShare,
    /// [`Denial::FileTypeRefused`]: a download, preview, upload or rename to a refused
    /// type on a public share.
    FileTypeRefused,
    /// [`Denial::NoPreview`].
    NoPreview,
    /// [`Denial::UploadRuleBroken`], any of its rules.
    UploadRuleBroken,
    /// [`Denial::ConfirmationRequired`].
    ConfirmationRequired,
}

impl DenialKind {
    /// Every kind, in the order [`decide`] checks them.
    pub const ALL: [DenialKind; 20] = [
        DenialKind::NotFound,
        DenialKind::Expired,
        DenialKind::NotYetActive,
        DenialKind::UsesExhausted,
        DenialKind::IpNotAllowed,
        DenialKind::InvitationRequired,
        DenialKind::EmailVerificationRequired,
        DenialKind::EmailNotAllowed,
        DenialKind::SignInRequired,
        DenialKind::DeviceMismatch,
        DenialKind::PasswordRequired,
        DenialKind::RegistrationRequired,
        DenialKind::ClickwrapRequired,
        DenialKind::ActionNotAllowed,
        DenialKind::CreatorLacksRights,
        DenialKind::OutsideShare,
        DenialKind::FileTypeRefused,
        DenialKind::NoPreview,
        DenialKind::UploadRuleBroken,
        DenialKind::ConfirmationRequired,
    ];

    /// The kind of a denial; `None` for the three [`decide`] never gives (see the type's
    /// docs). Exhaustive over [`Denial`], so a new denial is sorted here or the build
    /// fails.
    pub fn of(denial: &Denial) -> Option<DenialKind> {
        Some(match denial {
            Denial::NotFound => DenialKind::NotFound,
            Denial::NotYetActive { .. } => DenialKind::NotYetActive,
            Denial::Expired => DenialKind::Expired,
            Denial::UsesExhausted => DenialKind::UsesExhausted,
            Denial::IpNotAllowed => DenialKind::IpNotAllowed,
            Denial::InvitationRequired => DenialKind::InvitationRequired,
            Denial::EmailVerificationRequired => DenialKind::EmailVerificationRequired,
            Denial::EmailNotAllowed => DenialKind::EmailNotAllowed,
            Denial::SignInRequired => DenialKind::SignInRequired,
            Denial::DeviceMismatch => DenialKind::DeviceMismatch,
            Denial::PasswordRequired => DenialKind::PasswordRequired,
            Denial::RegistrationRequired => DenialKind::RegistrationRequired,
            Denial::ClickwrapRequired => DenialKind::ClickwrapRequired,
            Denial::ActionNotAllowed { .. } => DenialKind::ActionNotAllowed,
            Denial::CreatorLacksRights => DenialKind::CreatorLacksRights,
            Denial::OutsideShare => DenialKind::OutsideShare,
            Denial::FileTypeRefused { .. } => DenialKind::FileTypeRefused,
            Denial::NoPreview => DenialKind::NoPreview,
            Denial::UploadRuleBroken(_) => DenialKind::UploadRuleBroken,
            Denial::ConfirmationRequired => DenialKind::ConfirmationRequired,
            Denial::InvitationAlreadyUsed | Denial::NoSession | Denial::TooManyAttempts => {
                return None;
            }
        })
    }

    /// Whether `denial` is of this kind.
    pub fn matches(self, denial: &Denial) -> bool {
        Self::of(denial) == Some(self)
    }

    /// The gate that gives this denial, if a gate does: the gate whose
    /// [`Gate::pending`] it is, or the email gate for [`DenialKind::EmailNotAllowed`].
    pub fn gate(self) -> Option<Gate> {
        Gate::ORDER
            .into_iter()
            .find(|g| self.matches(&g.pending()))
            .or((self == DenialKind::EmailNotAllowed).then_some(Gate::EmailVerification))
    }

    /// Whether a request for `action` on a share at `level` can be refused for this
    /// reason once every check before it passes.
    pub fn reachable(self, level: AllowedActions, action: Action) -> bool {
        use DenialKind::*;
        let Some(cap) = action.capability() else {
            // Opening the link meets only the checks before the level.
            return self == CreatorLacksRights
                || self == ConfirmationRequired
                || self.gate().is_some()
                || self < ActionNotAllowed;
        };
        let within = level.rights().has(cap);
        match self {
            ActionNotAllowed => {
                !within || matches!(action, Action::Rename | Action::Move | Action::Delete)
            }
            OutsideShare => within,
            FileTypeRefused => {
                admissible(level, action)
                    && matches!(
                        action,
                        Action::Download | Action::Preview | Action::Upload | Action::Rename
                    )
            }
            NoPreview => action == Action::Preview && within,
            UploadRuleBroken => action == Action::Upload && admissible(level, action),
            CreatorLacksRights | ConfirmationRequired => admissible(level, action),
            _ => true,
        }
    }
}

impl PartialOrd for DenialKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Kinds are ordered as [`decide`] checks them ([`DenialKind::ALL`]).
impl Ord for DenialKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let at = |k: &DenialKind| DenialKind::ALL.iter().position(|x| x == k);
        at(self).cmp(&at(other))
    }
}

/// Whether a request for `action` at `level` can be granted: the level has the action's
/// capability, or it is an upload, which a share's inbox takes at any level.
pub fn admissible(level: AllowedActions, action: Action) -> bool {
    action
        .capability()
        .is_none_or(|cap| level.rights().has(cap) || action == Action::Upload)
}

/// What a scenario is built to get from [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A grant.
    Admitted,
    /// A denial of this kind.
    Denied(DenialKind),
}

/// A builder of access scenarios, and the [`Strategy`] it describes.
///
/// Start from [`Scenarios::admitted`], [`Scenarios::denied_by`], [`Scenarios::denied`]
/// or [`Scenarios::stopped_at`] and narrow with [`levels`](Scenarios::levels) and
/// [`actions`](Scenarios::actions); use it directly in `proptest!`. Each sample picks an
/// outcome, then a level and action that can reach it, evenly; a combination that can
/// reach none fails the test with a message (it is a mistake in the test).
///
/// ```
/// use proptest::prelude::*;
/// use sharelink_core::testing::Scenarios;
/// use sharelink_core::{decide, Action, AllowedActions};
///
/// proptest!(|(sc in Scenarios::admitted()
///     .levels(&[AllowedActions::Full])
///     .actions(&[Action::Move, Action::Copy]))| {
///     let grant = decide(&sc.request()).unwrap();
///     prop_assert!(grant.destination.is_some());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Scenarios {
    outcomes: Vec<Outcome>,
    levels: Vec<AllowedActions>,
    actions: Vec<Action>,
}

impl Scenarios {
    fn of(outcomes: Vec<Outcome>) -> Self {
        Self {
            outcomes,
            levels: AllowedActions::ALL.to_vec(),
            actions: Action::ALL.to_vec(),
        }
    }

    /// Scenarios [`decide`] grants: every gate passed, within schedule, limit, address
    /// list and the creator's rights, any level, and (but for opening the link) a target
    /// inside an item.
    pub fn admitted() -> Self {
        Self::of(vec![Outcome::Admitted])
    }

    /// Scenarios [`decide`] refuses for `kind`.
    pub fn denied_by(kind: DenialKind) -> Self {
        Self::of(vec![Outcome::Denied(kind)])
    }

    /// Scenarios [`decide`] refuses, each kind of [`DenialKind::ALL`] equally often.
    pub fn denied() -> Self {
        Self::of(DenialKind::ALL.map(Outcome::Denied).to_vec())
    }

    /// Scenarios stopped at `gate` (its [`Gate::pending`] denial, or for the email gate
    /// also a proven address no pattern matches), every gate before it passed.
    pub fn stopped_at(gate: Gate) -> Self {
        Self::of(
            DenialKind::ALL
                .into_iter()
                .filter(|k| k.gate() == Some(gate))
                .map(Outcome::Denied)
                .collect(),
        )
    }

    /// Only shares at these levels.
    pub fn levels(mut self, levels: &[AllowedActions]) -> Self {
        self.levels = levels.to_vec();
        self
    }

    /// Only these actions.
    pub fn actions(mut self, actions: &[Action]) -> Self {
        self.actions = actions.to_vec();
        self
    }

    /// For each outcome that can be reached, the levels and actions that reach it.
    fn cases(&self) -> Vec<(Outcome, Vec<(AllowedActions, Action)>)> {
        self.outcomes
            .iter()
            .map(|o| {
                let pairs = self
                    .levels
                    .iter()
                    .flat_map(|l| self.actions.iter().map(move |a| (*l, *a)))
                    .filter(|(l, a)| match o {
                        Outcome::Admitted => admissible(*l, *a),
                        Outcome::Denied(k) => k.reachable(*l, *a),
                    })
                    .collect::<Vec<_>>();
                (*o, pairs)
            })
            .filter(|(_, pairs)| !pairs.is_empty())
            .collect()
    }
}

impl Strategy for Scenarios {
    type Tree = Box<dyn ValueTree<Value = AccessScenario>>;
    type Value = AccessScenario;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let cases = self.cases();
        if cases.is_empty() {
            return Err(format!(
                "no level of {:?} and action of {:?} can reach {:?}",
                self.levels, self.actions, self.outcomes
            )
            .into());
        }
        (prop::sample::select(cases), any::<Index>(), draw())
            .prop_map(|((outcome, pairs), pair, mut d)| {
                let (level, action) = pairs[pair.index(pairs.len())];
                let mut sc = build(level, action, &mut d);
                if let Outcome::Denied(kind) = outcome {
                    deny(kind, &mut sc, &mut d);
                }
                sc
            })
            .boxed()
            .new_tree(runner)
    }
}

/// Scenarios [`decide`] grants (see [`Scenarios::admitted`]).
pub fn admitted() -> Scenarios {
    Scenarios::admitted()
}

/// Admitted scenarios on a share at `level`.
pub fn admitted_at(level: AllowedActions) -> Scenarios {
    Scenarios::admitted().levels(&[level])
}

/// Scenarios [`decide`] refuses for `kind` (see [`Scenarios::denied_by`]).
pub fn denied_by(kind: DenialKind) -> Scenarios {
    Scenarios::denied_by(kind)
}

/// Scenarios stopped at `gate` (see [`Scenarios::stopped_at`]).
pub fn stopped_at(gate: Gate) -> Scenarios {
    Scenarios::stopped_at(gate)
}

/// Scenarios with two to four checks broken at once, at any level and action (possible
/// or not): the first broken check wins, or a break undoes another.
pub fn tangled_scenario() -> impl Strategy<Value = AccessScenario> {
    (
        prop::sample::select(AllowedActions::ALL.to_vec()),
        prop::sample::select(Action::ALL.to_vec()),
        prop::collection::vec(prop::sample::select(DenialKind::ALL.to_vec()), 2..5),
        draw(),
    )
        .prop_map(|(level, action, kinds, mut d)| {
            let mut sc = build(level, action, &mut d);
            for k in kinds.into_iter().filter(|k| k.reachable(level, action)) {
                deny(k, &mut sc, &mut d);
            }
            sc
        })
}

/// The session passed through every gate `share` has under `site`, as a visitor who met
/// each gate would be (the fact each gate wants, and its stamp for gates an owner can
/// change): for building scenarios by hand.
pub fn open_gates(share: &Share, site: &SiteSettings, session: &mut VisitorSession) {
    for gate in Gate::ORDER {
        if gate.applies(share, site) {
            open(gate, share, session, 0);
        }
    }
}

/// Choices made by index, so they shrink to the first (simplest) option.
#[derive(Debug, Clone)]
struct Draw {
    picks: Vec<Index>,
    at: usize,
    names: Vec<String>,
    fresh: Vec<SharePath>,
    base: SharePath,
    upload: String,
    now: OffsetDateTime,
}

fn draw() -> impl Strategy<Value = Draw> {
    (
        prop::collection::vec(any::<Index>(), 96),
        prop::collection::vec(names::segment_name(), 12),
        prop::collection::vec(names::new_name(), 3),
        prop_oneof![
            3 => prop::collection::vec(names::segment_name(), 1..3),
            1 => prop::collection::vec(names::segment_name(), 3..10),
        ],
        names::upload_file_name(),
        instant(),
    )
        .prop_map(|(picks, names, fresh, base, upload, now)| Draw {
            picks,
            at: 0,
            names,
            fresh,
            base: join_within(&base, 1024),
            upload,
            now,
        })
}

impl Draw {
    fn choose(&mut self, n: usize) -> usize {
        let n = n.max(1);
        let i = match self.picks.len() {
            0 => self.at % n,
            len => self.picks[self.at % len].index(n),
        };
        self.at += 1;
        i
    }

    /// True one time in `k` (false when shrunk).
    fn one_in(&mut self, k: usize) -> bool {
        self.choose(k) == k - 1
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.choose(items.len())].clone()
    }

    fn name(&mut self) -> String {
        let n = self.names[self.at % self.names.len()].clone();
        self.at += 1;
        n
    }

    fn fresh(&mut self) -> SharePath {
        let n = self.fresh[self.at % self.fresh.len()].clone();
        self.at += 1;
        n
    }

    fn seconds(&mut self) -> Duration {
        Duration::seconds(self.pick(&[0, 1, 59, 3600, 86_400 * 30]))
    }

    /// Path segments below an item: mostly none to three, sometimes tens.
    fn tail(&mut self, min: usize) -> Vec<String> {
        let depth = match self.choose(10) {
            0..=2 => 0,
            3..=5 => 1,
            6 | 7 => 2,
            8 => 3 + self.choose(4),
            _ => 10 + self.choose(21),
        };
        (0..depth.max(min)).map(|_| self.name()).collect()
    }
}

const HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
const OLD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXI$b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2w";
const PATTERNS: &[&str] = &[
    "*@example.com",
    "*@*.example.net",
    "ana@example.org",
    "*@EXAMPLE.com",
];
const CLIENT_IPS: &[IpAddr] = &[
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)),
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203)),
];
const OTHER_NETS: &[&str] = &["203.0.113.0/24", "10.200.0.0/16", "2001:db8:ffff::/48"];

fn id<T>(parsed: Result<T, impl std::fmt::Debug>) -> T {
    parsed.expect("a valid constant")
}

fn device(name: &str) -> DeviceId {
    id(DeviceId::parse(name))
}

fn terms(d: &mut Draw) -> Clickwrap {
    Clickwrap {
        title: "Terms".into(),
        terms: d.pick(&["Be nice.", "Do not share further."]).into(),
    }
}

fn patterns(d: &mut Draw) -> Vec<EmailPattern> {
    let n = 1 + d.choose(2);
    (0..n)
        .map(|_| id(EmailPattern::parse(d.pick(PATTERNS))))
        .collect()
}

/// An address a pattern admits, in the pattern's own terms.
fn admitted_email(p: &EmailPattern, d: &mut Draw) -> Option<Email> {
    let t = p.as_str();
    let text = if let Some(domain) = t.strip_prefix("*@*.") {
        format!("visitor@{}{domain}", d.pick(&["", "sub.", "a.b."]))
    } else if let Some(domain) = t.strip_prefix("*@") {
        format!("Visitor@{domain}")
    } else {
        t.to_uppercase()
    };
    Email::parse(&text).ok().filter(|e| p.matches(e))
}

/// An address just outside a pattern (a subdomain of a domain-only pattern, a look-alike
/// domain, a neighbour of an exact address), or one far from all.
fn refused_email(patterns: &[EmailPattern], d: &mut Draw) -> Email {
    let near = patterns.first().map(|p| {
        let t = p.as_str();
        if let Some(domain) = t.strip_prefix("*@*.") {
            format!("visitor@bad{domain}")
        } else if let Some(domain) = t.strip_prefix("*@") {
            format!("visitor@{}{domain}", d.pick(&["sub.", "not"]))
        } else {
            format!("x{t}")
        }
    });
    near.and_then(|t| Email::parse(&t).ok())
        .filter(|e| !patterns.iter().any(|p| p.matches(e)))
        .unwrap_or_else(|| id(Email::parse("visitor@elsewhere.test")))
}

/// Puts `share` under `gate`: what makes [`Gate::applies`] true.
fn require(gate: Gate, share: &mut Share, site: &mut SiteSettings, d: &mut Draw) {
    let s = &mut share.settings;
    match gate {
        Gate::Invitation => s.access = AccessControl::EmailedOnly,
        Gate::EmailVerification => s.access = AccessControl::VerifiedEmails(patterns(d)),
        Gate::SignIn => s.access = AccessControl::Organization,
        Gate::Device => {
            s.device_binding = true;
            site.device_binding = true;
        }
        Gate::Password => {
            s.password = true;
            share.password_hash = PasswordHash::parse(HASH).ok();
        }
        Gate::Registration => s.registration = Some(RegistrationForm::Default),
        Gate::Clickwrap => s.clickwrap = Some(terms(d)),
    }
}

/// Passes `session` through `gate` of `share` (`choice` picks among the ways to).
fn open(gate: Gate, share: &Share, session: &mut VisitorSession, choice: usize) {
    match gate {
        Gate::Invitation => session.recipient = Some(RecipientId(1)),
        Gate::EmailVerification => {
            if let AccessControl::VerifiedEmails(ps) = &share.settings.access {
                let mut d = Draw::fixed(choice);
                session.verified_email = ps.iter().find_map(|p| admitted_email(p, &mut d));
            }
        }
        Gate::SignIn => session.org_user = Some(id(UserId::parse("member"))),
        Gate::Device => {
            session.device = Some(share.bound_device.clone().unwrap_or_else(|| {
                device(if choice.is_multiple_of(2) {
                    "device-a"
                } else {
                    "device-b"
                })
            }));
        }
        Gate::Password => session.password_passed = true,
        Gate::Registration => session.registration = Some(RegistrationId(1)),
        Gate::Clickwrap => session.clickwrap_accepted = true,
    }
    gate.stamp_passed(share, session);
}

/// Leaves `session` in front of `gate` of `share`: the gate's fact missing, or (for the
/// gates an owner can change) passed before the owner changed it; for the email gate
/// with `refuse`, a proven address no pattern admits.
fn close(gate: Gate, share: &mut Share, session: &mut VisitorSession, refuse: bool, d: &mut Draw) {
    let stale = d.one_in(2);
    let mut before = share.clone();
    match gate {
        Gate::Invitation => session.recipient = None,
        Gate::EmailVerification => {
            session.verified_email = match &share.settings.access {
                AccessControl::VerifiedEmails(ps) if refuse => Some(refused_email(ps, d)),
                _ => None,
            };
        }
        Gate::SignIn => session.org_user = None,
        Gate::Device => {
            if d.one_in(2) {
                session.device = None;
            } else {
                share.bound_device = Some(device("device-a"));
                session.device = Some(device("device-c"));
            }
        }
        Gate::Password => {
            session.password_passed = stale;
            before.password_hash = PasswordHash::parse(OLD_HASH).ok();
        }
        Gate::Registration => {
            session.registration = stale.then_some(RegistrationId(1));
            before.settings.registration = None;
        }
        Gate::Clickwrap => {
            session.clickwrap_accepted = stale;
            before.settings.clickwrap = Some(Clickwrap {
                title: "Old terms".into(),
                terms: "Superseded.".into(),
            });
        }
    }
    session.gate_stamps.remove(gate.log_name());
    if stale {
        gate.stamp_passed(&before, session);
    }
}

impl Draw {
    /// A draw that always makes the same choice (for gates opened outside a strategy).
    fn fixed(choice: usize) -> Self {
        Self {
            picks: Vec::new(),
            at: choice,
            names: vec!["x".into()],
            fresh: Vec::new(),
            base: SharePath::root(),
            upload: String::new(),
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

/// A visitor session with random facts (gates not yet opened).
fn session(d: &mut Draw, ip: IpAddr) -> VisitorSession {
    let mut s = VisitorSession::new(
        id(SessionId::parse("session")),
        ShareId(1),
        id(BrowserId::parse("browser")),
        d.now - Duration::minutes(5),
    );
    s.client_ip = Some(ip);
    s.device = d.one_in(2).then(|| device("device-b"));
    s.recipient = d.one_in(4).then_some(RecipientId(1));
    s.org_user = d.one_in(4).then(|| id(UserId::parse("member")));
    s.verified_email = d.one_in(4).then(|| id(Email::parse("someone@example.com")));
    s.password_passed = d.one_in(4);
    s.clickwrap_accepted = d.one_in(4);
    s
}

fn rights(d: &mut Draw) -> Rights {
    let caps: Vec<Capability> = Capability::ALL
        .into_iter()
        .filter(|_| d.one_in(2))
        .collect();
    Rights::of(&caps)
}

/// Items at `level`: one to three folders and (unless a drop box) none to three files,
/// under the draw's base path, named from the grammar, some with an alias, display names
/// distinct.
fn items(level: AllowedActions, d: &mut Draw) -> Vec<ShareItem> {
    let folders = 1 + d.choose(3);
    let files = if level.allows_file_items() {
        d.choose(4)
    } else {
        0
    };
    let mut items: Vec<ShareItem> = Vec::new();
    for kind in std::iter::repeat_n(ItemKind::Folder, folders)
        .chain(std::iter::repeat_n(ItemKind::File, files))
    {
        let name = match kind {
            ItemKind::Folder => d.name(),
            ItemKind::File => {
                let ext = d.pick(EXTENSIONS);
                with_extension(&d.name(), ext)
            }
        };
        let Ok(name) = SharePath::segment(&name) else {
            continue;
        };
        let path = match d.base.join(&name) {
            Ok(p) => p,
            Err(_) => name,
        };
        let alias = d.one_in(5).then(|| d.fresh().as_str().to_owned());
        let Ok(item) = ShareItem::new(path, kind, alias) else {
            continue;
        };
        let taken = items
            .iter()
            .any(|i| i.display_name().to_lowercase() == item.display_name().to_lowercase());
        if !taken {
            items.push(item);
        }
    }
    if !items.iter().any(|i| i.kind == ItemKind::Folder) {
        items.insert(
            0,
            ShareItem::new(id(SharePath::parse("shared")), ItemKind::Folder, None)
                .expect("a valid item"),
        );
    }
    items
}

/// The visitor path to item `i` followed by `tail` (cut to fit) and then `leaf`.
fn visitor_path(share: &Share, i: usize, tail: &[String], leaf: Option<&str>) -> SharePath {
    let item = &share.items[i];
    let head = SharePath::segment(item.display_name()).unwrap_or_default();
    let room = MAX_PATH_BYTES
        - item.path.as_str().len().max(head.as_str().len())
        - 1
        - leaf.map_or(0, |l| l.len() + 1);
    let mut rel = join_within(tail, room);
    if let Some(leaf) = leaf.and_then(|l| SharePath::segment(l).ok()) {
        rel = rel.join(&leaf).unwrap_or(leaf);
    }
    head.join(&rel).unwrap_or(head)
}

fn indices(share: &Share, kind: Option<ItemKind>) -> Vec<usize> {
    (0..share.items.len())
        .filter(|i| kind.is_none_or(|k| share.items[*i].kind == k))
        .collect()
}

/// A path inside an item of `kind` (any kind when `None`), at least `min` segments below
/// it when it is a folder.
fn inside(share: &Share, kind: Option<ItemKind>, min: usize, d: &mut Draw) -> SharePath {
    let i = d.pick(&indices(share, kind));
    let tail = match share.items[i].kind {
        ItemKind::Folder => d.tail(min),
        ItemKind::File => Vec::new(),
    };
    visitor_path(share, i, &tail, None)
}

/// A name from the draw with an extension (or none) for which `fits` holds, if any does.
fn name_where(d: &mut Draw, fits: impl Fn(&str) -> bool) -> Option<String> {
    let stem = d.name();
    let names: Vec<String> = std::iter::once("")
        .chain(EXTENSIONS.iter().copied())
        .map(|e| with_extension(&stem, e))
        .filter(|n| fits(n))
        .collect();
    (!names.is_empty()).then(|| d.pick(&names))
}

/// A path for which `fits` holds of its stored name: an item of `kind` (any when
/// `None`), or a file name below a folder.
fn file_where(
    share: &Share,
    kind: Option<ItemKind>,
    d: &mut Draw,
    fits: impl Fn(&str) -> bool,
) -> SharePath {
    let items: Vec<usize> = indices(share, kind)
        .into_iter()
        .filter(|i| share.items[*i].path.file_name().is_some_and(&fits))
        .collect();
    if !items.is_empty() && d.one_in(2) {
        let i = d.pick(&items);
        return visitor_path(share, i, &[], None);
    }
    let i = d.pick(&indices(share, Some(ItemKind::Folder)));
    let tail = d.tail(0);
    let leaf = name_where(d, fits).unwrap_or_else(|| "f".into());
    visitor_path(share, i, &tail, Some(&leaf))
}

/// Whether `name` has a type `site` refuses (judged as [`decide`] does, by the path's
/// extension).
fn refused(site: &SiteSettings, name: &str) -> bool {
    SharePath::segment(name)
        .ok()
        .and_then(|p| p.extension())
        .is_some_and(|e| site.refuses_extension(&e))
}

/// The stored name a visitor path reaches, if inside an item.
fn stored_name(share: &Share, path: &SharePath) -> Option<String> {
    share
        .storage_path(path)
        .and_then(|p| p.file_name().map(str::to_owned))
}

/// A scenario for `action` at `level` that [`decide`] grants, when the level and action
/// allow it ([`admissible`]); otherwise one that passes every check before the level.
fn build(level: AllowedActions, action: Action, d: &mut Draw) -> AccessScenario {
    let now = d.now;
    let mut site = SiteSettings {
        device_binding: d.one_in(2),
        ..SiteSettings::default()
    };
    if d.one_in(4) {
        site.refused_extensions.push("exe".into());
    }

    let mut s = ShareSettings::named("generated");
    s.allowed = level;
    s.access = match d.choose(6) {
        0..=2 => AccessControl::Anyone,
        3 => AccessControl::EmailedOnly,
        4 => AccessControl::VerifiedEmails(patterns(d)),
        _ => AccessControl::Organization,
    };
    s.device_binding = d.one_in(3);
    s.password = d.one_in(3);
    s.registration = d.one_in(3).then_some(RegistrationForm::Default);
    s.clickwrap = d.one_in(3).then(|| terms(d));
    s.watermark = d.one_in(4).then(|| Watermark {
        text: "{email} {time}".into(),
    });
    let starts_at = d.one_in(3).then(|| now - d.seconds());
    let expires_at = d
        .one_in(3)
        .then(|| now + Duration::seconds(1) + d.seconds());
    s.schedule = Schedule {
        starts_at,
        expires_at,
        ..Schedule::default()
    };

    // A use limit this action has not exhausted: below the limit, one already counted
    // for this request, or open sessions under a visit limit.
    s.use_limit = d.one_in(3).then(|| UseLimit {
        max: 1 + d.choose(4) as u32,
        unit: d.pick(&[UseUnit::Visit, UseUnit::Download, UseUnit::Operation]),
    });
    let already_counted = s.use_limit.is_some() && d.one_in(4);
    let uses = match s.use_limit {
        None => d.choose(6) as u32,
        Some(l) if already_counted => 1 + d.choose(l.max as usize) as u32,
        Some(l) if !l.exhausted_for(l.max, action) && d.one_in(2) => l.max,
        Some(l) => d.choose(l.max as usize) as u32,
    };

    let client_ip = d.pick(CLIENT_IPS);
    if d.one_in(3) {
        let canonical = match client_ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client_ip, IpAddr::V4),
            v4 => v4,
        };
        let max = if canonical.is_ipv4() { 32 } else { 128 };
        let prefix = d.choose(max + 1);
        s.ip_allow = IpAllowList::new(
            IpNet::parse(&format!("{canonical}/{prefix}"))
                .into_iter()
                .collect(),
        );
    }

    let uploaded_bytes = d.choose(3000) as u64;
    s.upload_rules.allowed_extensions = d.one_in(3).then(|| {
        ["pdf", "png", "txt", "docx", "apk"]
            .into_iter()
            .filter(|_| d.one_in(2))
            .chain(std::iter::once("txt"))
            .map(str::to_owned)
            .collect()
    });
    s.upload_rules.max_file_bytes = d.one_in(3).then(|| 1 + d.choose(5000) as u64);
    s.upload_rules.max_share_bytes = d
        .one_in(3)
        .then(|| uploaded_bytes + 1 + d.choose(5000) as u64);
    s.upload_rules.subfolder = d.pick(&[
        UploaderFolder::None,
        UploaderFolder::ByIdentity,
        UploaderFolder::ByTime,
    ]);

    let mut share = Share {
        id: ShareId(1),
        key: id(UrlKey::parse("abcdefghijklmnopqrstuvwxy")),
        owner: id(UserId::parse("owner")),
        items: items(level, d),
        requested: s.clone(),
        settings: s,
        adjustments: Vec::new(),
        password_hash: None,
        autofill_code: None,
        bound_device: d.one_in(2).then(|| device("device-a")),
        uses,
        uploaded_bytes,
        reminder_sent_at: None,
        created_at: now - Duration::days(1),
        updated_at: now - Duration::days(1),
    };
    if share.settings.password {
        share.password_hash = PasswordHash::parse(HASH).ok();
    }
    let needs_inbox = action == Action::Upload && !level.rights().has(Capability::Upload);
    if needs_inbox || d.one_in(4) {
        let folder = d.pick(&indices(&share, Some(ItemKind::Folder)));
        let below = d.tail(0);
        let rel = join_within(&below[..below.len().min(2)], 1024);
        share.settings.inbox = share.items[folder].path.join(&rel).ok();
    }

    let mut session = session(d, client_ip);
    for gate in Gate::ORDER {
        if gate.applies(&share, &site) {
            let choice = d.choose(4);
            open(gate, &share, &mut session, choice);
        }
    }

    let needed = action.capability().map_or(Rights::NONE, |c| {
        let extra = if action == Action::Copy {
            Rights::of(&[Capability::Upload])
        } else {
            Rights::NONE
        };
        Rights::of(&[c]).union(extra)
    });
    let creator = CreatorRights::Active(needed.union(rights(d)));

    let public = share.settings.access.is_public();
    let watermarked = share.settings.watermark.is_some();
    let servable = |n: &str| !(public && refused(&site, n));
    let any_path = |share: &Share, d: &mut Draw| match d.choose(4) {
        0 => SharePath::root(),
        1 => SharePath::segment(&d.name()).unwrap_or_default(),
        _ => inside(share, None, 0, d),
    };
    let path = match action {
        Action::Visit => any_path(&share, d),
        Action::Preview => file_where(&share, Some(ItemKind::File), d, |n| {
            MediaType::of(n).has_preview(watermarked) && servable(n)
        }),
        Action::Download => {
            let p = inside(&share, None, 0, d);
            if stored_name(&share, &p).is_some_and(|n| servable(&n)) {
                p
            } else {
                file_where(&share, Some(ItemKind::File), d, servable)
            }
        }
        Action::Upload if share.settings.inbox.is_some() => any_path(&share, d),
        Action::Upload if share.sole_folder().is_some() && d.one_in(4) => SharePath::root(),
        Action::Upload => inside(&share, Some(ItemKind::Folder), 0, d),
        Action::Rename | Action::Move | Action::Delete => {
            inside(&share, Some(ItemKind::Folder), 1, d)
        }
        Action::List | Action::DownloadAll | Action::CreateFolder | Action::Copy => {
            inside(&share, None, 0, d)
        }
    };
    let destination = match action {
        Action::Move | Action::Copy => inside(&share, None, 0, d),
        _ => any_path(&share, d),
    };
    let rename_to = match action {
        Action::Rename => {
            let fresh = d.fresh();
            Some(if servable(fresh.as_str()) {
                fresh
            } else {
                id(SharePath::new_name(&with_extension(fresh.as_str(), "txt")))
            })
        }
        _ => d.one_in(2).then(|| d.fresh()),
    };

    let rules = share.settings.upload_rules.clone();
    let upload = if action == Action::Upload {
        let room = rules.max_file_bytes.unwrap_or(u64::MAX).min(
            rules
                .max_share_bytes
                .map_or(u64::MAX, |m| m - uploaded_bytes),
        );
        let size = d
            .one_in(3)
            .then(|| d.choose(room.min(100_000) as usize + 1) as u64);
        let file_name = name_where(d, |n| rules.check(n, None, 0).is_ok() && servable(n))
            .unwrap_or_else(|| "upload.txt".into());
        UploadInfo { file_name, size }
    } else {
        UploadInfo {
            file_name: d.upload.clone(),
            size: d.one_in(2).then(|| d.choose(10_000) as u64),
        }
    };

    let mut sc = AccessScenario {
        share,
        revoked: false,
        session,
        action,
        path,
        destination,
        upload,
        rename_to,
        already_counted,
        mode: d.pick(&[
            RequestMode::Confirmed,
            RequestMode::Unconfirmed,
            RequestMode::Head,
        ]),
        now,
        creator,
        site,
    };
    if decide(&sc.request()) == Err(Denial::ConfirmationRequired) {
        sc.mode = RequestMode::Confirmed;
    }
    sc
}

/// Breaks `sc` so that [`decide`] refuses it for `kind`, every earlier check left as it
/// was (passed, when `sc` was built for a level and action `kind` can reach).
fn deny(kind: DenialKind, sc: &mut AccessScenario, d: &mut Draw) {
    use DenialKind as K;
    let now = sc.now;
    let action = sc.action;
    let s = &mut sc.share.settings;
    match kind {
        K::NotFound => sc.revoked = true,
        K::Expired => {
            let expires = now - d.seconds();
            s.schedule.expires_at = Some(expires);
            s.schedule.starts_at = s
                .schedule
                .starts_at
                .filter(|st| *st < expires)
                .or_else(|| d.one_in(2).then(|| expires - Duration::days(2)));
        }
        K::NotYetActive => {
            let starts = now + Duration::seconds(1) + d.seconds();
            s.schedule.starts_at = Some(starts);
            s.schedule.expires_at = d.one_in(2).then(|| starts + Duration::days(7));
        }
        K::UsesExhausted => {
            let max = 1 + d.choose(4) as u32;
            let units: Vec<UseUnit> = [UseUnit::Visit, UseUnit::Download, UseUnit::Operation]
                .into_iter()
                .filter(|unit| UseLimit { max, unit: *unit }.exhausted_for(max, action))
                .collect();
            s.use_limit = Some(UseLimit {
                max,
                unit: d.pick(&units),
            });
            sc.share.uses = max + d.choose(3) as u32;
            sc.already_counted = false;
        }
        K::IpNotAllowed => {
            let ip = sc.session.client_ip;
            let nets: Vec<IpNet> = OTHER_NETS
                .iter()
                .map(|n| id(IpNet::parse(n)))
                .filter(|n| ip.is_none_or(|ip| !n.contains(ip)))
                .collect();
            s.ip_allow = IpAllowList::new(vec![d.pick(&nets)]);
            if d.one_in(4) {
                sc.session.client_ip = None;
            }
        }
        K::InvitationRequired
        | K::EmailVerificationRequired
        | K::EmailNotAllowed
        | K::SignInRequired
        | K::DeviceMismatch
        | K::PasswordRequired
        | K::RegistrationRequired
        | K::ClickwrapRequired => {
            let gate = kind.gate().expect("a gate's denial has a gate");
            require(gate, &mut sc.share, &mut sc.site, d);
            for g in Gate::ORDER.into_iter().take_while(|g| *g != gate) {
                if g.applies(&sc.share, &sc.site) {
                    let choice = d.choose(4);
                    open(g, &sc.share, &mut sc.session, choice);
                }
            }
            let refuse = kind == K::EmailNotAllowed;
            close(gate, &mut sc.share, &mut sc.session, refuse, d);
        }
        K::ActionNotAllowed => {
            let cap = action.capability();
            if cap.is_some_and(|c| s.allowed.rights().has(c)) {
                // Renaming, moving or deleting an item itself.
                let i = d.pick(&indices(&sc.share, None));
                sc.path = visitor_path(&sc.share, i, &[], None);
            } else {
                s.inbox = None;
            }
        }
        K::CreatorLacksRights => {
            sc.creator = match action.capability() {
                Some(cap) if d.one_in(2) => {
                    let CreatorRights::Active(r) = sc.creator else {
                        return;
                    };
                    let without = if action == Action::Copy && d.one_in(2) {
                        Capability::Upload
                    } else {
                        cap
                    };
                    CreatorRights::Active(Rights::of(
                        &r.iter().filter(|c| *c != without).collect::<Vec<_>>(),
                    ))
                }
                _ => CreatorRights::Disabled,
            };
        }
        K::OutsideShare => {
            s.inbox = None;
            let unknown = {
                let mut name = d.name();
                while sc
                    .share
                    .items
                    .iter()
                    .any(|i| i.display_name() == name.as_str())
                {
                    name = format!("not-{}", names::fit(&name, MAX_SEGMENT_BYTES - 4));
                }
                let tail = d.tail(0);
                let head = SharePath::segment(&name).unwrap_or_default();
                head.join(&join_within(&tail, 1024)).unwrap_or(head)
            };
            let files = indices(&sc.share, Some(ItemKind::File));
            let top_takes = matches!(action, Action::List | Action::DownloadAll)
                || (action == Action::Upload && sc.share.sole_folder().is_some());
            match d.choose(4) {
                0 if matches!(action, Action::Move | Action::Copy) => {
                    sc.destination = d.pick(&[unknown, SharePath::root()]);
                }
                1 if !files.is_empty() => {
                    let i = d.pick(&files);
                    let tail = d.tail(1);
                    sc.path = visitor_path(&sc.share, i, &tail, None);
                }
                2 if !top_takes => sc.path = SharePath::root(),
                _ => sc.path = unknown,
            }
        }
        K::FileTypeRefused => {
            if !s.access.is_public() {
                s.access = AccessControl::Anyone;
            }
            let ext = d.pick(&sc.site.refused_extensions);
            let ext = if d.one_in(3) { ext.to_uppercase() } else { ext };
            let name = with_extension(&d.name(), &ext);
            match action {
                Action::Upload => sc.upload.file_name = name,
                Action::Rename => {
                    sc.rename_to = SharePath::segment(&name).ok();
                }
                _ => {
                    let i = d.pick(&indices(&sc.share, Some(ItemKind::Folder)));
                    let tail = d.tail(0);
                    sc.path = visitor_path(&sc.share, i, &tail, Some(&name));
                }
            }
        }
        K::NoPreview => {
            let watermarked = s.watermark.is_some();
            let public = s.access.is_public();
            let site = sc.site.clone();
            // A folder item too: a folder's name has no preview type (mostly).
            sc.path = file_where(&sc.share, None, d, |n| {
                !(MediaType::of(n).has_preview(watermarked) || (public && refused(&site, n)))
            });
        }
        K::UploadRuleBroken => {
            let r = &mut s.upload_rules;
            let uploaded = sc.share.uploaded_bytes;
            match d.choose(4) {
                0 => {
                    let long = "a".repeat(MAX_SEGMENT_BYTES + 1);
                    let mut bad: Vec<&str> = INVALID_NAMES.to_vec();
                    bad.push(&long);
                    sc.upload.file_name = d.pick(&bad).to_owned();
                }
                1 => {
                    let ext = SharePath::segment(&sc.upload.file_name)
                        .ok()
                        .and_then(|p| p.extension());
                    let other = if ext.as_deref() == Some("pdf") {
                        "png"
                    } else {
                        "pdf"
                    };
                    r.allowed_extensions = Some(vec![other.to_owned()]);
                }
                2 => {
                    let max = 1 + d.choose(5000) as u64;
                    r.max_file_bytes = Some(max);
                    sc.upload.size = Some(max + 1 + d.choose(100) as u64);
                }
                _ => {
                    let size = 2 + d.choose(5000) as u64;
                    r.max_file_bytes = r.max_file_bytes.map(|m| m.max(size));
                    r.max_share_bytes = Some((uploaded + size - 1 - d.choose(2) as u64).max(1));
                    sc.upload.size = Some(size);
                }
            }
        }
        K::ConfirmationRequired => {
            sc.mode = RequestMode::Unconfirmed;
            if sc.already_counted {
                // The same uses spent, none of them this request's.
                sc.already_counted = false;
                sc.share.uses -= 1;
            }
            if decide(&sc.request()).is_ok() {
                if d.one_in(2) {
                    sc.share.bound_device = None;
                    require(Gate::Device, &mut sc.share, &mut sc.site, d);
                    open(Gate::Device, &sc.share, &mut sc.session, 0);
                } else {
                    let max = 1 + d.choose(4) as u32;
                    let units: Vec<UseUnit> =
                        [UseUnit::Visit, UseUnit::Download, UseUnit::Operation]
                            .into_iter()
                            .filter(|unit| UseLimit { max, unit: *unit }.counts(action))
                            .collect();
                    sc.share.settings.use_limit = Some(UseLimit {
                        max,
                        unit: d.pick(&units),
                    });
                    sc.share.uses = d.choose(max as usize) as u32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_parse() {
        assert!(PasswordHash::parse(HASH).is_ok());
        assert!(PasswordHash::parse(OLD_HASH).is_ok());
        for p in PATTERNS {
            let p = EmailPattern::parse(p).unwrap();
            assert!(admitted_email(&p, &mut Draw::fixed(0)).is_some(), "{p:?}");
            assert!(!p.matches(&refused_email(
                std::slice::from_ref(&p),
                &mut Draw::fixed(1)
            )));
        }
    }

    #[test]
    fn every_gate_has_its_denial_kind() {
        for g in Gate::ORDER {
            assert_eq!(
                DenialKind::of(&g.pending()).and_then(DenialKind::gate),
                Some(g)
            );
        }
        let mut sorted = DenialKind::ALL;
        sorted.sort();
        assert_eq!(sorted, DenialKind::ALL);
    }
}

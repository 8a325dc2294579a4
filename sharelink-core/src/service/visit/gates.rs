//! Opening a link and passing its gates: emailed-only links, one-time codes, passwords,
//! registration, clickwrap.

use super::{Client, Entry, OpenRequest, Scene, Visit, VisitRequest};
use crate::model::form::Answer;
use crate::policy::{Attempt, Gate, RequestMode};
use crate::ports::RandomSourceExt;
use crate::ports::access_log::LogKind;
use crate::ports::events::ShareEvent;
use crate::ports::mailer::{MailMessage, Secret};
use crate::ports::repository::{AttemptKey, CodeCheck, OneTimeCode};
use crate::service::{Result, ServiceError, Sharelink};
use crate::telemetry::discarded;
use crate::{
    AccessControl, Action, Activity, Binding, Clickwrap, Denial, Email, PlainPassword, SessionId,
    Share, SharePath, VisitorSession,
};

const ONE_TIME_CODE_DIGITS: &[u8] = b"0123456789";
/// The network an address is counted in with its neighbours (IPv4 /24, IPv6 /64).
const NETWORK_V4_BITS: u8 = 24;
const NETWORK_V6_BITS: u8 = 64;

/// The attempt counters of one client at one share.
struct AttemptKeys {
    client: AttemptKey,
    network: Option<AttemptKey>,
    share: AttemptKey,
}

/// What to do with a counted attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spend {
    /// Evaluate it.
    Evaluate,
    /// Refuse it unevaluated: the client or its network is past its limit.
    Limited,
    /// Refuse it unevaluated: the share is slowed down and its current slot is taken.
    SlowedDown,
}

impl Spend {
    /// Why the attempt is refused (for the log), or `None` to evaluate it.
    fn refusal(self) -> Option<&'static str> {
        match self {
            Spend::Evaluate => None,
            Spend::Limited => Some("too many attempts"),
            Spend::SlowedDown => Some("slowed down"),
        }
    }
}

impl Sharelink {
    /// Opens a link: checks the key (unknown and revoked keys answer the same), binds an
    /// emailed recipient's link to this browser (or refuses a second browser and emails
    /// the recipient a fresh link), starts a session, tries an auto-filled access code,
    /// and reports the next gate or the share's view.
    ///
    /// Only a confirmed request does any of that. A request that is not confirmed (a HEAD,
    /// a first fetch without our cookies: link previews, mail scanners) stores, binds and
    /// spends nothing: it gets the next gate or the share's view without a session, or
    /// [`Denial::ConfirmationRequired`] when opening would bind an invitation or a device,
    /// or spend a use (the visit, or the listing of the share's top).
    ///
    /// # Errors
    /// A [`Denial`] for final refusals (not found, expired, exhausted, IP, invitation
    /// already used, device), or a port error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn open(&self, req: OpenRequest<'_>) -> Result<Visit> {
        let share = self.share_by_key(req.key).await?;
        let now = self.now();
        let mut session = VisitorSession::new(
            SessionId::parse(&self.token(43)).map_err(|_| ServiceError::Cancelled)?,
            share.id,
            req.client.browser.clone(),
            now,
        );
        session.device = req.client.device.clone();
        session.client_ip = req.client.ip;
        session.user_agent = req.client.user_agent.clone();
        if let Some(user) = &req.client.user
            && self
                .ports
                .directory
                .user(user)
                .await?
                .is_some_and(|u| !u.disabled)
        {
            session.org_user = Some(user.clone());
        }
        // Only a request the visitor confirmed (a button press, a browser coming back with
        // our cookie) leaves anything behind: a HEAD, a link preview or a mail scanner's
        // fetch binds no invitation or device, spends nothing and stores no session.
        let confirmed = req.mode == RequestMode::Confirmed;
        let confirm_first = |share: &Share| Self::unstored(share, Denial::ConfirmationRequired);
        // A recipient opening their link for the first time (told to the owner once the
        // visit is let in).
        let mut first_visit = None;
        if let Some(code) = req.recipient_code
            && let Some(recipient) = self.ports.repo.find_recipient(share.id, code).await?
        {
            if recipient.state(now) != crate::RecipientState::Active {
                // The owner withdrew this one link: it answers like a key never issued,
                // and says nothing about the share the other recipients still reach.
                return Err(Denial::NotFound.into());
            }
            let binding = match recipient.binding_for(&req.client.browser) {
                Binding::BindNow if !confirmed => return Ok(confirm_first(&share)),
                Binding::BindNow => {
                    let after = self
                        .ports
                        .repo
                        .bind_recipient_browser(recipient.id, &req.client.browser)
                        .await?;
                    after.binding_for(&req.client.browser)
                }
                other => other,
            };
            if binding == Binding::OtherBrowser {
                // Mailing a fresh link replaces the code: only a person's button press
                // may do that, never a scanner fetching an old mail.
                if !confirmed {
                    return Ok(confirm_first(&share));
                }
                self.resend_link(&share, &recipient.email, recipient.id, req.client)
                    .await?;
                let denial = Denial::InvitationAlreadyUsed;
                self.log_for(&share, &session, req.client, Entry::denied(&denial))
                    .await;
                return Err(denial.into());
            }
            if confirmed {
                self.ports.repo.touch_recipient(recipient.id, now).await?;
                if recipient.last_access_at.is_none() {
                    first_visit = Some(recipient.email.clone());
                }
            }
            session.recipient = Some(recipient.id);
            session.email = Some(recipient.email.clone());
        }
        let root = SharePath::root();
        let probe = self
            .decide_for(
                &share,
                &session,
                &super::Intent::new(Action::Visit, &root),
                req.mode,
                false,
            )
            .await?;
        if probe == Err(Denial::ConfirmationRequired) {
            return Ok(confirm_first(&share));
        }
        if let Err(d) = &probe
            && !d.is_gate()
        {
            if confirmed {
                self.log_for(&share, &session, req.client, Entry::denied(d))
                    .await;
            }
            return Err(d.clone().into());
        }
        if !confirmed {
            return self.glance(share, &session, req, probe.err()).await;
        }
        self.ports.repo.insert_session(&session).await?;
        self.log_for(&share, &session, req.client, Entry::new(LogKind::Visit))
            .await;
        self.publish(
            &share.owner,
            ShareEvent::Opened {
                share: share.id,
                at: now,
            },
        )
        .await?;
        if let Some(recipient) = first_visit {
            let activity = Activity::FirstVisit {
                recipient: recipient.to_string(),
            };
            self.notify_owner_best_effort(&share, activity).await;
        }
        if let (Some(code), true) = (req.access_code, share.settings.password_autofill)
            && probe == Err(Gate::Password.pending())
        {
            let mut scene = Scene {
                share,
                session,
                client: req.client,
                mode: req.mode,
            };
            // A wrong auto-filled code just leaves the password prompt.
            match self.check_password(&mut scene, code).await {
                Ok(()) | Err(ServiceError::Denied(_)) => {}
                Err(e) => return Err(e),
            }
            return self
                .standing(&scene.share, scene.session, req.client, req.mode)
                .await;
        }
        self.standing(&share, session, req.client, req.mode).await
    }

    /// Where an unconfirmed request stands, with nothing stored: the next gate, or the
    /// share's view and the listing of its top when listing spends no use.
    async fn glance(
        &self,
        share: Share,
        session: &VisitorSession,
        req: OpenRequest<'_>,
        pending: Option<Denial>,
    ) -> Result<Visit> {
        // (An auto-filled access code is tried only once the visitor confirms.)
        if let Some(d) = pending {
            return Ok(Self::unstored(&share, d));
        }
        let root = SharePath::root();
        let listing = self
            .decide_for(
                &share,
                session,
                &super::Intent::new(Action::List, &root),
                req.mode,
                false,
            )
            .await?;
        let entries = match &listing {
            Err(d @ Denial::ConfirmationRequired) => return Ok(Self::unstored(&share, d.clone())),
            Ok(grant) => Some(self.list_target(&share, grant, &root).await?),
            // The level or the creator's rights do not let this visitor list.
            Err(_) => None,
        };
        let view = self.view(&share, session, req.client).await?;
        Ok(Visit {
            session: None,
            gate: Self::gate_info(&share, None),
            view: Some(view),
            entries,
        })
    }

    /// A visit with nothing stored, stopped at `pending`.
    fn unstored(share: &Share, pending: Denial) -> Visit {
        Visit {
            session: None,
            gate: Self::gate_info(share, Some(pending)),
            view: None,
            entries: None,
        }
    }

    async fn resend_link(
        &self,
        share: &Share,
        email: &Email,
        recipient: crate::RecipientId,
        client: &Client,
    ) -> Result<()> {
        let code = self.token(32);
        self.ports
            .repo
            .replace_link_code(recipient, &code, self.now())
            .await?;
        let mut mail = self
            .mail_about(
                share,
                email.clone(),
                MailMessage::LinkResent {
                    share_name: share.settings.name.clone(),
                    link: Secret(self.recipient_link(share, &code)),
                },
            )
            .await?;
        // The fresh link goes to whoever pressed the button: in the language they read.
        mail.locale.clone_from(&client.locale);
        self.post_mail(share, mail, None).await?;
        Ok(())
    }

    /// Where an existing session stands (the next gate, or the share's view).
    ///
    /// # Errors
    /// A final [`Denial`], `NoSession`, or a port error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn resume(&self, req: &VisitRequest<'_>) -> Result<Visit> {
        let scene = self.scene(req).await?;
        self.standing(&scene.share, scene.session, req.client, req.mode)
            .await
    }

    /// The scene of a request whose next gate must be `gate` (gates are passed in order).
    async fn at_gate<'a>(&self, req: &VisitRequest<'a>, gate: Gate) -> Result<Scene<'a>> {
        let scene = self.scene(req).await?;
        let root = SharePath::root();
        let pending = self
            .decide_for(
                &scene.share,
                &scene.session,
                &super::Intent::new(Action::Visit, &root),
                RequestMode::Head,
                false,
            )
            .await?;
        match pending {
            Err(d) if d == gate.pending() => Ok(scene),
            Err(d) => Err(d.into()),
            Ok(_) => Err(ServiceError::GateAlreadyPassed),
        }
    }

    /// Where the session stands after passing a gate (a gate is passed on purpose: the
    /// request counts as confirmed).
    async fn passed(&self, scene: Scene<'_>, gate: Gate) -> Result<Visit> {
        self.passed_with(scene, gate.log_name()).await
    }

    /// [`Self::passed`] with the log entry's detail given (the gate's log name first).
    async fn passed_with(&self, scene: Scene<'_>, detail: &str) -> Result<Visit> {
        self.log(&scene, Entry::new(LogKind::GatePassed).detail(detail))
            .await;
        self.standing(
            &scene.share,
            scene.session,
            scene.client,
            RequestMode::Confirmed,
        )
        .await
    }

    /// The counters of an attempt on a share: this client's, its network's (when the
    /// address is known), and the share's.
    fn attempt_keys(share: &Share, attempt: Attempt, client: &Client) -> AttemptKeys {
        let key = |client: Option<String>| AttemptKey {
            share_id: share.id,
            scope: attempt.scope(),
            client,
        };
        AttemptKeys {
            client: key(Some(client_key(client))),
            network: client.ip.map(|ip| {
                key(Some(format!(
                    "net:{}",
                    crate::truncate_ip(ip, NETWORK_V4_BITS, NETWORK_V6_BITS)
                )))
            }),
            share: key(None),
        }
    }

    /// The record that this browser passed the gate of `attempt` on `share`.
    fn passed_browser_key(share: &Share, attempt: Attempt, client: &Client) -> AttemptKey {
        AttemptKey {
            share_id: share.id,
            scope: attempt.scope(),
            client: Some(format!("passed:{}", client.browser.as_str())),
        }
    }

    /// Counts one attempt *before* it is evaluated, so that concurrent guesses can never
    /// evaluate more than the limits allow (each count is one atomic statement of the
    /// store). Past the client's or the network's limit the attempt is refused; past the
    /// share's, it waits for the share's next slow-down slot (browsers that passed the gate
    /// before do not), and the owner is told once per window.
    async fn spend_attempt(
        &self,
        share: &Share,
        attempt: Attempt,
        client: &Client,
    ) -> Result<Spend> {
        let limits = self.site_shared().await?.settings.attempts;
        let now = self.now();
        let keys = Self::attempt_keys(share, attempt, client);
        let repo = &self.ports.repo;
        if repo.hit_attempt(&keys.client, now, limits.window).await? > limits.per_client {
            return Ok(Spend::Limited);
        }
        // Refused unevaluated because of others: it does not count against this client.
        let keys = &keys;
        let release = |upto_network: bool| async move {
            repo.release_attempt(&keys.client, now, limits.window)
                .await?;
            if let (true, Some(net)) = (upto_network, &keys.network) {
                repo.release_attempt(net, now, limits.window).await?;
            }
            Ok::<(), ServiceError>(())
        };
        if let Some(net) = &keys.network
            && repo.hit_attempt(net, now, limits.window).await? > limits.per_network
        {
            release(false).await?;
            return Ok(Spend::Limited);
        }
        let count = repo.hit_attempt(&keys.share, now, limits.window).await?;
        let Some(delay) = limits.slow_down(count) else {
            return Ok(Spend::Evaluate);
        };
        if count == limits.per_share + 1 {
            self.warn_owner(share, attempt, count).await?;
        }
        if self.browser_passed_before(share, attempt, client).await? {
            return Ok(Spend::Evaluate);
        }
        // One slot per `delay`: the first attempt of each evaluates, the others wait.
        let slot = AttemptKey {
            client: Some(format!("slot:{}", delay.whole_seconds())),
            ..keys.share.clone()
        };
        if repo.hit_attempt(&slot, now, delay).await? > 1 {
            release(true).await?;
            return Ok(Spend::SlowedDown);
        }
        Ok(Spend::Evaluate)
    }

    /// Whether this browser passed the gate of `attempt` on `share` within the last
    /// `remember_browsers` (recorded by [`Self::attempt_succeeded`] in fixed windows of
    /// that length: the current one or the one before).
    async fn browser_passed_before(
        &self,
        share: &Share,
        attempt: Attempt,
        client: &Client,
    ) -> Result<bool> {
        let span = self
            .site_shared()
            .await?
            .settings
            .attempts
            .remember_browsers;
        let key = Self::passed_browser_key(share, attempt, client);
        let now = self.now();
        for at in [now, now - span] {
            if self.ports.repo.attempts(&key, at, span).await? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Tells the owner (event and mail) that the share's counter for `attempt` passed its
    /// limit, once per window.
    async fn warn_owner(&self, share: &Share, attempt: Attempt, attempts: u32) -> Result<()> {
        let limits = self.site_shared().await?.settings.attempts;
        let now = self.now();
        let notice = AttemptKey {
            share_id: share.id,
            scope: attempt.scope(),
            client: Some("owner-warned".to_owned()),
        };
        // Releases can bring the counter back to its limit: warn once all the same.
        if self
            .ports
            .repo
            .hit_attempt(&notice, now, limits.window)
            .await?
            > 1
        {
            return Ok(());
        }
        self.publish(
            &share.owner,
            ShareEvent::UnderAttack {
                share: share.id,
                scope: attempt.scope().to_owned(),
                attempts,
                at: now,
            },
        )
        .await?;
        if let Some(to) = self.owner_email(&share.owner).await {
            let target = match attempt {
                Attempt::Password => "the password",
                Attempt::Code => "one-time codes",
                Attempt::CodeSend => "addresses for one-time codes",
            };
            let mail = self
                .mail_about(
                    share,
                    to,
                    MailMessage::UnderAttack {
                        share_name: share.settings.name.clone(),
                        target: target.to_owned(),
                        attempts,
                        window_minutes: u32::try_from(limits.window.whole_minutes())
                            .unwrap_or(u32::MAX),
                        at: now,
                    },
                )
                .await;
            // Best effort: the attempt goes on whether or not the owner hears.
            match mail {
                Ok(mail) => {
                    if let Err(e) = self.post_mail(share, mail, None).await {
                        discarded("the owner is not warned of an attack", &e);
                    }
                }
                Err(e) => discarded("the owner is not warned of an attack", &e),
            }
        }
        Ok(())
    }

    /// Takes back an attempt that succeeded: a success never counts against the share's
    /// or the network's limit, it resets the client's own counter, and the browser is
    /// remembered as exempt from the share's slow-down.
    async fn attempt_succeeded(
        &self,
        share: &Share,
        attempt: Attempt,
        client: &Client,
    ) -> Result<()> {
        let limits = self.site_shared().await?.settings.attempts;
        let now = self.now();
        let keys = Self::attempt_keys(share, attempt, client);
        let repo = &self.ports.repo;
        repo.release_attempt(&keys.share, now, limits.window)
            .await?;
        if let Some(net) = &keys.network {
            repo.release_attempt(net, now, limits.window).await?;
        }
        repo.clear_attempts(&keys.client).await?;
        repo.hit_attempt(
            &Self::passed_browser_key(share, attempt, client),
            now,
            limits.remember_browsers,
        )
        .await?;
        Ok(())
    }

    async fn check_password(&self, scene: &mut Scene<'_>, password: &str) -> Result<()> {
        let gate = Gate::Password;
        let spend = self
            .spend_attempt(&scene.share, Attempt::Password, scene.client)
            .await?;
        if let Some(why) = spend.refusal() {
            let detail = format!("{}: {why}", gate.log_name());
            self.log(scene, Entry::new(LogKind::GateFailed).detail(detail))
                .await;
            return Err(Denial::TooManyAttempts.into());
        }
        let ok = match (&scene.share.password_hash, PlainPassword::attempt(password)) {
            (Some(hash), Ok(p)) => self.verify(p, hash.clone()).await?,
            _ => false,
        };
        if !ok {
            self.log(
                scene,
                Entry::new(LogKind::GateFailed).detail(gate.log_name()),
            )
            .await;
            return Err(gate.pending().into());
        }
        scene.session.password_passed = true;
        gate.stamp_passed(&scene.share, &mut scene.session);
        self.ports.repo.update_session(&scene.session).await?;
        self.attempt_succeeded(&scene.share, Attempt::Password, scene.client)
            .await?;
        self.log(
            scene,
            Entry::new(LogKind::GatePassed).detail(gate.log_name()),
        )
        .await;
        Ok(())
    }

    /// Checks the share's password (attempts limited per client and per share).
    ///
    /// # Errors
    /// `PasswordRequired` (wrong), `TooManyAttempts`, or another pending gate.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn submit_password(&self, req: &VisitRequest<'_>, password: &str) -> Result<Visit> {
        let mut scene = self.at_gate(req, Gate::Password).await?;
        self.check_password(&mut scene, password).await?;
        self.standing(
            &scene.share,
            scene.session,
            req.client,
            RequestMode::Confirmed,
        )
        .await
    }

    /// Sends a one-time code to an address that matches the share's patterns.
    ///
    /// # Errors
    /// `EmailNotAllowed`, `TooManyAttempts`, another pending gate, mail errors.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn request_code(&self, req: &VisitRequest<'_>, email: &Email) -> Result<()> {
        let scene = self.at_gate(req, Gate::EmailVerification).await?;
        let share = &scene.share;
        let AccessControl::VerifiedEmails(patterns) = &share.settings.access else {
            return Err(Gate::EmailVerification.pending().into());
        };
        if !patterns.iter().any(|p| p.matches(email)) {
            self.log(
                &scene,
                Entry::new(LogKind::GateFailed).detail("email not allowed"),
            )
            .await;
            return Err(Denial::EmailNotAllowed.into());
        }
        if self
            .spend_attempt(share, Attempt::CodeSend, req.client)
            .await?
            .refusal()
            .is_some()
        {
            return Err(Denial::TooManyAttempts.into());
        }
        let policy = self.site_shared().await?.settings.one_time_codes;
        let code = self
            .ports
            .random
            .string_from(ONE_TIME_CODE_DIGITS, usize::from(policy.digits));
        let expires_at = self.now() + policy.ttl;
        self.ports
            .repo
            .put_code(&OneTimeCode {
                share_id: share.id,
                session_id: scene.session.id.clone(),
                email: email.clone(),
                code: code.clone(),
                expires_at,
                attempts_left: policy.max_attempts,
            })
            .await?;
        let mut mail = self
            .mail_about(
                share,
                email.clone(),
                MailMessage::OneTimeCode {
                    share_name: share.settings.name.clone(),
                    code: Secret(code),
                    valid_minutes: u32::try_from(policy.ttl.whole_minutes()).unwrap_or(u32::MAX),
                },
            )
            .await?;
        // The visitor waits for it on the page: in the page's language.
        mail.locale.clone_from(&req.client.locale);
        // A code that arrives after it expired is worse than none: the queue drops it.
        self.post_mail(share, mail, Some(expires_at)).await?;
        Ok(())
    }

    /// Checks a one-time code; on success the session's email is verified.
    ///
    /// # Errors
    /// `EmailVerificationRequired` (wrong, expired or missing code), `TooManyAttempts`.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn verify_code(&self, req: &VisitRequest<'_>, code: &str) -> Result<Visit> {
        let gate = Gate::EmailVerification;
        let mut scene = self.at_gate(req, gate).await?;
        if self
            .spend_attempt(&scene.share, Attempt::Code, req.client)
            .await?
            .refusal()
            .is_some()
        {
            return Err(Denial::TooManyAttempts.into());
        }
        match self
            .ports
            .repo
            .check_code(&scene.session.id, code.trim(), self.now())
            .await?
        {
            CodeCheck::Valid(email) => {
                scene.session.verified_email = Some(email);
                self.ports.repo.update_session(&scene.session).await?;
                self.attempt_succeeded(&scene.share, Attempt::Code, req.client)
                    .await?;
                self.passed(scene, gate).await
            }
            _ => {
                self.log(
                    &scene,
                    Entry::new(LogKind::GateFailed).detail(Attempt::Code.scope()),
                )
                .await;
                Err(gate.pending().into())
            }
        }
    }

    /// Submits the registration form.
    ///
    /// # Errors
    /// A form error naming the field, or another pending gate.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn register(&self, req: &VisitRequest<'_>, answers: &[Answer]) -> Result<Visit> {
        let gate = Gate::Registration;
        let mut scene = self.at_gate(req, gate).await?;
        let form = scene
            .share
            .settings
            .registration
            .as_ref()
            .ok_or(gate.pending())?;
        let registration = form.validate(answers)?;
        let id = self
            .ports
            .repo
            .add_registration(
                scene.share.id,
                &registration,
                self.now(),
                self.log_ip(req.client.ip).await,
            )
            .await?;
        let activity = Activity::Registered {
            name: registration.name.clone(),
            email: registration.email.as_ref().map(ToString::to_string),
        };
        self.notify_owner_best_effort(&scene.share, activity).await;
        scene.session.registration = Some(id);
        scene.session.name = registration.name.clone();
        gate.stamp_passed(&scene.share, &mut scene.session);
        if scene.session.email.is_none() {
            scene.session.email = registration.email.clone();
        }
        if scene.session.verified_email.is_none() {
            // Registered identity is used for upload folders and the log, not for access.
            scene.session.user_agent = req.client.user_agent.clone();
        }
        self.ports.repo.update_session(&scene.session).await?;
        self.passed(scene, gate).await
    }

    /// Accepts the share's terms.
    ///
    /// # Errors
    /// Another pending gate.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn accept_terms(&self, req: &VisitRequest<'_>) -> Result<Visit> {
        let gate = Gate::Clickwrap;
        let mut scene = self.at_gate(req, gate).await?;
        let digest = scene
            .share
            .settings
            .clickwrap
            .as_ref()
            .map(Clickwrap::digest);
        scene.session.clickwrap_accepted = true;
        scene.session.clickwrap_digest.clone_from(&digest);
        gate.stamp_passed(&scene.share, &mut scene.session);
        self.ports.repo.update_session(&scene.session).await?;
        // The log keeps which text was accepted, after the session is gone.
        let detail = match &digest {
            Some(d) => format!("{} {d}", gate.log_name()),
            None => gate.log_name().to_owned(),
        };
        self.passed_with(scene, &detail).await
    }
}

fn client_key(client: &Client) -> String {
    client
        .ip
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

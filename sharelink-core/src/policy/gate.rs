//! The gates a visitor passes, in order, before a share opens; and what a brute-force
//! counter counts.
//!
//! Adding a gate means adding a variant here (its place in [`Gate::ORDER`], the denial it
//! answers while pending, whether a session has passed it, and its log name); `decide`,
//! the visitor use cases and the log all take the gate from this one list.

use crate::model::token::{fingerprint, fingerprint_json};
use crate::{AccessControl, Denial, Share, SiteSettings, VisitorSession};
use serde::{Deserialize, Serialize};

/// A step between a visitor and a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Gate {
    /// Emailed-only shares: the visitor came through a recipient's link.
    Invitation,
    /// Verified-email shares: the visitor proved an address with a one-time code.
    EmailVerification,
    /// Organization shares: the visitor is signed in to the embedding app.
    SignIn,
    /// Device binding: the share is bound to the first device that opens it (not
    /// passable: another device is refused for good).
    Device,
    /// Password-protected shares: the visitor entered the password.
    Password,
    /// Shares with a registration form: the visitor registered.
    Registration,
    /// Shares with terms: the visitor accepted them.
    Clickwrap,
}

impl Gate {
    /// Every gate, in the order a visitor meets them.
    pub const ORDER: [Gate; 7] = [
        Gate::Invitation,
        Gate::EmailVerification,
        Gate::SignIn,
        Gate::Device,
        Gate::Password,
        Gate::Registration,
        Gate::Clickwrap,
    ];

    /// Whether the share (under the site's policy) has this gate.
    pub fn applies(self, share: &Share, site: &SiteSettings) -> bool {
        let s = &share.settings;
        match self {
            Gate::Invitation => s.access == AccessControl::EmailedOnly,
            Gate::EmailVerification => matches!(s.access, AccessControl::VerifiedEmails(_)),
            Gate::SignIn => s.access == AccessControl::Organization,
            Gate::Device => s.device_binding && site.device_binding,
            Gate::Password => s.password,
            Gate::Registration => s.registration.is_some(),
            Gate::Clickwrap => s.clickwrap.is_some(),
        }
    }

    /// Checks a gate the share has: `Ok` when the session is through it, or the denial
    /// the visitor gets (the gate's own [`Gate::pending`], or a final refusal such as
    /// [`Denial::EmailNotAllowed`] or [`Denial::DeviceMismatch`]).
    ///
    /// # Errors
    /// The denial, as above.
    pub fn check(self, share: &Share, session: &VisitorSession) -> Result<(), Denial> {
        let passed = match self {
            Gate::Invitation => session.recipient.is_some(),
            Gate::EmailVerification => match (&share.settings.access, &session.verified_email) {
                (AccessControl::VerifiedEmails(patterns), Some(e)) => {
                    if !patterns.iter().any(|p| p.matches(e)) {
                        return Err(Denial::EmailNotAllowed);
                    }
                    true
                }
                _ => false,
            },
            Gate::SignIn => session.org_user.is_some(),
            Gate::Device => match (&share.bound_device, &session.device) {
                (Some(bound), Some(device)) => bound == device,
                (None, Some(_)) => true,
                (_, None) => false,
            },
            Gate::Password => session.password_passed && self.stamp_matches(share, session),
            Gate::Registration => {
                session.registration.is_some() && self.stamp_matches(share, session)
            }
            Gate::Clickwrap => session.clickwrap_accepted && self.stamp_matches(share, session),
        };
        if passed { Ok(()) } else { Err(self.pending()) }
    }

    /// Checks every gate the share has (under the site's policy), in order: `Ok` when the
    /// session is through them all, else the first gate's denial (as [`Gate::check`]).
    ///
    /// # Errors
    /// The denial of the first gate the session is not through.
    pub fn check_all(
        share: &Share,
        site: &SiteSettings,
        session: &VisitorSession,
    ) -> Result<(), Denial> {
        Self::ORDER
            .into_iter()
            .filter(|g| g.applies(share, site))
            .try_for_each(|g| g.check(share, session))
    }

    /// A stamp of the gate's configuration on the share, for the gates an owner can change
    /// under visitors who passed them: the password (its hash), the registration form, the
    /// terms. `None` for the others (their facts are checked afresh every time).
    pub fn stamp(self, share: &Share) -> Option<u64> {
        let s = &share.settings;
        match self {
            Gate::Password => Some(fingerprint(
                share
                    .password_hash
                    .as_ref()
                    .map_or("", |h| h.as_str())
                    .as_bytes(),
            )),
            // Streamed: the same value as the fingerprint of the JSON string.
            Gate::Registration => Some(fingerprint_json(&s.registration)),
            Gate::Clickwrap => Some(fingerprint_json(&s.clickwrap)),
            _ => None,
        }
    }

    /// Records in the session that it passed this gate as the share has it now (the
    /// caller sets the gate's own fact: the password given, the registration, …).
    pub fn stamp_passed(self, share: &Share, session: &mut VisitorSession) {
        if let Some(stamp) = self.stamp(share) {
            session
                .gate_stamps
                .insert(self.log_name().to_owned(), stamp);
        }
    }

    fn stamp_matches(self, share: &Share, session: &VisitorSession) -> bool {
        self.stamp(share)
            .is_none_or(|st| session.gate_stamps.get(self.log_name()) == Some(&st))
    }

    /// The denial a visitor gets while this gate is ahead of them.
    pub fn pending(self) -> Denial {
        match self {
            Gate::Invitation => Denial::InvitationRequired,
            Gate::EmailVerification => Denial::EmailVerificationRequired,
            Gate::SignIn => Denial::SignInRequired,
            Gate::Device => Denial::DeviceMismatch,
            Gate::Password => Denial::PasswordRequired,
            Gate::Registration => Denial::RegistrationRequired,
            Gate::Clickwrap => Denial::ClickwrapRequired,
        }
    }

    /// The passable gate a denial asks the visitor to pass, if it is one.
    pub fn of(denial: &Denial) -> Option<Gate> {
        Gate::ORDER
            .into_iter()
            .find(|g| g.passable() && &g.pending() == denial)
    }

    /// Whether a visitor can do something to pass the gate (every gate but the device).
    pub fn passable(self) -> bool {
        self != Gate::Device
    }

    /// The gate's name in the access log's `detail` (`"password"`, `"email"`, …).
    pub fn log_name(self) -> &'static str {
        match self {
            Gate::Invitation => "invitation",
            Gate::EmailVerification => "email",
            Gate::SignIn => "sign_in",
            Gate::Device => "device",
            Gate::Password => "password",
            Gate::Registration => "registration",
            Gate::Clickwrap => "clickwrap",
        }
    }
}

/// What a brute-force counter counts: guesses at a gate's secret, or requests that cost
/// the site something (a code sent by mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attempt {
    /// A password guess.
    Password,
    /// A one-time code guess.
    Code,
    /// A request for a one-time code to be mailed.
    CodeSend,
}

impl Attempt {
    /// The scope stored with the counter (stable: stores key their counters by it).
    pub fn scope(self) -> &'static str {
        match self {
            Attempt::Password => "password",
            Attempt::Code => "code",
            Attempt::CodeSend => "code-send",
        }
    }

    /// The gate the attempt is made at.
    pub fn gate(self) -> Gate {
        match self {
            Attempt::Password => Gate::Password,
            Attempt::Code | Attempt::CodeSend => Gate::EmailVerification,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_passable_gate_is_found_from_its_denial() {
        for g in Gate::ORDER {
            assert_eq!(Gate::of(&g.pending()), g.passable().then_some(g));
        }
        assert_eq!(Gate::of(&Denial::Expired), None);
        assert_eq!(Gate::of(&Denial::ConfirmationRequired), None);
    }

    #[test]
    fn log_names_and_scopes_are_distinct() {
        let names: std::collections::HashSet<_> =
            Gate::ORDER.iter().map(|g| g.log_name()).collect();
        assert_eq!(names.len(), Gate::ORDER.len());
        let scopes = [Attempt::Password, Attempt::Code, Attempt::CodeSend].map(Attempt::scope);
        assert_eq!(scopes, ["password", "code", "code-send"]);
        assert_eq!(Attempt::CodeSend.gate(), Gate::EmailVerification);
    }
}

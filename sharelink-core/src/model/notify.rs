//! Owner notifications: which events of a share its owner hears of by email
//! ([`OwnerNotifications`], part of the share's settings), what such an event says
//! ([`Activity`], [`Notice`]), and who gets each one ([`recipients_of`]).

use crate::Email;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

/// The kinds of share events an owner may be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A file (or a ZIP of several) was downloaded.
    Download,
    /// A visitor uploaded a file.
    Upload,
    /// A visitor submitted the registration form.
    Registration,
    /// A recipient of the share sent by email opened their link for the first time.
    FirstVisit,
    /// The share expires within the site's reminder window.
    ExpirySoon,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Download,
        Self::Upload,
        Self::Registration,
        Self::FirstVisit,
        Self::ExpirySoon,
    ];
}

/// Which events of a share are mailed to its owner, and whether one at a time or in an
/// hourly digest.
///
/// Stored in the share's settings as JSON; a row without it (or without one of its
/// fields) reads the defaults: only the expiry reminder, mailed at once, as before these
/// choices existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct OwnerNotifications {
    /// When something is downloaded. (The older `notify_on_download` setting turns it on
    /// too, see [`crate::ShareSettings::notifies`].)
    pub download: bool,
    /// When a visitor uploads a file.
    pub upload: bool,
    /// When a visitor submits the registration form.
    pub registration: bool,
    /// When a recipient opens their emailed link for the first time.
    pub first_visit: bool,
    /// When the share is about to expire (the site sets how long before).
    pub expiry_soon: bool,
    /// Gather these events into one mail per hour instead of one mail per event.
    pub digest: bool,
}

impl Default for OwnerNotifications {
    fn default() -> Self {
        Self {
            download: false,
            upload: false,
            registration: false,
            first_visit: false,
            expiry_soon: true,
            digest: false,
        }
    }
}

impl OwnerNotifications {
    /// Whether events of `kind` are mailed.
    pub fn wants(&self, kind: ActivityKind) -> bool {
        match kind {
            ActivityKind::Download => self.download,
            ActivityKind::Upload => self.upload,
            ActivityKind::Registration => self.registration,
            ActivityKind::FirstVisit => self.first_visit,
            ActivityKind::ExpirySoon => self.expiry_soon,
        }
    }
}

/// What happened on a share, as its owner is told. It names the visitor only as far as
/// they made themselves known (a verified, registered or invited address, a registered
/// name) and the client address only as the access log keeps it (truncated when the site
/// asks); it never holds a password, a code or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activity {
    /// Files were downloaded.
    Downloaded {
        /// The visitor, as far as known.
        #[serde(default)]
        visitor: Option<String>,
        /// What was downloaded (empty: all files).
        #[serde(default)]
        paths: Vec<String>,
        /// From which address (as the log keeps it).
        #[serde(default)]
        ip: Option<IpAddr>,
    },
    /// A file was uploaded.
    Uploaded {
        /// The visitor, as far as known.
        #[serde(default)]
        visitor: Option<String>,
        /// Where it landed, as visitors see the share.
        path: String,
        /// Its size.
        bytes: u64,
        /// From which address (as the log keeps it).
        #[serde(default)]
        ip: Option<IpAddr>,
    },
    /// The registration form was submitted.
    Registered {
        /// The name given, if the form asks for one.
        #[serde(default)]
        name: Option<String>,
        /// The address given, if the form asks for one.
        #[serde(default)]
        email: Option<String>,
    },
    /// A recipient opened their emailed link for the first time.
    FirstVisit {
        /// The recipient's address.
        recipient: String,
    },
    /// The share expires soon.
    ExpirySoon {
        /// When.
        #[serde(with = "crate::model::instant")]
        expires_at: OffsetDateTime,
    },
}

impl Activity {
    /// Its kind.
    pub fn kind(&self) -> ActivityKind {
        match self {
            Self::Downloaded { .. } => ActivityKind::Download,
            Self::Uploaded { .. } => ActivityKind::Upload,
            Self::Registered { .. } => ActivityKind::Registration,
            Self::FirstVisit { .. } => ActivityKind::FirstVisit,
            Self::ExpirySoon { .. } => ActivityKind::ExpirySoon,
        }
    }
}

/// One event of one share, as mailed to its owner (alone or in a digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The share's name.
    pub share_name: String,
    /// What happened.
    pub activity: Activity,
    /// When.
    #[serde(with = "crate::model::instant")]
    pub at: OffsetDateTime,
}

/// Whether a share with these choices asks to hear of events of kind `kind` (the legacy
/// `notify_on_download` flag asks for downloads).
pub fn wants_notice(
    choices: &OwnerNotifications,
    legacy_download: bool,
    kind: ActivityKind,
) -> bool {
    choices.wants(kind) || (kind == ActivityKind::Download && legacy_download)
}

/// Who is mailed about an event of kind `kind` on a share with these choices: nobody
/// when the share does not ask for the kind; else the owner (when they have an address)
/// and every address of the site's administrator copy, each once, the owner first.
pub fn recipients_of(
    choices: &OwnerNotifications,
    legacy_download: bool,
    kind: ActivityKind,
    owner: Option<&Email>,
    admin_copy: &[Email],
) -> Vec<Email> {
    if !wants_notice(choices, legacy_download, kind) {
        return Vec::new();
    }
    let mut to: Vec<Email> = Vec::new();
    for e in owner.into_iter().chain(admin_copy) {
        if !to.contains(e) {
            to.push(e.clone());
        }
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn defaults_keep_the_old_meaning() {
        let d = OwnerNotifications::default();
        for kind in ActivityKind::ALL {
            assert_eq!(d.wants(kind), kind == ActivityKind::ExpirySoon, "{kind:?}");
        }
        assert!(!d.digest);
        // A stored object with some fields missing reads the rest as defaults.
        let partial: OwnerNotifications = serde_json::from_str(r#"{"upload":true}"#).unwrap();
        assert!(partial.upload && partial.expiry_soon && !partial.download);
    }

    #[test]
    fn who_is_mailed_table() {
        let ana = email("ana@corp.example");
        let admin = email("admin@corp.example");
        let uploads = OwnerNotifications {
            upload: true,
            ..OwnerNotifications::default()
        };
        /// Kind, older download setting, owner, admin copy → who is mailed.
        type Case<'a> = (
            ActivityKind,
            bool,
            Option<&'a Email>,
            &'a [Email],
            Vec<Email>,
        );
        let cases: [Case<'_>; 6] = [
            (
                ActivityKind::Upload,
                false,
                Some(&ana),
                &[],
                vec![ana.clone()],
            ),
            (ActivityKind::Download, false, Some(&ana), &[], vec![]),
            (
                ActivityKind::Download,
                true,
                Some(&ana),
                &[],
                vec![ana.clone()],
            ),
            (
                ActivityKind::Upload,
                false,
                Some(&ana),
                std::slice::from_ref(&admin),
                vec![ana.clone(), admin.clone()],
            ),
            (
                ActivityKind::Upload,
                false,
                None,
                std::slice::from_ref(&admin),
                vec![admin.clone()],
            ),
            (
                ActivityKind::Upload,
                false,
                Some(&ana),
                std::slice::from_ref(&ana),
                vec![ana.clone()],
            ),
        ];
        for (kind, legacy, owner, copy, expected) in cases {
            assert_eq!(
                recipients_of(&uploads, legacy, kind, owner, copy),
                expected,
                "{kind:?} legacy={legacy}"
            );
        }
    }

    proptest! {
        /// Nobody is mailed about a kind the share did not choose; when it did, the owner
        /// and each admin address get exactly one copy, the owner first.
        #[test]
        fn each_address_once_and_only_when_chosen(
            c in crate::testing::strategies::owner_notifications(),
            legacy in any::<bool>(),
            k in 0..5usize,
            has_owner in any::<bool>(),
            copies in proptest::collection::vec(0..4usize, 0..5),
        ) {
            let kind = ActivityKind::ALL[k];
            let pool = ["ana@corp.example", "a1@corp.example", "a2@corp.example", "a3@corp.example"].map(email);
            let owner = has_owner.then(|| pool[0].clone());
            let copy: Vec<Email> = copies.iter().map(|i| pool[*i].clone()).collect();
            let to = recipients_of(&c, legacy, kind, owner.as_ref(), &copy);
            let chosen = c.wants(kind) || (kind == ActivityKind::Download && legacy);
            if !chosen {
                prop_assert!(to.is_empty());
            } else {
                for e in owner.iter().chain(&copy) {
                    prop_assert_eq!(to.iter().filter(|t| *t == e).count(), 1);
                }
                prop_assert!(to.iter().all(|t| owner.as_ref() == Some(t) || copy.contains(t)));
                if let Some(o) = &owner {
                    prop_assert_eq!(&to[0], o);
                }
            }
            // Choices survive their JSON.
            let back: OwnerNotifications = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
            prop_assert_eq!(back, c);
        }
    }
}

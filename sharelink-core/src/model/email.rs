//! Email addresses and the patterns that verified-email access accepts.

use crate::EmailError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest accepted address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically valid email address, kept as given but compared without regard
/// to the case of its domain and local part (what users expect in practice).
///
/// The accepted syntax is deliberately narrower than RFC 5322: no quoted local parts,
/// no comments, no spaces, no angle brackets and no line breaks, so an address can
/// never inject a header or markup.
///
/// ```
/// use sharelink_core::Email;
/// assert!(Email::parse("Ana.Lopez+files@Example.com").is_ok());
/// assert!(Email::parse("ana@localhost").is_err());
/// assert!(Email::parse("a@b.com\r\nBcc: x@y.com").is_err());
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address.
    ///
    /// # Errors
    /// [`EmailError::Invalid`] when it is not `local@domain.tld` in the accepted syntax.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let bad = || EmailError::Invalid(text.chars().take(80).collect());
        let text_trimmed = text.trim();
        if text_trimmed.is_empty() || text_trimmed.len() > MAX_EMAIL_LEN {
            return Err(bad());
        }
        let (local, domain) = text_trimmed.rsplit_once('@').ok_or_else(bad)?;
        if !valid_local(local) || !valid_domain(domain) {
            return Err(bad());
        }
        Ok(Self(text_trimmed.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lower-cased, for comparisons and unique keys.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    /// The domain part, lower-cased.
    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.len() >= 2)
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}
impl Eq for Email {}
impl std::hash::Hash for Email {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

/// Which addresses may pass verified-email access.
///
/// Forms: an exact address (`ana@example.com`), any address at a domain
/// (`*@example.com`), or any address at a domain or its subdomains (`*@*.example.com`).
/// Matching ignores case.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailPattern {
    text: String,
    kind: PatternKind,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum PatternKind {
    Exact(String),
    Domain(String),
    DomainAndSubdomains(String),
}

impl EmailPattern {
    /// Parses a pattern.
    ///
    /// # Errors
    /// [`EmailError::InvalidPattern`] when it is none of the three forms.
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let t = text.trim();
        let bad = || EmailError::InvalidPattern(t.chars().take(80).collect());
        let kind = if let Some(domain) = t.strip_prefix("*@*.") {
            if !valid_domain(domain) {
                return Err(bad());
            }
            PatternKind::DomainAndSubdomains(domain.to_ascii_lowercase())
        } else if let Some(domain) = t.strip_prefix("*@") {
            if !valid_domain(domain) {
                return Err(bad());
            }
            PatternKind::Domain(domain.to_ascii_lowercase())
        } else {
            // A `*` anywhere else is a mistyped wildcard, not a literal address.
            if t.contains('*') {
                return Err(bad());
            }
            let email = Email::parse(t).map_err(|_| bad())?;
            PatternKind::Exact(email.normalized())
        };
        Ok(Self {
            text: t.to_owned(),
            kind,
        })
    }

    /// Whether `email` matches.
    pub fn matches(&self, email: &Email) -> bool {
        match &self.kind {
            PatternKind::Exact(e) => email.normalized() == *e,
            PatternKind::Domain(d) => email.domain() == *d,
            PatternKind::DomainAndSubdomains(d) => {
                let domain = email.domain();
                domain == *d
                    || (domain.ends_with(d.as_str())
                        && domain.as_bytes().get(domain.len() - d.len() - 1) == Some(&b'.'))
            }
        }
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for EmailPattern {
    type Error = EmailError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}
impl From<EmailPattern> for String {
    fn from(p: EmailPattern) -> String {
        p.text
    }
}
impl fmt::Debug for EmailPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailPattern({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "ñandú@correo.es",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b.com",
            "a@",
            "a@b",
            "a@b.c",
            "a b@c.com",
            "a@b..com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@-b.com",
            "<a@b.com>",
            "a@b.com\nX: y",
            "\"q\"@b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn equality_ignores_case() {
        assert_eq!(
            Email::parse("Ana@Example.COM").unwrap(),
            Email::parse("ana@example.com").unwrap()
        );
    }

    #[test]
    fn patterns_table() {
        let cases = [
            ("*@example.com", "x@example.com", true),
            ("*@example.com", "x@EXAMPLE.com", true),
            ("*@example.com", "x@sub.example.com", false),
            ("*@example.com", "x@badexample.com", false),
            ("*@*.example.com", "x@sub.example.com", true),
            ("*@*.example.com", "x@example.com", true),
            ("*@*.example.com", "x@evil-example.com", false),
            ("ana@example.com", "ANA@example.com", true),
            ("ana@example.com", "bob@example.com", false),
        ];
        for (pattern, email, expected) in cases {
            let p = EmailPattern::parse(pattern).unwrap();
            assert_eq!(
                p.matches(&Email::parse(email).unwrap()),
                expected,
                "{pattern} {email}"
            );
        }
        for bad in ["*", "*@", "*@*", "a*@example.com", "*@com", "@example.com"] {
            assert!(EmailPattern::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn domain_pattern_matches_only_that_domain(local in "[a-z]{1,8}", dom in "[a-z]{1,8}", other in "[a-z]{1,8}") {
            let p = EmailPattern::parse(&format!("*@{dom}.com")).unwrap();
            let e = Email::parse(&format!("{local}@{other}.com")).unwrap();
            prop_assert_eq!(p.matches(&e), dom == other);
        }

        #[test]
        fn parsed_addresses_never_hold_line_breaks_or_brackets(text in ".{0,40}") {
            if let Ok(e) = Email::parse(&text) {
                prop_assert!(!e.as_str().contains(['\r', '\n', '<', '>', '"', ' ', ',']));
            }
        }
    }
}

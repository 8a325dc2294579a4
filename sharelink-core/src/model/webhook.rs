//! Webhooks as the model sees them: an endpoint's address ([`WebhookUrl`], http or https
//! only), its signing secret ([`WebhookSecret`], `whsec_…`) and the Standard Webhooks
//! signature of one message ([`sign`], [`signature_headers`]).
//!
//! Signing is pure computation: the `webhook-signature` header is `v1,` followed by the
//! base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the
//! bytes the secret's base64 part decodes to (<https://www.standardwebhooks.com/>).

use crate::model::random::RandomSource;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The longest endpoint address accepted, in bytes.
pub const MAX_URL_LEN: usize = 2000;

/// The prefix of every secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The random bytes of a new secret.
const SECRET_BYTES: usize = 32;

/// Why an endpoint address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookUrlError {
    /// Not an absolute URL.
    #[error("the webhook address is not a URL: {0}")]
    NotUrl(String),
    /// A scheme other than http or https.
    #[error("a webhook address must start with http:// or https:// (not `{0}:`)")]
    Scheme(String),
    /// User name or password in the address (they would be sent and stored in clear).
    #[error("a webhook address cannot hold a user name or password")]
    Credentials,
    /// A fragment (`#…`) means nothing to a server.
    #[error("a webhook address cannot hold a fragment (`#…`)")]
    Fragment,
    /// Longer than [`MAX_URL_LEN`].
    #[error("a webhook address is at most {MAX_URL_LEN} bytes")]
    TooLong,
}

/// The address webhook deliveries are posted to: an absolute `http` or `https` URL with a
/// host, without credentials or fragment.
///
/// ```
/// use sharelink_core::model::webhook::WebhookUrl;
/// assert!(WebhookUrl::parse("https://hooks.example.com/sharelink").is_ok());
/// assert!(WebhookUrl::parse("file:///etc/passwd").is_err());
/// assert!(WebhookUrl::parse("https://user:pw@example.com/").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses an endpoint address (surrounding spaces ignored).
    ///
    /// # Errors
    /// [`WebhookUrlError`] naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        let raw = raw.trim();
        if raw.len() > MAX_URL_LEN {
            return Err(WebhookUrlError::TooLong);
        }
        let url = url::Url::parse(raw).map_err(|e| WebhookUrlError::NotUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookUrlError::Scheme(url.scheme().to_owned()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(WebhookUrlError::NotUrl("it names no host".to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        Ok(Self(url.to_string()))
    }

    /// The address, normalised (`https://Example.COM` → `https://example.com/`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a stored secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is `whsec_` followed by base64 of at least 24 bytes")]
pub struct WebhookSecretError;

/// An endpoint's signing secret: `whsec_` and the base64 of 32 random bytes. Shown to its
/// owner once, when the endpoint is created; never in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    text: String,
    key: Vec<u8>,
}

impl WebhookSecret {
    /// A fresh secret from `random`.
    pub fn generate(random: &dyn RandomSource) -> Self {
        let mut key = vec![0u8; SECRET_BYTES];
        random.fill(&mut key);
        Self {
            text: format!("{SECRET_PREFIX}{}", BASE64.encode(&key)),
            key,
        }
    }

    /// A secret as written by [`WebhookSecret::expose`] (stored, or given by a receiver).
    ///
    /// # Errors
    /// [`WebhookSecretError`] when it lacks the prefix, is not base64, or holds fewer than
    /// 24 bytes.
    pub fn parse(text: &str) -> Result<Self, WebhookSecretError> {
        let key = text
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b| BASE64.decode(b).ok())
            .filter(|k| k.len() >= 24)
            .ok_or(WebhookSecretError)?;
        Ok(Self {
            text: text.to_owned(),
            key,
        })
    }

    /// The secret as text (`whsec_…`): for the store and for showing its owner once.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// The `webhook-signature` value of one message: `v1,` and the base64 of
/// HMAC-SHA256(`secret`, `{id}.{timestamp}.{body}`).
///
/// ```
/// use sharelink_core::model::webhook::{WebhookSecret, sign};
/// // The example of the Standard Webhooks specification.
/// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let body = r#"{"test": 2432232314}"#;
/// assert_eq!(
///     sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
///     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/// );
/// ```
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length, so this never answers `Err`; were it to, the empty
    // signature verifies nowhere and the delivery fails like any other.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&secret.key) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The three headers of a delivery: `webhook-id`, `webhook-timestamp` (Unix seconds) and
/// `webhook-signature`.
pub fn signature_headers(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &str,
) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", sign(secret, id, timestamp, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SeededRandom;
    use proptest::prelude::*;

    #[test]
    fn addresses() {
        for ok in [
            "http://127.0.0.1:8080/hook",
            "https://hooks.example.com/a?b=c",
            "  https://example.com  ",
        ] {
            assert!(WebhookUrl::parse(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("ftp://example.com/", WebhookUrlError::Scheme("ftp".into())),
            (
                "javascript:alert(1)",
                WebhookUrlError::Scheme("javascript".into()),
            ),
            ("https://a:b@example.com/", WebhookUrlError::Credentials),
            ("https://example.com/#x", WebhookUrlError::Fragment),
        ];
        for (raw, want) in cases {
            assert_eq!(WebhookUrl::parse(raw), Err(want), "{raw}");
        }
        assert!(matches!(
            WebhookUrl::parse("/relative"),
            Err(WebhookUrlError::NotUrl(_))
        ));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(WebhookUrl::parse(&long), Err(WebhookUrlError::TooLong));
    }

    #[test]
    fn secrets_round_trip_and_stay_hidden() {
        let s = WebhookSecret::generate(&SeededRandom::new(7));
        assert!(s.expose().starts_with(SECRET_PREFIX));
        assert_eq!(WebhookSecret::parse(s.expose()), Ok(s.clone()));
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
        for bad in [
            "",
            "whsec_",
            "whsec_!!",
            "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_YWJj",
        ] {
            assert_eq!(WebhookSecret::parse(bad), Err(WebhookSecretError), "{bad}");
        }
    }

    proptest! {
        /// The signature is HMAC-SHA256 of exactly `id.timestamp.body`: any change of the
        /// id, the time, the body or the key changes it.
        #[test]
        fn signature_binds_every_part(
            seed in any::<u64>(), id in "[a-z0-9_]{1,30}", ts in 0i64..4_000_000_000,
            body in ".{0,200}", other in ".{0,200}",
        ) {
            let secret = WebhookSecret::generate(&SeededRandom::new(seed));
            let sig = sign(&secret, &id, ts, &body);
            prop_assert!(sig.starts_with("v1,"));
            prop_assert_eq!(BASE64.decode(&sig[3..]).map(|b| b.len()).ok(), Some(32));
            prop_assert_eq!(&sig, &sign(&secret, &id, ts, &body));
            prop_assert_ne!(&sig, &sign(&secret, &id, ts + 1, &body));
            prop_assert_ne!(&sig, &sign(&secret, &format!("{id}x"), ts, &body));
            if other != body {
                prop_assert_ne!(&sig, &sign(&secret, &id, ts, &other));
            }
            let another = WebhookSecret::generate(&SeededRandom::new(seed.wrapping_add(1)));
            prop_assert_ne!(&sig, &sign(&another, &id, ts, &body));
            let headers = signature_headers(&secret, &id, ts, &body);
            prop_assert_eq!(&headers[2].1, &sig);
        }

        /// Every address accepted is http(s), and parsing it again gives it back.
        #[test]
        fn accepted_addresses_are_http(raw in "(https?|ftp|file|data)://[a-z0-9.@:]{0,20}(/[a-z#?=]{0,10})?") {
            if let Ok(u) = WebhookUrl::parse(&raw) {
                prop_assert!(u.as_str().starts_with("http://") || u.as_str().starts_with("https://"));
                prop_assert_eq!(WebhookUrl::parse(u.as_str()), Ok(u.clone()));
            }
        }
    }
}

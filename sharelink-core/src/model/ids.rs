//! Identifiers of the domain: shares, users, recipients, sessions, browsers, devices.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// Internal identifier of a share, assigned by the repository.
    ShareId
);
numeric_id!(
    /// Identifier of a recipient of a share sent by email.
    RecipientId
);
numeric_id!(
    /// Identifier of a completed registration form.
    RegistrationId
);

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: 1 to
            #[doc = concat!(stringify!($max))]
            /// printable ASCII characters without spaces.
            ///
            /// # Errors
            /// [`crate::IdError`] when the text is empty, too long, or has other characters.
            pub fn parse(text: &str) -> Result<Self, crate::IdError> {
                if text.is_empty() || text.len() > $max {
                    return Err(crate::IdError::Length { kind: stringify!($name), max: $max });
                }
                if !text.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(crate::IdError::Characters { kind: stringify!($name) });
                }
                Ok(Self(text.to_owned()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = crate::IdError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// The embedding application's identifier of one of its users.
    UserId, 200
);
opaque_id!(
    /// An opaque identifier of a visitor's browser (a random cookie value).
    ///
    /// Debug output hides the value: it works like a bearer token.
    BrowserId, 128
);
opaque_id!(
    /// An opaque identifier of a visitor's device, for device binding.
    DeviceId, 128
);
opaque_id!(
    /// Identifier of a visitor session (a random token kept in a cookie).
    SessionId, 128
);

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserId").field(&self.0).finish()
    }
}

macro_rules! secret_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }
    )*};
}
secret_debug!(BrowserId, DeviceId, SessionId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_ids_refuse_empty_long_and_spaces() {
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse(&"a".repeat(201)).is_err());
        assert!(UserId::parse("a b").is_err());
        assert!(UserId::parse("alice@example.com").is_ok());
    }

    #[test]
    fn secret_ids_hide_their_value_in_debug() {
        let s = SessionId::parse("topsecret").unwrap();
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}

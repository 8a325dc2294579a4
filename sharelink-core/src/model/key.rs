//! URL keys: the public part of a share link, random or chosen by the creator.

use crate::KeyError;
use crate::model::random::{RandomSource, RandomSourceExt};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// Alphabet of random keys: lower-case letters and digits, so keys survive case-folding
/// (keys are unique and looked up without regard to case).
pub const KEY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Length of random keys: 36^25 ≈ 2^129, above the 128 bits required.
pub const RANDOM_KEY_LEN: usize = 25;
/// Longest key accepted (random or custom).
pub const MAX_KEY_LEN: usize = 64;

/// The public key of a share link (`https://host/s/<key>`).
///
/// Keys hold ASCII letters and digits only and compare without regard to case: `Report2026`
/// and `report2026` are the same key. `Debug` hides the key (it grants access).
///
/// ```
/// use sharelink_core::{UrlKey, CustomKeyRules, ports::OsRandom};
/// let k = UrlKey::generate(&OsRandom);
/// assert_eq!(k.as_str().len(), 25);
/// let rules = CustomKeyRules { allowed: true, min_len: 8 };
/// assert!(UrlKey::custom("QuarterlyFigures26", &rules).is_ok());
/// assert!(UrlKey::custom("password123", &rules).is_err()); // guessable
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UrlKey(String);

/// Site rules for keys chosen by creators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomKeyRules {
    /// Whether creators may choose keys at all.
    pub allowed: bool,
    /// Minimum length of a chosen key.
    pub min_len: usize,
}

impl Default for CustomKeyRules {
    fn default() -> Self {
        Self {
            allowed: false,
            min_len: 8,
        }
    }
}

impl UrlKey {
    /// A fresh random key with at least 128 bits from `rng` (which must be a CSPRNG).
    pub fn generate(rng: &dyn RandomSource) -> Self {
        Self(rng.string_from(KEY_ALPHABET, RANDOM_KEY_LEN))
    }

    /// Parses a key as a visitor sends it (in a URL): letters and digits, 1 to 64 long.
    /// Use this for lookups; it does not apply the custom-key rules.
    ///
    /// # Errors
    /// [`KeyError::Characters`] or [`KeyError::Length`].
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.is_empty() || text.len() > MAX_KEY_LEN {
            return Err(KeyError::Length {
                min: 1,
                max: MAX_KEY_LEN,
            });
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyError::Characters);
        }
        Ok(Self(text.to_owned()))
    }

    /// Validates a key chosen by a creator: custom keys allowed by the site, letters and
    /// digits only, at least `min_len` long, and not a commonly guessed word (compared
    /// without regard to case, also with trailing digits removed).
    ///
    /// # Errors
    /// [`KeyError`] naming the rule broken.
    pub fn custom(text: &str, rules: &CustomKeyRules) -> Result<Self, KeyError> {
        if !rules.allowed {
            return Err(KeyError::CustomKeysDisabled);
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyError::Characters);
        }
        let min = rules.min_len.max(1);
        if text.len() < min || text.len() > MAX_KEY_LEN {
            return Err(KeyError::Length {
                min,
                max: MAX_KEY_LEN,
            });
        }
        if is_guessable(text) {
            return Err(KeyError::Guessable);
        }
        Ok(Self(text.to_owned()))
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key lower-cased: the form used for uniqueness and lookup.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// Whether `text` is a commonly guessed word: on the shipped list, or a listed word
/// followed or preceded only by digits (`invoice2026`, `2026invoice`), or digits only.
pub fn is_guessable(text: &str) -> bool {
    let folded = text.to_ascii_lowercase();
    let list = common_words();
    if folded.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let core = folded
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(|c: char| c.is_ascii_digit());
    list.binary_search(&folded.as_str()).is_ok() || list.binary_search(&core).is_ok()
}

/// The list of commonly guessed words that custom keys may not be (lower case, sorted).
pub fn common_words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: Vec<&'static str> = include_str!("common_keys.txt")
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    })
}

impl PartialEq for UrlKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for UrlKey {}
impl std::hash::Hash for UrlKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}
impl TryFrom<String> for UrlKey {
    type Error = KeyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}
impl From<UrlKey> for String {
    fn from(k: UrlKey) -> String {
        k.0
    }
}
impl fmt::Display for UrlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for UrlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SeededRandom;
    use proptest::prelude::*;

    const OPEN: CustomKeyRules = CustomKeyRules {
        allowed: true,
        min_len: 6,
    };

    #[test]
    fn the_shipped_list_is_large_and_clean() {
        let words = common_words();
        assert!(words.len() >= 300, "{}", words.len());
        assert!(words.iter().all(|w| {
            w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }));
    }

    #[test]
    fn random_keys_are_long_distinct_and_lowercase() {
        let random = SeededRandom::new(1);
        let a = UrlKey::generate(&random);
        let b = UrlKey::generate(&random);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), RANDOM_KEY_LEN);
        assert_eq!(a.as_str(), a.folded());
        // 25 symbols of a 36-letter alphabet carry at least 128 bits.
        assert!((RANDOM_KEY_LEN as f64) * 36f64.log2() >= 128.0);
    }

    #[test]
    fn custom_key_table() {
        let cases: &[(&str, CustomKeyRules, Result<(), KeyError>)] = &[
            ("Q3Figures", OPEN, Ok(())),
            ("Q3 Figures", OPEN, Err(KeyError::Characters)),
            ("q3-figures", OPEN, Err(KeyError::Characters)),
            ("ümlaut77", OPEN, Err(KeyError::Characters)),
            (
                "abc",
                OPEN,
                Err(KeyError::Length {
                    min: 6,
                    max: MAX_KEY_LEN,
                }),
            ),
            ("Password", OPEN, Err(KeyError::Guessable)),
            ("invoices2026", OPEN, Err(KeyError::Guessable)),
            ("2026invoice", OPEN, Err(KeyError::Guessable)),
            ("12345678901", OPEN, Err(KeyError::Guessable)),
            (
                "Q3Figures",
                CustomKeyRules {
                    allowed: false,
                    min_len: 6,
                },
                Err(KeyError::CustomKeysDisabled),
            ),
        ];
        for (text, rules, expected) in cases {
            assert_eq!(&UrlKey::custom(text, rules).map(|_| ()), expected, "{text}");
        }
    }

    #[test]
    fn keys_compare_without_case_and_hide_in_debug() {
        let a = UrlKey::parse("AbC123").unwrap();
        assert_eq!(a, UrlKey::parse("abc123").unwrap());
        assert!(!format!("{a:?}").contains("AbC"));
    }

    proptest! {
        #[test]
        fn accepted_custom_keys_are_letters_and_digits(text in "\\PC{0,20}") {
            if let Ok(k) = UrlKey::custom(&text, &OPEN) {
                prop_assert!(k.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
                prop_assert!(k.as_str().len() >= OPEN.min_len);
                prop_assert!(!is_guessable(k.as_str()));
            }
        }

        #[test]
        fn listed_words_are_refused_in_any_case(idx in 0usize..500, upper in any::<bool>()) {
            let words = common_words();
            let w = words[idx % words.len()];
            let text = if upper { w.to_ascii_uppercase() } else { w.to_owned() };
            let rules = CustomKeyRules { allowed: true, min_len: 1 };
            prop_assert!(UrlKey::custom(&text, &rules).is_err());
        }
    }
}

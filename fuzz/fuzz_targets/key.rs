//! Custom key validation: never panics; an accepted key is letters and digits only, long
//! enough, not a guessable word, and parses as a key; folding is case-insensitive.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sharelink_core::model::key::{CustomKeyRules, is_guessable};
use sharelink_core::UrlKey;

fuzz_target!(|text: &str| {
    let _ = UrlKey::parse(text);
    let rules = CustomKeyRules {
        allowed: true,
        min_len: 8,
    };
    if let Ok(k) = UrlKey::custom(text, &rules) {
        assert!(k.as_str().chars().all(|c| c.is_ascii_alphanumeric()), "{text:?}");
        assert!(k.as_str().len() >= 8);
        assert!(!is_guessable(k.as_str()));
        let again = UrlKey::parse(&k.as_str().to_uppercase()).expect("an accepted key parses");
        assert_eq!(again.folded(), k.folded());
    }
});

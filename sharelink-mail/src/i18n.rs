//! Translations of the emails with Fluent: the `.ftl` files of `locales/` (embedded), the
//! choice of a language from a mail's language tag, and dates written the way each
//! language writes them.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use time::OffsetDateTime;
use unic_langid::LanguageIdentifier;

/// A language the emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Language {
    /// English (the default, and the fallback of every missing message).
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Simplified Chinese.
    ZhCn,
}

impl Language {
    /// Every language.
    pub(crate) const ALL: [Language; 4] =
        [Language::En, Language::Fr, Language::De, Language::ZhCn];

    /// The language tag (`zh-CN`), as in `<html lang>`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::De => "de",
            Language::ZhCn => "zh-CN",
        }
    }

    /// The `.ftl` source of the language.
    pub(crate) fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../locales/en.ftl"),
            Language::Fr => include_str!("../locales/fr.ftl"),
            Language::De => include_str!("../locales/de.ftl"),
            Language::ZhCn => include_str!("../locales/zh-CN.ftl"),
        }
    }

    /// The language of ours a BCP 47 tag asks for (`fr`, `fr-CA`, `zh`, `zh-Hans-SG`,
    /// any case), negotiated by `fluent-langneg`; `None` for a tag that does not parse or
    /// names none of ours. Traditional Chinese (`zh-TW`, `zh-Hant`) is not Simplified
    /// Chinese.
    pub(crate) fn from_tag(tag: &str) -> Option<Language> {
        let requested: LanguageIdentifier = tag.trim().parse().ok()?;
        let traditional = match requested.script.as_ref().map(|s| s.as_str()) {
            Some(script) => script.eq_ignore_ascii_case("hant"),
            None => requested
                .region
                .as_ref()
                .is_some_and(|r| matches!(r.as_str(), "TW" | "HK" | "MO")),
        };
        if requested.language.as_str() == "zh" && traditional {
            return None;
        }
        let available: Vec<LanguageIdentifier> = Language::ALL
            .iter()
            .filter_map(|l| l.tag().parse().ok())
            .collect();
        let chosen =
            negotiate_languages(&[requested], &available, None, NegotiationStrategy::Lookup);
        let chosen = chosen.first()?;
        Language::ALL
            .into_iter()
            .find(|l| l.tag().parse::<LanguageIdentifier>().ok().as_ref() == Some(*chosen))
    }
}

/// An `.ftl` file that did not load.
#[derive(Debug, thiserror::Error)]
#[error("the {language} mail translations do not load: {problem}")]
pub struct TranslationError {
    language: &'static str,
    problem: String,
}

/// The translations of every language.
pub(crate) struct Translations {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Translations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translations")
            .field(
                "languages",
                &self
                    .bundles
                    .iter()
                    .map(|(l, _)| l.tag())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Translations {
    /// Parses the embedded `.ftl` files.
    pub(crate) fn load() -> Result<Self, TranslationError> {
        let mut bundles = Vec::new();
        for language in Language::ALL {
            let fail = |problem: String| TranslationError {
                language: language.tag(),
                problem,
            };
            let resource = FluentResource::try_new(language.source().to_owned())
                .map_err(|(_, errors)| fail(format!("{errors:?}")))?;
            let id: LanguageIdentifier =
                language.tag().parse().map_err(|e| fail(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Mails are text and HTML: no Unicode isolation marks around arguments.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| fail(format!("{errors:?}")))?;
            bundles.push((language, bundle));
        }
        Ok(Self { bundles })
    }

    fn bundle(&self, language: Language) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, b)| b)
    }

    /// Message `id` in `language` (English when the language lacks it, the id itself
    /// when no language has it), with `args`.
    pub(crate) fn text(
        &self,
        language: Language,
        id: &str,
        args: Option<&FluentArgs<'_>>,
    ) -> String {
        for l in [language, Language::En] {
            let Some(bundle) = self.bundle(l) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, language = l.tag(), ?errors, "a mail translation failed");
                }
                return out.into_owned();
            }
        }
        tracing::warn!(id, "no mail translation");
        id.to_owned()
    }

    /// Message `id` with named text arguments.
    pub(crate) fn with(&self, language: Language, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(*value));
        }
        self.text(language, id, Some(&fluent))
    }

    /// Whether `language` has message `id`.
    #[cfg(test)]
    pub(crate) fn has(&self, language: Language, id: &str) -> bool {
        self.bundle(language).is_some_and(|b| b.has_message(id))
    }

    /// A date for people reading `language`, in the share's time zone (UTC without
    /// one), the zone named: `3 December 2026, 17:00 (Europe/Paris)` in English.
    pub(crate) fn date(
        &self,
        language: Language,
        at: OffsetDateTime,
        zone: Option<&str>,
    ) -> String {
        let sharelink_core::text::LocalTime {
            year,
            month,
            day,
            hour,
            minute,
            zone,
        } = sharelink_core::text::local_time(at, zone);
        let mut args = FluentArgs::new();
        args.set("year", FluentValue::from(year.to_string()));
        args.set("monthnum", FluentValue::from(month.to_string()));
        args.set(
            "month",
            FluentValue::from(self.text(language, &format!("month-{month}"), None)),
        );
        args.set("day", FluentValue::from(day.to_string()));
        args.set("time", FluentValue::from(format!("{hour:02}:{minute:02}")));
        args.set("zone", FluentValue::from(zone));
        self.text(language, "date", Some(&args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t', '.', '}']) && l.contains(" ="))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let t = Translations::load().expect("the translations load");
        let english = ids(Language::En.source());
        assert!(english.len() > 40, "{english:?}");
        for language in Language::ALL {
            for id in &english {
                assert!(t.has(language, id), "{} lacks {id}", language.tag());
            }
            for id in ids(language.source()) {
                assert!(
                    t.has(Language::En, &id),
                    "{} has {id}, English not",
                    language.tag()
                );
            }
        }
    }

    #[test]
    fn tags_find_our_languages() {
        for (tag, expected) in [
            ("en", Some(Language::En)),
            ("fr", Some(Language::Fr)),
            ("fr-CA", Some(Language::Fr)),
            ("FR", Some(Language::Fr)),
            ("de-AT", Some(Language::De)),
            ("zh-CN", Some(Language::ZhCn)),
            ("zh", Some(Language::ZhCn)),
            ("zh-Hans-SG", Some(Language::ZhCn)),
            ("zh-TW", None),
            ("zh-Hant", None),
            ("ja", None),
            ("", None),
            ("not a tag", None),
        ] {
            assert_eq!(Language::from_tag(tag), expected, "{tag}");
        }
    }

    #[test]
    fn dates_as_each_language_writes_them() {
        let t = Translations::load().expect("the translations load");
        let at = datetime!(2026-12-03 16:00 UTC);
        assert_eq!(
            t.date(Language::En, at, Some("Europe/Paris")),
            sharelink_core::text::local_date(at, Some("Europe/Paris"))
        );
        assert_eq!(
            t.date(Language::Fr, at, Some("Europe/Paris")),
            "3 décembre 2026, 17:00 (Europe/Paris)"
        );
        assert_eq!(
            t.date(Language::De, at, Some("Europe/Berlin")),
            "3. Dezember 2026, 17:00 (Europe/Berlin)"
        );
        assert_eq!(
            t.date(Language::ZhCn, at, Some("Asia/Shanghai")),
            "2026年12月4日 00:00（Asia/Shanghai）"
        );
    }

    proptest! {
        #[test]
        fn any_tag_is_answered_without_panicking(tag in ".{0,64}") {
            let _ = Language::from_tag(&tag);
        }
    }
}

//! Translations of the visitor pages with Fluent: the `.ftl` files of `locales/`
//! (embedded), the choice of a language from `?lang=`, the language cookie or
//! `Accept-Language`, and sizes and dates written the way each language writes them.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use time::OffsetDateTime;

/// A language the pages are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Locale {
    /// English (the default and the fallback of every missing message).
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Simplified Chinese.
    ZhCn,
}

impl Locale {
    /// Every language, in the order the switcher lists them.
    pub(crate) const ALL: [Locale; 4] = [Locale::En, Locale::Fr, Locale::De, Locale::ZhCn];

    /// The language tag (`zh-CN`), as in `lang=` and `<html lang>`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the switcher.
    pub(crate) fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Fr => "Français",
            Locale::De => "Deutsch",
            Locale::ZhCn => "简体中文",
        }
    }

    /// The `.ftl` source of the language.
    fn source(self) -> &'static str {
        match self {
            Locale::En => include_str!("../../locales/en.ftl"),
            Locale::Fr => include_str!("../../locales/fr.ftl"),
            Locale::De => include_str!("../../locales/de.ftl"),
            Locale::ZhCn => include_str!("../../locales/zh-CN.ftl"),
        }
    }

    /// The language a tag names (`fr`, `fr-CA`, `zh`, `zh-Hans-CN`, any case), if the
    /// pages have it. Traditional Chinese (`zh-TW`, `zh-Hant`) is not Simplified Chinese.
    pub(crate) fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        let mut parts = tag.split(['-', '_']);
        match parts.next()? {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "de" => Some(Locale::De),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"))
                    && !rest.contains(&"hans");
                (!traditional).then_some(Locale::ZhCn)
            }
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours (the highest `q`;
    /// at equal `q`, the first listed), or `None` when it names none of them.
    pub(crate) fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(u16, Locale)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality);
            let (Some(q), Some(locale)) = (q, Locale::from_tag(tag)) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// A `q` value in thousandths (`0.8` → 800), if well formed.
fn quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    let q = whole + frac_value;
    (q <= 1000).then_some(q)
}

/// A `.ftl` file that did not load.
#[derive(Debug, thiserror::Error)]
#[error("the {locale} translations do not load: {problem}")]
pub struct TranslationError {
    locale: &'static str,
    problem: String,
}

/// The translations of every language.
pub(crate) struct Translations {
    bundles: Vec<(Locale, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Translations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translations")
            .field(
                "locales",
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
        for locale in Locale::ALL {
            let fail = |problem: String| TranslationError {
                locale: locale.tag(),
                problem,
            };
            let resource = FluentResource::try_new(locale.source().to_owned())
                .map_err(|(_, errors)| fail(format!("{errors:?}")))?;
            let id = locale.tag().parse().map_err(|e| fail(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Pages are HTML: no Unicode isolation marks around arguments.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| fail(format!("{errors:?}")))?;
            bundles.push((locale, bundle));
        }
        Ok(Self { bundles })
    }

    /// No translations (every message answers its id).
    pub(crate) fn none() -> Self {
        Self {
            bundles: Vec::new(),
        }
    }

    fn bundle(&self, locale: Locale) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, b)| b)
    }

    /// Message `id` in `locale` (English when the language lacks it, the id itself when
    /// no language has it), with `args`.
    pub(crate) fn text(&self, locale: Locale, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for l in [locale, Locale::En] {
            let Some(bundle) = self.bundle(l) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, locale = l.tag(), ?errors, "a translation failed");
                }
                return out.into_owned();
            }
        }
        tracing::warn!(id, "no translation");
        id.to_owned()
    }

    /// Whether `locale` has message `id`.
    pub(crate) fn has(&self, locale: Locale, id: &str) -> bool {
        self.bundle(locale).is_some_and(|b| b.has_message(id))
    }

    /// A size for people in `locale` (`1.5 MB`, `1,5 Mo`).
    pub(crate) fn size(&self, locale: Locale, bytes: u64) -> String {
        const UNITS: [&str; 5] = ["unit-b", "unit-kb", "unit-mb", "unit-gb", "unit-tb"];
        let mut v = bytes as f64;
        let mut u = 0;
        while v >= 1000.0 && u < UNITS.len() - 1 {
            v /= 1000.0;
            u += 1;
        }
        let unit = self.text(locale, UNITS[u], None);
        if u == 0 {
            return format!("{bytes} {unit}");
        }
        let number = format!("{v:.1}");
        let number = match locale {
            Locale::Fr | Locale::De => number.replace('.', ","),
            Locale::En | Locale::ZhCn => number,
        };
        // French puts a no-break space between a number and its unit.
        let space = if locale == Locale::Fr { '\u{a0}' } else { ' ' };
        format!("{number}{space}{unit}")
    }

    /// A date for people in `locale`, in the share's time zone (UTC without one), the
    /// zone named: `3 December 2026, 17:00 (Europe/Paris)` in English.
    pub(crate) fn date(&self, locale: Locale, at: OffsetDateTime, zone: Option<&str>) -> String {
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
            FluentValue::from(self.text(locale, &format!("month-{month}"), None)),
        );
        args.set("day", FluentValue::from(day.to_string()));
        args.set("time", FluentValue::from(format!("{hour:02}:{minute:02}")));
        args.set("zone", FluentValue::from(zone));
        self.text(locale, "date", Some(&args))
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
            .filter(|l| !l.starts_with([' ', '#', '\t', '.']) && l.contains(" ="))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let t = Translations::load().expect("the translations load");
        let english = ids(Locale::En.source());
        assert!(english.len() > 50, "{english:?}");
        for locale in Locale::ALL {
            for id in &english {
                assert!(t.has(locale, id), "{} lacks {id}", locale.tag());
            }
            // And no language has a message English lacks (a typo'd id).
            for id in ids(locale.source()) {
                assert!(
                    t.has(Locale::En, &id),
                    "{} has {id}, English not",
                    locale.tag()
                );
            }
        }
    }

    #[test]
    fn accept_language_picks_the_best_we_have() {
        for (header, expected) in [
            (
                "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
                Some(Locale::Fr),
            ),
            ("de-DE", Some(Locale::De)),
            ("ja, de;q=0.2, en;q=0.1", Some(Locale::De)),
            ("en;q=0.5, zh-CN", Some(Locale::ZhCn)),
            ("zh-TW, fr;q=0.3", Some(Locale::Fr)),
            ("zh-Hans-HK", Some(Locale::ZhCn)),
            ("fr;q=0, de;q=0.001", Some(Locale::De)),
            ("ja, ko", None),
            ("", None),
            ("fr;q=2", None),
            ("fr;q=abc", None),
        ] {
            assert_eq!(Locale::negotiate(header), expected, "{header}");
        }
    }

    #[test]
    fn sizes_and_dates_as_each_language_writes_them() {
        let t = Translations::load().expect("the translations load");
        assert_eq!(t.size(Locale::En, 1_500_000), "1.5 MB");
        assert_eq!(t.size(Locale::Fr, 1_500_000), "1,5\u{a0}Mo");
        assert_eq!(t.size(Locale::De, 1_500_000), "1,5 MB");
        assert_eq!(t.size(Locale::En, 12), "12 B");
        let at = datetime!(2026-12-03 16:00 UTC);
        // English is the mails' wording.
        assert_eq!(
            t.date(Locale::En, at, Some("Europe/Paris")),
            sharelink_core::text::local_date(at, Some("Europe/Paris"))
        );
        assert_eq!(t.date(Locale::En, at, None), "3 December 2026, 16:00 (UTC)");
        assert_eq!(
            t.date(Locale::Fr, at, Some("Europe/Paris")),
            "3 décembre 2026, 17:00 (Europe/Paris)"
        );
        assert_eq!(
            t.date(Locale::De, at, Some("Europe/Berlin")),
            "3. Dezember 2026, 17:00 (Europe/Berlin)"
        );
        assert_eq!(
            t.date(Locale::ZhCn, at, Some("Asia/Shanghai")),
            "2026年12月4日 00:00（Asia/Shanghai）"
        );
    }

    proptest! {
        #[test]
        fn negotiation_never_panics(header in ".{0,200}") {
            let _ = Locale::negotiate(&header);
        }

        #[test]
        fn a_listed_language_of_ours_is_found(i in 0usize..4, q in 1u16..=1000) {
            let l = Locale::ALL[i];
            let header = format!("xx, {};q={}.{:03}", l.tag(), q / 1000, q % 1000);
            prop_assert_eq!(Locale::negotiate(&header), Some(l));
        }
    }
}

//! Names and paths from a grammar, for rules about what people and other programs call
//! their files: unicode letters, dot-files, near-traversal shapes (`..a`, `. a`, `...`),
//! odd punctuation, names at the length limit, invisible and direction-changing
//! characters, extensions on the site's refused list and near misses of them (`x.apk.`).
//!
//! Every strategy here that yields a [`SharePath`] goes through its validating
//! constructor; those that yield a `String` say what they may hold.

use crate::SharePath;
use crate::model::path::{MAX_PATH_BYTES, MAX_SEGMENT_BYTES, is_invisible};
use proptest::prelude::*;

/// Invisible and direction-changing characters a name can smuggle (each one
/// [`is_invisible`]): bidi override and isolate, zero-width space and joiner, BOM, soft
/// hyphen, line separator, Arabic letter mark.
pub const INVISIBLE: &[char] = &[
    '\u{202E}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{00AD}', '\u{2028}', '\u{061C}',
];

/// Names shaped like `.` or `..` without being them (all valid segments).
pub const NEAR_TRAVERSAL: &[&str] = &[
    "...",
    "....",
    "..a",
    "a..",
    ". a",
    ".. ",
    " ..",
    "._",
    ".-",
    "%2e%2e",
    "..%2f",
    "\u{FF0E}\u{FF0E}",
    "\u{2024}\u{2024}",
    "\u{2025}",
];

/// Extensions a generated file name may carry, as typed (case kept): types with a
/// preview, without one, active content, archives, the default refused types (`apk`,
/// `ipa`) and near misses of them (`apk.` and `apk ` end the name with a dot or a space,
/// which some systems strip; `pdf.apk` and `apk.pdf` are double extensions).
pub const EXTENSIONS: &[&str] = &[
    "txt", "png", "JPG", "jpeg", "gif", "webp", "avif", "bmp", "svg", "pdf", "PDF", "md", "csv",
    "log", "mp3", "wav", "mp4", "webm", "mov", "html", "htm", "js", "exe", "docx", "xlsx", "zip",
    "json", "tar.gz", "bin", "apk", "APK", "ipa", "pdf.apk", "apk.pdf", "apk.", "apk ", "ü",
];

/// Names no upload may carry: not a single valid segment.
pub const INVALID_NAMES: &[&str] = &[
    "",
    ".",
    "..",
    "../x",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "a\u{0}b",
    "a\nb",
    "a\u{7f}b",
];

/// The longest prefix of `name` of at most `max` bytes, cut at a character boundary.
pub(crate) fn fit(name: &str, max: usize) -> &str {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

fn plain() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9 _.-]{0,11}"
}

fn unicode() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}]{0,10}",
        prop::sample::select(vec![
            "Überweisung",
            "отчёт",
            "报告",
            "ملف",
            "שלום",
            "日本語のファイル",
            "naïve",
            "e\u{301}",
            "ﬁle",
            "ｒｅｐｏｒｔ",
            "🙂",
        ])
        .prop_map(str::to_owned),
    ]
}

fn dot_file() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\.[a-zA-Z0-9_-]{1,10}",
        prop::sample::select(vec![
            ".env",
            ".git",
            ".htaccess",
            ".DS_Store",
            ".ssh",
            ".hidden",
        ])
        .prop_map(str::to_owned),
    ]
}

fn odd() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a b",
        " lead",
        "trail ",
        "a  b",
        "a#b",
        "a?b=1",
        "a%20b",
        "a:b",
        "a*b",
        "<b>",
        "'q'",
        "\"q\"",
        "a&b",
        "a;b",
        "a|b",
        "~",
        "-rf",
        "@x",
        "CON",
        "nul",
        "\u{a0}nbsp",
        "x\u{3000}y",
    ])
    .prop_map(str::to_owned)
}

fn long() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "é", "語", "🙂"]),
        0usize..=12,
    )
        .prop_map(|(unit, slack)| unit.repeat((MAX_SEGMENT_BYTES - slack) / unit.len()))
}

fn with_invisible() -> impl Strategy<Value = String> {
    (
        plain(),
        prop::sample::select(INVISIBLE.to_vec()),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(name, c, at)| {
            let mut name = name;
            let cut = name
                .char_indices()
                .map(|(i, _)| i)
                .nth(at.index(name.chars().count()))
                .unwrap_or(0);
            name.insert(cut, c);
            name
        })
}

/// A name with no invisible character, from every class of the grammar but the
/// invisible one: what [`SharePath::new_name`] accepts.
pub fn visible_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => plain(),
        2 => unicode(),
        2 => dot_file(),
        2 => prop::sample::select(NEAR_TRAVERSAL.to_vec()).prop_map(str::to_owned),
        2 => odd(),
        1 => long(),
    ]
    .prop_filter("a visible segment", |n| {
        SharePath::new_name(n).is_ok() && !n.chars().any(is_invisible)
    })
}

/// A valid path segment ([`SharePath::segment`]) from the whole grammar, one in ten with
/// an invisible or direction-changing character (which [`SharePath::new_name`] refuses:
/// such names still come from storage and from uploads).
pub fn segment_name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => visible_name(),
        1 => prop_oneof![
            with_invisible(),
            Just("👩\u{200D}💻".to_owned()),
            Just("invoice\u{202E}fdp.exe".to_owned()),
        ],
    ]
    .prop_filter("a valid segment", |n| SharePath::segment(n).is_ok())
}

/// `stem.ext` cut to fit a segment (the stem gives way), or `stem` itself when `ext` is
/// empty; a valid segment whenever `stem` is one.
pub fn with_extension(stem: &str, ext: &str) -> String {
    if ext.is_empty() {
        return stem.to_owned();
    }
    let stem = fit(stem, MAX_SEGMENT_BYTES - 1 - ext.len());
    let name = format!("{stem}.{ext}");
    if SharePath::segment(&name).is_ok() {
        name
    } else {
        format!("f.{ext}")
    }
}

/// A file name: a [`segment_name`] with one of [`EXTENSIONS`], or none (one in eight).
pub fn file_name() -> impl Strategy<Value = String> {
    (
        segment_name(),
        prop_oneof![
            7 => prop::sample::select(EXTENSIONS.to_vec()),
            1 => Just(""),
        ],
    )
        .prop_map(|(stem, ext)| with_extension(&stem, ext))
}

/// A name a person gives something new (a rename, a new folder, an alias): a
/// [`visible_name`] or one with an extension, through [`SharePath::new_name`].
pub fn new_name() -> impl Strategy<Value = SharePath> {
    (
        visible_name(),
        prop_oneof![
            1 => Just(""),
            1 => prop::sample::select(EXTENSIONS.to_vec()),
        ],
    )
        .prop_filter_map("a new name", |(stem, ext)| {
            SharePath::new_name(&with_extension(&stem, ext)).ok()
        })
}

/// The file name of an upload as a client sends it: mostly a [`file_name`], one in ten
/// [`INVALID_NAMES`] or a name one byte over the segment limit (an upload's name is
/// untrusted text: the decision refuses these with `UploadViolation::BadName`).
pub fn upload_file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => file_name(),
        1 => prop_oneof![
            prop::sample::select(INVALID_NAMES.to_vec()).prop_map(str::to_owned),
            Just("a".repeat(MAX_SEGMENT_BYTES + 1)),
        ],
    ]
}

/// The segments in order, as many as fit a path of at most `max` bytes.
pub(crate) fn join_within(segments: &[String], max: usize) -> SharePath {
    let mut text = String::new();
    for seg in segments {
        let extra = seg.len() + usize::from(!text.is_empty());
        if text.len() + extra > max {
            break;
        }
        if !text.is_empty() {
            text.push('/');
        }
        text.push_str(seg);
    }
    SharePath::parse(&text).unwrap_or_default()
}

/// A path of [`segment_name`]s: mostly 0 to 3 deep, one in four up to 40 deep (with
/// long names, up against [`MAX_PATH_BYTES`]).
pub fn nested_path() -> impl Strategy<Value = SharePath> {
    prop_oneof![
        3 => prop::collection::vec(segment_name(), 0..4),
        1 => prop::collection::vec(segment_name(), 4..40),
    ]
    .prop_map(|segs| join_within(&segs, MAX_PATH_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #[test]
        fn generated_names_are_what_they_say(
            seg in segment_name(),
            file in file_name(),
            fresh in new_name(),
            path in nested_path(),
        ) {
            prop_assert!(SharePath::segment(&seg).is_ok());
            prop_assert!(SharePath::segment(&file).is_ok());
            prop_assert!(SharePath::new_name(fresh.as_str()).is_ok());
            prop_assert!(path.as_str().len() <= MAX_PATH_BYTES);
            prop_assert_eq!(SharePath::parse(path.as_str()), Ok(path));
        }
    }

    #[test]
    fn fixed_shapes_are_valid_and_invalid_as_documented() {
        for n in NEAR_TRAVERSAL {
            assert!(SharePath::new_name(n).is_ok(), "{n:?}");
        }
        for n in INVALID_NAMES {
            assert!(SharePath::segment(n).is_err(), "{n:?}");
        }
        assert!(INVISIBLE.iter().all(|c| is_invisible(*c)));
        assert_eq!(fit("éé", 3), "é");
        assert_eq!(with_extension(&"a".repeat(255), "pdf").len(), 255);
    }
}

//! Normalised relative paths, and their confinement inside a share's items.

use crate::PathError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest accepted path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest accepted path segment, in bytes.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// A normalised relative path: segments joined by `/`, none empty, `.` or `..`,
/// no backslash, NUL or control character. The empty path is the root.
///
/// Every path a visitor sends is parsed into this type before it meets storage, so a
/// path joined onto a shared item can never leave it.
///
/// ```
/// use sharelink_core::SharePath;
/// let p = SharePath::parse("reports/2026/q1.pdf").unwrap();
/// assert_eq!(p.file_name(), Some("q1.pdf"));
/// assert!(SharePath::parse("../etc/passwd").is_err());
/// assert!(SharePath::parse("/etc/passwd").is_err());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SharePath(String);

/// The lower-cased type of a file name, as [`SharePath::extension`] reads it (trailing
/// dots and spaces dropped, a dot-file typed by what follows its dot); one reading for
/// the file-type rules and for previews ([`crate::MediaType`]).
pub fn extension_of(name: &str) -> Option<String> {
    let name = name.trim_end_matches(['.', ' ']);
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

impl SharePath {
    /// The root (empty) path.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Parses a path, refusing anything that is not already normalised.
    ///
    /// # Errors
    /// [`PathError`] naming the first rule the text breaks.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Ok(Self::root());
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(too_long());
        }
        if text.starts_with('/') {
            return Err(PathError::Absolute);
        }
        for segment in text.split('/') {
            check_segment(segment)?;
        }
        Ok(Self(text.to_owned()))
    }

    /// Parses a single path segment (a file or folder name).
    ///
    /// # Errors
    /// [`PathError`] when the name is empty, `.`/`..`, holds `/`, `\` or control characters.
    pub fn segment(name: &str) -> Result<Self, PathError> {
        if name.contains('/') {
            return Err(PathError::EmptySegment);
        }
        check_segment(name)?;
        Ok(Self(name.to_owned()))
    }

    /// Parses a name a person gives to something new (a renamed file, a new folder, an
    /// item's alias): a [`segment`](Self::segment) without invisible or
    /// direction-changing characters ([`is_invisible`]), so it shows as what it is.
    ///
    /// Names read from storage go through [`segment`](Self::segment) instead: files put
    /// there by other programs keep their names.
    ///
    /// ```
    /// use sharelink_core::{PathError, SharePath};
    /// assert!(SharePath::new_name("invoice.pdf").is_ok());
    /// assert_eq!(
    ///     SharePath::new_name("invoice\u{202E}fdp.exe"),
    ///     Err(PathError::InvisibleCharacter('\u{202E}'))
    /// );
    /// ```
    ///
    /// # Errors
    /// [`PathError::InvisibleCharacter`] naming the first such character, or what
    /// [`segment`](Self::segment) refuses.
    pub fn new_name(name: &str) -> Result<Self, PathError> {
        if let Some(c) = name.chars().find(|c| is_invisible(*c)) {
            return Err(PathError::InvisibleCharacter(c));
        }
        Self::segment(name)
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as text (`""` for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments, in order (none for the root).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// The last segment, if not the root.
    pub fn file_name(&self) -> Option<&str> {
        // From the end: the last segment without walking the others.
        self.0.rsplit('/').find(|s| !s.is_empty())
    }

    /// The first segment and the path below it (the root when there is only one
    /// segment); `None` for the root. `a/b/c` gives `a` and `b/c`.
    pub fn split_first(&self) -> Option<(&str, SharePath)> {
        let mut segs = self.segments();
        let first = segs.next()?;
        // A path holds its segments joined by single slashes (every constructor checks
        // or keeps that), so what follows the first slash is the rest, already valid.
        let rest = self.0.split_once('/').map_or("", |(_, rest)| rest);
        Some((first, Self(rest.to_owned())))
    }

    /// The lower-cased extension of the last segment (`"pdf"` for `a/B.PDF`), if any.
    /// Trailing dots and spaces are not part of a name's type (Windows drops them when it
    /// saves `x.apk.` or `x.apk `, which are `apk` then), and a dot-file is of the type
    /// after its dot (`.apk` is `apk`): the file-type rules see what a system would.
    pub fn extension(&self) -> Option<String> {
        extension_of(self.file_name()?)
    }

    /// The parent path; `None` for the root.
    pub fn parent(&self) -> Option<SharePath> {
        if self.is_root() {
            return None;
        }
        Some(match self.0.rsplit_once('/') {
            Some((parent, _)) => Self(parent.to_owned()),
            None => Self::root(),
        })
    }

    /// This path followed by `other`. Both are normalised, so the result is too,
    /// and it always lies under `self`.
    ///
    /// # Errors
    /// [`PathError::TooLong`] when the joined path exceeds [`MAX_PATH_BYTES`].
    pub fn join(&self, other: &SharePath) -> Result<SharePath, PathError> {
        let joined = match (self.is_root(), other.is_root()) {
            (_, true) => self.0.clone(),
            (true, false) => other.0.clone(),
            (false, false) => format!("{}/{}", self.0, other.0),
        };
        if joined.len() > MAX_PATH_BYTES {
            return Err(too_long());
        }
        Ok(Self(joined))
    }

    /// Whether `self` is `base` or lies under it (segment-wise, so `ab` is not under `a`).
    pub fn starts_with(&self, base: &SharePath) -> bool {
        base.is_root()
            || self.0 == base.0
            || (self.0.starts_with(&base.0) && self.0.as_bytes().get(base.0.len()) == Some(&b'/'))
    }

    /// The part of `self` below `base`, if `self` lies under `base`.
    pub fn strip_prefix(&self, base: &SharePath) -> Option<SharePath> {
        if !self.starts_with(base) {
            return None;
        }
        if base.is_root() {
            return Some(self.clone());
        }
        Some(Self(
            self.0[base.0.len()..].trim_start_matches('/').to_owned(),
        ))
    }
}

/// Whether a character is invisible or changes the direction of text: Unicode general
/// category Cf (format: the bidi controls U+202A–U+202E, U+2066–U+2069, U+200E, U+200F
/// and U+061C; the zero-width U+200B–U+200D, U+2060–U+2064 and U+FEFF; the soft hyphen
/// U+00AD; …) and the line and paragraph separators U+2028 and U+2029. In a name, such a
/// character can make it look like another (`invoice\u{202E}fdp.exe` shows as
/// `invoiceexe.pdf`). Trade-off: emoji joined with U+200D (ZWJ) lose the join.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// `name` without its invisible and direction-changing characters ([`is_invisible`]);
/// borrowed when it has none. Uploads use it: a file name comes from the uploader's
/// system, not from their keyboard, so it is cleaned rather than refused.
///
/// ```
/// use sharelink_core::model::path::strip_invisible;
/// assert_eq!(strip_invisible("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
/// ```
pub fn strip_invisible(name: &str) -> Cow<'_, str> {
    if name.chars().any(is_invisible) {
        Cow::Owned(name.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        Cow::Borrowed(name)
    }
}

fn too_long() -> PathError {
    PathError::TooLong {
        max_bytes: MAX_PATH_BYTES,
        max_segment: MAX_SEGMENT_BYTES,
    }
}

fn check_segment(segment: &str) -> Result<(), PathError> {
    match segment {
        "" => return Err(PathError::EmptySegment),
        "." => return Err(PathError::DotSegment),
        ".." => return Err(PathError::ParentSegment),
        _ => {}
    }
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err(too_long());
    }
    if segment.contains('\\') {
        return Err(PathError::Backslash);
    }
    if segment.chars().any(char::is_control) {
        return Err(PathError::ControlCharacter);
    }
    Ok(())
}

impl TryFrom<String> for SharePath {
    type Error = PathError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<SharePath> for String {
    fn from(p: SharePath) -> String {
        p.0
    }
}

impl fmt::Display for SharePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharePath({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_of_refused_paths() {
        let cases: &[(&str, PathError)] = &[
            ("/a", PathError::Absolute),
            ("..", PathError::ParentSegment),
            ("a/../b", PathError::ParentSegment),
            ("a/./b", PathError::DotSegment),
            (".", PathError::DotSegment),
            ("a//b", PathError::EmptySegment),
            ("a/", PathError::EmptySegment),
            ("a\\b", PathError::Backslash),
            ("..\\x", PathError::Backslash),
            ("a\0b", PathError::ControlCharacter),
            ("a\nb", PathError::ControlCharacter),
            ("a\u{7f}", PathError::ControlCharacter),
        ];
        for (text, expected) in cases {
            assert_eq!(SharePath::parse(text).as_ref(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn accepted_paths_keep_their_text() {
        for text in [
            "",
            "a",
            "a/b",
            "résumé.pdf",
            "...",
            "a..b",
            ".hidden",
            "x y/z",
        ] {
            assert_eq!(SharePath::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn too_long_is_refused() {
        assert!(SharePath::parse(&"a".repeat(256)).is_err());
        let long = vec!["a".repeat(200); 21].join("/");
        assert!(SharePath::parse(&long).is_err());
    }

    #[test]
    fn starts_with_is_segment_wise() {
        let a = SharePath::parse("a").unwrap();
        assert!(SharePath::parse("a/b").unwrap().starts_with(&a));
        assert!(SharePath::parse("a").unwrap().starts_with(&a));
        assert!(!SharePath::parse("ab").unwrap().starts_with(&a));
        assert!(
            SharePath::parse("ab")
                .unwrap()
                .starts_with(&SharePath::root())
        );
    }

    #[test]
    fn parent_extension_and_strip() {
        let p = SharePath::parse("a/b/c.TXT").unwrap();
        assert_eq!(p.parent().unwrap().as_str(), "a/b");
        assert_eq!(p.extension().as_deref(), Some("txt"));
        assert_eq!(SharePath::parse("noext").unwrap().extension(), None);
        // What a system saving the name would see: trailing dots and spaces dropped, a
        // dot-file typed by what follows its dot.
        for name in ["x.apk.", "x.apk ", "x.APK. .", ".apk", "a/.apk"] {
            assert_eq!(
                SharePath::parse(name).unwrap().extension().as_deref(),
                Some("apk"),
                "{name:?}"
            );
        }
        let base = SharePath::parse("a").unwrap();
        assert_eq!(p.strip_prefix(&base).unwrap().as_str(), "b/c.TXT");
        assert_eq!(SharePath::root().parent(), None);
    }

    /// The characters the model refuses in new names (and strips from uploaded ones).
    const HOSTILE: &[char] = &[
        '\u{202A}',
        '\u{202B}',
        '\u{202C}',
        '\u{202D}',
        '\u{202E}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{200E}',
        '\u{200F}',
        '\u{061C}',
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{FEFF}',
        '\u{2060}',
        '\u{2061}',
        '\u{2062}',
        '\u{2063}',
        '\u{2064}',
        '\u{00AD}',
        '\u{2028}',
        '\u{2029}',
        '\u{180E}',
        '\u{E0001}',
    ];

    #[test]
    fn every_hostile_character_is_invisible_and_refused_in_new_names() {
        for &c in HOSTILE {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
            let name = format!("invoice{c}fdp.exe");
            assert_eq!(
                SharePath::new_name(&name),
                Err(PathError::InvisibleCharacter(c)),
                "U+{:04X}",
                u32::from(c)
            );
            assert_eq!(strip_invisible(&name), "invoicefdp.exe");
            // Storage names keep them: files other programs wrote still list.
            assert!(SharePath::segment(&name).is_ok());
        }
    }

    #[test]
    fn the_error_names_the_code_point() {
        let err = SharePath::new_name("invoice\u{202E}fdp.exe").unwrap_err();
        assert!(err.to_string().contains("U+202E"), "{err}");
        assert!(!err.to_string().contains('\u{202E}'), "{err}");
    }

    #[test]
    fn ordinary_names_are_new_names_and_untouched() {
        for name in [
            "invoice.pdf",
            "résumé 2026.docx",
            "日本語.txt",
            "🙂.png",
            "a-b_c (1).tar.gz",
        ] {
            assert_eq!(SharePath::new_name(name).unwrap().as_str(), name);
            assert!(matches!(strip_invisible(name), Cow::Borrowed(_)));
        }
        assert_eq!(SharePath::new_name(".."), Err(PathError::ParentSegment));
        assert_eq!(SharePath::new_name("a/b"), Err(PathError::EmptySegment));
    }

    proptest! {
        /// The fast forms agree with the segment-wise definitions on every path: the
        /// file name is the last segment, and the first segment and the rest parse back
        /// to the path.
        #[test]
        fn file_name_and_split_first_agree_with_the_segments(
            p in prop_oneof![crate::testing::strategies::share_path(), crate::testing::strategies::visitor_path()]
        ) {
            prop_assert_eq!(p.file_name(), p.segments().last());
            let segs: Vec<&str> = p.segments().collect();
            match p.split_first() {
                None => prop_assert!(p.is_root()),
                Some((first, rest)) => {
                    prop_assert_eq!(first, segs[0]);
                    let parsed = SharePath::parse(&segs[1..].join("/"));
                    prop_assert_eq!(parsed.as_ref(), Ok(&rest));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn no_accepted_new_name_holds_an_invisible_character(
            name in "[a.\u{202E}\u{200B}\u{00AD}\u{FEFF}\u{2066}é ]{0,12}"
        ) {
            match SharePath::new_name(&name) {
                Ok(accepted) => prop_assert!(!accepted.as_str().chars().any(is_invisible)),
                Err(PathError::InvisibleCharacter(c)) => {
                    prop_assert!(is_invisible(c) && name.contains(c));
                }
                Err(_) => prop_assert!(SharePath::segment(&name).is_err()),
            }
            // Cleaning leaves none, and keeps every other character in order.
            let cleaned = strip_invisible(&name);
            prop_assert!(!cleaned.chars().any(is_invisible));
            let kept: String = name.chars().filter(|c| !is_invisible(*c)).collect();
            prop_assert_eq!(cleaned.as_ref(), kept.as_str());
            if SharePath::segment(&cleaned).is_ok() {
                prop_assert!(SharePath::new_name(&cleaned).is_ok());
            }
        }

        #[test]
        fn any_character_is_either_visible_or_refused(c in any::<char>()) {
            let name = format!("x{c}y");
            match SharePath::new_name(&name) {
                Ok(_) => prop_assert!(!is_invisible(c)),
                Err(PathError::InvisibleCharacter(found)) => prop_assert_eq!(found, c),
                Err(_) => prop_assert!(!is_invisible(c)),
            }
        }

        #[test]
        fn parsed_paths_never_escape(text in "[a./\\\\\0b]{0,12}") {
            if let Ok(p) = SharePath::parse(&text) {
                prop_assert!(!p.as_str().starts_with('/'));
                for s in p.segments() {
                    prop_assert!(s != ".." && s != "." && !s.is_empty());
                    prop_assert!(!s.contains('\\') && !s.contains('\0'));
                }
                let base = SharePath::parse("shared/folder").unwrap();
                let joined = base.join(&p).unwrap();
                prop_assert!(joined.starts_with(&base));
            }
        }

        #[test]
        fn parse_roundtrips_display(p in crate::testing::share_path()) {
            prop_assert_eq!(SharePath::parse(p.as_str()).unwrap(), p);
        }
    }
}

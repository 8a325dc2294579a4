//! Properties of the download-all archive and of the header helpers, checked with
//! independent readers: the `zip` crate reads back every name and every byte, whatever
//! the (valid) file names; `Range` resolution and `Content-Disposition` never panic and
//! stay within their contracts.

use proptest::prelude::*;
use sharelink_http::fuzzing::{archive_in_memory, content_disposition, range_header};
use std::io::Read;

/// A path segment a share may hold: any printable text without `/`, incl. Unicode, quotes,
/// spaces, and characters that mean something to shells or HTML.
fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._'\"<>&;%$!()\\[\\]{}#@=+,~^-]{1,12}|[é漢字ü😀]{1,4}"
        .prop_filter("not a dot segment", |s| {
            s.trim() == s && s != "." && s != ".." && !s.is_empty()
        })
}

fn file_name() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..4).prop_map(|v| v.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn archives_read_back_exactly(
        files in prop::collection::btree_map(file_name(), prop::collection::vec(any::<u8>(), 0..300), 0..12),
        folders in prop::collection::btree_set(segment(), 0..3),
    ) {
        // Names must be unique across files and folders, as in a real share.
        let folders: Vec<String> = folders
            .into_iter()
            .map(|f| format!("empty-{f}"))
            .filter(|f| !files.keys().any(|k| k == f || k.starts_with(&format!("{f}/"))))
            .collect();
        let listed: Vec<(&str, &[u8])> = files.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        let folder_refs: Vec<&str> = folders.iter().map(String::as_str).collect();
        let bytes = archive_in_memory(&listed, &folder_refs);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable archive");
        prop_assert_eq!(zip.len(), files.len() + folders.len());
        for (name, data) in &files {
            let mut entry = zip.by_name(name).expect("every file is in the archive");
            let mut read = Vec::new();
            entry.read_to_end(&mut read).expect("contents read back (CRC checked)");
            prop_assert_eq!(&read, data);
        }
        for f in &folders {
            let entry = zip.by_name(&format!("{f}/")).expect("every folder is in the archive");
            prop_assert!(entry.is_dir());
        }
    }

    #[test]
    fn ranges_resolve_inside_the_file(header in "(bytes|items)=[0-9, -]{0,24}", size in 0u64..10_000) {
        if let Some(ranges) = range_header(&header, size) {
            for (start, end) in ranges.into_iter().flatten() {
                prop_assert!(start < end && end <= size, "{start}..{end} of {size} from {header}");
            }
        }
    }

    #[test]
    fn dispositions_are_single_safe_header_values(name in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
        let v = content_disposition("attachment", &name);
        prop_assert!(v.starts_with("attachment"));
        prop_assert!(v.bytes().all(|b| (0x20..0x7f).contains(&b)), "{v:?}");
        prop_assert!(axum::http::HeaderValue::from_str(&v).is_ok());
    }
}

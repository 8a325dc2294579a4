//! ZIP name encoding: any valid share paths and contents make an archive that an
//! independent reader (the `zip` crate) reads back exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sharelink_core::SharePath;
use std::io::Read;

fuzz_target!(|entries: Vec<(&str, &[u8])>| {
    let mut seen = std::collections::BTreeMap::new();
    for (name, data) in entries.into_iter().take(32) {
        let Ok(p) = SharePath::parse(name) else { continue };
        if p.is_root() {
            continue;
        }
        // A name that is also a folder of another name is not a real share's layout.
        let s = p.as_str().to_owned();
        if seen.keys().any(|k: &String| k.starts_with(&format!("{s}/")) || s.starts_with(&format!("{k}/"))) {
            continue;
        }
        seen.insert(s, data);
    }
    let files: Vec<(&str, &[u8])> = seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let bytes = sharelink_http::fuzzing::archive_in_memory(&files, &[]);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("readable");
    assert_eq!(zip.len(), files.len());
    for (name, data) in &files {
        let mut e = zip.by_name(name).expect("present");
        let mut read = Vec::new();
        e.read_to_end(&mut read).expect("contents");
        assert_eq!(&read[..], *data);
    }
});

//! Visitor path normalisation: never panics; what it accepts is normalised (no empty,
//! `.` or `..` segments, no backslash or NUL) and parses back to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sharelink_core::SharePath;

fuzz_target!(|text: &str| {
    if let Ok(p) = SharePath::parse(text) {
        for seg in p.segments() {
            assert!(!seg.is_empty() && seg != "." && seg != "..", "{text:?} -> {p:?}");
            assert!(!seg.contains(['\\', '\0', '/']), "{text:?} -> {p:?}");
        }
        assert_eq!(SharePath::parse(p.as_str()).as_ref(), Ok(&p), "{text:?}");
    }
});

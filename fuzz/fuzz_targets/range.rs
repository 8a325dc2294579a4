//! `Range` header parsing: never panics; every resolved range lies inside the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u32)| {
    let (header, size) = input;
    let size = u64::from(size);
    if let Some(ranges) = sharelink_http::fuzzing::range_header(header, size) {
        for (start, end) in ranges.into_iter().flatten() {
            assert!(start < end && end <= size, "{header:?} of {size}: {start}..{end}");
        }
    }
    let d = sharelink_http::fuzzing::content_disposition("attachment", header);
    assert!(d.bytes().all(|b| (0x20..0x7f).contains(&b)), "{d:?}");
});

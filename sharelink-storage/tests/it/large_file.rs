//! A file larger than 1 GiB, written as a stream to local disk, read back and copied,
//! with the process' peak memory checked to stay small.
//!
//! The work runs in a child process (this test binary, re-run on one test) so that the
//! peak resident memory it reports belongs to the transfer alone, not to other tests
//! running in parallel.

use crate::run;
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{ByteStream, FileStore, FileStoreError, WriteOptions};
use sharelink_storage::ObjectFileStore;
use std::process::Command;
use std::time::Instant;

const CHILD: &str = "SHARELINK_TEST_LARGE_FILE_CHILD";
const BLOCK: usize = 1024 * 1024;
/// 1 GiB + 1 MiB + a few bytes: more than 1 GiB, not a whole number of parts or chunks.
const SIZE: u64 = 1025 * BLOCK as u64 + 123;
/// Peak resident memory allowed for the whole child process.
const MAX_PEAK_KIB: u64 = 128 * 1024;

/// Block `i` of the file: a fixed pattern stamped with its index, so misplaced, missing
/// or repeated blocks are caught.
fn block(base: &[u8], i: u64) -> Vec<u8> {
    let mut block = base.to_vec();
    block[..8].copy_from_slice(&i.to_le_bytes());
    block
}

fn base() -> Vec<u8> {
    (0..BLOCK).map(|i| (i % 251) as u8).collect()
}

/// `VmHWM` (peak resident set) of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn over_one_gib_streams_with_flat_memory() {
    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new(exe)
        .args([
            "large_file::child_transfers_over_one_gib",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("the child test runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed\n{stdout}\n{stderr}");
    let report = stdout
        .lines()
        .chain(stderr.lines())
        .find_map(|l| l.find("large file:").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no report from the child\n{stdout}\n{stderr}"));
    println!("{report}");
    let peak: u64 = report
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("peak_rss_kib in the report");
    assert!(
        peak < MAX_PEAK_KIB,
        "peak memory {peak} KiB for a {SIZE}-byte file: {report}"
    );
}

/// The child half of [`over_one_gib_streams_with_flat_memory`]; does nothing when run
/// as an ordinary test.
#[test]
fn child_transfers_over_one_gib() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ObjectFileStore::local(dir.path()).expect("local store");
    let path = SharePath::parse("videos/huge.bin").expect("path");
    let before = peak_rss_kib();
    let started = Instant::now();
    run(async {
        let base = Bytes::from(base());
        let blocks = SIZE.div_ceil(BLOCK as u64);
        let generator_base = base.clone();
        let body: ByteStream = Box::pin(futures::stream::iter(0..blocks).map(move |i| {
            let len = (SIZE - i * BLOCK as u64).min(BLOCK as u64) as usize;
            let mut data = block(&generator_base, i);
            data.truncate(len);
            Ok::<_, FileStoreError>(Bytes::from(data))
        }));
        let entry = store
            .write(&path, body, WriteOptions::default())
            .await
            .expect("write");
        assert_eq!(entry.size, SIZE);
        let written = started.elapsed();

        let read = store.read(&path, None).await.expect("read");
        assert_eq!(read.range.end, SIZE);
        let mut stream = read.stream;
        let mut pending: Vec<u8> = Vec::with_capacity(BLOCK);
        let mut index = 0u64;
        let mut total = 0u64;
        while let Some(chunk) = stream.next().await {
            let mut chunk = &chunk.expect("chunk")[..];
            total += chunk.len() as u64;
            while !chunk.is_empty() {
                let take = (BLOCK - pending.len()).min(chunk.len());
                pending.extend_from_slice(&chunk[..take]);
                chunk = &chunk[take..];
                if pending.len() == BLOCK {
                    assert!(pending == block(&base, index), "block {index} differs");
                    pending.clear();
                    index += 1;
                }
            }
        }
        let mut last = block(&base, index);
        last.truncate(pending.len());
        assert!(pending == last, "last block differs");
        assert_eq!(total, SIZE);

        // A range in the middle, across a part boundary.
        let start = 512 * BLOCK as u64 - 4;
        let read = store
            .read(
                &path,
                Some(sharelink_core::ports::file_store::ByteRange {
                    start,
                    end: start + 8,
                }),
            )
            .await
            .expect("ranged read");
        let bytes: Vec<u8> = read
            .stream
            .map(|c| c.expect("chunk").to_vec())
            .concat()
            .await;
        let mut want = block(&base, 511)[BLOCK - 4..].to_vec();
        want.extend_from_slice(&block(&base, 512)[..4]);
        assert_eq!(bytes, want);

        // A copy (as a snapshot share takes) is a byte copy: streamed, not held whole.
        let copy = SharePath::parse("snapshots/huge.bin").expect("path");
        let copy_started = Instant::now();
        store.copy(&path, &copy).await.expect("copy");
        let copied = copy_started.elapsed();
        assert_eq!(store.stat(&copy).await.expect("stat").size, SIZE);
        let range = sharelink_core::ports::file_store::ByteRange {
            start,
            end: start + 8,
        };
        let read = store.read(&copy, Some(range)).await.expect("ranged read");
        let bytes: Vec<u8> = read
            .stream
            .map(|c| c.expect("chunk").to_vec())
            .concat()
            .await;
        assert_eq!(bytes, want);
        println!(
            "large file: size={SIZE} write={:.1}s copy={:.1}s total={:.1}s peak_rss_kib={} \
             (before: {before})",
            written.as_secs_f64(),
            copied.as_secs_f64(),
            started.elapsed().as_secs_f64(),
            peak_rss_kib(),
        );
    });
}

//! Over a real socket, with a file larger than the socket buffers: a counted download the
//! client leaves part-way keeps its use spent and is logged as aborted with its byte
//! count; the same session resumes it with `Range` + `If-Range` for free; a new whole
//! download counts again, and nobody else rides on the spent use.

use super::{Remote, World, serve, world};
use sharelink_core::ports::{FileStore, LogEvent, LogKind, LogQuery, WriteOptions};
use sharelink_core::service::Outcome;
use sharelink_core::testing::fixtures::{chunks, path, user};
use sharelink_core::{Share, UseLimit, UseUnit};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// Larger than the loopback socket buffers on both sides together, so the server is
/// still sending when the client leaves.
pub(super) const SIZE: usize = 40 << 20;
/// What the client reads before it leaves.
const READ_BEFORE_LEAVING: usize = 6 << 20;

fn payload() -> Vec<u8> {
    (0..SIZE)
        .map(|i| u8::try_from((i * 7 + i / 4093) % 251).unwrap())
        .collect()
}

/// A share of one large file, downloadable `max` times.
pub(super) async fn big_share(w: &World, max: u32) -> (Share, Vec<u8>) {
    let data = payload();
    w.files
        .write(
            &path("docs/big.bin"),
            chunks(&data, 1 << 20),
            WriteOptions {
                overwrite: true,
                max_bytes: None,
            },
        )
        .await
        .unwrap();
    let share = w
        .share(&["docs/big.bin"], |s| {
            s.use_limit = Some(UseLimit {
                max,
                unit: UseUnit::Download,
            });
        })
        .await;
    (share, data)
}

/// A browser inside the share (its session and CSRF cookies set).
pub(super) async fn inside(addr: SocketAddr, share: &Share) -> Remote {
    let mut r = Remote::new(addr);
    let (status, body) = r.open(&share.key.to_string(), "").await;
    assert_eq!(status, 200, "{body}");
    r
}

/// Writes every byte (the readiness API: the tests' tokio has no `io-util`).
pub(super) async fn write_all(tcp: &TcpStream, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        tcp.writable().await.unwrap();
        match tcp.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

/// Reads what is there (at least one byte, or 0 at the end).
pub(super) async fn read(tcp: &TcpStream, buf: &mut [u8]) -> usize {
    loop {
        tcp.readable().await.unwrap();
        match tcp.try_read(buf) {
            Ok(n) => return n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Confirms the download in a raw HTTP/1.1 request, reads the head and `keep` bytes of the
/// body, then closes the connection. Returns the bytes read and the `ETag`.
async fn download_and_leave(
    addr: SocketAddr,
    r: &Remote,
    share: &Share,
    keep: usize,
) -> (Vec<u8>, String) {
    let csrf = r.cookies.get("sl_csrf").cloned().unwrap_or_default();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /share/s/{}/dl/big.bin HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
         X-CSRF-Token: {csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 0\r\n\r\n",
        share.key,
        r.cookies.header()
    );
    write_all(&tcp, request.as_bytes()).await;
    let mut buf = Vec::with_capacity(keep + 4096);
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        let n = read(&tcp, &mut chunk).await;
        assert!(n > 0, "connection closed before the head");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let etag = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("etag"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .expect("an ETag");
    let mut body = buf.split_off(head_end);
    while body.len() < keep {
        let n = read(&tcp, &mut chunk).await;
        assert!(n > 0, "the server closed before {keep} bytes");
        body.extend_from_slice(&chunk[..n]);
    }
    // Leaves with unread bytes in its buffer: the close resets the connection.
    drop(tcp);
    (body, etag)
}

pub(super) async fn downloads(w: &World, share: &Share) -> Vec<LogEvent> {
    let mut events = w
        .app
        .access_log(
            &user("ana"),
            share.id,
            LogQuery {
                kinds: Some(vec![LogKind::Download]),
                limit: 100,
                ..LogQuery::default()
            },
        )
        .await
        .unwrap();
    events.reverse();
    events
}

/// Waits (the use is settled in the background) until the share has `n` download events.
pub(super) async fn settled(w: &World, share: &Share, n: usize) -> Vec<LogEvent> {
    for _ in 0..500 {
        let events = downloads(w, share).await;
        if events.len() >= n {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no settled download {n} in 10 s");
}

fn assert_aborted(event: &LogEvent) {
    let e = &event.event;
    assert_eq!(e.detail.as_deref(), Some(Outcome::ABORTED_DETAIL), "{e:?}");
    let bytes = e.bytes.unwrap();
    assert!(bytes > 0 && bytes < SIZE as u64, "{bytes}");
}

/// A ranged GET with `If-Range`, as a browser resumes a download.
async fn resume(r: &Remote, share: &Share, from: usize, if_range: &str) -> reqwest::Response {
    r.client
        .get(format!("{}/s/{}/dl/big.bin", r.base, share.key))
        .header("cookie", r.cookies.header())
        .header("range", format!("bytes={from}-"))
        .header("if-range", if_range)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_time_link_left_part_way_is_spent_and_the_same_session_resumes_it() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let (share, data) = big_share(&w, 1).await;
    let mut r = inside(addr, &share).await;
    let (first, etag) = download_and_leave(addr, &r, &share, READ_BEFORE_LEAVING).await;
    assert_eq!(&first[..], &data[..first.len()]);
    let log = settled(&w, &share, 1).await;
    assert_aborted(&log[0]);
    assert_eq!(w.uses(&share).await, 1);

    // A second whole download from the same session is a new one: the use is spent.
    let (status, body) = r.form(&format!("/s/{}/dl/big.bin", share.key), &[]).await;
    assert_eq!(status, 410, "{body}");
    // A range whose If-Range names another version is a whole download too.
    let stale = resume(&r, &share, first.len(), "\"another-version\"").await;
    assert_eq!(stale.status(), 410);

    // The browser resumes where it stopped: 206, the rest, and no new use.
    let rest = resume(&r, &share, first.len(), &etag).await;
    assert_eq!(rest.status(), 206);
    assert_eq!(
        rest.headers()["content-range"].to_str().unwrap(),
        format!("bytes {}-{}/{SIZE}", first.len(), SIZE - 1)
    );
    let rest = rest.bytes().await.unwrap();
    assert_eq!(first.len() + rest.len(), SIZE);
    assert!(first.iter().chain(rest.iter()).eq(data.iter()));
    let log = settled(&w, &share, 2).await;
    assert_eq!(log[1].event.detail, None);
    assert_eq!(log[1].event.bytes, Some(rest.len() as u64));
    assert_eq!(w.uses(&share).await, 1);

    // Nobody else rides on it: a new browser is refused, so is a range without a session.
    let mut other = Remote::new(addr);
    let (status, _) = other
        .send(other.client.get(format!("{}/s/{}", other.base, share.key)))
        .await;
    assert_eq!(status, 410);
    let theirs = resume(&other, &share, first.len(), &etag).await;
    assert!(theirs.status().is_client_error(), "{}", theirs.status());
    assert_ne!(theirs.status(), 206);
    assert_eq!(w.uses(&share).await, 1);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_download_left_part_way_spends_one_use() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    let (share, data) = big_share(&w, 3).await;
    let mut r = inside(addr, &share).await;
    let mut etag = String::new();
    let mut kept = 0;
    for n in 1..=3 {
        let (got, tag) = download_and_leave(addr, &r, &share, READ_BEFORE_LEAVING * n).await;
        assert_eq!(&got[..], &data[..got.len()]);
        let log = settled(&w, &share, n).await;
        assert_aborted(&log[n - 1]);
        assert_eq!(w.uses(&share).await, u32::try_from(n).unwrap());
        (etag, kept) = (tag, got.len());
    }
    let (status, _) = r.form(&format!("/s/{}/dl/big.bin", share.key), &[]).await;
    assert_eq!(status, 410);
    // The session still resumes the version it spent uses on.
    let rest = resume(&r, &share, kept, &etag).await;
    assert_eq!(rest.status(), 206);
    let rest = rest.bytes().await.unwrap();
    assert_eq!(&rest[..], &data[kept..]);
    assert_eq!(w.uses(&share).await, 3);
    server.abort();
}

#[tokio::test]
async fn a_download_all_left_part_way_spends_its_use() {
    let w = world().await;
    let (addr, server) = serve(w.router.clone()).await;
    w.files
        .write(
            &path("docs/archive/big.bin"),
            chunks(&payload(), 1 << 20),
            WriteOptions {
                overwrite: true,
                max_bytes: None,
            },
        )
        .await
        .unwrap();
    let share = w
        .share(&["docs/archive"], |s| {
            s.use_limit = Some(UseLimit {
                max: 1,
                unit: UseUnit::Download,
            });
        })
        .await;
    let mut r = inside(addr, &share).await;
    let csrf = r.cookies.get("sl_csrf").cloned().unwrap_or_default();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /share/s/{}/zip HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
         X-CSRF-Token: {csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 0\r\n\r\n",
        share.key,
        r.cookies.header()
    );
    write_all(&tcp, request.as_bytes()).await;
    let mut got = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    while got < READ_BEFORE_LEAVING {
        let n = read(&tcp, &mut chunk).await;
        assert!(
            n > 0,
            "the server closed before {READ_BEFORE_LEAVING} bytes"
        );
        got += n;
    }
    drop(tcp);
    // The archive's use stays spent and the log says how much went out.
    let mut event = None;
    for _ in 0..500 {
        let log = w
            .app
            .access_log(
                &user("ana"),
                share.id,
                LogQuery {
                    kinds: Some(vec![LogKind::DownloadAll]),
                    limit: 10,
                    ..LogQuery::default()
                },
            )
            .await
            .unwrap();
        if let Some(e) = log.into_iter().next() {
            event = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_aborted(&event.expect("a settled download-all"));
    assert_eq!(w.uses(&share).await, 1);
    let (status, _) = r.form(&format!("/s/{}/zip", share.key), &[]).await;
    assert_eq!(status, 410, "the one use is spent");
    server.abort();
}

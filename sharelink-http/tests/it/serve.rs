//! `sharelink_http::serve` over real sockets: slow and silent connections are closed
//! within their timeouts while other clients are served, one address cannot take every
//! connection, HTTP/2 is spoken, and a shutdown lets a download in flight finish and
//! counts its use exactly once.

use super::resume::{SIZE, big_share, downloads, inside, read, write_all};
use super::{World, world};
use axum::Router;
use sharelink_http::{ServeLimits, serve};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;

/// A server of `/ping` (answers `pong`) and the share router under `/share`.
struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(w: &World, limits: ServeLimits) -> Self {
        let app = Router::new()
            .route("/ping", axum::routing::get(|| async { "pong" }))
            .nest("/share", w.router.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Short timeouts, so that a test waits seconds, not minutes.
fn quick() -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        ..ServeLimits::default()
    }
}

/// Waits until the server closes `tcp` (end of stream or reset), discarding what it
/// sends; returns how long that took.
async fn closed_after(tcp: &TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    while let Some(n) = read_some(tcp, &mut buf).await {
        if n == 0 {
            break;
        }
    }
    started.elapsed()
}

/// Sends `GET /ping` on a kept-alive connection and reads the whole answer.
async fn ping(tcp: &TcpStream) {
    write_all(tcp, b"GET /ping HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"pong") {
        let n = read(tcp, &mut buf).await;
        assert!(n > 0, "closed before the answer");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
}

async fn connect_from(source: [u8; 4], addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("loopback addresses other than 127.0.0.1 (Linux routes all of 127/8)");
    socket.connect(addr).await.unwrap()
}

#[tokio::test]
async fn slow_header_connections_are_closed_while_others_are_served() {
    let w = world().await;
    let server = Server::start(&w, quick()).await;
    let mut slow = Vec::new();
    for _ in 0..50 {
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        write_all(&tcp, b"GET /ping HTTP/1.1\r\nHost: te").await;
        slow.push(tcp);
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut served = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        let res = client
            .get(format!("http://{}/ping", server.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        served += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served > 10, "{served}");
    for tcp in &slow {
        let waited = closed_after(tcp).await + started.elapsed();
        assert!(waited < Duration::from_secs(4), "{waited:?}");
    }
    let silent = TcpStream::connect(server.addr).await.unwrap();
    let waited = closed_after(&silent).await;
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(3),
        "a connection that sends nothing closed after {waited:?}"
    );
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let w = world().await;
    let limits = ServeLimits {
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(1),
        ..ServeLimits::default()
    };
    let server = Server::start(&w, limits).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    ping(&tcp).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ping(&tcp).await; // still open, and its idle time starts again
    let waited = closed_after(&tcp).await;
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );

    // HTTP/2 with prior knowledge: the server answers the preface with its SETTINGS,
    // then closes the connection once it has been idle as long.
    let h2 = TcpStream::connect(server.addr).await.unwrap();
    write_all(&h2, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await;
    let mut head = [0u8; 9];
    let n = read(&h2, &mut head).await;
    assert!(
        n >= 4 && head[3] == 0x04,
        "no SETTINGS frame: {:?}",
        &head[..n]
    );
    let waited = closed_after(&h2).await;
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(3),
        "HTTP/2 closed after {waited:?}"
    );
}

#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let w = world().await;
    let limits = ServeLimits {
        max_connections_per_address: 3,
        ..quick()
    };
    let server = Server::start(
        &w,
        ServeLimits {
            idle_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            ..limits
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let tcp = connect_from([127, 0, 0, 1], server.addr).await;
        ping(&tcp).await;
        held.push(tcp);
    }
    let extra = connect_from([127, 0, 0, 1], server.addr).await;
    let waited = closed_after(&extra).await;
    assert!(
        waited < Duration::from_secs(1),
        "the fourth stayed {waited:?}"
    );
    let other = connect_from([127, 0, 0, 2], server.addr).await;
    ping(&other).await;
    // A connection that ends gives its place back.
    drop(held.pop());
    let mut again = false;
    for _ in 0..50 {
        let tcp = connect_from([127, 0, 0, 1], server.addr).await;
        write_all(&tcp, b"GET /ping HTTP/1.1\r\nHost: test\r\n\r\n").await;
        let mut buf = [0u8; 256];
        if matches!(read_some(&tcp, &mut buf).await, Some(n) if n > 0) {
            again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again, "the place of a closed connection was not given back");
}

/// Reads what is there; `None` when the connection was reset.
async fn read_some(tcp: &TcpStream, buf: &mut [u8]) -> Option<usize> {
    loop {
        tcp.readable().await.ok()?;
        match tcp.try_read(buf) {
            Ok(n) => return Some(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
    }
}

/// Confirms the download of `big.bin` in a raw HTTP/1.1 request and reads its head.
/// Returns the connection and the body bytes that came with the head.
async fn start_download(
    addr: SocketAddr,
    r: &super::Remote,
    share: &sharelink_core::Share,
) -> (TcpStream, Vec<u8>) {
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
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        let n = read(&tcp, &mut chunk).await;
        assert!(n > 0, "closed before the head");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    assert!(
        buf.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..head_end])
    );
    let body = buf.split_off(head_end);
    (tcp, body)
}

#[tokio::test]
async fn shutdown_lets_a_download_finish_and_counts_its_use_once() {
    let w = world().await;
    let (share, data) = big_share(&w, 1).await;
    let mut server = Server::start(&w, quick()).await;
    let r = inside(server.addr, &share).await;
    let (tcp, mut body) = start_download(server.addr, &r, &share).await;
    let stop = server.stop.take().unwrap();
    stop.send(()).unwrap();
    // The client reads slowly for a while: longer than the idle timeout, well within
    // the grace period.
    let mut chunk = vec![0u8; 256 * 1024];
    while body.len() < SIZE {
        let n = read(&tcp, &mut chunk).await;
        assert!(n > 0, "cut after {} bytes", body.len());
        body.extend_from_slice(&chunk[..n]);
        if body.len() < 4 << 20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(body == data, "the download arrived altered");
    tokio::time::timeout(Duration::from_secs(5), &mut server.task)
        .await
        .expect("serve returns once the download is done")
        .unwrap();
    // `serve` waited for the use to be settled: it is logged already (read once, no
    // waiting).
    let events = downloads(&w, &share).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.detail, None, "{:?}", events[0]);
    assert_eq!(events[0].event.bytes, Some(SIZE as u64));
    assert_eq!(w.uses(&share).await, 1);
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn a_download_still_running_after_the_grace_period_is_cut_and_settled() {
    let w = world().await;
    let (share, _) = big_share(&w, 1).await;
    let limits = ServeLimits {
        grace_period: Duration::from_secs(1),
        ..quick()
    };
    let mut server = Server::start(&w, limits).await;
    let r = inside(server.addr, &share).await;
    let (_tcp, _) = start_download(server.addr, &r, &share).await;
    let started = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), &mut server.task)
        .await
        .expect("serve returns after the grace period")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    // Settled before `serve` returned: read once, no waiting.
    let events = downloads(&w, &share).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].event.detail.as_deref(),
        Some(sharelink_core::service::Outcome::ABORTED_DETAIL)
    );
    assert_eq!(w.uses(&share).await, 1);
}

//! Nesting sharelink's router into an existing axum application.
//!
//! Your application keeps its own routes; sharelink's visitor pages and management API
//! appear under `/share`. Here every port is an in-memory adapter and users are named by
//! a trusted `x-user` header (never do that in production: read your own session).
//!
//! Run: `cargo run -p sharelink-examples --bin embed_router` (add `--smoke` to serve one
//! request to itself and exit).

use axum::Router;
use axum::http::request::Parts;
use axum::routing::get;
use sharelink_core::UserId;
use sharelink_core::memory::{
    MemoryAccessLog, MemoryDirectory, MemoryFileStore, MemoryMailer, MemoryRepository,
};
use sharelink_core::service::{Config, Ports, Sharelink};
use sharelink_http::{Authenticator, HttpConfig, SharelinkState, TokioBlockingRunner};
use std::sync::Arc;

/// Your application's idea of who is signed in (here a header, for the example only).
#[derive(Debug)]
struct HeaderAuth;

#[async_trait::async_trait]
impl Authenticator for HeaderAuth {
    async fn user(&self, parts: &Parts) -> Option<UserId> {
        UserId::parse(parts.headers.get("x-user")?.to_str().ok()?).ok()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    // 1. sharelink over your ports (in-memory here; a database, a store, SMTP and your
    //    own users in production), with CPU work kept off the runtime.
    let ports = Ports::new(
        Arc::new(MemoryRepository::new()),
        Arc::new(MemoryAccessLog::new()),
        Arc::new(MemoryFileStore::new()),
        Arc::new(MemoryMailer::new()),
        Arc::new(MemoryDirectory::new()),
    )
    .with_blocking(Arc::new(TokioBlockingRunner));
    let sharelink = Sharelink::new(ports, Config::new(format!("http://{addr}/share/s/")))?;
    let http = HttpConfig {
        secure_cookies: false, // plain HTTP on loopback
        ..HttpConfig::default()
    };
    let state = SharelinkState::new(sharelink, Arc::new(HeaderAuth), http);

    // 2. Your existing application, with sharelink nested under /share.
    let app = Router::new()
        .route("/", get(|| async { "my application" }))
        .nest("/share", sharelink_http::router(state));

    // 3. Serve with TCP_NODELAY and the client address known (IP rules, the access log).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    println!("listening on http://{addr}/ (sharelink under /share)");
    if smoke {
        let spec = smoke_request(addr).await?;
        println!("smoke: GET /share/api/openapi.json -> {spec}");
        server.abort();
        return Ok(());
    }
    server.await??;
    Ok(())
}

/// One plain HTTP/1.1 request to our own OpenAPI document; returns the status line.
async fn smoke_request(addr: std::net::SocketAddr) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.write_all(
        b"GET /share/api/openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default().to_owned();
    if !status.contains(" 200 ") || !text.contains("sharelink management API") {
        return Err(std::io::Error::other(format!(
            "unexpected answer: {status}"
        )));
    }
    Ok(status)
}

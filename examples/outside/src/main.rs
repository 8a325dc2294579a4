//! The README's "Wiring it together", as a program: sharelink nested under `/share` in an
//! existing axum application, over SQLite, a local folder and an outbox of `.eml` files.
//! `--smoke` serves itself one request and exits (CI runs it that way).

use axum::Router;
use axum::http::request::Parts;
use sharelink_http::sharelink_core::ports::{DirectoryError, PermissionDirectory, UserInfo};
use sharelink_http::sharelink_core::service::{Config, Ports, Sharelink};
use sharelink_http::sharelink_core::{Email, Rights, SharePath, UserId};
use sharelink_http::{Authenticator, HttpConfig, ServeLimits, SharelinkState, TokioBlockingRunner};
use std::sync::Arc;

/// Who is signed in: your application's own session (here nobody, for brevity).
#[derive(Debug)]
struct MyAuth;

#[async_trait::async_trait]
impl Authenticator for MyAuth {
    async fn user(&self, _parts: &Parts) -> Option<UserId> {
        None
    }
}

/// Your users and what they may share (here: nobody and nothing).
#[derive(Debug)]
struct MyUsers;

#[async_trait::async_trait]
impl PermissionDirectory for MyUsers {
    async fn user(&self, _id: &UserId) -> Result<Option<UserInfo>, DirectoryError> {
        Ok(None)
    }
    async fn rights(&self, _user: &UserId, _path: &SharePath) -> Result<Rights, DirectoryError> {
        Ok(Rights::NONE)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let data = std::env::temp_dir().join(format!("sharelink-outside-{}", std::process::id()));
    std::fs::create_dir_all(&data)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);

    // --- Wiring it together (the README shows this part) ---
    let store = sharelink_store_sql::connect(&format!(
        "sqlite://{}/sharelink.db?mode=rwc",
        data.display()
    ))
    .await?;
    let (repo, log) = store.ports();
    let files = Arc::new(sharelink_storage::ObjectFileStore::local(
        data.join("files"),
    )?);
    let sender = Email::parse("noreply@files.example.com")?;
    let mailer = Arc::new(sharelink_mail::OutboxMailer::new(
        data.join("outbox"),
        sender,
    )?);
    let ports = Ports::new(repo, log, files, mailer, Arc::new(MyUsers))
        .with_blocking(Arc::new(TokioBlockingRunner));
    // Links point where the router is nested: {origin}/share/s/{key}.
    let config = Config::new(sharelink_http::link_base(&origin, "/share"));
    let app = Sharelink::new(ports, config)?;
    let state = SharelinkState::new(app, Arc::new(MyAuth), HttpConfig::default());
    let router = Router::new().nest("/share", sharelink_http::router(state.clone()));
    // Timeouts, connection limits, HTTP/2, client addresses; `stop.send(())` ends it
    // gracefully (in-flight downloads finish and their uses settle).
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sharelink_http::serve(
        listener,
        router,
        ServeLimits::default(),
        async move {
            let _ = stopped.await;
        },
    ));
    // --- end of the README's part ---

    println!("sharelink under {origin}/share");
    if std::env::args().any(|a| a == "--smoke") {
        let status = smoke(&origin).await?;
        let problems = state.wiring_problems();
        let _ = stop.send(());
        server.await?;
        let _ = std::fs::remove_dir_all(&data);
        if !status.contains(" 404 ") || !problems.is_empty() {
            return Err(format!("smoke: {status}; wiring: {problems:?}").into());
        }
        println!("smoke: an unknown link answers {status}; no wiring problem");
        return Ok(());
    }
    server.await?;
    Ok(())
}

/// One plain HTTP/1.1 request for an unknown link; returns the status line.
async fn smoke(origin: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = origin.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.write_all(
        b"GET /share/s/Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned())
}

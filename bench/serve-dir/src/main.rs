//! `serve-dir ROOT ADDR`: serves the folder ROOT on ADDR with axum and tower-http's
//! `ServeDir`, nothing else (no logging, no middleware; `TCP_NODELAY` on, as nginx and
//! sharelink set it): the ceiling an axum server reaches on these files, beside which the
//! benchmark shows what the share layer costs.

use axum::serve::ListenerExt;
use std::net::SocketAddr;
use tower_http::services::ServeDir;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(addr)) = (args.next(), args.next()) else {
        return Err("usage: serve-dir ROOT ADDR".into());
    };
    let addr: SocketAddr = addr.parse()?;
    let app = axum::Router::new().fallback_service(ServeDir::new(root));
    // As nginx (`tcp_nodelay on`) and sharelink do: without it a small answer written
    // in two parts waits ~40 ms for the client's delayed ACK (Nagle).
    let listener = tokio::net::TcpListener::bind(addr)
        .await?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await?;
    Ok(())
}

//! `serve-dir ROOT ADDR`: serves the folder ROOT on ADDR with axum and tower-http's
//! `ServeDir`, nothing else (no logging, no middleware): the ceiling an axum server
//! reaches on these files, beside which the benchmark shows what the share layer costs.

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
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

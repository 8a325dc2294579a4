//! Runnable sharelink programs.
//!
//! - `sharelink-demo`: the demo server — SQLite, a local folder of sample files, an
//!   outbox folder for mail, two built-in users, a sign-in form and a small page to
//!   browse files and create and manage shares
//!   (`cargo run --release -p sharelink-examples --bin sharelink-demo`, then open
//!   <http://127.0.0.1:8080>). Its wiring is [`demo::build`].
//! - `embed_router`: nest sharelink's router into an existing axum application in a few
//!   lines (`cargo run -p sharelink-examples --bin embed_router`).
//! - `permission_port`: implement core's permission directory for your own users and
//!   run a share through its whole life over the in-memory adapters
//!   (`cargo run -p sharelink-examples --bin permission_port`).

pub mod demo;

//! Runnable sharelink programs.
//!
//! - `permission_port`: implement core's permission directory for your own users and
//!   run a share through its whole life over the in-memory adapters
//!   (`cargo run -p sharelink-examples --bin permission_port`).
//!
//! The demo server (SQLite + local folder + outbox mail + HTTP) lands with the HTTP
//! adapter.

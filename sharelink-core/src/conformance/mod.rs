//! Shared behaviour suites: one async function per contract bullet of a port, and a macro
//! per port that turns the suite into one `#[test]` per case for a given adapter.
//!
//! Like `object_store`'s `integration` module, these are compiled only with the
//! `conformance` feature, and every adapter crate runs them from its own tests.

pub mod access_log;
pub mod digest;
pub mod file_store;
pub mod lease;
pub mod mail_queue;
pub mod mailer;
pub mod recipients;
pub mod repository;
pub mod shares;
pub mod site;
pub mod templates;
pub mod visitors;
pub mod webhooks;

//! Cross-crate end-to-end tests of sharelink (HTTP + SQL + storage + mail together).
//!
//! The end-to-end suites land once the adapters exist.

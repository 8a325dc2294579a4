//! Test support for users of sharelink: proptest [`strategies`] for the domain types, and
//! [`fixtures`] (a world of in-memory ports with users and files, paths, share requests)
//! written once for core's tests, the adapters' tests and yours.
//!
//! Enable the `proptest` feature.

pub mod fixtures;
pub mod strategies;

pub use strategies::*;

//! The domain model: shares, their settings, visitors, and the newtypes they are made of.

pub mod email;
pub mod form;
pub mod ids;
pub mod instant;
pub mod ip;
pub mod key;
pub mod media;
pub mod notify;
pub mod password;
pub mod path;
pub mod random;
pub mod rights;
pub mod session;
pub mod share;
pub mod site;
pub mod token;
pub mod webhook;

//! Checks of how the router is wired into the embedder's server, each reported once (a
//! `tracing` warning, and [`SharelinkState::wiring_problems`]): a server that does not
//! give the client address, and links made for another place than where the router is
//! served. Both would otherwise fail silently — `ip: null` in every log line, links and
//! mails that lead nowhere.

use crate::SharelinkState;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A wiring mistake seen while serving.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WiringProblem {
    /// Requests arrive without the client address: serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()`. IP allow-lists refuse
    /// everyone, guessing limits fall back to the share, and the log has no address.
    NoClientAddress,
    /// Generated links (API answers, QR codes, mails) point at `link_base`, but the
    /// visitor routes are served under `served_at`: set `Config::link_base` to the
    /// public address of `served_at` (see [`link_base`]).
    LinksElsewhere {
        /// The configured link base.
        link_base: String,
        /// Where visitors' requests arrive (`{mount}/s/`).
        served_at: String,
    },
}

impl std::fmt::Display for WiringProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WiringProblem::NoClientAddress => f.write_str(
                "requests carry no client address: serve the app with \
                 into_make_service_with_connect_info::<SocketAddr>()",
            ),
            WiringProblem::LinksElsewhere {
                link_base,
                served_at,
            } => write!(
                f,
                "links are made under {link_base} but visitors are served under {served_at}: \
                 set Config::link_base to the public address of {served_at}"
            ),
        }
    }
}

/// The problems seen so far (each once). Each check runs on the first request it applies
/// to and never again, so serving pays nothing for it afterwards.
#[derive(Debug, Default)]
pub(crate) struct Wiring {
    address_checked: AtomicBool,
    links_checked: AtomicBool,
    seen: Mutex<Vec<WiringProblem>>,
}

impl Wiring {
    fn report(&self, problem: WiringProblem) {
        tracing::warn!(problem = %problem, "sharelink is wired wrongly");
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(problem);
    }

    pub(crate) fn problems(&self) -> Vec<WiringProblem> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Checks the first request (and the first visitor request) served under `prefix`.
    pub(crate) fn check(&self, state: &SharelinkState, parts: &Parts, prefix: &str) {
        if !self.address_checked.swap(true, Ordering::Relaxed)
            && parts.extensions.get::<ConnectInfo<SocketAddr>>().is_none()
        {
            self.report(WiringProblem::NoClientAddress);
        }
        if !parts.uri.path().starts_with("/s/") || self.links_checked.swap(true, Ordering::Relaxed)
        {
            return;
        }
        let served_at = format!("{prefix}/s/");
        let link_base = &state.app.config().link_base;
        if !link_path(link_base).ends_with(&served_at) {
            self.report(WiringProblem::LinksElsewhere {
                link_base: link_base.clone(),
                served_at,
            });
        }
    }
}

/// The path of a link base (`https://host/share/s/` → `/share/s/`); a base without a
/// scheme is taken as a path.
fn link_path(base: &str) -> &str {
    match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => base,
    }
}

/// The link base of a router nested at `mount` (`""` or `/share`) of a site whose public
/// origin is `origin` (`https://files.example.com`): `https://files.example.com/share/s/`.
///
/// ```
/// assert_eq!(
///     sharelink_http::link_base("https://files.example.com/", "/share"),
///     "https://files.example.com/share/s/"
/// );
/// assert_eq!(sharelink_http::link_base("http://127.0.0.1:8080", ""), "http://127.0.0.1:8080/s/");
/// ```
pub fn link_base(origin: &str, mount: &str) -> String {
    let mount = mount.trim_matches('/');
    let origin = origin.trim_end_matches('/');
    if mount.is_empty() {
        format!("{origin}/s/")
    } else {
        format!("{origin}/{mount}/s/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_paths() {
        assert_eq!(link_path("https://h.example/share/s/"), "/share/s/");
        assert_eq!(link_path("https://h.example"), "/");
        assert_eq!(link_path("/s/"), "/s/");
    }
}

//! The demo's built-in users: a fixed user list implementing core's permission directory,
//! and a cookie sign-in implementing [`sharelink_http::Authenticator`].
//!
//! **Demo only.** Passwords are compared in plain text and sessions live in memory; a
//! real application plugs in its own user table and session handling instead.

use async_trait::async_trait;
use axum::http::header;
use axum::http::request::Parts;
use sharelink_core::ports::{DirectoryError, PermissionDirectory, UserInfo};
use sharelink_core::{Capability, Email, Rights, SharePath, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Name of the demo's sign-in cookie.
pub const SESSION_COOKIE: &str = "demo_session";

/// One user of the demo, with their rights per folder.
#[derive(Clone)]
pub struct DemoUser {
    /// Sign-in name (also the sharelink user id).
    pub name: &'static str,
    /// Sign-in password (plain text: demo only).
    pub password: &'static str,
    /// Admins see and manage every share, and have every right everywhere.
    pub is_admin: bool,
    /// Rights on folders (a right on a folder holds for everything inside it).
    pub grants: Vec<(&'static str, Rights)>,
}

impl std::fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoUser")
            .field("name", &self.name)
            .field("is_admin", &self.is_admin)
            .field("grants", &self.grants)
            .finish_non_exhaustive()
    }
}

/// The built-in users: `admin` (password `admin`) and `alice` (password `alice`), who may
/// share `projects/` but only read `reports/`, and has no access to `hr/`.
pub fn builtin_users() -> Vec<DemoUser> {
    use Capability::*;
    vec![
        DemoUser {
            name: "admin",
            password: "admin",
            is_admin: true,
            grants: Vec::new(),
        },
        DemoUser {
            name: "alice",
            password: "alice",
            is_admin: false,
            grants: vec![
                ("projects", Rights::ALL),
                ("reports", Rights::of(&[List, Preview, Download])),
            ],
        },
    ]
}

/// The demo's user list and its signed-in sessions. It is both the permission directory
/// given to [`sharelink_core::service::Sharelink`] and the authenticator given to the
/// HTTP router.
#[derive(Clone)]
pub struct DemoUsers {
    users: Arc<Vec<DemoUser>>,
    /// Session token → user name. Tokens are secrets, so this map is never printed.
    sessions: Arc<Mutex<HashMap<String, UserId>>>,
}

impl std::fmt::Debug for DemoUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Session tokens are secrets: only their number is shown.
        let sessions = self.sessions.lock().map(|s| s.len()).unwrap_or_default();
        f.debug_struct("DemoUsers")
            .field(
                "users",
                &self.users.iter().map(|u| u.name).collect::<Vec<_>>(),
            )
            .field("sessions", &sessions)
            .finish()
    }
}

impl Default for DemoUsers {
    fn default() -> Self {
        Self::new(builtin_users())
    }
}

impl DemoUsers {
    /// A directory of `users`, nobody signed in.
    pub fn new(users: Vec<DemoUser>) -> Self {
        Self {
            users: Arc::new(users),
            sessions: Arc::default(),
        }
    }

    /// The users.
    pub fn users(&self) -> &[DemoUser] {
        &self.users
    }

    fn find(&self, name: &str) -> Option<&DemoUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Checks a name and password; on success opens a session and returns its token (the
    /// value of the [`SESSION_COOKIE`] cookie).
    pub fn sign_in(&self, name: &str, password: &str) -> Option<String> {
        let user = self.find(name).filter(|u| u.password == password)?;
        let id = UserId::parse(user.name).ok()?;
        let token = random_token()?;
        self.sessions.lock().ok()?.insert(token.clone(), id);
        Some(token)
    }

    /// Closes the session of `token`.
    pub fn sign_out(&self, token: &str) {
        if let Ok(mut s) = self.sessions.lock() {
            s.remove(token);
        }
    }

    /// The user of a session token.
    pub fn session_user(&self, token: &str) -> Option<UserId> {
        self.sessions.lock().ok()?.get(token).cloned()
    }

    /// Whether `id` is an admin.
    pub fn is_admin(&self, id: &UserId) -> bool {
        self.find(id.as_str()).is_some_and(|u| u.is_admin)
    }

    /// A user's rights on a path (synchronous form of the port method).
    pub fn rights_of(&self, id: &UserId, path: &SharePath) -> Rights {
        let Some(user) = self.find(id.as_str()) else {
            return Rights::NONE;
        };
        if user.is_admin {
            return Rights::ALL;
        }
        user.grants
            .iter()
            .filter(|(folder, _)| {
                SharePath::parse(folder).is_ok_and(|f| !path.is_root() && path.starts_with(&f))
            })
            .fold(Rights::NONE, |acc, (_, r)| acc.union(*r))
    }

    /// Whether a user holds any right at or below `path` (so a folder on the way to their
    /// rights is shown while browsing).
    pub fn sees(&self, id: &UserId, path: &SharePath) -> bool {
        !self.rights_of(id, path).is_empty() || self.leads_to_grant(id, path)
    }

    /// Whether `path` is a folder above one of the user's granted folders (or the root),
    /// which they may browse through to reach it.
    pub fn leads_to_grant(&self, id: &UserId, path: &SharePath) -> bool {
        self.find(id.as_str()).is_some_and(|u| {
            (u.is_admin && path.is_root())
                || u.grants.iter().any(|(folder, _)| {
                    SharePath::parse(folder).is_ok_and(|f| f != *path && f.starts_with(path))
                })
        })
    }
}

/// A random session token (128 bits, hex).
pub(crate) fn random_token() -> Option<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).ok()?;
    Some(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The value of cookie `name` in a request's headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[async_trait]
impl PermissionDirectory for DemoUsers {
    async fn user(&self, id: &UserId) -> Result<Option<UserInfo>, DirectoryError> {
        Ok(self.find(id.as_str()).map(|u| UserInfo {
            id: id.clone(),
            display_name: u.name.to_owned(),
            email: Email::parse(&format!("{}@demo.example", u.name)).ok(),
            is_admin: u.is_admin,
            disabled: false,
        }))
    }

    async fn rights(&self, id: &UserId, path: &SharePath) -> Result<Rights, DirectoryError> {
        Ok(self.rights_of(id, path))
    }
}

#[async_trait]
impl sharelink_http::Authenticator for DemoUsers {
    async fn user(&self, parts: &Parts) -> Option<UserId> {
        self.session_user(cookie(&parts.headers, SESSION_COOKIE)?)
    }

    fn api_credential(&self) -> Option<sharelink_http::ApiCredential> {
        Some(sharelink_http::ApiCredential::Cookie(
            SESSION_COOKIE.to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alice_rights() {
        let users = DemoUsers::default();
        let alice = UserId::parse("alice").unwrap();
        let p = |s: &str| SharePath::parse(s).unwrap();
        assert!(
            users
                .rights_of(&alice, &p("projects/a.txt"))
                .has(Capability::Share)
        );
        assert!(
            !users
                .rights_of(&alice, &p("reports/q3.txt"))
                .has(Capability::Share)
        );
        assert!(
            users
                .rights_of(&alice, &p("reports/q3.txt"))
                .has(Capability::Download)
        );
        assert!(users.rights_of(&alice, &p("hr")).is_empty());
        assert!(users.sees(&alice, &SharePath::root()));
        assert!(!users.sees(&alice, &p("hr")));
        assert!(users.leads_to_grant(&alice, &SharePath::root()));
        assert!(!users.leads_to_grant(&alice, &p("projects")));
        assert!(users.sign_in("alice", "wrong").is_none());
        let token = users.sign_in("alice", "alice").unwrap();
        assert_eq!(users.session_user(&token), Some(alice));
        assert!(!format!("{users:?}").contains(&token));
        users.sign_out(&token);
        assert_eq!(users.session_user(&token), None);
    }
}

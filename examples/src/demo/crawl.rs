//! A visitor's-eye crawl of every share, to prove a move changed nothing for visitors:
//! [`crawl`] opens each share through the real visitor flow, passes the password gates
//! it knows, lists every folder and hashes every file it can reach; [`diff`] compares two
//! crawls; [`counters`] reads what visits leave behind (use counts, device bindings,
//! access-log totals) so a test can check they carried over. Both serialise to JSON:
//! `sharelink-demo crawl` writes them before a move and compares after it.
//!
//! The crawl spends nothing: a share whose opening would spend a use or bind a device is
//! only opened unconfirmed (as a link preview is), and what it answers is recorded (a
//! one-time link used before the move answers "uses exhausted" before and after it).
//! Shares without a use limit are walked with confirmed requests, which count no use but
//! do write access-log rows: compare [`counters`] around the move, not around a crawl.

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sharelink_core::ports::{EntryKind, FileStoreError, RepoError, ShareStats};
use sharelink_core::service::{
    Client, ListShares, OpenRequest, Outcome, ServiceError, Sharelink, Visit, VisitRequest,
};
use sharelink_core::{Action, BrowserId, Denial, RequestMode, Share, SharePath, UserId};
use std::collections::BTreeMap;

/// What a crawl saw, by share (name and key).
pub type Crawl = BTreeMap<String, Seen>;

/// What the crawler saw of one share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seen {
    /// Opened and walked: every reachable visitor path.
    Walked(BTreeMap<String, Reached>),
    /// Opened unconfirmed only (walking it would spend a use or bind a device), or
    /// stopped at a gate the crawler cannot pass: the answer.
    Stopped(String),
}

/// One reachable path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reached {
    /// A folder.
    Folder,
    /// A file: its size and SHA-256 (hex).
    File {
        /// Bytes.
        size: u64,
        /// SHA-256 of the bytes served.
        sha256: String,
    },
}

/// What visits left behind on one share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Uses spent.
    pub uses: u32,
    /// Whether a device is bound.
    pub bound: bool,
    /// The access log's totals.
    pub stats: ShareStats,
}

/// Why a crawl could not finish (a denial is recorded in the crawl, not an error).
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The admin listing of the shares failed.
    #[error("listing the shares: {0}")]
    Shares(#[source] Box<ServiceError>),
    /// The access-log statistics of a share could not be read.
    #[error("statistics of {share}: {source}")]
    Statistics {
        /// The share (name and key).
        share: String,
        /// The repository's error.
        source: RepoError,
    },
    /// Opening a share failed for another reason than a denial.
    #[error("opening {share}: {source}")]
    Open {
        /// The share (name and key).
        share: String,
        /// The service's error (boxed: it is large).
        source: Box<ServiceError>,
    },
    /// Listing a folder the share showed, or starting a download of a file it listed,
    /// failed.
    #[error("{share} {path}: {source}")]
    Walk {
        /// The share (name and key).
        share: String,
        /// The visitor path.
        path: String,
        /// The service's error (boxed: it is large).
        source: Box<ServiceError>,
    },
    /// Reading the bytes of a file failed midway.
    #[error("reading {share} {path}: {source}")]
    Read {
        /// The share (name and key).
        share: String,
        /// The visitor path.
        path: String,
        /// The store's error.
        source: FileStoreError,
    },
}

/// Every share, as `admin` lists them (all states).
async fn every_share(app: &Sharelink, admin: &UserId) -> Result<Vec<Share>, CrawlError> {
    let mut shares = Vec::new();
    let mut after = None;
    loop {
        let page = app
            .list_shares(
                admin,
                ListShares {
                    after,
                    limit: Some(100),
                    ..ListShares::default()
                },
            )
            .await
            .map_err(|e| CrawlError::Shares(Box::new(e)))?;
        shares.extend(page.shares);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(shares),
        }
    }
}

fn label(share: &Share) -> String {
    format!("{} ({})", share.settings.name, share.key.as_str())
}

/// Use counts, bindings and access-log totals of every share, by share.
///
/// # Errors
/// When the listing or the statistics fail.
pub async fn counters(
    app: &Sharelink,
    admin: &UserId,
) -> Result<BTreeMap<String, Counters>, CrawlError> {
    let mut out = BTreeMap::new();
    for share in every_share(app, admin).await? {
        let stats = app
            .ports()
            .log
            .statistics(share.id)
            .await
            .map_err(|source| CrawlError::Statistics {
                share: label(&share),
                source,
            })?;
        out.insert(
            label(&share),
            Counters {
                uses: share.uses,
                bound: share.bound_device.is_some(),
                stats,
            },
        );
    }
    Ok(out)
}

/// Crawls every share `admin` can list; `passwords` gives the password of protected
/// shares by share name, and a share that keeps an auto-fill code (the password its
/// link carries) is opened with that code when `passwords` names none.
///
/// # Errors
/// On a storage or repository failure (a denial is recorded in the crawl).
pub async fn crawl(
    app: &Sharelink,
    admin: &UserId,
    passwords: &BTreeMap<String, String>,
) -> Result<Crawl, CrawlError> {
    let client = Client {
        ip: Some([127, 0, 0, 1].into()),
        user_agent: Some("sharelink-crawler".to_owned()),
        browser: BrowserId::parse("sharelink-crawler").expect("a browser id"),
        device: None,
        user: None,
        locale: None,
    };
    let mut crawl = Crawl::new();
    for share in every_share(app, admin).await? {
        let password = passwords
            .get(&share.settings.name)
            .map(String::as_str)
            .or_else(|| share.autofill_code.as_ref().map(|c| c.expose()));
        let seen = visit(app, &share, &client, password).await?;
        crawl.insert(label(&share), seen);
    }
    Ok(crawl)
}

/// Walking a share that counts uses or binds devices would change it.
fn spends(share: &Share) -> bool {
    share.settings.use_limit.is_some() || share.settings.device_binding
}

fn stopped(share: &Share, result: Result<Visit, ServiceError>) -> Result<Seen, CrawlError> {
    Ok(Seen::Stopped(match result {
        Ok(visit) => match (visit.gate.pending, visit.view) {
            (Some(gate), _) => format!("gate {gate:?}"),
            (None, Some(view)) => format!("inside {:?}", view.items),
            (None, None) => "nothing".to_owned(),
        },
        Err(ServiceError::Denied(denial)) => format!("denied {denial:?}"),
        Err(source) => {
            return Err(CrawlError::Open {
                share: label(share),
                source: Box::new(source),
            });
        }
    }))
}

async fn visit(
    app: &Sharelink,
    share: &Share,
    client: &Client,
    password: Option<&str>,
) -> Result<Seen, CrawlError> {
    let key = share.key.as_str();
    let open = |mode| {
        app.open(OpenRequest {
            key,
            client,
            recipient_code: None,
            access_code: None,
            mode,
        })
    };
    if spends(share) {
        return stopped(share, open(RequestMode::Unconfirmed).await);
    }
    let mut visit = match open(RequestMode::Confirmed).await {
        Ok(visit) => visit,
        err => return stopped(share, err),
    };
    let Some(session) = visit.session.clone() else {
        return stopped(share, Ok(visit));
    };
    let req = VisitRequest::new(key, &session.id, client, RequestMode::Confirmed);
    if visit.gate.pending == Some(Denial::PasswordRequired)
        && let Some(password) = password
    {
        visit = match app.submit_password(&req, password).await {
            Ok(visit) => visit,
            err => return stopped(share, err),
        };
    }
    if visit.view.is_none() {
        return stopped(share, Ok(visit));
    }
    let mut reached = BTreeMap::new();
    let mut folders = vec![SharePath::root()];
    while let Some(folder) = folders.pop() {
        let listed = app
            .list(&req, &folder)
            .await
            .map_err(|source| CrawlError::Walk {
                share: label(share),
                path: folder.to_string(),
                source: Box::new(source),
            })?;
        for entry in listed {
            match entry.kind {
                EntryKind::Folder => {
                    reached.insert(entry.path.to_string(), Reached::Folder);
                    folders.push(entry.path);
                }
                EntryKind::File => {
                    let file = hash(app, share, &req, &entry.path).await?;
                    reached.insert(entry.path.to_string(), file);
                }
            }
        }
    }
    Ok(Seen::Walked(reached))
}

async fn hash(
    app: &Sharelink,
    share: &Share,
    req: &VisitRequest<'_>,
    path: &SharePath,
) -> Result<Reached, CrawlError> {
    let mut download = app
        .download(req, path, None, Action::Download)
        .await
        .map_err(|source| CrawlError::Walk {
            share: label(share),
            path: path.to_string(),
            source: Box::new(source),
        })?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = download.read.stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(source) => {
                app.finish(download.ticket, Outcome::Failed).await;
                return Err(CrawlError::Read {
                    share: label(share),
                    path: path.to_string(),
                    source,
                });
            }
        };
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    app.finish(download.ticket, Outcome::Completed { bytes: size })
        .await;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Reached::File { size, sha256 })
}

/// How two crawls differ, one line per share or path that changed (empty when equal).
pub fn diff(before: &Crawl, after: &Crawl) -> Vec<String> {
    let mut out = Vec::new();
    for (share, seen) in before {
        match (seen, after.get(share)) {
            (_, None) => out.push(format!("{share}: gone")),
            (Seen::Walked(a), Some(Seen::Walked(b))) => {
                for (path, reached) in a {
                    match b.get(path) {
                        None => out.push(format!("{share} {path}: gone")),
                        Some(r) if r != reached => {
                            out.push(format!("{share} {path}: {reached:?} became {r:?}"));
                        }
                        Some(_) => {}
                    }
                }
                for path in b.keys().filter(|p| !a.contains_key(*p)) {
                    out.push(format!("{share} {path}: new"));
                }
            }
            (a, Some(b)) if a != b => out.push(format!("{share}: {a:?} became {b:?}")),
            _ => {}
        }
    }
    for share in after.keys().filter(|s| !before.contains_key(*s)) {
        out.push(format!("{share}: new"));
    }
    out
}

/// How two [`counters`] readings differ, one line per share that changed (empty when
/// equal).
pub fn diff_counters(
    before: &BTreeMap<String, Counters>,
    after: &BTreeMap<String, Counters>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (share, counted) in before {
        match after.get(share) {
            None => out.push(format!("{share}: counters gone")),
            Some(now) if now != counted => {
                out.push(format!("{share}: counters {counted:?} became {now:?}"));
            }
            Some(_) => {}
        }
    }
    for share in after.keys().filter(|s| !before.contains_key(*s)) {
        out.push(format!("{share}: counters new"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(byte: u8) -> Reached {
        Reached::File {
            size: 1,
            sha256: format!("{byte:02x}"),
        }
    }

    #[test]
    fn diff_names_each_changed_gone_and_new_path_and_share() {
        let before = Crawl::from([
            (
                "a (k1)".to_owned(),
                Seen::Walked(BTreeMap::from([
                    ("x".to_owned(), file(1)),
                    ("y".to_owned(), file(2)),
                    ("d".to_owned(), Reached::Folder),
                ])),
            ),
            (
                "b (k2)".to_owned(),
                Seen::Stopped("gate PasswordRequired".into()),
            ),
            ("c (k3)".to_owned(), Seen::Stopped("nothing".into())),
        ]);
        assert!(diff(&before, &before).is_empty());
        let after = Crawl::from([
            (
                "a (k1)".to_owned(),
                Seen::Walked(BTreeMap::from([
                    ("x".to_owned(), file(9)),
                    ("d".to_owned(), Reached::Folder),
                    ("z".to_owned(), file(3)),
                ])),
            ),
            ("b (k2)".to_owned(), Seen::Stopped("denied NotFound".into())),
            ("e (k4)".to_owned(), Seen::Stopped("nothing".into())),
        ]);
        let lines = diff(&before, &after);
        assert_eq!(lines.len(), 6, "{lines:#?}");
        for expected in ["a (k1) x: ", "a (k1) y: gone", "a (k1) z: new", "b (k2): "] {
            assert!(lines.iter().any(|l| l.starts_with(expected)), "{expected}");
        }
        assert!(lines.contains(&"c (k3): gone".to_owned()));
        assert!(lines.contains(&"e (k4): new".to_owned()));
    }

    #[test]
    fn a_crawl_and_its_counters_survive_json() {
        let crawl = Crawl::from([(
            "a (k1)".to_owned(),
            Seen::Walked(BTreeMap::from([("x".to_owned(), file(1))])),
        )]);
        let text = serde_json::to_string(&crawl).unwrap();
        assert_eq!(serde_json::from_str::<Crawl>(&text).unwrap(), crawl);
        let counters = BTreeMap::from([(
            "a (k1)".to_owned(),
            Counters {
                uses: 1,
                bound: true,
                stats: ShareStats {
                    visits: 2,
                    ..ShareStats::default()
                },
            },
        )]);
        let text = serde_json::to_string(&counters).unwrap();
        assert_eq!(
            serde_json::from_str::<BTreeMap<String, Counters>>(&text).unwrap(),
            counters
        );
        let changed = BTreeMap::from([(
            "a (k1)".to_owned(),
            Counters {
                uses: 2,
                ..counters["a (k1)"].clone()
            },
        )]);
        assert_eq!(diff_counters(&counters, &changed).len(), 1);
        assert!(diff_counters(&counters, &counters).is_empty());
    }
}

//! Implementing sharelink's permission directory for your own users.
//!
//! Your application already knows its users and who may do what where. sharelink asks
//! through one port, [`PermissionDirectory`]: who a user is (admin? disabled?) and what
//! rights they hold on a path. This example backs it with a small role table, then
//! creates a share, opens it as a visitor and downloads a file — and shows that when the
//! creator loses a right, the share loses it too (the share right itself governs creating
//! links; at every access the share is bounded by what its creator may still do).
//!
//! Run: `cargo run -p sharelink-examples --bin permission_port`

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::memory::{MemoryAccessLog, MemoryFileStore, MemoryMailer, MemoryRepository};
use sharelink_core::ports::*;
use sharelink_core::service::*;
use sharelink_core::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// May read and share everything under their department folder.
    Editor,
    /// May only read.
    Viewer,
}

/// Your application's user table (here in memory; usually your database).
#[derive(Debug, Default)]
struct MyUsers {
    users: RwLock<HashMap<String, (Role, String)>>,
}

#[async_trait]
impl PermissionDirectory for MyUsers {
    async fn user(&self, id: &UserId) -> Result<Option<UserInfo>, DirectoryError> {
        let users = self.users.read().map_err(|e| DirectoryError {
            source: e.to_string().into(),
        })?;
        Ok(users.get(id.as_str()).map(|_| UserInfo {
            id: id.clone(),
            display_name: id.as_str().to_owned(),
            email: None,
            is_admin: false,
            disabled: false,
        }))
    }

    async fn rights(&self, id: &UserId, path: &SharePath) -> Result<Rights, DirectoryError> {
        let users = self.users.read().map_err(|e| DirectoryError {
            source: e.to_string().into(),
        })?;
        let Some((role, department)) = users.get(id.as_str()) else {
            return Ok(Rights::NONE);
        };
        let home = SharePath::parse(department).map_err(|e| DirectoryError {
            source: Box::new(e),
        })?;
        if !path.starts_with(&home) {
            return Ok(Rights::NONE);
        }
        use Capability::*;
        Ok(match role {
            Role::Editor => {
                Rights::of(&[List, Preview, Download, Upload, CreateFolder, Modify, Share])
            }
            Role::Viewer => Rights::of(&[List, Preview, Download]),
        })
    }
}

/// Runs CPU-heavy work (argon2) on tokio's blocking pool, never on the async runtime.
#[derive(Debug)]
struct TokioBlocking;

#[async_trait]
impl BlockingRunner for TokioBlocking {
    async fn run(&self, job: BlockingJob) {
        let _ = tokio::task::spawn_blocking(job).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users = Arc::new(MyUsers::default());
    users
        .users
        .write()
        .map_err(|e| e.to_string())?
        .insert("maria".into(), (Role::Editor, "sales".into()));
    let files = Arc::new(MemoryFileStore::new());
    let body: ByteStream = Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(
        Bytes::from_static(b"Q3: +12%"),
    )]));
    files
        .write(
            &SharePath::parse("sales/q3.txt")?,
            body,
            WriteOptions::default(),
        )
        .await?;

    let ports = Ports::new(
        Arc::new(MemoryRepository::new()),
        Arc::new(MemoryAccessLog::new()),
        files,
        Arc::new(MemoryMailer::new()),
        users.clone(),
    )
    .with_blocking(Arc::new(TokioBlocking));
    let app = Sharelink::new(ports, Config::new("https://files.example.com/s/"))?;

    let maria = UserId::parse("maria")?;
    let created = app
        .create_share(
            &maria,
            CreateShare {
                items: vec![NewItem {
                    path: SharePath::parse("sales/q3.txt")?,
                    alias: Some("Q3 figures.txt".into()),
                }],
                settings: ShareSettings::named("Q3 figures"),
                password: None,
                custom_key: None,
            },
        )
        .await?;
    println!(
        "created {} (expires {:?})",
        created.link, created.share.settings.schedule.expires_at
    );

    let visitor = Client {
        ip: Some("203.0.113.7".parse()?),
        user_agent: Some("example".into()),
        browser: BrowserId::parse("example-browser")?,
        device: None,
        user: None,
        locale: None,
    };
    let key = created.share.key.as_str();
    let visit = app
        .open(OpenRequest {
            key,
            client: &visitor,
            recipient_code: None,
            access_code: None,
            mode: RequestMode::Confirmed,
        })
        .await?;
    let session = visit.session.ok_or("no session")?.id;
    let file = SharePath::parse("Q3 figures.txt")?;
    let download = app
        .download(
            &VisitRequest::new(key, &session, &visitor, RequestMode::Confirmed),
            &file,
            None,
            Action::Download,
        )
        .await?;
    let bytes: Vec<u8> = download
        .read
        .stream
        .map(|c| c.map(|b| b.to_vec()).unwrap_or_default())
        .concat()
        .await;
    app.finish(
        download.ticket,
        Outcome::Completed {
            bytes: bytes.len() as u64,
        },
    )
    .await;
    println!("visitor downloaded: {}", String::from_utf8_lossy(&bytes));

    // Maria moves to marketing: she can no longer read the sales folder, so neither can
    // her share's visitors (the effective right is the share's level within her rights).
    users
        .users
        .write()
        .map_err(|e| e.to_string())?
        .insert("maria".into(), (Role::Viewer, "marketing".into()));
    match app
        .download(
            &VisitRequest::new(key, &session, &visitor, RequestMode::Confirmed),
            &file,
            None,
            Action::Download,
        )
        .await
    {
        Err(ServiceError::Denied(d)) => println!("after the role change: {d}"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}

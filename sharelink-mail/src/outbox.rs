//! The outbox mailer: each message becomes an `.eml` file in a folder.

use crate::{ConfigError, message};
use async_trait::async_trait;
use sharelink_core::Email;
use sharelink_core::ports::mailer::MailRenderer;
use sharelink_core::ports::{Mail, MailError, Mailer, OsRandom, RandomSourceExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

/// Writes each message, exactly as it would go over SMTP, to an `.eml` file in a folder
/// (the demo server's default: open the files with any mail client).
///
/// Files are named `<milliseconds since 1970>-<random>.eml`, so they sort by time, and
/// appear whole: each is written to a hidden temporary file first, then renamed.
#[derive(Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
    sender: Email,
    renderer: Arc<dyn MailRenderer>,
}

impl OutboxMailer {
    /// Name used in errors.
    const NAME: &'static str = "outbox";

    /// An outbox writing into `dir` (created if missing), with mail from `sender`.
    ///
    /// # Errors
    /// [`ConfigError::Outbox`] when the folder cannot be created.
    pub fn new(dir: impl Into<PathBuf>, sender: Email) -> Result<Self, ConfigError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| ConfigError::Outbox {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            sender,
            renderer: crate::render::default_renderer(),
        })
    }

    /// Renders messages with `renderer` instead of the default [`MailTheme`](crate::MailTheme)'s
    /// [`TemplateRenderer`](crate::TemplateRenderer).
    pub fn with_renderer(mut self, renderer: Arc<dyn MailRenderer>) -> Self {
        self.renderer = renderer;
        self
    }

    /// The folder the messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn write(&self, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!(
            "{millis:013}-{}",
            OsRandom.string_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 12)
        );
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(format!("{name}.eml"));
        let written = async {
            let mut file = tokio::fs::File::create(&temporary).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&temporary, &path).await
        }
        .await;
        if let Err(e) = written {
            if let Err(cleanup) = tokio::fs::remove_file(&temporary).await {
                tracing::debug!(path = %temporary.display(), error = %cleanup, "a temporary mail file stays behind");
            }
            return Err(e);
        }
        Ok(path)
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let rendered = self
            .renderer
            .render(mail)
            .map_err(|e| MailError::render(Self::NAME, e))?;
        let message = message::build(Self::NAME, mail, &rendered, &self.sender)?;
        self.write(&message.formatted())
            .await
            .map(drop)
            .map_err(|e| MailError::Other {
                mailer: Self::NAME,
                source: Box::new(e),
            })
    }
}

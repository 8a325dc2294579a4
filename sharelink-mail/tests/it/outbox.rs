//! The mailer suite against the outbox, read back by parsing the `.eml` files it wrote.

use crate::eml;
use async_trait::async_trait;
use sharelink_core::Email;
use sharelink_core::conformance::mailer::{Mailbox, ReceivedMail};
use sharelink_core::ports::Mailer;
use sharelink_mail::OutboxMailer;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs a case on a fresh multi-threaded runtime.
pub(crate) fn run<F: Future<Output = ()>>(case: F) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(case);
}

/// The `.eml` files of one outbox folder (kept alive as long as the mailbox).
#[derive(Debug)]
pub(crate) struct OutboxMailbox {
    dir: PathBuf,
    _keep: Arc<tempfile::TempDir>,
}

impl OutboxMailbox {
    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("outbox folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
    }
}

#[async_trait]
impl Mailbox for OutboxMailbox {
    async fn received_by(&self, to: &Email) -> Vec<ReceivedMail> {
        let wanted = to.normalized();
        self.files()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| eml::parse(&std::fs::read(&p).expect("readable .eml"), None))
            .filter(|m| m.to.iter().any(|a| a.to_lowercase() == wanted))
            .collect()
    }

    async fn refuse(&self, _to: &Email) -> bool {
        false
    }
}

fn outbox() -> (OutboxMailer, OutboxMailbox) {
    let dir = Arc::new(tempfile::tempdir().expect("a temporary folder"));
    let path = dir.path().join("outbox");
    let mailer = OutboxMailer::new(&path, crate::maildev::sender()).expect("outbox");
    (
        mailer,
        OutboxMailbox {
            dir: path,
            _keep: dir,
        },
    )
}

/// An outbox mailer and a mailbox reading its folder.
pub(crate) async fn make() -> (Arc<dyn Mailer>, Arc<dyn Mailbox>) {
    let (mailer, mailbox) = outbox();
    (Arc::new(mailer), Arc::new(mailbox))
}

sharelink_core::mailer_conformance!(run = run, make = make());

/// Each message is one complete `.eml` file with the same shape as over SMTP, and no
/// temporary file is left behind.
#[test]
fn outbox_writes_whole_eml_files() {
    run(async {
        let (mailer, mailbox) = outbox();
        let people: Vec<Email> = (0..5).map(|_| crate::fresh_address()).collect();
        let mails: Vec<_> = people.iter().map(crate::invitation).collect();
        let results = sharelink_core::ports::send_each(&mailer, &mails).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let files = mailbox.files();
        assert_eq!(files.len(), 5, "{files:?}");
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy();
            assert!(name.ends_with(".eml") && !name.starts_with('.'), "{name}");
        }
        for to in &people {
            let mut received = mailbox.received_by(to).await;
            assert_eq!(received.len(), 1);
            crate::assert_shape(&received.remove(0));
        }
    });
}

/// A folder that cannot be created is a configuration error.
#[test]
fn outbox_in_an_impossible_folder_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let result = OutboxMailer::new(file.join("outbox"), crate::maildev::sender());
    assert!(
        matches!(result, Err(sharelink_mail::ConfigError::Outbox { .. })),
        "{result:?}"
    );
}

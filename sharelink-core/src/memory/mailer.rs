//! In-memory mailer: keeps every message it sends, rendered, for tests to read back.

use crate::Email;
use crate::ports::mailer::{DefaultRenderer, Mail, MailError, MailRenderer, Mailer, RenderedMail};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An in-memory mailer that keeps every message it sends, in order, each with its
/// rendered form (subject, text and HTML from the mailer's [`MailRenderer`]).
///
/// Sends to addresses given to [`MemoryMailer::refuse`] fail with
/// [`MailError::Rejected`] and are not kept, so services can test what happens when one
/// recipient fails.
///
/// ```
/// use sharelink_core::memory::MemoryMailer;
/// use sharelink_core::ports::{Mail, MailMessage, Mailer, Secret};
/// use sharelink_core::{Branding, Email};
///
/// let mailer = MemoryMailer::new();
/// let mail = Mail {
///     to: Email::parse("ana@example.com").unwrap(),
///     to_name: None,
///     branding: Branding::default(),
///     from: None,
///     time_zone: None,
///     locale: None,
///     message: MailMessage::LinkResent {
///         share_name: "Plans".into(),
///         link: Secret("https://files.example.com/s/abc".into()),
///     },
/// };
/// futures::executor::block_on(mailer.send(&mail)).unwrap();
/// let sent = mailer.sent();
/// assert_eq!(sent.len(), 1);
/// assert!(sent[0].1.text().contains("https://files.example.com/s/abc"));
/// ```
#[derive(Debug)]
pub struct MemoryMailer {
    renderer: Arc<dyn MailRenderer>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<(Mail, RenderedMail)>,
    refused: HashSet<Email>,
}

impl Default for MemoryMailer {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryMailer {
    /// Name used in errors.
    const NAME: &'static str = "memory";

    /// A mailer rendering with [`DefaultRenderer`].
    pub fn new() -> Self {
        Self::with_renderer(Arc::new(DefaultRenderer))
    }

    /// A mailer rendering with `renderer`.
    pub fn with_renderer(renderer: Arc<dyn MailRenderer>) -> Self {
        Self {
            renderer,
            state: Mutex::new(State::default()),
        }
    }

    /// Makes every later send to `to` fail with [`MailError::Rejected`].
    pub fn refuse(&self, to: &Email) {
        self.state().refused.insert(to.clone());
    }

    /// Makes later sends to `to` succeed again (undoes [`MemoryMailer::refuse`]).
    pub fn accept(&self, to: &Email) {
        self.state().refused.remove(to);
    }

    /// Every message sent so far, oldest first, each with its rendered form.
    pub fn sent(&self) -> Vec<(Mail, RenderedMail)> {
        self.state().sent.clone()
    }

    /// The messages sent so far to `to` (compared without regard to case), oldest first.
    pub fn sent_to(&self, to: &Email) -> Vec<(Mail, RenderedMail)> {
        self.state()
            .sent
            .iter()
            .filter(|(mail, _)| mail.to == *to)
            .cloned()
            .collect()
    }

    /// Forgets every message sent so far (refused addresses stay refused).
    pub fn clear(&self) {
        self.state().sent.clear();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: each change is one push.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.state().refused.contains(&mail.to) {
            return Err(MailError::Rejected {
                mailer: Self::NAME,
                recipient: mail.to.clone(),
                reason: "recipient refused by the test setup".to_owned(),
                source: None,
            });
        }
        let rendered = self
            .renderer
            .render(mail)
            .map_err(|e| MailError::render(Self::NAME, e))?;
        self.state().sent.push((mail.clone(), rendered));
        Ok(())
    }
}

//! The mailer conformance suite, run on the in-memory mailer.

use sharelink_core::conformance::mailer::Mailbox;
use sharelink_core::memory::MemoryMailer;
use sharelink_core::ports::Mailer;
use std::sync::Arc;

async fn memory() -> (Arc<dyn Mailer>, Arc<dyn Mailbox>) {
    let mailer = Arc::new(MemoryMailer::new());
    (mailer.clone(), mailer)
}

sharelink_core::mailer_conformance!(run = futures::executor::block_on, make = memory());

//! The mail-queue conformance suite on the in-memory queue.

use sharelink_core::conformance::mail_queue::Queues;
use sharelink_core::memory::MemoryMailQueue;
use std::sync::Arc;

async fn queues() -> Queues {
    let queue = Arc::new(MemoryMailQueue::new());
    (queue.clone(), queue)
}

sharelink_core::mail_queue_conformance!(run = futures::executor::block_on, make = queues());

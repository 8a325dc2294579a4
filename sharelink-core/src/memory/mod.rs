//! In-memory reference adapters of every port, for tests (core's and users').

mod file_store;
mod mailer;
mod repository;
mod support;

pub use file_store::MemoryFileStore;
pub use mailer::MemoryMailer;
pub use repository::{MemoryAccessLog, MemoryRepository, constant_time_eq};
pub use support::{ManualClock, MemoryDirectory, MemoryEvents, SeededRandom};

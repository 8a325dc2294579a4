//! The lease port: a named, expiring hold in the shared store, so that among several server
//! processes on one database exactly one runs a housekeeping job at a time.
//!
//! A lease is taken until an instant; once that instant is reached, anyone may take it
//! over, so a process that died holding one blocks the job only until then.

use crate::ports::repository::RepoError;
use async_trait::async_trait;
use std::fmt::Debug;
use time::OffsetDateTime;

/// Named leases with expiry.
///
/// Contract:
/// - [`Lease::try_acquire`] on a job nobody holds, or whose lease ended (`until <= now`),
///   takes it and returns `true`.
/// - While a lease runs (`now < until`) every acquisition is refused, the holder's own
///   included: a lease held until the end of a period means "done for this period".
/// - Of concurrent acquisitions of one job, from any number of processes, exactly one wins.
/// - [`Lease::release`] ends the lease only if `holder` holds it.
#[async_trait]
pub trait Lease: Send + Sync + Debug + 'static {
    /// Takes the lease on `job` for `holder` until `until`, if nobody holds it at `now`.
    /// Decided by one conditional statement, never by reading then writing.
    ///
    /// # Errors
    /// The store failed.
    async fn try_acquire(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// Ends `holder`'s lease on `job`; returns whether it held it.
    ///
    /// # Errors
    /// The store failed.
    async fn release(&self, job: &str, holder: &str) -> Result<bool, RepoError>;
}

//! The metrics sharelink records (names, labels, meaning) and the port decorators that
//! time and count calls to the file store and the mailer.
//!
//! sharelink records through the [`metrics`] facade and logs through [`tracing`]: both
//! cost nothing until the embedder installs a recorder (for example
//! `metrics-exporter-prometheus`) or a subscriber (for example `tracing-subscriber`).
//! Every name below is stable; [`describe`] gives each its help text and unit, for
//! exporters that show them.
//!
//! | metric | kind | labels | recorded by |
//! |---|---|---|---|
//! | [`HTTP_REQUESTS`] | counter | `route` (the route template, never the URL), `method`, `status` (`2xx` … `5xx`) | `sharelink-http` |
//! | [`HTTP_REQUEST_SECONDS`] | histogram | `route`, `method` | `sharelink-http` |
//! | [`DENIALS`] | counter | `reason` ([`crate::Denial::code`]) | `sharelink-http`, for every refusal it answers |
//! | [`USES_SPENT`] | counter | — | core, when a use is reserved |
//! | [`USES_REFUNDED`] | counter | — | core, when a reserved use is given back |
//! | [`BYTES_SERVED`] | counter | `kind` (`download`, `preview`, `download_all`) | core, when a transfer is settled |
//! | [`ZIP_BUILDS`] | counter | — | `sharelink-http`, when a download-all archive starts streaming |
//! | [`MAIL_SENT`] | counter | `kind` ([`crate::ports::MailMessage::kind`]) | core, around the mailer port |
//! | [`MAIL_FAILED`] | counter | `kind`, `error` (`rejected`, `unavailable`, `build`, …) | core, around the mailer port |
//! | [`WEBHOOK_DELIVERIES`] | counter | `outcome` (`delivered`, `failed`, `dead`) | the webhook worker |
//! | [`DB_QUERY_SECONDS`] | histogram | `outcome` (`ok`, `error`) | `sharelink-store-sql`, every statement |
//! | [`STORAGE_SECONDS`] | histogram | `operation` (the [`FileStore`] method), `outcome` | core, around the file-store port |

mod decorators;

pub use decorators::{CountedMailer, TimedFileStore};

use metrics::Unit;

/// Requests answered by the HTTP router.
pub const HTTP_REQUESTS: &str = "sharelink_http_requests_total";
/// Time from a request's arrival to its response head, in seconds.
pub const HTTP_REQUEST_SECONDS: &str = "sharelink_http_request_duration_seconds";
/// Visitor requests refused, by [`crate::Denial::code`].
pub const DENIALS: &str = "sharelink_denials_total";
/// Uses of use-limited shares spent (reserved).
pub const USES_SPENT: &str = "sharelink_uses_spent_total";
/// Reserved uses given back because the server failed.
pub const USES_REFUNDED: &str = "sharelink_uses_refunded_total";
/// Bytes of files sent to visitors (completed and aborted transfers).
pub const BYTES_SERVED: &str = "sharelink_bytes_served_total";
/// Download-all archives built.
pub const ZIP_BUILDS: &str = "sharelink_zip_builds_total";
/// Mails the mailer accepted.
pub const MAIL_SENT: &str = "sharelink_mail_sent_total";
/// Mails the mailer failed to send.
pub const MAIL_FAILED: &str = "sharelink_mail_failed_total";
/// Webhook delivery attempts, by outcome.
pub const WEBHOOK_DELIVERIES: &str = "sharelink_webhook_deliveries_total";
/// Time each SQL statement took, in seconds.
pub const DB_QUERY_SECONDS: &str = "sharelink_db_query_duration_seconds";
/// Time each file-store call took (for a read, until the stream is open), in seconds.
pub const STORAGE_SECONDS: &str = "sharelink_storage_duration_seconds";

/// Gives every metric above its help text and unit in the installed recorder. Call it
/// once after installing a recorder; recording works without it.
pub fn describe() {
    use metrics::{describe_counter, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status class"
    );
    describe_histogram!(
        HTTP_REQUEST_SECONDS,
        Unit::Seconds,
        "time to the response head, by route template and method"
    );
    describe_counter!(DENIALS, "visitor requests refused, by reason");
    describe_counter!(USES_SPENT, "uses of use-limited shares spent");
    describe_counter!(
        USES_REFUNDED,
        "reserved uses given back after a server failure"
    );
    describe_counter!(
        BYTES_SERVED,
        Unit::Bytes,
        "bytes of files sent to visitors, by kind of transfer"
    );
    describe_counter!(ZIP_BUILDS, "download-all archives built");
    describe_counter!(MAIL_SENT, "mails the mailer accepted, by kind of message");
    describe_counter!(
        MAIL_FAILED,
        "mails the mailer failed to send, by kind of message and error"
    );
    describe_counter!(WEBHOOK_DELIVERIES, "webhook delivery attempts, by outcome");
    describe_histogram!(
        DB_QUERY_SECONDS,
        Unit::Seconds,
        "time of each SQL statement, by outcome"
    );
    describe_histogram!(
        STORAGE_SECONDS,
        Unit::Seconds,
        "time of each file-store call, by operation and outcome"
    );
}

/// `ok` or `error`, the `outcome` label of a timed call.
pub fn outcome<T, E>(result: &Result<T, E>) -> &'static str {
    if result.is_ok() { "ok" } else { "error" }
}

/// Counts one spent use.
pub(crate) fn use_spent() {
    metrics::counter!(USES_SPENT).increment(1);
}

/// Counts one refunded use.
pub(crate) fn use_refunded() {
    metrics::counter!(USES_REFUNDED).increment(1);
}

/// Counts the bytes of a settled transfer.
pub(crate) fn bytes_served(kind: &'static str, bytes: u64) {
    metrics::counter!(BYTES_SERVED, "kind" => kind).increment(bytes);
}

/// Counts one webhook delivery attempt by its outcome (`delivered`, `failed`, `dead`).
pub(crate) fn webhook_delivery(outcome: &'static str) {
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}

/// Names the share the current use-case span is about, once it is known (a visitor's
/// request names a key, which is a secret and never logged).
pub(crate) fn record_share(id: crate::ShareId) {
    tracing::Span::current().record("share", id.0);
}

/// Logs an error a use case answers for itself (best effort, or reported elsewhere) with
/// its chain of causes, so nothing is dropped silently.
pub(crate) fn discarded(what: &'static str, error: &(dyn std::error::Error + 'static)) {
    tracing::warn!(error = %Chain(error), "{what}");
}

/// An error and its sources, `: `-separated: what a log line shows of an error.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_chain_shows_every_cause() {
        let e = Outer(std::io::Error::other("the disk is gone"));
        assert_eq!(Chain(&e).to_string(), "outer: the disk is gone");
        assert_eq!(outcome::<(), ()>(&Ok(())), "ok");
        assert_eq!(outcome::<(), ()>(&Err(())), "error");
    }
}

//! The webhook ports: endpoints and their outbox ([`WebhookStore`]), and the HTTP POST
//! that delivers one message ([`WebhookTransport`]).
//!
//! When the embedder configures webhooks (`Ports::with_webhooks`), every [`ShareEvent`]
//! the use cases publish is also written to the outbox, one pending delivery per endpoint
//! that wants it (the site-wide endpoints and the share owner's), before the use case
//! returns. A worker (`Sharelink::deliver_webhooks`) claims due deliveries, signs and posts
//! each, and records the outcome: delivered, retried later with backoff, or dead.
//! Deliveries of one share reach one endpoint in the order they were written: the next
//! one waits while an earlier one is pending.
//!
//! [`ShareEvent`]: crate::ports::ShareEvent

use crate::model::webhook::{WebhookSecret, WebhookUrl};
use crate::ports::BoxError;
use crate::ports::repository::RepoError;
use crate::{ShareId, UserId};
use async_trait::async_trait;
use std::fmt::{self, Debug};
use time::OffsetDateTime;

/// The identifier of a webhook endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebhookEndpointId(pub i64);

/// The identifier of one delivery (one message to one endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebhookDeliveryId(pub i64);

impl fmt::Display for WebhookDeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An endpoint to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEndpoint {
    /// Whose shares' events it receives; `None`: every share's (site-wide, set by an admin).
    pub owner: Option<UserId>,
    /// Where deliveries are posted.
    pub url: WebhookUrl,
    /// What deliveries are signed with.
    pub secret: WebhookSecret,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// A configured endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its identifier.
    pub id: WebhookEndpointId,
    /// Whose shares' events it receives; `None`: every share's.
    pub owner: Option<UserId>,
    /// Where deliveries are posted.
    pub url: WebhookUrl,
    /// What deliveries are signed with.
    pub secret: WebhookSecret,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryState {
    /// Waiting for its next attempt (possibly leased to a worker right now).
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up on after too many failed attempts; replaying it is an owner's or admin's
    /// decision.
    Dead,
}

impl DeliveryState {
    /// Every state, in the order above.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Delivered, Self::Dead];

    /// The state's stored and shown name: `pending`, `delivered` or `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The state named `name` (as [`DeliveryState::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEvent {
    /// The message id (`webhook-id`), the same for every endpoint and every attempt.
    pub message_id: String,
    /// The share it is about.
    pub share: ShareId,
    /// The share's owner (whose endpoints receive it besides the site-wide ones).
    pub owner: UserId,
    /// The event type (`share.created`, …).
    pub event_type: String,
    /// The JSON body posted, exactly as signed.
    pub payload: String,
    /// When it happened; its deliveries are due then.
    pub at: OffsetDateTime,
}

/// One message for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Its identifier.
    pub id: WebhookDeliveryId,
    /// The endpoint it goes to.
    pub endpoint: WebhookEndpointId,
    /// The endpoint's owner (`None`: a site-wide endpoint).
    pub endpoint_owner: Option<UserId>,
    /// The message id (`webhook-id`).
    pub message_id: String,
    /// The share it is about.
    pub share: ShareId,
    /// The event type.
    pub event_type: String,
    /// The JSON body.
    pub payload: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts claimed so far (a claim counts as an attempt, whatever its outcome).
    pub attempts: u32,
    /// When the next attempt is due (pending).
    pub next_attempt_at: OffsetDateTime,
    /// Until when the last claim holds it.
    pub leased_until: Option<OffsetDateTime>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: OffsetDateTime,
    /// When its state last changed.
    pub updated_at: OffsetDateTime,
}

impl WebhookDelivery {
    /// A delivery of `event` to `endpoint`, just written as `id`: pending, no attempt
    /// yet, due at the event's instant.
    pub fn pending(
        id: WebhookDeliveryId,
        endpoint: WebhookEndpointId,
        endpoint_owner: Option<UserId>,
        event: &NewWebhookEvent,
    ) -> Self {
        Self {
            id,
            endpoint,
            endpoint_owner,
            message_id: event.message_id.clone(),
            share: event.share,
            event_type: event.event_type.clone(),
            payload: event.payload.clone(),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: event.at,
            leased_until: None,
            last_error: None,
            created_at: event.at,
            updated_at: event.at,
        }
    }
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryFailure {
    /// Pending again, due at this instant.
    RetryAt(OffsetDateTime),
    /// Given up on ([`DeliveryState::Dead`]).
    Dead,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// Only deliveries to the endpoints this user owns.
    pub owner: Option<UserId>,
    /// Only deliveries to this endpoint.
    pub endpoint: Option<WebhookEndpointId>,
    /// Only deliveries with a smaller id (newest first, page by page).
    pub before: Option<WebhookDeliveryId>,
    /// At most this many (0 means none).
    pub limit: u32,
}

/// Webhook endpoints and the outbox of their deliveries.
///
/// Contract (each bullet is a case of `conformance::webhooks`):
/// - `add_endpoint` stores an endpoint and returns it with a fresh id; `get_endpoint`
///   reads it back equal (secret included); `list_endpoints(Some(owner))` returns that
///   owner's endpoints, `list_endpoints(None)` every endpoint, oldest first.
/// - `delete_endpoint` removes the endpoint and its deliveries and returns `true`; `false`
///   when there is none.
/// - `enqueue_event` writes, in one atomic step, one pending delivery (no attempts, due at
///   `at`) per endpoint that is site-wide or owned by the event's owner, and returns them;
///   none when no endpoint matches.
/// - `claim_due(now, lease_until, limit)` hands out at most `limit` pending deliveries due
///   at `now` whose lease, if any, ended, oldest due first, each with attempts raised by
///   one and leased until `lease_until`; never one while an earlier (smaller id) delivery
///   of the same share to the same endpoint is pending; while leased it is not handed out
///   again, by any handle on the same store.
/// - `mark_delivered(id, attempts, at)` and `mark_failed(id, attempts, error, failure, at)`
///   record the outcome of the claim that raised attempts to `attempts` and return `true`;
///   they change nothing and return `false` when the delivery is not pending or another
///   claim took it since. A retry clears the lease and makes it due at the given instant;
///   `Dead` ends it with `error` kept.
/// - `list_deliveries` returns the deliveries matching the query, newest first.
/// - `replay_delivery(id, now)` makes a delivered or dead delivery pending again, due at
///   `now`, with no attempts and returns `true`; for a pending one, or none, `false`.
#[async_trait]
pub trait WebhookStore: Send + Sync + Debug + 'static {
    /// Stores an endpoint.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn add_endpoint(&self, new: NewWebhookEndpoint) -> Result<WebhookEndpoint, RepoError>;

    /// One endpoint.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn get_endpoint(
        &self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, RepoError>;

    /// An owner's endpoints, or (`None`) every endpoint, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn list_endpoints(
        &self,
        owner: Option<&UserId>,
    ) -> Result<Vec<WebhookEndpoint>, RepoError>;

    /// Removes an endpoint and its deliveries.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool, RepoError>;

    /// Writes one pending delivery per matching endpoint, atomically.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails (then nothing was written).
    async fn enqueue_event(
        &self,
        event: NewWebhookEvent,
    ) -> Result<Vec<WebhookDelivery>, RepoError>;

    /// Claims due deliveries for one worker until `lease_until`.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, RepoError>;

    /// Records that the claim numbered `attempts` delivered it.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn mark_delivered(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// Records that the claim numbered `attempts` failed, and what follows.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn mark_failed(
        &self,
        id: WebhookDeliveryId,
        attempts: u32,
        error: &str,
        failure: DeliveryFailure,
        at: OffsetDateTime,
    ) -> Result<bool, RepoError>;

    /// One delivery.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn get_delivery(
        &self,
        id: WebhookDeliveryId,
    ) -> Result<Option<WebhookDelivery>, RepoError>;

    /// The deliveries matching `query`, newest first.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn list_deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<Vec<WebhookDelivery>, RepoError>;

    /// Makes a delivered or dead delivery pending again.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    async fn replay_delivery(
        &self,
        id: WebhookDeliveryId,
        now: OffsetDateTime,
    ) -> Result<bool, RepoError>;
}

/// One signed POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Where.
    pub url: WebhookUrl,
    /// The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
    pub headers: [(&'static str, String); 3],
    /// The JSON body (sent with `content-type: application/json`).
    pub body: String,
}

/// Why a POST got no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The endpoint could not be reached (refused, reset, DNS, TLS).
    #[error("the webhook endpoint could not be reached: {source}")]
    Unreachable {
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// No answer within the transport's time limit.
    #[error("the webhook endpoint did not answer in time")]
    Timeout,
}

/// Posts one webhook message.
///
/// Contract: `post` sends `request.body` to `request.url` with the three headers and
/// `content-type: application/json`, follows no redirect, gives up after a time limit of
/// its own ([`WebhookError::Timeout`]), and returns the status the endpoint answered,
/// whatever it is (the caller decides what counts as delivered: 2xx).
#[async_trait]
pub trait WebhookTransport: Send + Sync + Debug + 'static {
    /// Posts one message; the endpoint's status code.
    ///
    /// # Errors
    /// [`WebhookError`] when no answer came.
    async fn post(&self, request: &WebhookRequest) -> Result<u16, WebhookError>;
}

//! Webhook delivery over HTTP: [`HyperWebhookTransport`] posts signed messages with
//! hyper-util's client (rustls for `https`, the system's root certificates), with a
//! connect and a total time limit and no redirects; [`spawn_webhook_worker`] runs
//! [`Sharelink::deliver_webhooks`] in the background.

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sharelink_core::ports::webhooks::{WebhookError, WebhookRequest, WebhookTransport};
use sharelink_core::service::Sharelink;
use std::time::Duration;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Why the transport could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook transport could not load the system's root certificates: {0}")]
pub struct TransportError(#[source] std::io::Error);

/// A [`WebhookTransport`] over hyper-util's pooled client: HTTP/1.1 to `http` and
/// `https` endpoints, redirects not followed (a 3xx is a failed attempt), and every POST
/// given up after `timeout` ([`WebhookError::Timeout`]).
#[derive(Clone)]
pub struct HyperWebhookTransport {
    client: Client<Https, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for HyperWebhookTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperWebhookTransport")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HyperWebhookTransport {
    /// A transport that waits at most `timeout` for an endpoint's answer (connecting
    /// included; connecting alone at most 10 s).
    ///
    /// # Errors
    /// [`TransportError`] when the system's root certificates cannot be read.
    pub fn new(timeout: Duration) -> Result<Self, TransportError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
        let provider = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(TransportError)?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Ok(Self { client, timeout })
    }
}

#[async_trait]
impl WebhookTransport for HyperWebhookTransport {
    async fn post(&self, request: &WebhookRequest) -> Result<u16, WebhookError> {
        let unreachable =
            |e: Box<dyn std::error::Error + Send + Sync>| WebhookError::Unreachable { source: e };
        let mut builder = Request::post(request.url.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "sharelink-webhooks");
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| unreachable(e.into()))?;
        match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            // The answer's body is not read: the status says it all, and dropping the
            // response closes or returns the connection.
            Ok(Ok(response)) => Ok(response.status().as_u16()),
            Ok(Err(e)) => Err(unreachable(e.into())),
            Err(_) => Err(WebhookError::Timeout),
        }
    }
}

/// Runs the webhook worker every `every` until the task is aborted: each run delivers
/// due deliveries ([`Sharelink::deliver_webhooks`], 100 at a time, again at once while a
/// run had work). Store errors are logged and retried at the next run; delivery errors
/// are recorded on the delivery, never logged with its body or secret.
pub fn spawn_webhook_worker(app: Sharelink, every: Duration) -> tokio::task::JoinHandle<()> {
    const BATCH: u32 = 100;
    tokio::spawn(async move {
        loop {
            match app.deliver_webhooks(BATCH).await {
                Ok(run) if run.total() > 0 => {
                    tracing::info!(
                        delivered = run.delivered,
                        retrying = run.retrying,
                        dead = run.dead,
                        "webhook worker"
                    );
                    // A share's next event becomes due as soon as its previous one is
                    // delivered: go again without waiting.
                    if run.delivered > 0 {
                        continue;
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook worker: the store failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

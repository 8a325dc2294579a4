//! The demo's metrics endpoint: the `metrics` recorder as Prometheus text, served on its
//! own address (`--metrics-listen`) so it is never exposed beside the share links.

use super::BoxError;
use axum::Router;
use axum::http::header;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Bucket bounds of every `…_seconds` histogram: from a cached lookup to a slow upload.
const SECONDS_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the Prometheus recorder as the process's `metrics` recorder and describes
/// sharelink's metrics ([`sharelink_core::telemetry::describe`]).
///
/// # Errors
/// When a recorder is installed already, or the buckets are refused.
pub fn install() -> Result<PrometheusHandle, BoxError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .install_recorder()?;
    sharelink_core::telemetry::describe();
    Ok(handle)
}

/// `GET /metrics`: the text exposition format, version 0.0.4.
pub fn router(handle: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    )
}

/// Serves [`router`] on `listener` until the process ends.
pub fn spawn(listener: TcpListener, handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(handle)).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    })
}

//! The request span and the request metrics: every request is traced and counted under
//! its route template (`/s/{key}/download/{*path}`), never under its URL, because a
//! link's URL carries its key.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use sharelink_core::telemetry::{HTTP_REQUEST_SECONDS, HTTP_REQUESTS};
use std::time::Instant;
use tracing::Instrument;

/// Runs a request inside a `request` span (method, route template, status, latency) and
/// counts it in [`HTTP_REQUESTS`] and [`HTTP_REQUEST_SECONDS`].
pub(crate) async fn request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        status = tracing::field::Empty,
    );
    let start = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = res.status();
    span.record("status", status.as_u16());
    tracing::debug!(
        parent: &span,
        status = status.as_u16(),
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "answered"
    );
    metrics::counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status_class(status.as_u16()))
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_SECONDS, "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
    res
}

/// `1xx` … `5xx`: the `status` label, few values whatever the statuses.
fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_fall_in_classes() {
        assert_eq!(super::status_class(200), "2xx");
        assert_eq!(super::status_class(304), "3xx");
        assert_eq!(super::status_class(429), "4xx");
        assert_eq!(super::status_class(503), "5xx");
        assert_eq!(super::status_class(101), "1xx");
    }
}

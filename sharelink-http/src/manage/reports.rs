//! Reports of the management API: the access log as a streamed CSV file and statistics
//! per UTC day, of one share, one owner's shares, or (admins) every share.

use super::{Actor, ErrorBody, owner_param, query_instant};
use crate::manage::request::ApiQuery;
use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sharelink_core::ShareId;
use sharelink_core::ports::{DayStats, LogEvent, LogKind, LogQuery};
use sharelink_core::service::{LogExport, ReportScope};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};
use utoipa::{IntoParams, ToSchema};

/// The columns of the CSV export, in order.
const CSV_HEADER: [&str; 12] = [
    "id",
    "at",
    "share_id",
    "kind",
    "paths",
    "bytes",
    "ip",
    "user_agent",
    "visitor",
    "email",
    "registration",
    "detail",
];

/// Whose events: parameters common to every report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ScopeParams {
    /// Only this share.
    share: Option<i64>,
    /// Only this owner's shares (admins; others always get their own).
    owner: Option<String>,
}

impl ScopeParams {
    fn scope(self) -> Result<ReportScope, ApiError> {
        Ok(ReportScope {
            share: self.share.map(ShareId),
            owner: owner_param(self.owner)?,
        })
    }
}

/// Filters of the CSV export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportParams {
    /// Only events of this kind (`visit`, `download`, `denied`, …).
    #[param(value_type = Option<String>)]
    kind: Option<LogKind>,
    /// At or after: RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<OffsetDateTime>,
    /// Before: RFC 3339, or a local date and time (read in UTC).
    #[serde(default, deserialize_with = "query_instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<OffsetDateTime>,
}

/// Exports the access log as CSV (UTF-8, a header row, newest first, instants RFC 3339
/// in UTC, a cell a spreadsheet would take for a formula prefixed with `'`). The file is
/// streamed page by page; a store failure midway cuts it short.
#[utoipa::path(get, path = "/api/log.csv", tag = "reports", params(ScopeParams, ExportParams),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 401, description = "No signed-in user", body = ErrorBody),
        (status = 404, description = "No such share, or not yours", body = ErrorBody)))]
pub(super) async fn export_log(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(scope): ApiQuery<ScopeParams>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let export = st
        .app
        .export_log(
            &actor,
            &scope.scope()?,
            LogQuery {
                kinds: q.kind.map(|k| vec![k]),
                from: q.from,
                to: q.to,
                ..LogQuery::default()
            },
        )
        .await?;
    let head = csv_rows(std::iter::once(CSV_HEADER.map(String::from)));
    let pages = futures::stream::try_unfold(export, |mut export: LogExport| async move {
        let page = export.next_page().await.map_err(|e| {
            tracing::error!(error = %e, "the access-log export failed midway");
            std::io::Error::other(e)
        })?;
        if page.is_empty() {
            return Ok(None);
        }
        Ok(Some((csv_rows(page.iter().map(csv_record))?, export)))
    });
    let body = futures::StreamExt::chain(futures::stream::once(async { head }), pages);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"access-log.csv\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Encodes rows as CSV (the `csv` crate quotes and escapes).
fn csv_rows<R: IntoIterator<Item = String>>(
    rows: impl IntoIterator<Item = R>,
) -> std::io::Result<Bytes> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row.into_iter().map(formula_safe))?;
    }
    out.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// Prefixes `'` to a cell a spreadsheet would evaluate as a formula (OWASP's "CSV
/// injection"), so a visitor's user agent or file name cannot run anything.
fn formula_safe(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The cells of one event, in [`CSV_HEADER`]'s order.
fn csv_record(e: &LogEvent) -> [String; 12] {
    let n = &e.event;
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    [
        e.id.to_string(),
        n.at.to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default(),
        n.share_id.0.to_string(),
        n.kind.as_str().to_owned(),
        // Visitor paths hold no line breaks, so one per line keeps them apart.
        n.paths.join("\n"),
        n.bytes.map(|b| b.to_string()).unwrap_or_default(),
        n.ip.map(|i| i.to_string()).unwrap_or_default(),
        text(n.user_agent.as_deref()),
        text(n.visitor.as_deref()),
        text(n.email.as_ref().map(|m| m.as_str())),
        n.registration.map(|r| r.0.to_string()).unwrap_or_default(),
        text(n.detail.as_deref()),
    ]
}

/// The days of a per-day report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DailyParams {
    /// The first day (UTC), `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    from: String,
    /// The last day (UTC, included), `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    to: String,
}

/// A `YYYY-MM-DD` query parameter.
fn query_day(name: &str, text: &str) -> Result<Date, ApiError> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("{name}: `{text}` is no day (YYYY-MM-DD): {e}"),
        )
    })
}

/// Statistics per UTC day over a range of at most 1000 days: visits, unique visitors
/// (distinct within each day), downloads, uploads, bytes and denials, one entry per day
/// including days without events.
#[utoipa::path(get, path = "/api/statistics/daily", tag = "reports", params(ScopeParams, DailyParams),
    responses((status = 200, description = "One entry per day, days without events included", body = DailyStatistics),
        (status = 401, description = "No signed-in user", body = ErrorBody),
        (status = 404, description = "No such share, or not yours", body = ErrorBody),
        (status = 422, description = "`invalid_range`: the last day is before the first, or the range is too long", body = ErrorBody)))]
pub(super) async fn daily_statistics(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiQuery(scope): ApiQuery<ScopeParams>,
    ApiQuery(q): ApiQuery<DailyParams>,
) -> Result<Json<DailyStatistics>, ApiError> {
    let days = st
        .app
        .daily_statistics(
            &actor,
            &scope.scope()?,
            query_day("from", &q.from)?,
            query_day("to", &q.to)?,
        )
        .await?;
    Ok(Json(DailyStatistics { days }))
}

/// Statistics per UTC day.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DailyStatistics {
    days: Vec<DayStats>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_cells_are_prefixed() {
        for (cell, safe) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("a=1", "a=1"),
            ("", ""),
            ("plain", "plain"),
        ] {
            assert_eq!(formula_safe(cell.into()), safe);
        }
    }

    proptest! {
        /// Any cells come back from a CSV reader as written (bar the prefix), and none
        /// starts a formula. (The first cell is fixed, as the export's `id` is: a reader
        /// drops a byte-order mark at the very start.)
        #[test]
        fn cells_round_trip_and_never_start_a_formula(cells in prop::collection::vec(".*", 0..6)) {
            let row: Vec<String> = std::iter::once("id".to_owned()).chain(cells).collect();
            let bytes = csv_rows([row.clone()]).unwrap();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[..]);
            let back = reader.records().next().unwrap().unwrap();
            prop_assert_eq!(back.len(), row.len());
            for (cell, original) in back.iter().zip(&row) {
                prop_assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']));
                prop_assert_eq!(cell, formula_safe(original.clone()));
            }
        }
    }
}

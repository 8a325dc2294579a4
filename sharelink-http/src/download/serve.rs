//! The answers of the file routes: a file or a range of it, several ranges as
//! `multipart/byteranges`, a watermarked preview, and a ZIP of many files.

use super::body::SettledBody;
use super::headers::{
    RangeSpec, disposition, etag, http_date, none_match, parse_http_date, parse_range,
};
use super::{download_fail, header_str};
use crate::client::Ctx;
use crate::client::random_token;
use crate::pages::{Hidden, confirm_page};
use crate::visitor::{Fields, fail, fail_with_link, service_fail};
use crate::{ApiError, SharelinkState, watermark};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sharelink_core::policy::RequestMode;
use sharelink_core::ports::{ByteRange, ByteStream, Entry, FileStoreError};
use sharelink_core::service::{Download, Outcome, Planned, ReadPlan, ServiceError, VisitRequest};
use sharelink_core::{Action, Denial, MediaType, SessionId, SharePath};

/// What the request's headers asked of a file, as decided once its entry was known.
#[derive(Debug, Default)]
struct Asked {
    /// The validators matched: `304 Not Modified`.
    not_modified: bool,
    /// No range could be served: `416`.
    unsatisfiable: bool,
    /// The ranges served (`206`), merged, in order (the first is the one read by the
    /// plan); none for the whole file.
    parts: Vec<(u64, u64)>,
}

/// A file, or a range of it, or several ranges; validators answered with `304`. A
/// conditional request or a range counted from the end opens the file once, through
/// [`sharelink_core::service::Sharelink::download_planned`]; a `HEAD` reads no byte.
pub(crate) async fn file(
    st: &SharelinkState,
    ctx: &Ctx,
    key: &str,
    raw_path: &str,
    action: Action,
    mode: RequestMode,
    headers: &HeaderMap,
) -> Response {
    let path = match SharePath::parse(raw_path) {
        Ok(p) => p,
        Err(e) => return service_fail(ctx, e.into()),
    };
    let sid = match ctx.require_session(key) {
        Ok(s) => s,
        Err(_) => return download_fail(ctx, key, &path, action, Denial::NoSession.into()),
    };
    let app = &st.app;
    let req = VisitRequest::new(key, &sid, &ctx.client, mode);
    let head = mode == RequestMode::Head;
    let ranges = header_str(headers, header::RANGE).and_then(parse_range);
    let inm = header_str(headers, header::IF_NONE_MATCH);
    let ims = header_str(headers, header::IF_MODIFIED_SINCE).and_then(parse_http_date);
    let if_range = header_str(headers, header::IF_RANGE);
    let mut asked = Asked::default();
    let opened = if head {
        // A HEAD is answered from the entry: the headers the GET would get, no byte read.
        let plan = |entry: &Entry| {
            plan(entry, inm, ims, if_range, ranges, &mut asked);
            ReadPlan::MetadataOnly
        };
        app.download_planned(&req, &path, action, plan).await
    } else if inm.is_none() && ims.is_none() && ranges.is_none() {
        app.download(&req, &path, None, action)
            .await
            .map(|d| Planned::Read(Box::new(d)))
    } else {
        let plan = |entry: &Entry| plan(entry, inm, ims, if_range, ranges, &mut asked);
        app.download_planned(&req, &path, action, plan).await
    };
    let (entry, served, body) = match opened {
        Ok(Planned::Metadata(entry)) if asked.unsatisfiable => {
            let size = entry.size;
            return download_fail(
                ctx,
                key,
                &path,
                action,
                FileStoreError::RangeNotSatisfiable { size }.into(),
            );
        }
        Ok(Planned::Metadata(entry)) if asked.not_modified => return not_modified(&entry),
        // A HEAD: the headers of the range asked, or of the whole file (several ranges
        // too: range handling is defined for GET only, RFC 9110 §14.2).
        Ok(Planned::Metadata(entry)) => {
            let served = match asked.parts.as_slice() {
                [(start, end)] => ByteRange {
                    start: *start,
                    end: *end,
                },
                _ => {
                    asked.parts.clear();
                    ByteRange {
                        start: 0,
                        end: entry.size,
                    }
                }
            };
            (entry, served, Body::empty())
        }
        Ok(Planned::Read(dl)) => {
            let dl = *dl;
            if let Some(text) = dl.watermark.clone() {
                return watermarked(st, ctx, key, &path, mode, dl, text).await;
            }
            if asked.parts.len() > 1 {
                return ranges_of(st, ctx, key, &sid, &path, action, mode, dl, &asked.parts).await;
            }
            let served = dl.read.range;
            let body = Body::from_stream(SettledBody::new(
                dl.read.stream,
                app.clone(),
                dl.ticket,
                served.len(),
            ));
            (dl.read.entry, served, body)
        }
        Err(e) => return download_fail(ctx, key, &path, action, e),
    };
    let ranged = !asked.parts.is_empty();
    let name = path.file_name().unwrap_or("download").to_owned();
    let media = MediaType::of(&name);
    let inline = action == Action::Preview;
    let mut res = Response::builder()
        .status(if ranged {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        })
        .header(header::CONTENT_TYPE, media.essence)
        .header(header::CONTENT_LENGTH, served.len())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::LAST_MODIFIED, http_date(entry.modified))
        .header(header::CACHE_CONTROL, CACHE_CONTROL)
        .header(
            header::CONTENT_DISPOSITION,
            disposition(if inline { "inline" } else { "attachment" }, &name),
        )
        .header(
            header::CONTENT_SECURITY_POLICY,
            if inline {
                preview_csp(media)
            } else {
                ATTACHMENT_CSP
            },
        );
    if let Some(t) = &entry.etag {
        res = res.header(header::ETAG, etag(t));
    }
    if ranged {
        res = res.header(
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                served.start,
                served.end.saturating_sub(1),
                entry.size
            ),
        );
    }
    res.body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Every file answer (and the `304` that stands for one) may be kept by the browser
/// only, and checked again before each use.
const CACHE_CONTROL: &str = "private, no-cache";

/// The policy of a preview shown inline: nothing runs, nothing loads but itself; only
/// this site's preview page may embed it (a text in a sandboxed frame, a PDF in an
/// object). A text is sandboxed even when opened alone.
fn preview_csp(media: MediaType) -> &'static str {
    if media.preview == Some(sharelink_core::Preview::Text) {
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    } else {
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; \
         frame-ancestors 'self'"
    }
}

/// The policy of a file handed over as an attachment: it may never run in our origin.
const ATTACHMENT_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// Decides, from the file's entry, what to read for the request's validators and ranges
/// (RFC 9110 §13 and §14): `If-None-Match` first, else `If-Modified-Since`; an `If-Range`
/// that no longer matches asks for the whole file; overlapping ranges are merged, and too
/// many are answered with the whole file.
fn plan(
    entry: &Entry,
    inm: Option<&str>,
    ims: Option<time::OffsetDateTime>,
    if_range: Option<&str>,
    ranges: Option<Vec<RangeSpec>>,
    asked: &mut Asked,
) -> ReadPlan {
    let tag = entry.etag.as_deref().map(etag);
    let modified = http_date(entry.modified);
    asked.not_modified = match (inm, &tag) {
        (Some(h), Some(t)) => none_match(h, t),
        (Some(_), None) => false,
        (None, _) => {
            ims.is_some_and(|since| entry.modified.unix_timestamp() <= since.unix_timestamp())
        }
    };
    if asked.not_modified {
        return ReadPlan::MetadataOnly;
    }
    let stale =
        if_range.is_some_and(|ir| tag.as_deref() != Some(ir.trim()) && ir.trim() != modified);
    let Some(specs) = ranges.filter(|_| !stale) else {
        return ReadPlan::Whole;
    };
    let mut parts: Vec<(u64, u64)> = specs.iter().filter_map(|s| s.resolve(entry.size)).collect();
    if parts.is_empty() {
        asked.unsatisfiable = true;
        return ReadPlan::MetadataOnly;
    }
    parts.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
    for (s, e) in parts {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    if merged.len() > MAX_RANGES {
        return ReadPlan::Whole;
    }
    let (start, end) = merged[0];
    asked.parts = merged;
    ReadPlan::Range(ByteRange { start, end })
}

/// The `304 Not Modified` for a file: the validators and caching of the `200` it
/// stands for.
fn not_modified(entry: &Entry) -> Response {
    let mut res = (
        StatusCode::NOT_MODIFIED,
        [(header::CACHE_CONTROL, CACHE_CONTROL)],
    )
        .into_response();
    if let Some(t) = entry
        .etag
        .as_deref()
        .and_then(|t| HeaderValue::from_str(&etag(t)).ok())
    {
        res.headers_mut().insert(header::ETAG, t);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(entry.modified)) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    res
}

/// A preview of a share that asks for a watermark: the picture is decoded, marked and
/// sent as PNG (never its original bytes, never a range of them). Core reads such a
/// preview whole and gives none of a file that cannot be marked.
async fn watermarked(
    st: &SharelinkState,
    ctx: &Ctx,
    key: &str,
    path: &SharePath,
    mode: RequestMode,
    dl: Download,
    text: String,
) -> Response {
    use futures::StreamExt;
    let name = path.file_name().unwrap_or("preview").to_owned();
    let app = &st.app;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "preview_too_large",
            "this picture is too large for a watermarked preview",
        )
    };
    if dl.read.entry.size > watermark::MAX_SOURCE_BYTES {
        app.finish(dl.ticket, Outcome::Failed).await;
        return fail(ctx, too_large());
    }
    let headers = [
        (header::CONTENT_TYPE, "image/png".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            disposition("inline", &format!("{name}.png")),
        ),
        (header::CONTENT_SECURITY_POLICY, ATTACHMENT_CSP.to_owned()),
    ];
    if mode == RequestMode::Head {
        app.finish(dl.ticket, Outcome::Failed).await;
        return (StatusCode::OK, headers).into_response();
    }
    let mut source = Vec::with_capacity(usize::try_from(dl.read.entry.size).unwrap_or(0));
    let mut stream = dl.read.stream;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) if (source.len() + b.len()) as u64 <= watermark::MAX_SOURCE_BYTES => {
                source.extend_from_slice(&b);
            }
            Ok(_) => {
                app.finish(dl.ticket, Outcome::Failed).await;
                return fail(ctx, too_large());
            }
            Err(e) => {
                app.finish(dl.ticket, Outcome::Failed).await;
                return download_fail(ctx, key, path, Action::Preview, e.into());
            }
        }
    }
    // Decoding and encoding are CPU work: off the async threads.
    match tokio::task::spawn_blocking(move || watermark::apply(&source, &text)).await {
        Ok(Ok(png)) => {
            app.finish(
                dl.ticket,
                Outcome::Completed {
                    bytes: png.len() as u64,
                },
            )
            .await;
            (StatusCode::OK, headers, png).into_response()
        }
        _ => {
            app.finish(dl.ticket, Outcome::Failed).await;
            fail(
                ctx,
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "preview_unavailable",
                    "this picture could not be read, so it has no preview",
                ),
            )
        }
    }
}

/// Most parts of one multipart/byteranges answer.
const MAX_RANGES: usize = 16;

/// Answers several byte ranges as `multipart/byteranges`: `first` is the download of the
/// first part; the later parts ride on its use (core names the use by session, file and
/// version). The boundary is random.
#[allow(clippy::too_many_arguments)]
async fn ranges_of(
    st: &SharelinkState,
    ctx: &Ctx,
    key: &str,
    sid: &SessionId,
    path: &SharePath,
    action: Action,
    mode: RequestMode,
    first: Download,
    parts: &[(u64, u64)],
) -> Response {
    use futures::StreamExt;
    let app = &st.app;
    let boundary = format!("sharelink-{}", random_token(st, 24));
    let name = path.file_name().unwrap_or("download").to_owned();
    let media = MediaType::of(&name).essence;
    let entry = first.read.entry.clone();
    let size = entry.size;
    let ticket = first.ticket;
    let mut reads = vec![first.read];
    for (start, end) in &parts[1..] {
        let range = ByteRange {
            start: *start,
            end: *end,
        };
        let req = VisitRequest::new(key, sid, &ctx.client, mode);
        match app.download(&req, path, Some(range), action).await {
            Ok(d) => {
                // The later parts belong to the same use (already counted, nothing to refund).
                app.finish(d.ticket, Outcome::Failed).await;
                reads.push(d.read);
            }
            Err(e) => {
                app.finish(ticket, Outcome::Failed).await;
                return download_fail(ctx, key, path, action, e);
            }
        }
    }
    let mut bodies: Vec<ByteStream> = Vec::with_capacity(reads.len() * 2 + 1);
    let mut length: u64 = 0;
    for read in reads {
        let head = Bytes::from(format!(
            "\r\n--{boundary}\r\nContent-Type: {media}\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
            read.range.start,
            read.range.end.saturating_sub(1)
        ));
        length += head.len() as u64 + read.range.len();
        bodies.push(Box::pin(futures::stream::iter([Ok(head)])));
        bodies.push(read.stream);
    }
    let tail = Bytes::from(format!("\r\n--{boundary}--\r\n"));
    length += tail.len() as u64;
    bodies.push(Box::pin(futures::stream::iter([Ok(tail)])));
    let mut res = Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/byteranges; boundary={boundary}"),
        )
        .header(header::CONTENT_LENGTH, length)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::LAST_MODIFIED, http_date(entry.modified))
        .header(header::CACHE_CONTROL, CACHE_CONTROL)
        .header(
            header::CONTENT_DISPOSITION,
            disposition("attachment", &name),
        )
        .header(header::CONTENT_SECURITY_POLICY, ATTACHMENT_CSP);
    if let Some(t) = &entry.etag {
        res = res.header(header::ETAG, etag(t));
    }
    // Never a HEAD: a HEAD ignores ranges.
    let all: ByteStream = Box::pin(futures::stream::iter(bodies).flatten());
    let body = Body::from_stream(SettledBody::new(all, app.clone(), ticket, length));
    res.body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Download-all: the share, or the paths named by `p` fields, as one ZIP stream.
pub(crate) async fn zip(
    st: &SharelinkState,
    ctx: &Ctx,
    key: &str,
    fields: &Fields,
    mode: RequestMode,
) -> Response {
    let sid = match ctx.require_session(key) {
        Ok(s) => s,
        Err(e) => return fail_with_link(ctx, key, e),
    };
    let mut paths = Vec::new();
    for (k, v) in fields {
        if k == "p" && !v.trim().is_empty() {
            match SharePath::parse(v.trim()) {
                Ok(p) => paths.push(p),
                Err(e) => return service_fail(ctx, e.into()),
            }
        }
    }
    let bundle = match st
        .app
        .download_all(&VisitRequest::new(key, &sid, &ctx.client, mode), &paths)
        .await
    {
        Ok(b) => b,
        Err(ServiceError::Denied(Denial::ConfirmationRequired)) if !ctx.json => {
            // The confirm form carries the same selection.
            let hidden: Vec<Hidden> = paths
                .iter()
                .map(|p| Hidden {
                    name: "p",
                    value: p.as_str().to_owned(),
                })
                .collect();
            let all = ctx.look.text("confirm-all-files");
            return confirm_page(ctx, &ctx.share_url(key, "/zip"), &all, hidden);
        }
        Err(e) => return service_fail(ctx, e),
    };
    let name = match paths.as_slice() {
        [one] => format!("{}.zip", one.file_name().unwrap_or("files")),
        _ => "files.zip".to_owned(),
    };
    // A HEAD gets the headers; the archive is never started (no file is opened).
    let body = if mode == RequestMode::Head {
        st.app.finish(bundle.ticket, Outcome::Failed).await;
        Body::empty()
    } else {
        Body::from_stream(crate::zip::stream(st.app.clone(), bundle))
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            disposition("attachment", &name),
        )
        .header(header::CONTENT_SECURITY_POLICY, ATTACHMENT_CSP)
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

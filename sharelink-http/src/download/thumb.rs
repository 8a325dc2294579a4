//! The thumbnail route: a small picture of a shared image for the grid view, decided as
//! a preview by core ([`Sharelink::thumbnail`]: never counted, never a download), drawn
//! once and kept in the file store's cache area, marked per visitor when the share asks.
//!
//! [`Sharelink::thumbnail`]: sharelink_core::service::Sharelink::thumbnail

use super::headers::{disposition, etag, none_match};
use super::{download_fail, header_str};
use crate::client::Ctx;
use crate::thumbnail::{self, RENDITION, ThumbnailError};
use crate::visitor::{fail, fail_with_link, returning_session, service_fail};
use crate::{ApiError, SharelinkState, cpu_jobs};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::policy::RequestMode;
use sharelink_core::ports::FileRead;
use sharelink_core::service::{MAX_THUMBNAIL_BYTES, ServiceError, Thumbnail, VisitRequest};
use sharelink_core::{Action, Denial, SharePath};

/// Browsers keep a thumbnail but ask again before each use (a revoked or expired link
/// stops showing them at once; an unchanged one answers `304`).
const CACHE_CONTROL: &str = "private, no-cache";
/// A marked thumbnail names the visitor and the time: never kept.
const MARKED_CACHE_CONTROL: &str = "private, no-store";
/// A thumbnail is a picture, never a document.
const CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'self'";

/// `GET`/`HEAD /s/{key}/thumb/{*path}`: the thumbnail of a picture.
pub(crate) async fn thumbnail(
    State(st): State<SharelinkState>,
    Path((key, raw)): Path<(String, String)>,
    headers: HeaderMap,
    mut ctx: Ctx,
) -> Response {
    let opened = returning_session(&st, &mut ctx, &key).await;
    let res = answer(&st, &ctx, &key, &raw, &headers).await;
    if opened { ctx.apply(res) } else { res }
}

async fn answer(
    st: &SharelinkState,
    ctx: &Ctx,
    key: &str,
    raw: &str,
    headers: &HeaderMap,
) -> Response {
    let path = match SharePath::parse(raw) {
        Ok(p) => p,
        Err(e) => return service_fail(ctx, e.into()),
    };
    let Some(sid) = ctx.session(key) else {
        return fail_with_link(ctx, key, Denial::NoSession.into());
    };
    let app = &st.app;
    // Core decides the thumbnail as a HEAD of a preview, whatever the mode says.
    let req = VisitRequest::new(key, &sid, &ctx.client, RequestMode::Unconfirmed);
    let thumb = match app.thumbnail(&req, &path, RENDITION).await {
        Ok(t) => t,
        Err(e) => return download_fail(ctx, key, &path, Action::Preview, e),
    };
    let tag = etag(thumb.key.as_str());
    let marked = thumb.watermark.is_some();
    if !marked && header_str(headers, header::IF_NONE_MATCH).is_some_and(|h| none_match(h, &tag)) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, CACHE_CONTROL), (header::ETAG, &tag)],
        )
            .into_response();
    }
    let picture = match picture(st, &thumb).await {
        Ok(p) => p,
        Err(Failure::Service(e)) => return download_fail(ctx, key, &path, Action::Preview, e),
        Err(Failure::Drawing(e)) => return fail(ctx, refusal(&e)),
    };
    let picture = match &thumb.watermark {
        None => picture,
        Some(text) => {
            let text = text.clone();
            match blocking(move || thumbnail::mark(&picture, &text)).await {
                Ok(p) => Bytes::from(p),
                Err(e) => return fail(ctx, refusal(&e)),
            }
        }
    };
    let name = format!("{}.thumb", path.file_name().unwrap_or("picture"));
    let mut res = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                thumbnail::media_type(&picture).to_owned(),
            ),
            (
                header::CACHE_CONTROL,
                if marked {
                    MARKED_CACHE_CONTROL
                } else {
                    CACHE_CONTROL
                }
                .to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition("inline", &name)),
            (header::CONTENT_SECURITY_POLICY, CSP.to_owned()),
        ],
        picture,
    )
        .into_response();
    if !marked && let Ok(v) = tag.parse() {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Why no picture came.
enum Failure {
    Service(ServiceError),
    Drawing(ThumbnailError),
}

/// The unmarked thumbnail: from the cache, or drawn from the original now and kept.
async fn picture(st: &SharelinkState, thumb: &Thumbnail) -> Result<Bytes, Failure> {
    let app = &st.app;
    match app.cached_thumbnail(thumb).await {
        Ok(Some(read)) => match collect(read, MAX_THUMBNAIL_BYTES).await {
            Ok(Some(b)) => return Ok(b),
            // An oversized cache object is not ours to serve: draw it again.
            Ok(None) => {}
            Err(e) => return Err(Failure::Service(e)),
        },
        Ok(None) => {}
        // A cache that cannot be read is drawn around.
        Err(e) => tracing::warn!(
            error = %sharelink_core::telemetry::Chain(&e),
            "thumbnails: the cache cannot be read"
        ),
    }
    if thumb.original.size > thumbnail::MAX_SOURCE_BYTES {
        return Err(Failure::Drawing(ThumbnailError::FileTooLarge {
            max: thumbnail::MAX_SOURCE_BYTES,
        }));
    }
    let read = app
        .thumbnail_source(thumb)
        .await
        .map_err(Failure::Service)?;
    let source = match collect(read, thumbnail::MAX_SOURCE_BYTES).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            return Err(Failure::Drawing(ThumbnailError::FileTooLarge {
                max: thumbnail::MAX_SOURCE_BYTES,
            }));
        }
        Err(e) => return Err(Failure::Service(e)),
    };
    let drawn = blocking(move || thumbnail::draw(&source, RENDITION.edge))
        .await
        .map_err(Failure::Drawing)?;
    let drawn = Bytes::from(drawn);
    if let Err(e) = app.store_thumbnail(thumb, drawn.clone()).await {
        // Served all the same; drawn again next time.
        tracing::warn!(
            error = %sharelink_core::telemetry::Chain(&e),
            "thumbnails: a thumbnail could not be kept in the cache"
        );
    }
    Ok(drawn)
}

/// Reads a whole file into memory, or `None` when it holds more than `max` bytes.
async fn collect(read: FileRead, max: u64) -> Result<Option<Bytes>, ServiceError> {
    if read.entry.size > max {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(usize::try_from(read.entry.size).unwrap_or(0));
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if (out.len() + chunk.len()) as u64 > max {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(out)))
}

/// Runs picture work on the blocking pool, as many jobs at once as the CPU-heavy work of
/// [`crate::TokioBlockingRunner`] (a grid of pictures queues instead of taking every
/// core). A panicking job is an unreadable picture.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, ThumbnailError> + Send + 'static,
) -> Result<T, ThumbnailError> {
    let _permit = cpu_jobs().acquire().await.ok();
    match tokio::task::spawn_blocking(job).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "thumbnails: a drawing job panicked or was cancelled");
            Err(ThumbnailError::Unreadable(image::ImageError::IoError(
                std::io::Error::other("the drawing job failed"),
            )))
        }
    }
}

/// The refusal of a picture no thumbnail can be drawn of: never a server error.
fn refusal(e: &ThumbnailError) -> ApiError {
    match e {
        ThumbnailError::FileTooLarge { .. } | ThumbnailError::TooManyPixels(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "preview_too_large",
            "this picture is too large for a thumbnail",
        ),
        ThumbnailError::Unreadable(_) | ThumbnailError::Encode(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "preview_unavailable",
            "this picture could not be read, so it has no thumbnail",
        ),
    }
}

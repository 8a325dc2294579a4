//! File responses: byte ranges, validators (ETag, Last-Modified), safe
//! `Content-Disposition`, which types may show inline, and the body guard that settles a
//! download's use when the body ends (completed), fails (refunded) or is dropped by a
//! client that went away (aborted, or refunded when nothing was sent).

use bytes::Bytes;
use futures::Stream;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sharelink_core::ports::{ByteStream, FileStoreError};
use sharelink_core::service::{Outcome, Sharelink, UseTicket};
use std::pin::Pin;
use std::task::{Context, Poll};
use time::OffsetDateTime;
use time::macros::format_description;

/// One range of a `Range: bytes=…` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeSpec {
    /// `a-b` (inclusive) or `a-` (`end` = `None`).
    From {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: Option<u64>,
    },
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// Parses a `Range` header; `None` when it is absent, not in bytes, or malformed (the
/// whole file is then served, as RFC 9110 allows).
pub(crate) fn parse_range(header: &str) -> Option<Vec<RangeSpec>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let mut out = Vec::new();
    for part in spec.split(',') {
        let (a, b) = part.trim().split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        if a.is_empty() {
            out.push(RangeSpec::Suffix(b.parse().ok()?));
        } else {
            let start = a.parse().ok()?;
            let end = if b.is_empty() {
                None
            } else {
                Some(b.parse().ok()?)
            };
            if end.is_some_and(|e| e < start) {
                return None;
            }
            out.push(RangeSpec::From { start, end });
        }
    }
    if out.is_empty() || out.len() > 32 {
        return None;
    }
    Some(out)
}

impl RangeSpec {
    /// The half-open range for a file of `size` bytes; `None` when not satisfiable.
    pub(crate) fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            RangeSpec::From { start, end } if start < size => {
                Some((start, end.map_or(size, |e| e.saturating_add(1).min(size))))
            }
            RangeSpec::Suffix(n) if n > 0 && size > 0 => Some((size.saturating_sub(n), size)),
            _ => None,
        }
    }
}

/// The entity tag of a file version, quoted.
pub(crate) fn etag(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"')
        .collect();
    format!("\"{clean}\"")
}

/// Whether an `If-None-Match` value matches `tag` (weak comparison).
pub(crate) fn none_match(header: &str, tag: &str) -> bool {
    let tag = tag.trim_start_matches("W/");
    header.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t.trim_start_matches("W/") == tag
    })
}

/// An HTTP date (IMF-fixdate).
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap_or_default()
}

/// Parses an IMF-fixdate.
pub(crate) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(
        text.trim(),
        format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
    .ok()
    .map(|t| t.assume_utc())
}

const FILENAME_STAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'!')
    .remove(b'+');

/// A `Content-Disposition` value (RFC 6266): an ASCII fallback name and the exact name
/// as `filename*=UTF-8''…` (RFC 5987).
pub(crate) fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';' | '/') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = if fallback.trim().is_empty() {
        "download".to_owned()
    } else {
        fallback
    };
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, FILENAME_STAR)
    )
}

/// The media type of a file name, and whether it is safe to show inline in the site's
/// origin (images except SVG, PDF, plain text, audio and video).
pub(crate) fn media_type(name: &str) -> (&'static str, bool) {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "avif" => ("image/avif", true),
        "bmp" => ("image/bmp", true),
        "ico" => ("image/x-icon", true),
        "pdf" => ("application/pdf", true),
        "txt" | "log" | "md" | "csv" => ("text/plain; charset=utf-8", true),
        "mp3" => ("audio/mpeg", true),
        "wav" => ("audio/wav", true),
        "ogg" | "oga" => ("audio/ogg", true),
        "m4a" => ("audio/mp4", true),
        "flac" => ("audio/flac", true),
        "mp4" | "m4v" => ("video/mp4", true),
        "webm" => ("video/webm", true),
        "mov" => ("video/quicktime", true),
        "ogv" => ("video/ogg", true),
        "zip" => ("application/zip", false),
        "json" => ("application/json", false),
        // Active or unknown content is served as opaque bytes.
        _ => ("application/octet-stream", false),
    }
}

/// A download's body: passes the bytes through and settles the use exactly once —
/// completed once every byte was handed over; failed (refunded) when the store fails, the
/// stream ends short, or the body is dropped before any byte was handed over; aborted (the
/// use stays spent) when the body is dropped after bytes were handed over, which is what
/// the server does when the client's connection goes away.
///
/// "Every byte" is the declared `Content-Length`: the server stops polling a body once it
/// has that many bytes and drops it without asking for the end of the stream, so waiting
/// for the end would refund every complete download.
pub(crate) struct SettledBody {
    inner: ByteStream,
    settle: Option<(Sharelink, UseTicket)>,
    sent: u64,
    length: u64,
}

impl SettledBody {
    /// Wraps `inner`, whose total is `length` bytes (its `Content-Length`); the ticket is
    /// settled exactly once.
    pub(crate) fn new(inner: ByteStream, app: Sharelink, ticket: UseTicket, length: u64) -> Self {
        let mut body = Self {
            inner,
            settle: Some((app, ticket)),
            sent: 0,
            length,
        };
        if length == 0 {
            // Nothing to hand over: a server may never poll an empty body.
            body.settle(Outcome::Completed { bytes: 0 });
        }
        body
    }

    fn settle(&mut self, outcome: Outcome) {
        if let Some((app, ticket)) = self.settle.take() {
            spawn_finish(app, ticket, outcome);
        }
    }
}

/// Settles `ticket` in the background (from `poll` or `Drop`, which cannot wait).
pub(crate) fn spawn_finish(app: Sharelink, ticket: UseTicket, outcome: Outcome) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move { app.finish(ticket, outcome).await });
    }
}

impl Stream for SettledBody {
    type Item = Result<Bytes, FileStoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(b))) => {
                this.sent += b.len() as u64;
                if this.sent >= this.length {
                    let bytes = this.sent;
                    this.settle(Outcome::Completed { bytes });
                }
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.settle(Outcome::Failed);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                let bytes = this.sent;
                let outcome = if bytes < this.length {
                    Outcome::Failed
                } else {
                    Outcome::Completed { bytes }
                };
                this.settle(outcome);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for SettledBody {
    fn drop(&mut self) {
        // Only the server fails a stream (it settles above), so a drop before the end is
        // the client leaving: free when it got nothing, spent once bytes went out.
        self.settle(Outcome::client_left(self.sent));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use sharelink_core::service::{OpenRequest, VisitRequest};
    use sharelink_core::testing::fixtures::{World, client, path, put_file, share_request, user};
    use sharelink_core::{Action, RequestMode, Share, UseLimit};

    /// A one-time share of a file of several read chunks, and a confirmed download of it.
    async fn opened() -> (World, Share, sharelink_core::service::Download) {
        let w = World::new();
        put_file(&*w.mem.files, "docs/big.bin", &[7u8; 300 * 1024]).await;
        let share = w
            .app
            .create_share(
                &user("ana"),
                share_request(&["docs/big.bin"], |s| {
                    s.use_limit = Some(UseLimit::ONE_TIME)
                }),
            )
            .await
            .unwrap()
            .share;
        let c = client("b1");
        let visit = w
            .app
            .open(OpenRequest {
                key: share.key.as_str(),
                client: &c,
                recipient_code: None,
                access_code: None,
                mode: RequestMode::Confirmed,
            })
            .await
            .unwrap();
        let sid = visit.session.unwrap().id;
        let dl = w
            .app
            .download(
                &VisitRequest::new(share.key.as_str(), &sid, &c, RequestMode::Confirmed),
                &path("big.bin"),
                None,
                Action::Download,
            )
            .await
            .unwrap();
        (w, share, dl)
    }

    /// The share's use count once the background settle has run.
    async fn uses_after_settling(w: &World, share: &Share) -> u32 {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        w.app.get_share(&user("ana"), share.id).await.unwrap().uses
    }

    #[tokio::test]
    async fn a_body_dropped_before_any_byte_is_refunded() {
        let (w, share, dl) = opened().await;
        assert_eq!(
            w.app.get_share(&user("ana"), share.id).await.unwrap().uses,
            1
        );
        let len = dl.read.range.len();
        drop(SettledBody::new(
            dl.read.stream,
            w.app.clone(),
            dl.ticket,
            len,
        ));
        assert_eq!(uses_after_settling(&w, &share).await, 0);
    }

    #[tokio::test]
    async fn a_body_dropped_after_bytes_is_spent_and_a_store_error_refunded() {
        let (w, share, dl) = opened().await;
        let len = dl.read.range.len();
        let mut body = SettledBody::new(dl.read.stream, w.app.clone(), dl.ticket, len);
        let first = body.next().await.unwrap().unwrap();
        assert!(!first.is_empty() && (first.len() as u64) < len);
        drop(body);
        assert_eq!(uses_after_settling(&w, &share).await, 1);

        let (w, share, dl) = opened().await;
        let failing: ByteStream =
            Box::pin(dl.read.stream.take(1).chain(futures::stream::iter([Err(
                FileStoreError::Unreachable {
                    store: "test",
                    source: "store cut".into(),
                },
            )])));
        let mut body = SettledBody::new(failing, w.app.clone(), dl.ticket, len);
        assert!(body.next().await.unwrap().is_ok());
        assert!(body.next().await.unwrap().is_err());
        drop(body);
        assert_eq!(uses_after_settling(&w, &share).await, 0);
    }

    #[test]
    fn ranges_parse_and_resolve() {
        let r = parse_range("bytes=0-4, -3,10-").unwrap();
        assert_eq!(r[0].resolve(20), Some((0, 5)));
        assert_eq!(r[1].resolve(20), Some((17, 20)));
        assert_eq!(r[2].resolve(20), Some((10, 20)));
        assert_eq!(r[2].resolve(5), None);
        assert_eq!(parse_range("bytes=5-1"), None);
        assert_eq!(parse_range("items=0-1"), None);
    }

    #[test]
    fn disposition_has_ascii_fallback_and_utf8_name() {
        assert_eq!(
            disposition("attachment", "résumé \"x\";.pdf"),
            "attachment; filename=\"r_sum_ _x__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22%3B.pdf"
        );
    }

    #[test]
    fn http_dates_round_trip() {
        let t = time::macros::datetime!(2026-11-23 09:00:05 UTC);
        let s = http_date(t);
        assert_eq!(s, "Mon, 23 Nov 2026 09:00:05 GMT");
        assert_eq!(parse_http_date(&s), Some(t));
    }

    #[test]
    fn svg_and_html_are_not_inline() {
        assert!(!media_type("a.svg").1);
        assert!(!media_type("a.html").1);
        assert!(media_type("a.PNG").1);
    }
}

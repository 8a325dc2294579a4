//! The body guard that settles a download's use when the body ends (completed), fails
//! (refunded) or is dropped by a client that went away (aborted, or refunded when nothing
//! was sent).

use bytes::Bytes;
use futures::Stream;
use sharelink_core::ports::{ByteStream, FileStoreError};
use sharelink_core::service::{Outcome, Sharelink, UseTicket};
use std::pin::Pin;
use std::task::{Context, Poll};

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
        // Counted so that a server shutting down waits for it (see `serve`).
        let settling = crate::serve::Settling::begin();
        handle.spawn(async move {
            app.finish(ticket, outcome).await;
            drop(settling);
        });
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
}

//! A server for the sharelink router that defends itself: header-read and idle timeouts,
//! connection limits (in total and per client address), HTTP/1 and HTTP/2, and a
//! graceful shutdown that lets transfers in flight finish and settles their uses.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use futures::task::AtomicWaker;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The limits [`serve`] holds every connection to.
///
/// The defaults suit a server reached directly by browsers. Behind a reverse proxy every
/// connection comes from the proxy's address: raise
/// [`max_connections_per_address`](Self::max_connections_per_address) to
/// [`max_connections`](Self::max_connections) there (the proxy does the per-client
/// limiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client may take to send a request's headers (HTTP/1), and to send its
    /// first byte on a new connection; a connection that takes longer is closed.
    /// Default 10 s.
    ///
    /// hyper also runs this timer while a kept-alive HTTP/1 connection waits for its next
    /// request, so such a connection idles at most the shorter of this and
    /// [`idle_timeout`](Self::idle_timeout).
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight and nothing
    /// received before it is closed (HTTP/1 keep-alive and HTTP/2). Default 60 s.
    pub idle_timeout: Duration,
    /// Connections open at once; one more is closed as soon as it is accepted. Keep it
    /// under the process's open-file limit, with room for files and the database.
    /// Default 1,024.
    pub max_connections: usize,
    /// Connections open at once from one client address; one more from that address is
    /// closed as soon as it is accepted, and other addresses are still served.
    /// Default 64.
    pub max_connections_per_address: usize,
    /// After shutdown is asked, how long responses in flight (a long download) may take
    /// to finish before their connections are cut. Default 30 s.
    pub grace_period: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_connections_per_address: 64,
            grace_period: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets the
/// responses in flight finish (at most [`ServeLimits::grace_period`]) and waits for the
/// uses of the downloads they carried to be settled.
///
/// Every connection speaks HTTP/1.1 or HTTP/2 (prior knowledge, as behind a TLS-ending
/// proxy), has `TCP_NODELAY` set, and hands the router the client address as
/// [`ConnectInfo<SocketAddr>`] (what [`HttpConfig::trusted_proxies`](crate::HttpConfig)
/// and the brute-force limits read). Failures to accept (such as running out of file
/// descriptors) are logged and retried, never fatal.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// use sharelink_http::{ServeLimits, serve};
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// // In a binary: `tokio::signal::ctrl_c()`, or SIGTERM (how containers are stopped).
/// let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let stop = async {
///     let _ = stopped.await;
/// };
/// serve(listener, app, ServeLimits::default(), stop).await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let slots = Slots::new(&limits);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Usually out of file descriptors: connections closing free them.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let Some(slot) = slots.take(remote.ip()) else {
            tracing::debug!(%remote, "connection refused: too many open");
            continue;
        };
        // Small responses stall ~40 ms per request without it (Nagle meets delayed ACKs).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%remote, error = %e, "TCP_NODELAY could not be set");
        }
        let activity = Arc::new(Activity::default());
        let io = TokioIo::new(IdleStream::new(tcp, activity.clone(), &limits));
        let router = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            let in_flight = InFlight::begin(activity.clone());
            let answer = router.clone().oneshot(request);
            async move {
                let response = answer.await?;
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    Body::new(TrackedBody {
                        body,
                        _in_flight: in_flight,
                    })
                }))
            }
        });
        let connection = graceful.watch(builder.serve_connection(io, service).into_owned());
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    let deadline = Instant::now() + limits.grace_period;
    if tokio::time::timeout_at(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "grace period over: cutting the connections still open"
        );
    }
    connections.shutdown().await;
    if tokio::time::timeout_at(deadline, settled()).await.is_err() {
        tracing::warn!("grace period over: some download uses are still being settled");
    }
}

/// The connection slots: a semaphore for the total and a count per client address.
struct Slots {
    total: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_address: usize,
}

/// One connection's place in [`Slots`], given back on drop.
struct Slot {
    _total: OwnedSemaphorePermit,
    address: IpAddr,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Slots {
    fn new(limits: &ServeLimits) -> Self {
        Self {
            total: Arc::new(Semaphore::new(limits.max_connections)),
            per_address: Arc::default(),
            max_per_address: limits.max_connections_per_address,
        }
    }

    /// A slot for a connection from `address`, or `None` when either limit is reached.
    fn take(&self, address: IpAddr) -> Option<Slot> {
        let total = self.total.clone().try_acquire_owned().ok()?;
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(address).or_default();
        if *count >= self.max_per_address {
            return None;
        }
        *count += 1;
        Some(Slot {
            _total: total,
            address,
            per_address: self.per_address.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// What a connection is doing: requests in flight and when it last received a byte or
/// finished a response.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
    received: AtomicBool,
    /// The reader parked while requests were in flight, woken when the last one ends so
    /// its idle timer starts.
    reader: AtomicWaker,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
            received: AtomicBool::new(false),
            reader: AtomicWaker::new(),
        }
    }
}

impl Activity {
    fn touch(&self) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A request in flight on a connection, from its head until its response body is
/// dropped (sent, or abandoned).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.reader.wake();
        }
    }
}

/// A response body that keeps its request counted as in flight until it is dropped.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A TCP stream that reads as ended once the connection has been idle too long, which
/// hyper takes as the client closing (hyper has no idle timeout of its own).
struct IdleStream {
    tcp: TcpStream,
    activity: Arc<Activity>,
    idle: Pin<Box<Sleep>>,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
}

impl IdleStream {
    fn new(tcp: TcpStream, activity: Arc<Activity>, limits: &ServeLimits) -> Self {
        Self {
            tcp,
            activity,
            idle: Box::pin(tokio::time::sleep(limits.header_read_timeout)),
            first_byte_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }

    /// Whether the connection has been idle too long; when not, the timer is set to wake
    /// the reader when it would be.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.activity.reader.register(cx.waker());
        if self.activity.in_flight.load(Ordering::SeqCst) > 0 {
            return Poll::Pending;
        }
        let allowed = if self.activity.received.load(Ordering::Relaxed) {
            self.idle_timeout
        } else {
            self.first_byte_timeout
        };
        let deadline = self.activity.last() + allowed;
        if self.idle.deadline() != deadline {
            self.idle.as_mut().reset(deadline);
        }
        self.idle.as_mut().poll(cx)
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.activity.received.store(true, Ordering::Relaxed);
                this.activity.touch();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(done) => Poll::Ready(done),
            // Reading nothing into `buf` is the end of the stream: hyper closes.
            Poll::Pending => this.poll_idle(cx).map(Ok),
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// Uses of downloads whose settling is under way in the background.
static SETTLING: LazyLock<watch::Sender<usize>> = LazyLock::new(|| watch::Sender::new(0));

/// A use being settled in the background: [`serve`] waits for it before returning, so a
/// download that finished during shutdown is counted before the process ends.
#[derive(Debug)]
pub(crate) struct Settling(());

impl Settling {
    /// Counts one more settling under way until the guard is dropped.
    pub(crate) fn begin() -> Self {
        SETTLING.send_modify(|n| *n += 1);
        Self(())
    }
}

impl Drop for Settling {
    fn drop(&mut self) {
        SETTLING.send_modify(|n| *n -= 1);
    }
}

/// Completes when no use is being settled (in this process: every server shares it).
async fn settled() {
    let _ = SETTLING.subscribe().wait_for(|n| *n == 0).await;
}

/// Most uses settled in the background at once before a new download waits: settling
/// writes the download's log row, and when downloads end faster than the database takes
/// rows, the settlings (each holding its share and session) would pile up without bound.
pub(crate) const MAX_SETTLING: usize = 1024;

/// Completes once fewer than [`MAX_SETTLING`] uses are being settled: downloads wait here
/// before they start, so a slow database slows them down instead of filling memory.
pub(crate) async fn settling_room() {
    let _ = SETTLING.subscribe().wait_for(|n| *n < MAX_SETTLING).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn downloads_wait_while_too_many_uses_are_being_settled() {
        let mut under_way: Vec<Settling> = (0..MAX_SETTLING).map(|_| Settling::begin()).collect();
        let waiting = tokio::spawn(settling_room());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a download started past the bound");
        under_way.pop();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("room once one settling ended")
            .expect("the waiter ran");
    }

    #[test]
    fn a_slot_is_refused_past_either_limit_and_given_back_on_drop() {
        let slots = Slots::new(&ServeLimits {
            max_connections: 3,
            max_connections_per_address: 2,
            ..ServeLimits::default()
        });
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert!(slots.take(a).is_none(), "a third from one address");
        let _third = slots.take(b).unwrap();
        assert!(slots.take(b).is_none(), "a fourth in total");
        drop(first);
        assert!(slots.take(a).is_some(), "the slot was given back");
    }
}

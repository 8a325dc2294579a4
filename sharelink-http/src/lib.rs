//! The axum router of sharelink: visitor pages (HTML that works without JavaScript, or
//! JSON with `Accept: application/json`) and the management JSON API, to nest into the
//! embedder's own axum application.
//!
//! The embedder supplies identity through an [`Authenticator`] (who is signed in, if
//! anyone) and permissions through core's permission-directory port; every rule lives in
//! [`sharelink_core`], this crate only translates HTTP to and from its use cases.
//!
//! ```
//! use std::sync::Arc;
//! use axum::http::request::Parts;
//! use sharelink_core::UserId;
//! use sharelink_core::service::Sharelink;
//! use sharelink_http::{SharelinkState, Authenticator, HttpConfig};
//!
//! /// Reads the embedder's own session (here: a trusted header, for the example only).
//! #[derive(Debug)]
//! struct HeaderAuth;
//!
//! #[async_trait::async_trait]
//! impl Authenticator for HeaderAuth {
//!     async fn user(&self, parts: &Parts) -> Option<UserId> {
//!         let name = parts.headers.get("x-user")?.to_str().ok()?;
//!         UserId::parse(name).ok()
//!     }
//! }
//!
//! fn app(sharelink: Sharelink) -> axum::Router {
//!     let state = SharelinkState::new(sharelink, Arc::new(HeaderAuth), HttpConfig::default());
//!     axum::Router::new()
//!         .route("/", axum::routing::get(|| async { "my app" }))
//!         .nest("/share", sharelink_http::router(state))
//! }
//! # let _ = app;
//! ```
//!
//! Visitors then open `/share/s/{key}`; the management API lives under `/share/api`.
//! Set [`sharelink_core::service::Config::link_base`] to the public address of
//! `/share/s/` ([`link_base`] builds it) so generated links point here; a link base that
//! does not match where visitors arrive, or a server that gives no client address, is
//! reported once ([`SharelinkState::wiring_problems`] and a `tracing` warning).
//!
//! # Routes
//! | route | what |
//! |---|---|
//! | `GET /s/{key}` (`?p=folder`, `?r=recipient code`, `?code=access code`) | open a link: the next gate's page, or the share page |
//! | `POST /s/{key}/open` | open with confirmation (when opening counts a use) |
//! | `POST /s/{key}/password`, `/email`, `/code`, `/register`, `/terms` | the gates |
//! | `GET`/`HEAD`/`POST /s/{key}/dl/{*path}` | download (Range, ETag, conditional requests); `POST` confirms a counted download |
//! | `GET`/`POST /s/{key}/preview/{*path}` | preview: inline only for safe types (Range, ETag as downloads); when the share asks for a watermark, images are sent as a marked PNG and other files have no preview |
//! | `GET /s/{key}/view/{*path}` | a file's preview page: the picture, `<video>`/`<audio>` player, PDF (`<object>`) or text (sandboxed `<iframe>`), loaded from the preview route |
//! | `GET /s/{key}/thumb/{*path}` | a picture's thumbnail (256 px, JPEG or PNG) for the grid view (`?view=grid` on the share page, remembered in a cookie): decided as a preview, never counted nor logged, absent where previews are counted; drawn once and cached under `Config::cache_root`; marked per visitor on a watermarked share |
//! | `GET`/`POST /s/{key}/zip` (`p=` paths) | download all as a streamed ZIP64 archive |
//! | `POST /s/{key}/upload` (multipart: `csrf`, `folder`, `file`…) | upload, streamed to storage; answers a redirect to the folder's page with `uploaded=N` (the page says what was stored), or JSON `{"uploaded": [...], "next": page}` |
//! | `POST /s/{key}/mkdir`, `/rename`, `/move`, `/delete` | changes (full level) |
//! | `GET /s/{key}/embed`, `GET /widget.js` | the embeddable widget |
//! | `/api/…` | management JSON API; its OpenAPI document is `GET /api/openapi.json` |
//!
//! Every state-changing visitor request carries the CSRF token of the `sl_csrf` cookie
//! (form field `csrf` or header `X-CSRF-Token`). Every `POST`, `PATCH` and `DELETE` of
//! the management API sends `Content-Type: application/json` (a JSON body, `{}` when
//! there is nothing to say) or the `X-Sharelink-Request: 1` header, neither of which a
//! plain HTML form can send, and is refused when `Origin` (or, without it,
//! `Sec-Fetch-Site`) shows another site ([`HttpConfig::allowed_origins`] lists trusted
//! ones). Errors answer `{"error": code, "message": …}` as JSON (with `field` when one
//! request field is at fault), or a friendly page.
//!
//! # Serving
//! [`serve`] runs the application the way a public server must: slow-header and idle
//! connections are closed, connections are limited in total and per client address
//! ([`ServeLimits`]), HTTP/1.1 and HTTP/2 are spoken, and a shutdown lets downloads in
//! flight finish and settles their uses. It sets `TCP_NODELAY` (without it small
//! responses stall ~40 ms when Nagle's algorithm meets delayed ACKs: a 4 KiB file went
//! from ~870 to ~9,000 requests/s on loopback) and gives the router the client address
//! (IP allow-lists, brute-force limits, the access log); behind a reverse proxy, list it in
//! [`HttpConfig::trusted_proxies`].
//!
//! With `axum::serve` instead, set `TCP_NODELAY` on every accepted socket and serve
//! `into_make_service_with_connect_info::<SocketAddr>()`; it has no header or idle
//! timeout, so put it behind a proxy that has them.
//!
//! # Production wiring
//! Use [`TokioBlockingRunner`] as core's `BlockingRunner` so argon2 never blocks the
//! async runtime.

mod client;
mod download;
mod error;
mod housekeeper;
mod manage;
mod observe;
mod pages;
mod qr;
mod serve;
mod thumbnail;
mod visitor;
mod watermark;
mod webhooks;
mod wiring;
mod zip;

pub use error::ApiError;
pub use housekeeper::{Housekeeper, spawn_housekeeper};
pub use manage::request::from_this_site;
pub use pages::{PageTheme, ThemeError, TranslationError};
pub use serve::{ServeLimits, serve};
/// The core crate, re-exported so an embedder depends on one version of both: use
/// `sharelink_http::sharelink_core::…`.
pub use sharelink_core;
pub use sharelink_core::text::escape_html;
pub use webhooks::{HyperWebhookTransport, TransportError, spawn_webhook_worker};
pub use wiring::{WiringProblem, link_base};

/// Internals exposed for fuzzing and property tests only; not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::zip::archive_in_memory;

    /// The byte ranges a `Range` header asks of a file of `size` bytes (half-open), or
    /// `None` when the header is absent from consideration (malformed, not bytes).
    pub fn range_header(header: &str, size: u64) -> Option<Vec<Option<(u64, u64)>>> {
        crate::download::headers::parse_range(header)
            .map(|specs| specs.into_iter().map(|s| s.resolve(size)).collect())
    }

    /// The `Content-Disposition` value for a file name.
    pub fn content_disposition(kind: &str, name: &str) -> String {
        crate::download::headers::disposition(kind, name)
    }
}

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use sharelink_core::UserId;
use sharelink_core::ports::{BlockingJob, BlockingRunner};
use sharelink_core::service::Sharelink;
use std::net::IpAddr;
use std::sync::Arc;

/// Tells who is signed in to the embedding application.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// The signed-in user of the request, if any (read the embedder's session cookie,
    /// bearer token, …). `None` means anonymous.
    async fn user(&self, parts: &Parts) -> Option<UserId>;

    /// How a client of the management API proves who it is, declared as the security
    /// scheme of its OpenAPI document (`/api/openapi.json`). `None` (the default)
    /// declares none; the document still answers 401 on every operation.
    fn api_credential(&self) -> Option<ApiCredential> {
        None
    }
}

/// What [`Authenticator::user`] reads, as the management API's OpenAPI document
/// declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiCredential {
    /// A session cookie of this name (set by the embedder's own sign-in).
    Cookie(String),
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// A header of this name carrying a key.
    Header(String),
}

/// An authenticator that never recognises anyone (visitor-only deployments).
#[derive(Debug, Default, Clone, Copy)]
pub struct Anonymous;

#[async_trait::async_trait]
impl Authenticator for Anonymous {
    async fn user(&self, _parts: &Parts) -> Option<UserId> {
        None
    }
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Proxies whose `X-Forwarded-For` is believed. The client address is the last
    /// address in the chain that is not a trusted proxy.
    pub trusted_proxies: Vec<IpAddr>,
    /// Mark cookies `Secure` (set this whenever the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Largest body of a form or JSON request, in bytes.
    pub max_form_bytes: usize,
    /// Largest upload request (all files of one request), in bytes.
    pub max_upload_bytes: u64,
    /// The CSP `frame-ancestors` sources allowed to frame the embeddable widget
    /// (`/s/{key}/embed`), e.g. `https://intranet.example.com`; every other page refuses
    /// framing.
    pub widget_ancestors: String,
    /// Origins other than the request's own (`https://admin.example.com`) whose pages may
    /// send state-changing management API requests. The API refuses every other
    /// cross-origin `POST`, `PATCH` or `DELETE` (by `Origin`, or `Sec-Fetch-Site` when no
    /// `Origin` is sent).
    pub allowed_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            secure_cookies: true,
            max_form_bytes: 64 * 1024,
            max_upload_bytes: 10 * 1024 * 1024 * 1024,
            widget_ancestors: "*".to_owned(),
            allowed_origins: Vec::new(),
        }
    }
}

/// What every route needs: the application, the authenticator and the HTTP settings.
/// (Not named `AppState`, the name most axum applications give their own state.)
#[derive(Debug, Clone)]
pub struct SharelinkState {
    pub(crate) app: Sharelink,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) config: Arc<HttpConfig>,
    pub(crate) wiring: Arc<wiring::Wiring>,
    /// The visitor pages' templates and translations.
    pub(crate) pages: Arc<pages::theme::Pages>,
}

impl SharelinkState {
    /// The state for [`router`], with the default look of the visitor pages.
    pub fn new(app: Sharelink, auth: Arc<dyn Authenticator>, config: HttpConfig) -> Self {
        let pages = match pages::theme::Pages::build(&PageTheme::default()) {
            Ok(p) => p,
            // The embedded defaults are checked by the crate's tests; were they broken,
            // pages answer a plain error page rather than the process stopping.
            Err(e) => {
                tracing::error!(error = %e, "the default page templates do not load");
                pages::theme::Pages::empty()
            }
        };
        Self {
            app,
            auth,
            config: Arc::new(config),
            wiring: Arc::default(),
            pages: Arc::new(pages),
        }
    }

    /// The same state with the visitor pages drawn by `theme` (templates and stylesheet
    /// replaced by the embedder's). Parses every template now.
    ///
    /// ```
    /// # fn f(state: sharelink_http::SharelinkState) -> Result<(), sharelink_http::ThemeError> {
    /// use sharelink_http::PageTheme;
    /// let state = state.with_theme(
    ///     PageTheme::new().with_stylesheet("body{font-family:Georgia,serif}"),
    /// )?;
    /// # let _ = state; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ThemeError`] when a template does not parse or is not one of the pages.
    pub fn with_theme(mut self, theme: PageTheme) -> Result<Self, ThemeError> {
        self.pages = Arc::new(pages::theme::Pages::build(&theme)?);
        Ok(self)
    }

    /// The wiring mistakes seen while serving so far, each once (also logged once as a
    /// `tracing` warning): check it in a health check or a test of your wiring.
    pub fn wiring_problems(&self) -> Vec<WiringProblem> {
        self.wiring.problems()
    }

    /// The application.
    pub fn sharelink(&self) -> &Sharelink {
        &self.app
    }
}

/// Runs argon2 and other CPU-heavy work on tokio's blocking pool, at most cores − 1 jobs
/// at once process-wide (one on a 1- or 2-core machine): a crowd of password guessers
/// then queues for its hashes instead of taking every core from the async runtime and
/// the downloads it serves.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioBlockingRunner;

/// The permits of [`TokioBlockingRunner`]: cores − 1, at least 1.
pub(crate) fn cpu_jobs() -> &'static tokio::sync::Semaphore {
    static JOBS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    JOBS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

#[async_trait::async_trait]
impl BlockingRunner for TokioBlockingRunner {
    async fn run(&self, job: BlockingJob) {
        // The semaphore is never closed; were it, the job would run unqueued.
        let _permit = cpu_jobs().acquire().await.ok();
        // A panicking job leaves its result slot empty, which core reports as cancelled.
        if let Err(e) = tokio::task::spawn_blocking(job).await {
            tracing::error!(error = %e, "a blocking job panicked or was cancelled");
        }
    }
}

/// Runs the mail worker ([`Sharelink::deliver_mail`]) every `every` on the current tokio
/// runtime, up to 100 mails a run (a full run starts the next at once), until the
/// returned handle is aborted. Queue errors are logged and retried on the next tick.
/// Several processes may each run one: every mail is claimed by one worker.
pub fn spawn_mail_worker(
    app: Sharelink,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    const BATCH: u32 = 100;
    tokio::spawn(async move {
        loop {
            match app.deliver_mail(BATCH).await {
                Ok(d) => {
                    if d != sharelink_core::service::Delivery::default() {
                        tracing::info!(
                            sent = d.sent,
                            retrying = d.retrying,
                            dead = d.dead,
                            expired = d.expired,
                            "mail worker"
                        );
                    }
                    if d.sent + d.retrying + d.dead + d.expired >= BATCH {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(
                    error = %sharelink_core::telemetry::Chain(&e),
                    "mail worker: the queue failed"
                ),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The sharelink router: visitor routes under `/s/{key}` and the management API under
/// `/api`. Nest it wherever you like (`app.nest("/share", router(state))`); it carries
/// its own state, so it fits a router whose state is still pending (`Router<S>`).
pub fn router<S>(state: SharelinkState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let form_limit = state.config.max_form_bytes;
    Router::new()
        .merge(visitor::routes(form_limit, state.config.max_upload_bytes))
        .nest("/api", manage::routes(&state))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(observe::request))
        .with_state(state)
}

/// Strict headers on every response; a route may have set its own CSP (downloads).
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    // Only the widget's page sets its own `frame-ancestors`; everything else refuses
    // framing.
    let framable = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|csp| !csp.contains("frame-ancestors 'none'"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'",
        ));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !framable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

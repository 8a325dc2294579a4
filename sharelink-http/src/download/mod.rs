//! File routes: download and preview of one file (with ranges and validators), and
//! download-all as a ZIP stream. [`serve`] builds the answers, [`body`] settles a
//! download's use when its body ends, [`headers`] reads and writes the HTTP headers.

pub(crate) mod body;
pub(crate) mod headers;
mod serve;
mod thumb;

pub(crate) use thumb::thumbnail;

use crate::client::Ctx;
use crate::pages::{confirm_download_page, url_path};
use crate::visitor::{Fields, fail_with_link, posted_session, returning_session, service_fail};
use crate::{ApiError, SharelinkState};
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use sharelink_core::policy::RequestMode;
use sharelink_core::ports::FileStoreError;
use sharelink_core::service::ServiceError;
use sharelink_core::{Action, Denial, SharePath};

// ----- downloads and previews ----------------------------------------------------------

/// Download (`PREVIEW` false) or preview of one file: one handler for GET, HEAD and the
/// POST of a confirm button.
pub(crate) async fn file<const PREVIEW: bool>(
    State(st): State<SharelinkState>,
    Path((key, path)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    mut ctx: Ctx,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let action = if PREVIEW {
        Action::Preview
    } else {
        Action::Download
    };
    let (mode, with_cookies, _) =
        match request_mode(&st, &mut ctx, &key, &method, &headers, form).await {
            Ok(m) => m,
            Err(res) => return res,
        };
    let res = serve::file(&st, &ctx, &key, &path, action, mode, &headers).await;
    if with_cookies { ctx.apply(res) } else { res }
}

/// Download-all (of the share, or of the paths named by `p` fields) as one ZIP stream.
pub(crate) async fn zip(
    State(st): State<SharelinkState>,
    Path(key): Path<String>,
    method: Method,
    headers: HeaderMap,
    mut ctx: Ctx,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let (mode, with_cookies, fields) =
        match request_mode(&st, &mut ctx, &key, &method, &headers, form).await {
            Ok(m) => m,
            Err(res) => return res,
        };
    let res = serve::zip(&st, &ctx, &key, &fields, mode).await;
    if with_cookies { ctx.apply(res) } else { res }
}

/// How a file route's request counts, and whether its answer carries cookies; a GET or
/// POST first waits while too many downloads are being settled
/// ([`crate::serve::settling_room`]). A POST (a confirm button) is confirmed, once its
/// CSRF token is checked, in the visitor's session or one opened now. A HEAD never counts and stores nothing. A GET is not confirmed; a
/// returning browser without a session of this share gets one opened (then the answer
/// carries its cookie).
async fn request_mode(
    st: &SharelinkState,
    ctx: &mut Ctx,
    key: &str,
    method: &Method,
    headers: &HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Result<(RequestMode, bool, Fields), Response> {
    // A GET's fields are its query; a HEAD's are ignored (nothing is decided on them).
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(rejection) if *method == Method::POST => return Err(rejection.into_response()),
        Err(_) => Fields::new(),
    };
    if *method == Method::HEAD {
        // Settles nothing: never waits.
        return Ok((RequestMode::Head, false, fields));
    }
    crate::serve::settling_room().await;
    if *method == Method::POST {
        posted_session(st, ctx, key, headers, &fields).await?;
        Ok((RequestMode::Confirmed, true, fields))
    } else {
        let opened = returning_session(st, ctx, key).await;
        Ok((RequestMode::Unconfirmed, opened, fields))
    }
}

pub(crate) fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn download_fail(
    ctx: &Ctx,
    key: &str,
    path: &SharePath,
    action: Action,
    e: ServiceError,
) -> Response {
    match e {
        ServiceError::Denied(Denial::ConfirmationRequired) if !ctx.json => {
            let seg = if action == Action::Preview {
                "preview"
            } else {
                "dl"
            };
            confirm_download_page(
                ctx,
                &ctx.share_url(key, &format!("/{seg}/{}", url_path(path.as_str()))),
                path.file_name().unwrap_or_default(),
            )
        }
        ServiceError::Denied(Denial::NoSession) => {
            fail_with_link(ctx, key, Denial::NoSession.into())
        }
        e @ ServiceError::Storage(FileStoreError::RangeNotSatisfiable { size }) => {
            let mut res = ApiError::from(e).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
        e => service_fail(ctx, e),
    }
}

// ----- download all --------------------------------------------------------------------

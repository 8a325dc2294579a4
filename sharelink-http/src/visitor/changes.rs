//! Uploads (files and whole folders, streamed to the store) and the changes of the full
//! level: new folder, rename, move or copy, delete.

use super::{
    Fields, back_to_folder, fail, fail_with_link, failure_text, failure_title, field, folder_url,
    parse_path, posted_session,
};
use crate::client::Ctx;
use crate::pages::upload_failed_page;
use crate::{ApiError, SharelinkState};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use bytes::Bytes;
use sharelink_core::model::path::strip_invisible;
use sharelink_core::policy::RequestMode;
use sharelink_core::ports::{ByteStream, FileStoreError};
use sharelink_core::service::{ServiceError, Visit, VisitRequest};
use sharelink_core::{Capability, SharePath};
use tokio::sync::mpsc;

// ----- uploads and changes -------------------------------------------------------------

/// The file name a browser sent, as folders and a name: a folder upload sends
/// `dir/sub/file`; old browsers send a Windows path, of which only the name counts. The
/// folders are cleaned of invisible characters as the file's name is (they come from the
/// uploader's system, not typed here).
pub(crate) fn upload_name(raw: &str) -> (Vec<String>, String) {
    let name = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let dirs = if raw.contains('\\') {
        Vec::new()
    } else {
        let mut parts: Vec<&str> = raw.split('/').collect();
        parts.pop();
        parts
            .into_iter()
            .map(|p| strip_invisible(p).trim().to_owned())
            .filter(|p| !p.is_empty() && p != "." && p != "..")
            .collect()
    };
    (dirs, name)
}

/// Why a multipart body failed (too large, cut off, malformed).
pub(crate) fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    let text = e.body_text();
    // axum reports a body over the limit met mid-stream with a 400 status but the
    // limit's message.
    let status = if text.contains("too large") {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        e.status()
    };
    ApiError::new(status, "upload_failed", text)
}

/// A multipart part as a stream for the file store, and the pump to run beside the
/// store's write (`tokio::join!`): nothing is buffered whole. The pump reports why the
/// request body failed (too large, cut off), so the answer names that rather than the
/// storage error it causes.
pub(crate) fn part_stream(
    mut part: axum::extract::multipart::Field<'_>,
) -> (ByteStream, impl Future<Output = Option<ApiError>> + '_) {
    let (tx, rx) = mpsc::channel::<Result<Bytes, FileStoreError>>(4);
    let stream: ByteStream = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let pump = async move {
        loop {
            match part.chunk().await {
                Ok(Some(b)) => {
                    if tx.send(Ok(b)).await.is_err() {
                        return None;
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    let why = multipart_error(&e);
                    let _ = tx
                        .send(Err(FileStoreError::Aborted {
                            source: Box::new(e),
                        }))
                        .await;
                    return Some(why);
                }
            }
        }
    };
    (stream, pump)
}

/// The answer to an upload that stopped at `file` (if it got that far) after `stored`
/// files: the error as JSON, or a page that says why with a link back to the form.
fn upload_failed(
    ctx: &Ctx,
    key: &str,
    folder: &SharePath,
    file: Option<&str>,
    stored: usize,
    err: ApiError,
) -> Response {
    if ctx.json {
        return err.into_response();
    }
    upload_failed_page(
        ctx,
        err.status,
        &failure_title(ctx, err.code),
        &failure_text(ctx, err.code, &err.message),
        file,
        stored,
        &folder_url(ctx, key, folder, None),
    )
}

/// Takes an upload form (`csrf`, `folder`, then `file` parts; a folder upload names each
/// file by its relative path) and answers with the folder's page, which says how many
/// files were stored (`?uploaded=N`), or as JSON with the stored entries and that page's
/// address (`{"uploaded": [...], "next": url}`).
pub(crate) async fn upload(
    State(st): State<SharelinkState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    ctx: Ctx,
    mut multipart: Multipart,
) -> Response {
    let sid = match ctx.require_session(&key) {
        Ok(s) => s,
        Err(e) => return fail_with_link(&ctx, &key, e),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > st.config.max_upload_bytes) {
        return upload_failed(
            &ctx,
            &key,
            &SharePath::root(),
            None,
            0,
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload_failed",
                "the upload is larger than this site accepts",
            ),
        );
    }
    let mut csrf_ok = ctx
        .check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
        .is_ok();
    let mut folder = SharePath::root();
    let mut uploaded = Vec::new();
    let mut keep_folders: Option<bool> = None;
    loop {
        let part = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let n = uploaded.len();
                return upload_failed(&ctx, &key, &folder, None, n, multipart_error(&e));
            }
        };
        let file_name = part.file_name().map(upload_name);
        match (part.name(), file_name) {
            (Some("csrf"), None) => {
                let v = part.text().await.unwrap_or_default();
                csrf_ok = ctx.check_csrf(Some(&v)).is_ok();
            }
            (Some("folder"), None) => {
                let v = part.text().await.unwrap_or_default();
                folder = match parse_path(Some(&v)) {
                    Ok(p) => p,
                    Err(e) => return upload_failed(&ctx, &key, &folder, None, 0, e),
                };
            }
            (_, Some((dirs, name))) => {
                let stored = uploaded.len();
                let failed =
                    |e: ApiError| upload_failed(&ctx, &key, &folder, Some(&name), stored, e);
                if !csrf_ok {
                    return failed(ApiError::csrf());
                }
                if name.is_empty() {
                    continue; // an empty file input
                }
                // A folder upload keeps its folders where visitors may create folders
                // (and uploads do not go to an inbox); elsewhere files land flat.
                let mut target = folder.clone();
                if !dirs.is_empty() {
                    if keep_folders.is_none() {
                        keep_folders = Some(
                            match st
                                .app
                                .resume(&VisitRequest::new(
                                    &key,
                                    &sid,
                                    &ctx.client,
                                    RequestMode::Head,
                                ))
                                .await
                            {
                                Ok(Visit { view: Some(v), .. }) => {
                                    v.rights.has(Capability::CreateFolder) && !v.has_inbox
                                }
                                _ => false,
                            },
                        );
                    }
                    if keep_folders == Some(true) {
                        for dir in &dirs {
                            target = match st
                                .app
                                .create_folder(
                                    &VisitRequest::new(
                                        &key,
                                        &sid,
                                        &ctx.client,
                                        RequestMode::Confirmed,
                                    ),
                                    &target,
                                    dir,
                                )
                                .await
                            {
                                Ok(made) => made,
                                Err(ServiceError::Storage(FileStoreError::AlreadyExists {
                                    ..
                                })) => {
                                    match SharePath::segment(dir).and_then(|d| target.join(&d)) {
                                        Ok(p) => p,
                                        Err(e) => return failed(ServiceError::from(e).into()),
                                    }
                                }
                                Err(e) => return failed(e.into()),
                            };
                        }
                    }
                }
                let (stream, pump) = part_stream(part);
                let req = VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed);
                let (result, body_error) =
                    tokio::join!(st.app.upload(&req, &target, &name, None, stream), pump);
                match (result, body_error) {
                    (Ok(l), None) => uploaded.push(l),
                    (_, Some(why)) => return failed(why),
                    (Err(e), None) => return failed(e.into()),
                }
            }
            _ => {}
        }
    }
    let next = folder_url(&ctx, &key, &folder, Some(uploaded.len()));
    if ctx.json {
        return Json(serde_json::json!({ "uploaded": uploaded, "next": next })).into_response();
    }
    Redirect::to(&next).into_response()
}

macro_rules! change_handler {
    ($name:ident, |$st:ident, $ctx:ident, $key:ident, $sid:ident, $fields:ident| $body:expr) => {
        pub(crate) async fn $name(
            State($st): State<SharelinkState>,
            Path($key): Path<String>,
            headers: HeaderMap,
            mut $ctx: Ctx,
            Form($fields): Form<Fields>,
        ) -> Response {
            let $sid = match posted_session(&$st, &mut $ctx, &$key, &headers, &$fields).await {
                Ok(s) => s,
                Err(res) => return res,
            };
            let result: Result<(SharePath, SharePath), ApiError> = async { $body }.await;
            let res = match result {
                Ok((changed, _)) if $ctx.json => {
                    Json(serde_json::json!({ "path": changed })).into_response()
                }
                Ok((_, back)) => back_to_folder(&$ctx, &$key, &back),
                Err(e) => fail(&$ctx, e),
            };
            $ctx.apply(res)
        }
    };
}

change_handler!(mkdir, |st, ctx, key, sid, fields| {
    let parent = parse_path(field(&fields, "parent"))?;
    let made = st
        .app
        .create_folder(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &parent,
            field(&fields, "name").unwrap_or_default().trim(),
        )
        .await?;
    Ok((made, parent))
});

change_handler!(rename, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    let renamed = st
        .app
        .rename(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
            field(&fields, "name").unwrap_or_default().trim(),
        )
        .await?;
    Ok((renamed, path.parent().unwrap_or_default()))
});

change_handler!(move_or_copy, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    let into = parse_path(field(&fields, "into"))?;
    let copy = field(&fields, "op") == Some("copy");
    let moved = st
        .app
        .move_or_copy(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
            &into,
            copy,
        )
        .await?;
    Ok((moved, path.parent().unwrap_or_default()))
});

change_handler!(delete, |st, ctx, key, sid, fields| {
    let path = parse_path(field(&fields, "path"))?;
    st.app
        .delete(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            &path,
        )
        .await?;
    let parent = path.parent().unwrap_or_default();
    Ok((path, parent))
});

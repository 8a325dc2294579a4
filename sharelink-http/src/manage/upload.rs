//! Upload and send (seed 003, "send files"): the owner streams files and the share's
//! settings in one `multipart/form-data` request and gets back a send-mode share of them,
//! optionally mailed to recipients.

use super::{Actor, ErrorBody, RecipientBody, ShareDto, merge_settings, send_to, share_json};
use crate::visitor::changes::{multipart_error, part_stream, upload_name};
use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use sharelink_core::service::{CreateShare, SendBatch};
use sharelink_core::{SharePath, ShareSettings, UserId};
use utoipa::ToSchema;

/// The upload-and-send route; its body may be as large as a visitor's upload.
pub(super) fn routes(state: &SharelinkState) -> Router<SharelinkState> {
    let limit = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/shares/upload", post(upload_and_send))
        .layer(DefaultBodyLimit::max(limit))
}

/// The `share` part of an upload-and-send: the share to create and whom to send it to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SendBody {
    /// The share's name.
    name: String,
    /// A folder of the caller's area, where they may upload and share: the files are
    /// kept there, and the share serves a copy of them taken when it is created.
    folder: String,
    /// Settings fields to change from the defaults, as in `POST /api/shares` (`mode` is
    /// always `snapshot`).
    #[serde(default)]
    settings: Option<Value>,
    /// The password to set (one is generated when the settings ask for a password
    /// without one).
    #[serde(default)]
    password: Option<String>,
    /// A custom link key, if the site allows.
    #[serde(default)]
    custom_key: Option<String>,
    /// Who gets the link by email, each their own.
    #[serde(default)]
    recipients: Vec<RecipientBody>,
    /// A message for the recipients' mail.
    #[serde(default)]
    message: Option<String>,
}

/// The parts of an upload-and-send body, in this order.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema only: the body is read part by part
pub(super) struct UploadForm {
    /// First: the share (`SendBody`) as JSON.
    share: SendBody,
    /// Then one part per file, each with its file name.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Uploads files and sends them in one call: a `multipart/form-data` body whose first
/// part, `share`, is the JSON of the share and its recipients, followed by `file` parts.
/// Each file is streamed into `folder` (never held whole in memory) under the limits of
/// a visitor's upload: its name cleaned of invisible characters, the site's refused types
/// on public shares, the site's upload size cap, names that never overwrite. Then a
/// send-mode (snapshot) share of the files is created as `POST /api/shares` creates one,
/// and mailed to the recipients. Any failure (a refused file, a cut-off body, refused
/// settings) removes the files already stored and creates no share. Needs the
/// `X-Sharelink-Request: 1` header.
#[utoipa::path(post, path = "/api/shares/upload", tag = "shares",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(),
    responses((status = 201, description = "The share, as `POST /api/shares` answers it, with `generated_password` and `outcomes` (one per recipient, as `POST /api/shares/{id}/email` answers)", body = ShareDto),
        (status = 400, description = "`upload_failed`: a malformed or cut-off body", body = ErrorBody),
        (status = 401, description = "No signed-in user", body = ErrorBody),
        (status = 403, description = "`no_upload_right`: the caller may not upload and share in `folder`", body = ErrorBody),
        (status = 404, description = "`not_a_folder`: `folder` is not a folder", body = ErrorBody),
        (status = 413, description = "`too_large` or `upload_failed`: larger than the site accepts", body = ErrorBody),
        (status = 422, description = "`invalid_field`, `settings`: the `share` part is missing or wrong, or no file was sent; `file_type_refused`: a type the site refuses on public shares; `upload_rule_broken`: a name that is not one", body = ErrorBody),
        (status = 507, description = "`no_space`: the file store has no room left (nothing is kept)", body = ErrorBody)))]
pub(super) async fn upload_and_send(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let max = st.config.max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the upload is larger than this site accepts",
        ));
    }
    let body = share_part(&st, &mut multipart).await?;
    let settings = merge_settings(&ShareSettings::named(&body.name), body.settings)?;
    let folder =
        SharePath::parse(&body.folder).map_err(|e| ApiError::invalid_field("share.folder", e))?;
    let mut batch = st
        .app
        .start_send(&actor, folder, settings.access.is_public())
        .await?;
    if let Err(e) = store_files(&st, &mut batch, &mut multipart, max).await {
        st.app.abandon_send(batch).await;
        return Err(e);
    }
    let created = st
        .app
        .finish_send(
            batch,
            CreateShare {
                items: Vec::new(),
                settings,
                password: body.password,
                custom_key: body.custom_key,
            },
        )
        .await?;
    let mut out = share_json(&st.app, &created.share);
    out["generated_password"] = json!(created.generated_password.as_ref().map(|p| p.expose()));
    out["outcomes"] =
        json!(send(&st, &actor, &created.share, body.recipients, body.message).await?);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// The outcomes of mailing the new share (none without recipients).
async fn send(
    st: &SharelinkState,
    actor: &UserId,
    share: &sharelink_core::Share,
    recipients: Vec<RecipientBody>,
    message: Option<String>,
) -> Result<Vec<super::EmailOutcome>, ApiError> {
    if recipients.is_empty() {
        return Ok(Vec::new());
    }
    send_to(&st.app, actor, share.id, recipients, message).await
}

/// The first part, `share`, read as JSON (it is small: the form limit applies).
async fn share_part(st: &SharelinkState, multipart: &mut Multipart) -> Result<SendBody, ApiError> {
    let missing = || {
        ApiError::invalid_field(
            "share",
            "the first part must be `share`, the JSON of the share",
        )
    };
    let part = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
        .ok_or_else(missing)?;
    if part.name() != Some("share") || part.file_name().is_some() {
        return Err(missing());
    }
    let bytes = part.bytes().await.map_err(|e| multipart_error(&e))?;
    if bytes.len() > st.config.max_form_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the `share` part is larger than this site accepts",
        ));
    }
    super::request::parse_json(&bytes)
}

/// Streams every `file` part into the batch, one after the other.
async fn store_files(
    st: &SharelinkState,
    batch: &mut SendBatch,
    multipart: &mut Multipart,
    max: u64,
) -> Result<(), ApiError> {
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let Some(raw) = part.file_name().map(str::to_owned) else {
            return Err(ApiError::invalid_field(
                "file",
                "after `share`, every part must be a file",
            ));
        };
        // Files land flat in the folder: only the name counts.
        let (_, name) = upload_name(&raw);
        if name.is_empty() {
            continue; // an empty file input
        }
        let (stream, pump) = part_stream(part);
        let (stored, body_error) =
            tokio::join!(st.app.add_to_send(batch, &name, stream, Some(max)), pump);
        match (stored, body_error) {
            (Ok(_), None) => {}
            (_, Some(why)) => return Err(why),
            (Err(e), None) => return Err(e.into()),
        }
    }
    Ok(())
}

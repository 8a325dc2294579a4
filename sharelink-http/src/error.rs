//! The one error type of the HTTP layer, with a stable JSON body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sharelink_core::ports::{FileStoreError, RepoError};
use sharelink_core::service::ServiceError;
use sharelink_core::telemetry::{self, Chain};
use sharelink_core::{Denial, SettingsError};

/// An error answered to a client: a status, a stable machine-readable code and a message
/// safe to show (internals are never revealed).
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (`not_found`, `expired`, `password_required`, …).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// The request field at fault, as a path (`settings.schedule.expires_at`,
    /// `items[0].path`), when one is.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 422 `invalid_field`: the field at `field` (a path such as `settings.use_limit.max`)
    /// is missing, unknown or not what it must be; `problem` says what was expected.
    pub fn invalid_field(field: impl Into<String>, problem: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            field: Some(field.clone()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("{field}: {problem}"),
            )
        }
    }

    /// 400 `malformed_json`: the body is not JSON at all.
    pub fn malformed_json(problem: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {problem}"),
        )
    }

    /// 415 `unsupported_media_type`: the body is not declared as `application/json`.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json` (`{}` when there is \
             nothing to say), or no body with the `X-Sharelink-Request: 1` header",
        )
    }

    /// 403 `cross_site`: a state-changing request came from another site's page.
    pub fn cross_site() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "this request came from another site (`Origin` or `Sec-Fetch-Site`) and was refused",
        )
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no signed-in user.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in to use this API",
        )
    }

    /// 403: the CSRF token is missing or wrong.
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form expired; reload the page and try again",
        )
    }

    /// 503: the database or the file store cannot be reached right now; nothing was
    /// changed, and the request may be retried.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable; please try again in a moment",
        )
    }

    /// The status of a denial.
    pub fn denial_status(d: &Denial) -> StatusCode {
        match d {
            Denial::NotFound | Denial::OutsideShare | Denial::NoPreview => StatusCode::NOT_FOUND,
            Denial::Expired | Denial::UsesExhausted => StatusCode::GONE,
            Denial::NotYetActive { .. } => StatusCode::FORBIDDEN,
            Denial::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Denial::ConfirmationRequired => StatusCode::CONFLICT,
            Denial::PasswordRequired
            | Denial::EmailVerificationRequired
            | Denial::SignInRequired
            | Denial::NoSession => StatusCode::UNAUTHORIZED,
            Denial::UploadRuleBroken(_) | Denial::FileTypeRefused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::FORBIDDEN,
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        metrics::counter!(telemetry::DENIALS, "reason" => d.code()).increment(1);
        Self::new(Self::denial_status(&d), d.code(), d.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let answer = Self::answer(&e);
        // The cause stays in the log: the client sees only the stable code.
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(code = answer.code, error = %Chain(&e), "answered 503");
        } else if answer.status.is_server_error() {
            tracing::error!(status = answer.status.as_u16(), code = answer.code, error = %Chain(&e), "answered a server error");
        }
        answer
    }
}

impl ApiError {
    fn answer(e: &ServiceError) -> Self {
        use StatusCode as S;
        match e {
            ServiceError::Denied(d) => d.clone().into(),
            ServiceError::ShareNotFound => {
                Self::new(S::NOT_FOUND, "share_not_found", "share not found")
            }
            ServiceError::RecipientNotFound => {
                Self::new(S::NOT_FOUND, "recipient_not_found", "recipient not found")
            }
            e @ ServiceError::BatchTooLarge { .. } => {
                Self::new(S::UNPROCESSABLE_ENTITY, "batch_too_large", e.to_string())
            }
            // A site setting out of bounds: the field under the request's `settings`.
            ServiceError::Settings(SettingsError::Site { field, problem }) => {
                Self::invalid_field(format!("settings.{field}"), problem)
            }
            ServiceError::Settings(e) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "settings", e.to_string())
            }
            e @ ServiceError::AdminOnly => Self::new(S::FORBIDDEN, "admin_only", e.to_string()),
            e @ ServiceError::SiteVersionConflict { .. } => {
                Self::new(S::CONFLICT, "version_conflict", e.to_string())
            }
            ServiceError::Path(e) => Self::new(S::BAD_REQUEST, "bad_path", e.to_string()),
            ServiceError::Form(e) => Self::new(S::UNPROCESSABLE_ENTITY, "form", e.to_string()),
            ServiceError::Password(e) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "password", e.to_string())
            }
            ServiceError::Key(e) => Self::new(S::UNPROCESSABLE_ENTITY, "key", e.to_string()),
            ServiceError::UnknownUser => Self::new(S::FORBIDDEN, "unknown_user", "unknown user"),
            ServiceError::UserDisabled => {
                Self::new(S::FORBIDDEN, "user_disabled", "this account is disabled")
            }
            e @ ServiceError::MailNotFound => {
                Self::new(S::NOT_FOUND, "mail_not_found", e.to_string())
            }
            e @ ServiceError::MailNotRetryable(_) => {
                Self::new(S::CONFLICT, "mail_not_retryable", e.to_string())
            }
            e @ ServiceError::WebhooksOff => {
                Self::new(S::SERVICE_UNAVAILABLE, "webhooks_off", e.to_string())
            }
            ServiceError::WebhookUrl(e) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "bad_webhook_url", e.to_string())
            }
            e @ ServiceError::WebhookNotFound => {
                Self::new(S::NOT_FOUND, "webhook_not_found", e.to_string())
            }
            e @ ServiceError::DeliveryNotFound => {
                Self::new(S::NOT_FOUND, "delivery_not_found", e.to_string())
            }
            e @ ServiceError::DeliveryPending => {
                Self::new(S::CONFLICT, "delivery_pending", e.to_string())
            }
            e @ ServiceError::KeyTaken => Self::new(S::CONFLICT, "key_taken", e.to_string()),
            e @ ServiceError::ModeFixed => Self::new(S::CONFLICT, "mode_fixed", e.to_string()),
            e @ ServiceError::TemplateInUse { .. } => {
                Self::new(S::CONFLICT, "template_in_use", e.to_string())
            }
            e @ ServiceError::TemplateKindFixed { .. } => {
                Self::new(S::CONFLICT, "template_kind_fixed", e.to_string())
            }
            e @ ServiceError::TemplateNotFound => {
                Self::new(S::NOT_FOUND, "template_not_found", e.to_string())
            }
            e @ ServiceError::NoUploadRight(_) => {
                Self::new(S::FORBIDDEN, "no_upload_right", e.to_string())
            }
            e @ ServiceError::SnapshotItemsFixed => {
                Self::new(S::CONFLICT, "items_fixed", e.to_string())
            }
            e @ ServiceError::SnapshotPurged => {
                Self::new(S::CONFLICT, "snapshot_purged", e.to_string())
            }
            e @ ServiceError::ExpiryInPast => {
                Self::new(S::UNPROCESSABLE_ENTITY, "expiry_in_past", e.to_string())
            }
            e @ ServiceError::NotActive => Self::new(S::CONFLICT, "not_active", e.to_string()),
            e @ ServiceError::RecipientHasShare { .. } => {
                Self::new(S::CONFLICT, "recipient_has_share", e.to_string())
            }
            e @ ServiceError::GateAlreadyPassed => {
                Self::new(S::CONFLICT, "already_passed", e.to_string())
            }
            e @ ServiceError::TooManyFiles { .. } => {
                Self::new(S::UNPROCESSABLE_ENTITY, "too_many_files", e.to_string())
            }
            e @ ServiceError::UploaderFolderTaken(_) => {
                Self::new(S::CONFLICT, "uploader_folder_taken", e.to_string())
            }
            ServiceError::NoSuchItem(p) => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "no_such_item",
                format!("`{p}` does not exist"),
            ),
            e @ ServiceError::NotAFolder(_) => {
                Self::new(S::NOT_FOUND, "not_a_folder", e.to_string())
            }
            e @ ServiceError::NotAFile(_) => Self::new(S::NOT_FOUND, "not_a_file", e.to_string()),
            ServiceError::Storage(FileStoreError::AlreadyExists { .. }) => {
                Self::new(S::CONFLICT, "already_exists", "that name is already taken")
            }
            ServiceError::Storage(FileStoreError::RangeNotSatisfiable { .. }) => Self::new(
                S::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "range not satisfiable",
            ),
            ServiceError::Storage(FileStoreError::IntoItself { .. }) => Self::new(
                S::CONFLICT,
                "into_itself",
                "cannot move or copy a folder into itself",
            ),
            ServiceError::Storage(FileStoreError::NotFound { .. }) => {
                Self::new(S::NOT_FOUND, "outside_share", "not found in this share")
            }
            // The store's own paths are never shown: they reveal where the share lives.
            ServiceError::Storage(FileStoreError::WrongKind { .. }) => Self::new(
                S::CONFLICT,
                "wrong_kind",
                "a file is where a folder is needed, or a folder where a file is",
            ),
            ServiceError::Storage(FileStoreError::InvalidPath { .. }) => Self::new(
                S::BAD_REQUEST,
                "bad_path",
                "the file store does not accept this name",
            ),
            ServiceError::Storage(FileStoreError::TooLarge { max }) => Self::new(
                S::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the file is larger than {max} bytes"),
            ),
            ServiceError::Storage(FileStoreError::NoSpace { .. }) => Self::new(
                S::INSUFFICIENT_STORAGE,
                "no_space",
                "the file store has no room left; try again later",
            ),
            ServiceError::Mail(_) => Self::new(S::BAD_GATEWAY, "mail", "mail could not be sent"),
            ServiceError::Report(e) => {
                Self::new(S::UNPROCESSABLE_ENTITY, "invalid_range", e.to_string())
            }
            ServiceError::Repo(RepoError::Unavailable { .. })
            | ServiceError::Storage(FileStoreError::Unreachable { .. }) => Self::unavailable(),
            // Removed while the request ran (a share revoked during an upload): gone, as
            // if it had never been there.
            ServiceError::Repo(RepoError::NotFound(what)) => {
                Self::new(S::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            _ => Self::new(S::INTERNAL_SERVER_ERROR, "internal", "something went wrong"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.code, "message": self.message });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sharelink_core::{PathError, SharePath};

    fn answer(e: ServiceError) -> (StatusCode, &'static str, String) {
        let e = ApiError::from(e);
        (e.status, e.code, e.message)
    }

    #[test]
    fn a_share_removed_while_the_request_ran_is_not_found() {
        let (status, code, message) = answer(ServiceError::Repo(RepoError::NotFound("share")));
        assert_eq!((status, code), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(message, "share not found");
    }

    #[test]
    fn a_wrong_kind_of_path_is_never_a_server_error() {
        let stored = || SharePath::parse("owner/private/a.txt").unwrap_or_default();
        let visitor = || SharePath::parse("reports/a.txt").unwrap_or_default();
        let cases = [
            (ServiceError::NotAFolder(visitor()), 404, "not_a_folder"),
            (ServiceError::NotAFile(visitor()), 404, "not_a_file"),
            (
                ServiceError::Storage(FileStoreError::WrongKind {
                    path: stored(),
                    expected: sharelink_core::ports::EntryKind::Folder,
                }),
                409,
                "wrong_kind",
            ),
            (
                ServiceError::Storage(FileStoreError::AlreadyExists { path: stored() }),
                409,
                "already_exists",
            ),
            (
                ServiceError::Storage(FileStoreError::InvalidPath {
                    path: stored().to_string(),
                    reason: "reserved".into(),
                }),
                400,
                "bad_path",
            ),
            (
                ServiceError::Storage(FileStoreError::TooLarge { max: 10 }),
                413,
                "too_large",
            ),
            (
                ServiceError::Path(PathError::InvisibleCharacter('\u{202E}')),
                400,
                "bad_path",
            ),
            (
                ServiceError::Storage(FileStoreError::NoSpace {
                    store: "local",
                    source: "/srv/owner/private: no space left on device".into(),
                }),
                507,
                "no_space",
            ),
        ];
        for (error, status, code) in cases {
            let (got_status, got_code, message) = answer(error);
            assert_eq!((got_status.as_u16(), got_code), (status, code), "{message}");
            assert!(!message.contains("owner/private"), "{message}");
        }
        let (_, _, message) = answer(ServiceError::NotAFolder(visitor()));
        assert!(message.contains("reports/a.txt"), "{message}");
        let (_, _, message) = answer(ServiceError::Path(PathError::InvisibleCharacter(
            '\u{202E}',
        )));
        assert!(message.contains("U+202E"), "{message}");
    }
}

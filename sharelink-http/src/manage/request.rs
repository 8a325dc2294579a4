//! What the management API accepts as a request, and how it refuses the rest: JSON
//! bodies whose failures name the field, path and query parameters that answer JSON
//! errors, and the guard that refuses requests a page of another site could send.

use crate::{ApiError, SharelinkState};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// The header a bodyless state-changing request sends instead of a JSON body.
pub(super) const REQUEST_HEADER: &str = "x-sharelink-request";
/// [`REQUEST_HEADER`] as the documentation writes it.
pub(super) const REQUEST_HEADER_NAME: &str = "X-Sharelink-Request";

/// A JSON body: declared `application/json`, parsed whole, with the failing field named
/// (`malformed_json` 400, `invalid_field` 422, `unsupported_media_type` 415).
#[derive(Debug)]
pub(super) struct ApiJson<T>(pub(super) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "bad_body"
            };
            ApiError::new(e.status(), code, e.body_text())
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Whether the request declares a JSON body (`application/json`, parameters allowed,
/// or an `application/*+json` type).
fn is_json(headers: &HeaderMap) -> bool {
    let essence = media_type(headers);
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether the request declares a `multipart/form-data` body.
fn is_multipart(headers: &HeaderMap) -> bool {
    media_type(headers) == "multipart/form-data"
}

/// The declared media type without parameters, in lower case (empty without one).
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A value from a JSON text, with the path of the field it fails on.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(e.into_inner(), &path, "")
    })?;
    de.end().map_err(ApiError::malformed_json)?;
    Ok(value)
}

/// A value from JSON already parsed (such as settings laid over defaults), with its
/// field path under `prefix`.
pub(super) fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        json_error(e.into_inner(), &path, prefix)
    })
}

/// The API error of a serde_json failure at `path` (serde_path_to_error's `.` for the
/// root), the path written under `prefix`.
fn json_error(e: serde_json::Error, path: &str, prefix: &str) -> ApiError {
    use serde_json::error::Category;
    if matches!(
        e.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) {
        return ApiError::malformed_json(e);
    }
    // serde_json appends the position; the field path says more.
    let text = e.to_string();
    let problem = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(problem, _)| problem);
    let join = |a: &str, b: &str| match (a, b) {
        ("" | ".", b) => b.to_owned(),
        (a, "" | ".") => a.to_owned(),
        (a, b) if b.starts_with('[') => format!("{a}{b}"),
        (a, b) => format!("{a}.{b}"),
    };
    let mut field = join(prefix, if path == "." { "" } else { path });
    // A missing field is reported at its parent: name the field itself.
    if let Some(name) = problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        field = join(&field, name);
    }
    if field.is_empty() {
        field = "(body)".to_owned();
    }
    ApiError::invalid_field(field, problem)
}

/// A path parameter; a malformed one answers 400 `invalid_path_parameter` as JSON.
#[derive(Debug)]
pub(super) struct ApiPath<T>(pub(super) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key,
                        value,
                        expected_type,
                    } => format!("`{key}` in the URL must be {expected_type}, not `{value}`"),
                    ErrorKind::ParseError {
                        value,
                        expected_type,
                    } => format!("the id in the URL must be {expected_type}, not `{value}`"),
                    kind => kind.to_string(),
                };
                Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path_parameter",
                    message,
                ))
            }
            Err(e) => Err(ApiError::new(
                e.status(),
                "invalid_path_parameter",
                e.body_text(),
            )),
        }
    }
}

/// Query parameters; malformed ones answer 400 `invalid_query` as JSON, naming the
/// parameter.
#[derive(Debug)]
pub(super) struct ApiQuery<T>(pub(super) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|e: QueryRejection| {
                let text = e.body_text();
                let message = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
            })
    }
}

/// Refuses a state-changing request a page of another site could have sent: from
/// another origin (by `Origin`, or by `Sec-Fetch-Site` when the browser sends no
/// `Origin`) unless [`crate::HttpConfig::allowed_origins`] lists it, and any without a
/// JSON body or the [`REQUEST_HEADER`] (a plain HTML form can send neither).
pub(super) async fn same_site_only(
    State(st): State<SharelinkState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(req).await);
    }
    let headers = req.headers();
    if !from_this_site(headers, &st.config.allowed_origins) {
        return Err(ApiError::cross_site());
    }
    let declared = headers.contains_key(header::CONTENT_TYPE);
    let marked = headers.contains_key(REQUEST_HEADER);
    // A multipart body (an upload) is what a form of any site can send, so it needs the
    // header as a body-less call does.
    let allowed = if declared {
        is_json(headers) || (marked && is_multipart(headers))
    } else {
        marked
    };
    if !allowed {
        return Err(ApiError::unsupported_media_type());
    }
    Ok(next.run(req).await)
}

/// Whether a request comes from a page of its own origin or of one of `allowed`
/// (`https://admin.example.com`), judged by `Origin`, or by `Sec-Fetch-Site` when the
/// browser sends no `Origin`; a request with neither (a script, an old browser) passes.
/// The management API refuses state-changing requests that fail it; an embedder may use
/// it for its own forms (the demo's sign-in does).
pub fn from_this_site(headers: &HeaderMap, allowed: &[String]) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::ORIGIN) {
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            let authority = origin.split_once("://").map(|(_, rest)| rest);
            let own = text(header::HOST)
                .is_some_and(|host| authority.is_some_and(|a| a.eq_ignore_ascii_case(host)));
            own || allowed
                .iter()
                .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
        }
        None => !matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site" | "same-site")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        path: String,
    }

    fn refusal(json: &str) -> (u16, &'static str, Option<String>, String) {
        let e = parse_json::<Body>(json.as_bytes()).unwrap_err();
        (e.status.as_u16(), e.code, e.field, e.message)
    }

    #[test]
    fn every_json_failure_names_its_field_or_says_it_is_not_json() {
        let cases = [
            (
                r#"{"name": "a", "items": [{"path": 5}]}"#,
                422,
                Some("items[0].path"),
                "expected a string",
            ),
            (
                r#"{"items": []}"#,
                422,
                Some("name"),
                "missing field `name`",
            ),
            (
                r#"{"name": "a", "items": [{}]}"#,
                422,
                Some("items[0].path"),
                "missing field",
            ),
            (
                r#"{"name": "a", "items": [], "nmae": 1}"#,
                422,
                Some("nmae"),
                "unknown field `nmae`",
            ),
            (
                r#"{"name": "a", "items": [{"path": "x", "alias": 1}]}"#,
                422,
                Some("items[0].alias"),
                "unknown field",
            ),
            (r#""x""#, 422, Some("(body)"), "expected struct Body"),
            (r#"{"name": "a", "#, 400, None, "not valid JSON"),
            (
                r#"{"name": "a", "items": []} trailing"#,
                400,
                None,
                "not valid JSON",
            ),
            ("", 400, None, "not valid JSON"),
        ];
        for (json, status, field, needle) in cases {
            let (got_status, code, got_field, message) = refusal(json);
            assert_eq!(
                (got_status, got_field.as_deref()),
                (status, field),
                "{json}: {message}"
            );
            assert_eq!(
                code,
                if status == 400 {
                    "malformed_json"
                } else {
                    "invalid_field"
                }
            );
            assert!(message.contains(needle), "{json}: {message}");
            assert!(!message.contains(" at line ") || status == 400, "{message}");
        }
    }

    #[test]
    fn json_content_types() {
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("application/x-www-form-urlencoded", false),
            ("text/plain", false),
            ("multipart/form-data; boundary=x", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(is_json(&h), json, "{value}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn origins_of_other_sites_are_refused() {
        let allowed = vec!["https://admin.example.com".to_owned()];
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[], true),
            (
                &[
                    ("host", "share.example.com"),
                    ("origin", "https://share.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://127.0.0.1:8080"),
                ],
                true,
            ),
            (
                &[
                    ("host", "share.example.com"),
                    ("origin", "https://admin.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("host", "share.example.com"),
                    ("origin", "https://evil.example"),
                ],
                false,
            ),
            (&[("host", "share.example.com"), ("origin", "null")], false),
            (
                &[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://127.0.0.1:8081"),
                ],
                false,
            ),
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none")], true),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("sec-fetch-site", "cross-site")], false),
        ];
        for (headers, ok) in cases {
            let mut h = HeaderMap::new();
            for (name, value) in *headers {
                h.insert(*name, value.parse().unwrap());
            }
            assert_eq!(from_this_site(&h, &allowed), *ok, "{headers:?}");
        }
    }
}

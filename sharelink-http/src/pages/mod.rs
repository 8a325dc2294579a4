//! Server-rendered pages: a tiny escaping helper and the page fragments; [`gate`] and
//! [`share`] build the gate and share pages. Every text that
//! comes from a user (names, descriptions, file names, terms) goes through [`esc`].

mod gate;
mod share;

pub(crate) use gate::{confirm_open_page, gate_page};
pub(crate) use share::{share_page, upload_failed_page, uploaded_notice};

use crate::client::Ctx;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;

/// Escapes text for HTML (core's escaper: one escaper for pages and mail).
pub(crate) use sharelink_core::text::escape_html as esc;

/// Characters kept as they are in a path segment of a URL.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A share path as URL path segments (each segment percent-encoded, `/` between).
pub(crate) fn url_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// A value for a query string.
pub(crate) fn url_query(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;\
border-bottom:1px solid #ddd;text-align:left}.msg{padding:1rem;background:#f4f4f4;\
border-radius:.3rem}.err{background:#fde8e8}form.inline{display:inline}pre{white-space:pre-wrap}\
nav a{margin-right:.3rem}.upload form{padding:.5rem;border:2px dashed transparent;\
border-radius:.3rem}.upload form.drop{border-color:#36c;background:#eef3fc}\
.upload progress:not([hidden]){display:block;width:100%}";

/// A whole page around `body` (already escaped HTML).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    );
    (status, Html(html)).into_response()
}

/// A page with one message.
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let class = if status.is_success() {
        "msg"
    } else {
        "msg err"
    };
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p class=\"{class}\">{}</p>",
            esc(title),
            esc(text)
        ),
    )
}

/// A hidden CSRF field.
pub(crate) fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A size for people (`1.5 MB`).
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A date for people, in the share's time zone, named (`3 December 2026, 17:00
/// (Europe/Paris)`); the same wording as the mails.
pub(crate) fn date(t: OffsetDateTime, zone: Option<&str>) -> String {
    sharelink_core::text::local_date(t, zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn url_path_encodes_each_segment() {
        assert_eq!(url_path("a b/c?d#e"), "a%20b/c%3Fd%23e");
    }
}
/// A message shown above a form.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub(crate) error: bool,
    pub(crate) text: String,
}

pub(crate) fn notice_html(n: Option<&Notice>) -> String {
    match n {
        Some(n) => format!(
            "<p class=\"msg{}\" role=\"status\">{}</p>",
            if n.error { " err" } else { "" },
            esc(&n.text)
        ),
        None => String::new(),
    }
}

/// The page that asks a person to confirm a counted download (a bot will not press it).
pub(crate) fn confirm_download_page(ctx: &Ctx, action_url: &str, name: &str) -> Response {
    confirm_page(ctx, action_url, name, "")
}

/// The confirm page, with extra hidden fields (already escaped HTML).
pub(crate) fn confirm_page(ctx: &Ctx, action_url: &str, name: &str, hidden: &str) -> Response {
    page(
        StatusCode::CONFLICT,
        "Confirm download",
        &format!(
            "<h1>Download {}</h1><p>This link can be used a limited number of times. \
Press the button to download.</p><form method=\"post\" action=\"{}\">{}{hidden}<button \
type=\"submit\">Download</button></form>",
            esc(name),
            esc(action_url),
            csrf_field(&ctx.csrf)
        ),
    )
}

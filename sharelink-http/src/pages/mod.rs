//! Server-rendered pages: each page renders a minijinja template of [`theme`] (the
//! embedded defaults in `templates/`, or the embedder's), in the visitor's language
//! ([`i18n`]), with the site's branding. [`gate`] and [`share`] gather the values of the
//! gate and share pages. Templates escape every value (as [`esc`] does).

mod gate;
mod i18n;
mod share;
pub(crate) mod theme;

pub(crate) use gate::{confirm_download_page, confirm_open_page, confirm_page, gate_page};
pub(crate) use i18n::Locale;
pub use i18n::TranslationError;
pub(crate) use share::{
    Embedded, embed_page, preview_page, share_page, upload_failed_page, uploaded_notice,
};
pub use theme::{PageTheme, ThemeError};

use crate::client::Ctx;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Value;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sharelink_core::model::site::Branding;
use sharelink_core::service::Sharelink;
use std::sync::Arc;
use theme::Pages;
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

/// What a page is drawn with: the templates, the visitor's language, the site's
/// branding, and the address the language switcher links to.
#[derive(Debug, Clone)]
pub(crate) struct Look {
    pub(crate) pages: Arc<Pages>,
    pub(crate) locale: Locale,
    pub(crate) branding: Arc<Branding>,
    /// The switcher's link without `lang=` (a query, or an address ending in `?`).
    pub(crate) here: String,
    /// The order the visitor asked a listing in (`?sort=size&order=desc`).
    pub(crate) sort: Sort,
    /// How the visitor likes listings laid out (`?view=grid`, then remembered).
    pub(crate) layout: Layout,
}

/// How a listing is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Layout {
    /// A table: one row per entry, with its actions (the default).
    #[default]
    List,
    /// Tiles: a thumbnail (or the file type's icon) and the name.
    Grid,
}

impl Layout {
    /// From `view=` (`list` or `grid`), `None` for anything else.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "list" => Some(Layout::List),
            "grid" => Some(Layout::Grid),
            _ => None,
        }
    }

    /// The layout's name in `view=`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Layout::List => "list",
            Layout::Grid => "grid",
        }
    }
}

/// What a listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SortKey {
    /// By name, case-insensitively (the default).
    #[default]
    Name,
    /// By size.
    Size,
    /// By date modified.
    Date,
}

impl SortKey {
    /// The key's name in `sort=`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Date => "date",
        }
    }
}

/// The order of a listing: a key and a direction. Folders always come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Sort {
    pub(crate) key: SortKey,
    pub(crate) desc: bool,
}

impl Sort {
    /// From `sort=` and `order=` (anything unknown: by name, ascending).
    pub(crate) fn parse(key: Option<&str>, order: Option<&str>) -> Self {
        let key = match key {
            Some("size") => SortKey::Size,
            Some("date") => SortKey::Date,
            _ => SortKey::Name,
        };
        Self {
            key,
            desc: order == Some("desc"),
        }
    }
}

impl Look {
    /// Message `id` in the visitor's language.
    pub(crate) fn text(&self, id: &str) -> String {
        self.pages.texts.text(self.locale, id, None)
    }

    /// Message `id` in the visitor's language other than English, if it has one (`None`
    /// in English: the caller's own English text stands).
    pub(crate) fn translated(&self, id: &str) -> Option<String> {
        (self.locale != Locale::En && self.pages.texts.has(self.locale, id))
            .then(|| self.pages.texts.text(self.locale, id, None))
    }

    /// Message `id` with a count (`{ $count }`, plural forms).
    pub(crate) fn count(&self, id: &str, count: usize) -> String {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("count", fluent_bundle::FluentValue::from(count));
        self.pages.texts.text(self.locale, id, Some(&args))
    }

    /// A size in the visitor's language.
    pub(crate) fn size(&self, bytes: u64) -> String {
        self.pages.texts.size(self.locale, bytes)
    }

    /// A date in the visitor's language, in the share's time zone.
    pub(crate) fn date(&self, at: OffsetDateTime, zone: Option<&str>) -> String {
        self.pages.texts.date(self.locale, at, zone)
    }

    /// The values every template sees: `lang`, `languages`, `branding`, `stylesheet`,
    /// `title`.
    fn common(&self, title: &str) -> Value {
        let b = &*self.branding;
        // The product's own default title is not the site's: a site that set none shows
        // none (white label).
        let site_title =
            (b.site_title != Branding::default().site_title).then(|| b.site_title.clone());
        let sep = if self.here.ends_with('?') { "" } else { "&" };
        let languages: Vec<Value> = Locale::ALL
            .iter()
            .map(|l| {
                context! {
                    tag => l.tag(),
                    name => l.native_name(),
                    href => format!("{}{sep}lang={}", self.here, l.tag()),
                    current => *l == self.locale,
                }
            })
            .collect();
        context! {
            lang => self.locale.tag(),
            languages,
            branding => context! {
                site_title,
                logo_url => b.logo_url.clone(),
                accent_color => b.accent_color.clone(),
                favicon_url => b.favicon_url.clone(),
                footer_text => b.footer_text.clone(),
                stylesheet_url => b.stylesheet_url.clone(),
            },
            stylesheet => self.pages.stylesheet(),
            title,
        }
    }

    /// The HTML of template `template` with `values` over the common ones.
    pub(crate) fn html(
        &self,
        template: &str,
        title: &str,
        values: Value,
    ) -> Result<String, minijinja::Error> {
        self.pages
            .render(template, context! { ..values, ..self.common(title) })
    }

    /// The page of template `template` with `values` (over the common ones), answered
    /// with `status`. A template that fails (an embedder's, at request time) is logged and
    /// answered with a plain 500 page.
    pub(crate) fn render(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        values: Value,
    ) -> Response {
        self.render_page(status, template, title, values, false)
    }

    /// As [`Look::render`], for a page that embeds this site's files: its policy also
    /// lets it play sound and film (`<audio>`, `<video>`), show a PDF (`<object>`) and
    /// frame a text file (a sandboxed `<iframe>`), all from this site only.
    pub(crate) fn render_embedding(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        values: Value,
    ) -> Response {
        self.render_page(status, template, title, values, true)
    }

    fn render_page(
        &self,
        status: StatusCode,
        template: &str,
        title: &str,
        values: Value,
        embeds: bool,
    ) -> Response {
        match self.html(template, title, values) {
            Ok(html) => {
                let mut res = (status, Html(html)).into_response();
                if let Some(csp) = self.csp(embeds) {
                    res.headers_mut()
                        .insert(header::CONTENT_SECURITY_POLICY, csp);
                }
                res.headers_mut().insert(
                    header::VARY,
                    HeaderValue::from_static("Accept-Language, Cookie"),
                );
                res
            }
            Err(e) => {
                tracing::error!(template, error = %theme::describe(&e), "a page template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html(format!(
                        "<!doctype html><title>{0}</title><h1>{0}</h1>",
                        esc(&self.text("failure-unavailable"))
                    )),
                )
                    .into_response()
            }
        }
    }

    /// The pages' CSP when the branding loads images or a stylesheet from elsewhere (the
    /// default one allows only this site's).
    fn csp(&self, embeds: bool) -> Option<HeaderValue> {
        let b = &*self.branding;
        let origin = |url: &Option<String>| url.as_deref().and_then(origin_of);
        let images: Vec<String> = [origin(&b.logo_url), origin(&b.favicon_url)]
            .into_iter()
            .flatten()
            .collect();
        let styles = origin(&b.stylesheet_url);
        if images.is_empty() && styles.is_none() && !embeds {
            return None;
        }
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline' 'self'{}; \
             img-src 'self' data:{}; {}connect-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
            styles.map(|s| format!(" {s}")).unwrap_or_default(),
            images.iter().map(|s| format!(" {s}")).collect::<String>(),
            if embeds {
                "media-src 'self'; object-src 'self'; frame-src 'self'; "
            } else {
                ""
            },
        );
        HeaderValue::from_str(&csp).ok()
    }
}

/// The `scheme://host[:port]` of an absolute http(s) address (none for `/…`).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)))
    .then(|| format!("{scheme}://{host}"))
}

/// The site's branding as pages show it: from the site settings in effect (core keeps
/// them for at most `Config::site_cache`, so a save is shown at once here and within that
/// bound on other processes); the default when they cannot be read (logged).
pub(crate) async fn branding(app: &Sharelink) -> Arc<Branding> {
    match app.branding().await {
        Ok(b) => Arc::new(b),
        Err(e) => {
            tracing::warn!(error = %sharelink_core::telemetry::Chain(&e), "pages: the site settings cannot be read; default branding");
            Arc::default()
        }
    }
}

/// A page with one message.
pub(crate) fn message(ctx: &Ctx, status: StatusCode, title: &str, text: &str) -> Response {
    ctx.look.render(
        status,
        "message.html",
        title,
        context! { text, error => !status.is_success() },
    )
}

/// A page with one message and a link.
pub(crate) fn message_with_link(
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    text: &str,
    link: (&str, &str),
) -> Response {
    ctx.look.render(
        status,
        "message.html",
        title,
        context! {
            text,
            error => !status.is_success(),
            link => context! { href => link.0, text => link.1 },
        },
    )
}

/// A message shown above a form.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Notice {
    pub(crate) error: bool,
    pub(crate) text: String,
}

/// A hidden field of a form.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Hidden {
    pub(crate) name: &'static str,
    pub(crate) value: String,
}

/// A value for a template from anything serializable.
pub(crate) fn val<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
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

//! The look of the visitor pages: minijinja templates and a stylesheet, the defaults
//! embedded in the binary, any of them replaceable by the embedder ([`PageTheme`]).
//! Templates are parsed once, when the state is built; a page renders its template with
//! the branding, the language and its own values.

use super::i18n::{Locale, TranslationError, Translations};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State};
use sharelink_core::text::escape_html;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The default templates, by name.
const DEFAULTS: [(&str, &str); 14] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("message.html", include_str!("../../templates/message.html")),
    ("confirm.html", include_str!("../../templates/confirm.html")),
    (
        "gate_open.html",
        include_str!("../../templates/gate_open.html"),
    ),
    (
        "gate_password.html",
        include_str!("../../templates/gate_password.html"),
    ),
    (
        "gate_email.html",
        include_str!("../../templates/gate_email.html"),
    ),
    (
        "gate_register.html",
        include_str!("../../templates/gate_register.html"),
    ),
    (
        "gate_terms.html",
        include_str!("../../templates/gate_terms.html"),
    ),
    (
        "gate_passed.html",
        include_str!("../../templates/gate_passed.html"),
    ),
    ("share.html", include_str!("../../templates/share.html")),
    (
        "upload_failed.html",
        include_str!("../../templates/upload_failed.html"),
    ),
    ("embed.html", include_str!("../../templates/embed.html")),
    ("preview.html", include_str!("../../templates/preview.html")),
];

/// The default stylesheet.
const STYLESHEET: &str = include_str!("../../assets/style.css");

/// The look of the visitor pages: the embedded default templates and stylesheet, with
/// any of them replaced. Give it to [`crate::SharelinkState::with_theme`].
///
/// Templates are [minijinja](https://docs.rs/minijinja) (Jinja2) templates; `.html`
/// templates escape every value unless marked `|safe`. Every page extends `base.html`
/// (blocks `title`, `head`, `content`) and can call `t("message-id", name=value)` for
/// a translated text. The names, and the values each page receives, are listed at the top
/// of each default template in `sharelink-http/templates/`.
///
/// ```
/// use sharelink_http::PageTheme;
///
/// let theme = PageTheme::new()
///     // Only recolour: the default stylesheet stays, this one follows it.
///     .with_extra_css(":root{--accent:#0a7d5a}")
///     // Or replace a page: here the password gate, in the default layout.
///     .with_template(
///         "gate_password.html",
///         r#"{% extends "base.html" %}{% block content %}
/// <h1>{{ t("password-heading") }}</h1>
/// <form method="post" action="{{ action }}"><input type="hidden" name="csrf" value="{{ csrf }}">
/// <input type="password" name="password" required><button type="submit">OK</button></form>
/// {% endblock %}"#,
///     );
/// assert!(theme.check().is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct PageTheme {
    templates: BTreeMap<String, String>,
    stylesheet: Option<String>,
    extra_css: String,
}

/// A theme that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThemeError {
    /// A template of this name is not one of the pages (see [`PageTheme::template_names`]).
    #[error("there is no page template named {0:?}")]
    UnknownTemplate(String),
    /// A template does not parse.
    #[error("template {name:?} does not parse: {source}")]
    Syntax {
        /// The template.
        name: String,
        /// What the parser said (with the line).
        #[source]
        source: Error,
    },
    /// A file of a theme folder cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The embedded translations do not load.
    #[error(transparent)]
    Translations(#[from] TranslationError),
}

impl PageTheme {
    /// The default look.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the templates a theme may replace.
    pub fn template_names() -> impl Iterator<Item = &'static str> {
        DEFAULTS.iter().map(|(name, _)| *name)
    }

    /// The default source of template `name`, to start an override from.
    pub fn default_template(name: &str) -> Option<&'static str> {
        DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// The default stylesheet.
    pub fn default_stylesheet() -> &'static str {
        STYLESHEET
    }

    /// Replaces template `name` (one of [`PageTheme::template_names`]) with `source`.
    #[must_use]
    pub fn with_template(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.templates.insert(name.into(), source.into());
        self
    }

    /// Replaces the whole stylesheet (`base.html` puts it in a `<style>` element).
    #[must_use]
    pub fn with_stylesheet(mut self, css: impl Into<String>) -> Self {
        self.stylesheet = Some(css.into());
        self
    }

    /// Adds CSS after the stylesheet (the default or the replaced one), to change a few
    /// rules only.
    #[must_use]
    pub fn with_extra_css(mut self, css: impl Into<String>) -> Self {
        self.extra_css.push_str(&css.into());
        self.extra_css.push('\n');
        self
    }

    /// Reads overrides from a folder: each `NAME.html` that is one of the templates
    /// replaces it, and `style.css`, if present, replaces the stylesheet. Other files
    /// are ignored.
    ///
    /// # Errors
    /// [`ThemeError::Read`] when the folder or a file cannot be read. Call it at startup:
    /// it reads files synchronously.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, ThemeError> {
        let dir = dir.as_ref();
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        if !dir.is_dir() {
            return Err(ThemeError::Read {
                path: dir.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            });
        }
        let mut theme = Self::new();
        for name in Self::template_names() {
            let path = dir.join(name);
            if path.is_file() {
                theme = theme.with_template(name, read(&path)?);
            }
        }
        let css = dir.join("style.css");
        if css.is_file() {
            theme = theme.with_stylesheet(read(&css)?);
        }
        Ok(theme)
    }

    /// Parses every template, as [`crate::SharelinkState::with_theme`] does.
    ///
    /// # Errors
    /// [`ThemeError::UnknownTemplate`] or [`ThemeError::Syntax`].
    pub fn check(&self) -> Result<(), ThemeError> {
        Pages::build(self).map(|_| ())
    }
}

/// The parsed templates and the translations, ready to render pages.
pub(crate) struct Pages {
    env: Environment<'static>,
    pub(crate) texts: Arc<Translations>,
    stylesheet: String,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl Pages {
    /// Parses the theme's templates.
    pub(crate) fn build(theme: &PageTheme) -> Result<Self, ThemeError> {
        let texts = Arc::new(Translations::load()?);
        let mut env = Environment::new();
        // `a.b.c` of a missing `a` is empty, not an error: a replaced template that
        // names a value some page lacks still renders.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        // Escaped as every other page of the crate and the mails escape (`&#39;`), and
        // `none` writes nothing.
        env.set_formatter(|out, state, value| {
            if value.is_none() || value.is_undefined() {
                return Ok(());
            }
            if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
                out.write_str(&escape_html(&value.to_string()))?;
                return Ok(());
            }
            minijinja::escape_formatter(out, state, value)
        });
        let t = texts.clone();
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, Error> {
                let locale = state
                    .lookup("lang")
                    .and_then(|l| l.as_str().and_then(Locale::from_tag))
                    .unwrap_or(Locale::En);
                let mut args = fluent_bundle::FluentArgs::new();
                for name in kwargs.args() {
                    let v: Value = kwargs.get(name)?;
                    let v = match v.as_i64() {
                        Some(n) => fluent_bundle::FluentValue::from(n),
                        None => fluent_bundle::FluentValue::from(v.to_string()),
                    };
                    args.set(name.to_owned(), v);
                }
                Ok(t.text(locale, id, Some(&args)))
            },
        );
        for (name, source) in DEFAULTS {
            env.add_template(name, source)
                .map_err(|source| ThemeError::Syntax {
                    name: name.to_owned(),
                    source,
                })?;
        }
        for (name, source) in &theme.templates {
            if PageTheme::default_template(name).is_none() {
                return Err(ThemeError::UnknownTemplate(name.clone()));
            }
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|source| ThemeError::Syntax {
                    name: name.clone(),
                    source,
                })?;
        }
        let mut stylesheet = theme.stylesheet.as_deref().unwrap_or(STYLESHEET).to_owned();
        stylesheet.push_str(&theme.extra_css);
        Ok(Self {
            env,
            texts,
            stylesheet,
        })
    }

    /// No templates at all: every page answers the plain error page (the fallback were
    /// the embedded defaults broken).
    pub(crate) fn empty() -> Self {
        Self {
            env: Environment::new(),
            texts: Arc::new(Translations::none()),
            stylesheet: String::new(),
        }
    }

    /// The stylesheet pages carry.
    pub(crate) fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// Renders template `name` with `ctx`.
    pub(crate) fn render(&self, name: &str, ctx: Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// A render failure as the log should say it.
pub(crate) fn describe(e: &Error) -> String {
    let mut s = e.to_string();
    if e.kind() == ErrorKind::TemplateNotFound {
        s.push_str(" (a template names one that does not exist)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::{Locale, Look};
    use minijinja::context;
    use sharelink_core::model::site::Branding;

    fn look(theme: &PageTheme, locale: Locale, branding: Branding) -> Look {
        Look {
            pages: Arc::new(Pages::build(theme).expect("the theme builds")),
            locale,
            branding: Arc::new(branding),
            here: "?p=docs".to_owned(),
            sort: crate::pages::Sort::default(),
            layout: crate::pages::Layout::default(),
        }
    }

    fn message(look: &Look, title: &str, text: &str) -> String {
        look.html("message.html", title, context! { text, error => true })
            .expect("renders")
    }

    #[test]
    fn the_defaults_parse_and_every_template_renders() {
        PageTheme::new().check().expect("the defaults parse");
        let look = look(&PageTheme::new(), Locale::En, Branding::default());
        for name in PageTheme::template_names() {
            // With no values at all, no template fails (missing values are empty).
            look.html(name, "T", context! {})
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn values_are_escaped_as_the_rest_of_the_crate_escapes() {
        let look = look(&PageTheme::new(), Locale::En, Branding::default());
        let html = message(&look, "<b>t</b>", "<script>alert('x')</script> & \"q\"");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"),
            "{html}"
        );
        assert!(
            html.contains("<title>&lt;b&gt;t&lt;/b&gt;</title>"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn the_default_look_says_nothing_of_the_product() {
        let look = look(&PageTheme::new(), Locale::En, Branding::default());
        for name in PageTheme::template_names() {
            let html = look.html(name, "T", context! {}).expect("renders");
            assert!(!html.to_lowercase().contains("sharelink"), "{name}: {html}");
        }
        assert!(!STYLESHEET.to_lowercase().contains("sharelink"));
    }

    #[test]
    fn branding_shows_in_the_layout() {
        let branding = Branding {
            site_title: "Acme <Files>".to_owned(),
            logo_url: Some("https://cdn.example.com/logo.png".to_owned()),
            accent_color: Some("#0a7d5a".to_owned()),
            favicon_url: Some("/favicon.ico".to_owned()),
            footer_text: Some("Acme Ltd · Imprint".to_owned()),
            stylesheet_url: Some("https://cdn.example.com/acme.css".to_owned()),
            ..Branding::default()
        };
        let look = look(&PageTheme::new(), Locale::De, branding);
        let html = message(&look, "Titel", "Text");
        for part in [
            "<html lang=\"de\">",
            "<title>Titel · Acme &lt;Files&gt;</title>",
            "<span class=\"site-title\">Acme &lt;Files&gt;</span>",
            "<img class=\"logo\" src=\"https://cdn.example.com/logo.png\" alt=\"\">",
            ":root{--accent:#0a7d5a}",
            "<link rel=\"icon\" href=\"/favicon.ico\">",
            "<link rel=\"stylesheet\" href=\"https://cdn.example.com/acme.css\">",
            "<footer class=\"site\">Acme Ltd · Imprint</footer>",
            "<strong lang=\"de\" aria-current=\"true\">Deutsch</strong>",
            "<a href=\"?p=docs&amp;lang=fr\" lang=\"fr\" hreflang=\"fr\">Français</a>",
        ] {
            assert!(html.contains(part), "{part} missing: {html}");
        }
        let csp = look.csp(false).expect("a CSP for the outside addresses");
        let csp = csp.to_str().expect("ascii");
        assert!(
            csp.contains("img-src 'self' data: https://cdn.example.com"),
            "{csp}"
        );
        assert!(
            csp.contains("style-src 'unsafe-inline' 'self' https://cdn.example.com"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }

    #[test]
    fn a_template_and_the_stylesheet_are_replaced() {
        let theme = PageTheme::new()
            .with_template(
                "message.html",
                "{% extends \"base.html\" %}{% block content %}<div class=\"mine\">{{ text }} \
                 {{ t(\"continue\") }}</div>{% endblock %}",
            )
            .with_stylesheet("body{color:olive}")
            .with_extra_css(".mine{margin:0}");
        let look = look(&theme, Locale::Fr, Branding::default());
        let html = message(&look, "Titre", "<i>x</i>");
        assert!(
            html.contains("<div class=\"mine\">&lt;i&gt;x&lt;/i&gt; Continuer</div>"),
            "{html}"
        );
        assert!(html.contains("body{color:olive}.mine{margin:0}"), "{html}");
        assert!(
            !html.contains("--bg:"),
            "the default stylesheet is gone: {html}"
        );
    }

    #[test]
    fn a_broken_theme_is_refused_when_built() {
        assert!(matches!(
            PageTheme::new().with_template("nope.html", "x").check(),
            Err(ThemeError::UnknownTemplate(n)) if n == "nope.html"
        ));
        let err = PageTheme::new()
            .with_template("share.html", "{% if %}")
            .check()
            .expect_err("a syntax error");
        assert!(
            matches!(&err, ThemeError::Syntax { name, .. } if name == "share.html"),
            "{err}"
        );
    }

    #[test]
    fn a_theme_folder_is_read() {
        let dir = std::env::temp_dir().join(format!("pages-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("style.css"), "p{color:red}").expect("css");
        std::fs::write(
            dir.join("message.html"),
            "{% extends \"base.html\" %}{% block content %}folder:{{ text }}{% endblock %}",
        )
        .expect("template");
        std::fs::write(dir.join("README.txt"), "ignored").expect("other");
        let theme = PageTheme::from_dir(&dir).expect("reads");
        let look = look(&theme, Locale::En, Branding::default());
        let html = message(&look, "T", "hi");
        assert!(
            html.contains("folder:hi") && html.contains("p{color:red}"),
            "{html}"
        );
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(
            PageTheme::from_dir(dir.join("missing")),
            Err(ThemeError::Read { .. })
        ));
    }

    #[test]
    fn a_template_failing_at_render_time_answers_a_plain_error() {
        let theme =
            PageTheme::new().with_template("message.html", "{% include \"missing.html\" %}");
        let look = look(&theme, Locale::En, Branding::default());
        let res = look.render(axum::http::StatusCode::OK, "message.html", "T", context! {});
        assert_eq!(res.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}

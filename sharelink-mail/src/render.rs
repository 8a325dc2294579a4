//! What each email says, from minijinja templates: a subject, a plain-text part and an
//! HTML part per kind of mail, the defaults embedded in the binary, any of them (and the
//! stylesheet) replaceable by the embedder ([`MailTheme`]), the words translated with
//! Fluent ([`crate::i18n`]). [`TemplateRenderer`] is the [`MailRenderer`] the mailers of
//! this crate use unless told otherwise.

use crate::i18n::{Language, TranslationError, Translations};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, context};
use serde::Serialize;
use sharelink_core::ports::mailer::{
    DefaultRenderer, Mail, MailMessage, MailRenderer, RenderError, RenderedMail,
};
use sharelink_core::text::{body_text, escape_html, is_web_link, single_line, subject_part};
use sharelink_core::{Activity, ActivityKind, Notice};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, LazyLock};
use time::OffsetDateTime;

#[cfg(test)]
/// The kinds of mail, as their templates are named (`KIND.subject.txt`, `KIND.txt`,
/// `KIND.html`): [`MailMessage::kind`].
const KINDS: [&str; 8] = [
    "invitation",
    "one_time_code",
    "download_notification",
    "link_resent",
    "expiry_reminder",
    "under_attack",
    "owner_notice",
    "owner_digest",
];

/// The default templates, by name.
const DEFAULTS: [(&str, &str); 27] = [
    ("base.html", include_str!("../templates/base.html")),
    ("base.txt", include_str!("../templates/base.txt")),
    ("macros.html", include_str!("../templates/macros.html")),
    (
        "invitation.subject.txt",
        include_str!("../templates/invitation.subject.txt"),
    ),
    (
        "invitation.txt",
        include_str!("../templates/invitation.txt"),
    ),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    (
        "one_time_code.subject.txt",
        include_str!("../templates/one_time_code.subject.txt"),
    ),
    (
        "one_time_code.txt",
        include_str!("../templates/one_time_code.txt"),
    ),
    (
        "one_time_code.html",
        include_str!("../templates/one_time_code.html"),
    ),
    (
        "download_notification.subject.txt",
        include_str!("../templates/download_notification.subject.txt"),
    ),
    (
        "download_notification.txt",
        include_str!("../templates/download_notification.txt"),
    ),
    (
        "download_notification.html",
        include_str!("../templates/download_notification.html"),
    ),
    (
        "link_resent.subject.txt",
        include_str!("../templates/link_resent.subject.txt"),
    ),
    (
        "link_resent.txt",
        include_str!("../templates/link_resent.txt"),
    ),
    (
        "link_resent.html",
        include_str!("../templates/link_resent.html"),
    ),
    (
        "expiry_reminder.subject.txt",
        include_str!("../templates/expiry_reminder.subject.txt"),
    ),
    (
        "expiry_reminder.txt",
        include_str!("../templates/expiry_reminder.txt"),
    ),
    (
        "expiry_reminder.html",
        include_str!("../templates/expiry_reminder.html"),
    ),
    (
        "under_attack.subject.txt",
        include_str!("../templates/under_attack.subject.txt"),
    ),
    (
        "under_attack.txt",
        include_str!("../templates/under_attack.txt"),
    ),
    (
        "under_attack.html",
        include_str!("../templates/under_attack.html"),
    ),
    (
        "owner_notice.subject.txt",
        include_str!("../templates/owner_notice.subject.txt"),
    ),
    (
        "owner_notice.txt",
        include_str!("../templates/owner_notice.txt"),
    ),
    (
        "owner_notice.html",
        include_str!("../templates/owner_notice.html"),
    ),
    (
        "owner_digest.subject.txt",
        include_str!("../templates/owner_digest.subject.txt"),
    ),
    (
        "owner_digest.txt",
        include_str!("../templates/owner_digest.txt"),
    ),
    (
        "owner_digest.html",
        include_str!("../templates/owner_digest.html"),
    ),
];

/// The default stylesheet (put in a `<style>` element of every HTML part).
const STYLESHEET: &str = include_str!("../templates/style.css");

/// The look and wording of the emails: the embedded default templates and stylesheet,
/// with any of them replaced, and the language of mails that name none. Turn it into a
/// renderer with [`MailTheme::renderer`] and give that to
/// [`SmtpMailer::with_renderer`](crate::SmtpMailer::with_renderer) or
/// [`OutboxMailer::with_renderer`](crate::OutboxMailer::with_renderer).
///
/// Templates are [minijinja](https://docs.rs/minijinja) (Jinja2) templates. Each kind of
/// mail ([`MailMessage::kind`]: `invitation`, `one_time_code`, …) has three:
/// `KIND.subject.txt` (one line: line breaks become spaces), `KIND.txt` (the plain-text
/// part, extending `base.txt`) and `KIND.html` (the HTML part, extending `base.html`,
/// blocks `content`). `.html` templates escape every value unless marked `|safe`; each
/// can call `t("message-id", name=value)` for a text in the mail's language, and the
/// `short` filter cuts user text to a length that suits a subject. The values each
/// kind receives are listed at the top of its default `KIND.subject.txt` in
/// `sharelink-mail/templates/`, those of every kind at the top of `base.html`.
///
/// ```
/// use sharelink_mail::MailTheme;
///
/// let renderer = MailTheme::new()
///     // Owner notifications and invitations name no language: these are in French.
///     .with_default_locale("fr")
///     // Only recolour: the default stylesheet stays, this follows it.
///     .with_extra_css(".site{color:#0a7d5a}")
///     // Or reword one part: here the subject of one-time codes.
///     .with_template(
///         "one_time_code.subject.txt",
///         r#"{{ t("code-subject", share=share_name|short) }} ({{ site }})"#,
///     )
///     .renderer()?;
/// # let _ = renderer;
/// # Ok::<(), sharelink_mail::ThemeError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MailTheme {
    templates: BTreeMap<String, String>,
    stylesheet: Option<String>,
    extra_css: String,
    default_locale: Option<String>,
}

/// A mail theme that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThemeError {
    /// A template of this name is not one of the mails' (see [`MailTheme::template_names`]).
    #[error("there is no mail template named {0:?}")]
    UnknownTemplate(String),
    /// A template does not parse.
    #[error("mail template {name:?} does not parse: {source}")]
    Syntax {
        /// The template.
        name: String,
        /// What the parser said (with the line).
        #[source]
        source: Error,
    },
    /// The default language is not one the mails are written in.
    #[error("the mails are not translated into {0:?} (they are in en, fr, de and zh-CN)")]
    UnknownLocale(String),
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

impl MailTheme {
    /// The default look and wording, mails without a language in English.
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

    /// Replaces template `name` (one of [`MailTheme::template_names`]) with `source`.
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

    /// Adds CSS after the stylesheet (the default or the replaced one).
    #[must_use]
    pub fn with_extra_css(mut self, css: impl Into<String>) -> Self {
        self.extra_css.push_str(&css.into());
        self.extra_css.push('\n');
        self
    }

    /// The language of mails that name none ([`Mail::locale`] `None`: owner
    /// notifications, invitations) and of mails in a language the templates lack: a BCP
    /// 47 tag of `en`, `fr`, `de` or `zh-CN` (English unless set).
    #[must_use]
    pub fn with_default_locale(mut self, tag: impl Into<String>) -> Self {
        self.default_locale = Some(tag.into());
        self
    }

    /// Reads overrides from a folder: each file named as one of the templates replaces
    /// it, and `style.css`, if present, replaces the stylesheet. Other files are ignored.
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

    /// Parses every template and checks the default language.
    ///
    /// # Errors
    /// [`ThemeError::UnknownTemplate`], [`ThemeError::Syntax`] or
    /// [`ThemeError::UnknownLocale`].
    pub fn check(&self) -> Result<(), ThemeError> {
        self.renderer().map(drop)
    }

    /// The renderer of this theme.
    ///
    /// # Errors
    /// As [`MailTheme::check`].
    pub fn renderer(&self) -> Result<TemplateRenderer, ThemeError> {
        TemplateRenderer::build(self)
    }
}

/// Renders every mail from the templates of a [`MailTheme`], in the mail's language
/// ([`Mail::locale`], else the theme's default).
///
/// It keeps core's guarantees: the subject is one line ([`RenderedMail::new`]); every
/// user-supplied text is escaped in the HTML part (the `.html` templates escape every
/// value); links become buttons only when they are web links (`link_href` is set only
/// for `https://` and `http://` links, and the logo only for a web address); dates are
/// in the share's time zone, named; the same mail renders the same way.
pub struct TemplateRenderer {
    env: Environment<'static>,
    texts: Arc<Translations>,
    stylesheet: String,
    default_language: Language,
}

impl std::fmt::Debug for TemplateRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateRenderer")
            .field("default_language", &self.default_language.tag())
            .finish_non_exhaustive()
    }
}

/// The renderer of the default theme, built once.
static DEFAULT: LazyLock<Option<Arc<TemplateRenderer>>> = LazyLock::new(|| {
    match TemplateRenderer::build(&MailTheme::new()) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            tracing::error!(error = %e, "the default mail templates do not build; mails are rendered in core's English");
            None
        }
    }
});

/// The renderer the mailers of this crate start with: the default [`MailTheme`]'s
/// (core's [`DefaultRenderer`] were the embedded templates broken, logged).
pub(crate) fn default_renderer() -> Arc<dyn MailRenderer> {
    match &*DEFAULT {
        Some(r) => r.clone(),
        None => Arc::new(DefaultRenderer),
    }
}

/// `link` when it may become an `href` (only web links: never `javascript:` and co).
fn web_link(link: &str) -> Option<&str> {
    is_web_link(link).then_some(link)
}

/// Whether `c` is a colour written `#rrggbb` (safe inside a `<style>` element).
fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// One event told to an owner: a sentence and detail lines.
#[derive(Debug, Serialize)]
struct Event {
    line: String,
    details: Vec<String>,
}

impl TemplateRenderer {
    /// Parses the theme's templates and loads the translations.
    fn build(theme: &MailTheme) -> Result<Self, ThemeError> {
        let default_language = match &theme.default_locale {
            None => Language::En,
            Some(tag) => {
                Language::from_tag(tag).ok_or_else(|| ThemeError::UnknownLocale(tag.clone()))?
            }
        };
        let texts = Arc::new(Translations::load()?);
        let mut env = Environment::new();
        // A replaced template naming a value some kind lacks still renders (empty).
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        // Escaped as the pages and core escape (`&#39;`), and `none` writes nothing.
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
        env.add_filter("short", |text: &str| subject_part(text));
        let t = texts.clone();
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, Error> {
                let language = state
                    .lookup("lang")
                    .and_then(|l| l.as_str().and_then(Language::from_tag))
                    .unwrap_or(Language::En);
                let mut args = fluent_bundle::FluentArgs::new();
                for name in kwargs.args() {
                    let v: Value = kwargs.get(name)?;
                    let v = match v.as_i64() {
                        Some(n) => fluent_bundle::FluentValue::from(n),
                        None if v.is_none() || v.is_undefined() => {
                            fluent_bundle::FluentValue::from("")
                        }
                        None => fluent_bundle::FluentValue::from(v.to_string()),
                    };
                    args.set(name.to_owned(), v);
                }
                Ok(t.text(language, id, Some(&args)))
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
            if MailTheme::default_template(name).is_none() {
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
            default_language,
        })
    }

    /// The renderer of the default theme.
    ///
    /// # Errors
    /// Only were the embedded templates or translations broken (a test checks they are
    /// not).
    pub fn new() -> Result<Self, ThemeError> {
        Self::build(&MailTheme::new())
    }

    /// The language `mail` is written in.
    fn language(&self, mail: &Mail) -> Language {
        mail.locale
            .as_deref()
            .and_then(Language::from_tag)
            .unwrap_or(self.default_language)
    }

    /// Renders template `name`.
    fn part(&self, name: &str, ctx: &Value) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                let mut reason = format!("mail template {name:?}: {e}");
                if e.kind() == ErrorKind::TemplateNotFound {
                    reason.push_str(" (a template names one that does not exist)");
                }
                RenderError {
                    reason,
                    source: Some(Box::new(e)),
                }
            })
    }

    /// One event in words.
    fn event(&self, lang: Language, notice: &Notice, zone: Option<&str>) -> Event {
        let t = &*self.texts;
        let share = single_line(&notice.share_name);
        let date = t.date(lang, notice.at, zone);
        let who = |v: &Option<String>| {
            v.as_deref()
                .map(single_line)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| t.text(lang, "anonymous-visitor", None))
        };
        let from = |ip: &Option<std::net::IpAddr>| {
            ip.map(|ip| t.with(lang, "from-address", &[("ip", &ip.to_string())]))
        };
        let base = [("share", share.as_str()), ("date", date.as_str())];
        let line = |id: &str, extra: &[(&str, &str)]| {
            let args: Vec<(&str, &str)> = base.iter().chain(extra).copied().collect();
            t.with(lang, id, &args)
        };
        match &notice.activity {
            Activity::Downloaded { visitor, paths, ip } => {
                let what = if paths.is_empty() {
                    t.text(lang, "all-files", None)
                } else {
                    paths
                        .iter()
                        .map(|p| single_line(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Event {
                    line: line("event-downloaded", &[("who", &who(visitor))]),
                    details: std::iter::once(t.with(lang, "detail-downloaded", &[("what", &what)]))
                        .chain(from(ip))
                        .collect(),
                }
            }
            Activity::Uploaded {
                visitor,
                path,
                bytes,
                ip,
            } => {
                let mut args = fluent_bundle::FluentArgs::new();
                args.set("path", single_line(path));
                args.set("bytes", fluent_bundle::FluentValue::from(*bytes));
                Event {
                    line: line("event-uploaded", &[("who", &who(visitor))]),
                    details: std::iter::once(t.text(lang, "detail-file", Some(&args)))
                        .chain(from(ip))
                        .collect(),
                }
            }
            Activity::Registered { name, email } => Event {
                line: line("event-registered", &[]),
                details: name
                    .as_deref()
                    .map(|n| t.with(lang, "detail-name", &[("name", &single_line(n))]))
                    .into_iter()
                    .chain(
                        email
                            .as_deref()
                            .map(|e| t.with(lang, "detail-email", &[("email", &single_line(e))])),
                    )
                    .collect(),
            },
            Activity::FirstVisit { recipient } => Event {
                line: line(
                    "event-first-visit",
                    &[("recipient", &single_line(recipient))],
                ),
                details: Vec::new(),
            },
            Activity::ExpirySoon { expires_at } => {
                let until = t.date(lang, *expires_at, zone);
                Event {
                    line: t.with(
                        lang,
                        "event-expiry-soon",
                        &[("share", &share), ("date", &until)],
                    ),
                    details: Vec::new(),
                }
            }
            // A kind of event newer than this renderer: its share and date.
            _ => Event {
                line: format!("{share}: {date}"),
                details: Vec::new(),
            },
        }
    }

    /// The values of `mail`'s own template, or `None` for a kind of mail newer than
    /// this renderer.
    fn values(&self, lang: Language, mail: &Mail) -> Option<Value> {
        let zone = mail.time_zone.as_deref();
        let date = |at: OffsetDateTime| self.texts.date(lang, at, zone);
        let name = |n: &str| single_line(n);
        Some(match &mail.message {
            MailMessage::Invitation {
                share_name,
                sender,
                message,
                link,
                expires_at,
            } => {
                let message_lines: Vec<String> = message
                    .as_deref()
                    .filter(|m| !m.trim().is_empty())
                    .map(|m| body_text(m).lines().map(str::to_owned).collect())
                    .unwrap_or_default();
                context! {
                    share_name => name(share_name),
                    sender => name(sender),
                    message_lines,
                    link => &link.0,
                    link_href => web_link(&link.0),
                    expires => expires_at.map(date),
                }
            }
            MailMessage::OneTimeCode {
                share_name,
                code,
                valid_minutes,
            } => context! {
                share_name => name(share_name),
                code => &code.0,
                valid_minutes,
            },
            MailMessage::DownloadNotification {
                share_name,
                visitor,
                paths,
                at,
                ip,
            } => context! {
                share_name => name(share_name),
                visitor => visitor.as_deref().map(single_line).filter(|v| !v.is_empty()),
                paths => paths.iter().map(|p| single_line(p)).collect::<Vec<_>>(),
                date => date(*at),
                ip => ip.map(|ip| ip.to_string()),
            },
            MailMessage::LinkResent { share_name, link } => context! {
                share_name => name(share_name),
                link => &link.0,
                link_href => web_link(&link.0),
            },
            MailMessage::ExpiryReminder {
                share_name,
                expires_at,
            } => context! {
                share_name => name(share_name),
                date => date(*expires_at),
            },
            MailMessage::UnderAttack {
                share_name,
                target,
                attempts,
                window_minutes,
                at,
            } => {
                // Core words the target in English; ours are translated.
                let id = match target.as_str() {
                    "the password" => Some("attack-target-password"),
                    "one-time codes" => Some("attack-target-codes"),
                    "addresses for one-time codes" => Some("attack-target-code-addresses"),
                    _ => None,
                };
                let target =
                    id.map_or_else(|| single_line(target), |id| self.texts.text(lang, id, None));
                context! {
                    share_name => name(share_name),
                    target,
                    attempts,
                    window_minutes,
                    date => date(*at),
                }
            }
            MailMessage::OwnerNotice { notice } => {
                let activity = match notice.activity.kind() {
                    ActivityKind::Download => "download",
                    ActivityKind::Upload => "upload",
                    ActivityKind::Registration => "registration",
                    ActivityKind::FirstVisit => "first-visit",
                    ActivityKind::ExpirySoon => "expiry",
                };
                context! {
                    share_name => name(&notice.share_name),
                    activity,
                    event => Value::from(minijinja::value::Serde(self.event(lang, notice, zone))),
                }
            }
            MailMessage::OwnerDigest { notices } => {
                let share_names: Vec<String> = notices
                    .iter()
                    .map(|n| name(&n.share_name))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let events: Vec<Event> =
                    notices.iter().map(|n| self.event(lang, n, zone)).collect();
                context! {
                    share_names,
                    events => Value::from(minijinja::value::Serde(events)),
                }
            }
            _ => return None,
        })
    }
}

impl MailRenderer for TemplateRenderer {
    fn render(&self, mail: &Mail) -> Result<RenderedMail, RenderError> {
        let lang = self.language(mail);
        let Some(values) = self.values(lang, mail) else {
            // A kind of mail newer than these templates: core's own wording.
            return DefaultRenderer.render(mail);
        };
        let b = &mail.branding;
        let common = context! {
            lang => lang.tag(),
            kind => mail.message.kind(),
            site => single_line(&b.site_title),
            logo_url => b.logo_url.as_deref().and_then(web_link),
            accent => b.accent_color.as_deref().filter(|c| is_hex_colour(c)),
            footer_text => b.footer_text.as_deref().map(single_line).filter(|f| !f.is_empty()),
            stylesheet => &self.stylesheet,
        };
        let kind = mail.message.kind();
        let ctx = context! { ..values, ..common };
        let subject = single_line(&self.part(&format!("{kind}.subject.txt"), &ctx)?);
        let ctx = context! { subject => &subject, ..ctx };
        let text = self.part(&format!("{kind}.txt"), &ctx)?;
        let html = self.part(&format!("{kind}.html"), &ctx)?;
        Ok(RenderedMail::new(&subject, text, html))
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;

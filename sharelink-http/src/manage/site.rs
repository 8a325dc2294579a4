//! The site settings under `/api/site`, for administrators: read them with their version,
//! change them by naming the version read (a stale version answers 409, so two
//! administrators saving at once never silently overwrite each other).
//!
//! Durations are whole seconds (`2592000` is 30 days); `null` turns an optional limit off.
//! A change is in effect at once on the server process that saved it and within
//! `Config::site_cache` (1 s by default) on every other sharing the database, and is
//! published as a `site_settings_changed` event naming the settings that changed.

use super::request::ApiJson;
use super::{Actor, ErrorBody, rfc3339};
use crate::{ApiError, SharelinkState};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use sharelink_core::service::SiteView;
use utoipa::ToSchema;

/// The routes, relative to where the management API is mounted.
pub(super) fn routes() -> Router<SharelinkState> {
    Router::new().route("/site", get(read).patch(update))
}

/// The site settings in effect with their version, as the API answers them.
fn view_json(view: &SiteView) -> Result<Value, ApiError> {
    Ok(json!({
        "version": view.version,
        "updated_at": view.updated_at.map(rfc3339).transpose()?,
        "updated_by": view.updated_by.as_ref().map(|u| u.as_str()),
        "settings": serde_json::to_value(&view.settings)
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
    }))
}

/// Reads the site settings in effect (administrators only).
#[utoipa::path(get, path = "/api/site", tag = "site", operation_id = "read_site",
    responses((status = 200, description = "The settings and their version", body = SiteDto),
        (status = 401, description = "No signed-in user", body = ErrorBody),
        (status = 403, description = "`admin_only`: the user is not an administrator", body = ErrorBody)))]
async fn read(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view_json(&st.app.site_settings(&actor).await?)?))
}

/// A change of the site settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SiteUpdateBody {
    /// The `version` the change is based on, as `GET /api/site` answered it (0 while
    /// none were saved).
    expected_version: u64,
    /// The settings to change, by name; the others keep their value. A named setting
    /// is replaced whole (`branding` with all of its fields).
    #[schema(value_type = SiteSettingsDto)]
    settings: Value,
}

/// Changes site settings (administrators only): the named ones are laid over the settings
/// in effect, checked, and saved as the next version if `expected_version` is still the
/// stored one.
#[utoipa::path(patch, path = "/api/site", tag = "site", operation_id = "update_site", request_body = SiteUpdateBody,
    responses((status = 200, description = "The settings now in effect and their new version", body = SiteDto),
        (status = 401, description = "No signed-in user", body = ErrorBody),
        (status = 403, description = "`admin_only`: the user is not an administrator", body = ErrorBody),
        (status = 409, description = "`version_conflict`: someone saved since `expected_version`; nothing was saved", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a setting is unknown, of the wrong type, or out of bounds (`field` names it, e.g. `settings.attempts.per_client`)", body = ErrorBody)))]
async fn update(
    State(st): State<SharelinkState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<SiteUpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let current = st.app.site_settings(&actor).await?;
    let mut merged = serde_json::to_value(&current.settings)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (Value::Object(target), Value::Object(patch)) = (&mut merged, body.settings) else {
        return Err(ApiError::invalid_field(
            "settings",
            "expected an object of settings",
        ));
    };
    for (name, value) in patch {
        if !target.contains_key(&name) {
            let known: Vec<&str> = target.keys().map(String::as_str).collect();
            return Err(ApiError::invalid_field(
                format!("settings.{name}"),
                format_args!("unknown setting, expected one of {}", known.join(", ")),
            ));
        }
        target.insert(name, value);
    }
    let settings = super::request::from_value(merged, "settings")?;
    let saved = st
        .app
        .update_site_settings(&actor, body.expected_version, settings)
        .await?;
    Ok(Json(view_json(&saved)?))
}

/// The site settings in effect and their version.
#[derive(Debug, ToSchema)]
#[schema(as = Site)]
#[allow(dead_code)] // A schema of the document only: the answer is built from the core type.
pub(super) struct SiteDto {
    /// The version a change must name as `expected_version`; 0 while the server's initial
    /// settings (its configuration) are in effect.
    version: u64,
    /// When they were saved (RFC 3339), `null` for the initial settings.
    updated_at: Option<String>,
    /// Which administrator saved them, `null` for the initial settings.
    updated_by: Option<String>,
    settings: SiteSettingsDto,
}

/// Every site setting. Durations are whole seconds; `null` turns an optional limit off.
#[derive(Debug, ToSchema)]
#[schema(as = SiteSettings)]
#[allow(dead_code)]
pub(super) struct SiteSettingsDto {
    /// Lifetime (seconds) of shares created without an expiry; `null`: none.
    default_lifetime: Option<i64>,
    /// Shortest lifetime (seconds) a share may have (its expiry is raised to it).
    min_lifetime: Option<i64>,
    /// Longest lifetime (seconds) a share may have (its expiry is capped to it).
    max_lifetime: Option<i64>,
    custom_keys: CustomKeysDto,
    /// Every share must have a password (one is generated when the creator gives none).
    require_password: bool,
    /// Minimum password length in characters (1 to 256).
    password_min_len: u32,
    /// Whether shares may bind to the first device that opens them.
    device_binding: bool,
    /// Shares one user may create per day (at least 1); `null`: no quota.
    shares_per_user_per_day: Option<u32>,
    /// File extensions (lower case, no dot, 1 to 32 of `a-z0-9-_`, at most 200) that
    /// public shares (all but organization-only) refuse to serve or accept.
    refused_extensions: Vec<String>,
    /// Only one active share per recipient email and item.
    one_active_share_per_recipient_item: bool,
    /// Most items one share may hold (at least 1).
    max_items: u32,
    branding: BrandingDto,
    /// The From address of mail sent on the site's behalf; `null`: the mail server's.
    notification_sender: Option<String>,
    /// Addresses that get a copy of every owner notification (and digest); empty: none.
    notification_copy: Vec<String>,
    log_privacy: LogPrivacyDto,
    attempts: AttemptLimitsDto,
    one_time_codes: OneTimeCodesDto,
    /// How long (seconds) before expiry owners are reminded; `null`: no reminders.
    expiry_reminder: Option<i64>,
    share_defaults: ShareDefaultsDto,
}

/// Whether creators may choose their own link keys.
#[derive(Debug, ToSchema)]
#[schema(as = CustomKeyRules)]
#[allow(dead_code)]
pub(super) struct CustomKeysDto {
    /// Creators may choose keys.
    allowed: bool,
    /// Minimum length of a chosen key (1 to 64).
    min_len: u32,
}

/// Branding of pages and mail.
#[derive(Debug, ToSchema)]
#[schema(as = Branding)]
#[allow(dead_code)]
pub(super) struct BrandingDto {
    /// Site title on pages and in mail subjects (1 to 100 characters, one line).
    site_title: String,
    /// Display name of the mail sender (1 to 100 characters, one line).
    sender_name: String,
    /// Logo address (`https://`, `http://` or `/…`), or `null`.
    logo_url: Option<String>,
    /// Colour of links, buttons and the header rule on pages (`#rrggbb`), or `null`.
    accent_color: Option<String>,
    /// Address of the pages' icon (`https://`, `http://` or `/…`), or `null`.
    favicon_url: Option<String>,
    /// A line at the bottom of every page (plain text, at most 500 characters), or `null`.
    footer_text: Option<String>,
    /// Address of a stylesheet pages load after their own (`https://`, `http://` or
    /// `/…`), or `null`.
    stylesheet_url: Option<String>,
}

/// Privacy and retention of the access log.
#[derive(Debug, ToSchema)]
#[schema(as = LogPrivacy)]
#[allow(dead_code)]
pub(super) struct LogPrivacyDto {
    /// Client addresses are truncated before they are stored.
    truncate_ip: bool,
    /// IPv4 bits kept when truncating (0 to 32).
    ipv4_prefix: u8,
    /// IPv6 bits kept when truncating (0 to 128).
    ipv6_prefix: u8,
    /// How long (seconds) access-log events are kept (the housekeeping purge deletes
    /// older ones); `null`: until the share is revoked.
    retention: Option<i64>,
}

/// Limits on guessing passwords and one-time codes.
#[derive(Debug, ToSchema)]
#[schema(as = AttemptLimits)]
#[allow(dead_code)]
pub(super) struct AttemptLimitsDto {
    /// Failed attempts one client may make on one share per window (at least 1).
    per_client: u32,
    /// Failed attempts one network (IPv4 /24, IPv6 /64) may make per window.
    per_network: u32,
    /// Attempts on one share per window before it slows down.
    per_share: u32,
    /// The counting window (seconds).
    window: i64,
    /// The slow-down step (seconds, at least 1).
    slow_step: i64,
    /// The longest slow-down (seconds, at least `slow_step`).
    slow_max: i64,
    /// How long (seconds) a browser that passed a gate is exempt from the slow-down.
    remember_browsers: i64,
}

/// One-time verification codes sent by mail.
#[derive(Debug, ToSchema)]
#[schema(as = OneTimeCodePolicy)]
#[allow(dead_code)]
pub(super) struct OneTimeCodesDto {
    /// How long (seconds) a code stays valid.
    ttl: i64,
    /// Wrong guesses before a code is burnt (at least 1).
    max_attempts: u32,
    /// Number of digits (6 to 10).
    digits: u8,
}

/// What new shares start from where their creator leaves a setting out of
/// `POST /api/shares`'s `settings` (existing shares do not change).
#[derive(Debug, ToSchema)]
#[schema(as = ShareDefaults)]
#[allow(dead_code)]
pub(super) struct ShareDefaultsDto {
    /// Access control, as in a share's settings (`{"kind": "anyone"}`,
    /// `{"kind": "organization"}`, `{"kind": "verified_emails", "patterns": […]}`).
    #[schema(value_type = sharelink_core::AccessControl)]
    access: Value,
    /// Use limit (`{"max": 3, "unit": "download"}`), or `null`.
    #[schema(value_type = Option<sharelink_core::UseLimit>)]
    use_limit: Option<Value>,
    /// Registration form, as in a share's settings, or `null`.
    #[schema(value_type = Option<sharelink_core::RegistrationForm>)]
    registration: Option<Value>,
    /// Terms to accept (`{"title": …, "terms": …}`), or `null`.
    #[schema(value_type = Option<sharelink_core::Clickwrap>)]
    clickwrap: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sharelink_core::SiteSettings;

    /// The property names of schema `name` in the document.
    fn properties(doc: &Value, name: &str) -> Vec<String> {
        let mut keys: Vec<String> = doc["components"]["schemas"][name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no schema {name}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The document's site schemas name exactly the fields the API reads and answers, so
    /// it cannot fall behind the core type.
    #[test]
    fn the_documented_settings_match_the_settings_served() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).expect("a document");
        let mut settings = SiteSettings::default();
        // Every optional field set, so each one serializes.
        let b = &mut settings.branding;
        b.logo_url = Some("/logo.svg".into());
        b.accent_color = Some("#123456".into());
        b.favicon_url = Some("/favicon.ico".into());
        b.footer_text = Some("Footer".into());
        b.stylesheet_url = Some("/site.css".into());
        let served = serde_json::to_value(settings).expect("settings");
        assert_eq!(properties(&doc, "SiteSettings"), keys(&served));
        for (schema, field) in [
            ("CustomKeyRules", "custom_keys"),
            ("Branding", "branding"),
            ("LogPrivacy", "log_privacy"),
            ("AttemptLimits", "attempts"),
            ("OneTimeCodePolicy", "one_time_codes"),
            ("ShareDefaults", "share_defaults"),
        ] {
            assert_eq!(properties(&doc, schema), keys(&served[field]), "{schema}");
        }
        assert!(doc["paths"]["/api/site"]["get"].is_object());
        assert!(doc["paths"]["/api/site"]["patch"]["responses"]["409"].is_object());
    }
}

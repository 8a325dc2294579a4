//! The pages of the gates: the button that opens a share, each gate's form, and the
//! confirmation of a counted download.

use super::{Hidden, Notice, val};
use crate::ApiError;
use crate::client::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use sharelink_core::service::GateInfo;
use sharelink_core::{Denial, FieldKind};

/// The button that opens a share whose opening counts (carrying the recipient and
/// access codes of the link, if any).
pub(crate) fn confirm_open_page(
    ctx: &Ctx,
    key: &str,
    r: Option<&str>,
    code: Option<&str>,
) -> Response {
    let hidden: Vec<Hidden> = [("r", r), ("code", code)]
        .into_iter()
        .filter_map(|(name, v)| {
            v.map(|v| Hidden {
                name,
                value: v.to_owned(),
            })
        })
        .collect();
    ctx.look.render(
        StatusCode::OK,
        "gate_open.html",
        &ctx.look.text("title-open"),
        context! {
            action => ctx.share_url(key, "/open"),
            csrf => &ctx.csrf,
            hidden => val(hidden),
        },
    )
}

/// The page that asks a person to confirm a counted download (a bot will not press it).
pub(crate) fn confirm_download_page(ctx: &Ctx, action_url: &str, name: &str) -> Response {
    confirm_page(ctx, action_url, name, Vec::new())
}

/// The confirm page, with extra hidden fields.
pub(crate) fn confirm_page(
    ctx: &Ctx,
    action_url: &str,
    name: &str,
    hidden: Vec<Hidden>,
) -> Response {
    ctx.look.render(
        StatusCode::CONFLICT,
        "confirm.html",
        &ctx.look.text("title-confirm-download"),
        context! { name, action => action_url, csrf => &ctx.csrf, hidden => val(hidden) },
    )
}

/// A field of the registration form, as `gate_register.html` draws it.
#[derive(Debug, serde::Serialize)]
struct Field<'a> {
    id: String,
    name: String,
    label: &'a str,
    required: bool,
    help: Option<&'a str>,
    kind: &'static str,
    options: &'a [String],
}

/// The page of the next gate (or, with none pending, the notice alone).
pub(crate) fn gate_page(ctx: &Ctx, key: &str, gate: &GateInfo, notice: Option<Notice>) -> Response {
    let look = &ctx.look;
    let action = |rest: &str| ctx.share_url(key, rest);
    let notice = val(notice);
    let pending = gate.pending.clone();
    let status = pending
        .as_ref()
        .map_or(StatusCode::OK, ApiError::denial_status);
    let csrf = &ctx.csrf;
    let (template, title, values) = match pending {
        Some(Denial::PasswordRequired) => (
            "gate_password.html",
            "title-password",
            context! { action => action("/password"), csrf, notice },
        ),
        Some(Denial::EmailVerificationRequired) => (
            "gate_email.html",
            "title-email",
            context! {
                email_action => action("/email"),
                code_action => action("/code"),
                csrf,
                notice,
            },
        ),
        Some(Denial::RegistrationRequired) => {
            let fields: Vec<Field<'_>> = gate
                .form
                .as_ref()
                .map(|f| f.fields.as_slice())
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let (kind, options): (&'static str, &[String]) = match &f.kind {
                        FieldKind::ShortAnswer
                            if f.label == sharelink_core::model::form::DEFAULT_EMAIL =>
                        {
                            ("email", &[])
                        }
                        FieldKind::ShortAnswer => ("short", &[]),
                        FieldKind::Paragraph => ("paragraph", &[]),
                        FieldKind::MultipleChoice { options } => ("choice", options),
                        FieldKind::Dropdown { options } => ("dropdown", options),
                    };
                    Field {
                        id: format!("f{i}"),
                        name: format!("field:{}", f.label),
                        label: &f.label,
                        required: f.required,
                        help: f.description.as_deref(),
                        kind,
                        options,
                    }
                })
                .collect();
            (
                "gate_register.html",
                "title-register",
                context! { action => action("/register"), csrf, notice, fields => val(fields) },
            )
        }
        Some(Denial::ClickwrapRequired) => {
            let default_title = look.text("terms-default-title");
            let (heading, terms) = gate
                .clickwrap
                .as_ref()
                .map_or((default_title.as_str(), ""), |c| {
                    (c.title.as_str(), c.terms.as_str())
                });
            (
                "gate_terms.html",
                "title-terms",
                context! { heading, terms, action => action("/terms"), csrf, notice },
            )
        }
        Some(Denial::ConfirmationRequired) => return confirm_open_page(ctx, key, None, None),
        Some(d) => {
            return super::message(
                ctx,
                ApiError::denial_status(&d),
                &look.text("cannot-continue"),
                &d.to_string(),
            );
        }
        None => (
            "gate_passed.html",
            "title-shared-files",
            context! { notice },
        ),
    };
    look.render(status, template, &look.text(title), values)
}

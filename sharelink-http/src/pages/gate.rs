//! The pages of the gates: the button that opens a share, and each gate's form.

use super::{Notice, csrf_field, esc, notice_html};
use crate::ApiError;
use crate::client::Ctx;
use axum::http::StatusCode;
use axum::response::Response;
use sharelink_core::service::GateInfo;
use sharelink_core::{Denial, FieldKind};

pub(crate) fn confirm_open_page(
    ctx: &Ctx,
    key: &str,
    r: Option<&str>,
    code: Option<&str>,
) -> Response {
    let mut hidden = csrf_field(&ctx.csrf);
    for (name, v) in [("r", r), ("code", code)] {
        if let Some(v) = v {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                esc(v)
            ));
        }
    }
    super::page(
        StatusCode::OK,
        "Open shared files",
        &format!(
            "<h1>Shared files</h1><p>Press the button to open this share.</p>\
<form method=\"post\" action=\"{}\">{hidden}<button type=\"submit\">Open</button></form>",
            esc(&ctx.share_url(key, "/open"))
        ),
    )
}

pub(crate) fn gate_page(ctx: &Ctx, key: &str, gate: &GateInfo, notice: Option<Notice>) -> Response {
    let csrf = csrf_field(&ctx.csrf);
    let action = |rest: &str| esc(&ctx.share_url(key, rest));
    let notice = notice_html(notice.as_ref());
    let pending = gate.pending.clone();
    let status = pending
        .as_ref()
        .map_or(StatusCode::OK, ApiError::denial_status);
    let (title, body) = match pending {
        Some(Denial::PasswordRequired) => (
            "Password required",
            format!(
                "<h1>Password required</h1>{notice}<p>This share is protected by a password.</p>\
<form method=\"post\" action=\"{}\">{csrf}<label>Password <input type=\"password\" \
name=\"password\" required autofocus autocomplete=\"current-password\"></label> \
<button type=\"submit\">Continue</button></form>",
                action("/password")
            ),
        ),
        Some(Denial::EmailVerificationRequired) => (
            "Verify your email",
            format!(
                "<h1>Verify your email</h1>{notice}<p>Enter your email address; we will send you \
a one-time code.</p><form method=\"post\" action=\"{}\">{csrf}<label>Email <input \
type=\"email\" name=\"email\" required autocomplete=\"email\"></label> <button \
type=\"submit\">Send code</button></form><form method=\"post\" action=\"{}\">{csrf}\
<label>Code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
required></label> <button type=\"submit\">Verify</button></form>",
                action("/email"),
                action("/code")
            ),
        ),
        Some(Denial::RegistrationRequired) => {
            let mut inputs = String::new();
            for (i, f) in gate
                .form
                .as_ref()
                .map(|f| f.fields.as_slice())
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let name = esc(&format!("field:{}", f.label));
                let req = if f.required { " required" } else { "" };
                let star = if f.required { " *" } else { "" };
                let help = f
                    .description
                    .as_deref()
                    .map(|d| format!("<br><small>{}</small>", esc(d)))
                    .unwrap_or_default();
                let control = match &f.kind {
                    FieldKind::ShortAnswer => {
                        let ty = if f.label == sharelink_core::model::form::DEFAULT_EMAIL {
                            "email"
                        } else {
                            "text"
                        };
                        format!("<input type=\"{ty}\" id=\"f{i}\" name=\"{name}\"{req}>")
                    }
                    FieldKind::Paragraph => {
                        format!("<textarea id=\"f{i}\" name=\"{name}\"{req}></textarea>")
                    }
                    FieldKind::MultipleChoice { options } => options
                        .iter()
                        .map(|o| {
                            format!(
                                "<label><input type=\"radio\" name=\"{name}\" value=\"{}\"{req}> {}</label> ",
                                esc(o),
                                esc(o)
                            )
                        })
                        .collect(),
                    FieldKind::Dropdown { options } => format!(
                        "<select id=\"f{i}\" name=\"{name}\"{req}><option value=\"\"></option>{}</select>",
                        options
                            .iter()
                            .map(|o| format!("<option>{}</option>", esc(o)))
                            .collect::<String>()
                    ),
                };
                inputs.push_str(&format!(
                    "<p><label for=\"f{i}\">{}{star}</label>{help}<br>{control}</p>",
                    esc(&f.label)
                ));
            }
            (
                "Register",
                format!(
                    "<h1>Please register</h1>{notice}<form method=\"post\" action=\"{}\">{csrf}\
{inputs}<button type=\"submit\">Continue</button></form>",
                    action("/register")
                ),
            )
        }
        Some(Denial::ClickwrapRequired) => {
            let (t, terms) = gate
                .clickwrap
                .as_ref()
                .map(|c| (c.title.as_str(), c.terms.as_str()))
                .unwrap_or(("Terms", ""));
            (
                "Terms",
                format!(
                    "<h1>{}</h1>{notice}<pre>{}</pre><form method=\"post\" action=\"{}\">{csrf}\
<button type=\"submit\">I accept</button></form>",
                    esc(t),
                    esc(terms),
                    action("/terms")
                ),
            )
        }
        Some(Denial::ConfirmationRequired) => return confirm_open_page(ctx, key, None, None),
        Some(d) => {
            return super::message(
                ApiError::denial_status(&d),
                "Cannot continue",
                &d.to_string(),
            );
        }
        None => ("Shared files", notice),
    };
    super::page(status, title, &body)
}

//! The gate forms (password, email code, registration, terms) and what follows them.

use super::{Fields, fail, field, posted_session, render_visit, service_fail};
use crate::client::Ctx;
use crate::pages::Notice;
use crate::{ApiError, SharelinkState};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sharelink_core::policy::RequestMode;
use sharelink_core::service::{ServiceError, Visit, VisitRequest};
use sharelink_core::{Answer, Denial, SharePath};

/// After a gate form: the next page (HTML: redirect to it), or the form again with why.
pub(crate) async fn after_gate(
    st: &SharelinkState,
    mut ctx: Ctx,
    key: &str,
    result: Result<Option<Visit>, ServiceError>,
    success: Option<&str>,
) -> Response {
    match result {
        Ok(Some(visit)) if ctx.json => {
            render_visit(
                st,
                &mut ctx,
                key,
                visit,
                &SharePath::root(),
                RequestMode::Confirmed,
                None,
            )
            .await
        }
        Ok(None) if success.is_some() => {
            back_to_gate(
                st,
                ctx,
                key,
                StatusCode::OK,
                success.map(|s| Notice {
                    error: false,
                    text: s.to_owned(),
                }),
            )
            .await
        }
        Ok(_) => ctx.apply(Redirect::to(&ctx.share_url(key, "")).into_response()),
        Err(e) => {
            let err = ApiError::from(e);
            let gate_problem = matches!(
                err.code,
                "password_required"
                    | "email_verification_required"
                    | "email_not_allowed"
                    | "too_many_attempts"
                    | "form"
                    | "bad_request"
                    | "already_passed"
            );
            if ctx.json || !gate_problem {
                // The share exists and the request holds a session (perhaps opened by
                // this post): its cookie goes with the refusal, or the next try would
                // open, and count, another.
                return ctx.apply(fail(&ctx, err));
            }
            let text = match err.code {
                "password_required" => "Wrong password.".to_owned(),
                "email_verification_required" => "Wrong or expired code.".to_owned(),
                _ => err.message.clone(),
            };
            back_to_gate(st, ctx, key, err.status, Some(Notice { error: true, text })).await
        }
    }
}

pub(crate) async fn back_to_gate(
    st: &SharelinkState,
    mut ctx: Ctx,
    key: &str,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let Some(sid) = ctx.session(key) else {
        return fail(&ctx, Denial::NoSession.into());
    };
    match st
        .app
        .resume(&VisitRequest::new(
            key,
            &sid,
            &ctx.client,
            RequestMode::Confirmed,
        ))
        .await
    {
        Ok(visit) => {
            let mut res = render_visit(
                st,
                &mut ctx,
                key,
                visit,
                &SharePath::root(),
                RequestMode::Confirmed,
                notice,
            )
            .await;
            // The form again, with the status of why it is shown again.
            if visit_has_gate(&res) {
                *res.status_mut() = status;
            }
            res
        }
        Err(e) => service_fail(&ctx, e),
    }
}

/// Whether a rendered visit is a page (not a redirect or a refusal of another kind).
pub(crate) fn visit_has_gate(res: &Response) -> bool {
    res.status().is_success()
        || res.status() == StatusCode::UNAUTHORIZED
        || res.status() == StatusCode::FORBIDDEN
}

macro_rules! gate_handler {
    ($name:ident, |$st:ident, $ctx:ident, $key:ident, $sid:ident, $fields:ident| $body:expr, $success:expr) => {
        pub(crate) async fn $name(
            State($st): State<SharelinkState>,
            Path($key): Path<String>,
            headers: HeaderMap,
            mut $ctx: Ctx,
            Form($fields): Form<Fields>,
        ) -> Response {
            let $sid = match posted_session(&$st, &mut $ctx, &$key, &headers, &$fields).await {
                Ok(s) => s,
                Err(res) => return res,
            };
            let result: Result<Option<Visit>, ServiceError> = $body;
            after_gate(&$st, $ctx, &$key, result, $success).await
        }
    };
}

gate_handler!(
    password,
    |st, ctx, key, sid, fields| st
        .app
        .submit_password(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            field(&fields, "password").unwrap_or_default()
        )
        .await
        .map(Some),
    None
);

gate_handler!(
    request_code,
    |st, ctx, key, sid, fields| match sharelink_core::Email::parse(
        field(&fields, "email").unwrap_or_default().trim()
    ) {
        Ok(email) => st
            .app
            .request_code(
                &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
                &email
            )
            .await
            .map(|()| None),
        Err(_) => Err(ServiceError::Denied(Denial::EmailNotAllowed)),
    },
    Some("A code was sent to your email address. Enter it below.")
);

gate_handler!(
    verify_code,
    |st, ctx, key, sid, fields| st
        .app
        .verify_code(
            &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
            field(&fields, "code").unwrap_or_default().trim()
        )
        .await
        .map(Some),
    None
);

gate_handler!(
    register,
    |st, ctx, key, sid, fields| {
        let answers: Vec<Answer> = fields
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("field:").map(|label| Answer {
                    label: label.to_owned(),
                    value: v.clone(),
                })
            })
            .collect();
        st.app
            .register(
                &VisitRequest::new(&key, &sid, &ctx.client, RequestMode::Confirmed),
                &answers,
            )
            .await
            .map(Some)
    },
    None
);

gate_handler!(
    accept_terms,
    |st, ctx, key, sid, fields| {
        let _ = &fields;
        st.app
            .accept_terms(&VisitRequest::new(
                &key,
                &sid,
                &ctx.client,
                RequestMode::Confirmed,
            ))
            .await
            .map(Some)
    },
    None
);

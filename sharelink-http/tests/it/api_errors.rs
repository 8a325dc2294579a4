//! The management API's one error shape (#17 item 2), RFC 3339 instants in and out
//! (item 3), and its refusal of requests another site's page could send (item 4).

use super::*;
use serde_json::{Value, json};

/// A request to the management API as ana, with raw headers and body.
async fn raw(
    w: &World,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<String>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("x-user", "ana");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    Browser::default()
        .send(&w.router, req.body(Body::from(body.into())).unwrap())
        .await
}

fn body(a: &Answer) -> Value {
    serde_json::from_slice(&a.body).unwrap_or_else(|_| panic!("not JSON: {}", a.text()))
}

/// Checks the answer is the JSON error `code` with `status`, naming `field` if given.
#[track_caller]
fn refused(a: &Answer, status: u16, code: &str, field: Option<&str>) -> String {
    assert_eq!(a.status.as_u16(), status, "{}", a.text());
    assert!(
        a.header("content-type").starts_with("application/json"),
        "{}",
        a.header("content-type")
    );
    let b = body(a);
    assert_eq!(b["error"], code, "{b}");
    assert_eq!(b["field"].as_str(), field, "{b}");
    let message = b["message"].as_str().unwrap().to_owned();
    if let Some(field) = field {
        assert!(message.contains(field), "{message}");
    }
    message
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Request headers, and the status and code they must be refused with.
type Attempt<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);

#[tokio::test]
async fn every_body_failure_answers_the_json_error_shape() {
    let w = world().await;
    put(&w.files, "docs/a.txt", b"a").await;
    let cases: &[(&str, u16, &str, Option<&str>, &str)] = &[
        (
            r#"{"name": "x", "items": [{"path": "docs"}"#,
            400,
            "malformed_json",
            None,
            "EOF",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}]}}"#,
            400,
            "malformed_json",
            None,
            "trailing",
        ),
        (
            r#"{"items": [{"path": "docs"}]}"#,
            422,
            "invalid_field",
            Some("name"),
            "missing field",
        ),
        (
            r#"{"name": "x", "items": [{"paht": "docs"}]}"#,
            422,
            "invalid_field",
            Some("items[0].paht"),
            "unknown field",
        ),
        (
            r#"{"name": "x", "items": [], "colour": 1}"#,
            422,
            "invalid_field",
            Some("colour"),
            "expected one of",
        ),
        (
            r#"{"name": 5, "items": []}"#,
            422,
            "invalid_field",
            Some("name"),
            "expected a string",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}], "settings": {"use_limit": {"max": "many", "unit": "visit"}}}"#,
            422,
            "invalid_field",
            Some("settings.use_limit.max"),
            "expected u32",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}], "settings": {"expiry": "2030-01-01"}}"#,
            422,
            "invalid_field",
            Some("settings.expiry"),
            "unknown setting",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}], "settings": {"schedule": {"expires_at": "next week"}}}"#,
            422,
            "invalid_field",
            Some("settings.schedule.expires_at"),
            "2026-11-23T10:00:00Z",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}], "settings": {"schedule": {"expires_at": 1790000000}}}"#,
            422,
            "invalid_field",
            Some("settings.schedule.expires_at"),
            "RFC 3339",
        ),
        (
            r#"{"name": "x", "items": [{"path": "docs"}], "settings": "all"}"#,
            422,
            "invalid_field",
            Some("settings"),
            "expected an object",
        ),
        (
            r#"{"name": "x", "items": [{"path": "../etc"}]}"#,
            422,
            "invalid_field",
            Some("items[0].path"),
            "",
        ),
    ];
    for (json, status, code, field, needle) in cases {
        let a = raw(&w, Method::POST, "/api/shares", &[JSON], *json).await;
        let message = refused(&a, *status, code, *field);
        assert!(message.contains(needle), "{json}: {message}");
    }
    let form = raw(
        &w,
        Method::POST,
        "/api/shares",
        &[("content-type", "application/x-www-form-urlencoded")],
        "name=x",
    )
    .await;
    refused(&form, 415, "unsupported_media_type", None);
    let untyped = raw(
        &w,
        Method::POST,
        "/api/shares",
        &[("x-sharelink-request", "1")],
        "{}",
    )
    .await;
    refused(&untyped, 415, "unsupported_media_type", None);
    let list = w
        .app
        .list_shares(&user("ana"), Default::default())
        .await
        .unwrap();
    assert!(list.shares.is_empty(), "a refused request created a share");
}

#[tokio::test]
async fn parameters_routes_and_methods_answer_json_errors() {
    let w = world().await;
    let get = |uri: &'static str| raw(&w, Method::GET, uri, &[], "");
    let get = &get;
    let m = refused(
        &get("/api/shares/abc").await,
        400,
        "invalid_path_parameter",
        None,
    );
    assert!(m.contains("id") && m.contains("`abc`"), "{m}");
    let m = refused(
        &get("/api/shares?created_from=yesterday").await,
        400,
        "invalid_query",
        None,
    );
    assert!(m.contains("created_from"), "{m}");
    refused(
        &get("/api/shares?limit=-1").await,
        400,
        "invalid_query",
        None,
    );
    refused(
        &get("/api/shares?cursor=zz").await,
        400,
        "invalid_query",
        None,
    );
    refused(&get("/api/nothing-here").await, 404, "no_route", None);
    refused(&get("/api/shares/1/nothing").await, 404, "no_route", None);
    let put = raw(&w, Method::PUT, "/api/shares/1", &[JSON], "{}").await;
    refused(&put, 405, "method_not_allowed", None);
    // Both instant forms are accepted in queries.
    for q in [
        "created_from=2020-01-01T00:00:00Z",
        "created_from=2020-01-01T00:00",
    ] {
        let ok = raw(&w, Method::GET, &format!("/api/shares?{q}"), &[], "").await;
        assert_eq!(ok.status, StatusCode::OK, "{q}: {}", ok.text());
    }
}

#[tokio::test]
async fn instants_are_rfc3339_in_and_out_and_local_times_take_the_share_zone() {
    let w = world().await;
    put(&w.files, "docs/a.txt", b"a").await;
    let create = |schedule: Value| {
        let body =
            json!({"name": "t", "items": [{"path": "docs"}], "settings": {"schedule": schedule}});
        raw(&w, Method::POST, "/api/shares", &[JSON], body.to_string())
    };
    let cases = [
        (
            json!({"expires_at": "2030-01-01T10:00", "time_zone": "Europe/Paris"}),
            "2030-01-01T09:00:00Z",
        ),
        (
            json!({"expires_at": "2030-07-01T10:00:30", "time_zone": "America/New_York"}),
            "2030-07-01T14:00:30Z",
        ),
        (
            json!({"expires_at": "2030-01-01T10:00"}),
            "2030-01-01T10:00:00Z",
        ),
        (
            json!({"expires_at": "2030-01-01T12:00:00+02:00"}),
            "2030-01-01T10:00:00Z",
        ),
        (
            json!({"expires_at": "2030-01-01T10:00:00Z", "time_zone": "Asia/Tokyo"}),
            "2030-01-01T10:00:00Z",
        ),
    ];
    for (schedule, expected) in cases {
        let a = create(schedule.clone()).await;
        assert_eq!(a.status, StatusCode::CREATED, "{schedule}: {}", a.text());
        let b = body(&a);
        assert_eq!(
            b["requested"]["schedule"]["expires_at"], expected,
            "{schedule}"
        );
        assert_eq!(
            b["effective"]["schedule"]["expires_at"], expected,
            "{schedule}"
        );
        for at in [&b["created_at"], &b["updated_at"]] {
            let at = at.as_str().unwrap();
            assert!(at.ends_with('Z'), "{at}");
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                .unwrap();
        }
    }
    let unknown_zone =
        create(json!({"expires_at": "2030-01-01T10:00", "time_zone": "Mars/Olympus"})).await;
    let m = refused(
        &unknown_zone,
        422,
        "invalid_field",
        Some("settings.schedule.expires_at"),
    );
    assert!(m.contains("Mars/Olympus"), "{m}");

    // Reactivation reads a local time in the share's zone.
    let a = create(json!({"time_zone": "Europe/Paris"})).await;
    let id = body(&a)["id"].as_i64().unwrap();
    let expire = raw(
        &w,
        Method::POST,
        &format!("/api/shares/{id}/expire"),
        &[JSON],
        "{}",
    )
    .await;
    assert_eq!(body(&expire)["state"], "expired");
    let back = raw(
        &w,
        Method::POST,
        &format!("/api/shares/{id}/reactivate"),
        &[JSON],
        r#"{"expires_at": "2030-06-01T12:00"}"#,
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
    assert_eq!(
        body(&back)["effective"]["schedule"]["expires_at"],
        "2030-06-01T10:00:00Z"
    );
    let bad = raw(
        &w,
        Method::POST,
        &format!("/api/shares/{id}/reactivate"),
        &[JSON],
        r#"{"expires_at": "1 June"}"#,
    )
    .await;
    refused(&bad, 422, "invalid_field", Some("expires_at"));
}

/// Every `POST`, `PATCH` and `DELETE` route of the OpenAPI document, its `{id}` filled.
async fn changing_routes(w: &World, share: i64, template: i64) -> Vec<(Method, String)> {
    let doc = raw(w, Method::GET, "/api/openapi.json", &[], "").await;
    let doc = body(&doc);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "patch", "delete", "put"] {
            if item.get(method).is_none() {
                continue;
            }
            let id = if path.starts_with("/api/templates") {
                template
            } else {
                share
            };
            let uri = path.replace("{id}", &id.to_string());
            routes.push((
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                uri,
            ));
        }
    }
    routes
}

#[tokio::test]
async fn a_form_from_another_site_changes_nothing_on_any_route() {
    let w = world().await;
    put(&w.files, "docs/a.txt", b"a").await;
    let share = w.share(&["docs"], |_| {}).await;
    let template = w
        .app
        .save_template(
            &user("ana"),
            "t",
            serde_json::from_value(
                json!({"kind": "clickwrap", "clickwrap": {"title": "T", "terms": "x"}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let template_id = serde_json::to_value(&template).unwrap()["id"]
        .as_i64()
        .unwrap();
    let routes = changing_routes(&w, share.id.0, template_id).await;
    for expected in [
        "/api/shares/revoke-all",
        "/api/shares/{id}/expire",
        "/api/shares/{id}",
    ] {
        let expected = expected.replace("{id}", &share.id.0.to_string());
        assert!(
            routes.iter().any(|(_, u)| *u == expected),
            "{expected} not in {routes:?}"
        );
    }
    assert!(routes.len() >= 12, "{routes:?}");
    let before = w.app.get_share(&user("ana"), share.id).await.unwrap();
    let form = ("content-type", "application/x-www-form-urlencoded");
    let attempts: &[Attempt] = &[
        // A form on a foreign page: the browser says where it comes from.
        (
            &[
                form,
                ("origin", "https://evil.example"),
                ("host", "share.example.com"),
            ],
            403,
            "cross_site",
        ),
        (
            &[form, ("origin", "null"), ("host", "share.example.com")],
            403,
            "cross_site",
        ),
        (&[form, ("sec-fetch-site", "cross-site")], 403, "cross_site"),
        (&[form, ("sec-fetch-site", "same-site")], 403, "cross_site"),
        // Even JSON (which would need a preflight) is refused from another origin.
        (
            &[
                JSON,
                ("origin", "https://evil.example"),
                ("host", "share.example.com"),
            ],
            403,
            "cross_site",
        ),
        // A browser that names no origin: a form's content type is never enough.
        (&[form], 415, "unsupported_media_type"),
        (
            &[("content-type", "text/plain")],
            415,
            "unsupported_media_type",
        ),
        (
            &[("content-type", "multipart/form-data; boundary=x")],
            415,
            "unsupported_media_type",
        ),
        (&[], 415, "unsupported_media_type"),
    ];
    for (method, uri) in &routes {
        for (headers, status, code) in attempts {
            let a = raw(&w, method.clone(), uri, headers, "name=x&items=docs").await;
            assert_eq!(
                a.status.as_u16(),
                *status,
                "{method} {uri} {headers:?}: {}",
                a.text()
            );
            assert_eq!(body(&a)["error"], *code, "{method} {uri} {headers:?}");
        }
    }
    let after = w.app.get_share(&user("ana"), share.id).await.unwrap();
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(
        after.state(after.updated_at),
        before.state(before.updated_at)
    );
    assert_eq!(after.items.len(), before.items.len());
    assert_eq!(w.app.templates(&user("ana")).await.unwrap().len(), 1);
    assert_eq!(
        w.app
            .list_shares(&user("ana"), Default::default())
            .await
            .unwrap()
            .shares
            .len(),
        1
    );

    // The same page's own requests, and allowed origins, still work.
    let own = raw(
        &w,
        Method::POST,
        &format!("/api/shares/{}/expire", share.id.0),
        &[
            ("x-sharelink-request", "1"),
            ("origin", "https://share.example.com"),
            ("host", "share.example.com"),
            ("sec-fetch-site", "same-origin"),
        ],
        "",
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let allowed = world_with(HttpConfig {
        secure_cookies: false,
        allowed_origins: vec!["https://admin.example.com".into()],
        ..HttpConfig::default()
    })
    .await;
    let a = raw(
        &allowed,
        Method::POST,
        "/api/shares/revoke-all",
        &[
            JSON,
            ("origin", "https://admin.example.com"),
            ("host", "share.example.com"),
            ("sec-fetch-site", "same-site"),
        ],
        "{}",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn the_openapi_document_lists_the_new_refusals() {
    let w = world().await;
    let doc = body(&raw(&w, Method::GET, "/api/openapi.json", &[], "").await);
    let create = &doc["paths"]["/api/shares"]["post"]["responses"];
    for status in ["400", "403", "415", "422"] {
        assert!(create.get(status).is_some(), "{status} missing: {create}");
    }
    let revoke_all = &doc["paths"]["/api/shares/revoke-all"]["post"]["responses"];
    assert!(
        revoke_all.get("403").is_some() && revoke_all.get("415").is_some(),
        "{revoke_all}"
    );
    let read = &doc["paths"]["/api/shares/{id}"]["get"]["responses"];
    assert!(
        read.get("400").is_some()
            && !read["403"]["description"]
                .to_string()
                .contains("cross_site"),
        "{read}"
    );
    let schema = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    assert!(schema.get("field").is_some(), "{schema}");
}

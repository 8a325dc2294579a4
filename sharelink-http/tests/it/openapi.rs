//! The management API's OpenAPI document is complete: every route the router declares
//! is described with the refusals it can answer, every body has its fields, and the
//! settings' schema has exactly the fields the settings serialize.

use super::*;

/// The routes the management router declares, as (method, path) read from its source
/// (`.route("/shares/{id}", get(read).patch(update))`), so a route added without a
/// description fails here.
fn declared_routes() -> Vec<(String, String)> {
    let sources = [
        include_str!("../../src/manage.rs"),
        include_str!("../../src/manage/recipients.rs"),
        include_str!("../../src/manage/reports.rs"),
        include_str!("../../src/manage/site.rs"),
        include_str!("../../src/manage/upload.rs"),
        include_str!("../../src/manage/webhooks.rs"),
    ];
    let mut routes = Vec::new();
    for source in sources {
        let flat = source
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("( \"", "(\"");
        for part in flat.split(".route(\"").skip(1) {
            let Some((path, rest)) = part.split_once('"') else {
                continue;
            };
            // The handlers up to the closing parenthesis of `.route(`.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            for method in ["get", "post", "patch", "put", "delete"] {
                let called = rest[..end].contains(&format!("{method}("))
                    && !rest[..end].contains(&format!("_{method}("));
                if called {
                    routes.push((method.to_owned(), format!("/api{path}")));
                }
            }
        }
    }
    routes
}

async fn document(w: &World) -> serde_json::Value {
    let doc = api(w, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    serde_json::from_slice(&doc.body).unwrap()
}

#[tokio::test]
async fn every_route_is_described_with_every_refusal_it_can_answer() {
    let w = world().await;
    let doc = document(&w).await;
    let routes = declared_routes();
    assert!(routes.len() >= 30, "{routes:?}");
    for (method, path) in &routes {
        if path == "/api/openapi.json" {
            continue;
        }
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not described");
        let responses = op["responses"].as_object().unwrap();
        let mut wanted = vec!["401", "403", "503"];
        if path.contains('{') {
            wanted.extend(["400", "404"]);
        }
        if method != "get" {
            wanted.push("415");
        }
        if op.get("requestBody").is_some() {
            wanted.extend(["400", "413", "422"]);
        }
        for status in wanted {
            let answer = &responses.get(status);
            assert!(answer.is_some(), "{method} {path}: no {status}");
        }
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success"
        );
        for (status, answer) in responses {
            if !status.starts_with('2') {
                let schema = &answer["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    // The document describes nothing the router does not route.
    let described: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(described, routes.len() - 1, "{routes:?}");
}

/// Every schema object that is not a reference names its properties (no bare
/// `Object`), recursively.
fn assert_no_bare_objects(at: &str, v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let object = map.get("type").is_some_and(|t| {
                t == "object" || t.as_array().is_some_and(|a| a.contains(&"object".into()))
            });
            if object {
                assert!(
                    map.contains_key("properties") || map.contains_key("additionalProperties"),
                    "{at}: an object schema without properties: {v}"
                );
            }
            for (k, child) in map {
                assert_no_bare_objects(&format!("{at}/{k}"), child);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                assert_no_bare_objects(&format!("{at}/{i}"), child);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_body_and_setting_is_described_field_by_field() {
    let w = world().await;
    let doc = document(&w).await;
    assert_no_bare_objects("#", &doc);
    let schemas = &doc["components"]["schemas"];
    // The settings' schema has exactly the fields the settings serialize.
    let mut settings = ShareSettings::named("x");
    settings.use_limit = Some(UseLimit::ONE_TIME);
    let fields = serde_json::to_value(&settings).unwrap();
    let mut serialized: Vec<&String> = fields.as_object().unwrap().keys().collect();
    let mut described: Vec<&String> = schemas["ShareSettings"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    serialized.sort();
    described.sort();
    assert_eq!(serialized, described);
    for (name, part) in [
        ("Schedule", &fields["schedule"]),
        ("UploadRules", &fields["upload_rules"]),
        ("UseLimit", &fields["use_limit"]),
    ] {
        let mut serialized: Vec<&String> = part.as_object().unwrap().keys().collect();
        let mut described: Vec<&String> = schemas[name]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        serialized.sort();
        described.sort();
        assert_eq!(serialized, described, "{name}");
    }
    let share = &schemas["Share"]["properties"];
    for field in ["requested", "effective"] {
        assert_eq!(share[field]["$ref"], "#/components/schemas/ShareSettings");
    }
    let with_password = schemas["ShareWithPassword"].to_string();
    assert!(
        with_password.contains("#/components/schemas/Share\"")
            && with_password.contains("generated_password"),
        "{with_password}"
    );
}

#[tokio::test]
async fn the_document_declares_servers_links_and_the_request_header() {
    let w = world().await;
    let doc = document(&w).await;
    let server = doc["servers"][0]["url"].as_str().unwrap();
    assert!(
        !server.ends_with("/s") && !server.ends_with('/'),
        "{server}"
    );
    let created = &doc["paths"]["/api/shares"]["post"]["responses"]["201"]["links"];
    for target in ["read", "update", "revoke", "share_by_email", "recipients"] {
        assert_eq!(
            created[target]["parameters"]["id"], "$response.body#/id",
            "{created}"
        );
    }
    let sent = &doc["paths"]["/api/shares/{id}/email"]["post"]["responses"]["200"]["links"];
    assert_eq!(
        sent["revoke_recipient"]["parameters"]["recipient"],
        "$response.body#/outcomes/0/recipient/id"
    );
    let expire = &doc["paths"]["/api/shares/{id}/expire"]["post"]["parameters"];
    assert!(
        expire
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "X-Sharelink-Request" && p["in"] == "header"),
        "{expire}"
    );
}

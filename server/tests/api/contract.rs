//! The API's document is complete and true: every operation it lists is served, every body is
//! typed, every error code of the catalog is on the operations that answer with it, and the
//! reference page renders it from this server alone.
//!
//! Every API route is registered through `utoipa-axum`, which puts it in the document (so no
//! route is served undocumented); these tests check the other half, and the document's content.

use crate::helpers::*;

async fn document(app: &TestApp) -> Value {
    let reply = app
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

/// Every (method, path) in the document, path parameters filled with a dummy.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                let concrete = path
                    .split('/')
                    .map(|part| if part.starts_with('{') { "x" } else { part })
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((method.to_uppercase(), concrete));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let operations = operations(&doc);
    assert!(operations.len() >= 26, "{operations:?}");
    for (method, path) in operations {
        let request = Request::builder()
            .method(method.as_str())
            .uri(&path)
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        assert_ne!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_ne!(
            reply.body["error"]["code"], "unknown_endpoint",
            "{method} {path} is documented but not served"
        );
    }
}

/// Every schema in `value`, recursively.
fn schemas<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("type") || map.contains_key("$ref") || map.contains_key("oneOf") {
                out.push(value);
            }
            map.values().for_each(|v| schemas(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schemas(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn no_body_in_the_document_is_an_untyped_object() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let mut all = Vec::new();
    schemas(&doc, &mut all);
    for schema in all {
        if schema["type"] == "object" {
            assert!(
                schema.get("properties").is_some()
                    || schema.get("additionalProperties").is_some()
                    || schema.get("oneOf").is_some(),
                "an object with no fields: {schema}"
            );
        }
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('2') && status != "204" {
                    assert!(
                        response["content"]
                            .as_object()
                            .is_some_and(|c| !c.is_empty()),
                        "{method} {path} {status} has no body schema"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn every_reference_in_the_document_names_a_schema_it_defines() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let mut all = Vec::new();
    schemas(&doc, &mut all);
    let defined = doc["components"]["schemas"].as_object().unwrap();
    for schema in all {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a reference outside the schemas: {target}"));
            assert!(defined.contains_key(name), "{target} is not defined");
        }
    }
}

#[tokio::test]
async fn every_error_code_of_the_catalog_is_listed_where_it_can_be_met() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let text = doc["paths"].to_string();
    for code in refund_api::ErrorCode::ALL {
        // Answered for paths and methods that are not operations, or (a merchant's name) by
        // the command line only.
        if [
            refund_api::ErrorCode::UnknownEndpoint,
            refund_api::ErrorCode::MethodNotAllowed,
            refund_api::ErrorCode::NameRequired,
        ]
        .contains(code)
        {
            continue;
        }
        assert!(
            text.contains(&format!("`{}`", code.as_str())),
            "{} is on no operation",
            code.as_str()
        );
    }
    for code in refund_core::InputError::CODES {
        assert!(text.contains(&format!("`{code}`")), "{code}");
    }
    let security = &doc["components"]["securitySchemes"];
    assert!(security["merchant_key"].is_object() && security["shopper_session"].is_object());
}

#[tokio::test]
async fn the_reference_page_renders_the_document_from_this_server_alone() {
    let app = TestApp::new().await;
    let page = app
        .send(Request::get("/api/docs/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.raw).unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "nothing from a CDN: {html}");
    let config = app
        .send(
            Request::get("/api/docs/swagger-initializer.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(config.status, StatusCode::OK);
    assert!(
        String::from_utf8(config.raw)
            .unwrap()
            .contains("/api/openapi.json")
    );
    let bundle = app
        .send(
            Request::get("/api/docs/swagger-ui-bundle.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(bundle.status, StatusCode::OK);
    assert!(bundle.raw.len() > 100_000, "the renderer itself is served");
}

//! The OpenAPI document: served, committed, current, and complete on every operation.

use axum::http::StatusCode;
use serde_json::Value;
use wpt_tests::TestApp;

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

#[tokio::test]
async fn the_served_document_is_openapi_3_1() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/openapi.json").await;
    res.assert_status(StatusCode::OK);
    let doc = res.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc,
        serde_json::from_str::<Value>(&wpt_api::openapi_json()).expect("json")
    );
}

#[test]
fn the_committed_document_matches_the_code() {
    let current = wpt_api::openapi_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
        std::fs::write(path, format!("{current}\n")).expect("write openapi/openapi.json");
        return;
    }
    assert!(
        COMMITTED.trim_end() == current.trim_end(),
        "openapi/openapi.json is out of date with the routes. Update it with:\n\n    \
         cargo run -q -p wpt-server -- openapi > openapi/openapi.json\n\n\
         (or UPDATE_OPENAPI=1 cargo test -p wpt-tests openapi) and commit the result."
    );
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn every_operation_has_a_summary_a_tag_and_an_error_response() {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    let mut problems = Vec::new();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            count += 1;
            let name = format!("{} {path}", method.to_uppercase());
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: no summary"));
            }
            if op["tags"].as_array().is_none_or(Vec::is_empty) {
                problems.push(format!("{name}: no tag"));
            }
            let responses = op["responses"].as_object().expect("responses");
            let has_error = responses
                .keys()
                .any(|status| status.starts_with('4') || status.starts_with('5'));
            let errors_are_problems = responses
                .iter()
                .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'))
                .all(|(_, r)| r["content"].get("application/problem+json").is_some());
            if !has_error {
                problems.push(format!("{name}: no error response"));
            }
            if !errors_are_problems {
                problems.push(format!("{name}: an error response is not problem+json"));
            }
        }
    }
    assert!(count > 0, "the document has operations");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_reference_in_the_document_resolves() {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    let mut refs = Vec::new();
    fn walk(v: &Value, refs: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    refs.push(r.clone());
                }
                m.values().for_each(|x| walk(x, refs));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    let broken: Vec<&String> = refs
        .iter()
        .filter(|r| {
            let pointer = r.trim_start_matches('#');
            doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(broken.is_empty(), "unresolvable references: {broken:?}");
}

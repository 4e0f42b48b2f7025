//! The route x role table: every operation of the OpenAPI document, called as each
//! kind of caller, with the status each must get. An operation missing from the table
//! fails the test, so no route ships without its access rules checked.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TEST_PASSWORD, TestApp};

/// Columns of the table.
const WHO: [&str; 6] = [
    "anonymous",
    "admin",
    "secretariat",
    "officer",
    "other_officer",
    "viewer",
];

/// `(method, path as in the OpenAPI document, expected status per column of WHO)`.
const TABLE: &[(&str, &str, [u16; 6])] = &[
    ("GET", "/healthz", [200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/auth/login", [200, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/api/v1/auth/refresh",
        [401, 401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/auth/logout",
        [204, 204, 204, 204, 204, 204],
    ),
    ("GET", "/api/v1/me", [401, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/api/v1/me/password",
        [401, 204, 204, 204, 204, 204],
    ),
    ("GET", "/api/v1/me/tokens", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/me/tokens", [401, 201, 201, 201, 201, 201]),
    (
        "DELETE",
        "/api/v1/me/tokens/{id}",
        [401, 204, 204, 204, 204, 204],
    ),
    ("GET", "/api/v1/users", [401, 200, 403, 403, 403, 403]),
    ("POST", "/api/v1/users", [401, 201, 403, 403, 403, 403]),
    ("GET", "/api/v1/users/{id}", [401, 200, 403, 403, 403, 403]),
    (
        "PATCH",
        "/api/v1/users/{id}",
        [401, 200, 403, 403, 403, 403],
    ),
    ("GET", "/api/v1/audit", [401, 200, 200, 403, 403, 403]),
    (
        "GET",
        "/api/v1/audit/verify",
        [401, 200, 200, 403, 403, 403],
    ),
    ("GET", "/api/v1/bodies", [401, 200, 200, 200, 200, 200]),
    (
        "GET",
        "/api/v1/bodies/{code}",
        [401, 200, 200, 200, 200, 200],
    ),
    ("GET", "/api/v1/work-plans", [401, 200, 200, 200, 200, 200]),
    (
        "GET",
        "/api/v1/work-plans/{id}",
        [401, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/work-plans/{id}/bodies",
        [401, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/work-plans/{id}/areas",
        [401, 200, 200, 200, 200, 200],
    ),
];

struct World {
    callers: Vec<Option<Caller>>,
    plan_id: String,
    login_email: String,
}

async fn world(app: &TestApp) -> World {
    let callers = vec![
        None,
        Some(app.caller(Role::Admin, None).await),
        Some(app.caller(Role::Secretariat, None).await),
        Some(app.caller(Role::Officer, Some("DGICM")).await),
        Some(app.caller(Role::Officer, Some("SOMTC")).await),
        Some(app.caller(Role::Viewer, None).await),
    ];
    let login_email = "login-target@test.example".to_owned();
    app.create_account(&login_email, Role::Viewer, None).await;
    World {
        callers,
        plan_id: wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string(),
        login_email,
    }
}

/// Builds the request for one cell: a concrete path, a body and headers that would
/// succeed for a caller who is allowed.
async fn call(app: &TestApp, w: &World, who: usize, method: &str, path: &str) -> StatusCode {
    let caller = w.callers[who].as_ref();
    let admin = w.callers[1].as_ref().expect("admin");
    let mut headers: Vec<(&str, String)> = Vec::new();
    let mut body: Option<Value> = None;
    let concrete = match path {
        "/api/v1/bodies/{code}" => path.replace("{code}", "SOMTC"),
        p if p.starts_with("/api/v1/work-plans/{id}") => p.replace("{id}", &w.plan_id),
        "/api/v1/users/{id}" => {
            let n = uuid::Uuid::new_v4().simple().to_string();
            let target = app
                .create_account(&format!("t{n}@test.example"), Role::Viewer, None)
                .await;
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", &target.id.to_string())
        }
        "/api/v1/me/tokens/{id}" => {
            // The caller's own token; for the anonymous column, the admin's.
            let owner = caller.unwrap_or(admin);
            let res = app
                .request(Method::POST, "/api/v1/me/tokens")
                .bearer(&owner.token)
                .json(&json!({"name": "to delete"}))
                .send()
                .await;
            path.replace("{id}", res.json()["id"].as_str().expect("id"))
        }
        p => p.to_owned(),
    };
    match (method, path) {
        ("POST", "/api/v1/auth/login") => {
            body = Some(json!({"email": w.login_email, "password": TEST_PASSWORD}));
        }
        ("POST", "/api/v1/auth/refresh") | ("POST", "/api/v1/auth/logout") => {
            body = Some(json!({"refresh_token": "wptr_not_a_real_token"}));
        }
        ("POST", "/api/v1/me/password") => {
            body = Some(json!({"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD}));
        }
        ("POST", "/api/v1/me/tokens") => body = Some(json!({"name": "table"})),
        ("POST", "/api/v1/users") => {
            let n = uuid::Uuid::new_v4().simple().to_string();
            body = Some(
                json!({"email": format!("new{n}@test.example"), "name": "New", "role": "viewer", "password": TEST_PASSWORD}),
            );
        }
        ("PATCH", "/api/v1/users/{id}") => body = Some(json!({"name": "Renamed"})),
        _ => {}
    }
    let method: Method = method.parse().expect("method");
    let mut request = app.request(method, &concrete).anonymous();
    if let Some(c) = caller {
        request = request.bearer(&c.token);
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    if let Some(b) = &body {
        request = request.json(b);
    }
    request.send().await.status
}

#[tokio::test]
async fn every_operation_answers_each_kind_of_caller_as_the_table_says() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut wrong = Vec::new();
    for (method, path, expected) in TABLE {
        for (who, want) in expected.iter().enumerate() {
            let got = call(&app, &w, who, method, path).await;
            if got.as_u16() != *want {
                wrong.push(format!(
                    "{method} {path} as {}: expected {want}, got {got}",
                    WHO[who]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_covers_every_operation_of_the_openapi_document() {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    let mut in_doc = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                in_doc.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let in_table: Vec<String> = TABLE.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    let missing: Vec<&String> = in_doc.iter().filter(|op| !in_table.contains(op)).collect();
    let stale: Vec<&String> = in_table.iter().filter(|op| !in_doc.contains(op)).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the access table: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for operations that no longer exist: {stale:?}"
    );
}

#[test]
fn every_protected_operation_declares_bearer_security() {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let public = path.starts_with("/api/v1/auth/") || !path.starts_with("/api/v1/");
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let has_401 = op["responses"].get("401").is_some();
            let documented = secured && has_401;
            if !public && !documented {
                problems.push(format!(
                    "{method} {path}: security {secured}, 401 {has_401}"
                ));
            }
            if public && secured {
                problems.push(format!("{method} {path} is public but declares security"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

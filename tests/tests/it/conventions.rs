//! The HTTP conventions of api.md that hold for every route: problem+json errors,
//! request ids, pagination rules, probes and the offline API reference.

use axum::http::{Method, StatusCode};
use wpt_tests::TestApp;

#[tokio::test]
async fn an_unknown_route_is_a_problem_not_a_blank_404() {
    let app = TestApp::spawn().await;
    let doc = app
        .get("/api/v1/nothing-here")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/api/v1/nothing-here"))
    );
}

#[tokio::test]
async fn a_method_the_route_does_not_take_is_a_405_problem() {
    let app = TestApp::spawn().await;
    app.request(Method::DELETE, "/api/v1/bodies")
        .send()
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn a_path_id_that_is_not_a_uuid_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/work-plans/not-a-uuid").await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["id"]);
}

#[tokio::test]
async fn limits_out_of_range_and_bad_query_parameters_are_422s_naming_the_parameter() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-5", "limit"),
        ("limit=abc", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let res = app.get(&format!("/api/v1/bodies?{query}")).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{query}");
    }
    let res = app.get("/api/v1/bodies?colour=blue").await;
    let doc = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        doc["detail"].as_str().is_some_and(|d| d.contains("colour")),
        "{doc}"
    );
}

#[tokio::test]
async fn the_largest_limit_is_accepted() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/bodies?limit=200")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn pages_cover_every_row_once() {
    let app = TestApp::spawn().await;
    let everything = app.get("/api/v1/bodies?limit=200").await.json();
    let all: Vec<String> = everything["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["code"].as_str().expect("code").to_owned())
        .collect();
    assert!(all.len() > 2, "enough bodies to page through");
    let mut seen = Vec::new();
    let mut url = "/api/v1/bodies?limit=2".to_owned();
    loop {
        let page = app.get(&url).await.json();
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|b| b["code"].as_str().expect("code").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/bodies?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_echoes_the_clients() {
    let app = TestApp::spawn().await;
    let mine = app
        .request(Method::GET, "/api/v1/bodies")
        .header("x-request-id", "trace-42")
        .send()
        .await;
    assert_eq!(mine.header("x-request-id"), Some("trace-42"));

    let generated = app.get("/api/v1/bodies").await;
    let id = generated.header("x-request-id").expect("generated id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let error = app
        .request(Method::GET, "/api/v1/bodies/NOPE")
        .header("x-request-id", "trace-43")
        .send()
        .await;
    let doc = error.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(doc["request_id"], "trace-43");
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/bodies", "/nope", "/healthz"] {
        let res = app.get(path).await;
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
    }
}

#[tokio::test]
async fn the_probes_answer() {
    let app = TestApp::spawn().await;
    let health = app.get("/healthz").await;
    health.assert_status(StatusCode::OK);
    assert_eq!(health.json()["status"], "ok");
    let ready = app.get("/readyz").await;
    ready.assert_status(StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
}

#[tokio::test]
async fn the_api_reference_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").await;
    assert!(redirect.status.is_redirection(), "{}", redirect.status);
    let page = app.get("/docs/").await;
    page.assert_status(StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("swagger-ui"), "the Swagger UI page");
    assert!(
        !html.contains("https://"),
        "no asset is fetched from the internet"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let res = app.get(&format!("/docs/{asset}")).await;
        res.assert_status(StatusCode::OK);
        assert!(res.body.len() > 100, "{asset} is vendored");
    }
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(
        String::from_utf8_lossy(&init.body).contains("/api/v1/openapi.json"),
        "the UI loads our document"
    );
}

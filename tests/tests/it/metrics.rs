//! `GET /metrics`: Prometheus text behind its own token, off unless configured.

use axum::http::{Method, StatusCode};
use wpt_tests::{TestApp, TestDb};

#[tokio::test]
async fn metrics_are_not_served_without_a_configured_token() {
    let app = TestApp::spawn().await;
    app.get("/metrics")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_failed_logins_for_the_token_holder_only() {
    let db = TestDb::prepared().await;
    let state = wpt_api::AppState::new(db.db.clone(), wpt_tests::test_auth());
    let settings = wpt_api::ApiSettings {
        metrics_token: Some("metrics-token-0123456789".into()),
        ..Default::default()
    };
    let app = TestApp::with_settings(state, db, &settings);
    app.create_account("m@test.example", wpt_domain::Role::Viewer, None)
        .await;
    let login = app
        .login("m@test.example", wpt_tests::TEST_PASSWORD)
        .await
        .json();
    let token = login["access_token"].as_str().expect("token");
    app.login("m@test.example", "not the right password").await;
    for _ in 0..3 {
        app.get_as(token, "/api/v1/bodies/SOMTC")
            .await
            .assert_status(StatusCode::OK);
    }
    app.get_as(token, "/api/v1/bodies/NOPE")
        .await
        .assert_status(StatusCode::NOT_FOUND);

    // A user's own token is not the metrics token.
    app.get_as(token, "/metrics")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let res = app
        .request(Method::GET, "/metrics")
        .bearer("metrics-token-0123456789")
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    let text = String::from_utf8(res.body).expect("utf-8");
    assert!(text.contains("wpt_http_requests_total{method=\"GET\",route=\"/api/v1/bodies/{code}\",status=\"200\"} 3"), "{text}");
    assert!(text.contains(
        "wpt_http_requests_total{method=\"GET\",route=\"/api/v1/bodies/{code}\",status=\"404\"} 1"
    ));
    assert!(text.contains(
        "wpt_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/bodies/{code}\"} 4"
    ));
    assert!(text.contains("wpt_login_failures_total 1"));
    assert!(text.contains("wpt_db_pool_connections{state=\"idle\"}"));
}

/// Issue 14: hyper accepts any token as a method, and each one used to become a map key
/// of its own, with or without metrics served. Made-up methods are one `other` series
/// and unknown paths one `unmatched` series, so nobody grows the registry.
#[tokio::test]
async fn made_up_methods_and_unknown_paths_keep_the_series_bounded() {
    let app = TestApp::spawn().await;
    for _ in 0..300 {
        let name = uuid::Uuid::new_v4().simple().to_string().repeat(64);
        let method = Method::from_bytes(name.as_bytes()).expect("a method token");
        let res = app
            .request(method, "/api/v1/bodies")
            .anonymous()
            .send()
            .await;
        assert!(res.status.is_client_error(), "{}", res.status);
    }
    for _ in 0..300 {
        app.get(&format!("/no/such/{}", uuid::Uuid::new_v4()))
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    let text = app.state.metrics.render((1, 1));
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("wpt_http_requests_total{"))
        .collect();
    assert!(series.len() <= 10, "{} series: {series:?}", series.len());
    assert!(
        text.contains("method=\"other\",route=\"/api/v1/bodies\""),
        "{text}"
    );
    assert!(
        text.contains(
            "wpt_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 300"
        ),
        "{text}"
    );
}

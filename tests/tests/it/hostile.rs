//! Hostile input on real routes: every answer is a problem+json 4xx and the database is
//! unchanged.

use axum::http::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::TestApp;

async fn writes(app: &TestApp) -> (u64, u64) {
    let c = app.database().conn();
    (
        wpt_db::entities::activity::Entity::find()
            .count(c)
            .await
            .expect("count"),
        wpt_db::entities::audit_log::Entity::find()
            .count(c)
            .await
            .expect("count"),
    )
}

#[tokio::test]
async fn hostile_bodies_are_refused_with_problems_and_write_nothing() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let path = format!(
        "/api/v1/work-plans/{}/activities",
        wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028")
    );
    let before = writes(&app).await;
    let valid = json!({"area": "A", "code": "H.1", "title": "T", "lead_body": "SOMTC"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = valid.clone();
        b[k] = v;
        b.to_string().into_bytes()
    };
    let ten_mb = {
        let mut b = br#"{"area":"A","code":"H.1","title":""#.to_vec();
        b.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
        b.extend(br#"","lead_body":"SOMTC"}"#);
        b
    };
    let nested = format!("{{\"area\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("10 MB body", ten_mb, StatusCode::PAYLOAD_TOO_LARGE),
        ("deep nesting", nested, StatusCode::BAD_REQUEST),
        (
            "invalid UTF-8",
            b"{\"area\":\"A\",\"code\":\"H.1\",\"title\":\"\xc3\x28\",\"lead_body\":\"SOMTC\"}"
                .to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "NUL byte",
            with("title", json!("a\u{0}b")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "100,000 characters",
            with("description", json!("d".repeat(100_000))),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "number for text",
            with("title", json!(12)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "huge number",
            with("planned_start", json!(1e308)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "SQL in a code",
            with("lead_body", json!("SOMTC'; DROP TABLE activities;--")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("empty body", Vec::new(), StatusCode::BAD_REQUEST),
        (
            "a JSON array",
            b"[]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (why, body, status) in cases {
        let res = app
            .request(Method::POST, &path)
            .bearer(&sec.token)
            .header("content-type", "application/json")
            .raw(body)
            .send()
            .await;
        assert_eq!(
            res.status,
            status,
            "{why}: {}",
            String::from_utf8_lossy(&res.body)
                .chars()
                .take(300)
                .collect::<String>()
        );
        assert_eq!(
            res.header("content-type"),
            Some("application/problem+json"),
            "{why}"
        );
    }
    assert_eq!(writes(&app).await, before, "nothing was written");
}

#[tokio::test]
async fn numbers_at_and_past_their_limits() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    let a = app
        .request(
            Method::POST,
            &format!(
                "/api/v1/work-plans/{}/activities",
                wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028")
            ),
        )
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "N.1", "title": "Limits", "lead_body": "SOMTC"}))
        .send()
        .await
        .json();
    let path = format!(
        "/api/v1/activities/{}/progress",
        a["id"].as_str().expect("id")
    );
    for (pct, ok) in [
        (json!(0), true),
        (json!(100), true),
        (json!(101), false),
        (json!(-1), false),
        (json!(2_147_483_648_i64), false),
        (json!(50.5), false),
    ] {
        let res = app
            .request(Method::POST, &path)
            .bearer(&officer.token)
            .json(&json!({"status": "on_track", "narrative": "n", "percent_complete": pct}))
            .send()
            .await;
        if ok {
            res.assert_status(StatusCode::CREATED);
        } else {
            res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(res.error_fields(), ["percent_complete"], "{pct}");
        }
    }
    for limit in ["2147483648", "99999999999999999999", "1e3", ""] {
        app.get(&format!("/api/v1/activities?limit={limit}"))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
}

#[tokio::test]
async fn metacharacters_in_filters_are_only_text() {
    let app = TestApp::spawn().await;
    for query in [
        "body=%27%20OR%201%3D1--",
        "area=%25",
        "q=%22unbalanced",
        "q=title%3Ax%20OR%20y",
        "q=-(a)%20AND%20NOT%20b*",
        "q=%00",
    ] {
        let res = app.get(&format!("/api/v1/activities?{query}")).await;
        assert!(
            res.status == StatusCode::OK || res.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            res.status
        );
        if res.status == StatusCode::OK {
            assert!(
                res.json()["items"].as_array().is_some_and(Vec::is_empty),
                "{query} matched nothing"
            );
        } else {
            res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        }
    }
}

#[tokio::test]
async fn nul_bytes_anywhere_are_a_4xx_never_a_500() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    for path in [
        "/api/v1/activities?body=%00",
        "/api/v1/activities?area=A%00",
        "/api/v1/bodies/SOM%00TC",
        "/api/v1/users?body=%00",
        "/api/v1/audit?resource_type=%00&action=%00&resource_id=%00",
        "/api/v1/cycles/00000000-0000-0000-0000-000000000000/submissions/%00",
    ] {
        let res = app.get_as(&admin.token, path).await;
        assert!(res.status.is_client_error(), "{path}: {}", res.status);
        assert_eq!(
            res.header("content-type"),
            Some("application/problem+json"),
            "{path}"
        );
    }
    let res = app
        .request(Method::POST, "/api/v1/auth/login")
        .anonymous()
        .json(&json!({"email": "a\u{0}@x.org", "password": "nul \u{0} inside"}))
        .send()
        .await;
    assert!(res.status.is_client_error(), "login: {}", res.status);
}

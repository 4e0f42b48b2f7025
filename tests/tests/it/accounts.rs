//! Account administration: validation, uniqueness, versions, the last administrator.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::TestApp;

#[tokio::test]
async fn an_admin_creates_accounts_and_the_rules_of_role_and_body_hold() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let post = |body: serde_json::Value| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            app.request(Method::POST, "/api/v1/users")
                .bearer(&token)
                .json(&body)
                .send()
                .await
        }
    };
    let created = post(json!({"email": "Focal.Point@DGICM.example", "name": "Focal Point", "role": "officer", "body": "DGICM", "password": "twelve chars!"})).await;
    created.assert_status(StatusCode::CREATED);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let user = created.json();
    assert_eq!(user["email"], "focal.point@dgicm.example");
    assert_eq!(user["body"], "DGICM");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/users/{}", user["id"].as_str().expect("id")).as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));

    for (body, field) in [
        (
            json!({"email": "a@b.example", "name": "A", "role": "officer", "password": "twelve chars!"}),
            "body",
        ),
        (
            json!({"email": "b@b.example", "name": "B", "role": "secretariat", "body": "SOMTC", "password": "twelve chars!"}),
            "body",
        ),
        (
            json!({"email": "c@b.example", "name": "C", "role": "officer", "body": "NOPE", "password": "twelve chars!"}),
            "body",
        ),
        (
            json!({"email": "d@b.example", "name": "D", "role": "viewer", "password": "eleven char"}),
            "password",
        ),
        (
            json!({"email": "not-an-email", "name": "E", "role": "viewer", "password": "twelve chars!"}),
            "email",
        ),
        (
            json!({"email": "f@b.example", "name": " ", "role": "viewer", "password": "twelve chars!"}),
            "name",
        ),
        (
            json!({"email": "g@b.example", "name": "G", "role": "overlord", "password": "twelve chars!"}),
            "role",
        ),
        (
            json!({"email": "h@b.example", "name": "H", "role": "viewer", "password": "twelve chars!", "body_id": "x"}),
            "",
        ),
    ] {
        let res = post(body.clone()).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        if !field.is_empty() {
            assert!(
                res.error_fields().contains(&field.to_owned()),
                "{body}: {:?}",
                res.error_fields()
            );
        }
    }
    let dup = post(json!({"email": "FOCAL.point@dgicm.example", "name": "Again", "role": "viewer", "password": "twelve chars!"})).await;
    dup.assert_problem(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn updates_need_the_current_version_and_a_stale_one_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let target = app.caller(Role::Officer, Some("ACWC")).await;
    let path = format!("/api/v1/users/{}", target.id);
    let read = app.get_as(&admin.token, &path).await;
    let etag = read.header("etag").expect("etag").to_owned();

    app.request(Method::PATCH, &path)
        .bearer(&admin.token)
        .json(&json!({"name": "No precondition"}))
        .send()
        .await
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    // `*` and malformed values name no version: send the ETag you read (428).
    for unusable in ["*", "1", ""] {
        app.request(Method::PATCH, &path)
            .bearer(&admin.token)
            .header("if-match", unusable)
            .json(&json!({"name": "Forged"}))
            .send()
            .await
            .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    }
    // Well-formed tags that are not the current one fail the precondition (RFC 9110).
    for other in ["W/\"1\"", "\"abc\"", "\"-1\"", "\"+1\"", "\"1234567890\""] {
        app.request(Method::PATCH, &path)
            .bearer(&admin.token)
            .header("if-match", other)
            .json(&json!({"name": "Forged"}))
            .send()
            .await
            .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    }
    // A well-formed tag naming another version is a failed precondition.
    app.request(Method::PATCH, &path)
        .bearer(&admin.token)
        .header("if-match", "\"999\"")
        .json(&json!({"name": "Forged"}))
        .send()
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");

    // Two administrators read the same version; the first write wins, the second is 412.
    let first = app
        .request(Method::PATCH, &path)
        .bearer(&admin.token)
        .header("if-match", &etag)
        .json(&json!({"name": "First"}))
        .send()
        .await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.header("etag"), Some("\"2\""));
    app.request(Method::PATCH, &path)
        .bearer(&admin.token)
        .header("if-match", &etag)
        .json(&json!({"name": "Second", "role": "viewer"}))
        .send()
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    let now = app.get_as(&admin.token, &path).await.json();
    assert_eq!(now["name"], "First");
    assert_eq!(now["role"], "officer");
    assert_eq!(now["version"], 2);

    // Turning an officer into a viewer drops the body; back to officer needs one.
    let res = app
        .request(Method::PATCH, &path)
        .bearer(&admin.token)
        .header("if-match", "\"2\"")
        .json(&json!({"role": "viewer"}))
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["body"], serde_json::Value::Null);
    let res = app
        .request(Method::PATCH, &path)
        .bearer(&admin.token)
        .header("if-match", "\"3\"")
        .json(&json!({"role": "officer"}))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["body"]);
    app.get_as(
        &admin.token,
        &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_last_active_administrator_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let path = format!("/api/v1/users/{}", admin.id);
    for change in [json!({"active": false}), json!({"role": "viewer"})] {
        app.request(Method::PATCH, &path)
            .bearer(&admin.token)
            .header("if-match", "\"1\"")
            .json(&change)
            .send()
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");
    }
    let second = app.caller(Role::Admin, None).await;
    app.request(Method::PATCH, &path)
        .bearer(&second.token)
        .header("if-match", "\"1\"")
        .json(&json!({"active": false}))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn users_list_filters_by_role_and_body_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    for _ in 0..3 {
        app.caller(Role::Officer, Some("SOMHD")).await;
    }
    app.caller(Role::Officer, Some("SLOM")).await;
    let officers = app
        .get_as(
            &admin.token,
            "/api/v1/users?role=officer&body=SOMHD&limit=2",
        )
        .await
        .json();
    assert_eq!(officers["items"].as_array().map(Vec::len), Some(2));
    let cursor = officers["next_cursor"].as_str().expect("a second page");
    let rest = app
        .get_as(
            &admin.token,
            &format!("/api/v1/users?role=officer&body=SOMHD&limit=2&cursor={cursor}"),
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());
    let all = [officers["items"].clone(), rest["items"].clone()];
    for page in all {
        for u in page.as_array().expect("items") {
            assert_eq!(u["body"], "SOMHD");
        }
    }
    app.get_as(&admin.token, "/api/v1/users?role=overlord")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

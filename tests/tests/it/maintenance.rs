//! Read-only maintenance: every write of the OpenAPI document refused while it is in
//! force (and nothing written), reads, logins and the switch itself going on, scheduled
//! maintenance announced before it starts, the pages' banner and hidden buttons, the
//! write path refusing a form the pages post anyway, and (PostgreSQL) two instances on
//! one database agreeing at once.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{Duration, SecondsFormat, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wpt_db::Backend;
use wpt_domain::Role;
use wpt_tests::{Caller, TEST_PASSWORD, TestApp};

const MESSAGE: &str = "Upgrade to 1.4, back by noon";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string()
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn switch(app: &TestApp, admin: &Caller, body: Value) -> Value {
    let res = app
        .request(Method::PUT, "/api/v1/admin/maintenance")
        .bearer(&admin.token)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    res.json()
}

async fn create_body(app: &TestApp, admin: &Caller) -> StatusCode {
    let code = format!(
        "M-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
    );
    app.request(Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&json!({"code": code, "name": "A body", "pillar": "ASCC"}))
        .send()
        .await
        .status
}

/// Every `(method, path)` of the OpenAPI document that writes.
fn writes_of_the_document() -> Vec<(Method, String)> {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((method.to_uppercase().parse().expect("method"), path.clone()));
            }
        }
    }
    out
}

fn allowed(method: &Method, path: &str) -> bool {
    wpt_api::maintenance::ALLOWED
        .iter()
        .any(|(m, p)| *m == method.as_str() && *p == path)
}

#[tokio::test]
async fn while_on_every_write_of_the_document_is_refused_with_503_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let until = Utc::now() + Duration::hours(1);
    let on = switch(
        &app,
        &admin,
        json!({"on": true, "message": MESSAGE, "until": rfc3339(until)}),
    )
    .await;
    assert_eq!(on["on"], true);
    assert_eq!(on["active"], true);
    assert_eq!(on["message"], MESSAGE);
    let before = app.audit_rows().await;

    let mut refused = 0;
    for (method, path) in writes_of_the_document() {
        if allowed(&method, &path) {
            continue;
        }
        let concrete = path
            .replace("{code}", "SOMTC")
            .replace("{body_code}", "SOMTC")
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{comment_id}", &uuid::Uuid::new_v4().to_string());
        assert!(!concrete.contains('{'), "a parameter left in {concrete}");
        let res = app
            .request(method.clone(), &concrete)
            .bearer(&admin.token)
            .header("if-match", "\"1\"")
            .json(&json!({}))
            .send()
            .await;
        let problem = res.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "maintenance");
        let retry: u64 = res
            .header("retry-after")
            .unwrap_or_else(|| panic!("{method} {path}: no Retry-After"))
            .parse()
            .expect("seconds");
        assert!((3500..=3600).contains(&retry), "{method} {path}: {retry}");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(MESSAGE), "{method} {path}: {detail}");
        refused += 1;
    }
    assert!(refused >= 30, "the walk reached every write: {refused}");
    assert_eq!(app.audit_rows().await, before, "nothing was written");

    // Reads, reports and probes go on.
    for path in [
        "/api/v1/activities",
        "/api/v1/cycles",
        "/api/v1/bodies/SOMTC",
        "/api/v1/maintenance",
        "/readyz",
    ] {
        app.get_as(&admin.token, path)
            .await
            .assert_status(StatusCode::OK);
    }
    let public = app
        .request(Method::GET, "/api/v1/maintenance")
        .anonymous()
        .send()
        .await;
    public.assert_status(StatusCode::OK);
    let state = public.json();
    assert_eq!(state["active"], true);
    assert!(
        state["announcement"]
            .as_str()
            .is_some_and(|a| a.contains(MESSAGE) && a.contains("until about")),
        "{state}"
    );

    // Logging in, refreshing and out go on.
    let viewer = app.caller(Role::Viewer, None).await;
    let refreshed = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .anonymous()
        .json(&json!({"refresh_token": viewer.refresh_token}))
        .send()
        .await;
    refreshed.assert_status(StatusCode::OK);
    let next = refreshed.json()["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    app.request(Method::POST, "/api/v1/auth/logout")
        .anonymous()
        .json(&json!({"refresh_token": next}))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);

    // Turning it off restores writes.
    let off = switch(&app, &admin, json!({"on": false})).await;
    assert_eq!(off["on"], false);
    assert_eq!(off["active"], false);
    assert!(off["message"].is_null() && off["announcement"].is_null());
    assert_eq!(create_body(&app, &admin).await, StatusCode::CREATED);
}

#[test]
fn every_write_the_layer_refuses_documents_its_503() {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    for (method, path) in writes_of_the_document() {
        let op = &doc["paths"][&path][method.as_str().to_lowercase()];
        let says_maintenance = op["responses"]["503"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("maintenance"));
        assert_eq!(
            says_maintenance,
            !allowed(&method, &path),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn the_switch_is_validated_audited_and_for_administrators_only() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    for (body, fields) in [
        (json!({"on": true}), vec!["message"]),
        (
            json!({"on": true, "message": "  ", "until": "2020-01-01T00:00:00Z"}),
            vec!["message", "until"],
        ),
        (
            json!({"on": false, "message": "why", "starts_at": rfc3339(Utc::now() + Duration::hours(1))}),
            vec!["message", "starts_at"],
        ),
    ] {
        let res = app
            .request(Method::PUT, "/api/v1/admin/maintenance")
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), fields, "{body}");
    }
    app.request(Method::PUT, "/api/v1/admin/maintenance")
        .bearer(&sec.token)
        .json(&json!({"on": true, "message": MESSAGE}))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    switch(&app, &admin, json!({"on": true, "message": MESSAGE})).await;
    // Changing the message while on is allowed (the switch is never refused).
    switch(
        &app,
        &admin,
        json!({"on": true, "message": "Still upgrading"}),
    )
    .await;
    switch(&app, &admin, json!({"on": false})).await;
    let log = app
        .get_as(&admin.token, "/api/v1/audit?resource_type=maintenance")
        .await;
    log.assert_status(StatusCode::OK);
    let actions: Vec<(String, String)> = log.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let me = admin.id.to_string();
    for action in ["maintenance.on", "maintenance.off"] {
        assert!(
            actions.iter().any(|(a, who)| a == action && *who == me),
            "{action} by the administrator in {actions:?}"
        );
    }
    assert_eq!(actions.len(), 3, "{actions:?}");
}

#[tokio::test]
async fn scheduled_maintenance_is_announced_and_writes_go_on_until_it_starts() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let later = Utc::now() + Duration::hours(2);
    let state = switch(
        &app,
        &admin,
        json!({"on": true, "message": MESSAGE, "starts_at": rfc3339(later), "until": rfc3339(later + Duration::hours(1))}),
    )
    .await;
    assert_eq!(
        (state["on"].clone(), state["active"].clone()),
        (json!(true), json!(false))
    );
    let announced = app
        .request(Method::GET, "/api/v1/maintenance")
        .anonymous()
        .send()
        .await
        .json();
    let text = announced["announcement"].as_str().expect("announcement");
    assert!(
        text.starts_with("Read-only from ")
            && text.contains("for about an hour")
            && text.contains(MESSAGE),
        "{text}"
    );
    assert_eq!(create_body(&app, &admin).await, StatusCode::CREATED);

    // The moment it starts, writes are refused (no waiting for a cache).
    let soon = Utc::now() + Duration::seconds(2);
    switch(
        &app,
        &admin,
        json!({"on": true, "message": MESSAGE, "starts_at": rfc3339(soon + Duration::seconds(1))}),
    )
    .await;
    assert_eq!(create_body(&app, &admin).await, StatusCode::CREATED);
    tokio::time::sleep(
        (soon + Duration::seconds(1) - Utc::now())
            .to_std()
            .unwrap_or_default()
            + std::time::Duration::from_millis(100),
    )
    .await;
    assert_eq!(
        create_body(&app, &admin).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn pages_show_the_banner_hide_the_buttons_and_keep_what_a_form_posted_anyway_typed() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let (sec, _) = app.web_caller(Role::Secretariat, None).await;
    let (_, officer_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let admin_cookie = app
        .web_login(&admin.email, TEST_PASSWORD)
        .await
        .unwrap_or_else(|r| panic!("web login refused: {}", r.status));
    let created = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.mt.1", "title": "Maintained", "lead_body": "DGICM"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let activity = created.json()["id"].as_str().expect("id").to_owned();

    // Before: no banner, buttons shown.
    let page = app.web_get(Some(&officer_cookie), "/ui/activities").await;
    page.assert_status(StatusCode::OK);
    assert!(!page.text().contains("id=\"maintenance\""));

    // The administrator turns it on from the page, without script.
    let admin_page = app
        .web_get(Some(&admin_cookie), "/ui/admin/maintenance")
        .await;
    admin_page.assert_status(StatusCode::OK);
    assert!(admin_page.text().contains("maintenance-form"));
    let res = app
        .web_post(
            Some(&admin_cookie),
            "/ui/admin/maintenance",
            &[
                ("action", "on"),
                ("message", MESSAGE),
                ("starts_at", ""),
                ("until", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some("/ui/admin/maintenance?done=on")
    );

    // Every page: the banner, and the body class that hides the forms' buttons.
    for path in [
        "/ui/activities",
        &format!("/ui/activities/{activity}"),
        &format!("/ui/activities/{activity}/update"),
        "/ui/dashboard",
        "/ui/cycles",
        "/ui/account",
    ] {
        let page = app.web_get(Some(&officer_cookie), path).await;
        page.assert_status(StatusCode::OK);
        let html = page.text();
        assert!(html.contains("id=\"maintenance\""), "{path}: {html}");
        assert!(html.contains(MESSAGE), "{path}");
        assert!(html.contains("<body class=\"read-only\">"), "{path}");
    }
    let css = app.web_get(None, "/ui/assets/app.css").await.text();
    assert!(css.contains("body.read-only main form[method=\"post\" i]:not(.maintenance-form) button[type=\"submit\"] { display: none; }"));
    // The administrator's own forms keep their buttons (class maintenance-form).
    let admin_page = app
        .web_get(Some(&admin_cookie), "/ui/admin/maintenance")
        .await
        .text();
    assert!(admin_page.contains("Turn maintenance off") && admin_page.contains("maintenance-form"));
    // Only administrators have the page.
    app.web_get(Some(&officer_cookie), "/ui/admin/maintenance")
        .await
        .assert_status(StatusCode::FORBIDDEN);

    // A form posted anyway (a page opened before): refused by the write path, shown
    // again with what was typed and why, nothing written; with htmx and without.
    let before = app.audit_rows().await;
    let narrative = "Three workshops held in Manila";
    for htmx in [true, false] {
        let res = app
            .web_post(
                Some(&officer_cookie),
                &format!("/ui/activities/{activity}/progress"),
                &wpt_tests::progress_form(narrative, ""),
                htmx,
            )
            .await;
        res.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        let html = res.text();
        assert!(html.contains(narrative), "kept what was typed: {html}");
        assert!(
            html.contains(MESSAGE) && html.contains("Nothing was saved"),
            "{html}"
        );
    }
    assert_eq!(app.audit_rows().await, before, "nothing was written");
    let timeline = app
        .get_as(
            &sec.token,
            &format!("/api/v1/activities/{activity}/progress"),
        )
        .await
        .json();
    assert_eq!(timeline["items"].as_array().map(Vec::len), Some(0));

    // Logging in through the pages goes on; turning it off from the page ends it.
    app.web_login(&sec.email, TEST_PASSWORD)
        .await
        .unwrap_or_else(|r| panic!("web login refused: {}", r.status));
    app.web_post(
        Some(&admin_cookie),
        "/ui/admin/maintenance",
        &[("action", "off")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let page = app.web_get(Some(&officer_cookie), "/ui/activities").await;
    assert!(!page.text().contains("id=\"maintenance\""));
    assert!(!page.text().contains("read-only"));
}

/// Sends a request to a router of its own (another instance).
async fn send(
    router: &axum::Router,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(b) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = router
        .clone()
        .oneshot(builder.body(body).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_agree_at_once() {
    let app = TestApp::spawn().await;
    if app.database().backend() != Backend::Postgres {
        return; // One SQLite file has one process: nothing to agree on.
    }
    let admin = app.caller(Role::Admin, None).await;
    let other = wpt_db::Database::connect(&app.db.url, 5)
        .await
        .expect("second instance")
        .with_audit_key(wpt_tests::test_audit_key());
    let second = wpt_server::app(
        wpt_api::AppState::new(other, wpt_tests::test_auth()),
        &wpt_api::ApiSettings::default(),
    );
    let body = |code: &str| json!({"code": code, "name": "A body", "pillar": "ASCC"});
    // The second instance has written, so its cache holds "off" and its listener runs.
    let (status, _, _) = send(
        &second,
        Method::POST,
        "/api/v1/bodies",
        &admin.token,
        Some(body("TWO-1")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    switch(&app, &admin, json!({"on": true, "message": MESSAGE})).await;
    // The very next write through the other instance is refused.
    let (status, headers, problem) = send(
        &second,
        Method::POST,
        "/api/v1/bodies",
        &admin.token,
        Some(body("TWO-2")),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "maintenance");
    assert!(headers.contains_key(header::RETRY_AFTER));
    // And its banner state follows well within the cache's 2 s: the notification.
    let started = std::time::Instant::now();
    loop {
        let (_, _, state) = send(
            &second,
            Method::GET,
            "/api/v1/maintenance",
            &admin.token,
            None,
        )
        .await;
        if state["active"] == true {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_millis(1500),
            "the second instance still shows {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Off through the second: the first takes writes again.
    let (status, _, _) = send(
        &second,
        Method::PUT,
        "/api/v1/admin/maintenance",
        &admin.token,
        Some(json!({"on": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let started = std::time::Instant::now();
    loop {
        let code = format!("TWO-{}", started.elapsed().as_millis());
        match create_body_as(&app, &admin, &code).await {
            StatusCode::CREATED => break,
            s => assert!(
                started.elapsed() < std::time::Duration::from_millis(1500),
                "the first instance still refuses: {s}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn create_body_as(app: &TestApp, admin: &Caller, code: &str) -> StatusCode {
    app.request(Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&json!({"code": code, "name": "A body", "pillar": "ASCC"}))
        .send()
        .await
        .status
}

/// The administration page is the administrators' alone: everyone else is refused on
/// reading it and on posting its form, and a refused post switches nothing.
#[tokio::test]
async fn only_administrators_open_or_post_the_maintenance_page() {
    let app = TestApp::spawn().await;
    for (role, body) in [
        (Role::Secretariat, None),
        (Role::Officer, Some("DGICM")),
        (Role::Viewer, None),
    ] {
        let (_, cookie) = app.web_caller(role, body).await;
        app.web_get(Some(&cookie), "/ui/admin/maintenance")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        app.web_post(
            Some(&cookie),
            "/ui/admin/maintenance",
            &[("action", "on"), ("message", MESSAGE)],
            false,
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    }
    let anonymous = app.web_get(None, "/ui/admin/maintenance").await;
    assert!(
        anonymous.status.is_redirection(),
        "anonymous: {}",
        anonymous.status
    );
    let state = app.get("/api/v1/maintenance").await.json();
    assert_eq!(state["on"], false, "{state}");
}

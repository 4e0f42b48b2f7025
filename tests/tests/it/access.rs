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
#[rustfmt::skip]
const TABLE: &[(&str, &str, [u16; 6])] = &[
    ("GET", "/healthz", [200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/auth/login", [200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/auth/refresh", [401, 401, 401, 401, 401, 401]),
    ("POST", "/api/v1/auth/logout", [204, 204, 204, 204, 204, 204]),
    // The same answer for everyone; the confirmation with a made-up token is refused alike.
    ("POST", "/api/v1/auth/password-reset", [202, 202, 202, 202, 202, 202]),
    ("POST", "/api/v1/auth/password-reset/confirm", [422, 422, 422, 422, 422, 422]),
    ("GET", "/api/v1/me", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/me", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/me/password", [401, 204, 204, 204, 204, 204]),
    ("GET", "/api/v1/me/tokens", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/me/tokens", [401, 201, 201, 201, 201, 201]),
    ("DELETE", "/api/v1/me/tokens/{id}", [401, 204, 204, 204, 204, 204]),
    ("GET", "/api/v1/me/sessions", [401, 200, 200, 200, 200, 200]),
    ("DELETE", "/api/v1/me/sessions/{id}", [401, 204, 204, 204, 204, 204]),
    ("GET", "/api/v1/users", [401, 200, 403, 403, 403, 403]),
    ("POST", "/api/v1/users", [401, 201, 403, 403, 403, 403]),
    ("GET", "/api/v1/users/{id}", [401, 200, 403, 403, 403, 403]),
    ("PATCH", "/api/v1/users/{id}", [401, 200, 403, 403, 403, 403]),
    ("GET", "/api/v1/audit", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/audit/verify", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/audit/head", [401, 200, 403, 403, 403, 403]),
    ("GET", "/api/v1/bodies", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/bodies/{code}", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/bodies", [401, 201, 403, 403, 403, 403]),
    ("PATCH", "/api/v1/bodies/{code}", [401, 200, 403, 403, 403, 403]),
    ("GET", "/api/v1/work-plans", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/work-plans/{id}", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/work-plans/{id}/bodies", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/work-plans/{id}/areas", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/work-plans", [401, 201, 403, 403, 403, 403]),
    ("PATCH", "/api/v1/work-plans/{id}", [401, 200, 403, 403, 403, 403]),
    ("POST", "/api/v1/work-plans/{id}/areas", [401, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/work-plans/{id}/summary", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/work-plans/{id}/matrix", [401, 200, 200, 200, 200, 200]),
    // A fresh body joins the plan; for DELETE, a fresh body that takes part.
    ("POST", "/api/v1/work-plans/{id}/bodies", [401, 201, 403, 403, 403, 403]),
    ("DELETE", "/api/v1/work-plans/{id}/bodies/{code}", [401, 204, 403, 403, 403, 403]),
    ("GET", "/api/v1/member-states", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/activities", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/work-plans/{id}/activities", [401, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/activities/{id}", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/activities/{id}", [401, 200, 200, 403, 403, 403]),
    ("DELETE", "/api/v1/activities/{id}", [401, 204, 204, 403, 403, 403]),
    ("GET", "/api/v1/activities/{id}/history", [401, 200, 200, 200, 200, 403]),
    ("GET", "/api/v1/activities/{id}/progress", [401, 200, 200, 200, 200, 403]),
    // The officer's body leads the activity; the other officer's body is not assigned.
    ("POST", "/api/v1/activities/{id}/progress", [401, 403, 403, 201, 403, 403]),
    ("GET", "/api/v1/activities/{id}/milestones", [401, 200, 200, 200, 200, 200]),
    // Evidence files: officers upload; a file on DGICM's progress update is seen by
    // whoever reads progress (viewers: 404, as for any file they may not see).
    ("POST", "/api/v1/attachments", [401, 403, 403, 201, 201, 403]),
    ("GET", "/api/v1/attachments/{id}", [401, 200, 200, 200, 200, 404]),
    ("GET", "/api/v1/attachments/{id}/content", [401, 200, 200, 200, 200, 404]),
    ("POST", "/api/v1/activities/{id}/milestones", [401, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/activities/{id}/indicators", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/activities/{id}/indicators", [401, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/milestones/{id}", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/milestones/{id}", [401, 200, 200, 200, 403, 403]),
    ("GET", "/api/v1/indicators/{id}", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/indicators/{id}", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/indicators/{id}/actuals", [401, 200, 200, 200, 200, 403]),
    ("POST", "/api/v1/indicators/{id}/actuals", [401, 403, 403, 201, 403, 403]),
    ("POST", "/api/v1/work-plans/{id}/import", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/cycles", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/cycles", [401, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/cycles/{id}", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/cycles/{id}", [401, 200, 200, 403, 403, 403]),
    // A fresh planned cycle each time.
    ("DELETE", "/api/v1/cycles/{id}", [401, 204, 204, 403, 403, 403]),
    ("POST", "/api/v1/cycles/{id}/open", [401, 200, 200, 403, 403, 403]),
    ("POST", "/api/v1/cycles/{id}/close", [401, 200, 200, 403, 403, 403]),
    ("POST", "/api/v1/cycles/{id}/reopen", [401, 200, 200, 403, 403, 403]),
    ("POST", "/api/v1/cycles/{id}/reminders", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/cycles/{id}/submissions", [401, 200, 200, 200, 200, 200]),
    // DGICM's report: the officer's own; another body's officer and viewers cannot see a draft.
    ("GET", "/api/v1/cycles/{id}/submissions/{body_code}", [401, 200, 200, 200, 404, 404]),
    ("PUT", "/api/v1/cycles/{id}/submissions/{body_code}", [401, 403, 403, 200, 404, 404]),
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/submit", [401, 403, 403, 200, 404, 404]),
    // Submitted: other officers may read it (so 403, not 404); viewers see accepted reports only.
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/return", [401, 200, 200, 403, 403, 404]),
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/accept", [401, 200, 200, 403, 403, 404]),
    // DGICM's draft: its own officer sees it but is not the secretariat (403); hidden from others.
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/extension", [401, 200, 200, 403, 404, 404]),
    ("GET", "/api/v1/cycles/{id}/submissions/{body_code}/amendments", [401, 200, 200, 200, 404, 404]),
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/amendments", [401, 403, 403, 201, 403, 403]),
    ("POST", "/api/v1/amendments/{id}/accept", [401, 200, 200, 403, 403, 403]),
    // DGICM's report (not started): its conversation is the secretariat's, the
    // administrators' and DGICM's officers'; hidden from other bodies and viewers.
    ("GET", "/api/v1/cycles/{id}/submissions/{body_code}/comments", [401, 200, 200, 200, 404, 404]),
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/comments", [401, 201, 201, 201, 404, 404]),
    // A fresh thread started by the secretariat each time.
    ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/comments/{comment_id}/resolve", [401, 200, 200, 200, 404, 404]),
    // Trends: accepted data only, so every signed-in caller reads them.
    ("GET", "/api/v1/activities/{id}/trend", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/work-plans/{id}/trends", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/indicators/{id}/series", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/amendments/{id}/reject", [401, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/cycles/{id}/report", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/cycles/{id}/edition", [401, 200, 200, 200, 200, 200]),
    // Public, so clients can ask before writing.
    ("GET", "/api/v1/maintenance", [200, 200, 200, 200, 200, 200]),
    // Sent as {"on": false}: maintenance never comes on, and the other rows are unaffected.
    ("PUT", "/api/v1/admin/maintenance", [401, 200, 403, 403, 403, 403]),
    ("GET", "/api/v1/me/notifications", [401, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/me/notifications/read", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/me/notification-settings", [401, 200, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/me/notification-settings", [401, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/admin/outbox", [401, 200, 403, 403, 403, 403]),
    // A made-up message id: 404 for the administrator (a real retry is in mail.rs).
    ("POST", "/api/v1/admin/outbox/{id}/retry", [401, 404, 403, 403, 403, 403]),
];

/// How far a fresh cycle has gone, for DGICM's report.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Stage {
    Planned,
    Open,
    Draft,
    Submitted,
    Accepted,
    Closed,
}

/// A fresh cycle of the plan taken to `stage`; DGICM's officer writes its report.
async fn fresh_cycle(app: &TestApp, w: &World, stage: Stage) -> String {
    let admin = w.callers[1].as_ref().expect("admin");
    let dgicm = w.callers[3].as_ref().expect("officer");
    let res = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&admin.token)
        .json(&json!({"work_plan_id": w.plan_id, "kind": "somtc", "name": "Access cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let id = res.json()["id"].as_str().expect("id").to_owned();
    let step = |path: String,
                token: String,
                body: Option<Value>,
                etag: Option<&'static str>,
                method: Method| {
        async move {
            let mut r = app.request(method, &path).bearer(&token);
            if let Some(e) = etag {
                r = r.header("if-match", e);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send().await.assert_status(StatusCode::OK);
        }
    };
    let sub = format!("/api/v1/cycles/{id}/submissions/DGICM");
    if stage >= Stage::Open {
        step(
            format!("/api/v1/cycles/{id}/open"),
            admin.token.clone(),
            None,
            None,
            Method::POST,
        )
        .await;
    }
    if stage >= Stage::Draft {
        step(
            sub.clone(),
            dgicm.token.clone(),
            Some(json!({"entries": []})),
            Some("\"1\""),
            Method::PUT,
        )
        .await;
    }
    if stage >= Stage::Submitted {
        step(
            format!("{sub}/submit"),
            dgicm.token.clone(),
            None,
            Some("\"2\""),
            Method::POST,
        )
        .await;
    }
    if stage >= Stage::Accepted {
        step(
            format!("{sub}/accept"),
            admin.token.clone(),
            None,
            Some("\"3\""),
            Method::POST,
        )
        .await;
    }
    if stage >= Stage::Closed {
        step(
            format!("/api/v1/cycles/{id}/close"),
            admin.token.clone(),
            None,
            None,
            Method::POST,
        )
        .await;
    }
    id
}

/// A fresh amendment proposed by DGICM's officer on an accepted report.
async fn fresh_amendment(app: &TestApp, w: &World) -> String {
    let cycle = fresh_cycle(app, w, Stage::Accepted).await;
    let dgicm = w.callers[3].as_ref().expect("officer");
    let res = app
        .request(Method::POST, &format!("/api/v1/cycles/{cycle}/submissions/DGICM/amendments"))
        .bearer(&dgicm.token)
        .json(&json!({"entry": {"activity_id": w.activity_id, "status": "completed", "narrative": "Corrected"}, "reason": "Late figures"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// A fresh activity of the current plan, led by DGICM with AICHR cooperating.
async fn fresh_activity(app: &TestApp, admin: &Caller, plan_id: &str) -> String {
    let code = format!("T.{}", &uuid::Uuid::new_v4().simple().to_string()[..8]).to_uppercase();
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{plan_id}/activities"))
        .bearer(&admin.token)
        .json(&json!({"area": "A", "code": code, "title": "Access table activity", "lead_body": "DGICM", "cooperating_bodies": ["AICHR"]}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// A fresh body, taking part in `plan` as a member when given; its code.
async fn fresh_body(app: &TestApp, admin: &Caller, plan: Option<&str>) -> String {
    let code = format!("F-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]).to_uppercase();
    app.request(Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&json!({"code": code, "name": "A fresh body", "pillar": "ASCC"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    if let Some(plan) = plan {
        app.request(Method::POST, &format!("/api/v1/work-plans/{plan}/bodies"))
            .bearer(&admin.token)
            .json(&json!({"body": code, "role": "member"}))
            .send()
            .await
            .assert_status(StatusCode::CREATED);
    }
    code
}

async fn fresh_child(app: &TestApp, admin: &Caller, activity: &str, kind: &str) -> String {
    let body = if kind == "milestones" {
        json!({"title": "Workshop held", "due_on": "2027-01-31"})
    } else {
        json!({"name": "Officials trained", "measure": "number", "baseline": "0", "target": "100"})
    };
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/activities/{activity}/{kind}"),
        )
        .bearer(&admin.token)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

struct World {
    open_cycle: String,
    closed_cycle: String,
    callers: Vec<Option<Caller>>,
    plan_id: String,
    login_email: String,
    activity_id: String,
    milestone_id: String,
    indicator_id: String,
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
    let plan_id = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string();
    let admin = callers[1].clone().expect("admin");
    let activity_id = fresh_activity(app, &admin, &plan_id).await;
    let milestone_id = fresh_child(app, &admin, &activity_id, "milestones").await;
    let indicator_id = fresh_child(app, &admin, &activity_id, "indicators").await;
    let mut w = World {
        open_cycle: String::new(),
        closed_cycle: String::new(),
        callers,
        plan_id,
        login_email,
        activity_id,
        milestone_id,
        indicator_id,
    };
    w.open_cycle = fresh_cycle(app, &w, Stage::Open).await;
    w.closed_cycle = fresh_cycle(app, &w, Stage::Closed).await;
    w
}

/// Builds the request for one cell: a concrete path, a body and headers that would
/// succeed for a caller who is allowed.
async fn call(app: &TestApp, w: &World, who: usize, method: &str, path: &str) -> StatusCode {
    let caller = w.callers[who].as_ref();
    let admin = w.callers[1].as_ref().expect("admin");
    let mut headers: Vec<(&str, String)> = Vec::new();
    let mut body: Option<Value> = None;
    let concrete = match (method, path) {
        ("PATCH", "/api/v1/work-plans/{id}") => {
            let code =
                format!("P-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]).to_uppercase();
            let res = app
                .request(Method::POST, "/api/v1/work-plans")
                .bearer(&admin.token)
                .json(&json!({"code": code, "title": "Plan", "period_start": "2029-01-01", "period_end": "2033-12-31", "lead_body": "SOMTC"}))
                .send()
                .await;
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", res.json()["id"].as_str().expect("id"))
        }
        ("PATCH" | "DELETE", "/api/v1/activities/{id}") => {
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", &fresh_activity(app, admin, &w.plan_id).await)
        }
        ("PATCH", "/api/v1/milestones/{id}") => {
            let activity = fresh_activity(app, admin, &w.plan_id).await;
            headers.push(("if-match", "\"1\"".into()));
            path.replace(
                "{id}",
                &fresh_child(app, admin, &activity, "milestones").await,
            )
        }
        ("PATCH", "/api/v1/indicators/{id}") => {
            let activity = fresh_activity(app, admin, &w.plan_id).await;
            headers.push(("if-match", "\"1\"".into()));
            path.replace(
                "{id}",
                &fresh_child(app, admin, &activity, "indicators").await,
            )
        }
        ("PATCH", "/api/v1/bodies/{code}") => {
            let code =
                format!("B-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]).to_uppercase();
            app.request(Method::POST, "/api/v1/bodies")
                .bearer(&admin.token)
                .json(&json!({"code": code, "name": "A body", "pillar": "ASCC"}))
                .send()
                .await
                .assert_status(StatusCode::CREATED);
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{code}", &code)
        }
        ("POST", "/api/v1/work-plans/{id}/bodies") => {
            let code = fresh_body(app, admin, None).await;
            body = Some(json!({"body": code, "role": "member"}));
            path.replace("{id}", &w.plan_id)
        }
        ("DELETE", "/api/v1/work-plans/{id}/bodies/{code}") => {
            let code = fresh_body(app, admin, Some(&w.plan_id)).await;
            path.replace("{id}", &w.plan_id).replace("{code}", &code)
        }
        ("PATCH" | "DELETE", "/api/v1/cycles/{id}") | ("POST", "/api/v1/cycles/{id}/open") => {
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", &fresh_cycle(app, w, Stage::Planned).await)
        }
        ("POST", "/api/v1/cycles/{id}/close") => {
            path.replace("{id}", &fresh_cycle(app, w, Stage::Open).await)
        }
        ("POST", "/api/v1/cycles/{id}/reopen") => {
            path.replace("{id}", &fresh_cycle(app, w, Stage::Closed).await)
        }
        ("PUT", "/api/v1/cycles/{id}/submissions/{body_code}") => {
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", &fresh_cycle(app, w, Stage::Open).await)
                .replace("{body_code}", "DGICM")
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/submit") => {
            headers.push(("if-match", "\"2\"".into()));
            path.replace("{id}", &fresh_cycle(app, w, Stage::Draft).await)
                .replace("{body_code}", "DGICM")
        }
        (
            "POST",
            "/api/v1/cycles/{id}/submissions/{body_code}/return"
            | "/api/v1/cycles/{id}/submissions/{body_code}/accept",
        ) => {
            headers.push(("if-match", "\"3\"".into()));
            path.replace("{id}", &fresh_cycle(app, w, Stage::Submitted).await)
                .replace("{body_code}", "DGICM")
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/extension") => {
            headers.push(("if-match", "\"2\"".into()));
            path.replace("{id}", &fresh_cycle(app, w, Stage::Draft).await)
                .replace("{body_code}", "DGICM")
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/amendments") => path
            .replace("{id}", &fresh_cycle(app, w, Stage::Accepted).await)
            .replace("{body_code}", "DGICM"),
        (_, "/api/v1/amendments/{id}/accept" | "/api/v1/amendments/{id}/reject") => {
            path.replace("{id}", &fresh_amendment(app, w).await)
        }
        (_, "/api/v1/cycles/{id}/edition") => path.replace("{id}", &w.closed_cycle),
        (_, "/api/v1/cycles/{id}/submissions/{body_code}/comments/{comment_id}/resolve") => {
            let sec = w.callers[2].as_ref().expect("secretariat");
            let res = app
                .request(
                    Method::POST,
                    &format!("/api/v1/cycles/{}/submissions/DGICM/comments", w.open_cycle),
                )
                .bearer(&sec.token)
                .json(&json!({"text": "Which workshop is this?"}))
                .send()
                .await;
            res.assert_status(StatusCode::CREATED);
            path.replace("{id}", &w.open_cycle)
                .replace("{body_code}", "DGICM")
                .replace("{comment_id}", res.json()["id"].as_str().expect("id"))
        }
        ("GET", "/api/v1/attachments/{id}" | "/api/v1/attachments/{id}/content") => {
            let dgicm = w.callers[3].as_ref().expect("officer");
            let boundary = "access-table-boundary";
            let up = app
                .request(Method::POST, "/api/v1/attachments")
                .bearer(&dgicm.token)
                .header("content-type", &format!("multipart/form-data; boundary={boundary}"))
                .raw(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.txt\"\r\n\r\nMinutes {}\r\n--{boundary}--\r\n", uuid::Uuid::new_v4()))
                .send()
                .await;
            up.assert_status(StatusCode::CREATED);
            let id = up.json()["id"].as_str().expect("id").to_owned();
            app.request(Method::POST, &format!("/api/v1/activities/{}/progress", w.activity_id))
                .bearer(&dgicm.token)
                .json(&json!({"status": "on_track", "narrative": "Minutes attached", "attachment_ids": [id]}))
                .send()
                .await
                .assert_status(StatusCode::CREATED);
            path.replace("{id}", &id)
        }
        (_, p) if p.starts_with("/api/v1/cycles/{id}") => p
            .replace("{id}", &w.open_cycle)
            .replace("{body_code}", "DGICM"),
        (_, p) if p.starts_with("/api/v1/activities/{id}") => p.replace("{id}", &w.activity_id),
        (_, p) if p.starts_with("/api/v1/milestones/{id}") => p.replace("{id}", &w.milestone_id),
        (_, p) if p.starts_with("/api/v1/indicators/{id}") => p.replace("{id}", &w.indicator_id),
        (_, "/api/v1/bodies/{code}") => path.replace("{code}", "SOMTC"),
        (_, "/api/v1/admin/outbox/{id}/retry") => {
            path.replace("{id}", &uuid::Uuid::new_v4().to_string())
        }
        (_, p) if p.starts_with("/api/v1/work-plans/{id}") => p.replace("{id}", &w.plan_id),
        (_, "/api/v1/users/{id}") => {
            let n = uuid::Uuid::new_v4().simple().to_string();
            let target = app
                .create_account(&format!("t{n}@test.example"), Role::Viewer, None)
                .await;
            headers.push(("if-match", "\"1\"".into()));
            path.replace("{id}", &target.id.to_string())
        }
        (_, "/api/v1/me/tokens/{id}") => {
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
        (_, "/api/v1/me/sessions/{id}") => {
            // Another session of the caller's own (a second login); for the anonymous
            // column, the admin's.
            let owner = caller.unwrap_or(admin);
            app.login(&owner.email, TEST_PASSWORD)
                .await
                .assert_status(StatusCode::OK);
            let list = app.get_as(&owner.token, "/api/v1/me/sessions").await;
            let other = list.json()["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|s| s["current"] == false)
                .expect("another session")["id"]
                .as_str()
                .expect("id")
                .to_owned();
            path.replace("{id}", &other)
        }
        (_, p) => p.to_owned(),
    };
    let unique = || uuid::Uuid::new_v4().simple().to_string()[..6].to_uppercase();
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
        ("POST", "/api/v1/auth/password-reset") => {
            body = Some(json!({"email": w.login_email}));
        }
        ("POST", "/api/v1/auth/password-reset/confirm") => {
            body =
                Some(json!({"token": "wptp_made_up", "new_password": "a long enough passphrase"}));
        }
        ("POST", "/api/v1/me/tokens") => body = Some(json!({"name": "table"})),
        ("POST", "/api/v1/users") => {
            let n = uuid::Uuid::new_v4().simple().to_string();
            body = Some(
                json!({"email": format!("new{n}@test.example"), "name": "New", "role": "viewer", "password": TEST_PASSWORD}),
            );
        }
        ("PATCH", "/api/v1/users/{id}") => body = Some(json!({"name": "Renamed"})),
        ("POST", "/api/v1/work-plans") => {
            body = Some(
                json!({"code": format!("WP-{}", unique()), "title": "A plan", "period_start": "2029-01-01", "period_end": "2033-12-31", "lead_body": "SOMTC", "member_bodies": ["DGICM"]}),
            );
        }
        ("PATCH", "/api/v1/work-plans/{id}") => body = Some(json!({"title": "Renamed plan"})),
        ("POST", "/api/v1/work-plans/{id}/areas") => {
            body = Some(json!({"code": format!("E{}", unique()), "title": "Another area"}))
        }
        ("POST", "/api/v1/work-plans/{id}/activities") => {
            body = Some(
                json!({"area": "A", "code": format!("X.{}", unique()), "title": "Created", "lead_body": "SOMTC"}),
            );
        }
        ("PATCH", "/api/v1/activities/{id}") => body = Some(json!({"title": "Retitled"})),
        ("POST", "/api/v1/activities/{id}/progress") => {
            body = Some(
                json!({"status": "on_track", "percent_complete": 40, "narrative": "Workshop planned"}),
            );
        }
        ("POST", "/api/v1/activities/{id}/milestones") => {
            body = Some(json!({"title": "Guidelines endorsed", "due_on": "2027-06-30"}))
        }
        ("POST", "/api/v1/activities/{id}/indicators") => {
            body = Some(json!({"name": "Cases referred", "measure": "number"}))
        }
        ("PATCH", "/api/v1/milestones/{id}") => {
            body = Some(if matches!(who, 3 | 4) {
                json!({"completed_on": "2026-01-15", "note": "Held in Manila"})
            } else {
                json!({"title": "Workshop held (revised)"})
            });
        }
        ("PATCH", "/api/v1/indicators/{id}") => body = Some(json!({"target": "120"})),
        ("POST", "/api/v1/cycles") => {
            body = Some(
                json!({"work_plan_id": w.plan_id, "kind": "ad_hoc", "name": "Ad hoc", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}),
            );
        }
        ("PATCH", "/api/v1/cycles/{id}") => body = Some(json!({"name": "Renamed cycle"})),
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/comments") => {
            body = Some(json!({"text": "Please attach the MoU."}))
        }
        ("POST", "/api/v1/bodies") => {
            body = Some(
                json!({"code": format!("N-{}", unique()), "name": "New body", "pillar": "AEC", "notes": "added in a test"}),
            )
        }
        ("PATCH", "/api/v1/bodies/{code}") => body = Some(json!({"confirmed": true})),
        ("PUT", "/api/v1/cycles/{id}/submissions/{body_code}") => {
            body = Some(json!({"entries": []}))
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/return") => {
            body = Some(json!({"reason": "Please add figures"}))
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/extension") => {
            body =
                Some(json!({"due_on": "2099-06-01", "reason": "Elections delayed the clearance"}))
        }
        ("POST", "/api/v1/cycles/{id}/submissions/{body_code}/amendments") => {
            body = Some(
                json!({"entry": {"activity_id": w.activity_id, "status": "completed", "narrative": "Corrected"}, "reason": "Late figures"}),
            );
        }
        (_, "/api/v1/amendments/{id}/accept" | "/api/v1/amendments/{id}/reject") => {
            body = Some(json!({}))
        }
        ("POST", "/api/v1/indicators/{id}/actuals") => {
            body = Some(
                json!({"period_start": "2025-07-01", "period_end": "2026-06-30", "value": "35"}),
            );
        }
        ("PUT", "/api/v1/admin/maintenance") => body = Some(json!({"on": false})),
        ("PATCH", "/api/v1/me") => body = Some(json!({"time_zone": "Asia/Jakarta"})),
        ("POST", "/api/v1/me/notifications/read") => body = Some(json!({"all": true})),
        ("PATCH", "/api/v1/me/notification-settings") => {
            body = Some(json!({"email": "daily_digest"}))
        }
        _ => {}
    }
    let method: Method = method.parse().expect("method");
    let mut request = app.request(method, &concrete).anonymous();
    if let Some(c) = caller {
        request = request.bearer(&c.token);
    }
    if path == "/api/v1/attachments" {
        let boundary = "access-table-boundary";
        request = request
            .header("content-type", &format!("multipart/form-data; boundary={boundary}"))
            .raw(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\r\nNotes of the workshop\r\n--{boundary}--\r\n"));
    }
    if path == "/api/v1/auth/password-reset" {
        // Each column from its own address: the per-address limit is not what is tested.
        request = request.peer(&format!("192.0.2.{}:1000", who + 1));
    }
    if path == "/api/v1/work-plans/{id}/import" {
        request = request
            .header("content-type", "text/csv")
            .raw("code,area,activity,lead_body\nI.1,A,Imported,SOMTC\n");
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
            let public = path.starts_with("/api/v1/auth/")
                || path == "/api/v1/maintenance"
                || !path.starts_with("/api/v1/");
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

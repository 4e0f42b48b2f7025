//! Deadline extensions (issue 17): the secretariat grants a body a later due day; late
//! and missing are judged against it on the board and in the report, the body's
//! officers are told, and everyone else is refused.

use axum::http::{Method, StatusCode};
use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn plus(days: u64) -> String {
    (today() + Days::new(days)).to_string()
}

fn minus(days: u64) -> String {
    (today() - Days::new(days)).to_string()
}

/// An open cycle whose due day was three days ago (so every unsubmitted body is
/// missing), with DGICM leading one activity; the secretariat and the cycle's id.
pub(crate) async fn overdue_cycle(app: &TestApp) -> (Caller, String) {
    let sec = app.caller(Role::Secretariat, None).await;
    app.request(
        Method::POST,
        &format!("/api/v1/work-plans/{}/activities", plan_id()),
    )
    .bearer(&sec.token)
    .json(&json!({"area": "A", "code": "A.x.1", "title": "Border campaign", "lead_body": "DGICM"}))
    .send()
    .await
    .assert_status(StatusCode::CREATED);
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(
            &json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "27th SOMTC",
            "meeting_date": plus(40), "period_start": minus(365), "period_end": minus(4),
            "opens_on": minus(30), "due_on": minus(3), "review_due_on": plus(20)}),
        )
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    (sec, id)
}

fn row<'a>(board: &'a Value, body: &str) -> &'a Value {
    board["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["body"] == body)
        .unwrap_or_else(|| panic!("{body} on the board"))
}

async fn board(app: &TestApp, token: &str, cycle: &str) -> Value {
    let res = app
        .get_as(token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await;
    res.assert_status(StatusCode::OK);
    res.json()
}

async fn etag(app: &TestApp, token: &str, cycle: &str, body: &str) -> String {
    let res = app
        .get_as(token, &format!("/api/v1/cycles/{cycle}/submissions/{body}"))
        .await;
    res.assert_status(StatusCode::OK);
    res.header("etag").expect("etag").to_owned()
}

async fn extend(
    app: &TestApp,
    token: &str,
    cycle: &str,
    body: &str,
    if_match: Option<&str>,
    request: Value,
) -> TestResponse {
    let mut req = app
        .request(
            Method::POST,
            &format!("/api/v1/cycles/{cycle}/submissions/{body}/extension"),
        )
        .bearer(token)
        .json(&request);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await
}

async fn submit(app: &TestApp, officer: &Caller, cycle: &str, body: &str) -> Value {
    let tag = etag(app, &officer.token, cycle, body).await;
    let saved = app
        .request(
            Method::PUT,
            &format!("/api/v1/cycles/{cycle}/submissions/{body}"),
        )
        .bearer(&officer.token)
        .header("if-match", &tag)
        .json(&json!({"entries": []}))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    let tag = saved.header("etag").expect("etag").to_owned();
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/cycles/{cycle}/submissions/{body}/submit"),
        )
        .bearer(&officer.token)
        .header("if-match", &tag)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    res.json()
}

#[tokio::test]
async fn an_extension_moves_missing_and_late_for_that_body_only() {
    let app = TestApp::spawn().await;
    let (sec, cycle) = overdue_cycle(&app).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let acw = app.caller(Role::Officer, Some("ACW")).await;

    let before = board(&app, &sec.token, &cycle).await;
    assert_eq!(row(&before, "DGICM")["missing"], true);
    assert_eq!(row(&before, "DGICM")["extended_due_on"], Value::Null);

    let tag = etag(&app, &sec.token, &cycle, "DGICM").await;
    let reason = "National elections delayed the inter-ministerial clearance.";
    let granted = extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some(&tag),
        json!({"due_on": plus(7), "reason": reason}),
    )
    .await;
    granted.assert_status(StatusCode::OK);
    assert_eq!(granted.json()["extended_due_on"], plus(7));
    assert_eq!(granted.json()["extension_reason"], reason);
    assert_ne!(
        granted.header("etag"),
        Some(tag.as_str()),
        "the version moved"
    );

    let after = board(&app, &sec.token, &cycle).await;
    assert_eq!(
        row(&after, "DGICM")["missing"],
        false,
        "judged against the extension"
    );
    assert_eq!(row(&after, "DGICM")["extended_due_on"], plus(7));
    assert_eq!(row(&after, "DGICM")["extension_reason"], reason);
    assert_eq!(
        row(&after, "ACW")["missing"],
        true,
        "another body keeps the cycle's day"
    );
    // Another body's officer sees the date, not the reason (a review matter).
    let seen_by_acw = board(&app, &acw.token, &cycle).await;
    assert_eq!(row(&seen_by_acw, "DGICM")["extended_due_on"], plus(7));
    assert_eq!(row(&seen_by_acw, "DGICM")["extension_reason"], Value::Null);

    // Submitting now is on time for DGICM, late for ACW.
    assert_eq!(submit(&app, &dgicm, &cycle, "DGICM").await["late"], false);
    assert_eq!(submit(&app, &acw, &cycle, "ACW").await["late"], true);

    // The consolidated report's missing list follows the board.
    let report = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=json"),
        )
        .await;
    report.assert_status(StatusCode::OK);
    let text = report.text();
    let missing = &report.json()["missing_bodies"];
    if missing.is_array() {
        assert!(
            !missing
                .as_array()
                .expect("list")
                .iter()
                .any(|b| b == "DGICM"),
            "{text}"
        );
    }

    // Audited.
    let audit = app
        .get_as(&sec.token, "/api/v1/audit?limit=200")
        .await
        .text();
    assert!(audit.contains("submission.extend"), "{audit}");
}

#[tokio::test]
async fn an_extension_after_a_late_submission_clears_late_and_an_accepted_report_keeps_it() {
    let app = TestApp::spawn().await;
    let (sec, cycle) = overdue_cycle(&app).await;
    let acw = app.caller(Role::Officer, Some("ACW")).await;
    assert_eq!(submit(&app, &acw, &cycle, "ACW").await["late"], true);
    let tag = etag(&app, &sec.token, &cycle, "ACW").await;
    let res = extend(
        &app,
        &sec.token,
        &cycle,
        "ACW",
        Some(&tag),
        json!({"due_on": plus(1), "reason": "Agreed by phone before the due day"}),
    )
    .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["late"], false, "submitted within the new day");
    // Accepted is final: no extension.
    let tag = res.header("etag").expect("etag").to_owned();
    app.request(
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/submissions/ACW/accept"),
    )
    .bearer(&sec.token)
    .header("if-match", &tag)
    .send()
    .await
    .assert_status(StatusCode::OK);
    let tag = etag(&app, &sec.token, &cycle, "ACW").await;
    extend(
        &app,
        &sec.token,
        &cycle,
        "ACW",
        Some(&tag),
        json!({"due_on": plus(9), "reason": "Again"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[tokio::test]
async fn bad_extensions_are_refused_with_a_clear_message_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (sec, cycle) = overdue_cycle(&app).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let other = app.caller(Role::Officer, Some("ACW")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let tag = etag(&app, &sec.token, &cycle, "DGICM").await;
    let ok = json!({"due_on": plus(7), "reason": "Elections"});

    // Not after the cycle's due day; in the past; no reason; unknown field.
    for (request, field) in [
        (json!({"due_on": minus(3), "reason": "Same day"}), "due_on"),
        (
            json!({"due_on": minus(1), "reason": "In the past"}),
            "due_on",
        ),
        (json!({"due_on": plus(7), "reason": "  "}), "reason"),
    ] {
        let res = extend(&app, &sec.token, &cycle, "DGICM", Some(&tag), request).await;
        let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(problem.to_string().contains(field), "{problem}");
    }
    let res = extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some(&tag),
        json!({"due_on": minus(3), "reason": "x"}),
    )
    .await;
    assert!(
        res.text().contains("after the cycle's due date"),
        "{}",
        res.text()
    );
    let res = extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some(&tag),
        json!({"due_on": minus(1), "reason": "x"}),
    )
    .await;
    assert!(res.text().contains("in the past"), "{}", res.text());
    extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some(&tag),
        json!({"due_on": plus(7), "reason": "x", "body_id": "smuggled"}),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some(&tag),
        json!({"due_on": "21 Dec", "reason": "x"}),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // If-Match: missing 428, stale 412.
    extend(&app, &sec.token, &cycle, "DGICM", None, ok.clone())
        .await
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    extend(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        Some("\"99\""),
        ok.clone(),
    )
    .await
    .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");

    // Who may not: the body's own officer (403), another body's officer and a viewer
    // (404: they may not see the draft), nobody (401).
    extend(&app, &dgicm.token, &cycle, "DGICM", Some(&tag), ok.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    extend(&app, &other.token, &cycle, "DGICM", Some(&tag), ok.clone())
        .await
        .assert_status(StatusCode::NOT_FOUND);
    extend(&app, &viewer.token, &cycle, "DGICM", Some(&tag), ok.clone())
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.request(
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/submissions/DGICM/extension"),
    )
    .anonymous()
    .header("if-match", &tag)
    .json(&ok)
    .send()
    .await
    .assert_status(StatusCode::UNAUTHORIZED);

    // Nothing changed.
    let now = board(&app, &sec.token, &cycle).await;
    assert_eq!(row(&now, "DGICM")["extended_due_on"], Value::Null);
    assert_eq!(row(&now, "DGICM")["missing"], true);
    assert_eq!(etag(&app, &sec.token, &cycle, "DGICM").await, tag);

    // A closed cycle takes no extension (409).
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/close"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    extend(&app, &sec.token, &cycle, "DGICM", Some(&tag), ok)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[tokio::test]
async fn the_board_page_offers_the_extension_asks_first_and_shows_it() {
    let app = TestApp::spawn().await;
    let (_, cycle) = overdue_cycle(&app).await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let board_path = format!("/ui/cycles/{cycle}/board");
    let page = app.web_get(Some(&cookie), &board_path).await;
    page.assert_status(StatusCode::OK);
    let form_path = format!("/ui/cycles/{cycle}/submissions/DGICM/extension");
    assert!(page.text().contains(&form_path), "the board links the form");

    let form = app.web_get(Some(&cookie), &form_path).await;
    form.assert_status(StatusCode::OK);
    let html = form.text();
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the form carries the version")
        .to_owned();
    let due = today() + Days::new(10);
    let fields = [
        ("version", version.as_str()),
        ("due_on", &due.to_string()),
        ("reason", "Elections delayed the clearance"),
    ];
    // Without a reason: the form again, as typed, with the problem.
    let refused = app
        .web_post(
            Some(&cookie),
            &form_path,
            &[
                ("version", &version),
                ("due_on", &due.to_string()),
                ("reason", " "),
            ],
            false,
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains(&due.to_string()), "kept as typed");
    // First post: the confirmation page, nothing changed yet.
    let asked = app
        .web_post(Some(&cookie), &form_path, &fields, false)
        .await;
    asked.assert_status(StatusCode::OK);
    assert!(asked.text().contains("name=\"confirm\" value=\"yes\""));
    let unchanged = app.web_get(Some(&cookie), &board_path).await.text();
    assert!(!unchanged.contains("extended to"));
    // Confirmed: back to the board with a message, which shows the extension.
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "yes"));
    let done = app
        .web_post(Some(&cookie), &form_path, &confirmed, false)
        .await;
    done.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(done.header("location"), Some(board_path.as_str()));
    let flash = done
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a flash cookie")
        .to_owned();
    let shown = app
        .web_get(Some(&format!("{cookie}; {flash}")), &board_path)
        .await
        .text();
    let words = format!("extended to {}", due.format("%-d %b %Y"));
    assert!(shown.contains(&words), "{shown}");
    assert!(shown.contains("Elections delayed the clearance"));
    assert!(shown.contains("deadline extended to"), "the flash message");
    // An officer gets no form and a 403 on a forged post.
    let (_, officer) = app.web_caller(Role::Officer, Some("DGICM")).await;
    app.web_get(Some(&officer), &form_path)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let mut forged = fields.to_vec();
    forged.push(("confirm", "yes"));
    app.web_post(Some(&officer), &form_path, &forged, false)
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

//! The reviewer's context and the report page's words (issue 24, items 11 and 13): each
//! entry beside the body's last accepted values, flags for implausible values, what
//! changed since the return, "Reviewed by" not carried over to a resubmitted report;
//! "No report yet", the period and meeting, status definitions, a question when the
//! status and the percent disagree, and a history without "Draft → Draft".

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn activity(app: &TestApp, sec: &Caller, code: &str) -> String {
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{}/activities", plan_id()))
        .bearer(&sec.token)
        .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": "DGICM"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn open_cycle(app: &TestApp, sec: &Caller, name: &str, end: &str) -> String {
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "ad_hoc", "name": name, "meeting_date": "2099-07-20",
                      "period_start": "2090-01-01", "period_end": end, "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    id
}

async fn save(app: &TestApp, officer: &Caller, path: &str, entries: Value) {
    let etag = app
        .get_as(&officer.token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PUT, path)
        .bearer(&officer.token)
        .header("if-match", &etag)
        .json(&json!({ "entries": entries }))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

async fn step(app: &TestApp, who: &Caller, path: &str, action: &str, body: Option<Value>) {
    let etag = app
        .get_as(&who.token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let mut req = app
        .request(Method::POST, &format!("{path}/{action}"))
        .bearer(&who.token)
        .header("if-match", &etag);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.assert_status(StatusCode::OK);
}

/// The part of a page about one activity's entry (from its id to the next entry).
fn block<'a>(html: &'a str, activity: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"context-{activity}\""))
        .unwrap_or_else(|| panic!("no context for {activity}: {html}"));
    let rest = &html[start..];
    &rest[..rest[1..]
        .find("id=\"context-")
        .map_or(rest.len(), |i| i + 1)]
}

#[tokio::test]
async fn the_reviewer_sees_each_entry_beside_the_last_accepted_values_with_flags() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (dgicm, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "A.r.1").await;
    let b = activity(&app, &sec, "A.r.2").await;
    let first = open_cycle(&app, &sec, "25th SOMTC", "2090-06-30").await;
    let p1 = format!("/api/v1/cycles/{first}/submissions/DGICM");
    save(&app, &dgicm, &p1, json!([
        {"activity_id": a, "status": "on_track", "percent_complete": 90, "narrative": "Nearly there"},
        {"activity_id": b, "status": "completed", "percent_complete": 100, "narrative": "Done"}
    ])).await;
    step(&app, &dgicm, &p1, "submit", None).await;
    step(&app, &sec, &p1, "accept", None).await;

    let second = open_cycle(&app, &sec, "26th SOMTC", "2091-06-30").await;
    let p2 = format!("/api/v1/cycles/{second}/submissions/DGICM");
    // Not begun: "No report yet", with the period, meeting and status definitions.
    let page = app
        .web_get(
            Some(&cookie),
            &format!("/ui/cycles/{second}/submissions/DGICM"),
        )
        .await
        .text();
    assert!(page.contains("No report yet"), "{page}");
    assert!(page.contains("id=\"period-covered\""), "{page}");
    assert!(page.contains("datetime=\"2091-06-30\""), "{page}");
    assert!(page.contains("id=\"meeting\""), "{page}");
    assert!(page.contains("What each status means"), "{page}");
    save(&app, &dgicm, &p2, json!([
        {"activity_id": a, "status": "on_track", "percent_complete": 55, "narrative": "Recounted"},
        {"activity_id": b, "status": "not_started", "percent_complete": 90, "narrative": "Restarted"}
    ])).await;
    // The form asks when the status and the percent disagree.
    let page = app
        .web_get(
            Some(&cookie),
            &format!("/ui/cycles/{second}/submissions/DGICM"),
        )
        .await
        .text();
    assert!(
        page.contains(&format!("id=\"entry-question-{b}\"")),
        "{page}"
    );
    assert!(
        page.contains("Not started at 90%. Has the work begun?"),
        "{page}"
    );
    assert!(
        !page.contains(&format!("id=\"entry-question-{a}\"")),
        "{page}"
    );
    step(&app, &dgicm, &p2, "submit", None).await;
    step(
        &app,
        &sec,
        &p2,
        "return",
        Some(json!({"reason": "Please check the percentages"})),
    )
    .await;
    save(&app, &dgicm, &p2, json!([
        {"activity_id": a, "status": "on_track", "percent_complete": 58, "narrative": "Recounted again"}
    ])).await;
    step(&app, &dgicm, &p2, "submit", None).await;

    let (page, statements) = app
        .count_statements(app.web_get(
            Some(&sec_cookie),
            &format!("/ui/cycles/{second}/submissions/DGICM"),
        ))
        .await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    let ca = block(&html, &a);
    assert!(
        ca.contains("Last accepted: </strong>On track, 90% (25th SOMTC)"),
        "{ca}"
    );
    assert!(
        ca.contains("Please check: Fell from 90% to 58% since the last accepted report"),
        "{ca}"
    );
    assert!(
        ca.contains("<strong>Changed since the return</strong>"),
        "{ca}"
    );
    let cb = block(&html, &b);
    assert!(
        cb.contains("Last accepted: </strong>Completed, 100% (25th SOMTC)"),
        "{cb}"
    );
    assert!(
        cb.contains("Please check: Not started, yet 90% complete"),
        "{cb}"
    );
    assert!(
        cb.contains("Please check: Was completed in the last accepted report, now Not started"),
        "{cb}"
    );
    assert!(cb.contains("Unchanged since the return"), "{cb}");
    // The review of the returned version is not shown as the review of this one.
    assert!(
        html.contains("Not yet reviewed since it was resubmitted"),
        "{html}"
    );
    // The history says what was done.
    assert!(!html.contains("Draft → Draft"), "{html}");
    assert!(
        html.contains("Saved (No report yet → Draft)")
            && html.contains("Submitted (Draft → Submitted)"),
        "{html}"
    );

    // A constant number of statements, whatever the number of entries: one more
    // activity and entry changes nothing.
    let c = activity(&app, &sec, "A.r.3").await;
    let third = open_cycle(&app, &sec, "27th SOMTC", "2092-06-30").await;
    let p3 = format!("/api/v1/cycles/{third}/submissions/DGICM");
    save(
        &app,
        &dgicm,
        &p3,
        json!([
            {"activity_id": a, "status": "on_track", "percent_complete": 60, "narrative": "x"},
            {"activity_id": b, "status": "on_track", "percent_complete": 10, "narrative": "x"},
            {"activity_id": c, "status": "on_track", "percent_complete": 10, "narrative": "x"}
        ]),
    )
    .await;
    step(&app, &dgicm, &p3, "submit", None).await;
    step(&app, &sec, &p3, "return", Some(json!({"reason": "x"}))).await;
    step(&app, &dgicm, &p3, "submit", None).await;
    let (_, more) = app
        .count_statements(app.web_get(
            Some(&sec_cookie),
            &format!("/ui/cycles/{third}/submissions/DGICM"),
        ))
        .await;
    assert_eq!(
        more, statements,
        "the review page's statements do not grow with its entries"
    );
}

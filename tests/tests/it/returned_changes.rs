//! What changed since the return, field by field (issue 24, item 11): the return keeps
//! the report's entries in its transaction (the newest return only); the review page
//! lists under each entry what changed since, in words, and the API gives the same as
//! `changes_since_return` to those who see the review, never to viewers or other bodies.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";
const BOUNDARY: &str = "----wpt-returned-boundary-7c1d";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn activity(app: &TestApp, sec: &Caller, code: &str) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(
            &json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"),
                      "lead_body": "DGICM"}),
        )
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// Uploads a small PDF as `officer`; its id.
async fn upload(app: &TestApp, officer: &Caller, name: &str) -> String {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(
        format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {name}\n%%EOF\n").as_bytes(),
    );
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = app
        .request(Method::POST, "/api/v1/attachments")
        .bearer(&officer.token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
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

/// `changes_since_return` of `activity`'s entry as `who` reads the report.
async fn changes(app: &TestApp, who: &Caller, path: &str, activity: &str) -> Value {
    let res = app.get_as(&who.token, path).await;
    res.assert_status(StatusCode::OK);
    let report = res.json();
    report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["activity_id"] == activity)
        .unwrap_or_else(|| panic!("{activity} in {report}"))["changes_since_return"]
        .clone()
}

/// The changed fields' names.
fn fields(changes: &Value) -> Vec<&str> {
    changes
        .as_array()
        .unwrap_or_else(|| panic!("a list: {changes}"))
        .iter()
        .map(|c| c["field"].as_str().expect("field"))
        .collect()
}

/// The part of the review page about one activity's entry.
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
async fn the_review_shows_what_changed_since_the_return_field_by_field() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let a = activity(&app, &sec, "A.x.1").await;
    let b = activity(&app, &sec, "A.x.2").await;
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "ad_hoc", "name": "26th SOMTC", "meeting_date": "2099-07-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let page = format!("/ui/cycles/{cycle}/submissions/DGICM");
    let first_file = upload(&app, &dgicm, "minutes.pdf").await;
    let link = "https://example.org/dgicm/minutes.pdf";
    save(&app, &dgicm, &path, json!([
        {"activity_id": a, "status": "delayed", "percent_complete": 40, "narrative": "Venue lost",
         "evidence_urls": [link], "attachment_ids": [first_file]},
        {"activity_id": b, "status": "on_track", "percent_complete": 50, "narrative": "Half way"}
    ]))
    .await;
    step(&app, &dgicm, &path, "submit", None).await;

    // Never returned: nothing, in the API and on the page.
    assert!(changes(&app, &sec, &path, &a).await.is_null());
    let html = app.web_get(Some(&sec_cookie), &page).await.text();
    assert!(!html.contains("since the return"), "{html}");

    step(
        &app,
        &sec,
        &path,
        "return",
        Some(json!({"reason": "Check A.x.1"})),
    )
    .await;
    assert_eq!(changes(&app, &dgicm, &path, &a).await, json!([]));

    // Two fields changed, the rest saved as they were.
    save(&app, &dgicm, &path, json!([
        {"activity_id": a, "status": "on_track", "percent_complete": 60, "narrative": "Venue lost",
         "evidence_urls": [link], "attachment_ids": [first_file]},
        {"activity_id": b, "status": "on_track", "percent_complete": 50, "narrative": "Half way"}
    ]))
    .await;
    step(&app, &dgicm, &path, "submit", None).await;
    for who in [&sec, &dgicm] {
        assert_eq!(
            changes(&app, who, &path, &a).await,
            json!([
                {"field": "status", "before": "delayed", "after": "on_track"},
                {"field": "percent_complete", "before": 40, "after": 60}
            ])
        );
        assert_eq!(changes(&app, who, &path, &b).await, json!([]));
    }
    // Not for another body's officers (who see the submitted report).
    assert!(changes(&app, &somtc, &path, &a).await.is_null());
    let html = app.web_get(Some(&sec_cookie), &page).await.text();
    let ca = block(&html, &a);
    assert!(
        ca.contains("<strong>Changed since the return</strong>"),
        "{ca}"
    );
    assert!(ca.contains("Status: Delayed → On track"), "{ca}");
    assert!(ca.contains("Percent complete: 40% → 60%"), "{ca}");
    for other in ["What was done:", "Evidence links:", "Files:", "Challenges:"] {
        assert!(!ca.contains(other), "{other} in {ca}");
    }
    assert!(
        block(&html, &b).contains("Unchanged since the return"),
        "{html}"
    );

    // A second return replaces what was kept: the next changes are counted from it.
    step(
        &app,
        &sec,
        &path,
        "return",
        Some(json!({"reason": "And the evidence"})),
    )
    .await;
    assert_eq!(changes(&app, &sec, &path, &a).await, json!([]));
    let second_file = upload(&app, &dgicm, "photos.pdf").await;
    let long = "The venue was found after all: the ministry lent its training centre for the \
                three days, and the 85 immigration officers were briefed as planned.";
    save(&app, &dgicm, &path, json!([
        {"activity_id": a, "status": "on_track", "percent_complete": 60, "narrative": long,
         "evidence_urls": [link, "https://example.org/dgicm/photos"], "attachment_ids": [second_file]}
    ]))
    .await;
    step(&app, &dgicm, &path, "submit", None).await;
    let got = changes(&app, &sec, &path, &a).await;
    assert_eq!(
        fields(&got),
        ["narrative", "evidence_urls", "attachments"],
        "{got}"
    );
    assert_eq!(got[0]["before"], "Venue lost");
    assert_eq!(got[2]["before"], json!([first_file]));
    assert_eq!(got[2]["after"], json!([second_file]));
    let html = app.web_get(Some(&sec_cookie), &page).await.text();
    let ca = block(&html, &a);
    assert!(ca.contains("What was done: changed"), "{ca}");
    assert!(ca.contains("<summary>Before and after</summary>"), "{ca}");
    assert!(ca.contains("Evidence links: 1 added"), "{ca}");
    assert!(ca.contains("Files: 1 added, 1 removed"), "{ca}");
    assert!(
        !ca.contains("Status:") && !ca.contains("Percent complete:"),
        "{ca}"
    );

    // Accepted: viewers read the report, never what changed since the return.
    step(&app, &sec, &path, "accept", None).await;
    for who in [&viewer, &somtc] {
        assert!(
            changes(&app, who, &path, &a).await.is_null(),
            "{:?}",
            who.id
        );
        assert!(changes(&app, who, &path, &b).await.is_null());
    }
    // Once accepted, the comparison is over for the body too: the report changes only
    // by corrections from now on, which are shown as such.
    assert!(changes(&app, &dgicm, &path, &a).await.is_null());
}

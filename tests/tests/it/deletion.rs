//! Deleting plan structure never deletes what a body recorded: an activity with anything
//! a body recorded on it is refused with 409 naming it (archive it instead); one with
//! structure only goes, its milestones and indicators named in the audit entry. The
//! matrix import re-assigning bodies keeps the statuses of the bodies that stay.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn activity(app: &TestApp, sec: &Caller, code: &str) -> String {
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{}/activities", plan()))
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": code, "title": "To delete", "lead_body": "DGICM", "cooperating_bodies": ["AICHR"]}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn child(app: &TestApp, sec: &Caller, activity: &str, kind: &str, body: Value) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/activities/{activity}/{kind}"),
        )
        .bearer(&sec.token)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn delete(app: &TestApp, sec: &Caller, activity: &str) -> wpt_tests::TestResponse {
    let path = format!("/api/v1/activities/{activity}");
    let etag = app
        .get_as(&sec.token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::DELETE, &path)
        .bearer(&sec.token)
        .header("if-match", &etag)
        .send()
        .await
}

#[tokio::test]
async fn an_activity_with_what_a_body_recorded_is_refused_and_kept_whole() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;

    // An indicator actual only (no progress update): it used to cascade away.
    let a = activity(&app, &sec, "DEL.1").await;
    let i = child(
        &app,
        &sec,
        &a,
        "indicators",
        json!({"name": "Trained", "measure": "number"}),
    )
    .await;
    app.request(Method::POST, &format!("/api/v1/indicators/{i}/actuals"))
        .bearer(&dgicm.token)
        .json(&json!({"period_start": "2025-07-01", "period_end": "2026-06-30", "value": "35"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let refused = delete(&app, &sec, &a).await;
    let problem = refused.assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 indicator actual")),
        "{problem}"
    );
    let actuals = app
        .get_as(&sec.token, &format!("/api/v1/indicators/{i}/actuals"))
        .await
        .json();
    assert_eq!(actuals["items"].as_array().map(Vec::len), Some(1), "kept");

    // A milestone an officer completed.
    let b = activity(&app, &sec, "DEL.2").await;
    let m = child(
        &app,
        &sec,
        &b,
        "milestones",
        json!({"title": "Held", "due_on": "2027-01-31"}),
    )
    .await;
    let etag = app
        .get_as(&dgicm.token, &format!("/api/v1/milestones/{m}"))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PATCH, &format!("/api/v1/milestones/{m}"))
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"completed_on": "2026-01-15", "note": "Held in Manila"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let problem = delete(&app, &sec, &b)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 completed milestone"))
    );

    // Entries in a cycle's reports: used to be a 500 from the foreign key.
    let c = activity(&app, &sec, "DEL.3").await;
    let cycle = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan(), "kind": "ad_hoc", "name": "Deletion cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await
        .json();
    let cycle = cycle["id"].as_str().expect("id");
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let problem = delete(&app, &sec, &c)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("report entr")),
        "{problem}"
    );
    app.get_as(&sec.token, &format!("/api/v1/activities/{c}"))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn an_activity_with_structure_only_goes_with_its_structure_named_in_the_audit() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let a = activity(&app, &sec, "DEL.4").await;
    let m = child(
        &app,
        &sec,
        &a,
        "milestones",
        json!({"title": "Concept note", "due_on": "2027-01-31"}),
    )
    .await;
    let i = child(
        &app,
        &sec,
        &a,
        "indicators",
        json!({"name": "Trained", "measure": "number"}),
    )
    .await;
    delete(&app, &sec, &a)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(&sec.token, &format!("/api/v1/milestones/{m}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    app.get_as(&sec.token, &format!("/api/v1/indicators/{i}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let audit = app
        .get_as(
            &sec.token,
            &format!("/api/v1/audit?action=activity.delete&resource_id={a}"),
        )
        .await
        .json();
    let before = &audit["items"][0]["before"];
    assert_eq!(before["with"]["milestones"][0]["title"], "Concept note");
    assert_eq!(before["with"]["indicators"][0]["name"], "Trained");
}

#[tokio::test]
async fn the_import_re_assigning_bodies_keeps_the_statuses_of_bodies_that_stay() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "DEL.5").await;
    app.request(Method::POST, &format!("/api/v1/activities/{a}/progress"))
        .bearer(&dgicm.token)
        .json(&json!({"status": "at_risk", "percent_complete": 30, "narrative": "Funding late"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    // The same row with one more cooperating body: DGICM stays the lead.
    let matrix =
        "Code,Area,Activity,Lead body,Cooperating bodies\nDEL.5,A,To delete,DGICM,AICHR;SOMTC\n";
    app.request(
        Method::POST,
        &format!("/api/v1/work-plans/{}/import", plan()),
    )
    .bearer(&sec.token)
    .header("content-type", "text/csv")
    .raw(matrix)
    .send()
    .await
    .assert_status(StatusCode::OK);
    let now = app
        .get_as(&sec.token, &format!("/api/v1/activities/{a}"))
        .await
        .json();
    let dg = now["bodies"]
        .as_array()
        .expect("bodies")
        .iter()
        .find(|b| b["body"] == "DGICM")
        .expect("DGICM")
        .clone();
    assert_eq!(dg["latest_status"], "at_risk", "{now}");
    assert_eq!(dg["latest_percent"], 30);
    assert_eq!(now["cooperating_bodies"], json!(["AICHR", "SOMTC"]));
}

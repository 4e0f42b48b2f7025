//! One truth per status after a correction (issue 24, item 7): an accepted amendment's
//! values become the body's latest progress on the activity, recorded as a progress
//! update naming the cycle, in the decision's transaction and under the accept's rule
//! (not when the body reported after proposing it); a rejected one changes nothing. The
//! activity's cached view is refreshed for every reader.

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

/// Opens a cycle; its id.
async fn open_cycle(app: &TestApp, sec: &Caller) -> String {
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
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

/// Runs a workflow step on the report at `path` with its current version.
async fn step(app: &TestApp, who: &Caller, path: &str, action: &str) {
    let etag = app
        .get_as(&who.token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::POST, &format!("{path}/{action}"))
        .bearer(&who.token)
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(StatusCode::OK);
}

/// Proposes an amendment of `activity`'s entry; its id.
async fn propose(app: &TestApp, officer: &Caller, path: &str, activity: &str, v: Value) -> String {
    let mut entry = v;
    entry["activity_id"] = json!(activity);
    let res = app
        .request(Method::POST, &format!("{path}/amendments"))
        .bearer(&officer.token)
        .json(&json!({"entry": entry, "reason": "Figures recounted after the meeting"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn decide(app: &TestApp, sec: &Caller, id: &str, decision: &str) {
    app.request(Method::POST, &format!("/api/v1/amendments/{id}/{decision}"))
        .bearer(&sec.token)
        .json(&json!({"note": "Checked"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

/// DGICM's part of activity `id` as `who` reads it.
async fn part(app: &TestApp, who: &Caller, id: &str) -> Value {
    let got = app
        .get_as(&who.token, &format!("/api/v1/activities/{id}"))
        .await;
    got.assert_status(StatusCode::OK);
    let got = got.json();
    got["bodies"]
        .as_array()
        .expect("bodies")
        .iter()
        .find(|b| b["body"] == "DGICM")
        .unwrap_or_else(|| panic!("DGICM in {got}"))
        .clone()
}

async fn timeline(app: &TestApp, who: &Caller, id: &str) -> Vec<Value> {
    app.get_as(&who.token, &format!("/api/v1/activities/{id}/progress"))
        .await
        .json()["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[tokio::test]
async fn an_accepted_amendment_becomes_the_bodys_latest_progress_unless_it_reported_since() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let a = activity(&app, &sec, "A.m.1").await;
    let b = activity(&app, &sec, "A.m.2").await;
    let cycle = open_cycle(&app, &sec).await;
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = app
        .get_as(&dgicm.token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [
            {"activity_id": a, "status": "delayed", "percent_complete": 40, "narrative": "Venue lost"},
            {"activity_id": b, "status": "on_track", "percent_complete": 50, "narrative": "Half way"}
        ]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    step(&app, &dgicm, &path, "submit").await;
    step(&app, &sec, &path, "accept").await;

    // Every reader has the accepted values in the cache before the decision.
    for who in [&sec, &dgicm] {
        let p = part(&app, who, &a).await;
        assert_eq!(p["latest_status"], "delayed", "{p}");
        assert_eq!(p["latest_percent"], 40, "{p}");
    }
    assert_eq!(
        part(&app, &viewer, &a).await["accepted"]["status"],
        "delayed"
    );

    // Accepted: the amended values are DGICM's latest progress, naming the cycle.
    let amend = propose(
        &app,
        &dgicm,
        &path,
        &a,
        json!({"status": "on_track", "percent_complete": 60, "narrative": "Venue found after all"}),
    )
    .await;
    decide(&app, &sec, &amend, "accept").await;
    for who in [&sec, &dgicm] {
        let p = part(&app, who, &a).await;
        assert_eq!(p["latest_status"], "on_track", "{p}");
        assert_eq!(p["latest_percent"], 60, "{p}");
        assert_eq!(p["accepted"]["status"], "on_track", "{p}");
    }
    let seen = part(&app, &viewer, &a).await;
    assert_eq!(seen["accepted"]["status"], "on_track", "{seen}");
    assert_eq!(seen["accepted"]["percent_complete"], 60, "{seen}");
    assert!(
        seen["latest_status"].is_null(),
        "viewers read accepted values only"
    );
    let items = timeline(&app, &sec, &a).await;
    assert_eq!(
        items.len(),
        2,
        "the accept's update and the amendment's: {items:?}"
    );
    assert_eq!(items[0]["status"], "on_track");
    assert_eq!(items[0]["percent_complete"], 60);
    assert_eq!(items[0]["narrative"], "Venue found after all");
    assert_eq!(items[0]["from_cycle_id"], cycle.as_str(), "names the cycle");
    assert_eq!(items[0]["author_id"], dgicm.id.to_string(), "the proposer");
    assert_eq!(items[1]["status"], "delayed");
    // Audited in the decision, by the reviewer.
    let audit = app
        .get_as(
            &sec.token,
            &format!("/api/v1/audit?resource_type=activity&resource_id={a}&action=progress.create"),
        )
        .await
        .json();
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["actor_id"], sec.id.to_string());

    // Rejected: nothing changes.
    let amend = propose(
        &app,
        &dgicm,
        &path,
        &b,
        json!({"status": "at_risk", "percent_complete": 45, "narrative": "Slower"}),
    )
    .await;
    decide(&app, &sec, &amend, "reject").await;
    let p = part(&app, &sec, &b).await;
    assert_eq!(p["latest_status"], "on_track", "{p}");
    assert_eq!(p["latest_percent"], 50, "{p}");
    assert_eq!(timeline(&app, &sec, &b).await.len(), 1);

    // The body reported after proposing: its own update stays its latest; the accepted
    // entry (what viewers read) is amended all the same.
    let amend = propose(&app, &dgicm, &path, &b,
        json!({"status": "completed", "percent_complete": 100, "narrative": "Finished in the period"})).await;
    app.request(Method::POST, &format!("/api/v1/activities/{b}/progress"))
        .bearer(&dgicm.token)
        .json(&json!({"status": "delayed", "percent_complete": 70, "narrative": "Second phase slipped"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    decide(&app, &sec, &amend, "accept").await;
    let p = part(&app, &sec, &b).await;
    assert_eq!(p["latest_status"], "delayed", "{p}");
    assert_eq!(p["latest_percent"], 70, "{p}");
    assert_eq!(p["accepted"]["status"], "completed", "{p}");
    let items = timeline(&app, &sec, &b).await;
    assert_eq!(items.len(), 2, "no update from the amendment: {items:?}");
    assert!(items[0]["from_cycle_id"].is_null(), "{items:?}");
    assert_eq!(
        part(&app, &viewer, &b).await["accepted"]["percent_complete"],
        100
    );

    // The body reported after submitting and only then corrected the old report: the
    // correction is of the period, the update it typed is newer, and stays its latest.
    app.request(Method::POST, &format!("/api/v1/activities/{a}/progress"))
        .bearer(&dgicm.token)
        .json(&json!({"status": "on_track", "percent_complete": 80, "narrative": "Third workshop held"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let amend = propose(&app, &dgicm, &path, &a,
        json!({"status": "delayed", "percent_complete": 35, "narrative": "Typo fixed in the old report"})).await;
    decide(&app, &sec, &amend, "accept").await;
    let p = part(&app, &sec, &a).await;
    assert_eq!(p["latest_status"], "on_track", "{p}");
    assert_eq!(p["latest_percent"], 80, "{p}");
    assert_eq!(p["accepted"]["percent_complete"], 35, "{p}");
}

/// The rule both share counts the body's own updates only: an earlier period's report
/// accepted first does not keep a later period's report, submitted before that accept,
/// from becoming the latest progress.
#[tokio::test]
async fn a_later_periods_report_accepted_after_an_earlier_one_becomes_the_latest() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "A.m.3").await;
    let mut paths = Vec::new();
    for (name, start, end, meeting) in [
        ("Earlier", "2097-07-01", "2098-06-30", "2098-07-20"),
        ("Later", "2098-07-01", "2099-06-30", "2099-07-20"),
    ] {
        let created = app
            .request(Method::POST, "/api/v1/cycles")
            .bearer(&sec.token)
            .json(&json!({"work_plan_id": plan_id(), "kind": "ad_hoc", "name": name, "meeting_date": meeting,
                          "period_start": start, "period_end": end, "opens_on": "2026-01-01"}))
            .send()
            .await;
        created.assert_status(StatusCode::CREATED);
        let id = created.json()["id"].as_str().expect("id").to_owned();
        app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
            .bearer(&sec.token)
            .send()
            .await
            .assert_status(StatusCode::OK);
        paths.push(format!("/api/v1/cycles/{id}/submissions/DGICM"));
    }
    for (path, status, pct) in [(&paths[0], "delayed", 30), (&paths[1], "on_track", 80)] {
        let etag = app
            .get_as(&dgicm.token, path)
            .await
            .header("etag")
            .expect("etag")
            .to_owned();
        app.request(Method::PUT, path)
            .bearer(&dgicm.token)
            .header("if-match", &etag)
            .json(&json!({"entries": [{"activity_id": a, "status": status, "percent_complete": pct, "narrative": "As of the period"}]}))
            .send()
            .await
            .assert_status(StatusCode::OK);
        step(&app, &dgicm, path, "submit").await;
    }
    // Both submitted; the earlier period's report is accepted first.
    step(&app, &sec, &paths[0], "accept").await;
    assert_eq!(part(&app, &sec, &a).await["latest_status"], "delayed");
    step(&app, &sec, &paths[1], "accept").await;
    let p = part(&app, &sec, &a).await;
    assert_eq!(p["latest_status"], "on_track", "{p}");
    assert_eq!(p["latest_percent"], 80, "{p}");
    assert_eq!(p["accepted"]["status"], "on_track", "{p}");
}

//! The viewer rule (api.md's role table): a viewer sees plan structure and what the
//! secretariat accepted, nothing else. A world is built where every kind of unaccepted
//! content carries a marker (a progress narrative, a draft, a return reason, a proposed
//! amendment, an indicator actual, a milestone note, a later progress update), then a
//! viewer walks every read route of the OpenAPI document and the pages: no marker may
//! appear, and what was accepted must.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";
/// In everything a viewer must not read.
const SECRET: &str = "UNACCEPTED";

pub(super) struct World {
    pub(super) plan: String,
    pub(super) activity: String,
    pub(super) milestone: String,
    pub(super) indicator: String,
    pub(super) cycle: String,
    pub(super) viewer: Caller,
}

async fn ok(app: &TestApp, method: Method, path: &str, who: &Caller, body: Value) -> Value {
    let mut r = app.request(method, path).bearer(&who.token);
    if !body.is_null() {
        r = r.json(&body);
    }
    let res = r.send().await;
    assert!(
        res.status.is_success(),
        "{path}: {} {}",
        res.status,
        res.text()
    );
    if res.text().is_empty() {
        Value::Null
    } else {
        res.json()
    }
}

async fn versioned(app: &TestApp, path: &str, who: &Caller, body: Value, read: &str) -> Value {
    let etag = app
        .get_as(&who.token, read)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let res = app
        .request(Method::POST, path)
        .bearer(&who.token)
        .header("if-match", &etag)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    res.json()
}

/// The world described above: DGICM's report of `cycle` accepted, with one amendment
/// proposed; AICHR's a draft.
pub(super) async fn world(app: &TestApp) -> World {
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let aichr = app.caller(Role::Officer, Some("AICHR")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN).to_string();
    let a = ok(app, Method::POST, &format!("/api/v1/work-plans/{plan}/activities"), &admin,
        json!({"area": "A", "code": "V.a.1", "title": "Viewer rule activity", "lead_body": "DGICM", "cooperating_bodies": ["AICHR"]})).await;
    let activity = a["id"].as_str().expect("id").to_owned();
    let m = ok(
        app,
        Method::POST,
        &format!("/api/v1/activities/{activity}/milestones"),
        &admin,
        json!({"title": "Workshop held", "due_on": "2027-01-31"}),
    )
    .await;
    let milestone = m["id"].as_str().expect("id").to_owned();
    let i = ok(
        app,
        Method::POST,
        &format!("/api/v1/activities/{activity}/indicators"),
        &admin,
        json!({"name": "Officials trained", "measure": "number", "baseline": "0", "target": "100"}),
    )
    .await;
    let indicator = i["id"].as_str().expect("id").to_owned();
    // Officers' own records, none of them in an accepted report.
    ok(app, Method::POST, &format!("/api/v1/activities/{activity}/progress"), &dgicm,
        json!({"status": "at_risk", "percent_complete": 13, "narrative": format!("{SECRET} progress narrative"), "challenges": format!("{SECRET} challenge")})).await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/indicators/{indicator}/actuals"),
        &dgicm,
        json!({"period_start": "2025-07-01", "period_end": "2026-06-30", "value": "987654"}),
    )
    .await;
    let etag = app
        .get_as(&dgicm.token, &format!("/api/v1/milestones/{milestone}"))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PATCH, &format!("/api/v1/milestones/{milestone}"))
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"completed_on": "2026-01-15", "note": format!("{SECRET} milestone note")}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    // A cycle: DGICM's report is returned with a reason, resubmitted and accepted;
    // AICHR's stays a draft.
    let c = ok(app, Method::POST, "/api/v1/cycles", &admin,
        json!({"work_plan_id": plan, "kind": "somtc", "name": "Viewer cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"})).await;
    let cycle = c["id"].as_str().expect("id").to_owned();
    ok(
        app,
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/open"),
        &sec,
        Value::Null,
    )
    .await;
    let dg = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = app
        .get_as(&dgicm.token, &dg)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PUT, &dg)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": activity, "status": "on_track", "percent_complete": 55, "narrative": "ACCEPTED narrative of DGICM"}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    versioned(app, &format!("{dg}/submit"), &dgicm, json!({}), &dg).await;
    versioned(
        app,
        &format!("{dg}/return"),
        &sec,
        json!({"reason": format!("{SECRET} return reason")}),
        &dg,
    )
    .await;
    versioned(app, &format!("{dg}/submit"), &dgicm, json!({}), &dg).await;
    versioned(app, &format!("{dg}/accept"), &sec, json!({}), &dg).await;
    ok(app, Method::POST, &format!("{dg}/amendments"), &dgicm,
        json!({"entry": {"activity_id": activity, "status": "completed", "narrative": format!("{SECRET} amendment")}, "reason": format!("{SECRET} amendment reason")})).await;
    let ai = format!("/api/v1/cycles/{cycle}/submissions/AICHR");
    let etag = app
        .get_as(&aichr.token, &ai)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PUT, &ai)
        .bearer(&aichr.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": activity, "status": "delayed", "percent_complete": 7, "narrative": format!("{SECRET} draft")}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    // A progress update newer than the accepted report.
    ok(app, Method::POST, &format!("/api/v1/activities/{activity}/progress"), &dgicm,
        json!({"status": "delayed", "percent_complete": 21, "narrative": format!("{SECRET} later update")})).await;
    World {
        plan,
        activity,
        milestone,
        indicator,
        cycle,
        viewer,
    }
}

/// Every GET operation of the document with its parameters filled from `w`.
fn read_paths(w: &World) -> Vec<String> {
    let doc: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    let mut paths = Vec::new();
    for (template, ops) in doc["paths"].as_object().expect("paths") {
        if ops.get("get").is_none() {
            continue;
        }
        let id = if template.starts_with("/api/v1/work-plans/") {
            &w.plan
        } else if template.starts_with("/api/v1/activities/") {
            &w.activity
        } else if template.starts_with("/api/v1/milestones/") {
            &w.milestone
        } else if template.starts_with("/api/v1/indicators/") {
            &w.indicator
        } else if template.starts_with("/api/v1/cycles/") {
            &w.cycle
        } else {
            &w.viewer.id.to_string()
        };
        for body in ["DGICM", "AICHR"] {
            let p = template
                .replace("{id}", id)
                .replace("{code}", body)
                .replace("{body_code}", body);
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
    }
    paths.push(format!("/api/v1/cycles/{}/report?format=csv", w.cycle));
    paths.push(format!(
        "/api/v1/activities?work_plan={}&status=delayed",
        w.plan
    ));
    paths.push(format!(
        "/api/v1/activities?work_plan={}&status=at_risk",
        w.plan
    ));
    paths
}

#[tokio::test]
async fn a_viewer_reads_what_the_secretariat_accepted_and_nothing_else() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut seen_accepted = false;
    for path in read_paths(&w) {
        let res = app.get_as(&w.viewer.token, &path).await;
        assert!(
            res.status.is_success() || res.status.is_client_error(),
            "{path}: {}",
            res.status
        );
        let text = res.text();
        assert!(
            !text.contains(SECRET) && !text.contains("987654"),
            "{path} shows a viewer what no accepted report carries: {text}"
        );
        seen_accepted |= text.contains("ACCEPTED narrative of DGICM");
    }
    assert!(seen_accepted, "the accepted report is readable");

    // Statuses come from the accepted report, with the cycle named; the later update and
    // the draft are not counted anywhere.
    let a = app
        .get_as(
            &w.viewer.token,
            &format!("/api/v1/activities/{}", w.activity),
        )
        .await
        .json();
    let dgicm = a["bodies"]
        .as_array()
        .expect("bodies")
        .iter()
        .find(|b| b["body"] == "DGICM")
        .expect("DGICM")
        .clone();
    assert_eq!(dgicm["latest_status"], Value::Null);
    assert_eq!(dgicm["accepted"]["status"], "on_track");
    assert_eq!(dgicm["accepted"]["percent_complete"], 55);
    assert_eq!(dgicm["accepted"]["cycle_name"], "Viewer cycle");
    assert_eq!(a["last_progress_at"], Value::Null);
    let listed = app
        .get_as(
            &w.viewer.token,
            &format!("/api/v1/activities?work_plan={}&status=delayed", w.plan),
        )
        .await
        .json();
    assert_eq!(
        listed["items"],
        json!([]),
        "no accepted report says delayed"
    );
    let listed = app
        .get_as(
            &w.viewer.token,
            &format!("/api/v1/activities?work_plan={}&status=on_track", w.plan),
        )
        .await
        .json();
    assert_eq!(listed["items"][0]["code"], "V.a.1");
    let summary = app
        .get_as(
            &w.viewer.token,
            &format!("/api/v1/work-plans/{}/summary", w.plan),
        )
        .await
        .json();
    let counted: Vec<(String, String)> = summary["by_status"]
        .as_array()
        .expect("by_status")
        .iter()
        .map(|r| {
            (
                r["body"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .filter(|(b, _)| b == "DGICM" || b == "AICHR")
        .collect();
    assert!(
        counted.contains(&("DGICM".into(), "on_track".into())),
        "{counted:?}"
    );
    assert!(
        !counted
            .iter()
            .any(|(_, s)| s == "delayed" || s == "at_risk"),
        "the viewer's counts are accepted data only: {counted:?}"
    );

    // The secretariat still reads everything recorded.
    let sec = app.caller(Role::Secretariat, None).await;
    let a = app
        .get_as(&sec.token, &format!("/api/v1/activities/{}", w.activity))
        .await
        .json();
    assert!(
        a["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .any(|b| b["latest_status"] == "delayed")
    );

    // The pages a viewer can open say no more than the API.
    let (_, cookie) = app.web_caller(Role::Viewer, None).await;
    for page in [
        format!("/ui/activities/{}", w.activity),
        "/ui/activities".to_owned(),
        "/ui/dashboard".to_owned(),
        format!("/ui/cycles/{}/submissions", w.cycle),
        format!("/ui/cycles/{}/submissions/DGICM", w.cycle),
        format!("/ui/cycles/{}/report", w.cycle),
    ] {
        let res = app.web_get(Some(&cookie), &page).await;
        let text = res.text();
        assert!(
            !text.contains(SECRET) && !text.contains("987654"),
            "{page} ({}) shows a viewer unaccepted content: {}",
            res.status,
            text.lines()
                .filter(|l| l.contains(SECRET))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test]
async fn review_content_stays_with_the_review() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let other = app.caller(Role::Officer, Some("SOMTC")).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let board = format!("/api/v1/cycles/{}/submissions", w.cycle);
    let report = format!("/api/v1/cycles/{}/report", w.cycle);
    let amendments = format!("/api/v1/cycles/{}/submissions/DGICM/amendments", w.cycle);
    let dg = format!("/api/v1/cycles/{}/submissions/DGICM", w.cycle);
    for who in [&w.viewer, &other] {
        for path in [&board, &report, &amendments, &dg] {
            let text = app.get_as(&who.token, path).await.text();
            assert!(!text.contains(SECRET), "{path} for a {}: {text}", who.role);
        }
        let board = app.get_as(&who.token, &board).await.json();
        let row = board["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["body"] == "DGICM")
            .expect("row")
            .clone();
        assert_eq!(row["status"], "accepted");
        assert_eq!(row["reviewer_id"], Value::Null);
    }
    // Those the review is for still read it: the body's own officers and the secretariat.
    for who in [&dgicm, &sec] {
        let text = app.get_as(&who.token, &dg).await.text();
        assert!(text.contains("return reason"), "{}: {text}", who.role);
        let list = app.get_as(&who.token, &amendments).await.json();
        assert_eq!(list["items"][0]["status"], "proposed", "{}", who.role);
    }
    // A resubmitted report keeps the past reason in its events, not as a current one.
    let current = app.get_as(&sec.token, &dg).await.json();
    assert_eq!(current["return_reason"], Value::Null);
    assert!(
        current["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("return reason")))
    );
}

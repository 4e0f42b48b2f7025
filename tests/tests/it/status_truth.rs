//! One truth per status (issue 24, item 7): an accepted report entry becomes its body's
//! latest progress on the activity, recorded as a progress update naming the cycle,
//! unless the body reported something newer; the activity, the lists and the dashboard
//! then all read the same status. The date-based signal is a schedule warning, never a
//! second status badge.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn activity(app: &TestApp, sec: &Caller, code: &str, lead: &str) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(
            &json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"),
                      "lead_body": lead, "planned_end": "2020-01-31"}),
        )
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn progress(app: &TestApp, officer: &Caller, id: &str, body: Value) {
    app.request(Method::POST, &format!("/api/v1/activities/{id}/progress"))
        .bearer(&officer.token)
        .json(&body)
        .send()
        .await
        .assert_status(StatusCode::CREATED);
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

fn part<'a>(activity: &'a Value, body: &str) -> &'a Value {
    activity["bodies"]
        .as_array()
        .expect("bodies")
        .iter()
        .find(|b| b["body"] == body)
        .unwrap_or_else(|| panic!("{body} in {activity}"))
}

#[tokio::test]
async fn an_accepted_entry_becomes_the_bodys_latest_status_unless_it_reported_since() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "A.a.1", "DGICM").await;
    let b = activity(&app, &sec, "A.a.2", "DGICM").await;
    for id in [&a, &b] {
        progress(
            &app,
            &dgicm,
            id,
            json!({"status": "on_track", "percent_complete": 70, "narrative": "Going well"}),
        )
        .await;
    }
    let cycle = open_cycle(&app, &sec).await;
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = app
        .get_as(&dgicm.token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [
            {"activity_id": a, "status": "delayed", "percent_complete": 40, "narrative": "Venue lost; rebooked for March"},
            {"activity_id": b, "status": "at_risk", "percent_complete": 50, "narrative": "Funding pending"}
        ]}))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    let etag = saved.header("etag").expect("etag").to_owned();
    let submitted = app
        .request(Method::POST, &format!("{path}/submit"))
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .send()
        .await;
    submitted.assert_status(StatusCode::OK);
    // After submitting, DGICM reports B again: newer than the report, so it stays.
    progress(
        &app,
        &dgicm,
        &b,
        json!({"status": "completed", "percent_complete": 100, "narrative": "Done after all"}),
    )
    .await;
    let etag = app
        .get_as(&sec.token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let (accepted, statements) = app
        .count_statements(
            app.request(Method::POST, &format!("{path}/accept"))
                .bearer(&sec.token)
                .header("if-match", &etag)
                .send(),
        )
        .await;
    accepted.assert_status(StatusCode::OK);

    // A: the accepted "Delayed, 40%" is DGICM's latest status everywhere.
    let got = app
        .get_as(&sec.token, &format!("/api/v1/activities/{a}"))
        .await
        .json();
    assert_eq!(part(&got, "DGICM")["latest_status"], "delayed", "{got}");
    assert_eq!(part(&got, "DGICM")["latest_percent"], 40);
    let timeline = app
        .get_as(&sec.token, &format!("/api/v1/activities/{a}/progress"))
        .await
        .json();
    let newest = &timeline["items"][0];
    assert_eq!(newest["status"], "delayed");
    assert_eq!(newest["narrative"], "Venue lost; rebooked for March");
    assert_eq!(
        newest["from_cycle_id"],
        cycle.as_str(),
        "the update names the cycle"
    );
    assert_eq!(
        newest["author_id"],
        dgicm.id.to_string(),
        "the entry's author"
    );
    assert!(
        timeline["items"][1]["from_cycle_id"].is_null(),
        "typed updates name none"
    );
    let as_officer = app
        .get_as(&dgicm.token, "/api/v1/activities?body=DGICM&status=delayed")
        .await
        .json();
    let listed: Vec<&str> = as_officer["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(listed, ["A.a.1"], "the list filters on the same status");

    // B: DGICM's own newer update stays its latest; no update from the cycle.
    let got = app
        .get_as(&sec.token, &format!("/api/v1/activities/{b}"))
        .await
        .json();
    assert_eq!(part(&got, "DGICM")["latest_status"], "completed");
    assert_eq!(part(&got, "DGICM")["latest_percent"], 100);
    let timeline = app
        .get_as(&sec.token, &format!("/api/v1/activities/{b}/progress"))
        .await
        .json();
    assert!(
        timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["from_cycle_id"].is_null()),
        "{timeline}"
    );

    // The plan summary counts the same statuses.
    let summary = app
        .get_as(
            &sec.token,
            &format!("/api/v1/work-plans/{}/summary", plan_id()),
        )
        .await
        .json();
    let count = |status: &str| -> i64 {
        summary["by_status"]
            .as_array()
            .expect("by_status")
            .iter()
            .filter(|c| c["body"] == "DGICM" && c["status"] == status && c["area"] == "A")
            .map(|c| c["count"].as_i64().expect("count"))
            .sum()
    };
    assert_eq!(count("delayed"), 1, "{summary}");
    assert_eq!(count("completed"), 1);

    // Audited, by the reviewer, in the accept's transaction; a constant number of
    // statements whatever the number of entries.
    let audit = app
        .get_as(
            &sec.token,
            &format!("/api/v1/audit?resource_type=activity&resource_id={a}&action=progress.create"),
        )
        .await
        .json();
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(
        entries.len(),
        2,
        "the officer's update and the accepted one: {audit}"
    );
    assert_eq!(entries[0]["actor_id"], sec.id.to_string());
    assert!(statements < 60, "{statements} statements for an accept");
}

#[tokio::test]
async fn an_accepted_report_of_an_earlier_period_does_not_replace_a_later_one() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "A.a.1", "DGICM").await;
    // Two cycles open at once; the later period's report is accepted first.
    let mut cycles = Vec::new();
    for (name, start, end, meeting) in [
        ("Later", "2098-07-01", "2099-06-30", "2099-07-20"),
        ("Earlier", "2097-07-01", "2098-06-30", "2098-07-20"),
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
        cycles.push(id);
    }
    for (cycle, status, pct) in [(&cycles[0], "on_track", 80), (&cycles[1], "delayed", 30)] {
        let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
        let etag = app
            .get_as(&dgicm.token, &path)
            .await
            .header("etag")
            .expect("etag")
            .to_owned();
        let saved = app
            .request(Method::PUT, &path)
            .bearer(&dgicm.token)
            .header("if-match", &etag)
            .json(&json!({"entries": [{"activity_id": a, "status": status, "percent_complete": pct, "narrative": "As of the period"}]}))
            .send()
            .await;
        saved.assert_status(StatusCode::OK);
        let etag = saved.header("etag").expect("etag").to_owned();
        app.request(Method::POST, &format!("{path}/submit"))
            .bearer(&dgicm.token)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    for cycle in &cycles {
        let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
        let etag = app
            .get_as(&sec.token, &path)
            .await
            .header("etag")
            .expect("etag")
            .to_owned();
        app.request(Method::POST, &format!("{path}/accept"))
            .bearer(&sec.token)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    let got = app
        .get_as(&sec.token, &format!("/api/v1/activities/{a}"))
        .await
        .json();
    assert_eq!(part(&got, "DGICM")["latest_status"], "on_track", "{got}");
    assert_eq!(part(&got, "DGICM")["latest_percent"], 80);
}

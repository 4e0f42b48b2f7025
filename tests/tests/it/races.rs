//! Two people doing the same one-way thing at the same moment: exactly one wins, the
//! other gets 409 `invalid_transition` and nothing of theirs is written.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::TestApp;

#[tokio::test]
async fn an_amendment_accepted_and_rejected_at_once_is_decided_once() {
    let app = TestApp::spawn().await;
    let w = super::viewer::world(&app).await;
    let a = app.caller(Role::Secretariat, None).await;
    let b = app.caller(Role::Admin, None).await;
    let list = app
        .get_as(
            &a.token,
            &format!("/api/v1/cycles/{}/submissions/DGICM/amendments", w.cycle),
        )
        .await
        .json();
    let id = list["items"][0]["id"].as_str().expect("id").to_owned();
    let accept = format!("/api/v1/amendments/{id}/accept");
    let reject = format!("/api/v1/amendments/{id}/reject");
    let (x, y) = tokio::join!(
        app.request(Method::POST, &accept)
            .bearer(&a.token)
            .json(&json!({}))
            .send(),
        app.request(Method::POST, &reject)
            .bearer(&b.token)
            .json(&json!({"note": "No"}))
            .send(),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        x.text(),
        y.text()
    );
    let loser = if x.status == StatusCode::CONFLICT {
        &x
    } else {
        &y
    };
    assert_eq!(loser.json()["code"], "invalid_transition");
    let audit = app
        .get_as(&a.token, "/api/v1/audit?resource_type=submission&limit=200")
        .await
        .json();
    let decisions = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "amendment.accept" || e["action"] == "amendment.reject")
        .count();
    assert_eq!(decisions, 1, "one decision recorded");
}

#[tokio::test]
async fn a_cycle_opened_or_closed_twice_at_once_changes_state_once() {
    let app = TestApp::spawn().await;
    let a = app.caller(Role::Secretariat, None).await;
    let b = app.caller(Role::Admin, None).await;
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string();
    let cycle = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&a.token)
        .json(&json!({"work_plan_id": plan, "kind": "ad_hoc", "name": "Race cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await
        .json();
    let id = cycle["id"].as_str().expect("id").to_owned();
    for step in ["open", "close"] {
        let path = format!("/api/v1/cycles/{id}/{step}");
        let (x, y) = tokio::join!(
            app.request(Method::POST, &path).bearer(&a.token).send(),
            app.request(Method::POST, &path).bearer(&b.token).send(),
        );
        let mut statuses = [x.status, y.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{step}: {} / {}",
            x.text(),
            y.text()
        );
        let loser = if x.status == StatusCode::CONFLICT {
            &x
        } else {
            &y
        };
        assert_eq!(loser.json()["code"], "invalid_transition", "{step}");
    }
    let board = app
        .get_as(&a.token, &format!("/api/v1/cycles/{id}/submissions"))
        .await
        .json();
    let bodies: Vec<&str> = board["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["body"].as_str())
        .collect();
    let mut unique = bodies.clone();
    unique.dedup();
    assert_eq!(bodies.len(), unique.len(), "one submission per body");
    let edition = app
        .get_as(&a.token, &format!("/api/v1/cycles/{id}/edition"))
        .await;
    edition.assert_status(StatusCode::OK);
}

//! The activity list's page cache (crates/db/src/activities/list_cache.rs): a page asked
//! again while nothing was written is answered after one statement (the audit position),
//! and any write, on this instance or (PostgreSQL) on a second one of the same database,
//! is read by the very next request: the position is read from the database on every
//! request, so no notification has to arrive first. Each lens keeps its own pages: a
//! viewer never gets the page the secretariat was given.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";
const PAGE: &str = "/api/v1/activities?body=DGICM&q=cached&limit=50";

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL")
        .is_ok_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// The page as `who` reads it, and how many statements that took (the fewest of three
/// reads: a read of the maintenance state every 2 s may fall into one of them).
async fn page(app: &TestApp, who: &Caller, path: &str) -> (Value, usize) {
    let mut fewest = usize::MAX;
    let mut last = Value::Null;
    for _ in 0..3 {
        let (res, n) = app
            .count_warm_statements(app.get_as(&who.token, path))
            .await;
        res.assert_status(StatusCode::OK);
        let body = res.json();
        if !last.is_null() {
            assert_eq!(body, last, "the same page twice in a row");
        }
        last = body;
        fewest = fewest.min(n);
    }
    (last, fewest)
}

/// DGICM's latest status on the activity `code` of a list page.
fn status_of<'a>(page: &'a Value, code: &str) -> &'a Value {
    let item = page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["code"] == code))
        .unwrap_or_else(|| panic!("{code} in {page}"));
    item["bodies"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["body"] == "DGICM"))
        .map(|b| &b["latest_status"])
        .unwrap_or_else(|| panic!("DGICM in {item}"))
}

#[tokio::test]
async fn a_repeated_page_is_one_statement_and_a_write_on_any_instance_is_read_at_once() {
    let app = TestApp::spawn().await;
    let second = if on_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    let writer = second.as_ref().unwrap_or(&app);
    let admin = app.caller(Role::Admin, None).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{plan}/activities"),
        )
        .bearer(&admin.token)
        .json(
            &json!({"area": "A", "code": "L.1", "title": "Cached list activity",
            "lead_body": "DGICM"}),
        )
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let id = res.json()["id"].as_str().expect("id").to_owned();

    // The caller caches are in use once the listener is up (PostgreSQL): then a warm
    // page costs the position and nothing else.
    app.state
        .db
        .cache_sync()
        .await
        .expect("the cache listener is up");
    let (before, n) = page(&app, &admin, PAGE).await;
    assert_eq!(n, 1, "a repeated page reads only the audit position");
    assert_eq!(status_of(&before, "L.1"), &Value::Null);
    let (seen_by_viewer, _) = page(&app, &viewer, PAGE).await;
    assert_eq!(status_of(&seen_by_viewer, "L.1"), &Value::Null);

    // Progress through the other instance (PostgreSQL) or this one (SQLite).
    let res = writer
        .request(Method::POST, &format!("/api/v1/activities/{id}/progress"))
        .bearer(&officer.token)
        .json(&json!({"status": "delayed", "percent_complete": 40,
            "narrative": "Waiting for the venue"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);

    let (after, n) = page(&app, &admin, PAGE).await;
    assert_eq!(status_of(&after, "L.1"), "delayed", "read at once: {after}");
    assert_eq!(n, 1, "and kept again");
    // The viewer's lens shows only what the secretariat accepted: not this update, and
    // not the secretariat's page either.
    let (viewer_after, _) = page(&app, &viewer, PAGE).await;
    assert_eq!(
        status_of(&viewer_after, "L.1"),
        &Value::Null,
        "{viewer_after}"
    );
    // A filter on the new status finds it at once too.
    let (delayed, _) = page(&app, &admin, &format!("{PAGE}&status=delayed")).await;
    assert_eq!(status_of(&delayed, "L.1"), "delayed");
    let (on_track, _) = page(&app, &admin, &format!("{PAGE}&status=on_track")).await;
    assert!(
        on_track["items"].as_array().expect("items").is_empty(),
        "{on_track}"
    );
}

//! `wpt seed`: the demo a newcomer starts from, and synthetic data for benchmarks.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_tests::TestApp;

#[tokio::test]
async fn the_demo_gives_every_body_an_officer_who_can_log_in_and_report() {
    let app = TestApp::spawn().await;
    let demo = wpt_db::seed::demo(app.database(), &app.state.auth.hasher)
        .await
        .expect("demo");
    assert_eq!(demo.activities, 12);
    let bodies = app
        .get(&format!(
            "/api/v1/work-plans/{}/bodies?limit=200",
            wpt_domain::reference_id("work_plan", wpt_db::seed::PLAN_CODE)
        ))
        .await
        .json();
    let officers: Vec<_> = demo.logins.iter().filter_map(|l| l.body.clone()).collect();
    assert_eq!(
        officers.len(),
        bodies["items"].as_array().expect("items").len(),
        "one officer per participating body"
    );

    let list = app.get("/api/v1/activities?limit=200").await.json();
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 12);
    assert!(items.iter().all(|a| {
        a["description"]
            .as_str()
            .is_some_and(|d| d.contains("Illustrative"))
    }));
    let history = app
        .get(&format!(
            "/api/v1/activities/{}/progress",
            items[0]["id"].as_str().expect("id")
        ))
        .await
        .json();
    assert!(
        history["items"].as_array().expect("items").len() >= 6,
        "months of progress history"
    );

    // An officer logs in with the printed password and reports on an activity of their body.
    let officer = demo
        .logins
        .iter()
        .find(|l| l.body.as_deref() == Some("DGICM"))
        .expect("DGICM officer");
    let login = app.login(&officer.email, &demo.password).await;
    login.assert_status(StatusCode::OK);
    let token = login.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mine = app
        .get_as(&token, "/api/v1/activities?body=DGICM")
        .await
        .json();
    let id = mine["items"][0]["id"]
        .as_str()
        .expect("an activity of DGICM");
    app.request(Method::POST, &format!("/api/v1/activities/{id}/progress"))
        .bearer(&token)
        .json(&json!({"status": "on_track", "narrative": "Reported from the demo"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);

    let again = wpt_db::seed::demo(app.database(), &app.state.auth.hasher).await;
    assert!(
        matches!(again, Err(wpt_db::DbError::Conflict(_))),
        "the demo loads once"
    );
    assert!(
        wpt_db::audit::verify(app.database())
            .await
            .expect("verify")
            .ok
    );
}

#[tokio::test]
async fn synthetic_data_is_consistent_with_its_progress() {
    let app = TestApp::spawn().await;
    let made = wpt_db::seed::synthetic(app.database(), &app.state.auth.hasher, 120)
        .await
        .expect("synthetic");
    assert_eq!(made, 120);
    let mut total = 0;
    let mut url = "/api/v1/activities?limit=200".to_owned();
    loop {
        let page = app.get(&url).await.json();
        for a in page["items"].as_array().expect("items") {
            total += 1;
            assert!(a["last_progress_at"].is_string());
            assert!(
                a["bodies"]
                    .as_array()
                    .expect("bodies")
                    .iter()
                    .all(|b| b["latest_status"].is_string())
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/activities?limit=200&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(total, 120);
    let summary = app
        .get(&format!(
            "/api/v1/work-plans/{}/summary",
            wpt_domain::reference_id("work_plan", wpt_db::seed::PLAN_CODE)
        ))
        .await
        .json();
    assert_eq!(summary["activities"], 120);
    let counted: i64 = summary["by_status"]
        .as_array()
        .expect("by_status")
        .iter()
        .map(|c| c["count"].as_i64().expect("n"))
        .sum();
    assert!(
        counted >= 120,
        "every assignment is counted once: {counted}"
    );
}

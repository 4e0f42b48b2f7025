//! Cycle set-up (issue 24, item 14): a planned cycle is edited or deleted by the
//! secretariat only, with If-Match, audited, through the API and the pages (deleting
//! asks first); the set-up form lists its dates in time order; "Open for submissions".

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn planned(app: &TestApp, sec: &Caller, name: &str) -> String {
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": name, "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    created.json()["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_planned_cycle_is_deleted_by_the_secretariat_only_with_if_match_and_audited() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let id = planned(&app, &sec, "Planned by mistake").await;
    let path = format!("/api/v1/cycles/{id}");
    for who in [&officer, &viewer] {
        app.request(Method::DELETE, &path)
            .bearer(&who.token)
            .header("if-match", "\"1\"")
            .send()
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    app.request(Method::DELETE, &path)
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::PRECONDITION_REQUIRED);
    app.request(Method::DELETE, &path)
        .bearer(&sec.token)
        .header("if-match", "\"7\"")
        .send()
        .await
        .assert_status(StatusCode::PRECONDITION_FAILED);
    app.get_as(&sec.token, &path)
        .await
        .assert_status(StatusCode::OK);
    app.request(Method::DELETE, &path)
        .bearer(&sec.token)
        .header("if-match", "\"1\"")
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(&sec.token, &path)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let audit = app
        .get_as(
            &sec.token,
            &format!("/api/v1/audit?resource_type=cycle&resource_id={id}&action=cycle.delete"),
        )
        .await
        .json();
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["before"]["name"], "Planned by mistake");
    assert_eq!(entries[0]["actor_id"], sec.id.to_string());

    // An open cycle is not deleted: 409, and it stays.
    let open = planned(&app, &sec, "Opened").await;
    let opened = app
        .request(Method::POST, &format!("/api/v1/cycles/{open}/open"))
        .bearer(&sec.token)
        .send()
        .await;
    opened.assert_status(StatusCode::OK);
    let etag = opened
        .header("etag")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("\"{}\"", opened.json()["version"]));
    app.request(Method::DELETE, &format!("/api/v1/cycles/{open}"))
        .bearer(&sec.token)
        .header("if-match", &etag)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.get_as(&sec.token, &format!("/api/v1/cycles/{open}"))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_set_up_pages_edit_and_delete_a_planned_cycle_asking_before_deleting() {
    let app = TestApp::spawn().await;
    let (sec, cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, officer_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let id = planned(&app, &sec, "27th SOMTC").await;
    let html = app.web_get(Some(&cookie), "/ui/cycles").await.text();
    assert!(html.contains("Open 27th SOMTC for submissions…"), "{html}");
    assert!(
        html.contains(&format!("href=\"/ui/cycles/{id}/edit\"")),
        "{html}"
    );
    assert!(html.contains("Delete 27th SOMTC…"), "{html}");
    // The set-up form's dates in time order.
    let at = |name: &str| {
        html.find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(at("period_start") < at("period_end"));
    assert!(at("period_end") < at("opens_on"));
    assert!(at("opens_on") < at("due_on"));
    assert!(at("due_on") < at("meeting_date"));
    assert!(html.contains("Open for submissions on"), "{html}");

    // Edit: the form is prefilled; saving renames it, with a message.
    let form = app
        .web_get(Some(&cookie), &format!("/ui/cycles/{id}/edit"))
        .await
        .text();
    assert!(form.contains("value=\"27th SOMTC\""), "{form}");
    assert!(form.contains("name=\"version\" value=\"1\""), "{form}");
    app.web_get(Some(&officer_cookie), &format!("/ui/cycles/{id}/edit"))
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let fields = [
        ("work_plan_id", plan_id()),
        ("version", "1".into()),
        ("kind", "somtc".into()),
        ("name", "27th SOMTC (Manila)".into()),
        ("period_start", "2098-07-01".into()),
        ("period_end", "2099-06-30".into()),
        ("opens_on", "2026-01-01".into()),
        ("due_on", "".into()),
        ("meeting_date", "2099-06-25".into()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{id}/edit"),
            &pairs,
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let c = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{id}"))
        .await
        .json();
    assert_eq!(c["name"], "27th SOMTC (Manila)");
    assert_eq!(c["meeting_date"], "2099-06-25");
    assert_eq!(c["version"], 2);
    // The same form again: stale, refused.
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{id}/edit"),
            &pairs,
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
    // A period that ends before it starts: the form again, with the problem.
    let mut bad = pairs.clone();
    bad[1] = ("version", "2");
    bad[5] = ("period_end", "2090-01-01");
    let res = app
        .web_post(Some(&cookie), &format!("/ui/cycles/{id}/edit"), &bad, false)
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .contains("name=\"period_end\" value=\"2090-01-01\""),
        "the typed values stay"
    );

    // Delete: asks first; officers are refused; then it is gone.
    let ask = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{id}/delete"),
            &[("version", "2")],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    assert!(
        ask.text().contains("Yes, delete 27th SOMTC (Manila)"),
        "{}",
        ask.text()
    );
    app.get_as(&sec.token, &format!("/api/v1/cycles/{id}"))
        .await
        .assert_status(StatusCode::OK);
    app.web_post(
        Some(&officer_cookie),
        &format!("/ui/cycles/{id}/delete"),
        &[("version", "2"), ("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{id}/delete"),
            &[("version", "2"), ("confirm", "yes")],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/ui/cycles"));
    app.get_as(&sec.token, &format!("/api/v1/cycles/{id}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

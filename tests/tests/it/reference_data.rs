//! Bodies, work plans, participants and areas as the reference file defines them.

use axum::http::StatusCode;
use serde_json::Value;
use wpt_domain::reference::ReferenceData;
use wpt_tests::{REFERENCE, TestApp};

fn reference() -> ReferenceData {
    ReferenceData::from_toml_str(REFERENCE).expect("the repository's reference file is valid")
}

async fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = format!("{path}?limit=3");
    loop {
        let res = app.get(&url).await;
        res.assert_status(StatusCode::OK);
        let page = res.json();
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{path}?limit=3&cursor={c}"),
            None => break,
        }
    }
    items
}

#[tokio::test]
async fn bodies_list_every_reference_body_with_pillar_and_confirmed_flag() {
    let app = TestApp::spawn().await;
    let listed = all_items(&app, "/api/v1/bodies").await;
    let expected = reference().bodies;
    assert_eq!(listed.len(), expected.len());
    for body in &expected {
        let row = listed
            .iter()
            .find(|b| b["code"] == body.code.as_str())
            .unwrap_or_else(|| panic!("{} is listed", body.code));
        assert_eq!(row["pillar"], body.pillar.as_str());
        assert_eq!(row["confirmed"], body.confirmed);
        assert_eq!(row["name"], body.name.as_str());
    }
    let codes: Vec<&str> = listed.iter().filter_map(|b| b["code"].as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted, "ordered by code across pages");
    assert!(
        listed.iter().any(|b| b["confirmed"] == false),
        "unconfirmed bodies are flagged"
    );
}

#[tokio::test]
async fn a_body_is_found_by_code_with_an_etag_and_an_unknown_code_is_a_problem() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/bodies/SOMTC").await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["pillar"], "APSC");
    let tag = res.header("etag").expect("an ETag").to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"'),
        "strong tag {tag}"
    );

    let again = app
        .request(axum::http::Method::GET, "/api/v1/bodies/SOMTC")
        .header("if-none-match", &tag)
        .send()
        .await;
    again.assert_status(StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    app.get("/api/v1/bodies/NOPE")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn both_work_plans_are_listed_with_their_status() {
    let app = TestApp::spawn().await;
    let plans = all_items(&app, "/api/v1/work-plans").await;
    let expected = reference().work_plans;
    assert_eq!(plans.len(), expected.len());
    for plan in &expected {
        let row = plans
            .iter()
            .find(|p| p["code"] == plan.code.as_str())
            .unwrap_or_else(|| panic!("{} listed", plan.code));
        assert_eq!(row["status"], plan.status.as_str());
        assert_eq!(row["period_start"], plan.period_start.to_string());
        let one = app
            .get(&format!(
                "/api/v1/work-plans/{}",
                row["id"].as_str().expect("id")
            ))
            .await;
        one.assert_status(StatusCode::OK);
        assert_eq!(one.json(), *row);
    }
    let statuses: Vec<&str> = plans.iter().filter_map(|p| p["status"].as_str()).collect();
    assert!(statuses.contains(&"active") && statuses.contains(&"archived"));
}

#[tokio::test]
async fn a_plan_lists_its_participants_with_exactly_one_lead_and_its_areas_in_order() {
    let app = TestApp::spawn().await;
    for plan in reference().work_plans {
        let id = wpt_domain::reference_id("work_plan", &plan.code);
        let bodies = all_items(&app, &format!("/api/v1/work-plans/{id}/bodies")).await;
        assert_eq!(bodies.len(), plan.participants.len(), "{}", plan.code);
        let leads: Vec<&Value> = bodies.iter().filter(|b| b["role"] == "lead").collect();
        assert_eq!(leads.len(), 1, "one lead in {}", plan.code);
        let lead_in_file = plan
            .participants
            .iter()
            .find(|p| p.role == wpt_domain::ParticipationRole::Lead)
            .expect("file has a lead");
        assert_eq!(leads[0]["body"]["code"], lead_in_file.body.as_str());

        let areas = all_items(&app, &format!("/api/v1/work-plans/{id}/areas")).await;
        let codes: Vec<&str> = areas.iter().filter_map(|a| a["code"].as_str()).collect();
        let expected: Vec<&str> = plan.areas.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, expected, "areas of {} in file order", plan.code);
    }
}

#[tokio::test]
async fn lists_of_an_unknown_plan_are_not_found() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();
    for suffix in ["", "/bodies", "/areas"] {
        app.get(&format!("/api/v1/work-plans/{id}{suffix}"))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn applying_the_same_reference_file_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let db = app.database();
    let data = reference();
    let outcome = wpt_db::reference::apply(db, &data, REFERENCE)
        .await
        .expect("apply");
    assert_eq!(outcome, wpt_db::reference::ReferenceOutcome::AlreadyApplied);
    let before = app.get("/api/v1/bodies/SOMTC").await.json();
    assert_eq!(before["version"], 1);
}

#[tokio::test]
async fn a_corrected_reference_file_updates_what_changed_and_keeps_ids() {
    let app = TestApp::spawn().await;
    let db = app.database();
    let before = app.get("/api/v1/bodies/AICHR").await.json();

    let corrected = REFERENCE.replacen(
        "code = \"AICHR\"\nname = \"ASEAN Intergovernmental Commission on Human Rights\"\npillar = \"APSC\"\nconfirmed = false",
        "code = \"AICHR\"\nname = \"ASEAN Intergovernmental Commission on Human Rights\"\npillar = \"APSC\"\nconfirmed = true",
        1,
    );
    assert_ne!(corrected, REFERENCE, "the test edits the file");
    let data = ReferenceData::from_toml_str(&corrected).expect("valid");
    let outcome = wpt_db::reference::apply(db, &data, &corrected)
        .await
        .expect("apply");
    match outcome {
        wpt_db::reference::ReferenceOutcome::Applied(summary) => {
            assert!(
                summary.contains("bodies: 0 created, 1 updated"),
                "{summary}"
            );
            assert!(
                summary.contains("work plans: 0 created, 0 updated"),
                "{summary}"
            );
        }
        other => panic!("expected applied, got {other:?}"),
    }
    let after = app.get("/api/v1/bodies/AICHR").await.json();
    assert_eq!(after["confirmed"], true);
    assert_eq!(after["id"], before["id"], "ids are stable");
    assert_eq!(after["version"], 2, "the change bumped the version");
    let other = app.get("/api/v1/bodies/SOMTC").await.json();
    assert_eq!(other["version"], 1, "untouched rows keep their version");
}

#[tokio::test]
async fn an_administrator_adds_the_tenth_body_and_corrects_it() {
    let app = TestApp::spawn().await;
    let admin = app.caller(wpt_domain::Role::Admin, None).await;
    let res = app
        .request(axum::http::Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&serde_json::json!({"code": "SOMRDPE", "name": "Senior Officials Meeting on Rural Development and Poverty Eradication", "pillar": "ASCC", "notes": "Hypothetical tenth body"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(res.json()["confirmed"], false);
    assert_eq!(
        res.json()["id"],
        wpt_domain::reference_id("body", "SOMRDPE").to_string()
    );
    for (body, field) in [
        (
            serde_json::json!({"code": "lower", "name": "x", "pillar": "ASCC"}),
            "code",
        ),
        (
            serde_json::json!({"code": "X1", "name": "", "pillar": "ASCC"}),
            "name",
        ),
        (
            serde_json::json!({"code": "X2", "name": "x", "pillar": "OTHER"}),
            "pillar",
        ),
    ] {
        let res = app
            .request(axum::http::Method::POST, "/api/v1/bodies")
            .bearer(&admin.token)
            .json(&body)
            .send()
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), [field]);
    }
    app.request(axum::http::Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&serde_json::json!({"code": "SOMTC", "name": "Again", "pillar": "APSC"}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let patched = app
        .request(axum::http::Method::PATCH, "/api/v1/bodies/SOMRDPE")
        .bearer(&admin.token)
        .header("if-match", "\"1\"")
        .json(&serde_json::json!({"confirmed": true, "notes": null}))
        .send()
        .await;
    patched.assert_status(StatusCode::OK);
    assert_eq!(patched.json()["confirmed"], true);
    assert!(patched.json()["notes"].is_null());
    assert_eq!(patched.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn an_area_the_secretariat_created_is_not_overwritten_by_the_file() {
    let app = TestApp::spawn().await;
    let sec = app.caller(wpt_domain::Role::Secretariat, None).await;
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028");
    let created = app
        .request(
            axum::http::Method::POST,
            &format!("/api/v1/work-plans/{plan}/areas"),
        )
        .bearer(&sec.token)
        .json(&serde_json::json!({"code": "E", "title": "Secretariat's area"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let created = created.json();

    // A later file names the same code with its own title.
    let at = "  { code = \"D\", title = \"Regional and international cooperation and coordination\" },\n]";
    let last = REFERENCE.rfind(at).expect("the 2023 plan's areas");
    let edited = format!(
        "{}  {{ code = \"D\", title = \"Regional and international cooperation and coordination\" }},\n  {{ code = \"E\", title = \"The file's area\" }},\n]{}",
        &REFERENCE[..last],
        &REFERENCE[last + at.len()..]
    );
    let data = ReferenceData::from_toml_str(&edited).expect("valid");
    let outcome = wpt_db::reference::apply(app.database(), &data, &edited)
        .await
        .expect("apply");
    match outcome {
        wpt_db::reference::ReferenceOutcome::Applied(summary) => {
            assert!(
                summary.contains("areas: 0 created, 0 updated, 1 kept"),
                "{summary}"
            );
        }
        other => panic!("expected applied, got {other:?}"),
    }
    let areas = all_items(&app, &format!("/api/v1/work-plans/{plan}/areas")).await;
    let e = areas.iter().find(|a| a["code"] == "E").expect("area E");
    assert_eq!(e["title"], "Secretariat's area");
    assert_eq!(e["id"], created["id"]);
}

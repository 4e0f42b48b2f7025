//! A body joins or leaves a work plan (`POST`/`DELETE /work-plans/{id}/bodies`), the
//! member states, and what wins when the reference data is applied again.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_domain::reference::ReferenceData;
use wpt_tests::{Caller, REFERENCE, TestApp};

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string()
}

async fn new_body(app: &TestApp, admin: &Caller, code: &str) {
    app.request(Method::POST, "/api/v1/bodies")
        .bearer(&admin.token)
        .json(&json!({"code": code, "name": format!("Body {code}"), "pillar": "ASCC"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
}

async fn add(app: &TestApp, admin: &Caller, plan: &str, body: Value) -> wpt_tests::TestResponse {
    app.request(Method::POST, &format!("/api/v1/work-plans/{plan}/bodies"))
        .bearer(&admin.token)
        .json(&body)
        .send()
        .await
}

async fn remove(app: &TestApp, admin: &Caller, code: &str) -> wpt_tests::TestResponse {
    app.request(
        Method::DELETE,
        &format!("/api/v1/work-plans/{}/bodies/{code}", plan_id()),
    )
    .bearer(&admin.token)
    .send()
    .await
}

async fn participants(app: &TestApp, admin: &Caller) -> Vec<String> {
    app.get_as(
        &admin.token,
        &format!("/api/v1/work-plans/{}/bodies?limit=200", plan_id()),
    )
    .await
    .json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["body"]["code"].as_str().unwrap_or(""),
                p["role"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn audit_actions(app: &TestApp, admin: &Caller) -> Vec<String> {
    app.get_as(&admin.token, "/api/v1/audit?limit=200")
        .await
        .json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_tenth_body_joins_the_plan_is_assigned_and_cannot_leave_until_unassigned() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    new_body(&app, &admin, "SOMRDPE").await;

    let res = add(
        &app,
        &admin,
        &plan_id(),
        json!({"body": "SOMRDPE", "role": "member"}),
    )
    .await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(res.json()["body"]["code"], "SOMRDPE");
    assert_eq!(res.json()["role"], "member");
    assert_eq!(res.json()["confirmed"], true);
    assert!(
        participants(&app, &admin)
            .await
            .contains(&"SOMRDPE:member".to_owned())
    );
    assert!(
        audit_actions(&app, &admin)
            .await
            .contains(&"work_plan.body_add".to_owned())
    );

    // Twice: 409, nothing added.
    add(
        &app,
        &admin,
        &plan_id(),
        json!({"body": "SOMRDPE", "role": "member"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");

    // Now it can be assigned an activity of the plan.
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{}/activities", plan_id()))
        .bearer(&admin.token)
        .json(&json!({"area": "A", "code": "A.9.1", "title": "Rural outreach", "lead_body": "SOMRDPE"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let activity = res.json();

    // Assigned: 409 naming the activity; still taking part.
    let problem = remove(&app, &admin, "SOMRDPE")
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("A.9.1 Rural outreach"), "{detail}");
    assert!(
        participants(&app, &admin)
            .await
            .contains(&"SOMRDPE:member".to_owned())
    );

    // Reassigned to DGICM: it may leave.
    app.request(
        Method::PATCH,
        &format!(
            "/api/v1/activities/{}",
            activity["id"].as_str().expect("id")
        ),
    )
    .bearer(&admin.token)
    .header("if-match", "\"1\"")
    .json(&json!({"lead_body": "DGICM"}))
    .send()
    .await
    .assert_status(StatusCode::OK);
    remove(&app, &admin, "SOMRDPE")
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(
        !participants(&app, &admin)
            .await
            .iter()
            .any(|p| p.starts_with("SOMRDPE:"))
    );
    assert!(
        audit_actions(&app, &admin)
            .await
            .contains(&"work_plan.body_remove".to_owned())
    );
    // Gone: removing again is a 404.
    remove(&app, &admin, "SOMRDPE")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn refusals_name_what_is_wrong_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    new_body(&app, &admin, "SOMRDPE").await;
    let before = participants(&app, &admin).await;

    add(
        &app,
        &admin,
        &plan_id(),
        json!({"body": "NOPE", "role": "member"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    add(
        &app,
        &admin,
        &uuid::Uuid::new_v4().to_string(),
        json!({"body": "SOMRDPE", "role": "member"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // A second lead.
    let p = add(
        &app,
        &admin,
        &plan_id(),
        json!({"body": "SOMRDPE", "role": "lead"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(p["detail"].as_str().unwrap_or("").contains("SOMTC"), "{p}");
    // Shapes.
    for body in [
        json!({"body": "SOMRDPE", "role": "chair"}),
        json!({"body": "SOMRDPE"}),
        json!({"body": "SOMRDPE", "role": "member", "extra": 1}),
        json!({"body": "X".repeat(41), "role": "member"}),
    ] {
        let res = add(&app, &admin, &plan_id(), body.clone()).await;
        assert!(
            res.status == StatusCode::UNPROCESSABLE_ENTITY || res.status == StatusCode::BAD_REQUEST,
            "{body}: {}",
            res.status
        );
    }
    // The lead cannot leave; an unknown body or one not taking part is a 404.
    remove(&app, &admin, "SOMTC")
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    remove(&app, &admin, "SOMRDPE")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    remove(&app, &admin, "NOPE")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(participants(&app, &admin).await, before);
    let actions = audit_actions(&app, &admin).await;
    assert!(
        !actions.iter().any(|a| a.starts_with("work_plan.body_")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn member_states_are_served_in_pages() {
    let app = TestApp::spawn().await;
    let viewer = app.caller(Role::Viewer, None).await;
    let mut codes = Vec::new();
    let mut url = "/api/v1/member-states?limit=4".to_owned();
    loop {
        let res = app.get_as(&viewer.token, &url).await;
        res.assert_status(StatusCode::OK);
        let page = res.json();
        for m in page["items"].as_array().expect("items") {
            codes.push(m["iso_code"].as_str().expect("code").to_owned());
            if m["iso_code"] == "KH" {
                assert_eq!(m["name"], "Cambodia");
                assert_eq!(m["member_since"], "1999-04-30");
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/member-states?limit=4&cursor={c}"),
            None => break,
        }
    }
    let expected = ReferenceData::from_toml_str(REFERENCE)
        .expect("valid")
        .member_states;
    assert_eq!(codes.len(), expected.len());
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "ordered by ISO code");
    app.request(Method::GET, "/api/v1/member-states")
        .anonymous()
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

/// The reference data, changed so that it is applied again (as at a start after an
/// upgrade), and correcting the rows the administrator changed.
fn changed_reference() -> (ReferenceData, String) {
    let (bohol, current) = REFERENCE
        .split_once("code = \"MSWP-TIP-2023-2028\"")
        .expect("the current plan is in the file");
    let bohol = bohol.replacen(
        "code = \"AICHR\"\nname = \"ASEAN Intergovernmental Commission on Human Rights\"\npillar = \"APSC\"\nconfirmed = false",
        "code = \"AICHR\"\nname = \"ASEAN Intergovernmental Commission on Human Rights (file)\"\npillar = \"APSC\"\nconfirmed = false",
        1,
    );
    // The current plan's participants: SLOM and SOMHD become confirmed.
    let current = current
        .replacen(
            "{ body = \"SLOM\", role = \"member\", confirmed = false }",
            "{ body = \"SLOM\", role = \"member\", confirmed = true }",
            1,
        )
        .replacen(
            "{ body = \"SOMHD\", role = \"member\", confirmed = false }",
            "{ body = \"SOMHD\", role = \"member\", confirmed = true }",
            1,
        );
    let text = format!("{bohol}code = \"MSWP-TIP-2023-2028\"{current}\n# applied again\n");
    assert_ne!(text, REFERENCE);
    let data = ReferenceData::from_toml_str(&text).expect("valid");
    (data, text)
}

#[tokio::test]
async fn what_an_administrator_changed_survives_the_reference_data_applied_again() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    // Through the API, the administrator confirms AICHR and removes SLOM from the plan.
    app.request(Method::PATCH, "/api/v1/bodies/AICHR")
        .bearer(&admin.token)
        .header("if-match", "\"1\"")
        .json(&json!({"confirmed": true, "notes": "Confirmed by the secretariat"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    remove(&app, &admin, "SLOM")
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let (data, text) = changed_reference();
    let outcome = wpt_db::reference::apply(app.database(), &data, &text)
        .await
        .expect("apply");
    let summary = match outcome {
        wpt_db::reference::ReferenceOutcome::Applied(s) => s,
        other => panic!("expected applied, got {other:?}"),
    };
    assert!(
        summary.contains("bodies: 0 created, 0 updated, 1 kept as changed through the API"),
        "{summary}"
    );
    assert!(
        summary.contains("participations: 0 created, 1 updated, 1 kept as changed through the API"),
        "{summary}"
    );

    // The administrator's changes stand.
    let aichr = app
        .get_as(&admin.token, "/api/v1/bodies/AICHR")
        .await
        .json();
    assert_eq!(aichr["confirmed"], true);
    assert_eq!(aichr["notes"], "Confirmed by the secretariat");
    assert_eq!(
        aichr["name"], "ASEAN Intergovernmental Commission on Human Rights",
        "the file's name change is not applied to a body changed through the API"
    );
    let parts = participants(&app, &admin).await;
    assert!(!parts.iter().any(|p| p.starts_with("SLOM:")), "{parts:?}");
    // What nobody changed through the API follows the file.
    let listed = app
        .get_as(
            &admin.token,
            &format!("/api/v1/work-plans/{}/bodies?limit=200", plan_id()),
        )
        .await
        .json();
    let somhd = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["body"]["code"] == "SOMHD")
        .expect("SOMHD takes part")
        .clone();
    assert_eq!(somhd["confirmed"], true);

    // And the administrator can bring SLOM back; a later apply leaves it too.
    add(
        &app,
        &admin,
        &plan_id(),
        json!({"body": "SLOM", "role": "member"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let text2 = text + "# and again\n";
    wpt_db::reference::apply(app.database(), &data, &text2)
        .await
        .expect("apply");
    assert!(
        participants(&app, &admin)
            .await
            .contains(&"SLOM:member".to_owned())
    );
}

#[tokio::test]
async fn two_leads_added_at_once_leave_exactly_one_lead() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use wpt_db::entities::plan_participation;
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    new_body(&app, &admin, "SOMRDPE").await;
    new_body(&app, &admin, "ASEANAPOL").await;
    // The plan without its lead (as a database could be mid-way through a change).
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028");
    let conn = app.database().conn();
    plan_participation::Entity::delete_many()
        .filter(plan_participation::Column::WorkPlanId.eq(plan))
        .filter(plan_participation::Column::Role.eq("lead"))
        .exec(conn)
        .await
        .expect("no lead");

    let plan_path = plan_id();
    let (x, y) = tokio::join!(
        add(
            &app,
            &admin,
            &plan_path,
            json!({"body": "SOMRDPE", "role": "lead"})
        ),
        add(
            &app,
            &admin,
            &plan_path,
            json!({"body": "ASEANAPOL", "role": "lead"})
        ),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let (loser, res) = if x.status == StatusCode::CONFLICT {
        ("SOMRDPE", x)
    } else {
        ("ASEANAPOL", y)
    };
    res.assert_problem(StatusCode::CONFLICT, "conflict");
    let leads: Vec<String> = participants(&app, &admin)
        .await
        .into_iter()
        .filter(|p| p.ends_with(":lead"))
        .collect();
    assert_eq!(leads.len(), 1, "{leads:?}");

    // The database holds it too: a second lead row is refused by the index.
    let other: uuid::Uuid = app
        .get_as(&admin.token, &format!("/api/v1/bodies/{loser}"))
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let second = plan_participation::ActiveModel {
        id: sea_orm::ActiveValue::Set(uuid::Uuid::new_v4()),
        work_plan_id: sea_orm::ActiveValue::Set(plan),
        body_id: sea_orm::ActiveValue::Set(other),
        role: sea_orm::ActiveValue::Set("lead".into()),
        confirmed: sea_orm::ActiveValue::Set(true),
        created_at: sea_orm::ActiveValue::Set(chrono::Utc::now()),
    };
    assert!(
        plan_participation::Entity::insert(second)
            .exec(conn)
            .await
            .is_err(),
        "a second lead row"
    );
}

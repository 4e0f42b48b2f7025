//! The work plan's daily use: structure by the secretariat, progress by each body,
//! milestones and indicators, the derived signal, search, summary and history.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

struct Team {
    sec: Caller,
    dgicm: Caller,
    somtc: Caller,
}

async fn team(app: &TestApp) -> Team {
    Team {
        sec: app.caller(Role::Secretariat, None).await,
        dgicm: app.caller(Role::Officer, Some("DGICM")).await,
        somtc: app.caller(Role::Officer, Some("SOMTC")).await,
    }
}

async fn create(app: &TestApp, sec: &Caller, body: Value) -> Value {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> wpt_tests::TestResponse {
    app.request(Method::POST, path)
        .bearer(token)
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn the_secretariat_creates_an_activity_with_one_lead_and_cooperating_bodies() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(&app, &t.sec, json!({
        "area": "B", "code": "B.a.1", "title": "Regional guidelines on victim identification",
        "description": "Illustrative", "actip_reference": "ACTIP Art. 14", "expected_outputs": "Guidelines endorsed by SOMTC",
        "planned_start": "2024-01-01", "planned_end": "2027-12-31",
        "lead_body": "DGICM", "cooperating_bodies": ["SOMTC", "ACWC"]
    })).await;
    assert_eq!(a["lead_body"], "DGICM");
    assert_eq!(a["cooperating_bodies"], json!(["ACWC", "SOMTC"]));
    assert_eq!(a["area"], "B");
    assert_eq!(a["bodies"][0]["body"], "DGICM", "lead first");
    assert!(
        a["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .all(|b| b["latest_status"].is_null())
    );
    assert_eq!(a["derived_signal"], "on_track");
    let read = app
        .get(&format!(
            "/api/v1/activities/{}",
            a["id"].as_str().expect("id")
        ))
        .await;
    read.assert_status(StatusCode::OK);
    assert_eq!(read.json(), a);
    let dup = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&t.sec.token)
        .json(&json!({"area": "B", "code": "B.a.1", "title": "Again", "lead_body": "DGICM"}))
        .send()
        .await;
    dup.assert_problem(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn invalid_activities_name_the_field_at_fault() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    // A body that exists but does not take part in the plan.
    wpt_db::reference::apply(app.database(), &{
        let text = wpt_tests::REFERENCE.to_owned() + "\n[[bodies]]\ncode = \"AMMTC\"\nname = \"ASEAN Ministerial Meeting on Transnational Crime\"\npillar = \"APSC\"\nconfirmed = true\n";
        wpt_domain::reference::ReferenceData::from_toml_str(&text).expect("valid")
    }, "changed").await.expect("apply");
    let base = json!({"area": "A", "code": "A.z.1", "title": "T", "lead_body": "DGICM"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("lead_body", json!("NOPE")), "lead_body"),
        (with("lead_body", json!("AMMTC")), "lead_body"),
        (
            with("cooperating_bodies", json!(["SOMTC", "NOPE"])),
            "cooperating_bodies[1]",
        ),
        (
            with("cooperating_bodies", json!(["DGICM"])),
            "cooperating_bodies[0]",
        ),
        (with("area", json!("Z")), "area"),
        (with("code", json!("lower case")), "code"),
        (with("title", json!("")), "title"),
        (with("title", json!("x".repeat(100_000))), "title"),
        (
            with("planned_start", json!("2027-01-01"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("planned_end".into(), json!("2026-01-01"));
                    Value::Object(o)
                })
                .expect("object"),
            "planned_end",
        ),
        (with("planned_end", json!("31/12/2027")), "planned_end"),
        (with("smuggled", json!(1)), ""),
    ] {
        let res = post(
            &app,
            &t.sec.token,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
            body.clone(),
        )
        .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        if !field.is_empty() {
            assert!(
                res.error_fields().contains(&field.to_owned()),
                "{field}: {:?}",
                res.error_fields()
            );
        }
    }
}

#[tokio::test]
async fn each_body_reports_its_own_part_and_only_its_own() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(&app, &t.sec, json!({"area": "A", "code": "A.a.1", "title": "Awareness campaign", "lead_body": "DGICM", "cooperating_bodies": ["SOMTC"]})).await;
    let id = a["id"].as_str().expect("id");
    let path = format!("/api/v1/activities/{id}/progress");
    let res = post(&app, &t.dgicm.token, &path, json!({"status": "on_track", "percent_complete": 30, "narrative": "Materials drafted", "evidence_urls": ["https://example.org/draft"]})).await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(
        res.json()["body"],
        "DGICM",
        "the body comes from the officer's account"
    );
    post(
        &app,
        &t.somtc.token,
        &path,
        json!({"status": "delayed", "narrative": "Funding pending"}),
    )
    .await
    .assert_status(StatusCode::CREATED);

    // The secretariat and an unassigned body's officer are refused; no body can be smuggled.
    post(
        &app,
        &t.sec.token,
        &path,
        json!({"status": "on_track", "narrative": "x"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let outsider = app.caller(Role::Officer, Some("SLOM")).await;
    post(
        &app,
        &outsider.token,
        &path,
        json!({"status": "on_track", "narrative": "x"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    post(
        &app,
        &t.dgicm.token,
        &path,
        json!({"status": "on_track", "narrative": "x", "body": "SLOM"}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    for (body, field) in [
        (json!({"status": "great", "narrative": "x"}), "status"),
        (
            json!({"status": "on_track", "narrative": "x", "percent_complete": 101}),
            "percent_complete",
        ),
        (
            json!({"status": "on_track", "narrative": "x", "percent_complete": -1}),
            "percent_complete",
        ),
        (json!({"status": "on_track", "narrative": " "}), "narrative"),
        (
            json!({"status": "on_track", "narrative": "x", "evidence_urls": ["javascript:alert(1)"]}),
            "evidence_urls[0]",
        ),
    ] {
        let res = post(&app, &t.dgicm.token, &path, body).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), [field]);
    }

    let timeline = app.get(&path).await.json();
    let items = timeline["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "refused reports left nothing behind");
    assert_eq!(items[0]["body"], "SOMTC", "newest first");
    let a = app.get(&format!("/api/v1/activities/{id}")).await.json();
    let status_of = |code: &str| {
        a["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .find(|b| b["body"] == code)
            .expect("body")["latest_status"]
            .clone()
    };
    assert_eq!(status_of("DGICM"), "on_track");
    assert_eq!(status_of("SOMTC"), "delayed");
    assert!(
        a["version"].as_i64().expect("version") > 1,
        "progress moves the activity's version"
    );
}

#[tokio::test]
async fn two_writers_with_the_same_etag_one_wins_and_the_other_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(
        &app,
        &t.sec,
        json!({"area": "C", "code": "C.a.1", "title": "Original", "lead_body": "SOMTC"}),
    )
    .await;
    let path = format!("/api/v1/activities/{}", a["id"].as_str().expect("id"));
    let etag = app
        .get(&path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let other = app.caller(Role::Secretariat, None).await;
    let first = app
        .request(Method::PATCH, &path)
        .bearer(&t.sec.token)
        .header("if-match", &etag)
        .json(&json!({"title": "First"}))
        .send()
        .await;
    first.assert_status(StatusCode::OK);
    let second = app
        .request(Method::PATCH, &path)
        .bearer(&other.token)
        .header("if-match", &etag)
        .json(&json!({"title": "Second", "planned_end": "2030-01-01"}))
        .send()
        .await;
    second.assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    let now = app.get(&path).await.json();
    assert_eq!(now["title"], "First");
    assert!(now["planned_end"].is_null());
    app.request(Method::PATCH, &path)
        .bearer(&t.sec.token)
        .json(&json!({"title": "No tag"}))
        .send()
        .await
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    let cached = app
        .request(Method::GET, &path)
        .header("if-none-match", first.header("etag").expect("etag"))
        .send()
        .await;
    cached.assert_status(StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn an_activity_with_progress_is_archived_not_deleted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(
        &app,
        &t.sec,
        json!({"area": "D", "code": "D.a.1", "title": "Kept", "lead_body": "DGICM"}),
    )
    .await;
    let empty = create(
        &app,
        &t.sec,
        json!({"area": "D", "code": "D.a.2", "title": "Dropped", "lead_body": "DGICM"}),
    )
    .await;
    let path = format!("/api/v1/activities/{}", a["id"].as_str().expect("id"));
    post(
        &app,
        &t.dgicm.token,
        &format!("{path}/progress"),
        json!({"status": "not_started", "narrative": "Planning"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let version = app
        .get(&path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::DELETE, &path)
        .bearer(&t.sec.token)
        .header("if-match", &version)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    app.request(Method::PATCH, &path)
        .bearer(&t.sec.token)
        .header("if-match", &version)
        .json(&json!({"archived": true}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let listed = app
        .get(&format!(
            "/api/v1/activities?work_plan={}&limit=200",
            plan_id()
        ))
        .await
        .json();
    let codes: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"D.a.1") && codes.contains(&"D.a.2"),
        "{codes:?}"
    );
    let archived = app.get("/api/v1/activities?archived=true").await.json();
    assert_eq!(archived["items"][0]["code"], "D.a.1");
    app.get(&path).await.assert_status(StatusCode::OK);
    let empty_path = format!("/api/v1/activities/{}", empty["id"].as_str().expect("id"));
    app.request(Method::DELETE, &empty_path)
        .bearer(&t.sec.token)
        .header("if-match", "\"1\"")
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get(&empty_path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_signal_comes_from_dates_and_an_override_sits_beside_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let late = create(&app, &t.sec, json!({"area": "A", "code": "A.b.1", "title": "Late", "planned_start": "2023-01-01", "planned_end": "2024-06-30", "lead_body": "DGICM"})).await;
    assert_eq!(late["derived_signal"], "off_track");
    assert_eq!(late["overdue"], true);
    let risky = create(&app, &t.sec, json!({"area": "A", "code": "A.b.2", "title": "Risky", "planned_end": "2099-12-31", "lead_body": "DGICM"})).await;
    let rid = risky["id"].as_str().expect("id");
    post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{rid}/milestones"),
        json!({"title": "Overdue step", "due_on": "2024-01-31"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let risky = app.get(&format!("/api/v1/activities/{rid}")).await;
    let etag = risky.header("etag").expect("etag").to_owned();
    let risky = risky.json();
    assert_eq!(risky["derived_signal"], "at_risk");
    assert_eq!(risky["overdue_milestones"], 1);

    let res = app
        .request(Method::PATCH, &format!("/api/v1/activities/{rid}"))
        .bearer(&t.sec.token)
        .header("if-match", &etag)
        .json(&json!({"signal_override": {"signal": "on_track", "reason": ""}}))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["signal_override.reason"]);
    let res = app.request(Method::PATCH, &format!("/api/v1/activities/{rid}")).bearer(&t.sec.token).header("if-match", &etag)
        .json(&json!({"signal_override": {"signal": "on_track", "reason": "Milestone moved by SOMTC decision"}})).send().await;
    res.assert_status(StatusCode::OK);
    let a = res.json();
    assert_eq!(a["signal_override"]["signal"], "on_track");
    assert_eq!(a["signal_override"]["set_by"], t.sec.id.to_string());
    assert_eq!(
        a["derived_signal"], "at_risk",
        "the override never hides the derived value"
    );

    // Completed by every body: no longer off track.
    let lid = late["id"].as_str().expect("id");
    post(
        &app,
        &t.dgicm.token,
        &format!("/api/v1/activities/{lid}/progress"),
        json!({"status": "completed", "percent_complete": 100, "narrative": "Done"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let late = app.get(&format!("/api/v1/activities/{lid}")).await.json();
    assert_eq!(late["derived_signal"], "on_track");
    assert_eq!(late["overdue"], false);
}

#[tokio::test]
async fn milestones_are_set_by_the_secretariat_and_completed_by_the_activitys_bodies() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(
        &app,
        &t.sec,
        json!({"area": "B", "code": "B.b.1", "title": "Shelter standards", "lead_body": "DGICM"}),
    )
    .await;
    let m = post(
        &app,
        &t.sec.token,
        &format!(
            "/api/v1/activities/{}/milestones",
            a["id"].as_str().expect("id")
        ),
        json!({"title": "Standards drafted", "due_on": "2026-03-31"}),
    )
    .await;
    m.assert_status(StatusCode::CREATED);
    let path = format!(
        "/api/v1/milestones/{}",
        m.json()["id"].as_str().expect("id")
    );
    let patch = |token: &str, etag: &str, body: Value| {
        let (app, path, token, etag) = (&app, path.clone(), token.to_owned(), etag.to_owned());
        async move {
            app.request(Method::PATCH, &path)
                .bearer(&token)
                .header("if-match", &etag)
                .json(&body)
                .send()
                .await
        }
    };
    patch(&t.sec.token, "\"1\"", json!({"completed_on": "2026-01-10"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    patch(&t.dgicm.token, "\"1\"", json!({"title": "Renamed"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    patch(
        &t.somtc.token,
        "\"1\"",
        json!({"completed_on": "2026-01-10"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let future = (chrono::Utc::now().date_naive() + chrono::Duration::days(3)).to_string();
    assert_eq!(
        patch(&t.dgicm.token, "\"1\"", json!({"completed_on": future}))
            .await
            .error_fields(),
        ["completed_on"]
    );
    let done = patch(
        &t.dgicm.token,
        "\"1\"",
        json!({"completed_on": "2026-01-10", "note": "Validated in Bangkok"}),
    )
    .await;
    done.assert_status(StatusCode::OK);
    let done = done.json();
    assert_eq!(done["completed_on"], "2026-01-10");
    assert_eq!(done["completed_by"], t.dgicm.id.to_string());
    assert_eq!(done["overdue"], false);
    patch(&t.sec.token, "\"2\"", json!({"due_on": "2026-04-30"}))
        .await
        .assert_status(StatusCode::OK);
    patch(&t.sec.token, "\"2\"", json!({"due_on": "2026-05-30"}))
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
}

#[tokio::test]
async fn indicators_take_each_bodys_actuals_per_period() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(&app, &t.sec, json!({"area": "C", "code": "C.b.1", "title": "Training of prosecutors", "lead_body": "SOMTC", "cooperating_bodies": ["DGICM"]})).await;
    let aid = a["id"].as_str().expect("id");
    let bad = post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{aid}/indicators"),
        json!({"name": "Share trained", "measure": "percent", "target": "140"}),
    )
    .await;
    assert_eq!(bad.error_fields(), ["target"]);
    let i = post(&app, &t.sec.token, &format!("/api/v1/activities/{aid}/indicators"), json!({"name": "Prosecutors trained", "unit": "people", "measure": "number", "baseline": "0", "target": "200"})).await;
    i.assert_status(StatusCode::CREATED);
    let actuals = format!(
        "/api/v1/indicators/{}/actuals",
        i.json()["id"].as_str().expect("id")
    );
    let period = json!({"period_start": "2024-07-01", "period_end": "2025-06-30", "value": "45"});
    post(&app, &t.somtc.token, &actuals, period.clone())
        .await
        .assert_status(StatusCode::CREATED);
    post(
        &app,
        &t.dgicm.token,
        &actuals,
        json!({"period_start": "2024-07-01", "period_end": "2025-06-30", "value": "12"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let replaced = post(
        &app,
        &t.somtc.token,
        &actuals,
        json!({"period_start": "2024-07-01", "period_end": "2025-06-30", "value": "47"}),
    )
    .await;
    replaced.assert_status(StatusCode::OK);
    assert_eq!(replaced.json()["version"], 2);
    assert_eq!(
        post(
            &app,
            &t.somtc.token,
            &actuals,
            json!({"period_start": "2024-07-01", "period_end": "2025-06-30", "value": "many"})
        )
        .await
        .error_fields(),
        ["value"]
    );
    assert_eq!(
        post(
            &app,
            &t.somtc.token,
            &actuals,
            json!({"period_start": "2025-07-01", "period_end": "2025-06-30", "value": "1"})
        )
        .await
        .error_fields(),
        ["period_end"]
    );
    let outsider = app.caller(Role::Officer, Some("SLOM")).await;
    post(&app, &outsider.token, &actuals, period)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let list = app.get(&actuals).await.json();
    let values: Vec<(String, String)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            (
                a["body"].as_str().expect("b").to_owned(),
                a["value"].as_str().expect("v").to_owned(),
            )
        })
        .collect();
    assert_eq!(values.len(), 2);
    assert!(
        values.contains(&("SOMTC".into(), "47".into()))
            && values.contains(&("DGICM".into(), "12".into()))
    );
}

#[tokio::test]
async fn search_finds_words_only_in_descriptions_and_combines_with_filters() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    create(&app, &t.sec, json!({"area": "A", "code": "A.c.1", "title": "Community outreach", "description": "Radio programmes about online recruitment scams", "lead_body": "DGICM"})).await;
    create(&app, &t.sec, json!({"area": "B", "code": "B.c.1", "title": "Hotline", "description": "A hotline for victims of recruitment fraud", "lead_body": "SOMTC"})).await;
    create(&app, &t.sec, json!({"area": "A", "code": "A.c.2", "title": "Border cooperation", "expected_outputs": "Joint patrol protocol", "lead_body": "SOMTC"})).await;
    let codes = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["code"].as_str().expect("code").to_owned())
            .collect()
    };
    let mut found = codes(app.get("/api/v1/activities?q=recruitment").await.json());
    found.sort();
    assert_eq!(found, ["A.c.1", "B.c.1"]);
    assert_eq!(
        codes(app.get("/api/v1/activities?q=scams").await.json()),
        ["A.c.1"]
    );
    assert_eq!(
        codes(
            app.get("/api/v1/activities?q=recruitment&body=SOMTC")
                .await
                .json()
        ),
        ["B.c.1"]
    );
    assert_eq!(
        codes(app.get("/api/v1/activities?q=patrol&area=A").await.json()),
        ["A.c.2"]
    );
    assert_eq!(
        codes(
            app.get("/api/v1/activities?q=hotline%20victims")
                .await
                .json()
        ),
        ["B.c.1"]
    );
    // Ranked: a title match outranks a description match.
    create(&app, &t.sec, json!({"area": "C", "code": "C.c.1", "title": "Recruitment agency licensing", "lead_body": "SOMTC"})).await;
    assert_eq!(
        codes(app.get("/api/v1/activities?q=recruitment").await.json())[0],
        "C.c.1"
    );
    // Query syntax of either backend is only text.
    for q in [
        "%27%3B%20DROP%20TABLE%20activities%3B--",
        "%22",
        "NEAR(a%20b)",
        "a%20%26%20!b%20%7C%20c:*",
        "*",
        "%25",
    ] {
        let res = app.get(&format!("/api/v1/activities?q={q}")).await;
        res.assert_status(StatusCode::OK);
    }
    assert_eq!(
        codes(app.get("/api/v1/activities?q=recruitment").await.json()).len(),
        3,
        "nothing was dropped"
    );
}

#[tokio::test]
async fn pages_have_no_duplicates_or_gaps_while_rows_are_added_between_them() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    for n in 0..9 {
        create(&app, &t.sec, json!({"area": "A", "code": format!("P.{n}"), "title": format!("Partnership {n}"), "description": "migrant worker protection", "planned_end": format!("2026-0{}-01", n % 9 + 1), "lead_body": "DGICM"})).await;
    }
    for (round, query) in [
        "q=migrant",
        "sort=code",
        "sort=title",
        "sort=planned_end",
        "q=migrant&sort=code",
        "sort=last_update",
    ]
    .into_iter()
    .enumerate()
    {
        let mut seen: Vec<String> = Vec::new();
        let mut url = format!("/api/v1/activities?work_plan={}&{query}&limit=4", plan_id());
        let mut pages = 0;
        loop {
            let page = app.get(&url).await;
            page.assert_status(StatusCode::OK);
            let page = page.json();
            seen.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|a| a["code"].as_str().expect("code").to_owned()),
            );
            if pages == 0 {
                // Rows added after the first page: they may or may not appear, but no
                // row that existed may repeat or go missing.
                create(&app, &t.sec, json!({"area": "A", "code": format!("P.NEW.{round}"), "title": "Partnership late", "description": "migrant worker protection", "lead_body": "DGICM"})).await;
            }
            pages += 1;
            match page["next_cursor"].as_str() {
                Some(c) => {
                    url = format!(
                        "/api/v1/activities?work_plan={}&{query}&limit=4&cursor={c}",
                        plan_id()
                    )
                }
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{query}: duplicates in {seen:?}");
        for n in 0..9 {
            assert!(
                seen.contains(&format!("P.{n}")),
                "{query}: P.{n} missing from {seen:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_list_takes_the_same_number_of_queries_whatever_its_size() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        let a = create(&app, &t.sec, json!({"area": "A", "code": format!("Q.{n}"), "title": "Counted", "lead_body": "DGICM", "cooperating_bodies": ["SOMTC", "ACW"]})).await;
        ids.push(a["id"].as_str().expect("id").to_owned());
    }
    for id in ids.iter().take(10) {
        post(
            &app,
            &t.dgicm.token,
            &format!("/api/v1/activities/{id}/progress"),
            json!({"status": "on_track", "narrative": "x"}),
        )
        .await;
        post(
            &app,
            &t.sec.token,
            &format!("/api/v1/activities/{id}/milestones"),
            json!({"title": "m", "due_on": "2024-01-01"}),
        )
        .await;
    }
    let mut counts = Vec::new();
    for limit in [1, 5, 30] {
        for path in [
            format!("/api/v1/activities?limit={limit}"),
            format!("/api/v1/activities?limit={limit}&q=counted"),
            format!("/api/v1/activities?limit={limit}&body=SOMTC&status=on_track"),
        ] {
            let (res, n) = app.count_statements(app.get(&path)).await;
            res.assert_status(StatusCode::OK);
            counts.push((path, n));
        }
    }
    let first = counts[0].1;
    assert!(first <= 6, "a page is a handful of queries: {counts:?}");
    assert!(
        counts.iter().all(|(_, n)| *n <= first + 1),
        "constant whatever the page size: {counts:?}"
    );
    let (_, summary) = app
        .count_statements(app.get(&format!("/api/v1/work-plans/{}/summary", plan_id())))
        .await;
    assert!(
        summary <= 9,
        "the summary is a fixed set of aggregate queries: {summary}"
    );
}

#[tokio::test]
async fn the_summary_counts_status_by_area_and_body_milestones_and_latest_updates() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a1 = create(&app, &t.sec, json!({"area": "A", "code": "S.1", "title": "One", "planned_end": "2024-01-01", "lead_body": "DGICM", "cooperating_bodies": ["SOMTC"]})).await;
    let a2 = create(
        &app,
        &t.sec,
        json!({"area": "B", "code": "S.2", "title": "Two", "lead_body": "DGICM"}),
    )
    .await;
    let (i1, i2) = (
        a1["id"].as_str().expect("id"),
        a2["id"].as_str().expect("id"),
    );
    post(
        &app,
        &t.dgicm.token,
        &format!("/api/v1/activities/{i1}/progress"),
        json!({"status": "delayed", "narrative": "x"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    post(
        &app,
        &t.dgicm.token,
        &format!("/api/v1/activities/{i2}/progress"),
        json!({"status": "on_track", "narrative": "x"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let m = post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{i2}/milestones"),
        json!({"title": "Past", "due_on": "2024-05-01"}),
    )
    .await
    .json();
    post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{i2}/milestones"),
        json!({"title": "Future", "due_on": "2099-05-01"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{i1}/milestones"),
        json!({"title": "Overdue", "due_on": "2024-02-01"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    app.request(
        Method::PATCH,
        &format!("/api/v1/milestones/{}", m["id"].as_str().expect("id")),
    )
    .bearer(&t.dgicm.token)
    .header("if-match", "\"1\"")
    .json(&json!({"completed_on": "2024-04-30"}))
    .send()
    .await
    .assert_status(StatusCode::OK);

    let s = app
        .get(&format!("/api/v1/work-plans/{}/summary", plan_id()))
        .await;
    s.assert_status(StatusCode::OK);
    let s = s.json();
    assert_eq!(s["activities"], 2);
    assert_eq!(s["overdue_activities"], 1);
    let count = |area: &str, body: &str, status: &str| {
        s["by_status"]
            .as_array()
            .expect("by_status")
            .iter()
            .find(|c| c["area"] == area && c["body"] == body && c["status"] == status)
            .map_or(0, |c| c["count"].as_i64().expect("count"))
    };
    assert_eq!(count("A", "DGICM", "delayed"), 1);
    assert_eq!(count("A", "SOMTC", "not_reported"), 1);
    assert_eq!(count("B", "DGICM", "on_track"), 1);
    // Signals by area: the activities' own derived_signal, counted.
    assert_eq!(
        s["signals"],
        json!([
            {"area": "A", "on_track": 0, "at_risk": 0, "off_track": 1},
            {"area": "B", "on_track": 1, "at_risk": 0, "off_track": 0},
        ])
    );
    let listed = app
        .get(&format!(
            "/api/v1/activities?work_plan={}&limit=200",
            plan_id()
        ))
        .await
        .json();
    let mut from_list = std::collections::BTreeMap::<(String, String), i64>::new();
    for a in listed["items"].as_array().expect("items") {
        *from_list
            .entry((
                a["area"].as_str().expect("area").to_owned(),
                a["derived_signal"].as_str().expect("signal").to_owned(),
            ))
            .or_default() += 1;
    }
    for row in s["signals"].as_array().expect("signals") {
        for signal in ["on_track", "at_risk", "off_track"] {
            let area = row["area"].as_str().expect("area").to_owned();
            assert_eq!(
                row[signal].as_i64(),
                Some(*from_list.get(&(area, signal.to_owned())).unwrap_or(&0)),
                "{row} vs the list"
            );
        }
    }
    assert_eq!(
        s["milestones"],
        json!({"total": 3, "completed": 1, "due": 2, "done_of_due": 1, "overdue": 1})
    );
    let body = |code: &str| {
        s["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .find(|b| b["body"] == code)
            .expect("body")
            .clone()
    };
    assert_eq!(body("DGICM")["assigned"], 2);
    assert!(body("DGICM")["last_reported_at"].is_string());
    assert_eq!(body("SOMTC")["assigned"], 1);
    assert!(body("SOMTC")["last_reported_at"].is_null());
    assert_eq!(body("ACW")["assigned"], 0);
}

#[tokio::test]
async fn the_history_shows_who_changed_what_on_the_activity_and_its_milestones() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(
        &app,
        &t.sec,
        json!({"area": "D", "code": "H.1", "title": "Before", "lead_body": "DGICM"}),
    )
    .await;
    let id = a["id"].as_str().expect("id");
    app.request(Method::PATCH, &format!("/api/v1/activities/{id}"))
        .bearer(&t.sec.token)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "After"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    post(
        &app,
        &t.dgicm.token,
        &format!("/api/v1/activities/{id}/progress"),
        json!({"status": "at_risk", "narrative": "Venue problem"}),
    )
    .await;
    post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{id}/milestones"),
        json!({"title": "Step", "due_on": "2027-01-01"}),
    )
    .await;
    let h = app.get(&format!("/api/v1/activities/{id}/history")).await;
    h.assert_status(StatusCode::OK);
    let actions: Vec<String> = h.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("a").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "milestone.create",
            "progress.create",
            "activity.update",
            "activity.create"
        ]
    );
    let entries = h.json()["items"].as_array().expect("items").clone();
    assert_eq!(entries[1]["actor_id"], t.dgicm.id.to_string());
    assert_eq!(entries[2]["before"]["title"], "Before");
    assert_eq!(entries[2]["after"]["title"], "After");
}

#[tokio::test]
async fn the_summary_is_reused_until_a_write_and_then_shows_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let a = create(
        &app,
        &t.sec,
        json!({"area": "A", "code": "C.1", "title": "Cached", "lead_body": "DGICM"}),
    )
    .await;
    let id = a["id"].as_str().expect("id");
    let path = format!("/api/v1/work-plans/{}/summary", plan_id());
    let count_on_track = |s: &Value| -> i64 {
        s["by_status"]
            .as_array()
            .expect("by_status")
            .iter()
            .filter(|r| r["body"] == "DGICM" && r["status"] == "on_track")
            .map(|r| r["count"].as_i64().expect("count"))
            .sum()
    };
    let (first, computed) = app.count_statements(app.get(&path)).await;
    let first = first.json();
    let (again, reused) = app.count_statements(app.get(&path)).await;
    assert_eq!(again.json(), first, "unchanged data, same summary");
    assert!(
        reused < computed && reused <= 2,
        "a reused summary is the caller and the audit position: {reused} vs {computed}"
    );

    // A write (any audited change) makes the next summary show it.
    post(
        &app,
        &t.dgicm.token,
        &format!("/api/v1/activities/{id}/progress"),
        json!({"status": "on_track", "narrative": "x"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let after = app.get(&path).await.json();
    assert_eq!(
        count_on_track(&after),
        count_on_track(&first) + 1,
        "{after}"
    );

    // So does a milestone completed through another route.
    let m = post(
        &app,
        &t.sec.token,
        &format!("/api/v1/activities/{id}/milestones"),
        json!({"title": "Due", "due_on": "2020-01-01"}),
    )
    .await;
    m.assert_status(StatusCode::CREATED);
    let later = app.get(&path).await.json();
    assert_eq!(
        later["milestones"]["total"].as_i64(),
        after["milestones"]["total"].as_i64().map(|n| n + 1),
        "{later}"
    );
}

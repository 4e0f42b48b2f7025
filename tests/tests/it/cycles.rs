//! Reporting cycles: a whole cycle through the API, the workflow's refusals, who sees
//! what, the report in three formats, and the edition.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

struct World {
    sec: Caller,
    officers: HashMap<String, Caller>,
    cycle: String,
    activities: Vec<(String, String, String)>,
}

/// Two activities (DGICM leads one with SOMTC cooperating; SOMTC leads the other) and a
/// cycle that is open.
async fn world(app: &TestApp) -> World {
    let sec = app.caller(Role::Secretariat, None).await;
    let mut officers = HashMap::new();
    for body in ["DGICM", "SOMTC", "ACW"] {
        officers.insert(body.to_owned(), app.caller(Role::Officer, Some(body)).await);
    }
    let mut activities = Vec::new();
    for (code, lead, coop) in [
        ("A.a.1", "DGICM", vec!["SOMTC"]),
        ("B.a.1", "SOMTC", vec![]),
    ] {
        let res = app
            .request(Method::POST, &format!("/api/v1/work-plans/{}/activities", plan_id()))
            .bearer(&sec.token)
            .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": lead, "cooperating_bodies": coop}))
            .send()
            .await;
        res.assert_status(StatusCode::CREATED);
        activities.push((
            res.json()["id"].as_str().expect("id").to_owned(),
            code.to_owned(),
            lead.to_owned(),
        ));
    }
    // Progress before the cycle prefills the report.
    app.request(Method::POST, &format!("/api/v1/activities/{}/progress", activities[0].0))
        .bearer(&officers["DGICM"].token)
        .json(&json!({"status": "at_risk", "percent_complete": 20, "narrative": "Venue not yet confirmed"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json();
    assert_eq!(
        cycle["due_on"], "2099-05-21",
        "30 days before the meeting by default"
    );
    assert_eq!(
        cycle["review_due_on"], "2099-06-06",
        "14 days before the meeting by default"
    );
    assert_eq!(cycle["state"], "planned");
    let id = cycle["id"].as_str().expect("id").to_owned();
    let opened = app
        .request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await;
    opened.assert_status(StatusCode::OK);
    assert_eq!(opened.json()["state"], "open");
    World {
        sec,
        officers,
        cycle: id,
        activities,
    }
}

fn sub_path(w: &World, body: &str) -> String {
    format!("/api/v1/cycles/{}/submissions/{body}", w.cycle)
}

async fn read(app: &TestApp, token: &str, w: &World, body: &str) -> (Value, String) {
    let res = app.get_as(token, &sub_path(w, body)).await;
    res.assert_status(StatusCode::OK);
    let etag = res.header("etag").expect("etag").to_owned();
    (res.json(), etag)
}

async fn act(
    app: &TestApp,
    token: &str,
    w: &World,
    body: &str,
    action: &str,
    etag: &str,
    json_body: Option<Value>,
) -> TestResponse {
    let mut req = app
        .request(Method::POST, &format!("{}/{action}", sub_path(w, body)))
        .bearer(token)
        .header("if-match", etag);
    if let Some(b) = json_body {
        req = req.json(&b);
    }
    req.send().await
}

async fn save(
    app: &TestApp,
    token: &str,
    w: &World,
    body: &str,
    etag: &str,
    entries: Value,
) -> TestResponse {
    app.request(Method::PUT, &sub_path(w, body))
        .bearer(token)
        .header("if-match", etag)
        .json(&json!({ "entries": entries }))
        .send()
        .await
}

#[tokio::test]
async fn a_whole_cycle_runs_through_the_api() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let dgicm = &w.officers["DGICM"];
    let somtc = &w.officers["SOMTC"];

    // Every participating body has a row, started or not.
    let board = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{}/submissions", w.cycle),
        )
        .await
        .json();
    let bodies = app
        .get(&format!(
            "/api/v1/work-plans/{}/bodies?limit=200",
            plan_id()
        ))
        .await
        .json();
    assert_eq!(
        board["items"].as_array().expect("items").len(),
        bodies["items"].as_array().expect("items").len()
    );

    // Prefilled from the latest progress.
    let (mine, etag) = read(&app, &dgicm.token, &w, "DGICM").await;
    assert_eq!(mine["status"], "not_started");
    assert_eq!(mine["entries"].as_array().expect("entries").len(), 1);
    assert_eq!(mine["entries"][0]["status"], "at_risk");
    assert_eq!(mine["entries"][0]["narrative"], "Venue not yet confirmed");
    // Each entry is labelled with its activity's code and title.
    assert_eq!(mine["entries"][0]["activity_code"], "A.a.1");
    assert_eq!(mine["entries"][0]["activity_title"], "Activity A.a.1");

    // DGICM drafts and submits.
    let saved = save(&app, &dgicm.token, &w, "DGICM", &etag, json!([{"activity_id": w.activities[0].0, "status": "on_track", "percent_complete": 45, "narrative": "Venue confirmed in Manila"}])).await;
    saved.assert_status(StatusCode::OK);
    assert_eq!(saved.json()["status"], "draft");
    assert_eq!(saved.json()["author_id"], dgicm.id.to_string());
    let etag = saved.header("etag").expect("etag").to_owned();
    let submitted = act(&app, &dgicm.token, &w, "DGICM", "submit", &etag, None).await;
    submitted.assert_status(StatusCode::OK);
    assert_eq!(submitted.json()["submitter_id"], dgicm.id.to_string());
    assert_eq!(submitted.json()["late"], false);

    // SOMTC drafts both its entries and submits.
    let (_, etag) = read(&app, &somtc.token, &w, "SOMTC").await;
    let saved = save(&app, &somtc.token, &w, "SOMTC", &etag, json!([
        {"activity_id": w.activities[0].0, "status": "on_track", "narrative": "Co-hosting the workshop"},
        {"activity_id": w.activities[1].0, "status": "delayed", "narrative": "Awaiting funds", "challenges": "Budget cycle"}
    ])).await;
    saved.assert_status(StatusCode::OK);
    let etag = saved.header("etag").expect("etag").to_owned();
    act(&app, &somtc.token, &w, "SOMTC", "submit", &etag, None)
        .await
        .assert_status(StatusCode::OK);

    // The secretariat returns SOMTC's report with a reason; a reason is required.
    let (_, etag) = read(&app, &w.sec.token, &w, "SOMTC").await;
    act(
        &app,
        &w.sec.token,
        &w,
        "SOMTC",
        "return",
        &etag,
        Some(json!({"reason": "  "})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let returned = act(
        &app,
        &w.sec.token,
        &w,
        "SOMTC",
        "return",
        &etag,
        Some(json!({"reason": "Please quantify the delay"})),
    )
    .await;
    returned.assert_status(StatusCode::OK);
    let (seen, etag) = read(&app, &somtc.token, &w, "SOMTC").await;
    assert_eq!(seen["status"], "returned");
    assert_eq!(seen["return_reason"], "Please quantify the delay");
    assert_eq!(seen["reviewer_id"], w.sec.id.to_string());
    let saved = save(&app, &somtc.token, &w, "SOMTC", &etag, json!([{"activity_id": w.activities[1].0, "status": "delayed", "percent_complete": 10, "narrative": "Awaiting funds; three months behind"}])).await;
    saved.assert_status(StatusCode::OK);
    assert_eq!(
        saved.json()["status"],
        "returned",
        "editing a returned report keeps it returned"
    );
    let etag = saved.header("etag").expect("etag").to_owned();
    act(&app, &somtc.token, &w, "SOMTC", "submit", &etag, None)
        .await
        .assert_status(StatusCode::OK);

    // Everything is accepted; accepted reports are locked.
    for body in ["DGICM", "SOMTC"] {
        let (_, etag) = read(&app, &w.sec.token, &w, body).await;
        let accepted = act(&app, &w.sec.token, &w, body, "accept", &etag, None).await;
        accepted.assert_status(StatusCode::OK);
        let s = accepted.json();
        assert_eq!(s["status"], "accepted");
        assert_ne!(
            s["submitter_id"], s["reviewer_id"],
            "author, submitter and reviewer are kept apart"
        );
        let etag = accepted.header("etag").expect("etag").to_owned();
        let officer = &w.officers[body];
        save(&app, &officer.token, &w, body, &etag, json!([]))
            .await
            .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    let (somtc_report, _) = read(&app, &somtc.token, &w, "SOMTC").await;
    let actions: Vec<&str> = somtc_report["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["edit", "submit", "return", "edit", "submit", "accept"]
    );

    // The board shows ACW as not started; the report downloads in three formats.
    let board = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{}/submissions?status=accepted", w.cycle),
        )
        .await
        .json();
    assert_eq!(board["items"].as_array().expect("items").len(), 2);

    let report = app.get(&format!("/api/v1/cycles/{}/report", w.cycle)).await;
    report.assert_status(StatusCode::OK);
    let report = report.json();
    assert_eq!(
        report["totals"]["by_status"],
        json!({"delayed": 1, "on_track": 2})
    );
    let area_a = report["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|a| a["code"] == "A")
        .expect("area A")
        .clone();
    let bodies_a = area_a["activities"][0]["bodies"]
        .as_array()
        .expect("bodies")
        .clone();
    assert_eq!(bodies_a[0]["body"], "DGICM", "lead first");
    assert_eq!(
        bodies_a[0]["entry"]["narrative"],
        "Venue confirmed in Manila"
    );
    validate_against_openapi(&report, "CycleReport");

    let csv = app
        .request(Method::GET, &format!("/api/v1/cycles/{}/report", w.cycle))
        .header("accept", "text/csv")
        .send()
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    let text = String::from_utf8(csv.body.clone()).expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "activity_id");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(
        records.len(),
        3,
        "one row per activity x body: A.a.1 x 2, B.a.1 x 1"
    );
    let rows: Vec<(String, String, String)> = records
        .iter()
        .map(|r| (r[2].to_owned(), r[5].to_owned(), r[8].to_owned()))
        .collect();
    assert!(rows.contains(&("B.a.1".into(), "SOMTC".into(), "delayed".into())));
    assert!(
        records
            .iter()
            .all(|r| w.activities.iter().any(|(id, _, _)| id == &r[0])),
        "stable ids"
    );

    let xlsx = app
        .get(&format!("/api/v1/cycles/{}/report?format=xlsx", w.cycle))
        .await;
    xlsx.assert_status(StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body.clone())).expect("an xlsx");
    assert_eq!(book.sheet_names(), ["Summary", "Matrix"]);
    let matrix = book.worksheet_range("Matrix").expect("matrix");
    assert_eq!(matrix.height(), 4, "header and three rows");
    assert_eq!(
        matrix.get_value((0, 2)).map(|c| c.to_string()),
        Some("Code".into())
    );
    let cells: Vec<String> = matrix.rows().skip(1).map(|r| r[8].to_string()).collect();
    assert!(cells.contains(&"delayed".to_owned()));

    app.request(Method::GET, &format!("/api/v1/cycles/{}/report", w.cycle))
        .header("accept", "image/png")
        .send()
        .await
        .assert_problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");

    // Closing freezes the edition; nothing changes afterwards.
    app.get(&format!("/api/v1/cycles/{}/edition", w.cycle))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.request(Method::POST, &format!("/api/v1/cycles/{}/close", w.cycle))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let edition = app
        .get(&format!("/api/v1/cycles/{}/edition", w.cycle))
        .await
        .json();
    assert_eq!(
        edition["content"]["entries"]
            .as_array()
            .expect("entries")
            .len(),
        3
    );
    let expected = expected_edition_hash(&edition["content"]);
    assert_eq!(
        edition["sha256"], expected,
        "the hash is of the canonical content"
    );
    let (_, etag) = read(&app, &w.officers["ACW"].token, &w, "ACW").await;
    save(&app, &w.officers["ACW"].token, &w, "ACW", &etag, json!([]))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.request(Method::POST, &format!("/api/v1/cycles/{}/close", w.cycle))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert!(
        wpt_db::audit::verify(app.database())
            .await
            .expect("verify")
            .ok
    );
}

/// The edition's hash recomputed here from its content: canonical JSON (sorted keys, no
/// spaces), so the same data gives the same hash on any database.
fn expected_edition_hash(content: &Value) -> String {
    fn canonical(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                format!(
                    "{{{}}}",
                    keys.iter()
                        .map(|k| format!(
                            "{}:{}",
                            Value::String((*k).clone()),
                            canonical(&m[k.as_str()])
                        ))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            Value::Array(a) => format!(
                "[{}]",
                a.iter().map(canonical).collect::<Vec<_>>().join(",")
            ),
            other => other.to_string(),
        }
    }
    hex::encode(Sha256::digest(canonical(content).as_bytes()))
}

fn validate_against_openapi(instance: &Value, schema: &str) {
    let mut root: Value = serde_json::from_str(&wpt_api::openapi_json()).expect("json");
    root["$ref"] = json!(format!("#/components/schemas/{schema}"));
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::validator_for(&root).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema} does not match the OpenAPI schema: {errors:?}"
    );
}

#[tokio::test]
async fn the_edition_hash_changes_when_an_accepted_value_changes() {
    async fn run(narrative: &str) -> (String, Value) {
        let app = TestApp::spawn().await;
        let w = world(&app).await;
        let dgicm = &w.officers["DGICM"];
        let (_, etag) = read(&app, &dgicm.token, &w, "DGICM").await;
        let saved = save(&app, &dgicm.token, &w, "DGICM", &etag, json!([{"activity_id": w.activities[0].0, "status": "completed", "percent_complete": 100, "narrative": narrative}])).await;
        let etag = saved.header("etag").expect("etag").to_owned();
        let s = act(&app, &dgicm.token, &w, "DGICM", "submit", &etag, None).await;
        let etag = s.header("etag").expect("etag").to_owned();
        act(&app, &w.sec.token, &w, "DGICM", "accept", &etag, None)
            .await
            .assert_status(StatusCode::OK);
        app.request(Method::POST, &format!("/api/v1/cycles/{}/close", w.cycle))
            .bearer(&w.sec.token)
            .send()
            .await
            .assert_status(StatusCode::OK);
        let e = app
            .get(&format!("/api/v1/cycles/{}/edition", w.cycle))
            .await
            .json();
        (
            e["sha256"].as_str().expect("sha").to_owned(),
            e["content"].clone(),
        )
    }
    let (a, content_a) = run("Workshop held").await;
    let (b, content_b) = run("Workshop held").await;
    let (c, _) = run("Workshop held in Bangkok").await;
    assert_eq!(content_a, content_b);
    assert_eq!(
        a, b,
        "the same data gives the same edition, whatever ids the rows got"
    );
    assert_ne!(a, c, "any accepted value changes the hash");
    assert_eq!(a, expected_edition_hash(&content_a));
}

#[tokio::test]
async fn illegal_transitions_are_409_and_change_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let dgicm = &w.officers["DGICM"];
    let (before, etag) = read(&app, &w.sec.token, &w, "DGICM").await;
    // not_started: submit, return and accept are all invalid.
    act(&app, &dgicm.token, &w, "DGICM", "submit", &etag, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    act(&app, &w.sec.token, &w, "DGICM", "accept", &etag, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    act(
        &app,
        &w.sec.token,
        &w,
        "DGICM",
        "return",
        &etag,
        Some(json!({"reason": "x"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let (after, _) = read(&app, &w.sec.token, &w, "DGICM").await;
    assert_eq!(before, after, "nothing changed");
    // Wrong roles: 403 whatever the state.
    act(&app, &w.sec.token, &w, "DGICM", "submit", &etag, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    act(&app, &dgicm.token, &w, "DGICM", "accept", &etag, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    save(&app, &w.sec.token, &w, "DGICM", &etag, json!([]))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Stale and missing If-Match.
    let saved = save(
        &app,
        &dgicm.token,
        &w,
        "DGICM",
        &etag,
        json!([{"activity_id": w.activities[0].0, "status": "on_track", "narrative": "x"}]),
    )
    .await;
    saved.assert_status(StatusCode::OK);
    save(
        &app,
        &dgicm.token,
        &w,
        "DGICM",
        &etag,
        json!([{"activity_id": w.activities[0].0, "status": "delayed", "narrative": "y"}]),
    )
    .await
    .assert_problem(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    app.request(Method::POST, &format!("{}/submit", sub_path(&w, "DGICM")))
        .bearer(&dgicm.token)
        .send()
        .await
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "precondition_required");
    // Entries of activities outside the report, bad values.
    let etag = saved.header("etag").expect("etag").to_owned();
    let res = save(
        &app,
        &dgicm.token,
        &w,
        "DGICM",
        &etag,
        json!([{"activity_id": w.activities[1].0, "status": "on_track", "narrative": "x"}]),
    )
    .await;
    assert_eq!(res.error_fields(), ["entries[0].activity_id"]);
    let res = save(&app, &dgicm.token, &w, "DGICM", &etag, json!([{"activity_id": w.activities[0].0, "status": "on_track", "narrative": "x", "percent_complete": 150}])).await;
    assert_eq!(res.error_fields(), ["entries[0].percent_complete"]);
    // Opening twice.
    app.request(Method::POST, &format!("/api/v1/cycles/{}/open", w.cycle))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[tokio::test]
async fn other_bodies_and_viewers_see_only_what_they_may() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let dgicm = &w.officers["DGICM"];
    let acw = &w.officers["ACW"];
    let viewer = app.caller(Role::Viewer, None).await;
    // A draft is invisible to other bodies and viewers.
    let (_, etag) = read(&app, &dgicm.token, &w, "DGICM").await;
    let saved = save(&app, &dgicm.token, &w, "DGICM", &etag, json!([{"activity_id": w.activities[0].0, "status": "on_track", "narrative": "Draft text"}])).await;
    let etag = saved.header("etag").expect("etag").to_owned();
    app.get_as(&acw.token, &sub_path(&w, "DGICM"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    save(&app, &acw.token, &w, "DGICM", &etag, json!([]))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get_as(&viewer.token, &sub_path(&w, "DGICM"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Submitted: readable by other officers, not writable (403).
    let s = act(&app, &dgicm.token, &w, "DGICM", "submit", &etag, None).await;
    let etag = s.header("etag").expect("etag").to_owned();
    app.get_as(&acw.token, &sub_path(&w, "DGICM"))
        .await
        .assert_status(StatusCode::OK);
    save(&app, &acw.token, &w, "DGICM", &etag, json!([]))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get_as(&viewer.token, &sub_path(&w, "DGICM"))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Accepted: the viewer sees it.
    act(&app, &w.sec.token, &w, "DGICM", "accept", &etag, None)
        .await
        .assert_status(StatusCode::OK);
    app.get_as(&viewer.token, &sub_path(&w, "DGICM"))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn amendments_keep_the_original_beside_the_correction() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let dgicm = &w.officers["DGICM"];
    let (_, etag) = read(&app, &dgicm.token, &w, "DGICM").await;
    let saved = save(&app, &dgicm.token, &w, "DGICM", &etag, json!([{"activity_id": w.activities[0].0, "status": "on_track", "percent_complete": 40, "narrative": "Forty percent"}])).await;
    let propose = |token: String| {
        let (app, path, activity) = (
            &app,
            format!("{}/amendments", sub_path(&w, "DGICM")),
            w.activities[0].0.clone(),
        );
        async move {
            app.request(Method::POST, &path).bearer(&token)
                .json(&json!({"entry": {"activity_id": activity, "status": "on_track", "percent_complete": 55, "narrative": "Fifty-five percent"}, "reason": "Figures corrected after audit"}))
                .send().await
        }
    };
    propose(dgicm.token.clone())
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let etag = saved.header("etag").expect("etag").to_owned();
    let s = act(&app, &dgicm.token, &w, "DGICM", "submit", &etag, None).await;
    let etag = s.header("etag").expect("etag").to_owned();
    act(&app, &w.sec.token, &w, "DGICM", "accept", &etag, None)
        .await
        .assert_status(StatusCode::OK);

    propose(w.officers["SOMTC"].token.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let proposed = propose(dgicm.token.clone()).await;
    proposed.assert_status(StatusCode::CREATED);
    let a = proposed.json();
    assert_eq!(a["original"]["percent_complete"], 40);
    assert_eq!(a["proposed"]["percent_complete"], 55);
    let id = a["id"].as_str().expect("id");
    app.request(Method::POST, &format!("/api/v1/amendments/{id}/accept"))
        .bearer(&dgicm.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // A note too long for the body to read is refused, and nothing is decided.
    let long = app
        .request(Method::POST, &format!("/api/v1/amendments/{id}/accept"))
        .bearer(&w.sec.token)
        .json(&json!({"note": "x".repeat(5001)}))
        .send()
        .await;
    long.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(long.text().contains("note"), "{}", long.text());
    let decided = app
        .request(Method::POST, &format!("/api/v1/amendments/{id}/accept"))
        .bearer(&w.sec.token)
        .json(&json!({"note": "Agreed"}))
        .send()
        .await;
    decided.assert_status(StatusCode::OK);
    assert_eq!(decided.json()["status"], "accepted");
    app.request(Method::POST, &format!("/api/v1/amendments/{id}/reject"))
        .bearer(&w.sec.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let (report, _) = read(&app, &dgicm.token, &w, "DGICM").await;
    assert_eq!(report["entries"][0]["percent_complete"], 55);
    assert_eq!(report["entries"][0]["amended"], true);
    let list = app
        .get_as(
            &w.sec.token,
            &format!("{}/amendments", sub_path(&w, "DGICM")),
        )
        .await
        .json();
    assert_eq!(
        list["items"][0]["original"]["narrative"], "Forty percent",
        "the original stays visible"
    );
}

#[tokio::test]
async fn cycle_schedules_are_validated() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let base = json!({"work_plan_id": plan_id(), "kind": "ammtc", "name": "20th AMMTC", "meeting_date": "2026-09-15",
                      "period_start": "2025-07-01", "period_end": "2026-06-30", "opens_on": "2026-06-01"});
    for (change, field) in [
        (json!({"period_end": "2025-01-01"}), "period_end"),
        (json!({"due_on": "2026-05-01"}), "due_on"),
        (json!({"due_on": "2026-09-20"}), "due_on"),
        (json!({"kind": "summit"}), "kind"),
        (
            json!({"work_plan_id": uuid::Uuid::new_v4()}),
            "work_plan_id",
        ),
    ] {
        let mut body = base.clone();
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let res = app
            .request(Method::POST, "/api/v1/cycles")
            .bearer(&sec.token)
            .json(&body)
            .send()
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            res.error_fields().contains(&field.to_owned()),
            "{field}: {:?}",
            res.error_fields()
        );
    }
    let ok = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&base)
        .send()
        .await;
    ok.assert_status(StatusCode::CREATED);
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    app.request(Method::POST, "/api/v1/cycles")
        .bearer(&officer.token)
        .json(&base)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn with_the_demo_a_full_cycle_runs_from_opening_to_the_edition() {
    let app = TestApp::spawn().await;
    let demo = wpt_db::seed::demo(app.database(), &app.state.auth.hasher)
        .await
        .expect("demo");
    let login = |email: String| {
        let (app, password) = (&app, demo.password.clone());
        async move {
            app.login(&email, &password).await.json()["access_token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };
    let sec = login("secretariat@demo.wpt".into()).await;
    let cycle = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "27th SOMTC", "meeting_date": "2099-06-15", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await
        .json();
    let id = cycle["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec)
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Every body with activities drafts (keeping the prefilled entries) and submits.
    let board = app
        .get_as(&sec, &format!("/api/v1/cycles/{id}/submissions"))
        .await
        .json();
    let mut reporting = Vec::new();
    for row in board["items"].as_array().expect("items") {
        if row["entries"].as_i64().unwrap_or(0) == 0 {
            continue;
        }
        let body = row["body"].as_str().expect("body").to_owned();
        let token = login(format!("officer.{}@demo.wpt", body.to_lowercase())).await;
        let path = format!("/api/v1/cycles/{id}/submissions/{body}");
        let report = app.get_as(&token, &path).await;
        let etag = report.header("etag").expect("etag").to_owned();
        let entries: Vec<Value> = report.json()["entries"].as_array().expect("entries").iter().map(|e| json!({
            "activity_id": e["activity_id"], "status": e["status"], "percent_complete": e["percent_complete"],
            "narrative": if e["narrative"].as_str().unwrap_or("").is_empty() { json!("Reported for the cycle") } else { e["narrative"].clone() },
        })).collect();
        let saved = app
            .request(Method::PUT, &path)
            .bearer(&token)
            .header("if-match", &etag)
            .json(&json!({"entries": entries}))
            .send()
            .await;
        saved.assert_status(StatusCode::OK);
        let etag = saved.header("etag").expect("etag").to_owned();
        app.request(Method::POST, &format!("{path}/submit"))
            .bearer(&token)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
        reporting.push((body, token));
    }
    assert!(
        reporting.len() >= 5,
        "the demo has several reporting bodies"
    );

    // One is returned with a reason, fixed and resubmitted; then all are accepted.
    let (first, token) = reporting[0].clone();
    let path = format!("/api/v1/cycles/{id}/submissions/{first}");
    let etag = app
        .get_as(&sec, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::POST, &format!("{path}/return"))
        .bearer(&sec)
        .header("if-match", &etag)
        .json(&json!({"reason": "Add the workshop dates"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let seen = app.get_as(&token, &path).await;
    assert_eq!(seen.json()["return_reason"], "Add the workshop dates");
    let etag = seen.header("etag").expect("etag").to_owned();
    app.request(Method::POST, &format!("{path}/submit"))
        .bearer(&token)
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(StatusCode::OK);
    for (body, _) in &reporting {
        let path = format!("/api/v1/cycles/{id}/submissions/{body}");
        let etag = app
            .get_as(&sec, &path)
            .await
            .header("etag")
            .expect("etag")
            .to_owned();
        app.request(Method::POST, &format!("{path}/accept"))
            .bearer(&sec)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/close"))
        .bearer(&sec)
        .send()
        .await
        .assert_status(StatusCode::OK);

    let json_report = app
        .get_as(&sec, &format!("/api/v1/cycles/{id}/report"))
        .await
        .json();
    let accepted: i64 = json_report["totals"]["by_status"]
        .as_object()
        .expect("by_status")
        .values()
        .filter_map(Value::as_i64)
        .sum();
    let csv = app
        .get_as(&sec, &format!("/api/v1/cycles/{id}/report?format=csv"))
        .await;
    let rows = csv::Reader::from_reader(csv.body.as_slice())
        .records()
        .count() as i64;
    assert_eq!(accepted, rows, "every activity x body row is accepted");
    let xlsx = app
        .get_as(&sec, &format!("/api/v1/cycles/{id}/report?format=xlsx"))
        .await;
    xlsx.assert_status(StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body.clone())).expect("an xlsx");
    assert_eq!(
        book.worksheet_range("Matrix").expect("matrix").height() as i64,
        rows + 1
    );
    let edition = app
        .get(&format!("/api/v1/cycles/{id}/edition"))
        .await
        .json();
    assert_eq!(
        edition["content"]["entries"]
            .as_array()
            .expect("entries")
            .len() as i64,
        rows
    );
    assert_eq!(
        edition["sha256"],
        expected_edition_hash(&edition["content"])
    );
}

//! Constant-memory reports (issue 21): the JSON and CSV are written to the socket a page
//! of activities at a time, and say exactly what the whole report said; the rows read
//! in pages are the rows read at once; the XLSX's Late and Missing cells follow the
//! board (issue 24).

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};
use wpt_db::cycles::{ReportOrder, ReportPages, report_rows};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

/// The activities of the test: code, title, lead, cooperating bodies; in no order, over
/// three areas, one of them with an activity whose code sorts before another area's.
const ACTIVITIES: [(&str, &str, &str, &[&str]); 4] = [
    ("B.a.1", "Shelter standards", "DGICM", &["ACW"]),
    (
        "A.b.2",
        "Hotline \"1300\", = formula-looking",
        "ACW",
        &["SLOM", "DGICM"],
    ),
    ("A.a.1", "Border campaign", "DGICM", &[]),
    ("C.a.1", "Joint investigations", "SLOM", &["DGICM"]),
];

/// What a body reports on an activity: status, percent and narrative.
fn entry_of(body: &str, code: &str) -> (&'static str, i64, String) {
    let status = match (body, code) {
        ("DGICM", "A.a.1") => "completed",
        ("DGICM", _) => "on_track",
        ("ACW", "A.b.2") => "at_risk",
        _ => "delayed",
    };
    let percent = match status {
        "completed" => 100,
        "on_track" => 60,
        "at_risk" => 30,
        _ => 10,
    };
    (
        status,
        percent,
        format!("{body} on {code}: ไทย · Tiếng Việt"),
    )
}

async fn create_activities(app: &TestApp, sec: &Caller) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for (code, title, lead, cooperating) in ACTIVITIES {
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/work-plans/{}/activities", plan_id()),
            )
            .bearer(&sec.token)
            .json(&json!({"area": &code[..1], "code": code, "title": title,
                          "actip_reference": format!("Ref {code}"), "lead_body": lead,
                          "cooperating_bodies": cooperating}))
            .send()
            .await;
        res.assert_status(StatusCode::CREATED);
        ids.insert(
            code.to_owned(),
            res.json()["id"].as_str().expect("id").to_owned(),
        );
    }
    ids
}

/// Saves the body's entries (as [`entry_of`] says) and submits; when `accept`, the
/// secretariat accepts.
async fn report(
    app: &TestApp,
    sec: &Caller,
    cycle: &str,
    body: &str,
    ids: &BTreeMap<String, String>,
    accept: bool,
) {
    let officer = app.caller(Role::Officer, Some(body)).await;
    let path = format!("/api/v1/cycles/{cycle}/submissions/{body}");
    let seen = app.get_as(&officer.token, &path).await;
    seen.assert_status(StatusCode::OK);
    let entries: Vec<Value> = ACTIVITIES
        .iter()
        .filter(|(_, _, lead, coop)| *lead == body || coop.contains(&body))
        .map(|(code, ..)| {
            let (status, percent, narrative) = entry_of(body, code);
            json!({"activity_id": ids[*code], "status": status, "percent_complete": percent,
                   "narrative": narrative})
        })
        .collect();
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&officer.token)
        .header("if-match", seen.header("etag").expect("etag"))
        .json(&json!({ "entries": entries }))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    app.request(Method::POST, &format!("{path}/submit"))
        .bearer(&officer.token)
        .header("if-match", saved.header("etag").expect("etag"))
        .send()
        .await
        .assert_status(StatusCode::OK);
    if accept {
        let seen = app.get_as(&sec.token, &path).await;
        app.request(Method::POST, &format!("{path}/accept"))
            .bearer(&sec.token)
            .header("if-match", seen.header("etag").expect("etag"))
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
}

/// The bodies of an activity in the report's order: the lead, then the others by code.
fn bodies_of(code: &str) -> Vec<(&'static str, &'static str)> {
    let (_, _, lead, coop) = ACTIVITIES
        .iter()
        .find(|(c, ..)| *c == code)
        .expect("an activity of the test");
    let mut coop: Vec<&'static str> = coop.to_vec();
    coop.sort();
    std::iter::once((*lead, "lead"))
        .chain(coop.into_iter().map(|b| (b, "cooperating")))
        .collect()
}

#[tokio::test]
async fn the_streamed_json_and_csv_say_what_the_whole_report_said() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let ids = create_activities(&app, &sec).await;
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "31st SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    // DGICM and ACW are accepted; SLOM submits but is not accepted yet.
    report(&app, &sec, &cycle, "DGICM", &ids, true).await;
    report(&app, &sec, &cycle, "ACW", &ids, true).await;
    report(&app, &sec, &cycle, "SLOM", &ids, false).await;
    let accepted = |body: &str| body == "DGICM" || body == "ACW";

    // The JSON, computed from what was submitted.
    let res = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/report"))
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let doc = res.json();
    // A second identical request is the same bytes, from the cache (no render).
    let rendered = app.state.reports.rendered();
    let again = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/report"))
        .await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.body, res.body);
    assert_eq!(app.state.reports.rendered(), rendered);
    let keys: Vec<&str> = doc
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys = vec![
        "areas",
        "cycle",
        "generated_at",
        "late_bodies",
        "missing_bodies",
        "totals",
    ];
    expected_keys.sort();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, expected_keys, "the document's fields");
    assert_eq!(doc["cycle"]["id"], cycle.as_str());

    let mut codes: Vec<&str> = ACTIVITIES.iter().map(|(c, ..)| *c).collect();
    codes.sort();
    let mut expected_areas: Vec<Value> = Vec::new();
    let mut by_area: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    for area in ["A", "B", "C"] {
        let mut activities = Vec::new();
        for code in codes.iter().filter(|c| c.starts_with(area)) {
            let (_, title, ..) = ACTIVITIES.iter().find(|(c, ..)| c == code).expect("known");
            let mut bodies = Vec::new();
            for (body, role) in bodies_of(code) {
                let t = by_area.entry(area.to_owned()).or_default();
                t.0 += 1;
                let status = if accepted(body) {
                    "accepted"
                } else {
                    "submitted"
                };
                let entry = if accepted(body) {
                    t.1 += 1;
                    let (s, p, n) = entry_of(body, code);
                    *by_status.entry(s.to_owned()).or_default() += 1;
                    json!({"status": s, "percent_complete": p, "narrative": n})
                } else {
                    Value::Null
                };
                bodies.push(json!({"body": body, "role": role, "submission_status": status, "entry": entry}));
            }
            activities.push(json!({"id": ids[*code], "code": code, "title": title,
                                   "actip_reference": format!("Ref {code}"), "bodies": bodies}));
        }
        expected_areas.push(json!({"code": area, "activities": activities}));
    }
    let areas = doc["areas"].as_array().expect("areas");
    assert_eq!(areas.len(), 3, "{doc}");
    for (got, want) in areas.iter().zip(&expected_areas) {
        assert_eq!(got["code"], want["code"]);
        assert!(got["title"].as_str().is_some_and(|t| !t.is_empty()));
        let got_activities = got["activities"].as_array().expect("activities");
        let want_activities = want["activities"].as_array().expect("activities");
        assert_eq!(got_activities.len(), want_activities.len(), "{got}");
        for (g, w) in got_activities.iter().zip(want_activities) {
            for key in ["id", "code", "title", "actip_reference"] {
                assert_eq!(g[key], w[key], "{key} of {}", w["code"]);
            }
            let gb = g["bodies"].as_array().expect("bodies");
            let wb = w["bodies"].as_array().expect("bodies");
            assert_eq!(gb.len(), wb.len(), "{g}");
            for (g, w) in gb.iter().zip(wb) {
                for key in ["body", "role", "submission_status"] {
                    assert_eq!(g[key], w[key], "{key}: {g}");
                }
                if w["entry"].is_null() {
                    assert!(g["entry"].is_null(), "{g}");
                } else {
                    for key in ["status", "percent_complete", "narrative"] {
                        assert_eq!(g["entry"][key], w["entry"][key], "{key}: {g}");
                    }
                }
            }
        }
    }
    for (area, (rows, accepted)) in &by_area {
        assert_eq!(doc["totals"]["by_area"][area]["rows"], *rows, "{area}");
        assert_eq!(
            doc["totals"]["by_area"][area]["accepted"], *accepted,
            "{area}"
        );
    }
    assert_eq!(doc["totals"]["by_status"], json!(by_status));
    let board = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    assert_eq!(doc["totals"]["by_body"], board["items"]);

    // And exactly what the report built whole from all its rows says.
    let db = app.database();
    let rows = report_rows(db.conn(), cycle.parse().expect("uuid"))
        .await
        .expect("rows");
    let whole_cycle = wpt_db::cycles::get(db, cycle.parse().expect("uuid"))
        .await
        .expect("cycle");
    let mut whole =
        serde_json::to_value(wpt_api::report::build(whole_cycle, &rows, Vec::new())).expect("json");
    // The board's part, as the board says it.
    let items = board["items"].as_array().expect("items");
    let flagged = |key: &str| -> Value {
        items
            .iter()
            .filter(|i| i[key] == true)
            .map(|i| i["body"].clone())
            .collect()
    };
    whole["totals"]["by_body"] = board["items"].clone();
    whole["late_bodies"] = flagged("late");
    whole["missing_bodies"] = flagged("missing");
    let mut streamed = doc.clone();
    whole["generated_at"] = Value::Null;
    streamed["generated_at"] = Value::Null;
    assert_eq!(streamed, whole);

    // Read in pages of one activity, the rows are those read at once, in the same order.
    let mut pages = ReportPages::open(
        db.conn(),
        cycle.parse().expect("uuid"),
        ReportOrder::Code,
        1,
    )
    .await
    .expect("pages");
    let mut paged = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next(db.conn()).await.expect("a page") {
        paged.extend(page);
        count += 1;
    }
    assert!(count >= 4, "{count} pages");
    let key = |r: &wpt_db::cycles::ReportRow| {
        (
            r.activity_id,
            r.body.clone(),
            r.role.clone(),
            r.submission_status,
            r.entry
                .as_ref()
                .map(|e| (e.status, e.percent_complete, e.narrative.clone())),
        )
    };
    assert_eq!(
        paged.iter().map(key).collect::<Vec<_>>(),
        rows.iter().map(key).collect::<Vec<_>>()
    );

    // The CSV: one row per activity x body, by activity code.
    let res = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=csv"),
        )
        .await;
    res.assert_status(StatusCode::OK);
    let mut csv = csv::Reader::from_reader(res.body.as_slice());
    let header: Vec<String> = csv
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("a record")).collect();
    let expected: Vec<(&str, &str, &str)> = codes
        .iter()
        .flat_map(|code| bodies_of(code).into_iter().map(move |(b, r)| (*code, b, r)))
        .collect();
    assert_eq!(records.len(), expected.len());
    for (rec, (code, body, role)) in records.iter().zip(&expected) {
        assert_eq!(&rec[col("activity_code")], *code);
        assert_eq!(&rec[col("activity_id")], ids[*code].as_str());
        assert_eq!(&rec[col("area")], &code[..1]);
        assert_eq!(&rec[col("body")], *body);
        assert_eq!(&rec[col("role")], *role);
        if accepted(body) {
            let (s, p, n) = entry_of(body, code);
            assert_eq!(&rec[col("submission_status")], "accepted");
            assert_eq!(&rec[col("status")], s);
            assert_eq!(&rec[col("percent_complete")], p.to_string());
            assert_eq!(&rec[col("narrative")], n);
        } else {
            assert_eq!(&rec[col("submission_status")], "submitted");
            assert_eq!(&rec[col("status")], "");
            assert_eq!(&rec[col("narrative")], "");
        }
    }
    // Quotes and commas survive the CSV.
    let title = records
        .iter()
        .find(|r| &r[col("activity_code")] == "A.b.2")
        .expect("A.b.2")[col("activity_title")]
    .to_owned();
    assert_eq!(title, "Hotline \"1300\", = formula-looking");

    // The pages' CSV streams the same rows, after a byte-order mark.
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let page = app
        .web_get(Some(&cookie), &format!("/ui/cycles/{cycle}/report.csv"))
        .await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.starts_with(&[0xef, 0xbb, 0xbf]));
    let mut readable = csv::Reader::from_reader(&page.body[3..]);
    assert_eq!(readable.records().count(), expected.len());

    // An activity moved to another area while the report is read in area order comes
    // in the area the order put it in: each area is one run of rows (the JSON opens
    // each area once), as the report built whole merged them.
    let mut pages = ReportPages::open(
        db.conn(),
        cycle.parse().expect("uuid"),
        ReportOrder::Area,
        1,
    )
    .await
    .expect("pages");
    let first = pages.next(db.conn()).await.expect("a page").expect("rows");
    assert_eq!(first[0].activity_code, "A.a.1");
    let mut areas: Vec<String> = first.iter().map(|r| r.area.clone()).collect();
    let moved = format!("/api/v1/activities/{}", ids["C.a.1"]);
    let seen = app.get_as(&sec.token, &moved).await;
    app.request(Method::PATCH, &moved)
        .bearer(&sec.token)
        .header("if-match", seen.header("etag").expect("etag"))
        .json(&json!({"area": "A"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let mut codes_read = vec![first[0].activity_code.clone()];
    while let Some(page) = pages.next(db.conn()).await.expect("a page") {
        areas.extend(page.iter().map(|r| r.area.clone()));
        codes_read.extend(page.iter().map(|r| r.activity_code.clone()));
    }
    areas.dedup();
    assert_eq!(areas, ["A", "B", "C"]);
    codes_read.dedup();
    assert_eq!(codes_read, ["A.a.1", "A.b.2", "B.a.1", "C.a.1"]);
}

#[tokio::test]
async fn downloads_the_client_does_not_read_hold_no_render_slot() {
    use tower::ServiceExt;
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    create_activities(&app, &sec).await;
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "Stalled", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    let slots = app.state.reports.slots().clone();
    let total = u32::try_from(slots.available_permits()).expect("few");
    // As many JSON and CSV downloads as there are slots, none of them read: each is a
    // render (an answer never read whole is never cached).
    let mut stalled = Vec::new();
    for i in 0..total {
        let format = if i % 2 == 0 { "json" } else { "csv" };
        let request = axum::http::Request::builder()
            .uri(format!("/api/v1/cycles/{cycle}/report?format={format}"))
            .header("authorization", format!("Bearer {}", sec.token))
            .body(axum::body::Body::empty())
            .expect("a request");
        let response = app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        stalled.push(response);
    }
    // Their reads are done, so every slot comes back while their clients still wait
    // (the bound only keeps a broken build from hanging the suite).
    let all = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        slots.clone().acquire_many_owned(total),
    )
    .await
    .expect("the stalled downloads gave their slots back")
    .expect("slots");
    drop(all);
    // And another report renders.
    app.get_as(
        &sec.token,
        &format!("/api/v1/cycles/{cycle}/report?format=csv"),
    )
    .await
    .assert_status(StatusCode::OK);
    drop(stalled);
}

#[tokio::test]
async fn a_report_of_a_cycle_that_does_not_exist_is_a_problem_before_any_byte() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    for format in ["json", "csv", "xlsx", "docx"] {
        let res = app
            .get_as(
                &sec.token,
                &format!(
                    "/api/v1/cycles/{}/report?format={format}",
                    uuid::Uuid::now_v7()
                ),
            )
            .await;
        res.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(
            res.header("content-type"),
            Some("application/problem+json"),
            "{format}"
        );
    }
}

#[tokio::test]
async fn the_xlsx_fills_late_and_missing_for_every_body_as_the_board_says() {
    let app = TestApp::spawn().await;
    // Due three days ago: DGICM submits now (late); the others have not (missing).
    let (sec, cycle) = crate::extensions::overdue_cycle(&app).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let seen = app.get_as(&dgicm.token, &path).await;
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", seen.header("etag").expect("etag"))
        .json(&json!({"entries": []}))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    app.request(Method::POST, &format!("{path}/submit"))
        .bearer(&dgicm.token)
        .header("if-match", saved.header("etag").expect("etag"))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let check = |board: Value, xlsx: Vec<u8>| {
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an xlsx");
        let summary = book.worksheet_range("Summary").expect("summary");
        let rows: Vec<Vec<String>> = summary
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let head = rows
            .iter()
            .position(|r| r.first().is_some_and(|c| c == "Body"))
            .expect("the bodies' header");
        assert_eq!(rows[head][..4], ["Body", "Submission", "Late", "Missing"]);
        let items = board["items"].as_array().expect("items").clone();
        assert!(items.len() > 2, "{board}");
        let yes = |v: &Value| {
            if v.as_bool().expect("a flag") {
                "Yes"
            } else {
                "No"
            }
        };
        for item in &items {
            let body = item["body"].as_str().expect("body");
            let row = rows[head + 1..]
                .iter()
                .find(|r| r.first().is_some_and(|c| c == body))
                .unwrap_or_else(|| panic!("{body} on the summary"));
            assert_eq!(row[1], item["status"].as_str().expect("status"), "{body}");
            assert_eq!(row[2], yes(&item["late"]), "{body} late");
            assert_eq!(row[3], yes(&item["missing"]), "{body} missing");
        }
        items
    };
    let board = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    let items = check(board, xlsx_of(&app, &sec, &cycle).await);
    let flag = |body: &str, key: &str| {
        items
            .iter()
            .find(|i| i["body"] == body)
            .map(|i| i[key].clone())
            .unwrap_or_else(|| panic!("{body}"))
    };
    assert_eq!(flag("DGICM", "late"), true);
    assert_eq!(flag("DGICM", "missing"), false);
    assert_eq!(flag("ACW", "late"), false);
    assert_eq!(flag("ACW", "missing"), true);

    // Closed: a body that never submitted stays missing, on the board and in the XLSX.
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/close"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let board = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    let items = check(board, xlsx_of(&app, &sec, &cycle).await);
    let missing: Vec<&str> = items
        .iter()
        .filter(|i| i["missing"] == true)
        .filter_map(|i| i["body"].as_str())
        .collect();
    assert!(missing.contains(&"ACW"), "{missing:?}");
    assert!(!missing.contains(&"DGICM"), "{missing:?}");
    let report = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/report"))
        .await
        .json();
    assert_eq!(report["missing_bodies"], json!(missing));
}

/// The XLSX report's bytes.
async fn xlsx_of(app: &TestApp, sec: &Caller, cycle: &str) -> Vec<u8> {
    let res = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=xlsx"),
        )
        .await;
    res.assert_status(StatusCode::OK);
    res.body
}

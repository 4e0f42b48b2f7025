//! Trends across cycles (issue 19): figures checked against what this test computes
//! itself from the reports it made over three cycles (one body late, one extended, one
//! returned twice), accepted data only, the same for every reader, and a constant
//! number of queries whatever the number of cycles.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";
const BODIES: [&str; 3] = ["ACW", "DGICM", "SOMTC"];

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

struct World {
    sec: Caller,
    officers: BTreeMap<&'static str, Caller>,
    /// (id, code) of the activities each body leads; A.a.1 also has SOMTC cooperating.
    activities: Vec<(String, String)>,
    indicator: String,
    today: NaiveDate,
}

async fn world(app: &TestApp) -> World {
    let sec = app.caller(Role::Secretariat, None).await;
    let mut officers = BTreeMap::new();
    for body in BODIES {
        officers.insert(body, app.caller(Role::Officer, Some(body)).await);
    }
    let mut activities = Vec::new();
    for (code, lead, coop) in [
        ("A.a.1", "DGICM", vec!["SOMTC"]),
        ("B.a.1", "SOMTC", vec![]),
        ("D.a.1", "ACW", vec![]),
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
        ));
    }
    let res = app
        .request(Method::POST, &format!("/api/v1/activities/{}/indicators", activities[0].0))
        .bearer(&sec.token)
        .json(&json!({"name": "Officers trained", "measure": "number", "baseline": "0", "target": "100"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    World {
        sec,
        officers,
        indicator: res.json()["id"].as_str().expect("id").to_owned(),
        activities,
        today: Utc::now().date_naive(),
    }
}

/// A cycle due `due` days from today, meeting `meeting` days from today, covering
/// `period`; opened.
async fn cycle(
    app: &TestApp,
    w: &World,
    name: &str,
    due: i64,
    meeting: i64,
    period: (&str, &str),
) -> String {
    let d = |n: i64| (w.today + Duration::days(n)).to_string();
    let res = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&w.sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": name, "meeting_date": d(meeting),
                      "period_start": period.0, "period_end": period.1, "opens_on": d(-200),
                      "due_on": d(due), "review_due_on": d(meeting)}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let id = res.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    id
}

async fn step(
    app: &TestApp,
    token: &str,
    cycle: &str,
    body: &str,
    action: &str,
    payload: Option<Value>,
) {
    let sub = format!("/api/v1/cycles/{cycle}/submissions/{body}");
    let read = app.get_as(token, &sub).await;
    read.assert_status(StatusCode::OK);
    let etag = read.header("etag").expect("etag").to_owned();
    let (method, path) = match action {
        "save" => (Method::PUT, sub.clone()),
        _ => (Method::POST, format!("{sub}/{action}")),
    };
    let mut req = app
        .request(method, &path)
        .bearer(token)
        .header("if-match", &etag);
    if let Some(p) = payload {
        req = req.json(&p);
    }
    let res = req.send().await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{action} {body}: {}",
        res.text()
    );
}

/// The body's officer reports `status`/`percent` on each of its entries and submits.
async fn report(app: &TestApp, w: &World, cycle: &str, body: &str, values: &[(&str, i32)]) {
    let token = &w.officers[body].token;
    let sub = app
        .get_as(token, &format!("/api/v1/cycles/{cycle}/submissions/{body}"))
        .await
        .json();
    let entries: Vec<Value> = sub["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (status, percent) = values[i % values.len()];
            json!({"activity_id": e["activity_id"], "status": status, "percent_complete": percent, "narrative": "Reported"})
        })
        .collect();
    step(
        app,
        token,
        cycle,
        body,
        "save",
        Some(json!({"entries": entries})),
    )
    .await;
    step(app, token, cycle, body, "submit", None).await;
}

/// `body`'s officer records (or changes) an actual of the indicator, answered `status`.
async fn actual(app: &TestApp, w: &World, body: &str, period: (&str, &str), v: &str, status: u16) {
    app.request(
        Method::POST,
        &format!("/api/v1/indicators/{}/actuals", w.indicator),
    )
    .bearer(&w.officers[body].token)
    .json(&json!({"period_start": period.0, "period_end": period.1, "value": v}))
    .send()
    .await
    .assert_status(StatusCode::from_u16(status).expect("status"));
}

async fn accept(app: &TestApp, w: &World, cycle: &str, body: &str) {
    step(app, &w.sec.token, cycle, body, "accept", None).await;
}

async fn give_back(app: &TestApp, w: &World, cycle: &str, body: &str) {
    step(
        app,
        &w.sec.token,
        cycle,
        body,
        "return",
        Some(json!({"reason": "Add the evidence"})),
    )
    .await;
}

/// What the test expects, from the accepted reports as the API serves them.
#[derive(Default)]
struct Expected {
    /// cycle -> status -> count
    counts: BTreeMap<String, BTreeMap<String, i64>>,
    /// cycle -> area -> status -> count
    areas: BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>,
    /// body -> [(cycle, due, extended, submitted_on, days_late, review_days)]
    records: BTreeMap<String, Vec<Record>>,
    /// activity A.a.1: cycle -> body -> (status, percent)
    line: BTreeMap<String, BTreeMap<String, (String, i64)>>,
}

/// (cycle, due, extended, submitted_on, days_late, review_days)
type Record = (String, NaiveDate, bool, NaiveDate, i64, f64);

fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn expect_accepted(app: &TestApp, w: &World, e: &mut Expected, cycle: &str, body: &str) {
    let sub = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{cycle}/submissions/{body}"),
        )
        .await
        .json();
    assert_eq!(sub["status"], "accepted");
    let board = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    let row = board["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["body"] == body)
        .expect("row")
        .clone();
    let cycle_row = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{cycle}"))
        .await
        .json();
    let cycle_due: NaiveDate = cycle_row["due_on"]
        .as_str()
        .expect("due")
        .parse()
        .expect("date");
    let extended: Option<NaiveDate> = row["extended_due_on"]
        .as_str()
        .map(|d| d.parse().expect("date"));
    let due = extended.unwrap_or(cycle_due);
    let submitted: DateTime<Utc> = sub["submitted_at"]
        .as_str()
        .expect("submitted")
        .parse()
        .expect("time");
    let reviewed: DateTime<Utc> = sub["reviewed_at"]
        .as_str()
        .expect("reviewed")
        .parse()
        .expect("time");
    let submitted_on = submitted.date_naive();
    let late = (submitted_on - due).num_days().max(0);
    let review = hundredths((reviewed - submitted).num_seconds() as f64 / 86_400.0);
    e.records.entry(body.to_owned()).or_default().push((
        cycle.to_owned(),
        due,
        extended.is_some(),
        submitted_on,
        late,
        review,
    ));
    for entry in sub["entries"].as_array().expect("entries") {
        let status = entry["status"].as_str().expect("status").to_owned();
        let code = entry["activity_code"].as_str().expect("code");
        *e.counts
            .entry(cycle.to_owned())
            .or_default()
            .entry(status.clone())
            .or_default() += 1;
        *e.areas
            .entry(cycle.to_owned())
            .or_default()
            .entry(code[..1].to_owned())
            .or_default()
            .entry(status.clone())
            .or_default() += 1;
        if code == "A.a.1" {
            e.line.entry(cycle.to_owned()).or_default().insert(
                body.to_owned(),
                (status, entry["percent_complete"].as_i64().expect("percent")),
            );
        }
    }
}

fn counts_of(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .expect("counts")
        .iter()
        .filter(|(_, n)| n.as_i64() != Some(0))
        .map(|(k, n)| (k.clone(), n.as_i64().expect("n")))
        .collect()
}

#[tokio::test]
async fn trends_match_what_the_accepted_reports_say_over_three_cycles() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let mut e = Expected::default();
    let plan_trends = format!("/api/v1/work-plans/{}/trends", plan_id());
    let activity_trend = format!("/api/v1/activities/{}/trend", w.activities[0].0);
    let series = format!("/api/v1/indicators/{}/series", w.indicator);

    // Cycle 1: everyone on time.
    let c1 = cycle(&app, &w, "Cycle one", 10, 12, ("2025-01-01", "2025-06-30")).await;
    report(&app, &w, &c1, "DGICM", &[("on_track", 30)]).await;
    report(&app, &w, &c1, "SOMTC", &[("at_risk", 10), ("on_track", 20)]).await;
    report(&app, &w, &c1, "ACW", &[("not_started", 0)]).await;
    // Actuals count once recorded before the body's report is accepted.
    let h1 = ("2025-01-01", "2025-06-30");
    actual(&app, &w, "DGICM", h1, "20", 201).await;
    actual(&app, &w, "SOMTC", h1, "3", 201).await;
    for body in BODIES {
        accept(&app, &w, &c1, body).await;
        expect_accepted(&app, &w, &mut e, &c1, body).await;
    }
    // Statements for one cycle, to compare with three below.
    let mut one_cycle = Vec::new();
    for path in [&plan_trends, &activity_trend, &series] {
        let (res, n) = app.count_statements(app.get_as(&w.sec.token, path)).await;
        res.assert_status(StatusCode::OK);
        one_cycle.push(n);
    }
    app.request(Method::POST, &format!("/api/v1/cycles/{c1}/close"))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Cycle 2: due three days ago. DGICM late; SOMTC extended to next week; ACW
    // returned twice (and late).
    let c2 = cycle(&app, &w, "Cycle two", -3, 20, ("2025-07-01", "2025-12-31")).await;
    let ext_day = w.today + Duration::days(5);
    {
        let sub = format!("/api/v1/cycles/{c2}/submissions/SOMTC");
        let etag = app
            .get_as(&w.sec.token, &sub)
            .await
            .header("etag")
            .expect("etag")
            .to_owned();
        app.request(Method::POST, &format!("{sub}/extension"))
            .bearer(&w.sec.token)
            .header("if-match", &etag)
            .json(&json!({"due_on": ext_day, "reason": "Elections"}))
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    report(&app, &w, &c2, "DGICM", &[("delayed", 40)]).await;
    report(&app, &w, &c2, "SOMTC", &[("on_track", 50)]).await;
    report(&app, &w, &c2, "ACW", &[("on_track", 10)]).await;
    give_back(&app, &w, &c2, "ACW").await;
    step(&app, &w.officers["ACW"].token, &c2, "ACW", "submit", None).await;
    give_back(&app, &w, &c2, "ACW").await;
    report(&app, &w, &c2, "ACW", &[("completed", 100)]).await;
    let h2 = ("2025-07-01", "2025-12-31");
    actual(&app, &w, "DGICM", h2, "45", 201).await;
    actual(&app, &w, "SOMTC", h2, "5", 201).await;
    for body in BODIES {
        accept(&app, &w, &c2, body).await;
        expect_accepted(&app, &w, &mut e, &c2, body).await;
    }
    app.request(Method::POST, &format!("/api/v1/cycles/{c2}/close"))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);

    // Cycle 3, still open: SOMTC submitted but not accepted (absent from the trends).
    let c3 = cycle(
        &app,
        &w,
        "Cycle three",
        10,
        30,
        ("2026-01-01", "2026-06-30"),
    )
    .await;
    report(&app, &w, &c3, "DGICM", &[("completed", 100)]).await;
    report(&app, &w, &c3, "ACW", &[("completed", 100)]).await;
    report(&app, &w, &c3, "SOMTC", &[("delayed", 55)]).await;
    let h3 = ("2026-01-01", "2026-06-30");
    actual(&app, &w, "DGICM", h3, "70", 201).await;
    for body in ["DGICM", "ACW"] {
        accept(&app, &w, &c3, body).await;
        expect_accepted(&app, &w, &mut e, &c3, body).await;
    }

    // Actuals the secretariat never accepted: one in cycle three by SOMTC, whose report
    // is not accepted; one period no cycle covers; one recorded after DGICM's cycle-one
    // report was accepted; and SOMTC's cycle-one value changed after acceptance.
    actual(&app, &w, "SOMTC", h3, "9", 201).await;
    actual(&app, &w, "DGICM", ("2027-01-01", "2027-06-30"), "99", 201).await;
    actual(&app, &w, "DGICM", ("2025-06-01", "2025-06-30"), "7777", 201).await;
    actual(&app, &w, "SOMTC", h1, "3003", 200).await;

    // The plan's trends.
    let (res, n) = app
        .count_statements(app.get_as(&w.sec.token, &plan_trends))
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(n, one_cycle[0], "constant number of queries");
    let t = res.json();
    let cycles = t["cycles"].as_array().expect("cycles");
    let ids: Vec<&str> = cycles
        .iter()
        .map(|c| c["cycle_id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [c1.as_str(), c2.as_str(), c3.as_str()],
        "oldest meeting first"
    );
    for c in cycles {
        let id = c["cycle_id"].as_str().expect("id");
        assert_eq!(counts_of(&c["counts"]), e.counts[id], "{id}");
        let areas: BTreeMap<String, BTreeMap<String, i64>> = c["by_area"]
            .as_array()
            .expect("areas")
            .iter()
            .map(|g| {
                (
                    g["code"].as_str().expect("code").to_owned(),
                    counts_of(&g["counts"]),
                )
            })
            .collect();
        assert_eq!(areas, e.areas[id], "{id}");
        let bodies: Vec<&str> = c["by_body"]
            .as_array()
            .expect("bodies")
            .iter()
            .map(|g| g["code"].as_str().expect("code"))
            .collect();
        let want: Vec<&str> = e
            .records
            .iter()
            .filter(|(_, r)| r.iter().any(|x| x.0 == id))
            .map(|(b, _)| b.as_str())
            .collect();
        assert_eq!(bodies, want, "{id}");
        assert_eq!(c["accepted_reports"], want.len() as i64);
    }
    let bodies = t["bodies"].as_array().expect("bodies");
    assert_eq!(bodies.len(), 3);
    for b in bodies {
        let code = b["body"].as_str().expect("body");
        let want = &e.records[code];
        let got = b["cycles"].as_array().expect("cycles");
        assert_eq!(got.len(), want.len(), "{code}");
        for (g, (cycle, due, extended, submitted_on, late, review)) in got.iter().zip(want) {
            assert_eq!(g["cycle_id"], cycle.as_str());
            assert_eq!(g["due_on"], due.to_string(), "{code}");
            assert_eq!(g["extended"], *extended, "{code}");
            assert_eq!(g["submitted_on"], submitted_on.to_string());
            assert_eq!(g["days_late"], *late, "{code}");
            assert_eq!(g["on_time"], *late == 0, "{code}");
            assert_eq!(g["review_days"].as_f64().expect("review"), *review);
        }
        let n = want.len() as f64;
        assert_eq!(b["reports"], want.len() as i64);
        assert_eq!(
            b["on_time"],
            want.iter().filter(|r| r.4 == 0).count() as i64
        );
        assert_eq!(
            b["average_days_late"].as_f64().expect("avg"),
            hundredths(want.iter().map(|r| r.4 as f64).sum::<f64>() / n)
        );
        assert_eq!(
            b["average_review_days"].as_f64().expect("avg"),
            hundredths(want.iter().map(|r| r.5).sum::<f64>() / n)
        );
    }
    // The scenario itself, spelled out: DGICM late in cycle two, SOMTC extended and on
    // time, ACW (returned twice) late.
    let late_in_two = |body: &str| e.records[body].iter().find(|r| r.0 == c2).expect("c2").4;
    assert_eq!(late_in_two("DGICM"), 3);
    assert_eq!(late_in_two("SOMTC"), 0);
    assert!(e.records["SOMTC"].iter().any(|r| r.2), "extended");
    assert_eq!(late_in_two("ACW"), 3);

    // The activity's line.
    let (res, n) = app
        .count_statements(app.get_as(&w.sec.token, &activity_trend))
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(n, one_cycle[1], "constant number of queries");
    for c in res.json()["cycles"].as_array().expect("cycles") {
        let id = c["cycle_id"].as_str().expect("id");
        let got: BTreeMap<String, (String, i64)> = c["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .map(|p| {
                (
                    p["body"].as_str().expect("body").to_owned(),
                    (
                        p["status"].as_str().expect("status").to_owned(),
                        p["percent_complete"].as_i64().expect("percent"),
                    ),
                )
            })
            .collect();
        assert_eq!(got, e.line.get(id).cloned().unwrap_or_default(), "{id}");
    }

    // The indicator's series: accepted periods only.
    let (res, n) = app
        .count_statements(app.get_as(&w.sec.token, &series))
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(n, one_cycle[2], "constant number of queries");
    let s = res.json();
    assert_eq!(s["baseline_number"], 0.0);
    assert_eq!(s["target_number"], 100.0);
    let points: Vec<(String, String, String, String)> = s["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["period_end"].as_str().expect("end").to_owned(),
                p["body"].as_str().expect("body").to_owned(),
                p["value"].as_str().expect("value").to_owned(),
                p["cycle_id"].as_str().expect("cycle").to_owned(),
            )
        })
        .collect();
    let p = |end: &str, body: &str, value: &str, cycle: &str| {
        (
            end.to_owned(),
            body.to_owned(),
            value.to_owned(),
            cycle.to_owned(),
        )
    };
    assert_eq!(
        points,
        vec![
            p("2025-06-30", "DGICM", "20", &c1),
            p("2025-12-31", "DGICM", "45", &c2),
            p("2025-12-31", "SOMTC", "5", &c2),
            p("2026-06-30", "DGICM", "70", &c3),
        ]
    );

    // Viewers read the same (accepted data only).
    for path in [&plan_trends, &activity_trend, &series] {
        let as_viewer = app.get_as(&viewer.token, path).await;
        as_viewer.assert_status(StatusCode::OK);
        assert_eq!(
            as_viewer.json(),
            app.get_as(&w.sec.token, path).await.json(),
            "{path}"
        );
    }

    // The activity page shows a viewer the same accepted series, never the values
    // recorded or changed after acceptance; in a constant number of queries whatever
    // the number of indicators.
    let (_, cookie) = app.web_caller(Role::Viewer, None).await;
    let page = format!("/ui/activities/{}", w.activities[0].0);
    let (res, one_indicator) = app
        .count_statements(app.web_get(Some(&cookie), &page))
        .await;
    res.assert_status(StatusCode::OK);
    let html = res.text();
    assert!(html.contains("45"), "the accepted value is shown");
    for never in ["7777", "3003"] {
        assert!(!html.contains(never), "{never} was never accepted");
    }
    for n in 0..3 {
        app.request(
            Method::POST,
            &format!("/api/v1/activities/{}/indicators", w.activities[0].0),
        )
        .bearer(&w.sec.token)
        .json(&json!({"name": format!("More {n}"), "measure": "number", "target": "10"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    }
    let (res, four_indicators) = app
        .count_statements(app.web_get(Some(&cookie), &page))
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(four_indicators, one_indicator, "constant number of queries");
}

#[tokio::test]
async fn trends_of_what_does_not_exist_are_404() {
    let app = TestApp::spawn().await;
    let viewer = app.caller(Role::Viewer, None).await;
    let nobody = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/activities/{nobody}/trend"),
        format!("/api/v1/work-plans/{nobody}/trends"),
        format!("/api/v1/indicators/{nobody}/series"),
    ] {
        app.get_as(&viewer.token, &path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    app.get_as(&viewer.token, "/api/v1/activities/not-a-uuid/trend")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_demo_has_three_closed_cycles_with_trends_and_a_conversation() {
    let app = TestApp::spawn().await;
    let demo = wpt_db::seed::demo(app.database(), &app.state.auth.hasher)
        .await
        .expect("demo");
    let sec = app.caller(Role::Secretariat, None).await;
    let t = app
        .get_as(
            &sec.token,
            &format!("/api/v1/work-plans/{}/trends", plan_id()),
        )
        .await;
    t.assert_status(StatusCode::OK);
    let t = t.json();
    let cycles = t["cycles"].as_array().expect("cycles");
    assert_eq!(cycles.len(), 3);
    for c in cycles {
        assert_eq!(c["state"], "closed");
        assert!(c["accepted_reports"].as_i64().expect("n") > 0);
        // Closed through the use case: each has its edition.
        app.get_as(
            &sec.token,
            &format!(
                "/api/v1/cycles/{}/edition",
                c["cycle_id"].as_str().expect("id")
            ),
        )
        .await
        .assert_status(StatusCode::OK);
    }
    let bodies = t["bodies"].as_array().expect("bodies");
    assert!(
        bodies.iter().any(|b| b["on_time"] != b["reports"]),
        "someone was late"
    );
    assert!(
        bodies
            .iter()
            .flat_map(|b| b["cycles"].as_array().expect("c"))
            .any(|r| r["extended"] == true)
    );
    // No cycle is open: the demo's current state is as before.
    let open = app
        .get_as(&sec.token, "/api/v1/cycles?state=open")
        .await
        .json();
    assert_eq!(open["items"].as_array().expect("items").len(), 0);
    // The latest cycle's first report carries a conversation, readable by the secretariat.
    let latest = cycles[2]["cycle_id"].as_str().expect("id");
    let board = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{latest}/submissions"))
        .await
        .json();
    let mut found = 0;
    for row in board["items"].as_array().expect("items") {
        let res = app
            .get_as(
                &sec.token,
                &format!(
                    "/api/v1/cycles/{latest}/submissions/{}/comments",
                    row["body"].as_str().expect("body")
                ),
            )
            .await;
        found += res.json()["items"].as_array().expect("items").len();
    }
    assert_eq!(found, 3);
    assert!(
        wpt_db::audit::verify(app.database())
            .await
            .expect("verify")
            .ok
    );
    assert!(
        demo.logins
            .iter()
            .any(|l| l.email == "secretariat@demo.wpt")
    );
}

//! Issue 14, items 5 and 7: the audit log grows with what changed, not with the square
//! of the edits; one open amendment per entry and a paged list; audit pages and the
//! chain's verification bounded by bytes; writes per user per minute; reports cached
//! by the audit position with bounded renders; and the sweep removes spent login
//! counts.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp, TestDb};

const PLAN: &str = "MSWP-TIP-2023-2028";

struct World {
    sec: Caller,
    dgicm: Caller,
    cycle: String,
    /// DGICM's report.
    path: String,
    /// Three activities DGICM leads.
    activities: Vec<String>,
}

async fn ok(app: &TestApp, method: Method, path: &str, who: &Caller, body: Value) -> Value {
    let mut r = app.request(method, path).bearer(&who.token);
    if !body.is_null() {
        r = r.json(&body);
    }
    let res = r.send().await;
    assert!(
        res.status.is_success(),
        "{path}: {} {}",
        res.status,
        res.text()
    );
    res.json()
}

/// An open cycle whose DGICM report has three entries.
async fn world(app: &TestApp) -> World {
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN).to_string();
    let mut activities = Vec::new();
    for n in 1..=3 {
        let a = ok(app, Method::POST, &format!("/api/v1/work-plans/{plan}/activities"), &admin,
            json!({"area": "A", "code": format!("L.a.{n}"), "title": format!("Limits activity {n}"), "lead_body": "DGICM"})).await;
        activities.push(a["id"].as_str().expect("id").to_owned());
    }
    let c = ok(app, Method::POST, "/api/v1/cycles", &admin,
        json!({"work_plan_id": plan, "kind": "somtc", "name": "Limits cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"})).await;
    let cycle = c["id"].as_str().expect("id").to_owned();
    let opened = app
        .request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await;
    opened.assert_status(StatusCode::OK);
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    World {
        sec,
        dgicm,
        cycle,
        path,
        activities,
    }
}

async fn etag(app: &TestApp, who: &Caller, path: &str) -> String {
    app.get_as(&who.token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned()
}

/// Saves `entries` into DGICM's report.
async fn save(app: &TestApp, w: &World, entries: Value) -> Value {
    let etag = etag(app, &w.dgicm, &w.path).await;
    let res = app
        .request(Method::PUT, &w.path)
        .bearer(&w.dgicm.token)
        .header("if-match", &etag)
        .json(&json!({ "entries": entries }))
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    res.json()
}

/// A step of the workflow (`submit`, `accept`).
async fn step(app: &TestApp, w: &World, who: &Caller, act: &str) {
    let etag = etag(app, who, &w.path).await;
    app.request(Method::POST, &format!("{}/{act}", w.path))
        .bearer(&who.token)
        .header("if-match", &etag)
        .json(&json!({}))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

/// Every entry of the audit log matching `query`, following the cursors; the pages.
async fn audit_pages(app: &TestApp, who: &Caller, query: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/audit?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_as(&who.token, &path).await.json();
        pages.push(page["items"].as_array().expect("items").clone());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages.len() < 1000, "the cursors end");
    }
    pages
}

fn stored_size(entry: &Value) -> usize {
    entry["before"].to_string().len() + entry["after"].to_string().len()
}

#[tokio::test]
async fn a_save_audits_the_entry_it_changed_not_the_whole_report() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let saves = 16;
    for n in 0..saves {
        let activity = &w.activities[n % 3];
        let saved = save(&app, &w, json!([{"activity_id": activity, "status": "on_track", "percent_complete": n, "narrative": format!("Save number {n}")}])).await;
        assert_eq!(saved["entries"].as_array().expect("entries").len(), 3);
    }
    let sub = app.get_as(&w.dgicm.token, &w.path).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pages = audit_pages(
        &app,
        &w.sec,
        &format!("action=submission.edit&resource_id={sub}&limit=200"),
    )
    .await;
    let mut rows: Vec<Value> = pages.into_iter().flatten().collect();
    rows.reverse();
    assert_eq!(rows.len(), saves, "one audit entry per save");
    for (n, row) in rows.iter().enumerate() {
        let activity = &w.activities[n % 3];
        for side in ["before", "after"] {
            let entries = row[side]["entries"].as_array().expect("entries");
            assert_eq!(entries.len(), 1, "only the touched entry: {row}");
            assert_eq!(entries[0]["activity_id"], activity.as_str(), "{row}");
            assert!(row[side].get("events").is_none(), "no event history: {row}");
        }
        assert_eq!(
            row["after"]["entries"][0]["narrative"],
            format!("Save number {n}")
        );
        assert_eq!(
            row["after"]["version"].as_i64(),
            row["before"]["version"].as_i64().map(|v| v + 1)
        );
    }
    // Each record is as large as its change: the last save's is no larger than the
    // first's (the whole report with its growing history made it grow with each one).
    let sizes: Vec<usize> = rows.iter().map(stored_size).collect();
    let (first, last) = (sizes[0], sizes[saves - 1]);
    assert!(
        last * 10 <= first * 12,
        "the audit grows linearly: first {first} bytes, last {last} bytes ({sizes:?})"
    );
    // Saving an entry unchanged records no entry at all.
    let same = &w.activities[(saves - 1) % 3];
    save(&app, &w, json!([{"activity_id": same, "status": "on_track", "percent_complete": saves - 1, "narrative": format!("Save number {}", saves - 1)}])).await;
    let last = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/audit?action=submission.edit&resource_id={sub}&limit=1"),
        )
        .await
        .json();
    assert!(last["items"][0]["after"].get("entries").is_none(), "{last}");
    // The chain still verifies.
    let verified = app.get_as(&w.sec.token, "/api/v1/audit/verify").await;
    let admin = app.caller(Role::Admin, None).await;
    let verified = if verified.status == StatusCode::OK {
        verified.json()
    } else {
        app.get_as(&admin.token, "/api/v1/audit/verify")
            .await
            .json()
    };
    assert_eq!(verified["ok"], true, "{verified}");
}

/// Proposes an amendment of `activity` in DGICM's accepted report.
async fn propose(app: &TestApp, w: &World, activity: &str, narrative: &str) -> (StatusCode, Value) {
    let res = app
        .request(Method::POST, &format!("{}/amendments", w.path))
        .bearer(&w.dgicm.token)
        .json(&json!({"entry": {"activity_id": activity, "status": "completed", "narrative": narrative}, "reason": "Figures corrected"}))
        .send()
        .await;
    let body = if res.text().is_empty() {
        Value::Null
    } else {
        res.json()
    };
    (res.status, body)
}

#[tokio::test]
async fn one_open_amendment_per_entry_and_the_list_is_paged() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let entries: Vec<Value> = w
        .activities
        .iter()
        .map(|a| json!({"activity_id": a, "status": "on_track", "narrative": "As reported"}))
        .collect();
    save(&app, &w, Value::from(entries)).await;
    step(&app, &w, &w.dgicm, "submit").await;
    step(&app, &w, &w.sec, "accept").await;
    let (a, b, c) = (&w.activities[0], &w.activities[1], &w.activities[2]);

    let (status, first) = propose(&app, &w, a, "First correction").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = propose(&app, &w, a, "Second correction").await;
    assert_eq!(status, StatusCode::CONFLICT, "{second}");
    assert_eq!(second["code"], "amendment_pending", "{second}");

    // Two at once for another entry: one is stored, the other refused.
    let (x, y) = tokio::join!(
        propose(&app, &w, b, "Racing one"),
        propose(&app, &w, b, "Racing two")
    );
    let mut statuses = [x.0, y.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        x.1,
        y.1
    );
    for (status, body) in [&x, &y] {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["code"], "amendment_pending", "{body}");
        }
    }
    let (status, _) = propose(&app, &w, c, "Third entry").await;
    assert_eq!(status, StatusCode::CREATED);

    // Once decided, the entry may be amended again.
    let id = first["id"].as_str().expect("id");
    app.request(Method::POST, &format!("/api/v1/amendments/{id}/reject"))
        .bearer(&w.sec.token)
        .json(&json!({"note": "No"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let (status, again) = propose(&app, &w, a, "After the rejection").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");

    // Four amendments, paged two by two, oldest first, each once.
    let list = format!("{}/amendments", w.path);
    let page1 = app
        .get_as(&w.sec.token, &format!("{list}?limit=2"))
        .await
        .json();
    assert_eq!(
        page1["items"].as_array().expect("items").len(),
        2,
        "{page1}"
    );
    let cursor = page1["next_cursor"].as_str().expect("a next page");
    let page2 = app
        .get_as(&w.sec.token, &format!("{list}?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(
        page2["items"].as_array().expect("items").len(),
        2,
        "{page2}"
    );
    assert!(page2["next_cursor"].is_null(), "the last page: {page2}");
    let ids: Vec<&str> = page1["items"]
        .as_array()
        .into_iter()
        .chain(page2["items"].as_array())
        .flatten()
        .map(|a| a["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], id, "oldest first");
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 4, "each once");
    // Bad paging is a 422; a viewer's page holds accepted amendments only (none yet).
    app.get_as(&w.sec.token, &format!("{list}?limit=0"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let viewer = app.caller(Role::Viewer, None).await;
    let seen = app.get_as(&viewer.token, &list).await.json();
    assert!(
        seen["items"].as_array().expect("items").is_empty(),
        "{seen}"
    );
}

/// A text of `n` characters that differs with `seed`.
fn long(seed: usize, n: usize) -> String {
    format!("{seed:06} ").repeat(n / 7)
}

#[tokio::test]
async fn audit_pages_and_verification_batches_are_bounded_by_bytes() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Each save changes three entries of about 60 KB each: some 360 KB of before and
    // after per audit entry.
    let saves = 14;
    for n in 0..saves {
        let entries: Vec<Value> = w
            .activities
            .iter()
            .map(|a| json!({"activity_id": a, "status": "on_track", "narrative": long(n, 19_000), "challenges": long(n + 1, 19_000), "next_steps": long(n + 2, 19_000)}))
            .collect();
        save(&app, &w, Value::from(entries)).await;
    }
    let sub = app.get_as(&w.dgicm.token, &w.path).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let pages = audit_pages(
        &app,
        &w.sec,
        &format!("action=submission.edit&resource_id={sub}&limit=200"),
    )
    .await;
    assert!(
        pages.len() > 1,
        "a page stops once its entries pass 1 MiB: {} page(s)",
        pages.len()
    );
    for page in &pages {
        let bytes: usize = page.iter().map(stored_size).sum();
        let largest = page.iter().map(stored_size).max().unwrap_or(0);
        assert!(
            bytes <= 1024 * 1024 + largest,
            "a page of {} entries holds {bytes} bytes",
            page.len()
        );
    }
    let all: Vec<&Value> = pages.iter().flatten().collect();
    assert_eq!(all.len(), saves, "every entry once");
    let mut ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().expect("id")).collect();
    ids.dedup();
    assert_eq!(ids.len(), saves);

    // Verification reads the chain (some 5 MB) in more than one batch, and it holds.
    let admin = app.caller(Role::Admin, None).await;
    let (verified, statements) = app
        .count_statements(app.get_as(&admin.token, "/api/v1/audit/verify"))
        .await;
    verified.assert_status(StatusCode::OK);
    assert_eq!(verified.json()["ok"], true, "{}", verified.text());
    assert!(
        statements >= 4,
        "two batches or more, each its sizes then its entries: {statements} statement(s)"
    );
}

#[tokio::test]
async fn writes_per_user_per_minute_are_limited_in_the_api_and_the_pages() {
    let mut db = TestDb::prepared().await;
    db.db = db.db.clone().with_write_rate(3);
    let app = TestApp::on(db);
    let admin = app.caller(Role::Admin, None).await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN).to_string();
    let a = ok(
        &app,
        Method::POST,
        &format!("/api/v1/work-plans/{plan}/activities"),
        &admin,
        json!({"area": "A", "code": "R.a.1", "title": "Rate activity", "lead_body": "DGICM"}),
    )
    .await;
    let activity = a["id"].as_str().expect("id").to_owned();
    let progress = format!("/api/v1/activities/{activity}/progress");
    let report = |n: usize| json!({"status": "on_track", "percent_complete": n, "narrative": format!("Update {n}")});
    for n in 0..3 {
        app.request(Method::POST, &progress)
            .bearer(&officer.token)
            .json(&report(n))
            .send()
            .await
            .assert_status(StatusCode::CREATED);
    }
    let refused = app
        .request(Method::POST, &progress)
        .bearer(&officer.token)
        .json(&report(3))
        .send()
        .await;
    refused.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    // The pages share the count: the form is refused too, with the typed text kept.
    let form = app
        .web_get(
            Some(&cookie),
            &format!("/ui/activities/{activity}/update?from=row"),
        )
        .await
        .text();
    let seen = form
        .split("name=\"seen\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's seen field")
        .to_owned();
    let page = app
        .web_post(
            Some(&cookie),
            &format!("/ui/activities/{activity}/progress"),
            &[
                ("status", "at_risk"),
                ("percent_complete", "35"),
                ("narrative", "Typed on the page"),
                ("challenges", ""),
                ("next_steps", ""),
                ("evidence_urls", ""),
                ("seen", &seen),
                ("from", "row"),
            ],
            true,
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        page.text()
    );
    assert!(page.text().contains("Too many changes"), "{}", page.text());
    // Reads are not counted, and nothing refused was stored.
    let timeline = app.get_as(&officer.token, &progress).await;
    timeline.assert_status(StatusCode::OK);
    assert_eq!(
        timeline.json()["items"].as_array().expect("items").len(),
        3,
        "{}",
        timeline.text()
    );
    // Another user has their own count.
    let colleague = app.caller(Role::Officer, Some("DGICM")).await;
    app.request(Method::POST, &progress)
        .bearer(&colleague.token)
        .json(&report(9))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn a_report_renders_once_per_audit_position_and_renders_are_bounded() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let report = format!("/api/v1/cycles/{}/report", w.cycle);
    let renders = || app.state.reports.rendered();
    let start = renders();
    let first = app
        .get_as(&w.sec.token, &format!("{report}?format=xlsx"))
        .await;
    first.assert_status(StatusCode::OK);
    assert_eq!(renders(), start + 1);
    let second = app
        .get_as(&w.sec.token, &format!("{report}?format=xlsx"))
        .await;
    second.assert_status(StatusCode::OK);
    assert_eq!(renders(), start + 1, "the second is the cached answer");
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("content-type"), second.header("content-type"));
    assert_eq!(
        first.header("content-disposition"),
        second.header("content-disposition")
    );
    // Another format, and another audience, are other answers.
    app.get_as(&w.sec.token, &format!("{report}?format=csv"))
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(renders(), start + 2);
    let viewer = app.caller(Role::Viewer, None).await;
    let seen = app
        .get_as(&viewer.token, &format!("{report}?format=xlsx"))
        .await;
    seen.assert_status(StatusCode::OK);
    assert_eq!(renders(), start + 3);
    // A write moves the audit position: rendered again, with the change.
    save(
        &app,
        &w,
        json!([{"activity_id": w.activities[0], "status": "delayed", "narrative": "Changed"}]),
    )
    .await;
    let json1 = app.get_as(&w.sec.token, &report).await;
    json1.assert_status(StatusCode::OK);
    let after = renders();
    let json2 = app.get_as(&w.sec.token, &report).await;
    assert_eq!(renders(), after, "cached until the next write");
    assert_eq!(json1.body, json2.body);

    // Every render slot taken: a new render waits briefly, then 503 with Retry-After;
    // a cached answer is still served.
    let slots = app.state.reports.slots().clone();
    let held = slots
        .clone()
        .acquire_many_owned(u32::try_from(slots.available_permits()).expect("few"))
        .await
        .expect("the slots");
    let started = std::time::Instant::now();
    let busy = app
        .get_as(&viewer.token, &format!("{report}?format=csv"))
        .await;
    busy.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(busy.header("retry-after").is_some());
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    app.get_as(&w.sec.token, &report)
        .await
        .assert_status(StatusCode::OK);
    drop(held);
    app.get_as(&viewer.token, &format!("{report}?format=csv"))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_sweep_removes_login_counts_whose_window_ended() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let who = app.caller(Role::Officer, Some("DGICM")).await;
    app.login(&who.email, "not the password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let db = app.database();
    let count = || async {
        let backend = db.conn().get_database_backend();
        db.conn()
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM login_attempts",
            ))
            .await
            .expect("count")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("n")
    };
    assert_eq!(count().await, 1, "the wrong password is counted");
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let kept = wpt_db::auth::sessions::prune(db, week, std::time::Duration::from_secs(900))
        .await
        .expect("sweep");
    assert_eq!(kept.login_attempts, 0, "its window is still open");
    assert_eq!(count().await, 1);
    let swept = wpt_db::auth::sessions::prune(db, week, std::time::Duration::ZERO)
        .await
        .expect("sweep");
    assert_eq!(swept.login_attempts, 1, "{swept:?}");
    assert_eq!(count().await, 0);
    let audit = app
        .get_as(
            &app.caller(Role::Admin, None).await.token,
            "/api/v1/audit?action=session.prune",
        )
        .await
        .json();
    assert_eq!(audit["items"][0]["after"]["login_attempts"], 1, "{audit}");
}

#[tokio::test]
async fn the_matrix_download_takes_a_render_slot_and_is_refused_when_they_are_full() {
    let app = TestApp::spawn().await;
    let viewer = app.caller(Role::Viewer, None).await;
    let (_, cookie) = app.web_caller(Role::Viewer, None).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let api = format!("/api/v1/work-plans/{plan}/matrix?format=xlsx");
    let page = format!("/ui/plans/{plan}/matrix.xlsx");
    app.get_as(&viewer.token, &api)
        .await
        .assert_status(StatusCode::OK);
    app.web_get(Some(&cookie), &page)
        .await
        .assert_status(StatusCode::OK);

    let slots = app.state.reports.slots().clone();
    let held = slots
        .clone()
        .acquire_many_owned(u32::try_from(slots.available_permits()).expect("few"))
        .await
        .expect("the slots");
    let started = std::time::Instant::now();
    let busy = app.get_as(&viewer.token, &api).await;
    busy.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(busy.header("retry-after").is_some());
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    let busy = app.web_get(Some(&cookie), &page).await;
    busy.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    drop(held);
    app.get_as(&viewer.token, &api)
        .await
        .assert_status(StatusCode::OK);
}

//! The caches of hot reads (crates/db/src/cache): a warm `GET /activities/{id}` runs no
//! statement, and whatever changes what a cached answer says (a logout, a revoked token,
//! a deactivated account, a changed role, progress, a milestone, an assignment, an
//! accepted report) is seen by the next request, on the instance that made the change
//! and, on PostgreSQL, on a second instance of the same database. On SQLite the caches
//! are one process's (docs/caching.md), so the second instance is PostgreSQL's only.
//!
//! The second instance hears of a change through PostgreSQL's `LISTEN`; the tests wait
//! for it to have heard everything committed so far with `Database::cache_sync` (its own
//! notification, delivered after every earlier one), never with a timer.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TEST_PASSWORD, TestApp, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL")
        .is_ok_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// The application and, on PostgreSQL, a second instance of it on the same database.
async fn instances() -> (TestApp, Option<TestApp>) {
    let app = TestApp::spawn().await;
    let second = if on_postgres() {
        Some(app.second_instance().await)
    } else {
        None
    };
    (app, second)
}

/// Every instance, each having heard of every change committed so far.
async fn all<'a>(app: &'a TestApp, second: &'a Option<TestApp>) -> Vec<&'a TestApp> {
    let mut out = vec![app];
    out.extend(second.iter());
    for a in &out {
        a.state
            .db
            .cache_sync()
            .await
            .expect("the cache listener is up");
    }
    out
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
    if res.body.is_empty() {
        Value::Null
    } else {
        res.json()
    }
}

/// `method path` with the ETag of `read` as If-Match.
async fn versioned(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Caller,
    body: Value,
    read: &str,
) -> TestResponse {
    let etag = app
        .get_as(&who.token, read)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(method, path)
        .bearer(&who.token)
        .header("if-match", &etag)
        .json(&body)
        .send()
        .await
}

async fn new_activity(app: &TestApp, admin: &Caller, code: &str) -> String {
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let a = ok(app, Method::POST, &format!("/api/v1/work-plans/{plan}/activities"), admin,
        json!({"area": "A", "code": code, "title": "Cached activity", "lead_body": "DGICM", "cooperating_bodies": ["AICHR"]})).await;
    a["id"].as_str().expect("id").to_owned()
}

/// The activity as `who` reads it through `app`, and how many statements that took.
async fn read(app: &TestApp, who: &Caller, id: &str) -> (Value, usize) {
    let (res, n) = app
        .count_warm_statements(app.get_as(&who.token, &format!("/api/v1/activities/{id}")))
        .await;
    res.assert_status(StatusCode::OK);
    (res.json(), n)
}

/// The fewest statements of three reads in a row: 0 when they are answered from memory
/// (a read of the maintenance state every 2 s may fall into one of them, not into all).
async fn warm_cost(app: &TestApp, who: &Caller, id: &str) -> usize {
    let mut fewest = usize::MAX;
    for _ in 0..3 {
        fewest = fewest.min(read(app, who, id).await.1);
    }
    fewest
}

fn body<'a>(activity: &'a Value, code: &str) -> &'a Value {
    activity["bodies"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["body"] == code))
        .unwrap_or_else(|| panic!("{code} in {activity}"))
}

#[tokio::test]
async fn a_warm_read_of_one_activity_runs_no_statement_and_a_change_is_read_at_once() {
    let (app, second) = instances().await;
    let admin = app.caller(Role::Admin, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let id = new_activity(&app, &admin, "C.1").await;
    for a in all(&app, &second).await {
        let (cold, n) = read(a, &officer, &id).await;
        assert!(n > 0, "the first read goes to the database");
        assert_eq!(warm_cost(a, &officer, &id).await, 0, "a warm read is free");
        assert!(body(&cold, "DGICM")["latest_status"].is_null(), "{cold}");
    }
    let (_, before) = app.state.db.cache_stats();
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/activities/{id}/progress"),
        &officer,
        json!({"status": "at_risk", "percent_complete": 40, "narrative": "Cached no more"}),
    )
    .await;
    for a in all(&app, &second).await {
        let (now, n) = read(a, &officer, &id).await;
        assert!(n > 0, "read again after the change");
        assert_eq!(body(&now, "DGICM")["latest_status"], "at_risk", "{now}");
        assert_eq!(now["version"], 2, "{now}");
        assert_eq!(warm_cost(a, &officer, &id).await, 0);
    }
    let (hits, misses) = app.state.db.cache_stats();
    assert!(hits > 0 && misses > before, "{hits} hits, {misses} misses");
}

#[tokio::test]
async fn the_activity_read_follows_progress_milestones_assignments_and_acceptance() {
    let (app, second) = instances().await;
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let id = new_activity(&app, &admin, "C.2").await;
    let path = format!("/api/v1/activities/{id}");
    // Both views kept on every instance.
    for a in all(&app, &second).await {
        for who in [&sec, &viewer] {
            read(a, who, &id).await;
            assert_eq!(warm_cost(a, who, &id).await, 0);
        }
    }

    // Progress: the writers' view has it; the viewer's does not, and is not stale either.
    ok(
        &app,
        Method::POST,
        &format!("{path}/progress"),
        &dgicm,
        json!({"status": "delayed", "percent_complete": 10, "narrative": "Slow start"}),
    )
    .await;
    for a in all(&app, &second).await {
        let (recorded, _) = read(a, &sec, &id).await;
        assert_eq!(body(&recorded, "DGICM")["latest_status"], "delayed");
        let (accepted, _) = read(a, &viewer, &id).await;
        assert!(
            body(&accepted, "DGICM")["latest_status"].is_null(),
            "{accepted}"
        );
        assert_eq!(accepted["version"], recorded["version"]);
    }

    // A milestone past its due day.
    ok(
        &app,
        Method::POST,
        &format!("{path}/milestones"),
        &admin,
        json!({"title": "Long overdue", "due_on": "2020-01-31"}),
    )
    .await;
    for a in all(&app, &second).await {
        for who in [&sec, &viewer] {
            let (now, _) = read(a, who, &id).await;
            assert_eq!(now["overdue_milestones"], 1, "{now}");
        }
    }

    // An assignment.
    versioned(
        &app,
        Method::PATCH,
        &path,
        &admin,
        json!({"cooperating_bodies": ["AICHR", "ACWC"]}),
        &path,
    )
    .await
    .assert_status(StatusCode::OK);
    for a in all(&app, &second).await {
        for who in [&sec, &viewer] {
            let (now, _) = read(a, who, &id).await;
            assert_eq!(now["cooperating_bodies"], json!(["ACWC", "AICHR"]), "{now}");
        }
    }

    // An accepted report: what the viewer reads.
    let plan = wpt_domain::reference_id("work_plan", PLAN).to_string();
    let c = ok(&app, Method::POST, "/api/v1/cycles", &admin,
        json!({"work_plan_id": plan, "kind": "somtc", "name": "Cache cycle", "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"})).await;
    let cycle = c["id"].as_str().expect("id").to_owned();
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/open"),
        &sec,
        Value::Null,
    )
    .await;
    // Opening the cycle refreshed every view (cycle names); warm them again.
    for a in all(&app, &second).await {
        for who in [&sec, &viewer] {
            read(a, who, &id).await;
            assert_eq!(warm_cost(a, who, &id).await, 0);
        }
    }
    let dg = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    versioned(&app, Method::PUT, &dg, &dgicm,
        json!({"entries": [{"activity_id": id, "status": "on_track", "percent_complete": 55, "narrative": "Accepted narrative"}]}), &dg)
        .await
        .assert_status(StatusCode::OK);
    // A draft saved (and below, submitted) changes no activity view: the views stay
    // kept. The first read after the write is counted alone: a view read again takes
    // several statements (the activity, its assignments, milestones...); at most one
    // may be the maintenance state's periodic read.
    for a in all(&app, &second).await {
        for who in [&sec, &viewer] {
            let (_, n) = read(a, who, &id).await;
            assert!(n <= 1, "a draft save kept the view: {n} statements");
        }
    }
    versioned(
        &app,
        Method::POST,
        &format!("{dg}/submit"),
        &dgicm,
        json!({}),
        &dg,
    )
    .await
    .assert_status(StatusCode::OK);
    for a in all(&app, &second).await {
        let (before, n) = read(a, &viewer, &id).await;
        assert!(body(&before, "DGICM")["accepted"].is_null(), "{before}");
        assert!(n <= 1, "a submission kept the view: {n} statements");
    }
    versioned(
        &app,
        Method::POST,
        &format!("{dg}/accept"),
        &sec,
        json!({}),
        &dg,
    )
    .await
    .assert_status(StatusCode::OK);
    for a in all(&app, &second).await {
        let (now, n) = read(a, &viewer, &id).await;
        assert!(n > 1, "an accept refreshes the view: {n} statements");
        let accepted = &body(&now, "DGICM")["accepted"];
        assert_eq!(accepted["status"], "on_track", "{now}");
        assert_eq!(accepted["cycle_name"], "Cache cycle", "{now}");
        assert!(body(&now, "DGICM")["latest_status"].is_null(), "{now}");
    }
}

#[tokio::test]
async fn a_viewer_never_gets_the_view_kept_for_a_writer_nor_a_writer_the_viewers() {
    let (app, second) = instances().await;
    let admin = app.caller(Role::Admin, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let first = new_activity(&app, &admin, "C.3").await;
    let other = new_activity(&app, &admin, "C.4").await;
    for id in [&first, &other] {
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/activities/{id}/progress"),
            &officer,
            json!({"status": "at_risk", "percent_complete": 5, "narrative": "Not accepted"}),
        )
        .await;
    }
    for a in all(&app, &second).await {
        // The writer reads first, then the viewer; and the other way round.
        for (id, order) in [(&first, [&officer, &viewer]), (&other, [&viewer, &officer])] {
            for who in order {
                for _ in 0..2 {
                    let (view, _) = read(a, who, id).await;
                    let latest = &body(&view, "DGICM")["latest_status"];
                    if who.role == Role::Viewer {
                        assert!(latest.is_null(), "{view}");
                        assert!(view["last_progress_at"].is_null(), "{view}");
                    } else {
                        assert_eq!(latest, "at_risk", "{view}");
                    }
                }
            }
        }
    }
}

/// Whether `token` is still let in by `app`.
async fn let_in(app: &TestApp, token: &str) -> bool {
    let res = app.get_as(token, "/api/v1/bodies").await;
    match res.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("{other}: {}", res.text()),
    }
}

#[tokio::test]
async fn logout_revocation_deactivation_and_a_role_change_reach_every_instance_at_once() {
    let (app, second) = instances().await;
    let admin = app.caller(Role::Admin, None).await;
    let id = new_activity(&app, &admin, "C.5").await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/activities/{id}/progress"),
        &officer,
        json!({"status": "at_risk", "percent_complete": 5, "narrative": "Recorded"}),
    )
    .await;

    // Logout: the access token of the ended session is refused everywhere.
    let leaving = app.caller(Role::Officer, Some("DGICM")).await;
    for a in all(&app, &second).await {
        assert!(let_in(a, &leaving.token).await);
        assert_eq!(warm_cost(a, &leaving, &id).await, 0, "kept");
    }
    app.request(Method::POST, "/api/v1/auth/logout")
        .anonymous()
        .json(&json!({"refresh_token": leaving.refresh_token}))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for a in all(&app, &second).await {
        assert!(!let_in(a, &leaving.token).await, "logged out");
    }

    // A personal API token revoked, and a session ended by its owner.
    let owner = app.caller(Role::Officer, Some("DGICM")).await;
    let minted = ok(
        &app,
        Method::POST,
        "/api/v1/me/tokens",
        &owner,
        json!({"name": "script"}),
    )
    .await;
    let secret = minted["token"].as_str().expect("secret").to_owned();
    for a in all(&app, &second).await {
        assert!(let_in(a, &secret).await);
        assert!(let_in(a, &owner.token).await);
    }
    let token_id = minted["id"].as_str().expect("id");
    ok(
        &app,
        Method::DELETE,
        &format!("/api/v1/me/tokens/{token_id}"),
        &owner,
        Value::Null,
    )
    .await;
    for a in all(&app, &second).await {
        assert!(!let_in(a, &secret).await, "token revoked");
        assert!(let_in(a, &owner.token).await, "the session stands");
    }
    let sessions = ok(
        &app,
        Method::GET,
        "/api/v1/me/sessions",
        &owner,
        Value::Null,
    )
    .await;
    let current = sessions["items"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["current"] == true))
        .and_then(|s| s["id"].as_str())
        .expect("the current session")
        .to_owned();
    ok(
        &app,
        Method::DELETE,
        &format!("/api/v1/me/sessions/{current}"),
        &owner,
        Value::Null,
    )
    .await;
    for a in all(&app, &second).await {
        assert!(!let_in(a, &owner.token).await, "session ended");
    }

    // A password change ends the account's other sessions.
    let changing = app.caller(Role::Officer, Some("DGICM")).await;
    let other_login = app.login(&changing.email, TEST_PASSWORD).await.json();
    let other = other_login["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    for a in all(&app, &second).await {
        assert!(let_in(a, &other).await);
    }
    app.request(Method::POST, "/api/v1/me/password")
        .bearer(&changing.token)
        .json(
            &json!({"current_password": TEST_PASSWORD, "new_password": "another long passphrase"}),
        )
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    for a in all(&app, &second).await {
        assert!(!let_in(a, &other).await, "the other session ended");
    }

    // Deactivation: every credential of the account is refused.
    let user = |c: &Caller| format!("/api/v1/users/{}", c.id);
    let (deactivated, deactivated_secret) = {
        let c = app.caller(Role::Secretariat, None).await;
        let t = ok(
            &app,
            Method::POST,
            "/api/v1/me/tokens",
            &c,
            json!({"name": "x"}),
        )
        .await;
        let s = t["token"].as_str().expect("secret").to_owned();
        (c, s)
    };
    for a in all(&app, &second).await {
        assert!(let_in(a, &deactivated.token).await);
        assert!(let_in(a, &deactivated_secret).await);
    }
    versioned(
        &app,
        Method::PATCH,
        &user(&deactivated),
        &admin,
        json!({"active": false}),
        &user(&deactivated),
    )
    .await
    .assert_status(StatusCode::OK);
    for a in all(&app, &second).await {
        assert!(!let_in(a, &deactivated.token).await, "deactivated");
        assert!(!let_in(a, &deactivated_secret).await, "deactivated");
    }

    // A role change: a secretariat reader made a viewer reads the viewer's view at once.
    let reader = app.caller(Role::Secretariat, None).await;
    for a in all(&app, &second).await {
        let (view, _) = read(a, &reader, &id).await;
        assert_eq!(body(&view, "DGICM")["latest_status"], "at_risk");
        assert_eq!(warm_cost(a, &reader, &id).await, 0, "kept");
    }
    versioned(
        &app,
        Method::PATCH,
        &user(&reader),
        &admin,
        json!({"role": "viewer"}),
        &user(&reader),
    )
    .await
    .assert_status(StatusCode::OK);
    for a in all(&app, &second).await {
        let (view, _) = read(a, &reader, &id).await;
        assert!(body(&view, "DGICM")["latest_status"].is_null(), "{view}");
        let me = ok(a, Method::GET, "/api/v1/me", &reader, Value::Null).await;
        assert_eq!(me["role"], "viewer");
    }
}

#[tokio::test]
async fn a_page_session_logged_out_on_one_instance_is_refused_on_the_other() {
    let (app, second) = instances().await;
    let (_, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    for a in all(&app, &second).await {
        a.web_get(Some(&cookie), "/ui/activities")
            .await
            .assert_status(StatusCode::OK);
    }
    app.web_post(Some(&cookie), "/ui/logout", &[], false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    for a in all(&app, &second).await {
        let res = a.web_get(Some(&cookie), "/ui/activities").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert!(
            res.header("location")
                .is_some_and(|l| l.contains("/ui/login")),
            "{:?}",
            res.header("location")
        );
    }
}

#[tokio::test]
async fn a_lost_listener_drops_the_cache_until_it_is_back() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if !on_postgres() {
        eprintln!("skipped: the listener is PostgreSQL's (set TEST_DATABASE_URL)");
        return;
    }
    let (app, second) = instances().await;
    let admin = app.caller(Role::Admin, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let id = new_activity(&app, &admin, "C.6").await;
    for a in all(&app, &second).await {
        read(a, &officer, &id).await;
        assert_eq!(warm_cost(a, &officer, &id).await, 0, "kept");
    }
    // A change no notification announces (SQL behind the write path's back), then every
    // instance's `LISTEN` connection is cut.
    let conn = app.state.db.conn();
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = $1",
        [officer.id.into()],
    ))
    .await
    .expect("revoke behind the write path's back");
    let listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                     AND query LIKE 'LISTEN%wpt_cache%'";
    let pids: Vec<i32> = conn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, listeners))
        .await
        .expect("listeners")
        .iter()
        .map(|r| r.try_get("", "pid").expect("pid"))
        .collect();
    assert_eq!(pids.len(), 1 + usize::from(second.is_some()), "{pids:?}");
    for pid in &pids {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend($1)",
            [(*pid).into()],
        ))
        .await
        .expect("terminate");
    }
    // Gone (a condition, not a timer), then each instance's listener is back: what it
    // kept before the loss is gone with it.
    loop {
        let left = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)",
                [pids.clone().into()],
            ))
            .await
            .expect("pids");
        if left.is_empty() {
            break;
        }
        tokio::task::yield_now().await;
    }
    for a in all(&app, &second).await {
        assert!(
            !let_in(a, &officer.token).await,
            "read again after the loss"
        );
    }
}

//! The write officers make most, a progress update (issue 21, case (d)), in as few round
//! trips as its rules allow: on PostgreSQL its three row changes (the update, the body's
//! latest status, the activity's version) are one statement, and the maintenance check,
//! the audit lock, the head's kind and the audit entry another; on SQLite, where a
//! statement is a function call, they stay apart. What the write guarantees is the same
//! on both: a stale form refused with nothing kept, maintenance refused with nothing
//! kept, the chain intact.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_db::Backend;
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

async fn activity(app: &TestApp, sec: &Caller, code: &str) -> String {
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{plan}/activities"),
        )
        .bearer(&sec.token)
        .json(
            &json!({"area": "A", "code": code, "title": format!("Activity {code}"),
                      "lead_body": "DGICM"}),
        )
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn report(app: &TestApp, officer: &Caller, id: &str, percent: i64) -> (StatusCode, Value) {
    let res = app
        .request(Method::POST, &format!("/api/v1/activities/{id}/progress"))
        .bearer(&officer.token)
        .json(&json!({"status": "on_track", "percent_complete": percent,
                      "narrative": format!("Reached {percent}%")}))
        .send()
        .await;
    (res.status, res.json())
}

/// The statements of `sql` that name `needle`. The write's own statements are told by
/// what they touch, not by their place: the sealer's rounds (after this write or a
/// background one) and cache notifications may come between them.
fn naming<'a>(sql: &'a [String], needle: &str) -> Vec<&'a String> {
    sql.iter().filter(|s| s.contains(needle)).collect()
}

#[tokio::test]
async fn a_progress_update_is_its_read_one_change_and_one_append_on_postgresql() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let id = activity(&app, &sec, "A.w.1").await;
    // Warm: the caller's session and the prepared statements.
    assert_eq!(report(&app, &officer, &id, 10).await.0, StatusCode::CREATED);
    let ((status, body), sql) = app.record_statements(report(&app, &officer, &id, 20)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    match app.database().backend() {
        Backend::Postgres => {
            // The three row changes: one statement.
            let changes = naming(&sql, "progress_updates");
            assert_eq!(changes.len(), 1, "{changes:#?}");
            assert!(changes[0].starts_with("WITH p AS (INSERT INTO progress_updates"));
            assert!(
                changes[0].contains("UPDATE activity_assignments")
                    && changes[0].contains("UPDATE activities"),
                "{}",
                changes[0]
            );
            // The activity and the body's assignment: one read.
            let reads = naming(&sql, "activity_assignments");
            assert_eq!(reads.len(), 2, "the read and the change: {reads:#?}");
            // Maintenance, the shared audit lock, the head and the entry: one statement.
            let append = naming(&sql, "pg_advisory_xact_lock_shared");
            assert_eq!(append.len(), 1, "{append:#?}");
            assert!(
                append[0].contains("FROM maintenance")
                    && append[0].contains("INSERT INTO audit_log")
            );
            assert_eq!(naming(&sql, "maintenance").len(), 1, "{sql:#?}");
            assert_eq!(naming(&sql, "INSERT INTO audit_log").len(), 1, "{sql:#?}");
        }
        Backend::Sqlite => {
            assert_eq!(
                naming(&sql, "INSERT INTO \"progress_updates\"").len(),
                1,
                "{sql:#?}"
            );
            assert_eq!(
                naming(&sql, "INSERT INTO \"audit_log\"").len(),
                1,
                "{sql:#?}"
            );
        }
    }
}

/// Two forms opened before anyone reported, posted at once: one is saved, the other
/// refused as stale (409), and nothing of the refused one is kept: on PostgreSQL both
/// may read "no report yet", and the second's one statement (update inserted, latest
/// status, activity) then matches no assignment row and is rolled back whole.
#[tokio::test]
async fn two_forms_from_before_any_report_posted_at_once_save_one_and_keep_nothing_of_the_other() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let cookie = app
        .web_login(&officer.email, wpt_tests::TEST_PASSWORD)
        .await
        .unwrap_or_else(|r| panic!("web login refused: {}", r.status));
    for round in 0..4 {
        let id = activity(&app, &sec, &format!("A.r.{round}")).await;
        let path = format!("/ui/activities/{id}/progress");
        let before = app.audit_rows().await;
        let (form_one, form_two) = (
            wpt_tests::progress_form("From the first page", ""),
            wpt_tests::progress_form("From the second page", ""),
        );
        let (first, second) = tokio::join!(
            app.web_post(Some(&cookie), &path, &form_one, true),
            app.web_post(Some(&cookie), &path, &form_two, true),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}: {} / {}",
            first.text(),
            second.text()
        );
        let timeline = app
            .get_as(&sec.token, &format!("/api/v1/activities/{id}/progress"))
            .await
            .json();
        let items = timeline["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "round {round}: {timeline}");
        assert_eq!(
            app.audit_rows().await,
            before + 1,
            "round {round}: one entry"
        );
        let shown = app
            .get_as(&sec.token, &format!("/api/v1/activities/{id}"))
            .await
            .json();
        let mine = shown["bodies"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["body"] == "DGICM"))
            .cloned()
            .expect("DGICM's part");
        assert_eq!(mine["latest_status"], "on_track", "{shown}");
        assert_eq!(mine["latest_percent"], 40, "{shown}");
    }
}

//! Reminders (issue 17): the schedule at set dates (14, 7 and 1 days before, the due
//! day, then weekly), each step once however often it runs, only to bodies not yet
//! submitted, following an extension; and the secretariat's nudge.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use wpt_domain::Role;
use wpt_domain::deadline::ReminderDays;
use wpt_tests::mail::app_with_mail;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An open cycle due in 30 days; the secretariat, the cycle and its due day.
async fn open_cycle(app: &TestApp) -> (Caller, String, NaiveDate) {
    let sec = app.caller(Role::Secretariat, None).await;
    let due = today() + Days::new(30);
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(
            &json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "28th SOMTC",
            "meeting_date": (today() + Days::new(60)).to_string(),
            "period_start": (today() - Days::new(365)).to_string(),
            "period_end": today().to_string(),
            "opens_on": (today() - Days::new(1)).to_string(),
            "due_on": due.to_string(),
            "review_due_on": (today() + Days::new(45)).to_string()}),
        )
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    (sec, id, due)
}

/// Nine in the morning of `day`, UTC.
fn at(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(9, 0, 0).expect("a time").and_utc()
}

async fn inbox(app: &TestApp, user: uuid::Uuid) -> u64 {
    wpt_db::entities::notification::Entity::find()
        .filter(wpt_db::entities::notification::Column::UserId.eq(user))
        .count(app.database().conn())
        .await
        .expect("count")
}

async fn outbox_to(app: &TestApp, email: &str) -> usize {
    wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.to_address == email)
        .count()
}

async fn run(app: &TestApp, now: DateTime<Utc>) {
    wpt_db::cycles::send_due_reminders(app.database(), &ReminderDays::default(), now)
        .await
        .expect("a reminder run");
}

#[tokio::test]
async fn each_step_of_the_schedule_reminds_once_and_only_the_bodies_that_owe() {
    let app = app_with_mail("http://wpt.test").await;
    let (sec, cycle, due) = open_cycle(&app).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let acw = app.caller(Role::Officer, Some("ACW")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let day = |offset: i64| {
        if offset >= 0 {
            due + Days::new(offset as u64)
        } else {
            due - Days::new((-offset) as u64)
        }
    };

    // (offset from the due day, reminders DGICM's officer has received so far)
    let schedule = [
        (-20, 0), // before the first step
        (-14, 1), // before-14
        (-10, 1), // still before-14: nothing new
        (-7, 2),  // before-7
        (-1, 3),  // before-1
        (0, 4),   // the due day
        (3, 4),   // still the due day's step
        (7, 5),   // overdue-7
        (13, 5),
        (14, 6), // overdue-14
    ];
    for (offset, expected) in schedule {
        run(&app, at(day(offset))).await;
        // A second run, as another instance or after a restart, adds nothing.
        run(&app, at(day(offset)) + chrono::Duration::minutes(30)).await;
        assert_eq!(inbox(&app, dgicm.id).await, expected, "day {offset}");
        assert_eq!(
            outbox_to(&app, &dgicm.email).await as u64,
            expected,
            "mail, day {offset}"
        );
    }
    assert_eq!(inbox(&app, acw.id).await, 6, "every owing body alike");
    assert_eq!(
        inbox(&app, sec.id).await,
        0,
        "the secretariat is not reminded"
    );
    assert_eq!(inbox(&app, viewer.id).await, 0, "nor are viewers");
    let mail = wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("outbox");
    let first = mail
        .iter()
        .find(|r| r.to_address == dgicm.email)
        .expect("a reminder");
    assert_eq!(first.kind, "reminder");
    assert!(
        first
            .text_body
            .contains(&format!("/ui/cycles/{cycle}/my-report")),
        "{}",
        first.text_body
    );

    // DGICM submits: the next step reminds ACW only.
    let tag = app
        .get_as(
            &dgicm.token,
            &format!("/api/v1/cycles/{cycle}/submissions/DGICM"),
        )
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let saved = app
        .request(
            Method::PUT,
            &format!("/api/v1/cycles/{cycle}/submissions/DGICM"),
        )
        .bearer(&dgicm.token)
        .header("if-match", &tag)
        .json(&json!({"entries": []}))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    app.request(
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/submissions/DGICM/submit"),
    )
    .bearer(&dgicm.token)
    .header("if-match", saved.header("etag").expect("etag"))
    .send()
    .await
    .assert_status(StatusCode::OK);
    run(&app, at(day(21))).await;
    assert_eq!(
        inbox(&app, dgicm.id).await,
        6,
        "a submitted body is not reminded"
    );
    assert_eq!(inbox(&app, acw.id).await, 7, "overdue-21");
}

#[tokio::test]
async fn reminders_follow_an_extended_due_day() {
    let app = TestApp::spawn().await;
    let (sec, cycle, due) = open_cycle(&app).await;
    let acw = app.caller(Role::Officer, Some("ACW")).await;
    let tag = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/submissions/ACW"),
        )
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let later = due + Days::new(20);
    app.request(
        Method::POST,
        &format!("/api/v1/cycles/{cycle}/submissions/ACW/extension"),
    )
    .bearer(&sec.token)
    .header("if-match", &tag)
    .json(&json!({"due_on": later.to_string(), "reason": "Elections"}))
    .send()
    .await
    .assert_status(StatusCode::OK);
    // The cycle's due day is ACW's 20 days before its own: its before-14 step is not
    // due yet (the extension notice is the one thing in its inbox).
    let before = inbox(&app, acw.id).await;
    run(&app, at(due)).await;
    assert_eq!(
        inbox(&app, acw.id).await,
        before,
        "not due on the cycle's day"
    );
    run(&app, at(later - Days::new(14))).await;
    assert_eq!(
        inbox(&app, acw.id).await,
        before + 1,
        "before-14 of its own day"
    );
    run(&app, at(later)).await;
    assert_eq!(inbox(&app, acw.id).await, before + 2, "its own due day");
}

#[tokio::test]
async fn the_secretariat_nudges_the_missing_bodies_now_and_others_are_refused() {
    let app = TestApp::spawn().await;
    let (sec, cycle, _) = open_cycle(&app).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let path = format!("/api/v1/cycles/{cycle}/reminders");
    for token in [&dgicm.token, &viewer.token] {
        app.request(Method::POST, &path)
            .bearer(token)
            .send()
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    app.request(Method::POST, &path)
        .anonymous()
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(inbox(&app, dgicm.id).await, 0, "refusals send nothing");
    let res = app
        .request(Method::POST, &path)
        .bearer(&sec.token)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    let bodies: Vec<String> = serde_json::from_value(res.json()["bodies"].clone()).expect("bodies");
    assert!(bodies.contains(&"DGICM".to_owned()), "{bodies:?}");
    assert_eq!(inbox(&app, dgicm.id).await, 1);
    // Each nudge is sent (no dedupe), and audited with its bodies.
    app.request(Method::POST, &path)
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(inbox(&app, dgicm.id).await, 2);
    let audit = app
        .get_as(&sec.token, "/api/v1/audit?limit=200")
        .await
        .text();
    assert!(audit.contains("cycle.remind"), "{audit}");
    // The board's button asks first.
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let board = app
        .web_get(Some(&cookie), &format!("/ui/cycles/{cycle}/board"))
        .await
        .text();
    assert!(board.contains(&format!("/ui/cycles/{cycle}/reminders")));
    let asked = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{cycle}/reminders"),
            &[],
            false,
        )
        .await;
    asked.assert_status(StatusCode::OK);
    assert!(asked.text().contains("DGICM"));
    assert_eq!(inbox(&app, dgicm.id).await, 2, "asking sends nothing");
    let done = app
        .web_post(
            Some(&cookie),
            &format!("/ui/cycles/{cycle}/reminders"),
            &[("confirm", "yes")],
            false,
        )
        .await;
    done.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(inbox(&app, dgicm.id).await, 3);
    // A closed cycle reminds nobody (409).
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/close"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.request(Method::POST, &path)
        .bearer(&sec.token)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[tokio::test]
async fn a_reminder_run_takes_the_same_number_of_queries_for_one_cycle_or_three() {
    let app = TestApp::spawn().await;
    let (_, _, due) = open_cycle(&app).await;
    // Before any step: the queries that find who owes what, and no write.
    let quiet = at(due - Days::new(20));
    let (_, one) = app.count_statements(run(&app, quiet)).await;
    open_cycle(&app).await;
    open_cycle(&app).await;
    let (_, three) = app.count_statements(run(&app, quiet)).await;
    assert_eq!(one, three, "a constant number of queries");
    assert!(one <= 5, "{one} queries");
}

//! Mail and notifications (issue 17): workflow notices reach the right people, by e-mail
//! through a real SMTP server (aiosmtpd, `wpt_tests::mail`) and in the inbox; the
//! outbox survives the SMTP server being down; two workers on one database send each
//! message once.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::mail::{SmtpSink, app_with_mail, settings};
use wpt_tests::{Caller, TEST_PASSWORD, TestApp};

pub(crate) const PUBLIC: &str = "https://wpt.example.org";

pub(crate) fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string()
}

/// One activity led by DGICM and an open cycle; returns the cycle id.
pub(crate) async fn open_cycle(app: &TestApp, sec: &Caller) -> String {
    app.request(
        Method::POST,
        &format!("/api/v1/work-plans/{}/activities", plan_id()),
    )
    .bearer(&sec.token)
    .json(&json!({"area": "A", "code": "A.a.1", "title": "Awareness campaign", "lead_body": "DGICM", "cooperating_bodies": ["SOMTC"]}))
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
    let id = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    id
}

pub(crate) async fn step(
    app: &TestApp,
    token: &str,
    cycle: &str,
    body: &str,
    action: &str,
    payload: Option<Value>,
) -> Value {
    let path = format!("/api/v1/cycles/{cycle}/submissions/{body}");
    let etag = app
        .get_as(token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let mut req = app
        .request(Method::POST, &format!("{path}/{action}"))
        .bearer(token)
        .header("if-match", &etag);
    if let Some(p) = payload {
        req = req.json(&p);
    }
    let res = req.send().await;
    res.assert_status(StatusCode::OK);
    res.json()
}

/// Saves DGICM's report (a draft, so it can be submitted).
pub(crate) async fn save_dgicm(app: &TestApp, token: &str, cycle: &str) {
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let current = app.get_as(token, &path).await;
    let etag = current.header("etag").expect("etag").to_owned();
    let activity = current.json()["entries"][0]["activity_id"].clone();
    app.request(Method::PUT, &path)
        .bearer(token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": activity, "status": "on_track", "percent_complete": 40, "narrative": "Forty percent"}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

/// Sends what is due through `sink`, as one worker round of `wpt serve` does.
pub(crate) async fn deliver(app: &TestApp, sink: &SmtpSink) -> usize {
    let s = settings(sink, PUBLIC);
    let mailer = wpt_server::mail::Mailer::new(&s)
        .expect("settings")
        .expect("mail on");
    wpt_server::mail::deliver_due(app.database(), &mailer, &s, "test-worker")
        .await
        .expect("a delivery round")
}

pub(crate) fn recipients(messages: &[Value]) -> Vec<String> {
    let mut r: Vec<String> = messages
        .iter()
        .flat_map(|m| m["rcpt_tos"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    r.sort();
    r
}

/// The messages received since `seen` (by Message-ID).
pub(crate) fn new_since(sink: &SmtpSink, seen: &mut BTreeSet<String>, n: usize) -> Vec<Value> {
    let all = sink.wait_for(seen.len() + n, Duration::from_secs(10));
    let fresh: Vec<Value> = all
        .into_iter()
        .filter(|m| !seen.contains(m["message_id"].as_str().unwrap_or("")))
        .collect();
    for m in &fresh {
        seen.insert(m["message_id"].as_str().unwrap_or("").to_owned());
    }
    fresh
}

pub(crate) async fn inbox_count(app: &TestApp, user: uuid::Uuid) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    wpt_db::entities::notification::Entity::find()
        .filter(wpt_db::entities::notification::Column::UserId.eq(user))
        .count(app.database().conn())
        .await
        .expect("count") as i64
}

#[tokio::test]
async fn workflow_notices_reach_the_right_people_and_no_one_else() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let admin = app.caller(Role::Admin, None).await;
    let secretariat = {
        // Everyone of the secretariat role: `sec` and the app's default reader.
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let mut e: Vec<String> = wpt_db::entities::user::Entity::find()
            .filter(wpt_db::entities::user::Column::Role.eq("secretariat"))
            .all(app.database().conn())
            .await
            .expect("users")
            .into_iter()
            .map(|u| u.email)
            .collect();
        e.sort();
        e
    };
    assert!(secretariat.contains(&sec.email));
    let mut seen = BTreeSet::new();
    // The administrator's login sent the one message an administrator gets here: the
    // security notice of a new sign-in (tests/tests/it/mail_sign_in.rs).
    assert_eq!(deliver(&app, &sink).await, 1);
    let signed_in = new_since(&sink, &mut seen, 1);
    assert_eq!(recipients(&signed_in), vec![admin.email.clone()]);

    // Opened: the officers of each participating body, what is due when.
    let cycle = open_cycle(&app, &sec).await;
    assert_eq!(deliver(&app, &sink).await, 2);
    let opened = new_since(&sink, &mut seen, 2);
    assert_eq!(recipients(&opened), {
        let mut v = vec![dgicm.email.clone(), somtc.email.clone()];
        v.sort();
        v
    });
    let m = &opened[0];
    assert_eq!(m["from"], "Work Plan Tracker <tracker@wpt.test>");
    assert_eq!(m["content_type"], "multipart/alternative");
    let parts: Vec<&str> = m["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        parts.contains(&"text/plain") && parts.contains(&"text/html"),
        "{parts:?}"
    );
    let id = m["message_id"].as_str().expect("message id");
    assert!(
        id.starts_with('<') && id.ends_with("@wpt.example.org>"),
        "{id}"
    );
    assert!(
        m["subject"]
            .as_str()
            .expect("subject")
            .contains("Reporting cycle opened: 26th SOMTC")
    );
    let text = m["text"].as_str().expect("text part");
    let link = format!("{PUBLIC}/ui/cycles/{cycle}/my-report");
    assert!(text.contains(&link), "{text}");
    assert!(text.contains("2099-05-21"), "the due date: {text}");
    assert!(
        text.contains(&format!("{PUBLIC}/ui/account")),
        "where to change the setting"
    );
    assert!(text.contains("focal point"), "why the person got it");
    assert!(
        m["html"]
            .as_str()
            .expect("html part")
            .contains(&format!("href=\"{link}\""))
    );
    // The link works for the person it was sent to.
    let cookie = app
        .web_login(&dgicm.email, TEST_PASSWORD)
        .await
        .expect("web login");
    let page = app
        .web_get(Some(&cookie), link.strip_prefix(PUBLIC).expect("path"))
        .await;
    assert!(
        page.status.is_success() || page.status.is_redirection(),
        "{}",
        page.status
    );

    // Submitted: the secretariat.
    save_dgicm(&app, &dgicm.token, &cycle).await;
    step(&app, &dgicm.token, &cycle, "DGICM", "submit", None).await;
    deliver(&app, &sink).await;
    let submitted = new_since(&sink, &mut seen, secretariat.len());
    assert_eq!(recipients(&submitted), secretariat);
    assert!(
        submitted[0]["text"]
            .as_str()
            .expect("text")
            .contains(&format!("{PUBLIC}/ui/cycles/{cycle}/submissions/DGICM"))
    );

    // Returned, with the reason: that body's officers only.
    step(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        "return",
        Some(json!({"reason": "Please add the venue of the workshop"})),
    )
    .await;
    deliver(&app, &sink).await;
    let returned = new_since(&sink, &mut seen, 1);
    assert_eq!(recipients(&returned), vec![dgicm.email.clone()]);
    assert!(
        returned[0]["text"]
            .as_str()
            .expect("text")
            .contains("Please add the venue of the workshop")
    );

    // Accepted: that body's officers.
    step(&app, &dgicm.token, &cycle, "DGICM", "submit", None).await;
    step(&app, &sec.token, &cycle, "DGICM", "accept", None).await;
    deliver(&app, &sink).await;
    let accepted = new_since(&sink, &mut seen, secretariat.len() + 1);
    let to_officer: Vec<&Value> = accepted
        .iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("accepted"))
        .collect();
    assert_eq!(to_officer.len(), 1);
    assert_eq!(to_officer[0]["rcpt_tos"], json!([dgicm.email]));

    // Amendment proposed: the secretariat; decided: the proposer.
    let activity = app
        .get_as(
            &dgicm.token,
            &format!("/api/v1/cycles/{cycle}/submissions/DGICM"),
        )
        .await
        .json()["entries"][0]["activity_id"]
        .clone();
    let proposed = app
        .request(Method::POST, &format!("/api/v1/cycles/{cycle}/submissions/DGICM/amendments"))
        .bearer(&dgicm.token)
        .json(&json!({"entry": {"activity_id": activity, "status": "on_track", "percent_complete": 55, "narrative": "Corrected"}, "reason": "Figures corrected after audit"}))
        .send()
        .await;
    proposed.assert_status(StatusCode::CREATED);
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, secretariat.len())),
        secretariat
    );
    let amendment = proposed.json()["id"].as_str().expect("id").to_owned();
    app.request(
        Method::POST,
        &format!("/api/v1/amendments/{amendment}/accept"),
    )
    .bearer(&sec.token)
    .json(&json!({"note": "Agreed"}))
    .send()
    .await
    .assert_status(StatusCode::OK);
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, 1)),
        vec![dgicm.email.clone()]
    );

    // Nobody else got anything, by mail or in the inbox; each message arrived once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = sink.messages();
    let everyone = recipients(&all);
    assert!(!everyone.contains(&viewer.email), "the viewer got mail");
    assert_eq!(
        everyone.iter().filter(|e| **e == admin.email).count(),
        1,
        "the administrator: its sign-in notice only"
    );
    assert_eq!(inbox_count(&app, viewer.id).await, 0);
    assert_eq!(inbox_count(&app, admin.id).await, 1, "its sign-in notice");
    assert_eq!(
        inbox_count(&app, dgicm.id).await,
        4,
        "opened, returned, accepted, amendment decided"
    );
    assert_eq!(inbox_count(&app, somtc.id).await, 1);
    let ids: BTreeSet<&str> = all
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), all.len(), "no message twice");
    assert_eq!(deliver(&app, &sink).await, 0, "nothing left to send");
}

#[tokio::test]
async fn with_the_smtp_server_down_mail_waits_and_is_delivered_once_when_it_is_back() {
    let mut sink = SmtpSink::stopped();
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    open_cycle(&app, &sec).await;
    assert_eq!(deliver(&app, &sink).await, 0, "the server is down");
    let rows = wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "queued");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.is_some());
    sink.resume();
    // The retry is due a second after the failure.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(deliver(&app, &sink).await, 1);
    assert_eq!(deliver(&app, &sink).await, 0);
    let got = sink.wait_for(1, Duration::from_secs(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "delivered once");
    assert_eq!(got[0]["rcpt_tos"], json!([officer.email]));
    let rows = wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("rows");
    assert_eq!(rows[0].status, "sent");
    assert_eq!(
        rows[0].message_id,
        got[0]["message_id"].as_str().expect("id")
    );
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    for body in ["DGICM", "SOMTC", "ACW", "ACWC", "SLOM"] {
        for _ in 0..4 {
            app.caller(Role::Officer, Some(body)).await;
        }
    }
    open_cycle(&app, &sec).await;
    let queued = wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("rows")
        .len();
    assert!(queued >= 20, "{queued}");
    // A second pool on the same database, as a second instance would have.
    let other = wpt_db::Database::connect(&app.db.url, 5)
        .await
        .expect("a second pool")
        .with_audit_key(wpt_tests::test_audit_key())
        .with_mail(wpt_db::notify::MailConfig::sending(PUBLIC));
    let s = settings(&sink, PUBLIC);
    let mailer = wpt_server::mail::Mailer::new(&s)
        .expect("settings")
        .expect("on");
    let (a, b) = tokio::join!(
        wpt_server::mail::deliver_due(app.database(), &mailer, &s, "worker-a"),
        wpt_server::mail::deliver_due(&other, &mailer, &s, "worker-b"),
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(
        a + b,
        queued,
        "every message sent by one worker or the other"
    );
    let got = sink.wait_for(queued, Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = sink.messages();
    assert_eq!(
        got_after.len(),
        queued,
        "each once ({} then {})",
        got.len(),
        got_after.len()
    );
    let ids: BTreeSet<&str> = got_after
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), queued);
}

#[tokio::test]
async fn a_worker_sends_only_rows_whose_lease_it_still_holds() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    app.caller(Role::Officer, Some("DGICM")).await;
    open_cycle(&app, &sec).await;
    let db = app.database();
    use wpt_db::notify::deliver;
    // Worker A leases the row, briefly; its lease runs out before it gets to send.
    let now = chrono::Utc::now();
    let a_rows = deliver::lease(db, "worker-a", now, Duration::from_millis(50), 20)
        .await
        .expect("lease");
    assert_eq!(a_rows.len(), 1);
    let row = &a_rows[0];
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !deliver::renew_lease(
            db,
            row,
            "worker-a",
            chrono::Utc::now(),
            Duration::from_secs(300)
        )
        .await
        .expect("renew"),
        "a lease that ran out is not renewed"
    );
    // Worker B takes it over and sends it.
    assert_eq!(deliver(&app, &sink).await, 1);
    sink.wait_for(1, Duration::from_secs(10));
    // A, late, neither renews nor marks it: it would have sent it twice.
    assert!(
        !deliver::renew_lease(
            db,
            row,
            "worker-a",
            chrono::Utc::now(),
            Duration::from_secs(300)
        )
        .await
        .expect("renew")
    );
    assert!(!deliver::mark_sent(db, row, "worker-a").await.expect("mark"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
    // Not a security message: its body is kept.
    let rows = wpt_db::notify::admin::all_rows(db).await.expect("rows");
    assert_ne!(rows[0].text_body, deliver::REMOVED_BODY);

    // A live lease is renewed, and another worker leaves the row alone meanwhile.
    a_held_lease_is_renewed_and_respected(&app, &sink, db).await;
}

/// With a row leased by worker A (300 s), A's renewal holds and another worker sends
/// nothing; once sent, a reset message keeps no link.
async fn a_held_lease_is_renewed_and_respected(
    app: &TestApp,
    sink: &SmtpSink,
    db: &wpt_db::Database,
) {
    use wpt_db::notify::deliver;
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    wpt_db::auth::links::request_reset(db, &officer.email, chrono::Utc::now())
        .await
        .expect("a reset link");
    let rows = deliver::lease(
        db,
        "worker-a",
        chrono::Utc::now(),
        Duration::from_secs(300),
        20,
    )
    .await
    .expect("lease");
    assert_eq!(rows.len(), 1);
    assert!(
        deliver::renew_lease(
            db,
            &rows[0],
            "worker-a",
            chrono::Utc::now(),
            Duration::from_secs(300)
        )
        .await
        .expect("renew")
    );
    assert_eq!(deliver(app, sink).await, 0, "leased by A");
    // A sends it (here: marks it sent); a security message's link is not kept.
    assert!(
        deliver::mark_sent(db, &rows[0], "worker-a")
            .await
            .expect("mark")
    );
    let kept = wpt_db::notify::admin::all_rows(db)
        .await
        .expect("rows")
        .into_iter()
        .find(|r| r.id == rows[0].id)
        .expect("the row");
    assert_eq!(kept.kind, "password_reset");
    assert_eq!(kept.text_body, deliver::REMOVED_BODY);
    assert_eq!(kept.html_body, deliver::REMOVED_BODY);
}

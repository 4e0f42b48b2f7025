//! A whole reporting cycle on `wpt seed --demo` data with a real SMTP server (issue 17,
//! "done when"): opening, submitting, returning, accepting, an amendment, an extension,
//! a scheduled reminder and the secretariat's nudge each mail exactly the people who
//! must act (that body's officers, or the secretariat) and nobody else, once, and the
//! same notices are in their inboxes.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use chrono::{Days, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use wpt_domain::deadline::ReminderDays;
use wpt_tests::TestApp;
use wpt_tests::mail::{SmtpSink, app_with_mail};

use super::mail::{PUBLIC, deliver, inbox_count, new_since, recipients, step};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn login(app: &TestApp, email: &str, password: &str) -> String {
    let res = app.login(email, password).await;
    res.assert_status(StatusCode::OK);
    res.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// Saves `body`'s report with its first entry filled in (a draft that can be submitted).
async fn save_first_entry(app: &TestApp, token: &str, cycle: &str, body: &str) -> Value {
    let path = format!("/api/v1/cycles/{cycle}/submissions/{body}");
    let current = app.get_as(token, &path).await;
    current.assert_status(StatusCode::OK);
    let etag = current.header("etag").expect("etag").to_owned();
    let activity = current.json()["entries"][0]["activity_id"].clone();
    assert!(activity.is_string(), "{body} has an entry");
    app.request(Method::PUT, &path)
        .bearer(token)
        .header("if-match", &etag)
        .json(
            &json!({"entries": [{"activity_id": activity, "status": "on_track",
                                   "percent_complete": 50, "narrative": "Half done"}]}),
        )
        .send()
        .await
        .assert_status(StatusCode::OK);
    activity
}

#[tokio::test]
async fn a_whole_cycle_on_the_demo_data_mails_each_role_exactly_its_messages() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let demo = wpt_db::seed::demo(app.database(), &app.state.auth.hasher)
        .await
        .expect("the demo");
    assert!(
        wpt_db::notify::admin::all_rows(app.database())
            .await
            .expect("outbox")
            .is_empty(),
        "seeding mails nobody"
    );

    // Who is who: one officer per participating body, the secretariat (the demo's and
    // the harness's reader), a viewer.
    let users = wpt_db::entities::user::Entity::find()
        .all(app.database().conn())
        .await
        .expect("users");
    let id_of: BTreeMap<String, uuid::Uuid> =
        users.iter().map(|u| (u.email.clone(), u.id)).collect();
    let secretariat = sorted(
        users
            .iter()
            .filter(|u| u.role == "secretariat")
            .map(|u| u.email.clone())
            .collect(),
    );
    assert!(secretariat.len() >= 2, "{secretariat:?}");
    let officer_of: BTreeMap<String, String> = demo
        .logins
        .iter()
        .filter_map(|l| l.body.clone().map(|b| (b, l.email.clone())))
        .collect();
    assert_eq!(
        wpt_db::entities::user::Entity::find()
            .filter(wpt_db::entities::user::Column::Role.eq("officer"))
            .all(app.database().conn())
            .await
            .expect("officers")
            .len(),
        officer_of.len(),
        "the demo's officers are all the officers"
    );
    let all_officers = sorted(officer_of.values().cloned().collect());
    let viewer = "viewer@demo.wpt".to_owned();
    let sec = login(&app, "secretariat@demo.wpt", &demo.password).await;
    let viewer_token = login(&app, &viewer, &demo.password).await;
    let mut seen = BTreeSet::new();

    // A new cycle, due in 30 days, opened: every participating body's officers.
    let today = Utc::now().date_naive();
    let due = today + Days::new(30);
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec)
        .json(
            &json!({"work_plan_id": wpt_domain::reference_id("work_plan", wpt_db::seed::PLAN_CODE),
            "kind": "somtc", "name": "Demo SOMTC (mail check)",
            "meeting_date": (today + Days::new(60)).to_string(),
            "period_start": (today - Days::new(180)).to_string(),
            "period_end": today.to_string(),
            "opens_on": today.to_string(),
            "due_on": due.to_string(),
            "review_due_on": (today + Days::new(45)).to_string()}),
        )
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec)
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(deliver(&app, &sink).await, all_officers.len());
    let opened = new_since(&sink, &mut seen, all_officers.len());
    assert_eq!(recipients(&opened), all_officers, "each officer once");

    // Two bodies with entries: A goes through the review, B gets an extension.
    let mut with_entries = Vec::new();
    for (code, email) in &officer_of {
        let token = login(&app, email, &demo.password).await;
        let report = app
            .get_as(
                &token,
                &format!("/api/v1/cycles/{cycle}/submissions/{code}"),
            )
            .await
            .json();
        if report["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            with_entries.push((code.clone(), email.clone(), token));
        }
        if with_entries.len() == 2 {
            break;
        }
    }
    let [(a, a_email, a_token), (b, b_email, _)] =
        <[_; 2]>::try_from(with_entries).expect("two demo bodies with activities");

    // Submitted: the secretariat.
    let activity = save_first_entry(&app, &a_token, &cycle, &a).await;
    step(&app, &a_token, &cycle, &a, "submit", None).await;
    deliver(&app, &sink).await;
    let got = new_since(&sink, &mut seen, secretariat.len());
    assert_eq!(recipients(&got), secretariat);

    // Returned, with the reason: A's officer only.
    step(
        &app,
        &sec,
        &cycle,
        &a,
        "return",
        Some(json!({"reason": "Please name the venue"})),
    )
    .await;
    deliver(&app, &sink).await;
    let got = new_since(&sink, &mut seen, 1);
    assert_eq!(recipients(&got), vec![a_email.clone()]);
    assert!(
        got[0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("Please name the venue")
    );

    // Submitted again (the secretariat), accepted (A's officer).
    step(&app, &a_token, &cycle, &a, "submit", None).await;
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, secretariat.len())),
        secretariat
    );
    step(&app, &sec, &cycle, &a, "accept", None).await;
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, 1)),
        vec![a_email.clone()]
    );

    // An amendment: proposed (the secretariat), accepted (its proposer).
    let proposed = app
        .request(
            Method::POST,
            &format!("/api/v1/cycles/{cycle}/submissions/{a}/amendments"),
        )
        .bearer(&a_token)
        .json(
            &json!({"entry": {"activity_id": activity, "status": "on_track", "percent_complete": 55,
                                "narrative": "Corrected"}, "reason": "A typing error"}),
        )
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
    .bearer(&sec)
    .json(&json!({"note": "Agreed"}))
    .send()
    .await
    .assert_status(StatusCode::OK);
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, 1)),
        vec![a_email.clone()]
    );

    // Extended: B's officer only.
    let path = format!("/api/v1/cycles/{cycle}/submissions/{b}");
    let tag = app
        .get_as(&sec, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::POST, &format!("{path}/extension"))
        .bearer(&sec)
        .header("if-match", &tag)
        .json(&json!({"due_on": (due + Days::new(20)).to_string(), "reason": "Elections"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    deliver(&app, &sink).await;
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, 1)),
        vec![b_email.clone()]
    );

    // The 14-days-before reminder: every body still owing its report, except A
    // (accepted) and B (its own due day is 20 days later); a second run sends nothing.
    let missing: Vec<String> = all_officers
        .iter()
        .filter(|e| **e != a_email && **e != b_email)
        .cloned()
        .collect();
    let reminder_day = (due - Days::new(14))
        .and_hms_opt(9, 0, 0)
        .expect("a time")
        .and_utc();
    for _ in 0..2 {
        wpt_db::cycles::send_due_reminders(app.database(), &ReminderDays::default(), reminder_day)
            .await
            .expect("a reminder run");
    }
    assert_eq!(deliver(&app, &sink).await, missing.len());
    let got = new_since(&sink, &mut seen, missing.len());
    assert_eq!(recipients(&got), missing);

    // The secretariat's nudge: every body still owing, B included, not A.
    let res = app
        .request(Method::POST, &format!("/api/v1/cycles/{cycle}/reminders"))
        .bearer(&sec)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    let nudged = sorted(
        all_officers
            .iter()
            .filter(|e| **e != a_email)
            .cloned()
            .collect(),
    );
    assert_eq!(deliver(&app, &sink).await, nudged.len());
    assert_eq!(
        recipients(&new_since(&sink, &mut seen, nudged.len())),
        nudged
    );
    assert_eq!(deliver(&app, &sink).await, 0, "nothing left");

    // Nobody else got anything; each role got exactly its messages, by mail and in the
    // inbox.
    let all = sink.messages();
    let everyone = recipients(&all);
    assert!(!everyone.contains(&viewer), "the viewer got mail");
    let count = |email: &str| everyone.iter().filter(|e| *e == email).count();
    for s in &secretariat {
        assert_eq!(count(s), 3, "{s}: submitted twice, amendment proposed");
        assert_eq!(inbox_count(&app, id_of[s]).await, 3, "{s}");
    }
    assert_eq!(
        count(&a_email),
        4,
        "opened, returned, accepted, amendment decided"
    );
    assert_eq!(count(&b_email), 3, "opened, extended, nudged");
    for o in &missing {
        assert_eq!(count(o), 3, "{o}: opened, reminded, nudged");
    }
    for o in &all_officers {
        assert_eq!(inbox_count(&app, id_of[o]).await, count(o) as i64, "{o}");
    }
    assert_eq!(inbox_count(&app, id_of[&viewer]).await, 0);
    assert_eq!(
        app.get_as(&viewer_token, "/api/v1/me/notifications")
            .await
            .json()["items"],
        json!([])
    );
    let ids: BTreeSet<&str> = all
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), all.len(), "no message twice");
}

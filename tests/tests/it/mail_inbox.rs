//! Mail and notifications, continued (issue 17): the inbox API, the e-mail setting and
//! the daily digest, the administrators' outbox and retry, and the pages. Helpers and the
//! delivery tests are in `mail.rs`.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::TestApp;
use wpt_tests::mail::{SmtpSink, app_with_mail};

use super::mail::{PUBLIC, deliver, inbox_count, open_cycle, recipients, save_dgicm, step};

#[tokio::test]
async fn the_inbox_pages_newest_first_counts_unread_and_marks_only_ones_own_read() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let cycle = open_cycle(&app, &sec).await;
    save_dgicm(&app, &dgicm.token, &cycle).await;
    step(&app, &dgicm.token, &cycle, "DGICM", "submit", None).await;
    step(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        "return",
        Some(json!({"reason": "Add the venue"})),
    )
    .await;

    let (first, n1) = app
        .count_statements(app.get_as(&dgicm.token, "/api/v1/me/notifications?limit=1"))
        .await;
    first.assert_status(StatusCode::OK);
    let first = first.json();
    assert_eq!(first["unread_count"], 2);
    assert_eq!(first["items"].as_array().expect("items").len(), 1);
    assert_eq!(first["items"][0]["kind"], "report_returned", "newest first");
    assert!(
        first["items"][0]["body"]
            .as_str()
            .expect("body")
            .contains("Add the venue")
    );
    assert_eq!(
        first["items"][0]["link"],
        format!("/ui/cycles/{cycle}/submissions/DGICM")
    );
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (second, n2) = app
        .count_statements(app.get_as(
            &dgicm.token,
            &format!("/api/v1/me/notifications?limit=50&cursor={cursor}"),
        ))
        .await;
    let second = second.json();
    assert_eq!(second["items"][0]["kind"], "cycle_opened");
    assert_eq!(second["items"].as_array().expect("items").len(), 1);
    assert!(second["next_cursor"].is_null());
    assert_eq!(
        n1, n2,
        "a constant number of queries whatever the page size"
    );

    // Another officer cannot mark DGICM's notification read.
    let id = first["items"][0]["id"].clone();
    let other = app
        .request(Method::POST, "/api/v1/me/notifications/read")
        .bearer(&somtc.token)
        .json(&json!({"ids": [id]}))
        .send()
        .await;
    other.assert_status(StatusCode::OK);
    assert_eq!(other.json()["marked"], 0);
    let mine = app
        .request(Method::POST, "/api/v1/me/notifications/read")
        .bearer(&dgicm.token)
        .json(&json!({"ids": [id]}))
        .send()
        .await;
    assert_eq!(mine.json(), json!({"marked": 1, "unread_count": 1}));
    for bad in [
        json!({}),
        json!({"ids": [id], "all": true}),
        json!({"all": false}),
        json!({"ids": "x"}),
        json!({"every": true}),
    ] {
        let res = app
            .request(Method::POST, "/api/v1/me/notifications/read")
            .bearer(&dgicm.token)
            .json(&bad)
            .send()
            .await;
        assert!(
            res.status == StatusCode::UNPROCESSABLE_ENTITY || res.status == StatusCode::BAD_REQUEST,
            "{bad}: {}",
            res.status
        );
    }
    let all = app
        .request(Method::POST, "/api/v1/me/notifications/read")
        .bearer(&dgicm.token)
        .json(&json!({"all": true}))
        .send()
        .await;
    assert_eq!(all.json(), json!({"marked": 1, "unread_count": 0}));
    let list = app
        .get_as(&dgicm.token, "/api/v1/me/notifications")
        .await
        .json();
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|n| !n["read_at"].is_null())
    );
    app.get_as(&dgicm.token, "/api/v1/me/notifications?limit=0")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn the_email_setting_decides_immediate_digest_or_none_and_the_inbox_gets_all() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let settings_path = "/api/v1/me/notification-settings";
    assert_eq!(
        app.get_as(&dgicm.token, settings_path).await.json(),
        json!({"email": "immediate"})
    );
    for (caller, value) in [(&dgicm, "daily_digest"), (&somtc, "off")] {
        let res = app
            .request(Method::PATCH, settings_path)
            .bearer(&caller.token)
            .json(&json!({"email": value}))
            .send()
            .await;
        res.assert_status(StatusCode::OK);
        assert_eq!(res.json(), json!({"email": value}));
    }
    app.request(Method::PATCH, settings_path)
        .bearer(&dgicm.token)
        .json(&json!({"email": "weekly"}))
        .send()
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get_as(&dgicm.token, settings_path).await.json(),
        json!({"email": "daily_digest"})
    );

    let cycle = open_cycle(&app, &sec).await;
    save_dgicm(&app, &dgicm.token, &cycle).await;
    step(&app, &dgicm.token, &cycle, "DGICM", "submit", None).await;
    step(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        "return",
        Some(json!({"reason": "Add the venue"})),
    )
    .await;
    // Nothing goes to DGICM (digest) or SOMTC (off) at once; both inboxes have theirs.
    deliver(&app, &sink).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let everyone = recipients(&sink.messages());
    assert!(
        !everyone.contains(&dgicm.email) && !everyone.contains(&somtc.email),
        "{everyone:?}"
    );
    assert_eq!(inbox_count(&app, dgicm.id).await, 2);
    assert_eq!(inbox_count(&app, somtc.id).await, 1);
    let rows = wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("rows");
    assert_eq!(
        rows.iter()
            .filter(|r| r.recipient_user_id == Some(somtc.id))
            .count(),
        0,
        "off: no e-mail at all"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.recipient_user_id == Some(dgicm.id) && r.status == "digest")
            .count(),
        2
    );

    // The digest hour: one message gathering both, once however often it runs.
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    let hour = 0;
    let n = wpt_db::notify::deliver::gather_digests(app.database(), later, hour)
        .await
        .expect("digest");
    assert_eq!(n, 1);
    assert_eq!(
        wpt_db::notify::deliver::gather_digests(app.database(), later, hour)
            .await
            .expect("again"),
        0
    );
    deliver(&app, &sink).await;
    let got = sink.wait_for(everyone.len() + 1, Duration::from_secs(5));
    let digests: Vec<&Value> = got
        .iter()
        .filter(|m| m["rcpt_tos"] == json!([dgicm.email]))
        .collect();
    assert_eq!(digests.len(), 1);
    let text = digests[0]["text"].as_str().expect("text");
    assert!(
        text.contains("Reporting cycle opened: 26th SOMTC") && text.contains("was returned"),
        "{text}"
    );
    assert!(text.contains(&format!("{PUBLIC}/ui/notifications")));
}

#[tokio::test]
async fn administrators_see_the_outbox_and_retry_a_failed_message_once() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    // The administrator's login queued its security notice of a new sign-in: sent.
    assert_eq!(deliver(&app, &sink).await, 1);
    open_cycle(&app, &sec).await;
    // The SMTP server refuses it for good (as a 5xx would): failed, not retried.
    let leased = wpt_db::notify::deliver::lease(
        app.database(),
        "w1",
        chrono::Utc::now(),
        Duration::from_secs(60),
        10,
    )
    .await
    .expect("lease");
    assert_eq!(leased.len(), 1);
    assert!(
        wpt_db::notify::deliver::lease(
            app.database(),
            "w2",
            chrono::Utc::now(),
            Duration::from_secs(60),
            10
        )
        .await
        .expect("lease")
        .is_empty(),
        "a leased row is not leased twice"
    );
    let outcome = wpt_db::notify::deliver::mark_attempt_failed(
        app.database(),
        &leased[0],
        "w1",
        "550 mailbox unavailable",
        true,
        Duration::from_secs(1),
        Duration::from_secs(3600),
    )
    .await
    .expect("mark");
    assert_eq!(outcome, wpt_db::notify::deliver::Outcome::Failed);
    assert_eq!(
        deliver(&app, &sink).await,
        0,
        "a failed message is not sent"
    );

    let failed = app
        .get_as(&admin.token, "/api/v1/admin/outbox?status=failed")
        .await;
    failed.assert_status(StatusCode::OK);
    let failed = failed.json();
    assert_eq!(failed["items"].as_array().expect("items").len(), 1);
    let item = &failed["items"][0];
    assert_eq!(item["to_address"], officer.email);
    assert_eq!(item["last_error"], "550 mailbox unavailable");
    assert!(item.get("text_body").is_none(), "no bodies in the list");
    let sent = app
        .get_as(&admin.token, "/api/v1/admin/outbox?status=sent")
        .await
        .json();
    let sent = sent["items"].as_array().expect("items");
    assert_eq!(sent.len(), 1, "only the sign-in notice: {sent:?}");
    assert_eq!(sent[0]["kind"], "admin_sign_in");
    app.get_as(&admin.token, "/api/v1/admin/outbox?status=lost")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for who in [&sec, &officer] {
        app.get_as(&who.token, "/api/v1/admin/outbox")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let id = item["id"].as_str().expect("id");
    let retry = format!("/api/v1/admin/outbox/{id}/retry");
    app.request(Method::POST, &retry)
        .bearer(&sec.token)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = app
        .request(Method::POST, &retry)
        .bearer(&admin.token)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["status"], "queued");
    app.request(Method::POST, &retry)
        .bearer(&admin.token)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(deliver(&app, &sink).await, 1);
    let got: Vec<Value> = sink
        .wait_for(2, Duration::from_secs(5))
        .into_iter()
        .filter(|m| m["rcpt_tos"] != json!([admin.email]))
        .collect();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["message_id"], item["message_id"],
        "the same Message-ID"
    );
    assert_eq!(
        app.get_as(&admin.token, "/api/v1/admin/outbox?status=sent")
            .await
            .json()["items"][0]["id"],
        item["id"]
    );
}

#[tokio::test]
async fn the_pages_show_the_bell_the_inbox_the_setting_and_the_outbox_to_administrators_only() {
    let app = app_with_mail(PUBLIC).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let (dgicm, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let cycle = open_cycle(&app, &sec).await;
    save_dgicm(&app, &dgicm.token, &cycle).await;
    step(&app, &dgicm.token, &cycle, "DGICM", "submit", None).await;
    step(
        &app,
        &sec.token,
        &cycle,
        "DGICM",
        "return",
        Some(json!({"reason": "Add the <venue>"})),
    )
    .await;

    let home = app.web_get(Some(&cookie), "/ui/account").await;
    home.assert_status(StatusCode::OK);
    let html = home.text();
    assert!(
        html.contains("aria-label=\"Notifications: 2 unread\""),
        "the bell"
    );
    assert!(
        html.contains("id=\"notification-settings\""),
        "the setting on the account page"
    );
    assert!(html.contains("value=\"immediate\" checked"));

    let inbox = app.web_get(Some(&cookie), "/ui/notifications").await;
    inbox.assert_status(StatusCode::OK);
    let html = inbox.text();
    assert!(html.contains("Your report for 26th SOMTC was returned"));
    assert!(html.contains("Add the &lt;venue&gt;"), "escaped");
    assert!(html.contains(&format!("href=\"/ui/cycles/{cycle}/submissions/DGICM\"")));

    // Mark one read, without and with htmx; then all.
    let list = app
        .get_as(&dgicm.token, "/api/v1/me/notifications")
        .await
        .json();
    let first = list["items"][0]["id"].as_str().expect("id").to_owned();
    let res = app
        .web_post(
            Some(&cookie),
            "/ui/notifications/read",
            &[("id", &first)],
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        res.header("set-cookie")
            .is_some_and(|c| c.contains("wpt_flash")),
        "a flash message"
    );
    assert_eq!(
        app.get_as(&dgicm.token, "/api/v1/me/notifications")
            .await
            .json()["unread_count"],
        1
    );
    let res = app
        .web_post(
            Some(&cookie),
            "/ui/notifications/read",
            &[("all", "true")],
            true,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("hx-redirect"), Some("/ui/notifications"));
    let html = app.web_get(Some(&cookie), "/ui/notifications").await.text();
    assert!(html.contains("aria-label=\"Notifications: 0 unread\""));

    // The e-mail setting from the account page.
    let res = app
        .web_post(
            Some(&cookie),
            "/ui/account/notifications",
            &[("email", "off")],
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as(&dgicm.token, "/api/v1/me/notification-settings")
            .await
            .json(),
        json!({"email": "off"})
    );
    let res = app
        .web_post(
            Some(&cookie),
            "/ui/account/notifications",
            &[("email", "weekly")],
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The outbox page: administrators only.
    let (_, admin_cookie) = app.web_caller(Role::Admin, None).await;
    let page = app
        .web_get(Some(&admin_cookie), "/ui/admin/outbox?status=queued")
        .await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains(&dgicm.email));
    app.web_get(Some(&admin_cookie), "/ui/admin/outbox?status=lost")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    for role in [Role::Secretariat, Role::Officer, Role::Viewer] {
        let body = (role == Role::Officer).then_some("SOMTC");
        let (_, c) = app.web_caller(role, body).await;
        app.web_get(Some(&c), "/ui/admin/outbox")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        let res = app
            .web_post(
                Some(&c),
                &format!("/ui/admin/outbox/{}/retry", uuid::Uuid::new_v4()),
                &[],
                false,
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?}");
    }
}

//! The security message "new sign-in to an administrator account" (issue 17): each
//! login of an administrator, through the API or the login page, sends that
//! administrator exactly one message (through a real SMTP server, whatever their e-mail
//! setting) and one inbox notice, with the time, the client address and the user agent;
//! an officer's login sends nothing.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::mail::{SmtpSink, app_with_mail};
use wpt_tests::{TEST_PASSWORD, TestApp};

use super::mail::{PUBLIC, deliver, inbox_count, new_since, recipients};

const AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0";

/// Logs in through the API from `peer` with [`AGENT`]; the access token.
async fn api_login(app: &TestApp, email: &str, peer: &str) -> String {
    let res = app
        .request(Method::POST, "/api/v1/auth/login")
        .anonymous()
        .peer(peer)
        .header("user-agent", AGENT)
        .json(&json!({"email": email, "password": TEST_PASSWORD}))
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    res.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// The outbox rows of kind `admin_sign_in`.
async fn sign_in_rows(app: &TestApp) -> Vec<wpt_db::entities::outbox::Model> {
    wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == "admin_sign_in")
        .collect()
}

#[tokio::test]
async fn an_administrators_sign_in_mails_that_administrator_once_and_an_officers_nothing() {
    let sink = SmtpSink::start();
    let app = app_with_mail(PUBLIC).await;
    let admin = app
        .create_account("root.admin@test.example", Role::Admin, None)
        .await;
    let officer = app
        .create_account("dgicm.officer@test.example", Role::Officer, Some("DGICM"))
        .await;
    let mut seen = BTreeSet::new();

    // An API login: one message to the administrator, with when, where from and what.
    let token = api_login(&app, &admin.email, "203.0.113.7:4711").await;
    assert_eq!(sign_in_rows(&app).await.len(), 1);
    assert_eq!(deliver(&app, &sink).await, 1);
    let got = new_since(&sink, &mut seen, 1);
    assert_eq!(recipients(&got), vec![admin.email.clone()]);
    let m = &got[0];
    assert!(
        m["subject"]
            .as_str()
            .expect("subject")
            .contains("New sign-in to your administrator account"),
        "{}",
        m["subject"]
    );
    let text = m["text"].as_str().expect("text");
    assert!(text.contains("203.0.113.7"), "the client address: {text}");
    assert!(text.contains(AGENT), "the user agent: {text}");
    assert!(text.contains("through the API"), "{text}");
    assert!(text.contains(" UTC"), "the time: {text}");
    assert!(text.contains("security message"), "{text}");
    assert!(
        text.contains(&format!("{PUBLIC}/ui/account#sessions")),
        "{text}"
    );
    assert!(!text.contains(TEST_PASSWORD), "never the password");
    // And in the inbox.
    let inbox = app.get_as(&token, "/api/v1/me/notifications").await;
    inbox.assert_status(StatusCode::OK);
    let items: Vec<Value> = inbox.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["kind"], "admin_sign_in");

    // A security message ignores the e-mail setting: off, and the page login still
    // mails it (once).
    app.request(Method::PATCH, "/api/v1/me/notification-settings")
        .bearer(&token)
        .json(&json!({"email": "off"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.web_login(&admin.email, TEST_PASSWORD)
        .await
        .expect("page login");
    assert_eq!(sign_in_rows(&app).await.len(), 2);
    assert_eq!(deliver(&app, &sink).await, 1);
    let got = new_since(&sink, &mut seen, 1);
    assert_eq!(recipients(&got), vec![admin.email.clone()]);
    let text = got[0]["text"].as_str().expect("text");
    assert!(text.contains("through the web pages"), "{text}");
    assert!(
        text.contains("Browser or program: not given"),
        "no user agent sent: {text}"
    );
    assert_eq!(inbox_count(&app, admin.id).await, 2);

    // An officer's logins (API and page): nothing, by mail or in the inbox.
    api_login(&app, &officer.email, "198.51.100.2:5000").await;
    app.web_login(&officer.email, TEST_PASSWORD)
        .await
        .expect("page login");
    // A refused administrator login tells nobody anything either.
    app.login(&admin.email, "not the password")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&app, &sink).await, 0, "nothing more to send");
    assert_eq!(sign_in_rows(&app).await.len(), 2);
    assert_eq!(inbox_count(&app, officer.id).await, 0);
    assert_eq!(inbox_count(&app, admin.id).await, 2);
    let everyone = recipients(&sink.messages());
    assert_eq!(everyone, vec![admin.email.clone(), admin.email.clone()]);
}

#[tokio::test]
async fn without_mail_an_administrators_sign_in_reaches_the_inbox_only() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    assert!(
        wpt_db::notify::admin::all_rows(app.database())
            .await
            .expect("outbox")
            .is_empty(),
        "mail off: no outbox rows"
    );
    assert_eq!(inbox_count(&app, admin.id).await, 1);
    assert_eq!(inbox_count(&app, officer.id).await, 0);
}

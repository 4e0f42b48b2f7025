//! Password reset and invitations (issue 17): the same 202 for any address, a link by
//! real mail (the aiosmtpd sink) that works once, for 30 minutes, and ends every other
//! session and API token; invitations for accounts created without a password, mailed
//! or shown once to the administrator.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::mail::{SmtpSink, app_with_mail, settings};
use wpt_tests::{TEST_PASSWORD, TestApp};

const PUBLIC: &str = "http://wpt.test";
const NEW_PASSWORD: &str = "a brand new passphrase";

async fn deliver(app: &TestApp, sink: &SmtpSink) -> usize {
    let s = settings(sink, PUBLIC);
    let mailer = wpt_server::mail::Mailer::new(&s)
        .expect("settings")
        .expect("mail on");
    wpt_server::mail::deliver_due(app.database(), &mailer, &s, "test-worker")
        .await
        .expect("a delivery round")
}

async fn outbox(app: &TestApp) -> Vec<wpt_db::entities::outbox::Model> {
    wpt_db::notify::admin::all_rows(app.database())
        .await
        .expect("outbox rows")
}

/// The outbox once it has at least `n` rows addressed to `to` (reset requests are
/// handled in the background): waits at most 10 seconds.
async fn outbox_for(app: &TestApp, to: &str, n: usize) -> Vec<wpt_db::entities::outbox::Model> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Vec<_> = outbox(app)
            .await
            .into_iter()
            .filter(|r| r.to_address == to)
            .collect();
        if rows.len() >= n || std::time::Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets the background work of earlier requests finish (for checks that nothing came).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Whether every link of `user` is used up.
async fn all_links_used(app: &TestApp, user: uuid::Uuid) -> bool {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = wpt_db::entities::account_token::Entity::find()
        .filter(wpt_db::entities::account_token::Column::UserId.eq(user))
        .all(app.database().conn())
        .await
        .expect("links");
    assert!(!rows.is_empty(), "the account has links");
    rows.iter().all(|r| r.used_at.is_some())
}

/// The token in a message's text (`.../ui/reset?token=...`).
fn token_in(text: &str) -> String {
    let start = text.find("/ui/reset?token=").expect("a reset link") + "/ui/reset?token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, String) {
    let res = app
        .request(Method::POST, "/api/v1/auth/password-reset")
        .anonymous()
        .json(&json!({ "email": email }))
        .send()
        .await;
    (res.status, res.text())
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> wpt_tests::TestResponse {
    app.request(Method::POST, "/api/v1/auth/password-reset/confirm")
        .anonymous()
        .json(&json!({ "token": token, "new_password": password }))
        .send()
        .await
}

#[tokio::test]
async fn a_reset_link_arrives_by_mail_works_once_and_ends_every_session() {
    let app = app_with_mail(PUBLIC).await;
    let sink = SmtpSink::start();
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let api_token = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&officer.token)
        .json(&json!({"name": "integration"}))
        .send()
        .await
        .json()["token"]
        .as_str()
        .expect("an API token")
        .to_owned();
    app.get_as(&api_token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);

    let (status, known) = ask(&app, &officer.email.to_uppercase()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, unknown) = ask(&app, "nobody.here@test.example").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(known, unknown, "the same answer whatever the address");

    assert_eq!(outbox_for(&app, &officer.email, 1).await.len(), 1);
    settle().await;
    assert_eq!(deliver(&app, &sink).await, 1, "one message: the account's");
    let messages = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["rcpt_tos"], json!([officer.email]));
    let text = m["text"].as_str().expect("a text part");
    assert!(
        text.contains(&format!("{PUBLIC}/ui/reset?token=")),
        "{text}"
    );
    assert!(
        m["html"]
            .as_str()
            .is_some_and(|h| h.contains("/ui/reset?token=")),
        "the HTML part has the link too"
    );
    let token = token_in(text);
    // Stored hashed: the token itself is nowhere in the database's token table.
    let rows = outbox(&app).await;
    assert_eq!(rows.len(), 1);
    // Once sent, the stored message no longer holds the link.
    assert_eq!(rows[0].text_body, wpt_db::notify::deliver::REMOVED_BODY);
    assert_eq!(rows[0].html_body, wpt_db::notify::deliver::REMOVED_BODY);
    // Nor does any in-app notification.
    let inbox = app
        .get_as(&officer.token, "/api/v1/me/notifications")
        .await
        .text();
    assert!(!inbox.contains(&token), "no link in the inbox");

    // The link opens the page with the account's address, then sets the password.
    let page = app.web_get(None, &format!("/ui/reset?token={token}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains(&officer.email));
    confirm(&app, &token, "short")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    confirm(&app, &token, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    // Every session and API token ended; the old password is gone, the new one works.
    app.get_as(&officer.token, "/api/v1/me")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.get_as(&api_token, "/api/v1/me")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login(&officer.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login(&officer.email, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);

    // Once only.
    let again = confirm(&app, &token, "yet another passphrase").await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(again.text().contains("used already"), "{}", again.text());
    app.web_get(None, &format!("/ui/reset?token={token}"))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // Audited, by the account itself.
    let verified = wpt_db::audit::verify(app.database()).await.expect("verify");
    assert!(verified.ok, "the audit chain holds");
}

#[tokio::test]
async fn an_unknown_address_sends_nothing_and_limits_hold_per_account_and_address() {
    let app = app_with_mail(PUBLIC).await;
    let officer = app.caller(Role::Officer, Some("ACW")).await;
    let (status, _) = ask(&app, "nobody.here@test.example").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settle().await;
    assert!(
        outbox(&app).await.is_empty(),
        "no message for an unknown address"
    );
    // A malformed address is a 422 that names the field (it says nothing of accounts).
    let res = app
        .request(Method::POST, "/api/v1/auth/password-reset")
        .anonymous()
        .json(&json!({"email": "not an address"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Per account: three links an hour, further requests answered alike, sending nothing.
    // (Each from its own address, so the per-address limit does not interfere.)
    for i in 0..4 {
        let res = app
            .request(Method::POST, "/api/v1/auth/password-reset")
            .anonymous()
            .peer(&format!("198.51.100.{}:4000", 10 + i))
            .json(&json!({"email": officer.email}))
            .send()
            .await;
        res.assert_status(StatusCode::ACCEPTED);
    }
    // The four are handled concurrently in the background: the count inside the
    // write lets exactly three through.
    outbox_for(&app, &officer.email, 3).await;
    settle().await;
    let to_officer = outbox_for(&app, &officer.email, 3).await.len();
    assert_eq!(to_officer, 3, "three links an hour per account");
    // Per client address: five requests in 15 minutes, then 429 with Retry-After.
    for i in 0..5 {
        let res = app
            .request(Method::POST, "/api/v1/auth/password-reset")
            .anonymous()
            .peer("203.0.113.9:5000")
            .json(&json!({"email": format!("someone{i}@test.example")}))
            .send()
            .await;
        res.assert_status(StatusCode::ACCEPTED);
    }
    let res = app
        .request(Method::POST, "/api/v1/auth/password-reset")
        .anonymous()
        .peer("203.0.113.9:5000")
        .json(&json!({"email": "someone@test.example"}))
        .send()
        .await;
    res.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(res.header("retry-after").is_some());
}

#[tokio::test]
async fn an_expired_or_made_up_link_is_refused() {
    let app = app_with_mail(PUBLIC).await;
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    // Asked 31 minutes ago: expired a minute ago.
    wpt_db::auth::links::request_reset(
        app.database(),
        &officer.email,
        chrono::Utc::now() - chrono::Duration::minutes(31),
    )
    .await
    .expect("a reset");
    let rows = outbox(&app).await;
    let token = token_in(&rows[0].text_body);
    let res = confirm(&app, &token, NEW_PASSWORD).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.text().contains("expired"), "{}", res.text());
    confirm(&app, "wptp_made_up", NEW_PASSWORD)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.login(&officer.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn without_mail_an_invitation_link_is_shown_once_and_sets_the_password_on_the_page() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let email = "invited.somhd@test.example";
    let res = app
        .request(Method::POST, "/api/v1/users")
        .bearer(&admin.token)
        .json(&json!({"email": email, "name": "SOMHD focal point", "role": "officer", "body": "SOMHD"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let created = res.json();
    assert_eq!(created["email"], email);
    assert_eq!(created["invitation"]["mailed"], false);
    let link = created["invitation"]["link"]
        .as_str()
        .expect("the link, once");
    let token = token_in(link);
    // The account exists but no password logs in yet.
    app.login(email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // The page: two different passwords are refused, the same one twice sets it.
    let path = format!("/ui/reset?token={token}");
    let form = app.web_get(None, &path).await;
    form.assert_status(StatusCode::OK);
    assert!(form.text().contains(email));
    let differ = app
        .web_post(
            None,
            "/ui/reset",
            &[
                ("token", &token),
                ("new_password", NEW_PASSWORD),
                ("repeat", "something else entirely"),
            ],
            false,
        )
        .await;
    differ.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.text().contains("differ"));
    let done = app
        .web_post(
            None,
            "/ui/reset",
            &[
                ("token", &token),
                ("new_password", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
            false,
        )
        .await;
    done.assert_status(StatusCode::OK);
    assert!(done.text().contains("Your password is set"));
    app.login(email, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    // Used: the page says so.
    app.web_get(None, &path)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Reading the account again never shows the link.
    let id = created["id"].as_str().expect("id");
    let again = app
        .get_as(&admin.token, &format!("/api/v1/users/{id}"))
        .await
        .text();
    assert!(!again.contains(&token));
    // Others may not create accounts at all.
    let sec = app.caller(Role::Secretariat, None).await;
    app.request(Method::POST, "/api/v1/users")
        .bearer(&sec.token)
        .json(&json!({"email": "x@test.example", "name": "X", "role": "viewer"}))
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn with_mail_an_invitation_is_mailed_and_not_shown() {
    let app = app_with_mail(PUBLIC).await;
    let admin = app.caller(Role::Admin, None).await;
    let email = "invited.viewer@test.example";
    let res = app
        .request(Method::POST, "/api/v1/users")
        .bearer(&admin.token)
        .json(&json!({"email": email, "name": "Donor M&E", "role": "viewer"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(res.json()["invitation"]["mailed"], true);
    assert!(res.json()["invitation"].get("link").is_none());
    let rows: Vec<_> = outbox(&app)
        .await
        .into_iter()
        .filter(|r| r.to_address == email)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "invitation");
    let token = token_in(&rows[0].text_body);
    confirm(&app, &token, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.login(email, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_login_page_links_to_the_forgot_page_which_answers_alike() {
    let app = app_with_mail(PUBLIC).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let login = app.web_get(None, "/ui/login").await.text();
    assert!(login.contains("href=\"/ui/forgot\""));
    app.web_get(None, "/ui/forgot")
        .await
        .assert_status(StatusCode::OK);
    let known = app
        .web_post(None, "/ui/forgot", &[("email", &officer.email)], false)
        .await;
    known.assert_status(StatusCode::OK);
    let unknown = app
        .web_post(
            None,
            "/ui/forgot",
            &[("email", "nobody@test.example")],
            false,
        )
        .await;
    unknown.assert_status(StatusCode::OK);
    assert_eq!(known.text(), unknown.text(), "the same page");
    assert_eq!(outbox_for(&app, &officer.email, 1).await.len(), 1);
    settle().await;
    assert_eq!(outbox(&app).await.len(), 1);
}

#[tokio::test]
async fn links_are_used_up_when_the_password_changes_or_the_account_is_deactivated() {
    let app = app_with_mail(PUBLIC).await;
    let db = app.database();
    let now = chrono::Utc::now();
    // Changing one's own password.
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    wpt_db::auth::links::request_reset(db, &officer.email, now)
        .await
        .expect("a reset");
    let token = token_in(&outbox_for(&app, &officer.email, 1).await[0].text_body);
    app.request(Method::POST, "/api/v1/me/password")
        .bearer(&officer.token)
        .json(&json!({"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(all_links_used(&app, officer.id).await);
    confirm(&app, &token, "yet another passphrase")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.login(&officer.email, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);

    // The operator's set-password.
    let viewer = app.caller(Role::Viewer, None).await;
    wpt_db::auth::links::request_reset(db, &viewer.email, now)
        .await
        .expect("a reset");
    let hasher = wpt_db::auth::PasswordHasher::cheap_for_tests();
    let system = wpt_domain::actor::AdminGrant::system();
    wpt_db::users::set_password(db, &hasher, &system, &viewer.email, NEW_PASSWORD)
        .await
        .expect("set");
    assert!(all_links_used(&app, viewer.id).await);

    // An administrator's reset of the password.
    let sec = app.caller(Role::Secretariat, None).await;
    wpt_db::auth::links::request_reset(db, &sec.email, now)
        .await
        .expect("a reset");
    let version = wpt_db::users::get(db, sec.id).await.expect("user").version;
    wpt_db::users::reset_password(db, &hasher, &system, sec.id, version)
        .await
        .expect("reset");
    assert!(all_links_used(&app, sec.id).await);

    // Deactivation.
    let other = app.caller(Role::Officer, Some("ACW")).await;
    wpt_db::auth::links::request_reset(db, &other.email, now)
        .await
        .expect("a reset");
    let version = wpt_db::users::get(db, other.id)
        .await
        .expect("user")
        .version;
    let patch = wpt_db::users::UserPatch {
        active: Some(false),
        ..Default::default()
    };
    wpt_db::users::update(db, &system, other.id, version, patch)
        .await
        .expect("deactivate");
    assert!(all_links_used(&app, other.id).await);
}

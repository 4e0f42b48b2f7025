//! No password, hash or token appears in any response body that is not meant to carry
//! it, nor in any log line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use sea_orm::EntityTrait;
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::{TEST_PASSWORD, TestApp};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_responses_or_logs() {
    // A global subscriber (a thread-local one can miss events whose callsites other
    // tests running in parallel registered first). It captures every test's log lines,
    // which only makes the check stricter.
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
            captured
        })
        .clone();

    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let new_password = "a fresh secret password";
    let created = app
        .request(Method::POST, "/api/v1/users")
        .bearer(&admin.token)
        .json(&json!({"email": "secret@test.example", "name": "S", "role": "officer", "body": "SOMTC", "password": new_password}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let login = app.login("secret@test.example", new_password).await.json();
    let access = login["access_token"].as_str().expect("access").to_owned();
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let api_token = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&access)
        .json(&json!({"name": "t"}))
        .send()
        .await
        .json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    app.login("secret@test.example", "wrong password!!").await;
    let rotated = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .json();
    let hash = wpt_db::entities::user::Entity::find()
        .all(app.database().conn())
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == "secret@test.example")
        .expect("row")
        .password_hash;

    let mut bodies = vec![created.body.clone()];
    for path in [
        "/api/v1/users?limit=200",
        "/api/v1/me",
        "/api/v1/me/tokens",
        "/api/v1/audit?limit=200",
    ] {
        let res = app.get_as(&admin.token, path).await;
        res.assert_status(StatusCode::OK);
        bodies.push(res.body);
    }
    bodies.push(app.get_as(&api_token, "/api/v1/me/tokens").await.body);

    let secrets = [
        new_password,
        TEST_PASSWORD,
        hash.as_str(),
        refresh.as_str(),
        rotated["refresh_token"].as_str().expect("rotated"),
        access.as_str(),
        api_token.as_str(),
    ];
    let log = String::from_utf8_lossy(&captured.0.lock().expect("log")).to_string();
    assert!(log.contains("served"), "the log was captured: {log}");
    for secret in secrets {
        assert!(!log.contains(secret), "a secret is in the log");
        for body in &bodies {
            assert!(
                !String::from_utf8_lossy(body).contains(secret),
                "a secret is in a response"
            );
        }
    }
}

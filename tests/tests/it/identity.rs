//! Identity and access: login, tokens and their rejection, sessions, throttling,
//! accounts, and secrets that never leak.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{TEST_JWT_SECRET, TEST_PASSWORD, TestApp, TestDb};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).expect("key"),
    )
    .expect("sign")
}

#[tokio::test]
async fn login_gives_a_token_that_me_recognises_with_the_officers_body() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let me = app.get_as(&officer.token, "/api/v1/me").await;
    me.assert_status(StatusCode::OK);
    let me = me.json();
    assert_eq!(me["email"], officer.email.as_str());
    assert_eq!(me["role"], "officer");
    assert_eq!(me["body"], "DGICM");

    let admin = app.caller(Role::Admin, None).await;
    let me = app.get_as(&admin.token, "/api/v1/me").await.json();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["body"], Value::Null);

    let claims = claims_of(&officer.token);
    for claim in ["sub", "sid", "iat", "exp", "iss", "aud", "jti"] {
        assert!(claims.get(claim).is_some(), "{claim} in {claims}");
    }
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        900
    );
    assert!(
        claims.get("role").is_none(),
        "the role is never in the token"
    );
}

#[tokio::test]
async fn login_emails_are_case_insensitive_and_wrong_passwords_are_401() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    app.login(&caller.email.to_uppercase(), TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    let wrong = app.login(&caller.email, "not the password at all").await;
    wrong.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let unknown = app.login("nobody@test.example", TEST_PASSWORD).await;
    let doc = unknown.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(
        doc["detail"],
        wrong.json()["detail"],
        "an unknown email and a wrong password read the same"
    );
}

#[tokio::test]
async fn anonymous_reads_are_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let res = app
        .request(Method::GET, "/api/v1/bodies")
        .anonymous()
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    for header in ["Basic abc", "Bearer", "Bearer    ", "token"] {
        let res = app
            .request(Method::GET, "/api/v1/bodies")
            .anonymous()
            .header("authorization", header)
            .send()
            .await;
        res.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

#[tokio::test]
async fn forged_expired_and_incomplete_tokens_are_all_401() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Admin, None).await;
    let good = claims_of(&caller.token);
    let now = chrono::Utc::now().timestamp();
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().expect("object").remove(key);
        c
    };
    // The same claims re-signed with our key work: the cases below fail for their flaw.
    app.get_as(&sign(&good, TEST_JWT_SECRET), "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);

    let mut cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(&with("exp", json!(now - 3600)), TEST_JWT_SECRET),
        ),
        (
            "issued in the future",
            sign(&with("iat", json!(now + 3600)), TEST_JWT_SECRET),
        ),
        (
            "wrong issuer",
            sign(&with("iss", json!("someone-else")), TEST_JWT_SECRET),
        ),
        (
            "wrong audience",
            sign(&with("aud", json!("another-api")), TEST_JWT_SECRET),
        ),
        (
            "another key",
            sign(&good, b"another-secret-another-secret-another-secret"),
        ),
        (
            "unknown session",
            sign(&with("sid", json!(uuid::Uuid::new_v4())), TEST_JWT_SECRET),
        ),
        (
            "unknown user",
            sign(&with("sub", json!(uuid::Uuid::new_v4())), TEST_JWT_SECRET),
        ),
    ];
    for claim in ["sub", "sid", "iat", "exp", "iss", "aud", "jti"] {
        cases.push(("missing claim", sign(&without(claim), TEST_JWT_SECRET)));
    }
    let mut parts: Vec<String> = caller.token.split('.').map(str::to_owned).collect();
    let tampered_claims = with("sub", json!(uuid::Uuid::new_v4()));
    parts[1] = URL_SAFE_NO_PAD.encode(tampered_claims.to_string());
    cases.push(("tampered payload", parts.join(".")));
    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = caller.token.split('.').nth(1).expect("payload");
    cases.push(("alg none", format!("{header_none}.{body}.")));
    cases.push(("garbage", "not.a.jwt".to_owned()));

    for (why, token) in cases {
        let res = app.get_as(&token, "/api/v1/me").await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{why}: {}",
            String::from_utf8_lossy(&res.body)
        );
        assert_eq!(res.json()["code"], "unauthenticated", "{why}");
    }
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Secretariat, None).await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.request(Method::POST, "/api/v1/auth/refresh")
                .anonymous()
                .json(&json!({ "refresh_token": token }))
                .send()
                .await
        }
    };
    let first = refresh(caller.refresh_token.clone()).await;
    first.assert_status(StatusCode::OK);
    assert_eq!(first.header("cache-control"), Some("no-store"));
    let pair = first.json();
    let new_refresh = pair["refresh_token"].as_str().expect("refresh").to_owned();
    let new_access = pair["access_token"].as_str().expect("access").to_owned();
    assert_ne!(new_refresh, caller.refresh_token);
    app.get_as(&new_access, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);

    // The spent token again: reuse. The session ends for the thief and the owner alike.
    refresh(caller.refresh_token.clone())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    refresh(new_refresh)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.get_as(&new_access, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.get_as(&caller.token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Logging in again works: only that session ended.
    app.login(&caller.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    let other = app.login(&caller.email, TEST_PASSWORD).await.json();
    let res = app
        .request(Method::POST, "/api/v1/auth/logout")
        .anonymous()
        .json(&json!({ "refresh_token": caller.refresh_token }))
        .send()
        .await;
    res.assert_status(StatusCode::NO_CONTENT);
    app.get_as(&caller.token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.request(Method::POST, "/api/v1/auth/refresh")
        .anonymous()
        .json(&json!({ "refresh_token": caller.refresh_token }))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // The user's other session is untouched.
    app.get_as(other["access_token"].as_str().expect("token"), "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
    // Unknown tokens log out silently.
    app.request(Method::POST, "/api/v1/auth/logout")
        .anonymous()
        .json(&json!({ "refresh_token": "wptr_unknown" }))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let here = app.caller(Role::Officer, Some("SOMTC")).await;
    let elsewhere = app.login(&here.email, TEST_PASSWORD).await.json();
    let elsewhere_token = elsewhere["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let res = app
        .request(Method::POST, "/api/v1/me/password")
        .bearer(&here.token)
        .json(&json!({ "current_password": "wrong password here", "new_password": "a brand new password" }))
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = app
        .request(Method::POST, "/api/v1/me/password")
        .bearer(&here.token)
        .json(&json!({ "current_password": TEST_PASSWORD, "new_password": "short" }))
        .send()
        .await;
    assert_eq!(res.error_fields(), ["new_password"]);

    app.request(Method::POST, "/api/v1/me/password")
        .bearer(&here.token)
        .json(&json!({ "current_password": TEST_PASSWORD, "new_password": "a brand new password" }))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(&here.token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
    app.get_as(&elsewhere_token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.login(&here.email, TEST_PASSWORD)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.login(&here.email, "a brand new password")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn deactivating_a_user_ends_its_access_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let victim = app.caller(Role::Officer, Some("ACW")).await;
    let api_token = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&victim.token)
        .json(&json!({ "name": "script" }))
        .send()
        .await
        .json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let current = app
        .get_as(&admin.token, &format!("/api/v1/users/{}", victim.id))
        .await;
    let etag = current.header("etag").expect("etag").to_owned();
    let res = app
        .request(Method::PATCH, &format!("/api/v1/users/{}", victim.id))
        .bearer(&admin.token)
        .header("if-match", &etag)
        .json(&json!({ "active": false }))
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["active"], false);
    for token in [&victim.token, &api_token] {
        app.get_as(token, "/api/v1/bodies")
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    app.login(&victim.email, TEST_PASSWORD)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn stored_passwords_are_argon2id_phc_strings() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    let row = wpt_db::entities::user::Entity::find_by_id(caller.id)
        .one(app.database().conn())
        .await
        .expect("query")
        .expect("row");
    assert!(
        row.password_hash.starts_with("$argon2id$v=19$"),
        "{}",
        row.password_hash
    );
    assert!(!row.password_hash.contains(TEST_PASSWORD));
    // Refresh and API tokens are stored as SHA-256 hex, never as issued.
    let tokens = wpt_db::entities::refresh_token::Entity::find()
        .all(app.database().conn())
        .await
        .expect("query");
    assert!(
        tokens
            .iter()
            .all(|t| t.token_hash.len() == 64 && !t.token_hash.starts_with("wptr_"))
    );
    assert!(tokens.iter().all(|t| t.token_hash != caller.refresh_token));
}

#[tokio::test]
async fn the_owasp_parameters_are_what_the_server_uses() {
    let hasher = wpt_db::auth::PasswordHasher::owasp();
    let hash = hasher.hash("twelve chars or more").await.expect("hash");
    assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
}

/// A hash made with other parameters (the 19 MiB ones of before issue 21, or any the
/// server no longer uses) still signs its owner in, and that sign-in stores the
/// password hashed with the server's current parameters; a wrong password changes
/// nothing.
#[tokio::test]
async fn a_hash_made_with_older_parameters_is_made_again_at_the_next_sign_in() {
    use wpt_db::auth::PasswordHasher;
    use wpt_db::entities::user;
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let older = PasswordHasher::owasp()
        .hash(TEST_PASSWORD)
        .await
        .expect("hash");
    let stored = |app: &TestApp| {
        let db = app.database().clone();
        let id = officer.id;
        async move {
            user::Entity::find_by_id(id)
                .one(db.conn())
                .await
                .expect("read")
                .expect("the account")
                .password_hash
        }
    };
    user::Entity::update_many()
        .col_expr(
            user::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(older.clone()),
        )
        .filter(user::Column::Id.eq(officer.id))
        .exec(app.database().conn())
        .await
        .expect("store the older hash");

    app.login(&officer.email, "not the password at all")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(
        stored(&app).await,
        older,
        "a wrong password changes nothing"
    );

    app.login(&officer.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    let now = stored(&app).await;
    assert_ne!(now, older);
    assert!(
        !PasswordHasher::cheap_for_tests().outdated(&now),
        "made with the server's parameters: {now}"
    );
    app.login(&officer.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(stored(&app).await, now, "made once");
}

/// The lock is per account *and* address (issue 14): the address that failed is refused
/// even the right password; another address is not (identity_limits.rs).
#[tokio::test]
async fn failed_logins_lock_the_account_for_that_address_even_against_the_right_password() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    let max = app.state.auth.settings.max_failures;
    for i in 0..max {
        // From one address (other ports), under its per-address limit across accounts.
        let res = app
            .request(Method::POST, "/api/v1/auth/login")
            .anonymous()
            .peer(&format!("192.0.2.1:{}", 1000 + i))
            .json(&json!({ "email": caller.email, "password": "not the password!!" }))
            .send()
            .await;
        res.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let locked = app
        .request(Method::POST, "/api/v1/auth/login")
        .anonymous()
        .peer("192.0.2.1:2000")
        .json(&json!({ "email": caller.email, "password": TEST_PASSWORD }))
        .send()
        .await;
    locked.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Other accounts are unaffected.
    let other = app.caller(Role::Viewer, None).await;
    app.login(&other.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn failed_logins_from_one_address_are_throttled_across_accounts() {
    let db = TestDb::prepared().await;
    let mut state = wpt_api::AppState::new(db.db.clone(), wpt_tests::test_auth());
    state.login_throttle = std::sync::Arc::new(wpt_api::throttle::AddressThrottle::new(
        3,
        Duration::from_secs(600),
    ));
    let app = TestApp::with_state(state, db);
    let real = app
        .create_account("real@test.example", Role::Viewer, None)
        .await;
    for n in 0..3 {
        app.request(Method::POST, "/api/v1/auth/login")
            .peer("198.51.100.7:5555")
            .json(&json!({ "email": format!("guess{n}@test.example"), "password": "whatever password" }))
            .send()
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let blocked = app
        .request(Method::POST, "/api/v1/auth/login")
        .peer("198.51.100.7:6666")
        .json(&json!({ "email": real.email, "password": TEST_PASSWORD }))
        .send()
        .await;
    blocked.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(blocked.header("retry-after").is_some());
    app.request(Method::POST, "/api/v1/auth/login")
        .peer("203.0.113.9:5555")
        .json(&json!({ "email": real.email, "password": TEST_PASSWORD }))
        .send()
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_are_shown_once_read_only_by_default_and_revocable() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("SLOM")).await;
    let created = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&officer.token)
        .json(&json!({ "name": "dashboard", "expires_in_days": 30 }))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let created = created.json();
    let secret = created["token"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("wpt_"));
    assert_eq!(created["write"], false);
    assert!(secret.starts_with(created["prefix"].as_str().expect("prefix")));

    // It reads as its owner.
    let me = app.get_as(&secret, "/api/v1/me").await;
    me.assert_status(StatusCode::OK);
    assert_eq!(me.json()["email"], officer.email.as_str());
    // It cannot write, not even its owner's account.
    app.request(Method::POST, "/api/v1/me/tokens")
        .bearer(&secret)
        .json(&json!({ "name": "child" }))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // The list never shows secrets.
    let list = app.get_as(&officer.token, "/api/v1/me/tokens").await;
    assert!(!String::from_utf8_lossy(&list.body).contains(&secret));
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));

    // Another user cannot revoke it (404: they cannot see it), the owner can.
    let stranger = app.caller(Role::Officer, Some("SLOM")).await;
    let id = created["id"].as_str().expect("id");
    app.request(Method::DELETE, &format!("/api/v1/me/tokens/{id}"))
        .bearer(&stranger.token)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get_as(&secret, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
    app.request(Method::DELETE, &format!("/api/v1/me/tokens/{id}"))
        .bearer(&officer.token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(&secret, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn a_viewer_cannot_mint_a_writing_token_and_expired_tokens_fail() {
    let app = TestApp::spawn().await;
    let viewer = app.caller(Role::Viewer, None).await;
    let res = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&viewer.token)
        .json(&json!({ "name": "x", "write": true }))
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Nothing was minted.
    let held = app
        .request(Method::GET, "/api/v1/me/tokens")
        .bearer(&viewer.token)
        .send()
        .await
        .json();
    assert_eq!(held["items"].as_array().map(Vec::len), Some(0), "{held}");
    for days in [0, 367, -1] {
        let res = app
            .request(Method::POST, "/api/v1/me/tokens")
            .bearer(&viewer.token)
            .json(&json!({ "name": "x", "expires_in_days": days }))
            .send()
            .await;
        assert_eq!(res.error_fields(), ["expires_in_days"], "{days}");
    }
    let token = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&viewer.token)
        .json(&json!({ "name": "soon gone", "expires_in_days": 1 }))
        .send()
        .await
        .json();
    let secret = token["token"].as_str().expect("secret");
    app.get_as(secret, "/api/v1/bodies")
        .await
        .assert_status(StatusCode::OK);
    let id: uuid::Uuid = token["id"].as_str().expect("id").parse().expect("uuid");
    wpt_db::entities::api_token::Entity::update_many()
        .col_expr(
            wpt_db::entities::api_token::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(wpt_db::entities::api_token::Column::Id.eq(id))
        .exec(app.database().conn())
        .await
        .expect("expire it");
    app.get_as(secret, "/api/v1/bodies")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn new_token(app: &TestApp, bearer: &str, body: Value) -> Value {
    let res = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(bearer)
        .json(&body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()
}

#[tokio::test]
async fn a_write_api_token_cannot_mint_revoke_or_change_the_password() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("SLOM")).await;
    let token = new_token(
        &app,
        &officer.token,
        json!({ "name": "stolen", "write": true, "expires_in_days": 1 }),
    )
    .await;
    let secret = token["token"].as_str().expect("secret");
    let id = token["id"].as_str().expect("id");
    // It writes what its owner may write, but never the owner's credentials.
    let minted = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(secret)
        .json(&json!({ "name": "child", "write": true, "expires_in_days": 366 }))
        .send()
        .await;
    minted.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        minted.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("login session")),
        "{}",
        minted.json()
    );
    app.request(Method::DELETE, &format!("/api/v1/me/tokens/{id}"))
        .bearer(secret)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.request(Method::POST, "/api/v1/me/password")
        .bearer(secret)
        .json(&json!({ "current_password": TEST_PASSWORD, "new_password": "a password the thief chose" }))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get_as(secret, "/api/v1/me/sessions")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Nothing changed: one token, standing; the password is the old one.
    let list = app.get_as(&officer.token, "/api/v1/me/tokens").await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert!(list["items"][0]["revoked_at"].is_null());
    app.login(&officer.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

async fn revoked(app: &TestApp, id: &str) -> bool {
    let id: uuid::Uuid = id.parse().expect("uuid");
    wpt_db::entities::api_token::Entity::find_by_id(id)
        .one(app.database().conn())
        .await
        .expect("query")
        .expect("row")
        .revoked_at
        .is_some()
}

#[tokio::test]
async fn deactivation_and_every_password_change_revoke_the_api_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;

    // Deactivation: the token stays revoked when the account comes back.
    let victim = app.caller(Role::Officer, Some("ACW")).await;
    let token = new_token(&app, &victim.token, json!({ "name": "script" })).await;
    for active in [false, true] {
        let current = app
            .get_as(&admin.token, &format!("/api/v1/users/{}", victim.id))
            .await;
        let etag = current.header("etag").expect("etag").to_owned();
        app.request(Method::PATCH, &format!("/api/v1/users/{}", victim.id))
            .bearer(&admin.token)
            .header("if-match", &etag)
            .json(&json!({ "active": active }))
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    assert!(revoked(&app, token["id"].as_str().expect("id")).await);
    app.get_as(token["token"].as_str().expect("secret"), "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // The operator's reset.
    let reset = app.caller(Role::Viewer, None).await;
    let token = new_token(&app, &reset.token, json!({ "name": "script" })).await;
    wpt_db::users::set_password(
        app.database(),
        &wpt_db::auth::PasswordHasher::cheap_for_tests(),
        &wpt_domain::actor::AdminGrant::system(),
        &reset.email,
        "a reset password for you",
    )
    .await
    .expect("reset");
    assert!(revoked(&app, token["id"].as_str().expect("id")).await);

    // The owner's own change: the API tokens go too (the session making it stays).
    let owner = app.caller(Role::Secretariat, None).await;
    let token = new_token(&app, &owner.token, json!({ "name": "script" })).await;
    app.request(Method::POST, "/api/v1/me/password")
        .bearer(&owner.token)
        .json(&json!({ "current_password": TEST_PASSWORD, "new_password": "a brand new password" }))
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(revoked(&app, token["id"].as_str().expect("id")).await);
    app.get_as(token["token"].as_str().expect("secret"), "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.get_as(&owner.token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
    let audit = app
        .get_as(
            &admin.token,
            "/api/v1/audit?action=api_token.revoke&limit=100",
        )
        .await
        .json();
    let reasons: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "api_token.revoke")
        .filter_map(|e| e["after"]["reason"].as_str())
        .collect();
    for reason in ["deactivated", "password_reset", "password_changed"] {
        assert!(reasons.contains(&reason), "{reason} in {reasons:?}");
    }
}

#[tokio::test]
async fn one_s_own_sessions_are_listed_and_ended_and_nobody_else_s() {
    let app = TestApp::spawn().await;
    let me = app.caller(Role::Officer, Some("SLOM")).await;
    let second = app.login(&me.email, TEST_PASSWORD).await.json();
    let second_token = second["access_token"].as_str().expect("access");
    let list = app.get_as(&me.token, "/api/v1/me/sessions").await;
    list.assert_status(StatusCode::OK);
    let items = list.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(|s| s["via"] == "api"));
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let other_id = items
        .iter()
        .find(|s| s["current"] == false)
        .expect("the second")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let current_id = items
        .iter()
        .find(|s| s["current"] == true)
        .expect("this one")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Someone else's id is not found, and ends nothing.
    let stranger = app.caller(Role::Admin, None).await;
    app.request(Method::DELETE, &format!("/api/v1/me/sessions/{other_id}"))
        .bearer(&stranger.token)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get_as(second_token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);

    app.request(Method::DELETE, &format!("/api/v1/me/sessions/{other_id}"))
        .bearer(&me.token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(second_token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": second["refresh_token"] }))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Ending the current one is allowed: it is a logout.
    app.request(Method::DELETE, &format!("/api/v1/me/sessions/{current_id}"))
        .bearer(&me.token)
        .send()
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.get_as(&me.token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn one_sweep_prunes_sessions_and_refresh_tokens_past_expiry_and_keeps_live_ones() {
    use sea_orm::sea_query::Expr;
    use wpt_db::entities::{refresh_token, session};
    let app = TestApp::spawn().await;
    let me = app.caller(Role::Officer, Some("SLOM")).await;
    for _ in 0..3 {
        app.login(&me.email, TEST_PASSWORD)
            .await
            .assert_status(StatusCode::OK);
    }
    let conn = app.database().conn();
    let mut ids: Vec<uuid::Uuid> = session::Entity::find()
        .filter(session::Column::UserId.eq(me.id))
        .all(conn)
        .await
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 4);
    let (live, expired, ended_long_ago, ended_lately) = (ids[0], ids[1], ids[2], ids[3]);
    let days_ago = |d: i64| chrono::Utc::now() - chrono::Duration::days(d);
    let set = |id: uuid::Uuid, col: session::Column, at: chrono::DateTime<chrono::Utc>| async move {
        session::Entity::update_many()
            .col_expr(col, Expr::value(at))
            .filter(session::Column::Id.eq(id))
            .exec(conn)
            .await
            .expect("update");
    };
    set(expired, session::Column::ExpiresAt, days_ago(10)).await;
    set(ended_long_ago, session::Column::RevokedAt, days_ago(10)).await;
    set(ended_lately, session::Column::RevokedAt, days_ago(1)).await;
    // A refresh token of the live session that expired long ago, and one spent lately
    // (kept: presenting it again is how a copy is detected).
    let live_tokens = refresh_token::Entity::find()
        .filter(refresh_token::Column::SessionId.eq(live))
        .all(conn)
        .await
        .expect("tokens");
    assert_eq!(live_tokens.len(), 1);
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::ExpiresAt, Expr::value(days_ago(9)))
        .filter(refresh_token::Column::SessionId.eq(live))
        .exec(conn)
        .await
        .expect("expire");
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(days_ago(1)))
        .filter(refresh_token::Column::SessionId.eq(ended_lately))
        .exec(conn)
        .await
        .expect("spend");

    let pruned = wpt_db::auth::sessions::prune(
        app.database(),
        std::time::Duration::from_secs(7 * 24 * 3600),
        std::time::Duration::from_secs(15 * 60),
    )
    .await
    .expect("sweep");
    assert_eq!(pruned.sessions, 2, "{pruned:?}");
    assert_eq!(pruned.refresh_tokens, 3, "{pruned:?}");
    let left: Vec<uuid::Uuid> = session::Entity::find()
        .filter(session::Column::UserId.eq(me.id))
        .all(conn)
        .await
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(
        left.contains(&live) && left.contains(&ended_lately),
        "{left:?}"
    );
    assert_eq!(left.len(), 2);
    for (sess, n) in [
        (live, 0),
        (expired, 0),
        (ended_long_ago, 0),
        (ended_lately, 1),
    ] {
        let count = refresh_token::Entity::find()
            .filter(refresh_token::Column::SessionId.eq(sess))
            .all(conn)
            .await
            .expect("tokens")
            .len();
        assert_eq!(count, n, "{sess}");
    }
    // The live session still works; a second sweep finds nothing.
    app.get_as(&me.token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
    let again = wpt_db::auth::sessions::prune(
        app.database(),
        std::time::Duration::from_secs(7 * 24 * 3600),
        std::time::Duration::from_secs(15 * 60),
    )
    .await
    .expect("sweep");
    assert_eq!(again, wpt_db::auth::sessions::Pruned::default());
}

#[tokio::test]
async fn an_api_session_lasts_at_most_the_documented_30_days_however_often_refreshed() {
    use sea_orm::sea_query::Expr;
    use wpt_db::entities::{refresh_token, session};
    let app = TestApp::spawn().await;
    let me = app.caller(Role::Viewer, None).await;
    let conn = app.database().conn();
    let sess = session::Entity::find()
        .filter(session::Column::UserId.eq(me.id))
        .one(conn)
        .await
        .expect("query")
        .expect("session");
    let lifetime = sess.expires_at - sess.created_at;
    assert!(lifetime <= chrono::Duration::days(30), "{lifetime}");
    assert!(lifetime > chrono::Duration::days(29), "{lifetime}");
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::SessionId.eq(sess.id))
        .one(conn)
        .await
        .expect("query")
        .expect("token");
    assert!(token.expires_at - token.issued_at <= chrono::Duration::days(14));
    // Past the session's end, a refresh token that has not expired is refused.
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(session::Column::Id.eq(sess.id))
        .exec(conn)
        .await
        .expect("expire");
    app.request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": me.refresh_token }))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.get_as(&me.token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

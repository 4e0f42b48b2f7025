//! The audit log: every write is recorded with before and after, the chain verifies,
//! tampering is found, and concurrent writes never fork the chain.

use axum::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::TestApp;

mod proof;
mod sealing;

#[tokio::test]
async fn writes_are_audited_with_actor_request_id_before_and_after_and_no_secrets() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let created = app
        .request(Method::POST, "/api/v1/users")
        .bearer(&admin.token)
        .header("x-request-id", "create-42")
        .json(&json!({"email": "audited@test.example", "name": "Before", "role": "viewer", "password": "secret password 1"}))
        .send()
        .await
        .json();
    let id = created["id"].as_str().expect("id");
    app.request(Method::PATCH, &format!("/api/v1/users/{id}"))
        .bearer(&admin.token)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "After"}))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let log = app
        .get_as(
            &admin.token,
            &format!("/api/v1/audit?resource_type=user&resource_id={id}"),
        )
        .await;
    log.assert_status(StatusCode::OK);
    let text = String::from_utf8_lossy(&log.body).to_string();
    assert!(
        !text.contains("secret password 1") && !text.contains("argon2"),
        "{text}"
    );
    let entries = log.json()["items"].as_array().expect("items").clone();
    assert_eq!(entries.len(), 2);
    let (update, create) = (&entries[0], &entries[1]);
    assert_eq!(update["action"], "user.update");
    assert_eq!(update["before"]["name"], "Before");
    assert_eq!(update["after"]["name"], "After");
    assert_eq!(update["actor_id"], admin.id.to_string());
    assert_eq!(create["action"], "user.create");
    assert_eq!(create["client_request_id"], "create-42");
    assert_ne!(create["request_id"], "create-42", "the server's own id");
    assert_eq!(create["hash_kind"], "hmac-sha256");
    assert!(create["before"].is_null());
    assert_eq!(update["prev_hash"], create["hash"], "newest first, chained");

    let verify = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(verify["ok"], true, "{verify}");
    assert!(verify["checked"].as_u64().expect("checked") >= 2);
}

#[tokio::test]
async fn tampering_with_one_row_is_found_and_named() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    for n in 0..3 {
        app.request(Method::POST, "/api/v1/me/tokens")
            .bearer(&admin.token)
            .json(&json!({ "name": format!("t{n}") }))
            .send()
            .await
            .assert_status(StatusCode::CREATED);
    }
    let rows = wpt_db::entities::audit_log::Entity::find()
        .order_by_asc(wpt_db::entities::audit_log::Column::Id)
        .all(app.database().conn())
        .await
        .expect("rows");
    let victim = &rows[rows.len() - 2];
    proof::drop_triggers(&app).await;
    app.database()
        .conn()
        .execute_unprepared(&format!(
            "UPDATE audit_log SET resource_id = 'forged' WHERE id = {}",
            victim.id
        ))
        .await
        .expect("tamper");
    let verify = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(verify["ok"], false);
    assert_eq!(verify["first_broken"]["id"], victim.id);
    assert_eq!(verify["first_broken"]["reason"], "hash_mismatch");

    // A deleted row breaks the link of the one after it.
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    for n in 0..3 {
        app.request(Method::POST, "/api/v1/me/tokens")
            .bearer(&admin.token)
            .json(&json!({ "name": format!("t{n}") }))
            .send()
            .await;
    }
    let rows = wpt_db::entities::audit_log::Entity::find()
        .order_by_asc(wpt_db::entities::audit_log::Column::Id)
        .all(app.database().conn())
        .await
        .expect("rows");
    let removed = &rows[rows.len() - 2];
    proof::drop_triggers(&app).await;
    app.database()
        .conn()
        .execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {}", removed.id))
        .await
        .expect("delete");
    let verify = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(verify["first_broken"]["id"], rows[rows.len() - 1].id);
    assert_eq!(verify["first_broken"]["reason"], "prev_hash_mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writes_leave_one_unbroken_chain() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let admin = app.caller(Role::Admin, None).await;
    let before = wpt_db::audit::verify(app.database())
        .await
        .expect("verify")
        .checked;
    let mut tasks = Vec::new();
    for n in 0..50 {
        let app = app.clone();
        let token = admin.token.clone();
        tasks.push(tokio::spawn(async move {
            app.request(Method::POST, "/api/v1/me/tokens")
                .bearer(&token)
                .json(&json!({ "name": format!("concurrent {n}") }))
                .send()
                .await
                .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::CREATED);
    }
    let result = wpt_db::audit::verify(app.database()).await.expect("verify");
    assert!(result.ok, "{result:?}");
    assert_eq!(
        result.checked,
        before + 50,
        "one entry per write, none lost"
    );
}

#[tokio::test]
async fn only_administrators_and_the_secretariat_read_the_audit_log() {
    let app = TestApp::spawn().await;
    for (role, body, status) in [
        (Role::Admin, None, StatusCode::OK),
        (Role::Secretariat, None, StatusCode::OK),
        (Role::Officer, Some("SOMTC"), StatusCode::FORBIDDEN),
        (Role::Viewer, None, StatusCode::FORBIDDEN),
    ] {
        let caller = app.caller(role, body).await;
        for path in ["/api/v1/audit", "/api/v1/audit/verify"] {
            assert_eq!(
                app.get_as(&caller.token, path).await.status,
                status,
                "{role} {path}"
            );
        }
    }
}

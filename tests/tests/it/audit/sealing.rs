//! Audited writes that do not queue behind one lock (issue 21): writers append their
//! entries unlinked and the sealer links them in id order; concurrent writers leave one
//! chain, a gap that can still be filled is never linked past, and verification reports
//! the unlinked tail.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, QueryOrder,
    Statement, TransactionTrait,
};
use serde_json::json;
use wpt_db::audit::{self, GENESIS};
use wpt_db::entities::audit_log;
use wpt_domain::Role;
use wpt_tests::TestApp;

async fn rows(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(app.database().conn())
        .await
        .expect("rows")
}

/// Every entry is linked, each to the entry before it in id order.
fn assert_linked_in_id_order(rows: &[audit_log::Model]) {
    let mut prev = GENESIS.to_owned();
    for row in rows {
        assert_ne!(row.prev_hash, audit::UNLINKED, "entry {} unlinked", row.id);
        assert_eq!(
            row.prev_hash, prev,
            "entry {} links to its predecessor",
            row.id
        );
        prev = row.hash.clone();
    }
}

/// An entry as a process killed between its commit and its sealer's round leaves it.
fn unlinked_entry(resource_id: &str, occurred_at: chrono::DateTime<Utc>) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        occurred_at: Set(occurred_at.trunc_subsecs(6)),
        action: Set("api_token.create".to_owned()),
        resource_type: Set("api_token".to_owned()),
        resource_id: Set(resource_id.to_owned()),
        after: Set(Some(json!({ "name": resource_id }))),
        prev_hash: Set(audit::UNLINKED.to_owned()),
        hash: Set(format!("unlinked:{}", uuid::Uuid::new_v4().simple())),
        hash_kind: Set(audit::HASH_HMAC_SHA256.to_owned()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_leave_every_entry_linked_in_id_order() {
    let app = Arc::new(TestApp::spawn().await);
    let admin = app.caller(Role::Admin, None).await;
    let before = rows(&app).await.len();
    let mut tasks = Vec::new();
    for n in 0..64 {
        let app = app.clone();
        let token = admin.token.clone();
        tasks.push(tokio::spawn(async move {
            app.request(Method::POST, "/api/v1/me/tokens")
                .bearer(&token)
                .json(&json!({ "name": format!("writer {n}") }))
                .send()
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::CREATED);
    }
    app.database().seal_audit().await.expect("seal");
    let all = rows(&app).await;
    assert_eq!(all.len(), before + 64, "one entry per write");
    assert_linked_in_id_order(&all);
    let v = audit::verify(app.database()).await.expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!(v.unlinked, 0);
    assert_eq!(v.oldest_unlinked_at, None);
    assert_eq!(v.checked as usize, all.len());
    let last = all.last().expect("entries").id;
    assert_eq!(
        audit::position(app.database()).await.expect("position"),
        last
    );
}

#[tokio::test]
async fn the_unlinked_tail_is_reported_and_linked_at_the_next_round() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let conn = app.database().conn();
    let linked = audit::verify(app.database()).await.expect("verify");
    assert!(linked.ok && linked.unlinked == 0, "{linked:?}");

    // A tail just written: reported, not a fault.
    let fresh = unlinked_entry("fresh", Utc::now())
        .insert(conn)
        .await
        .expect("insert");
    let v = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["unlinked"], 1, "{v}");
    assert_eq!(v["checked"], linked.checked, "{v}");
    assert!(v["oldest_unlinked_at"].is_string(), "{v}");
    // While an entry is unlinked, the audit position names no state: never the same.
    let p1 = audit::position(app.database()).await.expect("position");
    let p2 = audit::position(app.database()).await.expect("position");
    assert!(p1 < 0 && p2 < 0 && p1 != p2, "{p1} {p2}");

    // A tail left for an hour (no sealer ran): overdue, named by its first entry.
    let stale = unlinked_entry("stale", Utc::now() - Duration::hours(1))
        .insert(conn)
        .await
        .expect("insert");
    let v = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["unlinked"], 2, "{v}");
    assert_eq!(
        v["first_broken"],
        json!({ "id": fresh.id, "reason": "unlinked_overdue" })
    );
    let oldest: chrono::DateTime<Utc> =
        serde_json::from_value(v["oldest_unlinked_at"].clone()).expect("time");
    assert_eq!(oldest, stale.occurred_at);

    // The next round links both, in id order; the chain verifies and goes on after them.
    app.database().seal_audit().await.expect("seal");
    let v = audit::verify(app.database()).await.expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!((v.unlinked, v.checked), (0, linked.checked + 2));
    app.request(Method::POST, "/api/v1/me/tokens")
        .bearer(&admin.token)
        .json(&json!({ "name": "after the tail" }))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let all = rows(&app).await;
    assert_linked_in_id_order(&all);
    assert_eq!(
        audit::position(app.database()).await.expect("position"),
        all.last().expect("entries").id
    );
    assert!(audit::verify(app.database()).await.expect("verify").ok);
}

#[tokio::test]
async fn a_linked_entry_can_be_neither_relinked_nor_changed_while_linking() {
    let app = TestApp::spawn().await;
    let conn = app.database().conn();
    let entry = unlinked_entry("one", Utc::now())
        .insert(conn)
        .await
        .expect("insert");
    // Linking that changes anything else is refused, as is any update of a linked entry.
    let refused = conn
        .execute_unprepared(&format!(
            "UPDATE audit_log SET prev_hash = 'x', resource_id = 'forged' WHERE id = {}",
            entry.id
        ))
        .await;
    assert!(refused.is_err(), "a link that also rewrites the entry");
    app.database().seal_audit().await.expect("seal");
    let relink = conn
        .execute_unprepared(&format!(
            "UPDATE audit_log SET prev_hash = 'x', hash = 'y' WHERE id = {}",
            entry.id
        ))
        .await;
    assert!(relink.is_err(), "a linked entry linked again");
    assert!(audit::verify(app.database()).await.expect("verify").ok);
}

/// PostgreSQL only (SQLite serializes writers, so no gap can be in flight there): while
/// a writer that drew a lower id has not committed, the entries after it stay unlinked;
/// once it commits, everything is linked in id order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sealer_never_links_past_an_entry_still_in_flight() {
    let app = Arc::new(TestApp::spawn().await);
    if app.database().conn().get_database_backend() != DbBackend::Postgres {
        return;
    }
    let admin = app.caller(Role::Admin, None).await;
    // A writer as `crate::write` is one: the audit lock shared, its entry inserted, and
    // the commit still to come. (The key spells "wpt-aud", as in crates/db/src/write/seal.rs.)
    let in_flight = app.database().conn().begin().await.expect("begin");
    in_flight
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock_shared(33619166508447076)",
        ))
        .await
        .expect("shared lock");
    let early = unlinked_entry("in flight", Utc::now())
        .insert(&in_flight)
        .await
        .expect("insert");
    // A later write commits (and is acknowledged once its wait for the sealer ends).
    let later = {
        let app = app.clone();
        let token = admin.token.clone();
        tokio::spawn(async move {
            app.request(Method::POST, "/api/v1/me/tokens")
                .bearer(&token)
                .json(&json!({ "name": "after the gap" }))
                .send()
                .await
                .status
        })
    };
    assert_eq!(later.await.expect("task"), StatusCode::CREATED);
    let newest = rows(&app).await.pop().expect("entries");
    assert!(newest.id > early.id, "the later write drew a higher id");
    assert_eq!(
        newest.prev_hash,
        audit::UNLINKED,
        "not linked past entry {} still in flight",
        early.id
    );
    in_flight.commit().await.expect("commit");
    app.database().seal_audit().await.expect("seal");
    let all = rows(&app).await;
    assert_linked_in_id_order(&all);
    assert!(all.iter().any(|r| r.id == early.id));
    let v = audit::verify(app.database()).await.expect("verify");
    assert!(v.ok && v.unlinked == 0, "{v:?}");
}

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

/// An entry as a process killed between its commit and its sealer's round leaves it:
/// its placeholder made with the audit key, as the writer makes it.
fn unlinked_entry(resource_id: &str, occurred_at: chrono::DateTime<Utc>) -> audit_log::ActiveModel {
    let mut row = unlinked_model(resource_id, occurred_at);
    row.hash = audit::unlinked_placeholder(&row, &wpt_tests::test_audit_key());
    active(row)
}

/// The same entry inserted by someone without the key (the app's database role, a
/// leaked credential): a placeholder of the right shape, but not the writer's MAC.
fn forged_entry(resource_id: &str, occurred_at: chrono::DateTime<Utc>) -> audit_log::ActiveModel {
    let mut row = unlinked_model(resource_id, occurred_at);
    let other_key = audit::AuditKey::new(&[0x5a; 32]).expect("key");
    row.hash = audit::unlinked_placeholder(&row, &other_key);
    active(row)
}

fn unlinked_model(resource_id: &str, occurred_at: chrono::DateTime<Utc>) -> audit_log::Model {
    audit_log::Model {
        id: 0,
        occurred_at: occurred_at.trunc_subsecs(6),
        actor_id: None,
        action: "api_token.create".to_owned(),
        resource_type: "api_token".to_owned(),
        resource_id: resource_id.to_owned(),
        before: None,
        after: Some(json!({ "name": resource_id })),
        request_id: None,
        client_request_id: None,
        prev_hash: audit::UNLINKED.to_owned(),
        hash: String::new(),
        hash_kind: audit::HASH_HMAC_SHA256.to_owned(),
    }
}

fn active(row: audit_log::Model) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        occurred_at: Set(row.occurred_at),
        actor_id: Set(row.actor_id),
        action: Set(row.action),
        resource_type: Set(row.resource_type),
        resource_id: Set(row.resource_id),
        before: Set(row.before),
        after: Set(row.after),
        request_id: Set(row.request_id),
        client_request_id: Set(row.client_request_id),
        prev_hash: Set(row.prev_hash),
        hash: Set(row.hash),
        hash_kind: Set(row.hash_kind),
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
        audit::position_of(last, 0).expect("named")
    );
}

#[tokio::test]
async fn the_unlinked_tail_is_reported_and_linked_at_the_next_round() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let conn = app.database().conn();
    let linked = audit::verify(app.database()).await.expect("verify");
    assert!(linked.ok && linked.unlinked == 0, "{linked:?}");
    let p0 = audit::position(app.database()).await.expect("position");

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
    // An unlinked entry moves the audit position (by the count of the unlinked tail),
    // which then stays put while nothing changes.
    let p1 = audit::position(app.database()).await.expect("position");
    let p2 = audit::position(app.database()).await.expect("position");
    assert!(p1 > p0 && p1 == p2, "{p0} {p1} {p2}");
    assert_eq!(p1, p0 + 1, "the linked head, one unlinked entry");

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
    let p3 = audit::position(app.database()).await.expect("position");
    assert_eq!(
        p3,
        audit::position_of(all.last().expect("entries").id, 0).expect("named")
    );
    assert!(p3 > p2, "linking moves the position forward: {p2} {p3}");
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

/// Someone with only `INSERT` on the log (no audit key) adds a backdated unlinked entry,
/// with raw SQL: the sealer refuses to link it, and anything after it, and verification
/// names it; a genuine write after it commits but stays unlinked and is reported.
#[tokio::test]
async fn an_unlinked_entry_inserted_without_the_key_is_never_linked_and_is_reported() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    app.database().seal_audit().await.expect("seal");
    let linked = audit::verify(app.database()).await.expect("verify");
    assert!(linked.ok && linked.unlinked == 0, "{linked:?}");
    let conn = app.database().conn();
    let backend = conn.get_database_backend();

    // The placeholder's shape alone, a random one as before the fix, in raw SQL.
    let forged = forged_entry("someone", Utc::now() - Duration::days(30));
    let forged_hash = match &forged.hash {
        sea_orm::ActiveValue::Set(h) => h.clone(),
        _ => unreachable!(),
    };
    let insert = "INSERT INTO audit_log (occurred_at, action, resource_type, resource_id, \
                  after, prev_hash, hash, hash_kind) VALUES ($1, $2, $3, $4, $5, '', $6, $7)";
    let sql = match backend {
        DbBackend::Postgres => insert.to_owned(),
        _ => insert.replace('$', "?"),
    };
    let occurred = (Utc::now() - Duration::days(30)).trunc_subsecs(6);
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            occurred.into(),
            "user.update".into(),
            "user".into(),
            "someone".into(),
            json!({ "role": "admin" }).into(),
            forged_hash.into(),
            audit::HASH_HMAC_SHA256.into(),
        ],
    ))
    .await
    .expect("raw insert");
    let forged_id = rows(&app).await.pop().expect("entries").id;

    // The sealer stops at it: not linked, nothing linked past it.
    assert!(
        app.database().seal_audit().await.is_err(),
        "the sealer refuses"
    );
    let all = rows(&app).await;
    let row = all.iter().find(|r| r.id == forged_id).expect("forged row");
    assert_eq!(
        row.prev_hash,
        audit::UNLINKED,
        "the forged entry is not linked"
    );
    let v = app
        .get_as(&admin.token, "/api/v1/audit/verify")
        .await
        .json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(
        v["first_broken"],
        json!({ "id": forged_id, "reason": "forged_unlinked" })
    );

    // A genuine write after it commits, but is not linked past the forged entry.
    app.request(Method::POST, "/api/v1/me/tokens")
        .bearer(&admin.token)
        .json(&json!({ "name": "after the forgery" }))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    assert!(app.database().seal_audit().await.is_err(), "still refused");
    let all = rows(&app).await;
    let after: Vec<_> = all.iter().filter(|r| r.id > forged_id).collect();
    assert!(!after.is_empty(), "the genuine write appended its entry");
    assert!(
        after.iter().all(|r| r.prev_hash == audit::UNLINKED),
        "nothing after the forged entry is linked"
    );
    let v = audit::verify(app.database()).await.expect("verify");
    assert!(!v.ok, "{v:?}");
    assert_eq!(
        v.first_broken.as_ref().map(|b| (b.id, b.reason.as_str())),
        Some((forged_id, "forged_unlinked"))
    );
}

/// The placeholder's MAC covers the entry's content: an entry whose content differs
/// from what the key's holder wrote (here, made for one resource and inserted for
/// another) is refused as well.
#[tokio::test]
async fn an_unlinked_entry_whose_content_differs_from_its_mac_is_refused() {
    let app = TestApp::spawn().await;
    app.database().seal_audit().await.expect("seal");
    let mut moved = unlinked_model("mine", Utc::now());
    moved.hash = audit::unlinked_placeholder(&moved, &wpt_tests::test_audit_key());
    moved.resource_id = "someone else".to_owned();
    let moved = active(moved)
        .insert(app.database().conn())
        .await
        .expect("insert");
    assert!(
        app.database().seal_audit().await.is_err(),
        "the sealer refuses"
    );
    let v = audit::verify(app.database()).await.expect("verify");
    assert_eq!(
        v.first_broken.as_ref().map(|b| (b.id, b.reason.as_str())),
        Some((moved.id, "forged_unlinked")),
        "{v:?}"
    );
    let row = rows(&app).await.pop().expect("entries");
    assert_eq!(
        (row.id, row.prev_hash.as_str()),
        (moved.id, audit::UNLINKED)
    );
}

/// Verification reads in batches, separate statements: the sealer linking the tail
/// between two of them is no fault. A tail longer than one batch of verification, linked
/// by the sealer while verification runs: never `linked_after_unlinked`. (Whether the
/// sealer lands between two batches varies from run to run; when it does, the old
/// verification reported the log altered.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verification_beside_the_sealer_never_reports_a_linked_entry_after_the_tail() {
    let app = Arc::new(TestApp::spawn().await);
    app.database().seal_audit().await.expect("seal");
    let conn = app.database().conn();
    let tail: Vec<audit_log::ActiveModel> = (0..1600)
        .map(|n| unlinked_entry(&format!("tail {n}"), Utc::now()))
        .collect();
    for chunk in tail.chunks(400) {
        audit_log::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await
            .expect("insert the tail");
    }
    let sealer = {
        let app = app.clone();
        tokio::spawn(async move { app.database().seal_audit().await })
    };
    for _ in 0..3 {
        let v = audit::verify(app.database()).await.expect("verify");
        assert!(v.ok, "{v:?}");
    }
    sealer.await.expect("task").expect("seal");
    let v = audit::verify(app.database()).await.expect("verify");
    assert!(v.ok && v.unlinked == 0, "{v:?}");
}

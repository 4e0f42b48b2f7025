//! A record that proves itself: the chain is keyed, so rewriting it needs the key; the
//! database refuses to change or remove entries; recorded heads name a cut tail; the
//! client's request id is kept apart from the server's; editions are signed; the
//! activity history is served by an index.

use axum::http::{Method, StatusCode};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, QueryOrder, QueryTrait, Statement, Value as SqlValue,
};
use serde_json::{Value, json};
use wpt_db::audit::{self, AuditKey, Checkpoint};
use wpt_db::entities::audit_log;
use wpt_domain::Role;
use wpt_tests::{TestApp, TestDb, test_audit_key};

/// Drops the append-only triggers, as an attacker with the database's administrator
/// rights would before rewriting the log.
pub async fn drop_triggers(app: &TestApp) {
    let sql: &[&str] = match app.database().conn().get_database_backend() {
        DbBackend::Postgres => &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
        ],
        _ => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
    };
    for s in sql {
        app.database()
            .conn()
            .execute_unprepared(s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

async fn rows(app: &TestApp) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(app.database().conn())
        .await
        .expect("rows")
}

/// Some writes by an administrator (each appends an entry); the administrator's token.
async fn with_writes(app: &TestApp, n: usize) -> String {
    let admin = app.caller(Role::Admin, None).await;
    for i in 0..n {
        app.request(Method::POST, "/api/v1/me/tokens")
            .bearer(&admin.token)
            .json(&json!({ "name": format!("t{i}") }))
            .send()
            .await
            .assert_status(StatusCode::CREATED);
    }
    admin.token
}

/// Rewrites every entry from the first on with `kind` and the hash `hash` gives it, each
/// linked to the one before: what someone with the database but not the key can do.
async fn rewrite_chain(app: &TestApp, kind: &str, hash: impl Fn(&audit_log::Model) -> String) {
    let mut prev = audit::GENESIS.to_owned();
    for mut row in rows(app).await {
        row.prev_hash = prev;
        row.hash_kind = kind.to_owned();
        row.hash = hash(&row);
        update_row(app, &row).await;
        prev = row.hash;
    }
}

async fn update_row(app: &TestApp, row: &audit_log::Model) {
    let db = app.database().conn();
    let sql = wpt_db_portable(
        db.get_database_backend(),
        "UPDATE audit_log SET prev_hash = $1, hash = $2, hash_kind = $3 WHERE id = $4",
    );
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [
            row.prev_hash.clone().into(),
            row.hash.clone().into(),
            row.hash_kind.clone().into(),
            row.id.into(),
        ],
    ))
    .await
    .expect("rewrite an entry");
}

fn wpt_db_portable(backend: DbBackend, sql: &str) -> String {
    match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    }
}

async fn verify(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .get_as(token, &format!("/api/v1/audit/verify{query}"))
        .await;
    res.assert_status(StatusCode::OK);
    res.json()
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_entries() {
    let app = TestApp::spawn().await;
    with_writes(&app, 2).await;
    let before = rows(&app).await;
    let id = before[before.len() - 1].id;
    let db = app.database().conn();
    let mut attempts = vec![
        format!("UPDATE audit_log SET resource_id = 'forged' WHERE id = {id}"),
        format!("DELETE FROM audit_log WHERE id = {id}"),
        "DELETE FROM audit_log".to_owned(),
    ];
    if db.get_database_backend() == DbBackend::Postgres {
        attempts.push("TRUNCATE audit_log".to_owned());
    }
    for sql in attempts {
        let err = db
            .execute_unprepared(&sql)
            .await
            .expect_err(&format!("{sql} must be refused"));
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(rows(&app).await, before, "nothing changed");
    assert!(audit::verify(app.database()).await.expect("verify").ok);
}

#[tokio::test]
async fn a_chain_recomputed_without_the_key_is_named_at_its_first_entry() {
    let app = TestApp::spawn().await;
    let admin = with_writes(&app, 3).await;
    let first = rows(&app).await[0].id;
    drop_triggers(&app).await;

    // Recomputed with the right key (which only the server has), it verifies: the
    // rewriting itself is faithful.
    let key = test_audit_key();
    rewrite_chain(&app, audit::HASH_HMAC_SHA256, |r| {
        audit::expected_hash(r, Some(&key))
            .expect("hash")
            .expect("a known kind")
    })
    .await;
    assert_eq!(verify(&app, &admin, "").await["ok"], true);

    // With another key: the very first entry fails.
    let other = AuditKey::new(b"an-attacker-key-an-attacker-key-0123456789").expect("key");
    rewrite_chain(&app, audit::HASH_HMAC_SHA256, |r| {
        audit::expected_hash(r, Some(&other))
            .expect("hash")
            .expect("a known kind")
    })
    .await;
    let v = verify(&app, &admin, "").await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(
        v["first_broken"],
        json!({"id": first, "reason": "hash_mismatch"})
    );

    // With plain SHA-256, claiming to be keyed: the first entry fails.
    rewrite_chain(&app, audit::HASH_HMAC_SHA256, |r| {
        let mut plain = r.clone();
        plain.hash_kind = audit::HASH_SHA256.to_owned();
        audit::expected_hash(&plain, None)
            .expect("hash")
            .expect("a known kind")
    })
    .await;
    let v = verify(&app, &admin, "").await;
    assert_eq!(
        v["first_broken"],
        json!({"id": first, "reason": "hash_mismatch"})
    );

    // With plain SHA-256, claiming to predate keying: no keyed entry vouches for them.
    rewrite_chain(&app, audit::HASH_SHA256, |r| {
        audit::expected_hash(r, None)
            .expect("hash")
            .expect("a known kind")
    })
    .await;
    let v = verify(&app, &admin, "").await;
    assert_eq!(
        v["first_broken"],
        json!({"id": first, "reason": "unsealed"})
    );
    // And the server does not append to (and so vouch for) such a chain.
    app.request(Method::POST, "/api/v1/me/tokens")
        .bearer(&admin)
        .json(&json!({ "name": "after the rewrite" }))
        .send()
        .await
        .assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "internal");
}

#[tokio::test]
async fn an_unkeyed_entry_after_keyed_ones_is_named() {
    let app = TestApp::spawn().await;
    let admin = with_writes(&app, 2).await;
    let all = rows(&app).await;
    let mut last = all[all.len() - 1].clone();
    last.hash_kind = audit::HASH_SHA256.to_owned();
    last.hash = audit::expected_hash(&last, None)
        .expect("hash")
        .expect("a known kind");
    drop_triggers(&app).await;
    update_row(&app, &last).await;
    let v = verify(&app, &admin, "").await;
    assert_eq!(
        v["first_broken"],
        json!({"id": last.id, "reason": "unkeyed_entry"})
    );
}

#[tokio::test]
async fn a_cut_tail_is_named_by_a_recorded_head() {
    let app = TestApp::spawn().await;
    let admin = with_writes(&app, 1).await;
    let early = app.get_as(&admin, "/api/v1/audit/head").await;
    early.assert_status(StatusCode::OK);
    let early = early.json();
    let last = rows(&app).await.pop().expect("a row");
    assert_eq!(early["id"], last.id);
    assert_eq!(early["hash"], last.hash);
    assert!(early["occurred_at"].is_string(), "{early}");

    let token = with_writes(&app, 2).await;
    let late = app.get_as(&token, "/api/v1/audit/head").await.json();
    let q = |head: &Value| {
        format!(
            "?checkpoint_id={}&checkpoint_hash={}",
            head["id"],
            head["hash"].as_str().expect("hash")
        )
    };
    assert_eq!(verify(&app, &admin, &q(&late)).await["ok"], true);

    // The tail after the early head is cut: the chain alone still verifies.
    drop_triggers(&app).await;
    app.database()
        .conn()
        .execute_unprepared(&format!("DELETE FROM audit_log WHERE id > {}", early["id"]))
        .await
        .expect("cut the tail");
    assert_eq!(verify(&app, &admin, "").await["ok"], true);
    assert_eq!(verify(&app, &admin, &q(&early)).await["ok"], true);
    let v = verify(&app, &admin, &q(&late)).await;
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["first_broken"],
        json!({"id": late["id"], "reason": "checkpoint_missing"})
    );

    // A recorded head whose entry differs.
    let forged = json!({"id": early["id"], "hash": "0".repeat(64)});
    let v = verify(&app, &admin, &q(&forged)).await;
    assert_eq!(
        v["first_broken"],
        json!({"id": early["id"], "reason": "checkpoint_mismatch"})
    );
    // The same through the library, with several heads at once.
    let both = [
        Checkpoint {
            id: early["id"].as_i64().expect("id"),
            hash: early["hash"].as_str().expect("hash").to_owned(),
        },
        Checkpoint {
            id: late["id"].as_i64().expect("id"),
            hash: late["hash"].as_str().expect("hash").to_owned(),
        },
    ];
    let v = audit::verify_against(app.database(), &both)
        .await
        .expect("verify");
    assert_eq!(
        v.first_broken.map(|b| (b.id, b.reason)),
        Some((both[1].id, "checkpoint_missing".to_owned()))
    );

    // Half a checkpoint, or a hash that is not one, is refused.
    for bad in [
        "?checkpoint_id=1".to_owned(),
        format!("?checkpoint_hash={}", "a".repeat(64)),
        "?checkpoint_id=1&checkpoint_hash=xyz".to_owned(),
    ] {
        app.get_as(&admin, &format!("/api/v1/audit/verify{bad}"))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
}

#[tokio::test]
async fn only_administrators_read_the_head_and_an_empty_log_has_none() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    app.get_as(&sec.token, "/api/v1/audit/head")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let empty = TestDb::empty().await;
    empty.db.migrate_up().await.expect("migrate");
    assert_eq!(audit::head(&empty.db).await.expect("head"), None);
}

#[tokio::test]
async fn the_clients_request_id_is_kept_beside_the_servers_own() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let sent = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&admin.token)
        .header("x-request-id", "client-chosen-7")
        .json(&json!({ "name": "with an id" }))
        .send()
        .await;
    sent.assert_status(StatusCode::CREATED);
    assert_eq!(
        sent.header("x-request-id"),
        Some("client-chosen-7"),
        "echoed"
    );
    let made = app
        .request(Method::POST, "/api/v1/me/tokens")
        .bearer(&admin.token)
        .json(&json!({ "name": "without" }))
        .send()
        .await;
    let made_id = made.header("x-request-id").expect("an id").to_owned();

    let all = rows(&app).await;
    let (with, without) = (&all[all.len() - 2], &all[all.len() - 1]);
    assert_eq!(with.client_request_id.as_deref(), Some("client-chosen-7"));
    let server_id = with.request_id.as_deref().expect("the server's id");
    assert_ne!(server_id, "client-chosen-7");
    assert!(uuid::Uuid::parse_str(server_id).is_ok(), "{server_id}");
    assert_eq!(without.client_request_id, None);
    assert_eq!(without.request_id.as_deref(), Some(made_id.as_str()));

    // The client's id is covered by the keyed hash like everything else.
    let mut forged = with.clone();
    forged.client_request_id = Some("another".to_owned());
    assert_ne!(
        audit::expected_hash(&forged, Some(&test_audit_key())).expect("hash"),
        Some(with.hash.clone())
    );
}

#[tokio::test]
async fn closing_a_cycle_signs_its_edition_with_the_audit_key() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028");
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "Signed", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    for step in ["open", "close"] {
        app.request(Method::POST, &format!("/api/v1/cycles/{id}/{step}"))
            .bearer(&sec.token)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    let edition = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{id}/edition"))
        .await
        .json();
    let sha = edition["sha256"].as_str().expect("sha256");
    let cycle = uuid::Uuid::parse_str(&id).expect("uuid");
    let expected = test_audit_key().sign_edition(cycle, sha);
    assert_eq!(edition["signature"], expected.as_str());
    let other = AuditKey::new(&[9; 32]).expect("key");
    assert_ne!(
        edition["signature"],
        other.sign_edition(cycle, sha).as_str()
    );
    let closed = rows(&app).await.pop().expect("the close entry");
    assert_eq!(closed.action, "cycle.close");
    assert_eq!(
        closed.after.expect("after")["edition_signature"],
        expected.as_str()
    );
}

/// The activity history filters by resource id only: with a large log, the plan of
/// exactly its query must use `ix_audit_log_resource_id`, not scan the log.
#[tokio::test]
async fn the_activity_history_query_uses_its_index() {
    let app = TestApp::spawn().await;
    let db = app.database().conn();
    let backend = db.get_database_backend();
    let fill = match backend {
        DbBackend::Postgres => {
            "INSERT INTO audit_log (occurred_at, action, resource_type, resource_id, prev_hash, hash, hash_kind)
             SELECT now(), 'activity.update', 'activity', 'res-' || (g % 2000), repeat('0', 64),
                    md5(g::text) || md5((g + 1)::text), 'hmac-sha256'
               FROM generate_series(1, 40000) AS g"
        }
        _ => {
            "INSERT INTO audit_log (occurred_at, action, resource_type, resource_id, prev_hash, hash, hash_kind)
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 40000)
             SELECT '2026-01-01T00:00:00Z', 'activity.update', 'activity', 'res-' || (n % 2000),
                    printf('%064d', 0), printf('%064d', n), 'hmac-sha256'
               FROM g"
        }
    };
    db.execute_unprepared(fill).await.expect("a large log");
    db.execute_unprepared("ANALYZE").await.expect("analyze");

    for before in [None, Some(30_000)] {
        let ids = vec![
            uuid::Uuid::new_v4().to_string(),
            "res-17".to_owned(),
            "res-1200".to_owned(),
        ];
        let stmt = wpt_db::activities::history_query(ids, before, 51).build(backend);
        let explain = match backend {
            DbBackend::Postgres => format!("EXPLAIN {}", stmt.sql),
            _ => format!("EXPLAIN QUERY PLAN {}", stmt.sql),
        };
        let values: Vec<SqlValue> = stmt.values.map(|v| v.0).unwrap_or_default();
        let plan: Vec<String> = db
            .query_all_raw(Statement::from_sql_and_values(backend, explain, values))
            .await
            .expect("explain")
            .iter()
            .map(|row| {
                row.try_get_by_index::<String>(if backend == DbBackend::Postgres { 0 } else { 3 })
                    .expect("a plan line")
            })
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("ix_audit_log_resource_id"),
            "the history must use its index ({before:?}):\n{plan}"
        );
    }
}

/// A log written before keying (plain SHA-256) keeps verifying once the keying
/// migration is applied: it is sealed by a keyed entry at once, and writes go on.
#[tokio::test]
async fn a_log_from_before_keying_is_sealed_when_the_migration_runs() {
    use wpt_migrations::MigratorTrait;
    let test = TestDb::empty().await;
    let db = &test.db;
    // Every migration before the keying one.
    let before_keying = wpt_migrations::Migrator::migrations()
        .iter()
        .take_while(|m| m.name() != "m20261201_000001_audit_proof")
        .count();
    wpt_migrations::Migrator::up(db.conn(), Some(before_keying as u32))
        .await
        .expect("up to before keying");
    let backend = db.conn().get_database_backend();
    let mut prev = audit::GENESIS.to_owned();
    for n in 0..3 {
        let row = audit_log::Model {
            id: 0,
            occurred_at: chrono::DateTime::from_timestamp(1_700_000_000 + n, 0).expect("time"),
            actor_id: None,
            action: "seed.demo".to_owned(),
            resource_type: "work_plan".to_owned(),
            resource_id: format!("legacy-{n}"),
            before: None,
            after: Some(json!({"n": n, "b": [1, {"z": 1, "a": 2}]})),
            request_id: Some(format!("req-{n}")),
            prev_hash: prev.clone(),
            hash: String::new(),
            hash_kind: audit::HASH_SHA256.to_owned(),
            client_request_id: None,
        };
        let hash = audit::expected_hash(&row, None)
            .expect("hash")
            .expect("known kind");
        db.conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                wpt_db_portable(
                    backend,
                    "INSERT INTO audit_log (occurred_at, action, resource_type, resource_id, after, request_id, prev_hash, hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                ),
                [
                    row.occurred_at.into(),
                    row.action.into(),
                    row.resource_type.into(),
                    row.resource_id.into(),
                    row.after.into(),
                    row.request_id.into(),
                    prev.clone().into(),
                    hash.clone().into(),
                ],
            ))
            .await
            .expect("a legacy entry");
        prev = hash;
    }

    db.migrate_up().await.expect("the keying migration");
    let all = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(db.conn())
        .await
        .expect("rows");
    assert_eq!(all.len(), 4, "three legacy entries and the seal");
    assert!(all[..3].iter().all(|r| r.hash_kind == audit::HASH_SHA256));
    let seal = &all[3];
    assert_eq!(
        (seal.action.as_str(), seal.hash_kind.as_str()),
        ("audit.seal", audit::HASH_HMAC_SHA256)
    );
    assert_eq!(seal.prev_hash, prev);
    let v = audit::verify(db).await.expect("verify");
    assert!(v.ok && v.checked == 4, "{v:?}");

    // A second run seals nothing more; writes append keyed entries after the seal.
    db.migrate_up().await.expect("nothing pending");
    wpt_server::prepare(db, true, wpt_tests::REFERENCE, "test")
        .await
        .expect("reference data");
    let v = audit::verify(db).await.expect("verify");
    assert!(v.ok && v.checked > 4, "{v:?}");
    let seals = audit_log::Entity::find()
        .all(db.conn())
        .await
        .expect("rows")
        .iter()
        .filter(|r| r.action == "audit.seal")
        .count();
    assert_eq!(seals, 1);
}

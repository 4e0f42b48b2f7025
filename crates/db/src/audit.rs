//! The audit log: append-only, hash-chained, written in the same transaction as the
//! change it records.
//!
//! Each row stores the hash of the row before it and its own SHA-256 over a canonical
//! encoding (a JSON array with object keys sorted, timestamps to the microsecond), so
//! editing or deleting any row breaks the chain at that row, and `verify` names it.
//! Appends are serialized: on PostgreSQL by a transaction-scoped advisory lock taken
//! just before the append, on SQLite by the write lock every write transaction takes
//! when it begins (`BEGIN IMMEDIATE`). So the chain never forks.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_domain::models::{AuditEntry, BrokenLink, Page, Verification};
use wpt_domain::page::{Cursor, PageRequest};

use crate::entities::audit_log;
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, context};

const AUDIT_LOCK_KEY: i64 = 0x0077_7074_2d61_7564; // "wpt-aud"
/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys whose values never enter the log, at any depth.
const SECRET_KEYS: &[&str] = &[
    "password",
    "password_hash",
    "current_password",
    "new_password",
    "token",
    "token_hash",
    "access_token",
    "refresh_token",
    "secret",
];

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change {
    /// What was done, `resource.verb` (`user.create`, `session.revoke`).
    pub action: &'static str,
    /// The kind of resource (`user`, `work_plan`).
    pub resource_type: &'static str,
    /// Its id or code.
    pub resource_id: String,
    /// Its representation before, if it existed.
    pub before: Option<Value>,
    /// Its representation after, if it still exists.
    pub after: Option<Value>,
}

impl Change {
    /// A change with serializable before and after states.
    pub fn new<B: Serialize, A: Serialize>(
        action: &'static str,
        resource_type: &'static str,
        resource_id: impl ToString,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Self {
        Self {
            action,
            resource_type,
            resource_id: resource_id.to_string(),
            before: before.and_then(|b| serde_json::to_value(b).ok()),
            after: after.and_then(|a| serde_json::to_value(a).ok()),
        }
    }
}

/// Removes secrets from a recorded state.
fn redact(value: Option<Value>) -> Option<Value> {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| !SECRET_KEYS.contains(&k.as_str()));
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    value.map(|mut v| {
        walk(&mut v);
        v
    })
}

/// Canonical JSON (object keys sorted at every depth, no spaces): what the audit chain
/// and cycle editions hash.
pub fn canonical_json_pub(value: &Value, out: &mut String) {
    canonical_json(value, out);
}

/// Writes `value` as JSON with object keys sorted at every depth, whatever order the
/// map type or the database (PostgreSQL's jsonb reorders keys) hands them in.
fn canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical_json(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[expect(clippy::too_many_arguments, reason = "the hashed fields, each named")]
fn row_hash(
    prev_hash: &str,
    occurred_at: &DateTime<Utc>,
    actor_id: Option<Uuid>,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    request_id: Option<&str>,
) -> String {
    let encoded = Value::Array(vec![
        Value::from(prev_hash),
        Value::from(occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        actor_id.map_or(Value::Null, |a| Value::from(a.to_string())),
        Value::from(action),
        Value::from(resource_type),
        Value::from(resource_id),
        before.cloned().unwrap_or(Value::Null),
        after.cloned().unwrap_or(Value::Null),
        request_id.map_or(Value::Null, Value::from),
    ]);
    let mut text = String::new();
    canonical_json(&encoded, &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn hash_of(row: &audit_log::Model) -> String {
    row_hash(
        &row.prev_hash,
        &row.occurred_at,
        row.actor_id,
        &row.action,
        &row.resource_type,
        &row.resource_id,
        row.before.as_ref(),
        row.after.as_ref(),
        row.request_id.as_deref(),
    )
}

/// Appends `change` by `actor` (None: the system) inside `txn`.
pub async fn append(
    txn: &DatabaseTransaction,
    actor: Option<Uuid>,
    change: Change,
) -> DbResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"),
        ))
        .await?;
    }
    let prev_hash = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Hash)
        .order_by_desc(audit_log::Column::Id)
        .limit(1)
        .into_tuple::<String>()
        .one(txn)
        .await?
        .unwrap_or_else(|| GENESIS.to_owned());
    // Microseconds: what both backends store exactly, so the hash recomputes.
    let occurred_at = Utc::now().trunc_subsecs(6);
    let request_id = context::request_id();
    let before = redact(change.before);
    let after = redact(change.after);
    let hash = row_hash(
        &prev_hash,
        &occurred_at,
        actor,
        change.action,
        change.resource_type,
        &change.resource_id,
        before.as_ref(),
        after.as_ref(),
        request_id.as_deref(),
    );
    audit_log::ActiveModel {
        occurred_at: Set(occurred_at),
        actor_id: Set(actor),
        action: Set(change.action.to_owned()),
        resource_type: Set(change.resource_type.to_owned()),
        resource_id: Set(change.resource_id),
        before: Set(before),
        after: Set(after),
        request_id: Set(request_id),
        prev_hash: Set(prev_hash),
        hash: Set(hash),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

impl From<audit_log::Model> for AuditEntry {
    fn from(r: audit_log::Model) -> Self {
        Self {
            id: r.id,
            occurred_at: r.occurred_at,
            actor_id: r.actor_id,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Filters of the audit list.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Only this kind of resource.
    pub resource_type: Option<String>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only this action.
    pub action: Option<String>,
}

/// The audit log, newest first.
pub async fn list(
    db: &Database,
    filter: &AuditFilter,
    page: &PageRequest,
) -> DbResult<Page<AuditEntry>> {
    let mut cond = Condition::all();
    if let Some(t) = &filter.resource_type {
        cond = cond.add(audit_log::Column::ResourceType.eq(t.clone()));
    }
    if let Some(r) = &filter.resource_id {
        cond = cond.add(audit_log::Column::ResourceId.eq(r.clone()));
    }
    if let Some(a) = filter.actor_id {
        cond = cond.add(audit_log::Column::ActorId.eq(a));
    }
    if let Some(a) = &filter.action {
        cond = cond.add(audit_log::Column::Action.eq(a.clone()));
    }
    if let Some(after) = &page.after {
        let id: i64 = after.key.parse().map_err(|_| {
            let mut e = wpt_domain::ValidationErrors::new();
            e.add("cursor", "is not a cursor of this list");
            DbError::Validation(e)
        })?;
        cond = cond.add(audit_log::Column::Id.lt(id));
    }
    let rows = audit_log::Entity::find()
        .filter(cond)
        .order_by_desc(audit_log::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: r.id.to_string(),
        id: Uuid::nil(),
    })?;
    Ok(Page {
        items: page.items.into_iter().map(AuditEntry::from).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Walks the whole chain in batches (constant memory) and reports the first break.
pub async fn verify(db: &Database) -> DbResult<Verification> {
    const BATCH: u64 = 1000;
    let mut expected_prev = GENESIS.to_owned();
    let mut last_id = i64::MIN;
    let mut checked = 0;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(last_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(BATCH)
            .all(db.conn())
            .await?;
        let done = (rows.len() as u64) < BATCH;
        for row in rows {
            checked += 1;
            let reason = if row.prev_hash != expected_prev {
                Some("prev_hash_mismatch")
            } else if hash_of(&row) != row.hash {
                Some("hash_mismatch")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(Verification {
                    ok: false,
                    checked,
                    first_broken: Some(BrokenLink {
                        id: row.id,
                        reason: reason.to_owned(),
                    }),
                });
            }
            expected_prev = row.hash;
            last_id = row.id;
        }
        if done {
            return Ok(Verification {
                ok: true,
                checked,
                first_broken: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":null}}"#).expect("json");
        let mut out = String::new();
        canonical_json(&a, &mut out);
        assert_eq!(out, r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn secrets_are_removed_at_any_depth() {
        let v = serde_json::json!({"email": "a@b", "password_hash": "x", "nested": [{"token": "t", "ok": 1}]});
        let r = redact(Some(v)).expect("value");
        assert_eq!(
            r,
            serde_json::json!({"email": "a@b", "nested": [{"ok": 1}]})
        );
    }
}

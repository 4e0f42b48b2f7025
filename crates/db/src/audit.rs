//! The audit log: append-only, hash-chained, written in the same transaction as the
//! change it records.
//!
//! Each row stores the hash of the row before it and its own hash over a canonical
//! encoding (a JSON array with object keys sorted, timestamps to the microsecond):
//! HMAC-SHA256 with the audit key ([`AuditKey`]) since keying started, plain SHA-256
//! before. So editing or deleting any row breaks the chain at that row, rewriting the
//! chain needs the key, and `verify` names the first break ([`chain`] has the rules).
//! Entries are appended only by the write path ([`crate::write`]), last in the
//! transaction, unlinked; the sealer (`crate::write::seal`) links them right after the
//! commit, one sealer at a time and in id order, never past an id still in flight, so
//! the chain never forks. The database refuses `UPDATE` and `DELETE` on the table but
//! that one link (triggers of the migrations `m20261201_000001_audit_proof` and
//! `m20261204_000001_audit_sealing`).

mod chain;
mod key;

pub use crate::write::UNLINKED;
pub use chain::{
    Checkpoint, HASH_HMAC_SHA256, HASH_SHA256, expected_hash, head, unlinked_placeholder, verify,
    verify_against,
};
pub(crate) use chain::{Sealed, no_key, placeholder_ok};
pub use key::AuditKey;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use wpt_domain::models::{AuditEntry, Page};
use wpt_domain::page::{Cursor, PageRequest};

use crate::entities::audit_log;
use crate::{Database, DbError, DbResult};

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

/// What was done, `resource.verb` in the log: one variant per kind of change, so a
/// use case cannot record an action nobody reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// `activity.create`
    ActivityCreate,
    /// `activity.update`
    ActivityUpdate,
    /// `activity.delete`
    ActivityDelete,
    /// `activity.import`
    ActivityImport,
    /// `amendment.propose`
    AmendmentPropose,
    /// `amendment.accept`
    AmendmentAccept,
    /// `amendment.reject`
    AmendmentReject,
    /// `api_token.create`
    ApiTokenCreate,
    /// `api_token.revoke`
    ApiTokenRevoke,
    /// `area.create`
    AreaCreate,
    /// `attachment.upload`: an evidence file uploaded (not yet attached)
    AttachmentUpload,
    /// `attachment.sweep`: one housekeeping sweep deleted uploads nobody attached
    AttachmentSweep,
    /// `audit.seal`: the first keyed entry, vouching for the unkeyed ones before it
    AuditSeal,
    /// `body.create`
    BodyCreate,
    /// `comment.add`: a comment in a report's review conversation
    CommentAdd,
    /// `comment.resolve`: a thread of a review conversation marked resolved
    CommentResolve,
    /// `body.update`
    BodyUpdate,
    /// `cycle.create`
    CycleCreate,
    /// `cycle.update`
    CycleUpdate,
    /// `cycle.delete`: a planned cycle deleted before it opened
    CycleDelete,
    /// `cycle.open`
    CycleOpen,
    /// `cycle.close`
    CycleClose,
    /// `cycle.reopen`: a closed cycle opened again (its edition kept in the entry)
    CycleReopen,
    /// `cycle.remind`: the secretariat reminded the bodies not yet submitted
    CycleRemind,
    /// `indicator.create`
    IndicatorCreate,
    /// `indicator.update`
    IndicatorUpdate,
    /// `indicator.actual`
    IndicatorActual,
    /// `maintenance.on`: read-only maintenance turned on (or changed)
    MaintenanceOn,
    /// `maintenance.off`
    MaintenanceOff,
    /// `outbox.retry`: an administrator queued a failed e-mail again.
    OutboxRetry,
    /// `notification.settings`: a user changed their e-mail setting.
    NotificationSettings,
    /// `milestone.create`
    MilestoneCreate,
    /// `milestone.update`
    MilestoneUpdate,
    /// `progress.create`
    ProgressCreate,
    /// `reference_data.apply`
    ReferenceDataApply,
    /// `seed.demo`
    SeedDemo,
    /// `seed.synthetic`
    SeedSynthetic,
    /// `session.create`
    SessionCreate,
    /// `session.revoke`
    SessionRevoke,
    /// `session.prune`: one housekeeping sweep deleted expired sessions and tokens
    SessionPrune,
    /// `submission.edit`
    SubmissionEdit,
    /// `submission.submit`
    SubmissionSubmit,
    /// `submission.return`
    SubmissionReturn,
    /// `submission.accept`
    SubmissionAccept,
    /// `submission.extend`: a body granted a later due day
    SubmissionExtend,
    /// `user.create`
    UserCreate,
    /// `user.update`
    UserUpdate,
    /// `user.password_change`
    UserPasswordChange,
    /// `user.time_zone`: the account's time zone set (by its owner, or by their
    /// browser at their first login)
    UserTimeZone,
    /// `user.password_reset`
    UserPasswordReset,
    /// `work_plan.create`
    WorkPlanCreate,
    /// `work_plan.update`
    WorkPlanUpdate,
    /// `work_plan.body_add`: a body added to a plan
    WorkPlanBodyAdd,
    /// `work_plan.body_remove`: a body removed from a plan
    WorkPlanBodyRemove,
}

impl AuditAction {
    /// The action as the log spells it.
    pub const fn as_str(self) -> &'static str {
        use AuditAction::*;
        match self {
            ActivityCreate => "activity.create",
            ActivityUpdate => "activity.update",
            ActivityDelete => "activity.delete",
            ActivityImport => "activity.import",
            AmendmentPropose => "amendment.propose",
            AmendmentAccept => "amendment.accept",
            AmendmentReject => "amendment.reject",
            ApiTokenCreate => "api_token.create",
            ApiTokenRevoke => "api_token.revoke",
            AreaCreate => "area.create",
            AttachmentUpload => "attachment.upload",
            AttachmentSweep => "attachment.sweep",
            AuditSeal => "audit.seal",
            BodyCreate => "body.create",
            CommentAdd => "comment.add",
            CommentResolve => "comment.resolve",
            BodyUpdate => "body.update",
            CycleCreate => "cycle.create",
            CycleUpdate => "cycle.update",
            CycleDelete => "cycle.delete",
            CycleOpen => "cycle.open",
            CycleClose => "cycle.close",
            CycleReopen => "cycle.reopen",
            CycleRemind => "cycle.remind",
            IndicatorCreate => "indicator.create",
            IndicatorUpdate => "indicator.update",
            IndicatorActual => "indicator.actual",
            MaintenanceOn => "maintenance.on",
            MaintenanceOff => "maintenance.off",
            OutboxRetry => "outbox.retry",
            NotificationSettings => "notification.settings",
            MilestoneCreate => "milestone.create",
            MilestoneUpdate => "milestone.update",
            ProgressCreate => "progress.create",
            ReferenceDataApply => "reference_data.apply",
            SeedDemo => "seed.demo",
            SeedSynthetic => "seed.synthetic",
            SessionCreate => "session.create",
            SessionRevoke => "session.revoke",
            SessionPrune => "session.prune",
            SubmissionEdit => "submission.edit",
            SubmissionSubmit => "submission.submit",
            SubmissionReturn => "submission.return",
            SubmissionAccept => "submission.accept",
            SubmissionExtend => "submission.extend",
            UserCreate => "user.create",
            UserUpdate => "user.update",
            UserPasswordChange => "user.password_change",
            UserTimeZone => "user.time_zone",
            UserPasswordReset => "user.password_reset",
            WorkPlanCreate => "work_plan.create",
            WorkPlanUpdate => "work_plan.update",
            WorkPlanBodyAdd => "work_plan.body_add",
            WorkPlanBodyRemove => "work_plan.body_remove",
        }
    }
}

/// One change to record, through [`Write::record`](crate::write::Write::record).
#[derive(Debug, Clone)]
pub struct Change {
    /// What was done.
    pub action: AuditAction,
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
    /// A change with serializable before and after states. A state that does not
    /// serialize is an error: the record is never silently emptier than the change.
    pub fn new<B: Serialize, A: Serialize>(
        action: AuditAction,
        resource_type: &'static str,
        resource_id: impl ToString,
        before: Option<&B>,
        after: Option<&A>,
    ) -> DbResult<Self> {
        let state = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| DbError::internal(format!("audit state of {}: {e}", action.as_str())))
        };
        Ok(Self {
            action,
            resource_type,
            resource_id: resource_id.to_string(),
            before: before.map(|b| state(serde_json::to_value(b))).transpose()?,
            after: after.map(|a| state(serde_json::to_value(a))).transpose()?,
        })
    }

    /// A change whose state is only what comes after (a creation).
    pub fn created<A: Serialize>(
        action: AuditAction,
        resource_type: &'static str,
        resource_id: impl ToString,
        after: &A,
    ) -> DbResult<Self> {
        Self::new::<(), A>(action, resource_type, resource_id, None, Some(after))
    }
}

/// Removes secrets from a recorded state.
pub(crate) fn redact(value: Option<Value>) -> Option<Value> {
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
            client_request_id: r.client_request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
            hash_kind: r.hash_kind,
        }
    }
}

/// The audit position: a number that names a state of the data, so that what was
/// computed at one position is still right while the position has not moved (how the
/// summaries, the list pages and the rendered reports are cached), on any number of
/// instances; a later state has a larger position.
///
/// It is made of two counts read in one statement: `linked`, the id of the last linked
/// entry, and `unlinked`, how many entries are committed but not linked yet. Entries are
/// linked in id order and only once every id below is final (see `crate::write::seal`),
/// so no change can commit later at or below `linked`; every write appends an entry,
/// above it, which adds one to `unlinked` (whatever its id: on PostgreSQL an entry with a
/// lower id may commit after one with a higher id, and `MAX(id)` alone would not move);
/// and `unlinked` only falls when the sealer moves `linked` up. So each change of the
/// data changes the pair, and the pair only grows in its order (`linked` first). The
/// number is `linked * 2^20 + unlinked` ([`position_of`]). A tail of 2^20 unlinked
/// entries or more (a sealer stopped for a long time) names no state: the position is
/// then a fresh negative number, equal to no other, and nothing computed at a negative
/// position is stored (`SummaryCache::put`, the report and list caches). One statement
/// over the id index and the partial index of unlinked entries.
pub async fn position(db: &Database) -> DbResult<i64> {
    static UNNAMED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let (linked, unlinked) = audit_log::Entity::find()
        .select_only()
        .column_as(
            sea_orm::sea_query::Expr::cust(
                "(SELECT l.id FROM audit_log l WHERE l.prev_hash <> '' \
                 ORDER BY l.id DESC LIMIT 1)",
            ),
            "l",
        )
        .column_as(
            sea_orm::sea_query::Expr::cust(
                "(SELECT COUNT(*) FROM audit_log u WHERE u.prev_hash = '')",
            ),
            "u",
        )
        .limit(1)
        .into_tuple::<(Option<i64>, i64)>()
        .one(db.conn())
        .await?
        .unwrap_or((None, 0));
    Ok(position_of(linked.unwrap_or(0), unlinked)
        .unwrap_or_else(|| UNNAMED.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) - 1))
}

/// Bits of the position that count the unlinked entries.
const UNLINKED_BITS: u32 = 20;

/// The position of a log whose last linked entry is `linked` (0 for none) with
/// `unlinked` entries after it not linked yet; `None` when the tail is too long to be
/// named (see [`position`]).
pub fn position_of(linked: i64, unlinked: i64) -> Option<i64> {
    (0..1 << UNLINKED_BITS)
        .contains(&unlinked)
        .then(|| linked.checked_shl(UNLINKED_BITS))
        .flatten()
        .filter(|l| l >> UNLINKED_BITS == linked)
        .map(|l| l | unlinked)
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

/// The most a page of `GET /audit` carries of its entries' `before` and `after`, as
/// stored JSON text: a page stops early, after the entry that passes it (so it always
/// has at least one), and its `next_cursor` goes on from there. Rows bound a page's
/// count, this its size, however large each entry is.
pub const PAGE_BYTES: i64 = 1024 * 1024;

/// The most one batch of the chain's verification holds of `before` and `after`
/// ([`chain::verify_against`]): with at most 1000 entries, the memory verification takes
/// whatever the length of the chain.
pub const VERIFY_BATCH_BYTES: i64 = 4 * 1024 * 1024;

/// The stored size of an entry's `before` and `after`, the same SQL on both backends.
pub(crate) fn stored_size() -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Expr::cust(
        "CAST(COALESCE(LENGTH(CAST(before AS TEXT)), 0) + COALESCE(LENGTH(CAST(after AS TEXT)), 0) AS BIGINT)",
    )
}

/// Of the ids and sizes of rows in order, how many to take so that their sizes stay
/// within `budget`: at least one, then each while the total is within it.
pub(crate) fn within(sizes: &[(i64, i64)], budget: i64) -> usize {
    let mut total = 0i64;
    for (n, (_, size)) in sizes.iter().enumerate() {
        total = total.saturating_add(*size);
        if total > budget {
            return n.max(1);
        }
    }
    sizes.len()
}

/// Up to `rows` entries from `cond`, in `order` of id, whose `before` and `after` hold
/// at most `budget` bytes (at least one entry): the ids and sizes are read first (no
/// entry's content), then the entries taken. Two queries. Whether more follow, too.
pub(crate) async fn sized_batch(
    db: &Database,
    cond: Condition,
    descending: bool,
    rows: u64,
    budget: i64,
) -> DbResult<(Vec<audit_log::Model>, bool)> {
    let order = |q: sea_orm::Select<audit_log::Entity>| {
        if descending {
            q.order_by_desc(audit_log::Column::Id)
        } else {
            q.order_by_asc(audit_log::Column::Id)
        }
    };
    let sizes: Vec<(i64, i64)> = order(audit_log::Entity::find().filter(cond.clone()))
        .select_only()
        .column(audit_log::Column::Id)
        .column_as(stored_size(), "size")
        .limit(rows + 1)
        .into_tuple()
        .all(db.conn())
        .await?;
    let take = within(
        &sizes[..sizes.len().min(usize::try_from(rows).unwrap_or(usize::MAX))],
        budget,
    );
    let more = sizes.len() > take;
    let Some((last, _)) = sizes.get(take.saturating_sub(1)) else {
        return Ok((Vec::new(), false));
    };
    let bound = if descending {
        audit_log::Column::Id.gte(*last)
    } else {
        audit_log::Column::Id.lte(*last)
    };
    let entries = order(audit_log::Entity::find().filter(cond.add(bound)))
        .limit(u64::try_from(take).unwrap_or(u64::MAX))
        .all(db.conn())
        .await?;
    Ok((entries, more))
}

/// The audit log, newest first: at most `page.limit` entries, and fewer once their
/// `before` and `after` pass [`PAGE_BYTES`].
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
    let (rows, more) = sized_batch(db, cond, true, page.limit, PAGE_BYTES).await?;
    let next_cursor = if more {
        rows.last().map(|r| {
            Cursor {
                key: r.id.to_string(),
                id: Uuid::nil(),
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(AuditEntry::from).collect(),
        next_cursor,
    })
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
    fn a_batch_stops_after_the_entry_that_passes_the_budget_but_never_empty() {
        let sizes = [(1, 400), (2, 400), (3, 400), (4, 10)];
        assert_eq!(within(&sizes, 1000), 2);
        assert_eq!(within(&sizes, 1200), 3);
        assert_eq!(within(&sizes, 5000), 4);
        assert_eq!(
            within(&[(1, 9000), (2, 1)], 1000),
            1,
            "one large entry alone"
        );
        assert_eq!(within(&[], 1000), 0);
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

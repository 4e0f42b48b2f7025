//! The one write path: every use case that changes data goes through [`Database::write`].
//!
//! A [`Write`] is a unit of work. It opens the transaction (`BEGIN IMMEDIATE` on
//! SQLite, so a transaction that reads and then writes never fails halfway on a lock
//! upgrade), lends it to the use case (`&*w` is the transaction), collects the audit
//! entries the use case [`record`](Write::record)s, and on [`commit`](Write::commit)
//! appends them, always last, then commits. Dropping a `Write` without committing rolls
//! everything back, audit entries included.
//!
//! The entries are appended *unlinked* (no `prev_hash` and `hash` yet) and linked into
//! the chain right after the commit by the sealer ([`seal`]), in id order and in
//! batches: writers do not queue behind one lock for the chain, and PostgreSQL's group
//! commit shares their flushes. The commit waits (milliseconds) for its entries to be
//! linked, so an acknowledged write is normally linked already.
//!
//! Why the audit entries go last: on PostgreSQL a writer holds the audit advisory lock
//! *shared* from its append to its commit, and the sealer takes it exclusively for a
//! moment to know which ids are final ([`seal`]). Appended at the end, that lock is
//! always the last lock a transaction takes: a writer never waits for the sealer while
//! holding it, and never holds it while waiting for a row lock.
//!
//! What else commits with the change hangs here too: the notices a use case asks for with
//! [`notify`](Write::notify) are a second list beside `changes`, resolved and written to
//! the inbox and the mail outbox at commit, before the audit append (see `crate::notify`).
//!
//! `.ci/run` fails when a transaction is begun or the audit log appended anywhere else.

use std::ops::Deref;

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, ExecResult, ModelTrait, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, AuditAction, AuditKey, Change, HASH_HMAC_SHA256};
use crate::entities::audit_log;
use crate::{Backend, Database, DbError, DbResult, context};

mod seal;

pub(crate) use seal::Sealer;
pub use seal::UNLINKED;

/// One write in progress: the transaction and what it will record.
#[derive(Debug)]
pub struct Write {
    txn: DatabaseTransaction,
    changes: Vec<(Option<Uuid>, Change)>,
    key: Option<AuditKey>,
    rate: Option<std::sync::Arc<crate::write_rate::WriteRate>>,
    notices: Vec<crate::notify::Notice>,
    mail: std::sync::Arc<crate::notify::MailConfig>,
    cache: crate::cache::Cache,
    sealer: seal::Nudge,
}

impl Database {
    /// Starts a write.
    pub(crate) async fn write(&self) -> DbResult<Write> {
        let txn = match self.backend() {
            Backend::Sqlite => {
                self.conn()
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            Backend::Postgres => self.conn().begin().await?,
        };
        Ok(Write {
            txn,
            changes: Vec::new(),
            key: self.audit_key().cloned(),
            rate: self.write_rate().cloned(),
            notices: Vec::new(),
            mail: self.mail_config().clone(),
            cache: self.cache().clone(),
            sealer: seal::Nudge::new(self),
        })
    }

    /// The audit key, or the error that names the missing setting.
    pub(crate) fn required_audit_key(&self) -> DbResult<&AuditKey> {
        self.audit_key().ok_or_else(audit::no_key)
    }

    /// Seals the unkeyed entries of a log whose keying starts now (see
    /// [`Database::migrate_up`]), in a write of its own.
    pub(crate) async fn seal_unkeyed(&self) -> DbResult<()> {
        let w = self.write().await?;
        self.seal_unkeyed_in(&w.txn).await?;
        w.txn.commit().await?;
        Ok(())
    }

    /// Appends, in `txn`, a keyed `audit.seal` entry after the log's head when the head
    /// is unkeyed: its MAC covers the head's hash, and through it every unkeyed entry.
    /// Nothing when the log is empty or already keyed.
    pub(crate) async fn seal_unkeyed_in(&self, txn: &DatabaseTransaction) -> DbResult<()> {
        let head = audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::Id)
            .column(audit_log::Column::Hash)
            .column(audit_log::Column::HashKind)
            .order_by_desc(audit_log::Column::Id)
            .limit(1)
            .into_tuple::<(i64, String, String)>()
            .one(txn)
            .await?;
        let Some((id, hash, kind)) = head else {
            return Ok(());
        };
        if kind == HASH_HMAC_SHA256 {
            return Ok(());
        }
        let seal = Change::new::<(), _>(
            AuditAction::AuditSeal,
            "audit_log",
            id,
            None,
            Some(&serde_json::json!({ "sealed_through": id, "hash": hash })),
        )?;
        let key = self.required_audit_key()?;
        seal::exclusive(txn).await?;
        append_all(txn, vec![(None, seal)], Some(key), Head::MaySeal, false).await?;
        seal::link_in(txn, key).await
    }

    /// A transaction for the schema migrations (not a use case: nothing is audited).
    pub(crate) async fn migration_transaction(&self) -> DbResult<DatabaseTransaction> {
        Ok(self.conn().begin().await?)
    }
}

/// A `Write` runs queries as its transaction does, so use cases pass `&w` wherever
/// sea-orm takes a connection.
#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl Deref for Write {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl Write {
    /// Records `change` by `actor` (`None`: the system, such as a seed or the reference
    /// data at start), appended to the audit log at commit.
    pub(crate) fn record(&mut self, actor: Option<Uuid>, change: Change) {
        self.changes.push((actor, change));
    }

    /// Asks for `notice` to be written (inbox rows, and outbox rows when mail is on) in
    /// this write's transaction at commit; see `crate::notify`.
    pub(crate) fn notify(&mut self, notice: crate::notify::Notice) {
        self.notices.push(notice);
    }

    /// Writes the notices, appends the recorded audit entries, then commits everything.
    pub(crate) async fn commit(self) -> DbResult<()> {
        let Write {
            txn,
            changes,
            key,
            rate,
            notices,
            mail,
            cache,
            sealer,
        } = self;
        // What the recorded changes make stale in the caches (crate::cache).
        let stale = crate::cache::Invalidation::of(changes.iter().map(|(_, c)| c));
        // Read-only maintenance, from the database itself (crate::maintenance), for any
        // change a user's write recorded: on PostgreSQL in the audit append's own
        // statement, before its lock (`append_all`); on SQLite here.
        let check = changes
            .iter()
            .any(|(actor, c)| crate::maintenance::refuses(*actor, c.action));
        if check && txn.get_database_backend() != DbBackend::Postgres {
            crate::maintenance::check_in(&txn).await?;
        }
        // Writes per user per minute (crate::write_rate): counted once per write, for
        // the user who made it, after maintenance (which refuses first, counting
        // nothing); refused here, nothing of it is kept.
        let counted = rate.and_then(|rate| {
            changes
                .iter()
                .find(|(actor, c)| actor.is_some() && crate::write_rate::counts(c.action))
                .and_then(|(actor, _)| *actor)
                .map(|user| (rate, user))
        });
        // Notices before the audit append, which takes the last lock (see above).
        crate::notify::write_notices(&txn, notices, &mail).await?;
        let last_entry = if changes.is_empty() {
            None
        } else {
            Some(append_all(&txn, changes, key.as_ref(), Head::MustBeKeyed, check).await?)
        };
        if let Some((rate, user)) = counted {
            rate.count(user)?;
        }
        // Every instance hears of it when (and only if) it commits, or right after (the
        // activity views: `Invalidation::split`); this one at once.
        cache.announce(&txn, &stale).await?;
        txn.commit().await?;
        cache.invalidate(&stale);
        cache.announce_committed(&stale).await;
        // Linked by the sealer, with whatever else committed meanwhile (seal.rs).
        if let Some(id) = last_entry {
            sealer.await_sealed(id).await;
        }
        Ok(())
    }

    /// Gives up the write: nothing it did or recorded is kept (dropping it does the same).
    pub(crate) async fn rollback(self) -> DbResult<()> {
        self.txn.rollback().await?;
        Ok(())
    }

    /// The row `id` of `E` as this write sees it, if it is still at version `expected`:
    /// [`DbError::NotFound`] naming `what`, or [`DbError::StaleVersion`].
    pub(crate) async fn find_at_version<E>(
        &self,
        id: Uuid,
        expected: i32,
        what: &'static str,
    ) -> DbResult<E::Model>
    where
        E: Versioned,
    {
        let row = E::find()
            .filter(E::ID.eq(id))
            .one(&self.txn)
            .await?
            .ok_or(DbError::NotFound(what))?;
        match row.get(E::VERSION) {
            sea_orm::Value::Int(Some(v)) if v == expected => Ok(row),
            _ => Err(DbError::StaleVersion(expected)),
        }
    }

    /// `UPDATE table SET ..., version = expected + 1 WHERE id = ? AND version = expected`:
    /// the conditional update behind every `If-Match`, with the columns `am` sets.
    /// `Ok(())` when exactly that version was changed; [`DbError::StaleVersion`] when
    /// someone else changed it first (also after waiting for their row lock on
    /// PostgreSQL, which re-reads the row).
    pub(crate) async fn update_versioned<A>(
        &self,
        mut am: A,
        id: Uuid,
        expected: i32,
    ) -> DbResult<()>
    where
        A: ActiveModelTrait + Send,
        A::Entity: Versioned,
    {
        am.set(
            <A::Entity as Versioned>::VERSION,
            sea_orm::Value::from(expected + 1),
        );
        let res = <A::Entity as EntityTrait>::update_many()
            .set(am)
            .filter(<A::Entity as Versioned>::ID.eq(id))
            .filter(<A::Entity as Versioned>::VERSION.eq(expected))
            .exec(&self.txn)
            .await?;
        if res.rows_affected == 1 {
            Ok(())
        } else {
            Err(DbError::StaleVersion(expected))
        }
    }
}

/// A table whose rows carry a `version` for optimistic concurrency (strong ETags).
pub(crate) trait Versioned: EntityTrait {
    /// The id column.
    const ID: Self::Column;
    /// The version column.
    const VERSION: Self::Column;
}

macro_rules! versioned {
    ($($entity:ident),* $(,)?) => {
        $(impl Versioned for crate::entities::$entity::Entity {
            const ID: Self::Column = crate::entities::$entity::Column::Id;
            const VERSION: Self::Column = crate::entities::$entity::Column::Version;
        })*
    };
}
versioned!(
    activity,
    indicator,
    milestone,
    reporting_cycle,
    sectoral_body,
    submission,
    user,
    work_plan,
);

/// What [`append_all`] accepts as the newest linked entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// A keyed entry (or none): every ordinary write.
    MustBeKeyed,
    /// Also an unkeyed one: the seal, when keying starts.
    MaySeal,
}

/// Appends `changes` in order, unlinked, each to be keyed with `key` by the sealer
/// ([`seal`]), its placeholder `hash` a MAC of its content with `key` that the sealer
/// checks before linking it; returns the id of the last one.
///
/// On PostgreSQL the audit advisory lock is taken *shared* first (before any id is
/// drawn) and held to the commit: writers never wait for each other here, and the
/// sealer, taking it exclusively, knows when every id drawn so far is final. On SQLite
/// the write lock taken by `BEGIN IMMEDIATE` serializes writers anyway.
///
/// With the entries, the kind of the newest linked entry: an unkeyed one is refused
/// (except by the seal). After keying started it can only be the work of someone who
/// rewrote the log without the key; the sealer would not link onto it either, but the
/// write is refused here, before it commits, rather than acknowledged and left unlinked.
///
/// `maintenance`: the write is a user's, refused while maintenance is in force. On
/// PostgreSQL that check, the lock, the head's kind and the insert are one statement
/// ([`APPEND_POSTGRES`]): one round trip where they were four.
async fn append_all(
    txn: &DatabaseTransaction,
    changes: Vec<(Option<Uuid>, Change)>,
    key: Option<&AuditKey>,
    accept: Head,
    maintenance: bool,
) -> DbResult<i64> {
    let key = key.ok_or_else(audit::no_key)?;
    let request_id = context::request_id();
    let client_request_id = context::client_request_id();
    let rows: Vec<Entry> = changes
        .into_iter()
        .map(|(actor, change)| {
            // Microseconds: what both backends store exactly, so the hash recomputes.
            let occurred_at = Utc::now().trunc_subsecs(6);
            let (before, after) = (audit::redact(change.before), audit::redact(change.after));
            // The placeholder carries a MAC of the content with the key: the sealer
            // links no entry inserted by someone without it (`audit::placeholder_ok`).
            let placeholder = audit::Sealed {
                prev_hash: UNLINKED,
                occurred_at: &occurred_at,
                actor_id: actor,
                action: change.action.as_str(),
                resource_type: change.resource_type,
                resource_id: &change.resource_id,
                before: before.as_ref(),
                after: after.as_ref(),
                request_id: request_id.as_deref(),
                client_request_id: client_request_id.as_deref(),
            }
            .placeholder(HASH_HMAC_SHA256, key);
            Entry {
                occurred_at,
                actor,
                action: change.action.as_str(),
                resource_type: change.resource_type,
                resource_id: change.resource_id,
                before,
                after,
                placeholder,
            }
        })
        .collect();
    if txn.get_database_backend() == DbBackend::Postgres {
        return append_postgres(
            txn,
            rows,
            (request_id, client_request_id),
            accept,
            maintenance,
        )
        .await;
    }
    let kind: Option<String> = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT {HEAD_KIND} AS kind"),
        ))
        .await?
        .and_then(|row| row.try_get("", "kind").ok());
    if accept == Head::MustBeKeyed && kind.is_some_and(|k| k != HASH_HMAC_SHA256) {
        return Err(unkeyed_head());
    }
    let mut last = 0;
    for e in rows {
        let row = audit_log::ActiveModel {
            occurred_at: Set(e.occurred_at),
            actor_id: Set(e.actor),
            action: Set(e.action.to_owned()),
            resource_type: Set(e.resource_type.to_owned()),
            resource_id: Set(e.resource_id),
            before: Set(e.before),
            after: Set(e.after),
            request_id: Set(request_id.clone()),
            client_request_id: Set(client_request_id.clone()),
            prev_hash: Set(UNLINKED.to_owned()),
            hash: Set(e.placeholder),
            hash_kind: Set(HASH_HMAC_SHA256.to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        last = row.id;
    }
    Ok(last)
}

/// One entry to append: what the change recorded, when, and its placeholder.
struct Entry {
    occurred_at: chrono::DateTime<Utc>,
    actor: Option<Uuid>,
    action: &'static str,
    resource_type: &'static str,
    resource_id: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    placeholder: String,
}

/// The kind of the newest linked entry (none in an empty or wholly unlinked log).
const HEAD_KIND: &str =
    "(SELECT hash_kind FROM audit_log WHERE prev_hash <> '' ORDER BY id DESC LIMIT 1)";

fn unkeyed_head() -> DbError {
    DbError::internal(
        "the audit log ends in an unkeyed entry although keying has started: \
         it was rewritten without the key; run `wpt audit verify`",
    )
}

/// The columns of an appended entry, in the order [`append_postgres`] binds them.
const APPEND_COLUMNS: &str = "occurred_at, actor_id, action, resource_type, resource_id, \
                              before, after, request_id, client_request_id, prev_hash, hash, \
                              hash_kind";

/// PostgreSQL's append, in order: the maintenance row read `FOR SHARE` when `$2` (a
/// user's write; the row lock makes turning maintenance on wait for this write), then,
/// unless maintenance is in force at `$1` (or its row is missing), the shared audit lock
/// and the head's kind, then the entries' rows (`{rows}`: `VALUES` from `$4` on) unless
/// the head is unkeyed and `$3` does not accept that. Nothing inserted means refused:
/// the caller says why.
///
/// The order is the executor's, not the text's: `l` has no `FROM`, so its `WHERE` is a
/// one-time filter run before its select list, and the `EXISTS` in it is an initplan
/// that reads `m`: the maintenance row is locked before `pg_advisory_xact_lock_shared`
/// is called (so this write never waits for that row lock while holding the audit lock,
/// see [`seal`]), and only when the filter passes. The entries' ids (`nextval`) are
/// drawn per row of the join with `l`, which has a row only once the lock is held.
const APPEND_POSTGRES: &str = "WITH m AS MATERIALIZED (\
        SELECT enabled AND (starts_at IS NULL OR starts_at <= $1) AS active \
        FROM maintenance WHERE id = 1 AND $2 FOR SHARE), \
    l AS MATERIALIZED (\
        SELECT pg_advisory_xact_lock_shared({lock}) AS locked, {head} AS kind \
        WHERE NOT $2 OR EXISTS (SELECT 1 FROM m WHERE NOT active)) \
    INSERT INTO audit_log ({columns}) \
    SELECT v.* FROM l, (VALUES {rows}) AS v({columns}) \
    WHERE $3 OR l.kind IS NULL OR l.kind = '{keyed}' \
    RETURNING id";

/// Entries per statement (ten parameters each).
const APPEND_CHUNK: usize = 500;

/// [`append_all`] on PostgreSQL: [`APPEND_POSTGRES`] per [`APPEND_CHUNK`] entries.
async fn append_postgres(
    txn: &DatabaseTransaction,
    rows: Vec<Entry>,
    (request_id, client_request_id): (Option<String>, Option<String>),
    accept: Head,
    maintenance: bool,
) -> DbResult<i64> {
    let now = Utc::now();
    let mut last = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut values: Vec<sea_orm::Value> = vec![
            now.into(),
            maintenance.into(),
            (accept == Head::MaySeal).into(),
        ];
        let mut tuples = Vec::new();
        for e in rows.by_ref().take(APPEND_CHUNK) {
            let n = values.len();
            let p = |i: usize| format!("${}", n + i);
            tuples.push(format!(
                "({}::timestamptz, {}::uuid, {}, {}, {}, {}::jsonb, {}::jsonb, {}, {}, '{UNLINKED}', \
                 {}, '{HASH_HMAC_SHA256}')",
                p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10)
            ));
            values.extend([
                e.occurred_at.into(),
                e.actor.into(),
                e.action.into(),
                e.resource_type.into(),
                e.resource_id.into(),
                e.before.into(),
                e.after.into(),
                request_id.clone().into(),
                client_request_id.clone().into(),
                e.placeholder.into(),
            ]);
        }
        let sql = APPEND_POSTGRES
            .replace("{lock}", &seal::AUDIT_LOCK_KEY.to_string())
            .replace("{head}", HEAD_KIND)
            .replace("{keyed}", HASH_HMAC_SHA256)
            .replace("{columns}", APPEND_COLUMNS)
            .replace("{rows}", &tuples.join(", "));
        let ids = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?;
        if ids.is_empty() {
            // Refused: maintenance in force (the check says so, with its state), or an
            // unkeyed head.
            if maintenance {
                crate::maintenance::check_in_at(txn, now).await?;
            }
            return Err(unkeyed_head());
        }
        for row in ids {
            last = last.max(row.try_get::<i64>("", "id")?);
        }
    }
    Ok(last)
}

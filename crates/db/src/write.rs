//! The one write path: every use case that changes data goes through [`Database::write`].
//!
//! A [`Write`] is a unit of work. It opens the transaction (`BEGIN IMMEDIATE` on
//! SQLite, so a transaction that reads and then writes never fails halfway on a lock
//! upgrade), lends it to the use case (`&*w` is the transaction), collects the audit
//! entries the use case [`record`](Write::record)s, and on [`commit`](Write::commit)
//! appends them, always last, then commits. Dropping a `Write` without committing rolls
//! everything back, audit entries included.
//!
//! Why the audit entries go last: on PostgreSQL the audit chain is serialized by an
//! advisory lock taken at the append. Appending in the middle of a use case and then
//! writing more rows would take row locks *after* the audit lock, while another writer
//! holding such a row waits for the audit lock: a lock-order inversion. Appended at the
//! end, the audit lock is always the last lock a transaction takes, and is held only
//! for the append and the commit.
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

use crate::audit::{self, AuditAction, AuditKey, Change, GENESIS, HASH_HMAC_SHA256};
use crate::entities::audit_log;
use crate::{Backend, Database, DbError, DbResult, context};

/// Any fixed 64-bit number works as an advisory lock key, as long as every instance
/// uses the same one: this one spells "wpt-aud" in ASCII.
const AUDIT_LOCK_KEY: i64 = 0x0077_7074_2d61_7564;

/// One write in progress: the transaction and what it will record.
#[derive(Debug)]
pub struct Write {
    txn: DatabaseTransaction,
    changes: Vec<(Option<Uuid>, Change)>,
    key: Option<AuditKey>,
    rate: Option<std::sync::Arc<crate::write_rate::WriteRate>>,
    notices: Vec<crate::notify::Notice>,
    mail: std::sync::Arc<crate::notify::MailConfig>,
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
        append_all(txn, vec![(None, seal)], self.audit_key(), Head::MaySeal).await
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
        } = self;
        // Read-only maintenance, from the database itself (crate::maintenance): checked
        // here, before the audit lock, for any change a user's write recorded.
        if changes
            .iter()
            .any(|(actor, c)| crate::maintenance::refuses(*actor, c.action))
        {
            crate::maintenance::check_in(&txn).await?;
        }
        // Writes per user per minute (crate::write_rate): counted once per write, for
        // the user who made it, after maintenance (which refuses first, counting
        // nothing) and before the audit lock; refused here, nothing of it is kept.
        if let Some(rate) = rate
            && let Some(user) = changes
                .iter()
                .find(|(actor, c)| actor.is_some() && crate::write_rate::counts(c.action))
                .and_then(|(actor, _)| *actor)
        {
            rate.count(user)?;
        }
        // Notices before the audit append, which takes the last lock (see above).
        crate::notify::write_notices(&txn, notices, &mail).await?;
        if !changes.is_empty() {
            append_all(&txn, changes, key.as_ref(), Head::MustBeKeyed).await?;
        }
        txn.commit().await?;
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

/// What [`append_all`] accepts as the head it appends after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// A keyed entry (or none): every ordinary write.
    MustBeKeyed,
    /// Also an unkeyed one: the seal, when keying starts.
    MaySeal,
}

/// Appends `changes` in order, under the chain's lock, each keyed with `key`.
///
/// On PostgreSQL a transaction-scoped advisory lock serializes appends across
/// connections and instances; on SQLite the write lock taken by `BEGIN IMMEDIATE` does.
/// So the chain never forks.
///
/// An unkeyed head is refused (except by the seal): after keying started it can only be
/// the work of someone who rewrote the log without the key, and appending to it would
/// vouch for their rewrite.
async fn append_all(
    txn: &DatabaseTransaction,
    changes: Vec<(Option<Uuid>, Change)>,
    key: Option<&AuditKey>,
    accept: Head,
) -> DbResult<()> {
    let key = key.ok_or_else(audit::no_key)?;
    crate::sql::advisory_xact_lock(txn, AUDIT_LOCK_KEY).await?;
    let head = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Hash)
        .column(audit_log::Column::HashKind)
        .order_by_desc(audit_log::Column::Id)
        .limit(1)
        .into_tuple::<(String, String)>()
        .one(txn)
        .await?;
    let mut prev_hash = match head {
        None => GENESIS.to_owned(),
        Some((hash, kind)) if kind == HASH_HMAC_SHA256 || accept == Head::MaySeal => hash,
        Some(_) => {
            return Err(DbError::internal(
                "the audit log ends in an unkeyed entry although keying has started: \
                 it was rewritten without the key; run `wpt audit verify`",
            ));
        }
    };
    let request_id = context::request_id();
    let client_request_id = context::client_request_id();
    for (actor, change) in changes {
        // Microseconds: what both backends store exactly, so the hash recomputes.
        let occurred_at = Utc::now().trunc_subsecs(6);
        let before = audit::redact(change.before);
        let after = audit::redact(change.after);
        let row = audit::Sealed {
            prev_hash: &prev_hash,
            occurred_at: &occurred_at,
            actor_id: actor,
            action: change.action.as_str(),
            resource_type: change.resource_type,
            resource_id: &change.resource_id,
            before: before.as_ref(),
            after: after.as_ref(),
            request_id: request_id.as_deref(),
            client_request_id: client_request_id.as_deref(),
        };
        let hash = row.hmac(key);
        audit_log::ActiveModel {
            occurred_at: Set(occurred_at),
            actor_id: Set(actor),
            action: Set(change.action.as_str().to_owned()),
            resource_type: Set(change.resource_type.to_owned()),
            resource_id: Set(change.resource_id),
            before: Set(before),
            after: Set(after),
            request_id: Set(request_id.clone()),
            client_request_id: Set(client_request_id.clone()),
            prev_hash: Set(prev_hash),
            hash: Set(hash.clone()),
            hash_kind: Set(HASH_HMAC_SHA256.to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        prev_hash = hash;
    }
    Ok(())
}

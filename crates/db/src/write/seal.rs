//! The sealer: links the audit entries that writers appended unlinked into the chain,
//! in id order, right after they commit, in batches.
//!
//! **Why.** Linking an entry needs the hash of the one before it, so when writers linked
//! their own entries they had to take one lock for the chain and hold it through their
//! commit: every audited write waited for the commit flush of the one before it. Now a
//! writer appends its entries with an empty `prev_hash` and a placeholder `hash`
//! (`unlinked:<nonce>:<MAC>`, see `crate::audit::chain`) in its own transaction and commits with everyone else (group
//! commit shares the flushes); the sealer links what has committed, many entries per
//! transaction.
//!
//! **Never past a gap that can still be filled.** Ids come from a sequence and commit out
//! of order: while entry 10 is still in flight, 11 may be visible, and linking 11 onto 9
//! would fork the chain when 10 commits. So the sealer links only up to a *bound* below
//! which every id is final (committed, or gone with a rollback for good):
//! - PostgreSQL: a writer takes the advisory lock [`AUDIT_LOCK_KEY`] in **shared** mode
//!   just before inserting its entries (so before its ids are drawn) and keeps it to its
//!   commit. Shared holders never wait for each other. The sealer takes the same lock in
//!   **exclusive** mode in a tiny read-only transaction ([`bound`]): it is granted once
//!   every writer that had drawn an id has committed or rolled back; `MAX(id)`, read in
//!   the next statement (a fresh snapshot under READ COMMITTED), is then the bound, and
//!   the lock is let go at once (no commit flush: the transaction wrote nothing). Writers
//!   that arrive meanwhile wait at most for those in-flight commits; ids drawn afterwards
//!   are above the bound (the sequence only grows: `audit_log_id_seq` keeps the default
//!   `CACHE 1`).
//! - SQLite: writers are serialized by the engine. The sealer's own `BEGIN IMMEDIATE`
//!   holds the write lock, so nothing is in flight and everything visible is final.
//!
//! **One sealer at a time.** Each batch is one transaction holding [`SEAL_LOCK_KEY`]
//! (PostgreSQL; SQLite's write lock does the same), reading the last linked entry,
//! computing `prev_hash` and `hash` for the unlinked entries after it in id order, and
//! updating them: the trigger of `m20261204_000001_audit_sealing` lets exactly that
//! update through. Several instances may run their sealers at once: they take turns.
//!
//! **Never an entry made without the key.** The placeholder is a MAC, with the audit
//! key, over the entry's content and a random nonce: only the writer (which holds the
//! key) can make it. The sealer checks it before linking (`audit::placeholder_ok`): a
//! row inserted or altered by someone without the key (the database role of the app, a
//! leaked credential) is refused, and nothing after it is linked either, so it and the
//! tail after it stay unlinked, and `verify` names it (`forged_unlinked`). Linking it
//! would have vouched for it with the key.
//!
//! **When it runs.** After every audited commit ([`Database::await_sealed`]: the write
//! nudges the sealer and waits, a few milliseconds, for its entries to be linked, so an
//! acknowledged write is normally linked already; all writes committed meanwhile share
//! the round); at start-up and every second in the background (`wpt serve`), which
//! links whatever a killed process left committed but unlinked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::watch;

use crate::audit::{self, AuditAction, AuditKey, GENESIS, HASH_HMAC_SHA256};
use crate::entities::audit_log;
use crate::{Backend, Database, DbError, DbResult};

/// Any fixed 64-bit number works as an advisory lock key, as long as every instance
/// uses the same one: this one spells "wpt-aud" in ASCII. Writers hold it shared from
/// their audit insert to their commit; the sealer takes it exclusively for a moment.
pub(crate) const AUDIT_LOCK_KEY: i64 = 0x0077_7074_2d61_7564;

/// Held by the one sealer at work ("wpt-seal" in ASCII).
const SEAL_LOCK_KEY: i64 = 0x7770_742d_7365_616c;

/// The `prev_hash` of an entry not linked yet.
pub const UNLINKED: &str = "";

/// Most entries linked in one transaction.
const BATCH_ROWS: u64 = 500;

/// Most bytes of `before` and `after` held in one batch.
const BATCH_BYTES: i64 = 4 * 1024 * 1024;

/// Entries updated per statement (three parameters each).
const UPDATE_CHUNK: usize = 100;

/// How long a committed write waits for its entries to be linked before it returns
/// anyway (they are committed; the background sealer links them later).
const SEAL_WAIT: Duration = Duration::from_secs(2);

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Batch {
    /// Linked everything up to the bound.
    Done,
    /// Linked a batch; more remain.
    More,
    /// Linked what came before entry `.0`, whose placeholder was not made with the key,
    /// and stopped there.
    Forged(i64),
}

fn forged(id: i64) -> DbError {
    tracing::error!(
        id,
        "audit entry {id} was not written with the audit key: not linked, nor anything \
         after it; run `wpt audit verify`"
    );
    DbError::internal(format!(
        "audit entry {id} was not written with the audit key (forged_unlinked): it and the \
         entries after it are left unlinked; run `wpt audit verify`"
    ))
}

/// The sealer of one process, shared by the clones of a [`Database`].
#[derive(Debug)]
pub(crate) struct Sealer {
    /// A round is running (its task holds a clone of the database meanwhile).
    running: AtomicBool,
    /// Someone asked for a round since the running one began.
    again: AtomicBool,
    /// Every entry up to this id is linked (as far as this process knows).
    linked: watch::Sender<i64>,
}

impl Default for Sealer {
    fn default() -> Self {
        Self {
            running: AtomicBool::new(false),
            again: AtomicBool::new(false),
            linked: watch::Sender::new(0),
        }
    }
}

/// A handle on the sealer of a database, for a [`Write`](super::Write) to nudge after
/// its commit.
#[derive(Debug, Clone)]
pub(crate) struct Nudge(Database);

impl Nudge {
    pub(crate) fn new(db: &Database) -> Self {
        Self(db.clone())
    }

    /// Asks for a round and waits until the entry `id` is linked (at most [`SEAL_WAIT`]).
    pub(crate) async fn await_sealed(&self, id: i64) {
        self.0.await_sealed(id).await;
    }
}

impl Database {
    /// Links every audit entry committed so far, in batches; returns the id up to which
    /// every entry is linked. What `wpt serve` runs at start-up and in the background,
    /// and the tests to settle the log.
    pub async fn seal_audit(&self) -> DbResult<i64> {
        let through = round(self).await?;
        self.sealer().linked.send_if_modified(|v| {
            let newer = through > *v;
            if newer {
                *v = through;
            }
            newer
        });
        Ok(through)
    }

    /// Nudges the sealer and waits until entry `id` is linked, or [`SEAL_WAIT`].
    pub(crate) async fn await_sealed(&self, id: i64) {
        let mut linked = self.sealer().linked.subscribe();
        self.nudge_sealer();
        let reached = tokio::time::timeout(SEAL_WAIT, linked.wait_for(|v| *v >= id)).await;
        if reached.is_err() {
            tracing::warn!(id, "audit entry not linked yet; the background sealer will");
        }
    }

    /// Starts a round unless one is running, in which case it runs another after it:
    /// every write that committed meanwhile shares that next round.
    fn nudge_sealer(&self) {
        let sealer = self.sealer().clone();
        sealer.again.store(true, Ordering::SeqCst);
        if sealer.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            loop {
                sealer.again.store(false, Ordering::SeqCst);
                if let Err(e) = db.seal_audit().await {
                    tracing::warn!(error = %e, "linking audit entries failed");
                }
                if sealer.again.load(Ordering::SeqCst) {
                    continue;
                }
                sealer.running.store(false, Ordering::SeqCst);
                // A nudge between the check and the store found the round running:
                // take it up unless another task already has.
                if !sealer.again.load(Ordering::SeqCst)
                    || sealer.running.swap(true, Ordering::SeqCst)
                {
                    break;
                }
            }
        });
    }

    fn sealer(&self) -> &Arc<Sealer> {
        self.audit_sealer()
    }
}

/// One round: the bound, then batches up to it. Returns the bound (on SQLite, what the
/// last batch saw).
async fn round(db: &Database) -> DbResult<i64> {
    let key = db.audit_key().ok_or_else(audit::no_key)?;
    let mut bound = bound(db).await?;
    loop {
        let txn = match db.backend() {
            Backend::Sqlite => {
                db.conn()
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            Backend::Postgres => {
                let txn = db.conn().begin().await?;
                txn.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT pg_advisory_xact_lock({SEAL_LOCK_KEY})"),
                ))
                .await?;
                txn
            }
        };
        let through = match bound {
            Some(b) => b,
            None => max_id(&txn).await?,
        };
        bound = Some(through);
        let batch = link_batch(&txn, through, key).await?;
        txn.commit().await?;
        match batch {
            Batch::More => {}
            Batch::Done => return Ok(through),
            Batch::Forged(id) => return Err(forged(id)),
        }
    }
}

/// The id below which every entry is final (PostgreSQL), see the module's comment;
/// `None` on SQLite, where the sealing transaction itself excludes writers.
async fn bound(db: &Database) -> DbResult<Option<i64>> {
    if db.backend() != Backend::Postgres {
        return Ok(None);
    }
    let txn = db.conn().begin().await?;
    txn.execute_raw(Statement::from_string(
        DbBackend::Postgres,
        format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"),
    ))
    .await?;
    let max = max_id(&txn).await?;
    txn.commit().await?;
    Ok(Some(max))
}

/// Takes the audit lock exclusively in `txn` to its end (PostgreSQL): no writer is
/// between its append and its commit meanwhile. For the seal of keying at migration.
pub(super) async fn exclusive(txn: &DatabaseTransaction) -> DbResult<()> {
    crate::sql::advisory_xact_lock(txn, AUDIT_LOCK_KEY).await
}

/// Links, in `txn`, every unlinked entry it sees. Only where nothing else can be in
/// flight: under [`exclusive`] on PostgreSQL, in a write transaction on SQLite.
pub(super) async fn link_in(txn: &DatabaseTransaction, key: &AuditKey) -> DbResult<()> {
    let bound = max_id(txn).await?;
    loop {
        match link_batch(txn, bound, key).await? {
            Batch::More => {}
            Batch::Done => return Ok(()),
            Batch::Forged(id) => return Err(forged(id)),
        }
    }
}

async fn max_id(txn: &DatabaseTransaction) -> DbResult<i64> {
    Ok(audit_log::Entity::find()
        .select_only()
        .column_as(audit_log::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Links the next batch of unlinked entries up to `bound`, up to the first whose
/// placeholder was not made with `key`.
async fn link_batch(txn: &DatabaseTransaction, bound: i64, key: &AuditKey) -> DbResult<Batch> {
    let unlinked = audit_log::Column::PrevHash.eq(UNLINKED);
    let sizes: Vec<(i64, i64)> = audit_log::Entity::find()
        .filter(unlinked.clone())
        .filter(audit_log::Column::Id.lte(bound))
        .order_by_asc(audit_log::Column::Id)
        .select_only()
        .column(audit_log::Column::Id)
        .column_as(audit::stored_size(), "size")
        .limit(BATCH_ROWS + 1)
        .into_tuple()
        .all(txn)
        .await?;
    let Some(&(first, _)) = sizes.first() else {
        return Ok(Batch::Done);
    };
    let take = audit::within(&sizes[..sizes.len().min(BATCH_ROWS as usize)], BATCH_BYTES);
    let more = sizes.len() > take;
    let ids: Vec<i64> = sizes[..take].iter().map(|(id, _)| *id).collect();
    // The entry before the first unlinked one is where the chain goes on.
    let head = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::PrevHash)
        .column(audit_log::Column::Hash)
        .column(audit_log::Column::HashKind)
        .filter(audit_log::Column::Id.lt(first))
        .order_by_desc(audit_log::Column::Id)
        .limit(1)
        .into_tuple::<(String, String, String)>()
        .one(txn)
        .await?;
    // In id order: without it PostgreSQL's generic plan for `LIMIT 1` may scan the
    // table from its start (it expects a linked row soon), reading the whole log on
    // every round since the rows after `first` are at its end.
    let linked_after = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .filter(audit_log::Column::Id.gt(first))
        .filter(audit_log::Column::PrevHash.ne(UNLINKED))
        .order_by_asc(audit_log::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(txn)
        .await?;
    if let Some(id) = linked_after {
        return Err(DbError::internal(format!(
            "audit entry {id} is linked although entry {first} before it is not: \
             the log was altered; run `wpt audit verify`"
        )));
    }
    let (mut prev, mut prev_keyed) = match head {
        None => (GENESIS.to_owned(), true),
        Some((prev_hash, _, _)) if prev_hash == UNLINKED => {
            return Err(DbError::internal(format!(
                "audit entry before {first} is unlinked although it is not in the batch"
            )));
        }
        Some((_, hash, kind)) => (hash, kind == HASH_HMAC_SHA256),
    };
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Id.is_in(ids.clone()))
        .order_by_asc(audit_log::Column::Id)
        .all(txn)
        .await?;
    let mut links: Vec<(i64, String, String)> = Vec::with_capacity(rows.len());
    let mut outcome = if more { Batch::More } else { Batch::Done };
    for row in &rows {
        // Before anything else: an entry not written with the key is never vouched for.
        if !audit::placeholder_ok(row, key) {
            outcome = Batch::Forged(row.id);
            break;
        }
        // An unkeyed head is linked onto only by the seal of keying (see
        // `Database::seal_unkeyed`): after keying started it can only be the work of
        // someone who rewrote the log without the key, and linking onto it would vouch
        // for their rewrite.
        if !prev_keyed && row.action != AuditAction::AuditSeal.as_str() {
            return Err(DbError::internal(
                "the audit log ends in an unkeyed entry although keying has started: \
                 it was rewritten without the key; run `wpt audit verify`",
            ));
        }
        if row.hash_kind != HASH_HMAC_SHA256 {
            return Err(DbError::internal(format!(
                "unlinked audit entry {} is not keyed",
                row.id
            )));
        }
        let hash = audit::Sealed {
            prev_hash: &prev,
            occurred_at: &row.occurred_at,
            actor_id: row.actor_id,
            action: &row.action,
            resource_type: &row.resource_type,
            resource_id: &row.resource_id,
            before: row.before.as_ref(),
            after: row.after.as_ref(),
            request_id: row.request_id.as_deref(),
            client_request_id: row.client_request_id.as_deref(),
        }
        .hmac(key);
        links.push((row.id, prev, hash.clone()));
        prev = hash;
        prev_keyed = true;
    }
    for chunk in links.chunks(UPDATE_CHUNK) {
        update_links(txn, chunk).await?;
    }
    Ok(outcome)
}

/// `UPDATE audit_log SET prev_hash = CASE id ..., hash = CASE id ... WHERE id IN (...)
/// AND prev_hash = ''`: one statement per chunk, the same SQL on both backends.
async fn update_links(txn: &DatabaseTransaction, links: &[(i64, String, String)]) -> DbResult<()> {
    let backend = txn.get_database_backend();
    let mut prev_case = String::from("CASE id");
    let mut hash_case = String::from("CASE id");
    let mut ids = Vec::with_capacity(links.len());
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(links.len() * 3);
    for (n, (id, prev, hash)) in links.iter().enumerate() {
        let (i, p, h) = (3 * n + 1, 3 * n + 2, 3 * n + 3);
        prev_case.push_str(&format!(" WHEN ${i} THEN ${p}"));
        hash_case.push_str(&format!(" WHEN ${i} THEN ${h}"));
        ids.push(format!("${i}"));
        values.extend([(*id).into(), prev.clone().into(), hash.clone().into()]);
    }
    let sql = format!(
        "UPDATE audit_log SET prev_hash = {prev_case} END, hash = {hash_case} END \
         WHERE id IN ({}) AND prev_hash = ''",
        ids.join(", ")
    );
    let res = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            crate::sql::portable(backend, &sql),
            values,
        ))
        .await?;
    if res.rows_affected() != links.len() as u64 {
        return Err(DbError::internal(
            "audit entries were linked by someone else meanwhile",
        ));
    }
    Ok(())
}

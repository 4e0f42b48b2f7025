//! Read-only maintenance: an administrator turns it on (now or from a later moment) and
//! off; while it is in force, users' writes are refused with 503 `maintenance`.
//!
//! **One state for every instance.** The state is the one row of `maintenance`
//! (migration `m20261201_000003_maintenance`), so instances sharing a database agree.
//!
//! **Where it is enforced.** Twice:
//! - the HTTP layers ask [`in_force`] before any use case runs (the API's layer answers
//!   503 at once; the pages show a banner and hide their forms' buttons). That answer
//!   comes from an in-process cache, cheap enough for every request;
//! - the write path ([`crate::write::Write::commit`]) asks the database itself, in the
//!   transaction, before appending any audit entry a user's write recorded. So no use
//!   case writes during maintenance whatever door it came through, and on PostgreSQL it
//!   holds across instances at once: the row is read `FOR SHARE`, so turning maintenance
//!   on waits for writes that have already passed the check, and every write after it
//!   sees it on. What is let through there ([`refuses`]): the system's own writes
//!   (start-up, the operator's command line), logins and logouts (`session.create`,
//!   `session.revoke`), the maintenance switch itself and bookkeeping that records no
//!   audit entry (failed-login counters, refresh-token rotation).
//!
//! **The cache.** [`in_force`] and [`get`] read the row at most once per [`TTL`] per
//! process. On SQLite (one process) a change through [`set`] replaces the cached state
//! at once. On PostgreSQL [`set`] also sends `NOTIFY wpt_maintenance` in its
//! transaction (delivered at commit), and each process keeps one `LISTEN` connection
//! (its own, outside the pool) that drops the cached state on every notification and on
//! every reconnection; should that connection be lost, the TTL still bounds how long an
//! instance can show a stale banner, and the write path's own check never uses the
//! cache at all.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;
use wpt_domain::Grant;
use wpt_domain::actor::AdminGrant;
use wpt_domain::models::{Maintenance, MaintenanceInput, MaintenanceState};

use crate::audit::{AuditAction, Change};
use crate::entities::maintenance;
use crate::{Backend, Database, DbError, DbResult};

/// How long a process trusts its cached state without hearing of a change.
pub const TTL: Duration = Duration::from_secs(2);

/// The PostgreSQL notification channel of changes.
pub const CHANNEL: &str = "wpt_maintenance";

/// The id of the one row.
const ROW: i32 = 1;

/// The cached state of one process (shared by the clones of a [`Database`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct MaintenanceCache(Arc<CacheInner>);

#[derive(Debug, Default)]
struct CacheInner {
    /// The state and when it was read.
    state: Mutex<Option<(Instant, MaintenanceState)>>,
    /// Bumped by every invalidation, so a read that started before a change cannot
    /// store what it read after it.
    generation: AtomicU64,
    /// Whether this process's listener has been started (PostgreSQL).
    listening: AtomicBool,
}

impl MaintenanceCache {
    fn fresh(&self) -> Option<MaintenanceState> {
        let state = self.0.state.lock().ok()?;
        state
            .as_ref()
            .filter(|(read, _)| read.elapsed() < TTL)
            .map(|(_, s)| s.clone())
    }

    fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::SeqCst)
    }

    /// Stores what was read under `generation`, unless a change was heard since.
    fn put(&self, generation: u64, state: MaintenanceState) {
        if let Ok(mut slot) = self.0.state.lock()
            && self.generation() == generation
        {
            *slot = Some((Instant::now(), state));
        }
    }

    /// Forgets the state: the next read goes to the database.
    pub(crate) fn invalidate(&self) {
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut slot) = self.0.state.lock() {
            *slot = None;
        }
    }
}

fn to_state(row: maintenance::Model) -> MaintenanceState {
    MaintenanceState {
        on: row.enabled,
        message: row.message,
        starts_at: row.starts_at,
        until: row.until_at,
        updated_at: row.updated_at,
    }
}

async fn read(conn: &impl ConnectionTrait, shared: bool) -> DbResult<MaintenanceState> {
    let mut q = maintenance::Entity::find_by_id(ROW);
    if shared {
        // FOR SHARE on PostgreSQL; SQLite's write lock serializes writers already.
        q = q.lock_shared();
    }
    let row = q
        .one(conn)
        .await?
        .ok_or_else(|| DbError::internal("the maintenance row is missing"))?;
    Ok(to_state(row))
}

/// The stored state, from this process's cache when it is fresh (see the module docs).
pub async fn current(db: &Database) -> DbResult<MaintenanceState> {
    let cache = db.maintenance_cache();
    if db.backend() == Backend::Postgres {
        listener::ensure(db);
    }
    if let Some(state) = cache.fresh() {
        return Ok(state);
    }
    let generation = cache.generation();
    let state = read(db.conn(), false).await?;
    cache.put(generation, state.clone());
    Ok(state)
}

/// Maintenance now, as `GET /api/v1/maintenance` shows it.
pub async fn get(db: &Database) -> DbResult<Maintenance> {
    Ok(current(db).await?.at(Utc::now()))
}

/// The state when maintenance is in force now (writes are refused), else `None`.
pub async fn in_force(db: &Database) -> DbResult<Option<MaintenanceState>> {
    let state = current(db).await?;
    Ok(state.active(Utc::now()).then_some(state))
}

/// Turns maintenance on or off (an administrator, or the command line with
/// [`AdminGrant::system`]), audited as `maintenance.on` or `maintenance.off`. Allowed
/// while maintenance is in force, of course.
pub async fn set(
    db: &Database,
    grant: &AdminGrant,
    input: MaintenanceInput,
) -> DbResult<Maintenance> {
    let now = Utc::now();
    let after = input.validate(now)?;
    let mut txn = db.write().await?;
    let before = read(&txn, false).await?;
    maintenance::ActiveModel {
        id: Set(ROW),
        enabled: Set(after.on),
        message: Set(after.message.clone()),
        starts_at: Set(after.starts_at),
        until_at: Set(after.until),
        updated_at: Set(after.updated_at),
        updated_by: Set(grant.actor_id()),
    }
    .update(&txn)
    .await?;
    let action = if after.on {
        AuditAction::MaintenanceOn
    } else {
        AuditAction::MaintenanceOff
    };
    txn.record(
        grant.actor_id(),
        Change::new(
            action,
            "maintenance",
            "maintenance",
            Some(&before.at(now)),
            Some(&after.at(now)),
        )?,
    );
    if db.backend() == Backend::Postgres {
        // Delivered to every listener when (and only if) the write commits.
        crate::sql::notify(&txn, CHANNEL).await?;
    }
    txn.commit().await?;
    let cache = db.maintenance_cache();
    cache.invalidate();
    cache.put(cache.generation(), after.clone());
    Ok(after.at(now))
}

/// Whether the write path must check maintenance before committing a change recorded
/// by `actor`: everything a user does, except logging in and out and the switch itself.
pub(crate) fn refuses(actor: Option<Uuid>, action: AuditAction) -> bool {
    actor.is_some()
        && !matches!(
            action,
            AuditAction::SessionCreate
                | AuditAction::SessionRevoke
                | AuditAction::MaintenanceOn
                | AuditAction::MaintenanceOff
        )
}

/// The write path's check, in its transaction, from the database itself (never the
/// cache): [`DbError::Maintenance`] when maintenance is in force.
pub(crate) async fn check_in(txn: &impl ConnectionTrait) -> DbResult<()> {
    check_in_at(txn, Utc::now()).await
}

/// [`check_in`] as of `now` (the moment the write path's own statement checked).
pub(crate) async fn check_in_at(
    txn: &impl ConnectionTrait,
    now: chrono::DateTime<Utc>,
) -> DbResult<()> {
    let state = read(txn, true).await?;
    if state.active(now) {
        return Err(DbError::Maintenance(Box::new(state)));
    }
    Ok(())
}

mod listener {
    //! One `LISTEN` connection per process on PostgreSQL, outside the pool.

    use super::{CHANNEL, CacheInner, MaintenanceCache};
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::{Arc, Weak};
    use crate::Database;

    /// Starts the listener of `db`'s process once (needs a tokio runtime; without one
    /// the TTL alone keeps the cache honest).
    pub(super) fn ensure(db: &Database) {
        let cache = db.maintenance_cache();
        if cache.0.listening.load(Ordering::Relaxed)
            || cache.0.listening.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            cache.0.listening.store(false, Ordering::SeqCst);
            return;
        };
        let options = (*db.conn().get_postgres_connection_pool().connect_options()).clone();
        runtime.spawn(listen(options, Arc::downgrade(&cache.0)));
    }

    fn invalidate(cache: &Weak<CacheInner>) -> bool {
        match cache.upgrade() {
            Some(inner) => {
                MaintenanceCache(inner).invalidate();
                true
            }
            None => false,
        }
    }

    /// Listens until the cache is gone (every handle on the database dropped),
    /// reconnecting with a growing pause after a failure.
    async fn listen(options: PgConnectOptions, cache: Weak<CacheInner>) {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options);
        let mut pause = Duration::from_millis(500);
        loop {
            let outcome: Result<(), sea_orm::sqlx::Error> = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(CHANNEL).await?;
                pause = Duration::from_millis(500);
                // Whatever changed while nobody listened is read again.
                if !invalidate(&cache) {
                    return Ok(());
                }
                loop {
                    // `None`: the connection was lost and has been re-established;
                    // notifications may have been missed meanwhile.
                    let _heard = listener.try_recv().await?;
                    if !invalidate(&cache) {
                        return Ok(());
                    }
                }
            }
            .await;
            match outcome {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "maintenance listener lost; the cached state is re-read every 2 s meanwhile");
                    if !invalidate(&cache) {
                        return;
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

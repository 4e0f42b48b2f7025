//! The connection pool, migrations at start, and readiness.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

use sea_orm::{ConnectOptions, DatabaseConnection};
use wpt_migrations::{Migrator, MigratorTrait};

use crate::{DbError, DbResult};

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, one server process.
    Sqlite,
    /// The production database, shareable by several stateless instances.
    Postgres,
}

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Database {
    conn: DatabaseConnection,
    backend: Backend,
    summaries: SummaryCache,
    lists: crate::activities::ListCache,
    audit_key: Option<crate::audit::AuditKey>,
    maintenance: crate::maintenance::MaintenanceCache,
    write_rate: Option<Arc<crate::write_rate::WriteRate>>,
    mail: Arc<crate::notify::MailConfig>,
    cache: crate::cache::Cache,
    sealer: Arc<crate::write::Sealer>,
}

/// Work plan summaries this process computed, each with the audit position and the day
/// it reflects. Every write appends to the audit log in its own transaction, so the last
/// audit id names the state of the data: a summary is reused only while it is unchanged
/// (one indexed `MAX(id)` instead of the aggregates), on any number of instances.
///
/// One summary is computed at a time in a process ([`SummaryCache::computing`]): when
/// many requests miss at once (the first requests after a write), one computes and the
/// others wait for it and read what it kept, instead of all computing the same
/// aggregates side by side (on SQLite, 32 of them took the two cores for seconds).
#[derive(Debug, Clone, Default)]
pub(crate) struct SummaryCache {
    kept: Arc<Mutex<HashMap<SummaryOf, CachedSummary>>>,
    computing: Arc<tokio::sync::Mutex<()>>,
}

/// A plan and the lens its summary was computed through.
pub(crate) type SummaryOf = (Uuid, wpt_domain::policy::Lens);

type CachedSummary = (SummaryKey, Arc<wpt_domain::models::WorkPlanSummary>);

/// The audit position and the day (overdue counts change with the date).
pub(crate) type SummaryKey = (i64, chrono::NaiveDate);

impl SummaryCache {
    pub(crate) fn get(
        &self,
        plan: SummaryOf,
        key: SummaryKey,
    ) -> Option<Arc<wpt_domain::models::WorkPlanSummary>> {
        let map = self.kept.lock().ok()?;
        // The same day, at this position or a later one: positions only grow, so a
        // summary kept at a later one is at least as new as the state asked about
        // (a request that waited for another's computation takes its newer result).
        map.get(&plan)
            .filter(|(k, _)| k.1 == key.1 && k.0 >= key.0)
            .map(|(_, s)| s.clone())
    }

    /// The right to compute a summary in this process, held until it is kept: whoever
    /// waited for it looks in the cache again first.
    pub(crate) async fn computing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.computing.lock().await
    }

    pub(crate) fn put(
        &self,
        plan: SummaryOf,
        key: SummaryKey,
        summary: Arc<wpt_domain::models::WorkPlanSummary>,
    ) {
        // A negative position names no state (`crate::audit::position`): nothing is
        // kept at it.
        if key.0 < 0 {
            return;
        }
        if let Ok(mut map) = self.kept.lock() {
            // Keep the newest: a slower request must not replace a fresher summary.
            let newer = map.get(&plan).is_some_and(|(k, _)| *k > key);
            if !newer {
                map.insert(plan, (key, summary));
            }
        }
    }
}

/// Any fixed 64-bit number works as an advisory lock key, as long as every instance
/// uses the same one: this one spells "wpt-mig" in ASCII.
const MIGRATION_LOCK_KEY: i64 = 0x0077_7074_2d6d_6967;

/// The migration from which audit entries are keyed; right after it is applied, the
/// unkeyed entries before it are sealed by a keyed one (see `crate::audit`).
const KEYING_MIGRATION: &str = "m20261201_000001_audit_proof";

/// Whether the migration that starts keying is still to be applied.
async fn keying_pending(conn: &impl sea_orm::ConnectionTrait) -> DbResult<bool> {
    Ok(Migrator::get_pending_migrations_read_only(conn)
        .await?
        .iter()
        .any(|m| m.name() == KEYING_MIGRATION))
}

impl Database {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) with a pool of at most
    /// `max_connections`.
    pub async fn connect(url: &str, max_connections: u32) -> DbResult<Self> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::Validation({
                let mut e = wpt_domain::ValidationErrors::new();
                e.add(
                    "database_url",
                    "must start with sqlite:// or postgres:// (or postgresql://)",
                );
                e
            }));
        };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; NORMAL is durable in WAL mode
            // except for the last transactions at a power cut; the busy timeout makes a
            // writer wait for the lock instead of failing at once.
            options.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        }
        let conn = sea_orm::Database::connect(options)
            .await
            .map_err(DbError::Unavailable)?;
        let cache_conn = conn.clone();
        Ok(Self {
            conn,
            backend,
            summaries: SummaryCache::default(),
            lists: Default::default(),
            audit_key: None,
            maintenance: Default::default(),
            write_rate: None,
            mail: Arc::default(),
            cache: crate::cache::Cache::new(backend, cache_conn),
            sealer: Arc::default(),
        })
    }

    /// This handle (and its clones) with the key of the audit chain and of edition
    /// signatures. Without one, nothing can be appended to the audit log, and keyed
    /// entries cannot be verified.
    pub fn with_audit_key(mut self, key: crate::audit::AuditKey) -> Self {
        self.audit_key = Some(key);
        self
    }

    /// This handle (and its clones) with at most `per_minute` writes per user per
    /// minute in this process (see `crate::write_rate`); without it, no limit.
    pub fn with_write_rate(mut self, per_minute: u32) -> Self {
        self.write_rate = Some(Arc::new(crate::write_rate::WriteRate::new(per_minute)));
        self
    }

    /// This handle (and its clones) with the mail settings: whether notices also queue
    /// e-mail, and the public URL their links start with (see `crate::notify`). Without
    /// it, mail is off and links start with `http://localhost:8080`.
    pub fn with_mail(mut self, mail: crate::notify::MailConfig) -> Self {
        self.mail = Arc::new(mail);
        self
    }

    /// The mail settings.
    pub fn mail_config(&self) -> &Arc<crate::notify::MailConfig> {
        &self.mail
    }

    pub(crate) fn write_rate(&self) -> Option<&Arc<crate::write_rate::WriteRate>> {
        self.write_rate.as_ref()
    }

    /// The audit key, if one was given.
    pub fn audit_key(&self) -> Option<&crate::audit::AuditKey> {
        self.audit_key.as_ref()
    }

    pub(crate) fn summaries(&self) -> &SummaryCache {
        &self.summaries
    }

    /// The activity list pages this process keeps (`crate::activities::list`).
    pub(crate) fn list_pages(&self) -> &crate::activities::ListCache {
        &self.lists
    }

    pub(crate) fn cache(&self) -> &crate::cache::Cache {
        &self.cache
    }

    /// The audit sealer of this process (`crate::write::seal`).
    pub(crate) fn audit_sealer(&self) -> &Arc<crate::write::Sealer> {
        &self.sealer
    }

    pub(crate) fn maintenance_cache(&self) -> &crate::maintenance::MaintenanceCache {
        &self.maintenance
    }

    /// The underlying sea-orm connection, for the use cases in this crate and for tests.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The engine behind the pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration.
    ///
    /// On PostgreSQL this runs in one transaction holding an advisory lock, so several
    /// instances starting at once migrate exactly once and a failed migration leaves
    /// nothing behind. SQLite has one writer anyway and runs them in order.
    ///
    /// When this applies the migration that starts keying the audit chain and the log
    /// already has (unkeyed) entries, a keyed `audit.seal` entry is appended right
    /// after it (in the same transaction on PostgreSQL), so the audit key is needed then.
    pub async fn migrate_up(&self) -> DbResult<()> {
        match self.backend {
            Backend::Postgres => {
                let txn = self.migration_transaction().await?;
                crate::sql::advisory_xact_lock(&txn, MIGRATION_LOCK_KEY).await?;
                let keying_starts = keying_pending(&txn).await?;
                Migrator::up(&txn, None).await?;
                if keying_starts {
                    self.seal_unkeyed_in(&txn).await?;
                }
                txn.commit().await?;
            }
            Backend::Sqlite => {
                let keying_starts = keying_pending(&self.conn).await?;
                Migrator::up(&self.conn, None).await?;
                if keying_starts {
                    self.seal_unkeyed().await?;
                }
            }
        }
        Ok(())
    }

    /// Reverts the last `steps` migrations (all of them when `None`).
    pub async fn migrate_down(&self, steps: Option<u32>) -> DbResult<()> {
        Migrator::down(&self.conn, steps).await?;
        Ok(())
    }

    /// Every migration with whether it has been applied.
    pub async fn migration_status(&self) -> DbResult<Vec<(String, bool)>> {
        let applied: Vec<String> = Migrator::get_applied_migrations(&self.conn)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        Ok(Migrator::migrations()
            .iter()
            .map(|m| {
                let name = m.name().to_owned();
                let done = applied.contains(&name);
                (name, done)
            })
            .collect())
    }

    /// Calls `observer` with the SQL of every statement this handle (and its clones
    /// made afterwards) runs: how the tests count queries per request.
    pub fn observe_statements(&mut self, observer: impl Fn(&str) + Send + Sync + 'static) {
        self.conn
            .set_metric_callback(move |info| observer(&info.statement.sql));
    }

    /// `(open, idle)` connections of the pool, for monitoring.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self.backend {
            Backend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        }
    }

    /// Whether the database answers a trivial query now.
    pub async fn ping(&self) -> DbResult<()> {
        self.conn.ping().await.map_err(DbError::Unavailable)
    }
}

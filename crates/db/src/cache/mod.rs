//! Hot reads from memory: the caller behind a credential and the read model of one
//! activity, kept in the process and dropped at once when a write changes them.
//!
//! **What is kept.** [`ActorKey`] → [`CachedActor`]: the user, role and body a session
//! (access token or page cookie) or a personal API token stands for, with the
//! credential's end (and, for page sessions, when it was last used), so a warm request
//! costs no authentication query; the time checks (expiry, the page's idle timeout) run
//! on the cached times. `(activity, lens, day)` → the [`Activity`] of
//! `GET /activities/{id}`: the lens is part of the key, so a viewer's view (accepted
//! statuses only) and the writers' view (everything recorded) are separate entries and
//! one is never served for the other; the day is part of the key because the signal and
//! the overdue counts change with the date.
//!
//! **Invalidation, in the one write path.** Every write goes through
//! [`crate::Write`], and every change a user can see is recorded there as an audit
//! [`Change`]. [`Invalidation::of`] derives from those changes what the write made
//! stale, by an exhaustive `match` on [`AuditAction`] (a new action does not compile
//! until someone decides what it invalidates): a revoked session, an account's update or
//! password change, a revoked API token, an activity's change or progress, a milestone,
//! anything touching bodies, cycles or accepted reports. The commit then
//! - on PostgreSQL sends what it names of credentials, accounts and bodies with
//!   `pg_notify` inside the write's transaction, so every instance hears it exactly when
//!   (and only if) the write commits ([`listen`]);
//! - after the commit succeeds, applies it to this process's cache: the same instance
//!   never serves the old state afterwards;
//! - on PostgreSQL sends what it names of activity views right after the commit, before
//!   the write returns ([`Invalidation::split`] says why).
//!
//! **Races.** A reader takes a [`Ticket`] (the cache's generation) before it reads the
//! database, and stores what it read only if no invalidation happened since; an
//! invalidation bumps the generation before removing entries. So a read that started
//! before a change can never store the state before it after the change was applied.
//!
//! **When the cache is bypassed.** On PostgreSQL the cache is used only while this
//! process's `LISTEN` connection stands: until it is first established, and from the
//! moment it is found lost until it is back, every lookup misses, nothing is stored,
//! and everything is dropped on reconnection (notifications sent meanwhile were missed).
//! A [`TTL`] also bounds every entry's age, for what no notification can reach: another
//! process writing the same SQLite file (the command line while the server runs), or a
//! listener whose connection died without the socket saying so yet.
//!
//! **Why std and not a cache crate.** The entries are few (one per live credential and
//! per activity read), the hot path is a read lock and a hash lookup, and invalidation
//! needs the generation check under the same lock as the insert; a `RwLock<HashMap>`
//! does that in a few lines, bounded by [`MAX_ACTORS`] and [`MAX_ACTIVITIES`] (an
//! arbitrary entry goes when full).

mod listen;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use wpt_domain::Actor;
use wpt_domain::models::Activity;
use wpt_domain::policy::Lens;

use crate::audit::{AuditAction, Change};
use crate::{Backend, Database, DbResult};

/// The longest an entry is trusted without hearing of a change (see the module docs).
pub const TTL: Duration = Duration::from_secs(5);

/// Most credentials kept at once.
pub const MAX_ACTORS: usize = 20_000;

/// Most activity views kept at once (each about 1-2 kB).
pub const MAX_ACTIVITIES: usize = 4_096;

/// The cache of one process, shared by the clones of a [`Database`].
#[derive(Debug, Clone)]
pub(crate) struct Cache(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// SQLite: always; PostgreSQL: while the listener's connection stands.
    live: AtomicBool,
    /// Bumped by every invalidation (see "Races").
    generation: AtomicU64,
    actors: RwLock<HashMap<ActorKey, Arc<CachedActor>>>,
    activities: RwLock<HashMap<(Uuid, Lens), CachedActivity>>,
    /// Every body's code by id (tens of rows, read to label rows that store body ids).
    bodies: RwLock<Option<(Instant, BodyCodes)>>,
    listener: listen::State,
    /// The pool, for the notifications sent after a commit (PostgreSQL).
    conn: sea_orm::DatabaseConnection,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A credential, as looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ActorKey {
    /// An access token's session (the token's signature and expiry are checked first).
    Access(Uuid),
    /// The hash of a page session's cookie.
    Cookie(String),
    /// The hash of a personal API token.
    ApiToken(String),
}

/// What a credential stood for when it was read.
#[derive(Debug)]
pub(crate) struct CachedActor {
    /// The caller.
    pub actor: Actor,
    /// When the session or token ends.
    pub expires_at: DateTime<Utc>,
    /// When the session started (a page session never used is idle from then).
    pub created_at: DateTime<Utc>,
    /// When it was last used, as far as this process knows: microseconds since the
    /// epoch, [`NEVER`] for never (an atomic: every request using it reads it).
    last_seen: AtomicI64,
    stored: Instant,
}

/// `last_seen` of a credential never used.
const NEVER: i64 = i64::MIN;

impl CachedActor {
    pub(crate) fn new(
        actor: Actor,
        expires_at: DateTime<Utc>,
        created_at: DateTime<Utc>,
        last_seen: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            actor,
            expires_at,
            created_at,
            last_seen: AtomicI64::new(last_seen.map_or(NEVER, |t| t.timestamp_micros())),
            stored: Instant::now(),
        }
    }

    /// When it was last used, as far as this process knows.
    pub(crate) fn last_seen(&self) -> Option<DateTime<Utc>> {
        match self.last_seen.load(Ordering::Relaxed) {
            NEVER => None,
            micros => DateTime::from_timestamp_micros(micros),
        }
    }

    /// Notes a use at `now`; `true` when the database should record it (the last
    /// recorded use is a minute old or more), in which case it counts as recorded (by
    /// one of the requests racing here, not by each).
    pub(crate) fn used(&self, now: DateTime<Utc>) -> bool {
        let seen = self.last_seen.load(Ordering::Relaxed);
        let now = now.timestamp_micros();
        if seen != NEVER && now.saturating_sub(seen) < 60_000_000 {
            return false;
        }
        self.last_seen
            .compare_exchange(seen, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

#[derive(Debug)]
struct CachedActivity {
    day: NaiveDate,
    stored: Instant,
    view: Arc<Activity>,
}

/// Every body's code by id.
pub(crate) type BodyCodes = Arc<HashMap<Uuid, String>>;

/// The generation a read started at; `None` while the cache is bypassed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(Option<u64>);

/// What one write made stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Invalidation {
    /// Everything (bodies changed, reference data, seeds, an unreadable id).
    everything: bool,
    /// Every activity view.
    all_activities: bool,
    /// The bodies' codes.
    bodies: bool,
    sessions: Vec<Uuid>,
    users: Vec<Uuid>,
    tokens: Vec<Uuid>,
    activities: Vec<Uuid>,
}

impl Invalidation {
    /// What the recorded `changes` make stale.
    pub(crate) fn of<'a, I>(changes: I) -> Self
    where
        I: IntoIterator<Item = &'a Change>,
    {
        let mut out = Self::default();
        for change in changes {
            out.add(change);
        }
        out
    }

    fn add(&mut self, change: &Change) {
        use AuditAction::*;
        let id = change.resource_id.parse::<Uuid>().ok();
        match change.action {
            // New rows nobody can have read yet, and what no cached read shows.
            ActivityCreate | AmendmentPropose | AmendmentReject | ApiTokenCreate | AreaCreate
            | AttachmentUpload | AttachmentSweep | AuditSeal | CommentAdd | CommentResolve
            | CycleCreate | CycleRemind | IndicatorCreate | IndicatorUpdate | IndicatorActual
            | OutboxRetry | NotificationSettings | SessionCreate | SessionPrune | UserCreate
            | WorkPlanCreate | WorkPlanUpdate | WorkPlanBodyAdd | WorkPlanBodyRemove => {}
            // Maintenance has its own cache and listener (`crate::maintenance`); turning
            // it on or off also empties these, the operator's way to make a change made
            // behind the write path's back count at once (docs/operations.md).
            MaintenanceOn | MaintenanceOff => self.everything = true,
            ActivityUpdate | ActivityDelete | ActivityImport | ProgressCreate => {
                match id.filter(|_| change.resource_type == "activity") {
                    Some(id) => self.activities.push(id),
                    None => self.all_activities = true,
                }
            }
            MilestoneCreate | MilestoneUpdate => {
                let of = |state: &Option<serde_json::Value>| {
                    state
                        .as_ref()
                        .and_then(|s| s.get("activity_id"))
                        .and_then(|v| v.as_str())
                        .and_then(|s| s.parse::<Uuid>().ok())
                };
                let ids: Vec<Uuid> = [of(&change.before), of(&change.after)]
                    .into_iter()
                    .flatten()
                    .collect();
                if ids.is_empty() {
                    self.all_activities = true;
                }
                self.activities.extend(ids);
            }
            // A report's draft, its submission and its return change the submission and
            // its entries only: an activity view reads the accepted status (moved by an
            // accept, `sql::RECORD_ACCEPTED`), never a submission's own rows, and the
            // workflow returns only a submitted report, never an accepted one.
            SubmissionEdit | SubmissionSubmit | SubmissionReturn => {}
            // Accepted statuses, cycle names and assignments across many activities.
            AmendmentAccept | CycleUpdate | CycleDelete | CycleOpen | CycleClose | CycleReopen
            | SubmissionAccept | SubmissionExtend => self.all_activities = true,
            BodyCreate => self.bodies = true,
            SessionRevoke => self.push(id, |s| &mut s.sessions),
            ApiTokenRevoke => self.push(id, |s| &mut s.tokens),
            // A time zone is in what the pages read of the account (`users::me`).
            UserUpdate | UserPasswordChange | UserPasswordReset | UserTimeZone => {
                self.push(id, |s| &mut s.users)
            }
            // Body codes are in callers and in activity views alike.
            BodyUpdate | ReferenceDataApply | SeedDemo | SeedSynthetic => self.everything = true,
        }
    }

    fn push(&mut self, id: Option<Uuid>, list: impl FnOnce(&mut Self) -> &mut Vec<Uuid>) {
        match id {
            Some(id) => list(self).push(id),
            None => self.everything = true,
        }
    }

    /// What must be announced in the write's transaction (credentials, accounts,
    /// bodies, everything), and what may be announced right after its commit (activity
    /// views). A PostgreSQL transaction that sends `NOTIFY` holds a database-wide lock
    /// from its commit's start until the commit is flushed, so committing writers that
    /// notify queue behind each other's flush; the frequent writes (progress, activity
    /// edits) announce from a transaction of their own after the commit instead, which
    /// writes nothing and holds that lock for an instant.
    pub(crate) fn split(&self) -> (Self, Self) {
        if self.everything {
            return (self.clone(), Self::default());
        }
        let strict = Self {
            bodies: self.bodies,
            sessions: self.sessions.clone(),
            users: self.users.clone(),
            tokens: self.tokens.clone(),
            ..Self::default()
        };
        let views = Self {
            all_activities: self.all_activities,
            activities: self.activities.clone(),
            ..Self::default()
        };
        (strict, views)
    }

    /// Whether nothing is stale.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Everything.
    fn everything() -> Self {
        Self {
            everything: true,
            ..Self::default()
        }
    }
}

impl Cache {
    pub(crate) fn new(backend: Backend, conn: sea_orm::DatabaseConnection) -> Self {
        Self(Arc::new(Inner {
            live: AtomicBool::new(backend == Backend::Sqlite),
            generation: AtomicU64::new(0),
            actors: RwLock::default(),
            activities: RwLock::default(),
            bodies: RwLock::default(),
            listener: listen::State::default(),
            conn,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }))
    }

    /// Whether lookups may be answered from memory now; on PostgreSQL this starts the
    /// listener the first time.
    fn usable(&self, db: &Database) -> bool {
        if db.backend() == Backend::Postgres {
            listen::ensure(db, self);
        }
        self.0.live.load(Ordering::SeqCst)
    }

    /// Taken before reading what is to be stored.
    pub(crate) fn ticket(&self, db: &Database) -> Ticket {
        let generation = self.0.generation.load(Ordering::SeqCst);
        Ticket(self.usable(db).then_some(generation))
    }

    fn count(&self, hit: bool) {
        let counter = if hit { &self.0.hits } else { &self.0.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The caller behind `key`, if kept and fresh.
    pub(crate) fn actor(&self, db: &Database, key: &ActorKey) -> Option<Arc<CachedActor>> {
        let found = if self.usable(db) {
            self.0
                .actors
                .read()
                .ok()
                .and_then(|m| m.get(key).cloned())
                .filter(|e| e.stored.elapsed() < TTL)
        } else {
            None
        };
        self.count(found.is_some());
        found
    }

    /// Keeps `entry` under `key`, unless something was invalidated since `ticket`.
    pub(crate) fn put_actor(&self, ticket: Ticket, key: ActorKey, entry: CachedActor) {
        self.put(ticket, &self.0.actors, key, Arc::new(entry), MAX_ACTORS);
    }

    /// Forgets `key` (a lookup found it no longer good).
    pub(crate) fn forget_actor(&self, key: &ActorKey) {
        if let Ok(mut map) = self.0.actors.write() {
            map.remove(key);
        }
    }

    /// The view of activity `id` through `lens` on `day`, if kept and fresh.
    pub(crate) fn activity(
        &self,
        db: &Database,
        id: Uuid,
        lens: Lens,
        day: NaiveDate,
    ) -> Option<Arc<Activity>> {
        let found = if self.usable(db) {
            self.0.activities.read().ok().and_then(|m| {
                m.get(&(id, lens))
                    .filter(|e| e.day == day && e.stored.elapsed() < TTL)
                    .map(|e| e.view.clone())
            })
        } else {
            None
        };
        self.count(found.is_some());
        found
    }

    /// Keeps a view, unless something was invalidated since `ticket`.
    pub(crate) fn put_activity(
        &self,
        ticket: Ticket,
        lens: Lens,
        day: NaiveDate,
        view: Arc<Activity>,
    ) {
        let entry = CachedActivity {
            day,
            stored: Instant::now(),
            view,
        };
        let key = (entry.view.id, lens);
        self.put(ticket, &self.0.activities, key, entry, MAX_ACTIVITIES);
    }

    fn put<K: Eq + Hash + Clone, V>(
        &self,
        ticket: Ticket,
        map: &RwLock<HashMap<K, V>>,
        key: K,
        value: V,
        max: usize,
    ) {
        let Some(generation) = ticket.0 else { return };
        let Ok(mut map) = map.write() else { return };
        // Checked under the lock an invalidation removes entries under (see "Races").
        if self.0.generation.load(Ordering::SeqCst) != generation
            || !self.0.live.load(Ordering::SeqCst)
        {
            return;
        }
        if map.len() >= max
            && !map.contains_key(&key)
            && let Some(any) = map.keys().next().cloned()
        {
            map.remove(&any);
        }
        map.insert(key, value);
    }

    /// Every body's code by id, if kept and fresh.
    pub(crate) fn body_codes(&self, db: &Database) -> Option<BodyCodes> {
        let found = if self.usable(db) {
            self.0.bodies.read().ok().and_then(|b| {
                b.as_ref()
                    .filter(|(stored, _)| stored.elapsed() < TTL)
                    .map(|(_, codes)| codes.clone())
            })
        } else {
            None
        };
        self.count(found.is_some());
        found
    }

    /// Keeps the bodies' codes, unless something was invalidated since `ticket`.
    pub(crate) fn put_body_codes(&self, ticket: Ticket, codes: BodyCodes) {
        let Some(generation) = ticket.0 else { return };
        let Ok(mut slot) = self.0.bodies.write() else {
            return;
        };
        if self.0.generation.load(Ordering::SeqCst) == generation
            && self.0.live.load(Ordering::SeqCst)
        {
            *slot = Some((Instant::now(), codes));
        }
    }

    /// Drops what `stale` names, at once.
    pub(crate) fn invalidate(&self, stale: &Invalidation) {
        if stale.is_empty() {
            return;
        }
        self.0.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut actors) = self.0.actors.write() {
            if stale.everything {
                actors.clear();
            } else if !(stale.sessions.is_empty()
                && stale.users.is_empty()
                && stale.tokens.is_empty())
            {
                actors.retain(|_, e| {
                    let credential = match e.actor.credential {
                        wpt_domain::Credential::Session { session_id } => {
                            stale.sessions.contains(&session_id)
                        }
                        wpt_domain::Credential::ApiToken { token_id, .. } => {
                            stale.tokens.contains(&token_id)
                        }
                        wpt_domain::Credential::System => false,
                    };
                    !(credential || stale.users.contains(&e.actor.user_id))
                });
            }
        }
        if (stale.everything || stale.bodies)
            && let Ok(mut bodies) = self.0.bodies.write()
        {
            *bodies = None;
        }
        if let Ok(mut activities) = self.0.activities.write() {
            if stale.everything || stale.all_activities {
                activities.clear();
            } else {
                for id in &stale.activities {
                    activities.remove(&(*id, Lens::Recorded));
                    activities.remove(&(*id, Lens::Accepted));
                }
            }
        }
    }

    /// Drops everything.
    pub(crate) fn clear(&self) {
        self.invalidate(&Invalidation::everything());
    }

    /// Marks the cache usable or not (the listener's connection); either way everything
    /// kept so far is dropped.
    fn set_live(&self, live: bool) {
        self.0.live.store(live, Ordering::SeqCst);
        self.clear();
    }

    /// On PostgreSQL, tells every instance what `stale` names of credentials and bodies,
    /// in `txn` (delivered when, and only if, it commits). Nothing on SQLite, or when
    /// nothing of that is stale.
    pub(crate) async fn announce(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        stale: &Invalidation,
    ) -> DbResult<()> {
        let (strict, _) = stale.split();
        if strict.is_empty() || txn.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        listen::announce(txn, &strict).await
    }

    /// On PostgreSQL, tells every instance what `stale` names of activity views, right
    /// after the write committed and before it returns (see [`Invalidation::split`]).
    /// A failure is logged: the write stands, and the TTL bounds the other instances'
    /// staleness.
    pub(crate) async fn announce_committed(&self, stale: &Invalidation) {
        let (_, views) = stale.split();
        if views.is_empty() || self.0.conn.get_database_backend() != sea_orm::DbBackend::Postgres {
            return;
        }
        if let Err(e) = listen::announce(&self.0.conn, &views).await {
            tracing::warn!(error = %e, "could not tell the other instances of a change");
        }
    }

    /// `(hits, misses)` of lookups so far.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (
            self.0.hits.load(Ordering::Relaxed),
            self.0.misses.load(Ordering::Relaxed),
        )
    }
}

impl Database {
    /// Drops everything this process keeps in memory of the database's rows (the caller
    /// and activity caches, the list pages, the maintenance state): for a change made behind the write
    /// path's back, such as a test's direct SQL.
    pub fn drop_caches(&self) {
        self.cache().clear();
        self.list_pages().clear();
        self.maintenance_cache().invalidate();
    }

    /// Waits until this process has heard of every change committed (by any instance)
    /// before the call, and its cache is in use: on PostgreSQL a notification of its own
    /// sent through the pool and received on its `LISTEN` connection, which PostgreSQL
    /// delivers after every notification committed before it. At once on SQLite. For
    /// tests and for operators' checks; an error when the listener does not come up
    /// within ten seconds.
    pub async fn cache_sync(&self) -> DbResult<()> {
        if self.backend() == Backend::Sqlite {
            return Ok(());
        }
        listen::sync(self, self.cache()).await
    }

    /// `(hits, misses)` of this process's caller and activity caches so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache().stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: AuditAction, resource: &'static str, id: &str) -> Change {
        Change {
            action,
            resource_type: resource,
            resource_id: id.to_owned(),
            before: None,
            after: None,
        }
    }

    #[test]
    fn each_change_names_what_it_made_stale() {
        let id = Uuid::new_v4();
        let of = |c: Change| Invalidation::of([&c]);
        assert_eq!(
            of(change(
                AuditAction::SessionRevoke,
                "session",
                &id.to_string()
            ))
            .sessions,
            vec![id]
        );
        assert_eq!(
            of(change(AuditAction::UserUpdate, "user", &id.to_string())).users,
            vec![id]
        );
        assert_eq!(
            of(change(
                AuditAction::ApiTokenRevoke,
                "api_token",
                &id.to_string()
            ))
            .tokens,
            vec![id]
        );
        assert_eq!(
            of(change(
                AuditAction::ProgressCreate,
                "activity",
                &id.to_string()
            ))
            .activities,
            vec![id]
        );
        let mut milestone = change(AuditAction::MilestoneUpdate, "milestone", "m");
        milestone.after = Some(serde_json::json!({ "activity_id": id }));
        assert_eq!(of(milestone).activities, vec![id]);
        // What cannot be read drops more, never less.
        assert!(of(change(AuditAction::SessionRevoke, "session", "?")).everything);
        assert!(of(change(AuditAction::MilestoneCreate, "milestone", "m")).all_activities);
        assert!(of(change(AuditAction::SubmissionAccept, "submission", "s")).all_activities);
        // A draft, its submission and its return change no activity view.
        for action in [
            AuditAction::SubmissionEdit,
            AuditAction::SubmissionSubmit,
            AuditAction::SubmissionReturn,
        ] {
            assert!(of(change(action, "submission", "s")).is_empty());
        }
        assert!(of(change(AuditAction::BodyUpdate, "body", "b")).everything);
        assert!(of(change(AuditAction::BodyCreate, "body", "b")).bodies);
        assert!(of(change(AuditAction::SessionCreate, "session", "s")).is_empty());
        // Credentials in the write's transaction, activity views right after it.
        let both = Invalidation::of([
            &change(AuditAction::SessionRevoke, "session", &id.to_string()),
            &change(AuditAction::ProgressCreate, "activity", &id.to_string()),
        ]);
        let (strict, views) = both.split();
        assert_eq!((strict.sessions, strict.activities), (vec![id], vec![]));
        assert_eq!((views.sessions, views.activities), (vec![], vec![id]));
        let (strict, views) = Invalidation::everything().split();
        assert!(strict.everything && views.is_empty());
    }
}

//! Invalidation across instances on PostgreSQL: `pg_notify` in the write's transaction,
//! and one `LISTEN` connection per process (its own, outside the pool).
//!
//! A notification's payload names what is stale, as space-separated words: `*`
//! (everything), `A` (every activity view), `B` (the bodies' codes), `a<id>` (one activity), `s<id>` (a
//! session), `u<id>` (an account), `t<id>` (an API token); `y<instance>:<n>` is a
//! [`sync`] marker. A payload that would pass PostgreSQL's 8,000-byte limit is sent as
//! `*`; a word this version does not know drops everything.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::sync::watch;
use uuid::Uuid;

use super::{Cache, Inner, Invalidation};
use crate::{Database, DbError, DbResult};

/// The PostgreSQL notification channel of cache invalidations.
pub const CHANNEL: &str = "wpt_cache";

/// Longest payload sent as it is (PostgreSQL's limit is 8,000 bytes).
const MAX_PAYLOAD: usize = 7_000;

/// The listener's side of a [`Cache`].
#[derive(Debug)]
pub(super) struct State {
    started: AtomicBool,
    /// Names this process's [`sync`] markers.
    instance: Uuid,
    /// The last marker sent, and the last one heard.
    sent: AtomicU64,
    heard: watch::Sender<u64>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            started: AtomicBool::new(false),
            instance: Uuid::new_v4(),
            sent: AtomicU64::new(0),
            heard: watch::Sender::new(0),
        }
    }
}

/// The payload naming `stale`.
pub(super) fn encode(stale: &Invalidation) -> String {
    if stale.everything {
        return "*".into();
    }
    let mut out = String::new();
    if stale.bodies {
        out.push_str("B ");
    }
    if stale.all_activities {
        out.push_str("A ");
    } else {
        for id in &stale.activities {
            let _ = write!(out, "a{} ", id.simple());
        }
    }
    for (tag, ids) in [
        ('s', &stale.sessions),
        ('u', &stale.users),
        ('t', &stale.tokens),
    ] {
        for id in ids {
            let _ = write!(out, "{tag}{} ", id.simple());
        }
    }
    if out.len() > MAX_PAYLOAD {
        return "*".into();
    }
    out.trim_end().to_owned()
}

/// What a payload names; `Err` with the marker's number for a marker of `instance`,
/// `Ok` with nothing for another instance's marker.
fn decode(payload: &str, instance: Uuid) -> Result<Invalidation, u64> {
    let mut out = Invalidation::default();
    if let Some(marker) = payload.strip_prefix('y') {
        return match marker.split_once(':') {
            Some((id, n)) if id.parse::<Uuid>().ok() == Some(instance) => {
                Err(n.parse().unwrap_or(0))
            }
            _ => Ok(out),
        };
    }
    for word in payload.split_whitespace() {
        let mut chars = word.chars();
        let tag = chars.next();
        let rest = chars.as_str();
        let id = rest.parse::<Uuid>().ok();
        match (tag, id) {
            (Some('A'), _) if rest.is_empty() => out.all_activities = true,
            (Some('B'), _) if rest.is_empty() => out.bodies = true,
            (Some('a'), Some(id)) => out.activities.push(id),
            (Some('s'), Some(id)) => out.sessions.push(id),
            (Some('u'), Some(id)) => out.users.push(id),
            (Some('t'), Some(id)) => out.tokens.push(id),
            _ => out.everything = true,
        }
    }
    if payload.trim().is_empty() {
        out.everything = true;
    }
    Ok(out)
}

/// `SELECT pg_notify(channel, payload)` in `conn` (a transaction: delivered at commit).
async fn notify(conn: &impl ConnectionTrait, channel: &str, payload: &str) -> DbResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

pub(super) async fn announce(conn: &impl ConnectionTrait, stale: &Invalidation) -> DbResult<()> {
    notify(conn, CHANNEL, &encode(stale)).await
}

/// Starts this process's listener once (needs a tokio runtime; without one the cache
/// stays bypassed).
pub(super) fn ensure(db: &Database, cache: &Cache) {
    let state = &cache.0.listener;
    if state.started.load(Ordering::Relaxed) || state.started.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        state.started.store(false, Ordering::SeqCst);
        return;
    };
    let options = (*db.conn().get_postgres_connection_pool().connect_options()).clone();
    runtime.spawn(listen(options, Arc::downgrade(&cache.0)));
}

/// Listens until the cache is gone (every handle on the database dropped). The cache
/// is used only from the moment `LISTEN` holds, emptied then (changes made before were
/// not heard), and emptied and bypassed again from the moment the connection is found
/// lost until it is back; reconnection is retried with a growing pause.
async fn listen(options: PgConnectOptions, cache: Weak<Inner>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let mut pause = Duration::from_millis(250);
    loop {
        let outcome: Result<(), String> = async {
            let mut listener = PgListener::connect_with(&pool)
                .await
                .map_err(|e| e.to_string())?;
            // A lost connection is reported (`None`) rather than silently re-made, so
            // the cache is bypassed until `LISTEN` holds again.
            listener.eager_reconnect(false);
            listener.listen(CHANNEL).await.map_err(|e| e.to_string())?;
            pause = Duration::from_millis(250);
            let Some(inner) = cache.upgrade() else {
                return Ok(());
            };
            Cache(inner).set_live(true);
            loop {
                let heard = listener.try_recv().await.map_err(|e| e.to_string())?;
                let Some(note) = heard else {
                    return Err("the connection was lost".into());
                };
                let Some(inner) = cache.upgrade() else {
                    return Ok(());
                };
                let cache = Cache(inner);
                match decode(note.payload(), cache.0.listener.instance) {
                    Ok(stale) => cache.invalidate(&stale),
                    Err(n) => {
                        cache.0.listener.heard.send_modify(|h| *h = (*h).max(n));
                    }
                }
            }
        }
        .await;
        let Some(inner) = cache.upgrade() else {
            return;
        };
        Cache(inner).set_live(false);
        match outcome {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "cache listener lost; the caches are bypassed until it is back"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// See [`Database::cache_sync`].
pub(super) async fn sync(db: &Database, cache: &Cache) -> DbResult<()> {
    ensure(db, cache);
    let state = &cache.0.listener;
    let n = state.sent.fetch_add(1, Ordering::SeqCst) + 1;
    let marker = format!("y{}:{n}", state.instance);
    let mut heard = state.heard.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // A marker sent before `LISTEN` holds is never delivered: send again until heard.
    while tokio::time::Instant::now() < deadline {
        notify(db.conn(), CHANNEL, &marker).await?;
        let waited =
            tokio::time::timeout(Duration::from_millis(200), heard.wait_for(|h| *h >= n)).await;
        if matches!(waited, Ok(Ok(_))) && cache.0.live.load(Ordering::SeqCst) {
            return Ok(());
        }
    }
    Err(DbError::internal(
        "the cache listener did not hear this process's own notification within 10 s",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_unknown_words_drop_everything() {
        let me = Uuid::new_v4();
        let stale = Invalidation {
            sessions: vec![Uuid::new_v4()],
            users: vec![Uuid::new_v4(), Uuid::new_v4()],
            tokens: vec![Uuid::new_v4()],
            activities: vec![Uuid::new_v4()],
            ..Invalidation::default()
        };
        assert_eq!(decode(&encode(&stale), me), Ok(stale));
        let all = Invalidation {
            all_activities: true,
            bodies: true,
            ..Invalidation::default()
        };
        assert_eq!(decode(&encode(&all), me), Ok(all));
        assert_eq!(encode(&Invalidation::everything()), "*");
        for odd in ["*", "x123", "", "a-not-an-id", "Astray"] {
            assert!(decode(odd, me).expect("not a marker").everything, "{odd}");
        }
        assert_eq!(decode(&format!("y{me}:7"), me), Err(7));
        assert_eq!(
            decode(&format!("y{}:7", Uuid::new_v4()), me),
            Ok(Invalidation::default())
        );
        let many = Invalidation {
            activities: (0..500).map(|_| Uuid::new_v4()).collect(),
            ..Invalidation::default()
        };
        assert_eq!(encode(&many), "*");
    }
}

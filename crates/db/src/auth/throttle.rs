//! Password checks of a known account (logins, and the current password of a password
//! change), under three limits (issue 14):
//!
//! - **Per account and client address**, in the database (so it holds across
//!   instances): an attempt is *counted before its password is verified*, with one
//!   conditional upsert that increments and returns the count, and is refused once the
//!   window holds [`AuthSettings::max_failures`](super::AuthSettings); the right
//!   password clears it. However many guesses arrive at once, at most that many are
//!   verified. An attacker elsewhere spends their own address's budget, not the owner's.
//! - **Per account, a progressive delay**: from the account's `max_failures`-th wrong
//!   password in the window (from any address), the next verification starts no sooner
//!   than 1 s after the last failure, doubling with each further failure up to
//!   [`AuthSettings::max_delay`](super::AuthSettings). Attempts wait for it (the owner
//!   gets in, a little later) rather than being locked out.
//! - **Verifications in flight per account**, in this process: twice the hashing threads
//!   (but never more than `max_failures`) for an account with no recent failure, so a
//!   burst of correct logins keeps every hashing thread busy; one at a time once it has
//!   failures, so the delay spaces them. At most [`MAX_WAITING`] more wait; beyond, 429.
//!
//! Counting before verifying means an attempt in flight counts too; one at a time per
//! account keeps that from refusing a correct password (except within a few in-flight
//! attempts of the limit, which answer 429 with a short `Retry-After`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::Auth;
use crate::entities::login_failure;
use crate::{Database, DbError, DbResult, sql};

/// Attempts that may wait for a verification of one account beyond those in flight.
pub const MAX_WAITING: usize = 16;

/// The first step of the per-account delay; it doubles with each further failure.
const FIRST_DELAY: Duration = Duration::from_secs(1);

/// The address an attempt is counted under: an IPv4 address as it is (an IPv4-mapped
/// IPv6 address as its IPv4 address), an IPv6 address as its /64, the smallest network
/// a subscriber is given, so one client cannot hop between budgets.
pub fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// How an address bucket is stored: `198.51.100.7`, `2001:db8:1:2::/64`.
fn bucket_key(ip: IpAddr) -> String {
    match address_bucket(ip) {
        IpAddr::V6(net) => format!("{net}/64"),
        v4 => v4.to_string(),
    }
}

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::days(1))
}

fn seconds_until(t: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((t - now).num_milliseconds().max(1))
        .unwrap_or(1)
        .div_ceil(1000)
}

/// The delay after an account's `failures`-th wrong password in its window.
pub fn delay_after(failures: u32, max_failures: u32, max_delay: Duration) -> Duration {
    if failures < max_failures {
        return Duration::ZERO;
    }
    let doublings = (failures - max_failures).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(max_delay)
}

/// One account's line of verifications.
struct Line {
    semaphore: Arc<Semaphore>,
    /// Its permits: the hashing threads when it was made.
    size: u32,
    /// Attempts holding or waiting for permits.
    users: usize,
}

static LINES: LazyLock<Mutex<HashMap<Uuid, Line>>> = LazyLock::new(Mutex::default);

/// A place in an account's line; dropping it (done, or the request abandoned) leaves.
struct Place {
    account: Uuid,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.permit.take();
        let mut lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(line) = lines.get_mut(&self.account) {
            line.users = line.users.saturating_sub(1);
            if line.users == 0 {
                lines.remove(&self.account);
            }
        }
    }
}

/// Joins `account`'s line: one permit, or all of them when `alone`; whether it waited.
async fn enter(account: Uuid, threads: usize, alone: bool) -> DbResult<(Place, bool)> {
    let (semaphore, size) = {
        let mut lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
        let size = u32::try_from(threads.max(1)).unwrap_or(1);
        let line = lines.entry(account).or_insert_with(|| Line {
            semaphore: Arc::new(Semaphore::new(size as usize)),
            size,
            users: 0,
        });
        if line.users >= line.size as usize + MAX_WAITING {
            return Err(DbError::RateLimited { retry_after: 1 });
        }
        line.users += 1;
        (line.semaphore.clone(), line.size)
    };
    let mut place = Place {
        account,
        permit: None,
    };
    let wanted = if alone { size } else { 1 };
    let waited = match semaphore.clone().try_acquire_many_owned(wanted) {
        Ok(permit) => {
            place.permit = Some(permit);
            false
        }
        Err(_) => {
            let permit = semaphore
                .acquire_many_owned(wanted)
                .await
                .map_err(|_| DbError::internal("a login line was closed"))?;
            place.permit = Some(permit);
            true
        }
    };
    Ok((place, waited))
}

/// A password check of a known account, admitted by the limits: counted, in line, past
/// the account's delay. Report its outcome with [`failed`](Attempt::failed) or
/// [`succeeded`](Attempt::succeeded); either leaves the line.
pub(crate) struct Attempt {
    account: Uuid,
    address: String,
    /// Whether the account had failures recorded when it was read.
    recorded: bool,
    _place: Place,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Attempt {
    /// Admits a check of `account`'s password from `client`; `recorded` is the
    /// account's failure row as read with the account. 429 when this address has spent
    /// its budget for the account (or the line is full).
    pub(crate) async fn admit(
        db: &Database,
        auth: &Auth,
        account: Uuid,
        recorded: Option<&login_failure::Model>,
        client: IpAddr,
    ) -> DbResult<Attempt> {
        let settings = &auth.settings;
        let window = chrono(settings.failure_window);
        let now = Utc::now();
        let suspect =
            recorded.is_some_and(|f| f.failures > 0 && f.window_started_at + window > now);
        // Enough in flight to keep every hashing thread busy while others are at the
        // database, never more than the budget (so attempts in flight cannot refuse a
        // right password of an account without failures).
        let in_flight = (2 * auth.hasher.threads()).min(settings.max_failures as usize);
        let (place, waited) = enter(account, in_flight, suspect).await?;
        let attempt = Attempt {
            account,
            address: bucket_key(client),
            recorded: recorded.is_some(),
            _place: place,
        };
        attempt.claim(db, auth).await?;
        // The account's delay, as it stands now that this attempt is next.
        let current = if suspect || waited {
            login_failure::Entity::find_by_id(account)
                .one(db.conn())
                .await?
        } else {
            recorded.cloned()
        };
        let now = Utc::now();
        if let Some(until) = current.and_then(|f| f.locked_until).filter(|u| *u > now) {
            let wait = (until - now).to_std().unwrap_or_default();
            // Never longer than the longest delay (another instance's clock may differ).
            if wait > settings.max_delay + Duration::from_secs(1) {
                return Err(DbError::RateLimited {
                    retry_after: seconds_until(until, now),
                });
            }
            tokio::time::sleep(wait).await;
        }
        Ok(attempt)
    }

    /// Counts this attempt against its address's budget for the account, or refuses it.
    async fn claim(&self, db: &Database, auth: &Auth) -> DbResult<()> {
        let settings = &auth.settings;
        let now = Utc::now();
        let cutoff = now - chrono(settings.failure_window);
        let max = i32::try_from(settings.max_failures).unwrap_or(i32::MAX);
        let backend = db.conn().get_database_backend();
        let counted = db
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql::portable(backend, sql::CLAIM_LOGIN_ATTEMPT),
                [
                    self.account.into(),
                    self.address.clone().into(),
                    now.into(),
                    cutoff.into(),
                    max.into(),
                ],
            ))
            .await?;
        if counted.is_some() {
            return Ok(());
        }
        let started = db
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql::portable(
                    backend,
                    "SELECT window_started_at FROM login_attempts WHERE user_id = $1 AND address = $2",
                ),
                [self.account.into(), self.address.clone().into()],
            ))
            .await?
            .map(|row| row.try_get::<DateTime<Utc>>("", "window_started_at"))
            .transpose()?
            .unwrap_or(now);
        Err(DbError::RateLimited {
            retry_after: seconds_until(started + chrono(settings.failure_window), now),
        })
    }

    /// A wrong password: counted already for its address; now for the account, whose
    /// delay grows from its `max_failures`-th failure in the window.
    pub(crate) async fn failed(self, db: &Database, auth: &Auth) -> DbResult<()> {
        let settings = &auth.settings;
        let now = Utc::now();
        let cutoff = now - chrono(settings.failure_window);
        let backend = db.conn().get_database_backend();
        let failures: i32 = db
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql::portable(backend, sql::RECORD_ACCOUNT_FAILURE),
                [self.account.into(), now.into(), cutoff.into()],
            ))
            .await?
            .map(|row| row.try_get::<i32>("", "failures"))
            .transpose()?
            .unwrap_or(1);
        let delay = delay_after(
            u32::try_from(failures).unwrap_or(0),
            settings.max_failures,
            settings.max_delay,
        );
        if !delay.is_zero() {
            db.conn()
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    sql::portable(
                        backend,
                        "UPDATE login_failures SET locked_until = $2 WHERE user_id = $1",
                    ),
                    [self.account.into(), (now + chrono(delay)).into()],
                ))
                .await?;
        }
        prune_now_and_then(db, cutoff).await
    }

    /// The right password: clears this address's count and the account's failures at
    /// once (an attempt still counted would count against the next ones), and leaves
    /// the line before the caller's write.
    pub(crate) async fn succeeded(self, db: &Database) -> DbResult<()> {
        let conn = db.conn();
        let backend = conn.get_database_backend();
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            sql::portable(
                backend,
                "DELETE FROM login_attempts WHERE user_id = $1 AND address = $2",
            ),
            [self.account.into(), self.address.clone().into()],
        ))
        .await?;
        if self.recorded {
            login_failure::Entity::delete_by_id(self.account)
                .exec(conn)
                .await?;
        }
        Ok(())
    }
}

/// Every 64th failure deletes the windows that ended (rows of addresses that never
/// came back), so the table stays as small as the attempts of the last window.
async fn prune_now_and_then(db: &Database, cutoff: DateTime<Utc>) -> DbResult<()> {
    static FAILURES: AtomicU64 = AtomicU64::new(0);
    if !FAILURES.fetch_add(1, Ordering::Relaxed).is_multiple_of(64) {
        return Ok(());
    }
    sql::prune_login_attempts(db.conn(), cutoff).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(bucket_key(a), "2001:db8:1:2::/64");
        assert_eq!(bucket_key(a), bucket_key(b));
        assert_ne!(bucket_key(a), bucket_key(c));
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().expect("ip");
        assert_eq!(bucket_key(mapped), "198.51.100.7");
        assert!(
            bucket_key(
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                    .parse()
                    .expect("ip")
            )
            .len()
                <= 64
        );
    }

    #[test]
    fn the_delay_starts_at_the_limit_and_doubles_to_its_cap() {
        let cap = Duration::from_secs(10);
        let d = |n| delay_after(n, 5, cap).as_secs();
        assert_eq!(
            (d(0), d(4), d(5), d(6), d(7), d(8), d(9), d(100)),
            (0, 0, 1, 2, 4, 8, 10, 10)
        );
    }

    #[tokio::test]
    async fn a_suspect_account_verifies_one_at_a_time_and_the_line_is_bounded() {
        let account = Uuid::new_v4();
        let (first, waited) = enter(account, 2, false).await.expect("in");
        assert!(!waited);
        let (second, waited) = enter(account, 2, false).await.expect("in");
        assert!(!waited, "two hashing threads: two at once");
        drop(second);
        // Alone: waits for the one in flight.
        let alone = tokio::spawn(enter(account, 2, true));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!alone.is_finished());
        drop(first);
        let (alone, waited) = alone.await.expect("join").expect("in");
        assert!(waited);
        // Behind it, MAX_WAITING + 1 may stand; the next is refused.
        let mut waiting = Vec::new();
        for _ in 0..=MAX_WAITING {
            waiting.push(tokio::spawn(async move {
                enter(account, 2, false).await.map(|_| ())
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(matches!(
            enter(account, 2, false).await,
            Err(DbError::RateLimited { .. })
        ));
        drop(alone);
        for w in waiting {
            w.await.expect("join").expect("in");
        }
        assert!(
            !LINES.lock().expect("lines").contains_key(&account),
            "an empty line is forgotten"
        );
    }
}

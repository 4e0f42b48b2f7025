//! Failed logins per client address, in memory.
//!
//! The per-account counter lives in the database (so it holds across instances);
//! this one stops one address from trying many accounts. It is per instance by design:
//! behind a load balancer each instance counts what it sees, which bounds an attacker
//! at the limit times the number of instances.
//!
//! An attempt is counted when it starts, under the same lock as the check (failures and
//! attempts in flight together stay within the limit), so concurrent guesses cannot all
//! pass the check before any of them fails. Addresses are the callers' buckets: an IPv6
//! client is counted by its /64 (`wpt_db::auth::address_bucket`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Entry {
    started: Instant,
    failures: u32,
    in_flight: u32,
}

/// Counts failures per address in fixed windows.
#[derive(Debug)]
pub struct AddressThrottle {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, Entry>>,
}

/// One attempt from an address, counted from [`AddressThrottle::begin`] until it is
/// dropped: as a failure after [`failed`](AddressAttempt::failed), else not at all.
#[derive(Debug)]
pub struct AddressAttempt<'a> {
    throttle: &'a AddressThrottle,
    addr: IpAddr,
    failed: bool,
}

impl AddressAttempt<'_> {
    /// The attempt failed (a wrong password): it counts against the address.
    pub fn failed(mut self) {
        self.failed = true;
    }
}

impl Drop for AddressAttempt<'_> {
    fn drop(&mut self) {
        let mut seen = self.throttle.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = seen.get_mut(&self.addr) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if self.failed {
                entry.failures += 1;
            }
        }
    }
}

impl AddressThrottle {
    /// At most `limit` failures per address per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Starts an attempt from `addr`, or `Err(seconds to wait)` when its failures and
    /// the attempts in flight already reach the limit.
    pub fn begin(&self, addr: IpAddr) -> Result<AddressAttempt<'_>, u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget expired windows now and then so the map cannot grow without bound.
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, e| e.in_flight > 0 || now.duration_since(e.started) < window);
        }
        let entry = seen.entry(addr).or_insert(Entry {
            started: now,
            failures: 0,
            in_flight: 0,
        });
        let elapsed = now.duration_since(entry.started);
        if elapsed >= self.window {
            entry.started = now;
            entry.failures = 0;
        }
        if entry.failures.saturating_add(entry.in_flight) >= self.limit {
            let wait = if entry.failures >= self.limit {
                self.window
                    .saturating_sub(now.duration_since(entry.started))
            } else {
                Duration::from_secs(1)
            };
            return Err(wait.as_secs().max(1));
        }
        entry.in_flight += 1;
        Ok(AddressAttempt {
            throttle: self,
            addr,
            failed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_the_limit_and_others_are_not() {
        let t = AddressThrottle::new(3, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        for _ in 0..3 {
            t.begin(a).expect("under the limit").failed();
        }
        assert!(t.begin(a).is_err_and(|s| s > 0 && s <= 60));
        assert!(t.begin(b).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_until_they_end() {
        let t = AddressThrottle::new(3, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let held: Vec<_> = (0..3).map(|_| t.begin(a).expect("room")).collect();
        assert_eq!(t.begin(a).err(), Some(1), "three in flight fill the budget");
        drop(held);
        // Successes leave nothing behind.
        for _ in 0..10 {
            drop(t.begin(a).expect("room again"));
        }
    }
}

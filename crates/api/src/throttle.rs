//! Failed logins per client address, in memory.
//!
//! The per-account counter lives in the database (so it holds across instances);
//! this one stops one address from trying many accounts. It is per instance by design:
//! behind a load balancer each instance counts what it sees, which bounds an attacker
//! at the limit times the number of instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures per address in fixed windows.
#[derive(Debug)]
pub struct AddressThrottle {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
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

    /// `Some(seconds to wait)` when `addr` is over the limit now.
    pub fn blocked(&self, addr: IpAddr) -> Option<u64> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (start, count) = seen.get(&addr)?;
        let elapsed = start.elapsed();
        (elapsed < self.window && *count >= self.limit)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    /// Records one failure from `addr`.
    pub fn fail(&self, addr: IpAddr) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget expired windows now and then so the map cannot grow without bound.
        if seen.len() > 10_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
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
            assert!(t.blocked(a).is_none());
            t.fail(a);
        }
        assert!(t.blocked(a).is_some_and(|s| s > 0 && s <= 60));
        assert!(t.blocked(b).is_none());
    }
}

//! Writes per user per minute (issue 14): each authenticated user may commit at most a
//! configured number of writes in a minute (`WPT_WRITE_RATE`); the next one is refused
//! with [`DbError::WriteRateLimited`] (429 with `Retry-After`) and nothing of it is
//! kept. The one write path counts them at commit ([`crate::write`]), so the API and
//! the pages share the limit, and reads are never counted.
//!
//! What counts: a committed write recording a change by a user. Logging in and out
//! (`session.*`) does not, nor anything the system does (seeds, sweeps, the seal), nor
//! a write refused before its commit (invalid input, a stale version: nothing stored).
//!
//! The count is per process: with several instances behind a balancer a user may make
//! up to the limit on each. That bounds what one account can add to the audit log and
//! the database per minute, which is the point; it is not a quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::DbError;
use crate::audit::AuditAction;

/// The window of the count.
const WINDOW: Duration = Duration::from_secs(60);

/// Above this many users counted, windows that ended are dropped at the next write.
const SWEEP_ABOVE: usize = 4096;

/// The per-user write counts of this process.
#[derive(Debug)]
pub(crate) struct WriteRate {
    per_minute: u32,
    counts: Mutex<HashMap<Uuid, (Instant, u32)>>,
}

impl WriteRate {
    pub(crate) fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one write by `user` now, or refuses it: check and increment under one
    /// lock, so concurrent writes cannot overrun the limit.
    pub(crate) fn count(&self, user: Uuid) -> Result<(), DbError> {
        self.count_at(user, Instant::now())
    }

    fn count_at(&self, user: Uuid, now: Instant) -> Result<(), DbError> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| DbError::internal("the write-rate lock is poisoned"))?;
        if counts.len() > SWEEP_ABOVE {
            counts.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, n) = counts.entry(user).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *n = 0;
        }
        if *n >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(DbError::WriteRateLimited {
                per_minute: self.per_minute,
                retry_after: left.as_secs().max(1),
            });
        }
        *n += 1;
        Ok(())
    }
}

/// Whether a change of `action` counts as a user's write.
pub(crate) fn counts(action: AuditAction) -> bool {
    !matches!(
        action,
        AuditAction::SessionCreate
            | AuditAction::SessionRevoke
            | AuditAction::SessionPrune
            | AuditAction::AuditSeal
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_within_a_minute_and_frees_after_it() {
        let rate = WriteRate::new(3);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let t = Instant::now();
        for _ in 0..3 {
            rate.count_at(a, t).expect("within the limit");
        }
        let refused = rate.count_at(a, t + Duration::from_secs(20));
        assert!(
            matches!(
                refused,
                Err(DbError::WriteRateLimited {
                    per_minute: 3,
                    retry_after: 40
                })
            ),
            "{refused:?}"
        );
        rate.count_at(b, t)
            .expect("another user has their own count");
        rate.count_at(a, t + WINDOW).expect("a new minute");
    }
}

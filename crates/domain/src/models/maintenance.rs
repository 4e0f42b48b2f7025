//! Read-only maintenance: the state an administrator sets, what it means at a given
//! moment (in force, announced, off) and how it reads to people and clients.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ValidationErrors;
use crate::validation::check_text;

/// What clients are told to wait (`Retry-After`) when maintenance has no expected end,
/// or has run past it.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 300;

/// The longest maintenance message, in characters.
pub const MESSAGE_MAX: usize = 500;

/// The stored state: one row, the same for every instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceState {
    /// Turned on by an administrator (in force now, or from `starts_at`).
    pub on: bool,
    /// What people are told; `None` when off.
    pub message: Option<String>,
    /// When writes start being refused; `None`: as soon as it is on.
    pub starts_at: Option<DateTime<Utc>>,
    /// The expected end: a forecast, maintenance ends when it is turned off.
    pub until: Option<DateTime<Utc>>,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

/// Read-only maintenance as `GET /api/v1/maintenance` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Maintenance {
    /// Whether an administrator has turned maintenance on, in force now or scheduled.
    pub on: bool,
    /// Whether writes are refused now (503 `maintenance`): `on`, and `starts_at` absent
    /// or past.
    pub active: bool,
    /// The administrator's message; `null` when off.
    #[schema(example = "Upgrade to version 1.4")]
    pub message: Option<String>,
    /// When writes start being refused; `null` when it applies as soon as it is on.
    pub starts_at: Option<DateTime<Utc>>,
    /// The expected end, a forecast (maintenance lasts until it is turned off).
    pub until: Option<DateTime<Utc>>,
    /// The state in one sentence, as the pages' banner shows it, e.g. "Read-only from
    /// 14:00 UTC for about an hour: upgrade to 1.4."; `null` when off.
    #[schema(example = "Read-only from 14:00 UTC for about an hour: Upgrade to version 1.4.")]
    pub announcement: Option<String>,
    /// When the state was last set.
    pub updated_at: DateTime<Utc>,
}

/// What an administrator asks for (`PUT /api/v1/admin/maintenance`, the page, the
/// command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceInput {
    /// On or off.
    pub on: bool,
    /// Required when on; refused when off.
    pub message: Option<String>,
    /// The expected end; only when on, and later than now and than `starts_at`.
    pub until: Option<DateTime<Utc>>,
    /// A later start (scheduled maintenance); only when on. A moment already past means
    /// now.
    pub starts_at: Option<DateTime<Utc>>,
}

impl MaintenanceInput {
    /// The state this input sets at `now`, or every field problem.
    pub fn validate(self, now: DateTime<Utc>) -> Result<MaintenanceState, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !self.on {
            for (field, given) in [
                ("message", self.message.is_some()),
                ("until", self.until.is_some()),
                ("starts_at", self.starts_at.is_some()),
            ] {
                if given {
                    errors.add(field, "only with on: true");
                }
            }
            errors.finish()?;
            return Ok(MaintenanceState::off(now));
        }
        let message = self.message.unwrap_or_default();
        check_text(&mut errors, "message", &message, true, MESSAGE_MAX);
        let starts_at = self.starts_at.filter(|s| *s > now);
        if let Some(until) = self.until {
            if until <= now {
                errors.add("until", "must be in the future");
            } else if starts_at.is_some_and(|s| until <= s) {
                errors.add("until", "must be after starts_at");
            }
        }
        errors.finish()?;
        Ok(MaintenanceState {
            on: true,
            message: Some(message.trim().to_owned()),
            starts_at,
            until: self.until,
            updated_at: now,
        })
    }
}

impl MaintenanceState {
    /// Maintenance off, set at `at`.
    pub fn off(at: DateTime<Utc>) -> Self {
        Self {
            on: false,
            message: None,
            starts_at: None,
            until: None,
            updated_at: at,
        }
    }

    /// Whether writes are refused at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.on && self.starts_at.is_none_or(|s| s <= now)
    }

    /// Whether maintenance is on but has not started at `now` (announced).
    pub fn scheduled(&self, now: DateTime<Utc>) -> bool {
        self.on && !self.active(now)
    }

    /// Seconds a refused client should wait at `now`: until the expected end, else
    /// [`DEFAULT_RETRY_AFTER_SECS`].
    pub fn retry_after(&self, now: DateTime<Utc>) -> u64 {
        match self.until {
            Some(until) if until > now => {
                let ms = (until - now).num_milliseconds();
                u64::try_from(ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) > 0))
                    .unwrap_or(DEFAULT_RETRY_AFTER_SECS)
                    .max(1)
            }
            _ => DEFAULT_RETRY_AFTER_SECS,
        }
    }

    /// The state in one sentence at `now`; `None` when off.
    pub fn announcement(&self, now: DateTime<Utc>) -> Option<String> {
        self.announcement_with(now, |t| moment(t, now))
    }

    /// [`Self::announcement`] with its moments written by `moment` (the pages write
    /// them in the reader's time zone).
    pub fn announcement_with(
        &self,
        now: DateTime<Utc>,
        moment: impl Fn(DateTime<Utc>) -> String,
    ) -> Option<String> {
        if !self.on {
            return None;
        }
        let message = self.message.as_deref().unwrap_or_default();
        let mut text = match (self.starts_at.filter(|s| *s > now), self.until) {
            (Some(start), Some(until)) => format!(
                "Read-only from {} for {}",
                moment(start),
                about(until - start)
            ),
            (Some(start), None) => format!("Read-only from {}", moment(start)),
            (None, Some(until)) if until > now => {
                format!("Read-only for maintenance until about {}", moment(until))
            }
            (None, Some(_)) => "Read-only for maintenance, taking longer than expected".into(),
            (None, None) => "Read-only for maintenance".into(),
        };
        if !message.is_empty() {
            text.push_str(": ");
            text.push_str(message);
        }
        if !text.ends_with(['.', '!', '?']) {
            text.push('.');
        }
        Some(text)
    }

    /// The read model at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Maintenance {
        Maintenance {
            on: self.on,
            active: self.active(now),
            message: self.message.clone(),
            starts_at: self.starts_at,
            until: self.until,
            announcement: self.announcement(now),
            updated_at: self.updated_at,
        }
    }
}

/// `14:00 UTC` on the day of `now`, else `2026-12-01 14:00 UTC`.
fn moment(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// A duration in round words: "about 20 minutes", "about an hour", "about 3 hours".
fn about(d: chrono::Duration) -> String {
    let minutes = (d.num_seconds() + 30) / 60;
    match minutes {
        ..=1 => "about a minute".into(),
        2..=50 => format!("about {minutes} minutes"),
        51..=89 => "about an hour".into(),
        90..=2159 => format!("about {} hours", (minutes + 30) / 60),
        _ => format!("about {} days", (minutes + 720) / 1440),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn on(starts_at: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> MaintenanceState {
        MaintenanceInput {
            on: true,
            message: Some(" Upgrade to 1.4 ".into()),
            until,
            starts_at,
        }
        .validate(now())
        .expect("valid")
    }

    #[test]
    fn scheduled_maintenance_is_announced_and_refuses_writes_only_once_started() {
        let start = now() + Duration::hours(2);
        let s = on(Some(start), Some(start + Duration::minutes(60)));
        assert!(s.scheduled(now()) && !s.active(now()));
        assert_eq!(
            s.announcement(now()).as_deref(),
            Some("Read-only from 14:00 UTC for about an hour: Upgrade to 1.4.")
        );
        assert!(s.active(start) && !s.scheduled(start));
        assert_eq!(s.retry_after(start), 3600);
        assert_eq!(
            s.announcement(start).as_deref(),
            Some("Read-only for maintenance until about 15:00 UTC: Upgrade to 1.4.")
        );
        let tomorrow = on(Some(now() + Duration::days(1)), None);
        assert_eq!(
            tomorrow.announcement(now()).as_deref(),
            Some("Read-only from 2026-12-02 12:00 UTC: Upgrade to 1.4.")
        );
    }

    #[test]
    fn retry_after_counts_to_the_expected_end_else_the_default() {
        let s = on(None, Some(now() + Duration::milliseconds(90_500)));
        assert!(s.active(now()));
        assert_eq!(s.retry_after(now()), 91);
        assert_eq!(
            s.retry_after(now() + Duration::hours(1)),
            DEFAULT_RETRY_AFTER_SECS
        );
        assert_eq!(on(None, None).retry_after(now()), DEFAULT_RETRY_AFTER_SECS);
        assert!(
            s.announcement(now() + Duration::hours(1))
                .is_some_and(|a| a.contains("longer than expected"))
        );
    }

    #[test]
    fn input_is_checked_field_by_field() {
        let fields = |input: MaintenanceInput| -> Vec<String> {
            input
                .validate(now())
                .err()
                .map(|e| e.0.into_iter().map(|f| f.field).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            fields(MaintenanceInput {
                on: true,
                message: Some("  ".into()),
                until: Some(now() - Duration::minutes(1)),
                starts_at: None,
            }),
            ["message", "until"]
        );
        assert_eq!(
            fields(MaintenanceInput {
                on: true,
                message: Some("m".into()),
                until: Some(now() + Duration::hours(1)),
                starts_at: Some(now() + Duration::hours(2)),
            }),
            ["until"]
        );
        assert_eq!(
            fields(MaintenanceInput {
                on: false,
                message: Some("m".into()),
                until: None,
                starts_at: None,
            }),
            ["message"]
        );
        let off = MaintenanceInput {
            on: false,
            message: None,
            until: None,
            starts_at: None,
        }
        .validate(now())
        .expect("off");
        assert!(!off.active(now()) && off.announcement(now()).is_none());
        // A start already past means now.
        assert!(on(Some(now() - Duration::hours(1)), None).active(now()));
    }
}

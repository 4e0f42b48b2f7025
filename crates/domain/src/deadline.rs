//! A body's deadline in a cycle and the reminders it gets (issue 17): pure.
//!
//! The deadline is the cycle's due day unless the secretariat extended it for the body
//! ([`effective_due`]); late and missing are judged against it ([`missing`]), and the
//! reminder schedule follows it ([`step_due`]). The schedule is a function of the date:
//! the server asks it every hour with the clock it is given, and the outbox's unique
//! dedupe key (`reminder:{cycle}:{body}:{step}`) makes each step send once.

use std::fmt;

use chrono::NaiveDate;

use crate::SubmissionStatus;

/// The day a body's report is due: its extension if granted, else the cycle's due day.
pub fn effective_due(cycle_due: NaiveDate, extended: Option<NaiveDate>) -> NaiveDate {
    extended.unwrap_or(cycle_due)
}

/// Whether a report in `status` still counts as outstanding: not submitted or accepted.
pub fn outstanding(status: SubmissionStatus) -> bool {
    !matches!(
        status,
        SubmissionStatus::Submitted | SubmissionStatus::Accepted
    )
}

/// Whether a report in `status` is missing on `today`: outstanding and past `due`.
pub fn missing(status: SubmissionStatus, due: NaiveDate, today: NaiveDate) -> bool {
    outstanding(status) && today > due
}

/// Whether a body's report counts as missing in a cycle in `state` on `today`: in an
/// open cycle, outstanding past its due day ([`missing`]); in a closed one, not
/// submitted by the close (still outstanding); never in a planned one. The one rule of
/// the board, the report's missing bodies and its XLSX and paper.
pub fn missing_in(
    state: crate::CycleState,
    status: SubmissionStatus,
    due: NaiveDate,
    today: NaiveDate,
) -> bool {
    match state {
        crate::CycleState::Open => missing(status, due, today),
        crate::CycleState::Closed => outstanding(status),
        _ => false,
    }
}

/// How many days after the due day the overdue reminders repeat.
pub const OVERDUE_EVERY_DAYS: i64 = 7;

/// The days before the due day on which reminders go out (`WPT_REMINDER_DAYS`,
/// default `14,7,1`): distinct, each 1 to 365, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDays(Vec<u32>);

impl Default for ReminderDays {
    fn default() -> Self {
        Self(vec![14, 7, 1])
    }
}

impl ReminderDays {
    /// Parses a comma-separated list such as `14,7,1` (an empty string: no reminders
    /// before the due day; the due day and the overdue ones still go out).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut days = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d: u32 = part
                .parse()
                .map_err(|_| format!("{part:?} is not a whole number of days"))?;
            if !(1..=365).contains(&d) {
                return Err(format!("{d} is not between 1 and 365 days"));
            }
            if days.contains(&d) {
                return Err(format!("{d} is listed twice"));
            }
            days.push(d);
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Self(days))
    }

    /// The days, largest first.
    pub fn days(&self) -> &[u32] {
        &self.0
    }
}

/// One reminder of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderStep {
    /// This many days before the due day.
    Before(u32),
    /// On the due day (and the days after it, until the first overdue step).
    DueDay,
    /// This many days after the due day (a multiple of [`OVERDUE_EVERY_DAYS`]).
    Overdue(i64),
}

impl ReminderStep {
    /// How the step is named in the dedupe key and the message: `before-14`,
    /// `due-day`, `overdue-7`.
    pub fn key(self) -> String {
        match self {
            Self::Before(d) => format!("before-{d}"),
            Self::DueDay => "due-day".to_owned(),
            Self::Overdue(d) => format!("overdue-{d}"),
        }
    }
}

impl fmt::Display for ReminderStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The step of the schedule in force on `today` for a report due on `due`: the latest
/// one whose day has come, or `None` before the first. Because it is the latest step
/// reached (not only a step falling exactly on `today`), a run missed while the server
/// was down is made up at the next run, and a cycle opened late sends its nearest step
/// once instead of every step it skipped.
pub fn step_due(due: NaiveDate, today: NaiveDate, days: &ReminderDays) -> Option<ReminderStep> {
    let left = (due - today).num_days();
    if left > 0 {
        // Largest first: the last day not smaller than what is left is the latest
        // step reached.
        return days
            .days()
            .iter()
            .rev()
            .find(|&&d| i64::from(d) >= left)
            .map(|&d| ReminderStep::Before(d));
    }
    let overdue = -left;
    let weeks = overdue / OVERDUE_EVERY_DAYS;
    Some(if weeks == 0 {
        ReminderStep::DueDay
    } else {
        ReminderStep::Overdue(weeks * OVERDUE_EVERY_DAYS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn the_schedule_names_each_step_on_its_day_and_keeps_it_until_the_next() {
        let due = day("2026-12-21");
        let days = ReminderDays::default();
        let cases = [
            ("2026-11-01", None),
            ("2026-12-06", None),
            ("2026-12-07", Some("before-14")),
            ("2026-12-13", Some("before-14")),
            ("2026-12-14", Some("before-7")),
            ("2026-12-19", Some("before-7")),
            ("2026-12-20", Some("before-1")),
            ("2026-12-21", Some("due-day")),
            ("2026-12-27", Some("due-day")),
            ("2026-12-28", Some("overdue-7")),
            ("2027-01-03", Some("overdue-7")),
            ("2027-01-04", Some("overdue-14")),
            ("2027-02-15", Some("overdue-56")),
        ];
        for (today, expected) in cases {
            assert_eq!(
                step_due(due, day(today), &days)
                    .map(ReminderStep::key)
                    .as_deref(),
                expected,
                "{today}"
            );
        }
    }

    #[test]
    fn reminder_days_parse_sort_and_refuse_nonsense() {
        assert_eq!(
            ReminderDays::parse("1, 14,7").expect("valid").days(),
            &[14, 7, 1]
        );
        assert_eq!(
            ReminderDays::parse("").expect("valid").days(),
            &[] as &[u32]
        );
        assert!(ReminderDays::parse("7,x").is_err());
        assert!(ReminderDays::parse("0").is_err());
        assert!(ReminderDays::parse("400").is_err());
        assert!(ReminderDays::parse("7,7").is_err());
        // Without steps before the due day, the due day still reminds.
        let none = ReminderDays::parse("").expect("valid");
        assert_eq!(step_due(day("2026-12-21"), day("2026-12-20"), &none), None);
        assert_eq!(
            step_due(day("2026-12-21"), day("2026-12-21"), &none),
            Some(ReminderStep::DueDay)
        );
    }

    #[test]
    fn an_extension_moves_the_deadline_and_missing_follows_it() {
        let cycle_due = day("2026-12-01");
        let due = effective_due(cycle_due, Some(day("2026-12-21")));
        assert_eq!(due, day("2026-12-21"));
        assert_eq!(effective_due(cycle_due, None), cycle_due);
        let today = day("2026-12-10");
        assert!(missing(SubmissionStatus::Draft, cycle_due, today));
        assert!(!missing(SubmissionStatus::Draft, due, today));
        assert!(!missing(SubmissionStatus::Submitted, cycle_due, today));
        assert!(!missing(SubmissionStatus::Accepted, cycle_due, today));
        assert!(missing(SubmissionStatus::Returned, cycle_due, today));
        assert!(missing(SubmissionStatus::NotStarted, cycle_due, today));
    }
}

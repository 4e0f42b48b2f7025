//! The derived on-track signal: from dates, never from what a body says about itself.
//!
//! Reported statuses are what bodies say; the signal is what the calendar says. Both
//! are shown, and a secretariat override sits beside the derived value, never in its
//! place, so an override cannot hide slippage.

use chrono::NaiveDate;

use crate::{ProgressStatus, Signal};

/// Whether an activity is finished: every assigned body has reported a final status.
pub fn is_completed(latest: &[Option<ProgressStatus>]) -> bool {
    !latest.is_empty()
        && latest
            .iter()
            .all(|s| s.is_some_and(ProgressStatus::is_final))
}

/// Past its planned end and not completed: off track. Otherwise, an overdue milestone:
/// at risk. Otherwise on track.
pub fn derive(
    today: NaiveDate,
    planned_end: Option<NaiveDate>,
    completed: bool,
    overdue_milestones: u64,
) -> Signal {
    if completed {
        Signal::OnTrack
    } else if planned_end.is_some_and(|end| end < today) {
        Signal::OffTrack
    } else if overdue_milestones > 0 {
        Signal::AtRisk
    } else {
        Signal::OnTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn dates_decide_the_signal() {
        let today = d("2026-06-01");
        assert_eq!(
            derive(today, Some(d("2026-05-31")), false, 0),
            Signal::OffTrack
        );
        assert_eq!(
            derive(today, Some(d("2026-06-01")), false, 0),
            Signal::OnTrack
        );
        assert_eq!(
            derive(today, Some(d("2026-12-31")), false, 2),
            Signal::AtRisk
        );
        assert_eq!(
            derive(today, Some(d("2026-05-31")), false, 2),
            Signal::OffTrack
        );
        assert_eq!(
            derive(today, Some(d("2025-01-01")), true, 3),
            Signal::OnTrack
        );
        assert_eq!(derive(today, None, false, 0), Signal::OnTrack);
    }

    #[test]
    fn an_activity_is_completed_only_when_every_body_is_final() {
        use ProgressStatus::*;
        assert!(is_completed(&[Some(Completed), Some(Discontinued)]));
        assert!(!is_completed(&[Some(Completed), None]));
        assert!(!is_completed(&[Some(Completed), Some(OnTrack)]));
        assert!(!is_completed(&[]));
    }
}

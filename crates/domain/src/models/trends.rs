//! Trends across reporting cycles, computed from accepted reports only (what the
//! secretariat accepted, cycle by cycle).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{CycleState, ProgressStatus};

/// A cycle as a trend names it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendCycle {
    /// The cycle.
    pub cycle_id: Uuid,
    /// Its name.
    #[schema(example = "25th SOMTC")]
    pub name: String,
    /// Its meeting's date (cycles are ordered by it).
    #[schema(example = "2025-06-20")]
    pub meeting_date: NaiveDate,
    /// Where it stands.
    pub state: CycleState,
}

/// One body's accepted entry for an activity in one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityTrendPoint {
    /// The body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// The status the secretariat accepted.
    pub status: ProgressStatus,
    /// The completion the secretariat accepted.
    #[schema(example = 60)]
    pub percent_complete: Option<i32>,
}

/// One cycle of an activity's line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityTrendCycle {
    /// The cycle.
    #[serde(flatten)]
    pub cycle: TrendCycle,
    /// Each body's accepted entry, by body code; bodies without an accepted report in
    /// the cycle are absent.
    pub bodies: Vec<ActivityTrendPoint>,
}

/// An activity across the cycles of its plan (`GET /activities/{id}/trend`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityTrend {
    /// The activity.
    pub activity_id: Uuid,
    /// Its code.
    #[schema(example = "A.a.1")]
    pub activity_code: String,
    /// Its plan.
    pub work_plan_id: Uuid,
    /// The plan's cycles, oldest meeting first.
    pub cycles: Vec<ActivityTrendCycle>,
}

/// How many accepted entries had each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    /// `not_started`.
    pub not_started: i64,
    /// `on_track`.
    pub on_track: i64,
    /// `at_risk`.
    pub at_risk: i64,
    /// `delayed`.
    pub delayed: i64,
    /// `completed`.
    pub completed: i64,
    /// `discontinued`.
    pub discontinued: i64,
}

impl StatusCounts {
    /// Counts one more entry of `status`.
    pub fn add(&mut self, status: ProgressStatus) {
        match status {
            ProgressStatus::NotStarted => self.not_started += 1,
            ProgressStatus::OnTrack => self.on_track += 1,
            ProgressStatus::AtRisk => self.at_risk += 1,
            ProgressStatus::Delayed => self.delayed += 1,
            ProgressStatus::Completed => self.completed += 1,
            ProgressStatus::Discontinued => self.discontinued += 1,
        }
    }

    /// The count of `status`.
    pub fn get(&self, status: ProgressStatus) -> i64 {
        match status {
            ProgressStatus::NotStarted => self.not_started,
            ProgressStatus::OnTrack => self.on_track,
            ProgressStatus::AtRisk => self.at_risk,
            ProgressStatus::Delayed => self.delayed,
            ProgressStatus::Completed => self.completed,
            ProgressStatus::Discontinued => self.discontinued,
        }
    }

    /// All entries counted.
    pub fn total(&self) -> i64 {
        self.not_started
            + self.on_track
            + self.at_risk
            + self.delayed
            + self.completed
            + self.discontinued
    }
}

/// Status counts of one group (an area or a body) in one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupCounts {
    /// The area's or the body's code.
    #[schema(example = "A")]
    pub code: String,
    /// Its counts.
    pub counts: StatusCounts,
}

/// One cycle of a plan's trends.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanTrendCycle {
    /// The cycle.
    #[serde(flatten)]
    pub cycle: TrendCycle,
    /// Accepted reports in the cycle.
    #[schema(example = 7)]
    pub accepted_reports: i64,
    /// Accepted entries by status.
    pub counts: StatusCounts,
    /// The same by thematic area (areas with accepted entries, by code).
    pub by_area: Vec<GroupCounts>,
    /// The same by body (bodies with an accepted report, by code).
    pub by_body: Vec<GroupCounts>,
}

/// A body's record in one cycle, from its accepted report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BodyCycleRecord {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The day the report was due: the body's extended day when one was granted, else
    /// the cycle's.
    #[schema(example = "2025-05-21")]
    pub due_on: NaiveDate,
    /// Whether the report counted here was extended.
    pub extended: bool,
    /// The day (UTC) of the submission the secretariat accepted.
    #[schema(example = "2025-05-19")]
    pub submitted_on: NaiveDate,
    /// Submitted by its due day.
    pub on_time: bool,
    /// Days after the due day (0 when on time).
    #[schema(example = 0)]
    pub days_late: i64,
    /// Days from that submission to acceptance, to the hundredth.
    #[schema(example = 2.5)]
    pub review_days: f64,
}

/// A body's timeliness across cycles, from its accepted reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BodyTimeliness {
    /// The body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// One record per cycle with an accepted report, in the order of `cycles`.
    pub cycles: Vec<BodyCycleRecord>,
    /// Accepted reports submitted on time.
    #[schema(example = 2)]
    pub on_time: i64,
    /// Accepted reports counted.
    #[schema(example = 3)]
    pub reports: i64,
    /// Average days late over those reports, to the hundredth (`null` with none).
    #[schema(example = 1.33)]
    pub average_days_late: Option<f64>,
    /// Average review days over those reports, to the hundredth (`null` with none).
    #[schema(example = 2.5)]
    pub average_review_days: Option<f64>,
}

/// A plan across its cycles (`GET /work-plans/{id}/trends`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanTrends {
    /// The plan.
    pub work_plan_id: Uuid,
    /// Its cycles, oldest meeting first.
    pub cycles: Vec<PlanTrendCycle>,
    /// Each body with at least one accepted report, by code.
    pub bodies: Vec<BodyTimeliness>,
}

/// One accepted actual of an indicator.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SeriesPoint {
    /// First day of the period.
    #[schema(example = "2024-07-01")]
    pub period_start: NaiveDate,
    /// Last day of the period.
    #[schema(example = "2025-06-30")]
    pub period_end: NaiveDate,
    /// The body that reported it.
    #[schema(example = "DGICM")]
    pub body: String,
    /// The value as recorded.
    #[schema(example = "85")]
    pub value: String,
    /// The value as a number, when it is one.
    #[schema(example = 85.0)]
    pub number: Option<f64>,
    /// The cycle whose accepted report covers the period.
    pub cycle_id: Uuid,
    /// That cycle's name.
    #[schema(example = "25th SOMTC")]
    pub cycle_name: String,
}

/// An indicator's accepted actuals by period against its baseline and target
/// (`GET /indicators/{id}/series`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorSeries {
    /// The indicator.
    pub indicator_id: Uuid,
    /// Its name.
    #[schema(example = "Immigration officers trained")]
    pub name: String,
    /// Its unit.
    #[schema(example = "officers")]
    pub unit: Option<String>,
    /// The baseline as recorded.
    #[schema(example = "0")]
    pub baseline: Option<String>,
    /// The baseline as a number, when it is one.
    #[schema(example = 0.0)]
    pub baseline_number: Option<f64>,
    /// The target as recorded.
    #[schema(example = "300")]
    pub target: Option<String>,
    /// The target as a number, when it is one.
    #[schema(example = 300.0)]
    pub target_number: Option<f64>,
    /// The accepted actuals, by period end, then body.
    pub points: Vec<SeriesPoint>,
}

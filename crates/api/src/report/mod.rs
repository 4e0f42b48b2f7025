//! The consolidated report of a cycle, as JSON, CSV and XLSX, from one set of rows: the
//! one home of the report, used by `GET /api/v1/cycles/{id}/report` and by the web
//! pages (the on-screen report and its downloads).
//!
//! - here: the report's model ([`CycleReport`]) and how it is built from the rows;
//! - [`csv()`]: one row per activity x body with stable ids, every field quoted and
//!   every text cell [`neutralise`]d against formula injection (the one way to write a
//!   CSV: [`csv_writer`] and [`neutralise`]);
//! - [`xlsx()`]: a summary sheet and a matrix sheet laid out like the traditional
//!   reporting matrix, with a frozen header, filters and status colours; user text is
//!   written as strings, never formulas, and [`fit_cell`] truncates visibly what is over
//!   Excel's cell limit rather than failing the report;
//! - rendering: the formats ([`ReportFormat`]), choosing one from `Accept`, and the
//!   bytes and headers of the answer ([`render_report`]);
//! - constant memory (issue 21): every format is written as its rows are read, a page
//!   of activities at a time (`wpt_db::cycles::ReportPages`), after its head
//!   ([`ReportHead`]: the totals, from one aggregate query, and the board). JSON and CSV
//!   go to the socket as they are written ([`stream`]); the XLSX matrix is written in
//!   `rust_xlsxwriter`'s constant-memory mode and the paper into its zip as the pages
//!   come; only the finished file (about a megabyte) is held. [`build`] still makes
//!   the whole [`CycleReport`], for the on-screen report.

mod cache;
mod csv;
mod docx;
mod render;
mod stream;
mod xlsx;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_db::cycles::{ReportCount, ReportRow};
use wpt_domain::SubmissionStatus;
use wpt_domain::models::{Cycle, SubmissionEntry, SubmissionSummary};

pub use self::cache::ReportRenders;
pub use self::csv::{csv, csv_header, csv_rows, csv_writer, neutralise};
pub use self::docx::{DOCX, DRAFT_NOTICE, docx};
pub use self::render::{
    ReportFormat, ReportSource, head as load_head, load, negotiate, pages, render_report,
};
pub use self::stream::{BoxError, Encode, streamed};
pub use self::xlsx::{XLSX_CELL_MAX, fit_cell, xlsx};

/// The media type of XLSX workbooks (the report, and matrix imports).
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One body's part of an activity in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportBody {
    /// Body code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// `lead` or `cooperating`.
    #[schema(example = "lead")]
    pub role: String,
    /// The body's submission status for the cycle.
    pub submission_status: SubmissionStatus,
    /// Its accepted entry; `null` until its submission is accepted.
    pub entry: Option<SubmissionEntry>,
}

/// An activity in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportActivity {
    /// Activity id.
    pub id: Uuid,
    /// Code.
    #[schema(example = "A.a.1")]
    pub code: String,
    /// Title.
    #[schema(example = "Information campaign on safe migration at border checkpoints")]
    pub title: String,
    /// ACTIP/APA reference.
    #[schema(example = "ACTIP Art. 11; APA A.1")]
    pub actip_reference: Option<String>,
    /// Each assigned body, lead first.
    pub bodies: Vec<ReportBody>,
}

/// An area in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportArea {
    /// Code.
    #[schema(example = "A")]
    pub code: String,
    /// Title.
    #[schema(example = "Prevention of trafficking in persons")]
    pub title: String,
    /// Its activities, by code.
    pub activities: Vec<ReportActivity>,
}

/// Totals of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportTotals {
    /// Accepted entries by reported status.
    #[schema(example = json!({"on_track": 18, "at_risk": 4, "delayed": 2, "completed": 6}))]
    pub by_status: BTreeMap<String, i64>,
    /// Accepted entries and all (activity x body) rows by area.
    #[schema(example = json!({"A": {"rows": 12, "accepted": 10}, "B": {"rows": 9, "accepted": 9}}))]
    pub by_area: BTreeMap<String, AreaTotal>,
    /// Each body's submission.
    pub by_body: Vec<SubmissionSummary>,
}

/// Rows of one area.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AreaTotal {
    /// Activity x body rows.
    pub rows: i64,
    /// Of which accepted.
    pub accepted: i64,
}

/// The consolidated report of a cycle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CycleReport {
    /// The cycle.
    pub cycle: Cycle,
    /// When this report was produced.
    pub generated_at: DateTime<Utc>,
    /// Totals by status, area and body.
    pub totals: ReportTotals,
    /// Bodies that submitted after the due day.
    #[schema(example = json!(["SOMHD"]))]
    pub late_bodies: Vec<String>,
    /// Bodies past the due day without a submission.
    #[schema(example = json!(["SLOM"]))]
    pub missing_bodies: Vec<String>,
    /// Areas, then activities, then each body's accepted entry.
    pub areas: Vec<ReportArea>,
}

/// The codes of the board's bodies for which `pick` holds (late, missing), in board order.
fn bodies_where(
    board: &[SubmissionSummary],
    pick: impl Fn(&SubmissionSummary) -> bool,
) -> Vec<String> {
    board
        .iter()
        .filter(|b| pick(b))
        .map(|b| b.body.clone())
        .collect()
}

/// Builds the JSON report.
pub fn build(cycle: Cycle, rows: &[ReportRow], board: Vec<SubmissionSummary>) -> CycleReport {
    let mut by_status = BTreeMap::new();
    let mut by_area: BTreeMap<String, AreaTotal> = BTreeMap::new();
    let mut areas: Vec<ReportArea> = Vec::new();
    for r in rows {
        let total = by_area.entry(r.area.clone()).or_default();
        total.rows += 1;
        if let Some(e) = &r.entry {
            total.accepted += 1;
            *by_status.entry(e.status.as_str().to_owned()).or_insert(0) += 1;
        }
        if areas.last().is_none_or(|a| a.code != r.area) {
            if let Some(pos) = areas.iter().position(|a| a.code == r.area) {
                let area = areas.remove(pos);
                areas.push(area);
            } else {
                areas.push(ReportArea {
                    code: r.area.clone(),
                    title: r.area_title.clone(),
                    activities: Vec::new(),
                });
            }
        }
        let area = areas.last_mut().expect("pushed above");
        if area.activities.last().is_none_or(|a| a.id != r.activity_id) {
            area.activities.push(ReportActivity {
                id: r.activity_id,
                code: r.activity_code.clone(),
                title: r.activity_title.clone(),
                actip_reference: r.actip_reference.clone(),
                bodies: Vec::new(),
            });
        }
        let activity = area.activities.last_mut().expect("pushed above");
        activity.bodies.push(ReportBody {
            body: r.body.clone(),
            role: r.role.clone(),
            submission_status: r.submission_status,
            entry: r.entry.clone(),
        });
    }
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    CycleReport {
        late_bodies: bodies_where(&board, |b| b.late),
        missing_bodies: bodies_where(&board, |b| b.missing),
        cycle,
        generated_at: Utc::now(),
        totals: ReportTotals {
            by_status,
            by_area,
            by_body: board,
        },
        areas,
    }
}

/// What every format of the report writes before its rows: the cycle, the totals and
/// the late and missing bodies, from the aggregate counts and the board (no row read).
#[derive(Debug, Clone)]
pub struct ReportHead {
    /// The cycle.
    pub cycle: Cycle,
    /// When this report was produced.
    pub generated_at: DateTime<Utc>,
    /// Totals by status, area and body, as in [`CycleReport`].
    pub totals: ReportTotals,
    /// Bodies that submitted after their due day.
    pub late_bodies: Vec<String>,
    /// Bodies that have not submitted: past their due day, or by the close.
    pub missing_bodies: Vec<String>,
    /// Areas with rows, by code: their titles.
    pub area_titles: BTreeMap<String, String>,
    /// Accepted entries by status, per area code.
    pub area_statuses: BTreeMap<String, BTreeMap<String, i64>>,
    /// Accepted entries by status, per body code.
    pub body_statuses: BTreeMap<String, BTreeMap<String, i64>>,
}

/// The head of the report from its counts (`wpt_db::cycles::report_counts`) and board.
pub fn head(cycle: Cycle, counts: &[ReportCount], board: Vec<SubmissionSummary>) -> ReportHead {
    let mut by_status = BTreeMap::new();
    let mut by_area: BTreeMap<String, AreaTotal> = BTreeMap::new();
    let mut area_titles = BTreeMap::new();
    let mut area_statuses: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut body_statuses: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for c in counts {
        let total = by_area.entry(c.area.clone()).or_default();
        total.rows += c.rows;
        area_titles
            .entry(c.area.clone())
            .or_insert_with(|| c.area_title.clone());
        let per_area = area_statuses.entry(c.area.clone()).or_default();
        let per_body = body_statuses.entry(c.body.clone()).or_default();
        if let Some(status) = &c.status {
            total.accepted += c.rows;
            *by_status.entry(status.clone()).or_insert(0) += c.rows;
            *per_area.entry(status.clone()).or_insert(0) += c.rows;
            *per_body.entry(status.clone()).or_insert(0) += c.rows;
        }
    }
    ReportHead {
        late_bodies: bodies_where(&board, |b| b.late),
        missing_bodies: bodies_where(&board, |b| b.missing),
        cycle,
        generated_at: Utc::now(),
        totals: ReportTotals {
            by_status,
            by_area,
            by_body: board,
        },
        area_titles,
        area_statuses,
        body_statuses,
    }
}

/// Rows in area order nested as the report nests them: an area opens, its activities
/// follow, each with its bodies. Push rows in order; each call says what it completed.
#[derive(Debug, Default)]
pub(crate) struct Nest {
    area: Option<String>,
    activity: Option<ReportActivity>,
}

/// What [`Nest`] completed.
#[derive(Debug)]
pub(crate) enum Nested {
    /// A new area starts (code, title).
    Area(String, String),
    /// An activity with all its bodies.
    Activity(ReportActivity),
}

impl Nest {
    /// Takes one row; `out` receives what it completes, in order.
    pub(crate) fn push(&mut self, r: ReportRow, out: &mut Vec<Nested>) {
        if self.area.as_deref() != Some(r.area.as_str()) {
            out.extend(self.activity.take().map(Nested::Activity));
            out.push(Nested::Area(r.area.clone(), r.area_title.clone()));
            self.area = Some(r.area.clone());
        }
        if self
            .activity
            .as_ref()
            .is_some_and(|a| a.id != r.activity_id)
        {
            out.extend(self.activity.take().map(Nested::Activity));
        }
        let activity = self.activity.get_or_insert_with(|| ReportActivity {
            id: r.activity_id,
            code: r.activity_code.clone(),
            title: r.activity_title.clone(),
            actip_reference: r.actip_reference.clone(),
            bodies: Vec::new(),
        });
        activity.bodies.push(ReportBody {
            body: r.body,
            role: r.role,
            submission_status: r.submission_status,
            entry: r.entry,
        });
    }

    /// The last activity, at the end of the rows.
    pub(crate) fn finish(&mut self, out: &mut Vec<Nested>) {
        out.extend(self.activity.take().map(Nested::Activity));
    }
}

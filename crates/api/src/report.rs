//! The consolidated report of a cycle, as JSON, CSV and XLSX, from one set of rows.
//!
//! CSV and XLSX have one row per activity x body with stable ids; the XLSX has a
//! summary sheet and a matrix sheet laid out like the traditional reporting matrix,
//! with a frozen header, filters and status colours.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_db::cycles::ReportRow;
use wpt_domain::SubmissionStatus;
use wpt_domain::models::{Cycle, SubmissionEntry, SubmissionSummary};

/// The media type of XLSX workbooks (the report, and matrix imports).
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One body's part of an activity in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportBody {
    /// Body code.
    pub body: String,
    /// `lead` or `cooperating`.
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
    pub code: String,
    /// Title.
    pub title: String,
    /// ACTIP/APA reference.
    pub actip_reference: Option<String>,
    /// Each assigned body, lead first.
    pub bodies: Vec<ReportBody>,
}

/// An area in the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportArea {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Its activities, by code.
    pub activities: Vec<ReportActivity>,
}

/// Totals of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportTotals {
    /// Accepted entries by reported status.
    pub by_status: BTreeMap<String, i64>,
    /// Accepted entries and all (activity x body) rows by area.
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
    pub late_bodies: Vec<String>,
    /// Bodies past the due day without a submission.
    pub missing_bodies: Vec<String>,
    /// Areas, then activities, then each body's accepted entry.
    pub areas: Vec<ReportArea>,
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
        late_bodies: board
            .iter()
            .filter(|b| b.late)
            .map(|b| b.body.clone())
            .collect(),
        missing_bodies: board
            .iter()
            .filter(|b| b.missing)
            .map(|b| b.body.clone())
            .collect(),
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

const COLUMNS: [&str; 14] = [
    "activity_id",
    "area",
    "activity_code",
    "activity_title",
    "actip_reference",
    "body",
    "role",
    "submission_status",
    "status",
    "percent_complete",
    "narrative",
    "challenges",
    "next_steps",
    "evidence_urls",
];

fn cells(r: &ReportRow) -> [String; 14] {
    let e = r.entry.as_ref();
    [
        r.activity_id.to_string(),
        r.area.clone(),
        r.activity_code.clone(),
        r.activity_title.clone(),
        r.actip_reference.clone().unwrap_or_default(),
        r.body.clone(),
        r.role.clone(),
        r.submission_status.as_str().to_owned(),
        e.map(|e| e.status.as_str().to_owned()).unwrap_or_default(),
        e.and_then(|e| e.percent_complete)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        e.map(|e| e.narrative.clone()).unwrap_or_default(),
        e.and_then(|e| e.challenges.clone()).unwrap_or_default(),
        e.and_then(|e| e.next_steps.clone()).unwrap_or_default(),
        e.map(|e| e.evidence_urls.join(" ")).unwrap_or_default(),
    ]
}

/// One row per activity x body, with a header.
pub fn csv(rows: &[ReportRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(cells(r))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn status_colour(status: &str) -> Option<Color> {
    Some(match status {
        "completed" => Color::RGB(0xC6EFCE),
        "on_track" => Color::RGB(0xDDEBF7),
        "at_risk" => Color::RGB(0xFFEB9C),
        "delayed" => Color::RGB(0xFFC7CE),
        "discontinued" => Color::RGB(0xD9D9D9),
        _ => return None,
    })
}

/// A workbook with a `Summary` and a `Matrix` sheet.
pub fn xlsx(
    report: &CycleReport,
    rows: &[ReportRow],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x1F4E78))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let summary = book.add_worksheet().set_name("Summary")?;
    summary.write_string_with_format(
        0,
        0,
        format!("{} — consolidated report", report.cycle.name),
        &bold,
    )?;
    summary.write_string(
        1,
        0,
        format!(
            "Meeting {}; period {} to {}; due {}",
            report.cycle.meeting_date,
            report.cycle.period_start,
            report.cycle.period_end,
            report.cycle.due_on
        ),
    )?;
    summary.write_string_with_format(3, 0, "Body", &header)?;
    summary.write_string_with_format(3, 1, "Submission", &header)?;
    summary.write_string_with_format(3, 2, "Late", &header)?;
    summary.write_string_with_format(3, 3, "Missing", &header)?;
    let mut r = 4u32;
    for b in &report.totals.by_body {
        summary.write_string(r, 0, &b.body)?;
        summary.write_string(r, 1, b.status.as_str())?;
        summary.write_string(r, 2, if b.late { "late" } else { "" })?;
        summary.write_string(r, 3, if b.missing { "missing" } else { "" })?;
        r += 1;
    }
    r += 1;
    summary.write_string_with_format(r, 0, "Status", &header)?;
    summary.write_string_with_format(r, 1, "Accepted entries", &header)?;
    for (status, n) in &report.totals.by_status {
        r += 1;
        summary.write_string(r, 0, status)?;
        summary.write_number(r, 1, *n as f64)?;
    }
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 18)?;

    let matrix = book.add_worksheet().set_name("Matrix")?;
    let titles = [
        "Activity id",
        "Area",
        "Code",
        "Programme / project / activity",
        "ACTIP / APA reference",
        "Sectoral body",
        "Role",
        "Submission",
        "Implementation status",
        "% complete",
        "Progress",
        "Challenges",
        "Next steps",
        "Evidence",
    ];
    for (c, t) in titles.iter().enumerate() {
        matrix.write_string_with_format(0, c as u16, *t, &header)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let line = i as u32 + 1;
        for (c, value) in cells(row).iter().enumerate() {
            if c == 8
                && let Some(colour) = status_colour(value)
            {
                matrix.write_string_with_format(
                    line,
                    c as u16,
                    value,
                    &Format::new().set_background_color(colour),
                )?;
            } else {
                matrix.write_string(line, c as u16, value)?;
            }
        }
    }
    matrix.set_freeze_panes(1, 0)?;
    matrix.autofilter(0, 0, rows.len() as u32, (titles.len() - 1) as u16)?;
    for (c, w) in [
        (0u16, 38.0),
        (3, 48.0),
        (4, 20.0),
        (8, 20.0),
        (10, 60.0),
        (11, 40.0),
        (12, 40.0),
    ] {
        matrix.set_column_width(c, w)?;
    }
    book.save_to_buffer()
}

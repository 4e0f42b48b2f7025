//! The report as an XLSX workbook: a `Summary` sheet and a `Matrix` sheet.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
use wpt_db::cycles::ReportRow;

use super::CycleReport;
use super::csv::cells;

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

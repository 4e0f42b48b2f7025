//! The report as an XLSX workbook: a `Summary` sheet and a `Matrix` sheet.
//!
//! Every text cell is written with `write_string*` (a string cell, never read as a
//! formula, so user text needs no `'` prefix here) through [`text`], which keeps it
//! within Excel's cell limit ([`fit_cell`]): no text a user wrote can fail the
//! workbook. Sheet names are fixed; no links or formulas are written.

use std::borrow::Cow;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use wpt_db::cycles::ReportRow;

use super::ReportHead;
use super::csv::cells;

/// Excel's limit on the text of one cell, in UTF-16 code units (what Excel counts: a
/// character outside the Basic Multilingual Plane, an emoji, is two).
pub const XLSX_CELL_MAX: usize = 32_767;

/// What ends a truncated cell: `omitted` characters (Unicode scalar values, the unit
/// the tracker's own length limits count) were left out.
fn truncation_marker(omitted: usize) -> String {
    format!("… [truncated: {omitted} more characters; full text in the JSON report]")
}

/// `text` as it fits in one cell: as it is when it is within [`XLSX_CELL_MAX`] UTF-16
/// units; otherwise as much of it as fits, cut at a character boundary, followed by a
/// visible [`truncation_marker`], the whole within the limit.
pub fn fit_cell(text: &str) -> Cow<'_, str> {
    if text.encode_utf16().count() <= XLSX_CELL_MAX {
        return Cow::Borrowed(text);
    }
    let total = text.chars().count();
    // The marker for `total` is at least as long as the one for what is left out.
    let budget = XLSX_CELL_MAX.saturating_sub(truncation_marker(total).encode_utf16().count());
    let (mut units, mut end, mut kept) = (0, 0, 0);
    for (i, c) in text.char_indices() {
        if units + c.len_utf16() > budget {
            break;
        }
        units += c.len_utf16();
        end = i + c.len_utf8();
        kept += 1;
    }
    Cow::Owned(format!(
        "{}{}",
        &text[..end],
        truncation_marker(total - kept)
    ))
}

/// Writes `value` as a string cell, fitted to Excel's limit.
fn text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    let value = fit_cell(value);
    match format {
        Some(f) => sheet.write_string_with_format(row, col, value.as_ref(), f)?,
        None => sheet.write_string(row, col, value.as_ref())?,
    };
    Ok(())
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

/// The Late and Missing cells of a body on the summary sheet.
fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

/// A workbook with a `Summary` and a `Matrix` sheet: the summary from the report's
/// head, the matrix from `rows` as they come (in activity code order), written in
/// `rust_xlsxwriter`'s constant-memory mode: each row goes to a temporary file once the
/// next begins, so the workbook holds one row, not the matrix.
pub fn xlsx(
    report: &ReportHead,
    rows: impl IntoIterator<Item = ReportRow>,
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
    text(
        summary,
        0,
        0,
        &format!("{} — consolidated report", report.cycle.name),
        Some(&bold),
    )?;
    text(
        summary,
        1,
        0,
        &format!(
            "Meeting {}; period {} to {}; due {}",
            report.cycle.meeting_date,
            report.cycle.period_start,
            report.cycle.period_end,
            report.cycle.due_on
        ),
        None,
    )?;
    for (c, t) in ["Body", "Submission", "Late", "Missing"].iter().enumerate() {
        text(summary, 3, c as u16, t, Some(&header))?;
    }
    let mut r = 4u32;
    // The board's truth (`wpt_domain::deadline`): late is submitted after the body's due
    // day (its extension counted), missing is not submitted past it or by the close.
    for b in &report.totals.by_body {
        text(summary, r, 0, &b.body, None)?;
        text(summary, r, 1, b.status.as_str(), None)?;
        text(summary, r, 2, yes_no(b.late), None)?;
        text(summary, r, 3, yes_no(b.missing), None)?;
        r += 1;
    }
    r += 1;
    text(summary, r, 0, "Status", Some(&header))?;
    text(summary, r, 1, "Accepted entries", Some(&header))?;
    for (status, n) in &report.totals.by_status {
        r += 1;
        text(summary, r, 0, status, None)?;
        summary.write_number(r, 1, *n as f64)?;
    }
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 18)?;

    let matrix = book
        .add_worksheet_with_constant_memory()?
        .set_name("Matrix")?;
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
        "Evidence files",
    ];
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
    matrix.set_freeze_panes(1, 0)?;
    for (c, t) in titles.iter().enumerate() {
        text(matrix, 0, c as u16, t, Some(&header))?;
    }
    let colours: Vec<(&str, Format)> = [
        "completed",
        "on_track",
        "at_risk",
        "delayed",
        "discontinued",
    ]
    .into_iter()
    .filter_map(|s| status_colour(s).map(|c| (s, Format::new().set_background_color(c))))
    .collect();
    let mut line = 0u32;
    for row in rows {
        line += 1;
        for (c, value) in cells(&row).iter().enumerate() {
            // The implementation status, coloured.
            let colour = if c == 8 {
                colours.iter().find(|(s, _)| s == value).map(|(_, f)| f)
            } else {
                None
            };
            text(matrix, line, c as u16, value, colour)?;
        }
    }
    matrix.autofilter(0, 0, line, (titles.len() - 1) as u16)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_within_the_limit_is_kept_as_it_is() {
        let text = "😀".repeat(XLSX_CELL_MAX / 2);
        assert!(matches!(fit_cell(&text), Cow::Borrowed(t) if t == text));
        assert!(matches!(fit_cell(""), Cow::Borrowed("")));
    }

    #[test]
    fn text_over_the_limit_is_cut_at_a_character_with_a_marker() {
        for text in [
            "😀".repeat(19_000),
            "a".repeat(XLSX_CELL_MAX + 1),
            format!("{}😀", "a".repeat(XLSX_CELL_MAX - 1)),
            "é😀".repeat(20_000),
        ] {
            let fitted = fit_cell(&text);
            let units = fitted.encode_utf16().count();
            assert!(units <= XLSX_CELL_MAX, "{units}");
            assert!(units > XLSX_CELL_MAX - 100, "{units}");
            let (kept, marker) = fitted.split_once("… [truncated: ").expect("marker");
            assert!(text.starts_with(kept));
            let omitted = text.chars().count() - kept.chars().count();
            assert_eq!(
                marker,
                format!("{omitted} more characters; full text in the JSON report]")
            );
        }
    }
}

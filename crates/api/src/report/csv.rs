//! The report as CSV: one row per activity x body, with a header. The XLSX matrix sheet
//! has the same cells.
//!
//! A CSV is opened in a spreadsheet, which runs a cell starting with `=` (and the other
//! formula triggers) as a formula: every CSV the tracker writes goes through [`csv_writer`]
//! (every field quoted) and [`neutralise`] (formula-looking text prefixed with `'`;
//! `wpt_domain::spreadsheet`, which the matrix import reads back); see
//! docs/security.md, "Exports".

use wpt_db::cycles::ReportRow;

const COLUMNS: [&str; 15] = [
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
    "attachments",
];

/// The column of [`COLUMNS`] holding a number the tracker writes (0 to 100, never
/// negative): not a text cell, so never prefixed.
const PERCENT_COMPLETE: usize = 9;

pub use wpt_domain::spreadsheet::neutralise;

/// A CSV writer into memory that quotes every field; the one way the tracker starts a
/// CSV (text cells still go through [`neutralise`]).
pub fn csv_writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .from_writer(Vec::new())
}

/// The cells of one row, in the order of the CSV columns, as they are (the XLSX writes
/// them as strings; the CSV neutralises them).
pub(super) fn cells(r: &ReportRow) -> [String; 15] {
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
        // The evidence files by name (the bytes: `/api/v1/attachments/{id}/content`).
        e.map(|e| {
            e.attachments
                .iter()
                .map(|a| a.filename.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default(),
    ]
}

/// One row per activity x body, with a header; every field quoted, every text cell
/// neutralised.
pub fn csv(rows: &[ReportRow]) -> Result<Vec<u8>, ::csv::Error> {
    let mut bytes = csv_header()?;
    bytes.extend(csv_rows(rows)?);
    Ok(bytes)
}

/// The CSV's header line.
pub fn csv_header() -> Result<Vec<u8>, ::csv::Error> {
    let mut w = csv_writer();
    for column in COLUMNS {
        w.write_field(neutralise(column).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}

/// The CSV's lines of `rows` (a page of them: the report is written as it is read).
pub fn csv_rows(rows: &[ReportRow]) -> Result<Vec<u8>, ::csv::Error> {
    let mut w = csv_writer();
    for r in rows {
        for (i, cell) in cells(r).iter().enumerate() {
            if i == PERCENT_COMPLETE {
                w.write_field(cell)?;
            } else {
                w.write_field(neutralise(cell).as_bytes())?;
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_quoted() {
        let mut w = csv_writer();
        w.write_record(["a", "", "=1"].map(|t| neutralise(t).into_owned()))
            .expect("write");
        let bytes = w.into_inner().expect("bytes");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "\"a\",\"\",\"'=1\"\n"
        );
    }
}

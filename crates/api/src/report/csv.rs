//! The report as CSV: one row per activity x body, with a header. The XLSX matrix sheet
//! has the same cells.

use wpt_db::cycles::ReportRow;

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

/// The cells of one row, in the order of the CSV columns.
pub(super) fn cells(r: &ReportRow) -> [String; 14] {
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
pub fn csv(rows: &[ReportRow]) -> Result<Vec<u8>, ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(cells(r))?;
    }
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}

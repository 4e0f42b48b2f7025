//! The pages' CSV of the consolidated report, for people who open it in Excel or
//! LibreOffice: a UTF-8 byte-order mark first (without it Excel reads Thai, Vietnamese
//! or Khmer text as mojibake), headers in words, statuses and roles in words, the
//! activity's id last. The API's CSV (`GET /api/v1/cycles/{id}/report?format=csv`)
//! keeps its codes for programs. Same rows, same formula neutralising
//! (`wpt_api::report::neutralise`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use wpt_api::AppState;
use wpt_db::cycles::{ReportPages, ReportRow};
use wpt_domain::models::Cycle;

use crate::html::{self, PageError};

/// The byte-order mark that tells spreadsheets the file is UTF-8.
pub const BOM: &str = "\u{feff}";

const HEADERS: [&str; 14] = [
    "Area",
    "Activity code",
    "Activity",
    "ACTIP / APA reference",
    "Body",
    "Role",
    "Report status",
    "Status",
    "Percent complete",
    "What was done",
    "Challenges",
    "Next steps",
    "Evidence links",
    "Activity id",
];

fn role_word(role: &str) -> &str {
    match role {
        "lead" => "Lead",
        "cooperating" => "Cooperating",
        other => other,
    }
}

/// The CSV's bytes, whole (the download streams them: [`response`]).
#[cfg(test)]
pub fn readable_csv(rows: &[ReportRow]) -> Result<Vec<u8>, String> {
    let mut bytes = readable_header()?;
    bytes.extend(readable_rows(rows)?);
    Ok(bytes)
}

/// The byte-order mark and the header line.
fn readable_header() -> Result<Vec<u8>, String> {
    let mut w = wpt_api::report::csv_writer();
    w.write_record(HEADERS).map_err(|e| e.to_string())?;
    let body = w.into_inner().map_err(|e| e.to_string())?;
    let mut bytes = BOM.as_bytes().to_vec();
    bytes.extend(body);
    Ok(bytes)
}

/// The lines of `rows` (a page of them: the CSV is written as it is read).
fn readable_rows(rows: &[ReportRow]) -> Result<Vec<u8>, String> {
    let mut w = wpt_api::report::csv_writer();
    let text = |s: &str| wpt_api::report::neutralise(s).into_owned();
    for r in rows {
        let e = r.entry.as_ref();
        let record = [
            text(&format!("{} {}", r.area, r.area_title)),
            text(&r.activity_code),
            text(&r.activity_title),
            text(r.actip_reference.as_deref().unwrap_or_default()),
            text(&r.body),
            role_word(&r.role).to_owned(),
            html::submission_word(r.submission_status).to_owned(),
            e.map(|e| html::status_word(e.status).to_owned())
                .unwrap_or_default(),
            e.and_then(|e| e.percent_complete)
                .map(|p| p.to_string())
                .unwrap_or_default(),
            text(e.map(|e| e.narrative.as_str()).unwrap_or_default()),
            text(e.and_then(|e| e.challenges.as_deref()).unwrap_or_default()),
            text(e.and_then(|e| e.next_steps.as_deref()).unwrap_or_default()),
            text(&e.map(|e| e.evidence_urls.join(" ")).unwrap_or_default()),
            r.activity_id.to_string(),
        ];
        w.write_record(&record).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// The readable CSV, a page of rows at a time.
struct Readable;

impl wpt_api::report::Encode for Readable {
    fn page(&mut self, rows: Vec<ReportRow>) -> Result<Vec<u8>, wpt_api::report::BoxError> {
        Ok(readable_rows(&rows)?)
    }

    fn end(&mut self) -> Result<Vec<u8>, wpt_api::report::BoxError> {
        Ok(Vec::new())
    }
}

/// A file name that reads well: "30th SOMTC - consolidated report.csv" (ASCII letters,
/// digits, spaces and dashes kept; the rest become dashes).
pub fn file_name(cycle: &Cycle, ext: &str) -> String {
    let name: String = cycle
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == ' ' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{} - consolidated report.{ext}", name.trim())
}

/// The download's response: the rows of `pages` written to the socket as they are read
/// (issue 21: constant memory); `pages` was opened, so the cycle exists, before the
/// first byte.
pub fn response(state: &AppState, cycle: &Cycle, pages: ReportPages) -> Response {
    let first = match readable_header() {
        Ok(first) => first,
        Err(e) => {
            tracing::error!(error = %e, "report CSV");
            return PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The CSV could not be written; it has been logged.",
            )
            .into_response();
        }
    };
    let body = Body::from_stream(wpt_api::report::streamed(
        state.db.clone(),
        pages,
        first,
        Readable,
    ));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!(
                    "attachment; filename=\"{}\"",
                    file_name(cycle, "csv")
                ))
                .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wpt_domain::models::SubmissionEntry;
    use wpt_domain::{ProgressStatus, SubmissionStatus};

    #[test]
    fn thai_and_vietnamese_text_comes_after_a_bom_with_words_for_codes() {
        let entry = SubmissionEntry {
            activity_id: uuid::Uuid::nil(),
            activity_code: "A.1".into(),
            activity_title: "T".into(),
            status: ProgressStatus::OnTrack,
            percent_complete: Some(40),
            narrative: "จัดอบรมเจ้าหน้าที่ · Tập huấn cán bộ".into(),
            challenges: Some("=HYPERLINK(\"x\")".into()),
            next_steps: None,
            evidence_urls: Vec::new(),
            attachments: Vec::new(),
            updated_by: None,
            updated_at: chrono::Utc::now(),
            amended: false,
            changes_since_return: None,
        };
        assert_eq!(entry.status, ProgressStatus::OnTrack);
        let row = ReportRow {
            activity_id: uuid::Uuid::nil(),
            activity_code: "A.1".into(),
            activity_title: "Training".into(),
            area: "A".into(),
            area_title: "Prevention".into(),
            actip_reference: None,
            body: "DGICM".into(),
            role: "lead".into(),
            submission_status: SubmissionStatus::Accepted,
            entry: Some(entry),
        };
        let bytes = readable_csv(&[row]).expect("csv");
        assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]));
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(
            text.contains(
                "\"Lead\",\"Accepted\",\"On track\",\"40\",\"จัดอบรมเจ้าหน้าที่ · Tập huấn cán bộ\""
            ),
            "{text}"
        );
        assert!(
            text.contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "neutralised: {text}"
        );
    }
}

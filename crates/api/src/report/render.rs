//! The report's formats, choosing one from a request, and the answer in each: what
//! `GET /api/v1/cycles/{id}/report` and the web pages' downloads both send.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_db::cycles::ReportRow;
use wpt_db::{Database, DbResult};
use wpt_domain::Actor;
use wpt_domain::models::{Cycle, SubmissionSummary};

use super::{DOCX, XLSX};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Json;

/// A report format.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// CSV, one row per activity x body.
    Csv,
    /// An Excel workbook: summary and matrix.
    Xlsx,
    /// A Word document: the meeting paper.
    Docx,
}

/// The format asked for: `?format=` when given, else the first media type of `Accept`
/// that the report comes in (no `Accept` means JSON); none of them is a 406.
pub fn negotiate(q: Option<ReportFormat>, headers: &HeaderMap) -> Result<ReportFormat, ApiError> {
    if let Some(f) = q {
        return Ok(f);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    for part in accept.split(',') {
        let mime = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" | "*/*" | "application/*" => return Ok(ReportFormat::Json),
            "text/csv" | "text/*" => return Ok(ReportFormat::Csv),
            m if m == XLSX => return Ok(ReportFormat::Xlsx),
            m if m == DOCX => return Ok(ReportFormat::Docx),
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorCode::NotAcceptable,
        format!("the report is available as application/json, text/csv, {XLSX} or {DOCX}"),
    ))
}

/// What every rendering of a cycle's report starts from.
#[derive(Debug)]
pub struct ReportSource {
    /// The cycle.
    pub cycle: Cycle,
    /// One row per activity x body.
    pub rows: Vec<ReportRow>,
    /// Each participating body's submission.
    pub board: Vec<SubmissionSummary>,
}

/// Reads cycle `id`, its report rows and its board as `actor` may read them (any
/// authenticated caller may read the report; the review of each body's report is left
/// out for those the policy does not show it to).
pub async fn load(db: &Database, actor: &Actor, id: Uuid) -> DbResult<ReportSource> {
    let cycle = wpt_db::cycles::get(db, id).await?;
    let rows = wpt_db::cycles::report_rows(db.conn(), id).await?;
    let board = wpt_db::cycles::board(db, actor, id, None).await?;
    Ok(ReportSource { cycle, rows, board })
}

/// The consolidated report of cycle `id` in `format`, as `GET /cycles/{id}/report` and
/// the web pages' downloads answer it (any authenticated caller may read it): cached by
/// the audit position, rendered in one of the bounded render slots (`super::cache`).
pub async fn render_report(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    let position = wpt_db::audit::position(&state.db).await?;
    state
        .reports
        .answer(
            actor,
            id,
            format,
            position,
            render(state, actor, id, format),
        )
        .await
}

/// Renders the report now, whatever the cache holds.
async fn render(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    let ReportSource { cycle, rows, board } = load(&state.db, actor, id).await?;
    let name = cycle
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    let disposition = |ext: &str| {
        HeaderValue::from_str(&format!("attachment; filename=\"report-{name}.{ext}\""))
            .unwrap_or(HeaderValue::from_static("attachment"))
    };
    Ok(match format {
        ReportFormat::Json => Json(super::build(cycle, &rows, board)).into_response(),
        ReportFormat::Csv => {
            let bytes = super::csv(&rows).map_err(ApiError::internal)?;
            (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition("csv")),
                ],
                bytes,
            )
                .into_response()
        }
        ReportFormat::Xlsx => {
            let report = super::build(cycle, &rows, board);
            let bytes = tokio::task::spawn_blocking(move || super::xlsx(&report, &rows))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(XLSX)),
                    (header::CONTENT_DISPOSITION, disposition("xlsx")),
                ],
                bytes,
            )
                .into_response()
        }
        ReportFormat::Docx => {
            // What the paper adds to the rows, through the reader's lens: a viewer's
            // signals from accepted reports, and no indicator actuals for a viewer.
            let paper = wpt_db::cycles::paper(
                &state.db,
                &cycle,
                wpt_domain::policy::lens(actor),
                wpt_domain::policy::reads_unaccepted(actor).is_ok(),
            )
            .await?;
            let report = super::build(cycle, &rows, board);
            // The report holds what the paper needs; the rows need not stay alongside.
            drop(rows);
            let bytes = tokio::task::spawn_blocking(move || super::docx(&report, &paper))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(DOCX)),
                    (header::CONTENT_DISPOSITION, disposition("docx")),
                ],
                bytes,
            )
                .into_response()
        }
    })
}

//! The report's formats, choosing one from a request, and the answer in each: what
//! `GET /api/v1/cycles/{id}/report` and the web pages' downloads both send.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_db::cycles::{REPORT_PAGE, ReportOrder, ReportPages, ReportRow};
use wpt_db::{Database, DbError, DbResult};
use wpt_domain::Actor;
use wpt_domain::models::{Cycle, SubmissionSummary};

use super::cache::Rendering;
use super::stream::{CsvReport, JsonReport, streamed_in};
use super::{DOCX, ReportHead, XLSX};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};

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
/// the audit position, rendered in one of the bounded render slots (`super::cache`),
/// written as its rows are read (`super::stream`).
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

/// The head of cycle `id`'s report as `actor` reads it: the cycle (404 when there is
/// none), its counts and its board.
pub async fn head(db: &Database, actor: &Actor, id: Uuid) -> DbResult<ReportHead> {
    let cycle = wpt_db::cycles::get(db, id).await?;
    let counts = wpt_db::cycles::report_counts(db.conn(), id).await?;
    let board = wpt_db::cycles::board(db, actor, id, None).await?;
    Ok(super::head(cycle, &counts, board))
}

/// Starts reading cycle `id`'s report rows in `order`, a page of activities at a time
/// (`NotFound` for a cycle that does not exist).
pub async fn pages(db: &Database, id: Uuid, order: ReportOrder) -> DbResult<ReportPages> {
    ReportPages::open(db.conn(), id, order, REPORT_PAGE).await
}

/// `attachment; filename="report-{name}.{ext}"`.
fn disposition(cycle: &Cycle, ext: &str) -> HeaderValue {
    let name = cycle
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    HeaderValue::from_str(&format!("attachment; filename=\"report-{name}.{ext}\""))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

/// Feeds the pages of `pages` to `write`, which runs on the blocking pool and takes
/// the rows as an iterator; a page is read only when the writer has taken the last.
/// A database error fails the whole answer (nothing has been sent yet).
async fn fed<T, F>(db: &Database, mut pages: ReportPages, write: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Iterator<Item = ReportRow>) -> T + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ReportRow>>(1);
    let writer = tokio::task::spawn_blocking(move || {
        let mut rows = std::iter::from_fn(move || rx.blocking_recv()).flatten();
        write(&mut rows)
    });
    let read = async {
        while let Some(page) = pages.next(db.conn()).await? {
            if tx.send(page).await.is_err() {
                // The writer stopped early (it failed): its error is the answer.
                break;
            }
        }
        drop(tx);
        Ok::<(), DbError>(())
    }
    .await;
    let written = writer.await.map_err(ApiError::internal)?;
    read?;
    Ok(written)
}

/// Renders the report now, whatever the cache holds: everything that can fail as bad
/// input (the cycle) fails here, before the answer starts.
async fn render(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    format: ReportFormat,
) -> Result<Rendering, ApiError> {
    let db = &state.db;
    let head = head(db, actor, id).await?;
    let order = match format {
        ReportFormat::Json | ReportFormat::Docx => ReportOrder::Area,
        ReportFormat::Csv | ReportFormat::Xlsx => ReportOrder::Code,
    };
    let pages = pages(db, id, order).await?;
    Ok(match format {
        ReportFormat::Json => {
            let first = JsonReport::head(&head).map_err(ApiError::internal)?;
            Rendering::streamed(HeaderValue::from_static("application/json"), None, {
                let db = db.clone();
                move |reading| streamed_in(db, pages, first, JsonReport::default(), reading)
            })
        }
        ReportFormat::Csv => {
            let first = super::csv_header().map_err(ApiError::internal)?;
            Rendering::streamed(
                HeaderValue::from_static("text/csv; charset=utf-8"),
                Some(disposition(&head.cycle, "csv")),
                {
                    let db = db.clone();
                    move |reading| streamed_in(db, pages, first, CsvReport, reading)
                },
            )
        }
        ReportFormat::Xlsx => {
            let d = disposition(&head.cycle, "xlsx");
            let bytes = fed(db, pages, move |rows| super::xlsx(&head, rows))
                .await?
                .map_err(ApiError::internal)?;
            Rendering::whole(HeaderValue::from_static(XLSX), Some(d), bytes)
        }
        ReportFormat::Docx => {
            // What the paper adds to the rows, through the reader's lens: a viewer's
            // signals from accepted reports, and no indicator actuals for a viewer.
            let paper = wpt_db::cycles::paper(
                db,
                &head.cycle,
                wpt_domain::policy::lens(actor),
                wpt_domain::policy::reads_unaccepted(actor).is_ok(),
            )
            .await?;
            let d = disposition(&head.cycle, "docx");
            let bytes = fed(db, pages, move |rows| super::docx(&head, &paper, rows))
                .await?
                .map_err(ApiError::internal)?;
            Rendering::whole(HeaderValue::from_static(DOCX), Some(d), bytes)
        }
    })
}

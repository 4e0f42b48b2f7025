//! The plan's matrix as a file (`GET /api/v1/work-plans/{id}/matrix` and the import
//! page's downloads): CSV or XLSX with the rows of `wpt_db::import::matrix`, in the
//! columns the matrix import reads, so that importing the file unchanged changes
//! nothing.
//!
//! The CSV is written like every CSV of the tracker ([`csv_writer`], every text cell
//! [`neutralise`]d; the import reads the neutralised text back); the XLSX writes every
//! cell as a string (never a formula, no `'` prefix), fitted to Excel's cell limit.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_db::import::{MATRIX_HEADER, MatrixRow};
use wpt_domain::Actor;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::report::{XLSX, csv_writer, fit_cell, neutralise};

/// A format of the matrix.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MatrixFormat {
    /// Comma-separated values, every field quoted and every text cell neutralised.
    Csv,
    /// An Excel workbook with one sheet, `Matrix`.
    Xlsx,
}

/// The format asked for: `?format=` when given, else the first media type of `Accept`
/// the matrix comes in (no `Accept`, or `*/*`, means XLSX); none of them is a 406.
pub fn negotiate(q: Option<MatrixFormat>, headers: &HeaderMap) -> Result<MatrixFormat, ApiError> {
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
            "text/csv" | "text/*" => return Ok(MatrixFormat::Csv),
            "*/*" | "application/*" => return Ok(MatrixFormat::Xlsx),
            m if m == XLSX => return Ok(MatrixFormat::Xlsx),
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorCode::NotAcceptable,
        format!("the matrix is available as text/csv or {XLSX}"),
    ))
}

/// The matrix as CSV: the header, then one row per activity.
pub fn csv(rows: &[MatrixRow]) -> Result<Vec<u8>, ::csv::Error> {
    let mut w = csv_writer();
    w.write_record(MATRIX_HEADER.map(|c| neutralise(c).into_owned()))?;
    for r in rows {
        w.write_record(r.cells.iter().map(|c| neutralise(c).into_owned()))?;
    }
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}

/// The matrix as a workbook of one sheet, `Matrix`, with a frozen header.
pub fn xlsx(rows: &[MatrixRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x1F4E78))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    let sheet = book.add_worksheet().set_name("Matrix")?;
    for (c, title) in MATRIX_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &header)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.cells.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string_with_format(r, c as u16, fit_cell(cell).as_ref(), &wrap)?;
            }
        }
    }
    for (c, width) in [10, 6, 22, 36, 40, 32, 14, 24, 16, 12, 12]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// The matrix of plan `id` in `format`, as `actor` reads it (the implementation status
/// through the viewer lens), with a file name from the plan's code.
pub async fn render_matrix(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    format: MatrixFormat,
) -> Result<Response, ApiError> {
    let plan = wpt_db::work_plans::get(&state.db, id).await?;
    // In one of the reports' render slots: many matrix downloads at once wait briefly,
    // then get 503 with Retry-After, like the report's downloads.
    let _slot = state.reports.slot("matrix rendering").await?;
    let rows = wpt_db::import::matrix(&state.db, id, wpt_domain::policy::lens(actor)).await?;
    let name: String = plan
        .code
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (media, ext, bytes) = match format {
        MatrixFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            csv(&rows).map_err(ApiError::internal)?,
        ),
        MatrixFormat::Xlsx => (
            XLSX,
            "xlsx",
            tokio::task::spawn_blocking(move || xlsx(&rows))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?,
        ),
    };
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"matrix-{name}.{ext}\""))
            .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

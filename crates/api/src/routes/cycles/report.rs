//! `GET /cycles/{id}/report`: the consolidated report in the format the request asks
//! for. The report itself (model, formats, rendering) lives in [`crate::report`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::report::{CycleReport, ReportFormat, negotiate, render_report};

/// The report's format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json`, `csv`, `xlsx` or `docx`; overrides `Accept`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// The consolidated report
///
/// Areas, then activities, then each body's accepted entry, with totals by status, area
/// and body, and the late and missing bodies. As JSON, CSV (one row per activity x
/// body, stable ids), XLSX (summary and matrix sheets) or DOCX (the meeting paper: a
/// Word document with a cover, the summary, each area's activities and entries, and an
/// annex of overdue milestones and indicators; "Draft: not all reports accepted" on
/// every page until the cycle is closed, then its edition's SHA-256), by `Accept` or
/// `?format=`.
///
/// A rendered report is kept until the next write (by the audit position) and served
/// again without rendering; at most `WPT_REPORT_RENDERS` renders run at once, and one
/// that cannot start within 2 s is a 503 with `Retry-After`.
///
/// Who may call: any authenticated caller. Review content in the per-body totals is for
/// administrators, the secretariat and each body's own officers only; a viewer's DOCX
/// leaves out the indicators' actuals. Changes nothing.
#[utoipa::path(get, path = "/cycles/{id}/report", tag = "cycles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (CycleReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        )),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable format", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad format", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every report render slot is busy (`WPT_REPORT_RENDERS`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = negotiate(q.format, &headers)?;
    render_report(&state, &actor, id, format).await
}

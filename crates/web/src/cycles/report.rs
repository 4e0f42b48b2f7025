//! `/ui/cycles/{id}/report`: the consolidated report on screen, and its CSV, XLSX and
//! DOCX (the meeting paper) downloads; the report comes from `wpt_api::report`, as the API's does.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_api::error::http_status;
use wpt_api::report::ReportFormat;
use wpt_db::cycles::ReportOrder;

use super::entry_readonly;
use crate::html::{self, PageError, Section, page, submission_badge, when};
use crate::session::Viewer;

/// `GET /ui/cycles/{id}/report`: the consolidated report on screen, with downloads.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let source = wpt_api::report::load(&state.db, &viewer.actor, id).await?;
    let report = wpt_api::report::build(source.cycle, &source.rows, source.board);
    Ok(page(
        &viewer,
        Section::Cycles,
        &format!("Consolidated report: {}", report.cycle.name),
        html! {
            p.actions {
                a.button href={"/ui/cycles/" (id) "/report.csv"} download { "Download CSV" }
                a.button href={"/ui/cycles/" (id) "/report.xlsx"} download { "Download XLSX" }
                a.button href={"/ui/cycles/" (id) "/report.docx"} download { "Download meeting paper (Word)" }
            }
            p { "Generated " (when(report.generated_at)) ". Only accepted entries are shown; the rest say where the body's report stands." }
            @if !report.late_bodies.is_empty() { p { strong { "Late: " } (report.late_bodies.join(", ")) } }
            @if !report.missing_bodies.is_empty() { p { strong { "Missing: " } (report.missing_bodies.join(", ")) } }
            table #report-totals {
                caption { "Accepted entries by area" }
                thead { tr { th scope="col" { "Area" } th scope="col" class="num" { "Entries (one per activity and body)" } th scope="col" class="num" { "Accepted" } } }
                tbody {
                    @for (area, t) in &report.totals.by_area {
                        tr { th scope="row" { (area) } td.num { (t.rows) } td.num { (t.accepted) } }
                    }
                }
            }
            @for area in &report.areas {
                h2 { "Area " (area.code) ": " (area.title) }
                table {
                    caption { "Area " (area.code) " activities and each body's accepted entry" }
                    thead { tr { th scope="col" { "Activity" } th scope="col" { "Body" } th scope="col" { "Report" } th scope="col" { "Entry" } } }
                    tbody {
                        @for a in &area.activities {
                            @for (i, b) in a.bodies.iter().enumerate() {
                                tr {
                                    @if i == 0 { th scope="row" rowspan=(a.bodies.len()) { (a.code) " " (a.title) } }
                                    td { (b.body) " (" (b.role) ")" }
                                    td { (submission_badge(b.submission_status)) }
                                    td { @match &b.entry { Some(e) => (entry_readonly(e)), None => "—" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/report.csv`.
///
/// The pages' own CSV, for spreadsheets: a byte-order mark, headers and statuses in
/// words (`super::csv`); the API's keeps its codes.
pub async fn report_csv(
    State(state): State<AppState>,
    // Any signed-in reader (the extractor refuses the rest).
    _viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    let opened = async {
        let cycle = wpt_db::cycles::get(&state.db, id).await?;
        let pages = wpt_api::report::pages(&state.db, id, ReportOrder::Code).await?;
        Ok::<_, wpt_db::DbError>((cycle, pages))
    };
    match opened.await {
        Ok((cycle, pages)) => super::csv::response(&state, &cycle, pages),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `GET /ui/cycles/{id}/report.xlsx`.
pub async fn report_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, &viewer, id, ReportFormat::Xlsx).await
}

/// `GET /ui/cycles/{id}/report.docx`: the meeting paper.
pub async fn report_docx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, &viewer, id, ReportFormat::Docx).await
}

async fn download(state: &AppState, viewer: &Viewer, id: Uuid, format: ReportFormat) -> Response {
    match wpt_api::report::render_report(state, &viewer.actor, id, format).await {
        Ok(r) => r,
        Err(e) => html::error_page(http_status(e.code()), &e.problem().detail),
    }
}

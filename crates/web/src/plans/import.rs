//! `/ui/plans/{id}/import` (secretariat and administrators): upload the matrix as CSV or
//! XLSX, see what importing it would do, confirm, and download the current matrix.
//!
//! - The upload (`POST .../import/preview`, a `multipart/form-data` form that needs no
//!   script) runs the import with `dry_run` (`wpt_db::import::import`, the use case of
//!   `POST /api/v1/work-plans/{id}/import`, rolled back), so the preview is what the
//!   import does: rows to create, rows to change with each field before and after, the
//!   unchanged count, or every error by spreadsheet row and column. Nothing is written.
//! - The previewed file is held in this process for [`HELD_FOR`] under its SHA-256, for
//!   the person and plan that uploaded it ([`held`]); the confirm form (`POST
//!   .../import`) names it by that hash, and the import runs on exactly the bytes that
//!   were previewed, all or nothing. A browser cannot re-send a file without script, and
//!   carrying it in the page (base64 in a hidden field) would put up to 1.4 MiB into the
//!   page and past the 1 MiB limit of a post; holding it by hash costs at most
//!   [`HELD_MAX`] files of 1 MiB, at most [`HELD_PER_USER`] of them one person's. A
//!   confirm that finds nothing held (too late, the server restarted, or another
//!   instance answered) asks for the file again.
//! - The preview's rows (outcome and changed fields) are held with the file; the confirm
//!   imports only if the import still does exactly that
//!   (`wpt_db::import::import_as_previewed`), else nothing is written and the new
//!   preview is shown (409), the file held again under it. A confirm refused for another
//!   reason than the file (409, 429, 503) keeps the file held.
//! - The downloads (`matrix.csv`, `matrix.xlsx`) are the files of `GET
//!   /api/v1/work-plans/{id}/matrix`, for anyone signed in (viewers through their lens).
//!
//! Officers and viewers get 403 on the page and on every post.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_api::matrix::MatrixFormat;
use wpt_db::DbError;
use wpt_db::import::{Format, MATRIX_HEADER};
use wpt_domain::models::{ImportOutcome, ImportReport, ImportRow, WorkPlan};

use crate::html::{FormData, PageError, Section, page};
use crate::session::Viewer;

/// How long a previewed file is held for its confirm.
pub const HELD_FOR: Duration = Duration::from_secs(15 * 60);
/// Most previewed files held at once (the oldest goes first).
pub const HELD_MAX: usize = 32;
/// Most previewed files held at once for one person (their oldest goes first), so one
/// person's uploads cannot push everyone else's previews out.
pub const HELD_PER_USER: usize = 4;

/// A previewed upload.
struct Held {
    bytes: Vec<u8>,
    format: Format,
    name: String,
    /// What the preview said each row would do: the confirm imports only if the import
    /// still does exactly this.
    rows: Vec<ImportRow>,
    at: Instant,
}

/// Who uploaded a previewed file, for which plan, and its SHA-256 (hex).
type HeldKey = (Uuid, Uuid, String);

/// The previewed uploads, by (person, plan, SHA-256).
fn held() -> &'static Mutex<HashMap<HeldKey, Held>> {
    static HELD: std::sync::OnceLock<Mutex<HashMap<HeldKey, Held>>> = std::sync::OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashMap::new()))
}

fn hold(key: HeldKey, file: Held) {
    let mut map = held().lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, h| h.at.elapsed() < HELD_FOR);
    map.remove(&key);
    let user = key.0;
    while map.keys().filter(|k| k.0 == user).count() >= HELD_PER_USER {
        let Some(oldest) = map
            .iter()
            .filter(|(k, _)| k.0 == user)
            .min_by_key(|(_, h)| h.at)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
    while map.len() >= HELD_MAX {
        let Some(oldest) = map.iter().min_by_key(|(_, h)| h.at).map(|(k, _)| k.clone()) else {
            break;
        };
        map.remove(&oldest);
    }
    map.insert(key, file);
}

fn take(key: &HeldKey) -> Option<Held> {
    let mut map = held().lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, h| h.at.elapsed() < HELD_FOR);
    map.remove(key)
}

/// The routes of the import page.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/ui/plans/{id}/import", get(show).post(confirm))
        .route("/ui/plans/{id}/import/preview", post(preview))
        .route("/ui/plans/{id}/matrix.csv", get(matrix_csv))
        .route("/ui/plans/{id}/matrix.xlsx", get(matrix_xlsx))
}

/// The confirm form: the SHA-256 of the previewed file.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    sha256: String,
}

fn import_page(
    viewer: &Viewer,
    plan: &WorkPlan,
    file_error: Option<&PageError>,
    result: Option<Markup>,
) -> Markup {
    let id = plan.id;
    let problem = file_error.and_then(|e| {
        e.field("file")
            .map(str::to_owned)
            .or(Some(e.message.clone()))
    });
    page(
        viewer,
        Section::None,
        &format!("Import the matrix: {}", plan.code),
        html! {
            p.muted { (plan.title) }
            @if let Some(r) = result { (r) }
            h2 #upload-heading { "Upload a matrix" }
            p {
                "A CSV or Excel (XLSX) file, at most 1 MiB, whose first row names the columns "
                "(" (MATRIX_HEADER.join(", ")) "; code, area, activity and lead body are required). "
                "Rows are matched to activities by code. You will see what the import would do "
                "before anything is saved."
            }
            form.stack #upload method="post" action={"/ui/plans/" (id) "/import/preview"}
                enctype="multipart/form-data" aria-labelledby="upload-heading" {
                @if let Some(e) = file_error { div.error role="alert" tabindex="-1" autofocus { p { (e.message) } } }
                div.field {
                    label for="matrix-file" { "Matrix file (.csv or .xlsx)" }
                    @if let Some(p) = &problem { span.problem #matrix-file-problem { (p) } }
                    input #matrix-file type="file" name="file" required
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        aria-invalid=[problem.as_ref().map(|_| "true")]
                        aria-describedby=[problem.as_ref().map(|_| "matrix-file-problem")];
                }
                button type="submit" { "Preview the import" }
            }
            h2 { "Download the current matrix" }
            p {
                "The plan's activities in the same columns; importing the file unchanged changes nothing. "
                a href={"/ui/plans/" (id) "/matrix.xlsx"} download { "Excel (XLSX)" }
                " · "
                a href={"/ui/plans/" (id) "/matrix.csv"} download { "CSV" }
            }
        },
    )
}

/// The label of a column of the matrix, for an error's field name.
fn column_label(column: &str) -> String {
    let index = [
        "code",
        "area",
        "actip_reference",
        "description",
        "title",
        "expected_outputs",
        "lead_body",
        "cooperating_bodies",
        "status",
        "planned_start",
        "planned_end",
    ]
    .iter()
    .position(|c| *c == column);
    match index {
        Some(i) => MATRIX_HEADER[i].to_owned(),
        None => column.to_owned(),
    }
}

/// An error's place in the file: (row, column) from `rows[6].lead_body`,
/// `header.colour` or `file`.
fn place(field: &str) -> (String, String) {
    if let Some(rest) = field.strip_prefix("rows[")
        && let Some((row, column)) = rest.split_once("].")
    {
        return (row.to_owned(), column_label(column));
    }
    if let Some(column) = field.strip_prefix("header.") {
        return ("1 (header)".to_owned(), column_label(column));
    }
    ("—".to_owned(), field.to_owned())
}

fn errors_block(name: &str, error: &PageError) -> Markup {
    html! {
        div.error role="alert" tabindex="-1" autofocus {
            p { strong { (name) " cannot be imported. " } "Nothing was saved. Correct the file and upload it again." }
        }
        @if !error.fields.is_empty() {
            table.wrap #import-errors {
                caption { (error.fields.len()) " problem(s), by spreadsheet row and column" }
                thead { tr { th scope="col" { "Row" } th scope="col" { "Column" } th scope="col" { "Problem" } } }
                tbody {
                    @for (field, message) in &error.fields {
                        @let (row, column) = place(field);
                        tr { td { (row) } td { (column) } td { (message) } }
                    }
                }
            }
        } @else {
            p { (error.message) }
        }
    }
}

fn preview_block(
    plan: Uuid,
    name: &str,
    sha256: &str,
    report: &ImportReport,
    changed: bool,
) -> Markup {
    let creates: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.outcome == ImportOutcome::Create)
        .collect();
    let changes: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.outcome == ImportOutcome::Change)
        .collect();
    html! {
        section #preview aria-labelledby="preview-heading" {
            h2 #preview-heading tabindex="-1" autofocus { "Preview of " (name) }
            @if changed {
                div.error #import-changed role="alert" {
                    p {
                        strong { "The plan changed since the preview. " }
                        "Nothing was imported. This is what importing " (name)
                        " would do now; confirm again to import it."
                    }
                }
            }
            p.notice { "Nothing has been saved yet." }
            ul.counters {
                li { strong { (report.created) } "to create" }
                li { strong { (report.updated) } "to change" }
                li { strong { (report.unchanged) } "unchanged" }
            }
            @if !creates.is_empty() {
                h3 { "Activities to create" }
                ul #import-creates {
                    @for r in &creates {
                        li { "Row " (r.row) ": " strong { (r.code) } " " (r.title) }
                    }
                }
            }
            @if !changes.is_empty() {
                h3 { "Activities to change" }
                ul #import-changes {
                    @for r in &changes {
                        li {
                            "Row " (r.row) ": " strong { (r.code) } " " (r.title)
                            ul {
                                @for c in &r.changes {
                                    li {
                                        (column_label(&c.field)) ": "
                                        del { (c.old.as_deref().unwrap_or("(empty)")) }
                                        " → "
                                        ins { (c.new.as_deref().unwrap_or("(empty)")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if report.created + report.updated == 0 {
                p { "Every row already matches its activity: there is nothing to import." }
            } @else {
                form #confirm method="post" action={"/ui/plans/" (plan) "/import"} {
                    input type="hidden" name="sha256" value=(sha256);
                    button type="submit" {
                        "Import: create " (report.created) ", change " (report.updated)
                    }
                }
            }
        }
    }
}

async fn plan_for(state: &AppState, id: Uuid) -> Result<WorkPlan, PageError> {
    Ok(wpt_db::work_plans::get(&state.db, id).await?)
}

/// `GET /ui/plans/{id}/import` (secretariat and administrators).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    viewer.actor.secretariat()?;
    let plan = plan_for(&state, id).await?;
    Ok(import_page(&viewer, &plan, None, None))
}

/// The uploaded file: its name, format and bytes, or why not.
async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(String, Format, Vec<u8>), PageError> {
    let refuse = |status: StatusCode, message: &str| {
        let mut e = PageError::new(status, "The file was not read.");
        e.fields.push(("file".into(), message.into()));
        e
    };
    let mut multipart = multipart.map_err(|_| {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the file with the form on this page.",
        )
    })?;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            refuse(StatusCode::PAYLOAD_TOO_LARGE, "The file is over 1 MiB.")
        } else {
            refuse(
                StatusCode::BAD_REQUEST,
                "The upload could not be read; try again.",
            )
        }
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let media = field
            .content_type()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                refuse(StatusCode::PAYLOAD_TOO_LARGE, "The file is over 1 MiB.")
            } else {
                refuse(
                    StatusCode::BAD_REQUEST,
                    "The upload could not be read; try again.",
                )
            }
        })?;
        if name.is_empty() && bytes.is_empty() {
            break;
        }
        let lower = name.to_ascii_lowercase();
        let format =
            if lower.ends_with(".csv") || (!lower.ends_with(".xlsx") && media == "text/csv") {
                Format::Csv
            } else if lower.ends_with(".xlsx") || media == wpt_api::report::XLSX {
                Format::Xlsx
            } else {
                return Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Choose a .csv or .xlsx file.",
                ));
            };
        if bytes.is_empty() {
            return Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The file is empty.",
            ));
        }
        let name = if name.is_empty() {
            "the file".to_owned()
        } else {
            name
        };
        return Ok((name, format, bytes.to_vec()));
    }
    Err(refuse(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Choose a file to upload.",
    ))
}

/// `POST /ui/plans/{id}/import/preview`: the upload, previewed (nothing is written).
pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let grant = match viewer.actor.secretariat() {
        Ok(g) => g,
        Err(denied) => return PageError::from(denied).into_response(),
    };
    let plan = match plan_for(&state, id).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let (name, format, bytes) = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(e) => return (e.status, import_page(&viewer, &plan, Some(&e), None)).into_response(),
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    match wpt_db::import::import(&state.db, &grant, id, format, &bytes, true).await {
        Ok(report) => {
            let block = preview_block(id, &name, &sha256, &report, false);
            hold(
                (viewer.actor.user_id, id, sha256),
                Held {
                    bytes,
                    format,
                    name,
                    rows: report.rows,
                    at: Instant::now(),
                },
            );
            import_page(&viewer, &plan, None, Some(block)).into_response()
        }
        Err(e @ DbError::Validation(_)) => {
            let e = PageError::from(e);
            let block = errors_block(&name, &e);
            (e.status, import_page(&viewer, &plan, None, Some(block))).into_response()
        }
        Err(e) => {
            let e = PageError::from(e);
            (e.status, import_page(&viewer, &plan, Some(&e), None)).into_response()
        }
    }
}

/// `POST /ui/plans/{id}/import`: imports the previewed file (named by its SHA-256), all
/// or nothing, and goes back to the page with what was done.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ConfirmForm>,
) -> Response {
    let grant = match viewer.actor.secretariat() {
        Ok(g) => g,
        Err(denied) => return PageError::from(denied).into_response(),
    };
    let plan = match plan_for(&state, id).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let key = (
        viewer.actor.user_id,
        id,
        form.sha256.trim().to_ascii_lowercase(),
    );
    let Some(file) = take(&key) else {
        let mut e = PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The previewed file is no longer held (a preview is kept for 15 minutes). Nothing was saved.",
        );
        e.fields.push((
            "file".into(),
            "Upload the file again to preview and import it.".into(),
        ));
        return (e.status, import_page(&viewer, &plan, Some(&e), None)).into_response();
    };
    let done = wpt_db::import::import_as_previewed(
        &state.db,
        &grant,
        id,
        file.format,
        &file.bytes,
        &file.rows,
    )
    .await;
    match done {
        Ok(r) if r.dry_run => {
            // The plan changed since the preview: nothing was written; the new preview
            // is shown and the file held again under it.
            let block = preview_block(id, &file.name, &key.2, &r, true);
            hold(
                key,
                Held {
                    rows: r.rows,
                    at: Instant::now(),
                    ..file
                },
            );
            (
                StatusCode::CONFLICT,
                import_page(&viewer, &plan, None, Some(block)),
            )
                .into_response()
        }
        Ok(r) => crate::flash::redirect(
            &viewer,
            &format!("/ui/plans/{id}/import"),
            &format!(
                "Imported {}: {} created, {} changed, {} unchanged.",
                file.name, r.created, r.updated, r.unchanged
            ),
        ),
        Err(e @ DbError::Validation(_)) => {
            let e = PageError::from(e);
            let block = errors_block(&file.name, &e);
            (e.status, import_page(&viewer, &plan, None, Some(block))).into_response()
        }
        Err(e) => {
            // Not the file's fault (a conflict, the write rate, maintenance, a busy
            // database): it stays held, so the same confirm can be sent again.
            hold(
                key,
                Held {
                    at: Instant::now(),
                    ..file
                },
            );
            let e = PageError::from(e);
            (e.status, import_page(&viewer, &plan, Some(&e), None)).into_response()
        }
    }
}

async fn download(state: &AppState, viewer: &Viewer, id: Uuid, format: MatrixFormat) -> Response {
    match wpt_api::matrix::render_matrix(state, &viewer.actor, id, format).await {
        Ok(r) => r,
        Err(e) => {
            crate::html::error_page(wpt_api::error::http_status(e.code()), &e.problem().detail)
        }
    }
}

/// `GET /ui/plans/{id}/matrix.csv` (anyone signed in).
pub async fn matrix_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, &viewer, id, MatrixFormat::Csv).await
}

/// `GET /ui/plans/{id}/matrix.xlsx` (anyone signed in).
pub async fn matrix_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, &viewer, id, MatrixFormat::Xlsx).await
}

//! `/work-plans`: the work plans, their participating bodies and their areas.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::work_plans::{NewWorkPlan, WorkPlanPatch};
use wpt_domain::WorkPlanStatus;
use wpt_domain::models::{Area, Page, WorkPlan, WorkPlanBody, WorkPlanSummary};

use super::{PageQuery, created, double_option, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::report::XLSX;
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_plans, create_work_plan))
        .routes(routes!(get_work_plan, update_work_plan))
        .routes(routes!(list_work_plan_bodies))
        .routes(routes!(list_work_plan_areas, create_area))
        .routes(routes!(work_plan_summary))
        .routes(routes!(import_matrix))
        .routes(routes!(get_matrix))
}

/// List work plans
///
/// Archived, active and draft plans, ordered by code.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans",
    tag = "work plans",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of work plans", body = Page<WorkPlan>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_work_plans(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WorkPlan>>, ApiError> {
    let page = query.page()?;
    Ok(Json(wpt_db::work_plans::list(&state.db, &page).await?))
}

/// Get a work plan
///
/// One plan with its period, adoption and status, and its `ETag`.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans/{id}",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    responses(
        (status = 200, description = "The work plan", body = WorkPlan,
            headers(("ETag" = String, description = "The plan's version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 304, description = "Not modified since the `If-None-Match` tag"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_work_plan(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let plan = wpt_db::work_plans::get(&state.db, id).await?;
    Ok(etag::versioned(&headers, plan.version, plan))
}

/// List a work plan's bodies
///
/// The sectoral bodies taking part in the plan, ordered by code, each with its role in
/// the plan (`lead` or `member`) and whether that participation is confirmed.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans/{id}/bodies",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id"), PageQuery),
    responses(
        (status = 200, description = "A page of participating bodies", body = Page<WorkPlanBody>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_work_plan_bodies(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WorkPlanBody>>, ApiError> {
    let page = query.page()?;
    Ok(Json(
        wpt_db::work_plans::bodies(&state.db, id, &page).await?,
    ))
}

/// List a work plan's areas
///
/// The thematic areas (A. Prevention, B. Protection, C. Law enforcement and
/// prosecution, D. Cooperation) in display order.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans/{id}/areas",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id"), PageQuery),
    responses(
        (status = 200, description = "A page of areas", body = Page<Area>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_work_plan_areas(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Area>>, ApiError> {
    let page = query.page()?;
    Ok(Json(wpt_db::work_plans::areas(&state.db, id, &page).await?))
}

/// A new work plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkPlan {
    /// Unique code, e.g. `MSWP-TIP-2029-2033`.
    #[schema(example = "MSWP-TIP-2029-2033", max_length = 40)]
    pub code: String,
    /// Title.
    #[schema(
        example = "ASEAN Multi-Sectoral Work Plan Against Trafficking in Persons 2029-2033",
        max_length = 500
    )]
    pub title: String,
    /// First day covered.
    #[schema(example = "2029-01-01")]
    pub period_start: NaiveDate,
    /// Last day covered.
    #[schema(example = "2033-12-31")]
    pub period_end: NaiveDate,
    /// Adoption date.
    #[schema(example = "2028-10-15")]
    pub adopted_on: Option<NaiveDate>,
    /// Adopting meeting.
    #[schema(example = "22nd AMMTC", max_length = 300)]
    pub adopted_at: Option<String>,
    /// `draft` (default), `active` or `archived`.
    pub status: Option<WorkPlanStatus>,
    /// The body that leads the plan (its code).
    #[schema(example = "SOMTC")]
    pub lead_body: String,
    /// The other participating bodies (codes).
    #[serde(default)]
    #[schema(example = json!(["DGICM", "ACWC", "SLOM"]))]
    pub member_bodies: Vec<String>,
}

/// Create a work plan
///
/// A new plan with its code, title and period, the body that leads it and the other
/// participating bodies (each must exist). It starts as `draft` unless a status is
/// given.
///
/// Who may call: administrators only (403 for everyone else). Changes: adds the plan
/// and its participations; audited.
#[utoipa::path(
    post,
    path = "/work-plans",
    tag = "work plans",
    security(("bearer" = [])),
    request_body = CreateWorkPlan,
    responses(
        (status = 201, description = "Created", body = WorkPlan, headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The plan"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_work_plan(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<CreateWorkPlan>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let plan = wpt_db::work_plans::create(
        &state.db,
        &grant,
        NewWorkPlan {
            code: input.code,
            title: input.title,
            period_start: input.period_start,
            period_end: input.period_end,
            adopted_on: input.adopted_on,
            adopted_at: input.adopted_at,
            status: input.status.unwrap_or(WorkPlanStatus::Draft),
            lead_body: input.lead_body,
            member_bodies: input.member_bodies,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/work-plans/{}", plan.id),
        Some(plan.version),
        plan,
    ))
}

/// Changes to a work plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"adopted_on": "2023-08-21", "adopted_at": "17th AMMTC, Labuan Bajo"}))]
pub struct UpdateWorkPlan {
    /// New title.
    #[schema(max_length = 500)]
    pub title: Option<String>,
    /// New first day.
    pub period_start: Option<NaiveDate>,
    /// New last day.
    pub period_end: Option<NaiveDate>,
    /// New adoption date; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub adopted_on: Option<Option<NaiveDate>>,
    /// New adopting meeting; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub adopted_at: Option<Option<String>>,
    /// New status; `archived` archives the plan.
    pub status: Option<WorkPlanStatus>,
}

/// Update a work plan
///
/// Requires `If-Match`. Archiving is `{"status": "archived"}`.
///
/// Who may call: administrators only (403 for everyone else). Changes: the plan's
/// title, period, adoption or status; audited.
#[utoipa::path(
    patch,
    path = "/work-plans/{id}",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateWorkPlan,
    responses(
        (status = 200, description = "Updated", body = WorkPlan, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_work_plan(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(input): Json<UpdateWorkPlan>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let patch = WorkPlanPatch {
        title: input.title,
        period_start: input.period_start,
        period_end: input.period_end,
        adopted_on: input.adopted_on,
        adopted_at: input.adopted_at,
        status: input.status,
    };
    let plan = wpt_db::work_plans::update(&state.db, &grant, id, version, patch).await?;
    Ok(updated(plan.version, plan))
}

/// A new thematic area.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArea {
    /// Its letter in the plan, e.g. `E`.
    #[schema(example = "E", max_length = 40)]
    pub code: String,
    /// Title.
    #[schema(example = "Monitoring, evaluation and reporting", max_length = 500)]
    pub title: String,
}

/// Add an area
///
/// A thematic area of the plan with its letter (unique within the plan) and title.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: adds the area; audited.
#[utoipa::path(
    post,
    path = "/work-plans/{id}/areas",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    request_body = CreateArea,
    responses(
        (status = 201, description = "Created", body = Area),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken in this plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_area(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<CreateArea>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let area =
        wpt_db::work_plans::create_area(&state.db, &grant, id, &input.code, &input.title).await?;
    Ok(created(
        format!("/api/v1/work-plans/{id}/areas"),
        None,
        area,
    ))
}

/// A work plan's summary
///
/// Counts by area, body and latest status, milestones done versus due, overdue
/// activities and each body's latest update, computed in the database.
///
/// Who may call: any authenticated caller. Viewers get the figures from accepted
/// reports only. Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans/{id}/summary",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    responses(
        (status = 200, description = "The summary", body = WorkPlanSummary),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn work_plan_summary(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<WorkPlanSummary>, ApiError> {
    Ok(Json(
        wpt_db::work_plans::summary(&state.db, id, wpt_domain::policy::lens(&actor)).await?,
    ))
}

/// How to import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: a preview. The same import runs and is rolled back: the answer (or the
    /// 422) is what the import would give, and nothing is written or audited.
    pub dry_run: Option<bool>,
}

/// Import the matrix
///
/// Creates or updates the plan's activities from a CSV or XLSX file with the columns of
/// the classic matrix: `code`, `area`, `actip_reference`, `activity` (title),
/// `description`, `expected_outputs`, `lead_body`, `cooperating_bodies` (separated by
/// `;`), `status`, `planned_start`, `planned_end` (the file `GET
/// /work-plans/{id}/matrix` writes has them). Every row is checked first; errors name
/// the row and column (`rows[3].lead_body`) and nothing is written. Rows match
/// activities by code, so importing the same file again changes nothing. The `status`
/// column is checked but not recorded: only a body's officers report progress. A CSV
/// cell neutralised against formula injection (`'=...`) is read as the text it
/// neutralised. The answer lists each row's outcome (`create`, `change` with the fields
/// before and after, `unchanged`); `?dry_run=true` answers the same without writing.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: creates and updates the plan's activities and their body assignments, all
/// or nothing; audited. With `dry_run=true`, nothing.
#[utoipa::path(
    post,
    path = "/work-plans/{id}/import",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id"), ImportQuery),
    request_body(content(
        (String = "text/csv", example = json!("Code,Area,Proposed Programme/Project/Activity,Lead Sectoral Body,Cooperating Sectoral Bodies\nA.a.1,A,Regional awareness campaign,SOMTC,DGICM; ACWC\n")),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), description = "The matrix, at most 1 MiB"),
    responses(
        (status = 200, description = "Imported (or, with `dry_run`, what would be)", body = wpt_domain::models::ImportReport,
            example = json!({"created": 1, "updated": 1, "unchanged": 0, "dry_run": true, "rows": [
                {"row": 2, "code": "A.a.1", "title": "Regional awareness campaign", "outcome": "change",
                 "changes": [{"field": "lead_body", "old": "DGICM", "new": "SOMTC"}]},
                {"row": 3, "code": "A.a.2", "title": "Border officials' training", "outcome": "create", "changes": []}
            ]})),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor XLSX", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows; nothing was written", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import_matrix(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<wpt_domain::models::ImportReport>, ApiError> {
    let grant = actor.secretariat()?;
    let mime = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match mime.as_str() {
        "text/csv" => wpt_db::import::Format::Csv,
        XLSX => wpt_db::import::Format::Xlsx,
        _ => {
            return Err(ApiError::new(
                crate::error::ErrorCode::UnsupportedMediaType,
                format!("send the matrix as text/csv or {XLSX}"),
            ));
        }
    };
    let bytes = body.map_err(crate::extract::bytes_rejection)?;
    Ok(Json(
        wpt_db::import::import(
            &state.db,
            &grant,
            id,
            format,
            &bytes,
            query.dry_run.unwrap_or(false),
        )
        .await?,
    ))
}

/// The matrix's format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// `csv` or `xlsx`; overrides `Accept`.
    #[param(inline)]
    pub format: Option<crate::matrix::MatrixFormat>,
}

/// The plan's matrix
///
/// The plan's activities that are not archived, by area and code, in the classic
/// matrix's columns as the import reads them: `Code`, `Area`, `ACTIP / APA Reference`,
/// `Area of Collaboration` (description), `Proposed Programme/Project/Activity` (title),
/// `Expected Outputs`, `Lead Sectoral Body`, `Cooperating Sectoral Bodies` (separated by
/// `; `), `Implementation Status` (the lead body's latest status; for viewers, its
/// accepted one), `Planned Start`, `Planned End`. As CSV (every field quoted, text
/// starting with `=`, `+`, `-`, `@`, tab, carriage return or `'` prefixed with `'`) or
/// XLSX (string cells), by `Accept` or `?format=`; no `Accept` means XLSX. Importing the
/// file unchanged (`POST /work-plans/{id}/import`) changes nothing. The file is
/// rendered in one of the reports' render slots: when every slot stays busy for 2 s the
/// answer is 503 with `Retry-After`.
///
/// Who may call: any authenticated caller (the plan's structure is public to every
/// reader; viewers read the status from accepted reports only). Changes nothing.
#[utoipa::path(
    get,
    path = "/work-plans/{id}/matrix",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id"), MatrixQuery),
    responses(
        (status = 200, description = "The matrix", content(
            (String = "text/csv", example = json!("\"Code\",\"Area\",\"ACTIP / APA Reference\",\"Area of Collaboration\",\"Proposed Programme/Project/Activity\",\"Expected Outputs\",\"Lead Sectoral Body\",\"Cooperating Sectoral Bodies\",\"Implementation Status\",\"Planned Start\",\"Planned End\"\n\"A.a.1\",\"A\",\"ACTIP Art. 11; APA A.1\",\"\",\"Regional awareness campaign\",\"Campaign materials in use\",\"SOMTC\",\"DGICM; ACWC\",\"on_track\",\"2024-01-01\",\"2026-12-31\"\n")),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ), headers(("Content-Disposition" = String, description = "`attachment; filename=\"matrix-<plan code>.<csv|xlsx>\"`"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Neither CSV nor XLSX is acceptable", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id or format", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every render slot is busy (`WPT_REPORT_RENDERS`, shared with the reports); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_matrix(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<MatrixQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = crate::matrix::negotiate(q.format, &headers)?;
    crate::matrix::render_matrix(&state, &actor, id, format).await
}

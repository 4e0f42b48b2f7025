//! Scheduling reporting cycles: list, create, read and reschedule them.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use wpt_db::cycles::{CycleInput, CyclePatch};
use wpt_domain::models::{Cycle, Page};
use wpt_domain::page::PageRequest;
use wpt_domain::{CycleKind, CycleState};

use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::{created, updated};
use crate::{AppState, etag};

/// Filters of `GET /cycles`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CycleQuery {
    /// Only this work plan.
    pub work_plan: Option<Uuid>,
    /// Only cycles in this state.
    #[param(inline)]
    pub state: Option<CycleState>,
    /// Rows per page, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List reporting cycles
///
/// Latest meeting first.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(get, path = "/cycles", tag = "cycles", security(("bearer" = [])), params(CycleQuery),
    responses(
        (status = 200, description = "A page of cycles", body = Page<Cycle>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn list_cycles(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Query(q): Query<CycleQuery>,
) -> Result<Json<Page<Cycle>>, ApiError> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        wpt_db::cycles::list(&state.db, q.work_plan, q.state, &page).await?,
    ))
}

/// A new reporting cycle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCycle {
    /// The work plan reported on.
    pub work_plan_id: Uuid,
    /// What it prepares for.
    pub kind: CycleKind,
    /// Name, e.g. "26th SOMTC".
    #[schema(example = "27th SOMTC", max_length = 200)]
    pub name: String,
    /// The meeting's date.
    #[schema(example = "2026-08-20")]
    pub meeting_date: NaiveDate,
    /// First day the data covers.
    #[schema(example = "2025-07-01")]
    pub period_start: NaiveDate,
    /// Last day the data covers.
    #[schema(example = "2026-06-30")]
    pub period_end: NaiveDate,
    /// When bodies may start entering data.
    #[schema(example = "2026-06-01")]
    pub opens_on: NaiveDate,
    /// When submissions are due; default: the meeting minus `WPT_SUBMISSION_LEAD_DAYS` (30).
    #[schema(example = "2026-07-21")]
    pub due_on: Option<NaiveDate>,
    /// When the review is due; default: the meeting minus `WPT_REVIEW_LEAD_DAYS` (14).
    #[schema(example = "2026-08-06")]
    pub review_due_on: Option<NaiveDate>,
}

/// Create a reporting cycle
///
/// A cycle for one meeting: its kind and name, the period its data covers, and its
/// schedule (opening day, submission and review due days, which default from the
/// meeting date). It starts `planned`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: adds the cycle; audited.
#[utoipa::path(post, path = "/cycles", tag = "cycles", security(("bearer" = [])), request_body = CreateCycle,
    responses(
        (status = 201, description = "Created, planned", body = Cycle, headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The cycle"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or schedule", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(i): Json<CreateCycle>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let cycle = wpt_db::cycles::create(
        &state.db,
        &grant,
        &state.cycles,
        CycleInput {
            work_plan_id: i.work_plan_id,
            kind: i.kind,
            name: i.name,
            meeting_date: i.meeting_date,
            period_start: i.period_start,
            period_end: i.period_end,
            opens_on: i.opens_on,
            due_on: i.due_on,
            review_due_on: i.review_due_on,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/cycles/{}", cycle.id),
        Some(cycle.version),
        cycle,
    ))
}

/// Get a reporting cycle
///
/// With its whole schedule: opening, submission due day, review due day, meeting.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(get, path = "/cycles/{id}", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The cycle", body = Cycle, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_cycle(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = wpt_db::cycles::get(&state.db, id).await?;
    Ok(etag::versioned(&headers, c.version, c))
}

/// Changes to a cycle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_on": "2026-07-24", "review_due_on": "2026-08-07"}))]
pub struct UpdateCycle {
    /// New kind.
    pub kind: Option<CycleKind>,
    /// New name.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// New meeting date.
    pub meeting_date: Option<NaiveDate>,
    /// New first day covered.
    pub period_start: Option<NaiveDate>,
    /// New last day covered.
    pub period_end: Option<NaiveDate>,
    /// New opening day.
    pub opens_on: Option<NaiveDate>,
    /// New due day.
    pub due_on: Option<NaiveDate>,
    /// New review due day.
    pub review_due_on: Option<NaiveDate>,
}

/// Update a reporting cycle
///
/// Requires `If-Match`; a closed cycle takes no edits (409).
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the cycle's kind, name, period or schedule; audited.
#[utoipa::path(patch, path = "/cycles/{id}", tag = "cycles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateCycle,
    responses(
        (status = 200, description = "Updated", body = Cycle, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or schedule", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(i): Json<UpdateCycle>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let patch = CyclePatch {
        kind: i.kind,
        name: i.name,
        meeting_date: i.meeting_date,
        period_start: i.period_start,
        period_end: i.period_end,
        opens_on: i.opens_on,
        due_on: i.due_on,
        review_due_on: i.review_due_on,
    };
    let c = wpt_db::cycles::update(&state.db, &grant, &state.cycles, id, version, patch).await?;
    Ok(updated(c.version, c))
}

/// Delete a planned reporting cycle
///
/// Only a cycle that has not been opened (409 otherwise): its reports are made when it
/// opens, so nothing else goes with it. Requires `If-Match`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: removes the planned cycle; audited (`cycle.delete`, with what it was).
#[utoipa::path(delete, path = "/cycles/{id}", tag = "cycles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is open or closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
) -> Result<axum::http::StatusCode, ApiError> {
    let grant = actor.secretariat()?;
    wpt_db::cycles::delete(&state.db, &grant, id, version).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

//! `/cycles`: reporting cycles, each body's submission and its review, amendments, the
//! consolidated report and the edition.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::cycles::{CycleInput, CyclePatch, EntryInput};
use wpt_domain::models::{Amendment, Cycle, Edition, Page, Submission, SubmissionSummary};
use wpt_domain::page::PageRequest;
use wpt_domain::workflow::SubmissionAction;
use wpt_domain::{CycleKind, CycleState, SubmissionStatus};

use super::activities::ProgressInput;
use super::{created, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{Json, Path, Query};
use crate::report::CycleReport;
use crate::report::XLSX;
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cycles, create_cycle))
        .routes(routes!(get_cycle, update_cycle))
        .routes(routes!(open_cycle))
        .routes(routes!(close_cycle))
        .routes(routes!(list_submissions))
        .routes(routes!(get_submission, save_submission))
        .routes(routes!(submit))
        .routes(routes!(return_submission))
        .routes(routes!(accept))
        .routes(routes!(list_amendments, propose_amendment))
        .routes(routes!(accept_amendment))
        .routes(routes!(reject_amendment))
        .routes(routes!(report))
        .routes(routes!(get_edition))
}

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
#[utoipa::path(get, path = "/cycles", tag = "cycles", security(("bearer" = [])), params(CycleQuery),
    responses(
        (status = 200, description = "A page of cycles", body = Page<Cycle>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_cycles(
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
    #[schema(max_length = 200)]
    pub name: String,
    /// The meeting's date.
    pub meeting_date: NaiveDate,
    /// First day the data covers.
    pub period_start: NaiveDate,
    /// Last day the data covers.
    pub period_end: NaiveDate,
    /// When bodies may start entering data.
    pub opens_on: NaiveDate,
    /// When submissions are due; default: the meeting minus `WPT_SUBMISSION_LEAD_DAYS` (30).
    pub due_on: Option<NaiveDate>,
    /// When the review is due; default: the meeting minus `WPT_REVIEW_LEAD_DAYS` (14).
    pub review_due_on: Option<NaiveDate>,
}

/// Create a reporting cycle
#[utoipa::path(post, path = "/cycles", tag = "cycles", security(("bearer" = [])), request_body = CreateCycle,
    responses(
        (status = 201, description = "Created, planned", body = Cycle, headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The cycle"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or schedule", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_cycle(
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
#[utoipa::path(get, path = "/cycles/{id}", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The cycle", body = Cycle, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_cycle(
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
async fn update_cycle(
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

/// Open a reporting cycle
///
/// `planned -> open`: creates one submission per participating body, each with one
/// entry per activity the body is assigned to, prefilled from its latest progress.
#[utoipa::path(post, path = "/cycles/{id}/open", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Opened", body = Cycle),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not planned", body = Problem, content_type = "application/problem+json"),
    ))]
async fn open_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let c = wpt_db::cycles::open(&state.db, &grant, id).await?;
    Ok(updated(c.version, c))
}

/// Close a reporting cycle
///
/// `open -> closed`: freezes the edition (a canonical snapshot of every accepted entry
/// with its SHA-256); nothing changes afterwards.
#[utoipa::path(post, path = "/cycles/{id}/close", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Closed", body = Cycle),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open", body = Problem, content_type = "application/problem+json"),
    ))]
async fn close_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let c = wpt_db::cycles::close(&state.db, &grant, id).await?;
    Ok(updated(c.version, c))
}

/// Filter of the board.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only bodies whose submission has this status.
    #[param(inline)]
    pub status: Option<SubmissionStatus>,
}

/// The board of a cycle.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Board {
    /// One row per participating body, late and missing first.
    pub items: Vec<SubmissionSummary>,
    /// Always `null`: one row per body fits one page.
    pub next_cursor: Option<String>,
}

/// Who has submitted
///
/// One row per participating body, including those that have not started, with status,
/// late and missing flags, and author, submitter and reviewer with their times.
#[utoipa::path(get, path = "/cycles/{id}/submissions", tag = "submissions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id"), BoardQuery),
    responses(
        (status = 200, description = "The board", body = Board),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_submissions(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<BoardQuery>,
) -> Result<Json<Board>, ApiError> {
    Ok(Json(Board {
        items: wpt_db::cycles::board(&state.db, id, q.status).await?,
        next_cursor: None,
    }))
}

/// Get a body's report
///
/// Another body's unsubmitted report is not found for officers; viewers see accepted
/// reports only.
#[utoipa::path(get, path = "/cycles/{id}/submissions/{body_code}", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    responses(
        (status = 200, description = "The report", body = Submission, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = wpt_db::cycles::get_submission(&state.db, &actor, id, &code).await?;
    Ok(etag::versioned(&headers, s.version, s))
}

/// One entry of a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// The activity.
    pub activity_id: Uuid,
    /// Status of the body's part.
    pub status: wpt_domain::ProgressStatus,
    /// Completion, 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(max_length = 20000)]
    pub narrative: String,
    /// Difficulties.
    #[schema(max_length = 20000)]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(max_length = 20000)]
    pub next_steps: Option<String>,
    /// Evidence links, at most 20.
    #[serde(default)]
    pub evidence_urls: Vec<String>,
}

impl From<EntryRequest> for EntryInput {
    fn from(e: EntryRequest) -> Self {
        EntryInput {
            activity_id: e.activity_id,
            values: ProgressInput {
                status: e.status,
                percent_complete: e.percent_complete,
                narrative: e.narrative,
                challenges: e.challenges,
                next_steps: e.next_steps,
                evidence_urls: e.evidence_urls,
            }
            .into(),
        }
    }
}

/// The entries a body saves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveSubmission {
    /// Entries to change (others keep their values), at most 2000.
    pub entries: Vec<EntryRequest>,
}

/// Save a body's report
///
/// The body's officers save entries while the report is `not_started`, `draft` or
/// `returned`. Requires `If-Match`.
#[utoipa::path(put, path = "/cycles/{id}/submissions/{body_code}", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = SaveSubmission,
    responses(
        (status = 200, description = "Saved", body = Submission, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Submitted, accepted or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid entries", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
async fn save_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
    Json(body): Json<SaveSubmission>,
) -> Result<Response, ApiError> {
    if body.entries.len() > 2000 {
        return Err(ApiError::field(
            "entries",
            "at most 2000 entries per request",
        ));
    }
    let grant = match actor.own_body() {
        Ok(g) => g,
        Err(denied) => {
            // Who may not even see the report gets 404, not 403.
            wpt_db::cycles::get_submission(&state.db, &actor, id, &code).await?;
            return Err(denied.into());
        }
    };
    let s = wpt_db::cycles::save(
        &state.db,
        &grant,
        &actor,
        id,
        &code,
        version,
        body.entries.into_iter().map(Into::into).collect(),
    )
    .await?;
    Ok(updated(s.version, s))
}

async fn step(
    state: &AppState,
    actor: &wpt_domain::Actor,
    id: Uuid,
    code: &str,
    version: i32,
    action: SubmissionAction,
    reason: Option<String>,
) -> Result<Response, ApiError> {
    let s = wpt_db::cycles::act(&state.db, actor, id, code, version, action, reason).await;
    match s {
        Ok(s) => Ok(updated(s.version, s)),
        // A caller with no grant for the action on a report it may not see gets 404.
        Err(wpt_db::DbError::Forbidden(detail)) => {
            wpt_db::cycles::get_submission(&state.db, actor, id, code).await?;
            Err(ApiError::new(ErrorCode::Forbidden, detail))
        }
        Err(e) => Err(e.into()),
    }
}

/// Submit a body's report
///
/// `draft|returned -> submitted`, by the body's officer; after the due day it is
/// marked late. Requires `If-Match`.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/submit", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Submitted", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Submit,
        None,
    )
    .await
}

/// Why a report goes back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The reason (required), shown to the body.
    #[schema(max_length = 5000)]
    pub reason: String,
}

/// Return a body's report
///
/// `submitted -> returned`, by the secretariat, with a reason. Requires `If-Match`.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/return", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "Returned", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
async fn return_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
    Json(body): Json<ReturnRequest>,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Return,
        Some(body.reason),
    )
    .await
}

/// Accept a body's report
///
/// `submitted -> accepted`, by the secretariat; the entries are then locked. Requires `If-Match`.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/accept", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Accepted", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
async fn accept(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Accept,
        None,
    )
    .await
}

/// A submission's amendments.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AmendmentList {
    /// Oldest first.
    pub items: Vec<Amendment>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}

/// A body's amendments
#[utoipa::path(get, path = "/cycles/{id}/submissions/{body_code}/amendments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    responses(
        (status = 200, description = "The amendments, originals beside proposals", body = AmendmentList),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_amendments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
) -> Result<Json<AmendmentList>, ApiError> {
    Ok(Json(AmendmentList {
        items: wpt_db::cycles::amendments(&state.db, &actor, id, &code).await?,
        next_cursor: None,
    }))
}

/// A proposed amendment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentRequest {
    /// The corrected entry.
    pub entry: EntryRequest,
    /// Why (required).
    #[schema(max_length = 5000)]
    pub reason: String,
}

/// Propose an amendment
///
/// After acceptance, the body's officer proposes corrected values for one entry; the
/// secretariat accepts or rejects it, and the original stays visible beside it.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/amendments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    request_body = AmendmentRequest,
    responses(
        (status = 201, description = "Proposed", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is not accepted, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values or no reason", body = Problem, content_type = "application/problem+json"),
    ))]
async fn propose_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    Json(body): Json<AmendmentRequest>,
) -> Result<Response, ApiError> {
    let grant = match actor.own_body() {
        Ok(g) => g,
        Err(denied) => {
            wpt_db::cycles::get_submission(&state.db, &actor, id, &code).await?;
            return Err(denied.into());
        }
    };
    let a = wpt_db::cycles::propose_amendment(
        &state.db,
        &grant,
        &actor,
        id,
        &code,
        body.entry.into(),
        body.reason,
    )
    .await?;
    Ok(created(
        format!("/api/v1/cycles/{id}/submissions/{code}/amendments"),
        None,
        a,
    ))
}

/// A decision on an amendment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentDecision {
    /// A note for the body.
    #[schema(max_length = 5000)]
    pub note: Option<String>,
}

/// Accept an amendment
#[utoipa::path(post, path = "/amendments/{id}/accept", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The amendment's id")), request_body = AmendmentDecision,
    responses(
        (status = 200, description = "Accepted; the entry now carries the proposed values", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such amendment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn accept_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(body): Json<AmendmentDecision>,
) -> Result<Json<Amendment>, ApiError> {
    let grant = actor.secretariat()?;
    Ok(Json(
        wpt_db::cycles::decide_amendment(&state.db, &grant, id, true, body.note).await?,
    ))
}

/// Reject an amendment
#[utoipa::path(post, path = "/amendments/{id}/reject", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The amendment's id")), request_body = AmendmentDecision,
    responses(
        (status = 200, description = "Rejected; the entry is unchanged", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such amendment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn reject_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(body): Json<AmendmentDecision>,
) -> Result<Json<Amendment>, ApiError> {
    let grant = actor.secretariat()?;
    Ok(Json(
        wpt_db::cycles::decide_amendment(&state.db, &grant, id, false, body.note).await?,
    ))
}

/// The report's format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json`, `csv` or `xlsx`; overrides `Accept`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// A report format.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// CSV, one row per activity x body.
    Csv,
    /// An Excel workbook: summary and matrix.
    Xlsx,
}

fn negotiate(q: Option<ReportFormat>, headers: &HeaderMap) -> Result<ReportFormat, ApiError> {
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
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorCode::NotAcceptable,
        format!("the report is available as application/json, text/csv or {XLSX}"),
    ))
}

/// The consolidated report
///
/// Areas, then activities, then each body's accepted entry, with totals by status, area
/// and body, and the late and missing bodies. As JSON, CSV (one row per activity x
/// body, stable ids) or XLSX (summary and matrix sheets), by `Accept` or `?format=`.
#[utoipa::path(get, path = "/cycles/{id}/report", tag = "cycles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (CycleReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "No acceptable format", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad format", body = Problem, content_type = "application/problem+json"),
    ))]
async fn report(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = negotiate(q.format, &headers)?;
    render_report(&state, id, format).await
}

/// The consolidated report of cycle `id` in `format`, as `GET /cycles/{id}/report` and
/// the web pages' downloads answer it (any authenticated caller may read it).
pub async fn render_report(
    state: &AppState,
    id: Uuid,
    format: ReportFormat,
) -> Result<Response, ApiError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let rows = wpt_db::cycles::report_rows(state.db.conn(), id).await?;
    let board = wpt_db::cycles::board(&state.db, id, None).await?;
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
        ReportFormat::Json => Json(crate::report::build(cycle, &rows, board)).into_response(),
        ReportFormat::Csv => {
            let bytes = crate::report::csv(&rows).map_err(ApiError::internal)?;
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
            let report = crate::report::build(cycle, &rows, board);
            let bytes = tokio::task::spawn_blocking(move || crate::report::xlsx(&report, &rows))
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
    })
}

/// The edition of a closed cycle
///
/// The frozen, canonical snapshot of every accepted entry and its SHA-256, so the
/// meeting document can be cited and checked later.
#[utoipa::path(get, path = "/cycles/{id}/edition", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The edition", body = Edition),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle, or it is not closed", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_edition(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Edition>, ApiError> {
    Ok(Json(wpt_db::cycles::get_edition(&state.db, id).await?))
}

//! `/activities` and the activity-scoped collections: progress, milestones, indicators,
//! history. Creation is under its plan: `POST /work-plans/{id}/activities`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::activities::{ActivityFilter, ActivityPatch, NewActivity};
use wpt_db::indicators::IndicatorInput;
use wpt_domain::input::ProgressInput;
use wpt_domain::models::{Activity, AuditEntry, Indicator, Milestone, Page, ProgressUpdate};
use wpt_domain::page::PageRequest;
use wpt_domain::policy;
use wpt_domain::{ActivitySort, IndicatorMeasure, ProgressStatus, Signal};

use super::{PageQuery, created, double_option, max_chars, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_activities))
        .routes(routes!(create_activity))
        .routes(routes!(get_activity, update_activity, delete_activity))
        .routes(routes!(activity_history))
        .routes(routes!(list_progress, record_progress))
        .routes(routes!(list_milestones, create_milestone))
        .routes(routes!(list_indicators, create_indicator))
}

/// Filters of `GET /activities`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only this work plan.
    pub work_plan: Option<Uuid>,
    /// Only this area (its code, e.g. `A`; combine with `work_plan` for one plan).
    #[param(max_length = 40)]
    pub area: Option<String>,
    /// Only activities this body leads or cooperates on (its code).
    #[param(max_length = 40)]
    pub body: Option<String>,
    /// Only activities where a body's latest status is this (with `body`: that body's).
    #[param(inline)]
    pub status: Option<ProgressStatus>,
    /// `true`: only activities past their planned end and not completed; `false`: none of them.
    pub overdue: Option<bool>,
    /// `true`: only activities with a milestone past its due day and not completed;
    /// `false`: none of them (the pages' "Milestones overdue" filter).
    pub milestones_overdue: Option<bool>,
    /// Full-text search over code, title, description, expected outputs and ACTIP/APA reference.
    #[param(max_length = 500)]
    pub q: Option<String>,
    /// Order: `code` (default), `title`, `planned_end`, `last_update`, `relevance` (default with `q`).
    #[param(inline)]
    pub sort: Option<ActivitySort>,
    /// `true`: only archived activities; absent or `false`: only current ones.
    pub archived: Option<bool>,
    /// Rows per page, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page (with the same filters and order).
    pub cursor: Option<String>,
}

/// List activities
///
/// Activities with their lead and cooperating bodies, each body's latest status, and
/// the derived signal. A constant number of queries whatever the page size.
///
/// Who may call: any authenticated caller. Viewers see each body's status from its
/// latest accepted report only (the `latest_*` fields are `null` for them). Changes
/// nothing.
#[utoipa::path(
    get,
    path = "/activities",
    tag = "activities",
    security(("bearer" = [])),
    params(ActivityQuery),
    responses(
        (status = 200, description = "A page of activities", body = Page<Activity>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, sort, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_activities(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<ActivityQuery>,
) -> Result<axum::response::Response, ApiError> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    max_chars("area", q.area.as_deref(), 40)?;
    max_chars("body", q.body.as_deref(), 40)?;
    max_chars("q", q.q.as_deref(), 500)?;
    let filter = ActivityFilter {
        work_plan: q.work_plan,
        area: q.area,
        body: q.body,
        status: q.status,
        overdue: q.overdue,
        milestones_overdue: q.milestones_overdue,
        q: q.q,
        sort: q.sort,
        archived: q.archived,
        lens: policy::lens(&actor),
    };
    // The page as the cache keeps it, serialized without a copy.
    let listed = wpt_db::activities::list_shared(&state.db, &filter, &page).await?;
    Ok(Json(&*listed).into_response())
}

/// A new activity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivity {
    /// The area's code in the plan, e.g. `A`.
    #[schema(example = "A", max_length = 40)]
    pub area: String,
    /// Code, unique within the plan, e.g. `A.a.1`.
    #[schema(example = "A.a.2", max_length = 40, pattern = "^[A-Za-z0-9.-]+$")]
    pub code: String,
    /// Title.
    #[schema(
        example = "Community radio spots on recruitment fraud",
        max_length = 500
    )]
    pub title: String,
    /// Description.
    #[schema(
        example = "Short radio spots in local languages warning against fraudulent overseas job offers.",
        max_length = 20000
    )]
    pub description: Option<String>,
    /// The ACTIP provision or APA section it implements.
    #[schema(example = "ACTIP Art. 11", max_length = 500)]
    pub actip_reference: Option<String>,
    /// Expected outputs.
    #[schema(example = "Spots aired in five member states", max_length = 20000)]
    pub expected_outputs: Option<String>,
    /// Planned start.
    #[schema(example = "2026-07-01")]
    pub planned_start: Option<NaiveDate>,
    /// Planned end (not before the start).
    #[schema(example = "2027-06-30")]
    pub planned_end: Option<NaiveDate>,
    /// The lead body's code; it must take part in the plan.
    #[schema(example = "SOMTC", max_length = 40)]
    pub lead_body: String,
    /// Cooperating bodies' codes; each must take part in the plan.
    #[serde(default)]
    #[schema(example = json!(["DGICM"]))]
    pub cooperating_bodies: Vec<String>,
}

/// Create an activity
///
/// Adds an activity to the plan with exactly one lead body and any cooperating bodies.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: adds the activity and its body assignments; audited.
#[utoipa::path(
    post,
    path = "/work-plans/{id}/activities",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    request_body = CreateActivity,
    responses(
        (status = 201, description = "Created", body = Activity, headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The activity"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken in this plan", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_activity(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(plan_id): Path<Uuid>,
    Json(input): Json<CreateActivity>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let activity = wpt_db::activities::create(
        &state.db,
        &grant,
        plan_id,
        NewActivity {
            area: input.area,
            code: input.code,
            title: input.title,
            description: input.description,
            actip_reference: input.actip_reference,
            expected_outputs: input.expected_outputs,
            planned_start: input.planned_start,
            planned_end: input.planned_end,
            lead_body: input.lead_body,
            cooperating_bodies: input.cooperating_bodies,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/activities/{}", activity.id),
        Some(activity.version),
        activity,
    ))
}

/// Get an activity
///
/// One activity with its lead and cooperating bodies, each body's latest status, the
/// derived signal and any override by the secretariat, and its `ETag`.
///
/// Who may call: any authenticated caller. Viewers see accepted statuses only, as in
/// the list. Changes nothing.
#[utoipa::path(
    get,
    path = "/activities/{id}",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses(
        (status = 200, description = "The activity", body = Activity, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_activity(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let activity = wpt_db::activities::get(&state.db, id, policy::lens(&actor)).await?;
    Ok(etag::versioned(&headers, activity.version, activity))
}

/// The secretariat's override of the signal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    /// The signal to show beside the derived one.
    pub signal: Signal,
    /// Why (required).
    #[schema(
        example = "Funding for the remaining checkpoints is not yet confirmed.",
        max_length = 2000
    )]
    pub reason: String,
}

/// Changes to an activity; absent fields stay as they are, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Information campaign on safe migration at border and airport checkpoints", "planned_end": "2027-06-30", "cooperating_bodies": ["SOMTC", "ACWC"]}))]
pub struct UpdateActivity {
    /// New area code.
    pub area: Option<String>,
    /// New title.
    #[schema(max_length = 500)]
    pub title: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub description: Option<Option<String>>,
    /// New ACTIP/APA reference.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub actip_reference: Option<Option<String>>,
    /// New expected outputs.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub expected_outputs: Option<Option<String>>,
    /// New planned start.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_start: Option<Option<NaiveDate>>,
    /// New planned end.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub planned_end: Option<Option<NaiveDate>>,
    /// New lead body.
    pub lead_body: Option<String>,
    /// New set of cooperating bodies (replaces the old set).
    pub cooperating_bodies: Option<Vec<String>>,
    /// `true` archives (leaves default lists, stays readable), `false` restores.
    pub archived: Option<bool>,
    /// Sets the secretariat's signal override; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<OverrideInput>)]
    pub signal_override: Option<Option<OverrideInput>>,
}

/// Update an activity
///
/// Requires `If-Match`. Progress and milestone changes also move the version.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the activity's fields and bodies (bodies that stay keep their statuses),
/// archiving, and the signal override; audited.
#[utoipa::path(
    patch,
    path = "/activities/{id}",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateActivity,
    responses(
        (status = 200, description = "Updated", body = Activity, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_activity(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(input): Json<UpdateActivity>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let patch = ActivityPatch {
        area: input.area,
        title: input.title,
        description: input.description,
        actip_reference: input.actip_reference,
        expected_outputs: input.expected_outputs,
        planned_start: input.planned_start,
        planned_end: input.planned_end,
        lead_body: input.lead_body,
        cooperating_bodies: input.cooperating_bodies,
        archived: input.archived,
        signal_override: input
            .signal_override
            .map(|o| o.map(|o| (o.signal, o.reason))),
    };
    let activity = wpt_db::activities::update(&state.db, &grant, id, version, patch).await?;
    Ok(updated(activity.version, activity))
}

/// Delete an activity
///
/// Only an activity without recorded progress (409 otherwise: archive it instead).
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: removes the activity with its milestones and indicators; audited.
#[utoipa::path(
    delete,
    path = "/activities/{id}",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has recorded progress", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete_activity(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, ApiError> {
    let grant = actor.secretariat()?;
    wpt_db::activities::delete(&state.db, &grant, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An activity's history
///
/// Who changed what and when, on the activity, its progress, milestones and
/// indicators, from the audit log; newest first.
///
/// Who may call: administrators, the secretariat and officers (403 for viewers).
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/activities/{id}/history",
    tag = "activities",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), PageQuery),
    responses(
        (status = 200, description = "A page of changes", body = Page<AuditEntry>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer: the route serves what no accepted report carries", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn activity_history(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    policy::reads_unaccepted(&actor).map_err(wpt_db::DbError::from)?;
    Ok(Json(
        wpt_db::activities::history(&state.db, id, &q.page()?).await?,
    ))
}

/// An activity's progress timeline
///
/// Every body's progress updates, newest first.
///
/// Who may call: administrators, the secretariat and officers (403 for viewers).
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/activities/{id}/progress",
    tag = "progress",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), PageQuery),
    responses(
        (status = 200, description = "A page of updates", body = Page<ProgressUpdate>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer: the route serves what no accepted report carries", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_progress(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<ProgressUpdate>>, ApiError> {
    policy::reads_unaccepted(&actor).map_err(wpt_db::DbError::from)?;
    Ok(Json(
        wpt_db::progress::timeline(&state.db, id, &q.page()?).await?,
    ))
}

/// Report progress
///
/// An officer reports their own body's progress on an activity their body leads or
/// cooperates on. The body is the officer's own; the request never names it.
///
/// Who may call: officers of a body the activity is assigned to (403 for everyone else,
/// administrators and the secretariat included). Changes: adds the update, the body's
/// latest status on the activity and the activity's version; audited.
#[utoipa::path(
    post,
    path = "/activities/{id}/progress",
    tag = "progress",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    request_body = ProgressInput,
    responses(
        (status = 201, description = "Recorded", body = ProgressUpdate),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, or the body is not assigned to the activity", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity is archived", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn record_progress(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<ProgressInput>,
) -> Result<Response, ApiError> {
    let grant = actor.own_body()?;
    let update = wpt_db::progress::record(&state.db, &grant, id, input).await?;
    Ok(created(
        format!("/api/v1/activities/{id}/progress"),
        None,
        update,
    ))
}

/// An activity's milestones
///
/// The activity's dated checkpoints by due date, with when each was completed and
/// whether it is overdue.
///
/// Who may call: any authenticated caller. Viewers do not see the completer's note.
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/activities/{id}/milestones",
    tag = "milestones",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), PageQuery),
    responses(
        (status = 200, description = "A page of milestones, by due date", body = Page<Milestone>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_milestones(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Milestone>>, ApiError> {
    let page = wpt_db::milestones::list(&state.db, id, &q.page()?).await?;
    let lens = policy::lens(&actor);
    Ok(Json(Page {
        items: page
            .items
            .into_iter()
            .map(|m| policy::milestone_for(lens, m))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A new milestone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMilestone {
    /// What is to be reached.
    #[schema(example = "Regional workshop held", max_length = 500)]
    pub title: String,
    /// When it is due.
    #[schema(example = "2026-03-31")]
    pub due_on: NaiveDate,
}

/// Add a milestone
///
/// A dated checkpoint inside the activity, e.g. "regional workshop held"; an overdue
/// one makes the activity's derived signal `at_risk`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: adds the milestone and moves the activity's version; audited.
#[utoipa::path(
    post,
    path = "/activities/{id}/milestones",
    tag = "milestones",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    request_body = CreateMilestone,
    responses(
        (status = 201, description = "Created", body = Milestone, headers(("ETag" = String, description = "The version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_milestone(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<CreateMilestone>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let m = wpt_db::milestones::create(&state.db, &grant, id, &input.title, input.due_on).await?;
    Ok(created(
        format!("/api/v1/milestones/{}", m.id),
        Some(m.version),
        m,
    ))
}

/// An activity's indicators
///
/// The activity's MERL indicators in the order they were added, with measure, unit,
/// baseline and target.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/activities/{id}/indicators",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id"), PageQuery),
    responses(
        (status = 200, description = "A page of indicators", body = Page<Indicator>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_indicators(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Indicator>>, ApiError> {
    Ok(Json(
        wpt_db::indicators::list(&state.db, id, &q.page()?).await?,
    ))
}

/// A new indicator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIndicator {
    /// Name.
    #[schema(
        example = "Immigration officers briefed on victim identification",
        max_length = 500
    )]
    pub name: String,
    /// Unit.
    #[schema(example = "officers", max_length = 100)]
    pub unit: Option<String>,
    /// `number`, `percent` or `qualitative`.
    pub measure: IndicatorMeasure,
    /// Baseline (a number unless qualitative).
    #[schema(example = "0", max_length = 2000)]
    pub baseline: Option<String>,
    /// Target (a number unless qualitative).
    #[schema(example = "500", max_length = 2000)]
    pub target: Option<String>,
}

/// Add an indicator
///
/// A MERL indicator of the activity: what is measured, in which unit, and its baseline
/// and target. Each body then records its own actuals.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: adds the indicator; audited.
#[utoipa::path(
    post,
    path = "/activities/{id}/indicators",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    request_body = CreateIndicator,
    responses(
        (status = 201, description = "Created", body = Indicator, headers(("ETag" = String, description = "The version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_indicator(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<CreateIndicator>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let i = wpt_db::indicators::create(
        &state.db,
        &grant,
        id,
        IndicatorInput {
            name: input.name,
            unit: input.unit,
            measure: input.measure,
            baseline: input.baseline,
            target: input.target,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/indicators/{}", i.id),
        Some(i.version),
        i,
    ))
}

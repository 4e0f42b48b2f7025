//! `/work-plans/{id}/bodies` writes (a body joins or leaves a plan) and `/member-states`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::ParticipationRole;
use wpt_domain::models::{MemberState, Page, WorkPlanBody};

use super::{PageQuery, created};
use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_work_plan_body))
        .routes(routes!(remove_work_plan_body))
        .routes(routes!(list_member_states))
}

/// A body joining a plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddWorkPlanBody {
    /// The body's code.
    #[schema(example = "SOMRDPE", max_length = 40)]
    pub body: String,
    /// `member`, or `lead` for a plan that has no lead body yet.
    pub role: ParticipationRole,
}

/// Add a body to a work plan
///
/// The body takes part in the plan from now on, as a member (or as its lead, when the
/// plan has none), and can then be assigned the plan's activities. The participation is
/// recorded as confirmed. Reference data applied at a later start does not undo it
/// (docs/reference-data.md).
///
/// Who may call: administrators only (403 for everyone else). Changes: adds the
/// participation; audited (`work_plan.body_add`).
#[utoipa::path(
    post,
    path = "/work-plans/{id}/bodies",
    tag = "work plans",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    request_body = AddWorkPlanBody,
    responses(
        (status = 201, description = "The body takes part", body = WorkPlanBody,
            headers(("Location" = String, description = "The plan's bodies"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan or body", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The body already takes part, or the plan already has a lead", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn add_work_plan_body(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<AddWorkPlanBody>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    super::max_chars("body", Some(&input.body), 40)?;
    let part =
        wpt_db::participation::add_body(&state.db, &grant, id, &input.body, input.role).await?;
    Ok(created(
        format!("/api/v1/work-plans/{id}/bodies"),
        None,
        part,
    ))
}

/// Remove a body from a work plan
///
/// The body no longer takes part in the plan. Refused with 409 while it is assigned to
/// any of the plan's activities (the problem's detail names them: reassign them first)
/// and for the plan's lead body. Its past reports stay.
///
/// Who may call: administrators only (403 for everyone else). Changes: removes the
/// participation; audited (`work_plan.body_remove`).
#[utoipa::path(
    delete,
    path = "/work-plans/{id}/bodies/{code}",
    tag = "work plans",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The work plan's id"),
        ("code" = String, Path, description = "The body's code", example = "SOMRDPE"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan or body, or the body does not take part", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The body is assigned to activities of the plan (named), or leads it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn remove_work_plan_body(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    let grant = actor.administer()?;
    wpt_db::participation::remove_body(&state.db, &grant, id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the member states
///
/// The ASEAN member states of the reference data, ordered by ISO code, with the day
/// each became a member (and an observer, for Timor-Leste).
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/member-states",
    tag = "bodies",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of member states", body = Page<MemberState>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_member_states(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<MemberState>>, ApiError> {
    let page = query.page()?;
    Ok(Json(
        wpt_db::participation::member_states(&state.db, &page).await?,
    ))
}

//! `/work-plans`: the work plans, their participating bodies and their areas.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::models::{Area, Page, WorkPlan, WorkPlanBody};

use super::PageQuery;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_plans))
        .routes(routes!(get_work_plan))
        .routes(routes!(list_work_plan_bodies))
        .routes(routes!(list_work_plan_areas))
}

/// List work plans
///
/// Archived, active and draft plans, ordered by code.
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

//! `/bodies`: the ASEAN Sectoral Bodies.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};
use wpt_domain::models::{Body, Page};

use super::PageQuery;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bodies))
        .routes(routes!(get_body))
}

/// List sectoral bodies
///
/// Every sectoral body, ordered by code, with its pillar and whether its participation
/// is confirmed by a public source.
#[utoipa::path(
    get,
    path = "/bodies",
    tag = "bodies",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of bodies", body = Page<Body>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_bodies(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<Body>>, ApiError> {
    let page = query.page()?;
    Ok(Json(wpt_db::bodies::list(&state.db, &page).await?))
}

/// Get a sectoral body
///
/// One body by its stable code, e.g. `SOMTC`.
#[utoipa::path(
    get,
    path = "/bodies/{code}",
    tag = "bodies",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The body's code, e.g. `SOMTC`")),
    responses(
        (status = 200, description = "The body", body = Body,
            headers(("ETag" = String, description = "The body's version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 304, description = "Not modified since the `If-None-Match` tag"),
        (status = 404, description = "No body has this code", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_body(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let body = wpt_db::bodies::get(&state.db, &code).await?;
    Ok(etag::versioned(&headers, body.version, body))
}

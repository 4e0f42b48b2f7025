//! `/bodies`: the ASEAN Sectoral Bodies.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::{router::OpenApiRouter, routes};
use wpt_domain::models::{Body, Page};

use serde::Deserialize;
use utoipa::ToSchema;
use wpt_db::bodies::{BodyPatch, NewBody};
use wpt_domain::Pillar;

use super::{PageQuery, created, double_option, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bodies, create_body))
        .routes(routes!(get_body, update_body))
}

/// List sectoral bodies
///
/// Every sectoral body, ordered by code, with its pillar and whether its participation
/// is confirmed by a public source.
///
/// Who may call: any authenticated caller. Changes nothing.
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
///
/// Who may call: any authenticated caller. Changes nothing.
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

/// A new sectoral body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Unique code: capital letters, digits, `-` or `.`.
    #[schema(example = "SOMRDPE", max_length = 40)]
    pub code: String,
    /// Full name.
    #[schema(
        example = "Senior Officials Meeting on Rural Development and Poverty Eradication",
        max_length = 300
    )]
    pub name: String,
    /// Pillar.
    pub pillar: Pillar,
    /// Whether a public source confirms its participation.
    #[serde(default)]
    pub confirmed: bool,
    /// Editorial notes.
    #[schema(example = "Joins the plan from 2027.", max_length = 5000)]
    pub notes: Option<String>,
}

/// Add a sectoral body
///
/// A new sectoral body with its permanent code, name, pillar and whether a public
/// source confirms its participation.
///
/// Who may call: administrators only (403 for everyone else). Changes: adds the body;
/// audited.
#[utoipa::path(post, path = "/bodies", tag = "bodies", security(("bearer" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "Created", body = Body, headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The body"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_body(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(i): Json<CreateBody>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let body = wpt_db::bodies::create(
        &state.db,
        &grant,
        NewBody {
            code: i.code,
            name: i.name,
            pillar: i.pillar,
            confirmed: i.confirmed,
            notes: i.notes,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/bodies/{}", body.code),
        Some(body.version),
        body,
    ))
}

/// Changes to a body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"confirmed": true, "notes": "Participation confirmed by the SOMTC Working Group on TIP, May 2026."}))]
pub struct UpdateBody {
    /// New name.
    #[schema(max_length = 300)]
    pub name: Option<String>,
    /// New pillar.
    pub pillar: Option<Pillar>,
    /// New confirmation.
    pub confirmed: Option<bool>,
    /// New notes; `null` clears them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub notes: Option<Option<String>>,
}

/// Update a sectoral body
///
/// Requires `If-Match`. The code never changes (it is how everything refers to the body).
///
/// Who may call: administrators only (403 for everyone else). Changes: the body's name,
/// pillar, confirmation or notes; audited.
#[utoipa::path(patch, path = "/bodies/{code}", tag = "bodies", security(("bearer" = [])),
    params(("code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "Updated", body = Body, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such body", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_body(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(code): Path<String>,
    IfMatch(version): IfMatch,
    Json(i): Json<UpdateBody>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let body = wpt_db::bodies::update(
        &state.db,
        &grant,
        &code,
        version,
        BodyPatch {
            name: i.name,
            pillar: i.pillar,
            confirmed: i.confirmed,
            notes: i.notes,
        },
    )
    .await?;
    Ok(updated(body.version, body))
}

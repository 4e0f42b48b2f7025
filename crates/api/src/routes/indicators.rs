//! `/indicators/{id}`: the secretariat maintains indicators; officers of the activity's
//! bodies record their body's actuals per period.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::indicators::{ActualInput, IndicatorPatch};
use wpt_domain::IndicatorMeasure;
use wpt_domain::models::{Indicator, IndicatorActual, Page};

use super::{PageQuery, double_option, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_indicator, update_indicator))
        .routes(routes!(list_actuals, record_actual))
}

/// Get an indicator
///
/// One indicator with its measure, unit, baseline, target and `ETag`.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(
    get,
    path = "/indicators/{id}",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The indicator's id")),
    responses(
        (status = 200, description = "The indicator", body = Indicator, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_indicator(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let i = wpt_db::indicators::get(&state.db, id).await?;
    Ok(etag::versioned(&headers, i.version, i))
}

/// Changes to an indicator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": "600"}))]
pub struct UpdateIndicator {
    /// New name.
    #[schema(max_length = 500)]
    pub name: Option<String>,
    /// New unit; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub unit: Option<Option<String>>,
    /// New measure.
    pub measure: Option<IndicatorMeasure>,
    /// New baseline; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub baseline: Option<Option<String>>,
    /// New target; `null` clears.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub target: Option<Option<String>>,
}

/// Update an indicator
///
/// Changes the name, unit, measure, baseline or target. Requires `If-Match`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the indicator; audited.
#[utoipa::path(
    patch,
    path = "/indicators/{id}",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The indicator's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateIndicator,
    responses(
        (status = 200, description = "Updated", body = Indicator, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_indicator(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(input): Json<UpdateIndicator>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let patch = IndicatorPatch {
        name: input.name,
        unit: input.unit,
        measure: input.measure,
        baseline: input.baseline,
        target: input.target,
    };
    let i = wpt_db::indicators::update(&state.db, &grant, id, version, patch).await?;
    Ok(updated(i.version, i))
}

/// An indicator's actuals
///
/// Every body's recorded values of the indicator, latest period first.
///
/// Who may call: administrators, the secretariat and officers (403 for viewers).
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/indicators/{id}/actuals",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The indicator's id"), PageQuery),
    responses(
        (status = 200, description = "A page of actuals", body = Page<IndicatorActual>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A viewer: the route serves what no accepted report carries", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_actuals(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<IndicatorActual>>, ApiError> {
    wpt_domain::policy::reads_unaccepted(&actor).map_err(wpt_db::DbError::from)?;
    Ok(Json(
        wpt_db::indicators::actuals(&state.db, id, &q.page()?).await?,
    ))
}

/// An actual for a period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualRequest {
    /// First day of the period.
    #[schema(example = "2026-01-01")]
    pub period_start: NaiveDate,
    /// Last day of the period.
    #[schema(example = "2026-06-30")]
    pub period_end: NaiveDate,
    /// The value (a number for `number` and `percent` indicators).
    #[schema(example = "85", max_length = 2000)]
    pub value: String,
    /// A note.
    #[schema(
        example = "Briefings at 12 checkpoints in the first half of 2026.",
        max_length = 5000
    )]
    pub note: Option<String>,
}

/// Record an actual
///
/// An officer records their own body's value for a period; recording the same period
/// again replaces it (the earlier value stays in the audit log).
///
/// Who may call: officers of a body the indicator's activity is assigned to (403 for
/// everyone else). Changes: adds or replaces the body's value for the period (201 new,
/// 200 replaced); audited.
#[utoipa::path(
    post,
    path = "/indicators/{id}/actuals",
    tag = "indicators",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The indicator's id")),
    request_body = ActualRequest,
    responses(
        (status = 201, description = "Recorded", body = IndicatorActual),
        (status = 200, description = "Replaced the value for that period", body = IndicatorActual),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer of one of the activity's bodies", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn record_actual(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(input): Json<ActualRequest>,
) -> Result<Response, ApiError> {
    let grant = actor.own_body()?;
    let (actual, created) = wpt_db::indicators::record_actual(
        &state.db,
        &grant,
        id,
        ActualInput {
            period_start: input.period_start,
            period_end: input.period_end,
            value: input.value,
            note: input.note,
        },
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(actual)).into_response())
}

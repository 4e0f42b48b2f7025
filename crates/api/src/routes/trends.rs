//! Trends across reporting cycles, from accepted reports only: an activity's line, a
//! plan's status counts and each body's timeliness, an indicator's series.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::models::{ActivityTrend, IndicatorSeries, PlanTrends};

use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(activity_trend))
        .routes(routes!(plan_trends))
        .routes(routes!(indicator_series))
}

/// An activity across cycles
///
/// Per cycle of the activity's plan (oldest meeting first, planned cycles left out),
/// each body's status and completion as the secretariat accepted them; a body without
/// an accepted report in a cycle is absent from it. Computed from accepted reports
/// only, in a constant number of queries.
///
/// Who may call: everyone signed in, viewers included (accepted data only). Changes
/// nothing.
#[utoipa::path(get, path = "/activities/{id}/trend", tag = "trends", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The activity's id")),
    responses(
        (status = 200, description = "The activity's line across cycles", body = ActivityTrend),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such activity", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn activity_trend(
    State(state): State<AppState>,
    CurrentActor(_actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<ActivityTrend>, ApiError> {
    Ok(Json(wpt_db::trends::activity_trend(&state.db, id).await?))
}

/// A plan across cycles
///
/// Per cycle (oldest meeting first, planned cycles left out): the accepted reports and
/// their entries counted by status, overall, by thematic area and by body. Per body:
/// its record in each cycle with an accepted report (due day, the body's extended one
/// if granted; the day of the accepted submission; on time; days late; review days
/// from that submission to acceptance) and its averages over those cycles. Computed
/// from accepted reports only, in a constant number of queries.
///
/// Who may call: everyone signed in, viewers included (accepted data only). Changes
/// nothing.
#[utoipa::path(get, path = "/work-plans/{id}/trends", tag = "trends", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The work plan's id")),
    responses(
        (status = 200, description = "The plan's trends", body = PlanTrends),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work plan", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn plan_trends(
    State(state): State<AppState>,
    CurrentActor(_actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<PlanTrends>, ApiError> {
    Ok(Json(wpt_db::trends::plan_trends(&state.db, id).await?))
}

/// An indicator's series
///
/// The indicator's actuals by period against its baseline and target, each counted
/// once the reporting body's report for a cycle whose period holds the actual's last
/// day is accepted, and only when the actual was recorded and last changed at or
/// before that acceptance (a value entered or edited afterwards was never accepted, and
/// is left out for every caller). Values as recorded, and as numbers when they are.
/// Computed from accepted reports only, in a constant number of queries.
///
/// Who may call: everyone signed in, viewers included (accepted data only). Changes
/// nothing.
#[utoipa::path(get, path = "/indicators/{id}/series", tag = "trends", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The indicator's id")),
    responses(
        (status = 200, description = "The indicator's accepted actuals", body = IndicatorSeries),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such indicator", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn indicator_series(
    State(state): State<AppState>,
    CurrentActor(_actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<IndicatorSeries>, ApiError> {
    Ok(Json(wpt_db::trends::indicator_series(&state.db, id).await?))
}

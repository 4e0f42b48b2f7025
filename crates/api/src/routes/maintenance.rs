//! `/maintenance` (anyone) and `/admin/maintenance` (administrators): read-only
//! maintenance, see `wpt_db::maintenance`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wpt_domain::models::{Maintenance, MaintenanceInput};

use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::Json;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_maintenance))
        .routes(routes!(set_maintenance))
}

fn no_store(body: Maintenance) -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// Maintenance now
///
/// Whether the tracker is read-only for maintenance now (`active`), or has maintenance
/// announced (`on` with a later `starts_at`), with the administrator's message, the
/// expected end and the sentence the pages' banner shows. Needs no credentials, so
/// clients and status pages can ask before writing.
#[utoipa::path(
    get,
    path = "/maintenance",
    tag = "maintenance",
    responses(
        (status = 200, description = "The maintenance state", body = Maintenance),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_maintenance(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(no_store(wpt_db::maintenance::get(&state.db).await?))
}

/// Turning maintenance on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "on": true,
    "message": "Upgrade to version 1.4",
    "starts_at": "2026-12-01T14:00:00Z",
    "until": "2026-12-01T15:00:00Z"
}))]
pub struct SetMaintenance {
    /// On (from now, or from `starts_at`) or off.
    pub on: bool,
    /// What people are told; required when on, refused when off.
    #[schema(max_length = 500, example = "Upgrade to version 1.4")]
    pub message: Option<String>,
    /// The expected end, a forecast shown to people and sent as `Retry-After`; later
    /// than now and than `starts_at`; only when on.
    pub until: Option<DateTime<Utc>>,
    /// Scheduled maintenance: announced at once, writes refused only from this moment;
    /// only when on (a moment already past means now).
    pub starts_at: Option<DateTime<Utc>>,
}

/// Turn maintenance on or off
///
/// Administrators only. While maintenance is in force, every write under `/api/v1`
/// except login, refresh, logout and this one answers 503 `maintenance` with
/// `Retry-After`, on every instance sharing the database; reads, reports, downloads
/// and `/readyz` go on. Audited as `maintenance.on` or `maintenance.off`.
#[utoipa::path(
    put,
    path = "/admin/maintenance",
    tag = "maintenance",
    security(("bearer" = [])),
    request_body = SetMaintenance,
    responses(
        (status = 200, description = "The maintenance state now", body = Maintenance),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a message missing when on, an end already past, fields given when off)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn set_maintenance(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<SetMaintenance>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let now = wpt_db::maintenance::set(
        &state.db,
        &grant,
        MaintenanceInput {
            on: input.on,
            message: input.message,
            until: input.until,
            starts_at: input.starts_at,
        },
    )
    .await?;
    Ok(no_store(now))
}

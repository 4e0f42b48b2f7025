//! `/healthz` and `/readyz`: for load balancers and orchestrators, outside `/api/v1`.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::Json;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The answer of a health probe.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (the process is up) or `ready` (and the database answers).
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness probe
///
/// The process is up and serving; says nothing about the database.
///
/// Who may call: anyone, without credentials. Changes nothing.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "The process is up", body = Health),
        (status = 503, description = "The request timed out", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness probe
///
/// The database answers a query now; a load balancer should send traffic only while
/// this is 200.
///
/// Who may call: anyone, without credentials. Changes nothing.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.db.ping().await?;
    Ok(Json(Health {
        status: "ready".into(),
    }))
}

//! `/audit`: the hash-chained record of every write (administrators and the secretariat).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::audit::AuditFilter;
use wpt_domain::models::{AuditEntry, Page, Verification};
use wpt_domain::page::PageRequest;

use super::max_chars;
use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{Json, Query};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
}

fn require_reader(actor: &wpt_domain::Actor) -> Result<(), ApiError> {
    if actor.reads_everything() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "only administrators and the secretariat read the audit log",
        ))
    }
}

/// Filters of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this kind of resource, e.g. `user`.
    #[param(max_length = 64)]
    pub resource_type: Option<String>,
    /// Only this resource (its id or code).
    #[param(max_length = 128)]
    pub resource_id: Option<String>,
    /// Only this actor.
    pub actor_id: Option<Uuid>,
    /// Only this action, e.g. `user.update`.
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Rows per page, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Read the audit log
///
/// Who did what, when, to which resource, with the state before and after (secrets
/// removed), newest first.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = Page<AuditEntry>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither administrator nor secretariat", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    require_reader(&actor)?;
    max_chars("resource_type", q.resource_type.as_deref(), 64)?;
    max_chars("resource_id", q.resource_id.as_deref(), 128)?;
    max_chars("action", q.action.as_deref(), 64)?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        actor_id: q.actor_id,
        action: q.action,
    };
    Ok(Json(wpt_db::audit::list(&state.db, &filter, &page).await?))
}

/// Verify the audit chain
///
/// Recomputes every entry's hash and link; reports the first entry that was altered or
/// whose predecessor was removed.
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The result, broken or not", body = Verification),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither administrator nor secretariat", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify_audit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Verification>, ApiError> {
    require_reader(&actor)?;
    Ok(Json(wpt_db::audit::verify(&state.db).await?))
}

//! `/milestones/{id}`: read, and change as the secretariat (title, due date) or as an
//! officer of the activity's bodies (completion and note).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::milestones::{MilestoneEditor, MilestonePatch};
use wpt_domain::Role;
use wpt_domain::models::Milestone;

use super::{double_option, updated};
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{Json, Path};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_milestone, update_milestone))
}

/// Get a milestone
///
/// One milestone with its due date, completion and `ETag`.
///
/// Who may call: any authenticated caller. Viewers do not see the completer's note.
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/milestones/{id}",
    tag = "milestones",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The milestone's id")),
    responses(
        (status = 200, description = "The milestone", body = Milestone, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such milestone", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_milestone(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let m = wpt_domain::policy::milestone_for(
        wpt_domain::policy::lens(&actor),
        wpt_db::milestones::get(&state.db, id).await?,
    );
    Ok(etag::versioned(&headers, m.version, m))
}

/// Changes to a milestone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"completed_on": "2026-03-12", "note": "Held in Jakarta with delegates from all member states."}))]
pub struct UpdateMilestone {
    /// New title (secretariat).
    #[schema(max_length = 500)]
    pub title: Option<String>,
    /// New due date (secretariat).
    pub due_on: Option<NaiveDate>,
    /// When it was reached, not in the future; `null` reopens it (officers of the activity's bodies).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub completed_on: Option<Option<NaiveDate>>,
    /// A note on the completion (officers of the activity's bodies).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub note: Option<Option<String>>,
}

/// Update a milestone
///
/// The secretariat changes title and due date; officers of the activity's lead or
/// cooperating bodies record `completed_on` and `note`. Requires `If-Match`.
///
/// Who may call: administrators and the secretariat (title, due date); officers of the
/// activity's bodies (completion, note); 403 for anyone else or any other field.
/// Changes: the milestone and the activity's version; audited.
#[utoipa::path(
    patch,
    path = "/milestones/{id}",
    tag = "milestones",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The milestone's id"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateMilestone,
    responses(
        (status = 200, description = "Updated", body = Milestone, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed to change these fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such milestone", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_milestone(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(input): Json<UpdateMilestone>,
) -> Result<Response, ApiError> {
    let patch = MilestonePatch {
        title: input.title,
        due_on: input.due_on,
        completed_on: input.completed_on,
        note: input.note,
    };
    let m = match actor.role {
        Role::Officer => {
            let grant = actor.own_body()?;
            wpt_db::milestones::update(
                &state.db,
                MilestoneEditor::Officer(&grant),
                id,
                version,
                patch,
            )
            .await?
        }
        Role::Admin | Role::Secretariat => {
            let grant = actor.secretariat()?;
            wpt_db::milestones::update(
                &state.db,
                MilestoneEditor::Secretariat(&grant),
                id,
                version,
                patch,
            )
            .await?
        }
        Role::Viewer => return Err(ApiError::new(ErrorCode::Forbidden, "viewers read only")),
    };
    Ok(updated(m.version, m))
}

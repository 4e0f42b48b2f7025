//! A cycle's life: opening it, closing it (and reopening it), and the edition it leaves
//! behind.

use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;
use wpt_domain::models::{Cycle, Edition};

use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::routes::updated;

/// Open a reporting cycle
///
/// `planned -> open`: creates one submission per participating body, each with one
/// entry per activity the body is assigned to, prefilled from its latest progress.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the cycle's state, and adds the submissions and their entries; audited.
#[utoipa::path(post, path = "/cycles/{id}/open", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Opened", body = Cycle),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not planned", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn open_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let c = wpt_db::cycles::open(&state.db, &grant, id).await?;
    Ok(updated(c.version, c))
}

/// Close a reporting cycle
///
/// `open -> closed`: freezes the edition (a canonical snapshot of every accepted entry
/// with its SHA-256); nothing changes afterwards.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the cycle's state, and adds the edition, signed with the audit key;
/// audited.
#[utoipa::path(post, path = "/cycles/{id}/close", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Closed", body = Cycle),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn close_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let c = wpt_db::cycles::close(&state.db, &grant, id).await?;
    Ok(updated(c.version, c))
}

/// Reopen a closed reporting cycle
///
/// `closed -> open`: for a cycle closed too early. Bodies can again edit, submit and be
/// reviewed (accepted reports stay accepted). The edition made at the close is kept in
/// the audit record (its hash and signature in the `cycle.close` entry, its content in
/// the `cycle.reopen` entry) and `GET /cycles/{id}/edition` answers 404 until the next
/// close, which makes a new edition.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the cycle's state (and `closed_at`, cleared); the edition leaves the
/// editions table for the audit record; audited as `cycle.reopen`.
#[utoipa::path(post, path = "/cycles/{id}/reopen", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Reopened", body = Cycle),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn reopen_cycle(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let grant = actor.secretariat()?;
    let c = wpt_db::cycles::reopen(&state.db, &grant, id).await?;
    Ok(updated(c.version, c))
}

/// The edition of a closed cycle
///
/// The frozen, canonical snapshot of every accepted entry and its SHA-256, so the
/// meeting document can be cited and checked later.
///
/// Who may call: any authenticated caller. Changes nothing.
#[utoipa::path(get, path = "/cycles/{id}/edition", tag = "cycles", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "The edition", body = Edition),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle, or it is not closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_edition(
    State(state): State<AppState>,
    _actor: CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Edition>, ApiError> {
    Ok(Json(wpt_db::cycles::get_edition(&state.db, id).await?))
}

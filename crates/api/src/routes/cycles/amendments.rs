//! Amendments: corrections a body proposes to an accepted report, and the
//! secretariat's decision on each.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_domain::models::{Amendment, Page};

use super::submissions::EntryRequest;
use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::{PageQuery, created};

/// A body's amendments
///
/// The corrections proposed to the body's accepted report, oldest first, each with the
/// entry as accepted beside the proposed values; paged like every list (`limit`,
/// `cursor`).
///
/// Who may call: as for reading the report (other bodies' officers once it is
/// submitted, viewers once it is accepted; 404 before); amendments not accepted are
/// shown to administrators, the secretariat and the body's own officers only. Changes
/// nothing.
#[utoipa::path(get, path = "/cycles/{id}/submissions/{body_code}/amendments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), PageQuery),
    responses(
        (status = 200, description = "A page of amendments, originals beside proposals", body = Page<Amendment>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn list_amendments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Amendment>>, ApiError> {
    Ok(Json(
        wpt_db::cycles::amendments(&state.db, &actor, id, &code, &q.page()?).await?,
    ))
}

/// A proposed amendment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"entry": {"activity_id": "0192f3a0-5c1e-7d2b-9a4f-3c2d1e0f9a8b", "status": "on_track", "percent_complete": 60, "narrative": "85 immigration officers briefed."}, "reason": "85 officers were briefed, not 58: a typing error in the accepted report."}))]
pub struct AmendmentRequest {
    /// The corrected entry.
    pub entry: EntryRequest,
    /// Why (required).
    #[schema(
        example = "85 officers were briefed, not 58: a typing error in the accepted report.",
        max_length = 5000
    )]
    pub reason: String,
}

/// Propose an amendment
///
/// After acceptance, the body's officer proposes corrected values for one entry; the
/// secretariat accepts or rejects it, and the original stays visible beside it.
///
/// One proposal at a time per entry: while one waits for the secretariat's decision,
/// another for the same activity is a 409 `amendment_pending`.
///
/// Files change like the other fields: `entry.attachment_ids`, when given, is the
/// entry's proposed set of files, each a file already on the entry or the caller's own
/// upload not attached yet (422 naming it otherwise). New uploads are kept with the
/// amendment while it waits (not deleted after 24 hours) and are visible exactly to
/// whoever sees the amendment; accepted, the entry's files become the proposed set;
/// rejected, the new uploads are unattached again. Absent, the files stay as they are.
///
/// Who may call: officers of that body only. Changes: adds the proposed amendment; the
/// accepted entry keeps its values and files until the secretariat accepts it. Audited.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/amendments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    request_body = AmendmentRequest,
    responses(
        (status = 201, description = "Proposed", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The report is not accepted or the cycle is closed (`invalid_transition`), or the entry already has an amendment waiting for a decision (`amendment_pending`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values or no reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn propose_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    Json(body): Json<AmendmentRequest>,
) -> Result<Response, ApiError> {
    let a = wpt_db::cycles::propose_amendment(
        &state.db,
        &actor,
        id,
        &code,
        body.entry.into(),
        body.reason,
    )
    .await?;
    Ok(created(
        format!("/api/v1/cycles/{id}/submissions/{code}/amendments"),
        None,
        a,
    ))
}

/// A decision on an amendment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentDecision {
    /// A note for the body.
    #[schema(example = "Checked against the attendance lists.", max_length = 5000)]
    pub note: Option<String>,
}

/// Accept an amendment
///
/// Applies the proposed values (and proposed set of files, if any) to the accepted
/// entry; the original stays beside it in the amendment.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the amendment's status and note, the entry (marked `amended`) and the
/// body's accepted status on the activity; audited.
#[utoipa::path(post, path = "/amendments/{id}/accept", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The amendment's id")), request_body = AmendmentDecision,
    responses(
        (status = 200, description = "Accepted; the entry now carries the proposed values", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such amendment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: a body not of the schema, or a note over 5,000 characters or with control characters", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn accept_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(body): Json<AmendmentDecision>,
) -> Result<Json<Amendment>, ApiError> {
    Ok(Json(
        wpt_db::cycles::decide_amendment(&state.db, &actor, id, true, body.note).await?,
    ))
}

/// Reject an amendment
///
/// Turns the proposal down with an optional note for the body. Files it proposed that
/// were not on the entry are unattached uploads again (deleted after 24 hours).
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the amendment's status and note; the entry keeps its accepted values.
/// Audited.
#[utoipa::path(post, path = "/amendments/{id}/reject", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The amendment's id")), request_body = AmendmentDecision,
    responses(
        (status = 200, description = "Rejected; the entry is unchanged", body = Amendment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such amendment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields: a body not of the schema, or a note over 5,000 characters or with control characters", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn reject_amendment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Json(body): Json<AmendmentDecision>,
) -> Result<Json<Amendment>, ApiError> {
    Ok(Json(
        wpt_db::cycles::decide_amendment(&state.db, &actor, id, false, body.note).await?,
    ))
}

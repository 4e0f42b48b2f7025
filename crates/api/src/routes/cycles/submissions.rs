//! Each body's report for a cycle: the board of who has submitted, reading and saving a
//! report, and its review (submit, return, accept).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use wpt_db::cycles::EntryInput;
use wpt_domain::SubmissionStatus;
use wpt_domain::models::{Submission, SubmissionSummary};
use wpt_domain::workflow::SubmissionAction;

use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::updated;
use crate::{AppState, etag};
use wpt_domain::input::ProgressInput;

/// Filter of the board.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only bodies whose submission has this status.
    #[param(inline)]
    pub status: Option<SubmissionStatus>,
}

/// The board of a cycle.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Board {
    /// One row per participating body, late and missing first.
    pub items: Vec<SubmissionSummary>,
    /// Always `null`: one row per body fits one page.
    pub next_cursor: Option<String>,
}

/// Who has submitted
///
/// One row per participating body, including those that have not started, with status,
/// late and missing flags, and author, submitter and reviewer with their times.
///
/// Who may call: any authenticated caller. Review content (return reasons, reviewers)
/// is for administrators, the secretariat and each body's own officers only. Changes
/// nothing.
#[utoipa::path(get, path = "/cycles/{id}/submissions", tag = "submissions", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The cycle's id"), BoardQuery),
    responses(
        (status = 200, description = "The board", body = Board),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn list_submissions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    Query(q): Query<BoardQuery>,
) -> Result<Json<Board>, ApiError> {
    Ok(Json(Board {
        items: wpt_db::cycles::board(&state.db, &actor, id, q.status).await?,
        next_cursor: None,
    }))
}

/// Get a body's report
///
/// Another body's unsubmitted report is not found for officers; viewers see accepted
/// reports only. Once the secretariat has returned the report, each entry's
/// `changes_since_return` lists what changed since that return, field by field, for the
/// secretariat, administrators and the body's own officers (`null` for other readers).
///
/// Who may call: administrators and the secretariat; the body's own officers; other
/// bodies' officers once it is submitted; viewers once it is accepted (404 before).
/// Changes nothing.
#[utoipa::path(get, path = "/cycles/{id}/submissions/{body_code}", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    responses(
        (status = 200, description = "The report", body = Submission, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = wpt_db::cycles::get_submission(&state.db, &actor, id, &code).await?;
    Ok(etag::versioned(&headers, s.version, s))
}

/// One entry of a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// The activity.
    pub activity_id: Uuid,
    /// Status of the body's part.
    pub status: wpt_domain::ProgressStatus,
    /// Completion, 0 to 100.
    #[schema(example = 60, minimum = 0, maximum = 100)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(
        example = "Campaign materials printed in five languages and placed at 12 of the 20 checkpoints; 85 immigration officers briefed.",
        max_length = 20000
    )]
    pub narrative: String,
    /// Difficulties.
    #[schema(
        example = "Printing for the remaining checkpoints waits for the second funding tranche.",
        max_length = 20000
    )]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(
        example = "Place the materials at the remaining 8 checkpoints by the end of the quarter.",
        max_length = 20000
    )]
    pub next_steps: Option<String>,
    /// Evidence links, at most 20.
    #[serde(default)]
    #[schema(example = json!(["https://example.org/dgicm/campaign-progress-2026.pdf"]))]
    pub evidence_urls: Vec<String>,
    /// Evidence files, at most 20: the entry's files afterwards. Ids of the caller's own
    /// uploads not attached yet, or of files already on the entry; files on the entry not
    /// listed are removed. Absent or `null` keeps the entry's files as they are.
    #[serde(default)]
    #[schema(example = json!([]))]
    pub attachment_ids: Option<Vec<Uuid>>,
}

impl From<EntryRequest> for EntryInput {
    fn from(e: EntryRequest) -> Self {
        EntryInput {
            activity_id: e.activity_id,
            values: ProgressInput {
                status: e.status,
                percent_complete: e.percent_complete,
                narrative: e.narrative,
                challenges: e.challenges,
                next_steps: e.next_steps,
                evidence_urls: e.evidence_urls,
                attachment_ids: e.attachment_ids,
            },
        }
    }
}

/// The entries a body saves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"entries": [{"activity_id": "0192f3a0-5c1e-7d2b-9a4f-3c2d1e0f9a8b", "status": "on_track", "percent_complete": 60, "narrative": "Campaign materials printed in five languages and placed at 12 of the 20 checkpoints; 85 immigration officers briefed.", "next_steps": "Place the materials at the remaining 8 checkpoints by the end of the quarter.", "evidence_urls": ["https://example.org/dgicm/campaign-progress-2026.pdf"]}]}))]
pub struct SaveSubmission {
    /// Entries to change (others keep their values), at most 2000.
    pub entries: Vec<EntryRequest>,
}

/// Save a body's report
///
/// The body's officers save entries while the report is `not_started`, `draft` or
/// `returned`. Requires `If-Match`.
///
/// Who may call: officers of that body only (another body's officers get 404 before it
/// is submitted and 403 after; administrators and the secretariat 403). Changes: the
/// listed entries, and `not_started` becomes `draft` (a returned report stays
/// `returned` until it is submitted again); audited.
#[utoipa::path(put, path = "/cycles/{id}/submissions/{body_code}", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = SaveSubmission,
    responses(
        (status = 200, description = "Saved", body = Submission, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Submitted, accepted or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid entries", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn save_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
    Json(body): Json<SaveSubmission>,
) -> Result<Response, ApiError> {
    if body.entries.len() > 2000 {
        return Err(ApiError::field(
            "entries",
            "at most 2000 entries per request",
        ));
    }
    let s = wpt_db::cycles::save(
        &state.db,
        &actor,
        id,
        &code,
        version,
        body.entries.into_iter().map(Into::into).collect(),
    )
    .await?;
    Ok(updated(s.version, s))
}

async fn step(
    state: &AppState,
    actor: &wpt_domain::Actor,
    id: Uuid,
    code: &str,
    version: i32,
    action: SubmissionAction,
    reason: Option<String>,
) -> Result<Response, ApiError> {
    let s = wpt_db::cycles::act(&state.db, actor, id, code, version, action, reason).await?;
    Ok(updated(s.version, s))
}

/// Submit a body's report
///
/// `draft|returned -> submitted`, by the body's officer; after the due day it is
/// marked late. Requires `If-Match`.
///
/// Who may call: officers of that body only, as for saving. Changes: the status, the
/// submitter and the time, and whether it is late; audited.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/submit", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Submitted", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this body's officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Submit,
        None,
    )
    .await
}

/// Why a report goes back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The reason (required), shown to the body.
    #[schema(
        example = "Please add the evidence link for the checkpoint briefings.",
        max_length = 5000
    )]
    pub reason: String,
}

/// Return a body's report
///
/// `submitted -> returned`, by the secretariat, with a reason. Requires `If-Match`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the status, the reason and the reviewer; audited.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/return", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = ReturnRequest,
    responses(
        (status = 200, description = "Returned", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn return_submission(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
    Json(body): Json<ReturnRequest>,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Return,
        Some(body.reason),
    )
    .await
}

/// Accept a body's report
///
/// `submitted -> accepted`, by the secretariat; the entries are then locked. Requires `If-Match`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: the status and the reviewer, and each of the body's activities takes its
/// accepted status from this report; audited.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/accept", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The ETag last read")),
    responses(
        (status = 200, description = "Accepted", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Invalid transition or the cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn accept(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    step(
        &state,
        &actor,
        id,
        &code,
        version,
        SubmissionAction::Accept,
        None,
    )
    .await
}

//! The review conversation on a body's report: comments (on the whole report or one
//! entry), replies, and resolving a thread.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_domain::models::{Comment, Page};

use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::{PageQuery, created};

/// A report's conversation
///
/// The comments on the body's report for the cycle, oldest first (replies name their
/// thread's first comment in `reply_to`), resolved or not; paged like every list. The
/// thread runs through return, resubmission and acceptance and stays readable after
/// the cycle closes.
///
/// Who may call: administrators, the secretariat and that body's officers; viewers and
/// other bodies' officers get 404, in every state of the report. Changes nothing.
#[utoipa::path(get, path = "/cycles/{id}/submissions/{body_code}/comments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), PageQuery),
    responses(
        (status = 200, description = "A page of comments, oldest first", body = Page<Comment>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or the caller takes no part in its conversation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn list_comments(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<Comment>>, ApiError> {
    Ok(Json(
        wpt_db::cycles::comments(&state.db, &actor, id, &code, &q.page()?).await?,
    ))
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Which workshop is this? Please attach the MoU.", "activity_id": "0192f3a0-5c1e-7d2b-9a4f-3c2d1e0f9a8b"}))]
pub struct CommentRequest {
    /// The comment (required, not blank).
    #[schema(
        example = "Which workshop is this? Please attach the MoU.",
        max_length = 4000
    )]
    pub text: String,
    /// The entry (an activity of this report) it is about; absent for the whole report,
    /// or, in a reply, the thread's.
    pub activity_id: Option<Uuid>,
    /// The comment it answers (a comment of this report's conversation).
    pub reply_to: Option<Uuid>,
}

/// Comment on a report
///
/// Adds a comment to the body's report for the cycle: on the whole report, on one entry
/// (`activity_id`), or in answer to a comment (`reply_to`; threads are one level deep,
/// so a reply to a reply joins its thread). Comments are never edited or deleted. The
/// other side hears of it (the secretariat when an officer writes, the body's officers
/// when the secretariat or an administrator does), in the inbox and by e-mail as each
/// person chose.
///
/// Who may call: administrators, the secretariat and that body's officers (not with a
/// read-only token: 403); viewers and other bodies' officers get 404. Changes: adds the
/// comment and the notices; audited. A closed cycle's conversation takes no comments
/// (409).
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/comments", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code")),
    request_body = CommentRequest,
    responses(
        (status = 201, description = "Added", body = Comment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A read-only token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or the caller takes no part in its conversation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long a text, an activity not in this report, or a `reply_to` not in this conversation", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn add_comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    Json(body): Json<CommentRequest>,
) -> Result<Response, ApiError> {
    let comment = wpt_db::cycles::add_comment(
        &state.db,
        &actor,
        id,
        &code,
        wpt_db::cycles::CommentInput {
            text: body.text,
            activity_id: body.activity_id,
            reply_to: body.reply_to,
        },
    )
    .await?;
    Ok(created(
        format!("/api/v1/cycles/{id}/submissions/{code}/comments"),
        None,
        comment,
    ))
}

/// Resolve a thread
///
/// Marks the thread that starts with this comment resolved (its replies go with it).
/// Either side may; the comment and its replies stay as they are.
///
/// Who may call: administrators, the secretariat and that body's officers (not with a
/// read-only token: 403); viewers and other bodies' officers get 404. Changes: the
/// thread's `resolved_at` and `resolved_by`; audited.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/comments/{comment_id}/resolve", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("comment_id" = Uuid, Path, description = "The thread's first comment")),
    responses(
        (status = 200, description = "Resolved", body = Comment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A read-only token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report or comment, or the caller takes no part in the conversation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved, a reply rather than a thread, or the cycle is closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn resolve_comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code, comment_id)): Path<(Uuid, String, Uuid)>,
) -> Result<Json<Comment>, ApiError> {
    Ok(Json(
        wpt_db::cycles::resolve_comment(&state.db, &actor, id, &code, comment_id).await?,
    ))
}

//! A body's deadline: the secretariat extends it, and reminds the bodies that have
//! not submitted (issue 17).

use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use wpt_domain::models::Submission;

use crate::AppState;
use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::routes::updated;

/// A later due day for one body's report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The new due day: after the cycle's due day and not in the past.
    #[schema(example = "2026-12-21")]
    pub due_on: NaiveDate,
    /// Why it is granted (required); the body's officers read it.
    #[schema(
        example = "National elections delayed the inter-ministerial clearance.",
        max_length = 2000
    )]
    pub reason: String,
}

/// Extend a body's deadline
///
/// Grants the body a later due day for this cycle, with a reason. Late and missing are
/// then judged against it (the board, the exports and the meeting paper), the reminders
/// follow it, and the body's officers are told. A report submitted late whose last
/// submission falls within the new day is no longer late. Requires `If-Match` (the
/// report's ETag); granting again replaces the earlier extension.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers;
/// 404 for a caller who may not see the report). Changes: the report's extended due
/// day, the reason and its late flag; audited (`submission.extend`); a notice to the
/// body's officers.
#[utoipa::path(post, path = "/cycles/{id}/submissions/{body_code}/extension", tag = "submissions", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id"), ("body_code" = String, Path, description = "The body's code"), ("If-Match" = String, Header, description = "The report's ETag last read")),
    request_body = ExtensionRequest,
    responses(
        (status = 200, description = "Extended; the report with its new due day", body = Submission),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is not open, or the report is accepted", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The due day is not after the cycle's or is in the past, or no reason", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn extend(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, code)): Path<(Uuid, String)>,
    IfMatch(version): IfMatch,
    Json(body): Json<ExtensionRequest>,
) -> Result<Response, ApiError> {
    let s = wpt_db::cycles::extend_deadline(
        &state.db,
        &actor,
        id,
        &code,
        version,
        wpt_db::cycles::Extension {
            due_on: body.due_on,
            reason: body.reason,
        },
        Utc::now().date_naive(),
    )
    .await?;
    Ok(updated(s.version, s))
}

/// Whom a nudge went to.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RemindersSent {
    /// The codes of the bodies reminded (their reports are not yet submitted or
    /// accepted), sorted; empty when every body has submitted.
    #[schema(example = json!(["ACW", "SOMHD"]))]
    pub bodies: Vec<String>,
}

/// Remind the bodies not yet submitted
///
/// Sends a reminder now to the officers of every body whose report in this open cycle
/// is not yet submitted or accepted (by e-mail when mail is on, and in their inbox).
/// Scheduled reminders go out on their own (`WPT_REMINDER_DAYS`); this is the
/// secretariat's nudge, sent each time it is asked.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes: one reminder notice per body; audited (`cycle.remind`, with the bodies).
#[utoipa::path(post, path = "/cycles/{id}/reminders", tag = "cycles", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The cycle's id")),
    responses(
        (status = 200, description = "Sent; the bodies it went to", body = RemindersSent),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither secretariat nor administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cycle", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cycle is not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn remind(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<RemindersSent>, ApiError> {
    let bodies = wpt_db::cycles::nudge(&state.db, &actor, id, Utc::now()).await?;
    Ok(Json(RemindersSent { bodies }))
}

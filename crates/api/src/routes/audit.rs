//! `/audit`: the keyed, hash-chained record of every write (administrators and the
//! secretariat), its verification and its head (administrators).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::audit::{AuditFilter, Checkpoint};
use wpt_domain::Role;
use wpt_domain::models::{AuditEntry, AuditHead, Page, Verification};
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
        .routes(routes!(audit_head))
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
/// removed), newest first. A page holds at most `limit` entries and stops early once
/// its entries' `before` and `after` pass 1 MiB (after the entry that passes it, so a
/// page is never empty); `next_cursor` goes on from there, so follow it rather than
/// counting on a full page.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes nothing.
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

/// What `GET /audit/verify` checks besides the chain: a head recorded earlier.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The `id` of a head recorded earlier (`GET /audit/head`); with `checkpoint_hash`.
    pub checkpoint_id: Option<i64>,
    /// That head's `hash` (64 hexadecimal digits); with `checkpoint_id`.
    #[param(min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$")]
    pub checkpoint_hash: Option<String>,
}

impl VerifyQuery {
    fn checkpoint(self) -> Result<Option<Checkpoint>, ApiError> {
        match (self.checkpoint_id, self.checkpoint_hash) {
            (None, None) => Ok(None),
            (Some(id), Some(hash)) => {
                if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                {
                    return Err(ApiError::field(
                        "checkpoint_hash",
                        "must be 64 lower-case hexadecimal digits",
                    ));
                }
                Ok(Some(Checkpoint { id, hash }))
            }
            (Some(_), None) => Err(ApiError::field(
                "checkpoint_hash",
                "is required with checkpoint_id",
            )),
            (None, Some(_)) => Err(ApiError::field(
                "checkpoint_id",
                "is required with checkpoint_hash",
            )),
        }
    }
}

/// Verify the audit chain
///
/// Recomputes every entry's hash (keyed) and link; reports the first entry that was
/// altered, rewritten without the audit key, or whose predecessor was removed. With
/// `checkpoint_id` and `checkpoint_hash` (a head recorded earlier), also that the chain
/// still reaches that head unchanged: a cut tail is `checkpoint_missing`.
///
/// Who may call: administrators and the secretariat (403 for officers and viewers).
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "audit",
    security(("bearer" = [])),
    params(VerifyQuery),
    responses(
        (status = 200, description = "The result, broken or not", body = Verification),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither administrator nor secretariat", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A checkpoint parameter without the other, or a malformed hash", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn verify_audit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<VerifyQuery>,
) -> Result<Json<Verification>, ApiError> {
    require_reader(&actor)?;
    let checkpoints: Vec<Checkpoint> = q.checkpoint()?.into_iter().collect();
    Ok(Json(
        wpt_db::audit::verify_against(&state.db, &checkpoints).await?,
    ))
}

/// The head of the audit chain
///
/// The newest entry's id, hash and time: record it outside the database (a checkpoint)
/// and pass it to `GET /audit/verify` later, so that a cut tail is found. Administrators
/// only (read-only tokens too).
///
/// Who may call: administrators only (403 for everyone else). Changes nothing.
#[utoipa::path(
    get,
    path = "/audit/head",
    tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The newest entry", body = AuditHead),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The audit log is empty", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn audit_head(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<AuditHead>, ApiError> {
    if actor.role != Role::Admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only administrators read the head of the audit log",
        ));
    }
    wpt_db::audit::head(&state.db)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("audit entry"))
}

//! The caller's in-app inbox and e-mail setting (`/me/notifications`,
//! `/me/notification-settings`) and the administrators' view of the mail outbox
//! (`/admin/outbox`). The rows are written by the use cases that cause them, in their own
//! transaction (see `wpt_db::notify`).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::models::{NotificationPage, NotificationSettings, OutboxMessage, Page};
use wpt_domain::page::PageRequest;
use wpt_domain::{EmailSetting, OutboxStatus};

use super::PageQuery;
use crate::AppState;
use crate::auth::CurrentActor;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
        .routes(routes!(get_settings, set_settings))
        .routes(routes!(list_outbox))
        .routes(routes!(retry_outbox))
}

/// List my notifications
///
/// The caller's in-app notifications (workflow notices, reminders, security notices),
/// newest first, with how many are unread in all.
///
/// Who may call: any authenticated caller; only their own notifications are listed.
/// Changes nothing.
#[utoipa::path(
    get,
    path = "/me/notifications",
    tag = "notifications",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's notifications, newest first", body = NotificationPage),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_notifications(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<PageQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    let page = q.page()?;
    Ok(Json(
        wpt_db::notify::inbox::list(&state.db, &actor, &page).await?,
    ))
}

/// Which notifications to mark read: `ids`, or `all: true`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": ["0190b8a2-0000-7000-8000-000000000000"]}))]
pub struct MarkReadInput {
    /// These notifications of the caller's (at most 200; others' ids change nothing).
    #[schema(max_items = 200)]
    pub ids: Option<Vec<Uuid>>,
    /// Every unread notification of the caller's.
    #[schema(example = true)]
    pub all: Option<bool>,
}

/// What marking read did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications were marked read now.
    pub marked: u64,
    /// How many of the caller's notifications are still unread.
    pub unread_count: u64,
}

/// Mark notifications read
///
/// Marks the named notifications (`{"ids": [...]}`) or all of them (`{"all": true}`)
/// read. Ids of notifications that are not the caller's change nothing.
///
/// Who may call: any authenticated caller, for their own notifications. Changes: the
/// notifications' `read_at` (not audited: reading one's own notices).
#[utoipa::path(
    post,
    path = "/me/notifications/read",
    tag = "notifications",
    security(("bearer" = [])),
    request_body = MarkReadInput,
    responses(
        (status = 200, description = "Marked", body = MarkedRead),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither `ids` nor `all: true`, both, or more than 200 ids", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<MarkReadInput>,
) -> Result<Json<MarkedRead>, ApiError> {
    use wpt_db::notify::inbox::MarkRead;
    let which = match (input.ids, input.all) {
        (Some(ids), None | Some(false)) => MarkRead::Ids(ids),
        (None, Some(true)) => MarkRead::All,
        (Some(_), Some(true)) => {
            return Err(ApiError::field(
                "all",
                "give either `ids` or `all: true`, not both",
            ));
        }
        (None, _) => {
            return Err(ApiError::field("ids", "give `ids` (a list) or `all: true`"));
        }
    };
    let marked = wpt_db::notify::inbox::mark_read(&state.db, &actor, which).await?;
    let unread_count = wpt_db::notify::inbox::unread(&state.db, actor.user_id).await?;
    Ok(Json(MarkedRead {
        marked,
        unread_count,
    }))
}

/// Read my notification settings
///
/// When notices come by e-mail: `immediate`, `daily_digest` or `off` (the inbox always
/// gets them; security messages come whatever this says).
///
/// Who may call: any authenticated caller, about their own account. Changes nothing.
#[utoipa::path(
    get,
    path = "/me/notification-settings",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's settings", body = NotificationSettings),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_settings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<NotificationSettings>, ApiError> {
    Ok(Json(
        wpt_db::notify::inbox::settings(&state.db, actor.user_id).await?,
    ))
}

/// A change of the caller's notification settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "daily_digest"}))]
pub struct SettingsInput {
    /// `immediate`, `daily_digest` (one message a day at the configured hour) or `off`.
    pub email: EmailSetting,
}

/// Change my notification settings
///
/// Sets when notices come by e-mail. Security messages (password reset, invitation, a
/// new sign-in to an administrator account) ignore it.
///
/// Who may call: any authenticated caller, for their own account. Changes: the caller's
/// setting; audited as `notification.settings`.
#[utoipa::path(
    patch,
    path = "/me/notification-settings",
    tag = "notifications",
    security(("bearer" = [])),
    request_body = SettingsInput,
    responses(
        (status = 200, description = "The settings now", body = NotificationSettings),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown `email` value", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn set_settings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<SettingsInput>,
) -> Result<Json<NotificationSettings>, ApiError> {
    Ok(Json(
        wpt_db::notify::inbox::set_settings(&state.db, &actor, input.email).await?,
    ))
}

/// Filters of `GET /admin/outbox`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only messages in this state.
    #[param(inline)]
    pub status: Option<OutboxStatus>,
    /// Rows per page, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the mail outbox
///
/// Every e-mail the tracker queued, newest first, optionally of one status: `queued`
/// (waiting, also between retries), `sent`, `failed` (given up), `digest` (held for a
/// daily digest), `digested`. Without the message bodies.
///
/// Who may call: administrators only (403 for everyone else). Changes nothing.
#[utoipa::path(
    get,
    path = "/admin/outbox",
    tag = "notifications",
    security(("bearer" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "A page of outbox messages, newest first", body = Page<OutboxMessage>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `status`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_outbox(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<OutboxQuery>,
) -> Result<Json<Page<OutboxMessage>>, ApiError> {
    let grant = actor.administer()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        wpt_db::notify::admin::list(&state.db, &grant, q.status, &page).await?,
    ))
}

/// Retry a failed e-mail
///
/// Queues a failed message again, due now: the same row and `Message-ID`, sent by the
/// next round of the delivery worker.
///
/// Who may call: administrators only (403 for everyone else). Changes: the message's
/// status (`failed` to `queued`); audited as `outbox.retry`. 409 unless it failed.
#[utoipa::path(
    post,
    path = "/admin/outbox/{id}/retry",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The message")),
    responses(
        (status = 200, description = "Queued again", body = OutboxMessage),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The message has not failed", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn retry_outbox(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<OutboxMessage>, ApiError> {
    let grant = actor.administer()?;
    Ok(Json(
        wpt_db::notify::admin::retry(&state.db, &grant, id).await?,
    ))
}

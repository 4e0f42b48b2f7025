//! `/me`: the caller's own account, password and personal API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::models::{ApiToken, Me, NewApiToken, SessionInfo};

use crate::AppState;
use crate::auth::{ClientAddr, CurrentActor};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_sessions))
        .routes(routes!(end_session))
}

/// Who am I
///
/// The caller's account: id, email, name, role, for officers their body's code, and
/// the time zone the pages show times in.
///
/// Who may call: any authenticated caller, about their own account. Changes nothing.
#[utoipa::path(
    get,
    path = "/me",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_me(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(wpt_db::users::me(&state.db, &actor).await?))
}

/// A change of the caller's own account settings: only the keys given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Asia/Jakarta"}))]
pub struct MePatch {
    /// The time zone the pages show times in: an IANA name (`Asia/Jakarta`, `UTC`);
    /// `null` clears it (the pages then show UTC, saying so). Absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 64, example = "Asia/Jakarta")]
    pub time_zone: Option<Option<String>>,
}

/// A key that is present, even as `null`: `Some(None)`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Change my account settings
///
/// Sets the caller's time zone (`time_zone`, an IANA name, or `null` to clear it), in
/// which the web pages show times; the API's own times stay RFC 3339 in UTC. The first
/// login in the pages sets it from the browser when it is still unset.
///
/// Who may call: any authenticated caller, for their own account; not with a read-only
/// API token (403). An unknown zone is 422. Changes: the caller's time zone; audited as
/// `user.time_zone`.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "me",
    security(("bearer" = [])),
    request_body = MePatch,
    responses(
        (status = 200, description = "The caller, changed", body = Me),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A read-only API token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`time_zone` is not an IANA time zone name", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_me(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<MePatch>,
) -> Result<Json<Me>, ApiError> {
    let grant = actor.own_account()?;
    if let Some(zone) = &input.time_zone {
        wpt_db::time_zones::set_own(&state.db, &grant, zone.as_deref()).await?;
    }
    Ok(Json(wpt_db::users::me(&state.db, &actor).await?))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    #[schema(format = Password, max_length = 1024)]
    pub current_password: String,
    /// The new password, at least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// Change my password
///
/// Checks the current password, sets the new one, ends every other session of the
/// account (the one making the change stays logged in) and revokes every API token of
/// the account.
///
/// Who may call: any caller with a login session, for their own account; never with an
/// API token (403). A wrong current password is 403, and counts against the login limits
/// of the account and the client address: past them, 429. Changes: the password, the
/// account's other sessions (ended) and its API tokens (revoked); audited.
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "me",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (credentials are managed from a login session), or the wrong current password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Too short a new password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords from this address (the login limits)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Password checking is busy", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: ClientAddr,
    Json(input): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let grant = actor.own_credentials()?;
    // The current password is guessed like a login's: the same limits.
    let attempt = state
        .login_throttle
        .begin(client.bucket())
        .map_err(|retry_after| wpt_db::DbError::RateLimited { retry_after })?;
    let changed = wpt_db::users::change_own_password(
        &state.db,
        &state.auth,
        &grant,
        actor.session_id(),
        &input.current_password,
        &input.new_password,
        client.0,
    )
    .await;
    if let Err(wpt_db::DbError::Forbidden(_)) = &changed {
        attempt.failed();
        state.metrics.login_failed();
    }
    changed?;
    Ok(StatusCode::NO_CONTENT)
}

/// The list of the caller's tokens.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ApiTokenList {
    /// The tokens, newest first (at most 100).
    pub items: Vec<ApiToken>,
    /// Always `null`: the whole list fits one page.
    pub next_cursor: Option<String>,
}

/// List my API tokens
///
/// The caller's personal API tokens, newest first, without their secrets: label,
/// prefix, whether each may write, when it expires, when it was last used and whether
/// it was revoked.
///
/// Who may call: any authenticated caller; only their own tokens are listed. Changes
/// nothing.
#[utoipa::path(
    get,
    path = "/me/tokens",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's tokens (never their secrets)", body = ApiTokenList),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_tokens(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<ApiTokenList>, ApiError> {
    Ok(Json(ApiTokenList {
        items: wpt_db::api_tokens::list_own(&state.db, actor.user_id).await?,
        next_cursor: None,
    }))
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// A label to recognise it by, e.g. "donor M&E dashboard".
    #[schema(example = "Partner M&E dashboard", max_length = 100)]
    pub name: String,
    /// Days until it expires, 1 to 366 (default 90).
    #[schema(example = 90, minimum = 1, maximum = 366)]
    pub expires_in_days: Option<i64>,
    /// Whether it may write; read-only by default, and never for a viewer.
    #[serde(default)]
    pub write: bool,
}

/// Create an API token
///
/// A personal token for integrations, sent as `Authorization: Bearer wpt_...`. The
/// secret is in this response only; it is stored hashed. A token can never do more
/// than its owner, and is read-only unless `write` is asked for.
///
/// Who may call: any caller with a login session, for themselves (a viewer's token is
/// always read-only); never with an API token (403), so a token cannot mint another.
/// Changes: adds the token; audited.
#[utoipa::path(
    post,
    path = "/me/tokens",
    tag = "me",
    security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = NewApiToken),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token cannot create tokens (credentials are managed from a login session)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many tokens", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_token(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<NewTokenRequest>,
) -> Result<(StatusCode, Json<NewApiToken>), ApiError> {
    let grant = actor.own_credentials()?;
    let token = wpt_db::api_tokens::create(
        &state.db,
        &grant,
        &input.name,
        input.expires_in_days,
        input.write,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke an API token
///
/// Only the caller's own tokens; another user's token id is not found.
///
/// Who may call: any caller with a login session, for their own tokens; never with an
/// API token (403). Changes: the token stops working at once; audited.
#[utoipa::path(
    delete,
    path = "/me/tokens/{id}",
    tag = "me",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (credentials are managed from a login session)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke_token(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let grant = actor.own_credentials()?;
    wpt_db::api_tokens::revoke(&state.db, &grant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The list of the caller's sessions.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SessionList {
    /// The standing sessions, newest first (at most 100).
    pub items: Vec<SessionInfo>,
    /// Always `null`: the whole list fits one page.
    pub next_cursor: Option<String>,
}

/// List my sessions
///
/// The caller's login sessions that still stand (the pages' and the API's), newest
/// first, without their secrets: how each was opened, when, when it was last active
/// (to the minute), when it ends, and which one is making this request.
///
/// Who may call: any caller with a login session, for their own sessions; never with an
/// API token (403). Changes nothing.
#[utoipa::path(
    get,
    path = "/me/sessions",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's standing sessions", body = SessionList),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (sessions are managed from a login session)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_sessions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<Json<SessionList>, ApiError> {
    let grant = actor.own_credentials()?;
    Ok(Json(SessionList {
        items: wpt_db::auth::sessions::list_own(&state.db, &grant, actor.session_id()).await?,
        next_cursor: None,
    }))
}

/// End one of my sessions
///
/// Ends one of the caller's own sessions at once (its access and refresh tokens, or its
/// page cookie, stop working); the current session may be ended too. Another user's
/// session id is not found; ending an ended session again changes nothing.
///
/// Who may call: any caller with a login session, for their own sessions; never with an
/// API token (403). Changes: the session ends; audited (`session.revoke`).
#[utoipa::path(
    delete,
    path = "/me/sessions/{id}",
    tag = "me",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (sessions are managed from a login session)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn end_session(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let grant = actor.own_credentials()?;
    wpt_db::auth::sessions::end_own(&state.db, &grant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

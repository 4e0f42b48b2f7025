//! `/auth`: login, token refresh with rotation, logout. Public by nature; every answer
//! is `Cache-Control: no-store`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wpt_db::DbError;
use wpt_db::auth::sessions;
use wpt_domain::models::TokenPair;

use crate::AppState;
use crate::auth::ClientAddr;
use crate::error::{ApiError, Problem};
use crate::extract::Json;

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Credentials for `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email (any case).
    #[schema(example = "officer@example.org", max_length = 320)]
    pub email: String,
    /// The password.
    #[schema(max_length = 1024, format = Password)]
    pub password: String,
}

/// A refresh token, for `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    #[schema(max_length = 200)]
    pub refresh_token: String,
}

impl RefreshRequest {
    fn check(&self) -> Result<(), ApiError> {
        super::max_chars("refresh_token", Some(&self.refresh_token), 200)
    }
}

/// Log in
///
/// Exchanges email and password for an access token (a JWT, 15 minutes) and a refresh
/// token. Failed attempts are counted per account and per client address; past the
/// limit the answer is 429 with `Retry-After`, even for the right password.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(input): Json<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    if input.email.len() > 320 || input.password.len() > 4096 {
        return Err(ApiError::new(
            crate::error::ErrorCode::Unauthenticated,
            "the email or password is wrong",
        ));
    }
    if let Some(retry_after) = state.login_throttle.blocked(addr) {
        return Err(DbError::RateLimited { retry_after }.into());
    }
    match sessions::login(&state.db, &state.auth, &input.email, &input.password).await {
        Ok(pair) => Ok(Json(pair)),
        Err(err @ DbError::Unauthenticated(_)) => {
            state.login_throttle.fail(addr);
            state.metrics.login_failed();
            tracing::info!(%addr, "failed login");
            Err(err.into())
        }
        Err(err) => Err(err.into()),
    }
}

/// Refresh tokens
///
/// Spends the refresh token and returns a new pair. A refresh token works once:
/// presenting a spent one again ends its whole session (the token was copied).
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, spent, expired or revoked token", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing field", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    Json(input): Json<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    input.check()?;
    Ok(Json(
        sessions::refresh(&state.db, &state.auth, &input.refresh_token).await?,
    ))
}

/// Log out
///
/// Ends the session of the refresh token: its refresh and access tokens stop working
/// at once. Unknown tokens are accepted silently.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing field", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(
    State(state): State<AppState>,
    Json(input): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    input.check()?;
    sessions::logout(&state.db, &input.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
    #[schema(example = "officer.dgicm@demo.wpt", max_length = 320)]
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
    #[schema(
        example = "wptr_Vb3Nq8Ls1Kx6Dw0Fh4Jz9Pc2Tm7Yr5Ge3Ua8So1Il6E",
        max_length = 200
    )]
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
/// token. Attempts are counted per account and client address, and per client address,
/// before the password is checked; past a limit the answer is 429 with `Retry-After`,
/// even for the right password (docs/security.md lists the limits). When password
/// checking is saturated the answer is 503 with `Retry-After`.
///
/// Who may call: anyone, without credentials. Changes: a successful login opens a
/// session (audited); a failed one counts towards the account's and the client
/// address's limits.
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
        (status = 503, description = "Password checking is busy", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    Json(input): Json<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let addr = client.0;
    if input.email.len() > 320 || input.password.len() > 4096 {
        return Err(ApiError::new(
            crate::error::ErrorCode::Unauthenticated,
            "the email or password is wrong",
        ));
    }
    let attempt = state
        .login_throttle
        .begin(client.bucket())
        .map_err(|retry_after| DbError::RateLimited { retry_after })?;
    match sessions::login(&state.db, &state.auth, &input.email, &input.password, addr).await {
        Ok(pair) => Ok(Json(pair)),
        Err(err @ DbError::Unauthenticated(_)) => {
            attempt.failed();
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
///
/// Who may call: whoever holds a refresh token (no `Authorization` header). Changes:
/// spends the token and issues the next pair in the same session (bookkeeping, not
/// audited).
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
///
/// Who may call: whoever holds a refresh token (no `Authorization` header). Changes:
/// ends the session (audited).
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

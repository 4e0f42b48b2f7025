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
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
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
    headers: axum::http::HeaderMap,
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
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match sessions::login(
        &state.db,
        &state.auth,
        &input.email,
        &input.password,
        addr,
        user_agent,
    )
    .await
    {
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

/// `POST /auth/password-reset`: the address to send a reset link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The account's email (any case).
    #[schema(example = "officer.dgicm@demo.wpt", max_length = 320)]
    pub email: String,
}

/// What `POST /auth/password-reset` always answers.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PasswordResetAccepted {
    /// The same words whatever the address.
    #[schema(
        example = "If an account has this address, a link to reset its password is on its way. It works once, for 30 minutes."
    )]
    pub message: String,
}

/// Ask for a password reset
///
/// Sends a link that sets a new password (single use, 30 minutes) to the address, if
/// an active account has it. The answer is the same 202 whether or not it does, given
/// at once (the link is made in the background), so it tells nobody which addresses have accounts. An account gets at
/// most 3 links an hour (further requests are answered the same and send nothing); a
/// client address may ask 5 times in 15 minutes, then gets 429.
///
/// Who may call: anyone, without credentials. Changes: a reset link stored hashed and
/// its message queued, when the address is an account's.
#[utoipa::path(
    post,
    path = "/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted (always, for any well-formed address)", body = PasswordResetAccepted),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn password_reset(
    State(state): State<AppState>,
    client: ClientAddr,
    Json(input): Json<PasswordResetRequest>,
) -> Result<(StatusCode, Json<PasswordResetAccepted>), ApiError> {
    super::max_chars("email", Some(&input.email), 320)?;
    let attempt = state
        .reset_throttle
        .begin(client.bucket())
        .map_err(|retry_after| DbError::RateLimited { retry_after })?;
    // Every request counts against the address, whatever happens next.
    attempt.failed();
    // Answered at once; the lookup and the link are made in the background, so that
    // the timing tells nothing about whether the address has an account.
    wpt_db::auth::links::request_reset_in_background(&state.db, &input.email)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PasswordResetAccepted {
            message: wpt_db::auth::links::ACCEPTED_MESSAGE.to_owned(),
        }),
    ))
}

/// `POST /auth/password-reset/confirm`: the link's token and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token of the link (`token=` in it).
    #[schema(
        example = "wptp_Vb3Nq8Ls1Kx6Dw0Fh4Jz9Pc2Tm7Yr5Ge3Ua8So1Il6E",
        max_length = 200
    )]
    pub token: String,
    /// The new password, at least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// Set a password with a reset or invitation link
///
/// Sets the account's password from the token of a reset link (30 minutes) or an
/// invitation (72 hours). A token works once; an unknown, used or expired one is 422.
/// Every session and API token of the account ends, and its other links stop working.
///
/// Who may call: whoever holds the link (no `Authorization` header). Changes: the
/// password; ends every session and API token; audited (`user.password_reset`).
#[utoipa::path(
    post,
    path = "/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is set; log in with it"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The link is unknown, used or expired, or the password is too short", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Password hashing is busy", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
async fn password_reset_confirm(
    State(state): State<AppState>,
    Json(input): Json<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    super::max_chars("token", Some(&input.token), 200)?;
    super::max_chars("new_password", Some(&input.new_password), 1024)?;
    wpt_db::auth::links::confirm(
        &state.db,
        &state.auth.hasher,
        &input.token,
        &input.new_password,
        chrono::Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

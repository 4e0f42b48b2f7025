//! The extractors that stand between a request and a use case: who is calling
//! ([`CurrentActor`]), which version they read ([`IfMatch`]), and from where
//! ([`ClientAddr`]).
//!
//! `CurrentActor` reads the user from the database on every request (one query), so a
//! deactivated account, a changed role or an ended session takes effect at once; the
//! token itself only says who and which session. Every `/api/v1` handler except login,
//! refresh and logout takes a `CurrentActor`, so none can run anonymously.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use wpt_db::auth::sessions;
use wpt_db::auth::tokens::API_TOKEN_PREFIX;
use wpt_domain::Actor;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct CurrentActor(pub Actor);

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "send Authorization: Bearer <token>",
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "the Authorization header must be Bearer <token>",
                )
            })?;
        let actor = if token.starts_with(API_TOKEN_PREFIX) {
            sessions::actor_for_api_token(&state.db, token).await?
        } else {
            sessions::actor_for_access_token(&state.db, &state.auth, token).await?
        };
        Ok(CurrentActor(actor))
    }
}

/// The version named by `If-Match`, required on every write to a versioned resource.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i32);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::IF_MATCH).ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionRequired,
                "send If-Match with the ETag you read, so a concurrent change is never overwritten",
            )
        })?;
        // Only a strong tag as this server sends it ("3") can name a version. A weak tag,
        // `*` (which would skip the check) or anything else is refused like a missing
        // header: the client must send the ETag it read.
        let version = value.to_str().ok().and_then(|v| {
            v.trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                // Exactly what the OpenAPI document says: 1 to 9 digits.
                .filter(|digits| {
                    (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
                })?
                .parse::<i32>()
                .ok()
        });
        version.map(IfMatch).ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionRequired,
                "If-Match must be the ETag you read, such as \"3\" (not * or a weak tag)",
            )
        })
    }
}

/// The client's address, for per-address throttling. Requests that do not come
/// through a socket (in-process tests) count as 0.0.0.0.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

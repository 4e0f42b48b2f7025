//! The extractors that stand between a request and a use case: who is calling
//! ([`CurrentActor`]), which version they read ([`IfMatch`]), and from where
//! ([`ClientAddr`]).
//!
//! `CurrentActor` reads the user as stored now on every request, from the process's
//! cache when warm (no query; docs/caching.md) or from the database (one query); the
//! write path drops a cached caller at once, on every instance, when the account or the
//! credential changes, so a deactivated account, a changed role or an ended session
//! takes effect at once. The token itself only says who and which session. Every `/api/v1` handler except login,
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
        let text = value.to_str().unwrap_or("").trim();
        match if_match_version(text) {
            IfMatchValue::Version(v) => Ok(IfMatch(v)),
            // RFC 9110: a well-formed entity tag that is not the current one fails the
            // precondition. Ours are strong tags of 1 to 9 digits, so a weak tag, any
            // other tag, or a list without exactly one of ours never matches.
            IfMatchValue::NoneOfOurs => Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                "If-Match does not name the current version; read the resource again and send its ETag",
            )),
            // `*` would skip the check, and a malformed value names nothing: the
            // client must send the ETag it read, as for a missing header.
            IfMatchValue::Unusable => Err(ApiError::new(
                ErrorCode::PreconditionRequired,
                "If-Match must be the ETag you read, such as \"3\" (not *)",
            )),
        }
    }
}

/// What an `If-Match` value says.
#[derive(Debug, PartialEq, Eq)]
enum IfMatchValue {
    /// Exactly one of this server's tags: the version the client read.
    Version(i32),
    /// Well-formed entity tags, none (or more than one) of them this server's.
    NoneOfOurs,
    /// `*`, empty or malformed.
    Unusable,
}

fn if_match_version(text: &str) -> IfMatchValue {
    if text.is_empty() || text == "*" {
        return IfMatchValue::Unusable;
    }
    let mut ours = Vec::new();
    for tag in text.split(',').map(str::trim) {
        let strong = tag.strip_prefix("W/").is_none();
        let opaque = tag.trim_start_matches("W/");
        let Some(inner) = opaque.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            return IfMatchValue::Unusable;
        };
        // etagc: %x21 / %x23-7E / obs-text (no quote, no space, no control).
        if inner.bytes().any(|b| b == b'"' || b <= 0x20 || b == 0x7f) {
            return IfMatchValue::Unusable;
        }
        if strong
            && (1..=9).contains(&inner.len())
            && inner.bytes().all(|b| b.is_ascii_digit())
            && let Ok(v) = inner.parse::<i32>()
        {
            ours.push(v);
        }
    }
    match ours.as_slice() {
        [v] => IfMatchValue::Version(*v),
        _ => IfMatchValue::NoneOfOurs,
    }
}

#[cfg(test)]
mod if_match_tests {
    use super::{IfMatchValue as V, if_match_version};

    #[test]
    fn only_our_strong_tags_name_a_version_and_other_well_formed_tags_fail() {
        assert_eq!(if_match_version("\"3\""), V::Version(3));
        assert_eq!(if_match_version("\"x\", \"3\""), V::Version(3));
        for failed in [
            "W/\"1\"",
            "\"abc\"",
            "\"-1\"",
            "\"+1\"",
            "\"1234567890\"",
            "\"1\", \"2\"",
        ] {
            assert_eq!(if_match_version(failed), V::NoneOfOurs, "{failed}");
        }
        for unusable in ["*", "", "1", "\"1", "\"a b\"", "\"1\",,"] {
            assert_eq!(if_match_version(unusable), V::Unusable, "{unusable}");
        }
    }
}

/// The client's address, for per-address throttling: the peer, or behind a trusted
/// proxy the client it names ([`crate::client::TrustedProxies`]). Requests that do not
/// come through a socket (in-process tests) count as 0.0.0.0.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address its attempts are counted under (an IPv6 client: its /64).
    pub fn bucket(&self) -> IpAddr {
        wpt_db::auth::address_bucket(self.0)
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientAddr(
            state.trusted_proxies.client(peer, &parts.headers),
        ))
    }
}

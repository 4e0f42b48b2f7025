//! Access tokens: HS256 JWTs with `sub`, `sid`, `iat`, `exp`, `iss`, `aud` and `jti`,
//! every one required when a token is checked.
//!
//! The token says who and which session; it never says what role. The role, the body
//! and whether the session still stands are read from the database on every request.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The `iss` of every access token.
pub const ISSUER: &str = "wpt";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "wpt-api";
/// Clock skew tolerated on `exp` and `iat`, in seconds.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    jti: Uuid,
}

/// Why a token was refused (all become 401).
#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct JwtError(String);

/// Signing and checking keys.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    /// Keys from a secret of at least 32 bytes; tokens live `ttl`.
    pub fn new(secret: &[u8], ttl: std::time::Duration) -> Result<Self, JwtError> {
        if secret.len() < 32 {
            return Err(JwtError(
                "the signing secret must be at least 32 bytes".into(),
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS as u64;
        let err = |e: jsonwebtoken::errors::Error| JwtError(e.to_string());
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).map_err(err)?,
            decoding: DecodingKey::from_secret(secret).map_err(err)?,
            validation,
            ttl_secs: i64::try_from(ttl.as_secs()).unwrap_or(900),
        })
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// A new access token for `user` in `session`.
    pub fn issue(&self, user: Uuid, session: Uuid) -> Result<String, JwtError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            sid: session,
            iat: now,
            exp: now + self.ttl_secs,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: Uuid::new_v4(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| JwtError(e.to_string()))
    }

    /// `(user, session)` of a valid token.
    pub fn check(&self, token: &str) -> Result<(Uuid, Uuid), JwtError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| JwtError(e.to_string()))?;
        if data.claims.iat > Utc::now().timestamp() + LEEWAY_SECS {
            return Err(JwtError("issued in the future".into()));
        }
        Ok((data.claims.sub, data.claims.sid))
    }
}

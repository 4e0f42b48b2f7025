//! Opaque secrets: refresh tokens and personal API tokens.
//!
//! 32 random bytes, base64url, with a prefix that says what they are (`wpt_` for API
//! tokens, `wptr_` for refresh tokens) so a leaked one is recognisable by secret
//! scanners. They are stored as SHA-256 hashes: with 256 bits of entropy a fast hash is
//! enough (no dictionary to try), and a lookup by hash is one indexed query.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{DbError, DbResult};

/// Prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "wpt_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "wptr_";
/// The prefix of web session cookies.
pub const WEB_SESSION_PREFIX: &str = "wpts_";

/// A new random secret with `prefix`.
pub fn generate(prefix: &str) -> DbResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DbError::internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random password for a generated account: 24 characters from a 64-letter alphabet
/// (144 bits).
pub fn generate_password() -> DbResult<String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(|e| DbError::internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

//! Authentication: passwords, login sessions with rotating refresh tokens, access JWTs,
//! personal API tokens and login throttling. Turning credentials into an
//! [`wpt_domain::Actor`] happens here, from the database, on every request.

mod jwt;
mod password;
pub mod sessions;
pub mod tokens;

use std::time::Duration;

pub use jwt::{JwtError, JwtKeys};
pub use password::PasswordHasher;

/// Lifetimes and limits of authentication.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Lifetime of an access JWT.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token (each refresh issues a new one).
    pub refresh_ttl: Duration,
    /// Longest a login session lasts, however often it is refreshed.
    pub session_ttl: Duration,
    /// Longest a web page session lasts (its cookie ends with it).
    pub web_session_ttl: Duration,
    /// Failed logins per account within `failure_window` before the account is locked.
    pub max_failures: u32,
    /// The window in which failures are counted, and how long a lock lasts.
    pub failure_window: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            web_session_ttl: Duration::from_secs(12 * 3600),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything authentication needs, shared by all requests.
#[derive(Clone)]
pub struct Auth {
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Access-token signing and checking.
    pub jwt: JwtKeys,
    /// Lifetimes and limits.
    pub settings: AuthSettings,
}

//! Authentication: passwords, login sessions with rotating refresh tokens, access JWTs,
//! personal API tokens and login throttling. Turning credentials into an
//! [`wpt_domain::Actor`] happens here on every request, from the database or from the
//! process's cache of it (`actors`, `crate::cache`).

mod actors;
mod jwt;
pub mod links;
mod password;
pub mod sessions;
mod sign_in_notice;
pub mod throttle;
pub mod tokens;

use std::time::Duration;

pub use jwt::{JwtError, JwtKeys};
pub use password::PasswordHasher;
pub use throttle::address_bucket;

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
    /// A web page session unused this long ends (besides `web_session_ttl`).
    pub web_idle_timeout: Duration,
    /// Wrong passwords for one account from one client address (an IPv6 client: its
    /// /64) within `failure_window` before that address is refused for the account
    /// (logins and the current password of a password change alike); from the account's
    /// `max_failures`-th wrong password from anywhere, its progressive delay starts.
    pub max_failures: u32,
    /// The window in which failures are counted; an address refused for an account is
    /// refused until its window ends.
    pub failure_window: Duration,
    /// The longest per-account delay between verifications (it starts at 1 s and
    /// doubles with each failure past `max_failures`).
    pub max_delay: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            web_session_ttl: Duration::from_secs(12 * 3600),
            web_idle_timeout: Duration::from_secs(30 * 60),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
            max_delay: Duration::from_secs(10),
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

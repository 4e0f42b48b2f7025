//! The one error type of the persistence layer.
//!
//! [`DbError::code`] names each variant's entry in the one code table
//! (`wpt_domain::error_code`): the API renders it as problem+json, the pages take its
//! status and add their own wording; nothing else inspects database errors.

use wpt_domain::ValidationErrors;
use wpt_domain::error_code::ErrorCode;

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The resource does not exist, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No valid credentials (a wrong password, an expired or revoked token).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Too many failed attempts; try again after this many seconds.
    #[error("too many attempts; retry after {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Too many writes by one user in the last minute (see [`crate::write_rate`]);
    /// nothing was written.
    #[error("too many writes; retry after {retry_after} s")]
    WriteRateLimited {
        /// The limit, in writes per minute.
        per_minute: u32,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The entry already has an amendment waiting for the secretariat's decision.
    #[error("an amendment is pending: {0}")]
    AmendmentPending(String),
    /// The caller may see the resource but not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with the current state (a duplicate code, say).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current.
    #[error("the resource has changed since version {0}")]
    StaleVersion(i32),
    /// A workflow action that the current state does not allow.
    #[error("invalid transition: {0}")]
    InvalidTransition(String),
    /// The input is invalid; every problem is listed.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// The input is within the body limit but too large once read (a spreadsheet that
    /// inflates past the import's limits).
    #[error("too large: {0}")]
    TooLarge(String),
    /// A bounded queue (password hashing) is full; try again after this many seconds.
    #[error("busy: {what}; retry after {retry_after} s")]
    Busy {
        /// What is busy, for the message.
        what: &'static str,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Read-only maintenance is in force (see [`crate::maintenance`]); nothing was written.
    #[error("read-only for maintenance")]
    Maintenance(Box<wpt_domain::models::MaintenanceState>),
    /// The database could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sea_orm::DbErr),
    /// Anything else the database said; never shown to clients.
    #[error("database error: {0}")]
    Database(#[source] sea_orm::DbErr),
}

/// Result of a use case.
pub type DbResult<T> = Result<T, DbError>;

impl From<sea_orm::DbErr> for DbError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, RuntimeErr, SqlErr};
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => DbError::Unavailable(err),
            DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))
                if is_io_error(e) =>
            {
                DbError::Unavailable(err)
            }
            _ => match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    DbError::Conflict("a record with the same unique key already exists".into())
                }
                Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                    DbError::Conflict("the record is referenced by, or refers to, another".into())
                }
                _ => DbError::Database(err),
            },
        }
    }
}

fn is_io_error(e: &sea_orm::sqlx::Error) -> bool {
    matches!(
        e,
        sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
            | sea_orm::sqlx::Error::WorkerCrashed
    )
}

impl DbError {
    /// The stable error code of this failure, which fixes its HTTP status and title
    /// for the API and the web pages alike.
    pub fn code(&self) -> ErrorCode {
        match self {
            DbError::NotFound(_) => ErrorCode::NotFound,
            DbError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            DbError::RateLimited { .. } | DbError::WriteRateLimited { .. } => {
                ErrorCode::RateLimited
            }
            DbError::AmendmentPending(_) => ErrorCode::AmendmentPending,
            DbError::Forbidden(_) => ErrorCode::Forbidden,
            DbError::Conflict(_) => ErrorCode::Conflict,
            DbError::StaleVersion(_) => ErrorCode::PreconditionFailed,
            DbError::InvalidTransition(_) => ErrorCode::InvalidTransition,
            DbError::Validation(_) => ErrorCode::ValidationFailed,
            DbError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            DbError::Busy { .. } => ErrorCode::Unavailable,
            DbError::Maintenance(_) => ErrorCode::Maintenance,
            DbError::Unavailable(_) => ErrorCode::Unavailable,
            DbError::Database(_) => ErrorCode::Internal,
        }
    }

    /// An internal fault described by `message` (logged, never shown to clients).
    pub fn internal(message: impl Into<String>) -> Self {
        DbError::Database(sea_orm::DbErr::Custom(message.into()))
    }
}

impl From<wpt_domain::Denied> for DbError {
    fn from(denied: wpt_domain::Denied) -> Self {
        DbError::Forbidden(denied.0)
    }
}

impl From<ValidationErrors> for DbError {
    fn from(errors: ValidationErrors) -> Self {
        DbError::Validation(errors)
    }
}

impl From<wpt_domain::policy::Refusal> for DbError {
    fn from(refusal: wpt_domain::policy::Refusal) -> Self {
        use wpt_domain::policy::Refusal;
        match refusal {
            Refusal::Hidden => DbError::NotFound("submission"),
            Refusal::Forbidden(detail) => DbError::Forbidden(detail),
            Refusal::Invalid(detail) => DbError::InvalidTransition(detail),
            Refusal::Stale(version) => DbError::StaleVersion(version),
            Refusal::Conflict(detail) => DbError::Conflict(detail),
        }
    }
}

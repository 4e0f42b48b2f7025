//! The API's one error type, on the code table of [`wpt_domain::error_code`].
//!
//! Every failure leaves as RFC 9457 `application/problem+json` with a stable `code`.
//! Handlers return `Result<_, ApiError>` and use `?`: use-case errors ([`DbError`])
//! convert through [`From`], taking their code from [`DbError::code`], so the code
//! table is the only place that decides which status a failure gets. A 5xx logs its
//! whole source chain and shows the client nothing but a generic sentence and the
//! request id.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use wpt_db::DbError;
use wpt_domain::{FieldError, ValidationErrors};

use crate::request_id;

pub use wpt_domain::error_code::ErrorCode;

/// The HTTP status of `code`, from the one table in [`wpt_domain::error_code`].
pub fn http_status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Prefix of every problem `type`: a tag URI (RFC 4151) that names the problem
/// without pretending to be a page; docs/errors.md explains each one.
pub const PROBLEM_TYPE_PREFIX: &str = "tag:wpt.asean,2026:problem:";

/// An RFC 9457 problem document, as every error response carries it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Identifies the kind of problem: `tag:wpt.asean,2026:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(example = "tag:wpt.asean,2026:problem:not_found")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Not found")]
    pub title: String,
    /// The HTTP status.
    #[schema(example = 404)]
    pub status: u16,
    /// What went wrong with this request, for a person.
    #[schema(example = "no activity 0192f3a0-5c1e-7d2b-9a4f-0d94931f670c")]
    pub detail: String,
    /// Stable machine-readable code; see docs/errors.md.
    #[schema(example = "not_found")]
    pub code: String,
    /// Field-level problems; present (and non-empty) for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, also in the `x-request-id` header; quote it when reporting.
    #[schema(example = "6f1c2b8e-3d4a-4c5e-9b7f-0a1d2e3f4a5b")]
    pub request_id: String,
}

/// What a client is told of a 5xx fault (the rest goes to the log).
const INTERNAL_DETAIL: &str =
    "the server failed to complete the request; quote the request id when reporting it";

/// An error on its way to becoming a problem+json response.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// An error with a code and a detail for the client.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            source: None,
        }
    }

    /// A 422 naming the invalid fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = if errors.len() == 1 {
            format!("{} {}", errors[0].field, errors[0].message)
        } else {
            format!("{} fields are invalid", errors.len())
        };
        Self {
            errors,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    /// A 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// A 404 for `what`.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// A 500 that logs `source` and tells the client nothing about it.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, INTERNAL_DETAIL)
        }
    }

    /// Adds a response header (such as `Retry-After`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The problem document this error becomes.
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.code.spec();
        Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status,
            detail: self.detail.clone(),
            code: code.to_owned(),
            errors: self.errors.clone(),
            request_id: request_id::current(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = http_status(self.code);
        if status.is_server_error() {
            let mut chain = String::new();
            let mut next: Option<&(dyn std::error::Error + 'static)> = self
                .source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static));
            while let Some(err) = next {
                if !chain.is_empty() {
                    chain.push_str(": ");
                }
                chain.push_str(&err.to_string());
                next = err.source();
            }
            tracing::error!(code = self.code.as_str(), error = %chain, "request failed");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.code == ErrorCode::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        (status, headers, body).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        let code = err.code();
        match err {
            DbError::NotFound(what) => ApiError::not_found(what),
            DbError::Unauthenticated(detail)
            | DbError::Forbidden(detail)
            | DbError::Conflict(detail)
            | DbError::InvalidTransition(detail)
            | DbError::AmendmentPending(detail) => ApiError::new(code, detail),
            DbError::WriteRateLimited {
                per_minute,
                retry_after,
            } => ApiError::new(
                code,
                format!(
                    "too many changes: at most {per_minute} writes a minute per user; nothing was written; try again in {retry_after} s"
                ),
            )
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after.to_string())
                    .unwrap_or(HeaderValue::from_static("60")),
            ),
            DbError::RateLimited { retry_after } => ApiError::new(
                code,
                format!("too many failed attempts; try again in {retry_after} s"),
            )
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after.to_string())
                    .unwrap_or(HeaderValue::from_static("60")),
            ),
            DbError::StaleVersion(v) => ApiError::new(
                code,
                format!(
                    "the resource has changed: If-Match named version {v}, which is no longer current; read it again"
                ),
            ),
            DbError::Validation(errors) => Self {
                code,
                ..ApiError::validation(errors.0)
            },
            DbError::Maintenance(state) => crate::maintenance::refusal(&state),
            DbError::TooLarge(detail) => ApiError::new(code, detail),
            DbError::Busy { what, retry_after } => ApiError::new(
                code,
                format!("{what} is busy; try again in {retry_after} s"),
            )
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after.to_string())
                    .unwrap_or(HeaderValue::from_static("1")),
            ),
            DbError::Unavailable(source) => Self {
                source: Some(Box::new(source)),
                ..ApiError::new(code, "the database cannot be reached; try again shortly")
            }
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("5")),
            DbError::Database(source) => Self {
                source: Some(Box::new(source)),
                ..ApiError::new(code, INTERNAL_DETAIL)
            },
        }
    }
}

impl From<wpt_domain::Denied> for ApiError {
    fn from(denied: wpt_domain::Denied) -> Self {
        ApiError::new(ErrorCode::Forbidden, denied.0)
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::validation(errors.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_snake_case_with_an_error_status() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let (_, text, _) = code.spec();
            let status = http_status(*code);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{text}"
            );
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert!(seen.insert(text), "{text} appears twice");
        }
    }

    #[test]
    fn a_database_fault_shows_the_client_nothing_of_it() {
        let err: ApiError = DbError::internal("relation \"secret_table\" does not exist").into();
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("secret_table"));
    }

    #[test]
    fn a_full_queue_is_503_and_an_oversized_file_413_each_with_its_detail() {
        let busy: ApiError = DbError::Busy {
            what: "password hashing",
            retry_after: 1,
        }
        .into();
        let response = busy.into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("1"))
        );
        let large: ApiError = DbError::TooLarge("the XLSX file inflates too far".into()).into();
        let problem = large.problem();
        assert_eq!(problem.status, 413);
        assert_eq!(problem.detail, "the XLSX file inflates too far");
    }
}

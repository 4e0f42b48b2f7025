//! The stable error codes, each with its HTTP status and title: the one table (see
//! docs/errors.md).
//!
//! The API turns a code into a problem+json document and the web pages into an error
//! page; both take the status from here, so a failure answers with the same status
//! whichever door it came through. The status is a plain `u16` because this crate knows
//! nothing of HTTP libraries.

/// The stable error codes and their HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the request is not well-formed (bad JSON syntax, say).
    MalformedRequest,
    /// 401: no valid credentials.
    Unauthenticated,
    /// 403: the caller may see this but not do it.
    Forbidden,
    /// 404: no such resource, or one the caller may not see.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 406: none of the formats in `Accept` can be produced.
    NotAcceptable,
    /// 409: conflicts with the current state.
    Conflict,
    /// 409: a workflow action the current state does not allow.
    InvalidTransition,
    /// 409: the entry already has an amendment waiting for a decision.
    AmendmentPending,
    /// 412: `If-Match` names a version that is no longer current.
    PreconditionFailed,
    /// 413: the request body is too large.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 416: a `Range` outside the file.
    RangeNotSatisfiable,
    /// 422: the input is well-formed but invalid; `errors` names the fields.
    ValidationFailed,
    /// 428: a write to a versioned resource without `If-Match`.
    PreconditionRequired,
    /// 429: too many requests; see `Retry-After`.
    RateLimited,
    /// 500: a fault on our side; the request id finds it in the log.
    Internal,
    /// 503: the database cannot be reached now.
    Unavailable,
    /// 503: the request took longer than the server allows.
    Timeout,
    /// 503: an administrator put the tracker in read-only maintenance; see `Retry-After`.
    Maintenance,
}

impl ErrorCode {
    /// Every code, for the documentation test.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MalformedRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NotAcceptable,
        ErrorCode::Conflict,
        ErrorCode::InvalidTransition,
        ErrorCode::AmendmentPending,
        ErrorCode::PreconditionFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::ValidationFailed,
        ErrorCode::PreconditionRequired,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::Timeout,
        ErrorCode::Maintenance,
    ];

    /// `(status, code, title)`: the table itself.
    pub const fn spec(self) -> (u16, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            MalformedRequest => (400, "malformed_request", "Malformed request"),
            Unauthenticated => (401, "unauthenticated", "Authentication required"),
            Forbidden => (403, "forbidden", "Forbidden"),
            NotFound => (404, "not_found", "Not found"),
            MethodNotAllowed => (405, "method_not_allowed", "Method not allowed"),
            NotAcceptable => (406, "not_acceptable", "Not acceptable"),
            Conflict => (409, "conflict", "Conflict"),
            InvalidTransition => (409, "invalid_transition", "Invalid transition"),
            AmendmentPending => (409, "amendment_pending", "An amendment is already open"),
            PreconditionFailed => (412, "precondition_failed", "Precondition failed"),
            PayloadTooLarge => (413, "payload_too_large", "Payload too large"),
            UnsupportedMediaType => (415, "unsupported_media_type", "Unsupported media type"),
            RangeNotSatisfiable => (416, "range_not_satisfiable", "Range not satisfiable"),
            ValidationFailed => (422, "validation_failed", "Validation failed"),
            PreconditionRequired => (428, "precondition_required", "Precondition required"),
            RateLimited => (429, "rate_limited", "Too many requests"),
            Internal => (500, "internal", "Internal error"),
            Unavailable => (503, "unavailable", "Service unavailable"),
            Timeout => (503, "timeout", "Request timed out"),
            Maintenance => (503, "maintenance", "Read-only for maintenance"),
        }
    }

    /// The HTTP status, as a number.
    pub const fn status(self) -> u16 {
        self.spec().0
    }

    /// The stable snake_case code.
    pub const fn as_str(self) -> &'static str {
        self.spec().1
    }

    /// The short summary a problem document carries as `title`.
    pub const fn title(self) -> &'static str {
        self.spec().2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_snake_case_with_an_error_status() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let (status, text, title) = code.spec();
            assert!((400..600).contains(&status), "{text}");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert!(!title.is_empty(), "{text}");
            assert!(seen.insert(text), "{text} appears twice");
        }
    }
}

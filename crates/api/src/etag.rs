//! Strong `ETag`s from version columns, and `If-None-Match` on reads.
//!
//! The tag is the row's version in quotes (`"3"`): every write bumps the version in the
//! same statement that changes the row, so equal tags mean equal representations.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::extract::Json;

/// The `ETag` of a resource at `version`.
pub fn etag(version: i32) -> HeaderValue {
    // Digits and quotes are always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether the request's `If-None-Match` already names this tag (or `*`).
pub fn matches_if_none_match(request: &HeaderMap, tag: &HeaderValue) -> bool {
    let Some(value) = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let wanted = tag.to_str().unwrap_or_default();
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate == wanted || candidate.strip_prefix("W/") == Some(wanted)
    })
}

/// A JSON representation of a versioned resource with its `ETag`, or 304 when the
/// client already has it.
pub fn versioned<T: Serialize>(request: &HeaderMap, version: i32, body: T) -> Response {
    let tag = etag(version);
    if matches_if_none_match(request, &tag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    ([(header::ETAG, tag)], Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_forms_and_star() {
        let tag = etag(3);
        for (sent, hit) in [
            ("\"3\"", true),
            ("\"2\", \"3\"", true),
            ("W/\"3\"", true),
            ("*", true),
            ("\"4\"", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(sent));
            assert_eq!(matches_if_none_match(&h, &tag), hit, "{sent}");
        }
    }
}

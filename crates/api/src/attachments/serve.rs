//! Serving an evidence file's bytes, for the API route and the pages alike: visibility
//! from the use case, then a stream from the store with the download's headers.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::GetRange;
use uuid::Uuid;
use wpt_domain::Actor;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The file `id` as `actor` may download it (404 when they may not see it), honouring
/// `If-None-Match` and one `Range`.
pub async fn content(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let a = wpt_db::attachments::get(&state.db, actor, id).await?;
    let etag = format!("\"{}\"", a.sha256);
    let size = u64::try_from(a.size).map_err(ApiError::internal)?;
    let common = |mut r: Response| {
        let h = r.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        r
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return Ok(common(StatusCode::NOT_MODIFIED.into_response()));
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) => match parse_range(r, size) {
            RangeAsk::Whole => None,
            RangeAsk::Part(start, end) => Some((start, end)),
            RangeAsk::Unsatisfiable => {
                return Err(ApiError::new(
                    ErrorCode::RangeNotSatisfiable,
                    format!("the range {r:?} is outside the file's {size} bytes"),
                )
                .with_header(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{size}"))
                        .unwrap_or(HeaderValue::from_static("bytes */0")),
                ));
            }
        },
        None => None,
    };
    let got = state
        .attachments
        .get(&a.sha256, range.map(|(s, e)| GetRange::Bounded(s..e + 1)))
        .await
        .map_err(ApiError::internal)?;
    let body = Body::from_stream(got.into_stream());
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_DISPOSITION, disposition(&a.filename));
    match range {
        Some((start, end)) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
        }
        None => {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    Ok(common(response))
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// Nothing we serve as a part (absent, malformed, several ranges, other units).
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range starting past the end.
    Unsatisfiable,
}

fn parse_range(value: &str, size: u64) -> RangeAsk {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (None, Some(n)) if a.is_empty() => {
            if n == 0 || size == 0 {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(size.saturating_sub(n), size - 1)
            }
        }
        (Some(start), None) if b.is_empty() => {
            if start >= size {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(start, size - 1)
            }
        }
        (Some(start), Some(end)) if start <= end => {
            if start >= size {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part(start, end.min(size - 1))
            }
        }
        _ => RangeAsk::Whole,
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`: the ASCII form for
/// old clients (anything else, and quotes, become `_`), the exact name for the rest.
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeAsk::Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeAsk::Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeAsk::Part(90, 99));
        assert_eq!(parse_range("bytes=50-500", 100), RangeAsk::Part(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-9", 100), RangeAsk::Whole);
        assert_eq!(parse_range("items=0-1", 100), RangeAsk::Whole);
        assert_eq!(parse_range("bytes=9-1", 100), RangeAsk::Whole);
    }

    #[test]
    fn a_name_with_quotes_and_thai_letters_is_a_safe_header() {
        let v = disposition("รายงาน \"final\".pdf");
        let s = v.to_str().expect("ascii header");
        assert!(s.starts_with("attachment; filename=\""));
        assert!(s.contains("filename*=UTF-8''"));
        assert!(!s.contains("\"final\""));
    }
}

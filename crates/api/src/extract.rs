//! Drop-in replacements for axum's `Json`, `Path` and `Query` whose rejections are
//! problem+json like every other error: a client never sees a plain-text 400 or a 500
//! for input it got wrong.
//!
//! `Json` also names the field at fault (`entries[2].status`), using
//! serde_path_to_error, and requires a JSON content type.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// A JSON request or response body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the request body must be JSON, sent with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

/// Whether a JSON text contains an escaped NUL (`\u0000`) in a string. Raw control
/// characters are already invalid JSON; the escaped NUL is valid JSON but no text field
/// of the tracker may hold it (PostgreSQL cannot store it), so it is refused here, once,
/// for every body.
fn has_escaped_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u')
                && bytes
                    .get(i + 2..i + 6)
                    .is_some_and(|h| h.iter().all(|c| *c == b'0'))
            {
                return true;
            }
            // Skip the escaped character, so `\\u0000` (an escaped backslash) is not a NUL.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Parses a JSON body, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_escaped_nul(bytes) {
        return Err(ApiError::field(
            "body",
            "text must not contain NUL characters (\\u0000)",
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::field(&field, strip_position(&err.into_inner().to_string()))
    })
}

/// JSON does not tell `81` from `81.0`, and JSON Schema counts both as integers; serde
/// does. Whole numbers written with a fraction become integers before the body is
/// read, so an integer field takes `81.0` (and a decimal field still takes `81`).
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// serde_json appends " at line 1 column 20"; the field name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

pub(crate) fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the 1 MiB this server accepts",
        )
    } else {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ),
        )
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(params) = axum::extract::RawPathParams::from_request_parts(parts, state).await
            && let Some((key, _)) = params.iter().find(|(_, v)| v.contains('\0'))
        {
            return Err(ApiError::field(key, "must not contain NUL characters"));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => {
                use axum::extract::path::ErrorKind;
                let field = match err.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    // A single parameter is parsed without its name; look it up.
                    _ => match axum::extract::RawPathParams::from_request_parts(parts, state).await
                    {
                        Ok(params) if params.iter().count() == 1 => params
                            .iter()
                            .next()
                            .map(|(k, _)| k.to_owned())
                            .unwrap_or_else(|| "path".to_owned()),
                        _ => "path".to_owned(),
                    },
                };
                Err(ApiError::field(&field, err.body_text()))
            }
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

/// Query-string parameters; unknown ones are refused by the target type.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((key, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::field(&key, "must not contain NUL characters"));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                ApiError::field(&field, err.into_inner().to_string())
            })
    }
}

#[cfg(test)]
mod tests {
    //! The extractors' rejections, through the same layers the real router has. The
    //! integration suite covers them again on the real routes that take JSON.

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use http_body_util::BodyExt;
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::Json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Input {
        name: String,
        count: u8,
        tags: Option<Vec<String>>,
    }

    async fn echo(Json(_): Json<Input>) -> StatusCode {
        StatusCode::NO_CONTENT
    }

    fn app() -> Router {
        Router::new()
            .route("/", post(echo))
            .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
    }

    async fn send(content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
        let mut req = Request::post("/");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = app()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = res.status();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("problem+json body")
        };
        (status, json)
    }

    #[test]
    fn escaped_nuls_are_found_and_escaped_backslashes_are_not() {
        assert!(super::has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(!super::has_escaped_nul(br#"{"a":"x\\u0000y"}"#));
        assert!(!super::has_escaped_nul(br#"{"a":"x\u0041y"}"#));
        assert!(super::has_escaped_nul(br#"{"a":"\\\u0000"}"#));
    }

    #[tokio::test]
    async fn well_formed_json_passes() {
        let (status, _) = send(
            Some("application/json; charset=utf-8"),
            br#"{"name":"a","count":1}"#.to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn each_kind_of_bad_body_gets_its_own_problem() {
        let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        /// Content type, body, expected status, code and first field.
        type Case<'a> = (
            Option<&'a str>,
            Vec<u8>,
            StatusCode,
            &'a str,
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                None,
                br#"{"name":"a","count":1}"#.to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                None,
            ),
            (
                Some("text/plain"),
                br#"{"name":"a","count":1}"#.to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                None,
            ),
            (
                Some("application/json"),
                b"{\"name\":".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                None,
            ),
            (
                Some("application/json"),
                b"{\"name\":\"a\",\"count\":1} trailing".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                None,
            ),
            (
                Some("application/json"),
                b"{\"name\":\"\xff\xfe\",\"count\":1}".to_vec(),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                None,
            ),
            // Refused by serde_json's depth limit (128), before any stack is at risk.
            (
                Some("application/json"),
                nested.into_bytes(),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                None,
            ),
            (
                Some("application/json"),
                br#"{"name":"a","count":1,"body_id":"x"}"#.to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                None,
            ),
            (
                Some("application/json"),
                br#"{"name":"a","count":300}"#.to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                Some("count"),
            ),
            (
                Some("application/json"),
                br#"{"name":"a","count":1,"tags":["x",7]}"#.to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                Some("tags[1]"),
            ),
            (
                Some("application/json"),
                br#"{"count":1}"#.to_vec(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                None,
            ),
            (
                Some("application/json"),
                vec![b' '; crate::MAX_BODY_BYTES + 1],
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                None,
            ),
        ];
        for (ct, body, status, code, field) in cases {
            let (got, problem) = send(ct, body).await;
            assert_eq!(got, status, "{ct:?} {problem}");
            assert_eq!(problem["code"], code, "{problem}");
            if let Some(field) = field {
                assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            }
        }
    }
}

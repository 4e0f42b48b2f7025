//! The outermost layer every request passes: request id, timeout, tracing and the
//! security headers that every response carries.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, ErrorCode};
use crate::request_id;

/// Settings of [`request_context`].
#[derive(Debug, Clone)]
pub struct ContextSettings {
    /// How long a request may take before it is answered with 503 `timeout`.
    pub timeout: Duration,
    /// Where served requests are counted.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// Gives the request its id, a tracing span and a deadline, and stamps the response.
pub async fn request_context(
    State(settings): State<ContextSettings>,
    request: Request,
    next: Next,
) -> Response {
    let ids = request_id::ids(
        request
            .headers()
            .get(request_id::HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    // The response echoes the client's id; the log and the audit log name the request
    // by the server's own (and keep the client's beside it).
    let id = ids.echoed().to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // The route's pattern, not the path, so ids do not make one series each.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %ids.id,
        client_request_id = ids.client_id.as_deref(),
        // A made-up method (any token, tens of kilobytes) is logged as `other`.
        method = crate::metrics::method_label(method.as_str()),
        %path
    );
    let started = Instant::now();

    let timeout = settings.timeout;
    let response = request_id::scope(ids, async move {
        match tokio::time::timeout(timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::new(
                ErrorCode::Timeout,
                format!(
                    "the request took longer than {} s and was abandoned",
                    timeout.as_secs()
                ),
            )
            .into_response(),
        }
    })
    .instrument(span.clone())
    .await;

    let mut response = response;
    let status = response.status();
    settings
        .metrics
        .record(method.as_str(), &route, status.as_u16(), started.elapsed());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(request_id::HEADER, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    response
}

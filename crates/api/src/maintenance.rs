//! Read-only maintenance at the API's door: while it is in force, every write under
//! `/api/v1` except logging in and out and the switch itself answers 503 `maintenance`
//! with `Retry-After`, before any extractor or use case runs (see
//! `wpt_db::maintenance` for the state, its cache and the write path's own check).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use utoipa::openapi::{OpenApi, RefOr};
use wpt_domain::models::MaintenanceState;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// The writes that go on during maintenance: `(method, path)`.
pub const ALLOWED: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("PUT", "/api/v1/admin/maintenance"),
];

/// Whether `method path` is a write that maintenance refuses.
pub fn refused(method: &Method, path: &str) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && path.starts_with("/api/v1/")
        && !ALLOWED
            .iter()
            .any(|(m, p)| *m == method.as_str() && *p == path)
}

/// The 503 of a write refused for `state`: its announcement (with the administrator's
/// message) as `detail`, and `Retry-After` until the expected end.
pub fn refusal(state: &MaintenanceState) -> ApiError {
    let now = Utc::now();
    let detail = state
        .announcement(now)
        .unwrap_or_else(|| "read-only for maintenance".into());
    let retry = state.retry_after(now).to_string();
    ApiError::new(
        ErrorCode::Maintenance,
        format!("{detail} Nothing was written; try again later."),
    )
    .with_header(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry).unwrap_or(HeaderValue::from_static("300")),
    )
}

/// The layer: refuses a write while maintenance is in force. A failure to read the state
/// lets the request through (the write path checks again, from the database).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if refused(request.method(), request.uri().path()) {
        match wpt_db::maintenance::in_force(&state.db).await {
            Ok(Some(m)) => return refusal(&m).into_response(),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "maintenance state unreadable; the write path decides")
            }
        }
    }
    next.run(request).await
}

/// Documents the 503 on every operation the layer can refuse (a convention of
/// [`crate::spec::apply_conventions`], like the extractors' answers).
pub fn document(spec: &mut OpenApi) {
    for (path, item) in spec.paths.paths.iter_mut() {
        for (method, op) in [
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ] {
            if let Some(op) = op
                && refused(&method, path)
            {
                // An operation that documents a 503 of its own gets this one added to it.
                match op.responses.responses.get_mut("503") {
                    Some(RefOr::T(response)) => response.description.push_str(
                        "; or read-only maintenance is in force (code `maintenance`, `Retry-After`)",
                    ),
                    Some(RefOr::Ref(_)) => {}
                    None => crate::spec::add(
                        op,
                        "503",
                        "Read-only maintenance is in force (code `maintenance`, `Retry-After`), or the database cannot be reached",
                    ),
                }
            }
        }
    }
}

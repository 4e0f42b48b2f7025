//! One module per resource. Each exposes `router()`, an `OpenApiRouter` whose handlers
//! carry their OpenAPI description (`#[utoipa::path]`); [`crate::router`] nests them.

pub mod activities;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bodies;
pub mod cycles;
pub mod health;
pub mod indicators;
pub mod maintenance;
pub mod me;
pub mod milestones;
pub mod notifications;
pub mod participation;
pub mod trends;
pub mod users;
pub mod work_plans;

use serde::Deserialize;
use utoipa::IntoParams;
use wpt_domain::page::PageRequest;

use crate::error::ApiError;

/// `?limit=&cursor=` of a list without filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 200; 50 when absent. Out of range is a 422.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The validated page request.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(self.limit, self.cursor.as_deref())?)
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A `201 Created` with `Location` and, for versioned resources, `ETag`.
pub fn created<T: serde::Serialize>(
    location: String,
    version: Option<i32>,
    body: T,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let mut response = (StatusCode::CREATED, crate::extract::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(v) = version {
        response
            .headers_mut()
            .insert(header::ETAG, crate::etag::etag(v));
    }
    response
}

/// A `200 OK` with the new `ETag` of a versioned resource.
pub fn updated<T: serde::Serialize>(version: i32, body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::ETAG, crate::etag::etag(version))],
        crate::extract::Json(body),
    )
        .into_response()
}

/// Refuses a text parameter longer than the `max` characters its schema declares.
pub fn max_chars(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::field(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

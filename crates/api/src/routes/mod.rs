//! One module per resource. Each exposes `router()`, an `OpenApiRouter` whose handlers
//! carry their OpenAPI description (`#[utoipa::path]`); [`crate::router`] nests them.

pub mod audit;
pub mod auth;
pub mod bodies;
pub mod health;
pub mod me;
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

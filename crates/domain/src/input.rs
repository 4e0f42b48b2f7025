//! What a caller sends, defined once: the API deserializes these and the use cases take
//! them as they are (no request struct copied field by field into a second one).

use serde::Deserialize;
use utoipa::ToSchema;

use crate::ProgressStatus;

/// A progress update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    /// Status of the body's part.
    pub status: ProgressStatus,
    /// Completion, 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(max_length = 20000)]
    pub narrative: String,
    /// Difficulties met.
    #[schema(max_length = 20000)]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(max_length = 20000)]
    pub next_steps: Option<String>,
    /// Links to evidence (http or https), at most 20.
    #[serde(default)]
    pub evidence_urls: Vec<String>,
}


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
    #[schema(example = 60, minimum = 0, maximum = 100)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(
        example = "Campaign materials printed in five languages and placed at 12 of the 20 checkpoints; 85 immigration officers briefed.",
        max_length = 20000
    )]
    pub narrative: String,
    /// Difficulties met.
    #[schema(
        example = "Printing for the remaining checkpoints waits for the second funding tranche.",
        max_length = 20000
    )]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(
        example = "Place the materials at the remaining 8 checkpoints by the end of the quarter.",
        max_length = 20000
    )]
    pub next_steps: Option<String>,
    /// Links to evidence (http or https), at most 20.
    #[serde(default)]
    #[schema(example = json!(["https://example.org/dgicm/campaign-progress-2026.pdf"]))]
    pub evidence_urls: Vec<String>,
    /// Evidence files, at most 20: ids of the caller's own uploads
    /// (`POST /api/v1/attachments`) not attached to anything yet. On a report entry the
    /// list replaces the entry's files (ids already on it stay; `null` or absent keeps
    /// them all).
    #[serde(default)]
    #[schema(example = json!([]))]
    pub attachment_ids: Option<Vec<uuid::Uuid>>,
}

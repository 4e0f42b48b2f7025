//! Evidence files: what an upload answers and what a record lists of its files.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An uploaded evidence file (its bytes: `GET /api/v1/attachments/{id}/content`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attachment {
    /// Stable identifier; what `attachment_ids` name.
    pub id: Uuid,
    /// The file's name, cleaned: no folders, control characters or reserved names.
    #[schema(example = "workshop-report-2026.pdf")]
    pub filename: String,
    /// The type the server found in the file's content (never the one the client named).
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// Size in bytes.
    #[schema(example = 482133)]
    pub size: i64,
    /// SHA-256 of the content, lower-case hex; also the download's `ETag`.
    #[schema(example = "9f2c1b4e0a7d3c5b8e6f1a2d4c7b9e0f3a5d8c1b4e7f0a2d5c8b1e4f7a0d3c6b")]
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// Whether it is attached to a progress update or a report entry yet, or proposed by
    /// an amendment waiting for its decision (an unattached upload is visible to its
    /// uploader only and deleted after 24 hours).
    pub attached: bool,
}

//! Review conversations: comments on a body's report, as the API and the pages show them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The most characters a comment may hold.
pub const COMMENT_MAX_CHARS: usize = 4000;

/// One comment on a body's report for a cycle: on the whole report, or on one entry
/// (`activity_id`); a reply names the thread's first comment (`reply_to`). Comments are
/// never edited or deleted; a thread is resolved on its first comment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Comment {
    /// Stable identifier (time-ordered).
    pub id: Uuid,
    /// The report.
    pub submission_id: Uuid,
    /// The report's cycle.
    pub cycle_id: Uuid,
    /// The report's body.
    #[schema(example = "DGICM")]
    pub body: String,
    /// The entry (activity) it is about; `null` for the whole report.
    pub activity_id: Option<Uuid>,
    /// That activity's code.
    #[schema(example = "A.a.1")]
    pub activity_code: Option<String>,
    /// The first comment of the thread this one answers; `null` for a thread's first.
    pub reply_to: Option<Uuid>,
    /// Who wrote it.
    pub author_id: Uuid,
    /// Their name.
    #[schema(example = "Siti Rahman")]
    pub author_name: String,
    /// Their role when the comment is read (`secretariat`, `officer`, ...).
    #[schema(example = "secretariat")]
    pub author_role: String,
    /// The comment.
    #[schema(example = "Which workshop is this? Please attach the MoU.")]
    pub text: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its thread was marked resolved (first comments only).
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who marked it resolved.
    pub resolved_by: Option<Uuid>,
}

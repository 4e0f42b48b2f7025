//! Reporting cycles and the bodies' reports: what the API and the pages show of them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A reporting cycle: one meeting's round of reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cycle {
    /// Stable identifier.
    pub id: Uuid,
    /// The work plan reported on.
    pub work_plan_id: Uuid,
    /// What it prepares for.
    pub kind: crate::CycleKind,
    /// Name, e.g. "26th SOMTC".
    #[schema(example = "27th SOMTC")]
    pub name: String,
    /// The meeting's date.
    #[schema(example = "2026-08-20")]
    pub meeting_date: NaiveDate,
    /// First day the data covers.
    #[schema(example = "2025-07-01")]
    pub period_start: NaiveDate,
    /// Last day the data covers.
    #[schema(example = "2026-06-30")]
    pub period_end: NaiveDate,
    /// When bodies may start entering data.
    #[schema(example = "2026-06-01")]
    pub opens_on: NaiveDate,
    /// When bodies' submissions are due.
    #[schema(example = "2026-07-21")]
    pub due_on: NaiveDate,
    /// When the secretariat's review is due.
    #[schema(example = "2026-08-06")]
    pub review_due_on: NaiveDate,
    /// `planned`, `open` or `closed`.
    pub state: crate::CycleState,
    /// When it was opened.
    #[schema(example = "2026-06-01T00:05:00Z")]
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// One participating body's row on the secretariat's board.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionSummary {
    /// The body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// Its status (`not_started` until it writes).
    pub status: crate::SubmissionStatus,
    /// Submitted after the due day.
    pub late: bool,
    /// Not submitted or accepted: in an open cycle, past the due day (the body's
    /// extended one, if granted); in a closed one, by the close.
    pub missing: bool,
    /// The later due day the secretariat granted this body, if any.
    #[schema(example = "2026-12-21")]
    pub extended_due_on: Option<NaiveDate>,
    /// Why it was granted (shown to those who see the review).
    #[schema(example = "National elections delayed the inter-ministerial clearance.")]
    pub extension_reason: Option<String>,
    /// Entries (activities the body is assigned to).
    #[schema(example = 4)]
    pub entries: i64,
    /// Who first wrote it, and when.
    pub author_id: Option<Uuid>,
    /// When it was first written.
    pub authored_at: Option<DateTime<Utc>>,
    /// Who last submitted it.
    pub submitter_id: Option<Uuid>,
    /// When it was last submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who last reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// When it was last reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was last returned.
    pub return_reason: Option<String>,
}

/// One activity's entry in a body's report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionEntry {
    /// The activity.
    pub activity_id: Uuid,
    /// Its code.
    #[schema(example = "A.a.1")]
    pub activity_code: String,
    /// Its title.
    #[schema(example = "Information campaign on safe migration at border checkpoints")]
    pub activity_title: String,
    /// Reported status.
    pub status: crate::ProgressStatus,
    /// Completion, 0 to 100.
    #[schema(example = 60)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(
        example = "Campaign materials printed in five languages and placed at 12 of the 20 checkpoints; 85 immigration officers briefed."
    )]
    pub narrative: String,
    /// Difficulties.
    #[schema(
        example = "Printing for the remaining checkpoints waits for the second funding tranche."
    )]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(
        example = "Place the materials at the remaining 8 checkpoints by the end of the quarter."
    )]
    pub next_steps: Option<String>,
    /// Evidence links.
    #[schema(example = json!(["https://example.org/dgicm/campaign-progress-2026.pdf"]))]
    pub evidence_urls: Vec<String>,
    /// Evidence files (name, type, size, SHA-256; the bytes at
    /// `/api/v1/attachments/{id}/content`).
    #[schema(example = json!([]))]
    pub attachments: Vec<super::Attachment>,
    /// Who last changed it.
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f70")]
    pub updated_by: Option<Uuid>,
    /// When.
    pub updated_at: DateTime<Utc>,
    /// Whether an accepted amendment changed it after acceptance.
    pub amended: bool,
    /// What changed in the entry since the secretariat last returned the report, field
    /// by field, compared with the entries as they were at that return (empty: nothing
    /// changed). `null` when the report was never returned or the entry was not in it
    /// then, and for readers who do not see the review (viewers, other bodies' officers).
    #[schema(example = json!([{"field": "percent_complete", "before": 40, "after": 60}]))]
    pub changes_since_return: Option<Vec<FieldChange>>,
}

/// A field of a report's entry that changed since the report was returned.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    /// `status`, `percent_complete`, `narrative`, `challenges`, `next_steps`,
    /// `evidence_urls` or `attachments`.
    #[schema(example = "status")]
    pub field: String,
    /// Its value when the report was returned (`attachments`: the files' ids).
    #[schema(example = "delayed")]
    pub before: Value,
    /// Its value now.
    #[schema(example = "on_track")]
    pub after: Value,
}

/// One step of a submission's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionEvent {
    /// `edit`, `submit`, `return` or `accept`.
    #[schema(example = "edit")]
    pub action: String,
    /// Status before.
    #[schema(example = "not_started")]
    pub from_status: String,
    /// Status after.
    #[schema(example = "draft")]
    pub to_status: String,
    /// Who.
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f70")]
    pub actor_id: Option<Uuid>,
    /// The reason given (returns).
    pub reason: Option<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// A body's report for a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Submission {
    /// Stable identifier.
    pub id: Uuid,
    /// The cycle.
    pub cycle_id: Uuid,
    /// The body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// Status.
    pub status: crate::SubmissionStatus,
    /// Submitted after the due day (the extended one, if granted).
    pub late: bool,
    /// The later due day the secretariat granted this body, if any.
    #[schema(example = "2026-12-21")]
    pub extended_due_on: Option<NaiveDate>,
    /// Why it was granted (shown to those who see the review).
    #[schema(example = "National elections delayed the inter-ministerial clearance.")]
    pub extension_reason: Option<String>,
    /// Who first wrote it.
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f70")]
    pub author_id: Option<Uuid>,
    /// When it was first written.
    #[schema(example = "2026-06-10T07:45:00Z")]
    pub authored_at: Option<DateTime<Utc>>,
    /// Who last submitted it.
    pub submitter_id: Option<Uuid>,
    /// When it was last submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who last reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// When it was last reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was last returned.
    pub return_reason: Option<String>,
    /// One entry per activity the body is assigned to.
    pub entries: Vec<SubmissionEntry>,
    /// Every workflow step, oldest first.
    pub events: Vec<SubmissionEvent>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
}

/// A correction proposed after acceptance; the original stays beside it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Amendment {
    /// Stable identifier.
    pub id: Uuid,
    /// The submission.
    pub submission_id: Uuid,
    /// The activity whose entry it corrects.
    pub activity_id: Uuid,
    /// The entry as accepted.
    #[schema(example = json!({"status": "on_track", "percent_complete": 60, "narrative": "58 immigration officers briefed."}))]
    pub original: Value,
    /// The proposed values. `attachment_ids`, when present, is the entry's proposed set
    /// of files (absent: the files stay as they are); `original` then lists the entry's
    /// files when it was proposed.
    #[schema(example = json!({"status": "on_track", "percent_complete": 60, "narrative": "85 immigration officers briefed."}))]
    pub proposed: Value,
    /// The files of the proposed set that still exist, in its order: new uploads kept
    /// with the amendment while it waits, and files on the entry. Empty when it proposes
    /// no change of files. A rejected amendment's new files are not listed (they are
    /// unattached uploads again, deleted after 24 hours).
    pub proposed_attachments: Vec<super::Attachment>,
    /// Why.
    #[schema(example = "85 officers were briefed, not 58: a typing error in the accepted report.")]
    pub reason: String,
    /// `proposed`, `accepted` or `rejected`.
    #[schema(example = "proposed")]
    pub status: String,
    /// Who proposed it.
    pub proposer_id: Uuid,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// Who decided.
    pub reviewer_id: Option<Uuid>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The decision's note.
    pub review_note: Option<String>,
}

/// The frozen, citable snapshot of a closed cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Edition {
    /// The cycle.
    pub cycle_id: Uuid,
    /// SHA-256 of `content` exactly as served (canonical JSON: sorted keys, no spaces).
    #[schema(example = "702feccbb574ec53a47a70c0894ecfc3ce960d2caf17f4ed5884251783f57189")]
    pub sha256: String,
    /// HMAC-SHA256 with the server's audit key over the canonical JSON
    /// `["wpt.edition.v1", cycle_id, sha256]`; `null` for editions frozen before
    /// editions were signed.
    #[schema(example = "95e1f0de533256cf8c783a305b4e21bbe37cb1f0350bbd76c9fae852571cbd01")]
    pub signature: Option<String>,
    /// When the cycle was closed.
    pub created_at: DateTime<Utc>,
    /// The canonical snapshot of every accepted entry.
    pub content: Value,
}

//! What the audit log records of a body's report (issue 14): the report's own fields and
//! the entries a save changed, never the whole report with every entry and its event
//! history, so each record is as large as its change and the log grows linearly with
//! the number of edits, not with its square.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entities::{submission, submission_entry};
use crate::{DbResult, json};

/// A report as one audit record shows it, before or after a step.
#[derive(Debug, Serialize)]
pub(super) struct SubmissionState {
    status: String,
    version: i32,
    author_id: Option<Uuid>,
    submitter_id: Option<Uuid>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    reviewer_id: Option<Uuid>,
    reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    return_reason: Option<String>,
    late: bool,
    /// The body's extended due day, if granted (issue 17).
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_due_on: Option<chrono::NaiveDate>,
    /// Why it was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    extension_reason: Option<String>,
    /// The entries the step changed (none for a workflow step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    entries: Vec<EntryState>,
}

impl SubmissionState {
    /// The report's own fields (a workflow step changes nothing else).
    pub(super) fn of(sub: &submission::Model) -> Self {
        Self {
            status: sub.status.clone(),
            version: sub.version,
            author_id: sub.author_id,
            submitter_id: sub.submitter_id,
            submitted_at: sub.submitted_at,
            reviewer_id: sub.reviewer_id,
            reviewed_at: sub.reviewed_at,
            return_reason: sub.return_reason.clone(),
            late: sub.late,
            extended_due_on: sub.extended_due_on,
            extension_reason: sub.extension_reason.clone(),
            entries: Vec::new(),
        }
    }

    /// With the entries a save changed.
    pub(super) fn with_entries(mut self, entries: Vec<EntryState>) -> Self {
        self.entries = entries;
        self
    }
}

/// One entry's values, as stored.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct EntryState {
    activity_id: Uuid,
    status: String,
    percent_complete: Option<i32>,
    narrative: String,
    challenges: Option<String>,
    next_steps: Option<String>,
    evidence_urls: Value,
    updated_by: Option<Uuid>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl EntryState {
    pub(super) fn of(e: &submission_entry::Model) -> DbResult<Self> {
        // Read through the typed value, so an unreadable column is an error here too.
        let urls: Vec<String> = json::read(&e.evidence_urls, "evidence_urls")?;
        Ok(Self {
            activity_id: e.activity_id,
            status: e.status.clone(),
            percent_complete: e.percent_complete,
            narrative: e.narrative.clone(),
            challenges: e.challenges.clone(),
            next_steps: e.next_steps.clone(),
            evidence_urls: Value::from(urls),
            updated_by: e.updated_by,
            updated_at: e.updated_at,
        })
    }
}

/// Whether a save changed what an entry reports (who saved it and when aside).
pub(super) fn values_differ(a: &submission_entry::Model, b: &submission_entry::Model) -> bool {
    a.status != b.status
        || a.percent_complete != b.percent_complete
        || a.narrative != b.narrative
        || a.challenges != b.challenges
        || a.next_steps != b.next_steps
        || a.evidence_urls != b.evidence_urls
}

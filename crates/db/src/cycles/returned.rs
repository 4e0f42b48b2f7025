//! What changed since the return (issue 24, item 11): when the secretariat returns a
//! report, its entries are kept as they were (`submissions.returned_entries`, the newest
//! return only, written in the return's transaction); reading the report then compares
//! each entry with them, field by field, without a query of its own.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use wpt_domain::ProgressStatus;
use wpt_domain::models::{FieldChange, SubmissionEntry};

use crate::entities::submission_entry;
use crate::{DbError, DbResult, stored};

/// One entry as the return kept it.
#[derive(Debug, Serialize, Deserialize)]
struct Returned {
    activity_id: Uuid,
    status: ProgressStatus,
    percent_complete: Option<i32>,
    narrative: String,
    challenges: Option<String>,
    next_steps: Option<String>,
    evidence_urls: Vec<String>,
    /// Its files' ids, in id order.
    attachment_ids: Vec<Uuid>,
}

/// The entries of submission `id` as a return keeps them (two queries).
pub(super) async fn snapshot(db: &impl ConnectionTrait, id: Uuid) -> DbResult<Value> {
    let entries = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(id))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let files = crate::attachments::of_entries(db, &ids).await?;
    let kept = entries
        .into_iter()
        .map(|e| {
            Ok(Returned {
                activity_id: e.activity_id,
                status: stored(&e.status)?,
                percent_complete: e.percent_complete,
                evidence_urls: crate::json::read(&e.evidence_urls, "evidence_urls")?,
                attachment_ids: files
                    .get(&e.id)
                    .map(|f| f.iter().map(|a| a.id).collect())
                    .unwrap_or_default(),
                narrative: e.narrative,
                challenges: e.challenges,
                next_steps: e.next_steps,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    serde_json::to_value(kept).map_err(|e| DbError::internal(format!("returned entries: {e}")))
}

/// Sets each entry's `changes_since_return` from `returned` (the report's kept entries,
/// if it was ever returned); entries added since stay without.
pub(super) fn compare(returned: Option<&Value>, entries: &mut [SubmissionEntry]) -> DbResult<()> {
    let Some(returned) = returned else {
        return Ok(());
    };
    let kept: Vec<Returned> = crate::json::read(returned, "submissions.returned_entries")?;
    let kept: HashMap<Uuid, Returned> = kept.into_iter().map(|r| (r.activity_id, r)).collect();
    for e in entries {
        e.changes_since_return = kept.get(&e.activity_id).map(|r| changes(r, e));
    }
    Ok(())
}

/// An optional text, an empty one counting as none (a cleared field).
fn text(t: &Option<String>) -> Value {
    json!(t.as_deref().filter(|s| !s.trim().is_empty()))
}

/// The fields of `e` that differ from `r`, in the form's order.
fn changes(r: &Returned, e: &SubmissionEntry) -> Vec<FieldChange> {
    let mut files: Vec<Uuid> = e.attachments.iter().map(|a| a.id).collect();
    files.sort();
    let mut kept_files = r.attachment_ids.clone();
    kept_files.sort();
    [
        ("status", json!(r.status), json!(e.status)),
        (
            "percent_complete",
            json!(r.percent_complete),
            json!(e.percent_complete),
        ),
        ("narrative", json!(r.narrative), json!(e.narrative)),
        ("challenges", text(&r.challenges), text(&e.challenges)),
        ("next_steps", text(&r.next_steps), text(&e.next_steps)),
        (
            "evidence_urls",
            json!(r.evidence_urls),
            json!(e.evidence_urls),
        ),
        ("attachments", json!(kept_files), json!(files)),
    ]
    .into_iter()
    .filter(|(_, before, after)| before != after)
    .map(|(field, before, after)| FieldChange {
        field: field.to_owned(),
        before,
        after,
    })
    .collect()
}

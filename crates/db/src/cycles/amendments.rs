//! Amendments to accepted entries: proposed by the body, decided by the secretariat.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;
use wpt_domain::models::Page;
use wpt_domain::models::{Amendment, Attachment};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::{Actor, ProgressStatus, ValidationErrors};

use super::submissions::{Found, find_submission, find_visible, granted};
use crate::audit::{AuditAction, Change};
use crate::entities::{amendment, submission, submission_entry};
use crate::paging::{TryMapPage, paginate};
use crate::progress::{ProgressInput, validate as validate_progress};
use crate::{Database, DbError, DbResult, stored};
use wpt_domain::AmendmentStatus;
use wpt_domain::policy::{self, Act, AmendmentFacts, SubmissionFacts};

use super::find;
use super::submissions::EntryInput;

/// Proposes an amendment to an accepted entry (the body's officer).
pub async fn propose_amendment(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    input: EntryInput,
    reason: String,
) -> DbResult<Amendment> {
    let proposer = granted(db, actor, cycle_id, body_code, Act::ProposeAmendment).await?;
    let mut errors = ValidationErrors::new();
    validate_progress(&mut errors, "", &input.values);
    check_text(&mut errors, "reason", &reason, true, 5000);
    let mut txn = db.write().await?;
    let Found { sub, facts, .. } = find_submission(&txn, cycle_id, body_code).await?;
    policy::decide(actor, &facts, Act::ProposeAmendment, None)?;
    errors.finish()?;
    let entry = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .filter(submission_entry::Column::ActivityId.eq(input.activity_id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            let mut e = ValidationErrors::new();
            e.add("activity_id", "is not an activity of this report");
            DbError::Validation(e)
        })?;
    // One open proposal per entry: checked here for a clear answer, and held by the
    // unique partial index `ux_amendments_open` when two arrive at once.
    let pending = || {
        DbError::AmendmentPending(
            "this entry already has an amendment waiting for the secretariat's decision; \
             wait for it to be accepted or rejected"
                .into(),
        )
    };
    let open = amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.eq(sub.id))
        .filter(amendment::Column::ActivityId.eq(input.activity_id))
        .filter(amendment::Column::Status.eq(AmendmentStatus::Proposed.as_str()))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(pending());
    }
    let mut original = AmendmentValues::of(&entry)?;
    if input.values.attachment_ids.is_some() {
        // A change of files: the entry's files beside the proposed ones.
        let files = crate::attachments::of_entries(&*txn, &[entry.id]).await?;
        original.attachment_ids = Some(
            files
                .get(&entry.id)
                .map(|f| f.iter().map(|a| a.id).collect())
                .unwrap_or_default(),
        );
    }
    let row = amendment::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(sub.id),
        activity_id: Set(input.activity_id),
        original: Set(original.to_json()?),
        proposed: Set(AmendmentValues::from(&input.values).to_json()?),
        reason: Set(reason.trim().to_owned()),
        status: Set(AmendmentStatus::Proposed.as_str().to_owned()),
        proposer_id: Set(proposer.unwrap_or_default()),
        proposed_at: Set(Utc::now()),
        reviewer_id: Set(None),
        reviewed_at: Set(None),
        review_note: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| match DbError::from(e) {
        DbError::Conflict(_) => pending(),
        other => other,
    })?;
    let files = match &input.values.attachment_ids {
        Some(ids) => {
            super::amendment_files::park(
                &txn,
                proposer.unwrap_or_default(),
                entry.id,
                row.id,
                "",
                ids,
            )
            .await?
        }
        None => Vec::new(),
    };
    let cycle = find(&txn, cycle_id).await?;
    txn.notify(super::notices::amendment_proposed(&cycle, body_code));
    let view = amendment_model(row, files)?;
    txn.record(
        proposer,
        Change::new::<(), _>(
            AuditAction::AmendmentPropose,
            "submission",
            sub.id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// The values of an entry as an amendment stores them (`original`, `proposed`): written
/// and read back through this one type (the pages show them side by side), so an
/// unreadable amendment is an error, never a default.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentValues {
    /// Status.
    pub status: ProgressStatus,
    /// Percent complete.
    pub percent_complete: Option<i32>,
    /// What was done.
    pub narrative: String,
    /// Challenges.
    pub challenges: Option<String>,
    /// Next steps.
    pub next_steps: Option<String>,
    /// Evidence links.
    pub evidence_urls: Vec<String>,
    /// The entry's files (`original`) or its proposed set (`proposed`); absent when the
    /// amendment proposes no change of files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_ids: Option<Vec<Uuid>>,
}

impl AmendmentValues {
    fn of(e: &submission_entry::Model) -> DbResult<Self> {
        Ok(Self {
            status: stored(&e.status)?,
            percent_complete: e.percent_complete,
            narrative: e.narrative.clone(),
            challenges: e.challenges.clone(),
            next_steps: e.next_steps.clone(),
            evidence_urls: crate::json::read(&e.evidence_urls, "submission_entry.evidence_urls")?,
            attachment_ids: None,
        })
    }

    fn to_json(&self) -> DbResult<Value> {
        serde_json::to_value(self).map_err(|e| DbError::internal(format!("amendment values: {e}")))
    }

    /// The values stored in an amendment's `original` or `proposed`.
    pub fn read(v: &Value) -> DbResult<Self> {
        crate::json::read(v, "amendment values")
    }
}

impl From<&ProgressInput> for AmendmentValues {
    fn from(v: &ProgressInput) -> Self {
        Self {
            status: v.status,
            percent_complete: v.percent_complete,
            narrative: v.narrative.clone(),
            challenges: v.challenges.clone(),
            next_steps: v.next_steps.clone(),
            evidence_urls: v.evidence_urls.clone(),
            attachment_ids: v.attachment_ids.clone(),
        }
    }
}

/// The proposed set of files of `r` (`None`: no change of files).
fn proposed_ids(r: &amendment::Model) -> DbResult<Option<Vec<Uuid>>> {
    Ok(AmendmentValues::read(&r.proposed)?.attachment_ids)
}

/// `r` as the read model, with the proposed files that still exist.
fn amendment_model(r: amendment::Model, files: Vec<Attachment>) -> DbResult<Amendment> {
    let status: AmendmentStatus = stored(&r.status)?;
    Ok(Amendment {
        id: r.id,
        submission_id: r.submission_id,
        activity_id: r.activity_id,
        original: r.original,
        proposed: r.proposed,
        proposed_attachments: files,
        reason: r.reason,
        status: status.as_str().to_owned(),
        proposer_id: r.proposer_id,
        proposed_at: r.proposed_at,
        reviewer_id: r.reviewer_id,
        reviewed_at: r.reviewed_at,
        review_note: r.review_note,
    })
}

/// A page of a submission's amendments, oldest first. Those not accepted only for
/// whom [`policy::sees_review`] allows (filtered in the query, so pages stay full).
pub async fn amendments(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    page: &PageRequest,
) -> DbResult<Page<Amendment>> {
    listed(db, actor, cycle_id, body_code, page, None).await
}

/// One amendment of a body's report for a cycle, as [`amendments`] lists it to `actor`:
/// [`DbError::NotFound`] when it is of another report or hidden from them.
pub async fn amendment_of(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    id: Uuid,
) -> DbResult<Amendment> {
    let page = PageRequest {
        limit: 1,
        after: None,
    };
    listed(db, actor, cycle_id, body_code, &page, Some(id))
        .await?
        .items
        .into_iter()
        .next()
        .ok_or(DbError::NotFound("amendment"))
}

/// The amendments of a report visible to `actor` (`only`: that one), in id order.
async fn listed(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    page: &PageRequest,
    only: Option<Uuid>,
) -> DbResult<Page<Amendment>> {
    let Found { sub, facts, .. } = find_visible(db.conn(), actor, cycle_id, body_code).await?;
    let mut query = amendment::Entity::find().filter(amendment::Column::SubmissionId.eq(sub.id));
    if let Some(id) = only {
        query = query.filter(amendment::Column::Id.eq(id));
    }
    if !policy::sees_review(actor, facts.body_id) {
        query = query.filter(amendment::Column::Status.eq(AmendmentStatus::Accepted.as_str()));
    }
    if let Some(after) = &page.after {
        query = query.filter(amendment::Column::Id.gt(after.id));
    }
    let rows = query
        .order_by_asc(amendment::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let with_ids = rows
        .iter()
        .map(|r| Ok((r.clone(), proposed_ids(r)?)))
        .collect::<DbResult<Vec<_>>>()?;
    let mut files = super::amendment_files::proposed_files(db.conn(), &with_ids).await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    })?
    .try_map(|r| {
        let f = files.remove(&r.id).unwrap_or_default();
        amendment_model(r, f)
    })?;
    Ok(Page {
        items: policy::amendments_for(actor, facts.body_id, page.items),
        next_cursor: page.next_cursor,
    })
}

/// Accepts (applying the proposed values; the original stays in the amendment) or
/// rejects an amendment.
pub async fn decide_amendment(
    db: &Database,
    actor: &Actor,
    id: Uuid,
    accept: bool,
    note: Option<String>,
) -> DbResult<Amendment> {
    let reviewer = policy::granted(actor, Act::DecideAmendment)?;
    // The note is shown to the body's officers and kept: the same rule as a reason.
    let mut errors = ValidationErrors::new();
    if let Some(n) = note.as_deref() {
        check_text(&mut errors, "note", n, false, 5000);
    }
    errors.finish()?;
    let mut txn = db.write().await?;
    let row = amendment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("amendment"))?;
    let status: AmendmentStatus = stored(&row.status)?;
    let sub = submission::Entity::find_by_id(row.submission_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    let cycle = find(&txn, sub.cycle_id).await?;
    let facts = SubmissionFacts {
        body_id: sub.body_id,
        status: stored(&sub.status)?,
        cycle_state: stored(&cycle.state)?,
        submitter_id: sub.submitter_id,
        version: sub.version,
    };
    policy::decide_amendment(
        actor,
        &facts,
        &AmendmentFacts {
            status,
            proposer_id: row.proposer_id,
        },
    )?;
    let now = Utc::now();
    let body_code: String = crate::entities::sectoral_body::Entity::find_by_id(sub.body_id)
        .select_only()
        .column(crate::entities::sectoral_body::Column::Code)
        .into_tuple()
        .one(&txn)
        .await?
        .unwrap_or_default();
    let entry = super::amendment_files::entry_of(&*txn, &row).await?;
    let before_files =
        super::amendment_files::proposed_files(&*txn, &[(row.clone(), proposed_ids(&row)?)])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
    let proposed_files = proposed_ids(&row)?;
    super::amendment_files::decide(
        &txn,
        row.id,
        entry.id,
        if accept {
            proposed_files.as_deref()
        } else {
            None
        },
    )
    .await?;
    if accept {
        let p = AmendmentValues::read(&row.proposed)?;
        submission_entry::Entity::update_many()
            .set(submission_entry::ActiveModel {
                status: Set(p.status.as_str().to_owned()),
                percent_complete: Set(p.percent_complete),
                narrative: Set(p.narrative),
                challenges: Set(p.challenges),
                next_steps: Set(p.next_steps),
                evidence_urls: Set(serde_json::json!(p.evidence_urls)),
                updated_by: Set(Some(row.proposer_id)),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(submission_entry::Column::SubmissionId.eq(row.submission_id))
            .filter(submission_entry::Column::ActivityId.eq(row.activity_id))
            .exec(&txn)
            .await?;
        // The amended values become the body's latest progress on the activity, under
        // the accept's rule (before the accepted status moves, as the accept does).
        super::accepted_progress::record_amended(
            &mut txn,
            &sub,
            &cycle,
            &body_code,
            row.activity_id,
            reviewer,
            now,
        )
        .await?;
        // The accepted entry changed: so does what viewers read, if this report is the
        // body's latest accepted one.
        crate::sql::record_accepted(
            &*txn,
            sub.id,
            cycle.id,
            cycle.period_end,
            sub.reviewed_at.unwrap_or(now),
            sub.body_id,
        )
        .await?;
    }
    let before = amendment_model(row.clone(), before_files)?;
    let decided = if accept {
        AmendmentStatus::Accepted
    } else {
        AmendmentStatus::Rejected
    };
    // Only while still proposed: of an accept and a reject at once, one wins and the
    // other (waiting for this row on PostgreSQL, then re-reading it) changes nothing.
    let done = amendment::Entity::update_many()
        .set(amendment::ActiveModel {
            status: Set(decided.as_str().to_owned()),
            reviewer_id: Set(reviewer),
            reviewed_at: Set(Some(now)),
            review_note: Set(note),
            ..Default::default()
        })
        .filter(amendment::Column::Id.eq(row.id))
        .filter(amendment::Column::Status.eq(AmendmentStatus::Proposed.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DbError::InvalidTransition(
            "the amendment was decided by someone else at the same time".into(),
        ));
    }
    let decided_row = amendment::Entity::find_by_id(row.id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("amendment"))?;
    let after_files =
        super::amendment_files::proposed_files(&*txn, &[(decided_row.clone(), proposed_files)])
            .await?
            .remove(&row.id)
            .unwrap_or_default();
    let after = amendment_model(decided_row, after_files)?;
    txn.notify(super::notices::amendment_decided(
        &cycle,
        &body_code,
        row.proposer_id,
        accept,
    ));
    txn.record(
        reviewer,
        Change::new(
            if accept {
                AuditAction::AmendmentAccept
            } else {
                AuditAction::AmendmentReject
            },
            "submission",
            sub.id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

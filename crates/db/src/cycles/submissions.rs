//! A body's report for a cycle: read it, save entries, submit, return, accept.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;
use wpt_domain::models::{Submission, SubmissionEntry, SubmissionEvent};
use wpt_domain::validation::check_text;
use wpt_domain::workflow::SubmissionAction;
use wpt_domain::{Actor, SubmissionStatus, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::{
    activity, amendment, reporting_cycle, sectoral_body, submission, submission_entry,
    submission_event,
};
use crate::progress::{ProgressInput, validate as validate_progress};
use crate::{Database, DbError, DbResult, Write, stored};
use wpt_domain::AmendmentStatus;
use wpt_domain::policy::{self, Act, Refusal, SubmissionFacts};

use super::find;
use super::submission_audit::{EntryState, SubmissionState, values_differ};

/// A body's submission for a cycle, with the facts the policy decides on.
pub(super) struct Found {
    /// The cycle.
    pub(super) cycle: reporting_cycle::Model,
    /// The submission.
    pub(super) sub: submission::Model,
    /// Its body, status, cycle state, submitter and version.
    pub(super) facts: SubmissionFacts,
}

/// The submission of `body_code` in `cycle_id`, whoever asks (the policy decides next).
pub(super) async fn find_submission(
    db: &impl ConnectionTrait,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Found> {
    let cycle = find(db, cycle_id).await?;
    let body = sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(body_code))
        .one(db)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    let sub = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(cycle_id))
        .filter(submission::Column::BodyId.eq(body.id))
        .one(db)
        .await?
        .ok_or(DbError::NotFound(
            "submission (the cycle is not open yet, or the body does not take part)",
        ))?;
    let facts = SubmissionFacts {
        body_id: body.id,
        status: stored(&sub.status)?,
        cycle_state: stored(&cycle.state)?,
        submitter_id: sub.submitter_id,
        version: sub.version,
    };
    Ok(Found { cycle, sub, facts })
}

/// Reads a stored event action.
fn stored_action(text: &str) -> DbResult<SubmissionAction> {
    SubmissionAction::ALL
        .into_iter()
        .find(|a| a.as_str() == text)
        .ok_or_else(|| DbError::internal(format!("unknown submission event action {text:?}")))
}

/// The submission of `body_code` in `cycle_id` if `actor` may see it (404 otherwise).
pub(super) async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Found> {
    let found = find_submission(db, cycle_id, body_code).await?;
    if !policy::can_see(actor, &found.facts) {
        return Err(Refusal::Hidden.into());
    }
    Ok(found)
}

pub(super) async fn view(
    db: &impl ConnectionTrait,
    sub: submission::Model,
    body: String,
) -> DbResult<Submission> {
    let entries = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .all(db)
        .await?;
    // Only the label of each activity: its whole row (descriptions, outputs) for two
    // thousand entries is megabytes read and dropped on every save, submit and accept.
    let mut labels: HashMap<Uuid, (String, String)> = activity::Entity::find()
        .select_only()
        .column(activity::Column::Id)
        .column(activity::Column::Code)
        .column(activity::Column::Title)
        .filter(
            activity::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(submission_entry::Column::ActivityId)
                    .from(submission_entry::Entity)
                    .and_where(submission_entry::Column::SubmissionId.eq(sub.id))
                    .to_owned(),
            ),
        )
        .into_tuple::<(Uuid, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, code, title)| (id, (code, title)))
        .collect();
    let amended: std::collections::HashSet<Uuid> = amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.eq(sub.id))
        .filter(amendment::Column::Status.eq(AmendmentStatus::Accepted.as_str()))
        .select_only()
        .column(amendment::Column::ActivityId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let entry_ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut files = crate::attachments::of_entries(db, &entry_ids).await?;
    let mut entries: Vec<SubmissionEntry> = entries
        .into_iter()
        .map(|e| {
            let a = labels.remove(&e.activity_id).unwrap_or_default();
            Ok(SubmissionEntry {
                attachments: files.remove(&e.id).unwrap_or_default(),
                status: stored(&e.status)?,
                evidence_urls: crate::json::read(&e.evidence_urls, "evidence_urls")?,
                activity_id: e.activity_id,
                activity_code: a.0,
                activity_title: a.1,
                percent_complete: e.percent_complete,
                narrative: e.narrative,
                challenges: e.challenges,
                next_steps: e.next_steps,
                updated_by: e.updated_by,
                updated_at: e.updated_at,
                amended: amended.contains(&e.activity_id),
                changes_since_return: None,
            })
        })
        .collect::<DbResult<_>>()?;
    entries.sort_by(|a, b| a.activity_code.cmp(&b.activity_code));
    // What changed since the return matters until the report is decided again: once
    // accepted, its entries change only by corrections, which are shown as such.
    if sub.status != SubmissionStatus::Accepted.as_str() {
        super::returned::compare(sub.returned_entries.as_ref(), &mut entries)?;
    }
    let events = submission_event::Entity::find()
        .filter(submission_event::Column::SubmissionId.eq(sub.id))
        .order_by_asc(submission_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            Ok(SubmissionEvent {
                action: stored_action(&e.action)?.as_str().to_owned(),
                from_status: stored::<SubmissionStatus>(&e.from_status)?.to_string(),
                to_status: stored::<SubmissionStatus>(&e.to_status)?.to_string(),
                actor_id: e.actor_id,
                reason: e.reason,
                occurred_at: e.occurred_at,
            })
        })
        .collect::<DbResult<_>>()?;
    Ok(Submission {
        status: stored(&sub.status)?,
        id: sub.id,
        cycle_id: sub.cycle_id,
        body,
        late: sub.late,
        extended_due_on: sub.extended_due_on,
        extension_reason: sub.extension_reason,
        author_id: sub.author_id,
        authored_at: sub.authored_at,
        submitter_id: sub.submitter_id,
        submitted_at: sub.submitted_at,
        reviewer_id: sub.reviewer_id,
        reviewed_at: sub.reviewed_at,
        return_reason: sub.return_reason,
        entries,
        events,
        version: sub.version,
    })
}

/// The acting user for `act` when `actor` holds its grant. Without it, the refusal the
/// policy gives: 404 when the caller may not even see the report, else the grant's 403,
/// before any input is read (one query, only for refused callers).
pub(super) async fn granted(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    act: Act,
) -> DbResult<Option<Uuid>> {
    match policy::granted(actor, act) {
        Ok(id) => Ok(id),
        Err(denied) => {
            let found = find_submission(db.conn(), cycle_id, body_code).await?;
            Err(match policy::decide(actor, &found.facts, act, None) {
                Err(refusal) => refusal.into(),
                Ok(_) => denied.into(),
            })
        }
    }
}

/// A body's submission, as `actor` may see it.
pub async fn get_submission(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Submission> {
    let found = find_visible(db.conn(), actor, cycle_id, body_code).await?;
    let body_id = found.facts.body_id;
    let report = view(db.conn(), found.sub, body_code.to_owned()).await?;
    Ok(policy::submission_for(actor, body_id, report))
}

/// A body's submission, as `actor` may see it, with what the policy lets `actor` do to
/// it now: what a page offers (the same answers the use cases below get).
pub async fn get_submission_with_actions(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<(Submission, Vec<Act>)> {
    let found = find_visible(db.conn(), actor, cycle_id, body_code).await?;
    let allowed = policy::allowed_actions(actor, &found.facts);
    let body_id = found.facts.body_id;
    let report = view(db.conn(), found.sub, body_code.to_owned()).await?;
    Ok((policy::submission_for(actor, body_id, report), allowed))
}

#[expect(
    clippy::too_many_arguments,
    reason = "each part of a workflow step, named"
)]
async fn record_step(
    txn: &Write,
    sub: &submission::Model,
    action: SubmissionAction,
    from: SubmissionStatus,
    to: SubmissionStatus,
    actor: Option<Uuid>,
    reason: Option<String>,
    changes: Vec<(submission::Column, sea_orm::Value)>,
) -> DbResult<()> {
    let mut update = submission::ActiveModel {
        status: Set(to.as_str().to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    for (col, value) in changes {
        update.set(col, value);
    }
    txn.update_versioned(update, sub.id, sub.version).await?;
    submission_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(sub.id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        actor_id: Set(actor),
        reason: Set(reason),
        occurred_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// One entry of a `PUT`.
#[derive(Debug, Clone)]
pub struct EntryInput {
    /// The activity.
    pub activity_id: Uuid,
    /// The values.
    pub values: ProgressInput,
}

/// Saves the body's entries (listed activities only; the rest keep their values).
pub async fn save(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    expected_version: i32,
    entries: Vec<EntryInput>,
) -> DbResult<Submission> {
    let author = granted(db, actor, cycle_id, body_code, Act::Edit).await?;
    let mut errors = ValidationErrors::new();
    for (i, e) in entries.iter().enumerate() {
        validate_progress(&mut errors, &format!("entries[{i}]."), &e.values);
    }
    let mut txn = db.write().await?;
    let Found { sub, facts, .. } = find_submission(&txn, cycle_id, body_code).await?;
    let to = policy::decide(actor, &facts, Act::Edit, Some(expected_version))?;
    errors.finish()?;
    // Only the entries the save lists (none for an empty save), not the whole report.
    let listed: Vec<Uuid> = entries.iter().map(|e| e.activity_id).collect();
    let existing: HashMap<Uuid, submission_entry::Model> = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .filter(submission_entry::Column::ActivityId.is_in(listed))
        .all(&txn)
        .await?
        .into_iter()
        .map(|e| (e.activity_id, e))
        .collect();
    let mut errors = ValidationErrors::new();
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        if !existing.contains_key(&e.activity_id) {
            errors.add(
                format!("entries[{i}].activity_id"),
                "is not an activity of this report",
            );
        } else if !seen.insert(e.activity_id) {
            errors.add(format!("entries[{i}].activity_id"), "is listed twice");
        }
    }
    errors.finish()?;
    let now = Utc::now();
    let mut before_entries = Vec::new();
    let mut after_entries = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let files = e.values.attachment_ids.clone();
        let old = &existing[&e.activity_id];
        let mut am: submission_entry::ActiveModel = old.clone().into();
        am.status = Set(e.values.status.as_str().to_owned());
        am.percent_complete = Set(e.values.percent_complete);
        am.narrative = Set(e.values.narrative);
        am.challenges = Set(e.values.challenges);
        am.next_steps = Set(e.values.next_steps);
        am.evidence_urls = Set(json!(e.values.evidence_urls));
        am.updated_by = Set(author);
        am.updated_at = Set(now);
        let new = am.update(&txn).await?;
        if let Some(ids) = files {
            crate::attachments::attach(
                &txn,
                author.unwrap_or_default(),
                crate::attachments::Target::Entry(new.id),
                &format!("entries[{i}]."),
                &ids,
            )
            .await?;
        }
        // The audit record names what this save changed, not the whole report.
        if values_differ(old, &new) {
            before_entries.push(EntryState::of(old)?);
            after_entries.push(EntryState::of(&new)?);
        }
    }
    let mut changes = Vec::new();
    if sub.author_id.is_none() {
        changes.push((submission::Column::AuthorId, author.into()));
        changes.push((submission::Column::AuthoredAt, now.into()));
    }
    let from = facts.status;
    record_step(
        &txn,
        &sub,
        SubmissionAction::Edit,
        from,
        to,
        author,
        None,
        changes,
    )
    .await?;
    let saved = submission::Entity::find_by_id(sub.id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    txn.record(
        author,
        Change::new(
            AuditAction::SubmissionEdit,
            "submission",
            sub.id,
            Some(&SubmissionState::of(&sub).with_entries(before_entries)),
            Some(&SubmissionState::of(&saved).with_entries(after_entries)),
        )?,
    );
    let after = view(&txn, saved, body_code.to_owned()).await?;
    txn.commit().await?;
    Ok(after)
}

/// Submits, returns (with a reason) or accepts.
pub async fn act(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    expected_version: i32,
    action: SubmissionAction,
    reason: Option<String>,
) -> DbResult<Submission> {
    if action == SubmissionAction::Edit {
        return Err(DbError::internal("edits go through save"));
    }
    let actor_id = granted(db, actor, cycle_id, body_code, action.into()).await?;
    if action == SubmissionAction::Return {
        let mut errors = ValidationErrors::new();
        check_text(
            &mut errors,
            "reason",
            reason.as_deref().unwrap_or(""),
            true,
            5000,
        );
        errors.finish()?;
    }
    let mut txn = db.write().await?;
    let Found { cycle, sub, facts } = find_submission(&txn, cycle_id, body_code).await?;
    let to = policy::decide(actor, &facts, action.into(), Some(expected_version))?;
    let now = Utc::now();
    let mut changes: Vec<(submission::Column, sea_orm::Value)> = Vec::new();
    match action {
        SubmissionAction::Submit | SubmissionAction::Edit => {
            let due = wpt_domain::deadline::effective_due(cycle.due_on, sub.extended_due_on);
            let late = sub.late || now.date_naive() > due;
            changes.push((submission::Column::SubmitterId, actor_id.into()));
            changes.push((submission::Column::SubmittedAt, now.into()));
            changes.push((submission::Column::Late, late.into()));
            // The reason of an earlier return stays in the events, with the review.
            changes.push((
                submission::Column::ReturnReason,
                Option::<String>::None.into(),
            ));
        }
        SubmissionAction::Return | SubmissionAction::Accept => {
            changes.push((submission::Column::ReviewerId, actor_id.into()));
            changes.push((submission::Column::ReviewedAt, now.into()));
            if action == SubmissionAction::Return {
                changes.push((submission::Column::ReturnReason, reason.clone().into()));
                // The entries as returned, to show what changed when it comes back.
                let kept = super::returned::snapshot(&*txn, sub.id).await?;
                changes.push((submission::Column::ReturnedEntries, kept.into()));
            }
        }
    }
    record_step(
        &txn,
        &sub,
        action,
        facts.status,
        to,
        actor_id,
        reason,
        changes,
    )
    .await?;
    if action == SubmissionAction::Accept {
        // Before the accepted status moves: it reads the period accepted so far.
        super::accepted_progress::record(&mut txn, &sub, &cycle, body_code, actor_id, now).await?;
        crate::sql::record_accepted(&*txn, sub.id, cycle.id, cycle.period_end, now, sub.body_id)
            .await?;
    }
    let stepped = submission::Entity::find_by_id(sub.id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    match action {
        SubmissionAction::Submit => {
            txn.notify(super::notices::submitted(&cycle, body_code, stepped.late))
        }
        SubmissionAction::Return => txn.notify(super::notices::returned(
            &cycle,
            sub.body_id,
            body_code,
            stepped.return_reason.as_deref().unwrap_or(""),
        )),
        SubmissionAction::Accept => {
            txn.notify(super::notices::accepted(&cycle, sub.body_id, body_code));
        }
        SubmissionAction::Edit => {}
    }
    let action_name = match action {
        SubmissionAction::Edit => AuditAction::SubmissionEdit,
        SubmissionAction::Submit => AuditAction::SubmissionSubmit,
        SubmissionAction::Return => AuditAction::SubmissionReturn,
        SubmissionAction::Accept => AuditAction::SubmissionAccept,
    };
    txn.record(
        actor_id,
        Change::new(
            action_name,
            "submission",
            sub.id,
            Some(&SubmissionState::of(&sub)),
            Some(&SubmissionState::of(&stepped)),
        )?,
    );
    let after = view(&txn, stepped, body_code.to_owned()).await?;
    txn.commit().await?;
    Ok(after)
}

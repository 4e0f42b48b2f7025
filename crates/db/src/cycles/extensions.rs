//! Deadline extensions (issue 17): the secretariat grants one body a later due day for
//! one cycle, with a reason. Late and missing are judged against it
//! ([`wpt_domain::deadline`]), and the reminders follow it.

use chrono::{NaiveDate, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use wpt_domain::validation::check_text;
use wpt_domain::{Actor, ValidationErrors, policy};

use crate::audit::{AuditAction, Change};
use crate::entities::submission;
use crate::notify::{Notice, NoticeKind, Recipients};
use crate::{Database, DbError, DbResult};
use uuid::Uuid;
use wpt_domain::models::Submission;

use super::submission_audit::SubmissionState;
use super::submissions::{Found, find_submission, view};

/// The longest reason kept.
pub const REASON_MAX: usize = 2000;

/// A later due day for one body, and why.
#[derive(Debug, Clone)]
pub struct Extension {
    /// The new due day: after the cycle's, and not in the past.
    pub due_on: NaiveDate,
    /// Why it is granted (required; the body's officers read it).
    pub reason: String,
}

/// Grants the body `body_code` a later due day in the cycle, with a reason; `today` is
/// the day the new due day may not be before. Whoever may not see the report hears
/// 404, anyone but the secretariat 403, a closed or planned cycle or an accepted
/// report 409, a stale `If-Match` 412, and a due day not after the cycle's or in the
/// past 422. A report submitted late whose last submission falls within the new day
/// is no longer late.
pub async fn extend_deadline(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    expected_version: i32,
    extension: Extension,
    today: NaiveDate,
) -> DbResult<Submission> {
    let Extension { due_on, reason } = extension;
    if policy::granted(actor, policy::Act::Accept).is_err() {
        // No grant: answer as the policy does (404 for what the caller may not see).
        let found = find_submission(db.conn(), cycle_id, body_code).await?;
        policy::extend_deadline(actor, &found.facts, None)?;
        return Err(DbError::internal("a refused extension passed the policy"));
    }
    let mut txn = db.write().await?;
    let Found { cycle, sub, facts } = find_submission(&txn, cycle_id, body_code).await?;
    let acting = policy::extend_deadline(actor, &facts, Some(expected_version))?;
    let mut errors = ValidationErrors::new();
    if due_on <= cycle.due_on {
        errors.add(
            "due_on",
            format!(
                "must be after the cycle's due date, {}",
                cycle.due_on.format("%-d %b %Y")
            ),
        );
    } else if due_on < today {
        errors.add(
            "due_on",
            format!(
                "must not be in the past (today is {})",
                today.format("%-d %b %Y")
            ),
        );
    }
    check_text(&mut errors, "reason", &reason, true, REASON_MAX);
    errors.finish()?;
    let reason = reason.trim().to_owned();
    // Late is judged against the new day: the last submission decides.
    let late = sub.late && sub.submitted_at.is_some_and(|at| at.date_naive() > due_on);
    let update = submission::ActiveModel {
        extended_due_on: Set(Some(due_on)),
        extension_reason: Set(Some(reason.clone())),
        late: Set(late),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    txn.update_versioned(update, sub.id, sub.version).await?;
    let extended = submission::Entity::find_by_id(sub.id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    txn.record(
        acting,
        Change::new(
            AuditAction::SubmissionExtend,
            "submission",
            sub.id,
            Some(&SubmissionState::of(&sub)),
            Some(&SubmissionState::of(&extended)),
        )?,
    );
    let due_text = due_on.format("%-d %b %Y");
    txn.notify(Notice {
        kind: NoticeKind::DeadlineExtended,
        to: Recipients::BodyOfficers(facts.body_id),
        subject: format!(
            "{body_code}'s report for {} is now due {due_text}",
            cycle.name
        ),
        text: format!(
            "The secretariat extended {body_code}'s deadline for {} from {} to {due_text}.\n\n\
             Reason: {reason}",
            cycle.name,
            cycle.due_on.format("%-d %b %Y"),
        ),
        link: format!("/ui/cycles/{cycle_id}/my-report"),
        dedupe_key: None,
    });
    let after = view(&txn, extended, body_code.to_owned()).await?;
    txn.commit().await?;
    Ok(policy::submission_for(actor, facts.body_id, after))
}

//! The secretariat's board: who has submitted, who is late or missing.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::SubmissionSummary;
use wpt_domain::policy;
use wpt_domain::{Actor, CycleState, SubmissionStatus};

use crate::entities::{plan_participation, submission, submission_entry};
use crate::{Database, DbResult, stored};

use super::find;

fn missing(status: SubmissionStatus, due: NaiveDate) -> bool {
    !matches!(
        status,
        SubmissionStatus::Submitted | SubmissionStatus::Accepted
    ) && Utc::now().date_naive() > due
}

/// The secretariat's board: every participating body, started or not; three queries.
pub async fn board(
    db: &Database,
    actor: &Actor,
    id: Uuid,
    status: Option<SubmissionStatus>,
) -> DbResult<Vec<SubmissionSummary>> {
    let cycle = find(db.conn(), id).await?;
    let codes = crate::bodies::codes(db.conn()).await?;
    let bodies: Vec<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(cycle.work_plan_id))
        .select_only()
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(db.conn())
        .await?;
    let subs: HashMap<Uuid, submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(id))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|s| (s.body_id, s))
        .collect();
    let counts: HashMap<Uuid, i64> = submission_entry::Entity::find()
        .inner_join(submission::Entity)
        .filter(submission::Column::CycleId.eq(id))
        .select_only()
        .column(submission::Column::BodyId)
        .column_as(submission_entry::Column::Id.count(), "n")
        .group_by(submission::Column::BodyId)
        .into_tuple::<(Uuid, i64)>()
        .all(db.conn())
        .await?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for body in bodies {
        let s = subs.get(&body);
        let st: SubmissionStatus = match s {
            Some(s) => stored(&s.status)?,
            None => SubmissionStatus::NotStarted,
        };
        if status.is_some_and(|f| f != st) {
            continue;
        }
        let row = SubmissionSummary {
            body: codes.get(&body).cloned().unwrap_or_default(),
            status: st,
            late: s.is_some_and(|s| s.late),
            missing: cycle.state == CycleState::Open.as_str() && missing(st, cycle.due_on),
            entries: counts.get(&body).copied().unwrap_or(0),
            author_id: s.and_then(|s| s.author_id),
            authored_at: s.and_then(|s| s.authored_at),
            submitter_id: s.and_then(|s| s.submitter_id),
            submitted_at: s.and_then(|s| s.submitted_at),
            reviewer_id: s.and_then(|s| s.reviewer_id),
            reviewed_at: s.and_then(|s| s.reviewed_at),
            return_reason: s.and_then(|s| s.return_reason.clone()),
        };
        rows.push(policy::board_row_for(actor, body, row));
    }
    // Late and missing first, then by code.
    rows.sort_by_key(|r| (!(r.late || r.missing), r.body.clone()));
    Ok(rows)
}

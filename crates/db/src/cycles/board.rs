//! The secretariat's board: who has submitted, who is late or missing.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::SubmissionSummary;
use wpt_domain::policy;
use wpt_domain::{Actor, CycleState, SubmissionStatus, deadline};

use crate::entities::{plan_participation, reporting_cycle, submission, submission_entry};
use crate::{Database, DbResult, stored};

use super::find;

/// The secretariat's board: every participating body, started or not; five queries.
pub async fn board(
    db: &Database,
    actor: &Actor,
    id: Uuid,
    status: Option<SubmissionStatus>,
) -> DbResult<Vec<SubmissionSummary>> {
    let cycle = find(db.conn(), id).await?;
    Ok(rows_of(db.conn(), actor, vec![cycle], status)
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// The boards of several cycles at once, by cycle id, each as [`board`] gives it:
/// five queries whatever the number of cycles. Unknown ids are left out.
pub async fn boards(
    db: &Database,
    actor: &Actor,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<SubmissionSummary>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let cycles = reporting_cycle::Entity::find()
        .filter(reporting_cycle::Column::Id.is_in(ids.iter().copied()))
        .all(db.conn())
        .await?;
    rows_of(db.conn(), actor, cycles, None).await
}

/// The board rows of the given cycles, grouped by cycle (four queries).
async fn rows_of(
    c: &impl ConnectionTrait,
    actor: &Actor,
    cycles: Vec<reporting_cycle::Model>,
    status: Option<SubmissionStatus>,
) -> DbResult<HashMap<Uuid, Vec<SubmissionSummary>>> {
    let codes = crate::bodies::codes(c).await?;
    let cycle_ids: Vec<Uuid> = cycles.iter().map(|c| c.id).collect();
    let mut plans: Vec<Uuid> = cycles.iter().map(|c| c.work_plan_id).collect();
    plans.sort();
    plans.dedup();
    let mut bodies_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let participation: Vec<(Uuid, Uuid)> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.is_in(plans))
        .select_only()
        .column(plan_participation::Column::WorkPlanId)
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(c)
        .await?;
    for (plan, body) in participation {
        bodies_of.entry(plan).or_default().push(body);
    }
    let subs: HashMap<(Uuid, Uuid), submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.is_in(cycle_ids.iter().copied()))
        .all(c)
        .await?
        .into_iter()
        .map(|s| ((s.cycle_id, s.body_id), s))
        .collect();
    let counts: HashMap<(Uuid, Uuid), i64> = submission_entry::Entity::find()
        .inner_join(submission::Entity)
        .filter(submission::Column::CycleId.is_in(cycle_ids))
        .select_only()
        .column(submission::Column::CycleId)
        .column(submission::Column::BodyId)
        .column_as(submission_entry::Column::Id.count(), "n")
        .group_by(submission::Column::CycleId)
        .group_by(submission::Column::BodyId)
        .into_tuple::<(Uuid, Uuid, i64)>()
        .all(c)
        .await?
        .into_iter()
        .map(|(cy, body, n)| ((cy, body), n))
        .collect();
    let today = Utc::now().date_naive();
    let mut out = HashMap::new();
    for cycle in cycles {
        let state: CycleState = stored(&cycle.state)?;
        let mut rows = Vec::new();
        for &body in bodies_of.get(&cycle.work_plan_id).into_iter().flatten() {
            let s = subs.get(&(cycle.id, body));
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
                missing: deadline::missing_in(
                    state,
                    st,
                    deadline::effective_due(cycle.due_on, s.and_then(|s| s.extended_due_on)),
                    today,
                ),
                extended_due_on: s.and_then(|s| s.extended_due_on),
                extension_reason: s.and_then(|s| s.extension_reason.clone()),
                entries: counts.get(&(cycle.id, body)).copied().unwrap_or(0),
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
        out.insert(cycle.id, rows);
    }
    Ok(out)
}

//! Activities as read models: each with its bodies, milestones, signal and latest status.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::{AcceptedStatus, Activity, ActivityBody, SignalOverride};
use wpt_domain::policy::Lens;
use wpt_domain::{AssignmentRole, ProgressStatus, Signal, signal};

use crate::entities::{
    activity, activity_assignment, milestone, reporting_cycle, sectoral_body, thematic_area,
};
use crate::{DbResult, stored};

use super::today;

/// Turns rows into views of everything recorded (the writers' view).
pub(crate) async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<activity::Model>,
) -> DbResult<Vec<Activity>> {
    views_as(db, rows, Lens::Recorded).await
}

/// Turns rows into views through `lens` with at most four more queries, whatever the
/// number of rows. Through [`Lens::Accepted`] each body's `latest_*` fields are absent
/// and the signal is derived from the accepted statuses.
pub(crate) async fn views_as(
    db: &impl ConnectionTrait,
    rows: Vec<activity::Model>,
    lens: Lens,
) -> DbResult<Vec<Activity>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let area_ids: HashSet<Uuid> = rows.iter().map(|a| a.area_id).collect();
    let areas: HashMap<Uuid, String> = thematic_area::Entity::find()
        .filter(thematic_area::Column::Id.is_in(area_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let assignments = activity_assignment::Entity::find()
        .filter(activity_assignment::Column::ActivityId.is_in(ids.clone()))
        .find_also_related(sectoral_body::Entity)
        .order_by_asc(sectoral_body::Column::Code)
        .all(db)
        .await?;
    let cycle_ids: HashSet<Uuid> = assignments
        .iter()
        .filter_map(|(a, _)| a.accepted_cycle_id)
        .collect();
    let cycle_names: HashMap<Uuid, String> = if cycle_ids.is_empty() {
        HashMap::new()
    } else {
        reporting_cycle::Entity::find()
            .filter(reporting_cycle::Column::Id.is_in(cycle_ids))
            .select_only()
            .column(reporting_cycle::Column::Id)
            .column(reporting_cycle::Column::Name)
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut by_activity: HashMap<Uuid, Vec<ActivityBody>> = HashMap::new();
    for (a, body) in assignments {
        let Some(body) = body else { continue };
        let cycle_name = a
            .accepted_cycle_id
            .and_then(|id| cycle_names.get(&id).cloned());
        by_activity
            .entry(a.activity_id)
            .or_default()
            .push(body_view(a, body.code, cycle_name, lens)?);
    }
    let today = today();
    let overdue: HashMap<Uuid, i64> = milestone::Entity::find()
        .select_only()
        .column(milestone::Column::ActivityId)
        .column_as(milestone::Column::Id.count(), "n")
        .filter(milestone::Column::ActivityId.is_in(ids))
        .filter(milestone::Column::CompletedOn.is_null())
        .filter(milestone::Column::DueOn.lt(today))
        .group_by(milestone::Column::ActivityId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|a| {
            let bodies = by_activity.remove(&a.id).unwrap_or_default();
            let area = areas.get(&a.area_id).cloned().unwrap_or_default();
            let overdue_milestones = overdue.get(&a.id).copied().unwrap_or(0);
            view(a, area, bodies, overdue_milestones, lens, today)
        })
        .collect()
}

/// One assignment as `lens` shows it: through [`Lens::Accepted`] the body's `latest_*`
/// fields are absent. `cycle_name` names the cycle of its accepted status.
pub(crate) fn body_view(
    a: activity_assignment::Model,
    body: String,
    cycle_name: Option<String>,
    lens: Lens,
) -> DbResult<ActivityBody> {
    let recorded = lens == Lens::Recorded;
    let accepted = match (a.accepted_status.as_deref(), a.accepted_cycle_id) {
        (Some(status), Some(cycle_id)) => Some(AcceptedStatus {
            status: stored(status)?,
            percent_complete: a.accepted_percent,
            cycle_id,
            cycle_name: cycle_name.unwrap_or_default(),
            accepted_at: a.accepted_at,
        }),
        _ => None,
    };
    Ok(ActivityBody {
        body,
        role: stored(&a.role)?,
        latest_status: if recorded {
            a.latest_status.as_deref().map(stored).transpose()?
        } else {
            None
        },
        latest_percent: a.latest_percent.filter(|_| recorded),
        latest_reported_at: a.latest_reported_at.filter(|_| recorded),
        accepted,
    })
}

/// An activity row as `lens` shows it, with its area's code, its bodies (any order) and
/// its count of overdue milestones: the signal is derived here, on `today`.
pub(crate) fn view(
    a: activity::Model,
    area: String,
    mut bodies: Vec<ActivityBody>,
    overdue_milestones: i64,
    lens: Lens,
    today: chrono::NaiveDate,
) -> DbResult<Activity> {
    let recorded = lens == Lens::Recorded;
    // Lead first, then cooperating bodies by code.
    bodies.sort_by_key(|b| (b.role != AssignmentRole::Lead, b.body.clone()));
    let statuses: Vec<Option<ProgressStatus>> = bodies
        .iter()
        .map(|b| match lens {
            Lens::Recorded => b.latest_status,
            Lens::Accepted => b.accepted.as_ref().map(|x| x.status),
        })
        .collect();
    let completed = signal::is_completed(&statuses);
    let derived = signal::derive(
        today,
        a.planned_end,
        completed,
        u64::try_from(overdue_milestones).unwrap_or(0),
    );
    Ok(Activity {
        id: a.id,
        work_plan_id: a.work_plan_id,
        area,
        code: a.code,
        title: a.title,
        description: a.description,
        actip_reference: a.actip_reference,
        expected_outputs: a.expected_outputs,
        planned_start: a.planned_start,
        planned_end: a.planned_end,
        lead_body: bodies
            .iter()
            .find(|b| b.role == AssignmentRole::Lead)
            .map(|b| b.body.clone())
            .unwrap_or_default(),
        cooperating_bodies: bodies
            .iter()
            .filter(|b| b.role == AssignmentRole::Cooperating)
            .map(|b| b.body.clone())
            .collect(),
        bodies,
        derived_signal: derived,
        signal_override: match (a.signal_override, a.signal_override_reason) {
            (Some(s), Some(reason)) => Some(SignalOverride {
                signal: stored(&s)?,
                reason,
                set_by: a.signal_override_by,
                set_at: a.signal_override_at,
            }),
            _ => None,
        },
        overdue: derived == Signal::OffTrack,
        overdue_milestones,
        archived: a.archived_at.is_some(),
        last_progress_at: a.last_progress_at.filter(|_| recorded),
        version: a.version,
        created_at: a.created_at,
        updated_at: a.updated_at,
    })
}

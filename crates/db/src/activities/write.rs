//! Creating, changing and deleting activities, and the body assignments they carry.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::SecretariatGrant;
use wpt_domain::models::Activity;
use wpt_domain::reference::check_activity_code;
use wpt_domain::validation::check_text;
use wpt_domain::{AssignmentRole, Grant, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::{
    activity, activity_assignment, amendment, indicator, indicator_actual, milestone,
    plan_participation, progress_update, sectoral_body, submission_entry, thematic_area, work_plan,
};
use crate::{Database, DbError, DbResult};

use super::{ActivityPatch, MAX_TEXT, NewActivity, views};

/// The plan's participating bodies by code.
pub(crate) async fn participants(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> DbResult<HashMap<String, Uuid>> {
    // The plan row is share-locked (FOR SHARE on PostgreSQL; SQLite's write lock is
    // taken already) until the assignments are written: removing a body from the plan
    // locks it for update, so it waits for this write and then sees its assignments, or
    // this read waits for the removal and no longer finds the body.
    work_plan::Entity::find_by_id(plan_id)
        .lock_shared()
        .one(db)
        .await?;
    Ok(plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan_id))
        .find_also_related(sectoral_body::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, b)| b.map(|b| (b.code, b.id)))
        .collect())
}

pub(crate) async fn known_bodies(db: &impl ConnectionTrait) -> DbResult<HashSet<String>> {
    Ok(sectoral_body::Entity::find()
        .select_only()
        .column(sectoral_body::Column::Code)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Checks lead and cooperating bodies against the plan; returns their ids.
pub(crate) fn resolve_bodies(
    errors: &mut ValidationErrors,
    lead: &str,
    cooperating: &[String],
    participants: &HashMap<String, Uuid>,
    known: &HashSet<String>,
) -> Vec<(Uuid, AssignmentRole)> {
    let mut out = Vec::new();
    let check = |errors: &mut ValidationErrors, field: String, code: &str| -> Option<Uuid> {
        if !known.contains(code) {
            errors.add(field, format!("no sectoral body has the code {code:?}"));
            None
        } else if let Some(id) = participants.get(code) {
            Some(*id)
        } else {
            errors.add(
                field,
                format!("{code} does not take part in this work plan"),
            );
            None
        }
    };
    if let Some(id) = check(errors, "lead_body".into(), lead) {
        out.push((id, AssignmentRole::Lead));
    }
    let mut seen = HashSet::new();
    for (i, code) in cooperating.iter().enumerate() {
        let field = format!("cooperating_bodies[{i}]");
        if code == lead {
            errors.add(field, "the lead body cannot also cooperate");
        } else if !seen.insert(code.as_str()) {
            errors.add(field, format!("{code} is listed twice"));
        } else if let Some(id) = check(errors, field, code) {
            out.push((id, AssignmentRole::Cooperating));
        }
    }
    out
}

pub(crate) fn check_fields(errors: &mut ValidationErrors, a: &NewActivity) {
    check_activity_code(errors, "code", &a.code);
    check_text(errors, "title", &a.title, true, 500);
    for (field, value, max) in [
        ("description", &a.description, MAX_TEXT),
        ("actip_reference", &a.actip_reference, 500),
        ("expected_outputs", &a.expected_outputs, MAX_TEXT),
    ] {
        if let Some(v) = value {
            check_text(errors, field, v, false, max);
        }
    }
    if let (Some(start), Some(end)) = (a.planned_start, a.planned_end)
        && end < start
    {
        errors.add("planned_end", "is before planned_start");
    }
}

async fn area_id(
    db: &impl ConnectionTrait,
    errors: &mut ValidationErrors,
    plan_id: Uuid,
    code: &str,
) -> DbResult<Option<Uuid>> {
    let found = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .filter(thematic_area::Column::Code.eq(code))
        .one(db)
        .await?;
    if found.is_none() {
        errors.add("area", format!("the work plan has no area {code:?}"));
    }
    Ok(found.map(|a| a.id))
}

pub(crate) async fn write_assignments(
    db: &impl ConnectionTrait,
    activity_id: Uuid,
    bodies: &[(Uuid, AssignmentRole)],
) -> DbResult<()> {
    let now = Utc::now();
    for (body_id, role) in bodies {
        activity_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            activity_id: Set(activity_id),
            body_id: Set(*body_id),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now),
            latest_status: Set(None),
            latest_percent: Set(None),
            latest_reported_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A new activity row from checked input, with no progress and no override.
pub(crate) fn new_row(
    id: Uuid,
    plan_id: Uuid,
    area_id: Uuid,
    input: &NewActivity,
    now: chrono::DateTime<Utc>,
) -> activity::ActiveModel {
    activity::ActiveModel {
        id: Set(id),
        work_plan_id: Set(plan_id),
        area_id: Set(area_id),
        code: Set(input.code.clone()),
        title: Set(input.title.trim().to_owned()),
        description: Set(input.description.clone()),
        actip_reference: Set(input.actip_reference.clone()),
        expected_outputs: Set(input.expected_outputs.clone()),
        planned_start: Set(input.planned_start),
        planned_end: Set(input.planned_end),
        archived_at: Set(None),
        last_progress_at: Set(None),
        signal_override: Set(None),
        signal_override_reason: Set(None),
        signal_override_by: Set(None),
        signal_override_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Creates an activity with its lead and cooperating bodies, in one transaction.
pub async fn create(
    db: &Database,
    grant: &SecretariatGrant,
    plan_id: Uuid,
    input: NewActivity,
) -> DbResult<Activity> {
    let mut txn = db.write().await?;
    work_plan::Entity::find_by_id(plan_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let mut errors = ValidationErrors::new();
    check_fields(&mut errors, &input);
    let area = area_id(&txn, &mut errors, plan_id, &input.area).await?;
    let parts = participants(&txn, plan_id).await?;
    let known = known_bodies(&txn).await?;
    let bodies = resolve_bodies(
        &mut errors,
        &input.lead_body,
        &input.cooperating_bodies,
        &parts,
        &known,
    );
    errors.finish()?;
    let taken = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .filter(activity::Column::Code.eq(&input.code))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(DbError::Conflict(format!(
            "the work plan already has an activity {}",
            input.code
        )));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    new_row(id, plan_id, area.unwrap_or_default(), &input, now)
        .insert(&txn)
        .await?;
    write_assignments(&txn, id, &bodies).await?;
    let row = activity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let view = views(&txn, vec![row]).await?.remove(0);
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::ActivityCreate,
            "activity",
            id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// Applies a patch if the activity is still at `expected_version`.
pub async fn update(
    db: &Database,
    grant: &SecretariatGrant,
    id: Uuid,
    expected_version: i32,
    patch: ActivityPatch,
) -> DbResult<Activity> {
    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<activity::Entity>(id, expected_version, "activity")
        .await?;
    let before = views(&txn, vec![row.clone()]).await?.remove(0);
    let merged = NewActivity {
        area: patch.area.clone().unwrap_or_else(|| before.area.clone()),
        code: row.code.clone(),
        title: patch.title.clone().unwrap_or_else(|| row.title.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| row.description.clone()),
        actip_reference: patch
            .actip_reference
            .clone()
            .unwrap_or_else(|| row.actip_reference.clone()),
        expected_outputs: patch
            .expected_outputs
            .clone()
            .unwrap_or_else(|| row.expected_outputs.clone()),
        planned_start: patch.planned_start.unwrap_or(row.planned_start),
        planned_end: patch.planned_end.unwrap_or(row.planned_end),
        lead_body: patch
            .lead_body
            .clone()
            .unwrap_or_else(|| before.lead_body.clone()),
        cooperating_bodies: patch
            .cooperating_bodies
            .clone()
            .unwrap_or_else(|| before.cooperating_bodies.clone()),
    };
    let mut errors = ValidationErrors::new();
    check_fields(&mut errors, &merged);
    let area = area_id(&txn, &mut errors, row.work_plan_id, &merged.area).await?;
    let bodies_changed = patch.lead_body.is_some() || patch.cooperating_bodies.is_some();
    let mut bodies = Vec::new();
    if bodies_changed {
        let parts = participants(&txn, row.work_plan_id).await?;
        let known = known_bodies(&txn).await?;
        bodies = resolve_bodies(
            &mut errors,
            &merged.lead_body,
            &merged.cooperating_bodies,
            &parts,
            &known,
        );
    }
    if let Some(Some((_, reason))) = &patch.signal_override {
        check_text(&mut errors, "signal_override.reason", reason, true, 2000);
    }
    errors.finish()?;

    let now = Utc::now();
    let mut am: activity::ActiveModel = row.clone().into();
    am.area_id = Set(area.unwrap_or(row.area_id));
    am.title = Set(merged.title.trim().to_owned());
    am.description = Set(merged.description);
    am.actip_reference = Set(merged.actip_reference);
    am.expected_outputs = Set(merged.expected_outputs);
    am.planned_start = Set(merged.planned_start);
    am.planned_end = Set(merged.planned_end);
    if let Some(archived) = patch.archived {
        am.archived_at = Set(match (archived, row.archived_at) {
            (true, Some(at)) => Some(at),
            (true, None) => Some(now),
            (false, _) => None,
        });
    }
    if let Some(o) = &patch.signal_override {
        let (signal, reason, by, at) = match o {
            Some((s, r)) => (
                Some(s.as_str().to_owned()),
                Some(r.trim().to_owned()),
                grant.actor_id(),
                Some(now),
            ),
            None => (None, None, None, None),
        };
        am.signal_override = Set(signal);
        am.signal_override_reason = Set(reason);
        am.signal_override_by = Set(by);
        am.signal_override_at = Set(at);
    }
    am.updated_at = Set(now);
    txn.update_versioned(am, id, expected_version).await?;
    if bodies_changed {
        reassign(&txn, id, &bodies, now).await?;
    }
    let row = activity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let after = views(&txn, vec![row]).await?.remove(0);
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::ActivityUpdate,
            "activity",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Deletes an activity that has no recorded progress.
pub async fn delete(
    db: &Database,
    grant: &SecretariatGrant,
    id: Uuid,
    expected_version: i32,
) -> DbResult<()> {
    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<activity::Entity>(id, expected_version, "activity")
        .await?;
    // What the bodies recorded on it: never deleted with it. The secretariat archives
    // such an activity instead.
    let recorded = [
        (
            "progress update",
            progress_update::Entity::find()
                .filter(progress_update::Column::ActivityId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "indicator actual",
            indicator_actual::Entity::find()
                .filter(
                    indicator_actual::Column::IndicatorId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(indicator::Column::Id)
                            .from(indicator::Entity)
                            .and_where(
                                sea_orm::sea_query::Expr::col(indicator::Column::ActivityId).eq(id),
                            )
                            .to_owned(),
                    ),
                )
                .count(&txn)
                .await?,
        ),
        (
            "completed milestone",
            milestone::Entity::find()
                .filter(milestone::Column::ActivityId.eq(id))
                .filter(milestone::Column::CompletedOn.is_not_null())
                .count(&txn)
                .await?,
        ),
        (
            "report entry",
            submission_entry::Entity::find()
                .filter(submission_entry::Column::ActivityId.eq(id))
                .count(&txn)
                .await?,
        ),
        (
            "amendment",
            amendment::Entity::find()
                .filter(amendment::Column::ActivityId.eq(id))
                .count(&txn)
                .await?,
        ),
    ];
    let named: Vec<String> = recorded
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if !named.is_empty() {
        return Err(DbError::Conflict(format!(
            "the bodies recorded {} on this activity; archive it instead of deleting it",
            named.join(", ")
        )));
    }
    // Its structure goes with it, named in the audit entry.
    let milestones = milestone::Entity::find()
        .filter(milestone::Column::ActivityId.eq(id))
        .all(&txn)
        .await?;
    let indicators = indicator::Entity::find()
        .filter(indicator::Column::ActivityId.eq(id))
        .all(&txn)
        .await?;
    let structure = serde_json::json!({
        "milestones": milestones.iter().map(|m| serde_json::json!({"id": m.id, "title": m.title, "due_on": m.due_on})).collect::<Vec<_>>(),
        "indicators": indicators.iter().map(|i| serde_json::json!({"id": i.id, "name": i.name, "baseline": i.baseline, "target": i.target})).collect::<Vec<_>>(),
    });
    milestone::Entity::delete_many()
        .filter(milestone::Column::ActivityId.eq(id))
        .exec(&txn)
        .await?;
    indicator::Entity::delete_many()
        .filter(indicator::Column::ActivityId.eq(id))
        .exec(&txn)
        .await?;
    let before = views(&txn, vec![row]).await?.remove(0);
    activity::Entity::delete_by_id(id).exec(&txn).await?;
    txn.record(
        grant.actor_id(),
        Change::new::<_, ()>(
            AuditAction::ActivityDelete,
            "activity",
            id,
            Some(&serde_json::json!({"activity": before, "with": structure})),
            None,
        )?,
    );
    txn.commit().await?;
    Ok(())
}

/// Makes `bodies` the activity's lead and cooperating bodies. The rows of bodies that stay
/// keep their latest and accepted statuses (a body re-added, or whose role changes,
/// keeps them too); only bodies no longer assigned lose theirs. Used by `PATCH` and the
/// matrix import alike.
pub(crate) async fn reassign(
    db: &impl ConnectionTrait,
    id: Uuid,
    bodies: &[(Uuid, AssignmentRole)],
    now: chrono::DateTime<Utc>,
) -> DbResult<()> {
    // Keep the rows (and latest statuses) of bodies that stay; drop the others.
    let existing = activity_assignment::Entity::find()
        .filter(activity_assignment::Column::ActivityId.eq(id))
        .all(db)
        .await?;
    let wanted: HashMap<Uuid, AssignmentRole> = bodies.iter().copied().collect();
    for a in &existing {
        match wanted.get(&a.body_id) {
            None => {
                activity_assignment::Entity::delete_by_id(a.id)
                    .exec(db)
                    .await?;
            }
            Some(role) if role.as_str() != a.role => {
                // Demote first so the one-lead index never sees two leads.
                activity_assignment::Entity::delete_by_id(a.id)
                    .exec(db)
                    .await?;
            }
            Some(_) => {}
        }
    }
    let kept: HashSet<Uuid> = existing
        .iter()
        .filter(|a| wanted.get(&a.body_id).is_some_and(|r| r.as_str() == a.role))
        .map(|a| a.body_id)
        .collect();
    let mut added: Vec<(Uuid, AssignmentRole)> = bodies
        .iter()
        .copied()
        .filter(|(b, _)| !kept.contains(b))
        .collect();
    // Cooperating bodies first, the lead last, for the same reason.
    added.sort_by_key(|(_, r)| *r == AssignmentRole::Lead);
    let restored: HashMap<Uuid, &activity_assignment::Model> =
        existing.iter().map(|a| (a.body_id, a)).collect();
    for (body_id, role) in added {
        let previous = restored.get(&body_id);
        activity_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            activity_id: Set(id),
            body_id: Set(body_id),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now),
            latest_status: Set(previous.and_then(|p| p.latest_status.clone())),
            latest_percent: Set(previous.and_then(|p| p.latest_percent)),
            latest_reported_at: Set(previous.and_then(|p| p.latest_reported_at)),
            accepted_status: Set(previous.and_then(|p| p.accepted_status.clone())),
            accepted_percent: Set(previous.and_then(|p| p.accepted_percent)),
            accepted_cycle_id: Set(previous.and_then(|p| p.accepted_cycle_id)),
            accepted_period_end: Set(previous.and_then(|p| p.accepted_period_end)),
            accepted_at: Set(previous.and_then(|p| p.accepted_at)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

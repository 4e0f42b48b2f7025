//! Which bodies take part in a work plan: adding and removing one
//! (`POST /work-plans/{id}/bodies`, `DELETE /work-plans/{id}/bodies/{code}`), and the
//! member states (`GET /member-states`).
//!
//! A participation's id derives from the plan's and the body's codes, as the reference
//! data's do, so the audit log names the same participation whoever made it; the
//! reference data reads those entries back and leaves alone what an administrator
//! changed ([`crate::reference`]).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};
use uuid::Uuid;
use wpt_domain::actor::AdminGrant;
use wpt_domain::models::{MemberState, Page, WorkPlanBody};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::{Grant, ParticipationRole};

use crate::audit::{AuditAction, Change};
use crate::entities::{
    activity, activity_assignment, member_state, plan_participation, sectoral_body, work_plan,
};
use crate::paging::{TryMapPage, paginate};
use crate::{Database, DbError, DbResult, bodies, stored};

/// The audit resource type of a participation.
pub const RESOURCE: &str = "participation";

/// The id of the participation of `body_code` in the plan `plan_code`.
pub fn participation_id(plan_code: &str, body_code: &str) -> Uuid {
    wpt_domain::reference_id("participation", &format!("{plan_code}:{body_code}"))
}

fn view(row: &plan_participation::Model, body: sectoral_body::Model) -> DbResult<WorkPlanBody> {
    Ok(WorkPlanBody {
        role: stored(&row.role)?,
        confirmed: row.confirmed,
        body: bodies::to_model(body)?,
    })
}

async fn plan_and_body(
    txn: &impl sea_orm::ConnectionTrait,
    plan_id: Uuid,
    code: &str,
) -> DbResult<(work_plan::Model, sectoral_body::Model)> {
    // Locked for update (PostgreSQL; SQLite's write lock is taken already): a change of
    // the plan's bodies waits for, and is waited for by, writes of its assignments (they
    // share-lock the plan row, see `activities::participants`) and other changes of its
    // bodies.
    let plan = work_plan::Entity::find_by_id(plan_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let body = sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(code))
        .one(txn)
        .await?
        .ok_or(DbError::NotFound("sectoral body"))?;
    Ok((plan, body))
}

/// Adds `body_code` to the plan as `role`. 409 when it already takes part, or when it
/// would be a second lead.
pub async fn add_body(
    db: &Database,
    grant: &AdminGrant,
    plan_id: Uuid,
    body_code: &str,
    role: ParticipationRole,
) -> DbResult<WorkPlanBody> {
    let mut txn = db.write().await?;
    let (plan, body) = plan_and_body(&txn, plan_id, body_code).await?;
    let current = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan_id))
        .find_also_related(sectoral_body::Entity)
        .all(&txn)
        .await?;
    if current.iter().any(|(p, _)| p.body_id == body.id) {
        return Err(DbError::Conflict(format!(
            "{} already takes part in {}",
            body.code, plan.code
        )));
    }
    if role == ParticipationRole::Lead
        && let Some((_, lead)) = current
            .iter()
            .find(|(p, _)| p.role == ParticipationRole::Lead.as_str())
    {
        let lead = lead.as_ref().map_or("another body", |b| b.code.as_str());
        return Err(DbError::Conflict(format!(
            "{} is already led by {lead}; a plan has one lead body, so add {} as a member",
            plan.code, body.code
        )));
    }
    let row = plan_participation::ActiveModel {
        id: Set(participation_id(&plan.code, &body.code)),
        work_plan_id: Set(plan_id),
        body_id: Set(body.id),
        role: Set(role.as_str().to_owned()),
        // An administrator adding it is the confirmation.
        confirmed: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| match DbError::from(e) {
        // The unique indexes hold what the checks above said when another change
        // committed in between: a second lead, or the same body twice.
        DbError::Conflict(_) if role == ParticipationRole::Lead => DbError::Conflict(format!(
            "{} already has a lead body; a plan has one lead body, so add {} as a member",
            plan.code, body.code
        )),
        other => other,
    })?;
    let after = view(&row, body)?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::WorkPlanBodyAdd,
            RESOURCE,
            row.id,
            None,
            Some(&serde_json::json!({"work_plan": plan.code, "participation": after})),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Removes `body_code` from the plan. 404 when it does not take part; 409 while it is
/// assigned to activities of the plan (named in the message) or leads the plan.
pub async fn remove_body(
    db: &Database,
    grant: &AdminGrant,
    plan_id: Uuid,
    body_code: &str,
) -> DbResult<()> {
    let mut txn = db.write().await?;
    let (plan, body) = plan_and_body(&txn, plan_id, body_code).await?;
    let row = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan_id))
        .filter(plan_participation::Column::BodyId.eq(body.id))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("participation of this body in this plan"))?;
    if row.role == ParticipationRole::Lead.as_str() {
        return Err(DbError::Conflict(format!(
            "{} leads {}; a plan keeps its lead body",
            body.code, plan.code
        )));
    }
    // One query: the plan's activities this body is assigned to (assignments by body are
    // indexed).
    let assigned: Vec<(String, String)> = activity_assignment::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            activity_assignment::Relation::Activity.def(),
        )
        .filter(activity_assignment::Column::BodyId.eq(body.id))
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .select_only()
        .column(activity::Column::Code)
        .column(activity::Column::Title)
        .order_by_asc(activity::Column::Code)
        .into_tuple()
        .all(&txn)
        .await?;
    if !assigned.is_empty() {
        let named: Vec<String> = assigned
            .iter()
            .map(|(code, title)| format!("{code} {title}"))
            .collect();
        return Err(DbError::Conflict(format!(
            "{} is assigned to {} {} of {}: {}; reassign {} first",
            body.code,
            assigned.len(),
            if assigned.len() == 1 {
                "activity"
            } else {
                "activities"
            },
            plan.code,
            named.join("; "),
            if assigned.len() == 1 { "it" } else { "them" },
        )));
    }
    let before = view(&row, body)?;
    plan_participation::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?;
    txn.record(
        grant.actor_id(),
        Change::new::<_, ()>(
            AuditAction::WorkPlanBodyRemove,
            RESOURCE,
            participation_id(&plan.code, &before.body.code),
            Some(&serde_json::json!({"work_plan": plan.code, "participation": before})),
            None,
        )?,
    );
    txn.commit().await?;
    Ok(())
}

/// The member states ordered by ISO code, one page at a time.
pub async fn member_states(db: &Database, page: &PageRequest) -> DbResult<Page<MemberState>> {
    let mut query = member_state::Entity::find().order_by_asc(member_state::Column::IsoCode);
    if let Some(after) = &page.after {
        query = query.filter(member_state::Column::IsoCode.gt(after.key.clone()));
    }
    let rows = query.limit(page.limit + 1).all(db.conn()).await?;
    paginate(rows, page.limit, |m| Cursor {
        key: m.iso_code.clone(),
        id: m.id,
    })?
    .try_map(|m| {
        Ok(MemberState {
            id: m.id,
            iso_code: m.iso_code,
            name: m.name,
            member_since: m.member_since,
            observer_since: m.observer_since,
        })
    })
}

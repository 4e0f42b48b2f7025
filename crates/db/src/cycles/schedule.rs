//! Planning cycles: create, list, change the dates of a planned or open cycle.

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::SecretariatGrant;
use wpt_domain::models::{Cycle, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::{CycleKind, CycleState, Grant, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::{reporting_cycle, work_plan};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

use super::{CycleInput, CycleSettings, find, to_model};

fn schedule(
    input: &CycleInput,
    settings: &CycleSettings,
) -> Result<(NaiveDate, NaiveDate), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "name", &input.name, true, 200);
    let due = input
        .due_on
        .unwrap_or(input.meeting_date - Duration::days(settings.submission_lead_days));
    let review = input
        .review_due_on
        .unwrap_or(input.meeting_date - Duration::days(settings.review_lead_days));
    if input.period_end < input.period_start {
        errors.add("period_end", "is before period_start");
    }
    if due < input.opens_on {
        errors.add(
            if input.due_on.is_some() {
                "due_on"
            } else {
                "opens_on"
            },
            format!(
                "submissions would be due ({due}) before they open ({})",
                input.opens_on
            ),
        );
    }
    if due >= input.meeting_date {
        errors.add("due_on", "must be before the meeting");
    }
    if review < due || review > input.meeting_date {
        errors.add(
            "review_due_on",
            format!("must fall between the due day ({due}) and the meeting"),
        );
    }
    errors.finish()?;
    Ok((due, review))
}

/// Creates a planned cycle.
pub async fn create(
    db: &Database,
    grant: &SecretariatGrant,
    settings: &CycleSettings,
    input: CycleInput,
) -> DbResult<Cycle> {
    let (due, review) = schedule(&input, settings)?;
    let mut txn = db.write().await?;
    work_plan::Entity::find_by_id(input.work_plan_id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            let mut e = ValidationErrors::new();
            e.add("work_plan_id", "no work plan has this id");
            DbError::Validation(e)
        })?;
    let now = Utc::now();
    let row = reporting_cycle::ActiveModel {
        id: Set(Uuid::now_v7()),
        work_plan_id: Set(input.work_plan_id),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(input.name.trim().to_owned()),
        meeting_date: Set(input.meeting_date),
        period_start: Set(input.period_start),
        period_end: Set(input.period_end),
        opens_on: Set(input.opens_on),
        due_on: Set(due),
        review_due_on: Set(review),
        state: Set(CycleState::Planned.as_str().to_owned()),
        opened_at: Set(None),
        closed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let view = to_model(row)?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::CycleCreate,
            "cycle",
            view.id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// Cycles, latest meeting first.
pub async fn list(
    db: &Database,
    work_plan: Option<Uuid>,
    state: Option<CycleState>,
    page: &PageRequest,
) -> DbResult<Page<Cycle>> {
    let mut cond = Condition::all();
    if let Some(p) = work_plan {
        cond = cond.add(reporting_cycle::Column::WorkPlanId.eq(p));
    }
    if let Some(s) = state {
        cond = cond.add(reporting_cycle::Column::State.eq(s.as_str()));
    }
    if let Some(after) = &page.after {
        let d: NaiveDate = after.key.parse().map_err(|_| {
            let mut e = ValidationErrors::new();
            e.add("cursor", "is not a cursor of this list");
            DbError::Validation(e)
        })?;
        cond = cond.add(
            Condition::any()
                .add(reporting_cycle::Column::MeetingDate.lt(d))
                .add(
                    Condition::all()
                        .add(reporting_cycle::Column::MeetingDate.eq(d))
                        .add(reporting_cycle::Column::Id.gt(after.id)),
                ),
        );
    }
    let rows = reporting_cycle::Entity::find()
        .filter(cond)
        .order_by_desc(reporting_cycle::Column::MeetingDate)
        .order_by_asc(reporting_cycle::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |c| Cursor {
        key: c.meeting_date.to_string(),
        id: c.id,
    })?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_model)
            .collect::<DbResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}

/// Changes the schedule or name of a cycle that is not closed.
pub async fn update(
    db: &Database,
    grant: &SecretariatGrant,
    settings: &CycleSettings,
    id: Uuid,
    expected_version: i32,
    patch: CyclePatch,
) -> DbResult<Cycle> {
    let mut txn = db.write().await?;
    let row = find(&txn, id).await?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    if row.state == CycleState::Closed.as_str() {
        return Err(DbError::InvalidTransition(
            "a closed cycle takes no edits".into(),
        ));
    }
    let before = to_model(row.clone())?;
    let merged = CycleInput {
        work_plan_id: row.work_plan_id,
        kind: patch.kind.unwrap_or(before.kind),
        name: patch.name.unwrap_or(row.name.clone()),
        meeting_date: patch.meeting_date.unwrap_or(row.meeting_date),
        period_start: patch.period_start.unwrap_or(row.period_start),
        period_end: patch.period_end.unwrap_or(row.period_end),
        opens_on: patch.opens_on.unwrap_or(row.opens_on),
        due_on: Some(patch.due_on.unwrap_or(row.due_on)),
        review_due_on: Some(patch.review_due_on.unwrap_or(row.review_due_on)),
    };
    let (due, review) = schedule(&merged, settings)?;
    let mut am: reporting_cycle::ActiveModel = row.clone().into();
    am.kind = Set(merged.kind.as_str().to_owned());
    am.name = Set(merged.name.trim().to_owned());
    am.meeting_date = Set(merged.meeting_date);
    am.period_start = Set(merged.period_start);
    am.period_end = Set(merged.period_end);
    am.opens_on = Set(merged.opens_on);
    am.due_on = Set(due);
    am.review_due_on = Set(review);
    am.updated_at = Set(Utc::now());
    txn.update_versioned(am, id, expected_version).await?;
    let after = to_model(find(&txn, id).await?)?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::CycleUpdate,
            "cycle",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Deletes a cycle that is still planned (nothing was written for it: its reports are
/// made when it opens) at `expected_version`; audited with what it was. An open or
/// closed cycle is a 409: close it, or keep it on record.
pub async fn delete(
    db: &Database,
    grant: &SecretariatGrant,
    id: Uuid,
    expected_version: i32,
) -> DbResult<()> {
    let mut txn = db.write().await?;
    let row = find(&txn, id).await?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    if row.state != CycleState::Planned.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only a planned cycle can be deleted; this one is {}",
            row.state
        )));
    }
    let before = to_model(row)?;
    // Conditional on the version and state read: an open or edit in between (after
    // waiting for its row lock on PostgreSQL) makes this match nothing.
    let gone = reporting_cycle::Entity::delete_many()
        .filter(reporting_cycle::Column::Id.eq(id))
        .filter(reporting_cycle::Column::Version.eq(expected_version))
        .filter(reporting_cycle::Column::State.eq(CycleState::Planned.as_str()))
        .exec(&txn)
        .await?;
    if gone.rows_affected != 1 {
        return Err(DbError::StaleVersion(expected_version));
    }
    txn.record(
        grant.actor_id(),
        Change::new::<_, ()>(AuditAction::CycleDelete, "cycle", id, Some(&before), None)?,
    );
    txn.commit().await?;
    Ok(())
}

/// Changes of `PATCH /cycles/{id}`.
#[derive(Debug, Clone, Default)]
pub struct CyclePatch {
    /// New kind.
    pub kind: Option<CycleKind>,
    /// New name.
    pub name: Option<String>,
    /// New meeting date.
    pub meeting_date: Option<NaiveDate>,
    /// New period start.
    pub period_start: Option<NaiveDate>,
    /// New period end.
    pub period_end: Option<NaiveDate>,
    /// New opening day.
    pub opens_on: Option<NaiveDate>,
    /// New due day.
    pub due_on: Option<NaiveDate>,
    /// New review due day.
    pub review_due_on: Option<NaiveDate>,
}

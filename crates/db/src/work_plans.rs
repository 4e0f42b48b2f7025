//! Work plans, their participating bodies and their areas: reads.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::{Area, Page, WorkPlan, WorkPlanBody};
use wpt_domain::page::{Cursor, PageRequest};

use crate::entities::{plan_participation, sectoral_body, thematic_area, work_plan};
use crate::paging::{TryMapPage, paginate};
use crate::{Database, DbError, DbResult, bodies, stored};

fn to_model(row: work_plan::Model) -> DbResult<WorkPlan> {
    Ok(WorkPlan {
        status: stored(&row.status)?,
        id: row.id,
        code: row.code,
        title: row.title,
        period_start: row.period_start,
        period_end: row.period_end,
        adopted_on: row.adopted_on,
        adopted_at: row.adopted_at,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Work plans ordered by code.
pub async fn list(db: &Database, page: &PageRequest) -> DbResult<Page<WorkPlan>> {
    let mut query = work_plan::Entity::find().order_by_asc(work_plan::Column::Code);
    if let Some(after) = &page.after {
        query = query.filter(work_plan::Column::Code.gt(after.key.clone()));
    }
    let rows = query.limit(page.limit + 1).all(db.conn()).await?;
    paginate(rows, page.limit, |p| Cursor {
        key: p.code.clone(),
        id: p.id,
    })?
    .try_map(to_model)
}

/// One work plan.
pub async fn get(db: &Database, id: Uuid) -> DbResult<WorkPlan> {
    let row = work_plan::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    to_model(row)
}

async fn ensure_exists(db: &Database, id: Uuid) -> DbResult<()> {
    let found = work_plan::Entity::find_by_id(id)
        .select_only()
        .column(work_plan::Column::Id)
        .into_tuple::<Uuid>()
        .one(db.conn())
        .await?;
    found.map(|_| ()).ok_or(DbError::NotFound("work plan"))
}

/// The bodies taking part in a plan, ordered by code: one query for the page.
pub async fn bodies(db: &Database, id: Uuid, page: &PageRequest) -> DbResult<Page<WorkPlanBody>> {
    ensure_exists(db, id).await?;
    let mut condition = Condition::all().add(plan_participation::Column::WorkPlanId.eq(id));
    if let Some(after) = &page.after {
        condition = condition.add(sectoral_body::Column::Code.gt(after.key.clone()));
    }
    let rows = plan_participation::Entity::find()
        .find_also_related(sectoral_body::Entity)
        .filter(condition)
        .order_by_asc(sectoral_body::Column::Code)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let rows: Vec<(plan_participation::Model, sectoral_body::Model)> = rows
        .into_iter()
        .filter_map(|(p, b)| b.map(|b| (p, b)))
        .collect();
    paginate(rows, page.limit, |(_, b)| Cursor {
        key: b.code.clone(),
        id: b.id,
    })?
    .try_map(|(p, b)| {
        Ok(WorkPlanBody {
            role: stored(&p.role)?,
            confirmed: p.confirmed,
            body: bodies::to_model(b)?,
        })
    })
}

/// The thematic areas of a plan, in their display order.
pub async fn areas(db: &Database, id: Uuid, page: &PageRequest) -> DbResult<Page<Area>> {
    ensure_exists(db, id).await?;
    let mut query = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(id))
        .order_by_asc(thematic_area::Column::Position)
        .order_by_asc(thematic_area::Column::Id);
    if let Some(after) = &page.after {
        let position: i32 = after.key.parse().map_err(|_| {
            let mut e = wpt_domain::ValidationErrors::new();
            e.add("cursor", "is not a cursor of this list");
            DbError::Validation(e)
        })?;
        query = query.filter(
            Condition::any()
                .add(thematic_area::Column::Position.gt(position))
                .add(
                    Condition::all()
                        .add(thematic_area::Column::Position.eq(position))
                        .add(thematic_area::Column::Id.gt(after.id)),
                ),
        );
    }
    let rows = query.limit(page.limit + 1).all(db.conn()).await?;
    paginate(rows, page.limit, |a| Cursor {
        key: a.position.to_string(),
        id: a.id,
    })?
    .try_map(|a| {
        Ok(Area {
            id: a.id,
            work_plan_id: a.work_plan_id,
            code: a.code,
            title: a.title,
            position: a.position,
        })
    })
}

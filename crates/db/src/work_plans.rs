//! Work plans, their participating bodies and their areas: reads.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::{Area, Page, WorkPlan, WorkPlanBody};
use wpt_domain::page::{Cursor, PageRequest};

use crate::audit::{AuditAction, Change};
use crate::entities::{plan_participation, sectoral_body, thematic_area, work_plan};
use crate::paging::{TryMapPage, paginate};
use crate::sql;
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

fn timestamp(row: &sea_orm::QueryResult, col: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    // PostgreSQL returns a timestamptz; SQLite returns the stored text, which MAX()
    // hands back without its declared type.
    row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", col)
        .ok()
        .flatten()
        .or_else(|| {
            let text: Option<String> = row.try_get("", col).ok().flatten();
            text.and_then(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .or_else(|_| chrono::DateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S%.f%:z"))
                    .ok()
                    .map(|d| d.with_timezone(&chrono::Utc))
            })
        })
}

/// The plan at a glance: six aggregate queries, whatever the plan's size.
pub async fn summary(
    db: &Database,
    id: Uuid,
    lens: wpt_domain::policy::Lens,
) -> DbResult<wpt_domain::models::WorkPlanSummary> {
    use sea_orm::{ConnectionTrait, Statement};
    use wpt_domain::models::{
        BodyLastUpdate, MilestoneTotals, SignalCount, StatusCount, WorkPlanSummary,
    };
    let conn = db.conn();
    let today = chrono::Utc::now().date_naive();
    let key = (crate::audit::position(db).await?, today);
    if key.0 >= 0
        && let Some(hit) = db.summaries().get((id, lens), key)
    {
        return Ok((*hit).clone());
    }
    // One computation at a time; those who waited find it kept.
    let summaries = db.summaries().clone();
    let _computing = summaries.computing().await;
    if key.0 >= 0
        && let Some(hit) = db.summaries().get((id, lens), key)
    {
        return Ok((*hit).clone());
    }
    ensure_exists(db, id).await?;
    let backend = conn.get_database_backend();
    // Viewers' counts read each body's latest accepted status instead of its latest
    // progress update: the same queries over the accepted columns.
    let stmt = |sql: &str, values: Vec<sea_orm::Value>| {
        let sql = sql::through(lens, sql);
        Statement::from_sql_and_values(backend, sql::portable(backend, &sql), values)
    };

    let activities: i64 = conn
        .query_one_raw(stmt(sql::PLAN_ACTIVITIES, vec![id.into()]))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let overdue_activities: i64 = conn
        .query_one_raw(stmt(
            sql::PLAN_OVERDUE_ACTIVITIES,
            vec![id.into(), today.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let by_status = conn
        .query_all_raw(stmt(sql::PLAN_STATUS_BY_AREA_AND_BODY, vec![id.into()]))
        .await?
        .iter()
        .map(|r| {
            Ok(StatusCount {
                area: r.try_get("", "area")?,
                body: r.try_get("", "body")?,
                status: r.try_get("", "status")?,
                count: r.try_get("", "n")?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    // The same rule as `wpt_domain::signal::derive`, per activity, counted by area.
    let signals = conn
        .query_all_raw(stmt(
            sql::PLAN_SIGNALS_BY_AREA,
            vec![id.into(), today.into()],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok(SignalCount {
                area: r.try_get("", "area")?,
                on_track: r.try_get("", "on_track")?,
                at_risk: r.try_get("", "at_risk")?,
                off_track: r.try_get("", "off_track")?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    let m = conn
        .query_one_raw(stmt(
            sql::PLAN_MILESTONE_TOTALS,
            vec![id.into(), today.into()],
        ))
        .await?;
    let get = |col: &str| -> DbResult<i64> {
        Ok(match &m {
            Some(r) => r.try_get::<i64>("", col)?,
            None => 0,
        })
    };
    let milestones = MilestoneTotals {
        total: get("total")?,
        completed: get("completed")?,
        due: get("due")?,
        done_of_due: get("done_of_due")?,
        overdue: get("overdue")?,
    };
    let bodies = conn
        .query_all_raw(stmt(sql::PLAN_BODY_LAST_UPDATES, vec![id.into()]))
        .await?
        .iter()
        .map(|r| {
            Ok(BodyLastUpdate {
                body: r.try_get("", "body")?,
                assigned: r.try_get("", "assigned")?,
                last_reported_at: timestamp(r, "last_reported_at"),
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    let summary = WorkPlanSummary {
        work_plan_id: id,
        as_of: today,
        activities,
        overdue_activities,
        by_status,
        signals,
        milestones,
        bodies,
    };
    // A negative position (an unlinked tail too long to count) names no state and is
    // never read again: storing at it would only evict the summary of a real position.
    if key.0 >= 0 {
        db.summaries()
            .put((id, lens), key, std::sync::Arc::new(summary.clone()));
    }
    Ok(summary)
}

/// A new work plan (`POST /work-plans`); its lead body takes part as `lead`.
#[derive(Debug, Clone)]
pub struct NewWorkPlan {
    /// Unique code.
    pub code: String,
    /// Title.
    pub title: String,
    /// First day covered.
    pub period_start: chrono::NaiveDate,
    /// Last day covered.
    pub period_end: chrono::NaiveDate,
    /// Adoption date.
    pub adopted_on: Option<chrono::NaiveDate>,
    /// Adopting meeting.
    pub adopted_at: Option<String>,
    /// Status (default draft).
    pub status: wpt_domain::WorkPlanStatus,
    /// The lead body's code.
    pub lead_body: String,
    /// Member bodies' codes.
    pub member_bodies: Vec<String>,
}

fn check_plan(
    errors: &mut wpt_domain::ValidationErrors,
    code: Option<&str>,
    title: &str,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    adopted_at: Option<&str>,
) {
    if let Some(code) = code {
        wpt_domain::reference::check_code(errors, "code", code);
    }
    wpt_domain::validation::check_text(errors, "title", title, true, 500);
    if end < start {
        errors.add("period_end", "is before period_start");
    }
    if let Some(a) = adopted_at {
        wpt_domain::validation::check_text(errors, "adopted_at", a, false, 300);
    }
}

async fn plan_view(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> DbResult<WorkPlan> {
    to_model(
        work_plan::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(DbError::NotFound("work plan"))?,
    )
}

/// Creates a work plan with its four areas left to the secretariat, and its bodies.
pub async fn create(
    db: &Database,
    grant: &wpt_domain::actor::AdminGrant,
    input: NewWorkPlan,
) -> DbResult<WorkPlan> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, PaginatorTrait};
    use wpt_domain::Grant;
    let mut errors = wpt_domain::ValidationErrors::new();
    check_plan(
        &mut errors,
        Some(&input.code),
        &input.title,
        input.period_start,
        input.period_end,
        input.adopted_at.as_deref(),
    );
    let mut txn = db.write().await?;
    let bodies: std::collections::HashMap<String, Uuid> = sectoral_body::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|b| (b.code, b.id))
        .collect();
    let mut members = Vec::new();
    match bodies.get(&input.lead_body) {
        Some(id) => members.push((*id, wpt_domain::ParticipationRole::Lead)),
        None => errors.add(
            "lead_body",
            format!("no sectoral body has the code {:?}", input.lead_body),
        ),
    }
    let mut seen = std::collections::HashSet::new();
    for (i, code) in input.member_bodies.iter().enumerate() {
        let field = format!("member_bodies[{i}]");
        if code == &input.lead_body || !seen.insert(code.clone()) {
            errors.add(field, format!("{code} is listed twice"));
        } else if let Some(id) = bodies.get(code) {
            members.push((*id, wpt_domain::ParticipationRole::Member));
        } else {
            errors.add(field, format!("no sectoral body has the code {code:?}"));
        }
    }
    errors.finish()?;
    if work_plan::Entity::find()
        .filter(work_plan::Column::Code.eq(&input.code))
        .count(&txn)
        .await?
        > 0
    {
        return Err(DbError::Conflict(format!(
            "a work plan {} exists",
            input.code
        )));
    }
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    work_plan::ActiveModel {
        id: Set(id),
        code: Set(input.code),
        title: Set(input.title.trim().to_owned()),
        period_start: Set(input.period_start),
        period_end: Set(input.period_end),
        adopted_on: Set(input.adopted_on),
        adopted_at: Set(input.adopted_at),
        status: Set(input.status.as_str().to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    for (body_id, role) in members {
        plan_participation::ActiveModel {
            id: Set(Uuid::now_v7()),
            work_plan_id: Set(id),
            body_id: Set(body_id),
            role: Set(role.as_str().to_owned()),
            confirmed: Set(true),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let view = plan_view(&txn, id).await?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::WorkPlanCreate,
            "work_plan",
            id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// Changes of `PATCH /work-plans/{id}`.
#[derive(Debug, Clone, Default)]
pub struct WorkPlanPatch {
    /// New title.
    pub title: Option<String>,
    /// New first day.
    pub period_start: Option<chrono::NaiveDate>,
    /// New last day.
    pub period_end: Option<chrono::NaiveDate>,
    /// New adoption date.
    pub adopted_on: Option<Option<chrono::NaiveDate>>,
    /// New adopting meeting.
    pub adopted_at: Option<Option<String>>,
    /// New status (archiving is `archived`).
    pub status: Option<wpt_domain::WorkPlanStatus>,
}

/// Applies a patch if the plan is still at `expected_version`.
pub async fn update(
    db: &Database,
    grant: &wpt_domain::actor::AdminGrant,
    id: Uuid,
    expected_version: i32,
    patch: WorkPlanPatch,
) -> DbResult<WorkPlan> {
    use sea_orm::ActiveValue::Set;
    use wpt_domain::Grant;
    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<work_plan::Entity>(id, expected_version, "work plan")
        .await?;
    let before = to_model(row.clone())?;
    let title = patch.title.unwrap_or(row.title.clone());
    let start = patch.period_start.unwrap_or(row.period_start);
    let end = patch.period_end.unwrap_or(row.period_end);
    let adopted_at = patch.adopted_at.unwrap_or(row.adopted_at.clone());
    let mut errors = wpt_domain::ValidationErrors::new();
    check_plan(&mut errors, None, &title, start, end, adopted_at.as_deref());
    errors.finish()?;
    let mut am: work_plan::ActiveModel = row.clone().into();
    am.title = Set(title.trim().to_owned());
    am.period_start = Set(start);
    am.period_end = Set(end);
    am.adopted_on = Set(patch.adopted_on.unwrap_or(row.adopted_on));
    am.adopted_at = Set(adopted_at);
    am.status = Set(patch
        .status
        .map_or(row.status.clone(), |s| s.as_str().to_owned()));
    am.updated_at = Set(chrono::Utc::now());
    txn.update_versioned(am, id, expected_version).await?;
    let after = plan_view(&txn, id).await?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::WorkPlanUpdate,
            "work_plan",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Adds a thematic area at the end of a plan's areas.
pub async fn create_area(
    db: &Database,
    grant: &wpt_domain::actor::SecretariatGrant,
    plan_id: Uuid,
    code: &str,
    title: &str,
) -> DbResult<Area> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, PaginatorTrait};
    use wpt_domain::Grant;
    let mut errors = wpt_domain::ValidationErrors::new();
    wpt_domain::reference::check_code(&mut errors, "code", code);
    wpt_domain::validation::check_text(&mut errors, "title", title, true, 500);
    errors.finish()?;
    let mut txn = db.write().await?;
    work_plan::Entity::find_by_id(plan_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let existing = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .count(&txn)
        .await?;
    if thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .filter(thematic_area::Column::Code.eq(code))
        .count(&txn)
        .await?
        > 0
    {
        return Err(DbError::Conflict(format!(
            "the work plan already has an area {code}"
        )));
    }
    let now = chrono::Utc::now();
    let row = thematic_area::ActiveModel {
        id: Set(Uuid::now_v7()),
        work_plan_id: Set(plan_id),
        code: Set(code.to_owned()),
        title: Set(title.trim().to_owned()),
        position: Set(i32::try_from(existing + 1).unwrap_or(i32::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let area = Area {
        id: row.id,
        work_plan_id: row.work_plan_id,
        code: row.code,
        title: row.title,
        position: row.position,
    };
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(AuditAction::AreaCreate, "area", area.id, None, Some(&area))?,
    );
    txn.commit().await?;
    Ok(area)
}

/// One work plan by its code.
pub async fn find_by_code(db: &Database, code: &str) -> DbResult<WorkPlan> {
    let row = work_plan::Entity::find()
        .filter(work_plan::Column::Code.eq(code))
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    to_model(row)
}

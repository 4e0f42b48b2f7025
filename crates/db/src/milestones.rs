//! Milestones: the secretariat sets them; officers of the activity's bodies complete them.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::{BodyGrant, SecretariatGrant};
use wpt_domain::models::{Milestone, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::{Grant, ValidationErrors};

use crate::activities;
use crate::audit::{AuditAction, Change};
use crate::entities::{activity, milestone};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

fn to_model(m: milestone::Model) -> Milestone {
    let today = Utc::now().date_naive();
    Milestone {
        overdue: m.completed_on.is_none() && m.due_on < today,
        id: m.id,
        activity_id: m.activity_id,
        title: m.title,
        due_on: m.due_on,
        completed_on: m.completed_on,
        note: m.note,
        completed_by: m.completed_by,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// An activity's milestones by due date.
pub async fn list(
    db: &Database,
    activity_id: Uuid,
    page: &PageRequest,
) -> DbResult<Page<Milestone>> {
    activity::Entity::find_by_id(activity_id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let mut query = milestone::Entity::find().filter(milestone::Column::ActivityId.eq(activity_id));
    if let Some(after) = &page.after {
        let due: NaiveDate = after.key.parse().map_err(|_| {
            let mut e = ValidationErrors::new();
            e.add("cursor", "is not a cursor of this list");
            DbError::Validation(e)
        })?;
        query = query.filter(
            sea_orm::Condition::any()
                .add(milestone::Column::DueOn.gt(due))
                .add(
                    sea_orm::Condition::all()
                        .add(milestone::Column::DueOn.eq(due))
                        .add(milestone::Column::Id.gt(after.id)),
                ),
        );
    }
    let rows = query
        .order_by_asc(milestone::Column::DueOn)
        .order_by_asc(milestone::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |m| Cursor {
        key: m.due_on.to_string(),
        id: m.id,
    })?;
    Ok(Page {
        items: page.items.into_iter().map(to_model).collect(),
        next_cursor: page.next_cursor,
    })
}

/// One milestone.
pub async fn get(db: &Database, id: Uuid) -> DbResult<Milestone> {
    Ok(to_model(
        milestone::Entity::find_by_id(id)
            .one(db.conn())
            .await?
            .ok_or(DbError::NotFound("milestone"))?,
    ))
}

/// Adds a milestone to an activity.
pub async fn create(
    db: &Database,
    grant: &SecretariatGrant,
    activity_id: Uuid,
    title: &str,
    due_on: NaiveDate,
) -> DbResult<Milestone> {
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "title", title, true, 500);
    errors.finish()?;
    let mut txn = db.write().await?;
    activity::Entity::find_by_id(activity_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let now = Utc::now();
    let row = milestone::ActiveModel {
        id: Set(Uuid::now_v7()),
        activity_id: Set(activity_id),
        title: Set(title.trim().to_owned()),
        due_on: Set(due_on),
        completed_on: Set(None),
        note: Set(None),
        completed_by: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    activities::touch(&txn, activity_id, None).await?;
    let view = to_model(row);
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::MilestoneCreate,
            "milestone",
            view.id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// Changes to a milestone; who may change what is decided by the grant given.
#[derive(Debug, Clone, Default)]
pub struct MilestonePatch {
    /// New title (secretariat).
    pub title: Option<String>,
    /// New due date (secretariat).
    pub due_on: Option<NaiveDate>,
    /// Completion date, or `Some(None)` to reopen (officers of the activity's bodies).
    pub completed_on: Option<Option<NaiveDate>>,
    /// Note (officers of the activity's bodies).
    pub note: Option<Option<String>>,
}

/// Who is changing a milestone.
pub enum MilestoneEditor<'a> {
    /// The secretariat: title and due date.
    Secretariat(&'a SecretariatGrant),
    /// An officer: completion and note, on an activity of their body.
    Officer(&'a BodyGrant),
}

/// Applies a patch if the milestone is still at `expected_version`.
pub async fn update(
    db: &Database,
    editor: MilestoneEditor<'_>,
    id: Uuid,
    expected_version: i32,
    patch: MilestonePatch,
) -> DbResult<Milestone> {
    let mut errors = ValidationErrors::new();
    if let Some(t) = &patch.title {
        check_text(&mut errors, "title", t, true, 500);
    }
    if let Some(Some(n)) = &patch.note {
        check_text(&mut errors, "note", n, false, 5000);
    }
    let mut txn = db.write().await?;
    let row = milestone::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("milestone"))?;
    let actor = match &editor {
        MilestoneEditor::Secretariat(g) => {
            if patch.completed_on.is_some() || patch.note.is_some() {
                return Err(DbError::Forbidden(
                    "completion is recorded by the officers of the activity's bodies".into(),
                ));
            }
            g.actor_id()
        }
        MilestoneEditor::Officer(g) => {
            if patch.title.is_some() || patch.due_on.is_some() {
                return Err(DbError::Forbidden(
                    "the secretariat sets a milestone's title and due date".into(),
                ));
            }
            let (_, assigned) = activities::assignment(&txn, row.activity_id, g.body().id).await?;
            if assigned.is_none() {
                return Err(DbError::Forbidden(format!(
                    "{} is not assigned to this milestone's activity",
                    g.body().code
                )));
            }
            g.actor_id()
        }
    };
    if let Some(Some(done)) = patch.completed_on
        && done > Utc::now().date_naive()
    {
        errors.add("completed_on", "cannot be in the future");
    }
    errors.finish()?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    let before = to_model(row.clone());
    let mut am: milestone::ActiveModel = row.clone().into();
    if let Some(t) = patch.title {
        am.title = Set(t.trim().to_owned());
    }
    if let Some(d) = patch.due_on {
        am.due_on = Set(d);
    }
    if let Some(c) = patch.completed_on {
        am.completed_on = Set(c);
        am.completed_by = Set(c.and(actor));
    }
    if let Some(n) = patch.note {
        am.note = Set(n);
    }
    am.updated_at = Set(Utc::now());
    txn.update_versioned(am, id, expected_version).await?;
    activities::touch(&txn, row.activity_id, None).await?;
    let after = to_model(
        milestone::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("milestone"))?,
    );
    txn.record(
        actor,
        Change::new(
            AuditAction::MilestoneUpdate,
            "milestone",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// An overdue milestone with the activity it belongs to.
#[derive(Debug, Clone)]
pub struct OverdueMilestone {
    /// The activity's id.
    pub activity_id: Uuid,
    /// The activity's code.
    pub activity_code: String,
    /// The milestone's title.
    pub title: String,
    /// When it was due.
    pub due_on: NaiveDate,
}

/// The plan's overdue milestones (due before today, not completed, of non-archived
/// activities), oldest due first, optionally of one area (code) and of one body's
/// activities (code); at most `limit`, and how many there are in all. Two queries.
pub async fn overdue(
    db: &Database,
    work_plan: Uuid,
    area: Option<&str>,
    body: Option<&str>,
    limit: u64,
) -> DbResult<(Vec<OverdueMilestone>, u64)> {
    use sea_orm::sea_query::ExprTrait as _;
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};

    use crate::entities::{activity_assignment, sectoral_body, thematic_area};
    let to_activity: sea_orm::RelationDef = milestone::Entity::belongs_to(activity::Entity)
        .from(milestone::Column::ActivityId)
        .to(activity::Column::Id)
        .into();
    let mut query = milestone::Entity::find()
        .join(sea_orm::JoinType::InnerJoin, to_activity)
        .filter(activity::Column::WorkPlanId.eq(work_plan))
        .filter(activity::Column::ArchivedAt.is_null())
        .filter(milestone::Column::CompletedOn.is_null())
        .filter(milestone::Column::DueOn.lt(Utc::now().date_naive()));
    if let Some(area) = area {
        query = query.filter(
            activity::Column::AreaId.in_subquery(
                Query::select()
                    .column(thematic_area::Column::Id)
                    .from(thematic_area::Entity)
                    .and_where(Expr::col(thematic_area::Column::Code).eq(area))
                    .and_where(Expr::col(thematic_area::Column::WorkPlanId).eq(work_plan))
                    .to_owned(),
            ),
        );
    }
    if let Some(body) = body {
        query = query.filter(
            activity::Column::Id.in_subquery(
                Query::select()
                    .column(activity_assignment::Column::ActivityId)
                    .from(activity_assignment::Entity)
                    .inner_join(
                        sectoral_body::Entity,
                        Expr::col((sectoral_body::Entity, sectoral_body::Column::Id)).equals((
                            activity_assignment::Entity,
                            activity_assignment::Column::BodyId,
                        )),
                    )
                    .and_where(
                        Expr::col((sectoral_body::Entity, sectoral_body::Column::Code)).eq(body),
                    )
                    .to_owned(),
            ),
        );
    }
    let total = query.clone().count(db.conn()).await?;
    let rows: Vec<(Uuid, String, String, NaiveDate)> = query
        .select_only()
        .column(milestone::Column::ActivityId)
        .column(activity::Column::Code)
        .column(milestone::Column::Title)
        .column(milestone::Column::DueOn)
        .order_by_asc(milestone::Column::DueOn)
        .order_by_asc(activity::Column::Code)
        .limit(limit)
        .into_tuple()
        .all(db.conn())
        .await?;
    Ok((
        rows.into_iter()
            .map(
                |(activity_id, activity_code, title, due_on)| OverdueMilestone {
                    activity_id,
                    activity_code,
                    title,
                    due_on,
                },
            )
            .collect(),
        total,
    ))
}

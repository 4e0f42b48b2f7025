//! Activities: the matrix rows, their assignments, the derived signal, the list with
//! its filters and full-text search, the per-activity history, and the plan summary.
//!
//! The list is one statement per page (`list_sql`: the page with its areas, bodies,
//! statuses and overdue milestones). Other reads of rows (`views_as`) are a constant
//! number of queries: one each for the rows' areas, assignments, accepted cycles and
//! overdue milestones, however many rows.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::models::Activity;
pub use wpt_domain::policy::Lens;
use wpt_domain::{ActivitySort, ProgressStatus, Signal};

use crate::entities::{activity, activity_assignment};
use crate::{Database, DbError, DbResult};

mod counters;
mod history;
mod list;
mod list_cache;
mod list_sql;
mod read;
mod write;

pub use counters::{BodyCounters, body_counters};
pub use history::{entries_query as history_query, history};
pub use list::{list, list_from_database, list_shared, search_words};
pub(crate) use list_cache::ListCache;
pub(crate) use read::{views, views_as};
pub(crate) use write::{
    check_fields, known_bodies, new_row, participants, reassign, resolve_bodies, write_assignments,
};
pub use write::{create, delete, update};

/// Longest free text of an activity field, in characters.
pub const MAX_TEXT: usize = 20_000;

/// Input of `POST /work-plans/{id}/activities`.
#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    /// The area's code in the plan.
    pub area: String,
    /// Code, unique in the plan.
    pub code: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// ACTIP provision or APA section.
    pub actip_reference: Option<String>,
    /// Expected outputs.
    pub expected_outputs: Option<String>,
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// Lead body code.
    pub lead_body: String,
    /// Cooperating body codes.
    pub cooperating_bodies: Vec<String>,
}

/// Changes of `PATCH /activities/{id}`; `None` leaves a field as it is, `Some(None)`
/// clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ActivityPatch {
    /// New area code.
    pub area: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New ACTIP/APA reference.
    pub actip_reference: Option<Option<String>>,
    /// New expected outputs.
    pub expected_outputs: Option<Option<String>>,
    /// New planned start.
    pub planned_start: Option<Option<NaiveDate>>,
    /// New planned end.
    pub planned_end: Option<Option<NaiveDate>>,
    /// New lead body.
    pub lead_body: Option<String>,
    /// New set of cooperating bodies.
    pub cooperating_bodies: Option<Vec<String>>,
    /// Archive (`true`) or restore (`false`).
    pub archived: Option<bool>,
    /// Set (`Some(Some)`) or clear (`Some(None)`) the signal override.
    pub signal_override: Option<Option<(Signal, String)>>,
}

/// Filters and order of `GET /activities`.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Only this plan.
    pub work_plan: Option<Uuid>,
    /// Only this area (its code; with `work_plan` for one plan's area).
    pub area: Option<String>,
    /// Only activities this body leads or cooperates on (code).
    pub body: Option<String>,
    /// Only activities where a body's latest status is this (that body's, with `body`).
    pub status: Option<ProgressStatus>,
    /// Only (`true`) or never (`false`) activities past their planned end and not completed.
    pub overdue: Option<bool>,
    /// Only (`true`) or never (`false`) activities with a milestone past its due day and
    /// not completed.
    pub milestones_overdue: Option<bool>,
    /// Full-text search over code, title, description, expected outputs and reference.
    pub q: Option<String>,
    /// Order; relevance by default when `q` is given, else code.
    pub sort: Option<ActivitySort>,
    /// `None` or `Some(false)`: leave archived activities out; `Some(true)`: only them.
    pub archived: Option<bool>,
    /// Which statuses the filters, the order and the rows read: everything recorded,
    /// or (viewers) only what the secretariat accepted.
    pub lens: Lens,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// One activity, through `lens`: from this process's cache when it holds it for today
/// (no query), else read and kept (`crate::cache`; a write to the activity, its
/// progress, milestones, assignments or accepted statuses drops it at once).
pub async fn get(db: &Database, id: Uuid, lens: Lens) -> DbResult<Activity> {
    let day = today();
    let cache = db.cache();
    if let Some(view) = cache.activity(db, id, lens, day) {
        return Ok((*view).clone());
    }
    let ticket = cache.ticket(db);
    let row = activity::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let view = views_as(db.conn(), vec![row], lens).await?.remove(0);
    cache.put_activity(ticket, lens, day, std::sync::Arc::new(view.clone()));
    Ok(view)
}

/// The ids of an activity's plan-level row, for other modules: its row and whether
/// `body_id` is assigned to it (one statement: the assignment joined to the activity).
pub(crate) async fn assignment(
    db: &impl ConnectionTrait,
    activity_id: Uuid,
    body_id: Uuid,
) -> DbResult<(activity::Model, Option<activity_assignment::Model>)> {
    let of_body = sea_orm::RelationDef::from(
        activity_assignment::Entity::belongs_to(activity::Entity)
            .from(activity_assignment::Column::ActivityId)
            .to(activity::Column::Id),
    )
    .rev()
    .on_condition(move |_, assignment| {
        Expr::col((assignment, activity_assignment::Column::BodyId))
            .eq(body_id)
            .into_condition()
    });
    activity::Entity::find_by_id(activity_id)
        .select_also(activity_assignment::Entity)
        .join(JoinType::LeftJoin, of_body)
        .one(db)
        .await?
        .ok_or(DbError::NotFound("activity"))
}

/// Bumps an activity's version because something in its representation changed
/// (a progress update, a milestone).
pub(crate) async fn touch(
    db: &impl ConnectionTrait,
    activity_id: Uuid,
    progress_at: Option<chrono::DateTime<Utc>>,
) -> DbResult<()> {
    let mut update = activity::Entity::update_many()
        .col_expr(
            activity::Column::Version,
            Expr::col(activity::Column::Version).add(1),
        )
        .col_expr(activity::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(at) = progress_at {
        update = update.col_expr(activity::Column::LastProgressAt, Expr::value(at));
    }
    update
        .filter(activity::Column::Id.eq(activity_id))
        .exec(db)
        .await?;
    Ok(())
}

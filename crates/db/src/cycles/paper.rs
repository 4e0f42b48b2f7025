//! What the meeting paper (the report as a Word document) shows beside the report's
//! rows: the plan, the edition of a closed cycle, each activity's planned dates and
//! signal, the overdue milestones and the indicators. A fixed number of queries, however
//! large the plan.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wpt_domain::Signal;
use wpt_domain::models::Cycle;
use wpt_domain::policy::Lens;

use crate::entities::{activity, edition, indicator, indicator_actual, milestone, work_plan};
use crate::{Database, DbError, DbResult};

/// An activity's dates and signal, as the paper shows them.
#[derive(Debug, Clone)]
pub struct PaperActivity {
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// The signal shown: the secretariat's override when set, else the derived one.
    pub signal: Signal,
}

/// A milestone past its due day and not completed.
#[derive(Debug, Clone)]
pub struct OverdueMilestone {
    /// The activity's code.
    pub activity_code: String,
    /// The milestone.
    pub title: String,
    /// Its due day.
    pub due_on: NaiveDate,
}

/// The latest recorded value of an indicator.
#[derive(Debug, Clone)]
pub struct LatestActual {
    /// The value.
    pub value: String,
    /// The last day of its period.
    pub period_end: NaiveDate,
    /// The body that recorded it.
    pub body: String,
}

/// An indicator of the plan.
#[derive(Debug, Clone)]
pub struct PaperIndicator {
    /// The activity's code.
    pub activity_code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: Option<String>,
    /// Baseline.
    pub baseline: Option<String>,
    /// Target.
    pub target: Option<String>,
    /// The latest actual; `None` when there is none or the reader may not see actuals.
    pub latest: Option<LatestActual>,
}

/// Everything the meeting paper adds to the report's rows.
#[derive(Debug, Clone)]
pub struct Paper {
    /// The plan's code.
    pub plan_code: String,
    /// The plan's title.
    pub plan_title: String,
    /// The SHA-256 of the cycle's frozen edition (closed cycles only).
    pub edition_sha256: Option<String>,
    /// Dates and signal by activity id.
    pub activities: HashMap<Uuid, PaperActivity>,
    /// Overdue milestones, by activity code then due day.
    pub overdue_milestones: Vec<OverdueMilestone>,
    /// Indicators, by activity code then name.
    pub indicators: Vec<PaperIndicator>,
}

/// What the meeting paper of `cycle` adds to its report, through `lens` (a viewer's
/// signals come from accepted reports only) and with the indicators' latest actuals only
/// when `with_actuals` (viewers may not read actuals).
pub async fn paper(
    db: &Database,
    cycle: &Cycle,
    lens: Lens,
    with_actuals: bool,
) -> DbResult<Paper> {
    let conn = db.conn();
    let plan = work_plan::Entity::find_by_id(cycle.work_plan_id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let edition_sha256 = edition::Entity::find()
        .filter(edition::Column::CycleId.eq(cycle.id))
        .one(conn)
        .await?
        .map(|e| e.sha256);
    let rows = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(cycle.work_plan_id))
        .filter(activity::Column::ArchivedAt.is_null())
        .order_by_asc(activity::Column::Code)
        .all(conn)
        .await?;
    let codes: HashMap<Uuid, String> = rows.iter().map(|a| (a.id, a.code.clone())).collect();
    // The views a thousand activities at a time, keeping only their dates and signal:
    // the plan's full views are never all held at once (issue 21).
    let mut views = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<activity::Model> = rows.by_ref().take(1000).collect();
        views.extend(
            crate::activities::views_as(conn, chunk, lens)
                .await?
                .into_iter()
                .map(|a| {
                    let signal = a
                        .signal_override
                        .as_ref()
                        .map_or(a.derived_signal, |o| o.signal);
                    (
                        a.id,
                        PaperActivity {
                            planned_start: a.planned_start,
                            planned_end: a.planned_end,
                            signal,
                        },
                    )
                }),
        );
    }
    let activities: HashMap<Uuid, PaperActivity> = views.into_iter().collect();
    let of_plan = Query::select()
        .column(activity::Column::Id)
        .from(activity::Entity)
        .and_where(activity::Column::WorkPlanId.eq(cycle.work_plan_id))
        .and_where(activity::Column::ArchivedAt.is_null())
        .to_owned();
    let today = chrono::Utc::now().date_naive();
    let mut overdue_milestones: Vec<OverdueMilestone> = milestone::Entity::find()
        .filter(milestone::Column::ActivityId.in_subquery(of_plan.clone()))
        .filter(milestone::Column::CompletedOn.is_null())
        .filter(milestone::Column::DueOn.lt(today))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(OverdueMilestone {
                activity_code: codes.get(&m.activity_id)?.clone(),
                title: m.title,
                due_on: m.due_on,
            })
        })
        .collect();
    overdue_milestones.sort_by(|a, b| {
        (&a.activity_code, a.due_on, &a.title).cmp(&(&b.activity_code, b.due_on, &b.title))
    });
    let indicators = indicator::Entity::find()
        .filter(indicator::Column::ActivityId.in_subquery(of_plan.clone()))
        .all(conn)
        .await?;
    let mut latest: HashMap<Uuid, LatestActual> = HashMap::new();
    if with_actuals && !indicators.is_empty() {
        let bodies = crate::bodies::codes(conn).await?;
        let of_indicators = Query::select()
            .column(indicator::Column::Id)
            .from(indicator::Entity)
            .and_where(indicator::Column::ActivityId.in_subquery(of_plan))
            .to_owned();
        for a in indicator_actual::Entity::find()
            .filter(indicator_actual::Column::IndicatorId.in_subquery(of_indicators))
            .order_by_desc(indicator_actual::Column::PeriodEnd)
            .order_by_desc(indicator_actual::Column::UpdatedAt)
            .order_by_asc(indicator_actual::Column::Id)
            .all(conn)
            .await?
        {
            latest
                .entry(a.indicator_id)
                .or_insert_with(|| LatestActual {
                    value: a.value,
                    period_end: a.period_end,
                    body: bodies.get(&a.body_id).cloned().unwrap_or_default(),
                });
        }
    }
    let mut indicators: Vec<PaperIndicator> = indicators
        .into_iter()
        .filter_map(|i| {
            Some(PaperIndicator {
                activity_code: codes.get(&i.activity_id)?.clone(),
                latest: latest.remove(&i.id),
                name: i.name,
                unit: i.unit,
                baseline: i.baseline,
                target: i.target,
            })
        })
        .collect();
    indicators.sort_by(|a, b| (&a.activity_code, &a.name).cmp(&(&b.activity_code, &b.name)));
    Ok(Paper {
        plan_code: plan.code,
        plan_title: plan.title,
        edition_sha256,
        activities,
        overdue_milestones,
        indicators,
    })
}

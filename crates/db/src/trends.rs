//! Trends across reporting cycles (issue 19), computed from accepted reports only:
//! what the secretariat accepted, cycle by cycle, so every reader (viewers included)
//! may read them.
//!
//! Each read is a constant number of queries whatever the number of cycles, bodies or
//! activities: the accepted submissions of a plan are one subquery
//! ([`accepted_of_plan`]), and everything is grouped in memory.
//!
//! Definitions (docs/API-DESIGN.md repeats them):
//! - a body's **due day** in a cycle is its extended one (`submissions.extended_due_on`)
//!   when the secretariat granted one, else the cycle's `due_on`;
//! - **submitted on** is the UTC day of the submission the secretariat accepted (the
//!   last one, after any returns); **on time** when that day is not after the due day;
//!   **days late** the days after it (0 when on time);
//! - **review days**: from that submission to acceptance, in days to the hundredth.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wpt_domain::models::{
    ActivityTrend, ActivityTrendCycle, ActivityTrendPoint, BodyCycleRecord, BodyTimeliness,
    GroupCounts, IndicatorSeries, PlanTrendCycle, PlanTrends, SeriesPoint, StatusCounts,
    TrendCycle,
};
use wpt_domain::{CycleState, ProgressStatus, SubmissionStatus};

use crate::entities::{
    activity, indicator, indicator_actual, reporting_cycle, submission, submission_entry,
    thematic_area, work_plan,
};
use crate::{Database, DbError, DbResult, stored};

/// Rounds to the hundredth.
fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The ids of the accepted submissions of the plan's cycles, as a subquery.
fn accepted_of_plan(plan_id: Uuid) -> SelectStatement {
    let cycles = Query::select()
        .column(reporting_cycle::Column::Id)
        .from(reporting_cycle::Entity)
        .and_where(reporting_cycle::Column::WorkPlanId.eq(plan_id))
        .to_owned();
    Query::select()
        .column(submission::Column::Id)
        .from(submission::Entity)
        .and_where(submission::Column::Status.eq(SubmissionStatus::Accepted.as_str()))
        .and_where(submission::Column::CycleId.in_subquery(cycles))
        .to_owned()
}

/// The plan's cycles that have opened (planned ones hold no report), oldest meeting
/// first.
async fn cycles_of(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> DbResult<Vec<reporting_cycle::Model>> {
    Ok(reporting_cycle::Entity::find()
        .filter(reporting_cycle::Column::WorkPlanId.eq(plan_id))
        .filter(reporting_cycle::Column::State.ne(CycleState::Planned.as_str()))
        .order_by_asc(reporting_cycle::Column::MeetingDate)
        .order_by_asc(reporting_cycle::Column::Id)
        .all(db)
        .await?)
}

/// The accepted submissions of the plan, by id.
async fn accepted_submissions(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> DbResult<HashMap<Uuid, submission::Model>> {
    Ok(submission::Entity::find()
        .filter(submission::Column::Id.in_subquery(accepted_of_plan(plan_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

fn trend_cycle(c: &reporting_cycle::Model) -> DbResult<TrendCycle> {
    Ok(TrendCycle {
        cycle_id: c.id,
        name: c.name.clone(),
        meeting_date: c.meeting_date,
        state: stored(&c.state)?,
    })
}

/// One activity's line: per cycle, each body's accepted status and percent (five
/// queries).
pub async fn activity_trend(db: &Database, activity_id: Uuid) -> DbResult<ActivityTrend> {
    let c = db.conn();
    let act = activity::Entity::find_by_id(activity_id)
        .one(c)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let cycles = cycles_of(c, act.work_plan_id).await?;
    let subs = accepted_submissions(c, act.work_plan_id).await?;
    let entries = submission_entry::Entity::find()
        .filter(submission_entry::Column::ActivityId.eq(activity_id))
        .filter(
            submission_entry::Column::SubmissionId.in_subquery(accepted_of_plan(act.work_plan_id)),
        )
        .all(c)
        .await?;
    let codes = crate::bodies::codes(c).await?;
    let mut by_cycle: HashMap<Uuid, Vec<ActivityTrendPoint>> = HashMap::new();
    for e in entries {
        let Some(sub) = subs.get(&e.submission_id) else {
            continue;
        };
        by_cycle
            .entry(sub.cycle_id)
            .or_default()
            .push(ActivityTrendPoint {
                body: codes.get(&sub.body_id).cloned().unwrap_or_default(),
                status: stored(&e.status)?,
                percent_complete: e.percent_complete,
            });
    }
    let cycles = cycles
        .iter()
        .map(|cy| {
            let mut bodies = by_cycle.remove(&cy.id).unwrap_or_default();
            bodies.sort_by(|a, b| a.body.cmp(&b.body));
            Ok(ActivityTrendCycle {
                cycle: trend_cycle(cy)?,
                bodies,
            })
        })
        .collect::<DbResult<_>>()?;
    Ok(ActivityTrend {
        activity_id,
        activity_code: act.code,
        work_plan_id: act.work_plan_id,
        cycles,
    })
}

/// A plan across its cycles: status counts (overall, by area, by body) and each body's
/// timeliness and review time with averages (seven queries).
pub async fn plan_trends(db: &Database, plan_id: Uuid) -> DbResult<PlanTrends> {
    let c = db.conn();
    work_plan::Entity::find_by_id(plan_id)
        .one(c)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let cycles = cycles_of(c, plan_id).await?;
    let subs = accepted_submissions(c, plan_id).await?;
    let entries = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.in_subquery(accepted_of_plan(plan_id)))
        .all(c)
        .await?;
    let area_of: HashMap<Uuid, Uuid> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .all(c)
        .await?
        .into_iter()
        .map(|a| (a.id, a.area_id))
        .collect();
    let area_codes: HashMap<Uuid, String> = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .all(c)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let codes = crate::bodies::codes(c).await?;
    let body_code = |id: &Uuid| codes.get(id).cloned().unwrap_or_default();

    // Status counts per cycle, overall and by group.
    struct Tally {
        reports: i64,
        all: StatusCounts,
        areas: HashMap<String, StatusCounts>,
        bodies: HashMap<String, StatusCounts>,
    }
    let mut tallies: HashMap<Uuid, Tally> = HashMap::new();
    for sub in subs.values() {
        let t = tallies.entry(sub.cycle_id).or_insert_with(|| Tally {
            reports: 0,
            all: StatusCounts::default(),
            areas: HashMap::new(),
            bodies: HashMap::new(),
        });
        t.reports += 1;
        t.bodies.entry(body_code(&sub.body_id)).or_default();
    }
    for e in &entries {
        let Some(sub) = subs.get(&e.submission_id) else {
            continue;
        };
        let status: ProgressStatus = stored(&e.status)?;
        let Some(t) = tallies.get_mut(&sub.cycle_id) else {
            continue;
        };
        t.all.add(status);
        t.bodies
            .entry(body_code(&sub.body_id))
            .or_default()
            .add(status);
        let area = area_of
            .get(&e.activity_id)
            .and_then(|a| area_codes.get(a))
            .cloned()
            .unwrap_or_default();
        t.areas.entry(area).or_default().add(status);
    }
    let sorted = |m: HashMap<String, StatusCounts>| {
        let mut v: Vec<GroupCounts> = m
            .into_iter()
            .map(|(code, counts)| GroupCounts { code, counts })
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    };
    let mut out_cycles = Vec::with_capacity(cycles.len());
    for cy in &cycles {
        let t = tallies.remove(&cy.id);
        let (reports, counts, by_area, by_body) = match t {
            Some(t) => (t.reports, t.all, sorted(t.areas), sorted(t.bodies)),
            None => (0, StatusCounts::default(), Vec::new(), Vec::new()),
        };
        out_cycles.push(PlanTrendCycle {
            cycle: trend_cycle(cy)?,
            accepted_reports: reports,
            counts,
            by_area,
            by_body,
        });
    }

    // Timeliness per body, in the order of the cycles.
    let position: HashMap<Uuid, usize> =
        cycles.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let due_of: HashMap<Uuid, NaiveDate> = cycles.iter().map(|c| (c.id, c.due_on)).collect();
    let mut records: HashMap<String, Vec<(usize, BodyCycleRecord)>> = HashMap::new();
    for sub in subs.values() {
        let (Some(&pos), Some(&cycle_due), Some(submitted), Some(accepted)) = (
            position.get(&sub.cycle_id),
            due_of.get(&sub.cycle_id),
            sub.submitted_at,
            sub.reviewed_at,
        ) else {
            continue;
        };
        let due_on = sub.extended_due_on.unwrap_or(cycle_due);
        let submitted_on = submitted.date_naive();
        let days_late = (submitted_on - due_on).num_days().max(0);
        let review_secs = (accepted - submitted).num_seconds().max(0);
        records.entry(body_code(&sub.body_id)).or_default().push((
            pos,
            BodyCycleRecord {
                cycle_id: sub.cycle_id,
                due_on,
                extended: sub.extended_due_on.is_some(),
                submitted_on,
                on_time: days_late == 0,
                days_late,
                review_days: hundredths(review_secs as f64 / 86_400.0),
            },
        ));
    }
    let mut bodies: Vec<BodyTimeliness> = records
        .into_iter()
        .map(|(body, mut recs)| {
            recs.sort_by_key(|(pos, _)| *pos);
            let cycles: Vec<BodyCycleRecord> = recs.into_iter().map(|(_, r)| r).collect();
            let n = cycles.len() as i64;
            let avg = |f: &dyn Fn(&BodyCycleRecord) -> f64| {
                (n > 0).then(|| hundredths(cycles.iter().map(f).sum::<f64>() / n as f64))
            };
            BodyTimeliness {
                on_time: cycles.iter().filter(|r| r.on_time).count() as i64,
                reports: n,
                average_days_late: avg(&|r| r.days_late as f64),
                average_review_days: avg(&|r| r.review_days),
                body,
                cycles,
            }
        })
        .collect();
    bodies.sort_by(|a, b| a.body.cmp(&b.body));
    Ok(PlanTrends {
        work_plan_id: plan_id,
        cycles: out_cycles,
        bodies,
    })
}

/// Reads a recorded value as a number, when it is one.
fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// An indicator's accepted actuals by period against its baseline and target (six
/// queries). An actual counts once the body's report for a cycle whose period holds the
/// actual's last day is accepted, and only when it was recorded (created and last
/// changed) at or before that acceptance: a value entered or edited afterwards was
/// never accepted, so it is left out for every reader (the latest such cycle names it).
pub async fn indicator_series(db: &Database, indicator_id: Uuid) -> DbResult<IndicatorSeries> {
    let c = db.conn();
    let ind = indicator::Entity::find_by_id(indicator_id)
        .one(c)
        .await?
        .ok_or(DbError::NotFound("indicator"))?;
    let act = activity::Entity::find_by_id(ind.activity_id)
        .one(c)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    series_of(c, act.work_plan_id, vec![ind])
        .await?
        .pop()
        .ok_or(DbError::NotFound("indicator"))
}

/// The series of the given indicators of one activity, in the order given, as
/// [`indicator_series`] computes each (six queries, whatever the number of
/// indicators). Ids that are not the activity's are left out.
pub async fn activity_indicator_series(
    db: &Database,
    activity_id: Uuid,
    indicator_ids: &[Uuid],
) -> DbResult<Vec<IndicatorSeries>> {
    let c = db.conn();
    let act = activity::Entity::find_by_id(activity_id)
        .one(c)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    if indicator_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut inds: HashMap<Uuid, indicator::Model> = indicator::Entity::find()
        .filter(indicator::Column::ActivityId.eq(activity_id))
        .filter(indicator::Column::Id.is_in(indicator_ids.iter().copied()))
        .all(c)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let ordered = indicator_ids
        .iter()
        .filter_map(|id| inds.remove(id))
        .collect();
    series_of(c, act.work_plan_id, ordered).await
}

/// The series of indicators of one plan (four queries).
async fn series_of(
    c: &impl ConnectionTrait,
    plan_id: Uuid,
    inds: Vec<indicator::Model>,
) -> DbResult<Vec<IndicatorSeries>> {
    let cycles = cycles_of(c, plan_id).await?;
    let subs = accepted_submissions(c, plan_id).await?;
    let actuals = indicator_actual::Entity::find()
        .filter(indicator_actual::Column::IndicatorId.is_in(inds.iter().map(|i| i.id)))
        .order_by_asc(indicator_actual::Column::PeriodEnd)
        .order_by_asc(indicator_actual::Column::Id)
        .all(c)
        .await?;
    let codes = crate::bodies::codes(c).await?;
    let cycle_by_id: HashMap<Uuid, &reporting_cycle::Model> =
        cycles.iter().map(|c| (c.id, c)).collect();
    // (body, cycle, accepted at) with an accepted report, latest meeting first.
    let mut accepted: Vec<(Uuid, &reporting_cycle::Model, _)> = subs
        .values()
        .filter_map(|s| {
            let accepted_at = s.reviewed_at?;
            cycle_by_id
                .get(&s.cycle_id)
                .map(|cy| (s.body_id, *cy, accepted_at))
        })
        .collect();
    accepted.sort_by_key(|a| std::cmp::Reverse((a.1.meeting_date, a.1.id)));
    let mut points_of: HashMap<Uuid, Vec<SeriesPoint>> = HashMap::new();
    for a in actuals {
        let Some((_, cy, _)) = accepted.iter().find(|(body, cy, accepted_at)| {
            *body == a.body_id
                && cy.period_start <= a.period_end
                && a.period_end <= cy.period_end
                && a.created_at <= *accepted_at
                && a.updated_at <= *accepted_at
        }) else {
            continue;
        };
        points_of
            .entry(a.indicator_id)
            .or_default()
            .push(SeriesPoint {
                period_start: a.period_start,
                period_end: a.period_end,
                body: codes.get(&a.body_id).cloned().unwrap_or_default(),
                number: number(&a.value),
                value: a.value,
                cycle_id: cy.id,
                cycle_name: cy.name.clone(),
            });
    }
    Ok(inds
        .into_iter()
        .map(|ind| {
            let mut points = points_of.remove(&ind.id).unwrap_or_default();
            points.sort_by(|a, b| (a.period_end, &a.body).cmp(&(b.period_end, &b.body)));
            IndicatorSeries {
                indicator_id: ind.id,
                baseline_number: ind.baseline.as_deref().and_then(number),
                target_number: ind.target.as_deref().and_then(number),
                name: ind.name,
                unit: ind.unit,
                baseline: ind.baseline,
                target: ind.target,
                points,
            }
        })
        .collect())
}

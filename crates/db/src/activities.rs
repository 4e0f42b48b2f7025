//! Activities: the matrix rows, their assignments, the derived signal, the list with
//! its filters and full-text search, the per-activity history, and the plan summary.
//!
//! Every list is a constant number of queries: one for the page, then one each for
//! the page's areas, assignments and overdue milestones, however many rows.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::SecretariatGrant;
use wpt_domain::models::{Activity, ActivityBody, AuditEntry, Page, SignalOverride};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::reference::check_activity_code;
use wpt_domain::validation::check_text;
use wpt_domain::{
    ActivitySort, AssignmentRole, Grant, ProgressStatus, Signal, ValidationErrors, signal,
};

use crate::audit::{self, Change};
use crate::entities::{
    activity, activity_assignment, audit_log, indicator, milestone, plan_participation,
    progress_update, sectoral_body, thematic_area, work_plan,
};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, stored};

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
    /// Full-text search over code, title, description, expected outputs and reference.
    pub q: Option<String>,
    /// Order; relevance by default when `q` is given, else code.
    pub sort: Option<ActivitySort>,
    /// `None` or `Some(false)`: leave archived activities out; `Some(true)`: only them.
    pub archived: Option<bool>,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Turns rows into views with three more queries, whatever the number of rows.
pub(crate) async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<activity::Model>,
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
    let mut by_activity: HashMap<Uuid, Vec<ActivityBody>> = HashMap::new();
    for (a, body) in assignments {
        let Some(body) = body else { continue };
        by_activity
            .entry(a.activity_id)
            .or_default()
            .push(ActivityBody {
                body: body.code,
                role: stored(&a.role)?,
                latest_status: a.latest_status.as_deref().map(stored).transpose()?,
                latest_percent: a.latest_percent,
                latest_reported_at: a.latest_reported_at,
            });
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
            let mut bodies = by_activity.remove(&a.id).unwrap_or_default();
            // Lead first, then cooperating bodies by code.
            bodies.sort_by_key(|b| (b.role != AssignmentRole::Lead, b.body.clone()));
            let statuses: Vec<Option<ProgressStatus>> =
                bodies.iter().map(|b| b.latest_status).collect();
            let completed = signal::is_completed(&statuses);
            let overdue_milestones = overdue.get(&a.id).copied().unwrap_or(0);
            let derived = signal::derive(
                today,
                a.planned_end,
                completed,
                u64::try_from(overdue_milestones).unwrap_or(0),
            );
            Ok(Activity {
                id: a.id,
                work_plan_id: a.work_plan_id,
                area: areas.get(&a.area_id).cloned().unwrap_or_default(),
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
                last_progress_at: a.last_progress_at,
                version: a.version,
                created_at: a.created_at,
                updated_at: a.updated_at,
            })
        })
        .collect()
}

/// One activity.
pub async fn get(db: &Database, id: Uuid) -> DbResult<Activity> {
    let row = activity::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    Ok(views(db.conn(), vec![row]).await?.remove(0))
}

/// The plan's participating bodies by code.
pub(crate) async fn participants(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> DbResult<HashMap<String, Uuid>> {
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
    let txn = db.begin_write().await?;
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
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new::<(), _>("activity.create", "activity", id, None, Some(&view)),
    )
    .await?;
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
    let txn = db.begin_write().await?;
    let row = activity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
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
    am.version = Set(row.version + 1);
    am.updated_at = Set(now);
    let result = activity::Entity::update_many()
        .set(am)
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(DbError::StaleVersion(expected_version));
    }
    if bodies_changed {
        // Keep the rows (and latest statuses) of bodies that stay; drop the others.
        let existing = activity_assignment::Entity::find()
            .filter(activity_assignment::Column::ActivityId.eq(id))
            .all(&txn)
            .await?;
        let wanted: HashMap<Uuid, AssignmentRole> = bodies.iter().copied().collect();
        for a in &existing {
            match wanted.get(&a.body_id) {
                None => {
                    activity_assignment::Entity::delete_by_id(a.id)
                        .exec(&txn)
                        .await?;
                }
                Some(role) if role.as_str() != a.role => {
                    // Demote first so the one-lead index never sees two leads.
                    activity_assignment::Entity::delete_by_id(a.id)
                        .exec(&txn)
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
            }
            .insert(&txn)
            .await?;
        }
    }
    let row = activity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let after = views(&txn, vec![row]).await?.remove(0);
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new(
            "activity.update",
            "activity",
            id,
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
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
    let txn = db.begin_write().await?;
    let row = activity::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    let progress = progress_update::Entity::find()
        .filter(progress_update::Column::ActivityId.eq(id))
        .count(&txn)
        .await?;
    if progress > 0 {
        return Err(DbError::Conflict(
            "the activity has recorded progress and cannot be deleted; archive it instead".into(),
        ));
    }
    let before = views(&txn, vec![row]).await?.remove(0);
    activity::Entity::delete_by_id(id).exec(&txn).await?;
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new::<_, ()>("activity.delete", "activity", id, Some(&before), None),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The words of a search, lower-cased: letters and digits only, so no query syntax of
/// either backend can be injected. At most 10 words of at most 50 characters.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(50).collect::<String>().to_lowercase())
        .take(10)
        .collect()
}

/// A relevance score that depends only on the row and the query (never on the rest of
/// the table), so ranking is stable while rows are added between pages.
fn relevance(backend: DbBackend, words: &[String]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            Expr::cust_with_values(
                "CAST(ts_rank(\"activities\".\"search\", to_tsquery('english', $1)) * 1000000 AS BIGINT)",
                [query.join(" & ")],
            )
        }
        _ => {
            // SQLite's placeholders are positional `?`: one value per occurrence.
            let mut sql = Vec::new();
            let mut values = Vec::new();
            for w in words {
                sql.push(
                    "(instr(lower(\"activities\".\"code\"), ?) > 0) * 4 + (instr(lower(\"activities\".\"title\"), ?) > 0) * 3 + (instr(lower(coalesce(\"activities\".\"description\", '')), ?) > 0) + (instr(lower(coalesce(\"activities\".\"expected_outputs\", '')), ?) > 0)",
                );
                values.extend(std::iter::repeat_n(w.clone(), 4));
            }
            Expr::cust_with_values(format!("CAST(({}) AS INTEGER)", sql.join(" + ")), values)
        }
    }
}

fn search_match(backend: DbBackend, words: &[String]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            Expr::cust_with_values(
                "\"activities\".\"search\" @@ to_tsquery('english', $1)",
                [query.join(" & ")],
            )
        }
        _ => {
            let query: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            Expr::cust_with_values(
                "\"activities\".\"rowid\" IN (SELECT rowid FROM activities_fts WHERE activities_fts MATCH ?)",
                [query.join(" ")],
            )
        }
    }
}

fn assignment_exists(extra: Condition) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(activity_assignment::Entity)
            .cond_where(
                Condition::all()
                    .add(
                        Expr::col((
                            activity_assignment::Entity,
                            activity_assignment::Column::ActivityId,
                        ))
                        .equals((activity::Entity, activity::Column::Id)),
                    )
                    .add(extra),
            )
            .to_owned(),
    )
}

fn bad_cursor() -> DbError {
    let mut e = ValidationErrors::new();
    e.add("cursor", "is not a cursor of this list and order");
    DbError::Validation(e)
}

/// The activity list: filters, search, order and keyset pagination.
pub async fn list(
    db: &Database,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> DbResult<Page<Activity>> {
    let backend = db.conn().get_database_backend();
    let mut cond = Condition::all();
    match filter.archived {
        Some(true) => cond = cond.add(activity::Column::ArchivedAt.is_not_null()),
        _ => cond = cond.add(activity::Column::ArchivedAt.is_null()),
    }
    if let Some(plan) = filter.work_plan {
        cond = cond.add(activity::Column::WorkPlanId.eq(plan));
    }
    if let Some(area) = &filter.area {
        let mut areas = Query::select();
        areas
            .column(thematic_area::Column::Id)
            .from(thematic_area::Entity)
            .and_where(Expr::col(thematic_area::Column::Code).eq(area.clone()));
        if let Some(plan) = filter.work_plan {
            areas.and_where(Expr::col(thematic_area::Column::WorkPlanId).eq(plan));
        }
        cond = cond.add(activity::Column::AreaId.in_subquery(areas.to_owned()));
    }
    // A filter naming no body matches nothing, like any other filter value.
    let body_id = match &filter.body {
        Some(code) => match crate::bodies::id_by_code(db.conn(), code).await? {
            Some(id) => Some(id),
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        },
        None => None,
    };
    if body_id.is_some() || filter.status.is_some() {
        let mut extra = Condition::all();
        if let Some(b) = body_id {
            extra = extra.add(
                Expr::col((
                    activity_assignment::Entity,
                    activity_assignment::Column::BodyId,
                ))
                .eq(b),
            );
        }
        if let Some(s) = filter.status {
            extra = extra.add(
                Expr::col((
                    activity_assignment::Entity,
                    activity_assignment::Column::LatestStatus,
                ))
                .eq(s.as_str()),
            );
        }
        cond = cond.add(assignment_exists(extra));
    }
    if let Some(overdue) = filter.overdue {
        let unfinished = assignment_exists(
            Condition::any()
                .add(
                    Expr::col((
                        activity_assignment::Entity,
                        activity_assignment::Column::LatestStatus,
                    ))
                    .is_null(),
                )
                .add(
                    Expr::col((
                        activity_assignment::Entity,
                        activity_assignment::Column::LatestStatus,
                    ))
                    .is_not_in(["completed", "discontinued"]),
                ),
        );
        let is_overdue = Condition::all()
            .add(activity::Column::PlannedEnd.lt(today()))
            .add(unfinished);
        cond = cond.add(if overdue {
            is_overdue
        } else {
            is_overdue.not()
        });
    }
    let words = filter.q.as_deref().map(search_words);
    if let Some(words) = &words {
        if words.is_empty() {
            // Nothing searchable (only punctuation, say): nothing can match.
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        cond = cond.add(search_match(backend, words));
    }
    let sort = filter.sort.unwrap_or(if words.is_some() {
        ActivitySort::Relevance
    } else {
        ActivitySort::Code
    });
    let score = match (&words, sort) {
        (Some(w), ActivitySort::Relevance) => Some(relevance(backend, w)),
        _ => None,
    };
    // Without search words every row is equally relevant: the default order applies.
    let sort = if score.is_none() && sort == ActivitySort::Relevance {
        ActivitySort::Code
    } else {
        sort
    };

    let mut query = activity::Entity::find();
    if let Some(after) = &page.after {
        let id = after.id;
        let keyed = |col: activity::Column, value: sea_orm::Value, asc: bool| {
            let beyond = if asc {
                Expr::col((activity::Entity, col)).gt(value.clone())
            } else {
                Expr::col((activity::Entity, col)).lt(value.clone())
            };
            Condition::any().add(beyond).add(
                Condition::all()
                    .add(Expr::col((activity::Entity, col)).eq(value))
                    .add(activity::Column::Id.gt(id)),
            )
        };
        let nullable = |col: activity::Column, value: Option<sea_orm::Value>, asc: bool| match value
        {
            // Rows with a value come first; after them, the NULLs by id.
            Some(v) => keyed(col, v, asc).add(Expr::col((activity::Entity, col)).is_null()),
            None => Condition::all()
                .add(Expr::col((activity::Entity, col)).is_null())
                .add(activity::Column::Id.gt(id)),
        };
        let key = after.key.as_str();
        cond = cond.add(match sort {
            ActivitySort::Code => keyed(activity::Column::Code, key.into(), true),
            ActivitySort::Title => keyed(activity::Column::Title, key.into(), true),
            ActivitySort::PlannedEnd => nullable(
                activity::Column::PlannedEnd,
                if key.is_empty() {
                    None
                } else {
                    Some(key.parse::<NaiveDate>().map_err(|_| bad_cursor())?.into())
                },
                true,
            ),
            ActivitySort::LastUpdate => nullable(
                activity::Column::LastProgressAt,
                if key.is_empty() {
                    None
                } else {
                    Some(
                        chrono::DateTime::parse_from_rfc3339(key)
                            .map_err(|_| bad_cursor())?
                            .with_timezone(&Utc)
                            .into(),
                    )
                },
                false,
            ),
            ActivitySort::Relevance => {
                let k: i64 = key.parse().map_err(|_| bad_cursor())?;
                let s = score.clone().ok_or_else(bad_cursor)?;
                Condition::any().add(s.clone().lt(k)).add(
                    Condition::all()
                        .add(s.eq(k))
                        .add(activity::Column::Id.gt(id)),
                )
            }
        });
    }
    query = query.filter(cond);
    query = match sort {
        ActivitySort::Code => query.order_by_asc(activity::Column::Code),
        ActivitySort::Title => query.order_by_asc(activity::Column::Title),
        ActivitySort::PlannedEnd => query
            .order_by_asc(Expr::col((activity::Entity, activity::Column::PlannedEnd)).is_null())
            .order_by_asc(activity::Column::PlannedEnd),
        ActivitySort::LastUpdate => query
            .order_by_asc(Expr::col((activity::Entity, activity::Column::LastProgressAt)).is_null())
            .order_by_desc(activity::Column::LastProgressAt),
        ActivitySort::Relevance => {
            query.order_by_desc(score.clone().unwrap_or_else(|| Expr::val(0)))
        }
    };
    query = query.order_by_asc(activity::Column::Id);
    let mut select = query.limit(page.limit + 1);
    if let Some(s) = &score {
        select = select.column_as(s.clone(), "relevance_score");
    }
    let rows: Vec<(activity::Model, i64)> = if score.is_some() {
        let raw = select.into_model::<ScoredActivity>().all(db.conn()).await?;
        raw.into_iter()
            .map(|r| {
                let score = r.relevance_score;
                (r.activity(), score)
            })
            .collect()
    } else {
        select
            .all(db.conn())
            .await?
            .into_iter()
            .map(|a| (a, 0))
            .collect()
    };
    let page = paginate(rows, page.limit, |(a, score)| Cursor {
        key: match sort {
            ActivitySort::Code => a.code.clone(),
            ActivitySort::Title => a.title.clone(),
            ActivitySort::PlannedEnd => a.planned_end.map(|d| d.to_string()).unwrap_or_default(),
            ActivitySort::LastUpdate => a
                .last_progress_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
                .unwrap_or_default(),
            ActivitySort::Relevance => score.to_string(),
        },
        id: a.id,
    })?;
    Ok(Page {
        items: views(db.conn(), page.items.into_iter().map(|(a, _)| a).collect()).await?,
        next_cursor: page.next_cursor,
    })
}

/// An activity row with its relevance score.
#[derive(Debug, sea_orm::FromQueryResult)]
struct ScoredActivity {
    id: Uuid,
    work_plan_id: Uuid,
    area_id: Uuid,
    code: String,
    title: String,
    description: Option<String>,
    actip_reference: Option<String>,
    expected_outputs: Option<String>,
    planned_start: Option<NaiveDate>,
    planned_end: Option<NaiveDate>,
    archived_at: Option<chrono::DateTime<Utc>>,
    last_progress_at: Option<chrono::DateTime<Utc>>,
    signal_override: Option<String>,
    signal_override_reason: Option<String>,
    signal_override_by: Option<Uuid>,
    signal_override_at: Option<chrono::DateTime<Utc>>,
    version: i32,
    created_at: chrono::DateTime<Utc>,
    updated_at: chrono::DateTime<Utc>,
    relevance_score: i64,
}

impl ScoredActivity {
    fn activity(self) -> activity::Model {
        activity::Model {
            id: self.id,
            work_plan_id: self.work_plan_id,
            area_id: self.area_id,
            code: self.code,
            title: self.title,
            description: self.description,
            actip_reference: self.actip_reference,
            expected_outputs: self.expected_outputs,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            archived_at: self.archived_at,
            last_progress_at: self.last_progress_at,
            signal_override: self.signal_override,
            signal_override_reason: self.signal_override_reason,
            signal_override_by: self.signal_override_by,
            signal_override_at: self.signal_override_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Who changed what on an activity, its milestones and indicators, newest first.
pub async fn history(db: &Database, id: Uuid, page: &PageRequest) -> DbResult<Page<AuditEntry>> {
    activity::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let mut related: Vec<String> = milestone::Entity::find()
        .filter(milestone::Column::ActivityId.eq(id))
        .select_only()
        .column(milestone::Column::Id)
        .into_tuple::<Uuid>()
        .all(db.conn())
        .await?
        .into_iter()
        .chain(
            indicator::Entity::find()
                .filter(indicator::Column::ActivityId.eq(id))
                .select_only()
                .column(indicator::Column::Id)
                .into_tuple::<Uuid>()
                .all(db.conn())
                .await?,
        )
        .map(|u| u.to_string())
        .collect();
    related.push(id.to_string());
    let mut cond = Condition::all().add(audit_log::Column::ResourceId.is_in(related));
    if let Some(after) = &page.after {
        let last: i64 = after.key.parse().map_err(|_| bad_cursor())?;
        cond = cond.add(audit_log::Column::Id.lt(last));
    }
    let rows = audit_log::Entity::find()
        .filter(cond)
        .order_by_desc(audit_log::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: r.id.to_string(),
        id: Uuid::nil(),
    })?;
    Ok(Page {
        items: page.items.into_iter().map(AuditEntry::from).collect(),
        next_cursor: page.next_cursor,
    })
}

/// The ids of an activity's plan-level row, for other modules: its row and whether
/// `body_id` is assigned to it.
pub(crate) async fn assignment(
    db: &impl ConnectionTrait,
    activity_id: Uuid,
    body_id: Uuid,
) -> DbResult<(activity::Model, Option<activity_assignment::Model>)> {
    let row = activity::Entity::find_by_id(activity_id)
        .one(db)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let assigned = activity_assignment::Entity::find()
        .filter(activity_assignment::Column::ActivityId.eq(activity_id))
        .filter(activity_assignment::Column::BodyId.eq(body_id))
        .one(db)
        .await?;
    Ok((row, assigned))
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

/// What an officer's start page counts for their body: the same figures the activity
/// list gives with `body=<code>` (all of them), `&status=at_risk` (its length) and the
/// sum of `overdue_milestones`; one aggregate query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCounters {
    /// Non-archived activities the body leads or cooperates on.
    pub assigned: i64,
    /// Of those, the ones whose latest report by the body says at risk.
    pub at_risk: i64,
    /// Milestones of those activities past their due day and not completed.
    pub overdue_milestones: i64,
}

/// The counters of one body (by id).
pub async fn body_counters(db: &Database, body_id: Uuid) -> DbResult<BodyCounters> {
    let backend = db.conn().get_database_backend();
    let sql = crate::portable(
        backend,
        "SELECT COUNT(*) AS assigned,
                CAST(COALESCE(SUM(CASE WHEN s.latest_status = 'at_risk' THEN 1 ELSE 0 END), 0) AS BIGINT) AS at_risk,
                CAST(COALESCE(SUM((SELECT COUNT(*) FROM milestones m
                                    WHERE m.activity_id = a.id AND m.due_on < $2
                                      AND m.completed_on IS NULL)), 0) AS BIGINT) AS overdue_milestones
           FROM activity_assignments s
           JOIN activities a ON a.id = s.activity_id
          WHERE s.body_id = $1 AND a.archived_at IS NULL",
    );
    let row = db
        .conn()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [body_id.into(), today().into()],
        ))
        .await?;
    let get = |col: &str| -> DbResult<i64> {
        Ok(match &row {
            Some(r) => r.try_get::<i64>("", col)?,
            None => 0,
        })
    };
    Ok(BodyCounters {
        assigned: get("assigned")?,
        at_risk: get("at_risk")?,
        overdue_milestones: get("overdue_milestones")?,
    })
}

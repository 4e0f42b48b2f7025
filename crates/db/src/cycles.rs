//! Reporting cycles: the schedule, opening (one submission per participating body,
//! prefilled), the submission workflow, amendments, closing and the edition.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_domain::actor::{BodyGrant, SecretariatGrant};
use wpt_domain::models::{
    Amendment, Cycle, Edition, Page, Submission, SubmissionEntry, SubmissionEvent,
    SubmissionSummary,
};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::workflow::{SubmissionAction, TransitionError, transition};
use wpt_domain::{
    Actor, CycleKind, CycleState, Grant, ProgressStatus, Role, SubmissionStatus, ValidationErrors,
};

use crate::audit::{self, Change};
use crate::entities::{
    activity, activity_assignment, amendment, edition, plan_participation, reporting_cycle,
    sectoral_body, submission, submission_entry, submission_event, work_plan,
};
use crate::paging::paginate;
use crate::progress::{NewProgress, validate as validate_progress};
use crate::{Database, DbError, DbResult, stored};

/// Default lead times, in days before the meeting.
#[derive(Debug, Clone, Copy)]
pub struct CycleSettings {
    /// Bodies' submissions are due this many days before the meeting.
    pub submission_lead_days: i64,
    /// The secretariat's review is due this many days before the meeting.
    pub review_lead_days: i64,
}

impl Default for CycleSettings {
    fn default() -> Self {
        Self {
            submission_lead_days: 30,
            review_lead_days: 14,
        }
    }
}

/// Input of `POST /cycles` and the merged state of `PATCH /cycles/{id}`.
#[derive(Debug, Clone)]
pub struct CycleInput {
    /// The plan.
    pub work_plan_id: Uuid,
    /// Kind.
    pub kind: CycleKind,
    /// Name.
    pub name: String,
    /// Meeting date.
    pub meeting_date: NaiveDate,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// When entry opens.
    pub opens_on: NaiveDate,
    /// Submission due day; default: meeting minus the submission lead days.
    pub due_on: Option<NaiveDate>,
    /// Review due day; default: meeting minus the review lead days.
    pub review_due_on: Option<NaiveDate>,
}

fn to_model(r: reporting_cycle::Model) -> DbResult<Cycle> {
    Ok(Cycle {
        kind: stored(&r.kind)?,
        state: stored(&r.state)?,
        id: r.id,
        work_plan_id: r.work_plan_id,
        name: r.name,
        meeting_date: r.meeting_date,
        period_start: r.period_start,
        period_end: r.period_end,
        opens_on: r.opens_on,
        due_on: r.due_on,
        review_due_on: r.review_due_on,
        opened_at: r.opened_at,
        closed_at: r.closed_at,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

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
    let txn = db.begin_write().await?;
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
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new::<(), _>("cycle.create", "cycle", view.id, None, Some(&view)),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// One cycle.
pub async fn get(db: &Database, id: Uuid) -> DbResult<Cycle> {
    to_model(find(db.conn(), id).await?)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> DbResult<reporting_cycle::Model> {
    reporting_cycle::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DbError::NotFound("reporting cycle"))
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
    let txn = db.begin_write().await?;
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
    am.version = Set(row.version + 1);
    am.updated_at = Set(Utc::now());
    let res = reporting_cycle::Entity::update_many()
        .set(am)
        .filter(reporting_cycle::Column::Id.eq(id))
        .filter(reporting_cycle::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DbError::StaleVersion(expected_version));
    }
    let after = to_model(find(&txn, id).await?)?;
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new("cycle.update", "cycle", id, Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
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

/// Opens a planned cycle: one submission per participating body, each with one entry
/// per activity the body is assigned to, prefilled from the body's latest progress.
pub async fn open(db: &Database, grant: &SecretariatGrant, id: Uuid) -> DbResult<Cycle> {
    let txn = db.begin_write().await?;
    let row = find(&txn, id).await?;
    if row.state != CycleState::Planned.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only a planned cycle can be opened; this one is {}",
            row.state
        )));
    }
    let bodies: Vec<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(row.work_plan_id))
        .select_only()
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(&txn)
        .await?;
    let assignments: Vec<(Uuid, Uuid, Option<String>, Option<i32>)> =
        activity_assignment::Entity::find()
            .inner_join(activity::Entity)
            .filter(activity::Column::WorkPlanId.eq(row.work_plan_id))
            .filter(activity::Column::ArchivedAt.is_null())
            .select_only()
            .columns([
                activity_assignment::Column::ActivityId,
                activity_assignment::Column::BodyId,
                activity_assignment::Column::LatestStatus,
                activity_assignment::Column::LatestPercent,
            ])
            .into_tuple()
            .all(&txn)
            .await?;
    // The latest narrative of each (activity, body), in one query.
    let latest = txn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            txn.get_database_backend(),
            crate::portable(txn.get_database_backend(), "SELECT p.activity_id, p.body_id, p.narrative, p.challenges, p.next_steps, p.evidence_urls FROM progress_updates p
              JOIN activities a ON a.id = p.activity_id
             WHERE a.work_plan_id = $1 AND p.created_at = (SELECT MAX(q.created_at) FROM progress_updates q WHERE q.activity_id = p.activity_id AND q.body_id = p.body_id)"),
            [row.work_plan_id.into()],
        ))
        .await?;
    /// Narrative, challenges, next steps and evidence of a body's latest update.
    type Texts = (String, Option<String>, Option<String>, Value);
    let mut texts: HashMap<(Uuid, Uuid), Texts> = HashMap::new();
    for r in latest {
        let key = (r.try_get("", "activity_id")?, r.try_get("", "body_id")?);
        let urls: Value = r.try_get("", "evidence_urls").unwrap_or(json!([]));
        texts.insert(
            key,
            (
                r.try_get("", "narrative")?,
                r.try_get("", "challenges")?,
                r.try_get("", "next_steps")?,
                urls,
            ),
        );
    }
    let now = Utc::now();
    let mut subs = Vec::new();
    let mut entries = Vec::new();
    for body in &bodies {
        let sid = Uuid::now_v7();
        subs.push(submission::ActiveModel {
            id: Set(sid),
            cycle_id: Set(id),
            body_id: Set(*body),
            status: Set(SubmissionStatus::NotStarted.as_str().to_owned()),
            author_id: Set(None),
            authored_at: Set(None),
            submitter_id: Set(None),
            submitted_at: Set(None),
            reviewer_id: Set(None),
            reviewed_at: Set(None),
            return_reason: Set(None),
            late: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for (activity_id, _, status, percent) in assignments.iter().filter(|a| a.1 == *body) {
            let (narrative, challenges, next_steps, urls) = texts
                .remove(&(*activity_id, *body))
                .unwrap_or_else(|| (String::new(), None, None, json!([])));
            entries.push(submission_entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                submission_id: Set(sid),
                activity_id: Set(*activity_id),
                status: Set(status
                    .clone()
                    .unwrap_or_else(|| ProgressStatus::NotStarted.as_str().to_owned())),
                percent_complete: Set(*percent),
                narrative: Set(narrative),
                challenges: Set(challenges),
                next_steps: Set(next_steps),
                evidence_urls: Set(urls),
                updated_by: Set(None),
                updated_at: Set(now),
            });
        }
    }
    for chunk in subs.chunks(400) {
        submission::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in entries.chunks(400) {
        submission_entry::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let before = to_model(row.clone())?;
    set_state(&txn, &row, CycleState::Open).await?;
    let after = to_model(find(&txn, id).await?)?;
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new("cycle.open", "cycle", id, Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

async fn set_state(
    txn: &DatabaseTransaction,
    row: &reporting_cycle::Model,
    state: CycleState,
) -> DbResult<()> {
    let now = Utc::now();
    let mut update = reporting_cycle::Entity::update_many()
        .col_expr(reporting_cycle::Column::State, Expr::value(state.as_str()))
        .col_expr(
            reporting_cycle::Column::Version,
            Expr::value(row.version + 1),
        )
        .col_expr(reporting_cycle::Column::UpdatedAt, Expr::value(now));
    update = match state {
        CycleState::Open => update.col_expr(reporting_cycle::Column::OpenedAt, Expr::value(now)),
        CycleState::Closed => update.col_expr(reporting_cycle::Column::ClosedAt, Expr::value(now)),
        CycleState::Planned => update,
    };
    update
        .filter(reporting_cycle::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Closes an open cycle and freezes its edition.
pub async fn close(db: &Database, grant: &SecretariatGrant, id: Uuid) -> DbResult<Cycle> {
    let txn = db.begin_write().await?;
    let row = find(&txn, id).await?;
    if row.state != CycleState::Open.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only an open cycle can be closed; this one is {}",
            row.state
        )));
    }
    let content = edition_content(&txn, &row).await?;
    let mut text = String::new();
    crate::audit::canonical_json_pub(&content, &mut text);
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let now = Utc::now();
    edition::ActiveModel {
        id: Set(Uuid::now_v7()),
        cycle_id: Set(id),
        sha256: Set(sha.clone()),
        content: Set(text),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let before = to_model(row.clone())?;
    set_state(&txn, &row, CycleState::Closed).await?;
    let after = to_model(find(&txn, id).await?)?;
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new(
            "cycle.close",
            "cycle",
            id,
            Some(&before),
            Some(&json!({"cycle": after, "edition_sha256": sha})),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The canonical content of an edition: codes, not ids, so the same data gives the same
/// bytes on any database.
async fn edition_content(
    db: &impl ConnectionTrait,
    cycle: &reporting_cycle::Model,
) -> DbResult<Value> {
    let data = report_rows(db, cycle.id).await?;
    let plan = work_plan::Entity::find_by_id(cycle.work_plan_id)
        .one(db)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let accepted: Vec<Value> = data
        .iter()
        .filter(|r| r.submission_status == SubmissionStatus::Accepted)
        .filter_map(|r| {
            r.entry.as_ref().map(|e| {
                json!({
                    "activity": r.activity_code, "area": r.area, "body": r.body,
                    "status": e.status.as_str(), "percent_complete": e.percent_complete,
                    "narrative": e.narrative, "challenges": e.challenges, "next_steps": e.next_steps,
                    "evidence_urls": e.evidence_urls, "amended": e.amended,
                })
            })
        })
        .collect();
    Ok(json!({
        "work_plan": plan.code,
        "cycle": {"kind": cycle.kind, "name": cycle.name, "meeting_date": cycle.meeting_date.to_string(),
                  "period_start": cycle.period_start.to_string(), "period_end": cycle.period_end.to_string()},
        "entries": accepted,
    }))
}

/// A cycle's edition (closed cycles only).
pub async fn get_edition(db: &Database, id: Uuid) -> DbResult<Edition> {
    find(db.conn(), id).await?;
    let row = edition::Entity::find()
        .filter(edition::Column::CycleId.eq(id))
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("edition (the cycle is not closed)"))?;
    Ok(Edition {
        cycle_id: id,
        sha256: row.sha256,
        created_at: row.created_at,
        content: serde_json::from_str(&row.content).unwrap_or(Value::Null),
    })
}

fn missing(status: SubmissionStatus, due: NaiveDate) -> bool {
    !matches!(
        status,
        SubmissionStatus::Submitted | SubmissionStatus::Accepted
    ) && Utc::now().date_naive() > due
}

/// The secretariat's board: every participating body, started or not; three queries.
pub async fn board(
    db: &Database,
    id: Uuid,
    status: Option<SubmissionStatus>,
) -> DbResult<Vec<SubmissionSummary>> {
    let cycle = find(db.conn(), id).await?;
    let codes = crate::bodies::codes(db.conn()).await?;
    let bodies: Vec<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(cycle.work_plan_id))
        .select_only()
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(db.conn())
        .await?;
    let subs: HashMap<Uuid, submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(id))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|s| (s.body_id, s))
        .collect();
    let counts: HashMap<Uuid, i64> = submission_entry::Entity::find()
        .inner_join(submission::Entity)
        .filter(submission::Column::CycleId.eq(id))
        .select_only()
        .column(submission::Column::BodyId)
        .column_as(submission_entry::Column::Id.count(), "n")
        .group_by(submission::Column::BodyId)
        .into_tuple::<(Uuid, i64)>()
        .all(db.conn())
        .await?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for body in bodies {
        let s = subs.get(&body);
        let st: SubmissionStatus = match s {
            Some(s) => stored(&s.status)?,
            None => SubmissionStatus::NotStarted,
        };
        if status.is_some_and(|f| f != st) {
            continue;
        }
        rows.push(SubmissionSummary {
            body: codes.get(&body).cloned().unwrap_or_default(),
            status: st,
            late: s.is_some_and(|s| s.late),
            missing: cycle.state == CycleState::Open.as_str() && missing(st, cycle.due_on),
            entries: counts.get(&body).copied().unwrap_or(0),
            author_id: s.and_then(|s| s.author_id),
            authored_at: s.and_then(|s| s.authored_at),
            submitter_id: s.and_then(|s| s.submitter_id),
            submitted_at: s.and_then(|s| s.submitted_at),
            reviewer_id: s.and_then(|s| s.reviewer_id),
            reviewed_at: s.and_then(|s| s.reviewed_at),
            return_reason: s.and_then(|s| s.return_reason.clone()),
        });
    }
    // Late and missing first, then by code.
    rows.sort_by_key(|r| (!(r.late || r.missing), r.body.clone()));
    Ok(rows)
}

async fn find_submission(
    db: &impl ConnectionTrait,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<(reporting_cycle::Model, submission::Model, Uuid)> {
    let cycle = find(db, cycle_id).await?;
    let body = sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(body_code))
        .one(db)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    let sub = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(cycle_id))
        .filter(submission::Column::BodyId.eq(body.id))
        .one(db)
        .await?
        .ok_or(DbError::NotFound(
            "submission (the cycle is not open yet, or the body does not take part)",
        ))?;
    Ok((cycle, sub, body.id))
}

/// Whether `actor` may see the submission at all: another body's officer never sees an
/// unsubmitted one, and a viewer sees only accepted ones.
fn visible(actor: &Actor, body_id: Uuid, status: SubmissionStatus) -> bool {
    match actor.role {
        Role::Admin | Role::Secretariat => true,
        Role::Officer if actor.body.as_ref().is_some_and(|b| b.id == body_id) => true,
        Role::Officer => matches!(
            status,
            SubmissionStatus::Submitted | SubmissionStatus::Accepted
        ),
        Role::Viewer => status == SubmissionStatus::Accepted,
    }
}

async fn view(
    db: &impl ConnectionTrait,
    sub: submission::Model,
    body: String,
) -> DbResult<Submission> {
    let entries = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .find_also_related(activity::Entity)
        .all(db)
        .await?;
    let amended: std::collections::HashSet<Uuid> = amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.eq(sub.id))
        .filter(amendment::Column::Status.eq("accepted"))
        .select_only()
        .column(amendment::Column::ActivityId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut entries: Vec<SubmissionEntry> = entries
        .into_iter()
        .map(|(e, a)| {
            let a = a.unwrap_or_default_activity();
            Ok(SubmissionEntry {
                status: stored(&e.status)?,
                evidence_urls: serde_json::from_value(e.evidence_urls).unwrap_or_default(),
                activity_id: e.activity_id,
                activity_code: a.0,
                activity_title: a.1,
                percent_complete: e.percent_complete,
                narrative: e.narrative,
                challenges: e.challenges,
                next_steps: e.next_steps,
                updated_by: e.updated_by,
                updated_at: e.updated_at,
                amended: amended.contains(&e.activity_id),
            })
        })
        .collect::<DbResult<_>>()?;
    entries.sort_by(|a, b| a.activity_code.cmp(&b.activity_code));
    let events = submission_event::Entity::find()
        .filter(submission_event::Column::SubmissionId.eq(sub.id))
        .order_by_asc(submission_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| SubmissionEvent {
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            actor_id: e.actor_id,
            reason: e.reason,
            occurred_at: e.occurred_at,
        })
        .collect();
    Ok(Submission {
        status: stored(&sub.status)?,
        id: sub.id,
        cycle_id: sub.cycle_id,
        body,
        late: sub.late,
        author_id: sub.author_id,
        authored_at: sub.authored_at,
        submitter_id: sub.submitter_id,
        submitted_at: sub.submitted_at,
        reviewer_id: sub.reviewer_id,
        reviewed_at: sub.reviewed_at,
        return_reason: sub.return_reason,
        entries,
        events,
        version: sub.version,
    })
}

trait ActivityLabel {
    fn unwrap_or_default_activity(self) -> (String, String);
}
impl ActivityLabel for Option<activity::Model> {
    fn unwrap_or_default_activity(self) -> (String, String) {
        self.map(|a| (a.code, a.title)).unwrap_or_default()
    }
}

/// A body's submission, as `actor` may see it.
pub async fn get_submission(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Submission> {
    let (_, sub, body_id) = find_submission(db.conn(), cycle_id, body_code).await?;
    if !visible(actor, body_id, stored(&sub.status)?) {
        return Err(DbError::NotFound("submission"));
    }
    view(db.conn(), sub, body_code.to_owned()).await
}

fn transition_error(e: TransitionError) -> DbError {
    match e {
        TransitionError::Forbidden { .. } => DbError::Forbidden(e.to_string()),
        TransitionError::Invalid { .. } => DbError::InvalidTransition(e.to_string()),
    }
}

/// Checks who acts on which submission in which cycle state: 404 for what the actor may
/// not see, 403 for what it may see but not change, 409 for the wrong state.
async fn guard(
    txn: &DatabaseTransaction,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    action: SubmissionAction,
    expected_version: i32,
) -> DbResult<(
    reporting_cycle::Model,
    submission::Model,
    SubmissionStatus,
    SubmissionStatus,
)> {
    let (cycle, sub, body_id) = find_submission(txn, cycle_id, body_code).await?;
    let from: SubmissionStatus = stored(&sub.status)?;
    if !visible(actor, body_id, from) {
        return Err(DbError::NotFound("submission"));
    }
    let own = actor.body.as_ref().is_some_and(|b| b.id == body_id);
    if matches!(action, SubmissionAction::Edit | SubmissionAction::Submit)
        && actor.role == Role::Officer
        && !own
    {
        return Err(DbError::Forbidden(
            "only the body's own officers write its report".into(),
        ));
    }
    let to = transition(from, action, actor.role).map_err(transition_error)?;
    if cycle.state != CycleState::Open.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "the cycle is {}; it takes no edits",
            cycle.state
        )));
    }
    if sub.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    Ok((cycle, sub, from, to))
}

#[expect(
    clippy::too_many_arguments,
    reason = "each part of a workflow step, named"
)]
async fn record_step(
    txn: &DatabaseTransaction,
    sub: &submission::Model,
    action: &'static str,
    from: SubmissionStatus,
    to: SubmissionStatus,
    actor: Option<Uuid>,
    reason: Option<String>,
    changes: Vec<(submission::Column, sea_orm::sea_query::SimpleExpr)>,
) -> DbResult<()> {
    let mut update = submission::Entity::update_many()
        .col_expr(submission::Column::Status, Expr::value(to.as_str()))
        .col_expr(submission::Column::Version, Expr::value(sub.version + 1))
        .col_expr(submission::Column::UpdatedAt, Expr::value(Utc::now()));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    let res = update
        .filter(submission::Column::Id.eq(sub.id))
        .filter(submission::Column::Version.eq(sub.version))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DbError::StaleVersion(sub.version));
    }
    submission_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(sub.id),
        action: Set(action.to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        actor_id: Set(actor),
        reason: Set(reason),
        occurred_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// One entry of a `PUT`.
#[derive(Debug, Clone)]
pub struct EntryInput {
    /// The activity.
    pub activity_id: Uuid,
    /// The values.
    pub values: NewProgress,
}

/// Saves the body's entries (listed activities only; the rest keep their values).
pub async fn save(
    db: &Database,
    grant: &BodyGrant,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    expected_version: i32,
    entries: Vec<EntryInput>,
) -> DbResult<Submission> {
    let mut errors = ValidationErrors::new();
    for (i, e) in entries.iter().enumerate() {
        validate_progress(&mut errors, &format!("entries[{i}]."), &e.values);
    }
    let txn = db.begin_write().await?;
    let (_, sub, from, to) = guard(
        &txn,
        actor,
        cycle_id,
        body_code,
        SubmissionAction::Edit,
        expected_version,
    )
    .await?;
    errors.finish()?;
    let existing: HashMap<Uuid, submission_entry::Model> = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|e| (e.activity_id, e))
        .collect();
    let mut errors = ValidationErrors::new();
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        if !existing.contains_key(&e.activity_id) {
            errors.add(
                format!("entries[{i}].activity_id"),
                "is not an activity of this report",
            );
        } else if !seen.insert(e.activity_id) {
            errors.add(format!("entries[{i}].activity_id"), "is listed twice");
        }
    }
    errors.finish()?;
    let before = view(&txn, sub.clone(), body_code.to_owned()).await?;
    let now = Utc::now();
    let author = grant.actor_id();
    for e in entries {
        let old = &existing[&e.activity_id];
        let mut am: submission_entry::ActiveModel = old.clone().into();
        am.status = Set(e.values.status.as_str().to_owned());
        am.percent_complete = Set(e.values.percent_complete);
        am.narrative = Set(e.values.narrative);
        am.challenges = Set(e.values.challenges);
        am.next_steps = Set(e.values.next_steps);
        am.evidence_urls = Set(json!(e.values.evidence_urls));
        am.updated_by = Set(author);
        am.updated_at = Set(now);
        am.update(&txn).await?;
    }
    let mut changes = Vec::new();
    if sub.author_id.is_none() {
        changes.push((submission::Column::AuthorId, Expr::value(author)));
        changes.push((submission::Column::AuthoredAt, Expr::value(now)));
    }
    record_step(&txn, &sub, "edit", from, to, author, None, changes).await?;
    let after = view(
        &txn,
        submission::Entity::find_by_id(sub.id)
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("submission"))?,
        body_code.to_owned(),
    )
    .await?;
    audit::append(
        &txn,
        author,
        Change::new(
            "submission.edit",
            "submission",
            sub.id,
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Submits, returns (with a reason) or accepts.
pub async fn act(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    expected_version: i32,
    action: SubmissionAction,
    reason: Option<String>,
) -> DbResult<Submission> {
    // The grants: the officer's own body for submit, the secretariat for review.
    let actor_id = match action {
        SubmissionAction::Submit => actor.own_body().map(|g| g.actor_id())?,
        SubmissionAction::Return | SubmissionAction::Accept => {
            actor.secretariat().map(|g| g.actor_id())?
        }
        SubmissionAction::Edit => return Err(DbError::internal("edits go through save")),
    };
    if action == SubmissionAction::Return {
        let mut errors = ValidationErrors::new();
        check_text(
            &mut errors,
            "reason",
            reason.as_deref().unwrap_or(""),
            true,
            5000,
        );
        errors.finish()?;
    }
    let txn = db.begin_write().await?;
    let (cycle, sub, from, to) =
        guard(&txn, actor, cycle_id, body_code, action, expected_version).await?;
    let now = Utc::now();
    let mut changes = Vec::new();
    let name = match action {
        SubmissionAction::Submit => {
            let late = sub.late || now.date_naive() > cycle.due_on;
            changes.push((submission::Column::SubmitterId, Expr::value(actor_id)));
            changes.push((submission::Column::SubmittedAt, Expr::value(now)));
            changes.push((submission::Column::Late, Expr::value(late)));
            "submit"
        }
        _ => {
            if sub.submitter_id == actor_id {
                return Err(DbError::Forbidden(
                    "nobody reviews their own submission".into(),
                ));
            }
            changes.push((submission::Column::ReviewerId, Expr::value(actor_id)));
            changes.push((submission::Column::ReviewedAt, Expr::value(now)));
            if action == SubmissionAction::Return {
                changes.push((
                    submission::Column::ReturnReason,
                    Expr::value(reason.clone()),
                ));
                "return"
            } else {
                "accept"
            }
        }
    };
    let before = view(&txn, sub.clone(), body_code.to_owned()).await?;
    record_step(&txn, &sub, name, from, to, actor_id, reason, changes).await?;
    let after = view(
        &txn,
        submission::Entity::find_by_id(sub.id)
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("submission"))?,
        body_code.to_owned(),
    )
    .await?;
    let action_name = match name {
        "submit" => "submission.submit",
        "return" => "submission.return",
        _ => "submission.accept",
    };
    audit::append(
        &txn,
        actor_id,
        Change::new(
            action_name,
            "submission",
            sub.id,
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Proposes an amendment to an accepted entry (the body's officer).
pub async fn propose_amendment(
    db: &Database,
    grant: &BodyGrant,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    input: EntryInput,
    reason: String,
) -> DbResult<Amendment> {
    let mut errors = ValidationErrors::new();
    validate_progress(&mut errors, "", &input.values);
    check_text(&mut errors, "reason", &reason, true, 5000);
    let txn = db.begin_write().await?;
    let (cycle, sub, body_id) = find_submission(&txn, cycle_id, body_code).await?;
    let status: SubmissionStatus = stored(&sub.status)?;
    if !visible(actor, body_id, status) {
        return Err(DbError::NotFound("submission"));
    }
    if grant.body().id != body_id {
        return Err(DbError::Forbidden(
            "only the body's own officers propose amendments".into(),
        ));
    }
    if cycle.state == CycleState::Closed.as_str() {
        return Err(DbError::InvalidTransition(
            "the cycle is closed; it takes no edits".into(),
        ));
    }
    if status != SubmissionStatus::Accepted {
        return Err(DbError::InvalidTransition(
            "only an accepted report is amended; edit the draft instead".into(),
        ));
    }
    errors.finish()?;
    let entry = submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(sub.id))
        .filter(submission_entry::Column::ActivityId.eq(input.activity_id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            let mut e = ValidationErrors::new();
            e.add("activity_id", "is not an activity of this report");
            DbError::Validation(e)
        })?;
    let v = &input.values;
    let row = amendment::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(sub.id),
        activity_id: Set(input.activity_id),
        original: Set(entry_values(&entry)),
        proposed: Set(json!({"status": v.status.as_str(), "percent_complete": v.percent_complete, "narrative": v.narrative, "challenges": v.challenges, "next_steps": v.next_steps, "evidence_urls": v.evidence_urls})),
        reason: Set(reason.trim().to_owned()),
        status: Set("proposed".into()),
        proposer_id: Set(grant.actor_id().unwrap_or_default()),
        proposed_at: Set(Utc::now()),
        reviewer_id: Set(None),
        reviewed_at: Set(None),
        review_note: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = amendment_model(row);
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new::<(), _>("amendment.propose", "submission", sub.id, None, Some(&view)),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

fn entry_values(e: &submission_entry::Model) -> Value {
    json!({"status": e.status, "percent_complete": e.percent_complete, "narrative": e.narrative, "challenges": e.challenges, "next_steps": e.next_steps, "evidence_urls": e.evidence_urls})
}

fn amendment_model(r: amendment::Model) -> Amendment {
    Amendment {
        id: r.id,
        submission_id: r.submission_id,
        activity_id: r.activity_id,
        original: r.original,
        proposed: r.proposed,
        reason: r.reason,
        status: r.status,
        proposer_id: r.proposer_id,
        proposed_at: r.proposed_at,
        reviewer_id: r.reviewer_id,
        reviewed_at: r.reviewed_at,
        review_note: r.review_note,
    }
}

/// A submission's amendments, oldest first.
pub async fn amendments(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Vec<Amendment>> {
    let (_, sub, body_id) = find_submission(db.conn(), cycle_id, body_code).await?;
    if !visible(actor, body_id, stored(&sub.status)?) {
        return Err(DbError::NotFound("submission"));
    }
    Ok(amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.eq(sub.id))
        .order_by_asc(amendment::Column::Id)
        .all(db.conn())
        .await?
        .into_iter()
        .map(amendment_model)
        .collect())
}

/// Accepts (applying the proposed values; the original stays in the amendment) or
/// rejects an amendment.
pub async fn decide_amendment(
    db: &Database,
    grant: &SecretariatGrant,
    id: Uuid,
    accept: bool,
    note: Option<String>,
) -> DbResult<Amendment> {
    let txn = db.begin_write().await?;
    let row = amendment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("amendment"))?;
    if row.status != "proposed" {
        return Err(DbError::InvalidTransition(format!(
            "the amendment is already {}",
            row.status
        )));
    }
    let sub = submission::Entity::find_by_id(row.submission_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("submission"))?;
    let cycle = find(&txn, sub.cycle_id).await?;
    if cycle.state == CycleState::Closed.as_str() {
        return Err(DbError::InvalidTransition(
            "the cycle is closed; it takes no edits".into(),
        ));
    }
    if Some(row.proposer_id) == grant.actor_id() {
        return Err(DbError::Forbidden(
            "nobody decides their own amendment".into(),
        ));
    }
    let now = Utc::now();
    if accept {
        let p = &row.proposed;
        let status: ProgressStatus = p["status"]
            .as_str()
            .unwrap_or("not_started")
            .parse()
            .map_err(|e: wpt_domain::UnknownVariant| DbError::internal(e.to_string()))?;
        submission_entry::Entity::update_many()
            .col_expr(
                submission_entry::Column::Status,
                Expr::value(status.as_str()),
            )
            .col_expr(
                submission_entry::Column::PercentComplete,
                Expr::value(
                    p["percent_complete"]
                        .as_i64()
                        .and_then(|v| i32::try_from(v).ok()),
                ),
            )
            .col_expr(
                submission_entry::Column::Narrative,
                Expr::value(p["narrative"].as_str().unwrap_or_default()),
            )
            .col_expr(
                submission_entry::Column::Challenges,
                Expr::value(p["challenges"].as_str().map(str::to_owned)),
            )
            .col_expr(
                submission_entry::Column::NextSteps,
                Expr::value(p["next_steps"].as_str().map(str::to_owned)),
            )
            .col_expr(
                submission_entry::Column::EvidenceUrls,
                Expr::value(p["evidence_urls"].clone()),
            )
            .col_expr(
                submission_entry::Column::UpdatedBy,
                Expr::value(Some(row.proposer_id)),
            )
            .col_expr(submission_entry::Column::UpdatedAt, Expr::value(now))
            .filter(submission_entry::Column::SubmissionId.eq(row.submission_id))
            .filter(submission_entry::Column::ActivityId.eq(row.activity_id))
            .exec(&txn)
            .await?;
    }
    let before = amendment_model(row.clone());
    let mut am: amendment::ActiveModel = row.into();
    am.status = Set(if accept { "accepted" } else { "rejected" }.to_owned());
    am.reviewer_id = Set(grant.actor_id());
    am.reviewed_at = Set(Some(now));
    am.review_note = Set(note);
    let after = amendment_model(am.update(&txn).await?);
    audit::append(
        &txn,
        grant.actor_id(),
        Change::new(
            if accept {
                "amendment.accept"
            } else {
                "amendment.reject"
            },
            "submission",
            sub.id,
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// One activity x body row of a cycle's report.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Activity id.
    pub activity_id: Uuid,
    /// Activity code.
    pub activity_code: String,
    /// Activity title.
    pub activity_title: String,
    /// Area code.
    pub area: String,
    /// Area title.
    pub area_title: String,
    /// ACTIP/APA reference.
    pub actip_reference: Option<String>,
    /// Body code.
    pub body: String,
    /// `lead` or `cooperating`.
    pub role: String,
    /// The body's submission status.
    pub submission_status: SubmissionStatus,
    /// The body's entry, if its submission is accepted.
    pub entry: Option<SubmissionEntry>,
}

/// The rows of a cycle's report: every activity x assigned body of the plan, with the
/// entry of accepted submissions; a fixed number of queries.
pub async fn report_rows(db: &impl ConnectionTrait, cycle_id: Uuid) -> DbResult<Vec<ReportRow>> {
    let cycle = find(db, cycle_id).await?;
    let codes = crate::bodies::codes(db).await?;
    let activities: Vec<activity::Model> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(cycle.work_plan_id))
        .filter(activity::Column::ArchivedAt.is_null())
        .order_by_asc(activity::Column::Code)
        .all(db)
        .await?;
    let areas: HashMap<Uuid, (String, String)> = crate::entities::thematic_area::Entity::find()
        .filter(crate::entities::thematic_area::Column::WorkPlanId.eq(cycle.work_plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.code, a.title)))
        .collect();
    let ids: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
    let mut assignments: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for chunk in ids.chunks(5000) {
        for a in activity_assignment::Entity::find()
            .filter(activity_assignment::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            assignments
                .entry(a.activity_id)
                .or_default()
                .push((a.body_id, a.role));
        }
    }
    let subs: HashMap<Uuid, submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(cycle_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.body_id, s))
        .collect();
    let accepted_ids: Vec<Uuid> = subs
        .values()
        .filter(|s| s.status == "accepted")
        .map(|s| s.id)
        .collect();
    let amended: std::collections::HashSet<(Uuid, Uuid)> = amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.is_in(accepted_ids.clone()))
        .filter(amendment::Column::Status.eq("accepted"))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.submission_id, a.activity_id))
        .collect();
    let mut entries: HashMap<(Uuid, Uuid), submission_entry::Model> = HashMap::new();
    for e in submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.is_in(accepted_ids))
        .all(db)
        .await?
    {
        entries.insert((e.submission_id, e.activity_id), e);
    }
    let mut rows = Vec::new();
    for a in &activities {
        let (area, area_title) = areas.get(&a.area_id).cloned().unwrap_or_default();
        let mut assigned = assignments.remove(&a.id).unwrap_or_default();
        assigned.sort_by_key(|(b, role)| (role != "lead", codes.get(b).cloned()));
        for (body_id, role) in assigned {
            let sub = subs.get(&body_id);
            let status = match sub {
                Some(s) => stored(&s.status)?,
                None => SubmissionStatus::NotStarted,
            };
            let entry = match sub.and_then(|s| entries.get(&(s.id, a.id)).map(|e| (s, e))) {
                Some((s, e)) => Some(SubmissionEntry {
                    status: stored(&e.status)?,
                    evidence_urls: serde_json::from_value(e.evidence_urls.clone())
                        .unwrap_or_default(),
                    activity_id: a.id,
                    activity_code: a.code.clone(),
                    activity_title: a.title.clone(),
                    percent_complete: e.percent_complete,
                    narrative: e.narrative.clone(),
                    challenges: e.challenges.clone(),
                    next_steps: e.next_steps.clone(),
                    updated_by: e.updated_by,
                    updated_at: e.updated_at,
                    amended: amended.contains(&(s.id, a.id)),
                }),
                None => None,
            };
            rows.push(ReportRow {
                activity_id: a.id,
                activity_code: a.code.clone(),
                activity_title: a.title.clone(),
                area: area.clone(),
                area_title: area_title.clone(),
                actip_reference: a.actip_reference.clone(),
                body: codes.get(&body_id).cloned().unwrap_or_default(),
                role,
                submission_status: status,
                entry,
            });
        }
    }
    Ok(rows)
}

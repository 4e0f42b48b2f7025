//! Each body's own progress on an activity: appended by that body's officers only,
//! read by everyone as one timeline.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::BodyGrant;
use wpt_domain::models::{Page, ProgressUpdate};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::{Grant, ValidationErrors};

use crate::activities::{self, MAX_TEXT};
use crate::audit::{AuditAction, Change};
use crate::entities::{activity_assignment, progress_update};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, stored};

/// At most this many evidence links per update.
pub const MAX_EVIDENCE_URLS: usize = 20;

/// What an officer reports: the API's request body, as it is.
pub use wpt_domain::input::ProgressInput;

/// Checks a report's fields; `prefix` names them inside a larger document.
pub fn validate(errors: &mut ValidationErrors, prefix: &str, p: &ProgressInput) {
    if let Some(pc) = p.percent_complete
        && !(0..=100).contains(&pc)
    {
        errors.add(format!("{prefix}percent_complete"), "must be from 0 to 100");
    }
    check_text(
        errors,
        &format!("{prefix}narrative"),
        &p.narrative,
        true,
        MAX_TEXT,
    );
    for (field, value) in [("challenges", &p.challenges), ("next_steps", &p.next_steps)] {
        if let Some(v) = value {
            check_text(errors, &format!("{prefix}{field}"), v, false, MAX_TEXT);
        }
    }
    if p.evidence_urls.len() > MAX_EVIDENCE_URLS {
        errors.add(
            format!("{prefix}evidence_urls"),
            format!("at most {MAX_EVIDENCE_URLS} links"),
        );
    }
    if let Some(ids) = &p.attachment_ids {
        crate::attachments::validate_ids(errors, prefix, ids);
    }
    for (i, url) in p.evidence_urls.iter().enumerate() {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= 2000
            && url.len() > 8
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            errors.add(
                format!("{prefix}evidence_urls[{i}]"),
                "must be an http(s) link without spaces, at most 2000 characters",
            );
        }
    }
}

fn to_model(
    r: progress_update::Model,
    body: String,
    attachments: Vec<wpt_domain::models::Attachment>,
) -> DbResult<ProgressUpdate> {
    Ok(ProgressUpdate {
        attachments,
        status: stored(&r.status)?,
        evidence_urls: crate::json::read(&r.evidence_urls, "evidence_urls")?,
        id: r.id,
        activity_id: r.activity_id,
        body,
        percent_complete: r.percent_complete,
        narrative: r.narrative,
        challenges: r.challenges,
        next_steps: r.next_steps,
        author_id: r.author_id,
        created_at: r.created_at,
        from_cycle_id: r.from_cycle_id,
    })
}

/// Records the officer's body's progress on an activity it leads or cooperates on.
pub async fn record(
    db: &Database,
    grant: &BodyGrant,
    activity_id: Uuid,
    input: ProgressInput,
) -> DbResult<ProgressUpdate> {
    record_checked(db, grant, activity_id, input, None).await
}

/// Like [`record`], but only while the body's latest report is still the one the officer
/// saw (`seen`: when it was made, `None` for none yet). A form opened before someone
/// else of the body reported is refused with a 409 naming when that happened, so an
/// edit on a stale page never overwrites.
pub async fn record_if_unchanged(
    db: &Database,
    grant: &BodyGrant,
    activity_id: Uuid,
    input: ProgressInput,
    seen: Option<DateTime<Utc>>,
) -> DbResult<ProgressUpdate> {
    record_checked(db, grant, activity_id, input, Some(seen)).await
}

async fn record_checked(
    db: &Database,
    grant: &BodyGrant,
    activity_id: Uuid,
    input: ProgressInput,
    expect: Option<Option<DateTime<Utc>>>,
) -> DbResult<ProgressUpdate> {
    let mut errors = ValidationErrors::new();
    validate(&mut errors, "", &input);
    let mut txn = db.write().await?;
    let body = grant.body().clone();
    let (activity, assignment) = activities::assignment(&txn, activity_id, body.id).await?;
    wpt_domain::policy::record_progress(
        &body,
        assignment.is_some(),
        activity.archived_at.is_some(),
    )?;
    let Some(assignment) = assignment else {
        return Err(DbError::internal(
            "the policy let an unassigned body report",
        ));
    };
    errors.finish()?;
    let current = assignment.latest_reported_at;
    if let Some(seen) = expect
        && current.map(|t| t.timestamp_micros()) != seen.map(|t| t.timestamp_micros())
    {
        return Err(changed_since(current));
    }
    // Microseconds: what both backends store, so the answer is what is read back later.
    let now = Utc::now().trunc_subsecs(6);
    let row = progress_update::Model {
        id: Uuid::now_v7(),
        activity_id,
        body_id: body.id,
        status: input.status.as_str().to_owned(),
        percent_complete: input.percent_complete,
        narrative: input.narrative,
        challenges: input.challenges,
        next_steps: input.next_steps,
        evidence_urls: serde_json::json!(input.evidence_urls),
        author_id: grant.actor_id().unwrap_or_default(),
        created_at: now,
        from_cycle_id: None,
    };
    // Another writer between our read and the assignment's update (PostgreSQL re-reads
    // the row after waiting for its lock) makes it match nothing.
    let unchanged = expect.map(|_| current);
    if !apply(&txn, &row, assignment.id, unchanged).await? {
        return Err(changed_since(None));
    }
    // A row just made has no files yet: without ids there is nothing to look up.
    let ids = input.attachment_ids.as_deref().unwrap_or_default();
    let files = if ids.is_empty() {
        Vec::new()
    } else {
        crate::attachments::attach(
            &txn,
            grant.actor_id().unwrap_or_default(),
            crate::attachments::Target::ProgressUpdate(row.id),
            "",
            ids,
        )
        .await?
    };
    let view = to_model(row, body.code.clone(), files)?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::ProgressCreate,
            "activity",
            activity_id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// The three rows a report changes: the update inserted, the body's latest status on
/// the assignment (`assignment`; only while its latest report is still `unchanged`'s
/// when given), and the activity's version and last progress time. False when the
/// assignment had changed (nothing is kept: the caller's error rolls back).
///
/// On PostgreSQL one statement (data-modifying CTEs, one round trip where there were
/// three, so the activity's and the assignment's row locks are held for less of the
/// transaction); on SQLite, where a statement is a function call, three.
async fn apply(
    txn: &crate::write::Write,
    row: &progress_update::Model,
    assignment: Uuid,
    unchanged: Option<Option<DateTime<Utc>>>,
) -> DbResult<bool> {
    let at = row.created_at;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        let mut values: Vec<sea_orm::Value> = vec![
            row.id.into(),
            row.activity_id.into(),
            row.body_id.into(),
            row.status.clone().into(),
            row.percent_complete.into(),
            row.narrative.clone().into(),
            row.challenges.clone().into(),
            row.next_steps.clone().into(),
            row.evidence_urls.clone().into(),
            row.author_id.into(),
            at.into(),
            assignment.into(),
        ];
        let unchanged = match unchanged {
            None => "TRUE",
            Some(None) => "latest_reported_at IS NULL",
            Some(Some(t)) => {
                values.push(t.into());
                "latest_reported_at = $13"
            }
        };
        let changed = txn
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                RECORD_POSTGRES.replace("{unchanged}", unchanged),
                values,
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?;
        return Ok(changed == Some(1));
    }
    // Every column set (`reset_all`), as a new row's are.
    progress_update::ActiveModel::from(row.clone())
        .reset_all()
        .insert(txn)
        .await?;
    let mut latest = activity_assignment::Entity::update_many()
        .col_expr(
            activity_assignment::Column::LatestStatus,
            Expr::value(row.status.clone()),
        )
        .col_expr(
            activity_assignment::Column::LatestPercent,
            Expr::value(row.percent_complete),
        )
        .col_expr(
            activity_assignment::Column::LatestReportedAt,
            Expr::value(at),
        )
        .filter(activity_assignment::Column::Id.eq(assignment));
    if let Some(current) = unchanged {
        latest = latest.filter(match current {
            Some(t) => activity_assignment::Column::LatestReportedAt.eq(t),
            None => activity_assignment::Column::LatestReportedAt.is_null(),
        });
    }
    if latest.exec(txn).await?.rows_affected == 0 {
        return Ok(false);
    }
    activities::touch(txn, row.activity_id, Some(at)).await?;
    Ok(true)
}

/// [`apply`] on PostgreSQL: `$1`-`$11` the update's columns, `$12` the assignment,
/// `{unchanged}` the condition on its latest report (`$13` when it names a time).
const RECORD_POSTGRES: &str = "WITH p AS (\
        INSERT INTO progress_updates (id, activity_id, body_id, status, percent_complete, \
            narrative, challenges, next_steps, evidence_urls, author_id, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)), \
    s AS (\
        UPDATE activity_assignments \
        SET latest_status = $4, latest_percent = $5, latest_reported_at = $11 \
        WHERE id = $12 AND {unchanged} RETURNING 1), \
    a AS (\
        UPDATE activities SET version = version + 1, updated_at = $11, last_progress_at = $11 \
        WHERE id = $2) \
    SELECT COUNT(*) AS n FROM s";

fn changed_since(at: Option<DateTime<Utc>>) -> DbError {
    DbError::Conflict(match at {
        Some(t) => format!(
            "changed by someone else at {} UTC; reload to see their report before yours",
            t.format("%Y-%m-%d %H:%M")
        ),
        None => "changed by someone else just now; reload to see their report before yours".into(),
    })
}

/// The timeline of an activity, all bodies, newest first; two queries.
pub async fn timeline(
    db: &Database,
    activity_id: Uuid,
    page: &PageRequest,
) -> DbResult<Page<ProgressUpdate>> {
    crate::entities::activity::Entity::find_by_id(activity_id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let mut query =
        progress_update::Entity::find().filter(progress_update::Column::ActivityId.eq(activity_id));
    if let Some(after) = &page.after {
        // Ids are UUIDv7: time-ordered, so the id alone resumes the newest-first order.
        query = query.filter(progress_update::Column::Id.lt(after.id));
    }
    let rows = query
        .order_by_desc(progress_update::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let codes = crate::bodies::code_map(db).await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    })?;
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
    let mut files = crate::attachments::of_progress_updates(db.conn(), &ids).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let code = codes.get(&r.body_id).cloned().unwrap_or_default();
                let attached = files.remove(&r.id).unwrap_or_default();
                to_model(r, code, attached)
            })
            .collect::<DbResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}

//! One truth per status (issue 24): accepting a body's report makes each of its entries
//! that body's latest progress on the activity, recorded as a progress update that names
//! the cycle (`from_cycle_id`), unless the body has something newer: a progress update
//! of its own made after it submitted the report, or an accepted report of a later
//! period. Accepting an amendment does the same for the amended entry, the proposal
//! standing for the submission. Runs in the accept's (or the decision's) own transaction
//! (the one write path), in a constant number of queries.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    RelationTrait, Statement,
};
use uuid::Uuid;
use wpt_domain::models::ProgressUpdate;

use crate::audit::{AuditAction, Change};
use crate::entities::{
    activity, activity_assignment, progress_update, reporting_cycle, submission, submission_entry,
};
use crate::sql::{LATEST_FROM_ACCEPTED, portable};
use crate::{DbResult, Write, stored};

/// Records the entries of `sub` (being accepted now, by `reviewer`, in `cycle`) as its
/// body's latest progress where nothing newer exists; call it before the accepted
/// status is recorded (it reads the period of the body's accepted report so far).
/// Returns the activities whose latest progress it set.
pub(super) async fn record(
    txn: &mut Write,
    sub: &submission::Model,
    cycle: &reporting_cycle::Model,
    body_code: &str,
    reviewer: Option<Uuid>,
    now: DateTime<Utc>,
) -> DbResult<Vec<Uuid>> {
    let stated = sub.submitted_at.unwrap_or(now);
    Recorder {
        sub,
        cycle,
        body_code,
        reviewer,
        now,
    }
    .record(txn, None, stated)
    .await
}

/// Records the entry of `sub` on `activity_id` (its values just amended by an accepted
/// amendment, decided now by `reviewer`) as its body's latest progress, under the
/// accept's rule: not when the body reported after it submitted the report (the
/// correction is of that report's period; what the body typed since is newer), nor
/// when a report of a later period was accepted. Returns the activity when it set its
/// latest progress.
pub(super) async fn record_amended(
    txn: &mut Write,
    sub: &submission::Model,
    cycle: &reporting_cycle::Model,
    body_code: &str,
    activity_id: Uuid,
    reviewer: Option<Uuid>,
    now: DateTime<Utc>,
) -> DbResult<Vec<Uuid>> {
    Recorder {
        sub,
        cycle,
        body_code,
        reviewer,
        now,
    }
    .record(txn, Some(activity_id), sub.submitted_at.unwrap_or(now))
    .await
}

/// What [`record`] and [`record_amended`] share: the accepted report, its cycle and
/// body, who accepts and when.
struct Recorder<'a> {
    sub: &'a submission::Model,
    cycle: &'a reporting_cycle::Model,
    body_code: &'a str,
    reviewer: Option<Uuid>,
    now: DateTime<Utc>,
}

impl Recorder<'_> {
    /// Records the report's entries (`only`: its entry on that one activity), which the
    /// body stated at `stated` (when it submitted the report), as its latest progress on each activity where it has nothing newer.
    async fn record(
        &self,
        txn: &mut Write,
        only: Option<Uuid>,
        stated: DateTime<Utc>,
    ) -> DbResult<Vec<Uuid>> {
        let Self {
            sub,
            cycle,
            body_code,
            reviewer,
            now,
        } = *self;
        let mut entries = submission_entry::Entity::find()
            .filter(submission_entry::Column::SubmissionId.eq(sub.id));
        if let Some(id) = only {
            entries = entries.filter(submission_entry::Column::ActivityId.eq(id));
        }
        let entries = entries.all(&**txn).await?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // The body's part of each activity of the report that is not archived.
        let mut parts = activity_assignment::Entity::find()
            .join(
                sea_orm::JoinType::InnerJoin,
                activity_assignment::Relation::Activity.def(),
            )
            .filter(activity_assignment::Column::BodyId.eq(sub.body_id))
            .filter(activity::Column::ArchivedAt.is_null())
            .filter(activity::Column::WorkPlanId.eq(cycle.work_plan_id));
        if let Some(id) = only {
            parts = parts.filter(activity_assignment::Column::ActivityId.eq(id));
        }
        // Of each part only the end of the period last accepted for it.
        let parts: std::collections::HashMap<Uuid, Option<chrono::NaiveDate>> = parts
            .select_only()
            .column(activity_assignment::Column::ActivityId)
            .column(activity_assignment::Column::AcceptedPeriodEnd)
            .into_tuple::<(Uuid, Option<chrono::NaiveDate>)>()
            .all(&**txn)
            .await?
            .into_iter()
            .collect();
        // Where the body itself reported after it stated these values: its own updates,
        // not those recorded from accepted reports (an earlier period's report accepted
        // later must not keep a later period's from becoming the latest).
        let mut since = progress_update::Entity::find()
            .select_only()
            .column(progress_update::Column::ActivityId)
            .distinct()
            .filter(progress_update::Column::BodyId.eq(sub.body_id))
            .filter(progress_update::Column::FromCycleId.is_null())
            .filter(progress_update::Column::CreatedAt.gt(stated));
        if let Some(id) = only {
            since = since.filter(progress_update::Column::ActivityId.eq(id));
        }
        let reported_since: HashSet<Uuid> = since
            .into_tuple::<Uuid>()
            .all(&**txn)
            .await?
            .into_iter()
            .collect();
        let mut rows = Vec::new();
        let mut views = Vec::new();
        for e in entries {
            let Some(accepted_end) = parts.get(&e.activity_id) else {
                continue;
            };
            let later_accepted = accepted_end.is_some_and(|end| end > cycle.period_end);
            if reported_since.contains(&e.activity_id) || later_accepted {
                continue;
            }
            // The one who wrote the entry, else who submitted it, else who accepts it.
            let Some(author) = e.updated_by.or(sub.submitter_id).or(reviewer) else {
                continue;
            };
            let id = Uuid::now_v7();
            views.push(ProgressUpdate {
                id,
                activity_id: e.activity_id,
                body: body_code.to_owned(),
                status: stored(&e.status)?,
                percent_complete: e.percent_complete,
                narrative: e.narrative.clone(),
                challenges: e.challenges.clone(),
                next_steps: e.next_steps.clone(),
                evidence_urls: crate::json::read(&e.evidence_urls, "evidence_urls")?,
                // The files stay on the report's entry, where the report's readers see them.
                attachments: Vec::new(),
                author_id: author,
                created_at: now,
                from_cycle_id: Some(cycle.id),
            });
            rows.push(progress_update::ActiveModel {
                id: Set(id),
                activity_id: Set(e.activity_id),
                body_id: Set(sub.body_id),
                status: Set(e.status),
                percent_complete: Set(e.percent_complete),
                narrative: Set(e.narrative),
                challenges: Set(e.challenges),
                next_steps: Set(e.next_steps),
                evidence_urls: Set(e.evidence_urls),
                author_id: Set(author),
                created_at: Set(now),
                from_cycle_id: Set(Some(cycle.id)),
            });
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // In chunks: SQLite takes at most 32,766 parameters per statement, and a body may
        // lead thousands of activities (12 columns a row).
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            progress_update::Entity::insert_many(rows.by_ref().take(1000))
                .exec(&**txn)
                .await?;
        }
        let backend = txn.get_database_backend();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            portable(backend, LATEST_FROM_ACCEPTED),
            [cycle.id.into(), now.into(), sub.body_id.into()],
        ))
        .await?;
        let activities: Vec<Uuid> = views.iter().map(|v| v.activity_id).collect();
        for chunk in activities.chunks(5000) {
            activity::Entity::update_many()
                .col_expr(
                    activity::Column::Version,
                    Expr::col(activity::Column::Version).add(1),
                )
                .col_expr(activity::Column::UpdatedAt, Expr::value(now))
                .col_expr(activity::Column::LastProgressAt, Expr::value(now))
                .filter(activity::Column::Id.is_in(chunk.to_vec()))
                .exec(&**txn)
                .await?;
        }
        for view in views {
            txn.record(
                reviewer,
                Change::new::<(), _>(
                    AuditAction::ProgressCreate,
                    "activity",
                    view.activity_id,
                    None,
                    Some(&view),
                )?,
            );
        }
        Ok(activities)
    }
}

/// A body's status and percent on an activity in its latest accepted report.
#[derive(Debug, Clone)]
pub struct LastAccepted {
    /// The accepted status.
    pub status: wpt_domain::ProgressStatus,
    /// The accepted percent, if given.
    pub percent: Option<i32>,
    /// The cycle whose report it was.
    pub cycle_id: Uuid,
    /// That cycle's name.
    pub cycle_name: String,
}

/// Each activity's last accepted values of `body_code` (what a reviewer compares a new
/// report with); three queries whatever the number of activities. Callers check that
/// the reader may see them (the secretariat reviewing).
pub async fn last_accepted(
    db: &crate::Database,
    body_code: &str,
) -> DbResult<std::collections::HashMap<Uuid, LastAccepted>> {
    let Some(body) = crate::bodies::id_by_code(db.conn(), body_code).await? else {
        return Ok(Default::default());
    };
    let parts = activity_assignment::Entity::find()
        .filter(activity_assignment::Column::BodyId.eq(body))
        .filter(activity_assignment::Column::AcceptedCycleId.is_not_null())
        .all(db.conn())
        .await?;
    let ids: Vec<Uuid> = parts.iter().filter_map(|p| p.accepted_cycle_id).collect();
    let names: std::collections::HashMap<Uuid, String> = if ids.is_empty() {
        Default::default()
    } else {
        reporting_cycle::Entity::find()
            .filter(reporting_cycle::Column::Id.is_in(ids))
            .select_only()
            .column(reporting_cycle::Column::Id)
            .column(reporting_cycle::Column::Name)
            .into_tuple::<(Uuid, String)>()
            .all(db.conn())
            .await?
            .into_iter()
            .collect()
    };
    let mut out = std::collections::HashMap::new();
    for p in parts {
        if let (Some(status), Some(cycle_id)) = (p.accepted_status.as_deref(), p.accepted_cycle_id)
        {
            out.insert(
                p.activity_id,
                LastAccepted {
                    status: stored(status)?,
                    percent: p.accepted_percent,
                    cycle_id,
                    cycle_name: names.get(&cycle_id).cloned().unwrap_or_default(),
                },
            );
        }
    }
    Ok(out)
}

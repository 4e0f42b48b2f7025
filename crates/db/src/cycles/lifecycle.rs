//! Opening a cycle (one submission per participating body, prefilled) and closing it
//! (the frozen edition).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_domain::actor::SecretariatGrant;
use wpt_domain::models::{Cycle, Edition};
use wpt_domain::{CycleState, Grant, SubmissionStatus};

use crate::audit::{AuditAction, Change};
use crate::entities::{edition, plan_participation, reporting_cycle, submission, work_plan};
use crate::{Database, DbError, DbResult};

use super::report::report_rows;
use super::{find, to_model};

/// Opens a planned cycle: one submission per participating body, each with one entry
/// per activity the body is assigned to, prefilled from the body's latest progress.
pub async fn open(db: &Database, grant: &SecretariatGrant, id: Uuid) -> DbResult<Cycle> {
    let mut txn = db.write().await?;
    let row = find(&txn, id).await?;
    if row.state != CycleState::Planned.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only a planned cycle can be opened; this one is {}",
            row.state
        )));
    }
    // Claim the transition first: of two opens at once, one wins and the other waits
    // for this row, then finds it open (409), before either writes a submission.
    set_state(&txn, &row, CycleState::Planned, CycleState::Open).await?;
    let bodies: Vec<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(row.work_plan_id))
        .select_only()
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(&txn)
        .await?;
    let now = Utc::now();
    let mut subs = Vec::new();
    let mut sids = HashMap::with_capacity(bodies.len());
    for body in &bodies {
        let sid = Uuid::now_v7();
        sids.insert(*body, sid);
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
            extended_due_on: Set(None),
            extension_reason: Set(None),
            returned_entries: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for chunk in subs.chunks(400) {
        submission::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    // The entries a slice at a time: memory bounded whatever the plan's size.
    super::prefill::insert_entries(&txn, row.work_plan_id, &sids, now).await?;
    for body in &bodies {
        txn.notify(super::notices::cycle_opened(&row, *body));
    }
    let before = to_model(row.clone())?;
    let after = to_model(find(&txn, id).await?)?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::CycleOpen,
            "cycle",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Moves the cycle from `from` to `to`, only if it is still `from`: a concurrent
/// transition that committed first makes this a 409 `invalid_transition`, not a second
/// open or close.
async fn set_state(
    txn: &DatabaseTransaction,
    row: &reporting_cycle::Model,
    from: CycleState,
    to: CycleState,
) -> DbResult<()> {
    let now = Utc::now();
    let mut update = reporting_cycle::Entity::update_many()
        .col_expr(reporting_cycle::Column::State, Expr::value(to.as_str()))
        .col_expr(
            reporting_cycle::Column::Version,
            Expr::col(reporting_cycle::Column::Version).add(1),
        )
        .col_expr(reporting_cycle::Column::UpdatedAt, Expr::value(now));
    update = match to {
        CycleState::Open => update.col_expr(reporting_cycle::Column::OpenedAt, Expr::value(now)),
        CycleState::Closed => update.col_expr(reporting_cycle::Column::ClosedAt, Expr::value(now)),
        CycleState::Planned => update,
    };
    let done = update
        .filter(reporting_cycle::Column::Id.eq(row.id))
        .filter(reporting_cycle::Column::State.eq(from.as_str()))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DbError::InvalidTransition(format!(
            "the cycle is no longer {from}: someone else changed its state at the same time"
        )));
    }
    Ok(())
}

/// Closes an open cycle and freezes its edition.
pub async fn close(db: &Database, grant: &SecretariatGrant, id: Uuid) -> DbResult<Cycle> {
    let mut txn = db.write().await?;
    let row = find(&txn, id).await?;
    if row.state != CycleState::Open.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only an open cycle can be closed; this one is {}",
            row.state
        )));
    }
    set_state(&txn, &row, CycleState::Open, CycleState::Closed).await?;
    let content = edition_content(&txn, &row).await?;
    let mut text = String::new();
    crate::audit::canonical_json_pub(&content, &mut text);
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let signature = db.required_audit_key()?.sign_edition(id, &sha);
    let now = Utc::now();
    edition::ActiveModel {
        id: Set(Uuid::now_v7()),
        cycle_id: Set(id),
        sha256: Set(sha.clone()),
        content: Set(text),
        created_at: Set(now),
        signature: Set(Some(signature.clone())),
    }
    .insert(&txn)
    .await?;
    let before = to_model(row.clone())?;
    let after = to_model(find(&txn, id).await?)?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::CycleClose,
            "cycle",
            id,
            Some(&before),
            Some(&json!({"cycle": after, "edition_sha256": sha, "edition_signature": signature})),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Reopens a closed cycle (the secretariat's way back from a close made too early):
/// bodies can edit, submit and be reviewed again. The edition made at the close is
/// kept in the record: its hash and signature are in the `cycle.close` entry, and its
/// whole content goes into this `cycle.reopen` entry before it leaves the editions
/// table; the next close makes a new edition.
pub async fn reopen(db: &Database, grant: &SecretariatGrant, id: Uuid) -> DbResult<Cycle> {
    let mut txn = db.write().await?;
    let row = find(&txn, id).await?;
    if row.state != CycleState::Closed.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only a closed cycle can be reopened; this one is {}",
            row.state
        )));
    }
    let done = reporting_cycle::Entity::update_many()
        .col_expr(
            reporting_cycle::Column::State,
            Expr::value(CycleState::Open.as_str()),
        )
        .col_expr(
            reporting_cycle::Column::Version,
            Expr::col(reporting_cycle::Column::Version).add(1),
        )
        .col_expr(reporting_cycle::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            reporting_cycle::Column::ClosedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(reporting_cycle::Column::Id.eq(row.id))
        .filter(reporting_cycle::Column::State.eq(CycleState::Closed.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DbError::InvalidTransition(
            "the cycle is no longer closed: someone else changed its state at the same time".into(),
        ));
    }
    let kept = edition::Entity::find()
        .filter(edition::Column::CycleId.eq(id))
        .one(&txn)
        .await?;
    edition::Entity::delete_many()
        .filter(edition::Column::CycleId.eq(id))
        .exec(&txn)
        .await?;
    let kept = kept.map(|e| {
        json!({
            "sha256": e.sha256, "signature": e.signature, "created_at": e.created_at,
            "content": serde_json::from_str::<Value>(&e.content).unwrap_or(Value::String(e.content)),
        })
    });
    let before = to_model(row.clone())?;
    let after = to_model(find(&txn, id).await?)?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::CycleReopen,
            "cycle",
            id,
            Some(&json!({"cycle": before, "edition": kept})),
            Some(&after),
        )?,
    );
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
                let mut entry = json!({
                    "activity": r.activity_code, "area": r.area, "body": r.body,
                    "status": e.status.as_str(), "percent_complete": e.percent_complete,
                    "narrative": e.narrative, "challenges": e.challenges, "next_steps": e.next_steps,
                    "evidence_urls": e.evidence_urls, "amended": e.amended,
                });
                // The files the secretariat accepted, by name, size and SHA-256, so the
                // edition proves which bytes were accepted. Only when there are some: an
                // entry without files keeps the form editions had before files existed.
                if !e.attachments.is_empty() {
                    entry["attachments"] = e
                        .attachments
                        .iter()
                        .map(|a| json!({"name": a.filename, "size": a.size, "sha256": a.sha256}))
                        .collect();
                }
                entry
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
        signature: row.signature,
        created_at: row.created_at,
        content: serde_json::from_str(&row.content)
            .map_err(|e| DbError::internal(format!("unreadable edition of cycle {id}: {e}")))?,
    })
}

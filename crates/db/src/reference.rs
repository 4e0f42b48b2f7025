//! Applies `data/reference.toml` to the database.
//!
//! Idempotent by construction: the file's SHA-256 is recorded in
//! `reference_data_loads`, and a file already applied is skipped with one query, so
//! start-up stays fast. A changed file is applied in one transaction: rows it names are
//! created or brought in line with it, rows it does not name are left alone (an
//! administrator's additions through the API survive). On PostgreSQL an advisory lock
//! makes instances that start together apply it once.
//!
//! What an administrator changed through the API wins over the file: a body, a work
//! plan, a thematic area or a participation the audit log shows a person created,
//! changed or removed is never changed (or re-created) by the file again ([`touched`]).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_domain::reference::ReferenceData;
use wpt_domain::reference_id;

use crate::audit::{AuditAction, Change};
use crate::entities::{
    member_state, plan_participation, reference_data_load, sectoral_body, thematic_area, work_plan,
};
use crate::{Backend, Database, DbResult};

const REFERENCE_LOCK_KEY: i64 = 0x0077_7074_2d72_6566; // "wpt-ref"

/// What applying the file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceOutcome {
    /// This exact file had been applied before; nothing was read or written.
    AlreadyApplied,
    /// The file was applied; the text says how many rows were created and updated.
    Applied(String),
}

#[derive(Default)]
struct Tally {
    created: usize,
    updated: usize,
    /// Rows the file would have changed but an administrator changed through the API.
    kept: usize,
}

impl Tally {
    fn show(&self, what: &str) -> String {
        let mut out = format!("{what}: {} created, {} updated", self.created, self.updated);
        if self.kept > 0 {
            out.push_str(&format!(", {} kept as changed through the API", self.kept));
        }
        out
    }
}

/// The rows people changed through the API: `(resource type, resource id)` of every
/// audit entry with an actor on bodies, work plans, thematic areas and participations. One query, on the
/// log's resource index, only when a changed file is applied.
async fn touched(txn: &DatabaseTransaction) -> DbResult<HashSet<(String, String)>> {
    use crate::entities::audit_log;
    use sea_orm::QuerySelect;
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::ResourceType.is_in([
            "body",
            "work_plan",
            "area",
            crate::participation::RESOURCE,
        ]))
        .filter(audit_log::Column::ActorId.is_not_null())
        .select_only()
        .column(audit_log::Column::ResourceType)
        .column(audit_log::Column::ResourceId)
        .distinct()
        .into_tuple::<(String, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

fn is_touched(touched: &HashSet<(String, String)>, kind: &str, id: Uuid) -> bool {
    touched.contains(&(kind.to_owned(), id.to_string()))
}

/// Applies the reference file `text` unless this exact text was applied before.
pub async fn apply(db: &Database, data: &ReferenceData, text: &str) -> DbResult<ReferenceOutcome> {
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    let seen = reference_data_load::Entity::find()
        .filter(reference_data_load::Column::Sha256.eq(&sha))
        .one(db.conn())
        .await?;
    if seen.is_some() {
        return Ok(ReferenceOutcome::AlreadyApplied);
    }

    let mut txn = db.write().await?;
    if db.backend() == Backend::Postgres {
        crate::sql::advisory_xact_lock(&txn, REFERENCE_LOCK_KEY).await?;
        // Another instance may have applied it while this one waited for the lock.
        let seen = reference_data_load::Entity::find()
            .filter(reference_data_load::Column::Sha256.eq(&sha))
            .one(&txn)
            .await?;
        if seen.is_some() {
            txn.rollback().await?;
            return Ok(ReferenceOutcome::AlreadyApplied);
        }
    }

    let touched = touched(&txn).await?;
    let bodies = apply_bodies(&txn, data, &touched).await?;
    let states = apply_member_states(&txn, data).await?;
    let (plans, areas, participations) = apply_work_plans(&txn, data, &touched).await?;
    let summary = [
        bodies.show("bodies"),
        states.show("member states"),
        plans.show("work plans"),
        areas.show("areas"),
        participations.show("participations"),
    ]
    .join("; ");

    txn.record(
        None,
        Change::created(
            AuditAction::ReferenceDataApply,
            "reference_data",
            sha.clone(),
            &serde_json::json!({ "summary": summary }),
        )?,
    );
    reference_data_load::ActiveModel {
        id: Set(Uuid::now_v7()),
        sha256: Set(sha),
        loaded_at: Set(Utc::now()),
        summary: Set(summary.clone()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(ReferenceOutcome::Applied(summary))
}

async fn apply_bodies(
    txn: &DatabaseTransaction,
    data: &ReferenceData,
    touched: &HashSet<(String, String)>,
) -> DbResult<Tally> {
    let mut tally = Tally::default();
    let existing: HashMap<String, sectoral_body::Model> = sectoral_body::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|b| (b.code.clone(), b))
        .collect();
    let now = Utc::now();
    for b in &data.bodies {
        match existing.get(&b.code) {
            None => {
                sectoral_body::ActiveModel {
                    id: Set(reference_id("body", &b.code)),
                    code: Set(b.code.clone()),
                    name: Set(b.name.clone()),
                    pillar: Set(b.pillar.as_str().to_owned()),
                    confirmed: Set(b.confirmed),
                    notes: Set(b.notes.clone()),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                tally.created += 1;
            }
            Some(row) => {
                let same = row.name == b.name
                    && row.pillar == b.pillar.as_str()
                    && row.confirmed == b.confirmed
                    && row.notes == b.notes;
                if !same && is_touched(touched, "body", row.id) {
                    tally.kept += 1;
                } else if !same {
                    let mut am = row.clone().into_active_model();
                    am.name = Set(b.name.clone());
                    am.pillar = Set(b.pillar.as_str().to_owned());
                    am.confirmed = Set(b.confirmed);
                    am.notes = Set(b.notes.clone());
                    am.version = Set(row.version + 1);
                    am.updated_at = Set(now);
                    am.update(txn).await?;
                    tally.updated += 1;
                }
            }
        }
    }
    Ok(tally)
}

async fn apply_member_states(txn: &DatabaseTransaction, data: &ReferenceData) -> DbResult<Tally> {
    let mut tally = Tally::default();
    let existing: HashMap<String, member_state::Model> = member_state::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.iso_code.clone(), m))
        .collect();
    let now = Utc::now();
    for m in &data.member_states {
        match existing.get(&m.iso_code) {
            None => {
                member_state::ActiveModel {
                    id: Set(reference_id("member_state", &m.iso_code)),
                    iso_code: Set(m.iso_code.clone()),
                    name: Set(m.name.clone()),
                    member_since: Set(m.member_since),
                    observer_since: Set(m.observer_since),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                tally.created += 1;
            }
            Some(row) => {
                let same = row.name == m.name
                    && row.member_since == m.member_since
                    && row.observer_since == m.observer_since;
                if !same {
                    let mut am = row.clone().into_active_model();
                    am.name = Set(m.name.clone());
                    am.member_since = Set(m.member_since);
                    am.observer_since = Set(m.observer_since);
                    am.updated_at = Set(now);
                    am.update(txn).await?;
                    tally.updated += 1;
                }
            }
        }
    }
    Ok(tally)
}

async fn apply_work_plans(
    txn: &DatabaseTransaction,
    data: &ReferenceData,
    touched: &HashSet<(String, String)>,
) -> DbResult<(Tally, Tally, Tally)> {
    let (mut plans, mut areas, mut parts) = (Tally::default(), Tally::default(), Tally::default());
    let now = Utc::now();
    let existing: HashMap<String, work_plan::Model> = work_plan::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let body_ids: HashMap<String, Uuid> = sectoral_body::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|b| (b.code, b.id))
        .collect();
    let existing_areas: HashMap<(Uuid, String), thematic_area::Model> =
        thematic_area::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|a| ((a.work_plan_id, a.code.clone()), a))
            .collect();
    let existing_parts: HashMap<(Uuid, Uuid), plan_participation::Model> =
        plan_participation::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|p| ((p.work_plan_id, p.body_id), p))
            .collect();

    for p in &data.work_plans {
        let plan_id = match existing.get(&p.code) {
            None => {
                let id = reference_id("work_plan", &p.code);
                work_plan::ActiveModel {
                    id: Set(id),
                    code: Set(p.code.clone()),
                    title: Set(p.title.clone()),
                    period_start: Set(p.period_start),
                    period_end: Set(p.period_end),
                    adopted_on: Set(p.adopted_on),
                    adopted_at: Set(p.adopted_at.clone()),
                    status: Set(p.status.as_str().to_owned()),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                plans.created += 1;
                id
            }
            Some(row) => {
                let same = row.title == p.title
                    && row.period_start == p.period_start
                    && row.period_end == p.period_end
                    && row.adopted_on == p.adopted_on
                    && row.adopted_at == p.adopted_at
                    && row.status == p.status.as_str();
                if !same && is_touched(touched, "work_plan", row.id) {
                    plans.kept += 1;
                } else if !same {
                    let mut am = row.clone().into_active_model();
                    am.title = Set(p.title.clone());
                    am.period_start = Set(p.period_start);
                    am.period_end = Set(p.period_end);
                    am.adopted_on = Set(p.adopted_on);
                    am.adopted_at = Set(p.adopted_at.clone());
                    am.status = Set(p.status.as_str().to_owned());
                    am.version = Set(row.version + 1);
                    am.updated_at = Set(now);
                    am.update(txn).await?;
                    plans.updated += 1;
                }
                row.id
            }
        };

        for (position, a) in p.areas.iter().enumerate() {
            let position = i32::try_from(position + 1).unwrap_or(i32::MAX);
            match existing_areas.get(&(plan_id, a.code.clone())) {
                None => {
                    thematic_area::ActiveModel {
                        id: Set(reference_id("area", &format!("{}:{}", p.code, a.code))),
                        work_plan_id: Set(plan_id),
                        code: Set(a.code.clone()),
                        title: Set(a.title.clone()),
                        position: Set(position),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(txn)
                    .await?;
                    areas.created += 1;
                }
                // Created or changed by a person (the secretariat): kept as it is.
                Some(row)
                    if (row.title != a.title || row.position != position)
                        && is_touched(touched, "area", row.id) =>
                {
                    areas.kept += 1;
                }
                Some(row) if row.title != a.title || row.position != position => {
                    let mut am = row.clone().into_active_model();
                    am.title = Set(a.title.clone());
                    am.position = Set(position);
                    am.updated_at = Set(now);
                    am.update(txn).await?;
                    areas.updated += 1;
                }
                Some(_) => {}
            }
        }

        for pt in &p.participants {
            // The file was validated: every participant names a body of the file, and
            // the bodies were applied above.
            let Some(&body_id) = body_ids.get(&pt.body) else {
                continue;
            };
            let by_hand = is_touched(
                touched,
                crate::participation::RESOURCE,
                crate::participation::participation_id(&p.code, &pt.body),
            );
            match existing_parts.get(&(plan_id, body_id)) {
                // Removed by an administrator: not brought back.
                None if by_hand => parts.kept += 1,
                Some(row)
                    if by_hand
                        && (row.role != pt.role.as_str() || row.confirmed != pt.confirmed) =>
                {
                    parts.kept += 1;
                }
                None => {
                    plan_participation::ActiveModel {
                        id: Set(crate::participation::participation_id(&p.code, &pt.body)),
                        work_plan_id: Set(plan_id),
                        body_id: Set(body_id),
                        role: Set(pt.role.as_str().to_owned()),
                        confirmed: Set(pt.confirmed),
                        created_at: Set(now),
                    }
                    .insert(txn)
                    .await?;
                    parts.created += 1;
                }
                Some(row) if row.role != pt.role.as_str() || row.confirmed != pt.confirmed => {
                    let mut am = row.clone().into_active_model();
                    am.role = Set(pt.role.as_str().to_owned());
                    am.confirmed = Set(pt.confirmed);
                    am.update(txn).await?;
                    parts.updated += 1;
                }
                Some(_) => {}
            }
        }
    }
    Ok((plans, areas, parts))
}

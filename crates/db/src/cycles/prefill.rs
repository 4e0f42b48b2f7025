//! The entries of a cycle being opened, prefilled from each body's latest progress, in
//! memory bounded whatever the plan's size.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;
use wpt_domain::ProgressStatus;

use crate::DbResult;
use crate::entities::submission_entry;
use crate::sql::{PREFILL_AFTER, PREFILL_FIRST, portable};

/// How many assignments opening a cycle reads, builds and inserts at a time: what it
/// holds in memory at once, whatever the plan's size. Each slice is one `INSERT` of this
/// many rows of eleven columns, far below SQLite's 32,766 parameters.
pub const OPEN_SLICE: usize = 200;

/// Inserts one entry per assignment of an active activity of plan `plan_id` whose body
/// has a submission in `submissions` (body → submission), prefilled with the body's
/// latest status and percent and the texts of its latest progress update (empty when
/// none), in the transaction `txn`.
///
/// Not an N+1: the assignments are walked in slices of [`OPEN_SLICE`] by id (keyset), and
/// each slice costs two statements whatever it holds, one `SELECT` reading its
/// assignments with their latest texts and one batch `INSERT` of its entries; so a plan
/// of `n` assignments costs `2 * (n / OPEN_SLICE + 1)` statements, and a slice's rows are
/// dropped before the next is read.
pub(super) async fn insert_entries(
    txn: &DatabaseTransaction,
    plan_id: Uuid,
    submissions: &HashMap<Uuid, Uuid>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    let backend = txn.get_database_backend();
    let limit = i64::try_from(OPEN_SLICE).unwrap_or(i64::MAX);
    let mut after: Option<Uuid> = None;
    loop {
        let statement = match after {
            None => Statement::from_sql_and_values(
                backend,
                portable(backend, PREFILL_FIRST),
                [plan_id.into(), limit.into()],
            ),
            Some(last) => Statement::from_sql_and_values(
                backend,
                portable(backend, PREFILL_AFTER),
                [plan_id.into(), limit.into(), last.into()],
            ),
        };
        let rows = txn.query_all_raw(statement).await?;
        let full = rows.len() >= OPEN_SLICE;
        let mut entries = Vec::with_capacity(rows.len());
        for r in rows {
            after = Some(r.try_get("", "id")?);
            let body: Uuid = r.try_get("", "body_id")?;
            // An assignment of a body that does not take part in the plan gets no entry.
            let Some(sid) = submissions.get(&body) else {
                continue;
            };
            let status: Option<String> = r.try_get("", "latest_status")?;
            let narrative: Option<String> = r.try_get("", "narrative")?;
            let urls: Value = r.try_get("", "evidence_urls").unwrap_or(json!([]));
            entries.push(submission_entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                submission_id: Set(*sid),
                activity_id: Set(r.try_get("", "activity_id")?),
                status: Set(
                    status.unwrap_or_else(|| ProgressStatus::NotStarted.as_str().to_owned())
                ),
                percent_complete: Set(r.try_get("", "latest_percent")?),
                narrative: Set(narrative.unwrap_or_default()),
                challenges: Set(r.try_get("", "challenges")?),
                next_steps: Set(r.try_get("", "next_steps")?),
                evidence_urls: Set(urls),
                updated_by: Set(None),
                updated_at: Set(now),
            });
        }
        if !entries.is_empty() {
            submission_entry::Entity::insert_many(entries)
                .exec(txn)
                .await?;
        }
        if !full {
            return Ok(());
        }
    }
}

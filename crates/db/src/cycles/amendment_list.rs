//! Reading amendments for the pages (issue 24): how many corrections wait for the
//! secretariat per body of a cycle (the board), and an amendment's stored values
//! (`original`, `proposed`) read back as typed values to show side by side.
//!
//! Reads only; deciding is [`super::decide_amendment`]'s.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use uuid::Uuid;
use wpt_domain::policy;
use wpt_domain::{Actor, AmendmentStatus, ProgressStatus};

use crate::entities::{amendment, submission};
use crate::{Database, DbResult};

/// An entry's values as an amendment stores them: the entry as accepted
/// (`original`) or the correction (`proposed`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct AmendmentValues {
    /// Status.
    pub status: ProgressStatus,
    /// Percent complete.
    #[serde(default)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[serde(default)]
    pub narrative: String,
    /// Challenges.
    #[serde(default)]
    pub challenges: Option<String>,
    /// Next steps.
    #[serde(default)]
    pub next_steps: Option<String>,
    /// Evidence links.
    #[serde(default)]
    pub evidence_urls: Vec<String>,
    /// The entry's files (`original`) or the proposed set (`proposed`); `None` when
    /// the amendment proposes no change of files.
    #[serde(default)]
    pub attachment_ids: Option<Vec<Uuid>>,
}

impl AmendmentValues {
    /// The values stored in an amendment's `original` or `proposed` (an unreadable
    /// value is an error, never a default).
    pub fn read(value: &Value) -> DbResult<Self> {
        crate::json::read(value, "amendment values")
    }
}

/// Amendments waiting for the secretariat's decision per body code in a cycle, for
/// the bodies whose pending amendments `actor` may see ([`policy::sees_review`]): the
/// secretariat and administrators every body's, an officer their own body's, a
/// viewer none. Bodies with none are left out. Two queries (and the cached codes).
pub async fn pending_by_body(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
) -> DbResult<HashMap<String, i64>> {
    let subs: Vec<(Uuid, Uuid)> = submission::Entity::find()
        .select_only()
        .column(submission::Column::Id)
        .column(submission::Column::BodyId)
        .filter(submission::Column::CycleId.eq(cycle_id))
        .into_tuple()
        .all(db.conn())
        .await?;
    let seen: HashMap<Uuid, Uuid> = subs
        .into_iter()
        .filter(|(_, body)| policy::sees_review(actor, *body))
        .collect();
    if seen.is_empty() {
        return Ok(HashMap::new());
    }
    let of_cycle = sea_orm::sea_query::Query::select()
        .column(submission::Column::Id)
        .from(submission::Entity)
        .and_where(submission::Column::CycleId.eq(cycle_id))
        .to_owned();
    let counts: Vec<(Uuid, i64)> = amendment::Entity::find()
        .select_only()
        .column(amendment::Column::SubmissionId)
        .column_as(amendment::Column::Id.count(), "n")
        .filter(amendment::Column::SubmissionId.in_subquery(of_cycle))
        .filter(amendment::Column::Status.eq(AmendmentStatus::Proposed.as_str()))
        .group_by(amendment::Column::SubmissionId)
        .into_tuple()
        .all(db.conn())
        .await?;
    let codes = crate::bodies::code_map(db).await?;
    Ok(counts
        .into_iter()
        .filter_map(|(sub, n)| {
            let body = seen.get(&sub)?;
            Some((codes.get(body)?.clone(), n))
        })
        .filter(|(_, n)| *n > 0)
        .collect())
}

//! Reading amendments for the pages (issue 24): how many corrections wait for the
//! secretariat per body of a cycle (the board). An amendment's stored values are read
//! back with [`super::AmendmentValues`].
//!
//! Reads only; deciding is [`super::decide_amendment`]'s.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::policy;
use wpt_domain::{Actor, AmendmentStatus};

use crate::entities::{amendment, submission};
use crate::{Database, DbResult};

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

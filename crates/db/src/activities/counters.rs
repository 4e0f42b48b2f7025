//! An officer's counters: assigned, at risk, overdue milestones.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{Database, DbResult};

use super::today;

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
    let sql = crate::sql::portable(backend, crate::sql::BODY_COUNTERS);
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

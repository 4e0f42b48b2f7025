//! An activity's history: its audit entries.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;
use wpt_domain::models::{AuditEntry, Page};
use wpt_domain::page::{Cursor, PageRequest};

use crate::entities::{activity, audit_log, indicator, milestone};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

use super::list::bad_cursor;

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
    let before = match &page.after {
        Some(after) => Some(after.key.parse().map_err(|_| bad_cursor())?),
        None => None,
    };
    let rows = entries_query(related, before, page.limit + 1)
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

/// The history's query: the entries of `resource_ids` older than `before`, newest
/// first, at most `limit`. It filters by resource id alone, so it is served by
/// `ix_audit_log_resource_id` (`resource_id, id`); public so that the tests can
/// `EXPLAIN` exactly this query.
pub fn entries_query(
    resource_ids: Vec<String>,
    before: Option<i64>,
    limit: u64,
) -> Select<audit_log::Entity> {
    let mut cond = Condition::all().add(audit_log::Column::ResourceId.is_in(resource_ids));
    if let Some(last) = before {
        cond = cond.add(audit_log::Column::Id.lt(last));
    }
    audit_log::Entity::find()
        .filter(cond)
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
}

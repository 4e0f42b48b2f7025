//! Sectoral bodies: reads.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use wpt_domain::models::{Body, Page};
use wpt_domain::page::{Cursor, PageRequest};

use crate::entities::sectoral_body;
use crate::paging::{TryMapPage, paginate};
use crate::{Database, DbError, DbResult, stored};

/// Converts a stored row to the read model.
pub(crate) fn to_model(row: sectoral_body::Model) -> DbResult<Body> {
    Ok(Body {
        pillar: stored(&row.pillar)?,
        id: row.id,
        code: row.code,
        name: row.name,
        confirmed: row.confirmed,
        notes: row.notes,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Bodies ordered by code, one page at a time.
pub async fn list(db: &Database, page: &PageRequest) -> DbResult<Page<Body>> {
    let mut query = sectoral_body::Entity::find().order_by_asc(sectoral_body::Column::Code);
    if let Some(after) = &page.after {
        // Codes are unique, so the code alone orders and resumes the list.
        query = query.filter(sectoral_body::Column::Code.gt(after.key.clone()));
    }
    let rows = query.limit(page.limit + 1).all(db.conn()).await?;
    paginate(rows, page.limit, |b| Cursor {
        key: b.code.clone(),
        id: b.id,
    })?
    .try_map(to_model)
}

/// One body by its code.
pub async fn get(db: &Database, code: &str) -> DbResult<Body> {
    let row = sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(code))
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("sectoral body"))?;
    to_model(row)
}

/// Every body's code by id: one small query (there are tens of bodies), used to label
/// rows that store body ids.
pub(crate) async fn codes(
    db: &impl sea_orm::ConnectionTrait,
) -> DbResult<std::collections::HashMap<uuid::Uuid, String>> {
    Ok(sectoral_body::Entity::find()
        .select_only()
        .columns([sectoral_body::Column::Id, sectoral_body::Column::Code])
        .into_tuple::<(uuid::Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

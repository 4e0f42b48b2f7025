//! Sectoral bodies: reads.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use wpt_domain::models::{Body, Page};
use wpt_domain::page::{Cursor, PageRequest};

use crate::audit::{AuditAction, Change};
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

/// The id of the body with `code`, if there is one.
pub(crate) async fn id_by_code(
    db: &impl sea_orm::ConnectionTrait,
    code: &str,
) -> DbResult<Option<uuid::Uuid>> {
    Ok(sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(code))
        .select_only()
        .column(sectoral_body::Column::Id)
        .into_tuple::<uuid::Uuid>()
        .one(db)
        .await?)
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

/// Every body's code by id, as [`codes`] reads it, from this process's cache when warm
/// (`crate::cache`: a body created or changed drops it at once, on every instance).
pub(crate) async fn code_map(db: &Database) -> DbResult<crate::cache::BodyCodes> {
    let cache = db.cache();
    if let Some(codes) = cache.body_codes(db) {
        return Ok(codes);
    }
    let ticket = cache.ticket(db);
    let codes = std::sync::Arc::new(codes(db.conn()).await?);
    cache.put_body_codes(ticket, codes.clone());
    Ok(codes)
}

/// A new sectoral body (`POST /bodies`).
#[derive(Debug, Clone)]
pub struct NewBody {
    /// Unique code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Pillar.
    pub pillar: wpt_domain::Pillar,
    /// Whether a public source confirms it.
    pub confirmed: bool,
    /// Notes.
    pub notes: Option<String>,
}

/// Changes of `PATCH /bodies/{code}`.
#[derive(Debug, Clone, Default)]
pub struct BodyPatch {
    /// New name.
    pub name: Option<String>,
    /// New pillar.
    pub pillar: Option<wpt_domain::Pillar>,
    /// New confirmation.
    pub confirmed: Option<bool>,
    /// New notes; `Some(None)` clears them.
    pub notes: Option<Option<String>>,
}

fn check_body(errors: &mut wpt_domain::ValidationErrors, name: &str, notes: Option<&str>) {
    wpt_domain::validation::check_text(errors, "name", name, true, 300);
    if let Some(n) = notes {
        wpt_domain::validation::check_text(errors, "notes", n, false, 5000);
    }
}

/// Adds a sectoral body; its id derives from its code like the reference bodies'.
pub async fn create(
    db: &Database,
    grant: &wpt_domain::actor::AdminGrant,
    input: NewBody,
) -> DbResult<Body> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, PaginatorTrait};
    use wpt_domain::Grant;
    let mut errors = wpt_domain::ValidationErrors::new();
    wpt_domain::reference::check_code(&mut errors, "code", &input.code);
    check_body(&mut errors, &input.name, input.notes.as_deref());
    errors.finish()?;
    let mut txn = db.write().await?;
    if sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(&input.code))
        .count(&txn)
        .await?
        > 0
    {
        return Err(DbError::Conflict(format!("a body {} exists", input.code)));
    }
    let now = chrono::Utc::now();
    let row = sectoral_body::ActiveModel {
        id: Set(wpt_domain::reference_id("body", &input.code)),
        code: Set(input.code),
        name: Set(input.name.trim().to_owned()),
        pillar: Set(input.pillar.as_str().to_owned()),
        confirmed: Set(input.confirmed),
        notes: Set(input.notes),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let body = to_model(row)?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(AuditAction::BodyCreate, "body", body.id, None, Some(&body))?,
    );
    txn.commit().await?;
    Ok(body)
}

/// Applies a patch if the body is still at `expected_version`.
pub async fn update(
    db: &Database,
    grant: &wpt_domain::actor::AdminGrant,
    code: &str,
    expected_version: i32,
    patch: BodyPatch,
) -> DbResult<Body> {
    use sea_orm::ActiveValue::Set;
    use wpt_domain::Grant;
    let mut txn = db.write().await?;
    let row = sectoral_body::Entity::find()
        .filter(sectoral_body::Column::Code.eq(code))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("sectoral body"))?;
    if row.version != expected_version {
        return Err(DbError::StaleVersion(expected_version));
    }
    let before = to_model(row.clone())?;
    let name = patch.name.unwrap_or(row.name.clone());
    let notes = patch.notes.unwrap_or(row.notes.clone());
    let mut errors = wpt_domain::ValidationErrors::new();
    check_body(&mut errors, &name, notes.as_deref());
    errors.finish()?;
    let mut am: sectoral_body::ActiveModel = row.clone().into();
    am.name = Set(name.trim().to_owned());
    am.pillar = Set(patch
        .pillar
        .map_or(row.pillar.clone(), |p| p.as_str().to_owned()));
    am.confirmed = Set(patch.confirmed.unwrap_or(row.confirmed));
    am.notes = Set(notes);
    am.updated_at = Set(chrono::Utc::now());
    txn.update_versioned(am, row.id, expected_version).await?;
    let after = to_model(
        sectoral_body::Entity::find_by_id(row.id)
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("sectoral body"))?,
    )?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::BodyUpdate,
            "body",
            row.id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

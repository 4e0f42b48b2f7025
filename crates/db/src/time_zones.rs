//! An account's time zone (issue 24, item 10): set by its owner (`PATCH /me`, the
//! account page) or, once, by their browser at their first login in the pages. Both go
//! through the one write path and are audited as `user.time_zone`.
//!
//! The zone is a personal setting beside the account, not part of the account an
//! administrator edits: it does not change `users.version`, so it never makes an
//! administrator's edit of the same account stale.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use wpt_domain::actor::SelfGrant;
use wpt_domain::{Grant, ValidationErrors, time_zone};

use crate::audit::{AuditAction, Change};
use crate::entities::user;
use crate::{Database, DbError, DbResult};

/// A zone name checked against the zone database: `Ok(None)` for none (cleared).
fn checked(name: Option<&str>) -> DbResult<Option<String>> {
    let Some(name) = name else {
        return Ok(None);
    };
    let mut errors = ValidationErrors::new();
    let zone = time_zone::check(&mut errors, "time_zone", name);
    errors.finish()?;
    Ok(zone.map(|z| z.name().to_owned()))
}

/// Sets (or with `None` clears) the caller's own time zone; an unknown name is a
/// validation error on `time_zone`. Returns the zone now set.
pub async fn set_own(
    db: &Database,
    grant: &SelfGrant,
    name: Option<&str>,
) -> DbResult<Option<String>> {
    let zone = checked(name)?;
    let mut w = db.write().await?;
    let before = user::Entity::find_by_id(grant.user_id())
        .one(&*w)
        .await?
        .ok_or(DbError::NotFound("user"))?
        .time_zone;
    if before == zone {
        w.rollback().await?;
        return Ok(zone);
    }
    user::Entity::update_many()
        .col_expr(user::Column::TimeZone, Expr::value(zone.clone()))
        .filter(user::Column::Id.eq(grant.user_id()))
        .exec(&*w)
        .await?;
    w.record(
        grant.actor_id(),
        Change::new(
            AuditAction::UserTimeZone,
            "user",
            grant.user_id(),
            Some(&serde_json::json!({ "time_zone": before })),
            Some(&serde_json::json!({ "time_zone": zone })),
        )?,
    );
    w.commit().await?;
    Ok(zone)
}

/// At a login in the pages: the zone the browser reported, kept only when the account
/// has none yet (a zone the person chose, or an earlier login set, is never replaced).
/// Returns whether it was set; a name that is not a zone sets nothing.
pub async fn set_from_browser(db: &Database, grant: &SelfGrant, name: &str) -> DbResult<bool> {
    let Some(zone) = time_zone::parse(name.trim()) else {
        return Ok(false);
    };
    let zone = zone.name().to_owned();
    let mut w = db.write().await?;
    let set = user::Entity::update_many()
        .col_expr(user::Column::TimeZone, Expr::value(zone.clone()))
        .filter(user::Column::Id.eq(grant.user_id()))
        .filter(user::Column::TimeZone.is_null())
        .exec(&*w)
        .await?
        .rows_affected
        == 1;
    if !set {
        w.rollback().await?;
        return Ok(false);
    }
    w.record(
        grant.actor_id(),
        Change::new(
            AuditAction::UserTimeZone,
            "user",
            grant.user_id(),
            Some(&serde_json::json!({ "time_zone": null })),
            Some(&serde_json::json!({ "time_zone": zone, "from": "browser" })),
        )?,
    );
    w.commit().await?;
    Ok(true)
}

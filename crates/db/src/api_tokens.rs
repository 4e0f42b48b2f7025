//! Personal API tokens: each user's own, looked up *belonging to* that user, so another
//! user's token id finds nothing.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;
use wpt_domain::Grant;
use wpt_domain::ValidationErrors;
use wpt_domain::actor::SelfGrant;
use wpt_domain::models::{ApiToken, NewApiToken};
use wpt_domain::validation::check_text;

use crate::audit::{AuditAction, Change};
use crate::auth::tokens;
use crate::entities::api_token;
use crate::{Database, DbError, DbResult};

/// Longest lifetime of a token, in days.
pub const MAX_DAYS: i64 = 366;
/// Lifetime when none is asked for, in days.
pub const DEFAULT_DAYS: i64 = 90;
/// Most tokens (revoked ones included) one user may hold.
pub const MAX_PER_USER: usize = 100;

fn to_model(r: api_token::Model) -> ApiToken {
    ApiToken {
        id: r.id,
        name: r.name,
        prefix: r.prefix,
        write: r.can_write,
        created_at: r.created_at,
        expires_at: r.expires_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    }
}

/// The caller's tokens, newest first (at most [`MAX_PER_USER`], so one query).
pub async fn list_own(db: &Database, user_id: Uuid) -> DbResult<Vec<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db.conn())
        .await?
        .into_iter()
        .map(to_model)
        .collect())
}

/// Creates a token for the caller; its secret is returned this once.
pub async fn create(
    db: &Database,
    grant: &SelfGrant,
    name: &str,
    days: Option<i64>,
    write: bool,
) -> DbResult<NewApiToken> {
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "name", name, true, 100);
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        errors.add("expires_in_days", format!("must be from 1 to {MAX_DAYS}"));
    }
    errors.finish()?;
    if write && !grant.may_write() {
        return Err(DbError::Forbidden(
            "a viewer's token can only read; leave out write".into(),
        ));
    }
    let mut txn = db.write().await?;
    let held = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(grant.user_id()))
        .count(&txn)
        .await?;
    if held >= MAX_PER_USER as u64 {
        return Err(DbError::Conflict(format!(
            "at most {MAX_PER_USER} tokens per user; delete some first"
        )));
    }
    let secret = tokens::generate(tokens::API_TOKEN_PREFIX)?;
    let now = Utc::now();
    let row = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(grant.user_id()),
        name: Set(name.trim().to_owned()),
        prefix: Set(secret.chars().take(12).collect()),
        token_hash: Set(tokens::hash(&secret)),
        can_write: Set(write),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(days)),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let info = to_model(row);
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::ApiTokenCreate,
            "api_token",
            info.id,
            None,
            Some(&info),
        )?,
    );
    txn.commit().await?;
    Ok(NewApiToken {
        info,
        token: secret,
    })
}

/// Revokes one of the caller's own tokens; another user's token is "not found".
pub async fn revoke(db: &Database, grant: &SelfGrant, id: Uuid) -> DbResult<()> {
    let mut txn = db.write().await?;
    let row = api_token::Entity::find()
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::UserId.eq(grant.user_id()))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("API token"))?;
    if row.revoked_at.is_none() {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::UserId.eq(grant.user_id()))
            .exec(&txn)
            .await?;
        let before = to_model(row);
        txn.record(
            grant.actor_id(),
            Change::new::<_, ()>(
                AuditAction::ApiTokenRevoke,
                "api_token",
                id,
                Some(&before),
                None,
            )?,
        );
    }
    txn.commit().await?;
    Ok(())
}

/// Revokes every standing API token of `user_id`, in the caller's transaction, one
/// `api_token.revoke` audit entry each (with the reason): on deactivation and on every
/// password change or reset.
pub(crate) async fn revoke_all(
    txn: &mut crate::Write,
    user_id: Uuid,
    reason: &'static str,
    actor: Option<Uuid>,
) -> DbResult<()> {
    let standing = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .all(&*txn)
        .await?;
    if standing.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    for row in standing {
        let id = row.id;
        let before = to_model(row);
        txn.record(
            actor,
            Change::new(
                AuditAction::ApiTokenRevoke,
                "api_token",
                id,
                Some(&before),
                Some(&serde_json::json!({ "revoked_at": now, "reason": reason })),
            )?,
        );
    }
    Ok(())
}

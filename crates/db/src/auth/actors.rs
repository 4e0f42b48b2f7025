//! The per-request check that turns a credential (an access token, a page session's
//! cookie, a personal API token) into an [`Actor`]: from this process's cache when it
//! holds the credential (no query at all), else from the database in one query, whose
//! answer is then kept (`crate::cache`). Whatever ends a credential or changes its
//! account (logout, revocation, reuse of a refresh token, a password change, an
//! account's deactivation, role or body change, a token's revocation) goes through the
//! write path, which drops the cached answer at once in this process and, on
//! PostgreSQL, in every other; the time checks (expiry, the page's idle timeout) run on
//! every request on the cached times.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wpt_domain::{Actor, ActorBody, Credential, Role};

use super::{Auth, tokens};
use crate::cache::{ActorKey, CachedActor};
use crate::entities::{api_token, sectoral_body, session, user};
use crate::{Database, DbError, DbResult, stored};

fn chrono(d: std::time::Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::days(1))
}

/// The actor behind a web session cookie: the user must be active, the session must
/// stand and must not have been idle longer than
/// [`AuthSettings::web_idle_timeout`](super::AuthSettings). Its use is recorded at most
/// once a minute, off the request's path.
pub async fn actor_for_cookie(db: &Database, auth: &Auth, cookie: &str) -> DbResult<Actor> {
    let now = Utc::now();
    let idle_since = now - chrono(auth.settings.web_idle_timeout);
    let key = ActorKey::Cookie(tokens::hash(cookie));
    let cache = db.cache();
    if let Some(hit) = cache.actor(db, &key) {
        let in_use = hit
            .last_seen()
            .map_or(hit.created_at > idle_since, |t| t > idle_since);
        if hit.expires_at > now && in_use {
            used(db, &hit, now);
            return Ok(hit.actor.clone());
        }
        // Ended, or idle as far as this process knows (another instance may have seen
        // it since): the database decides.
        cache.forget_actor(&key);
    }
    let ticket = cache.ticket(db);
    let last_seen = Expr::col((session::Entity, session::Column::LastSeenAt));
    let mut q = active_user_via(session::Entity, (session::Entity, session::Column::UserId));
    q.expr_as(
        Expr::col((session::Entity, session::Column::Id)),
        Alias::new("session_id"),
    )
    .columns([
        (session::Entity, session::Column::LastSeenAt),
        (session::Entity, session::Column::ExpiresAt),
        (session::Entity, session::Column::CreatedAt),
    ])
    .and_where(Expr::col((session::Entity, session::Column::CookieHash)).eq(tokens::hash(cookie)))
    .and_where(Expr::col((session::Entity, session::Column::RevokedAt)).is_null())
    .and_where(Expr::col((session::Entity, session::Column::ExpiresAt)).gt(now))
    .and_where(
        last_seen.clone().gt(idle_since).or(last_seen
            .is_null()
            .and(Expr::col((session::Entity, session::Column::CreatedAt)).gt(idle_since))),
    );
    let row =
        db.conn().query_one(&q).await?.ok_or_else(|| {
            DbError::Unauthenticated("the session has ended; log in again".into())
        })?;
    let user_id: Uuid = row.try_get("", "id")?;
    let session_id: Uuid = row.try_get("", "session_id")?;
    let actor = actor_from_row(&row, user_id, Credential::Session { session_id })?;
    let entry = cached(&row, actor.clone(), "last_seen_at")?;
    used(db, &entry, now);
    cache.put_actor(ticket, key, entry);
    Ok(actor)
}

/// The actor behind an access token: the user must be active and the session must
/// stand.
pub async fn actor_for_access_token(db: &Database, auth: &Auth, token: &str) -> DbResult<Actor> {
    let (user_id, session_id) = auth.jwt.check(token).map_err(|e| {
        tracing::debug!(error = %e, "access token refused");
        DbError::Unauthenticated("the access token is not valid; log in again".into())
    })?;
    let now = Utc::now();
    let key = ActorKey::Access(session_id);
    let cache = db.cache();
    if let Some(hit) = cache.actor(db, &key)
        && hit.actor.user_id == user_id
        && hit.expires_at > now
    {
        used(db, &hit, now);
        return Ok(hit.actor.clone());
    }
    let ticket = cache.ticket(db);
    let mut q = Query::select();
    q.columns([
        (user::Entity, user::Column::Role),
        (user::Entity, user::Column::BodyId),
    ])
    .columns([
        (session::Entity, session::Column::LastSeenAt),
        (session::Entity, session::Column::ExpiresAt),
        (session::Entity, session::Column::CreatedAt),
    ])
    .expr_as(
        Expr::col((sectoral_body::Entity, sectoral_body::Column::Code)),
        Alias::new("body_code"),
    )
    .from(user::Entity)
    .inner_join(
        session::Entity,
        Expr::col((session::Entity, session::Column::UserId))
            .equals((user::Entity, user::Column::Id)),
    )
    .left_join(
        sectoral_body::Entity,
        Expr::col((sectoral_body::Entity, sectoral_body::Column::Id))
            .equals((user::Entity, user::Column::BodyId)),
    )
    .and_where(Expr::col((user::Entity, user::Column::Id)).eq(user_id))
    .and_where(Expr::col((user::Entity, user::Column::Active)).eq(true))
    .and_where(Expr::col((session::Entity, session::Column::Id)).eq(session_id))
    .and_where(Expr::col((session::Entity, session::Column::RevokedAt)).is_null())
    .and_where(Expr::col((session::Entity, session::Column::ExpiresAt)).gt(now));
    let row =
        db.conn().query_one(&q).await?.ok_or_else(|| {
            DbError::Unauthenticated("the session has ended; log in again".into())
        })?;
    let actor = actor_from_row(&row, user_id, Credential::Session { session_id })?;
    let entry = cached(&row, actor.clone(), "last_seen_at")?;
    used(db, &entry, now);
    cache.put_actor(ticket, key, entry);
    Ok(actor)
}

/// The actor behind a personal API token; records its use at most once a minute, off
/// the request's path.
pub async fn actor_for_api_token(db: &Database, token: &str) -> DbResult<Actor> {
    let now = Utc::now();
    let key = ActorKey::ApiToken(tokens::hash(token));
    let cache = db.cache();
    if let Some(hit) = cache.actor(db, &key)
        && hit.expires_at > now
    {
        used(db, &hit, now);
        return Ok(hit.actor.clone());
    }
    let ticket = cache.ticket(db);
    let mut q = active_user_via(
        api_token::Entity,
        (api_token::Entity, api_token::Column::UserId),
    );
    q.columns([
        (api_token::Entity, api_token::Column::CanWrite),
        (api_token::Entity, api_token::Column::LastUsedAt),
        (api_token::Entity, api_token::Column::ExpiresAt),
        (api_token::Entity, api_token::Column::CreatedAt),
    ])
    .expr_as(
        Expr::col((api_token::Entity, api_token::Column::Id)),
        Alias::new("token_id"),
    )
    .and_where(Expr::col((api_token::Entity, api_token::Column::TokenHash)).eq(tokens::hash(token)))
    .and_where(Expr::col((api_token::Entity, api_token::Column::RevokedAt)).is_null())
    .and_where(Expr::col((api_token::Entity, api_token::Column::ExpiresAt)).gt(now));
    let row = db
        .conn()
        .query_one(&q)
        .await?
        .ok_or_else(|| DbError::Unauthenticated("the API token is not valid".into()))?;
    let user_id: Uuid = row.try_get("", "id")?;
    let token_id: Uuid = row.try_get("", "token_id")?;
    let write: bool = row.try_get("", "can_write")?;
    let actor = actor_from_row(&row, user_id, Credential::ApiToken { token_id, write })?;
    let entry = cached(&row, actor.clone(), "last_used_at")?;
    used(db, &entry, now);
    cache.put_actor(ticket, key, entry);
    Ok(actor)
}

/// The cache entry of a credential row: its end, start and last use (`last_column`).
fn cached(row: &sea_orm::QueryResult, actor: Actor, last_column: &str) -> DbResult<CachedActor> {
    let expires_at: DateTime<Utc> = row.try_get("", "expires_at")?;
    let created_at: DateTime<Utc> = row.try_get("", "created_at")?;
    let last: Option<DateTime<Utc>> = row.try_get("", last_column)?;
    Ok(CachedActor::new(actor, expires_at, created_at, last))
}

/// Records a credential's use, at most once a minute per process, off the request's
/// path: bookkeeping (a session's `last_seen_at`, which the page's idle timeout reads;
/// a token's `last_used_at`), not audited and not through the write path.
fn used(db: &Database, entry: &CachedActor, now: DateTime<Utc>) {
    if !entry.used(now) {
        return;
    }
    let db = db.clone();
    let credential = entry.actor.credential;
    tokio::spawn(async move {
        let result = match credential {
            Credential::Session { session_id } => session::Entity::update_many()
                .col_expr(session::Column::LastSeenAt, Expr::value(now))
                .filter(session::Column::Id.eq(session_id))
                .exec(db.conn())
                .await
                .map(|_| ()),
            Credential::ApiToken { token_id, .. } => api_token::Entity::update_many()
                .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(token_id))
                .exec(db.conn())
                .await
                .map(|_| ()),
            Credential::System => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record the use of a credential");
        }
    });
}

fn actor_from_row(
    row: &sea_orm::QueryResult,
    user_id: Uuid,
    credential: Credential,
) -> DbResult<Actor> {
    let role: String = row.try_get("", "role")?;
    let body_id: Option<Uuid> = row.try_get("", "body_id")?;
    let body_code: Option<String> = row.try_get("", "body_code")?;
    let role: Role = stored(&role)?;
    Ok(Actor {
        user_id,
        role,
        body: match (body_id, body_code) {
            (Some(id), Some(code)) => Some(ActorBody { id, code }),
            _ => None,
        },
        credential,
    })
}

/// The start of the query that turns a credential row (`from`, whose `user_column` names
/// the user) into an actor: the active user's id, role and body id and code. The caller
/// adds its credential's columns and conditions.
fn active_user_via(
    from: impl sea_orm::sea_query::IntoTableRef,
    user_column: (impl sea_orm::Iden + 'static, impl sea_orm::Iden + 'static),
) -> sea_orm::sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns([
        (user::Entity, user::Column::Role),
        (user::Entity, user::Column::BodyId),
        (user::Entity, user::Column::Id),
    ])
    .expr_as(
        Expr::col((sectoral_body::Entity, sectoral_body::Column::Code)),
        Alias::new("body_code"),
    )
    .from(from)
    .inner_join(
        user::Entity,
        Expr::col((user::Entity, user::Column::Id)).equals(user_column),
    )
    .left_join(
        sectoral_body::Entity,
        Expr::col((sectoral_body::Entity, sectoral_body::Column::Id))
            .equals((user::Entity, user::Column::BodyId)),
    )
    .and_where(Expr::col((user::Entity, user::Column::Active)).eq(true));
    q
}

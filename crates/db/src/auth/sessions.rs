//! Login sessions: login, refresh with rotation and reuse detection, logout, and the
//! per-request check that turns a token into an [`Actor`].
//!
//! A session is one login; its refresh tokens form a family. Each refresh spends the
//! token it was given and issues the next. Presenting a spent token again means it
//! was copied: the whole session is revoked, so the thief's and the owner's tokens
//! both stop working. Access tokens name their session, and the per-request check
//! requires the session to stand, so logout and revocation take effect at once.

use std::net::IpAddr;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::SelfGrant;
use wpt_domain::models::{SessionInfo, TokenPair};
use wpt_domain::{Grant, Role};

use super::throttle::Attempt;
use super::{Auth, tokens};
use crate::audit::{AuditAction, Change};
use crate::entities::{login_failure, refresh_token, session, user};
use crate::{Database, DbError, DbResult, Write, stored};

pub use super::actors::{actor_for_access_token, actor_for_api_token, actor_for_cookie};

const WRONG_CREDENTIALS: &str = "the email or password is wrong";

fn chrono(d: std::time::Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::days(1))
}

/// Logs in with email and password from `client`: a new session and its first tokens.
///
/// Attempts are counted per account and client address before the password is
/// verified ([`throttle`](super::throttle)); past the limit that address is refused
/// every password for the account, the right one included, until the window passes.
pub async fn login(
    db: &Database,
    auth: &Auth,
    email: &str,
    password: &str,
    client: IpAddr,
    user_agent: Option<&str>,
) -> DbResult<TokenPair> {
    let (account, role) = check_password(db, auth, email, password, client).await?;
    let mut txn = db.write().await?;
    let expires_at = Utc::now() + chrono(auth.settings.session_ttl);
    let session_id = open_session(&mut txn, account, expires_at, None, "api").await?;
    super::sign_in_notice::tell_administrator(&mut txn, account, role, client, user_agent, "api");
    let refresh = new_refresh_token(&txn, auth, session_id, expires_at).await?;
    txn.commit().await?;
    pair(auth, account, session_id, refresh)
}

/// A session of the web pages: its cookie (shown once, stored as a hash) and when it ends.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The cookie's value.
    pub cookie: String,
    /// The session's id.
    pub session_id: Uuid,
    /// When the session ends, however active it is.
    pub expires_at: DateTime<Utc>,
}

/// Logs in from the web pages: the same checks and limits as [`login`], a session of
/// [`AuthSettings::web_session_ttl`](super::AuthSettings), and an opaque cookie instead
/// of tokens.
pub async fn login_web(
    db: &Database,
    auth: &Auth,
    email: &str,
    password: &str,
    client: IpAddr,
    user_agent: Option<&str>,
) -> DbResult<WebSession> {
    let (account, role) = check_password(db, auth, email, password, client).await?;
    let cookie = tokens::generate(tokens::WEB_SESSION_PREFIX)?;
    let mut txn = db.write().await?;
    let expires_at = Utc::now() + chrono(auth.settings.web_session_ttl);
    let session_id = open_session(
        &mut txn,
        account,
        expires_at,
        Some(tokens::hash(&cookie)),
        "web",
    )
    .await?;
    super::sign_in_notice::tell_administrator(&mut txn, account, role, client, user_agent, "web");
    txn.commit().await?;
    Ok(WebSession {
        cookie,
        session_id,
        expires_at,
    })
}

/// The account (and its role) behind an email and password, checked under the limits of
/// [`throttle`](super::throttle) (the right password clears its counts). An unknown
/// email costs one verification against a dummy hash and is not counted per account
/// (there is none), only per address by the caller.
async fn check_password(
    db: &Database,
    auth: &Auth,
    email: &str,
    password: &str,
    client: IpAddr,
) -> DbResult<(Uuid, Role)> {
    let email = email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .find_also_related(login_failure::Entity)
        .one(db.conn())
        .await?;
    let Some((account, recorded)) = found else {
        auth.hasher.verify(password, None).await?;
        return Err(DbError::Unauthenticated(WRONG_CREDENTIALS.into()));
    };
    let attempt = Attempt::admit(db, auth, account.id, recorded.as_ref(), client).await?;
    if !auth
        .hasher
        .verify(password, Some(&account.password_hash))
        .await?
    {
        attempt.failed(db, auth).await?;
        return Err(DbError::Unauthenticated(WRONG_CREDENTIALS.into()));
    }
    if !account.active {
        // Answered like a wrong password, and still counted: clearing the count would
        // tell a guesser that this password was the right one.
        return Err(DbError::Unauthenticated(WRONG_CREDENTIALS.into()));
    }
    attempt.succeeded(db).await?;
    if auth.hasher.outdated(&account.password_hash) {
        rehash(db, auth, account.id, &account.password_hash, password).await;
    }
    Ok((account.id, stored(&account.role)?))
}

/// Replaces a hash made with older parameters by one made with the current ones, now
/// that the password is known to be right: bookkeeping, like the login counters (the
/// password is the same, so nothing is audited and no version changes), and only if
/// the stored hash is still `old` (a password changed meanwhile wins). A failure is
/// logged, never the login's: the old hash still verifies.
async fn rehash(db: &Database, auth: &Auth, account: Uuid, old: &str, password: &str) {
    let done = async {
        let new = auth.hasher.hash(password).await?;
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(new))
            .filter(user::Column::Id.eq(account))
            .filter(user::Column::PasswordHash.eq(old))
            .exec(db.conn())
            .await?;
        DbResult::Ok(())
    }
    .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, %account, "could not hash a password again with the current parameters");
    }
}

/// Starts a session in `txn` and audits the login.
async fn open_session(
    txn: &mut Write,
    account: Uuid,
    expires_at: DateTime<Utc>,
    cookie_hash: Option<String>,
    via: &str,
) -> DbResult<Uuid> {
    let session_id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(account),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        cookie_hash: Set(cookie_hash),
        last_seen_at: Set(Some(Utc::now())),
    }
    .insert(txn)
    .await?;
    txn.record(
        Some(account),
        Change::new::<(), _>(
            AuditAction::SessionCreate,
            "session",
            session_id,
            None,
            Some(&serde_json::json!({ "user_id": account, "expires_at": expires_at, "via": via })),
        )?,
    );
    Ok(session_id)
}

/// Ends the web session of a cookie. Unknown or ended cookies are ignored.
pub async fn logout_web(db: &Database, cookie: &str) -> DbResult<()> {
    let mut txn = db.write().await?;
    let sess = session::Entity::find()
        .filter(session::Column::CookieHash.eq(tokens::hash(cookie)))
        .filter(session::Column::RevokedAt.is_null())
        .one(&txn)
        .await?;
    if let Some(sess) = sess {
        revoke_session(&mut txn, &sess, "logout", Some(sess.user_id)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Whose session the cookie named, however it ended (expired, idle, revoked): for the
/// login page, which gives a form carried through it back only to that person.
pub async fn owner_of_cookie(db: &Database, cookie: &str) -> DbResult<Option<Uuid>> {
    Ok(session::Entity::find()
        .filter(session::Column::CookieHash.eq(tokens::hash(cookie)))
        .one(db.conn())
        .await?
        .map(|s| s.user_id))
}

async fn new_refresh_token(
    txn: &DatabaseTransaction,
    auth: &Auth,
    session_id: Uuid,
    session_expires: DateTime<Utc>,
) -> DbResult<String> {
    let secret = tokens::generate(tokens::REFRESH_TOKEN_PREFIX)?;
    let now = Utc::now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(tokens::hash(&secret)),
        issued_at: Set(now),
        expires_at: Set(std::cmp::min(
            now + chrono(auth.settings.refresh_ttl),
            session_expires,
        )),
        spent_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(secret)
}

fn pair(auth: &Auth, user: Uuid, session: Uuid, refresh: String) -> DbResult<TokenPair> {
    let access = auth
        .jwt
        .issue(user, session)
        .map_err(|e| DbError::internal(e.to_string()))?;
    Ok(TokenPair {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: auth.jwt.ttl_secs(),
    })
}

/// Spends a refresh token and issues the next pair of the same session.
pub async fn refresh(db: &Database, auth: &Auth, presented: &str) -> DbResult<TokenPair> {
    let invalid = || DbError::Unauthenticated("the refresh token is not valid".into());
    let now = Utc::now();
    let mut txn = db.write().await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::hash(presented)))
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    let sess = session::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if sess.revoked_at.is_some() {
        return Err(invalid());
    }
    // Spend it only if nobody has: two refreshes racing with the same token cannot
    // both win, and the loser is treated as reuse.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::SpentAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        revoke_session(&mut txn, &sess, "refresh_token_reuse", Some(sess.user_id)).await?;
        txn.commit().await?;
        return Err(DbError::Unauthenticated(
            "this refresh token was already used; the session has been ended for safety".into(),
        ));
    }
    let account = user::Entity::find_by_id(sess.user_id).one(&txn).await?;
    let usable = token.expires_at > now
        && sess.expires_at > now
        && account.as_ref().is_some_and(|u| u.active);
    if !usable {
        return Err(invalid());
    }
    let next = new_refresh_token(&txn, auth, sess.id, sess.expires_at).await?;
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(sess.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    pair(auth, sess.user_id, sess.id, next)
}

async fn revoke_session(
    txn: &mut Write,
    sess: &session::Model,
    reason: &'static str,
    actor: Option<Uuid>,
) -> DbResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(sess.id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    txn.record(
        actor,
        Change::new::<(), _>(
            AuditAction::SessionRevoke,
            "session",
            sess.id,
            None,
            Some(&serde_json::json!({ "user_id": sess.user_id, "reason": reason })),
        )?,
    );
    Ok(())
}

/// Ends the session of a refresh token. Unknown tokens are ignored (logout is
/// idempotent and says nothing about which tokens exist).
pub async fn logout(db: &Database, presented: &str) -> DbResult<()> {
    let mut txn = db.write().await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::hash(presented)))
        .one(&txn)
        .await?;
    if let Some(token) = token
        && let Some(sess) = session::Entity::find_by_id(token.session_id)
            .one(&txn)
            .await?
        && sess.revoked_at.is_none()
    {
        revoke_session(&mut txn, &sess, "logout", Some(sess.user_id)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends every session of `user_id` except `keep`, in the caller's transaction.
pub(crate) async fn revoke_all(
    txn: &mut Write,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &'static str,
    actor: Option<Uuid>,
) -> DbResult<()> {
    let mut query = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    for sess in query.all(&*txn).await? {
        revoke_session(txn, &sess, reason, actor).await?;
    }
    Ok(())
}

/// The caller's standing sessions (neither ended nor expired), newest first, at most
/// 100 (one query); `current` marks the one making the request.
pub async fn list_own(
    db: &Database,
    grant: &SelfGrant,
    current: Option<Uuid>,
) -> DbResult<Vec<SessionInfo>> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(grant.user_id()))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::CreatedAt)
        .limit(100)
        .all(db.conn())
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            current: Some(s.id) == current,
            via: if s.cookie_hash.is_some() {
                "web"
            } else {
                "api"
            }
            .to_owned(),
            id: s.id,
            created_at: s.created_at,
            last_active_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Ends one of the caller's own sessions (the current one included); another user's
/// session id is "not found". Ending an ended session again changes nothing.
pub async fn end_own(db: &Database, grant: &SelfGrant, id: Uuid) -> DbResult<()> {
    let mut txn = db.write().await?;
    let sess = session::Entity::find()
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(grant.user_id()))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("session"))?;
    if sess.revoked_at.is_none() {
        revoke_session(&mut txn, &sess, "ended_by_user", grant.actor_id()).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// What one [`prune`] sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Sessions (with their refresh tokens).
    pub sessions: u64,
    /// Refresh tokens, those of the deleted sessions included.
    pub refresh_tokens: u64,
    /// Counts of failed logins per account and address whose window has ended.
    pub login_attempts: u64,
}

/// One housekeeping sweep: deletes the sessions that expired or were ended more than
/// `retain` ago, with their refresh tokens, and every refresh token that expired more
/// than `retain` ago (spent or not: a spent token is kept until then, because
/// presenting it again is how a copied token is detected); and the counts of failed
/// logins (`login_attempts`) whose window, `login_window` long, has ended: they limit
/// nothing any more. Through the write path; one `session.prune` audit entry with the
/// counts when it deleted anything, none otherwise.
pub async fn prune(
    db: &Database,
    retain: std::time::Duration,
    login_window: std::time::Duration,
) -> DbResult<Pruned> {
    let cutoff = Utc::now() - chrono(retain);
    let mut txn = db.write().await?;
    let gone = Condition::any()
        .add(session::Column::ExpiresAt.lt(cutoff))
        .add(session::Column::RevokedAt.lt(cutoff));
    let mut of_gone = Query::select();
    of_gone
        .column(session::Column::Id)
        .from(session::Entity)
        .cond_where(gone.clone());
    let tokens = refresh_token::Entity::delete_many()
        .filter(
            Condition::any()
                .add(refresh_token::Column::ExpiresAt.lt(cutoff))
                .add(refresh_token::Column::SessionId.in_subquery(of_gone)),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    let sessions = session::Entity::delete_many()
        .filter(gone)
        .exec(&txn)
        .await?
        .rows_affected;
    let login_attempts =
        crate::sql::prune_login_attempts(&txn, Utc::now() - chrono(login_window)).await?;
    if sessions + tokens + login_attempts > 0 {
        txn.record(
            None,
            Change::new::<(), _>(
                AuditAction::SessionPrune,
                "session",
                "expired",
                None,
                Some(&serde_json::json!({
                    "sessions": sessions,
                    "refresh_tokens": tokens,
                    "ended_before": cutoff,
                    "login_attempts": login_attempts,
                })),
            )?,
        );
    }
    txn.commit().await?;
    Ok(Pruned {
        sessions,
        refresh_tokens: tokens,
        login_attempts,
    })
}

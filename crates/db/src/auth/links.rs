//! Invitations and password resets (issue 17): single-use links that set an account's
//! password.
//!
//! A link carries a 256-bit random token (`wpti_` for an invitation, `wptp_` for a
//! reset); only its SHA-256 is stored (`account_tokens`). An invitation lasts 72 hours,
//! a reset 30 minutes; either works once, and setting the password uses up every other
//! link of the account, ends every session and revokes every API token.
//!
//! Asking for a reset never tells whether the address has an account: the answer is
//! the same and given at once ([`request_reset_in_background`]), and the message (a
//! [`NoticeKind::PasswordReset`] to the bare address, so never in anyone's inbox) is
//! the only difference. An account gets at most [`RESETS_PER_HOUR`] links an hour; the
//! API also limits requests per client address.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::ValidationErrors;
use wpt_domain::actor::AdminGrant;
use wpt_domain::models::User;
use wpt_domain::validation::{check_password, normalize_email};

use crate::audit::{AuditAction, Change};
use crate::auth::{PasswordHasher, sessions, tokens};
use crate::entities::{account_token, user};
use crate::notify::{Notice, NoticeKind, Recipients};
use crate::users::NewUser;
use crate::{Database, DbError, DbResult, Write};

/// How long an invitation works.
pub const INVITATION_TTL: Duration = Duration::hours(72);
/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::minutes(30);
/// Reset links one account gets per hour; further requests are answered the same way
/// and send nothing.
pub const RESETS_PER_HOUR: u64 = 3;
/// What every request for a reset is answered, whatever the address.
pub const ACCEPTED_MESSAGE: &str = "If an account has this address, a link to reset its password is on its way. It works once, for 30 minutes.";
/// The page a link opens.
pub const LINK_PATH: &str = "/ui/reset";

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new account's first password.
    Invitation,
    /// A forgotten password.
    Reset,
}

impl Purpose {
    /// As stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reset => "reset",
        }
    }

    const fn prefix(self) -> &'static str {
        match self {
            Self::Invitation => "wpti_",
            Self::Reset => "wptp_",
        }
    }

    const fn ttl(self) -> Duration {
        match self {
            Self::Invitation => INVITATION_TTL,
            Self::Reset => RESET_TTL,
        }
    }
}

/// An invitation made with a new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The link that sets the password (absolute, from `WPT_PUBLIC_URL`).
    pub link: String,
    /// Until when it works.
    pub expires_at: DateTime<Utc>,
    /// Whether it was queued as mail (`WPT_SMTP_URL` set); if not, the administrator
    /// must pass the link on, and it is shown this once.
    pub mailed: bool,
}

/// The link of `token`, as the person opens it.
fn link(db: &Database, token: &str) -> String {
    db.mail_config()
        .absolute(&format!("{LINK_PATH}?token={token}"))
}

/// Stores a new link for `user_id` in `txn`; the token, to send or show once.
async fn issue(
    txn: &Write,
    user_id: Uuid,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> DbResult<DateTime<Utc>> {
    let expires_at = now + purpose.ttl();
    account_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(tokens::hash(token)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&**txn)
    .await?;
    Ok(expires_at)
}

/// Creates an account without a password and invites it: a link (72 hours, single
/// use) sent to its address, or, without mail, returned to be shown once. Until the
/// link is used the account has a random password nobody knows.
pub async fn invite(
    db: &Database,
    hasher: &PasswordHasher,
    grant: &AdminGrant,
    mut input: NewUser,
) -> DbResult<(User, Invitation)> {
    let mut errors = ValidationErrors::new();
    crate::users::check_new(&mut errors, &input);
    errors.finish()?;
    let unknown = tokens::generate_password()?;
    let hash = hasher.hash(&unknown).await?;
    input.password = String::new();
    let (mut txn, created) = crate::users::insert_account(db, grant, input, hash).await?;
    let token = tokens::generate(Purpose::Invitation.prefix())?;
    let now = Utc::now();
    let expires_at = issue(&txn, created.id, Purpose::Invitation, &token, now).await?;
    let link = link(db, &token);
    let mailed = db.mail_config().sending;
    txn.notify(Notice {
        kind: NoticeKind::Invitation,
        to: Recipients::Address(created.email.clone()),
        subject: "You are invited to the Work Plan Tracker".to_owned(),
        text: format!(
            "An administrator created an account for you ({}), as {}.\n\n\
             Open the link below to choose your password. It works once, until {} UTC.",
            created.email,
            created.role,
            expires_at.format("%-d %b %Y %H:%M"),
        ),
        link: link.clone(),
        dedupe_key: None,
    });
    txn.commit().await?;
    Ok((
        created,
        Invitation {
            link,
            expires_at,
            mailed,
        },
    ))
}

/// `POST /auth/password-reset`: sends a reset link to `email` if it is an active
/// account's and the account has had fewer than [`RESETS_PER_HOUR`] links in the last
/// hour; otherwise does nothing. The caller answers the same either way. Only a
/// malformed address is refused (422), which says nothing about accounts.
pub async fn request_reset(db: &Database, email: &str, now: DateTime<Utc>) -> DbResult<()> {
    let mut errors = ValidationErrors::new();
    let email = normalize_email(&mut errors, "email", email);
    errors.finish()?;
    // The same work whether or not the account exists: a token made and hashed.
    let token = tokens::generate(Purpose::Reset.prefix())?;
    let _ = tokens::hash(&token);
    let Some(row) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .filter(user::Column::Active.eq(true))
        .one(db.conn())
        .await?
    else {
        return Ok(());
    };
    let mut txn = db.write().await?;
    // Counted inside the write, the account's row locked first on PostgreSQL (SQLite's
    // write lock serializes already), so that concurrent requests cannot all pass the
    // limit.
    if db.backend() == crate::Backend::Postgres {
        user::Entity::find_by_id(row.id)
            .lock(sea_orm::sea_query::LockType::Update)
            .one(&*txn)
            .await?;
    }
    let recent = account_token::Entity::find()
        .filter(account_token::Column::UserId.eq(row.id))
        .filter(account_token::Column::Purpose.eq(Purpose::Reset.as_str()))
        .filter(account_token::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&*txn)
        .await?;
    if recent >= RESETS_PER_HOUR {
        tracing::info!(user = %row.id, "password reset not sent: the account's hourly limit");
        return Ok(());
    }
    let expires_at = issue(&txn, row.id, Purpose::Reset, &token, now).await?;
    txn.notify(Notice {
        kind: NoticeKind::PasswordReset,
        to: Recipients::Address(row.email.clone()),
        subject: "Reset your password".to_owned(),
        text: format!(
            "Someone (we hope you) asked to reset the password of {} on the Work Plan Tracker.\n\n\
             Open the link below to choose a new one. It works once, until {} UTC. \
             If you did not ask, ignore this message: your password stays as it is.",
            row.email,
            expires_at.format("%-d %b %Y %H:%M"),
        ),
        link: link(db, &token),
        dedupe_key: None,
    });
    txn.commit().await?;
    Ok(())
}

/// The answer to a reset request must not depend on whether the address has an
/// account, not even by its timing: checks only that `email` is an address (422
/// otherwise), then runs [`request_reset`] in a spawned task and returns at once.
/// Errors of the background work are logged. Needs a tokio runtime.
pub fn request_reset_in_background(db: &Database, email: &str) -> DbResult<()> {
    let mut errors = ValidationErrors::new();
    let email = normalize_email(&mut errors, "email", email);
    errors.finish()?;
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(e) = request_reset(&db, &email, Utc::now()).await {
            tracing::error!(error = %e, "password reset request failed");
        }
    });
    Ok(())
}

/// Uses up every unused link (invitation or reset) of `user_id`, in `txn`: called
/// wherever the account's password or email changes or the account is deactivated,
/// so that no link sent before outlives the change.
pub async fn use_up_all(
    txn: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<()> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The account a still-valid link belongs to, for the page that asks for the new
/// password; [`DbError::Validation`] on `token` when it is unknown, used or expired.
pub async fn check(db: &Database, token: &str, now: DateTime<Utc>) -> DbResult<User> {
    let row = valid(db.conn(), token, now).await?;
    crate::users::get(db, row.user_id).await
}

fn unusable() -> DbError {
    let mut errors = ValidationErrors::new();
    errors.add(
        "token",
        "this link is not valid: it was used already, it expired, or it was mistyped; ask for a new one",
    );
    DbError::Validation(errors)
}

async fn valid(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> DbResult<account_token::Model> {
    if token.len() > 200 || !token.starts_with("wpt") {
        return Err(unusable());
    }
    let row = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(tokens::hash(token)))
        .one(db)
        .await?
        .ok_or_else(unusable)?;
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(unusable());
    }
    Ok(row)
}

/// `POST /auth/password-reset/confirm` and the reset page: sets the password of the
/// link's account (hashed off the async threads), uses up the link and every other
/// link of the account, ends every session and revokes every API token. Audited
/// (`user.password_reset`, by the account itself). Returns the account's id.
pub async fn confirm(
    db: &Database,
    hasher: &PasswordHasher,
    token: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> DbResult<Uuid> {
    let mut errors = ValidationErrors::new();
    check_password(&mut errors, "new_password", new_password);
    errors.finish()?;
    let found = valid(db.conn(), token, now).await?;
    let hash = hasher.hash(new_password).await?;
    let mut txn = db.write().await?;
    // Used once: the conditional update decides between two confirmations racing.
    let used = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(found.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(&*txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(unusable());
    }
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(found.user_id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(&*txn)
        .await?;
    let row = user::Entity::find_by_id(found.user_id)
        .one(&*txn)
        .await?
        .filter(|u| u.active)
        .ok_or_else(unusable)?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::Version, Expr::value(row.version + 1))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    let via = if found.purpose == Purpose::Invitation.as_str() {
        "invitation"
    } else {
        "reset_link"
    };
    sessions::revoke_all(&mut txn, row.id, None, "password_reset", Some(row.id)).await?;
    crate::api_tokens::revoke_all(&mut txn, row.id, "password_reset", Some(row.id)).await?;
    txn.record(
        Some(row.id),
        Change::new::<(), _>(
            AuditAction::UserPasswordReset,
            "user",
            row.id,
            None,
            Some(&serde_json::json!({
                "via": via,
                "all_sessions_ended": true,
                "api_tokens_revoked": true,
            })),
        )?,
    );
    txn.commit().await?;
    Ok(row.id)
}

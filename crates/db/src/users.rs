//! User accounts: administration, one's own password, and the first administrator.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;
use wpt_domain::actor::{AdminGrant, SelfGrant};
use wpt_domain::models::{Me, Page, User};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::{check_password, check_text, normalize_email};
use wpt_domain::{Actor, Grant, Role, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::auth::{Auth, PasswordHasher, sessions, tokens};
use crate::entities::user;
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, stored};

/// Input of `POST /users`.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Body code, required for officers only.
    pub body: Option<String>,
    /// Initial password (at least 12 characters).
    pub password: String,
}

/// Changes of `PATCH /users/{id}`; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New body: `Some(None)` clears it, `Some(Some(code))` sets it.
    pub body: Option<Option<String>>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// Filters of `GET /users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only officers of this body (code).
    pub body: Option<String>,
    /// Only active (`Some(true)`) or deactivated (`Some(false)`) accounts.
    pub active: Option<bool>,
    /// Only accounts whose email or name contains this text (any case).
    pub text: Option<String>,
}

/// `text` as a `LIKE` pattern that matches it anywhere, its `%`, `_` and backslash
/// taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn to_model(row: user::Model, codes: &HashMap<Uuid, String>) -> DbResult<User> {
    Ok(User {
        role: stored(&row.role)?,
        body: row.body_id.and_then(|id| codes.get(&id).cloned()),
        id: row.id,
        email: row.email,
        name: row.name,
        active: row.active,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn to_models(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<user::Model>,
) -> DbResult<Vec<User>> {
    let codes = crate::bodies::codes(db).await?;
    rows.into_iter().map(|r| to_model(r, &codes)).collect()
}

async fn body_id(db: &impl sea_orm::ConnectionTrait, code: &str, field: &str) -> DbResult<Uuid> {
    crate::bodies::id_by_code(db, code).await?.ok_or_else(|| {
        let mut e = ValidationErrors::new();
        e.add(field, format!("no sectoral body has the code {code:?}"));
        DbError::Validation(e)
    })
}

fn check_role_body(errors: &mut ValidationErrors, role: Role, body: Option<&str>) {
    match (role, body) {
        (Role::Officer, None) => errors.add("body", "is required for an officer"),
        (Role::Officer, Some(_)) | (_, None) => {}
        (_, Some(_)) => errors.add("body", "is only for officers; leave it out for this role"),
    }
}

/// Users ordered by email, two queries whatever the page size.
pub async fn list(db: &Database, filter: &UserFilter, page: &PageRequest) -> DbResult<Page<User>> {
    let mut cond = Condition::all();
    if let Some(role) = filter.role {
        cond = cond.add(user::Column::Role.eq(role.as_str()));
    }
    if let Some(code) = &filter.body {
        // A filter naming no body matches nothing, like any other filter value.
        match crate::bodies::id_by_code(db.conn(), code).await? {
            Some(id) => cond = cond.add(user::Column::BodyId.eq(id)),
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        }
    }
    if let Some(active) = filter.active {
        cond = cond.add(user::Column::Active.eq(active));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = contains_pattern(text);
        cond = cond.add(
            Condition::any()
                .add(
                    Expr::col(user::Column::Email)
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::Name)))
                        .like(LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    if let Some(after) = &page.after {
        cond = cond.add(user::Column::Email.gt(after.key.clone()));
    }
    let rows = user::Entity::find()
        .filter(cond)
        .order_by_asc(user::Column::Email)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |u| Cursor {
        key: u.email.clone(),
        id: u.id,
    })?;
    Ok(Page {
        items: to_models(db.conn(), page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// One user.
pub async fn get(db: &Database, id: Uuid) -> DbResult<User> {
    let row = user::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("user"))?;
    let mut users = to_models(db.conn(), vec![row]).await?;
    users.pop().ok_or(DbError::NotFound("user"))
}

/// Display names of the given users (for who-did-what columns); one query.
pub async fn names(
    db: &Database,
    ids: impl IntoIterator<Item = Uuid>,
) -> DbResult<std::collections::HashMap<Uuid, String>> {
    let ids: std::collections::BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The caller's own account.
pub async fn me(db: &Database, actor: &Actor) -> DbResult<Me> {
    let row = user::Entity::find_by_id(actor.user_id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("user"))?;
    Ok(Me {
        id: row.id,
        email: row.email,
        name: row.name,
        role: stored(&row.role)?,
        body: actor.body.as_ref().map(|b| b.code.clone()),
        time_zone: row.time_zone,
    })
}

/// Creates an account.
pub async fn create(
    db: &Database,
    hasher: &PasswordHasher,
    grant: &AdminGrant,
    input: NewUser,
) -> DbResult<User> {
    let mut errors = ValidationErrors::new();
    check_password(&mut errors, "password", &input.password);
    check_new(&mut errors, &input);
    errors.finish()?;
    let password_hash = hasher.hash(&input.password).await?;
    let (txn, created) = insert_account(db, grant, input, password_hash).await?;
    txn.commit().await?;
    Ok(created)
}

/// The checks of a new account other than its password.
pub(crate) fn check_new(errors: &mut ValidationErrors, input: &NewUser) {
    normalize_email(errors, "email", &input.email);
    check_text(errors, "name", &input.name, true, 200);
    check_role_body(errors, input.role, input.body.as_deref());
}

/// Inserts a checked account with `password_hash` and records it, in a write left open
/// for the caller to add to (an invitation) and commit.
pub(crate) async fn insert_account(
    db: &Database,
    grant: &AdminGrant,
    input: NewUser,
    password_hash: String,
) -> DbResult<(crate::Write, User)> {
    let mut errors = ValidationErrors::new();
    let email = normalize_email(&mut errors, "email", &input.email);
    errors.finish()?;
    let mut txn = db.write().await?;
    let body_id = match &input.body {
        Some(code) => Some(body_id(&txn, code, "body").await?),
        None => None,
    };
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(DbError::Conflict(format!(
            "an account with the email {email} exists"
        )));
    }
    let now = Utc::now();
    let row = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        name: Set(input.name.trim().to_owned()),
        role: Set(input.role.as_str().to_owned()),
        body_id: Set(body_id),
        active: Set(true),
        password_hash: Set(password_hash),
        time_zone: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let created = to_models(&txn, vec![row]).await?.remove(0);
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::UserCreate,
            "user",
            created.id,
            None,
            Some(&created),
        )?,
    );
    Ok((txn, created))
}

async fn active_admins_other_than(txn: &DatabaseTransaction, id: Uuid) -> DbResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Id.ne(id))
        .count(txn)
        .await?)
}

/// Applies a patch if the account is still at `expected_version`.
pub async fn update(
    db: &Database,
    grant: &AdminGrant,
    id: Uuid,
    expected_version: i32,
    patch: UserPatch,
) -> DbResult<User> {
    let mut errors = ValidationErrors::new();
    if let Some(name) = &patch.name {
        check_text(&mut errors, "name", name, true, 200);
    }
    errors.finish()?;

    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<user::Entity>(id, expected_version, "user")
        .await?;
    let before = to_models(&txn, vec![row.clone()]).await?.remove(0);
    let role = patch.role.unwrap_or(before.role);
    // Changing an officer to another role drops the body unless the patch says otherwise.
    let body_code = match &patch.body {
        Some(b) => b.clone(),
        None if role == Role::Officer => before.body.clone(),
        None => None,
    };
    let mut errors = ValidationErrors::new();
    check_role_body(&mut errors, role, body_code.as_deref());
    errors.finish()?;
    let body_id = match &body_code {
        Some(code) => Some(body_id(&txn, code, "body").await?),
        None => None,
    };
    let active = patch.active.unwrap_or(row.active);
    let loses_admin =
        before.role == Role::Admin && before.active && (role != Role::Admin || !active);
    if loses_admin && active_admins_other_than(&txn, id).await? == 0 {
        return Err(DbError::Conflict(
            "this is the last active administrator; make another one first".into(),
        ));
    }
    let now = Utc::now();
    let update = user::ActiveModel {
        name: Set(patch
            .name
            .as_deref()
            .map_or(row.name.clone(), |n| n.trim().to_owned())),
        role: Set(role.as_str().to_owned()),
        body_id: Set(body_id),
        active: Set(active),
        updated_at: Set(now),
        ..Default::default()
    };
    txn.update_versioned(update, id, expected_version).await?;
    if row.active && !active {
        crate::auth::links::use_up_all(&*txn, id, now).await?;
        sessions::revoke_all(&mut txn, id, None, "deactivated", grant.actor_id()).await?;
        crate::api_tokens::revoke_all(&mut txn, id, "deactivated", grant.actor_id()).await?;
    }
    let after_row = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("user"))?;
    let after = to_models(&txn, vec![after_row]).await?.remove(0);
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::UserUpdate,
            "user",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Changes one's own password after checking the current one; ends every other session
/// and revokes every API token of the account.
///
/// The current password is checked under the login limits, counted for the account and
/// `client` ([`throttle`](crate::auth::throttle)): a stolen session cannot guess it
/// without limit (403 until the budget is spent, then 429).
pub async fn change_own_password(
    db: &Database,
    auth: &Auth,
    grant: &SelfGrant,
    keep_session: Option<Uuid>,
    current: &str,
    new: &str,
    client: std::net::IpAddr,
) -> DbResult<()> {
    let mut errors = ValidationErrors::new();
    check_password(&mut errors, "new_password", new);
    errors.finish()?;
    let (row, recorded) = user::Entity::find_by_id(grant.user_id())
        .find_also_related(crate::entities::login_failure::Entity)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("user"))?;
    let attempt =
        crate::auth::throttle::Attempt::admit(db, auth, row.id, recorded.as_ref(), client).await?;
    if !auth
        .hasher
        .verify(current, Some(&row.password_hash))
        .await?
    {
        attempt.failed(db, auth).await?;
        return Err(DbError::Forbidden(
            "current_password is not the account's password".into(),
        ));
    }
    attempt.succeeded(db).await?;
    let hash = auth.hasher.hash(new).await?;
    let mut txn = db.write().await?;
    set_password_hash(&txn, &row, hash).await?;
    sessions::revoke_all(
        &mut txn,
        row.id,
        keep_session,
        "password_changed",
        grant.actor_id(),
    )
    .await?;
    // A changed password means the old one may have been known: its API tokens go too.
    crate::api_tokens::revoke_all(&mut txn, row.id, "password_changed", grant.actor_id()).await?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::UserPasswordChange,
            "user",
            row.id,
            None,
            Some(&serde_json::json!({ "other_sessions_ended": true, "api_tokens_revoked": true })),
        )?,
    );
    txn.commit().await?;
    Ok(())
}

async fn set_password_hash(
    txn: &DatabaseTransaction,
    row: &user::Model,
    hash: String,
) -> DbResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::Version, Expr::value(row.version + 1))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    // Links sent before the change must not set the password again.
    crate::auth::links::use_up_all(txn, row.id, Utc::now()).await?;
    Ok(())
}

/// The operator's `wpt user set-password`: sets a password, ends every session and
/// revokes every API token.
pub async fn set_password(
    db: &Database,
    hasher: &PasswordHasher,
    grant: &AdminGrant,
    email: &str,
    password: &str,
) -> DbResult<()> {
    let mut errors = ValidationErrors::new();
    let email = normalize_email(&mut errors, "email", email);
    check_password(&mut errors, "password", password);
    errors.finish()?;
    let hash = hasher.hash(password).await?;
    let mut txn = db.write().await?;
    let row = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("user"))?;
    set_password_hash(&txn, &row, hash).await?;
    sessions::revoke_all(&mut txn, row.id, None, "password_reset", grant.actor_id()).await?;
    crate::api_tokens::revoke_all(&mut txn, row.id, "password_reset", grant.actor_id()).await?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::UserPasswordReset,
            "user",
            row.id,
            None,
            Some(&serde_json::json!({ "all_sessions_ended": true, "api_tokens_revoked": true })),
        )?,
    );
    txn.commit().await?;
    Ok(())
}

/// An administrator's reset of another account's password, if the account is still at
/// `expected_version` (the page's form carries it, as `If-Match` would): a new
/// password is generated and returned this once, every session of the account ends and
/// every API token is revoked. Audited (`user.password_reset`).
pub async fn reset_password(
    db: &Database,
    hasher: &PasswordHasher,
    grant: &AdminGrant,
    id: Uuid,
    expected_version: i32,
) -> DbResult<(User, String)> {
    let password = tokens::generate_password()?;
    let hash = hasher.hash(&password).await?;
    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<user::Entity>(id, expected_version, "user")
        .await?;
    txn.update_versioned(
        user::ActiveModel {
            password_hash: Set(hash),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        id,
        expected_version,
    )
    .await?;
    crate::auth::links::use_up_all(&*txn, row.id, Utc::now()).await?;
    sessions::revoke_all(&mut txn, row.id, None, "password_reset", grant.actor_id()).await?;
    crate::api_tokens::revoke_all(&mut txn, row.id, "password_reset", grant.actor_id()).await?;
    let after_row = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("user"))?;
    let after = to_models(&txn, vec![after_row]).await?.remove(0);
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::UserPasswordReset,
            "user",
            row.id,
            None,
            Some(&serde_json::json!({ "all_sessions_ended": true, "api_tokens_revoked": true })),
        )?,
    );
    txn.commit().await?;
    Ok((after, password))
}

/// What [`ensure_first_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAdmin {
    /// An active administrator exists already; nothing was done.
    Exists,
    /// There is no active administrator, but the configured email belongs to another
    /// account (deactivated, or of another role), which is left as it is: the operator
    /// chooses another `WPT_ADMIN_EMAIL`, or uses `wpt user create --role admin`.
    EmailTaken {
        /// The configured email.
        email: String,
    },
    /// Created with the configured password.
    Created {
        /// Its email.
        email: String,
    },
    /// Created with a generated password, to be shown once to the operator.
    Generated {
        /// Its email.
        email: String,
        /// The password; print it to the terminal, never to the log.
        password: String,
    },
}

/// On a database without an active administrator (none at all, or only other
/// accounts: the demo's, an import's, `wpt user create` of another role), creates one.
pub async fn ensure_first_admin(
    db: &Database,
    hasher: &PasswordHasher,
    email: &str,
    password: Option<&str>,
) -> DbResult<FirstAdmin> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Active.eq(true))
        .count(db.conn())
        .await?;
    if admins > 0 {
        return Ok(FirstAdmin::Exists);
    }
    let (password, generated) = match password {
        Some(p) => (p.to_owned(), false),
        None => (tokens::generate_password()?, true),
    };
    let input = NewUser {
        email: email.to_owned(),
        name: "Administrator".into(),
        role: Role::Admin,
        body: None,
        password: password.clone(),
    };
    match create(db, hasher, &AdminGrant::system(), input).await {
        Ok(u) if generated => Ok(FirstAdmin::Generated {
            email: u.email,
            password,
        }),
        Ok(u) => Ok(FirstAdmin::Created { email: u.email }),
        // Another instance created it between our count and our insert, or the email
        // is another account's.
        Err(DbError::Conflict(_)) => {
            let normalized = email.trim().to_lowercase();
            let admin = user::Entity::find()
                .filter(user::Column::Email.eq(&normalized))
                .filter(user::Column::Role.eq(Role::Admin.as_str()))
                .filter(user::Column::Active.eq(true))
                .count(db.conn())
                .await?;
            if admin > 0 {
                Ok(FirstAdmin::Exists)
            } else {
                Ok(FirstAdmin::EmailTaken { email: normalized })
            }
        }
        Err(e) => Err(e),
    }
}

//! `/users`: account administration (administrators only).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_db::users::{NewUser, UserFilter, UserPatch};
use wpt_domain::Role;
use wpt_domain::models::{Page, User};
use wpt_domain::page::PageRequest;

use crate::auth::{CurrentActor, IfMatch};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::{AppState, etag};

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only this role.
    #[param(inline)]
    pub role: Option<Role>,
    /// Only officers of this body (its code).
    pub body: Option<String>,
    /// Rows per page, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Opaque: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List users
///
/// Every account, ordered by email, with role, body and whether it may log in; never a
/// password hash.
///
/// Who may call: administrators only (403 for everyone else). Changes nothing.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    security(("bearer" = [])),
    params(UserQuery),
    responses(
        (status = 200, description = "A page of users, ordered by email", body = Page<User>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(q): Query<UserQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    actor.administer()?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = UserFilter {
        role: q.role,
        body: q.body,
        ..UserFilter::default()
    };
    Ok(Json(wpt_db::users::list(&state.db, &filter, &page).await?))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login email, unique (any case).
    #[schema(example = "officer.somhd@demo.wpt", max_length = 320)]
    pub email: String,
    /// Display name.
    #[schema(example = "SOMHD focal point", max_length = 200)]
    pub name: String,
    /// Role.
    pub role: Role,
    /// The body's code; required for officers, refused for other roles.
    #[schema(example = "SOMHD")]
    pub body: Option<String>,
    /// Initial password, at least 12 characters. Leave it out to invite the person
    /// instead: a link that lets them choose it (72 hours, single use).
    #[schema(format = Password, min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

/// The invitation of an account created without a password.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct InvitationSent {
    /// Whether it was queued as e-mail to the account's address. When `false` (mail is
    /// off), pass `link` on yourself: it is shown this once and never again.
    pub mailed: bool,
    /// The link that sets the password; only when not mailed.
    #[schema(
        example = "https://wpt.example.org/ui/reset?token=wpti_Vb3Nq8Ls1Kx6Dw0Fh4Jz9Pc2Tm7Yr5Ge3Ua8So1Il6E"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Until when the link works.
    #[schema(example = "2026-12-05T09:00:00Z")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A new account, with its invitation when created without a password.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CreatedUser {
    /// The account.
    #[serde(flatten)]
    pub user: User,
    /// Present when the account was created without a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationSent>,
}

/// Create a user
///
/// Creates an account with an initial password, or without one: then the person is
/// invited (a link, 72 hours, single use, that lets them choose it) by e-mail, or,
/// when mail is off, the answer carries the link this once for the administrator to
/// pass on. An officer needs their body's code; every other role must have none.
///
/// Who may call: administrators only (403 for everyone else). Changes: adds the
/// account; audited; an invitation message when created without a password.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created (with its invitation when there was no password)", body = CreatedUser,
            headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new user"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(input): Json<CreateUser>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let invited = input.password.is_none();
    let new = NewUser {
        email: input.email,
        name: input.name,
        role: input.role,
        body: input.body,
        password: input.password.unwrap_or_default(),
    };
    let (user, invitation) = if invited {
        let (user, inv) =
            wpt_db::auth::links::invite(&state.db, &state.auth.hasher, &grant, new).await?;
        let sent = InvitationSent {
            mailed: inv.mailed,
            link: (!inv.mailed).then_some(inv.link),
            expires_at: inv.expires_at,
        };
        (user, Some(sent))
    } else {
        let user = wpt_db::users::create(&state.db, &state.auth.hasher, &grant, new).await?;
        (user, None)
    };
    let location =
        HeaderValue::from_str(&format!("/api/v1/users/{}", user.id)).map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        [
            (header::ETAG, etag::etag(user.version)),
            (header::LOCATION, location),
        ],
        Json(CreatedUser { user, invitation }),
    )
        .into_response())
}

/// Get a user
///
/// One account by id, with its `ETag`.
///
/// Who may call: administrators only (403 for everyone else). Changes nothing.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = User, headers(("ETag" = String, description = "The version"))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    actor.administer()?;
    let user = wpt_db::users::get(&state.db, id).await?;
    Ok(etag::versioned(&headers, user.version, user))
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "DGICM focal point (Immigration, Jakarta)"}))]
pub struct UpdateUser {
    /// New display name.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// New role. Changing an officer to another role clears its body.
    pub role: Option<Role>,
    /// New body code (officers only); `null` clears it.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    /// `false` deactivates the account and ends all its sessions at once.
    pub active: Option<bool>,
}

/// Update a user
///
/// Requires `If-Match` with the user's current `ETag`.
///
/// Who may call: administrators only (403 for everyone else). Changes: the account's
/// name, role, body or `active`; deactivating ends all its sessions at once. Audited.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("If-Match" = String, Header, description = "The ETag last read"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Updated", body = User, headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave no active administrator", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    IfMatch(version): IfMatch,
    Json(input): Json<UpdateUser>,
) -> Result<Response, ApiError> {
    let grant = actor.administer()?;
    let patch = UserPatch {
        name: input.name,
        role: input.role,
        body: input.body,
        active: input.active,
    };
    let user = wpt_db::users::update(&state.db, &grant, id, version, patch).await?;
    Ok(([(header::ETAG, etag::etag(user.version))], Json(user)).into_response())
}

//! `/ui/admin/users`: administrators list, create and change accounts through the same
//! use cases as `GET/POST /api/v1/users` and `PATCH /api/v1/users/{id}`
//! (`wpt_db::users`), and reset a password (`wpt_db::users::reset_password`, the
//! administrator's counterpart of `wpt user set-password`).
//!
//! A new account's password, and a reset one, is generated and shown once on the page
//! that answers the form (until e-mail exists). Every form that changes an account
//! carries the version it was opened at, as the API's `If-Match` does: a form of an
//! older version is refused ("changed by someone else") and the page shows the current
//! values, never overwriting silently. The last active administrator cannot be
//! deactivated or given another role (the use case refuses; the page says so).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::users::{NewUser, UserFilter, UserPatch};
use wpt_domain::Role;
use wpt_domain::models::User;
use wpt_domain::page::PageRequest;

use crate::html::{FormData, PageError, Section, page, role_word, when};
use crate::session::Viewer;

/// Accounts per page of the list.
const PAGE_SIZE: i64 = 50;

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A role as a form sent it; blank is none.
fn parse_role(value: &str) -> Result<Option<Role>, PageError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<Role>().map(Some).map_err(|_| {
        PageError::invalid(
            "role",
            "must be administrator, secretariat, officer or viewer",
        )
    })
}

/// The codes of every sectoral body, for the body choices (one query).
async fn body_codes(state: &AppState) -> Result<Vec<String>, PageError> {
    let all = PageRequest::parse(Some(200), None).map_err(DbError::Validation)?;
    Ok(wpt_db::bodies::list(&state.db, &all)
        .await?
        .items
        .into_iter()
        .map(|b| b.code)
        .collect())
}

fn role_select(id: &str, selected: &str, any: bool) -> Markup {
    html! {
        select id=(id) name="role" {
            @if any { option value="" { "Any role" } }
            @for r in Role::ALL {
                option value=(r.as_str()) selected[selected == r.as_str()] { (role_word(*r)) }
            }
        }
    }
}

fn body_select(id: &str, bodies: &[String], selected: &str, none: &str) -> Markup {
    html! {
        select id=(id) name="body" {
            option value="" { (none) }
            @for b in bodies {
                option value=(b) selected[selected == b] { (b) }
            }
        }
    }
}

/// What the list was asked with (a GET form: every field may be blank).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    role: Option<String>,
    body: Option<String>,
    active: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

/// `GET /ui/admin/users` (administrators): the accounts, filtered, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let role = parse_role(non_empty(&q.role).unwrap_or(""))?;
    let active = match non_empty(&q.active) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(PageError::invalid("active", "must be true or false")),
    };
    let request =
        PageRequest::parse(Some(PAGE_SIZE), non_empty(&q.cursor)).map_err(DbError::Validation)?;
    let filter = UserFilter {
        role,
        body: non_empty(&q.body).map(str::to_owned),
        active,
        text: non_empty(&q.q).map(str::to_owned),
    };
    let users = wpt_db::users::list(&state.db, &filter, &request).await?;
    let bodies = body_codes(&state).await?;
    let next_link = users.next_cursor.as_ref().map(|c| {
        let next = ListQuery {
            role: non_empty(&q.role).map(str::to_owned),
            body: non_empty(&q.body).map(str::to_owned),
            active: non_empty(&q.active).map(str::to_owned),
            q: non_empty(&q.q).map(str::to_owned),
            cursor: Some(c.clone()),
        };
        format!(
            "/ui/admin/users?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let active_value = non_empty(&q.active).unwrap_or("");
    let body = html! {
        p.actions { a.button href="/ui/admin/users/new" { "Create an account" } }
        form.filters method="get" action="/ui/admin/users" role="search" aria-label="Filter accounts" {
            label for="filter-role" { "Role" (role_select("filter-role", non_empty(&q.role).unwrap_or(""), true)) }
            label for="filter-body" { "Body" (body_select("filter-body", &bodies, non_empty(&q.body).unwrap_or(""), "Any body")) }
            label for="filter-active" { "State"
                select #filter-active name="active" {
                    option value="" { "Active and deactivated" }
                    option value="true" selected[active_value == "true"] { "Active only" }
                    option value="false" selected[active_value == "false"] { "Deactivated only" }
                }
            }
            label for="filter-q" { "Name or email contains"
                input #filter-q type="search" name="q" value=[non_empty(&q.q)] maxlength="200";
            }
            button type="submit" { "Apply filters" }
            a href="/ui/admin/users" { "Clear" }
        }
        table #users .cards {
            caption {
                (users.items.len()) " accounts"
                @if users.next_cursor.is_some() || q.cursor.is_some() { " on this page" }
                ", by email"
            }
            thead {
                tr {
                    th scope="col" { "Account" }
                    th scope="col" { "Role" }
                    th scope="col" { "Body" }
                    th scope="col" { "State" }
                }
            }
            tbody {
                @for u in &users.items {
                    tr {
                        td {
                            a href={"/ui/admin/users/" (u.id)} { (u.name) }
                            br;
                            span.muted { (u.email) }
                        }
                        td data-label="Role" { (role_word(u.role)) }
                        td data-label="Body" { (u.body.as_deref().unwrap_or("—")) }
                        td data-label="State" { @if u.active { "Active" } @else { strong { "Deactivated" } } }
                    }
                }
            }
        }
        @if users.items.is_empty() {
            p.notice { "No account matches these filters." }
        }
        @if let Some(link) = next_link {
            p { a href=(link) { "Next page" } }
        }
    };
    Ok(page(&viewer, Section::Accounts, "Accounts", body))
}

/// The new-account form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    body: String,
    /// `yes`: invite the person (a link to choose their password) instead of a
    /// generated password.
    #[serde(default)]
    invite: String,
}

fn new_page(
    viewer: &Viewer,
    bodies: &[String],
    form: &NewForm,
    error: Option<&PageError>,
) -> Markup {
    let field = |name: &str| error.and_then(|e| e.field(name));
    let problem = |name: &str| {
        html! { @if let Some(p) = field(name) { span.problem id={"new-" (name) "-problem"} { (p) } } }
    };
    let role = if form.role.is_empty() {
        Role::Officer.as_str()
    } else {
        form.role.as_str()
    };
    page(
        viewer,
        Section::Accounts,
        "Create an account",
        html! {
            p { a href="/ui/admin/users" { "All accounts" } }
            form.stack #new-user method="post" action="/ui/admin/users" {
                @if let Some(e) = error { (e.alert()) }
                label for="new-email" { "Email (required; the login)" }
                (problem("email"))
                input #new-email type="email" name="email" value=(form.email) required maxlength="320" autocomplete="off"
                    aria-invalid=[field("email").map(|_| "true")];
                label for="new-name" { "Name (required)" }
                (problem("name"))
                input #new-name type="text" name="name" value=(form.name) required maxlength="200"
                    aria-invalid=[field("name").map(|_| "true")];
                label for="new-role" { "Role (required)" }
                (problem("role"))
                (role_select("new-role", role, false))
                label for="new-body" { "Body (required for an officer; none for every other role)" }
                (problem("body"))
                (body_select("new-body", bodies, &form.body, "None"))
                div.field {
                    label {
                        input #new-invite type="checkbox" name="invite" value="yes" checked[form.invite == "yes"];
                        " Invite the person to choose their own password (a link, 72 hours, single use)"
                    }
                }
                p.hint { "Without an invitation, a password is generated and shown once on the next page: give it to the person, who changes it under My account. With one, the link goes to the email address; when mail is off, it is shown once on the next page for you to pass on." }
                button type="submit" { "Create account" }
            }
        },
    )
}

/// `GET /ui/admin/users/new` (administrators).
pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let bodies = body_codes(&state).await?;
    Ok(new_page(&viewer, &bodies, &NewForm::default(), None))
}

/// The page that shows a generated password, once.
fn password_page(viewer: &Viewer, title: &str, user: &User, password: &str, lead: &str) -> Markup {
    page(
        viewer,
        Section::Accounts,
        title,
        html! {
            p.notice role="status" tabindex="-1" autofocus { (lead) }
            dl.facts {
                dt { "Email (login)" } dd #shown-email { (user.email) }
                dt { "Name" } dd { (user.name) }
                dt { "Role" } dd { (role_word(user.role)) }
                @if let Some(b) = &user.body { dt { "Body" } dd { (b) } }
                dt { "Password" } dd { code #shown-password .secret { (password) } }
            }
            p { strong { "This password is shown only now." } " Give it to the person (not by the same channel as the email, if you can); they change it under My account after logging in." }
            p { a href={"/ui/admin/users/" (user.id)} { "The account" } " · " a href="/ui/admin/users" { "All accounts" } }
        },
    )
}

/// The page after an invitation: sent by mail, or the link shown once.
fn invitation_page(
    viewer: &Viewer,
    user: &User,
    invitation: &wpt_db::auth::links::Invitation,
) -> Markup {
    let until = crate::time::moment(invitation.expires_at);
    page(
        viewer,
        Section::Accounts,
        "Account created, invitation made",
        html! {
            @if invitation.mailed {
                p.notice role="status" tabindex="-1" autofocus { "The account is created and an invitation is on its way to " (user.email) ". The link works once, until " (until) "." }
            } @else {
                p.notice role="status" tabindex="-1" autofocus { "The account is created. Mail is off, so pass this invitation link on to the person yourself." }
            }
            dl.facts {
                dt { "Email (login)" } dd #shown-email { (user.email) }
                dt { "Name" } dd { (user.name) }
                dt { "Role" } dd { (role_word(user.role)) }
                @if let Some(b) = &user.body { dt { "Body" } dd { (b) } }
                @if !invitation.mailed {
                    dt { "Invitation link" } dd { code #shown-link .secret { (invitation.link) } }
                }
                dt { "Works until" } dd { (until) }
            }
            @if !invitation.mailed {
                p { strong { "This link is shown only now." } " It works once: the person opens it and chooses their password." }
            }
            p { a href={"/ui/admin/users/" (user.id)} { "The account" } " · " a href="/ui/admin/users" { "All accounts" } }
        },
    )
}

/// `POST /ui/admin/users` (administrators): creates the account with a generated
/// password, shown once on the page that answers.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    FormData(form): FormData<NewForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let role =
            parse_role(&form.role)?.ok_or_else(|| PageError::invalid("role", "is required"))?;
        let password = wpt_db::auth::tokens::generate_password()?;
        let input = NewUser {
            email: form.email.clone(),
            name: form.name.clone(),
            role,
            body: Some(form.body.trim().to_owned()).filter(|b| !b.is_empty()),
            password: password.clone(),
        };
        if form.invite == "yes" {
            let (user, invitation) =
                wpt_db::auth::links::invite(&state.db, &state.auth.hasher, &grant, input).await?;
            return Ok::<_, PageError>((user, Err(invitation)));
        }
        let user = wpt_db::users::create(&state.db, &state.auth.hasher, &grant, input).await?;
        Ok::<_, PageError>((user, Ok(password)))
    }
    .await;
    match result {
        Ok((user, Ok(password))) => (
            StatusCode::CREATED,
            password_page(
                &viewer,
                "Account created",
                &user,
                &password,
                "The account is created and can log in now.",
            ),
        )
            .into_response(),
        Ok((user, Err(invitation))) => (
            StatusCode::CREATED,
            invitation_page(&viewer, &user, &invitation),
        )
            .into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => match body_codes(&state).await {
            Ok(bodies) => (e.status, new_page(&viewer, &bodies, &form, Some(&e))).into_response(),
            Err(e) => e.into_response(),
        },
    }
}

/// The edit form, as typed; `version` is the account's version when the page was
/// opened (the page's `If-Match`).
#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    version: i32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    body: String,
}

/// The deactivate/reactivate form.
#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    version: i32,
    active: bool,
}

/// The reset-password form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    version: i32,
}

/// Which form of the account page an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Edit,
    Active,
    Password,
}

/// What the account page was asked with.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn account_page(
    viewer: &Viewer,
    bodies: &[String],
    user: &User,
    typed: Option<&EditForm>,
    notice: Option<&str>,
    error: Option<(Part, &PageError)>,
) -> Markup {
    let alert = |part: Part| match error {
        Some((p, e)) if p == part => Some(e.alert()),
        _ => None,
    };
    let field = |name: &str| match error {
        Some((Part::Edit, e)) => e.field(name),
        _ => None,
    };
    let problem = |name: &str| {
        html! { @if let Some(p) = field(name) { span.problem { (p) } } }
    };
    let (version, name, role, body) = match typed {
        Some(f) => (f.version, f.name.clone(), f.role.clone(), f.body.clone()),
        None => (
            user.version,
            user.name.clone(),
            user.role.as_str().to_owned(),
            user.body.clone().unwrap_or_default(),
        ),
    };
    let yourself = user.id == viewer.actor.user_id;
    page(
        viewer,
        Section::Accounts,
        &format!("Account: {}", user.name),
        html! {
            p { a href="/ui/admin/users" { "All accounts" } }
            @if let Some(n) = notice { p.notice role="status" tabindex="-1" autofocus { (n) } }
            dl.facts {
                dt { "Email (login)" } dd { (user.email) }
                dt { "Role" } dd { (role_word(user.role)) }
                @if let Some(b) = &user.body { dt { "Body" } dd { (b) } }
                dt { "State" } dd #account-state { @if user.active { "Active: may log in." } @else { "Deactivated: cannot log in." } }
                dt { "Created" } dd { (when(user.created_at)) }
                dt { "Last changed" } dd { (when(user.updated_at)) }
            }
            h2 { "Name, role and body" }
            form.stack #edit-user method="post" action={"/ui/admin/users/" (user.id)} {
                @if let Some(a) = alert(Part::Edit) { (a) }
                input type="hidden" name="version" value=(version);
                label for="edit-name" { "Name (required)" }
                (problem("name"))
                input #edit-name type="text" name="name" value=(name) required maxlength="200"
                    aria-invalid=[field("name").map(|_| "true")];
                label for="edit-role" { "Role (required)" }
                (problem("role"))
                (role_select("edit-role", &role, false))
                label for="edit-body" { "Body (required for an officer; none for every other role)" }
                (problem("body"))
                (body_select("edit-body", bodies, &body, "None"))
                button type="submit" { "Save" }
            }
            h2 { @if user.active { "Deactivate" } @else { "Reactivate" } }
            form.stack #active-user method="post" action={"/ui/admin/users/" (user.id) "/active"} {
                @if let Some(a) = alert(Part::Active) { (a) }
                input type="hidden" name="version" value=(user.version);
                @if user.active {
                    input type="hidden" name="active" value="false";
                    p.hint {
                        "A deactivated account cannot log in; its sessions end and its API tokens are revoked at once. "
                        "The last active administrator cannot be deactivated."
                        @if yourself { " This is your own account: you would be logged out." }
                    }
                    button.danger type="submit" { "Deactivate account" }
                } @else {
                    input type="hidden" name="active" value="true";
                    p.hint { "The account may log in again with its password (reset it below if it is not known)." }
                    button type="submit" { "Reactivate account" }
                }
            }
            h2 { "Reset the password" }
            form.stack #reset-password method="post" action={"/ui/admin/users/" (user.id) "/password"} {
                @if let Some(a) = alert(Part::Password) { (a) }
                input type="hidden" name="version" value=(user.version);
                p.hint { "A new password is generated and shown once; the old one stops working, every session of the account ends and its API tokens are revoked." }
                button.secondary type="submit" { "Reset password" }
            }
        },
    )
}

/// The account page again after a refused form: a stale form shows the current values
/// with the reason; any other refusal keeps what was typed in the edit form.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    part: Part,
    typed: Option<&EditForm>,
    mut error: PageError,
) -> Response {
    if error.status == StatusCode::FORBIDDEN || error.status == StatusCode::NOT_FOUND {
        return error.into_response();
    }
    let stale = error.status == StatusCode::PRECONDITION_FAILED;
    if stale {
        error.message = "Changed by someone else since you opened this page: nothing was saved. These are the current values; make your change again if it is still needed.".into();
    }
    let user = match wpt_db::users::get(&state.db, id).await {
        Ok(u) => u,
        Err(e) => return PageError::from(e).into_response(),
    };
    let bodies = match body_codes(state).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let typed = if stale { None } else { typed };
    (
        error.status,
        account_page(viewer, &bodies, &user, typed, None, Some((part, &error))),
    )
        .into_response()
}

/// `GET /ui/admin/users/{id}` (administrators).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let user = wpt_db::users::get(&state.db, id).await?;
    let bodies = body_codes(&state).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("Saved."),
        Some("deactivated") => Some(
            "Deactivated: the account cannot log in, its sessions ended and its API tokens are revoked.",
        ),
        Some("reactivated") => Some("Reactivated: the account may log in again."),
        _ => None,
    };
    Ok(account_page(&viewer, &bodies, &user, None, notice, None))
}

/// `POST /ui/admin/users/{id}` (administrators): name, role and body, at the version
/// the form was opened at.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<EditForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let role =
            parse_role(&form.role)?.ok_or_else(|| PageError::invalid("role", "is required"))?;
        let patch = UserPatch {
            name: Some(form.name.clone()),
            role: Some(role),
            body: Some(Some(form.body.trim().to_owned()).filter(|b| !b.is_empty())),
            active: None,
        };
        Ok::<_, PageError>(wpt_db::users::update(&state.db, &grant, id, form.version, patch).await?)
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/ui/admin/users/{id}?done=saved")).into_response(),
        Err(e) => refused(&state, &viewer, id, Part::Edit, Some(&form), e).await,
    }
}

/// `POST /ui/admin/users/{id}/active` (administrators): deactivate or reactivate.
pub async fn set_active(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ActiveForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let patch = UserPatch {
            active: Some(form.active),
            ..UserPatch::default()
        };
        Ok::<_, PageError>(wpt_db::users::update(&state.db, &grant, id, form.version, patch).await?)
    }
    .await;
    match result {
        // Deactivating oneself ended this session: the next page asks to log in.
        Ok(_) => Redirect::to(&format!(
            "/ui/admin/users/{id}?done={}",
            if form.active {
                "reactivated"
            } else {
                "deactivated"
            }
        ))
        .into_response(),
        Err(e) => refused(&state, &viewer, id, Part::Active, None, e).await,
    }
}

/// `POST /ui/admin/users/{id}/password` (administrators): a new generated password,
/// shown once.
pub async fn reset_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ResetForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        Ok::<_, PageError>(
            wpt_db::users::reset_password(&state.db, &state.auth.hasher, &grant, id, form.version)
                .await?,
        )
    }
    .await;
    match result {
        Ok((user, password)) => password_page(
            &viewer,
            "Password reset",
            &user,
            &password,
            "The password is reset: the old one no longer works, the account's sessions ended and its API tokens are revoked.",
        )
        .into_response(),
        Err(e) => refused(&state, &viewer, id, Part::Password, None, e).await,
    }
}

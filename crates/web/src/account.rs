//! The signed-in person's own account: who they are, and changing their password
//! through the same use case as `POST /api/v1/me/password` (this session stays, every
//! other session of the account ends, and its API tokens are revoked), and the list of
//! the account's sessions, each with an End button (`wpt_db::auth::sessions::end_own`,
//! the use case of `DELETE /api/v1/me/sessions/{id}`). Personal API tokens are
//! [`tokens`].

pub mod tokens;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_api::auth::ClientAddr;
use wpt_domain::models::SessionInfo;

use crate::html::{FormData, PageError, Section, page, role_word, when, when_opt};
use crate::session::Viewer;

fn account_page(
    viewer: &Viewer,
    sessions: &[SessionInfo],
    email: wpt_domain::EmailSetting,
    notice: Option<Markup>,
    error: Option<&PageError>,
    zone_form: Markup,
) -> Markup {
    let problem = |name: &str| error.and_then(|e| e.field(name));
    page(
        viewer,
        Section::None,
        "My account",
        html! {
            @if let Some(n) = notice { (n) }
            dl.facts {
                dt { "Name" } dd { (viewer.name) }
                dt { "Role" } dd { (role_word(viewer.actor.role)) }
                @if let Some(b) = &viewer.actor.body { dt { "Body" } dd { (b.code) } }
            }
            p { a href="/ui/account/tokens" { "My API tokens" } " (for scripts and other systems that use the API as you)" }
            (crate::notifications::setting_form(email))
            (zone_form)
            h2 { "Change my password" }
            form.stack #password-form method="post" action="/ui/account/password" {
                @if let Some(e) = error { (e.alert()) }
                label for="current-password" { "Current password (required)" }
                @if let Some(p) = problem("current_password") { span.problem { (p) } }
                input #current-password type="password" name="current_password" autocomplete="current-password" required maxlength="1024";
                label for="new-password" { "New password (required, at least 12 characters)" }
                @if let Some(p) = problem("new_password") { span.problem { (p) } }
                input #new-password type="password" name="new_password" autocomplete="new-password" required minlength="12" maxlength="1024";
                label for="confirm-password" { "New password again (required)" }
                @if let Some(p) = problem("confirm_password") { span.problem { (p) } }
                input #confirm-password type="password" name="confirm_password" autocomplete="new-password" required maxlength="1024";
                button type="submit" { "Change password" }
            }
            p.hint { "Changing it ends your other sessions (other browsers, API refresh tokens) and revokes your API tokens; this one stays." }
            h2 { "My sessions" }
            table #sessions .cards {
                thead { tr { th { "Opened" } th { "Last active" } th { "Via" } th { "Ends" } th { span.visually-hidden { "Action" } } } }
                tbody {
                    @for s in sessions {
                        tr {
                            td data-label="Opened" { (when(s.created_at)) @if s.current { " " strong { "(this session)" } } }
                            td data-label="Last active" { (when_opt(s.last_active_at)) }
                            td data-label="Via" { @if s.via == "web" { "web pages" } @else { "API" } }
                            td data-label="Ends" { (when(s.expires_at)) }
                            td {
                                form method="post" action={"/ui/account/sessions/" (s.id) "/end"} {
                                    button type="submit" { "End" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn own_sessions(state: &AppState, viewer: &Viewer) -> Result<Vec<SessionInfo>, PageError> {
    let grant = viewer.actor.own_credentials()?;
    Ok(wpt_db::auth::sessions::list_own(&state.db, &grant, viewer.actor.session_id()).await?)
}

/// `GET /ui/account`.
pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let sessions = own_sessions(&state, &viewer).await?;
    let email = wpt_db::notify::inbox::settings(&state.db, viewer.actor.user_id)
        .await?
        .email;
    Ok(account_page(
        &viewer,
        &sessions,
        email,
        None,
        None,
        zone_form(&viewer),
    ))
}

fn zone_form(viewer: &Viewer) -> Markup {
    crate::time::zone_form(viewer.zone, None, None)
}

/// The account page with the time zone form refused (`typed` kept, the reason beside it).
pub(crate) async fn page_with_zone_error(
    state: &AppState,
    viewer: &Viewer,
    typed: &str,
    error: PageError,
) -> Response {
    let sessions = match own_sessions(state, viewer).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let email = match wpt_db::notify::inbox::settings(&state.db, viewer.actor.user_id).await {
        Ok(s) => s.email,
        Err(e) => return PageError::from(e).into_response(),
    };
    let form = crate::time::zone_form(viewer.zone, Some(typed), Some(&error));
    (
        error.status,
        account_page(viewer, &sessions, email, None, None, form),
    )
        .into_response()
}

/// `POST /ui/account/sessions/{id}/end`: ends one of the person's own sessions; ending
/// this one logs out.
pub async fn end_session(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.own_credentials()?;
    wpt_db::auth::sessions::end_own(&state.db, &grant, id).await?;
    if viewer.actor.session_id() == Some(id) {
        let mut response = Redirect::to("/ui/login?signed_out=1").into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, crate::session::clear_cookie(&headers));
        return Ok(response);
    }
    Ok(Redirect::to("/ui/account#sessions").into_response())
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /ui/account/password`.
pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    client: ClientAddr,
    FormData(form): FormData<PasswordForm>,
) -> Response {
    let result = async {
        if form.new_password != form.confirm_password {
            let mut e = wpt_domain::ValidationErrors::new();
            e.add("confirm_password", "is not the same as the new password");
            return Err(PageError::from(wpt_db::DbError::Validation(e)));
        }
        let grant = viewer.actor.own_credentials()?;
        // The current password is guessed like a login's: the same limits.
        let attempt = state
            .login_throttle
            .begin(client.bucket())
            .map_err(|retry_after| PageError::from(wpt_db::DbError::RateLimited { retry_after }))?;
        wpt_db::users::change_own_password(
            &state.db,
            &state.auth,
            &grant,
            viewer.actor.session_id(),
            &form.current_password,
            &form.new_password,
            client.0,
        )
        .await
        .map_err(|e| match e {
            wpt_db::DbError::Forbidden(_) => {
                attempt.failed();
                state.metrics.login_failed();
                let mut errors = wpt_domain::ValidationErrors::new();
                errors.add("current_password", "is wrong");
                let mut page_error = PageError::from(wpt_db::DbError::Validation(errors));
                page_error.status = StatusCode::FORBIDDEN;
                page_error
            }
            other => PageError::from(other),
        })
    }
    .await;
    let sessions = match own_sessions(&state, &viewer).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let email = match wpt_db::notify::inbox::settings(&state.db, viewer.actor.user_id).await {
        Ok(s) => s.email,
        Err(e) => return PageError::from(e).into_response(),
    };
    match result {
        Ok(()) => account_page(
            &viewer,
            &sessions,
            email,
            Some(html! { p.notice role="status" tabindex="-1" autofocus { "Your password has been changed. Your other sessions have ended and your API tokens are revoked." } }),
            None,
            zone_form(&viewer),
        )
        .into_response(),
        Err(e) => (e.status, account_page(&viewer, &sessions, email, None, Some(&e), zone_form(&viewer))).into_response(),
    }
}

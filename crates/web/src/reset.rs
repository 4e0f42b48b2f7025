//! Forgotten passwords and invitations in the pages (issue 17): `/ui/forgot` asks for
//! a reset link (the same answer for any address), `/ui/reset?token=...` sets the
//! password from a reset or invitation link (`wpt_db::auth::links`). Both work without
//! an account's session and without script.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;
use wpt_api::AppState;
use wpt_api::auth::ClientAddr;
use wpt_db::DbError;
use wpt_db::auth::links;

use crate::html::{FormData, PageError, bare_page};

/// The words of every answer to a reset request (the API's too).
const SENT: &str = links::ACCEPTED_MESSAGE;

fn forgot_form(email: &str, problem: Option<Markup>) -> Markup {
    bare_page(
        "Forgot your password?",
        html! {
            p { "Give the email address of your account: a link to choose a new password will be sent to it. The link works once, for 30 minutes." }
            @if let Some(p) = problem { (p) }
            form.stack method="post" action="/ui/forgot" #forgot-form {
                label for="forgot-email" { "Email" }
                input #forgot-email type="email" name="email" value=(email) autocomplete="username" required maxlength="320" autofocus;
                button type="submit" { "Send me a link" }
            }
            p { a href="/ui/login" { "Back to log in" } }
        },
    )
}

/// `GET /ui/forgot`.
pub async fn forgot_page() -> Markup {
    forgot_form("", None)
}

/// The forgot form.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /ui/forgot`: the same page for any address (no account enumeration).
pub async fn forgot(
    State(state): State<AppState>,
    client: ClientAddr,
    FormData(form): FormData<ForgotForm>,
) -> Response {
    let refuse = |status: StatusCode, message: String| {
        (
            status,
            forgot_form(
                &form.email,
                Some(html! { p.error role="alert" { (message) } }),
            ),
        )
            .into_response()
    };
    if form.email.chars().count() > 320 {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That is not an email address.".into(),
        );
    }
    let attempt = match state.reset_throttle.begin(client.bucket()) {
        Ok(a) => a,
        Err(retry_after) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many requests from this address. Try again in {} minute(s).",
                    retry_after.div_ceil(60)
                ),
            );
        }
    };
    attempt.failed();
    // Answered at once; the link is made in the background (timing tells nothing).
    match links::request_reset_in_background(&state.db, &form.email) {
        Ok(()) => bare_page(
            "Check your email",
            html! {
                p.notice role="status" tabindex="-1" autofocus #reset-sent { (SENT) }
                p { a href="/ui/login" { "Back to log in" } }
            },
        )
        .into_response(),
        Err(DbError::Validation(_)) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That is not an email address such as name@example.org.".into(),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `?token=` of the link.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn unusable_page(message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        bare_page(
            "This link does not work",
            html! {
                p.error role="alert" { (message) }
                p { a href="/ui/forgot" { "Ask for a new link" } " · " a href="/ui/login" { "Log in" } }
            },
        ),
    )
        .into_response()
}

fn reset_form(token: &str, email: &str, problem: Option<&str>) -> Markup {
    bare_page(
        "Choose your password",
        html! {
            p { "Choose the password of " strong #reset-email { (email) } ". It must be at least 12 characters long. Every other session of the account ends, and its API tokens stop working." }
            @if let Some(p) = problem { p.error role="alert" { (p) } }
            form.stack method="post" action="/ui/reset" #reset-form {
                input type="hidden" name="token" value=(token);
                input type="email" name="email" value=(email) autocomplete="username" hidden;
                label for="reset-new" { "New password" }
                input #reset-new type="password" name="new_password" autocomplete="new-password" required minlength="12" maxlength="1024" autofocus;
                label for="reset-repeat" { "The same password again" }
                input #reset-repeat type="password" name="repeat" autocomplete="new-password" required minlength="12" maxlength="1024";
                button type="submit" { "Set the password" }
            }
        },
    )
}

fn link_problem(e: &DbError) -> Option<String> {
    match e {
        DbError::Validation(errors) => errors
            .0
            .iter()
            .find(|f| f.field == "token")
            .map(|f| format!("This link does not work: {}.", f.message)),
        _ => None,
    }
}

/// `GET /ui/reset?token=...`: the form, when the link still works.
pub async fn reset_page(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    match links::check(&state.db, &q.token, Utc::now()).await {
        Ok(user) => reset_form(&q.token, &user.email, None).into_response(),
        Err(e) => match link_problem(&e) {
            Some(m) => unusable_page(&m),
            None => PageError::from(e).into_response(),
        },
    }
}

/// The reset form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /ui/reset`: sets the password, then says so with a way to log in.
pub async fn reset(State(state): State<AppState>, FormData(form): FormData<ResetForm>) -> Response {
    let user = match links::check(&state.db, &form.token, Utc::now()).await {
        Ok(u) => u,
        Err(e) => {
            return match link_problem(&e) {
                Some(m) => unusable_page(&m),
                None => PageError::from(e).into_response(),
            };
        }
    };
    if form.new_password != form.repeat {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            reset_form(
                &form.token,
                &user.email,
                Some("The two passwords differ; type the same one twice."),
            ),
        )
            .into_response();
    }
    match links::confirm(
        &state.db,
        &state.auth.hasher,
        &form.token,
        &form.new_password,
        Utc::now(),
    )
    .await
    {
        Ok(_) => bare_page(
            "Password set",
            html! {
                p.notice role="status" tabindex="-1" autofocus #reset-done { "Your password is set. Log in with it now; every other session of the account has ended." }
                p { a.button href="/ui/login" { "Log in" } }
            },
        )
        .into_response(),
        Err(e) => match link_problem(&e) {
            Some(m) => unusable_page(&m),
            None => match &e {
                DbError::Validation(errors) => {
                    let message = errors
                        .0
                        .first()
                        .map(|f| format!("The new password {}.", f.message))
                        .unwrap_or_else(|| "The new password is not accepted.".into());
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        reset_form(&form.token, &user.email, Some(&message)),
                    )
                        .into_response()
                }
                _ => PageError::from(e).into_response(),
            },
        },
    }
}

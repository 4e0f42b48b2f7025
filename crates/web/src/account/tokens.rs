//! `/ui/account/tokens`: the signed-in person's personal API tokens, through the same
//! use cases as `GET/POST /api/v1/me/tokens` and `DELETE /api/v1/me/tokens/{id}`
//! (`wpt_db::api_tokens`). Creating and revoking take the login session's credentials
//! grant (`Actor::own_credentials`), as the API's routes do.
//!
//! A new token is shown once, as selectable text; `copy.js` only adds a Copy button.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::api_tokens::{DEFAULT_DAYS, MAX_DAYS};
use wpt_domain::ValidationErrors;
use wpt_domain::models::{ApiToken, NewApiToken};

use crate::assets;
use crate::html::{FormData, PageError, Section, page, when, when_opt};
use crate::session::Viewer;

/// The new-token form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// `read` or `write`.
    #[serde(default)]
    access: String,
    #[serde(default)]
    expires_in_days: String,
}

/// What the page was asked with.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn state_of(t: &ApiToken) -> &'static str {
    if t.revoked_at.is_some() {
        "Revoked"
    } else if t.expires_at <= Utc::now() {
        "Expired"
    } else {
        "Works"
    }
}

fn tokens_page(
    viewer: &Viewer,
    tokens: &[ApiToken],
    form: &TokenForm,
    created: Option<&NewApiToken>,
    notice: Option<&str>,
    error: Option<&PageError>,
) -> Markup {
    let field = |name: &str| error.and_then(|e| e.field(name));
    let may_write = viewer.actor.role != wpt_domain::Role::Viewer;
    let days = if form.expires_in_days.is_empty() {
        DEFAULT_DAYS.to_string()
    } else {
        form.expires_in_days.clone()
    };
    page(
        viewer,
        Section::None,
        "My API tokens",
        html! {
            p { a href="/ui/account" { "My account" } }
            @if let Some(n) = notice { p.notice role="status" tabindex="-1" autofocus { (n) } }
            @if let Some(c) = created {
                div.notice #new-token-box role="status" tabindex="-1" autofocus {
                    p { strong { "Token “" (c.info.name) "” created. Copy it now: it is shown only this once." } }
                    p { code #new-token .secret { (c.token) } }
                    p {
                        // Shown by copy.js; without script the token above is selectable text.
                        button.secondary type="button" hidden data-copy="new-token" { "Copy token" }
                        span.copied role="status" {}
                    }
                    p.hint { "Send it as " code { "Authorization: Bearer <token>" } " to /api/v1. It expires " (when(c.info.expires_at)) "." }
                }
                script src=(assets::url("copy.js")) defer {}
            }
            p {
                "A personal token lets a script or another system use the API as you, with no more rights than you have. "
                "It stops working when it expires, when you revoke it, when your password changes, or when your account is deactivated."
            }
            h2 { "New token" }
            form.stack #new-token-form method="post" action="/ui/account/tokens" {
                @if let Some(e) = error { (e.alert()) }
                label for="token-name" { "Name (required: what it is for)" }
                @if let Some(p) = field("name") { span.problem { (p) } }
                input #token-name type="text" name="name" value=(form.name) required maxlength="100"
                    aria-invalid=[field("name").map(|_| "true")];
                fieldset {
                    legend { "Access" }
                    @if let Some(p) = field("access") { span.problem { (p) } }
                    label { input type="radio" name="access" value="read" checked[form.access != "write"]; " Read only" }
                    @if may_write {
                        label { input type="radio" name="access" value="write" checked[form.access == "write"]; " Read and write (what your role may change)" }
                    }
                }
                label for="token-days" { "Expires after (days, 1 to " (MAX_DAYS) ")" }
                @if let Some(p) = field("expires_in_days") { span.problem { (p) } }
                input #token-days type="number" name="expires_in_days" value=(days) min="1" max=(MAX_DAYS) required
                    aria-invalid=[field("expires_in_days").map(|_| "true")];
                button type="submit" { "Create token" }
            }
            h2 { "My tokens" }
            @if tokens.is_empty() {
                p { "You have no API tokens." }
            } @else {
                table #tokens .cards {
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Starts with" }
                            th scope="col" { "Access" }
                            th scope="col" { "Last used" }
                            th scope="col" { "Expires" }
                            th scope="col" { "State" }
                            th scope="col" { span.visually-hidden { "Action" } }
                        }
                    }
                    tbody {
                        @for t in tokens {
                            tr {
                                td { (t.name) }
                                td data-label="Starts with" { code { (t.prefix) "…" } }
                                td data-label="Access" { @if t.write { "Read and write" } @else { "Read only" } }
                                td data-label="Last used" { (when_opt(t.last_used_at)) }
                                td data-label="Expires" { (when(t.expires_at)) }
                                td data-label="State" { (state_of(t)) }
                                td {
                                    @if t.revoked_at.is_none() {
                                        form method="post" action={"/ui/account/tokens/" (t.id) "/revoke"} {
                                            button.danger type="submit" aria-label={"Revoke " (t.name)} { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn own_tokens(state: &AppState, viewer: &Viewer) -> Result<Vec<ApiToken>, PageError> {
    let grant = viewer.actor.own_credentials()?;
    Ok(wpt_db::api_tokens::list_own(&state.db, grant.user_id()).await?)
}

/// `GET /ui/account/tokens` (everyone logged in).
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    let tokens = own_tokens(&state, &viewer).await?;
    let notice = match q.done.as_deref() {
        Some("revoked") => Some("Revoked: the token no longer works."),
        _ => None,
    };
    Ok(tokens_page(
        &viewer,
        &tokens,
        &TokenForm::default(),
        None,
        notice,
        None,
    ))
}

/// `POST /ui/account/tokens`: a new token, shown once on the page that answers.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    FormData(form): FormData<TokenForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.own_credentials()?;
        let mut errors = ValidationErrors::new();
        let write = match form.access.as_str() {
            "" | "read" => false,
            "write" => true,
            _ => {
                errors.add("access", "must be read or write");
                false
            }
        };
        let days = match form.expires_in_days.trim() {
            "" => None,
            d => match d.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.add(
                        "expires_in_days",
                        format!("must be a whole number of days from 1 to {MAX_DAYS}"),
                    );
                    None
                }
            },
        };
        errors.finish().map_err(DbError::Validation)?;
        Ok::<_, PageError>(
            wpt_db::api_tokens::create(&state.db, &grant, &form.name, days, write).await?,
        )
    }
    .await;
    let tokens = match own_tokens(&state, &viewer).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match result {
        Ok(created) => (
            StatusCode::CREATED,
            tokens_page(
                &viewer,
                &tokens,
                &TokenForm::default(),
                Some(&created),
                None,
                None,
            ),
        )
            .into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => (
            e.status,
            tokens_page(&viewer, &tokens, &form, None, None, Some(&e)),
        )
            .into_response(),
    }
}

/// `POST /ui/account/tokens/{id}/revoke`: one of the person's own tokens stops working.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.own_credentials()?;
    wpt_db::api_tokens::revoke(&state.db, &grant, id).await?;
    Ok(Redirect::to("/ui/account/tokens?done=revoked").into_response())
}

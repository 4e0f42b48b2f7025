//! A body's deadline in the pages (issue 17): the secretariat extends it, with a
//! reason, from the board; a form that works without script and asks before acting.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;

use super::parse_version;
use crate::html::{FormData, PageError, Section, page};
use crate::session::Viewer;

/// The extension form, as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ExtensionForm {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    reason: String,
    /// `yes` once the person has seen the confirmation page.
    #[serde(default)]
    confirm: String,
}

/// "21 Dec 2026".
pub(super) fn long_day(d: NaiveDate) -> String {
    crate::time::day_text(d)
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    typed: Option<&ExtensionForm>,
    problem: Option<&PageError>,
) -> Result<Markup, PageError> {
    viewer.actor.secretariat()?;
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let s = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, body).await?;
    let due_value = typed.map_or_else(
        || s.extended_due_on.map(|d| d.to_string()).unwrap_or_default(),
        |t| t.due_on.clone(),
    );
    let reason_value = typed.map_or_else(
        || s.extension_reason.clone().unwrap_or_default(),
        |t| t.reason.clone(),
    );
    let due_problem = problem.and_then(|p| p.field("due_on"));
    let reason_problem = problem.and_then(|p| p.field("reason"));
    let min = (cycle.due_on + chrono::Days::new(1)).max(Utc::now().date_naive());
    Ok(page(
        viewer,
        Section::Cycles,
        &format!("Extend {body}'s deadline: {}", cycle.name),
        html! {
            @if let Some(p) = problem { (p.alert()) }
            p { (body) "'s report is due " strong { (long_day(cycle.due_on)) } " with every other body's"
                @if let Some(d) = s.extended_due_on { "; it is now extended to " strong { (long_day(d)) } }
                "." }
            form method="post" action={"/ui/cycles/" (id) "/submissions/" (body) "/extension"} #extension-form {
                input type="hidden" name="version" value=(s.version);
                div.field {
                    label for="extension-due" { "New due date (required)" }
                    @if let Some(p) = due_problem { span.problem { (p) } }
                    input #extension-due type="date" name="due_on" value=(due_value) min=(min.to_string()) required aria-invalid=[due_problem.map(|_| "true")];
                }
                div.field {
                    label for="extension-reason" { "Reason (required; " (body) "'s officers will read it)" }
                    @if let Some(p) = reason_problem { span.problem { (p) } }
                    textarea #extension-reason name="reason" rows="3" maxlength="2000" required aria-invalid=[reason_problem.map(|_| "true")] { (reason_value) }
                }
                div.actions {
                    button type="submit" { "Extend the deadline" }
                    a.button.secondary href={"/ui/cycles/" (id) "/board"} { "Back to the board" }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/submissions/{body}/extension`: the secretariat's form.
pub async fn extension_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
) -> Result<Markup, PageError> {
    form_page(&state, &viewer, id, &body, None, None).await
}

/// `POST /ui/cycles/{id}/submissions/{body}/extension`: asks first, then extends and
/// goes back to the board with a message; a refusal shows the form again as typed.
pub async fn extend(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<ExtensionForm>,
) -> Response {
    let result = async {
        viewer.actor.secretariat()?;
        let version = parse_version(form.version.as_deref())?;
        let due_on: NaiveDate = form
            .due_on
            .trim()
            .parse()
            .map_err(|_| PageError::invalid("due_on", "choose the new due date"))?;
        if form.reason.trim().is_empty() {
            return Err(PageError::invalid(
                "reason",
                "say why the deadline is extended; the body's officers will read it",
            ));
        }
        if form.confirm != "yes" {
            let cycle = wpt_db::cycles::get(&state.db, id).await?;
            return Ok(Err(super::confirm_page(
                &viewer,
                Section::Cycles,
                &format!("Extend {body}'s deadline?"),
                html! {
                    p { strong { "Extend " (body) "'s deadline for " (cycle.name) " to " (long_day(due_on)) "?" } }
                    ul {
                        li { (body) "'s report will be late or missing only after " (long_day(due_on)) ", not after " (long_day(cycle.due_on)) "." }
                        li { "Reminders to " (body) " will follow the new date." }
                        li { (body) "'s officers are told, with your reason:" }
                    }
                    blockquote { (form.reason.trim()) }
                },
                &format!("/ui/cycles/{id}/submissions/{body}/extension"),
                &[
                    ("version", &version.to_string()),
                    ("due_on", &due_on.to_string()),
                    ("reason", form.reason.trim()),
                ],
                &format!("Yes, extend to {}", long_day(due_on)),
                &format!("/ui/cycles/{id}/board"),
            )));
        }
        wpt_db::cycles::extend_deadline(
            &state.db,
            &viewer.actor,
            id,
            &body,
            version,
            wpt_db::cycles::Extension {
                due_on,
                reason: form.reason.clone(),
            },
            Utc::now().date_naive(),
        )
        .await
        .map(Ok)
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(Err(confirm)) => confirm.into_response(),
        Ok(Ok(s)) => crate::flash::redirect(
            &viewer,
            &format!("/ui/cycles/{id}/board"),
            &format!(
                "{}'s deadline extended to {}; its officers were told.",
                s.body,
                s.extended_due_on.map(long_day).unwrap_or_default()
            ),
        ),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            e.into_response()
        }
        Err(e) => {
            let status = e.status;
            match form_page(&state, &viewer, id, &body, Some(&form), Some(&e)).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

/// `POST /ui/cycles/{id}/reminders` (secretariat): asks first, then reminds every body
/// not yet submitted and goes back to the board saying which.
pub async fn remind(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<super::ConfirmForm>,
) -> Response {
    let result = async {
        viewer.actor.secretariat()?;
        let cycle = wpt_db::cycles::get(&state.db, id).await?;
        if !form.confirmed() {
            let missing: Vec<String> = wpt_db::cycles::board(&state.db, &viewer.actor, id, None)
                .await?
                .into_iter()
                .filter(|r| wpt_domain::deadline::outstanding(r.status))
                .map(|r| r.body)
                .collect();
            let names: Vec<&str> = missing.iter().map(String::as_str).collect();
            return Ok(Err(super::confirm_page(
                &viewer,
                Section::Cycles,
                "Send reminders now?",
                html! {
                    p { strong { "Remind the bodies that have not submitted their report for " (cycle.name) "?" } }
                    ul {
                        @if names.is_empty() {
                            li { "Every body has submitted: nobody will be reminded." }
                        } @else {
                            li { "The officers of " (super::and_list(&names)) " get a reminder now, by e-mail and in their notifications." }
                        }
                        li { "The scheduled reminders still go out as planned." }
                    }
                },
                &format!("/ui/cycles/{id}/reminders"),
                &[],
                "Yes, send the reminders",
                &format!("/ui/cycles/{id}/board"),
            )));
        }
        wpt_db::cycles::nudge(&state.db, &viewer.actor, id, Utc::now())
            .await
            .map(Ok)
            .map_err(PageError::from)
    }
    .await;
    let board = format!("/ui/cycles/{id}/board");
    match result {
        Ok(Err(confirm)) => confirm.into_response(),
        Ok(Ok(bodies)) if bodies.is_empty() => crate::flash::redirect(
            &viewer,
            &board,
            "Every body has submitted; no reminder was sent.",
        ),
        Ok(Ok(bodies)) => {
            let names: Vec<&str> = bodies.iter().map(String::as_str).collect();
            crate::flash::redirect(
                &viewer,
                &board,
                &format!("Reminders sent to {}.", super::and_list(&names)),
            )
        }
        Err(e) if e.status == StatusCode::CONFLICT => {
            crate::flash::redirect(&viewer, &board, &e.message)
        }
        Err(e) => e.into_response(),
    }
}

//! `/ui/admin/maintenance`: administrators turn read-only maintenance on (now or from a
//! later moment) and off, through the same use case as `PUT /api/v1/admin/maintenance`.
//! Its forms keep their buttons while maintenance is in force (class
//! `maintenance-form`), and work without script. The accounts pages are [`users`].

pub mod bodies;
pub mod users;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use wpt_api::AppState;
use wpt_domain::ValidationErrors;
use wpt_domain::models::MaintenanceInput;

use crate::html::{FormData, PageError, Section, page, when_opt};
use crate::session::Viewer;

/// What the form was filled with.
#[derive(Debug, Default, Deserialize)]
pub struct MaintenanceForm {
    /// `on` or `off` (the button pressed).
    action: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    until: String,
}

/// What the page was asked with.
#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The `datetime-local` value of a moment, in the person's time zone.
fn local(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::time::input_value).unwrap_or_default()
}

/// A `datetime-local` value read in the person's time zone; blank is none.
fn moment(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    crate::time::parse_input(value).or_else(|| {
        errors.add(
            field,
            format!(
                "must be a date and time such as 2026-12-01T14:00 ({})",
                crate::time::input_zone_label()
            ),
        );
        None
    })
}

async fn maintenance_page(
    state: &AppState,
    viewer: &Viewer,
    form: Option<&MaintenanceForm>,
    notice: Option<&str>,
    error: Option<&PageError>,
) -> Result<Markup, PageError> {
    let now = wpt_db::maintenance::current(&state.db).await?;
    let field = |name: &str| error.and_then(|e| e.field(name));
    let (message, starts_at, until) = match form {
        Some(f) => (f.message.clone(), f.starts_at.clone(), f.until.clone()),
        None => (
            now.message.clone().unwrap_or_default(),
            local(now.starts_at),
            local(now.until),
        ),
    };
    let input = |id: &str, label: &str, value: &str| {
        let problem = field(id);
        html! {
            div.field {
                label for={"maintenance-" (id)} { (label) }
                @if let Some(p) = problem { span.problem { (p) } }
                input id={"maintenance-" (id)} type="datetime-local" name=(id) value=(value)
                    aria-invalid=[problem.map(|_| "true")];
            }
        }
    };
    Ok(page(
        viewer,
        Section::Maintenance,
        "Maintenance",
        html! {
            @if let Some(n) = notice { p.notice role="status" tabindex="-1" autofocus { (n) } }
            p {
                "While maintenance is in force the tracker is read-only for everyone, on every instance: "
                "pages, reports and downloads work, forms cannot be saved, and API writes answer 503. "
                "Logging in and out still works. Use it around upgrades, migrations and restores "
                "(docs/operations.md)."
            }
            h2 { "Now" }
            dl.facts {
                dt { "State" }
                dd {
                    @if now.active(Utc::now()) { "On: read-only." }
                    @else if now.on { "Announced: read-only from " (when_opt(now.starts_at)) "." }
                    @else { "Off." }
                }
                @if let Some(a) = crate::time::announcement(&now) { dt { "Banner" } dd { (a) } }
                dt { "Expected end" } dd { (when_opt(now.until)) }
                dt { "Last set" } dd { (when_opt(Some(now.updated_at))) }
            }
            h2 { @if now.on { "Change it" } @else { "Turn it on" } }
            form.stack.maintenance-form #maintenance-on method="post" action="/ui/admin/maintenance" {
                @if let Some(e) = error { (e.alert()) }
                input type="hidden" name="action" value="on";
                label for="maintenance-message" { "Message to everyone (required)" }
                @if let Some(p) = field("message") { span.problem { (p) } }
                textarea #maintenance-message name="message" required maxlength="500"
                    aria-invalid=[field("message").map(|_| "true")] { (message) }
                div.grid2 {
                    (input("starts_at", &format!("Read-only from ({}; empty: now)", crate::time::input_zone_label()), &starts_at))
                    (input("until", &format!("Expected end ({}; optional)", crate::time::input_zone_label()), &until))
                }
                button type="submit" { @if now.on { "Save" } @else { "Turn maintenance on" } }
            }
            @if now.on {
                h2 { "End it" }
                form.maintenance-form #maintenance-off method="post" action="/ui/admin/maintenance" {
                    input type="hidden" name="action" value="off";
                    button.secondary type="submit" { "Turn maintenance off" }
                }
            }
        },
    ))
}

/// `GET /ui/admin/maintenance` (administrators).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let notice = match q.done.as_deref() {
        Some("on") => Some("Saved: maintenance is on."),
        Some("off") => Some("Maintenance is off: the tracker takes changes again."),
        _ => None,
    };
    maintenance_page(&state, &viewer, None, notice, None).await
}

/// `POST /ui/admin/maintenance` (administrators): on (with the form's fields) or off.
pub async fn set(
    State(state): State<AppState>,
    viewer: Viewer,
    FormData(form): FormData<MaintenanceForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let on = form.action == "on";
        let input = if on {
            let mut errors = ValidationErrors::new();
            let starts_at = moment(&mut errors, "starts_at", &form.starts_at);
            let until = moment(&mut errors, "until", &form.until);
            errors
                .finish()
                .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
            MaintenanceInput {
                on,
                message: Some(form.message.clone()),
                until,
                starts_at,
            }
        } else {
            MaintenanceInput {
                on,
                message: None,
                until: None,
                starts_at: None,
            }
        };
        wpt_db::maintenance::set(&state.db, &grant, input)
            .await
            .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(m) => Redirect::to(if m.on {
            "/ui/admin/maintenance?done=on"
        } else {
            "/ui/admin/maintenance?done=off"
        })
        .into_response(),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => match maintenance_page(&state, &viewer, Some(&form), None, Some(&e)).await {
            Ok(p) => (e.status, p).into_response(),
            Err(e) => e.into_response(),
        },
    }
}

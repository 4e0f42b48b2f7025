//! A planned cycle edited or deleted by the secretariat (issue 24, item 14), through the
//! same use cases as `PATCH` and `DELETE /api/v1/cycles/{id}`, with the version read
//! (If-Match); deleting asks first, on a page of its own, and works without script.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::cycles::CyclePatch;
use wpt_domain::models::Cycle;
use wpt_domain::{CycleKind, CycleState};

use super::confirm_page;
use super::schedule::{CycleForm, cycle_fields, parse_day};
use crate::html::{FormData, PageError, Section, day, page};
use crate::session::Viewer;

fn form_of(c: &Cycle) -> CycleForm {
    CycleForm {
        kind: c.kind.as_str().to_owned(),
        name: c.name.clone(),
        meeting_date: c.meeting_date.to_string(),
        period_start: c.period_start.to_string(),
        period_end: c.period_end.to_string(),
        opens_on: c.opens_on.to_string(),
        due_on: c.due_on.to_string(),
    }
}

fn not_planned(c: &Cycle) -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        format!(
            "{} is no longer planned: an open or closed cycle cannot be edited here or deleted.",
            c.name
        ),
    )
}

fn edit_page(
    viewer: &Viewer,
    c: &Cycle,
    form: &CycleForm,
    version: i32,
    error: Option<&PageError>,
) -> Markup {
    page(
        viewer,
        Section::Cycles,
        &format!("Edit {}", c.name),
        html! {
            p { "Planned: nothing has been written for this cycle yet. Change its name, kind or dates." }
            (cycle_fields(c.work_plan_id, form, error, &format!("/ui/cycles/{}/edit", c.id), "Save the cycle", Some(version)))
            p { a href="/ui/cycles" { "Back to the cycles" } }
        },
    )
}

/// `GET /ui/cycles/{id}/edit` (secretariat): the planned cycle's form.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    viewer.actor.secretariat()?;
    let c = wpt_db::cycles::get(&state.db, id).await?;
    if c.state != CycleState::Planned {
        return Err(not_planned(&c));
    }
    Ok(edit_page(&viewer, &c, &form_of(&c), c.version, None))
}

/// What the edit form posts.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "posted by the shared form; the cycle's own plan is kept"
    )]
    work_plan_id: String,
    #[serde(flatten)]
    form: CycleForm,
}

fn version_of(v: &str) -> Result<i32, PageError> {
    v.trim().parse().map_err(|_| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The form is damaged: reload the page.",
        )
    })
}

/// `POST /ui/cycles/{id}/edit` (secretariat).
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(input): FormData<EditForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        let version = version_of(&input.version)?;
        let f = &input.form;
        let mut errors = wpt_domain::ValidationErrors::new();
        let kind = f.kind.parse::<CycleKind>().unwrap_or_else(|_| {
            errors.add("kind", "choose one of the listed kinds");
            CycleKind::Somtc
        });
        let patch = CyclePatch {
            kind: Some(kind),
            name: Some(f.name.clone()),
            meeting_date: Some(parse_day(&mut errors, "meeting_date", &f.meeting_date)),
            period_start: Some(parse_day(&mut errors, "period_start", &f.period_start)),
            period_end: Some(parse_day(&mut errors, "period_end", &f.period_end)),
            opens_on: Some(parse_day(&mut errors, "opens_on", &f.opens_on)),
            due_on: match f.due_on.trim() {
                "" => None,
                d => Some(parse_day(&mut errors, "due_on", d)),
            },
            review_due_on: None,
        };
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        let c = wpt_db::cycles::get(&state.db, id).await?;
        if c.state != CycleState::Planned {
            return Err(not_planned(&c));
        }
        wpt_db::cycles::update(&state.db, &grant, &state.cycles, id, version, patch)
            .await
            .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(c) => crate::flash::redirect(
            &viewer,
            "/ui/cycles",
            &format!(
                "Saved {}: covers {} to {}, open for submissions on {}, due {}, meeting {}.",
                c.name,
                crate::time::day_text(c.period_start),
                crate::time::day_text(c.period_end),
                crate::time::day_text(c.opens_on),
                crate::time::day_text(c.due_on),
                crate::time::day_text(c.meeting_date)
            ),
        ),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            match wpt_db::cycles::get(&state.db, id).await {
                Ok(c) => {
                    let v = version_of(&input.version).unwrap_or(c.version);
                    (e.status, edit_page(&viewer, &c, &input.form, v, Some(&e))).into_response()
                }
                Err(x) => PageError::from(x).into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// What the Delete button posts.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /ui/cycles/{id}/delete` (secretariat): asks first, then deletes the planned
/// cycle.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<DeleteForm>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.secretariat()?;
    let version = version_of(&form.version)?;
    let c = wpt_db::cycles::get(&state.db, id).await?;
    if c.state != CycleState::Planned {
        return Err(not_planned(&c));
    }
    if form.confirm != "yes" {
        let consequences = html! {
            p { strong { "Delete " (c.name) "?" } }
            ul {
                li { "The planned cycle (meeting " (day(c.meeting_date)) ") is removed from the list. No body has written anything for it yet." }
                li { "This cannot be undone; the audit log keeps what it was." }
            }
        };
        let v = version.to_string();
        return Ok(confirm_page(
            &viewer,
            Section::Cycles,
            &format!("Delete {}?", c.name),
            consequences,
            &format!("/ui/cycles/{id}/delete"),
            &[("version", v.as_str())],
            &format!("Yes, delete {}", c.name),
            "/ui/cycles",
        )
        .into_response());
    }
    wpt_db::cycles::delete(&state.db, &grant, id, version).await?;
    Ok(crate::flash::redirect(
        &viewer,
        "/ui/cycles",
        &format!("Deleted {}: it is no longer planned.", c.name),
    ))
}

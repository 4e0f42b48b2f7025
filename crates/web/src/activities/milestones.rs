//! Officers mark a milestone done from the activity's page and from the Update form
//! (issue 24, item 6), through the same use case as `PATCH /api/v1/milestones/{id}`
//! (`wpt_db::milestones::update` with the officer's grant; If-Match from the form).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::milestones::{MilestoneEditor, MilestonePatch};
use wpt_domain::models::Milestone;

use crate::html::{FormData, Htmx, PageError};
use crate::session::Viewer;

/// The small form beside an open milestone: the day it was done (today by default) and
/// a button. `back` is where to return: `activity` (its page) or `update` (the form).
pub(crate) fn done_form(m: &Milestone, back: &str) -> Markup {
    let today = Utc::now().date_naive();
    html! {
        form.inline method="post" action={"/ui/milestones/" (m.id) "/done"} {
            input type="hidden" name="version" value=(m.version);
            input type="hidden" name="back" value=(back);
            label { "Done on "
                input type="date" name="completed_on" value=(today) max=(today) required;
            }
            " "
            button type="submit" aria-label={"Mark \"" (m.title) "\" done"} { "Mark done" }
        }
    }
}

/// The open milestones of an activity, each with its [`done_form`]: shown under the
/// Update form.
pub(crate) fn open_list(milestones: &[Milestone], back: &str) -> Markup {
    let open: Vec<&Milestone> = milestones
        .iter()
        .filter(|m| m.completed_on.is_none())
        .collect();
    html! {
        @if !open.is_empty() {
            section #open-milestones aria-labelledby="open-milestones-title" {
                h2 #open-milestones-title { "Milestones not yet done" }
                ul.milestones {
                    @for m in open {
                        li {
                            strong { (m.title) } " · due " (crate::html::day(m.due_on))
                            @if m.overdue { " " span.late { "overdue" } }
                            (done_form(m, back))
                        }
                    }
                }
            }
        }
    }
}

/// What the form posts.
#[derive(Debug, Deserialize)]
pub struct DoneForm {
    version: String,
    completed_on: String,
    #[serde(default)]
    back: String,
}

/// `POST /ui/milestones/{id}/done`: records the milestone as done on the given day.
pub async fn done(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path(id): Path<Uuid>,
    FormData(form): FormData<DoneForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.own_body().map_err(PageError::from)?;
        let version: i32 = form.version.trim().parse().map_err(|_| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The form is damaged: reload the page.",
            )
        })?;
        let day: NaiveDate = form.completed_on.trim().parse().map_err(|_| {
            PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Done on: enter the day the milestone was done, such as 21 Dec 2026.",
            )
        })?;
        let patch = MilestonePatch {
            completed_on: Some(Some(day)),
            ..MilestonePatch::default()
        };
        Ok::<_, PageError>(
            wpt_db::milestones::update(
                &state.db,
                MilestoneEditor::Officer(&grant),
                id,
                version,
                patch,
            )
            .await?,
        )
    }
    .await;
    match result {
        Ok(m) => {
            let to = match form.back.as_str() {
                "update" => format!("/ui/activities/{}/update?from=activity", m.activity_id),
                _ => format!("/ui/activities/{}#milestones", m.activity_id),
            };
            let message = format!(
                "Milestone \"{}\" marked done on {}.",
                m.title,
                crate::time::day_text(m.completed_on.unwrap_or(day_fallback()))
            );
            crate::flash::after_post(&viewer, htmx, &to, &message)
        }
        Err(e) => e.into_response(),
    }
}

fn day_fallback() -> NaiveDate {
    Utc::now().date_naive()
}

//! Saving one block (entry) of a body's report, with htmx or as a plain form post.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::cycles::EntryInput;
use wpt_db::progress::ProgressInput;
use wpt_domain::ProgressStatus;
use wpt_domain::models::{Submission, SubmissionEntry};
use wpt_domain::policy::{self, Act};

use super::parse_version;
use super::submission::submission_page;
use crate::activities::ProgressFields;
use crate::html::{self, FormData, Htmx, PageError, when};
use crate::session::Viewer;

fn last_change(s: &Submission) -> Option<DateTime<Utc>> {
    s.entries
        .iter()
        .filter(|e| e.updated_by.is_some())
        .map(|e| e.updated_at)
        .chain(s.events.iter().map(|e| e.occurred_at))
        .chain(s.authored_at)
        .max()
}

/// One block of the report as an editable form: the saved values, or `form` as typed
/// when it was refused (with `error`); `saved_now` says it was just saved.
pub(super) fn entry_block(
    cycle_id: Uuid,
    s: &Submission,
    e: &SubmissionEntry,
    form: Option<&EntryForm>,
    error: Option<&PageError>,
    saved_now: bool,
) -> Markup {
    let aid = e.activity_id;
    let fid = |n: &str| format!("{n}-{aid}");
    let status = form.map_or(e.status.as_str().to_owned(), |f| f.fields.status.clone());
    let percent = form.map_or(
        e.percent_complete
            .map(|p| p.to_string())
            .unwrap_or_default(),
        |f| f.fields.percent_complete.clone(),
    );
    let narrative = form.map_or(e.narrative.clone(), |f| f.fields.narrative.clone());
    let challenges = form.map_or(e.challenges.clone().unwrap_or_default(), |f| {
        f.fields.challenges.clone()
    });
    let next_steps = form.map_or(e.next_steps.clone().unwrap_or_default(), |f| {
        f.fields.next_steps.clone()
    });
    let evidence = form.map_or(e.evidence_urls.join("\n"), |f| {
        f.fields.evidence_urls.clone()
    });
    let problem = |n: &str| error.and_then(|x| x.field(n));
    let action = format!("/ui/cycles/{cycle_id}/submissions/{}/entries/{aid}", s.body);
    html! {
        section.block id={"entry-" (aid)} aria-labelledby={"entry-title-" (aid)} {
            h3 id={"entry-title-" (aid)} { (e.activity_code) " " (e.activity_title) }
            form.stack method="post" action={(action) "?version=" (s.version)}
                hx-post=(action) hx-include="#report-version" hx-target={"#entry-" (aid)} hx-swap="outerHTML" {
                @if let Some(x) = error { (x.alert()) }
                @if saved_now {
                    p.saved tabindex="-1" autofocus { "Saved at " (when(e.updated_at)) "." }
                } @else if e.updated_by.is_some() {
                    p.hint { "Saved " (when(e.updated_at)) }
                } @else {
                    p.hint { "Prefilled from your body's latest progress; not saved in this report yet." }
                }
                div.grid2 {
                    div.field {
                        label for=(fid("status")) { "Status (required)" }
                        @if let Some(p) = problem("status") { span.problem { (p) } }
                        select id=(fid("status")) name="status" {
                            @for st in ProgressStatus::ALL { option value=(st.as_str()) selected[status == st.as_str()] { (html::status_word(*st)) } }
                        }
                    }
                    div.field {
                        label for=(fid("percent")) { "Percent complete (0-100)" }
                        @if let Some(p) = problem("percent_complete") { span.problem { (p) } }
                        input id=(fid("percent")) type="number" name="percent_complete" min="0" max="100" value=(percent);
                    }
                }
                div.field {
                    label for=(fid("narrative")) { "What was done (required)" }
                    @if let Some(p) = problem("narrative") { span.problem { (p) } }
                    textarea id=(fid("narrative")) name="narrative" required aria-invalid=[problem("narrative").map(|_| "true")] { (narrative) }
                }
                div.field {
                    label for=(fid("challenges")) { "Challenges" }
                    textarea id=(fid("challenges")) name="challenges" { (challenges) }
                }
                div.field {
                    label for=(fid("next")) { "Next steps" }
                    textarea id=(fid("next")) name="next_steps" { (next_steps) }
                }
                div.field {
                    label for=(fid("evidence")) { "Evidence links (one http(s) link per line)" }
                    @if let Some(p) = problem("evidence_urls") { span.problem { (p) } }
                    textarea id=(fid("evidence")) name="evidence_urls" { (evidence) }
                }
                button type="submit" { "Save draft of " (e.activity_code) }
            }
        }
    }
}

/// One block of a report, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct EntryForm {
    #[serde(flatten)]
    fields: ProgressFields,
    /// The report's version as read (htmx sends the page's current one).
    version: Option<String>,
}

/// The version as a query string carries it (forms posted without htmx).
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<String>,
}

fn to_progress(f: &EntryForm) -> Result<ProgressInput, PageError> {
    let mut errors = wpt_domain::ValidationErrors::new();
    let values = f.fields.read(&mut errors);
    errors
        .finish()
        .map_err(|e| PageError::from(DbError::Validation(e)))?;
    Ok(values)
}

/// `POST /ui/cycles/{id}/submissions/{body}/entries/{activity}`: saves one block of the
/// report through the same use case as `PUT /api/v1/cycles/{id}/submissions/{body}`,
/// with the version the page read; a report changed since is refused and says when.
pub async fn save_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path((id, body, activity)): Path<(Uuid, String, Uuid)>,
    Query(vq): Query<VersionQuery>,
    FormData(form): FormData<EntryForm>,
) -> Response {
    let outcome = async {
        let version = parse_version(form.version.as_deref().or(vq.version.as_deref()))?;
        // The policy's grant first, so a refused caller hears that before any field.
        policy::granted(&viewer.actor, Act::Edit)?;
        let values = to_progress(&form)?;
        wpt_db::cycles::save(
            &state.db,
            &viewer.actor,
            id,
            &body,
            version,
            vec![EntryInput {
                activity_id: activity,
                values,
            }],
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    let base = format!("/ui/cycles/{id}/submissions/{body}");
    match outcome {
        Ok(s) if htmx => {
            let Some(e) = s.entries.iter().find(|e| e.activity_id == activity) else {
                return PageError::new(StatusCode::NOT_FOUND, "No such activity in this report.")
                    .into_response();
            };
            html! {
                (entry_block(id, &s, e, None, None, true))
                input type="hidden" #report-version name="version" value=(s.version) hx-swap-oob="true";
                (html::announce(&format!("Saved {}.", e.activity_code)))
            }
            .into_response()
        }
        Ok(_) => Redirect::to(&base).into_response(),
        Err(mut e) => {
            let current = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, &body).await;
            let Ok(s) = current else {
                return e.into_response();
            };
            if e.status == StatusCode::PRECONDITION_FAILED {
                e.message = match last_change(&s) {
                    Some(t) => format!(
                        "Changed by someone else at {}; reload to see it. Your text below was not saved.",
                        t.format("%Y-%m-%d %H:%M UTC")
                    ),
                    None => {
                        "Changed by someone else; reload to see it. Your text below was not saved."
                            .into()
                    }
                };
            }
            let Some(entry) = s.entries.iter().find(|x| x.activity_id == activity) else {
                return e.into_response();
            };
            if htmx {
                (
                    e.status,
                    entry_block(id, &s, entry, Some(&form), Some(&e), false),
                )
                    .into_response()
            } else {
                let status = e.status;
                match submission_page(&state, &viewer, id, &body, Some(e.alert())).await {
                    Ok(p) => (status, p).into_response(),
                    Err(e) => e.into_response(),
                }
            }
        }
    }
}

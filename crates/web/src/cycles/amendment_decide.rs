//! The secretariat accepts or rejects a correction in the pages (issue 24, items 2 and
//! 3): `POST /ui/cycles/{id}/submissions/{body}/amendments/{amendment}/decide`, the
//! same use case as `POST /api/v1/amendments/{id}/accept` and `.../reject`
//! (`wpt_db::cycles::decide_amendment`), refused as it refuses (403 for officers and
//! viewers, 404 for a correction not of this report, 409 once decided or the cycle
//! closed).
//!
//! Both decisions are one-way, so the first post asks: without script, the
//! confirmation page ([`super::confirm_page`]); with htmx, the same words in place of
//! the correction. The post from there decides, and the report's page says what was
//! done ("Correction to B.1.2 accepted: DGICM's entry now reads On track, 60%.").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_domain::ValidationErrors;
use wpt_domain::models::Submission;
use wpt_domain::policy::Act;
use wpt_domain::validation::check_text;

use super::amendments::{Row, changes, code_of, summary};
use super::submission::submission_page;
use crate::html::{FormData, Htmx, PageError, Section};
use crate::session::Viewer;

/// The decision form: `decision` is `accept` or `reject`; `confirm=yes` once asked.
#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

/// What the post leads to.
enum Outcome {
    /// Ask first: the consequences in words.
    Ask {
        s: Box<Submission>,
        row: Box<Row>,
        accept: bool,
        note: String,
    },
    /// Decided: the message for the report's page.
    Done(String),
}

/// The consequences of the decision, in words.
fn consequences(s: &Submission, row: &Row, accept: bool, note: &str) -> Markup {
    let body = &s.body;
    let entry = s
        .entries
        .iter()
        .find(|e| e.activity_id == row.a.activity_id);
    let code = code_of(s, row.a.activity_id);
    let files = entry.map_or(&[][..], |e| &e.attachments[..]);
    let changed = changes(
        &row.original,
        &row.proposed,
        files,
        &row.a.proposed_attachments,
    );
    let dropped: Vec<&str> = if row.proposed.attachment_ids.is_some() {
        row.a
            .proposed_attachments
            .iter()
            .filter(|f| !files.iter().any(|g| g.id == f.id))
            .map(|f| f.filename.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let note_line = html! {
        @if note.is_empty() {
            li { "The officer who proposed it is told; " (body) "'s officers see the decision under the entry, without a note. To say why, go back and write one." }
        } @else {
            li { "The officer who proposed it is told; " (body) "'s officers see the decision under the entry, with your note:" }
        }
    };
    html! {
        @if accept {
            p { strong { "Accept the correction to " (code) " in " (body) "'s report?" } }
            ul {
                li { (body) "'s accepted entry changes from " strong { (summary(&row.original)) } " to " strong { (summary(&row.proposed)) } ":"
                    ul #changes { @for c in &changed { li { (c) } } @if changed.is_empty() { li { "the values are the same as accepted" } } } }
                li { "The consolidated report shows the new values, and so does " (body) "'s latest status for the activity if this is its latest accepted report." }
                li { "The accepted values stay on record beside the correction, but the change cannot be undone: a further change needs a new correction from " (body) "." }
                (note_line)
            }
        } @else {
            p { strong { "Reject the correction to " (code) " in " (body) "'s report?" } }
            ul {
                li { (body) "'s entry keeps its accepted values (" (summary(&row.original)) ")." }
                @if !dropped.is_empty() {
                    li { "The new files it proposed (" (super::and_list(&dropped)) ") are dropped." }
                }
                li { "This cannot be undone; " (body) " can propose a new correction." }
                (note_line)
            }
        }
        @if !note.is_empty() { blockquote { (note) } }
    }
}

/// `POST /ui/cycles/{id}/submissions/{body}/amendments/{amendment}/decide`.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path((id, body, amendment)): Path<(Uuid, String, Uuid)>,
    FormData(form): FormData<DecideForm>,
) -> Response {
    let base = format!("/ui/cycles/{id}/submissions/{body}");
    let result = async {
        // The grant first, as the API's: officers and viewers are refused (403).
        viewer.actor.secretariat()?;
        let accept = match form.decision.as_str() {
            "accept" => true,
            "reject" => false,
            _ => return Err(PageError::invalid("decision", "choose Accept or Reject")),
        };
        let note = form.note.trim().to_owned();
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "note", &note, false, 5000);
        errors.finish().map_err(DbError::Validation)?;
        let (s, allowed) =
            wpt_db::cycles::get_submission_with_actions(&state.db, &viewer.actor, id, &body)
                .await?;
        // Only a correction of this report (by its id, however many it has): its code
        // and values make the message.
        let row =
            wpt_db::cycles::amendment_of(&state.db, &viewer.actor, id, &body, amendment).await?;
        let row = Row::of(row)?;
        if form.confirm != "yes"
            && row.status == wpt_domain::AmendmentStatus::Proposed
            && allowed.contains(&Act::DecideAmendment)
        {
            return Ok(Outcome::Ask {
                s: Box::new(s),
                row: Box::new(row),
                accept,
                note,
            });
        }
        let code = code_of(&s, row.a.activity_id);
        let done = wpt_db::cycles::decide_amendment(
            &state.db,
            &viewer.actor,
            amendment,
            accept,
            (!note.is_empty()).then_some(note.clone()),
        )
        .await?;
        let told = if note.is_empty() {
            format!("{body}'s officers see the decision under the entry.")
        } else {
            format!("{body}'s officers see it under the entry, with your note.")
        };
        Ok(Outcome::Done(if accept {
            let now = wpt_db::cycles::AmendmentValues::read(&done.proposed)
                .map(|v| summary(&v))
                .unwrap_or_default();
            format!("Correction to {code} accepted: {body}'s entry now reads {now}. {told}")
        } else {
            format!(
                "Correction to {code} rejected: {body}'s entry keeps {}. {told}",
                summary(&row.original)
            )
        }))
    }
    .await;
    let anchor = format!("amendment-{amendment}");
    match result {
        // With htmx, the page itself: HX-Redirect sets `location.href`, and a URL that
        // differs from the current one only by its fragment would not load the page.
        Ok(Outcome::Done(message)) if htmx => crate::flash::hx_redirect(&viewer, &base, &message),
        Ok(Outcome::Done(message)) => {
            crate::flash::redirect(&viewer, &format!("{base}#amendments"), &message)
        }
        Ok(Outcome::Ask {
            s,
            row,
            accept,
            note,
        }) => {
            let action = format!("{base}/amendments/{amendment}/decide");
            let decision = if accept { "accept" } else { "reject" };
            let code = code_of(&s, row.a.activity_id);
            let words = consequences(&s, &row, accept, &note);
            let yes = if accept {
                format!("Yes, accept the correction to {code}")
            } else {
                format!("Yes, reject the correction to {code}")
            };
            if htmx {
                // In place of the correction: the same words, and the same post with
                // `confirm=yes`; "No" shows the report again.
                html! {
                    div.confirm id=(anchor) {
                        (words)
                        div.actions {
                            form method="post" action=(action) hx-post=(action) hx-target={"#" (anchor)} hx-swap="outerHTML" {
                                input type="hidden" name="decision" value=(decision);
                                input type="hidden" name="note" value=(note);
                                input type="hidden" name="confirm" value="yes";
                                button.danger type="submit" { (yes) }
                            }
                            a.button.secondary href=(base) { "No, go back" }
                        }
                    }
                }
                .into_response()
            } else {
                super::confirm_page(
                    &viewer,
                    Section::Review,
                    &format!(
                        "{} the correction to {code}?",
                        if accept { "Accept" } else { "Reject" }
                    ),
                    words,
                    &action,
                    &[("decision", decision), ("note", &note)],
                    &yes,
                    &format!("{base}#{anchor}"),
                )
                .into_response()
            }
        }
        Err(e) if htmx => {
            // In place of the correction, with the way back to the current report.
            let status = e.status;
            (
                status,
                html! {
                    div id=(anchor) {
                        (e.alert())
                        p { a href=(base) { "Show the report again" } }
                    }
                },
            )
                .into_response()
        }
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            e.into_response()
        }
        Err(e) => {
            let status = e.status;
            match submission_page(&state, &viewer, id, &body, Some(e.alert()), None).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

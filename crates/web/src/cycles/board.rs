//! `/ui/cycles/{id}/board`: who has (not) submitted.

use axum::extract::{Path, State};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_domain::{CycleState, SubmissionStatus};

use super::{countdown, state_word};
use crate::html::{PageError, Section, day, page, submission_badge, when_opt};
use crate::session::Viewer;

/// `GET /ui/cycles/{id}/board`: who has (not) submitted, late rows first.
pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let mut rows = wpt_db::cycles::board(&state.db, &viewer.actor, id, None).await?;
    // Late or missing first, then by body.
    rows.sort_by(|a, b| (!(a.late || a.missing), &a.body).cmp(&(!(b.late || b.missing), &b.body)));
    let people: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| [r.author_id, r.submitter_id, r.reviewer_id])
        .flatten()
        .collect();
    let names = wpt_db::users::names(&state.db, people).await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|i| names.get(&i).cloned())
            .unwrap_or_else(|| "—".into())
    };
    let submitted = rows
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                SubmissionStatus::Submitted | SubmissionStatus::Accepted
            )
        })
        .count();
    let reviewer = viewer.actor.secretariat().is_ok();
    Ok(page(
        &viewer,
        Section::Cycles,
        &format!("Who has submitted: {}", cycle.name),
        html! {
            p #board-progress { strong { (submitted) " of " (rows.len()) " submitted" } " · due " (day(cycle.due_on))
                @if cycle.state == CycleState::Open { " (" (countdown(cycle.due_on)) ")" } " · " (state_word(cycle.state)) }
            table #board .cards {
                caption { "One row per participating body; late and missing reports first" }
                thead { tr {
                    th scope="col" { "Body" } th scope="col" { "Status" } th scope="col" { "Late" }
                    th scope="col" { "Author" } th scope="col" { "Submitted by" } th scope="col" { "Submitted" }
                    th scope="col" { "Reviewed by" } th scope="col" { "Reviewed" } th scope="col" { span.visually-hidden { "Open" } }
                } }
                tbody {
                    @for r in &rows {
                        tr data-body=(r.body) {
                            th scope="row" { (r.body) }
                            td data-label="Status" { (submission_badge(r.status)) }
                            td data-label="Late" { @if r.missing { span.late { "Missing (past due)" } } @else if r.late { span.late { "Late" } } @else { "No" } }
                            td data-label="Author" { (name(r.author_id)) }
                            td data-label="Submitted by" { (name(r.submitter_id)) }
                            td data-label="Submitted" { (when_opt(r.submitted_at)) }
                            td data-label="Reviewed by" { (name(r.reviewer_id)) }
                            td data-label="Reviewed" { (when_opt(r.reviewed_at)) }
                            td.row-actions {
                                @let mine = viewer.actor.body.as_ref().is_some_and(|b| b.code == r.body);
                                @if mine || (reviewer && r.status != SubmissionStatus::NotStarted) {
                                    a href={"/ui/cycles/" (id) "/submissions/" (r.body)} { @if reviewer && r.status == SubmissionStatus::Submitted { "Review" } @else { "Open" } }
                                }
                            }
                        }
                    }
                }
            }
            p { a href={"/ui/cycles/" (id) "/report"} { "Consolidated report" } }
        },
    ))
}

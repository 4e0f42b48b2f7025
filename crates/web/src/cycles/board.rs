//! `/ui/cycles/{id}/board`: who has (not) submitted.

use axum::extract::{Path, State};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_domain::{CycleState, SubmissionStatus};

use super::deadlines::long_day;
use super::{countdown, state_word};
use crate::html::{PageError, Section, due, page, submission_badge, when_opt};
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
    // Unresolved review threads, shown only where the viewer takes part in the
    // conversation (the secretariat: every row; an officer: its own body's).
    let unresolved = wpt_db::cycles::unresolved_by_body(&state.db, id).await?;
    let open_threads = |body: &str| -> Option<i64> {
        let mine = viewer.actor.body.as_ref().is_some_and(|b| b.code == body);
        (viewer.actor.reads_everything() || mine)
            .then(|| unresolved.get(body).copied().unwrap_or(0))
    };
    // Corrections of accepted reports waiting for the secretariat, for whom the one
    // policy shows them (the secretariat: every body's; an officer: its own body's).
    let corrections = wpt_db::cycles::pending_by_body(&state.db, &viewer.actor, id).await?;
    let corrections_link = |body: &str| {
        let n = corrections.get(body).copied().unwrap_or(0);
        let plural = if n == 1 { "correction" } else { "corrections" };
        let words = match (reviewer, cycle.state == CycleState::Closed) {
            (_, true) => format!("{n} {plural} not decided (the cycle is closed)"),
            (true, false) => format!("{n} {plural} to decide"),
            (false, false) => format!("{n} {plural} waiting for the secretariat"),
        };
        (n > 0).then(|| {
            html! {
                div.corrections { a href={"/ui/cycles/" (id) "/submissions/" (body) "#amendments"} { (words) } }
            }
        })
    };
    Ok(page(
        &viewer,
        Section::Cycles,
        &format!("Who has submitted: {}", cycle.name),
        html! {
            p #board-progress { strong { (submitted) " of " (rows.len()) " submitted" } " · due " (due(cycle.due_on))
                @if cycle.state == CycleState::Open { " (" (countdown(cycle.due_on)) ")" } " · " (state_word(cycle.state)) }
            table #board .cards {
                caption { "One row per participating body; late and missing reports first" }
                thead { tr {
                    th scope="col" { "Body" } th scope="col" { "Status" } th scope="col" { "Late" }
                    th scope="col" { "Author" } th scope="col" { "Submitted by" } th scope="col" { "Submitted" }
                    th scope="col" { "Reviewed by" } th scope="col" { "Reviewed" } th scope="col" { "Unresolved comments" } th scope="col" { span.visually-hidden { "Open" } }
                } }
                tbody {
                    @for r in &rows {
                        tr data-body=(r.body) {
                            th scope="row" { (r.body) }
                            td data-label="Status" { (submission_badge(r.status)) @if let Some(c) = corrections_link(&r.body) { (c) } }
                            td data-label="Late" {
                                @if r.missing { span.late { "Missing (past due)" } } @else if r.late { span.late { "Late" } } @else { "No" }
                                @if let Some(d) = r.extended_due_on {
                                    div.extension { "extended to " (long_day(d)) @if let Some(why) = &r.extension_reason { ": " (why) } }
                                }
                            }
                            td data-label="Author" { (name(r.author_id)) }
                            td data-label="Submitted by" { (name(r.submitter_id)) }
                            td data-label="Submitted" { (when_opt(r.submitted_at)) }
                            td data-label="Reviewed by" { (name(r.reviewer_id)) }
                            td data-label="Reviewed" { (when_opt(r.reviewed_at)) }
                            td data-label="Unresolved comments" .unresolved-cell { @match open_threads(&r.body) { Some(n) if n > 0 => { span.badge.unresolved { (n) } }, Some(_) => { "0" }, None => { "—" } } }
                            td.row-actions {
                                @let mine = viewer.actor.body.as_ref().is_some_and(|b| b.code == r.body);
                                @if mine || (reviewer && r.status != SubmissionStatus::NotStarted) {
                                    a href={"/ui/cycles/" (id) "/submissions/" (r.body)} { @if reviewer && r.status == SubmissionStatus::Submitted { "Review" } @else { "Open" } }
                                }
                                @if reviewer && cycle.state == CycleState::Open && r.status != SubmissionStatus::Accepted {
                                    " " a href={"/ui/cycles/" (id) "/submissions/" (r.body) "/extension"} aria-label={"Extend " (r.body) "'s deadline"} { "Extend deadline" }
                                }
                            }
                        }
                    }
                }
            }
            @if reviewer && cycle.state == CycleState::Open {
                form method="post" action={"/ui/cycles/" (id) "/reminders"} #remind-form {
                    button.secondary type="submit" { "Remind the bodies not yet submitted" }
                }
            }
            p { a href={"/ui/cycles/" (id) "/report"} { "Consolidated report" } }
        },
    ))
}

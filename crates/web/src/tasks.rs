//! "Your tasks" (issue 24, item 5): what the person who just logged in must do next,
//! first on their landing page. An officer: each open cycle's report of their body with
//! its status and due date, "Returned: action needed" with the secretariat's reason,
//! and overdue milestones. The secretariat: reports awaiting review and the bodies late
//! or missing, per open cycle. Read through the same use case as the board, grouped
//! across the open cycles: a constant number of queries (at most [`MAX_CYCLES`] open
//! cycles are listed).

use chrono::Utc;
use maud::{Markup, html};
use wpt_api::AppState;
use wpt_db::activities::BodyCounters;
use wpt_domain::models::{Cycle, SubmissionSummary};
use wpt_domain::page::PageRequest;
use wpt_domain::{CycleState, SubmissionStatus, deadline};

use crate::html::{self, PageError};
use crate::session::Viewer;

/// At most this many open cycles are listed.
pub const MAX_CYCLES: i64 = 5;

/// The open cycles with the viewer's view of their board.
async fn open_boards(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(Cycle, Vec<SubmissionSummary>)>, PageError> {
    let first = PageRequest::parse(Some(MAX_CYCLES), None)
        .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
    let cycles = wpt_db::cycles::list(&state.db, None, Some(CycleState::Open), &first)
        .await?
        .items;
    let ids: Vec<_> = cycles.iter().map(|c| c.id).collect();
    let mut boards = wpt_db::cycles::boards(&state.db, &viewer.actor, &ids).await?;
    Ok(cycles
        .into_iter()
        .map(|c| {
            let board = boards.remove(&c.id).unwrap_or_default();
            (c, board)
        })
        .collect())
}

/// The officer's tasks, for the top of "My activities".
pub async fn officer(
    state: &AppState,
    viewer: &Viewer,
    counters: &BodyCounters,
) -> Result<Markup, PageError> {
    let Some(body) = viewer.actor.body.as_ref() else {
        return Ok(html! {});
    };
    let boards = open_boards(state, viewer).await?;
    let mine: Vec<(Cycle, SubmissionSummary)> = boards
        .into_iter()
        .filter_map(|(c, rows)| {
            rows.into_iter()
                .find(|r| r.body == body.code)
                .map(|r| (c, r))
        })
        .collect();
    let nothing = mine.is_empty() && counters.overdue_milestones == 0;
    Ok(html! {
        section #your-tasks aria-labelledby="your-tasks-title" {
            h2 #your-tasks-title { "Your tasks" }
            ul.tasks {
                @for (c, r) in &mine {
                    @let due = deadline::effective_due(c.due_on, r.extended_due_on);
                    @let link = format!("/ui/cycles/{}/my-report", c.id);
                    li data-task="report" data-status=(r.status.as_str()) {
                        @match r.status {
                            SubmissionStatus::Returned => {
                                strong.late { "Returned: action needed. " }
                                a href=(link) { (c.name) ": correct and submit " (body.code) "'s report" }
                                @if let Some(reason) = &r.return_reason {
                                    " · the secretariat's reason: " q.return-reason { (reason) }
                                }
                            }
                            SubmissionStatus::NotStarted => {
                                a href=(link) { (c.name) ": " (body.code) "'s report" }
                                " · No report yet"
                            }
                            SubmissionStatus::Draft => {
                                a href=(link) { (c.name) ": " (body.code) "'s report" }
                                " · Draft, not submitted yet"
                            }
                            SubmissionStatus::Submitted => {
                                a href=(link) { (c.name) ": " (body.code) "'s report" }
                                " · Submitted, waiting for the secretariat's review"
                            }
                            SubmissionStatus::Accepted => {
                                a href=(link) { (c.name) ": " (body.code) "'s report" }
                                " · Accepted"
                            }
                        }
                        @if deadline::outstanding(r.status) {
                            " · due " (html::due(due))
                            @if r.missing || due < Utc::now().date_naive() { " " span.late { "(past due)" } }
                        }
                    }
                }
                @if counters.overdue_milestones > 0 {
                    li data-task="milestones" {
                        a #task-overdue-milestones href="/ui/activities?milestones=overdue" {
                            (counters.overdue_milestones)
                            @if counters.overdue_milestones == 1 { " milestone overdue" } @else { " milestones overdue" }
                        }
                        " on " (body.code) "'s activities: mark done what is done"
                    }
                }
                @if nothing { li { "Nothing is due now. No cycle is open for " (body.code) "." } }
            }
        }
    })
}

/// The secretariat's tasks, for the top of the dashboard.
pub async fn secretariat(state: &AppState, viewer: &Viewer) -> Result<Markup, PageError> {
    let boards = open_boards(state, viewer).await?;
    Ok(html! {
        section #your-tasks aria-labelledby="your-tasks-title" {
            h2 #your-tasks-title { "Your tasks" }
            ul.tasks {
                @if boards.is_empty() { li { "No cycle is open for submissions." } }
                @for (c, rows) in &boards {
                    @let waiting = rows.iter().filter(|r| r.status == SubmissionStatus::Submitted).count();
                    @let late: Vec<&SubmissionSummary> = rows.iter().filter(|r| r.missing || (r.late && deadline::outstanding(r.status))).collect();
                    li data-task="review" {
                        a href="/ui/review" { (waiting) @if waiting == 1 { " report" } @else { " reports" } " awaiting review" }
                        " in " (c.name)
                    }
                    li data-task="late" {
                        @if late.is_empty() {
                            "No body is late in " (c.name) " (due " (html::day(c.due_on)) ")."
                        } @else {
                            a href={"/ui/cycles/" (c.id) "/board"} { (late.len()) @if late.len() == 1 { " body late" } @else { " bodies late" } }
                            " in " (c.name) ": "
                            @for (i, r) in late.iter().enumerate() { @if i > 0 { ", " } (r.body) }
                        }
                    }
                }
            }
        }
    })
}

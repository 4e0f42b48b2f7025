//! A body's report for a cycle as a page: editable block by block by its officers while
//! open, read-only otherwise, beside the previous cycle's report for the secretariat,
//! with the review buttons and the history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_domain::models::{Cycle, Submission};
use wpt_domain::policy::Act;
use wpt_domain::{CycleState, SubmissionStatus};

use super::entries::{Typed, entry_block};
use super::{all_rows, countdown, entry_readonly};
use crate::html::{self, PageError, Section, day, page, submission_badge, when};
use crate::session::Viewer;

/// `GET /ui/cycles/{id}/my-report`: the officer's own body's report.
pub async fn my_report(viewer: Viewer, Path(id): Path<Uuid>) -> Result<Redirect, PageError> {
    let body = viewer.actor.body.as_ref().ok_or_else(|| {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Only officers have a body report; the secretariat opens reports from the board.",
        )
    })?;
    Ok(Redirect::to(&format!(
        "/ui/cycles/{id}/submissions/{}",
        body.code
    )))
}

/// Who and when, or a single dash when nobody yet.
fn who_when(who: String, at: Option<DateTime<Utc>>) -> Markup {
    match at {
        Some(t) => html! { (who) " · " (when(t)) },
        None => html! { "—" },
    }
}

/// A step of the history in words: what was done, not "Draft → Draft".
fn action_text(action: &str) -> &str {
    match action {
        "edit" => "Saved",
        "submit" => "Submitted",
        "return" => "Returned",
        "accept" => "Accepted",
        other => other,
    }
}

/// A stored submission status in words.
fn status_text(s: &str) -> &str {
    s.parse::<SubmissionStatus>()
        .map(html::submission_word)
        .unwrap_or(s)
}

/// The previous cycle of the same plan (by meeting date) and this body's report in it,
/// when the viewer may see it.
async fn previous(
    state: &AppState,
    viewer: &Viewer,
    cycle: &Cycle,
    body: &str,
) -> Result<Option<(Cycle, Submission)>, PageError> {
    let cycles =
        wpt_db::cycles::list(&state.db, Some(cycle.work_plan_id), None, &all_rows()?).await?;
    let Some(prev) = cycles
        .items
        .into_iter()
        .filter(|c| c.meeting_date < cycle.meeting_date && c.state != CycleState::Planned)
        .max_by_key(|c| c.meeting_date)
    else {
        return Ok(None);
    };
    match wpt_db::cycles::get_submission(&state.db, &viewer.actor, prev.id, body).await {
        Ok(s) => Ok(Some((prev, s))),
        Err(DbError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn submission_page(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    notice: Option<Markup>,
    typed: Option<&Typed>,
) -> Result<Markup, PageError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let (s, allowed) =
        wpt_db::cycles::get_submission_with_actions(&state.db, &viewer.actor, id, body).await?;
    let own = viewer.actor.body.as_ref().is_some_and(|b| b.code == body);
    // What the one policy lets this person do now; the use cases ask it again on post.
    let editable = allowed.contains(&Act::Edit);
    let amendable = allowed.contains(&Act::ProposeAmendment);
    let reviewable = allowed.contains(&Act::Accept);
    let reviewer = viewer.actor.secretariat().is_ok();
    let prev = if reviewer {
        previous(state, viewer, &cycle, body).await?
    } else {
        None
    };
    // The reviewer's context: last accepted values, and when the report was returned.
    let accepted = if reviewer {
        wpt_db::cycles::last_accepted(&state.db, body).await?
    } else {
        Default::default()
    };
    // (Until the report is decided again: an accepted one changes only by corrections.)
    let returned_at = s
        .events
        .iter()
        .filter(|e| e.action == "return")
        .map(|e| e.occurred_at)
        .max()
        .filter(|_| s.status != wpt_domain::SubmissionStatus::Accepted);
    let context = |e: &wpt_domain::models::SubmissionEntry| {
        if reviewer {
            super::review_context::notes(e, accepted.get(&e.activity_id), id, returned_at)
        } else {
            html! {}
        }
    };
    let names = wpt_db::users::names(
        &state.db,
        [s.author_id, s.submitter_id, s.reviewer_id]
            .into_iter()
            .flatten(),
    )
    .await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|i| names.get(&i).cloned())
            .unwrap_or_else(|| "—".into())
    };
    let conversation = super::conversation::Conversation::load(state, viewer, id, &s.body).await?;
    // Corrections after acceptance: for the secretariat (deciding them while the cycle
    // is open) and the body's own officers.
    let amendments = super::amendments::Amendments::load(
        state,
        viewer,
        id,
        &s,
        reviewer || own,
        allowed.contains(&Act::DecideAmendment),
    )
    .await?;
    let note = |e: &wpt_domain::models::SubmissionEntry| {
        conversation
            .as_ref()
            .map(|c| c.block_note(e.activity_id, &e.activity_code))
    };
    let title = format!("{} report: {}", s.body, cycle.name);
    let base = format!("/ui/cycles/{id}/submissions/{}", s.body);
    Ok(page(
        viewer,
        if reviewer {
            Section::Review
        } else {
            Section::Cycles
        },
        &title,
        html! {
            @if let Some(n) = notice { (n) }
            @if s.status == SubmissionStatus::Returned {
                div.error role="alert" #return-reason {
                    p { strong { "Returned by the secretariat" } @if let Some(t) = s.reviewed_at { " on " (when(t)) } ":" }
                    p { (s.return_reason.as_deref().unwrap_or("no reason given")) }
                }
            }
            dl.facts {
                dt { "Status" } dd #submission-status { (submission_badge(s.status)) @if s.late { " " span.late { "Late" } } }
                dt { "Due" } dd { (crate::html::due(cycle.due_on)) @if cycle.state == CycleState::Open && !matches!(s.status, SubmissionStatus::Submitted | SubmissionStatus::Accepted) { " · " strong #countdown { (countdown(cycle.due_on)) } } }
                dt { "Author" } dd { (who_when(name(s.author_id), s.authored_at)) }
                dt { "Submitted by" } dd { (who_when(name(s.submitter_id), s.submitted_at)) }
                dt { "Reviewed by" } dd #reviewed-by {
                    // A review speaks of the report as it was: once resubmitted, the
                    // new version has not been reviewed (the record keeps the old one).
                    @if matches!(s.status, SubmissionStatus::Returned | SubmissionStatus::Accepted) { (who_when(name(s.reviewer_id), s.reviewed_at)) }
                    @else if s.reviewer_id.is_some() { "Not yet reviewed since it was resubmitted" }
                    @else { "—" } }
                dt { "Period covered" } dd #period-covered { (day(cycle.period_start)) " to " (day(cycle.period_end)) }
                dt { "Meeting" } dd #meeting { (day(cycle.meeting_date)) }
            }
            details #status-definitions {
                summary { "What each status means" }
                dl {
                    dt { "Not started" } dd { "Work on the activity has not begun." }
                    dt { "On track" } dd { "Work is going as planned." }
                    dt { "At risk" } dd { "Work goes on, but may miss its planned dates." }
                    dt { "Delayed" } dd { "Work is behind its planned dates." }
                    dt { "Completed" } dd { "The activity's work is finished (100%)." }
                    dt { "Discontinued" } dd { "The activity was stopped and will not be finished." }
                }
            }
            @if !editable && own {
                p.notice {
                    @match (s.status, cycle.state) {
                        (_, CycleState::Closed) => { "The cycle is closed; this report is read-only." }
                        (SubmissionStatus::Accepted, _) => { "Accepted by the secretariat; the report is locked." }
                        (SubmissionStatus::Submitted, _) => { "Submitted; the secretariat is reviewing it. It is read-only unless returned." }
                        _ => { "This report is read-only." }
                    }
                }
            }
            @if editable {
                // One form: "Save all blocks" and Submit carry every block as typed, so
                // nothing typed is dropped; each block's own button saves it alone
                // (htmx). The server checks the fields (novalidate: a block left empty
                // must not stop the others from being saved).
                form #report-form method="post" action={(base) "/save"} enctype="multipart/form-data" hx-encoding="multipart/form-data" novalidate data-warn-unsaved {
                    p.hint { "Save a block with its own button, or every block at once. Submit saves every block first, then asks before handing the report to the secretariat." }
                    input type="hidden" #report-version name="version" value=(s.version);
                    @for e in &s.entries {
                        @let mine = typed.and_then(|t| t.iter().find(|(a, _, _)| *a == e.activity_id));
                        (entry_block(id, &s, e, mine.map(|(_, f, _)| f), mine.and_then(|(_, _, x)| x.as_ref()), false, state.attachments.max_bytes))
                        @if let Some(n) = note(e) { (n) }
                    }
                    @if s.entries.is_empty() { p.notice { "Your body has no activity in this plan to report on." } }
                    div.actions.report-actions {
                        button.secondary type="submit" { "Save all blocks" }
                        button type="submit" formaction={(base) "/submit"} { "Submit report" }
                    }
                }
            } @else if let Some((pc, ps)) = &prev {
                // One card per activity on a phone, each report named (table.cards).
                @let earlier: std::collections::HashMap<_, _> =
                    ps.entries.iter().map(|x| (x.activity_id, x)).collect();
                table.cards #side-by-side {
                    caption { "This report beside " (pc.name) }
                    thead { tr { th scope="col" { "Activity" } th scope="col" { (cycle.name) } th scope="col" { (pc.name) } } }
                    tbody {
                        @for e in &s.entries {
                            tr {
                                th scope="row" { (e.activity_code) " " (e.activity_title) @if let Some(n) = note(e) { (n) } }
                                td data-label=(cycle.name) { (entry_readonly(e)) (context(e)) (amendments.entry_note(e, false, &base)) }
                                td data-label=(pc.name) { @match earlier.get(&e.activity_id).copied() {
                                    Some(p) => (entry_readonly(p)),
                                    None => "Not in that report",
                                } }
                            }
                        }
                    }
                }
            } @else {
                @for e in &s.entries {
                    section.block { h3 { (e.activity_code) " " (e.activity_title) } (entry_readonly(e)) (context(e)) @if let Some(n) = note(e) { (n) }
                        (amendments.entry_note(e, amendable, &base)) }
                }
            }
            @if reviewable {
                h2 { "Review" }
                div.actions {
                    form method="post" action={(base) "/accept"} {
                        input type="hidden" name="version" value=(s.version);
                        button type="submit" { "Accept " (s.body) "'s report" }
                    }
                    form.stack #return-form method="post" action={(base) "/return"} {
                        input type="hidden" name="version" value=(s.version);
                        label for="reason" { "Reason for returning (required)" }
                        textarea #reason name="reason" required maxlength="5000" {}
                        button.danger type="submit" { "Return to " (s.body) }
                    }
                }
            }
            (amendments.section(&base, &s))
            @if let Some(c) = &conversation { (c.section(&base, &s)) }
            h2 { "History" }
            ol.timeline {
                @for ev in &s.events {
                    li { (when(ev.occurred_at)) " · " (action_text(&ev.action))
                        @if ev.from_status != ev.to_status { " (" (status_text(&ev.from_status)) " → " (status_text(&ev.to_status)) ")" }
                        @if let Some(r) = &ev.reason { ": " (r) } }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/submissions/{body}`.
pub async fn submission(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
) -> Result<Markup, PageError> {
    submission_page(&state, &viewer, id, &body, None, None).await
}

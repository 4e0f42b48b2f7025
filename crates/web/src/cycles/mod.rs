//! Reporting cycles: the list (and, for the secretariat, creating, opening and closing
//! cycles), the board of who has submitted, a body's report (edited block by block by
//! its officers, reviewed by the secretariat), the review queue, and the consolidated
//! report with its downloads.
//!
//! One module per page or use case: `schedule` (the list and the new-cycle form,
//! opening and closing), `board`, `submission` (a body's report page), `entries`
//! (saving one block of it), `review` (the workflow steps and the secretariat's queue)
//! and `report` (the consolidated report on screen and its downloads, rendered by
//! `wpt_api::report`), `deadlines` (a body's deadline extended). The small shared
//! pieces are here.

mod amend;
mod amendment_decide;
mod amendments;
mod board;
mod conversation;
mod csv;
mod deadlines;
mod entries;
mod planned;
mod report;
mod review;
mod review_context;
mod schedule;
mod submission;

use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use maud::{Markup, html};
use wpt_db::DbError;
use wpt_domain::models::SubmissionEntry;
use wpt_domain::page::PageRequest;
use wpt_domain::{CycleKind, CycleState};

pub use amend::{amend_form, propose as propose_amendment};
pub use amendment_decide::{DecideForm, decide as decide_amendment};
pub use board::board;
pub use conversation::{CommentForm, ResolveForm, add_comment, resolve_comment};
pub use deadlines::{ExtensionForm, extend, extension_form, remind};
pub use entries::{ReportForm, VersionQuery, save_all, save_entry};
pub use planned::{delete as delete_cycle, edit as edit_cycle, edit_form as edit_cycle_form};
pub use report::{report, report_csv, report_docx, report_xlsx};
pub use review::{StepForm, accept, return_submission, review_queue, submit};
pub use schedule::{CycleForm, PlanField, close, create, index, open, reopen};
pub use submission::{my_report, submission};

use crate::html::{self, PageError, Section, status_badge};
use crate::session::Viewer;

/// A one-way action's form: posted without `confirm=yes` it answers the confirmation
/// page (what will happen, in words); posted from that page, it acts.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

impl ConfirmForm {
    fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

/// The confirmation step of a one-way action, without script: the consequences in
/// words, a form that posts the same fields again with `confirm=yes`, and a way back.
#[allow(clippy::too_many_arguments)]
fn confirm_page(
    viewer: &Viewer,
    section: Section,
    title: &str,
    consequences: Markup,
    action: &str,
    hidden: &[(&str, &str)],
    yes: &str,
    back: &str,
) -> Markup {
    html::page(
        viewer,
        section,
        title,
        html! {
            div.confirm #confirm {
                (consequences)
                div.actions {
                    form method="post" action=(action) {
                        @for (name, value) in hidden {
                            input type="hidden" name=(name) value=(value);
                        }
                        input type="hidden" name="confirm" value="yes";
                        button.danger type="submit" { (yes) }
                    }
                    a.button.secondary href=(back) { "No, go back" }
                }
            }
        },
    )
}

/// "A, B and C".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn all_rows() -> Result<PageRequest, PageError> {
    PageRequest::parse(Some(200), None).map_err(|e| PageError::from(DbError::Validation(e)))
}

fn kind_word(kind: CycleKind) -> &'static str {
    match kind {
        CycleKind::Somtc => "SOMTC",
        CycleKind::Ammtc => "AMMTC",
        CycleKind::MidTermReview => "Mid-term review",
        CycleKind::FinalReview => "Final review",
        CycleKind::AdHoc => "Ad hoc",
    }
}

fn state_word(state: CycleState) -> &'static str {
    match state {
        CycleState::Planned => "Planned",
        CycleState::Open => "Open for submissions",
        CycleState::Closed => "Closed",
    }
}

/// "Due in 5 days", "Due today", "3 days past due".
fn countdown(due: NaiveDate) -> String {
    let days = (due - Utc::now().date_naive()).num_days();
    match days {
        0 => "Due today".to_owned(),
        1 => "Due tomorrow".to_owned(),
        d if d > 1 => format!("Due in {d} days"),
        -1 => "1 day past due".to_owned(),
        d => format!("{} days past due", -d),
    }
}

fn entry_readonly(e: &SubmissionEntry) -> Markup {
    html! {
        div {
            p { (status_badge(Some(e.status)))
                @if let Some(p) = e.percent_complete { " · " (p) "%" }
                @if e.amended { " · amended after acceptance" } }
            @if e.narrative.is_empty() { p { "No narrative." } } @else { (html::paragraphs(&e.narrative)) }
            @if let Some(c) = &e.challenges { p { strong { "Challenges: " } (c) } }
            @if let Some(n) = &e.next_steps { p { strong { "Next steps: " } (n) } }
            @if !e.evidence_urls.is_empty() {
                ul { @for l in &e.evidence_urls { li { a href=(l) rel="noopener noreferrer" { (l) } } } }
            }
            (crate::attachments::list(&e.attachments))
        }
    }
}

fn parse_version(v: Option<&str>) -> Result<i32, PageError> {
    v.and_then(|v| v.trim().parse::<i32>().ok()).ok_or_else(|| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "The form is missing the report's version; open the page again.",
        )
    })
}

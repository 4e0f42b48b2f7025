//! The reviewer's context (issue 24, item 11): beside each entry of a report under
//! review, the body's last accepted values for that activity, flags for values that
//! look implausible, and whether the entry changed since the report was returned.
//! Read once per page (`wpt_db::cycles::last_accepted`: a constant number of queries).

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_db::cycles::LastAccepted;
use wpt_domain::ProgressStatus;
use wpt_domain::models::SubmissionEntry;

use crate::html;

/// What looks wrong in an entry, in words, given the last accepted values.
pub(super) fn flags(e: &SubmissionEntry, last: Option<&LastAccepted>) -> Vec<String> {
    let mut out = Vec::new();
    let word = html::status_word(e.status);
    if let Some(p) = e.percent_complete {
        if e.status == ProgressStatus::NotStarted && p > 0 {
            out.push(format!("{word}, yet {p}% complete"));
        }
        if e.status == ProgressStatus::Completed && p < 100 {
            out.push(format!("{word}, yet only {p}% complete"));
        }
        if let Some(before) = last.and_then(|l| l.percent)
            && before - p >= 30
        {
            out.push(format!(
                "Fell from {before}% to {p}% since the last accepted report"
            ));
        }
    }
    if let Some(l) = last
        && l.status.is_final()
        && !e.status.is_final()
    {
        out.push(format!(
            "Was {} in the last accepted report, now {word}",
            html::status_word(l.status).to_lowercase()
        ));
    }
    out
}

/// The context shown under one entry.
pub(super) fn notes(
    e: &SubmissionEntry,
    last: Option<&LastAccepted>,
    this_cycle: Uuid,
    returned_at: Option<DateTime<Utc>>,
) -> Markup {
    // The last accepted report, unless it is this very one.
    let last = last.filter(|l| l.cycle_id != this_cycle);
    let flags = flags(e, last);
    html! {
        div.review-context id={"context-" (e.activity_id)} {
            p.last-accepted {
                strong { "Last accepted: " }
                @match last {
                    Some(l) => {
                        (html::status_word(l.status))
                        @if let Some(p) = l.percent { ", " (p) "%" }
                        " (" (l.cycle_name) ")"
                    }
                    None => { "none yet" }
                }
            }
            @if let Some(t) = returned_at {
                p.changed-since-return {
                    @if e.updated_at > t { strong { "Changed since the return" } " (" (html::when(e.updated_at)) ")" }
                    @else { "Not changed since the return" }
                }
            }
            @if !flags.is_empty() {
                ul.flags.late aria-label="Please check" {
                    @for f in &flags { li { "Please check: " (f) } }
                }
            }
        }
    }
}

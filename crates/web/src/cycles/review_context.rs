//! The reviewer's context (issue 24, item 11): beside each entry of a report under
//! review, the body's last accepted values for that activity, flags for values that
//! look implausible, and what changed in the entry since the report was returned, field
//! by field. Read once per page (`wpt_db::cycles::last_accepted`: a constant number of
//! queries; the changes come with the report).

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_db::cycles::LastAccepted;
use wpt_domain::ProgressStatus;
use wpt_domain::models::{FieldChange, SubmissionEntry};

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
            (since_return(e, returned_at))
            @if !flags.is_empty() {
                ul.flags.late aria-label="Please check" {
                    @for f in &flags { li { "Please check: " (f) } }
                }
            }
        }
    }
}

/// What changed in `e` since the report was returned, in words; nothing when it never
/// was. A report returned before its entries were kept (or an entry added since) says
/// only whether and when the entry was saved since.
fn since_return(e: &SubmissionEntry, returned_at: Option<DateTime<Utc>>) -> Markup {
    match (&e.changes_since_return, returned_at) {
        (Some(changes), _) if changes.is_empty() => html! {
            p.changed-since-return { "Unchanged since the return" }
        },
        (Some(changes), _) => html! {
            div.changed-since-return {
                p { strong { "Changed since the return" } }
                ul.changes { @for c in changes { li data-field=(c.field) { (change(c)) } } }
            }
        },
        (None, Some(t)) => html! {
            p.changed-since-return {
                @if e.updated_at > t { strong { "Changed since the return" } " (" (html::when(e.updated_at)) ")" }
                @else { "Not changed since the return" }
            }
        },
        (None, None) => html! {},
    }
}

/// Texts this short (and on one line) are shown before and after in the line itself.
const SHORT: usize = 80;

/// One changed field in words, labelled as the report's form labels it.
fn change(c: &FieldChange) -> Markup {
    let status = |v: &serde_json::Value| {
        serde_json::from_value::<ProgressStatus>(v.clone())
            .map(html::status_word)
            .unwrap_or("none")
    };
    let percent = |v: &serde_json::Value| match v.as_i64() {
        Some(p) => format!("{p}%"),
        None => "not given".to_owned(),
    };
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    };
    match c.field.as_str() {
        "status" => html! { "Status: " (status(&c.before)) " → " (status(&c.after)) },
        "percent_complete" => {
            html! { "Percent complete: " (percent(&c.before)) " → " (percent(&c.after)) }
        }
        "evidence_urls" | "attachments" => {
            let (before, after) = (list(&c.before), list(&c.after));
            let added = after.iter().filter(|x| !before.contains(x)).count();
            let removed = before.iter().filter(|x| !after.contains(x)).count();
            let label = if c.field == "attachments" {
                "Files"
            } else {
                "Evidence links"
            };
            let mut parts = Vec::new();
            if added > 0 {
                parts.push(format!("{added} added"));
            }
            if removed > 0 {
                parts.push(format!("{removed} removed"));
            }
            if parts.is_empty() {
                parts.push("reordered".to_owned());
            }
            html! { (label) ": " (parts.join(", ")) }
        }
        field => {
            let label = match field {
                "narrative" => "What was done",
                "challenges" => "Challenges",
                _ => "Next steps",
            };
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            let (before, after) = (text(&c.before), text(&c.after));
            let short = |t: &str| t.chars().count() <= SHORT && !t.contains('\n');
            let quoted = |t: &str| {
                if t.is_empty() {
                    "(empty)".to_owned()
                } else {
                    format!("“{t}”")
                }
            };
            html! {
                (label) ": changed"
                @if short(&before) && short(&after) {
                    ", " (quoted(&before)) " → " (quoted(&after))
                } @else {
                    details.before-after {
                        summary { "Before and after" }
                        p { strong { "At the return: " } }
                        div.text-before { (quoted(&before)) }
                        p { strong { "Now: " } }
                        div.text-after { (quoted(&after)) }
                    }
                }
            }
        }
    }
}

//! Corrections to an accepted report in the pages (issue 24): on the report's page,
//! the corrections its officers proposed (`wpt_db::cycles::amendments`), each pending
//! one with the accepted values beside the proposed ones and, for the secretariat,
//! Accept / Reject (decided in `amendment_decide`); the decided ones below as history.
//! Each entry says whether a correction of it waits for the secretariat (then no new
//! one is offered: the use case would refuse it with 409) and how the last one ended.
//!
//! Read once per page: the list (one page of the use case, a constant number of
//! queries) and the names of the people in it (one query).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::cycles::AmendmentValues;
use wpt_domain::models::{Amendment, Attachment, Submission, SubmissionEntry};
use wpt_domain::{AmendmentStatus, SubmissionStatus};

use super::all_rows;
use crate::html::{self, PageError, status_badge, when};
use crate::session::Viewer;

/// One amendment with its stored values read.
pub(super) struct Row {
    pub(super) a: Amendment,
    pub(super) status: AmendmentStatus,
    pub(super) original: AmendmentValues,
    pub(super) proposed: AmendmentValues,
}

impl Row {
    pub(super) fn of(a: Amendment) -> Result<Self, PageError> {
        Ok(Self {
            status: a
                .status
                .parse()
                .map_err(|_| PageError::from(wpt_db::DbError::internal("amendment status")))?,
            original: AmendmentValues::read(&a.original)?,
            proposed: AmendmentValues::read(&a.proposed)?,
            a,
        })
    }

    fn pending(&self) -> bool {
        self.status == AmendmentStatus::Proposed
    }
}

/// The corrections of one report as its page shows them.
#[derive(Default)]
pub(super) struct Amendments {
    rows: Vec<Row>,
    names: HashMap<Uuid, String>,
    /// The viewer may accept or reject them now (the secretariat, cycle not closed).
    decides: bool,
    /// The viewer reviews reports (the secretariat): pending ones link to the decision.
    reviewer: bool,
}

/// Status and percent in words: `On track, 60%`.
pub(super) fn summary(v: &AmendmentValues) -> String {
    match v.percent_complete {
        Some(p) => format!("{}, {p}%", html::status_word(v.status)),
        None => html::status_word(v.status).to_owned(),
    }
}

/// What a correction changes, field by field, in words (`Status: On track → Delayed`).
/// `files` are the entry's files now; `proposed_files` the proposed set's.
pub(super) fn changes(
    o: &AmendmentValues,
    p: &AmendmentValues,
    files: &[Attachment],
    proposed_files: &[Attachment],
) -> Vec<String> {
    let mut out = Vec::new();
    if o.status != p.status {
        out.push(format!(
            "Status: {} → {}",
            html::status_word(o.status),
            html::status_word(p.status)
        ));
    }
    if o.percent_complete != p.percent_complete {
        let pc = |v: Option<i32>| v.map_or_else(|| "none".to_owned(), |p| format!("{p}%"));
        out.push(format!(
            "Percent complete: {} → {}",
            pc(o.percent_complete),
            pc(p.percent_complete)
        ));
    }
    for (label, a, b) in [
        ("What was done", Some(&o.narrative), Some(&p.narrative)),
        ("Challenges", o.challenges.as_ref(), p.challenges.as_ref()),
        ("Next steps", o.next_steps.as_ref(), p.next_steps.as_ref()),
    ] {
        let blank = |s: Option<&String>| s.map(|s| s.trim().to_owned()).unwrap_or_default();
        if blank(a) != blank(b) {
            out.push(format!("{label}: rewritten"));
        }
    }
    if o.evidence_urls != p.evidence_urls {
        out.push("Evidence links: changed".to_owned());
    }
    if p.attachment_ids.is_some() {
        let names = |f: &[Attachment]| {
            if f.is_empty() {
                "none".to_owned()
            } else {
                f.iter()
                    .map(|a| a.filename.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let before: Vec<Uuid> = files.iter().map(|f| f.id).collect();
        let after: Vec<Uuid> = proposed_files.iter().map(|f| f.id).collect();
        if before != after {
            out.push(format!(
                "Evidence files: {} → {}",
                names(files),
                names(proposed_files)
            ));
        }
    }
    out
}

impl Amendments {
    /// The corrections of `s`, for whom reads them with their notes: the secretariat
    /// and the body's own officers (`sees`); nothing for anyone else, nor for a report
    /// not accepted (it has none). `decides`: the one policy lets the viewer decide
    /// them now.
    pub(super) async fn load(
        state: &AppState,
        viewer: &Viewer,
        cycle: Uuid,
        s: &Submission,
        sees: bool,
        decides: bool,
    ) -> Result<Self, PageError> {
        if !sees || s.status != SubmissionStatus::Accepted {
            return Ok(Self::default());
        }
        let page =
            wpt_db::cycles::amendments(&state.db, &viewer.actor, cycle, &s.body, &all_rows()?)
                .await?;
        let rows = page
            .items
            .into_iter()
            .map(Row::of)
            .collect::<Result<Vec<_>, _>>()?;
        let people: Vec<Uuid> = rows
            .iter()
            .flat_map(|r| [Some(r.a.proposer_id), r.a.reviewer_id])
            .flatten()
            .collect();
        let names = wpt_db::users::names(&state.db, people).await?;
        Ok(Self {
            rows,
            names,
            decides,
            reviewer: viewer.actor.reads_everything(),
        })
    }

    fn name(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.names.get(&i).cloned())
            .unwrap_or_else(|| "—".into())
    }

    /// Under an entry: a correction waiting ("Correction proposed <time>, waiting for
    /// the secretariat"), how the last decided one ended, and the link to propose one
    /// when `amendable` and none waits.
    pub(super) fn entry_note(&self, e: &SubmissionEntry, amendable: bool, base: &str) -> Markup {
        let mine = || {
            self.rows
                .iter()
                .filter(|r| r.a.activity_id == e.activity_id)
        };
        let pending = mine().find(|r| r.pending());
        let decided = mine()
            .filter(|r| !r.pending())
            .max_by_key(|r| r.a.reviewed_at);
        html! {
            @if pending.is_some() || decided.is_some() || amendable {
                div.amendment-note id={"amendment-note-" (e.activity_id)} {
                    @if let Some(d) = decided {
                        p.decided {
                            strong { (outcome(d.status)) } " " (when_or(d.a.reviewed_at))
                            " by " (self.name(d.a.reviewer_id))
                            @if d.status == AmendmentStatus::Accepted { ": the entry now reads " (summary(&d.proposed)) }
                            "."
                            @if let Some(n) = &d.a.review_note { " Note: " q { (n) } }
                        }
                    }
                    @if let Some(p) = pending {
                        p.notice.pending {
                            strong { "Correction proposed " (when(p.a.proposed_at)) ", waiting for the secretariat." }
                            @if self.reviewer { " " a href={"#amendment-" (p.a.id)} { "See it and decide" } }
                            @else { " Until then the accepted values stay, and no other correction of this entry can be proposed." }
                        }
                    } @else if amendable {
                        p { a href={(base) "/amend/" (e.activity_id)} { "Propose a correction" } }
                    }
                }
            }
        }
    }

    /// The corrections section of the report's page: the pending ones (with Accept /
    /// Reject for whom decides), then the decided ones. Nothing when there are none.
    pub(super) fn section(&self, base: &str, s: &Submission) -> Markup {
        if self.rows.is_empty() {
            return html! {};
        }
        let pending: Vec<&Row> = self.rows.iter().filter(|r| r.pending()).collect();
        let decided: Vec<&Row> = self.rows.iter().filter(|r| !r.pending()).collect();
        html! {
            section #amendments {
                h2 { "Corrections proposed after acceptance" }
                @if pending.is_empty() {
                    p #amendments-none-pending { "No correction is waiting for a decision." }
                } @else if self.reviewer && !self.decides {
                    p.notice { "The cycle is closed: these corrections can no longer be accepted or rejected." }
                }
                @for r in &pending { (self.pending_item(base, s, r)) }
                @if !decided.is_empty() {
                    table.cards #amendment-history {
                        caption { "Decided corrections, oldest first" }
                        thead { tr {
                            th scope="col" { "Entry" } th scope="col" { "Proposed" } th scope="col" { "Reason" }
                            th scope="col" { "Proposed by" } th scope="col" { "Decision" } th scope="col" { "Decided by" } th scope="col" { "Note" }
                        } }
                        tbody {
                            @for r in &decided {
                                tr id={"amendment-" (r.a.id)} {
                                    td.card-title data-label="Entry" { (code_of(s, r.a.activity_id)) }
                                    td data-label="Proposed" { (summary(&r.proposed)) }
                                    td data-label="Reason" { (r.a.reason) }
                                    td data-label="Proposed by" { (self.name(Some(r.a.proposer_id))) " · " (when(r.a.proposed_at)) }
                                    td data-label="Decision" { strong { (outcome(r.status)) } }
                                    td data-label="Decided by" { (self.name(r.a.reviewer_id)) " · " (when_or(r.a.reviewed_at)) }
                                    td data-label="Note" { (r.a.review_note.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn pending_item(&self, base: &str, s: &Submission, r: &Row) -> Markup {
        let entry = s.entries.iter().find(|e| e.activity_id == r.a.activity_id);
        let action = format!("{base}/amendments/{}/decide", r.a.id);
        let target = format!("#amendment-{}", r.a.id);
        html! {
            article.block.amendment id={"amendment-" (r.a.id)} {
                h3 { "Correction to " (code_of(s, r.a.activity_id)) @if let Some(e) = entry { " " (e.activity_title) } }
                p { "Proposed by " (self.name(Some(r.a.proposer_id))) " · " (when(r.a.proposed_at)) }
                (compare(r, entry.map_or(&[][..], |e| &e.attachments)))
                p.reason { strong { "Reason: " } (r.a.reason) }
                @if self.decides {
                    form.stack.decide method="post" action=(action) hx-post=(action) hx-target=(target) hx-swap="outerHTML" {
                        label for={"note-" (r.a.id)} { "Note for " (s.body) " (optional; its officers see it with your decision)" }
                        textarea id={"note-" (r.a.id)} name="note" rows="2" maxlength="5000" {}
                        div.actions {
                            button type="submit" name="decision" value="accept" { "Accept the correction" }
                            button.danger type="submit" name="decision" value="reject" { "Reject the correction" }
                        }
                        p.hint { "Both ask first, saying what will happen." }
                    }
                }
            }
        }
    }
}

/// The accepted values beside the proposed ones, changed rows marked in words.
fn compare(r: &Row, files: &[Attachment]) -> Markup {
    let (o, p) = (&r.original, &r.proposed);
    let pc = |v: Option<i32>| v.map_or_else(|| "—".to_owned(), |p| format!("{p}%"));
    let text = |v: Option<&String>| -> Markup {
        match v.map(|s| s.trim()).filter(|s| !s.is_empty()) {
            Some(t) => html::paragraphs(t),
            None => html! { "—" },
        }
    };
    let links = |l: &[String]| -> Markup {
        html! {
            @if l.is_empty() { "—" } @else {
                ul { @for u in l { li { a href=(u) rel="noopener noreferrer" { (u) } } } }
            }
        }
    };
    let file_list = |f: &[Attachment]| -> Markup {
        html! { @if f.is_empty() { "None" } @else { (crate::attachments::list(f)) } }
    };
    let blank = |s: Option<&String>| s.map(|s| s.trim().to_owned()).unwrap_or_default();
    let proposed_ids: Option<Vec<Uuid>> = p.attachment_ids.clone();
    let files_changed = proposed_ids
        .as_ref()
        .is_some_and(|ids| *ids != files.iter().map(|f| f.id).collect::<Vec<_>>());
    let rows: Vec<(&str, bool, Markup, Markup)> = vec![
        (
            "Status",
            o.status != p.status,
            status_badge(Some(o.status)),
            status_badge(Some(p.status)),
        ),
        (
            "Percent complete",
            o.percent_complete != p.percent_complete,
            html! { (pc(o.percent_complete)) },
            html! { (pc(p.percent_complete)) },
        ),
        (
            "What was done",
            o.narrative.trim() != p.narrative.trim(),
            text(Some(&o.narrative)),
            text(Some(&p.narrative)),
        ),
        (
            "Challenges",
            blank(o.challenges.as_ref()) != blank(p.challenges.as_ref()),
            text(o.challenges.as_ref()),
            text(p.challenges.as_ref()),
        ),
        (
            "Next steps",
            blank(o.next_steps.as_ref()) != blank(p.next_steps.as_ref()),
            text(o.next_steps.as_ref()),
            text(p.next_steps.as_ref()),
        ),
        (
            "Evidence links",
            o.evidence_urls != p.evidence_urls,
            links(&o.evidence_urls),
            links(&p.evidence_urls),
        ),
        (
            "Evidence files",
            files_changed,
            file_list(files),
            if proposed_ids.is_some() {
                file_list(&r.a.proposed_attachments)
            } else {
                html! { "No change" }
            },
        ),
    ];
    html! {
        table.cards.compare {
            caption { "Accepted values beside the proposed ones" }
            thead { tr { th scope="col" { "Field" } th scope="col" { "Accepted" } th scope="col" { "Proposed" } } }
            tbody {
                @for (label, changed, before, after) in rows {
                    tr.changed[changed] {
                        td.card-title data-label="Field" { (label) @if changed { " " strong { "(changed)" } } }
                        td data-label="Accepted" { (before) }
                        td data-label="Proposed" { (after) }
                    }
                }
            }
        }
    }
}

fn outcome(status: AmendmentStatus) -> &'static str {
    match status {
        AmendmentStatus::Accepted => "Correction accepted",
        AmendmentStatus::Rejected => "Correction rejected",
        AmendmentStatus::Proposed => "Correction proposed",
    }
}

fn when_or(t: Option<DateTime<Utc>>) -> Markup {
    html::when_opt(t)
}

/// The activity code of an entry of `s` (its id when not in the report).
pub(super) fn code_of(s: &Submission, activity: Uuid) -> String {
    s.entries
        .iter()
        .find(|e| e.activity_id == activity)
        .map_or_else(|| activity.to_string(), |e| e.activity_code.clone())
}

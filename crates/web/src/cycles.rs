//! Reporting cycles: the list (and, for the secretariat, creating, opening and closing
//! cycles), the board of who has submitted, a body's report (edited block by block by
//! its officers, reviewed by the secretariat), the review queue, and the consolidated
//! report with its downloads.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_api::routes::cycles::ReportFormat;
use wpt_db::DbError;
use wpt_db::cycles::{CycleInput, EntryInput};
use wpt_db::progress::NewProgress;
use wpt_domain::models::{Cycle, Submission, SubmissionEntry};
use wpt_domain::page::PageRequest;
use wpt_domain::workflow::SubmissionAction;
use wpt_domain::{CycleKind, CycleState, ProgressStatus, Role, SubmissionStatus};

use crate::activities::ProgressFields;
use crate::html::{
    self, FormData, Htmx, PageError, Section, day, page, status_badge, submission_badge, when,
    when_opt,
};
use crate::session::Viewer;

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
        CycleState::Open => "Open",
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

/// The new-cycle form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct CycleForm {
    kind: String,
    name: String,
    meeting_date: String,
    period_start: String,
    period_end: String,
    opens_on: String,
    #[serde(default)]
    due_on: String,
}

fn cycle_form(plan_id: Uuid, form: &CycleForm, error: Option<&PageError>) -> Markup {
    let field = |name: &str| error.and_then(|e| e.field(name));
    let date = |id: &str, label: &str, value: &str, required: bool| {
        let problem = field(id);
        html! {
            div.field {
                label for={"cycle-" (id)} { (label) @if required { " (required)" } }
                @if let Some(p) = problem { span.problem { (p) } }
                input id={"cycle-" (id)} type="date" name=(id) value=(value) required[required] aria-invalid=[problem.map(|_| "true")];
            }
        }
    };
    html! {
        form.stack #new-cycle method="post" action="/ui/cycles" aria-label="New reporting cycle" {
            @if let Some(e) = error { (e.alert()) }
            input type="hidden" name="work_plan_id" value=(plan_id);
            div.grid2 {
                div.field {
                    label for="cycle-kind" { "Kind (required)" }
                    select #cycle-kind name="kind" {
                        @for k in CycleKind::ALL { option value=(k.as_str()) selected[form.kind == k.as_str()] { (kind_word(*k)) } }
                    }
                }
                div.field {
                    label for="cycle-name" { "Name (required)" }
                    @if let Some(p) = field("name") { span.problem { (p) } }
                    input #cycle-name type="text" name="name" value=(form.name) required maxlength="200";
                }
                (date("meeting_date", "Meeting date", &form.meeting_date, true))
                (date("period_start", "Period covered from", &form.period_start, true))
                (date("period_end", "Period covered to", &form.period_end, true))
                (date("opens_on", "Submissions open on", &form.opens_on, true))
                (date("due_on", "Submissions due on (default: 30 days before the meeting)", &form.due_on, false))
            }
            button type="submit" { "Create cycle" }
        }
    }
}

async fn index_page(
    state: &AppState,
    viewer: &Viewer,
    form: &CycleForm,
    error: Option<&PageError>,
) -> Result<Markup, PageError> {
    let plan = crate::dashboard::choose_plan(state, None).await?;
    let cycles = wpt_db::cycles::list(&state.db, Some(plan.id), None, &all_rows()?).await?;
    let secretariat = viewer.actor.secretariat().is_ok();
    let officer = viewer.actor.role == Role::Officer;
    let title = if officer {
        "My cycle reports"
    } else {
        "Reporting cycles"
    };
    Ok(page(
        viewer,
        Section::Cycles,
        title,
        html! {
            table #cycles {
                caption { "Reporting cycles of " (plan.code) ", latest meeting first" }
                thead { tr {
                    th scope="col" { "Cycle" } th scope="col" { "Kind" } th scope="col" { "Meeting" }
                    th scope="col" { "Submissions due" } th scope="col" { "State" } th scope="col" { "Pages" }
                } }
                tbody {
                    @for c in &cycles.items {
                        tr {
                            td { (c.name) }
                            td { (kind_word(c.kind)) }
                            td { (day(c.meeting_date)) }
                            td { (day(c.due_on)) @if c.state == CycleState::Open { " · " (countdown(c.due_on)) } }
                            td { (state_word(c.state)) }
                            td {
                                div.actions {
                                    @if officer && c.state != CycleState::Planned {
                                        a href={"/ui/cycles/" (c.id) "/my-report"} { "My report" }
                                    }
                                    @if c.state != CycleState::Planned {
                                        a href={"/ui/cycles/" (c.id) "/board"} { "Who has submitted" }
                                        a href={"/ui/cycles/" (c.id) "/report"} { "Consolidated report" }
                                    }
                                    @if secretariat && c.state == CycleState::Planned {
                                        form method="post" action={"/ui/cycles/" (c.id) "/open"} {
                                            button type="submit" { "Open " (c.name) }
                                        }
                                    }
                                    @if secretariat && c.state == CycleState::Open {
                                        form method="post" action={"/ui/cycles/" (c.id) "/close"} {
                                            button.secondary type="submit" { "Close " (c.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if cycles.items.is_empty() { p.notice { "No reporting cycle yet." } }
            @if secretariat {
                h2 { "New reporting cycle" }
                (cycle_form(plan.id, form, error))
            }
        },
    ))
}

/// `GET /ui/cycles`.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    index_page(&state, &viewer, &CycleForm::default(), None).await
}

fn parse_day(errors: &mut wpt_domain::ValidationErrors, name: &str, value: &str) -> NaiveDate {
    value.trim().parse::<NaiveDate>().unwrap_or_else(|_| {
        errors.add(name, "must be a date (YYYY-MM-DD)");
        NaiveDate::MIN
    })
}

/// The plan id a form names.
#[derive(Debug, Deserialize)]
pub struct PlanField {
    work_plan_id: Uuid,
    #[serde(flatten)]
    form: CycleForm,
}

/// `POST /ui/cycles`: creates a planned cycle (secretariat).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    FormData(input): FormData<PlanField>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        let f = &input.form;
        let mut errors = wpt_domain::ValidationErrors::new();
        let kind = f.kind.parse::<CycleKind>().unwrap_or_else(|_| {
            errors.add("kind", "choose one of the listed kinds");
            CycleKind::Somtc
        });
        let meeting_date = parse_day(&mut errors, "meeting_date", &f.meeting_date);
        let period_start = parse_day(&mut errors, "period_start", &f.period_start);
        let period_end = parse_day(&mut errors, "period_end", &f.period_end);
        let opens_on = parse_day(&mut errors, "opens_on", &f.opens_on);
        let due_on = match f.due_on.trim() {
            "" => None,
            d => Some(parse_day(&mut errors, "due_on", d)),
        };
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::cycles::create(
            &state.db,
            &grant,
            &state.cycles,
            CycleInput {
                work_plan_id: input.work_plan_id,
                kind,
                name: f.name.clone(),
                meeting_date,
                period_start,
                period_end,
                opens_on,
                due_on,
                review_due_on: None,
            },
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/ui/cycles").into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            match index_page(&state, &viewer, &input.form, Some(&e)).await {
                Ok(p) => (e.status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /ui/cycles/{id}/open` (secretariat).
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Redirect, PageError> {
    let grant = viewer.actor.secretariat()?;
    wpt_db::cycles::open(&state.db, &grant, id).await?;
    Ok(Redirect::to(&format!("/ui/cycles/{id}/board")))
}

/// `POST /ui/cycles/{id}/close` (secretariat).
pub async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Redirect, PageError> {
    let grant = viewer.actor.secretariat()?;
    wpt_db::cycles::close(&state.db, &grant, id).await?;
    Ok(Redirect::to("/ui/cycles"))
}

/// `GET /ui/cycles/{id}/board`: who has (not) submitted, late rows first.
pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let mut rows = wpt_db::cycles::board(&state.db, id, None).await?;
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
            table #board {
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
                            td { (submission_badge(r.status)) }
                            td { @if r.missing { span.late { "Missing (past due)" } } @else if r.late { span.late { "Late" } } @else { "No" } }
                            td { (name(r.author_id)) }
                            td { (name(r.submitter_id)) }
                            td { (when_opt(r.submitted_at)) }
                            td { (name(r.reviewer_id)) }
                            td { (when_opt(r.reviewed_at)) }
                            td {
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

/// A stored submission status in words.
fn status_text(s: &str) -> &str {
    s.parse::<SubmissionStatus>()
        .map(html::submission_word)
        .unwrap_or(s)
}

fn last_change(s: &Submission) -> Option<DateTime<Utc>> {
    s.entries
        .iter()
        .filter(|e| e.updated_by.is_some())
        .map(|e| e.updated_at)
        .chain(s.events.iter().map(|e| e.occurred_at))
        .chain(s.authored_at)
        .max()
}

fn entry_block(
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
        }
    }
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

async fn submission_page(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let s = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, body).await?;
    let own = viewer.actor.body.as_ref().is_some_and(|b| b.code == body);
    let editable = own
        && cycle.state == CycleState::Open
        && matches!(
            s.status,
            SubmissionStatus::NotStarted | SubmissionStatus::Draft | SubmissionStatus::Returned
        );
    let reviewer = viewer.actor.secretariat().is_ok();
    let reviewable =
        reviewer && cycle.state == CycleState::Open && s.status == SubmissionStatus::Submitted;
    let prev = if reviewer {
        previous(state, viewer, &cycle, body).await?
    } else {
        None
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
                dt { "Due" } dd { (day(cycle.due_on)) @if cycle.state == CycleState::Open && !matches!(s.status, SubmissionStatus::Submitted | SubmissionStatus::Accepted) { " · " strong #countdown { (countdown(cycle.due_on)) } } }
                dt { "Author" } dd { (who_when(name(s.author_id), s.authored_at)) }
                dt { "Submitted by" } dd { (who_when(name(s.submitter_id), s.submitted_at)) }
                dt { "Reviewed by" } dd { (who_when(name(s.reviewer_id), s.reviewed_at)) }
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
                p.hint { "Save each block as you go; Submit hands the saved report to the secretariat." }
                @for e in &s.entries { (entry_block(id, &s, e, None, None, false)) }
                @if s.entries.is_empty() { p.notice { "Your body has no activity in this plan to report on." } }
                div.actions {
                    form method="post" action={(base) "/submit"} {
                        input type="hidden" #report-version name="version" value=(s.version);
                        button type="submit" { "Submit report" }
                    }
                }
            } @else if let Some((pc, ps)) = &prev {
                table #side-by-side {
                    caption { "This report beside " (pc.name) }
                    thead { tr { th scope="col" { "Activity" } th scope="col" { (cycle.name) } th scope="col" { (pc.name) } } }
                    tbody {
                        @for e in &s.entries {
                            tr {
                                th scope="row" { (e.activity_code) " " (e.activity_title) }
                                td { (entry_readonly(e)) }
                                td { @match ps.entries.iter().find(|x| x.activity_id == e.activity_id) {
                                    Some(p) => (entry_readonly(p)),
                                    None => "Not in that report",
                                } }
                            }
                        }
                    }
                }
            } @else {
                @for e in &s.entries {
                    section.block { h3 { (e.activity_code) " " (e.activity_title) } (entry_readonly(e)) }
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
            h2 { "History" }
            ol.timeline {
                @for ev in &s.events {
                    li { (when(ev.occurred_at)) " · " (status_text(&ev.from_status)) " → " (status_text(&ev.to_status))
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
    submission_page(&state, &viewer, id, &body, None).await
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

fn parse_version(v: Option<&str>) -> Result<i32, PageError> {
    v.and_then(|v| v.trim().parse::<i32>().ok()).ok_or_else(|| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "The form is missing the report's version; open the page again.",
        )
    })
}

fn to_progress(f: &EntryForm) -> Result<NewProgress, PageError> {
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
        let grant = viewer.actor.own_body()?;
        let values = to_progress(&form)?;
        wpt_db::cycles::save(
            &state.db,
            &grant,
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

/// A workflow step's form.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    version: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn step(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    form: StepForm,
    action: SubmissionAction,
) -> Response {
    let result = async {
        let version = parse_version(form.version.as_deref())?;
        let reason = match action {
            SubmissionAction::Return => {
                let r = form.reason.as_deref().map(str::trim).unwrap_or_default();
                if r.is_empty() {
                    let mut e = wpt_domain::ValidationErrors::new();
                    e.add(
                        "reason",
                        "say why the report goes back, so the body can fix it",
                    );
                    return Err(PageError::from(DbError::Validation(e)));
                }
                Some(r.to_owned())
            }
            _ => None,
        };
        wpt_db::cycles::act(&state.db, &viewer.actor, id, body, version, action, reason)
            .await
            .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(_) => {
            let target = match action {
                SubmissionAction::Submit => {
                    format!("/ui/cycles/{id}/submissions/{body}")
                }
                _ => match next_in_queue(state, viewer).await {
                    Some((c, b)) => format!("/ui/cycles/{c}/submissions/{b}"),
                    None => "/ui/review".to_owned(),
                },
            };
            Redirect::to(&target).into_response()
        }
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            e.into_response()
        }
        Err(e) => {
            let status = e.status;
            match submission_page(state, viewer, id, body, Some(e.alert())).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

/// `POST .../submit` (the body's officer).
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<StepForm>,
) -> Response {
    step(&state, &viewer, id, &body, form, SubmissionAction::Submit).await
}

/// `POST .../return` (secretariat; a reason is required).
pub async fn return_submission(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<StepForm>,
) -> Response {
    step(&state, &viewer, id, &body, form, SubmissionAction::Return).await
}

/// `POST .../accept` (secretariat).
pub async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<StepForm>,
) -> Response {
    step(&state, &viewer, id, &body, form, SubmissionAction::Accept).await
}

/// Submitted reports of open cycles, oldest submission first. One board query per
/// open cycle (there are one or two at a time).
async fn queue(
    state: &AppState,
) -> Result<Vec<(Cycle, wpt_domain::models::SubmissionSummary)>, PageError> {
    let open = wpt_db::cycles::list(&state.db, None, Some(CycleState::Open), &all_rows()?).await?;
    let mut items = Vec::new();
    for c in open.items {
        for s in wpt_db::cycles::board(&state.db, c.id, Some(SubmissionStatus::Submitted)).await? {
            items.push((c.clone(), s));
        }
    }
    items.sort_by_key(|(_, s)| s.submitted_at);
    Ok(items)
}

async fn next_in_queue(state: &AppState, viewer: &Viewer) -> Option<(Uuid, String)> {
    if viewer.actor.secretariat().is_err() {
        return None;
    }
    queue(state)
        .await
        .ok()?
        .into_iter()
        .next()
        .map(|(c, s)| (c.id, s.body))
}

/// `GET /ui/review`: the secretariat's queue.
pub async fn review_queue(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, PageError> {
    viewer.actor.secretariat()?;
    let items = queue(&state).await?;
    Ok(page(
        &viewer,
        Section::Review,
        "Review queue",
        html! {
            @if items.is_empty() {
                p.notice #queue-empty { "Nothing to review: no submitted report is waiting." }
            } @else {
                table #queue {
                    caption { (items.len()) " submitted reports, oldest first" }
                    thead { tr { th scope="col" { "Body" } th scope="col" { "Cycle" } th scope="col" { "Submitted" } th scope="col" { "Late" } th scope="col" { span.visually-hidden { "Review" } } } }
                    tbody {
                        @for (c, s) in &items {
                            tr {
                                th scope="row" { (s.body) }
                                td { (c.name) }
                                td { (when_opt(s.submitted_at)) }
                                td { @if s.late { span.late { "Late" } } @else { "No" } }
                                td { a href={"/ui/cycles/" (c.id) "/submissions/" (s.body)} { "Review " (s.body) } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/report`: the consolidated report on screen, with downloads.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let rows = wpt_db::cycles::report_rows(state.db.conn(), id).await?;
    let board = wpt_db::cycles::board(&state.db, id, None).await?;
    let report = wpt_api::report::build(cycle, &rows, board);
    Ok(page(
        &viewer,
        Section::Cycles,
        &format!("Consolidated report: {}", report.cycle.name),
        html! {
            p.actions {
                a.button href={"/ui/cycles/" (id) "/report.csv"} download { "Download CSV" }
                a.button href={"/ui/cycles/" (id) "/report.xlsx"} download { "Download XLSX" }
            }
            p { "Generated " (when(report.generated_at)) ". Only accepted entries are shown; the rest say where the body's report stands." }
            @if !report.late_bodies.is_empty() { p { strong { "Late: " } (report.late_bodies.join(", ")) } }
            @if !report.missing_bodies.is_empty() { p { strong { "Missing: " } (report.missing_bodies.join(", ")) } }
            table #report-totals {
                caption { "Accepted entries by area" }
                thead { tr { th scope="col" { "Area" } th scope="col" class="num" { "Rows (activity x body)" } th scope="col" class="num" { "Accepted" } } }
                tbody {
                    @for (area, t) in &report.totals.by_area {
                        tr { th scope="row" { (area) } td.num { (t.rows) } td.num { (t.accepted) } }
                    }
                }
            }
            @for area in &report.areas {
                h2 { "Area " (area.code) ": " (area.title) }
                table {
                    caption { "Area " (area.code) " activities and each body's accepted entry" }
                    thead { tr { th scope="col" { "Activity" } th scope="col" { "Body" } th scope="col" { "Report" } th scope="col" { "Entry" } } }
                    tbody {
                        @for a in &area.activities {
                            @for (i, b) in a.bodies.iter().enumerate() {
                                tr {
                                    @if i == 0 { th scope="row" rowspan=(a.bodies.len()) { (a.code) " " (a.title) } }
                                    td { (b.body) " (" (b.role) ")" }
                                    td { (submission_badge(b.submission_status)) }
                                    td { @match &b.entry { Some(e) => (entry_readonly(e)), None => "—" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/report.csv`.
pub async fn report_csv(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, id, ReportFormat::Csv).await
}

/// `GET /ui/cycles/{id}/report.xlsx`.
pub async fn report_xlsx(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Response {
    download(&state, id, ReportFormat::Xlsx).await
}

async fn download(state: &AppState, id: Uuid, format: ReportFormat) -> Response {
    match wpt_api::routes::cycles::render_report(state, id, format).await {
        Ok(r) => r,
        Err(e) => {
            let status = e.problem().status;
            html::error_page(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &e.problem().detail,
            )
        }
    }
}

//! `/ui/cycles`: the list of a plan's reporting cycles and, for the secretariat, the
//! new-cycle form and the buttons that open and close a cycle.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::cycles::CycleInput;
use wpt_domain::{CycleKind, CycleState, Role, SubmissionStatus};

use super::{ConfirmForm, all_rows, and_list, confirm_page, countdown, kind_word, state_word};
use crate::html::{FormData, PageError, Section, day, page};
use crate::session::Viewer;

/// The new-cycle form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct CycleForm {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) meeting_date: String,
    pub(super) period_start: String,
    pub(super) period_end: String,
    pub(super) opens_on: String,
    #[serde(default)]
    pub(super) due_on: String,
}

fn cycle_form(plan_id: Uuid, form: &CycleForm, error: Option<&PageError>) -> Markup {
    cycle_fields(plan_id, form, error, "/ui/cycles", "Create cycle", None)
}

/// The cycle's fields, in time order (the period covered, the submission window, the
/// meeting), posted to `action`; with `version` when editing a planned cycle.
pub(super) fn cycle_fields(
    plan_id: Uuid,
    form: &CycleForm,
    error: Option<&PageError>,
    action: &str,
    button: &str,
    version: Option<i32>,
) -> Markup {
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
        form.stack #new-cycle method="post" action=(action) aria-label=(if version.is_some() { "Edit the reporting cycle" } else { "New reporting cycle" }) {
            @if let Some(e) = error { (e.alert()) }
            input type="hidden" name="work_plan_id" value=(plan_id);
            @if let Some(v) = version { input type="hidden" name="version" value=(v); }
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
                (date("period_start", "Period covered from", &form.period_start, true))
                (date("period_end", "Period covered to", &form.period_end, true))
                (date("opens_on", "Open for submissions on", &form.opens_on, true))
                (date("due_on", "Submissions due on (default: 30 days before the meeting)", &form.due_on, false))
                (date("meeting_date", "Meeting date", &form.meeting_date, true))
            }
            button type="submit" { (button) }
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
            table #cycles .cards {
                caption { "Reporting cycles of " (plan.code) ", latest meeting first" }
                thead { tr {
                    th scope="col" { "Cycle" } th scope="col" { "Kind" } th scope="col" { "Meeting" }
                    th scope="col" { "Submissions due" } th scope="col" { "State" } th scope="col" { "Pages" }
                    @if secretariat { th scope="col" { "Change the state" } }
                } }
                tbody {
                    @for c in &cycles.items {
                        tr {
                            td.card-title { (c.name) }
                            td data-label="Kind" { (kind_word(c.kind)) }
                            td data-label="Meeting" { (day(c.meeting_date)) }
                            td data-label="Submissions due" { (day(c.due_on)) @if c.state == CycleState::Open { " · " (countdown(c.due_on)) } }
                            td data-label="State" { (state_word(c.state)) }
                            td.row-actions {
                                div.actions {
                                    @if officer && c.state != CycleState::Planned {
                                        a href={"/ui/cycles/" (c.id) "/my-report"} { "My report" }
                                    }
                                    @if c.state != CycleState::Planned {
                                        a href={"/ui/cycles/" (c.id) "/board"} { "Who has submitted" }
                                        a href={"/ui/cycles/" (c.id) "/report"} { "Consolidated report" }
                                    }
                                }
                            }
                            // Apart from the links: each asks first, on a page of its own.
                            @if secretariat {
                                td.state-change {
                                    @match c.state {
                                        CycleState::Planned => {
                                            form method="post" action={"/ui/cycles/" (c.id) "/open"} {
                                                button type="submit" { "Open " (c.name) " for submissions…" }
                                            }
                                            div.actions {
                                                a href={"/ui/cycles/" (c.id) "/edit"} { "Edit " (c.name) }
                                                form method="post" action={"/ui/cycles/" (c.id) "/delete"} {
                                                    input type="hidden" name="version" value=(c.version);
                                                    button.secondary type="submit" { "Delete " (c.name) "…" }
                                                }
                                            }
                                        }
                                        CycleState::Open => {
                                            form method="post" action={"/ui/cycles/" (c.id) "/close"} {
                                                button.danger type="submit" { "Close " (c.name) "…" }
                                            }
                                        }
                                        CycleState::Closed => {
                                            form method="post" action={"/ui/cycles/" (c.id) "/reopen"} {
                                                button.secondary type="submit" { "Reopen " (c.name) "…" }
                                            }
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

pub(super) fn parse_day(
    errors: &mut wpt_domain::ValidationErrors,
    name: &str,
    value: &str,
) -> NaiveDate {
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
        Ok(c) => crate::flash::redirect(
            &viewer,
            "/ui/cycles",
            &format!(
                "Created {}: planned, submissions open on {}. Open it from this list when it is time.",
                c.name, c.opens_on
            ),
        ),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            match index_page(&state, &viewer, &input.form, Some(&e)).await {
                Ok(p) => (e.status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /ui/cycles/{id}/open` (secretariat): asks first, then opens.
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ConfirmForm>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.secretariat()?;
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    if !form.confirmed() && cycle.state == CycleState::Planned {
        let consequences = html! {
            p { strong { "Open " (cycle.name) " for submissions?" } }
            ul {
                li { "Every body taking part in the plan gets its report for this cycle, prefilled from its latest progress, and its officers can write and submit it." }
                li { "Submissions are due on " (crate::html::due(cycle.due_on)) " (" (countdown(cycle.due_on)) ")." }
                li { "An open cycle cannot go back to planned; it can only be closed." }
            }
        };
        return Ok(confirm_page(
            &viewer,
            Section::Cycles,
            &format!("Open {}?", cycle.name),
            consequences,
            &format!("/ui/cycles/{id}/open"),
            &[],
            &format!("Yes, open {} for submissions", cycle.name),
            "/ui/cycles",
        )
        .into_response());
    }
    let c = wpt_db::cycles::open(&state.db, &grant, id).await?;
    Ok(crate::flash::redirect(
        &viewer,
        &format!("/ui/cycles/{id}/board"),
        &format!(
            "{} is open: every body can now write and submit its report, due {} (end of day UTC).",
            c.name,
            crate::time::day_text(c.due_on)
        ),
    ))
}

/// What closing a cycle leaves behind, in words: who has not submitted, who has a
/// draft, which submitted reports are not reviewed.
async fn close_consequences(
    state: &AppState,
    viewer: &Viewer,
    cycle: &wpt_domain::models::Cycle,
) -> Result<Markup, PageError> {
    let rows = wpt_db::cycles::board(&state.db, &viewer.actor, cycle.id, None).await?;
    let of = |f: &dyn Fn(SubmissionStatus) -> bool| -> Vec<&str> {
        rows.iter()
            .filter(|r| f(r.status))
            .map(|r| r.body.as_str())
            .collect()
    };
    let missing = of(&|s| !matches!(s, SubmissionStatus::Submitted | SubmissionStatus::Accepted));
    let drafts = of(&|s| matches!(s, SubmissionStatus::Draft | SubmissionStatus::Returned));
    let unreviewed = of(&|s| s == SubmissionStatus::Submitted);
    let accepted = of(&|s| s == SubmissionStatus::Accepted).len();
    Ok(html! {
        p #close-summary { strong {
            @if missing.is_empty() { "Every body has submitted. " } @else {
                (missing.len()) " of " (rows.len()) @if missing.len() == 1 { " body has" } @else { " bodies have" }
                " not submitted. "
            }
            @if !drafts.is_empty() {
                (and_list(&drafts)) @if drafts.len() == 1 { " has a draft it has" } @else { " have drafts they have" } " not submitted. "
            }
            "Close " (cycle.name) " anyway?"
        } }
        ul {
            @if !missing.is_empty() { li { "Not submitted: " (and_list(&missing)) "." } }
            @if !unreviewed.is_empty() {
                li { "Submitted but not reviewed: " (and_list(&unreviewed)) ". These stay out of the edition." }
            }
            li { "Every report becomes read-only, and the edition is frozen from the " (accepted) " accepted " @if accepted == 1 { "report" } @else { "reports" } "." }
            li { "The secretariat can reopen the cycle later; this edition then stays on record and the next close makes a new one." }
        }
    })
}

/// `POST /ui/cycles/{id}/close` (secretariat): says who has not submitted, then closes.
pub async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ConfirmForm>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.secretariat()?;
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    if !form.confirmed() && cycle.state == CycleState::Open {
        let consequences = close_consequences(&state, &viewer, &cycle).await?;
        return Ok(confirm_page(
            &viewer,
            Section::Cycles,
            &format!("Close {}?", cycle.name),
            consequences,
            &format!("/ui/cycles/{id}/close"),
            &[],
            &format!("Yes, close {}", cycle.name),
            "/ui/cycles",
        )
        .into_response());
    }
    let c = wpt_db::cycles::close(&state.db, &grant, id).await?;
    Ok(crate::flash::redirect(
        &viewer,
        "/ui/cycles",
        &format!(
            "{} is closed: reports are read-only and its edition is frozen. You can reopen it from this list.",
            c.name
        ),
    ))
}

/// `POST /ui/cycles/{id}/reopen` (secretariat): asks first, then reopens.
pub async fn reopen(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    FormData(form): FormData<ConfirmForm>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.secretariat()?;
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    if !form.confirmed() && cycle.state == CycleState::Closed {
        let consequences = html! {
            p { strong { "Reopen " (cycle.name) "?" } }
            ul {
                li { "Bodies can again write and submit their reports, and you can review them. Accepted reports stay accepted." }
                li { "The edition made when it closed is kept in the audit record; the next close makes a new one." }
            }
        };
        return Ok(confirm_page(
            &viewer,
            Section::Cycles,
            &format!("Reopen {}?", cycle.name),
            consequences,
            &format!("/ui/cycles/{id}/reopen"),
            &[],
            &format!("Yes, reopen {}", cycle.name),
            "/ui/cycles",
        )
        .into_response());
    }
    let c = wpt_db::cycles::reopen(&state.db, &grant, id).await?;
    Ok(crate::flash::redirect(
        &viewer,
        &format!("/ui/cycles/{id}/board"),
        &format!(
            "{} is open again: bodies can write and submit, and the edition of its close is kept on record.",
            c.name
        ),
    ))
}

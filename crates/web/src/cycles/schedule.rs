//! `/ui/cycles`: the list of a plan's reporting cycles and, for the secretariat, the
//! new-cycle form and the buttons that open and close a cycle.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::cycles::CycleInput;
use wpt_domain::{CycleKind, CycleState, Role};

use super::{all_rows, countdown, kind_word, state_word};
use crate::html::{FormData, PageError, Section, day, page};
use crate::session::Viewer;

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

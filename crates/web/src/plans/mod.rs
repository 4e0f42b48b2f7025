//! `/ui/plans/{id}`: the structure of a work plan, its areas and activities, and per
//! activity ([`activity`]) its fields, bodies, milestones and indicators.
//!
//! The secretariat and administrators get the forms; officers and viewers read the
//! same page without them, and a post of theirs is refused by the same grant the API
//! asks (`Actor::secretariat`), so a forged form gets the 403 page. Every form calls the
//! use case the API's route calls (`wpt_db::work_plans::create_area`,
//! `wpt_db::activities::{create, update}`, `wpt_db::milestones::create`,
//! `wpt_db::indicators::create`), so input is validated once, in the same words; a
//! refused form comes back with the message beside the field and what was typed kept.
//!
//! The matrix's import and export page is [`import`] (its routes are merged here).

pub mod activity;
pub mod import;

/// The routes of the plan pages: the structure ([`show`], [`activity`]) and the matrix
/// ([`import::routes`]).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/ui/plans", get(index))
        .route("/ui/plans/{id}", get(show))
        .route("/ui/plans/{id}/areas", post(create_area))
        .route("/ui/plans/{id}/activities", post(create_activity))
        .route(
            "/ui/plans/{id}/activities/{activity}",
            get(activity::show).post(activity::update),
        )
        .route(
            "/ui/plans/{id}/activities/{activity}/archive",
            post(activity::archive),
        )
        .route(
            "/ui/plans/{id}/activities/{activity}/milestones",
            post(activity::create_milestone),
        )
        .route(
            "/ui/plans/{id}/activities/{activity}/indicators",
            post(activity::create_indicator),
        )
        .merge(import::routes())
}

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::activities::{ActivityFilter, NewActivity};
use wpt_domain::models::{Activity, Area, WorkPlan, WorkPlanBody};
use wpt_domain::page::PageRequest;
use wpt_domain::{ParticipationRole, ValidationErrors};

use crate::html::{PageError, Section, day_opt, page};
use crate::session::Viewer;

/// A form read as its name/value pairs (repeated names, such as checkboxes, kept).
pub type Pairs = Vec<(String, String)>;

/// The first value of `name` in a form, or empty.
pub(crate) fn value(form: &Pairs, name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of `name` in a form.
pub(crate) fn values(form: &Pairs, name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// Blank is none; anything else is kept as typed.
pub(crate) fn optional(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|t| !t.trim().is_empty())
}

/// An optional date field: blank is none, anything else must be a date.
pub(crate) fn optional_day(
    errors: &mut ValidationErrors,
    field: &str,
    text: &str,
) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse::<NaiveDate>().ok().or_else(|| {
        errors.add(field, "must be a date (YYYY-MM-DD)");
        None
    })
}

pub(crate) fn all_rows() -> Result<PageRequest, PageError> {
    PageRequest::parse(Some(200), None).map_err(|e| PageError::from(DbError::Validation(e)))
}

/// Shows a re-rendered form with the refusal's status.
pub(crate) fn refused(status: StatusCode, page: Result<Markup, PageError>) -> Response {
    match page {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A labelled text input with its problem, if any.
pub(crate) fn text_field(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    required: bool,
    max: usize,
    error: Option<&PageError>,
) -> Markup {
    let problem = error.and_then(|e| e.field(name));
    html! {
        div.field {
            label for=(id) { (label) @if required { " (required)" } }
            @if let Some(p) = problem { span.problem { (p) } }
            input id=(id) type="text" name=(name) value=(value) required[required] maxlength=(max)
                aria-invalid=[problem.map(|_| "true")];
        }
    }
}

/// A labelled date input with its problem, if any.
pub(crate) fn date_field(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    required: bool,
    error: Option<&PageError>,
) -> Markup {
    let problem = error.and_then(|e| e.field(name));
    html! {
        div.field {
            label for=(id) { (label) @if required { " (required)" } }
            @if let Some(p) = problem { span.problem { (p) } }
            input id=(id) type="date" name=(name) value=(value) required[required]
                aria-invalid=[problem.map(|_| "true")];
        }
    }
}

/// A labelled textarea with its problem, if any.
pub(crate) fn text_area(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    error: Option<&PageError>,
) -> Markup {
    let problem = error.and_then(|e| e.field(name));
    html! {
        div.field {
            label for=(id) { (label) " (optional)" }
            @if let Some(p) = problem { span.problem { (p) } }
            textarea id=(id) name=(name) rows="3" maxlength="20000" aria-invalid=[problem.map(|_| "true")] { (value) }
        }
    }
}

/// The fields an activity form shows, from a form as typed.
pub(crate) struct ActivityFields<'a> {
    pub prefix: &'a str,
    pub form: &'a Pairs,
    pub areas: &'a [Area],
    pub bodies: &'a [WorkPlanBody],
    /// The code field (only when creating).
    pub with_code: bool,
}

/// The fields of the new-activity and edit-activity forms.
pub(crate) fn activity_fields(f: &ActivityFields<'_>, error: Option<&PageError>) -> Markup {
    let id = |name: &str| format!("{}-{name}", f.prefix);
    let v = |name: &str| value(f.form, name);
    let problem = |name: &str| error.and_then(|e| e.field(name));
    let cooperating = values(f.form, "cooperating_bodies");
    let lead = v("lead_body");
    let area = v("area");
    // A cooperating body's own problem is reported as `cooperating_bodies[i]`.
    let coop_problems: Vec<&str> = error
        .map(|e| {
            e.fields
                .iter()
                .filter(|(k, _)| k.starts_with("cooperating_bodies"))
                .map(|(_, m)| m.as_str())
                .collect()
        })
        .unwrap_or_default();
    html! {
        div.grid2 {
            div.field {
                label for=(id("area")) { "Area (required)" }
                @if let Some(p) = problem("area") { span.problem { (p) } }
                select id=(id("area")) name="area" aria-invalid=[problem("area").map(|_| "true")] {
                    @for a in f.areas {
                        option value=(a.code) selected[area == a.code] { (a.code) ". " (a.title) }
                    }
                }
            }
            @if f.with_code {
                (text_field(&id("code"), "code", "Code, e.g. A.1.2", &v("code"), true, 40, error))
            }
        }
        (text_field(&id("title"), "title", "Title", &v("title"), true, 500, error))
        (text_area(&id("description"), "description", "Description", &v("description"), error))
        (text_field(&id("actip_reference"), "actip_reference", "ACTIP / APA reference (optional)", &v("actip_reference"), false, 500, error))
        (text_area(&id("expected_outputs"), "expected_outputs", "Expected outputs", &v("expected_outputs"), error))
        div.grid2 {
            (date_field(&id("planned_start"), "planned_start", "Planned start (optional)", &v("planned_start"), false, error))
            (date_field(&id("planned_end"), "planned_end", "Planned end (optional)", &v("planned_end"), false, error))
            div.field {
                label for=(id("lead_body")) { "Lead body (required)" }
                @if let Some(p) = problem("lead_body") { span.problem { (p) } }
                select id=(id("lead_body")) name="lead_body" aria-invalid=[problem("lead_body").map(|_| "true")] {
                    @for b in f.bodies {
                        option value=(b.body.code) selected[lead == b.body.code] { (b.body.code) }
                    }
                }
            }
        }
        fieldset {
            legend { "Cooperating bodies" }
            @for p in &coop_problems { span.problem { (p) } }
            @for b in f.bodies {
                label {
                    input type="checkbox" name="cooperating_bodies" value=(b.body.code)
                        checked[cooperating.contains(&b.body.code)];
                    " " (b.body.code)
                }
            }
        }
    }
}

/// The activity input a form names, with date problems added to `errors`.
pub(crate) fn activity_input(form: &Pairs, errors: &mut ValidationErrors) -> NewActivity {
    NewActivity {
        area: value(form, "area"),
        code: value(form, "code").trim().to_owned(),
        title: value(form, "title"),
        description: optional(&value(form, "description")),
        actip_reference: optional(&value(form, "actip_reference")),
        expected_outputs: optional(&value(form, "expected_outputs")),
        planned_start: optional_day(errors, "planned_start", &value(form, "planned_start")),
        planned_end: optional_day(errors, "planned_end", &value(form, "planned_end")),
        lead_body: value(form, "lead_body"),
        cooperating_bodies: values(form, "cooperating_bodies"),
    }
}

/// The plan's areas and participating bodies (two queries).
pub(crate) async fn areas_and_bodies(
    state: &AppState,
    plan_id: Uuid,
) -> Result<(Vec<Area>, Vec<WorkPlanBody>), PageError> {
    let all = all_rows()?;
    let areas = wpt_db::work_plans::areas(&state.db, plan_id, &all)
        .await?
        .items;
    let bodies = wpt_db::work_plans::bodies(&state.db, plan_id, &all)
        .await?
        .items;
    Ok((areas, bodies))
}

/// What a refused form on the plan page was filled with.
#[derive(Default)]
struct Refused<'a> {
    area: Option<(&'a Pairs, &'a PageError)>,
    activity: Option<(&'a Pairs, &'a PageError)>,
}

async fn plan_page(
    state: &AppState,
    viewer: &Viewer,
    plan: &WorkPlan,
    refused: Refused<'_>,
) -> Result<Markup, PageError> {
    let editor = viewer.actor.secretariat().is_ok();
    let (areas, bodies) = areas_and_bodies(state, plan.id).await?;
    let listed = wpt_db::activities::list(
        &state.db,
        &ActivityFilter {
            work_plan: Some(plan.id),
            lens: wpt_domain::policy::lens(&viewer.actor),
            ..ActivityFilter::default()
        },
        &all_rows()?,
    )
    .await?;
    let by_area =
        |code: &str| -> Vec<&Activity> { listed.items.iter().filter(|a| a.area == code).collect() };
    let empty = Pairs::new();
    let default_activity: Pairs = vec![
        (
            "area".into(),
            areas.first().map(|a| a.code.clone()).unwrap_or_default(),
        ),
        (
            "lead_body".into(),
            bodies
                .iter()
                .find(|b| b.role == ParticipationRole::Lead)
                .map(|b| b.body.code.clone())
                .unwrap_or_default(),
        ),
    ];
    let (area_form, area_error) = match refused.area {
        Some((f, e)) => (f, Some(e)),
        None => (&empty, None),
    };
    let (activity_form, activity_error) = match refused.activity {
        Some((f, e)) => (f, Some(e)),
        None => (&default_activity, None),
    };
    let base = format!("/ui/plans/{}", plan.id);
    Ok(page(
        viewer,
        Section::Plan,
        &format!("{}: structure", plan.code),
        html! {
            p { (plan.title) " · " (day_opt(Some(plan.period_start))) " to " (day_opt(Some(plan.period_end))) " · " (plan.status.as_str()) }
            @if editor {
                div.actions {
                    a href={(base) "/import"} { "Import or export the matrix" }
                    @if viewer.actor.administer().is_ok() {
                        a href={"/ui/admin/bodies?plan=" (plan.id)} { "Participating bodies" }
                    }
                }
            }
            p { "Participating bodies: "
                @for (i, b) in bodies.iter().enumerate() {
                    @if i > 0 { ", " }
                    (b.body.code) @if b.role == ParticipationRole::Lead { " (lead)" }
                }
            }
            @if listed.next_cursor.is_some() {
                p.notice { "Showing the first " (listed.items.len()) " activities; use the activity list to search the rest." }
            }
            @for area in &areas {
                section aria-labelledby={"area-" (area.code)} {
                    h2 id={"area-" (area.code)} { (area.code) ". " (area.title) }
                    @let rows = by_area(&area.code);
                    @if rows.is_empty() {
                        p { "No activity in this area yet." }
                    } @else {
                        table.wrap {
                            caption.visually-hidden { "Activities of area " (area.code) }
                            thead { tr {
                                th scope="col" { "Code" } th scope="col" { "Activity" }
                                th scope="col" { "Bodies" } th scope="col" { "Planned" }
                            } }
                            tbody {
                                @for a in rows {
                                    tr {
                                        td { (a.code) }
                                        td { a href={(base) "/activities/" (a.id)} { (a.title) } }
                                        td { (a.lead_body) " (lead)" @for c in &a.cooperating_bodies { ", " (c) } }
                                        td { (day_opt(a.planned_start)) " – " (day_opt(a.planned_end)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if areas.is_empty() { p.notice { "This plan has no area yet." } }
            @if editor {
                h2 { "New activity" }
                @if areas.is_empty() || bodies.is_empty() {
                    p { "Add an area first; activities belong to an area and are led by a participating body." }
                } @else {
                    form.stack #new-activity method="post" action={(base) "/activities"} aria-label="New activity" {
                        @if let Some(e) = activity_error { (e.alert()) }
                        (activity_fields(&ActivityFields { prefix: "new-activity", form: activity_form, areas: &areas, bodies: &bodies, with_code: true }, activity_error))
                        button type="submit" { "Create activity" }
                    }
                }
                h2 { "New area" }
                form.stack #new-area method="post" action={(base) "/areas"} aria-label="New area" {
                    @if let Some(e) = area_error { (e.alert()) }
                    div.grid2 {
                        (text_field("new-area-code", "code", "Letter, e.g. E", &value(area_form, "code"), true, 40, area_error))
                        (text_field("new-area-title", "title", "Title", &value(area_form, "title"), true, 500, area_error))
                    }
                    button type="submit" { "Add area" }
                }
            }
        },
    ))
}

/// `GET /ui/plans`: the structure of the active plan (or the first).
pub async fn index(State(state): State<AppState>, _viewer: Viewer) -> Result<Response, PageError> {
    let plan = crate::dashboard::choose_plan(&state, None).await?;
    Ok(Redirect::to(&format!("/ui/plans/{}", plan.id)).into_response())
}

/// `GET /ui/plans/{id}`: everyone signed in; forms for the secretariat.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let plan = wpt_db::work_plans::get(&state.db, id).await?;
    plan_page(&state, &viewer, &plan, Refused::default()).await
}

/// `POST /ui/plans/{id}/areas` (secretariat): adds an area at the end.
pub async fn create_area(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    crate::html::FormData(form): crate::html::FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        wpt_db::work_plans::create_area(
            &state.db,
            &grant,
            id,
            value(&form, "code").trim(),
            &value(&form, "title"),
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(a) => crate::flash::redirect(
            &viewer,
            &format!("/ui/plans/{id}"),
            &format!("Added area {}. {}.", a.code, a.title),
        ),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            e.into_response()
        }
        Err(e) => {
            let page = async {
                let plan = wpt_db::work_plans::get(&state.db, id).await?;
                let r = Refused {
                    area: Some((&form, &e)),
                    ..Refused::default()
                };
                plan_page(&state, &viewer, &plan, r).await
            }
            .await;
            refused(e.status, page)
        }
    }
}

/// `POST /ui/plans/{id}/activities` (secretariat): creates an activity with its bodies.
pub async fn create_activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    crate::html::FormData(form): crate::html::FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        let mut errors = ValidationErrors::new();
        let input = activity_input(&form, &mut errors);
        // A date that is not one is refused before the use case, as the API's extractor
        // refuses it (422 naming the field).
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::activities::create(&state.db, &grant, id, input)
            .await
            .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(a) => crate::flash::redirect(
            &viewer,
            &format!("/ui/plans/{id}/activities/{}", a.id),
            &format!(
                "Created {} {}. Add its milestones and indicators below.",
                a.code, a.title
            ),
        ),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            e.into_response()
        }
        Err(e) => {
            let page = async {
                let plan = wpt_db::work_plans::get(&state.db, id).await?;
                let r = Refused {
                    activity: Some((&form, &e)),
                    ..Refused::default()
                };
                plan_page(&state, &viewer, &plan, r).await
            }
            .await;
            refused(e.status, page)
        }
    }
}

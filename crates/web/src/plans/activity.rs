//! `/ui/plans/{id}/activities/{activity}`: one activity's structure. The secretariat
//! edits its fields and bodies (`wpt_db::activities::update`, with the version the form
//! was read at, so a concurrent change is a 412 in words), archives or restores it, and
//! adds milestones (`wpt_db::milestones::create`) and indicators
//! (`wpt_db::indicators::create`); everyone else reads it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::activities::ActivityPatch;
use wpt_db::indicators::IndicatorInput;
use wpt_domain::models::Activity;
use wpt_domain::{IndicatorMeasure, ValidationErrors};

use super::{
    ActivityFields, Pairs, activity_fields, activity_input, all_rows, areas_and_bodies, date_field,
    optional, refused, text_field, value,
};
use crate::html::{FormData, PageError, Section, day, day_opt, page};
use crate::session::Viewer;

/// The form pairs of an activity as stored.
fn pairs_of(a: &Activity) -> Pairs {
    let mut out: Pairs = vec![
        ("area".into(), a.area.clone()),
        ("title".into(), a.title.clone()),
        (
            "description".into(),
            a.description.clone().unwrap_or_default(),
        ),
        (
            "actip_reference".into(),
            a.actip_reference.clone().unwrap_or_default(),
        ),
        (
            "expected_outputs".into(),
            a.expected_outputs.clone().unwrap_or_default(),
        ),
        (
            "planned_start".into(),
            a.planned_start.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "planned_end".into(),
            a.planned_end.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("lead_body".into(), a.lead_body.clone()),
        ("version".into(), a.version.to_string()),
    ];
    for c in &a.cooperating_bodies {
        out.push(("cooperating_bodies".into(), c.clone()));
    }
    out
}

/// Which form of the page was refused, as typed.
#[derive(Default)]
struct Refused<'a> {
    edit: Option<(&'a Pairs, &'a PageError)>,
    archive: Option<&'a PageError>,
    milestone: Option<(&'a Pairs, &'a PageError)>,
    indicator: Option<(&'a Pairs, &'a PageError)>,
}

async fn load(
    state: &AppState,
    viewer: &Viewer,
    plan_id: Uuid,
    id: Uuid,
) -> Result<Activity, PageError> {
    let a = wpt_db::activities::get(&state.db, id, wpt_domain::policy::lens(&viewer.actor)).await?;
    if a.work_plan_id != plan_id {
        return Err(PageError::from(DbError::NotFound("activity")));
    }
    Ok(a)
}

fn measure_word(m: IndicatorMeasure) -> &'static str {
    match m {
        IndicatorMeasure::Number => "Number",
        IndicatorMeasure::Percent => "Percent (0 to 100)",
        IndicatorMeasure::Qualitative => "Qualitative (described)",
    }
}

async fn activity_page(
    state: &AppState,
    viewer: &Viewer,
    a: &Activity,
    refused: Refused<'_>,
) -> Result<Markup, PageError> {
    let editor = viewer.actor.secretariat().is_ok();
    let all = all_rows()?;
    // Through the viewer's lens, as the API's list is (no completer's note).
    let lens = wpt_domain::policy::lens(&viewer.actor);
    let milestones: Vec<_> = wpt_db::milestones::list(&state.db, a.id, &all)
        .await?
        .items
        .into_iter()
        .map(|m| wpt_domain::policy::milestone_for(lens, m))
        .collect();
    let indicators = wpt_db::indicators::list(&state.db, a.id, &all).await?.items;
    let (areas, bodies) = areas_and_bodies(state, a.work_plan_id).await?;
    let stored = pairs_of(a);
    let empty = Pairs::new();
    let (edit_form, edit_error) = match refused.edit {
        Some((f, e)) => (f, Some(e)),
        None => (&stored, None),
    };
    let (m_form, m_error) = match refused.milestone {
        Some((f, e)) => (f, Some(e)),
        None => (&empty, None),
    };
    let (i_form, i_error) = match refused.indicator {
        Some((f, e)) => (f, Some(e)),
        None => (&empty, None),
    };
    let base = format!("/ui/plans/{}/activities/{}", a.work_plan_id, a.id);
    let measure = value(i_form, "measure");
    Ok(page(
        viewer,
        Section::Plan,
        &format!("{} {}", a.code, a.title),
        html! {
            p {
                a href={"/ui/plans/" (a.work_plan_id)} { "Back to the plan's structure" }
                " · "
                a href={"/ui/activities/" (a.id)} { "Progress and history" }
            }
            @if a.archived { p.notice { "Archived: left out of lists and reports." } }
            dl.facts {
                dt { "Area" } dd { (a.area) }
                dt { "Lead body" } dd { (a.lead_body) }
                dt { "Cooperating bodies" } dd { @if a.cooperating_bodies.is_empty() { "None" } @else { (a.cooperating_bodies.join(", ")) } }
                dt { "ACTIP / APA reference" } dd { (a.actip_reference.as_deref().unwrap_or("None")) }
                dt { "Planned" } dd { (day_opt(a.planned_start)) " – " (day_opt(a.planned_end)) }
            }
            @if let Some(d) = &a.description { h2 { "Description" } (crate::html::paragraphs(d)) }
            @if let Some(o) = &a.expected_outputs { h2 { "Expected outputs" } (crate::html::paragraphs(o)) }
            h2 #milestones-heading { "Milestones" }
            @if milestones.is_empty() { p { "No milestone yet." } } @else {
                table.wrap aria-labelledby="milestones-heading" {
                    thead { tr { th scope="col" { "Milestone" } th scope="col" { "Due" } th scope="col" { "Completed" } } }
                    tbody {
                        @for m in &milestones {
                            tr {
                                td { (m.title) }
                                td { (day(m.due_on)) @if m.overdue { " (overdue)" } }
                                td { (day_opt(m.completed_on)) }
                            }
                        }
                    }
                }
            }
            @if editor {
                form.stack #new-milestone method="post" action={(base) "/milestones"} aria-label="New milestone" {
                    @if let Some(e) = m_error { (e.alert()) }
                    div.grid2 {
                        (text_field("milestone-title", "title", "Milestone", &value(m_form, "title"), true, 500, m_error))
                        (date_field("milestone-due_on", "due_on", "Due on", &value(m_form, "due_on"), true, m_error))
                    }
                    button type="submit" { "Add milestone" }
                }
            }
            h2 #indicators-heading { "Indicators" }
            @if indicators.is_empty() { p { "No indicator yet." } } @else {
                table.wrap aria-labelledby="indicators-heading" {
                    thead { tr { th scope="col" { "Indicator" } th scope="col" { "Measure" } th scope="col" { "Baseline" } th scope="col" { "Target" } } }
                    tbody {
                        @for i in &indicators {
                            tr {
                                td { (i.name) @if let Some(u) = &i.unit { " (" (u) ")" } }
                                td { (measure_word(i.measure)) }
                                td { (i.baseline.as_deref().unwrap_or("")) }
                                td { (i.target.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            @if editor {
                form.stack #new-indicator method="post" action={(base) "/indicators"} aria-label="New indicator" {
                    @if let Some(e) = i_error { (e.alert()) }
                    div.grid2 {
                        (text_field("indicator-name", "name", "Indicator", &value(i_form, "name"), true, 500, i_error))
                        div.field {
                            label for="indicator-measure" { "Measure (required)" }
                            @if let Some(p) = i_error.and_then(|e| e.field("measure")) { span.problem { (p) } }
                            select #indicator-measure name="measure" {
                                @for m in IndicatorMeasure::ALL {
                                    option value=(m.as_str()) selected[measure == m.as_str()] { (measure_word(*m)) }
                                }
                            }
                        }
                        (text_field("indicator-unit", "unit", "Unit (optional)", &value(i_form, "unit"), false, 100, i_error))
                        (text_field("indicator-baseline", "baseline", "Baseline (optional)", &value(i_form, "baseline"), false, 2000, i_error))
                        (text_field("indicator-target", "target", "Target (optional)", &value(i_form, "target"), false, 2000, i_error))
                    }
                    button type="submit" { "Add indicator" }
                }
                h2 { "Edit the activity" }
                form.stack #edit-activity method="post" action=(base) aria-label="Edit the activity" {
                    @if let Some(e) = edit_error { (e.alert()) }
                    input type="hidden" name="version" value=(value(edit_form, "version"));
                    (activity_fields(&ActivityFields { prefix: "edit-activity", form: edit_form, areas: &areas, bodies: &bodies, with_code: false }, edit_error))
                    button type="submit" { "Save " (a.code) }
                }
                h2 { @if a.archived { "Restore" } @else { "Archive" } }
                form #archive-activity method="post" action={(base) "/archive"} {
                    @if let Some(e) = refused.archive { (e.alert()) }
                    input type="hidden" name="version" value=(a.version);
                    input type="hidden" name="archived" value=(if a.archived { "false" } else { "true" });
                    @if a.archived {
                        button.secondary type="submit" { "Restore " (a.code) }
                    } @else {
                        p { "Archiving keeps everything recorded on it and takes it out of lists and reports." }
                        button.secondary type="submit" { "Archive " (a.code) }
                    }
                }
            }
        },
    ))
}

/// `GET /ui/plans/{id}/activities/{activity}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, id)): Path<(Uuid, Uuid)>,
) -> Result<Markup, PageError> {
    let a = load(&state, &viewer, plan_id, id).await?;
    activity_page(&state, &viewer, &a, Refused::default()).await
}

fn version_of(form: &Pairs, errors: &mut ValidationErrors) -> i32 {
    value(form, "version").trim().parse().unwrap_or_else(|_| {
        errors.add("version", "is missing: open the page again");
        0
    })
}

/// Which form of the page was posted.
#[derive(Clone, Copy)]
enum Kind {
    Edit,
    Archive,
    Milestone,
    Indicator,
}

/// Runs a form's use case and answers: the flash redirect to the activity, the 403 or
/// 404 page, or the page again with the refused form as typed.
async fn answer<T>(
    state: &AppState,
    viewer: &Viewer,
    (plan_id, id): (Uuid, Uuid),
    result: Result<T, PageError>,
    done: impl FnOnce(T) -> String,
    (form, kind): (&Pairs, Kind),
) -> Response {
    match result {
        Ok(v) => crate::flash::redirect(
            viewer,
            &format!("/ui/plans/{plan_id}/activities/{id}"),
            &done(v),
        ),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            e.into_response()
        }
        Err(e) => {
            let page = async {
                let a = load(state, viewer, plan_id, id).await?;
                let r = match kind {
                    Kind::Edit => Refused {
                        edit: Some((form, &e)),
                        ..Refused::default()
                    },
                    Kind::Archive => Refused {
                        archive: Some(&e),
                        ..Refused::default()
                    },
                    Kind::Milestone => Refused {
                        milestone: Some((form, &e)),
                        ..Refused::default()
                    },
                    Kind::Indicator => Refused {
                        indicator: Some((form, &e)),
                        ..Refused::default()
                    },
                };
                activity_page(state, viewer, &a, r).await
            }
            .await;
            refused(e.status, page)
        }
    }
}

/// `POST /ui/plans/{id}/activities/{activity}` (secretariat): saves the edit.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, id)): Path<(Uuid, Uuid)>,
    FormData(form): FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        load(&state, &viewer, plan_id, id).await?;
        let mut errors = ValidationErrors::new();
        let input = activity_input(&form, &mut errors);
        let version = version_of(&form, &mut errors);
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        let patch = ActivityPatch {
            area: Some(input.area),
            title: Some(input.title),
            description: Some(input.description),
            actip_reference: Some(input.actip_reference),
            expected_outputs: Some(input.expected_outputs),
            planned_start: Some(input.planned_start),
            planned_end: Some(input.planned_end),
            lead_body: Some(input.lead_body),
            cooperating_bodies: Some(input.cooperating_bodies),
            ..ActivityPatch::default()
        };
        wpt_db::activities::update(&state.db, &grant, id, version, patch)
            .await
            .map_err(PageError::from)
    }
    .await;
    answer(
        &state,
        &viewer,
        (plan_id, id),
        result,
        |a| format!("Saved {}.", a.code),
        (&form, Kind::Edit),
    )
    .await
}

/// `POST /ui/plans/{id}/activities/{activity}/archive` (secretariat): archives or
/// restores.
pub async fn archive(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, id)): Path<(Uuid, Uuid)>,
    FormData(form): FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        load(&state, &viewer, plan_id, id).await?;
        let mut errors = ValidationErrors::new();
        let version = version_of(&form, &mut errors);
        let archived = value(&form, "archived") != "false";
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        let patch = ActivityPatch {
            archived: Some(archived),
            ..ActivityPatch::default()
        };
        wpt_db::activities::update(&state.db, &grant, id, version, patch)
            .await
            .map_err(PageError::from)
    }
    .await;
    answer(
        &state,
        &viewer,
        (plan_id, id),
        result,
        |a| {
            if a.archived {
                format!("Archived {}.", a.code)
            } else {
                format!("Restored {}.", a.code)
            }
        },
        (&form, Kind::Archive),
    )
    .await
}

/// `POST /ui/plans/{id}/activities/{activity}/milestones` (secretariat).
pub async fn create_milestone(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, id)): Path<(Uuid, Uuid)>,
    FormData(form): FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        load(&state, &viewer, plan_id, id).await?;
        let mut errors = ValidationErrors::new();
        let due = super::optional_day(&mut errors, "due_on", &value(&form, "due_on"));
        if due.is_none() && value(&form, "due_on").trim().is_empty() {
            errors.add("due_on", "is required");
        }
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::milestones::create(
            &state.db,
            &grant,
            id,
            &value(&form, "title"),
            due.unwrap_or_default(),
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    answer(
        &state,
        &viewer,
        (plan_id, id),
        result,
        |m| {
            format!(
                "Added the milestone {}, due {}.",
                m.title,
                crate::time::day_text(m.due_on)
            )
        },
        (&form, Kind::Milestone),
    )
    .await
}

/// `POST /ui/plans/{id}/activities/{activity}/indicators` (secretariat).
pub async fn create_indicator(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, id)): Path<(Uuid, Uuid)>,
    FormData(form): FormData<Pairs>,
) -> Response {
    let result = async {
        let grant = viewer.actor.secretariat()?;
        load(&state, &viewer, plan_id, id).await?;
        let mut errors = ValidationErrors::new();
        let measure = value(&form, "measure")
            .parse::<IndicatorMeasure>()
            .unwrap_or_else(|_| {
                errors.add("measure", "choose one of the listed measures");
                IndicatorMeasure::Number
            });
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::indicators::create(
            &state.db,
            &grant,
            id,
            IndicatorInput {
                name: value(&form, "name"),
                unit: optional(&value(&form, "unit")),
                measure,
                baseline: optional(&value(&form, "baseline")),
                target: optional(&value(&form, "target")),
            },
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    answer(
        &state,
        &viewer,
        (plan_id, id),
        result,
        |i| format!("Added the indicator {}.", i.name),
        (&form, Kind::Indicator),
    )
    .await
}

//! `/ui/admin/bodies` (administrators): the sectoral bodies with pillar, confirmation
//! and notes, created and edited through the same use cases as `POST /bodies` and
//! `PATCH /bodies/{code}` (the edit form carries the version it was read at, so two
//! administrators cannot overwrite each other: the second gets the 412 in words), and
//! per work plan the participating bodies, added and removed through the same use cases
//! as `POST /work-plans/{id}/bodies` and `DELETE /work-plans/{id}/bodies/{code}`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::bodies::{BodyPatch, NewBody};
use wpt_domain::models::{Body, WorkPlan};
use wpt_domain::page::PageRequest;
use wpt_domain::{ParticipationRole, Pillar, ValidationErrors};

use crate::html::{FormData, PageError, Section, page};
use crate::session::Viewer;

const PATH: &str = "/ui/admin/bodies";

fn all_rows() -> Result<PageRequest, PageError> {
    PageRequest::parse(Some(200), None).map_err(|e| PageError::from(DbError::Validation(e)))
}

/// A body's fields as typed (new or edited).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct BodyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    pillar: String,
    /// Present (`yes`) when the box is ticked.
    #[serde(default)]
    confirmed: Option<String>,
    #[serde(default)]
    notes: String,
    /// The version the edit form was read at.
    #[serde(default)]
    version: Option<i32>,
}

impl BodyForm {
    fn of(b: &Body) -> Self {
        Self {
            code: b.code.clone(),
            name: b.name.clone(),
            pillar: b.pillar.as_str().to_owned(),
            confirmed: b.confirmed.then(|| "yes".to_owned()),
            notes: b.notes.clone().unwrap_or_default(),
            version: Some(b.version),
        }
    }

    fn pillar(&self, errors: &mut ValidationErrors) -> Pillar {
        self.pillar.parse::<Pillar>().unwrap_or_else(|_| {
            errors.add("pillar", "choose one of the listed pillars");
            Pillar::Apsc
        })
    }

    fn notes(&self) -> Option<String> {
        Some(self.notes.trim().to_owned()).filter(|n| !n.is_empty())
    }
}

/// A body added to a plan, as chosen.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    role: String,
}

/// Which plan's participants the page shows.
#[derive(Debug, Default, Deserialize)]
pub struct PlanQuery {
    plan: Option<String>,
}

fn pillar_word(p: Pillar) -> &'static str {
    match p {
        Pillar::Apsc => "Political-Security (APSC)",
        Pillar::Aec => "Economic (AEC)",
        Pillar::Ascc => "Socio-Cultural (ASCC)",
    }
}

/// The fields of a body, shared by the new and the edit form.
fn body_fields(prefix: &str, form: &BodyForm, error: Option<&PageError>, new: bool) -> Markup {
    let field = |name: &str| error.and_then(|e| e.field(name));
    let invalid = |name: &str| field(name).map(|_| "true");
    let id = |name: &str| format!("{prefix}-{name}");
    html! {
        div.grid2 {
            @if new {
                div.field {
                    label for=(id("code")) { "Code (required)" }
                    span.hint id=(id("code-hint")) { "Capitals, digits and hyphens, e.g. SOMRDPE. It cannot change later." }
                    @if let Some(p) = field("code") { span.problem { (p) } }
                    input id=(id("code")) type="text" name="code" value=(form.code) required maxlength="40"
                        aria-describedby=(id("code-hint")) aria-invalid=[invalid("code")];
                }
            }
            div.field {
                label for=(id("name")) { "Name (required)" }
                @if let Some(p) = field("name") { span.problem { (p) } }
                input id=(id("name")) type="text" name="name" value=(form.name) required maxlength="300"
                    aria-invalid=[invalid("name")];
            }
            div.field {
                label for=(id("pillar")) { "Pillar (required)" }
                @if let Some(p) = field("pillar") { span.problem { (p) } }
                select id=(id("pillar")) name="pillar" aria-invalid=[invalid("pillar")] {
                    @for p in Pillar::ALL {
                        option value=(p.as_str()) selected[form.pillar == p.as_str()] { (pillar_word(*p)) }
                    }
                }
            }
        }
        div.field {
            label {
                input type="checkbox" name="confirmed" value="yes" checked[form.confirmed.is_some()];
                " Confirmed by a public source"
            }
        }
        div.field {
            label for=(id("notes")) { "Notes (optional)" }
            @if let Some(p) = field("notes") { span.problem { (p) } }
            textarea id=(id("notes")) name="notes" maxlength="5000" rows="3" aria-invalid=[invalid("notes")] { (form.notes) }
        }
    }
}

/// What the page shows beside the lists: a form as typed and its refusal.
#[derive(Default)]
struct Typed<'a> {
    new_body: Option<(&'a BodyForm, &'a PageError)>,
    join: Option<(&'a JoinForm, &'a PageError)>,
    /// A refused removal.
    leave: Option<&'a PageError>,
}

async fn bodies_page(
    state: &AppState,
    viewer: &Viewer,
    plan: &WorkPlan,
    typed: Typed<'_>,
) -> Result<Markup, PageError> {
    let all = all_rows()?;
    let bodies = wpt_db::bodies::list(&state.db, &all).await?.items;
    let plans = wpt_db::work_plans::list(&state.db, &all).await?.items;
    let taking_part = wpt_db::work_plans::bodies(&state.db, plan.id, &all)
        .await?
        .items;
    let others: Vec<&Body> = bodies
        .iter()
        .filter(|b| !taking_part.iter().any(|p| p.body.code == b.code))
        .collect();
    let empty_body = BodyForm {
        pillar: Pillar::Apsc.as_str().to_owned(),
        ..BodyForm::default()
    };
    let (new_form, new_error) = match typed.new_body {
        Some((f, e)) => (f, Some(e)),
        None => (&empty_body, None),
    };
    let empty_join = JoinForm::default();
    let (join_form, join_error) = match typed.join {
        Some((f, e)) => (f, Some(e)),
        None => (&empty_join, None),
    };
    let plan_path = format!("/ui/admin/plans/{}/bodies", plan.id);
    Ok(page(
        viewer,
        Section::Bodies,
        "Sectoral bodies",
        html! {
            p {
                "The ASEAN sectoral bodies, and which of them take part in each work plan. "
                "A body must take part in a plan before the secretariat can assign it the plan's activities. "
                "Changes made here are kept when the reference data is applied again at a later start (docs/reference-data.md)."
            }
            table #bodies {
                caption { "All sectoral bodies, by code" }
                thead { tr {
                    th scope="col" { "Code" } th scope="col" { "Name and notes" } th scope="col" { "Pillar" }
                    th scope="col" { "Confirmed" } th scope="col" { span.visually-hidden { "Actions" } }
                } }
                tbody {
                    @for b in &bodies {
                        tr {
                            td { (b.code) }
                            td { (b.name) @if let Some(n) = &b.notes { br; span.muted { (n) } } }
                            td { (b.pillar.as_str()) }
                            td { @if b.confirmed { "Yes" } @else { "No" } }
                            td { a href={(PATH) "/" (b.code)} { "Edit " span.visually-hidden { (b.code) } } }
                        }
                    }
                }
            }
            h2 #participants-heading { "Taking part in " (plan.code) }
            @if plans.len() > 1 {
                form.filters method="get" action=(PATH) {
                    label for="plan" { "Work plan" }
                    " "
                    select #plan name="plan" {
                        @for p in &plans {
                            option value=(p.id) selected[p.id == plan.id] { (p.code) " (" (p.status.as_str()) ")" }
                        }
                    }
                    " "
                    button.secondary type="submit" { "Show" }
                }
            }
            @if let Some(e) = typed.leave { (e.alert()) }
            table #participants aria-labelledby="participants-heading" {
                thead { tr {
                    th scope="col" { "Body" } th scope="col" { "Role in the plan" }
                    th scope="col" { "Confirmed" } th scope="col" { span.visually-hidden { "Actions" } }
                } }
                tbody {
                    @for p in &taking_part {
                        tr {
                            td { (p.body.code) }
                            td { @if p.role == ParticipationRole::Lead { "Lead" } @else { "Member" } }
                            td { @if p.confirmed { "Yes" } @else { "No" } }
                            td {
                                @if p.role == ParticipationRole::Member {
                                    form method="post" action={(plan_path) "/" (p.body.code) "/remove"} {
                                        button.secondary type="submit" { "Remove " (p.body.code) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if others.is_empty() && join_error.is_none() {
                p.notice { "Every body takes part in " (plan.code) "." }
            } @else {
                h3 { "Add a body to " (plan.code) }
                form.stack #join method="post" action=(plan_path) {
                    @if let Some(e) = join_error { (e.alert()) }
                    div.grid2 {
                        div.field {
                            label for="join-body" { "Body (required)" }
                            @if let Some(p) = join_error.and_then(|e| e.field("body")) { span.problem { (p) } }
                            select #join-body name="body" required {
                                @for b in &others {
                                    option value=(b.code) selected[join_form.body == b.code] { (b.code) " – " (b.name) }
                                }
                            }
                        }
                        div.field {
                            label for="join-role" { "Role (required)" }
                            @if let Some(p) = join_error.and_then(|e| e.field("role")) { span.problem { (p) } }
                            select #join-role name="role" {
                                option value="member" selected[join_form.role != "lead"] { "Member" }
                                option value="lead" selected[join_form.role == "lead"] { "Lead (only for a plan without one)" }
                            }
                        }
                    }
                    button type="submit" { "Add to " (plan.code) }
                }
            }
            h2 { "New sectoral body" }
            form.stack #new-body method="post" action=(PATH) aria-label="New sectoral body" {
                @if let Some(e) = new_error { (e.alert()) }
                (body_fields("new-body", new_form, new_error, true))
                button type="submit" { "Create body" }
            }
        },
    ))
}

async fn plan_of(state: &AppState, asked: Option<&str>) -> Result<WorkPlan, PageError> {
    crate::dashboard::choose_plan(state, asked).await
}

fn rendered(status: StatusCode, page: Result<Markup, PageError>) -> Response {
    match page {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /ui/admin/bodies` (administrators).
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PlanQuery>,
) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let plan = plan_of(&state, q.plan.as_deref()).await?;
    bodies_page(&state, &viewer, &plan, Typed::default()).await
}

/// `POST /ui/admin/bodies` (administrators): a new body.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    FormData(form): FormData<BodyForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let mut errors = ValidationErrors::new();
        let pillar = form.pillar(&mut errors);
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::bodies::create(
            &state.db,
            &grant,
            NewBody {
                code: form.code.trim().to_owned(),
                name: form.name.clone(),
                pillar,
                confirmed: form.confirmed.is_some(),
                notes: form.notes(),
            },
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(b) => crate::flash::redirect(
            &viewer,
            PATH,
            &format!(
                "Created {}. Add it to a work plan below so that it can be assigned activities.",
                b.code
            ),
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => {
            let page = async {
                let plan = plan_of(&state, None).await?;
                let typed = Typed {
                    new_body: Some((&form, &e)),
                    ..Typed::default()
                };
                bodies_page(&state, &viewer, &plan, typed).await
            }
            .await;
            rendered(e.status, page)
        }
    }
}

fn edit_page(viewer: &Viewer, body: &Body, form: &BodyForm, error: Option<&PageError>) -> Markup {
    page(
        viewer,
        Section::Bodies,
        &format!("Edit {}", body.code),
        html! {
            p { a href=(PATH) { "Back to the sectoral bodies" } }
            form.stack #edit-body method="post" action={(PATH) "/" (body.code)} aria-label={"Edit " (body.code)} {
                @if let Some(e) = error { (e.alert()) }
                input type="hidden" name="version" value=[form.version];
                (body_fields("edit-body", form, error, false))
                button type="submit" { "Save " (body.code) }
            }
        },
    )
}

/// `GET /ui/admin/bodies/{code}` (administrators): the edit form.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Markup, PageError> {
    viewer.actor.administer()?;
    let body = wpt_db::bodies::get(&state.db, &code).await?;
    Ok(edit_page(&viewer, &body, &BodyForm::of(&body), None))
}

/// `POST /ui/admin/bodies/{code}` (administrators): saves the edit if the body is still
/// at the version the form was read at.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    FormData(form): FormData<BodyForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let mut errors = ValidationErrors::new();
        let pillar = form.pillar(&mut errors);
        let version = form.version.unwrap_or_else(|| {
            errors.add("version", "is missing: open the page again");
            0
        });
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::bodies::update(
            &state.db,
            &grant,
            &code,
            version,
            BodyPatch {
                name: Some(form.name.clone()),
                pillar: Some(pillar),
                confirmed: Some(form.confirmed.is_some()),
                notes: Some(form.notes()),
            },
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(b) => crate::flash::redirect(&viewer, PATH, &format!("Saved {}.", b.code)),
        Err(e) if matches!(e.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) => {
            e.into_response()
        }
        Err(e) => match wpt_db::bodies::get(&state.db, &code).await {
            Ok(body) => (e.status, edit_page(&viewer, &body, &form, Some(&e))).into_response(),
            Err(err) => PageError::from(err).into_response(),
        },
    }
}

/// `POST /ui/admin/plans/{id}/bodies` (administrators): a body joins the plan.
pub async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(plan_id): Path<Uuid>,
    FormData(form): FormData<JoinForm>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        let mut errors = ValidationErrors::new();
        let role = form.role.parse::<ParticipationRole>().unwrap_or_else(|_| {
            errors.add("role", "choose member or lead");
            ParticipationRole::Member
        });
        errors
            .finish()
            .map_err(|e| PageError::from(DbError::Validation(e)))?;
        wpt_db::participation::add_body(&state.db, &grant, plan_id, form.body.trim(), role)
            .await
            .map_err(PageError::from)
    }
    .await;
    let back = format!("{PATH}?plan={plan_id}");
    match result {
        Ok(p) => crate::flash::redirect(
            &viewer,
            &back,
            &format!(
                "{} now takes part in the plan; the secretariat can assign it activities.",
                p.body.code
            ),
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => {
            let page = async {
                let plan = wpt_db::work_plans::get(&state.db, plan_id).await?;
                let typed = Typed {
                    join: Some((&form, &e)),
                    ..Typed::default()
                };
                bodies_page(&state, &viewer, &plan, typed).await
            }
            .await;
            rendered(e.status, page)
        }
    }
}

/// `POST /ui/admin/plans/{id}/bodies/{code}/remove` (administrators): the body leaves
/// the plan, unless it is assigned activities of it (then the page names them).
pub async fn leave(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((plan_id, code)): Path<(Uuid, String)>,
) -> Response {
    let result = async {
        let grant = viewer.actor.administer()?;
        wpt_db::participation::remove_body(&state.db, &grant, plan_id, &code)
            .await
            .map_err(PageError::from)
    }
    .await;
    let back = format!("{PATH}?plan={plan_id}");
    match result {
        Ok(()) => crate::flash::redirect(
            &viewer,
            &back,
            &format!("{code} no longer takes part in the plan."),
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN => e.into_response(),
        Err(e) => {
            let page = async {
                let plan = wpt_db::work_plans::get(&state.db, plan_id).await?;
                let typed = Typed {
                    leave: Some(&e),
                    ..Typed::default()
                };
                bodies_page(&state, &viewer, &plan, typed).await
            }
            .await;
            rendered(e.status, page)
        }
    }
}

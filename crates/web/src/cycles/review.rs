//! The review workflow in the pages: submit, return and accept a body's report, and the
//! secretariat's queue of submitted reports.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_domain::models::Cycle;
use wpt_domain::policy::Act;
use wpt_domain::workflow::SubmissionAction;
use wpt_domain::{CycleState, SubmissionStatus};

use super::entries::ReportForm;
use super::submission::submission_page;
use super::{all_rows, parse_version};
use crate::html::{FormData, PageError, Section, page, when_opt};
use crate::session::Viewer;

/// A workflow step's form.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    version: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// `yes` once the person has seen the confirmation page.
    #[serde(default)]
    confirm: String,
}

/// The confirmation page of a step the person may take now, with its consequences in
/// words; `None` when the step is not theirs to take (the use case then refuses it).
async fn confirmation(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    version: &str,
    reason: Option<&str>,
    action: SubmissionAction,
) -> Result<Option<Markup>, PageError> {
    let (s, allowed) =
        wpt_db::cycles::get_submission_with_actions(&state.db, &viewer.actor, id, body).await?;
    let act = match action {
        SubmissionAction::Submit => Act::Submit,
        SubmissionAction::Return => Act::Return,
        SubmissionAction::Accept => Act::Accept,
        _ => return Ok(None),
    };
    if !allowed.contains(&act) {
        return Ok(None);
    }
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let base = format!("/ui/cycles/{id}/submissions/{body}");
    let unsaved: Vec<&str> = s
        .entries
        .iter()
        .filter(|e| e.updated_by.is_none())
        .map(|e| e.activity_code.as_str())
        .collect();
    let (title, consequences, yes, path) = match action {
        SubmissionAction::Submit => (
            format!("Submit {body}'s report for {}?", cycle.name),
            html! {
                p { strong { "Submit " (body) "'s report to the secretariat?" } }
                ul {
                    li { "Its " (s.entries.len()) " activity " @if s.entries.len() == 1 { "block goes" } @else { "blocks go" } " to the secretariat as last saved." }
                    @if unsaved.is_empty() && !s.entries.is_empty() {
                        li #all-saved { "Every block is saved in the report." }
                    }
                    @if !unsaved.is_empty() {
                        li #unsaved-blocks { strong { "Not saved in this report yet: " (super::and_list(&unsaved)) "." }
                            " They will be submitted with the values prefilled from your body's latest progress. To change them, go back and save them first." }
                    }
                    li { "You cannot change the report after this, unless the secretariat returns it." }
                }
            },
            "Yes, submit the report".to_owned(),
            "submit",
        ),
        SubmissionAction::Return => (
            format!("Return {body}'s report?"),
            html! {
                p { strong { "Return " (body) "'s report for " (cycle.name) "?" } }
                ul {
                    li { (body) "'s officers will see your reason at the top of their report:" }
                }
                blockquote { (reason.unwrap_or_default()) }
                ul { li { "They can then change the report and submit it again." } }
            },
            format!("Yes, return it to {body}"),
            "return",
        ),
        _ => (
            format!("Accept {body}'s report?"),
            html! {
                p { strong { "Accept " (body) "'s report for " (cycle.name) "?" } }
                ul {
                    li { "The report is locked: from then on, a change needs an amendment that you decide on." }
                    li { "Its entries go into the consolidated report and into the edition when the cycle closes." }
                }
            },
            format!("Yes, accept {body}'s report"),
            "accept",
        ),
    };
    let mut hidden = vec![("version", version)];
    if let Some(r) = reason {
        hidden.push(("reason", r));
    }
    Ok(Some(super::confirm_page(
        viewer,
        if viewer.actor.secretariat().is_ok() {
            Section::Review
        } else {
            Section::Cycles
        },
        &title,
        consequences,
        &format!("{base}/{path}"),
        &hidden,
        &yes,
        &base,
    )))
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
        if form.confirm != "yes"
            && let Some(page) = confirmation(
                state,
                viewer,
                id,
                body,
                &version.to_string(),
                reason.as_deref(),
                action,
            )
            .await?
        {
            return Ok(Err(page));
        }
        wpt_db::cycles::act(&state.db, &viewer.actor, id, body, version, action, reason)
            .await
            .map(Ok)
            .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(Err(confirm)) => confirm.into_response(),
        Ok(Ok(s)) => {
            let cycle = match wpt_db::cycles::get(&state.db, id).await {
                Ok(c) => c.name,
                Err(_) => "this cycle".to_owned(),
            };
            let (target, message) = match action {
                SubmissionAction::Submit => (
                    format!("/ui/cycles/{id}/submissions/{body}"),
                    format!(
                        "{body}'s report for {cycle} was submitted. The secretariat will review it; you will see here if it is accepted or returned."
                    ),
                ),
                _ => {
                    let done = if action == SubmissionAction::Return {
                        format!(
                            "{}'s report returned; {} will see your reason.",
                            s.body, s.body
                        )
                    } else {
                        format!("{}'s report for {cycle} accepted and locked.", s.body)
                    };
                    match next_in_queue(state, viewer).await {
                        Some((c, b)) => (
                            format!("/ui/cycles/{c}/submissions/{b}"),
                            format!("{done} Next in the queue: {b}."),
                        ),
                        None => (
                            "/ui/review".to_owned(),
                            format!("{done} That was the last submitted report."),
                        ),
                    }
                }
            };
            crate::flash::redirect(viewer, &target, &message)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            e.into_response()
        }
        Err(e) => {
            let status = e.status;
            match submission_page(state, viewer, id, body, Some(e.alert()), None).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

/// `POST .../submit` (the body's officer).
///
/// From the report's form it carries every block as typed: they are all saved first
/// (a refusal shows the report again, every block as typed), then the confirmation
/// page asks, with the new version.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Path((id, body)): Path<(Uuid, String)>,
    crate::attachments::WithFiles(posted): crate::attachments::WithFiles<ReportForm>,
) -> Response {
    let mut form = posted.form;
    let viewer = match viewer {
        Ok(v) => v,
        Err(to_login) => {
            return crate::session::login_keeping(
                to_login,
                &super::entries::form_pairs(&form),
                &format!("/ui/cycles/{id}/submissions/{body}/save"),
            );
        }
    };
    let mut version = form.version.clone();
    if form.confirm != "yes" && !form.blocks.is_empty() {
        let v = match parse_version(form.version.as_deref()) {
            Ok(v) => v,
            Err(e) => return e.into_response(),
        };
        if let Err(e) =
            super::entries::take_files(&state, &viewer, &mut form, posted.files, posted.problem)
                .await
        {
            let typed = form
                .blocks
                .iter()
                .map(|(a, f)| (*a, f.clone(), None))
                .collect();
            return super::entries::refused_page(&state, &viewer, id, &body, e, &typed).await;
        }
        match super::entries::save_blocks(&state, &viewer, id, &body, v, &form).await {
            Ok(Some(s)) => version = Some(s.version.to_string()),
            Ok(None) => {}
            Err((e, typed)) => {
                return super::entries::refused_page(&state, &viewer, id, &body, e, &typed).await;
            }
        }
    }
    let step_form = StepForm {
        version,
        reason: None,
        confirm: form.confirm.clone(),
    };
    step(
        &state,
        &viewer,
        id,
        &body,
        step_form,
        SubmissionAction::Submit,
    )
    .await
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
    viewer: &Viewer,
) -> Result<Vec<(Cycle, wpt_domain::models::SubmissionSummary)>, PageError> {
    let open = wpt_db::cycles::list(&state.db, None, Some(CycleState::Open), &all_rows()?).await?;
    let mut items = Vec::new();
    for c in open.items {
        for s in wpt_db::cycles::board(
            &state.db,
            &viewer.actor,
            c.id,
            Some(SubmissionStatus::Submitted),
        )
        .await?
        {
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
    queue(state, viewer)
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
    let items = queue(&state, &viewer).await?;
    // Unresolved review threads per report: one count per open cycle in the queue.
    let mut unresolved = std::collections::HashMap::new();
    for c in items
        .iter()
        .map(|(c, _)| c.id)
        .collect::<std::collections::BTreeSet<_>>()
    {
        for (body, n) in wpt_db::cycles::unresolved_by_body(&state.db, c).await? {
            unresolved.insert((c, body), n);
        }
    }
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
                    thead { tr { th scope="col" { "Body" } th scope="col" { "Cycle" } th scope="col" { "Submitted" } th scope="col" { "Late" } th scope="col" { "Unresolved comments" } th scope="col" { span.visually-hidden { "Review" } } } }
                    tbody {
                        @for (c, s) in &items {
                            tr {
                                th scope="row" { (s.body) }
                                td { (c.name) }
                                td { (when_opt(s.submitted_at)) }
                                td { @if s.late { span.late { "Late" } } @else { "No" } }
                                td.unresolved-cell { @match unresolved.get(&(c.id, s.body.clone())) { Some(n) => { span.badge.unresolved { (n) } }, None => { "0" } } }
                                td { a href={"/ui/cycles/" (c.id) "/submissions/" (s.body)} { "Review " (s.body) } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

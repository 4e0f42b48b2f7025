//! The review workflow in the pages: submit, return and accept a body's report, and the
//! secretariat's queue of submitted reports.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_domain::models::Cycle;
use wpt_domain::workflow::SubmissionAction;
use wpt_domain::{CycleState, SubmissionStatus};

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

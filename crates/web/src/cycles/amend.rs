//! Proposing an amendment of an accepted entry in the pages (issue 18, item 4): the
//! body's officer corrects one entry's values and its evidence files (keep or drop each
//! file, add a new one, as in a report block) with a reason. One multipart form post:
//! it works without script.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::cycles::EntryInput;
use wpt_db::progress::ProgressInput;
use wpt_domain::ProgressStatus;
use wpt_domain::models::SubmissionEntry;

use crate::attachments::WithFiles;
use crate::html::{self, PageError, Section, page};
use crate::session::Viewer;

/// The amendment form as typed.
#[derive(Debug, Default, Clone)]
struct Typed {
    status: String,
    percent: String,
    narrative: String,
    challenges: String,
    next_steps: String,
    evidence: String,
    reason: String,
    /// The entry's files ticked "keep" (`None`: the form had no file list).
    keep: Option<Vec<Uuid>>,
}

impl Typed {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut t = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "status" => t.status.clone_from(v),
                "percent_complete" => t.percent.clone_from(v),
                "narrative" => t.narrative.clone_from(v),
                "challenges" => t.challenges.clone_from(v),
                "next_steps" => t.next_steps.clone_from(v),
                "evidence_urls" => t.evidence.clone_from(v),
                "reason" => t.reason.clone_from(v),
                "files" => {
                    t.keep.get_or_insert_with(Vec::new);
                }
                "keep" => {
                    if let Ok(id) = v.parse() {
                        t.keep.get_or_insert_with(Vec::new).push(id);
                    }
                }
                _ => {}
            }
        }
        t
    }

    fn of(e: &SubmissionEntry) -> Self {
        Self {
            status: e.status.as_str().to_owned(),
            percent: e
                .percent_complete
                .map(|p| p.to_string())
                .unwrap_or_default(),
            narrative: e.narrative.clone(),
            challenges: e.challenges.clone().unwrap_or_default(),
            next_steps: e.next_steps.clone().unwrap_or_default(),
            evidence: e.evidence_urls.join("\n"),
            reason: String::new(),
            keep: None,
        }
    }
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    activity: Uuid,
    typed: Option<&Typed>,
    problem: Option<&PageError>,
) -> Result<Markup, PageError> {
    viewer.actor.own_body()?;
    let cycle = wpt_db::cycles::get(&state.db, id).await?;
    let s = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, body).await?;
    let e = s
        .entries
        .iter()
        .find(|e| e.activity_id == activity)
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such entry in this report."))?;
    let t = typed.cloned().unwrap_or_else(|| Typed::of(e));
    let kept = |f: Uuid| t.keep.as_ref().is_none_or(|k| k.contains(&f));
    let p = |n: &str| problem.and_then(|x| x.field(n));
    let max = state.attachments.max_bytes;
    let action = format!("/ui/cycles/{id}/submissions/{body}/amend/{activity}");
    Ok(page(
        viewer,
        Section::Cycles,
        &format!(
            "Propose a correction: {} {}",
            e.activity_code, e.activity_title
        ),
        html! {
            @if let Some(x) = problem { (x.alert()) }
            p { (body) "'s report for " (cycle.name) " is accepted and locked. Propose corrected values and files for this entry, with the reason; the secretariat accepts or rejects the proposal, and the accepted values stay beside it." }
            form.stack #amend-form method="post" action=(action) enctype="multipart/form-data" novalidate {
                div.grid2 {
                    div.field {
                        label for="amend-status" { "Status (required)" }
                        @if let Some(m) = p("status") { span.problem { (m) } }
                        select #amend-status name="status" {
                            @for st in ProgressStatus::ALL { option value=(st.as_str()) selected[t.status == st.as_str()] { (html::status_word(*st)) } }
                        }
                    }
                    div.field {
                        label for="amend-percent" { "Percent complete (0-100)" }
                        @if let Some(m) = p("percent_complete") { span.problem { (m) } }
                        input #amend-percent type="number" name="percent_complete" min="0" max="100" value=(t.percent);
                    }
                }
                div.field {
                    label for="amend-narrative" { "What was done (required)" }
                    @if let Some(m) = p("narrative") { span.problem { (m) } }
                    textarea #amend-narrative name="narrative" required aria-invalid=[p("narrative").map(|_| "true")] { (t.narrative) }
                }
                div.field {
                    label for="amend-challenges" { "Challenges" }
                    textarea #amend-challenges name="challenges" { (t.challenges) }
                }
                div.field {
                    label for="amend-next" { "Next steps" }
                    textarea #amend-next name="next_steps" { (t.next_steps) }
                }
                div.field {
                    label for="amend-evidence" { "Evidence links (one per line)" }
                    @if let Some(m) = p("evidence_urls") { span.problem { (m) } }
                    textarea #amend-evidence name="evidence_urls" { (t.evidence) }
                }
                input type="hidden" name="files" value="1";
                @if !e.attachments.is_empty() {
                    fieldset.field.files {
                        legend { "Evidence files (untick one to propose removing it)" }
                        @if let Some(m) = p("attachment_ids") { span.problem { (m) } }
                        ul.files {
                            @for f in &e.attachments {
                                li {
                                    input type="checkbox" id={"amend-keep-" (f.id)} name="keep" value=(f.id) checked[kept(f.id)];
                                    " "
                                    label for={"amend-keep-" (f.id)} { "Keep " (f.filename) " (" (crate::attachments::size(f.size)) ")" }
                                    " "
                                    a href={"/ui/attachments/" (f.id)} download=(f.filename) aria-label={"Download " (f.filename)} { "Download" }
                                }
                            }
                        }
                    }
                }
                (crate::attachments::input("amend-file", "file", "Add an evidence file", max, problem))
                div.field {
                    label for="amend-reason" { "Reason for the correction (required; the secretariat reads it)" }
                    @if let Some(m) = p("reason") { span.problem { (m) } }
                    textarea #amend-reason name="reason" rows="3" required aria-invalid=[p("reason").map(|_| "true")] { (t.reason) }
                }
                div.actions {
                    button type="submit" { "Propose the correction" }
                    a.button.secondary href={"/ui/cycles/" (id) "/submissions/" (body)} { "Back to the report" }
                }
            }
        },
    ))
}

/// `GET /ui/cycles/{id}/submissions/{body}/amend/{activity}`: the body's officer's form,
/// prefilled with the accepted entry.
pub async fn amend_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body, activity)): Path<(Uuid, String, Uuid)>,
) -> Result<Markup, PageError> {
    form_page(&state, &viewer, id, &body, activity, None, None).await
}

/// `POST /ui/cycles/{id}/submissions/{body}/amend/{activity}`: stores a chosen file,
/// proposes the amendment (the kept files and the new one are its proposed set) and
/// goes back to the report; a refusal shows the form again as typed.
pub async fn propose(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body, activity)): Path<(Uuid, String, Uuid)>,
    WithFiles(posted): WithFiles<Vec<(String, String)>>,
) -> Response {
    let typed = Typed::from_pairs(&posted.form);
    let result = async {
        let grant = viewer.actor.own_body()?;
        if let Some(p) = posted.problem {
            return Err(p);
        }
        let status: ProgressStatus = typed
            .status
            .parse()
            .map_err(|_| PageError::invalid("status", "choose a status"))?;
        let percent_complete = match typed.percent.trim() {
            "" => None,
            p => Some(p.parse::<i32>().map_err(|_| {
                PageError::invalid("percent_complete", "a whole number from 0 to 100")
            })?),
        };
        if typed.reason.trim().is_empty() {
            return Err(PageError::invalid(
                "reason",
                "say why the accepted entry needs correcting",
            ));
        }
        let new = crate::attachments::store_all(&state, &grant, posted.files).await?;
        let attachment_ids = match (&typed.keep, new.is_empty()) {
            (None, true) => None,
            (keep, _) => {
                let mut ids = match keep {
                    Some(k) => k.clone(),
                    None => {
                        let s = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, &body)
                            .await?;
                        s.entries
                            .iter()
                            .find(|e| e.activity_id == activity)
                            .map(|e| e.attachments.iter().map(|a| a.id).collect())
                            .unwrap_or_default()
                    }
                };
                ids.extend(new);
                Some(ids)
            }
        };
        let values = ProgressInput {
            status,
            percent_complete,
            narrative: typed.narrative.trim().to_owned(),
            challenges: optional(&typed.challenges),
            next_steps: optional(&typed.next_steps),
            evidence_urls: typed
                .evidence
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            attachment_ids,
        };
        wpt_db::cycles::propose_amendment(
            &state.db,
            &viewer.actor,
            id,
            &body,
            EntryInput {
                activity_id: activity,
                values,
            },
            typed.reason.clone(),
        )
        .await
        .map_err(PageError::from)
    }
    .await;
    match result {
        Ok(_) => crate::flash::redirect(
            &viewer,
            &format!("/ui/cycles/{id}/submissions/{body}"),
            "Correction proposed; the secretariat decides on it, and the accepted values stay until then.",
        ),
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN => {
            e.into_response()
        }
        Err(e) => {
            let status = e.status;
            match form_page(&state, &viewer, id, &body, activity, Some(&typed), Some(&e)).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

//! Saving one block (entry) of a body's report, with htmx or as a plain form post.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_db::cycles::EntryInput;
use wpt_db::progress::ProgressInput;
use wpt_domain::ProgressStatus;
use wpt_domain::models::{Submission, SubmissionEntry};
use wpt_domain::policy::{self, Act};

use super::parse_version;
use super::submission::submission_page;
use crate::activities::ProgressFields;
use crate::html::{self, FormData, Htmx, PageError, when};
use crate::session::Viewer;

fn last_change(s: &Submission) -> Option<DateTime<Utc>> {
    s.entries
        .iter()
        .filter(|e| e.updated_by.is_some())
        .map(|e| e.updated_at)
        .chain(s.events.iter().map(|e| e.occurred_at))
        .chain(s.authored_at)
        .max()
}

/// One block of the report: its fields (named `{activity}.{field}`, inside the report's
/// one form, so "Save all blocks" and Submit carry every block) and its own save
/// button, which posts only this block with htmx and the whole form without script.
/// Shows the saved values, or `typed` when they were refused (with `error`); its state
/// line says whether it is saved in this report (and `app.js` marks it changed when
/// typed in).
pub(super) fn entry_block(
    cycle_id: Uuid,
    s: &Submission,
    e: &SubmissionEntry,
    typed: Option<&ProgressFields>,
    error: Option<&PageError>,
    saved_now: bool,
) -> Markup {
    let aid = e.activity_id;
    let fid = |n: &str| format!("{n}-{aid}");
    let name = |n: &str| format!("{aid}.{n}");
    let status = typed.map_or(e.status.as_str().to_owned(), |f| f.status.clone());
    let percent = typed.map_or(
        e.percent_complete
            .map(|p| p.to_string())
            .unwrap_or_default(),
        |f| f.percent_complete.clone(),
    );
    let narrative = typed.map_or(e.narrative.clone(), |f| f.narrative.clone());
    let challenges = typed.map_or(e.challenges.clone().unwrap_or_default(), |f| {
        f.challenges.clone()
    });
    let next_steps = typed.map_or(e.next_steps.clone().unwrap_or_default(), |f| {
        f.next_steps.clone()
    });
    let evidence = typed.map_or(e.evidence_urls.join("\n"), |f| f.evidence_urls.clone());
    let problem = |n: &str| error.and_then(|x| x.field(n));
    let base = format!("/ui/cycles/{cycle_id}/submissions/{}", s.body);
    let state = if typed.is_some() {
        "changed"
    } else if e.updated_by.is_some() {
        "saved"
    } else {
        "unsaved"
    };
    html! {
        section.block id={"entry-" (aid)} aria-labelledby={"entry-title-" (aid)} data-block=(state) {
            h3 id={"entry-title-" (aid)} { (e.activity_code) " " (e.activity_title) }
            @if let Some(x) = error { (x.alert()) }
            p.entry-state id={"entry-state-" (aid)} {
                @match state {
                    "changed" => { strong { "Not saved: " } "your text below has not been saved yet." }
                    "saved" => {
                        @if saved_now { span.saved { "Saved at " (when(e.updated_at)) "." } }
                        @else { "Saved " (when(e.updated_at)) "." }
                    }
                    _ => { strong { "Not saved in this report yet: " } "prefilled from your body's latest progress." }
                }
            }
            div.grid2 {
                div.field {
                    label for=(fid("status")) { "Status (required)" }
                    @if let Some(p) = problem("status") { span.problem { (p) } }
                    select id=(fid("status")) name=(name("status")) {
                        @for st in ProgressStatus::ALL { option value=(st.as_str()) selected[status == st.as_str()] { (html::status_word(*st)) } }
                    }
                }
                div.field {
                    label for=(fid("percent")) { "Percent complete (0-100)" }
                    @if let Some(p) = problem("percent_complete") { span.problem { (p) } }
                    input id=(fid("percent")) type="number" name=(name("percent_complete")) min="0" max="100" value=(percent);
                }
            }
            div.field {
                label for=(fid("narrative")) { "What was done (required)" }
                @if let Some(p) = problem("narrative") { span.problem { (p) } }
                textarea id=(fid("narrative")) name=(name("narrative")) required aria-invalid=[problem("narrative").map(|_| "true")] { (narrative) }
            }
            div.field {
                label for=(fid("challenges")) { "Challenges" }
                textarea id=(fid("challenges")) name=(name("challenges")) { (challenges) }
            }
            div.field {
                label for=(fid("next")) { "Next steps" }
                textarea id=(fid("next")) name=(name("next_steps")) { (next_steps) }
            }
            div.field {
                label for=(fid("evidence")) { "Evidence links (one http(s) link per line)" }
                @if let Some(p) = problem("evidence_urls") { span.problem { (p) } }
                textarea id=(fid("evidence")) name=(name("evidence_urls")) { (evidence) }
            }
            button.secondary type="submit" formaction={(base) "/save"}
                hx-post={(base) "/entries/" (aid)} hx-target={"#entry-" (aid)} hx-swap="outerHTML" {
                "Save draft of " (e.activity_code)
            }
        }
    }
}

/// The fields of a report form as posted: `version`, and each block's fields as
/// `{activity}.{field}` (an entry's form posted on its own may use the bare names).
#[derive(Debug, Default)]
pub struct ReportForm {
    /// The report's version as the page read it.
    pub version: Option<String>,
    /// `yes` once the person confirmed (Submit).
    pub confirm: String,
    /// Each block as typed, in the order posted.
    pub blocks: Vec<(Uuid, ProgressFields)>,
    /// Fields without a block prefix (an entry form of an older page, or a test).
    pub bare: ProgressFields,
    bare_status: bool,
}

impl<'de> Deserialize<'de> for ReportForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = Vec::deserialize(d)?;
        let mut form = ReportForm::default();
        for (key, value) in pairs {
            let (block, field) = match key.split_once('.') {
                Some((id, field)) => match id.parse::<Uuid>() {
                    Ok(id) => (Some(id), field.to_owned()),
                    Err(_) => continue,
                },
                None => (None, key),
            };
            let fields = match block {
                Some(id) => {
                    if let Some(i) = form.blocks.iter().position(|(b, _)| *b == id) {
                        &mut form.blocks[i].1
                    } else {
                        form.blocks.push((id, ProgressFields::default()));
                        &mut form.blocks.last_mut().expect("pushed").1
                    }
                }
                None => match field.as_str() {
                    "version" => {
                        form.version = Some(value);
                        continue;
                    }
                    "confirm" => {
                        form.confirm = value;
                        continue;
                    }
                    "status" => {
                        form.bare_status = true;
                        &mut form.bare
                    }
                    _ => &mut form.bare,
                },
            };
            match field.as_str() {
                "status" => fields.status = value,
                "percent_complete" => fields.percent_complete = value,
                "narrative" => fields.narrative = value,
                "challenges" => fields.challenges = value,
                "next_steps" => fields.next_steps = value,
                "evidence_urls" => fields.evidence_urls = value,
                _ => {}
            }
        }
        Ok(form)
    }
}

impl ReportForm {
    /// The fields of one block: its prefixed ones, else the bare ones.
    fn block(&self, activity: Uuid) -> Option<&ProgressFields> {
        self.blocks
            .iter()
            .find(|(b, _)| *b == activity)
            .map(|(_, f)| f)
            .or(self.bare_status.then_some(&self.bare))
    }
}

/// The version as a query string carries it (forms posted without htmx).
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<String>,
}

fn to_progress(f: &ProgressFields) -> Result<ProgressInput, PageError> {
    let mut errors = wpt_domain::ValidationErrors::new();
    let values = f.read(&mut errors);
    wpt_db::progress::validate(&mut errors, "", &values);
    errors
        .finish()
        .map_err(|e| PageError::from(DbError::Validation(e)))?;
    Ok(values)
}

/// Typed blocks refused, each with its problems, to show again as typed.
pub(super) type Typed = Vec<(Uuid, ProgressFields, Option<PageError>)>;

/// Whether a block as posted is what the report holds (nothing typed in it).
fn unchanged(f: &ProgressFields, e: &SubmissionEntry) -> bool {
    let text = |s: &str| s.trim().replace("\r\n", "\n");
    let lines: Vec<String> = f
        .evidence_urls
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    f.status == e.status.as_str()
        && f.percent_complete.trim()
            == e.percent_complete
                .map(|p| p.to_string())
                .unwrap_or_default()
        && text(&f.narrative) == text(&e.narrative)
        && text(&f.challenges) == text(e.challenges.as_deref().unwrap_or_default())
        && text(&f.next_steps) == text(e.next_steps.as_deref().unwrap_or_default())
        && lines == e.evidence_urls
}

/// Saves the posted blocks of the report at once (one use-case call, one version),
/// after checking each block's fields: every block typed in (changed from what the
/// report holds); while the report is not started, also the prefilled blocks that are
/// complete (so Submit has a draft to hand in). `None`: nothing to save. A refusal
/// saves nothing and keeps every typed block as typed.
pub(super) async fn save_blocks(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    version: i32,
    form: &ReportForm,
) -> Result<Option<Submission>, (PageError, Typed)> {
    let all_typed = || -> Typed {
        form.blocks
            .iter()
            .map(|(a, f)| (*a, f.clone(), None))
            .collect()
    };
    let current = match policy::granted(&viewer.actor, Act::Edit) {
        Err(e) => return Err((PageError::from(e), all_typed())),
        Ok(_) => wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, body)
            .await
            .map_err(|e| (PageError::from(e), all_typed()))?,
    };
    let not_started = current.status == wpt_domain::SubmissionStatus::NotStarted;
    let mut inputs = Vec::new();
    let mut typed: Typed = Vec::new();
    let mut refused = 0;
    for (activity, fields) in &form.blocks {
        let stored = current.entries.iter().find(|e| e.activity_id == *activity);
        let changed = stored.is_none_or(|e| !unchanged(fields, e));
        match (to_progress(fields), changed) {
            (Ok(values), true) => {
                inputs.push(EntryInput {
                    activity_id: *activity,
                    values,
                });
                typed.push((*activity, fields.clone(), None));
            }
            (Ok(values), false) if not_started => inputs.push(EntryInput {
                activity_id: *activity,
                values,
            }),
            (Ok(_), false) | (Err(_), false) => {}
            (Err(e), true) => {
                refused += 1;
                typed.push((*activity, fields.clone(), Some(e)));
            }
        }
    }
    if refused > 0 {
        let message = format!(
            "Nothing was saved: {refused} {} to correct (marked below). Your text is kept.",
            if refused == 1 {
                "block has fields"
            } else {
                "blocks have fields"
            }
        );
        return Err((
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message),
            typed,
        ));
    }
    if inputs.is_empty() {
        return Ok(None);
    }
    wpt_db::cycles::save(&state.db, &viewer.actor, id, body, version, inputs)
        .await
        .map(Some)
        .map_err(|e| (stale_wording(PageError::from(e), None), typed))
}

/// A stale version's message, with when the report last changed when known.
fn stale_wording(mut e: PageError, s: Option<&Submission>) -> PageError {
    if e.status == StatusCode::PRECONDITION_FAILED {
        e.message = match s.and_then(last_change) {
            Some(t) => format!(
                "Changed by someone else at {}; reload to see it. Your text below was not saved.",
                t.format("%Y-%m-%d %H:%M UTC")
            ),
            None => {
                "Changed by someone else; reload to see it. Your text below was not saved.".into()
            }
        };
    }
    e
}

/// `POST /ui/cycles/{id}/submissions/{body}/save`: "Save all blocks" (and every block's
/// own button without script): saves every block as typed, then back to the report
/// with the message; refused, the report again with every block as typed.
pub async fn save_all(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<ReportForm>,
) -> Response {
    let viewer = match viewer {
        Ok(v) => v,
        Err(to_login) => {
            return crate::session::login_keeping(
                to_login,
                &form_pairs(&form),
                &format!("/ui/cycles/{id}/submissions/{body}/save"),
            );
        }
    };
    let base = format!("/ui/cycles/{id}/submissions/{body}");
    let outcome = match parse_version(form.version.as_deref()) {
        Ok(version) => save_blocks(&state, &viewer, id, &body, version, &form).await,
        Err(e) => Err((e, Vec::new())),
    };
    match outcome {
        Ok(Some(s)) => crate::flash::redirect(
            &viewer,
            &base,
            &format!(
                "Saved {}'s report: every block is as you see it. Submit it when it is ready.",
                s.body
            ),
        ),
        Ok(None) => crate::flash::redirect(
            &viewer,
            &base,
            "Nothing had changed: every block is as saved.",
        ),
        Err((e, typed)) => refused_page(&state, &viewer, id, &body, e, &typed).await,
    }
}

/// The report page again after a refusal, every block as typed.
pub(super) async fn refused_page(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    e: PageError,
    typed: &Typed,
) -> Response {
    if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN {
        return e.into_response();
    }
    let current = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, body).await;
    let e = stale_wording(e, current.as_ref().ok());
    let status = e.status;
    match submission_page(state, viewer, id, body, Some(e.alert()), Some(typed)).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The posted fields again, as pairs (to carry them through a new login).
pub(super) fn form_pairs(form: &ReportForm) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if let Some(v) = &form.version {
        pairs.push(("version".to_owned(), v.clone()));
    }
    for (a, f) in &form.blocks {
        for (k, v) in [
            ("status", &f.status),
            ("percent_complete", &f.percent_complete),
            ("narrative", &f.narrative),
            ("challenges", &f.challenges),
            ("next_steps", &f.next_steps),
            ("evidence_urls", &f.evidence_urls),
        ] {
            pairs.push((format!("{a}.{k}"), v.clone()));
        }
    }
    pairs
}

/// `POST /ui/cycles/{id}/submissions/{body}/entries/{activity}`: saves one block of the
/// report through the same use case as `PUT /api/v1/cycles/{id}/submissions/{body}`,
/// with the version the page read; a report changed since is refused and says when.
/// With htmx the answer is the block, the new version and the report's status (out of
/// band); without, a redirect with the message.
pub async fn save_entry(
    State(state): State<AppState>,
    viewer: Result<Viewer, Response>,
    Htmx(htmx): Htmx,
    Path((id, body, activity)): Path<(Uuid, String, Uuid)>,
    Query(vq): Query<VersionQuery>,
    FormData(form): FormData<ReportForm>,
) -> Response {
    let viewer = match viewer {
        Ok(v) => v,
        Err(_) if htmx => {
            // The page stays as it is, with the text; the message says what to do.
            let mut r = html::announce(
                "Your session has ended, so this block was not saved. Your text is still on this page: press “Save all blocks” to log in again and save it.",
            )
            .into_response();
            r.headers_mut()
                .insert("hx-reswap", axum::http::HeaderValue::from_static("none"));
            return r;
        }
        Err(to_login) => {
            return crate::session::login_keeping(
                to_login,
                &form_pairs(&form),
                &format!("/ui/cycles/{id}/submissions/{body}/save"),
            );
        }
    };
    let fields = form.block(activity).cloned().unwrap_or_default();
    let outcome = async {
        let version = parse_version(form.version.as_deref().or(vq.version.as_deref()))?;
        // The policy's grant first, so a refused caller hears that before any field.
        policy::granted(&viewer.actor, Act::Edit)?;
        let values = to_progress(&fields)?;
        wpt_db::cycles::save(
            &state.db,
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
        Ok(s) => {
            let Some(e) = s.entries.iter().find(|e| e.activity_id == activity) else {
                return PageError::new(StatusCode::NOT_FOUND, "No such activity in this report.")
                    .into_response();
            };
            let message = format!(
                "Saved {} in this report: {}{}.",
                e.activity_code,
                html::status_word(e.status),
                e.percent_complete
                    .map(|p| format!(", {p}%"))
                    .unwrap_or_default()
            );
            if !htmx {
                return crate::flash::redirect(
                    &viewer,
                    &format!("{base}#entry-{activity}"),
                    &message,
                );
            }
            html! {
                (entry_block(id, &s, e, None, None, true))
                input type="hidden" #report-version name="version" value=(s.version) hx-swap-oob="true";
                dd #submission-status hx-swap-oob="true" { (html::submission_badge(s.status)) @if s.late { " " span.late { "Late" } } }
                (html::announce(&message))
            }
            .into_response()
        }
        Err(e) => {
            let current = wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, &body).await;
            let Ok(s) = current else {
                return e.into_response();
            };
            let e = stale_wording(e, Some(&s));
            let Some(entry) = s.entries.iter().find(|x| x.activity_id == activity) else {
                return e.into_response();
            };
            if htmx {
                (
                    e.status,
                    entry_block(id, &s, entry, Some(&fields), Some(&e), false),
                )
                    .into_response()
            } else {
                let typed: Typed = vec![(activity, fields, Some(e))];
                let status = typed[0]
                    .2
                    .as_ref()
                    .map_or(StatusCode::BAD_REQUEST, |e| e.status);
                let alert = typed[0].2.as_ref().map(PageError::alert);
                match submission_page(&state, &viewer, id, &body, alert, Some(&typed)).await {
                    Ok(p) => (status, p).into_response(),
                    Err(e) => e.into_response(),
                }
            }
        }
    }
}

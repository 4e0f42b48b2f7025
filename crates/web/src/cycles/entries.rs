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
use crate::attachments::WithFiles;
use crate::html::{self, Htmx, PageError, when};
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
/// A question when a status and a percent disagree (issue 24: "completed at 40%").
pub(super) fn disagreement(status: &str, percent: &str) -> Option<String> {
    let p: i32 = percent.trim().parse().ok()?;
    let word = status
        .parse::<ProgressStatus>()
        .map(html::status_word)
        .ok()?;
    match status {
        "completed" if p < 100 => Some(format!(
            "{word} at {p}%. Is the activity finished? If so, enter 100; if not, choose another status."
        )),
        "not_started" if p > 0 => Some(format!(
            "{word} at {p}%. Has the work begun? If so, choose On track, At risk or Delayed."
        )),
        "on_track" | "at_risk" | "delayed" if p == 100 => Some(format!(
            "{word} at 100%. Is the activity completed? If so, choose Completed."
        )),
        _ => None,
    }
}

pub(super) fn entry_block(
    cycle_id: Uuid,
    s: &Submission,
    e: &SubmissionEntry,
    typed: Option<&ProgressFields>,
    error: Option<&PageError>,
    saved_now: bool,
    max_bytes: u64,
) -> Markup {
    let aid = e.activity_id;
    let kept = |file: Uuid| {
        typed
            .and_then(|f| f.keep.as_ref())
            .is_none_or(|k| k.contains(&file))
    };
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
            @if let Some(q) = disagreement(&status, &percent) {
                p.question.late id={"entry-question-" (aid)} role="note" { "Please check: " (q) }
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
            input type="hidden" name=(name("files")) value="1";
            @if !e.attachments.is_empty() {
                fieldset.field.files {
                    legend { "Evidence files (untick one to remove it when saving)" }
                    ul.files {
                        @for f in &e.attachments {
                            li {
                                input type="checkbox" id={"keep-" (f.id)} name=(name("keep")) value=(f.id) checked[kept(f.id)];
                                " "
                                label for={"keep-" (f.id)} { "Keep " (f.filename) " (" (crate::attachments::size(f.size)) ")" }
                                " "
                                a href={"/ui/attachments/" (f.id)} download=(f.filename) aria-label={"Download " (f.filename)} { "Download" }
                            }
                        }
                    }
                }
            }
            (crate::attachments::input(&fid("file"), &name("file"), "Add an evidence file", max_bytes, error))
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
                "files" => {
                    fields.keep.get_or_insert_with(Vec::new);
                }
                "keep" => {
                    if let Ok(id) = value.parse::<Uuid>() {
                        fields.keep.get_or_insert_with(Vec::new).push(id);
                    }
                }
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

/// The files a block is to have once saved: those kept (all, when the form had no
/// file list) and those just uploaded; `None`: leave them as they are.
fn file_ids(f: &ProgressFields, stored: Option<&SubmissionEntry>) -> Option<Vec<Uuid>> {
    if f.keep.is_none() && f.new_files.is_empty() {
        return None;
    }
    let mut ids = f.keep.clone().unwrap_or_else(|| {
        stored
            .map(|e| e.attachments.iter().map(|a| a.id).collect())
            .unwrap_or_default()
    });
    ids.extend(f.new_files.iter().copied());
    Some(ids)
}

/// Stores the files posted with a report form (each block's `{activity}.file`) as
/// `POST /api/v1/attachments` does, and names each in its block's `new_files`. A file
/// refused on the way in (too large, a refused type) is `problem`.
pub(super) async fn take_files(
    state: &AppState,
    viewer: &Viewer,
    form: &mut ReportForm,
    files: Vec<(String, wpt_api::attachments::upload::Received)>,
    problem: Option<PageError>,
) -> Result<(), PageError> {
    if let Some(p) = problem {
        return Err(p);
    }
    if files.is_empty() {
        return Ok(());
    }
    let grant = viewer.actor.own_body().map_err(PageError::from)?;
    for (name, file) in files {
        let block = name
            .strip_suffix(".file")
            .and_then(|b| b.parse::<Uuid>().ok());
        let id = crate::attachments::store(state, &grant, file).await?;
        match block {
            Some(b) => {
                if let Some(i) = form.blocks.iter().position(|(a, _)| *a == b) {
                    form.blocks[i].1.new_files.push(id);
                } else {
                    let fields = ProgressFields {
                        new_files: vec![id],
                        ..ProgressFields::default()
                    };
                    form.blocks.push((b, fields));
                }
            }
            None => form.bare.new_files.push(id),
        }
    }
    Ok(())
}

/// Whether a block as posted is what the report holds (nothing typed in it).
fn unchanged(f: &ProgressFields, e: &SubmissionEntry) -> bool {
    let mut kept = f.keep.clone();
    if let Some(k) = kept.as_mut() {
        k.sort();
    }
    let mut had: Vec<Uuid> = e.attachments.iter().map(|a| a.id).collect();
    had.sort();
    if !f.new_files.is_empty() || kept.is_some_and(|k| k != had) {
        return false;
    }
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
        let values = to_progress(fields).map(|mut v| {
            v.attachment_ids = file_ids(fields, stored);
            v
        });
        match (values, changed) {
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

/// Every posted block, as typed, with no problem of its own.
fn typed_all(form: &ReportForm) -> Typed {
    form.blocks
        .iter()
        .map(|(a, f)| (*a, f.clone(), None))
        .collect()
}

/// A stale version's message, with when the report last changed when known.
fn stale_wording(mut e: PageError, s: Option<&Submission>) -> PageError {
    if e.status == StatusCode::PRECONDITION_FAILED {
        e.message = match s.and_then(last_change) {
            Some(t) => format!(
                "Changed by someone else at {}; reload to see it. Your text below was not saved.",
                crate::time::moment_text(t, crate::time::current())
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
    WithFiles(posted): WithFiles<ReportForm>,
) -> Response {
    let mut form = posted.form;
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
        Ok(version) => {
            match take_files(&state, &viewer, &mut form, posted.files, posted.problem).await {
                Ok(()) => save_blocks(&state, &viewer, id, &body, version, &form).await,
                Err(e) => Err((e, typed_all(&form))),
            }
        }
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
    WithFiles(posted): WithFiles<ReportForm>,
) -> Response {
    let mut form = posted.form;
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
        let mut values = to_progress(&fields)?;
        take_files(&state, &viewer, &mut form, posted.files, posted.problem).await?;
        let fields = form.block(activity).cloned().unwrap_or_default();
        let stored = if fields.keep.is_none() && !fields.new_files.is_empty() {
            wpt_db::cycles::get_submission(&state.db, &viewer.actor, id, &body)
                .await
                .ok()
        } else {
            None
        };
        values.attachment_ids = file_ids(
            &fields,
            stored
                .as_ref()
                .and_then(|s| s.entries.iter().find(|e| e.activity_id == activity)),
        );
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
                (entry_block(id, &s, e, None, None, true, state.attachments.max_bytes))
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
                    entry_block(
                        id,
                        &s,
                        entry,
                        Some(&fields),
                        Some(&e),
                        false,
                        state.attachments.max_bytes,
                    ),
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

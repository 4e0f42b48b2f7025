//! Activities: the officer's "My activities" with the in-row Update form, everyone's
//! activity list, and the activity detail page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::activities::ActivityFilter;
use wpt_db::progress::ProgressInput;
use wpt_domain::ProgressStatus;
use wpt_domain::models::Activity;
use wpt_domain::page::PageRequest;
use wpt_domain::policy;

use crate::html::{self, Htmx, PageError, Section, day_opt, page, status_badge, when_opt};
use crate::session::Viewer;

/// The list's filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    area: Option<String>,
    status: Option<String>,
    overdue: Option<String>,
    milestones: Option<String>,
    q: Option<String>,
    body: Option<String>,
    cursor: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The body whose part of each activity a row shows: the officer's own, else the
/// filtered body, else none (then the lead's).
fn row_body<'a>(viewer: &'a Viewer, filter_body: Option<&'a str>) -> Option<&'a str> {
    viewer
        .actor
        .body
        .as_ref()
        .map(|b| b.code.as_str())
        .or(filter_body)
}

/// `GET /ui/activities`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let officer_body = viewer.actor.body.clone();
    let status = match non_empty(&q.status) {
        Some(s) => Some(s.parse::<ProgressStatus>().map_err(|e| {
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("Status: {e}"))
        })?),
        None => None,
    };
    for (name, value) in [("Area", &q.area), ("Body", &q.body), ("Search", &q.q)] {
        if value.as_deref().is_some_and(|v| v.chars().count() > 200) {
            return Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{name} is longer than 200 characters."),
            ));
        }
    }
    let body_filter = match &officer_body {
        Some(b) => Some(b.code.clone()),
        None => non_empty(&q.body).map(str::to_owned),
    };
    let filter = ActivityFilter {
        area: non_empty(&q.area).map(str::to_owned),
        body: body_filter.clone(),
        status,
        overdue: (non_empty(&q.overdue) == Some("true")).then_some(true),
        milestones_overdue: (non_empty(&q.milestones) == Some("overdue")).then_some(true),
        q: non_empty(&q.q).map(str::to_owned),
        lens: policy::lens(&viewer.actor),
        ..ActivityFilter::default()
    };
    let page_request = PageRequest::parse(Some(100), non_empty(&q.cursor))
        .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
    let activities = wpt_db::activities::list(&state.db, &filter, &page_request).await?;
    let counters = match &officer_body {
        Some(b) => Some(wpt_db::activities::body_counters(&state.db, b.id).await?),
        None => None,
    };
    let tasks = match &counters {
        Some(c) => crate::tasks::officer(&state, &viewer, c).await?,
        None => html! {},
    };
    let all_bodies = match &officer_body {
        Some(_) => Vec::new(),
        None => {
            let all = PageRequest::parse(Some(200), None)
                .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
            wpt_db::bodies::list(&state.db, &all).await?.items
        }
    };
    let shown_body = row_body(&viewer, body_filter.as_deref());
    let title = match &officer_body {
        Some(b) => format!("My activities ({})", b.code),
        None => "Activities".to_owned(),
    };
    let next_link = activities.next_cursor.as_ref().map(|c| {
        let mut params: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("area", &q.area),
            ("status", &q.status),
            ("overdue", &q.overdue),
            ("milestones", &q.milestones),
            ("q", &q.q),
            ("body", &q.body),
        ] {
            if let Some(v) = non_empty(v) {
                params.push((k, v));
            }
        }
        params.push(("cursor", c));
        format!(
            "/ui/activities?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    });
    let body = html! {
        (tasks)
        @if let Some(c) = counters {
            ul.counters aria-label="Your body's activities" {
                li { a href="/ui/activities" { strong #count-assigned { (c.assigned) } " assigned" } }
                li { a href="/ui/activities?status=at_risk" { strong #count-at-risk { (c.at_risk) } " at risk in your latest report" } }
                li { a href="/ui/activities?milestones=overdue" { strong #count-overdue-milestones { (c.overdue_milestones) } " milestones overdue" } }
            }
        }
        form.filters method="get" action="/ui/activities" role="search" aria-label="Filter activities" {
            label { "Area"
                select name="area" {
                    option value="" { "All areas" }
                    @for a in ["A", "B", "C", "D"] {
                        option value=(a) selected[non_empty(&q.area) == Some(a)] { "Area " (a) }
                    }
                }
            }
            label { @if let Some(b) = &officer_body { "Status reported by " (b.code) } @else { "Reported status" }
                select name="status" {
                    option value="" { "Any status" }
                    @for s in ProgressStatus::ALL {
                        option value=(s.as_str()) selected[status == Some(*s)] { (html::status_word(*s)) }
                    }
                }
            }
            @if officer_body.is_none() {
                label { "Body"
                    select name="body" {
                        option value="" { "All bodies" }
                        @for b in &all_bodies {
                            option value=(b.code) selected[non_empty(&q.body) == Some(b.code.as_str())] { (b.code) }
                        }
                    }
                }
            }
            label { "Past planned end"
                select name="overdue" {
                    option value="" { "Any" }
                    option value="true" selected[non_empty(&q.overdue) == Some("true")] { "Past planned end, not completed" }
                }
            }
            label { "Milestones overdue"
                select name="milestones" {
                    option value="" { "Any" }
                    option value="overdue" selected[non_empty(&q.milestones) == Some("overdue")] { "With a milestone overdue" }
                }
            }
            label { "Text"
                input type="search" name="q" value=[non_empty(&q.q)] maxlength="200";
            }
            button type="submit" { "Apply filters" }
            a href="/ui/activities" { "Clear" }
        }
        table #activities .cards {
            caption {
                (activities.items.len()) " activities"
                @if activities.next_cursor.is_some() { " on this page" }
                @if let Some(b) = shown_body { " · statuses are " (b) "'s latest reports" }
            }
            thead {
                tr {
                    th scope="col" { "Code" }
                    th scope="col" { "Activity" }
                    th scope="col" { "Bodies" }
                    th scope="col" { "Reported status" }
                    th scope="col" class="num" { "%" }
                    th scope="col" { "Schedule (from dates)" }
                    th scope="col" { "Planned end" }
                    th scope="col" { "Last report" }
                    th scope="col" { span.visually-hidden { "Actions" } }
                }
            }
            @for a in &activities.items {
                (row_markup(&viewer, a, shown_body, false))
            }
        }
        @if activities.items.is_empty() {
            p.notice { "No activity matches these filters." }
        }
        @if let Some(link) = next_link {
            p { a href=(link) { "Next page" } }
        }
    };
    Ok(page(&viewer, Section::Activities, &title, body))
}

/// Whether the viewer may report on this activity (the same rule the use case applies;
/// the use case checks again on every save).
/// Whether the viewer may record progress here: the policy the use case asks on post.
pub(super) fn may_update(viewer: &Viewer, a: &Activity) -> bool {
    viewer.actor.own_body().is_ok_and(|g| {
        let assigned = a.bodies.iter().any(|x| x.body == g.body().code);
        wpt_domain::policy::record_progress(g.body(), assigned, a.archived).is_ok()
    })
}

/// What the calendar says about an activity, as a warning beside (never in place of)
/// the reported status: "Past planned end", "2 milestones overdue", or that the dates
/// raise nothing. The derived signal of the API, in words.
pub(crate) fn schedule_warning(a: &Activity) -> Markup {
    let past_end = a.derived_signal == wpt_domain::Signal::OffTrack;
    let n = a.overdue_milestones;
    html! {
        @if past_end || n > 0 {
            span.late.schedule-warning {
                "⚠ "
                @if past_end { "Past planned end" @if n > 0 { ", " } }
                @if n > 0 {
                    a href={"/ui/activities/" (a.id) "#milestones"} {
                        (n) @if n == 1 { " milestone overdue" } @else { " milestones overdue" }
                    }
                }
            }
        } @else {
            span.hint { "No schedule warning" }
        }
    }
}

fn row_markup(viewer: &Viewer, a: &Activity, body: Option<&str>, focus: bool) -> Markup {
    let part = a
        .bodies
        .iter()
        .find(|b| Some(b.body.as_str()) == body)
        .or_else(|| a.bodies.iter().find(|b| b.body == a.lead_body));
    let id = a.id;
    html! {
        tbody id={"act-" (id)} {
            tr {
                td data-label="Code" { a href={"/ui/activities/" (id)} { (a.code) } }
                td data-label="Activity" { (a.title) }
                td data-label="Bodies" {
                    (a.lead_body) " (lead)"
                    @for c in &a.cooperating_bodies { ", " (c) }
                }
                td data-label="Reported status" {
                    (status_badge(part.and_then(|p| p.latest_status)))
                    @if body.is_none() { @if let Some(p) = part { " " span.hint { "(" (p.body) ")" } } }
                }
                td.num data-label="%" { @if let Some(p) = part.and_then(|p| p.latest_percent) { (p) } @else { "—" } }
                td data-label="Schedule" { (schedule_warning(a)) }
                td data-label="Planned end" { (day_opt(a.planned_end)) }
                td data-label="Last report" { (when_opt(part.and_then(|p| p.latest_reported_at))) }
                td.row-actions {
                    @if may_update(viewer, a) {
                        a.button href={"/ui/activities/" (id) "/update"}
                            hx-get={"/ui/activities/" (id) "/update"}
                            hx-target={"#act-" (id)} hx-swap="outerHTML"
                            autofocus[focus]
                            aria-label={"Update " (a.code)} { "Update" }
                    }
                }
            }
        }
    }
}

/// The progress fields of a form as typed: the in-row Update form and each block of a
/// cycle report.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProgressFields {
    /// Status (its stored spelling).
    pub status: String,
    /// Percent complete, as typed.
    #[serde(default)]
    pub percent_complete: String,
    /// What was done.
    #[serde(default)]
    pub narrative: String,
    /// Difficulties.
    #[serde(default)]
    pub challenges: String,
    /// Next steps.
    #[serde(default)]
    pub next_steps: String,
    /// Evidence links, one per line.
    #[serde(default)]
    pub evidence_urls: String,
    /// A report block's files to keep (its ticked boxes); `None`: the form had no
    /// file list (keep them all).
    #[serde(skip)]
    pub keep: Option<Vec<Uuid>>,
    /// Files uploaded with this post, stored and not yet attached.
    #[serde(skip)]
    pub new_files: Vec<Uuid>,
}

impl ProgressFields {
    /// The values as the use cases take them; a status or a number that is not one is
    /// a field error in `errors` (the use case validates the rest).
    pub fn read(&self, errors: &mut wpt_domain::ValidationErrors) -> ProgressInput {
        let status = self.status.parse::<ProgressStatus>().unwrap_or_else(|_| {
            errors.add("status", "choose one of the listed statuses");
            ProgressStatus::NotStarted
        });
        let percent = match self.percent_complete.trim() {
            "" => None,
            p => p.parse::<i32>().map(Some).unwrap_or_else(|_| {
                errors.add("percent_complete", "must be a whole number from 0 to 100");
                None
            }),
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|t| !t.is_empty());
        ProgressInput {
            status,
            percent_complete: percent,
            narrative: self.narrative.trim().to_owned(),
            challenges: optional(&self.challenges),
            next_steps: optional(&self.next_steps),
            evidence_urls: self
                .evidence_urls
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            attachment_ids: None,
        }
    }
}

/// The values of the Update form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ProgressForm {
    #[serde(flatten)]
    fields: ProgressFields,
    /// When the body's latest report was made, as the form saw it (empty: none).
    #[serde(default)]
    seen: String,
    /// Where the form was opened: `row` (in the list, with htmx), `activity` (from the
    /// activity's page) or anything else (the list, without script).
    #[serde(default)]
    from: String,
}

/// Where an Update form was opened, so that it posts, answers and goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// In a row of the list, swapped in by htmx.
    Row,
    /// A page of its own, opened from the list (the Update link without script).
    List,
    /// A page of its own, opened from the activity's page.
    Activity,
}

impl Origin {
    fn parse(from: &str) -> Self {
        match from {
            "row" => Origin::Row,
            "activity" => Origin::Activity,
            _ => Origin::List,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Origin::Row => "row",
            Origin::List => "list",
            Origin::Activity => "activity",
        }
    }

    /// Where a page form goes back to (after a save, or on Cancel).
    fn back(self, id: Uuid) -> String {
        match self {
            Origin::Activity => format!("/ui/activities/{id}"),
            _ => format!("/ui/activities#act-{id}"),
        }
    }
}

/// `?from=` of the Update page.
#[derive(Debug, Default, Deserialize)]
pub struct FromQuery {
    #[serde(default)]
    from: String,
}

impl ProgressForm {
    fn prefilled(a: &Activity, body: &str) -> Self {
        let part = a.bodies.iter().find(|b| b.body == body);
        Self {
            fields: ProgressFields {
                status: part
                    .and_then(|p| p.latest_status)
                    .unwrap_or(ProgressStatus::NotStarted)
                    .as_str()
                    .to_owned(),
                percent_complete: part
                    .and_then(|p| p.latest_percent)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                ..ProgressFields::default()
            },
            seen: part
                .and_then(|p| p.latest_reported_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            from: String::new(),
        }
    }

    /// The form's values as the use case takes them; problems a form can have before
    /// the use case sees it (a status or number that is not one) are field errors.
    fn parse(&self) -> Result<(ProgressInput, Option<DateTime<Utc>>), PageError> {
        let mut errors = wpt_domain::ValidationErrors::new();
        let input = self.fields.read(&mut errors);
        let seen = match self.seen.trim() {
            "" => None,
            t => match DateTime::parse_from_rfc3339(t) {
                Ok(d) => Some(d.with_timezone(&Utc)),
                Err(_) => {
                    errors.add("seen", "the form is damaged; open it again");
                    None
                }
            },
        };
        wpt_db::progress::validate(&mut errors, "", &input);
        errors
            .finish()
            .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
        Ok((input, seen))
    }
}

/// A labelled text field with its hint and its problem, if any.
struct TextField<'a> {
    id: &'a str,
    name: &'a str,
    label: &'a str,
    value: &'a str,
    hint: Option<&'a str>,
    required: bool,
}

impl TextField<'_> {
    fn render(&self, error: Option<&PageError>) -> Markup {
        let problem = error.and_then(|e| e.field(self.name));
        let hint_id = format!("{}-hint", self.id);
        let problem_id = format!("{}-problem", self.id);
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            problem.map(|_| problem_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div.field {
                label for=(self.id) { (self.label) @if self.required { " (required)" } }
                @if let Some(h) = self.hint { span.hint id=(hint_id) { (h) } }
                @if let Some(p) = problem { span.problem id=(problem_id) { (p) } }
                textarea id=(self.id) name=(self.name) required[self.required] aria-invalid=[problem.map(|_| "true")] aria-describedby=[described.as_deref()] maxlength="20000" { (self.value) }
            }
        }
    }
}

/// The Update form. In a row of the list it posts with htmx and its answer replaces the
/// row (`#act-{id}` exists only there); on a page of its own it is a plain form whose
/// answer is a redirect back where it was opened, with the message of what was saved.
fn progress_form(
    a: &Activity,
    form: &ProgressForm,
    error: Option<&PageError>,
    origin: Origin,
    max_bytes: u64,
) -> Markup {
    let id = a.id;
    let fid = |name: &str| format!("{name}-{id}");
    let status_problem = error.and_then(|e| e.field("status"));
    let percent_problem = error.and_then(|e| e.field("percent_complete"));
    let in_row = origin == Origin::Row;
    html! {
        form.stack method="post" action={"/ui/activities/" (id) "/progress"} enctype="multipart/form-data"
            hx-post=[in_row.then(|| format!("/ui/activities/{id}/progress"))]
            hx-target=[in_row.then(|| format!("#act-{id}"))] hx-swap=[in_row.then_some("outerHTML")]
            aria-label={"Update " (a.code)} data-warn-unsaved {
            @if let Some(e) = error { (e.alert()) }
            input type="hidden" name="seen" value=(form.seen);
            input type="hidden" name="from" value=(origin.as_str());
            div.grid2 {
                div.field {
                    label for=(fid("status")) { "Status (required)" }
                    @if let Some(p) = status_problem { span.problem { (p) } }
                    select id=(fid("status")) name="status" autofocus[error.is_none()] {
                        @for s in ProgressStatus::ALL {
                            option value=(s.as_str()) selected[form.fields.status == s.as_str()] { (html::status_word(*s)) }
                        }
                    }
                }
                div.field {
                    label for=(fid("percent")) { "Percent complete (0-100)" }
                    @if let Some(p) = percent_problem { span.problem { (p) } }
                    input id=(fid("percent")) type="number" name="percent_complete" min="0" max="100" step="1" value=(form.fields.percent_complete) aria-invalid=[percent_problem.map(|_| "true")];
                }
            }
            (TextField { id: &fid("narrative"), name: "narrative", label: "What was done", value: &form.fields.narrative, hint: None, required: true }.render(error))
            (TextField { id: &fid("challenges"), name: "challenges", label: "Challenges", value: &form.fields.challenges, hint: None, required: false }.render(error))
            (TextField { id: &fid("next-steps"), name: "next_steps", label: "Next steps", value: &form.fields.next_steps, hint: None, required: false }.render(error))
            (TextField { id: &fid("evidence"), name: "evidence_urls", label: "Evidence links", value: &form.fields.evidence_urls, hint: Some("One http(s) link per line, at most 20."), required: false }.render(error))
            (crate::attachments::input(&fid("file"), "file", "Evidence file", max_bytes, error))
            div.actions {
                button type="submit" { "Save update" }
                @if in_row {
                    button.secondary type="button" hx-get={"/ui/activities/" (id) "/row"} hx-target={"#act-" (id)} hx-swap="outerHTML" { "Cancel" }
                } @else {
                    a.button.secondary href=(origin.back(id)) { "Cancel" }
                }
            }
        }
    }
}

fn editor(a: &Activity, form: &ProgressForm, error: Option<&PageError>, max_bytes: u64) -> Markup {
    html! {
        tbody id={"act-" (a.id)} {
            tr {
                td { a href={"/ui/activities/" (a.id)} { (a.code) } }
                td colspan="9" { (a.title) }
            }
            tr.editor {
                td colspan="10" {
                    (progress_form(a, form, error, Origin::Row, max_bytes))
                }
            }
        }
    }
}

async fn own_activity(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<Activity, PageError> {
    let a = wpt_db::activities::get(&state.db, id, policy::lens(&viewer.actor)).await?;
    if !may_update(viewer, &a) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Only officers of this activity's lead or cooperating bodies report on it.",
        ));
    }
    Ok(a)
}

/// `GET /ui/activities/{id}/update`: the form, in the row (htmx) or as a page.
pub async fn update_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path(id): Path<Uuid>,
    Query(q): Query<FromQuery>,
) -> Result<Markup, PageError> {
    let a = own_activity(&state, &viewer, id).await?;
    let body = viewer
        .actor
        .body
        .as_ref()
        .map(|b| b.code.clone())
        .unwrap_or_default();
    let form = ProgressForm::prefilled(&a, &body);
    Ok(if htmx {
        editor(&a, &form, None, state.attachments.max_bytes)
    } else {
        let all = PageRequest::parse(Some(200), None)
            .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
        let ms = wpt_db::milestones::list(&state.db, id, &all).await?.items;
        page(
            &viewer,
            Section::Activities,
            &format!("Update {}", a.code),
            html! { p { (a.title) } (progress_form(&a, &form, None, Origin::parse(&q.from), state.attachments.max_bytes))
            (milestones::open_list(&ms, "update")) },
        )
    })
}

/// `GET /ui/activities/{id}/row`: one row of the list (after Cancel).
pub async fn row(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let a = wpt_db::activities::get(&state.db, id, policy::lens(&viewer.actor)).await?;
    let body = viewer.actor.body.as_ref().map(|b| b.code.clone());
    Ok(row_markup(&viewer, &a, body.as_deref(), true))
}

/// `POST /ui/activities/{id}/progress`: records the officer's body's progress through
/// the same use case as `POST /api/v1/activities/{id}/progress`, refusing a form opened
/// before another report of the body.
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path(id): Path<Uuid>,
    request: axum::extract::Request,
) -> Response {
    let posted =
        match crate::attachments::read_form::<ProgressForm>(&state, request, |n| n == "file").await
        {
            Ok(p) => p,
            Err(r) => return r,
        };
    let form = posted.form;
    let a = match own_activity(&state, &viewer, id).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let result = match (viewer.actor.own_body(), posted.problem, form.parse()) {
        (Err(denied), _, _) => Err(PageError::from(denied)),
        (Ok(_), Some(e), _) | (Ok(_), None, Err(e)) => Err(e),
        (Ok(grant), None, Ok((mut input, seen))) => {
            // Files are stored (as the API's upload does) only once the form is valid.
            match crate::attachments::store_all(&state, &grant, posted.files).await {
                Err(e) => Err(e),
                Ok(ids) => {
                    input.attachment_ids = (!ids.is_empty()).then_some(ids);
                    wpt_db::progress::record_if_unchanged(&state.db, &grant, id, input, seen)
                        .await
                        .map_err(PageError::from)
                }
            }
        }
    };
    let origin = Origin::parse(&form.from);
    let in_row = htmx && origin == Origin::Row;
    match result {
        Ok(update) => {
            let message = format!(
                "Saved: {} is {}{}.",
                a.code,
                html::status_word(update.status),
                update
                    .percent_complete
                    .map(|p| format!(", {p}% complete"))
                    .unwrap_or_default()
            );
            if !in_row {
                return crate::flash::after_post(&viewer, htmx, &origin.back(id), &message);
            }
            let fresh =
                match wpt_db::activities::get(&state.db, id, policy::lens(&viewer.actor)).await {
                    Ok(a) => a,
                    Err(e) => return PageError::from(e).into_response(),
                };
            let body = viewer.actor.body.as_ref().map(|b| b.code.clone());
            html! {
                (row_markup(&viewer, &fresh, body.as_deref(), true))
                (html::announce(&message))
            }
            .into_response()
        }
        Err(e) => {
            let status = e.status;
            let markup = if in_row {
                editor(&a, &form, Some(&e), state.attachments.max_bytes)
            } else {
                page(
                    &viewer,
                    Section::Activities,
                    &format!("Update {}", a.code),
                    html! { p { (a.title) } (progress_form(&a, &form, Some(&e), origin, state.attachments.max_bytes)) },
                )
            };
            (status, markup).into_response()
        }
    }
}

mod detail;
pub use detail::detail;
mod milestones;
pub use milestones::done as milestone_done;

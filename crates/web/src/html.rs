//! The page shell, shared pieces of markup, and how failures read on a page.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use wpt_db::DbError;
use wpt_domain::{ProgressStatus, Role, Signal, SubmissionStatus};

use crate::assets;
use crate::session::Viewer;

/// htmx settings: no inline styles (the policy forbids them), no eval, no script tags
/// in swapped content, and 4xx answers are swapped in (they carry the form with its
/// errors), and so are 503s (a form refused during maintenance comes back as typed,
/// with the reason), while other 5xx are not.
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"4..","swap":true,"error":false},{"code":"503","swap":true,"error":false},{"code":"...","swap":false,"error":true}]}"#;

/// Whether the request came from htmx (and wants a fragment, not a page).
#[derive(Debug, Clone, Copy)]
pub struct Htmx(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Htmx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Htmx(parts.headers.get("hx-request").is_some()))
    }
}

/// Which main section a page belongs to (marked as current in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The activities.
    Activities,
    /// The dashboard.
    Dashboard,
    /// Reporting cycles and reports.
    Cycles,
    /// The review queue.
    Review,
    /// Read-only maintenance (administrators).
    Maintenance,
    /// Accounts (administrators).
    Accounts,
    /// Sectoral bodies and plan participation (administrators).
    Bodies,
    /// The plan's structure: areas, activities, milestones, indicators.
    Plan,
    /// The mail outbox (administrators).
    Outbox,
    /// None of them.
    None,
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Work Plan Tracker" }
            meta name="htmx-config" content=(HTMX_CONFIG);
            // No favicon request (it would be a 404 on every page).
            link rel="icon" href="data:,";
            link rel="stylesheet" href=(assets::url("app.css"));
            script src=(assets::url(assets::HTMX)) defer {}
            script src=(assets::url("app.js")) defer {}
        }
    }
}

/// A whole page for a signed-in person.
pub fn page(viewer: &Viewer, section: Section, title: &str, body: Markup) -> Markup {
    let role = viewer.actor.role;
    let mut links: Vec<(&str, &str, Section)> = Vec::new();
    match role {
        Role::Officer => {
            links.push(("/ui/activities", "My activities", Section::Activities));
            links.push(("/ui/cycles", "My cycle reports", Section::Cycles));
            links.push(("/ui/dashboard", "Plan dashboard", Section::Dashboard));
            links.push(("/ui/plans", "Plan structure", Section::Plan));
        }
        Role::Secretariat | Role::Admin => {
            links.push(("/ui/dashboard", "Plan dashboard", Section::Dashboard));
            links.push(("/ui/activities", "Activities", Section::Activities));
            links.push(("/ui/plans", "Plan structure", Section::Plan));
            links.push(("/ui/cycles", "Reporting cycles", Section::Cycles));
            links.push(("/ui/review", "Review queue", Section::Review));
            if role == Role::Admin {
                links.push(("/ui/admin/users", "Accounts", Section::Accounts));
                links.push(("/ui/admin/bodies", "Bodies", Section::Bodies));
                links.push(("/ui/admin/maintenance", "Maintenance", Section::Maintenance));
                links.push(("/ui/admin/outbox", "Outbox", Section::Outbox));
            }
        }
        Role::Viewer => {
            links.push(("/ui/dashboard", "Plan dashboard", Section::Dashboard));
            links.push(("/ui/activities", "Activities", Section::Activities));
            links.push(("/ui/plans", "Plan structure", Section::Plan));
            links.push(("/ui/cycles", "Reporting cycles", Section::Cycles));
        }
    }
    let who = match &viewer.actor.body {
        Some(b) => format!("{} ({}, {})", viewer.name, role_word(role), b.code),
        None => format!("{} ({})", viewer.name, role_word(role)),
    };
    let now = Utc::now();
    let read_only = viewer.maintenance.as_ref().is_some_and(|m| m.active(now));
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            // `read-only` hides the buttons of the pages' forms (app.css) while
            // maintenance is in force; a form posted anyway is refused by the write path.
            body class=[read_only.then_some("read-only")] {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Work Plan Tracker" }
                    nav aria-label="Main" {
                        ul {
                            @for (href, label, s) in &links {
                                li {
                                    @if *s == section {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    div.account {
                        a.bell href="/ui/notifications"
                            aria-label={"Notifications: " (viewer.unread) " unread"} {
                            span aria-hidden="true" { "\u{1F514}" }
                            @if viewer.unread > 0 { span.count aria-hidden="true" { (viewer.unread) } }
                        }
                        a href="/ui/account" { (who) }
                        form method="post" action="/ui/logout" {
                            button type="submit" { "Log out" }
                        }
                    }
                }
                @if let Some(m) = &viewer.maintenance {
                    (maintenance_banner(m, now))
                }
                main #main {
                    // What was just done: the redirect's message, or an htmx answer's
                    // (swapped in by `announce`); visible, and read out as a status.
                    div #announce .flash role="status" aria-live="polite" {
                        @if let Some(f) = &viewer.flash { p { (f) } }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The banner of read-only maintenance, in force or announced.
fn maintenance_banner(m: &wpt_domain::models::MaintenanceState, now: DateTime<Utc>) -> Markup {
    let text = crate::time::announcement(m).unwrap_or_default();
    html! {
        div #maintenance .banner role="status" {
            strong { "Maintenance. " }
            (text)
            @if m.active(now) {
                " Pages can be read and reports downloaded; changes cannot be saved until it is over."
            } @else {
                " Until then everything works as usual."
            }
        }
    }
}

/// A page for someone not signed in (the login page, errors before login).
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                main #main .narrow {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// An error as a page of its own.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "Could not be done",
        s if s.is_server_error() => "Something went wrong",
        _ => "Could not be done",
    };
    (
        status,
        bare_page(
            title,
            html! {
                p.error role="alert" { (message) }
                p { a href="/ui/" { "Back to the start page" } }
            },
        ),
    )
        .into_response()
}

/// `GET /ui/...` of no page.
pub async fn not_found(uri: Uri) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        &format!("There is no page at {}.", uri.path()),
    )
}

/// A failed use case, as the page shows it.
#[derive(Debug)]
pub struct PageError {
    /// The status to answer with.
    pub status: StatusCode,
    /// What to tell the person.
    pub message: String,
    /// Field problems, if the input was invalid.
    pub fields: Vec<(String, String)>,
}

impl PageError {
    /// A page error with a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The form's input was refused on one field, as a use case refuses it
    /// (`DbError::Validation`): the same answer and words.
    pub fn invalid(field: &str, message: &str) -> Self {
        let mut e = wpt_domain::ValidationErrors::new();
        e.add(field, message);
        Self::from(DbError::Validation(e))
    }

    /// The message for one field, if any.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name || f.ends_with(&format!(".{name}")))
            .map(|(_, m)| m.as_str())
    }

    /// The error as a block inside a form or page.
    pub fn alert(&self) -> Markup {
        html! {
            div.error role="alert" tabindex="-1" autofocus {
                p { (self.message) }
                @if !self.fields.is_empty() {
                    ul {
                        @for (field, message) in &self.fields {
                            li { (field_label(field)) ": " (message) }
                        }
                    }
                }
            }
        }
    }
}

/// The words the forms use for the fields the use cases name (so a problem reads
/// "Period covered to: is before Period covered from", as the form is labelled).
const LABELS: [(&str, &str); 16] = [
    ("period_start", "Period covered from"),
    ("period_end", "Period covered to"),
    ("opens_on", "Open for submissions on"),
    ("due_on", "Submissions due on"),
    ("review_due_on", "Review due on"),
    ("meeting_date", "Meeting date"),
    ("evidence_urls", "Evidence links"),
    ("percent_complete", "Percent complete"),
    ("narrative", "What was done"),
    ("next_steps", "Next steps"),
    ("challenges", "Challenges"),
    ("status", "Status"),
    ("reason", "Reason for returning"),
    ("new_password", "New password"),
    ("current_password", "Current password"),
    ("name", "Name"),
];

/// A problem's message in the forms' words: field names it mentions become their
/// labels, and a link without `http://` or `https://` says what to add.
fn plain_message(field: &str, message: &str) -> String {
    let mut out = message.to_owned();
    // Only the snake_case names: plain words ("status", "name") stay words.
    for (name, label) in LABELS.iter().filter(|(n, _)| n.contains('_')) {
        if out.contains(name) {
            out = out.replace(name, label);
        }
    }
    let last = field.rsplit('.').next().unwrap_or(field);
    if last.starts_with("evidence_urls") && message.contains("http(s)") {
        out.push_str(
            ": start each link with https:// (for example https://www.asean.org/report.pdf)",
        );
    }
    out
}

fn field_label(field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    let last = last.split('[').next().unwrap_or(last);
    if let Some((_, label)) = LABELS.iter().find(|(name, _)| *name == last) {
        return (*label).to_owned();
    }
    let mut words = last.replace('_', " ");
    if let Some(first) = words.get(..1) {
        words = first.to_uppercase() + &words[1..];
    }
    words
}

impl From<DbError> for PageError {
    /// The status comes from the one code table (`DbError::code`), as the API's does;
    /// only the wording is the pages' own.
    fn from(err: DbError) -> Self {
        let status = wpt_api::error::http_status(err.code());
        let mut fields = Vec::new();
        let message = match err {
            DbError::NotFound(what) => format!("No such {what}."),
            DbError::Unauthenticated(m) => m,
            DbError::RateLimited { retry_after } => format!(
                "Too many attempts. Try again in {} minute(s).",
                retry_after.div_ceil(60)
            ),
            DbError::WriteRateLimited {
                per_minute,
                retry_after,
            } => format!(
                "Too many changes in the last minute (at most {per_minute}). Nothing was saved; try again in {retry_after} second(s)."
            ),
            DbError::AmendmentPending(m) => capitalize(&m),
            DbError::Forbidden(m) => format!("Not allowed: {m}."),
            DbError::Conflict(m) | DbError::InvalidTransition(m) => capitalize(&m),
            DbError::StaleVersion(_) => "Changed by someone else since you opened this page; reload to see the current version. Nothing was saved.".into(),
            DbError::Validation(errors) => {
                fields = errors
                    .0
                    .into_iter()
                    .map(|e| {
                        let message = plain_message(&e.field, &e.message);
                        (e.field, message)
                    })
                    .collect();
                "Please correct the fields below.".into()
            }
            DbError::Maintenance(state) => format!(
                "{} Nothing was saved; try again once it is over.",
                crate::time::announcement(&state)
                    .unwrap_or_else(|| "Read-only for maintenance.".into())
            ),
            DbError::TooLarge(m) => capitalize(&m),
            DbError::Busy { retry_after, .. } => format!(
                "The server is busy. Try again in {retry_after} second(s)."
            ),
            DbError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                "The database cannot be reached right now. Try again in a moment.".into()
            }
            DbError::Database(e) => {
                tracing::error!(error = %e, "database error");
                "Something went wrong on the server; it has been logged.".into()
            }
        };
        PageError {
            status,
            message,
            fields,
        }
    }
}

impl From<wpt_domain::Denied> for PageError {
    fn from(denied: wpt_domain::Denied) -> Self {
        PageError::from(DbError::from(denied))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.status, &self.message)
    }
}

fn capitalize(s: &str) -> String {
    let mut out = s.to_owned();
    if let Some(first) = out.get(..1) {
        out = first.to_uppercase() + &out[1..];
    }
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// A role in words.
pub fn role_word(role: Role) -> &'static str {
    match role {
        Role::Admin => "administrator",
        Role::Secretariat => "SOMTC secretariat",
        Role::Officer => "officer",
        Role::Viewer => "viewer",
    }
}

/// A reported status in words.
pub fn status_word(status: ProgressStatus) -> &'static str {
    match status {
        ProgressStatus::NotStarted => "Not started",
        ProgressStatus::OnTrack => "On track",
        ProgressStatus::AtRisk => "At risk",
        ProgressStatus::Delayed => "Delayed",
        ProgressStatus::Completed => "Completed",
        ProgressStatus::Discontinued => "Discontinued",
    }
}

/// A reported status (or none yet) as a badge: words, with colour only as a help.
pub fn status_badge(status: Option<ProgressStatus>) -> Markup {
    match status {
        Some(s) => html! { span class={"badge status-" (s.as_str())} { (status_word(s)) } },
        None => html! { span.badge.status-none { "Not reported" } },
    }
}

/// A derived signal in words.
pub fn signal_word(signal: Signal) -> &'static str {
    match signal {
        Signal::OnTrack => "On track",
        Signal::AtRisk => "At risk",
        Signal::OffTrack => "Off track",
    }
}

/// A derived signal as a badge.
pub fn signal_badge(signal: Signal) -> Markup {
    html! { span class={"badge signal-" (signal.as_str())} { (signal_word(signal)) } }
}

/// A submission status in words.
pub fn submission_word(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::NotStarted => "No report yet",
        SubmissionStatus::Draft => "Draft",
        SubmissionStatus::Submitted => "Submitted",
        SubmissionStatus::Returned => "Returned",
        SubmissionStatus::Accepted => "Accepted",
    }
}

/// A submission status as a badge.
pub fn submission_badge(status: SubmissionStatus) -> Markup {
    html! { span class={"badge submission-" (status.as_str())} { (submission_word(status)) } }
}

/// A moment, readable and machine-readable, in the zone of the person the page is for
/// (see [`crate::time`]: `21 Dec 2026 04:55 UTC+7`).
pub fn when(t: DateTime<Utc>) -> Markup {
    crate::time::moment(t)
}

/// A moment that may be missing.
pub fn when_opt(t: Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => when(t),
        None => html! { "—" },
    }
}

/// A day: `21 Dec 2026` (see [`crate::time`]).
pub fn day(d: NaiveDate) -> Markup {
    crate::time::day(d)
}

/// A due day and the moment it ends (see [`crate::time::due`]).
pub fn due(d: NaiveDate) -> Markup {
    crate::time::due(d)
}

/// A day that may be missing.
pub fn day_opt(d: Option<NaiveDate>) -> Markup {
    match d {
        Some(d) => day(d),
        None => html! { "—" },
    }
}

/// The message of what was just done, swapped out of band into the page's status
/// region after a partial update: shown at the top of the page, and read out.
pub fn announce(message: &str) -> Markup {
    html! {
        div #announce hx-swap-oob="innerHTML" { p { (message) } }
    }
}

/// Text with line breaks kept.
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for line in text.lines().filter(|l| !l.trim().is_empty()) {
            p { (line) }
        }
    }
}

/// Nothing, as markup.
pub fn nothing() -> Markup {
    PreEscaped(String::new())
}

/// A submitted form (`application/x-www-form-urlencoded`), read into `T`; anything else
/// is a 400 or 415 page, never a half-read form.
#[derive(Debug)]
pub struct FormData<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for FormData<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(error_page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This address takes a form submitted from its page.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."))?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormData)
            .map_err(|e| {
                error_page(
                    StatusCode::BAD_REQUEST,
                    &format!("The form could not be read ({e}). Open the page again and retry."),
                )
            })
    }
}

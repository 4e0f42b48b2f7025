//! `/ui/notifications`: the person's in-app inbox (newest first, mark one or all read);
//! `/ui/account/notifications`: their e-mail setting (the form is on the account page);
//! `/ui/admin/outbox`: administrators see queued, sent and failed mail and retry a
//! failed message. Every form works without script; htmx posts get the same redirect.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::notify::inbox::MarkRead;
use wpt_domain::page::PageRequest;
use wpt_domain::{EmailSetting, OutboxStatus};

use crate::flash::after_post;
use crate::html::{FormData, Htmx, PageError, Section, page, when, when_opt};
use crate::session::Viewer;

/// `?cursor=` of a list page.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    status: Option<String>,
}

/// The words of a setting.
pub fn setting_word(s: EmailSetting) -> &'static str {
    match s {
        EmailSetting::Immediate => "At once: one e-mail per notice",
        EmailSetting::DailyDigest => "Once a day: one summary e-mail",
        EmailSetting::Off => "Never (the pages only)",
    }
}

/// The e-mail setting form (on the account page).
pub fn setting_form(current: EmailSetting) -> Markup {
    html! {
        h2 #email-notifications { "E-mail notifications" }
        form.stack #notification-settings method="post" action="/ui/account/notifications" {
            fieldset {
                legend { "Send me notices (a cycle opened, a report returned or accepted, reminders) by e-mail:" }
                @for s in EmailSetting::ALL {
                    div {
                        input type="radio" name="email" id={"email-" (s.as_str())} value=(s.as_str()) checked[*s == current];
                        " "
                        label for={"email-" (s.as_str())} { (setting_word(*s)) }
                    }
                }
            }
            button type="submit" { "Save e-mail setting" }
        }
        p.hint { "Every notice also appears under " a href="/ui/notifications" { "Notifications" } ". Security messages (a password reset, an invitation) are always sent." }
    }
}

/// `GET /ui/notifications`.
pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let page_req =
        PageRequest::parse(Some(50), q.cursor.as_deref()).map_err(wpt_db::DbError::Validation)?;
    let list = wpt_db::notify::inbox::list(&state.db, &viewer.actor, &page_req).await?;
    Ok(page(
        &viewer,
        Section::None,
        "Notifications",
        html! {
            p { (list.unread_count) @if list.unread_count == 1 { " unread notification." } @else { " unread notifications." }
                " " a href="/ui/account#email-notifications" { "E-mail setting" } }
            @if list.unread_count > 0 {
                form method="post" action="/ui/notifications/read" {
                    input type="hidden" name="all" value="true";
                    button type="submit" { "Mark all read" }
                }
            }
            @if list.items.is_empty() {
                p { "No notifications yet." }
            }
            ul.notifications {
                @for n in &list.items {
                    li class=[n.read_at.is_none().then_some("unread")] {
                        p {
                            @if n.read_at.is_none() { strong { "New: " } }
                            a href=(n.link) { (n.title) }
                        }
                        p.hint { (when(n.created_at)) }
                        (crate::html::paragraphs(&n.body))
                        @if n.read_at.is_none() {
                            form method="post" action="/ui/notifications/read" {
                                input type="hidden" name="id" value=(n.id);
                                button.secondary type="submit" aria-label={"Mark read: " (n.title)} { "Mark read" }
                            }
                        }
                    }
                }
            }
            @if let Some(c) = &list.next_cursor {
                p { a href={"/ui/notifications?cursor=" (c)} { "Older notifications" } }
            }
        },
    ))
}

/// The mark-read form: one `id`, or `all`.
#[derive(Debug, Deserialize)]
pub struct ReadForm {
    id: Option<Uuid>,
    all: Option<String>,
}

/// `POST /ui/notifications/read`.
pub async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    FormData(form): FormData<ReadForm>,
) -> Result<Response, PageError> {
    let which = match (form.id, form.all.as_deref()) {
        (Some(id), _) => MarkRead::Ids(vec![id]),
        (None, Some("true")) => MarkRead::All,
        _ => {
            return Err(PageError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Choose a notification to mark read.",
            ));
        }
    };
    let all = which == MarkRead::All;
    let n = wpt_db::notify::inbox::mark_read(&state.db, &viewer.actor, which).await?;
    let message = if all {
        format!(
            "Marked {n} notification{} read.",
            if n == 1 { "" } else { "s" }
        )
    } else {
        "Notification marked read.".to_owned()
    };
    Ok(after_post(&viewer, htmx, "/ui/notifications", &message))
}

/// The e-mail setting form.
#[derive(Debug, Deserialize)]
pub struct SettingForm {
    email: String,
}

/// `POST /ui/account/notifications`.
pub async fn set_setting(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    FormData(form): FormData<SettingForm>,
) -> Result<Response, PageError> {
    let email: EmailSetting = form.email.parse().map_err(|_| {
        let mut e = wpt_domain::ValidationErrors::new();
        e.add("email", "choose at once, once a day or never");
        wpt_db::DbError::Validation(e)
    })?;
    wpt_db::notify::inbox::set_settings(&state.db, &viewer.actor, email).await?;
    Ok(after_post(
        &viewer,
        htmx,
        "/ui/account#email-notifications",
        &format!(
            "E-mail setting saved: {}.",
            setting_word(email).to_lowercase()
        ),
    ))
}

/// `GET /ui/admin/outbox`.
pub async fn outbox(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let grant = viewer.actor.administer()?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<OutboxStatus>().map_err(|e| {
            let mut v = wpt_domain::ValidationErrors::new();
            v.add("status", e.to_string());
            wpt_db::DbError::Validation(v)
        })?),
    };
    let page_req =
        PageRequest::parse(Some(50), q.cursor.as_deref()).map_err(wpt_db::DbError::Validation)?;
    let list = wpt_db::notify::admin::list(&state.db, &grant, status, &page_req).await?;
    let mail_on = state.db.mail_config().sending;
    Ok(page(
        &viewer,
        Section::Outbox,
        "Mail outbox",
        html! {
            @if !mail_on {
                p.notice { "Mail is off (WPT_SMTP_URL is not set): notices reach the pages only, and no e-mail is queued." }
            }
            p { "Every e-mail the tracker queued, newest first. Queued messages are sent by the delivery worker, retried with growing waits when the mail server fails for a while, and marked failed when it refuses them or after the give-up time (docs/operations.md)." }
            form.filters method="get" action="/ui/admin/outbox" {
                label for="outbox-status" { "Status" }
                select #outbox-status name="status" {
                    option value="" selected[status.is_none()] { "All" }
                    @for s in OutboxStatus::ALL {
                        option value=(s.as_str()) selected[status == Some(*s)] { (s.as_str()) }
                    }
                }
                button type="submit" { "Show" }
            }
            @if list.items.is_empty() { p { "No messages." } }
            div {
                table.cards #outbox {
                    thead { tr { th { "Queued" } th { "To" } th { "Subject" } th { "Status" } th { "Attempts" } th { "Last error" } th { span.visually-hidden { "Action" } } } }
                    tbody {
                        @for m in &list.items {
                            tr {
                                td data-label="Queued" { (when(m.created_at)) }
                                td.wrap.card-title data-label="To" { (m.to_address) }
                                td.wrap data-label="Subject" { (m.subject) }
                                td data-label="Status" { span.badge { (m.status.as_str()) }
                                     @if m.status == OutboxStatus::Sent { br; (when_opt(m.sent_at)) }
                                     @if m.status == OutboxStatus::Queued { br; "next " (when(m.next_attempt_at)) } }
                                td data-label="Attempts" { (m.attempts) }
                                td.wrap data-label="Last error" { (m.last_error.as_deref().unwrap_or("")) }
                                td {
                                    @if m.status == OutboxStatus::Failed {
                                        form method="post" action={"/ui/admin/outbox/" (m.id) "/retry"} {
                                            button type="submit" aria-label={"Retry the message to " (m.to_address)} { "Retry" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(c) = &list.next_cursor {
                p { a href={"/ui/admin/outbox?cursor=" (c) (status.map(|s| format!("&status={}", s.as_str())).unwrap_or_default())} { "Older messages" } }
            }
        },
    ))
}

/// `POST /ui/admin/outbox/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let grant = viewer.actor.administer()?;
    let m = wpt_db::notify::admin::retry(&state.db, &grant, id).await?;
    Ok(after_post(
        &viewer,
        htmx,
        "/ui/admin/outbox",
        &format!("The message to {} is queued again.", m.to_address),
    ))
}

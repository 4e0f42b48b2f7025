//! Times and dates on the pages (issue 24, item 10), in the person's own time zone.
//!
//! Every moment a page shows goes through [`moment`] (the shell's `html::when` calls it):
//! the time in the signed-in person's zone with its offset, `21 Dec 2026 04:55 UTC+7`,
//! inside `<time datetime="...">` carrying the RFC 3339 UTC value for machines. A person
//! without a zone (their browser ran no script at their first login and they chose
//! none) sees UTC, saying so: `20 Dec 2026 21:55 UTC`. Days (a due day, a milestone's
//! date) have no zone and read `21 Dec 2026` ([`day`]); a due day also says when it ends
//! ([`due`]), which is the end of that day in UTC (`wpt_domain::deadline::missing`
//! compares it with the UTC date).
//!
//! The zone is the account's (`users.time_zone`, `wpt_db::time_zones`). The [`Viewer`]
//! extractor reads it with the account on every request and makes it this request's
//! zone ([`scope`], a task-local set up around each page request), so every helper
//! that formats a time uses the zone of the person the page is for without each
//! page passing it down. Nothing else formats a time on the pages.
//!
//! [`Viewer`]: crate::session::Viewer

use std::cell::Cell;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use wpt_api::AppState;
use wpt_domain::time_zone::{self, Tz};

use crate::html::{FormData, Htmx, PageError};
use crate::session::Viewer;

tokio::task_local! {
    /// The zone of the person the current page request is for.
    static ZONE: Cell<Option<Tz>>;
}

/// Middleware: gives each page request its own zone slot (empty: UTC), which the
/// [`Viewer`] extractor fills.
pub async fn scope(request: Request, next: Next) -> Response {
    ZONE.scope(Cell::new(None), next.run(request)).await
}

/// Makes `zone` the zone of this request's pages (outside [`scope`]: nothing).
pub(crate) fn set_current(zone: Option<Tz>) {
    let _ = ZONE.try_with(|z| z.set(zone));
}

/// The zone of the person this request's page is for; `None`: UTC.
pub fn current() -> Option<Tz> {
    ZONE.try_with(Cell::get).ok().flatten()
}

/// The offset label of `zone` at `t`: `UTC+7`, `UTC+6:30`; `UTC` without a zone.
pub fn offset_at(t: DateTime<Utc>, zone: Option<Tz>) -> String {
    match zone {
        Some(z) => time_zone::offset_label(time_zone::offset_seconds(z, t)),
        None => "UTC".to_owned(),
    }
}

/// A moment as text in `zone` (UTC without one): `21 Dec 2026 04:55 UTC+7`.
pub fn moment_text(t: DateTime<Utc>, zone: Option<Tz>) -> String {
    let local = match zone {
        Some(z) => z
            .from_utc_datetime(&t.naive_utc())
            .format("%-d %b %Y %H:%M")
            .to_string(),
        None => t.format("%-d %b %Y %H:%M").to_string(),
    };
    format!("{local} {}", offset_at(t, zone))
}

/// A moment, in the zone of the person the page is for, readable and machine-readable.
pub fn moment(t: DateTime<Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (moment_text(t, current())) } }
}

/// A day as text: `21 Dec 2026`.
pub fn day_text(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// A day, readable and machine-readable.
pub fn day(d: NaiveDate) -> Markup {
    html! { time datetime=(d.to_string()) { (day_text(d)) } }
}

/// The moment a due day ends: midnight UTC after it (a report is missing once the UTC
/// date is past its due day).
pub fn due_end(d: NaiveDate) -> DateTime<Utc> {
    let next = d.checked_add_days(Days::new(1)).unwrap_or(d);
    next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A due day and when it ends: `21 Dec 2026, end of day UTC`, and for a person in
/// another zone that moment in theirs: `(22 Dec 2026 07:00 UTC+7)`.
pub fn due(d: NaiveDate) -> Markup {
    let end = due_end(d);
    let zone = current().filter(|z| time_zone::offset_seconds(*z, end) != 0);
    html! {
        (day(d)) ", end of day UTC"
        @if zone.is_some() { " (" (moment(end)) ")" }
    }
}

/// The `datetime-local` value of a moment, in the zone of the person the page is for.
pub fn input_value(t: DateTime<Utc>) -> String {
    match current() {
        Some(z) => z
            .from_utc_datetime(&t.naive_utc())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        None => t.format("%Y-%m-%dT%H:%M").to_string(),
    }
}

/// A `datetime-local` value typed in the zone of the person the page is for (UTC
/// without one), as a moment; `None` when it is not a date and time, or names a time
/// the zone skips.
pub fn parse_input(value: &str) -> Option<DateTime<Utc>> {
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(value.trim(), f).ok())?;
    match current() {
        Some(z) => z
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
        None => Some(naive.and_utc()),
    }
}

/// The zone a person types times in, for labels: `Asia/Jakarta, UTC+7` or `UTC`.
pub fn input_zone_label() -> String {
    match current() {
        Some(z) => format!("{}, {}", z.name(), offset_at(Utc::now(), Some(z))),
        None => "UTC".to_owned(),
    }
}

/// The banner text of read-only maintenance, its moments in the reader's zone.
pub fn announcement(m: &wpt_domain::models::MaintenanceState) -> Option<String> {
    let zone = current();
    m.announcement_with(Utc::now(), |t| moment_text(t, zone))
}

/// The country of each zone offered first.
fn zone_place(name: &str) -> &'static str {
    match name {
        "Asia/Jakarta" => "Indonesia, west",
        "Asia/Makassar" => "Indonesia, central",
        "Asia/Jayapura" => "Indonesia, east",
        "Asia/Bangkok" => "Thailand",
        "Asia/Ho_Chi_Minh" => "Viet Nam",
        "Asia/Manila" => "Philippines",
        "Asia/Kuala_Lumpur" => "Malaysia",
        "Asia/Singapore" => "Singapore",
        "Asia/Brunei" => "Brunei Darussalam",
        "Asia/Phnom_Penh" => "Cambodia",
        "Asia/Vientiane" => "Lao PDR",
        "Asia/Yangon" => "Myanmar",
        "Asia/Dili" => "Timor-Leste",
        _ => "",
    }
}

/// The time zone form of the account page. `typed` is what was posted when it was
/// refused.
pub fn zone_form(current: Option<Tz>, typed: Option<&str>, error: Option<&PageError>) -> Markup {
    let now = Utc::now();
    let selected = typed
        .map(str::to_owned)
        .or(current.map(|z| z.name().to_owned()));
    let is = |n: &str| selected.as_deref() == Some(n);
    let problem = error.and_then(|e| e.field("time_zone"));
    html! {
        h2 #time-zone { "Time zone" }
        p {
            "Times on these pages are shown in "
            @match current {
                Some(z) => { strong { (z.name()) } " (" (offset_at(now, Some(z))) " now)" }
                None => { strong { "UTC" } ": no time zone is set for your account yet" }
            }
            ". Due days end at midnight UTC."
        }
        form.stack #time-zone-form method="post" action="/ui/account/time-zone" {
            label for="time-zone-select" { "My time zone" }
            @if let Some(p) = problem { span.problem #time-zone-problem { "Time zone: " (p) } }
            select #time-zone-select name="time_zone" aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "time-zone-problem")] {
                @if current.is_none() { option value="" selected[selected.is_none()] { "Not set (UTC)" } }
                optgroup label="ASEAN member states and Timor-Leste" {
                    @for n in time_zone::FIRST.iter().filter(|n| **n != "UTC") {
                        @let z = time_zone::parse(n);
                        option value=(n) selected[is(n)] {
                            (zone_place(n)) ": " (n) " (" (offset_at(now, z)) ")"
                        }
                    }
                }
                option value="UTC" selected[is("UTC")] { "UTC" }
                optgroup label="All other time zones" {
                    @for n in time_zone::rest() {
                        option value=(n) selected[is(n)] { (n) }
                    }
                }
            }
            button type="submit" { "Save time zone" }
        }
    }
}

/// The time zone form's field.
#[derive(Debug, Deserialize)]
pub struct ZoneForm {
    time_zone: String,
}

/// `POST /ui/account/time-zone`: the same use case as `PATCH /api/v1/me`; an unknown
/// zone is the account page again with the form's error (422).
pub async fn set_zone(
    State(state): State<AppState>,
    viewer: Viewer,
    Htmx(htmx): Htmx,
    FormData(form): FormData<ZoneForm>,
) -> Response {
    let typed = form.time_zone.trim();
    let result = async {
        let grant = viewer.actor.own_account()?;
        let name = (!typed.is_empty()).then_some(typed);
        Ok::<_, PageError>(wpt_db::time_zones::set_own(&state.db, &grant, name).await?)
    }
    .await;
    match result {
        Ok(zone) => {
            let message = match zone.as_deref().and_then(time_zone::parse) {
                Some(z) => format!(
                    "Time zone saved: {} ({}). Times are now shown in it.",
                    z.name(),
                    offset_at(Utc::now(), Some(z))
                ),
                None => "Time zone cleared: times are shown in UTC.".to_owned(),
            };
            crate::flash::after_post(&viewer, htmx, "/ui/account#time-zone", &message)
        }
        Err(e) => crate::account::page_with_zone_error(&state, &viewer, typed, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_in_the_zone_with_its_offset() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 20, 21, 55, 0)
            .single()
            .expect("a moment");
        let jakarta = time_zone::parse("Asia/Jakarta");
        assert_eq!(moment_text(t, jakarta), "21 Dec 2026 04:55 UTC+7");
        assert_eq!(moment_text(t, None), "20 Dec 2026 21:55 UTC");
        assert_eq!(
            moment_text(t, time_zone::parse("Asia/Yangon")),
            "21 Dec 2026 04:25 UTC+6:30"
        );
        let d = NaiveDate::from_ymd_opt(2026, 12, 21).expect("a day");
        assert_eq!(day_text(d), "21 Dec 2026");
        assert_eq!(moment_text(due_end(d), jakarta), "22 Dec 2026 07:00 UTC+7");
    }
}

//! The plan dashboard: signal tiles, status by area and by body (each an SVG chart drawn
//! here with a table of the same numbers), milestones, and the open cycle's progress.
//! Every figure comes from `GET /api/v1/work-plans/{id}/summary` and the cycle board,
//! through the same use cases, so the page and the API never disagree.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_domain::models::WorkPlan;
use wpt_domain::page::PageRequest;
use wpt_domain::{CycleState, ProgressStatus, SubmissionStatus, WorkPlanStatus};

use crate::html::{PageError, Section, page};
use crate::session::Viewer;

/// The dashboard's filters.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    plan: Option<String>,
    area: Option<String>,
    body: Option<String>,
}

/// The statuses in the order the charts and tables show them.
pub const STATUS_KEYS: [&str; 7] = [
    "not_reported",
    "not_started",
    "on_track",
    "at_risk",
    "delayed",
    "completed",
    "discontinued",
];

fn status_label(key: &str) -> &'static str {
    match key.parse::<ProgressStatus>() {
        Ok(s) => crate::html::status_word(s),
        Err(_) => "Not reported",
    }
}

/// The plan a page is about: the one asked for, else the first active plan, else the
/// first plan.
pub async fn choose_plan(state: &AppState, asked: Option<&str>) -> Result<WorkPlan, PageError> {
    if let Some(id) = asked.filter(|s| !s.is_empty()) {
        let id = Uuid::parse_str(id)
            .map_err(|_| PageError::new(StatusCode::NOT_FOUND, "No such work plan."))?;
        return Ok(wpt_db::work_plans::get(&state.db, id).await?);
    }
    let all = PageRequest::parse(Some(200), None)
        .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
    let plans = wpt_db::work_plans::list(&state.db, &all).await?.items;
    plans
        .iter()
        .find(|p| p.status == WorkPlanStatus::Active)
        .or(plans.first())
        .cloned()
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "There is no work plan yet."))
}

/// One bar of a chart: its label, its segments (status, x, width, count), its total and
/// where it ends.
type Bar<'a> = (&'a str, Vec<(&'static str, f64, f64, i64)>, i64, f64);

/// A stacked horizontal bar chart: one bar per row, one segment per status.
pub(crate) fn chart(
    title: &str,
    id: &str,
    rows: &[(String, BTreeMap<&'static str, i64>)],
) -> Markup {
    const WIDTH: f64 = 560.0;
    const LABEL: f64 = 90.0;
    const ROW: f64 = 26.0;
    let max = rows
        .iter()
        .map(|(_, c)| c.values().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW * rows.len() as f64 + 4.0;
    // Each row: its label, its segments (status, x, width, count) and where it ends.
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .map(|(label, counts)| {
            let mut x = LABEL;
            let mut segments = Vec::new();
            for key in STATUS_KEYS {
                let n = counts.get(key).copied().unwrap_or(0);
                if n > 0 {
                    let w = WIDTH * n as f64 / max as f64;
                    segments.push((key, x, w, n));
                    x += w;
                }
            }
            (label.as_str(), segments, counts.values().sum::<i64>(), x)
        })
        .collect();
    html! {
        figure.chart aria-labelledby={(id) "-caption"} {
            figcaption id={(id) "-caption"} { (title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby={(id) "-title"}
                viewBox={"0 0 " (WIDTH + LABEL + 50.0) " " (height)} width=(WIDTH + LABEL + 50.0) height=(height) {
                title id={(id) "-title"} { (title) ": the table below gives the same numbers" }
                @for (i, (label, segments, total, end)) in bars.iter().enumerate() {
                    @let y = ROW * i as f64 + 2.0;
                    text.chart-label x="0" y=(y + 15.0) { (label) }
                    @for (key, x, w, n) in segments {
                        rect class={"bar-" (key)} x=(format!("{x:.1}")) y=(y) width=(format!("{w:.1}")) height=(ROW - 6.0) {
                            title { (label) ": " (status_label(key)) " " (n) }
                        }
                    }
                    text.chart-label x=(format!("{:.1}", end + 4.0)) y=(y + 15.0) { (total) }
                }
            }
            ul.legend aria-hidden="true" {
                @for key in STATUS_KEYS { li { span class={"swatch bar-" (key)} {} (status_label(key)) } }
            }
        }
    }
}

pub(crate) fn status_table(
    caption: &str,
    id: &str,
    head: &str,
    rows: &[(String, BTreeMap<&'static str, i64>)],
) -> Markup {
    html! {
        table id=(id) {
            caption { (caption) }
            thead {
                tr {
                    th scope="col" { (head) }
                    @for key in STATUS_KEYS { th scope="col" class="num" { (status_label(key)) } }
                    th scope="col" class="num" { "Total" }
                }
            }
            tbody {
                @for (label, counts) in rows {
                    tr data-row=(label) {
                        th scope="row" { (label) }
                        @for key in STATUS_KEYS {
                            td.num data-status=(key) { (counts.get(key).copied().unwrap_or(0)) }
                        }
                        td.num data-status="total" { (counts.values().sum::<i64>()) }
                    }
                }
            }
        }
    }
}

/// `GET /ui/dashboard?plan=&area=&body=`.
async fn page_handler(
    state: &AppState,
    viewer: &Viewer,
    q: &DashboardQuery,
) -> Result<Markup, PageError> {
    for (name, value) in [("Area", &q.area), ("Body", &q.body)] {
        if value.as_deref().is_some_and(|v| v.chars().count() > 40) {
            return Err(PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{name} is a code of at most 40 characters."),
            ));
        }
    }
    let plan = choose_plan(state, q.plan.as_deref()).await?;
    let summary =
        wpt_db::work_plans::summary(&state.db, plan.id, wpt_domain::policy::lens(&viewer.actor))
            .await?;
    let trends = wpt_db::trends::plan_trends(&state.db, plan.id).await?;
    let area = q.area.as_deref().filter(|s| !s.is_empty());
    let body = q.body.as_deref().filter(|s| !s.is_empty());
    let mut by_area: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    let mut by_body: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for c in &summary.by_status {
        let Some(key) = STATUS_KEYS.iter().find(|k| **k == c.status) else {
            continue;
        };
        if body.is_none_or(|b| b == c.body) {
            *by_area
                .entry(c.area.clone())
                .or_default()
                .entry(key)
                .or_default() += c.count;
        }
        if area.is_none_or(|a| a == c.area) {
            *by_body
                .entry(c.body.clone())
                .or_default()
                .entry(key)
                .or_default() += c.count;
        }
    }
    let by_area: Vec<_> = by_area
        .into_iter()
        .filter(|(a, _)| area.is_none_or(|x| x == a))
        .map(|(a, c)| (format!("Area {a}"), c))
        .collect();
    let by_body: Vec<_> = by_body
        .into_iter()
        .filter(|(b, _)| body.is_none_or(|x| x == b))
        .collect();
    // The headline counts the very rows the tables count (one truth per status); the
    // dates only add schedule warnings beside them.
    let mut headline: BTreeMap<&'static str, i64> = BTreeMap::new();
    for (_, counts) in &by_area {
        for (k, n) in counts {
            *headline.entry(k).or_default() += n;
        }
    }
    let past_end: i64 = summary
        .signals
        .iter()
        .filter(|s| area.is_none_or(|a| a == s.area))
        .map(|s| s.off_track)
        .sum();
    let filter_query = |extra: &str| {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = area {
            params.push(("area", a));
        }
        if let Some(b) = body {
            params.push(("body", b));
        }
        let mut q = serde_urlencoded::to_string(&params).unwrap_or_default();
        if !extra.is_empty() {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(extra);
        }
        format!("/ui/activities?{q}")
    };
    let tasks = if viewer.actor.secretariat().is_ok() {
        crate::tasks::secretariat(state, viewer).await?
    } else {
        html! {}
    };
    let (overdue, overdue_total) =
        wpt_db::milestones::overdue(&state.db, plan.id, area, body, 50).await?;
    let first = PageRequest::parse(Some(1), None)
        .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
    let open_cycle = wpt_db::cycles::list(&state.db, Some(plan.id), Some(CycleState::Open), &first)
        .await?
        .items
        .into_iter()
        .next();
    let board = match &open_cycle {
        Some(c) => Some(wpt_db::cycles::board(&state.db, &viewer.actor, c.id, None).await?),
        None => None,
    };
    let areas: Vec<String> = summary.signals.iter().map(|s| s.area.clone()).collect();
    let bodies: Vec<String> = summary.bodies.iter().map(|b| b.body.clone()).collect();
    let scope = match area {
        Some(a) => format!("area {a}"),
        None => "the whole plan".to_owned(),
    };
    let body_markup = html! {
        (tasks)
        p { (plan.title) " (" (plan.code) ") · as of " (crate::html::day(summary.as_of)) }
        form.filters method="get" action="/ui/dashboard" aria-label="Filter the dashboard" {
            input type="hidden" name="plan" value=(plan.id);
            label { "Area"
                select name="area" {
                    option value="" { "All areas" }
                    @for a in &areas { option value=(a) selected[area == Some(a.as_str())] { "Area " (a) } }
                }
            }
            label { "Body"
                select name="body" {
                    option value="" { "All bodies" }
                    @for b in &bodies { option value=(b) selected[body == Some(b.as_str())] { (b) } }
                }
            }
            button type="submit" { "Apply filters" }
            a href="/ui/dashboard" { "Clear" }
        }
        h2 { "Reported status (" (scope) @if let Some(b) = body { ", " (b) } ")" }
        ul.tiles #status-tiles {
            @for key in STATUS_KEYS {
                @let n = headline.get(key).copied().unwrap_or(0);
                li {
                    @if key == "not_reported" || n == 0 {
                        strong id={"tile-" (key)} { (n) }
                    } @else {
                        a href=(filter_query(&format!("status={key}"))) { strong id={"tile-" (key)} { (n) } }
                    }
                    " " span class={"badge status-" (key)} { (status_label(key)) }
                }
            }
        }
        p.hint { "Each body's latest report on its part of an activity, counted once: the same numbers as the tables below. An accepted report entry counts as the body's latest report unless the body reported since." }
        h2 { "Schedule warnings (from dates)" }
        ul.tiles #schedule-tiles {
            li { a href=(filter_query("overdue=true")) { strong #tile-past-planned-end { (past_end) } } " activities past planned end, not completed (" (scope) ")" }
            li { a href="#overdue-milestones" { strong #tile-overdue-milestones { (summary.milestones.overdue) } } " milestones overdue (whole plan)" }
        }
        h2 { "Status by area" @if let Some(b) = body { " for " (b) } }
        (chart("Status by area", "chart-area", &by_area))
        (status_table("Status by area (same numbers as the chart)", "table-by-area", "Area", &by_area))
        h2 { "Status by body" @if let Some(a) = area { " in area " (a) } }
        (chart("Status by body", "chart-body", &by_body))
        (status_table("Status by body (same numbers as the chart)", "table-by-body", "Body", &by_body))
        h2 { "Milestones" }
        table #table-milestones {
            caption { "Milestones of the whole plan" }
            thead { tr { th scope="col" class="num" { "Total" } th scope="col" class="num" { "Completed" } th scope="col" class="num" { "Due by today" } th scope="col" class="num" { "Done of those due" } th scope="col" class="num" { "Overdue" } } }
            tbody { tr {
                td.num data-key="total" { (summary.milestones.total) }
                td.num data-key="completed" { (summary.milestones.completed) }
                td.num data-key="due" { (summary.milestones.due) }
                td.num data-key="done_of_due" { (summary.milestones.done_of_due) }
                td.num data-key="overdue" { (summary.milestones.overdue) }
            } }
        }
        h2 #overdue-milestones { "Overdue milestones" @if let Some(a) = area { " in area " (a) } @if let Some(b) = body { " of " (b) "'s activities" } }
        @if overdue.is_empty() {
            p #overdue-none { "No overdue milestone." }
        } @else {
            table #table-overdue data-total=(overdue_total) {
                caption {
                    (overdue_total) " overdue milestones, oldest first"
                    @if overdue_total > overdue.len() as u64 { " (the first " (overdue.len()) " shown)" }
                }
                thead { tr { th scope="col" { "Activity" } th scope="col" { "Milestone" } th scope="col" { "Was due" } } }
                tbody {
                    @for m in &overdue {
                        tr {
                            td { a href={"/ui/activities/" (m.activity_id)} { (m.activity_code) } }
                            td { (m.title) }
                            td { (crate::html::day(m.due_on)) }
                        }
                    }
                }
            }
        }
        p { a href=(filter_query("milestones=overdue")) { "See the activities with a milestone overdue" } }
        (crate::trends::plan_section(&trends))
        h2 { "Open reporting cycle" }
        @match (&open_cycle, &board) {
            (Some(c), Some(b)) => {
                @let done = b.iter().filter(|s| matches!(s.status, SubmissionStatus::Submitted | SubmissionStatus::Accepted)).count();
                p #cycle-progress { strong { (done) " of " (b.len()) " submitted" } " for " a href={"/ui/cycles/" (c.id) "/board"} { (c.name) } ", due " (crate::html::day(c.due_on)) "." }
            }
            _ => { p { "No cycle is open." } }
        }
    };
    Ok(page(
        viewer,
        Section::Dashboard,
        "Plan dashboard",
        body_markup,
    ))
}

/// `GET /ui/dashboard`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> Result<Markup, PageError> {
    page_handler(&state, &viewer, &q).await
}

//! Trends across cycles on the pages (issue 19): the dashboard's "Across cycles"
//! section, an activity's line and an indicator's actuals against its target. Each is a
//! server-drawn SVG with a table of the same numbers (the table is what print and
//! screen readers use), from `wpt_db::trends`, the API's own use cases: accepted
//! reports only.

use std::collections::BTreeMap;

use maud::{Markup, html};
use wpt_domain::ProgressStatus;
use wpt_domain::models::{ActivityTrend, IndicatorSeries, PlanTrends};

use crate::dashboard::{STATUS_KEYS, chart, status_table};

/// A short cycle label for a chart's axis.
fn short(name: &str) -> String {
    let mut out: String = name.chars().take(14).collect();
    if name.chars().count() > 14 {
        out.push('…');
    }
    out
}

/// The dashboard's "Across cycles" section: accepted entries by status per cycle, and
/// each body's on-time record with a mark per cycle.
pub fn plan_section(t: &PlanTrends) -> Markup {
    let rows: Vec<(String, BTreeMap<&'static str, i64>)> = t
        .cycles
        .iter()
        .map(|c| {
            let counts = STATUS_KEYS
                .iter()
                .filter_map(|k| {
                    let s: ProgressStatus = k.parse().ok()?;
                    Some((*k, c.counts.get(s)))
                })
                .collect();
            (c.cycle.name.clone(), counts)
        })
        .collect();
    html! {
        section #across-cycles aria-labelledby="across-cycles-title" {
            h2 #across-cycles-title { "Across cycles" }
            p.hint { "From the reports the secretariat accepted, cycle by cycle (oldest first)." }
            @if t.cycles.is_empty() {
                p #across-none { "No cycle has opened yet." }
            } @else {
                (chart("Accepted entries by status, per cycle", "chart-cycles", &rows))
                (status_table("Accepted entries by status, per cycle (same numbers as the chart)", "table-cycles", "Cycle", &rows))
                // Focusable: on a phone the table scrolls sideways, and a keyboard must reach it.
                table #table-on-time .wide tabindex="0" {
                    caption { "Each body's on-time record: a mark per cycle with an accepted report" }
                    thead { tr {
                        th scope="col" { "Body" }
                        @for c in &t.cycles { th scope="col" { (c.cycle.name) } }
                        th scope="col" class="num" { "On time" }
                        th scope="col" class="num" { "Average days late" }
                        th scope="col" class="num" { "Average review days" }
                    } }
                    tbody {
                        @for b in &t.bodies {
                            tr data-body=(b.body) {
                                th scope="row" { (b.body) }
                                @for c in &t.cycles {
                                    @match b.cycles.iter().find(|r| r.cycle_id == c.cycle.cycle_id) {
                                        Some(r) => {
                                            td data-cycle=(c.cycle.cycle_id) data-days-late=(r.days_late) {
                                                @if r.on_time { span.mark-on-time { "✓ on time" } } @else { span.late { "✗ " (r.days_late) " days late" } }
                                                @if r.extended { " " small { "(extended)" } }
                                            }
                                        }
                                        None => { td data-cycle=(c.cycle.cycle_id) { "—" } }
                                    }
                                }
                                td.num data-key="on_time" { (b.on_time) " of " (b.reports) }
                                td.num data-key="average_days_late" { (opt(b.average_days_late)) }
                                td.num data-key="average_review_days" { (opt(b.average_review_days)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

const W: f64 = 560.0;
const H: f64 = 200.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 40.0;

/// x of the `i`th of `n` points.
fn x_of(i: usize, n: usize) -> f64 {
    if n <= 1 {
        LEFT + W / 2.0
    } else {
        LEFT + W * i as f64 / (n - 1) as f64
    }
}

/// y of `v` on a 0..`max` scale.
fn y_of(v: f64, max: f64) -> f64 {
    TOP + H - H * (v / max).clamp(0.0, 1.0)
}

/// The frame of a line chart: horizontal grid lines with their values and the labels
/// along the bottom.
fn frame(max: f64, labels: &[String]) -> Markup {
    html! {
        @for step in 0..=4 {
            @let v = max * f64::from(step) / 4.0;
            @let y = y_of(v, max);
            line.grid x1=(LEFT) x2=(LEFT + W) y1=(format!("{y:.1}")) y2=(format!("{y:.1}")) {}
            text.chart-label x="0" y=(format!("{:.1}", y + 4.0)) { (format!("{v:.0}")) }
        }
        @for (i, l) in labels.iter().enumerate() {
            text.chart-label x=(format!("{:.1}", x_of(i, labels.len()) - 30.0)) y=(TOP + H + 24.0) { (short(l)) }
        }
    }
}

fn series_class(i: usize) -> String {
    format!("series-{}", i % 6)
}

/// An activity's line across cycles: each body's accepted completion per cycle, and
/// the table of statuses and percentages.
pub fn activity_section(t: &ActivityTrend) -> Markup {
    let labels: Vec<String> = t.cycles.iter().map(|c| c.cycle.name.clone()).collect();
    let mut bodies: Vec<&str> = t
        .cycles
        .iter()
        .flat_map(|c| c.bodies.iter().map(|b| b.body.as_str()))
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    html! {
        section #activity-trend aria-labelledby="activity-trend-title" {
            h2 #activity-trend-title { "Across cycles" }
            @if bodies.is_empty() {
                p #trend-none { "No accepted report carries this activity yet." }
            } @else {
                figure.chart aria-labelledby="chart-activity-caption" {
                    figcaption #chart-activity-caption { "Completion accepted per cycle, by body" }
                    svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-activity-title"
                        viewBox={"0 0 " (LEFT + W + 40.0) " " (TOP + H + BOTTOM)} width=(LEFT + W + 40.0) height=(TOP + H + BOTTOM) {
                        title #chart-activity-title { "Completion per cycle: the table below gives the same numbers" }
                        (frame(100.0, &labels))
                        @for (bi, body) in bodies.iter().enumerate() {
                            @let pts: Vec<(f64, f64, i32)> = t.cycles.iter().enumerate().filter_map(|(i, c)| {
                                let p = c.bodies.iter().find(|b| b.body == *body)?.percent_complete?;
                                Some((x_of(i, labels.len()), y_of(f64::from(p), 100.0), p))
                            }).collect();
                            polyline class=(series_class(bi)) fill="none" points=(pts.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")) {}
                            @for (x, y, p) in &pts {
                                circle class=(series_class(bi)) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="4" { title { (body) ": " (p) "%" } }
                            }
                        }
                    }
                    ul.legend aria-hidden="true" {
                        @for (bi, body) in bodies.iter().enumerate() { li { span class={"swatch " (series_class(bi))} {} (body) } }
                    }
                }
                table #table-activity-trend .wide {
                    caption { "Status and completion accepted per cycle (same numbers as the chart)" }
                    thead { tr { th scope="col" { "Body" } @for c in &t.cycles { th scope="col" { (c.cycle.name) } } } }
                    tbody {
                        @for body in &bodies {
                            tr data-body=(body) {
                                th scope="row" { (body) }
                                @for c in &t.cycles {
                                    @match c.bodies.iter().find(|b| b.body == *body) {
                                        Some(p) => { td data-cycle=(c.cycle.cycle_id) data-status=(p.status.as_str()) data-percent=(p.percent_complete.map(|x| x.to_string()).unwrap_or_default()) {
                                            (crate::html::status_word(p.status)) @if let Some(x) = p.percent_complete { " · " (x) "%" }
                                        } }
                                        None => { td data-cycle=(c.cycle.cycle_id) { "—" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An indicator's accepted actuals against its baseline and target.
pub fn indicator_section(s: &IndicatorSeries) -> Markup {
    let numbers: Vec<f64> = s.points.iter().filter_map(|p| p.number).collect();
    let max = numbers
        .iter()
        .copied()
        .chain(s.target_number)
        .chain(s.baseline_number)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut bodies: Vec<&str> = s.points.iter().map(|p| p.body.as_str()).collect();
    bodies.sort_unstable();
    bodies.dedup();
    let mut periods: Vec<chrono::NaiveDate> = s.points.iter().map(|p| p.period_end).collect();
    periods.sort_unstable();
    periods.dedup();
    let labels: Vec<String> = periods.iter().map(|d| crate::time::day_text(*d)).collect();
    let id = s.indicator_id;
    html! {
        div.indicator-series #{"series-" (id)} {
            @if s.points.is_empty() {
                p { "No accepted actual yet." }
            } @else {
                @if !numbers.is_empty() {
                    figure.chart aria-labelledby={"series-caption-" (id)} {
                        figcaption id={"series-caption-" (id)} { (s.name) ": accepted actuals against the target" }
                        svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby={"series-title-" (id)}
                            viewBox={"0 0 " (LEFT + W + 40.0) " " (TOP + H + BOTTOM)} width=(LEFT + W + 40.0) height=(TOP + H + BOTTOM) {
                            title id={"series-title-" (id)} { (s.name) ": the table below gives the same numbers" }
                            (frame(max, &labels))
                            @if let Some(t) = s.target_number {
                                line.target x1=(LEFT) x2=(LEFT + W) y1=(format!("{:.1}", y_of(t, max))) y2=(format!("{:.1}", y_of(t, max))) { title { "Target " (t) } }
                            }
                            @if let Some(b) = s.baseline_number {
                                line.baseline x1=(LEFT) x2=(LEFT + W) y1=(format!("{:.1}", y_of(b, max))) y2=(format!("{:.1}", y_of(b, max))) { title { "Baseline " (b) } }
                            }
                            @for (bi, body) in bodies.iter().enumerate() {
                                @let pts: Vec<(f64, f64, f64)> = s.points.iter().filter(|p| p.body == *body).filter_map(|p| {
                                    let i = periods.iter().position(|d| *d == p.period_end)?;
                                    Some((x_of(i, periods.len()), y_of(p.number?, max), p.number?))
                                }).collect();
                                polyline class=(series_class(bi)) fill="none" points=(pts.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")) {}
                                @for (x, y, v) in &pts {
                                    circle class=(series_class(bi)) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="4" { title { (body) ": " (v) } }
                                }
                            }
                        }
                        ul.legend aria-hidden="true" {
                            @for (bi, body) in bodies.iter().enumerate() { li { span class={"swatch " (series_class(bi))} {} (body) } }
                            @if s.target_number.is_some() { li { span.swatch.target {} "Target" } }
                            @if s.baseline_number.is_some() { li { span.swatch.baseline {} "Baseline" } }
                        }
                    }
                }
                table.series-table {
                    caption { (s.name) ": accepted actuals by period (baseline " (s.baseline.as_deref().unwrap_or("—")) ", target " (s.target.as_deref().unwrap_or("—")) ")" }
                    thead { tr { th scope="col" { "Period" } th scope="col" { "Body" } th scope="col" class="num" { "Actual" } th scope="col" { "Accepted in" } } }
                    tbody {
                        @for p in &s.points {
                            tr data-body=(p.body) data-period-end=(p.period_end) {
                                td { (crate::html::day(p.period_start)) " – " (crate::html::day(p.period_end)) }
                                td { (p.body) }
                                td.num data-key="value" { (p.value) }
                                td { (p.cycle_name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

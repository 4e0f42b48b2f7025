//! The report as a Word document, the meeting paper: what the secretariat edits and
//! circulates to a SOMTC or AMMTC meeting, from the same rows as the other formats.
//!
//! In this order: a cover (plan, cycle, meeting, period, when generated, and for a closed
//! cycle its edition's SHA-256 and "frozen"); a summary (accepted entries by status per
//! area and per body, the late and missing bodies); then per area each activity with its
//! bodies' accepted entries; an annex of the overdue milestones and of the indicators.
//! Every page's header says "Draft: not all reports accepted" until the cycle is closed,
//! and names the frozen edition after. The reader's lens is already applied: the rows
//! carry accepted entries only, and the indicators' latest actuals are left out for those
//! who may not read actuals.
//!
//! Written with [`ooxml`], a small streaming WordprocessingML writer (see
//! docs/dependencies.md for why not a document crate).

mod ooxml;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use wpt_db::cycles::Paper;
use wpt_domain::{CycleKind, CycleState};

use self::ooxml::{Doc, labelled, para, run};
use wpt_db::cycles::ReportRow;

use super::{Nest, Nested, ReportActivity, ReportBody, ReportHead};

/// The media type of Word documents (the meeting paper).
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// What every page of an open (or planned) cycle's paper says in its header.
pub const DRAFT_NOTICE: &str = "Draft: not all reports accepted";

/// A value as people read it: `on_track` is "on track".
fn words(value: &str) -> String {
    value.replace('_', " ")
}

/// A paragraph of plain text, for a table cell.
fn cell(text: &str) -> String {
    para(None, &run(text, false))
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn kind(k: CycleKind) -> String {
    match k {
        CycleKind::Somtc => "SOMTC".to_owned(),
        CycleKind::Ammtc => "AMMTC".to_owned(),
        // "Mid term review", "Final review", and any kind added later.
        other => {
            let w = words(other.as_str());
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// "on track 3, at risk 1", or "none".
fn counts(by_status: &BTreeMap<String, i64>) -> String {
    if by_status.is_empty() {
        return "none".to_owned();
    }
    by_status
        .iter()
        .map(|(s, n)| format!("{} {n}", words(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The paper's header lines: the cycle, and either the draft notice or the frozen
/// edition with its SHA-256.
fn header_lines(report: &ReportHead, paper: &Paper) -> Vec<String> {
    let name = &report.cycle.name;
    match (&report.cycle.state, &paper.edition_sha256) {
        (CycleState::Closed, Some(sha)) => {
            vec![format!("{name}: frozen edition"), format!("SHA-256 {sha}")]
        }
        (CycleState::Closed, None) => vec![format!("{name}: closed")],
        _ => vec![format!("{name}: {DRAFT_NOTICE}")],
    }
}

/// The meeting paper of `report`, with what `paper` adds (plan, edition, dates and
/// signals, milestones, indicators): the summary from the report's head, then `rows`
/// (in area order) written as they come, an activity at a time.
pub fn docx(
    report: &ReportHead,
    paper: &Paper,
    rows: impl IntoIterator<Item = ReportRow>,
) -> zip::result::ZipResult<Vec<u8>> {
    let c = &report.cycle;
    let title = format!("{}: consolidated report", c.name);
    let mut doc = Doc::new(
        &title,
        &report.generated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )?;

    // The cover.
    doc.text(Some("Title"), &title)?;
    let mut cover = vec![
        labelled(
            "Plan",
            &format!("{} ({})", paper.plan_title, paper.plan_code),
        ),
        labelled("Cycle", &format!("{} ({})", c.name, kind(c.kind))),
        labelled(
            "Meeting",
            &format!("{}, {}", kind(c.kind), day(c.meeting_date)),
        ),
        labelled(
            "Period",
            &format!("{} to {}", day(c.period_start), day(c.period_end)),
        ),
        labelled(
            "Generated",
            &report
                .generated_at
                .format("%-d %B %Y %H:%M UTC")
                .to_string(),
        ),
    ];
    match (c.state, &paper.edition_sha256) {
        (CycleState::Closed, Some(sha)) => {
            cover.push(labelled("Edition", "frozen"));
            cover.push(labelled("SHA-256", sha));
        }
        _ => cover.push(labelled("Status", DRAFT_NOTICE)),
    }
    for p in cover {
        doc.push(&p)?;
    }
    doc.page_break()?;

    summary(&mut doc, report)?;
    activities(&mut doc, rows, paper)?;
    annex(&mut doc, paper)?;
    doc.finish(&header_lines(report, paper))
}

fn summary(doc: &mut Doc, report: &ReportHead) -> zip::result::ZipResult<()> {
    doc.heading(1, "Summary")?;
    doc.heading(2, "Accepted entries by status")?;
    doc.table(
        &[70, 30],
        &["Status", "Accepted entries"],
        report
            .totals
            .by_status
            .iter()
            .map(|(s, n)| vec![cell(&words(s)), cell(&n.to_string())]),
    )?;

    // Accepted entries by status per area and per body, counted with the totals.
    doc.heading(2, "By area")?;
    doc.table(
        &[34, 16, 14, 36],
        &[
            "Area",
            "Entries (one per activity and body)",
            "Accepted",
            "Accepted entries by status",
        ],
        report.area_titles.iter().map(|(code, title)| {
            let t = report.totals.by_area.get(code).cloned().unwrap_or_default();
            vec![
                cell(&format!("{code} {title}")),
                cell(&t.rows.to_string()),
                cell(&t.accepted.to_string()),
                cell(&counts(
                    &report.area_statuses.get(code).cloned().unwrap_or_default(),
                )),
            ]
        }),
    )?;
    doc.heading(2, "By body")?;
    doc.table(
        &[18, 20, 20, 42],
        &["Body", "Report", "Deadline", "Accepted entries by status"],
        report.totals.by_body.iter().map(|b| {
            let deadline = match (b.late, b.missing) {
                (_, true) => "missing",
                (true, false) => "late",
                _ => "",
            };
            vec![
                cell(&b.body),
                cell(&words(b.status.as_str())),
                cell(deadline),
                cell(&counts(
                    &report
                        .body_statuses
                        .get(&b.body)
                        .cloned()
                        .unwrap_or_default(),
                )),
            ]
        }),
    )?;
    for (label, bodies) in [
        ("Late", &report.late_bodies),
        ("Missing", &report.missing_bodies),
    ] {
        let list = if bodies.is_empty() {
            "none".to_owned()
        } else {
            bodies.join(", ")
        };
        doc.push(&labelled(label, &list))?;
    }
    Ok(())
}

/// One body's part of an activity: its report's status and, when accepted, its entry.
fn entry_cells(doc: &mut Doc, b: &ReportBody) -> Vec<String> {
    let who = para(
        None,
        &format!(
            "{}{}",
            run(&b.body, true),
            run(&format!(" ({})", b.role), false)
        ),
    );
    let Some(e) = &b.entry else {
        return vec![
            who,
            cell(&format!("report {}", words(b.submission_status.as_str()))),
            cell("No accepted entry."),
        ];
    };
    let mut status = words(e.status.as_str());
    if let Some(p) = e.percent_complete {
        status.push_str(&format!(", {p}%"));
    }
    if e.amended {
        status.push_str(" (amended)");
    }
    let mut text = cell(&e.narrative);
    if let Some(ch) = e.challenges.as_deref().filter(|t| !t.is_empty()) {
        text.push_str(&labelled("Challenges", ch));
    }
    if let Some(next) = e.next_steps.as_deref().filter(|t| !t.is_empty()) {
        text.push_str(&labelled("Next steps", next));
    }
    if !e.evidence_urls.is_empty() {
        let mut links = run("Evidence: ", true);
        for (i, url) in e.evidence_urls.iter().enumerate() {
            if i > 0 {
                links.push_str(&run(", ", false));
            }
            links.push_str(&doc.link(url));
        }
        text.push_str(&para(None, &links));
    }
    vec![who, cell(&status), text]
}

fn activities(
    doc: &mut Doc,
    rows: impl IntoIterator<Item = ReportRow>,
    paper: &Paper,
) -> zip::result::ZipResult<()> {
    doc.heading(1, "Activities by area")?;
    let mut nest = Nest::default();
    let mut nested = Vec::new();
    let mut rows = rows.into_iter();
    loop {
        let row = rows.next();
        let done = row.is_none();
        match row {
            Some(r) => nest.push(r, &mut nested),
            None => nest.finish(&mut nested),
        }
        for n in nested.drain(..) {
            match n {
                Nested::Area(code, title) => {
                    doc.heading(2, &format!("Area {code}: {title}"))?;
                }
                Nested::Activity(a) => activity(doc, &a, paper)?,
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// One activity: its heading, reference, bodies, plan and each body's entry.
fn activity(doc: &mut Doc, a: &ReportActivity, paper: &Paper) -> zip::result::ZipResult<()> {
    doc.heading(3, &format!("{} {}", a.code, a.title))?;
    if let Some(r) = a.actip_reference.as_deref().filter(|r| !r.is_empty()) {
        doc.push(&labelled("ACTIP / APA", r))?;
    }
    let lead: Vec<&str> = a
        .bodies
        .iter()
        .filter(|b| b.role == "lead")
        .map(|b| b.body.as_str())
        .collect();
    let cooperating: Vec<&str> = a
        .bodies
        .iter()
        .filter(|b| b.role != "lead")
        .map(|b| b.body.as_str())
        .collect();
    let mut bodies = format!("{} (lead)", lead.join(", "));
    if !cooperating.is_empty() {
        bodies.push_str(&format!("; cooperating: {}", cooperating.join(", ")));
    }
    doc.push(&labelled("Bodies", &bodies))?;
    if let Some(facts) = paper.activities.get(&a.id) {
        let planned = match (facts.planned_start, facts.planned_end) {
            (Some(s), Some(e)) => format!("{} to {}", day(s), day(e)),
            (Some(s), None) => format!("from {}", day(s)),
            (None, Some(e)) => format!("until {}", day(e)),
            (None, None) => "not set".to_owned(),
        };
        doc.push(&para(
            None,
            &format!(
                "{}{}{}{}",
                run("Planned: ", true),
                run(&planned, false),
                run("   Signal: ", true),
                run(&words(facts.signal.as_str()), false)
            ),
        ))?;
    }
    let rows: Vec<Vec<String>> = a.bodies.iter().map(|b| entry_cells(doc, b)).collect();
    doc.table(&[18, 18, 64], &["Body", "Status", "Progress"], rows)?;
    Ok(())
}

fn annex(doc: &mut Doc, paper: &Paper) -> zip::result::ZipResult<()> {
    doc.heading(1, "Annex")?;
    doc.heading(2, "Overdue milestones")?;
    if paper.overdue_milestones.is_empty() {
        doc.text(None, "No milestone is overdue.")?;
    } else {
        doc.table(
            &[20, 55, 25],
            &["Activity", "Milestone", "Due"],
            paper
                .overdue_milestones
                .iter()
                .map(|m| vec![cell(&m.activity_code), cell(&m.title), cell(&day(m.due_on))]),
        )?;
    }
    doc.heading(2, "Indicators")?;
    if paper.indicators.is_empty() {
        doc.text(None, "The plan has no indicators.")?;
    } else {
        doc.table(
            &[14, 34, 16, 16, 20],
            &[
                "Activity",
                "Indicator",
                "Baseline",
                "Target",
                "Latest actual",
            ],
            paper.indicators.iter().map(|i| {
                let name = match &i.unit {
                    Some(u) if !u.is_empty() => format!("{} ({u})", i.name),
                    _ => i.name.clone(),
                };
                let latest = i
                    .latest
                    .as_ref()
                    .map(|l| format!("{} ({}, to {})", l.value, l.body, day(l.period_end)))
                    .unwrap_or_default();
                vec![
                    cell(&i.activity_code),
                    cell(&name),
                    cell(i.baseline.as_deref().unwrap_or("")),
                    cell(i.target.as_deref().unwrap_or("")),
                    cell(&latest),
                ]
            }),
        )?;
    }
    Ok(())
}

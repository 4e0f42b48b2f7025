//! One activity's page: everything about it that the reader may see.

use axum::extract::{Path, State};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_domain::page::PageRequest;
use wpt_domain::policy;

use crate::html::{self, PageError, Section, day_opt, page, status_badge, when, when_opt};
use crate::session::Viewer;

use super::may_update;

/// `GET /ui/activities/{id}`: everything about one activity.
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Markup, PageError> {
    let lens = policy::lens(&viewer.actor);
    let a = wpt_db::activities::get(&state.db, id, lens).await?;
    let all = PageRequest::parse(Some(200), None)
        .map_err(|e| PageError::from(wpt_db::DbError::Validation(e)))?;
    let mut milestones = wpt_db::milestones::list(&state.db, id, &all).await?;
    milestones.items = milestones
        .items
        .into_iter()
        .map(|m| policy::milestone_for(lens, m))
        .collect();
    let indicators = wpt_db::indicators::list(&state.db, id, &all).await?;
    // Across cycles, from accepted reports (every reader): the activity's line and
    // each indicator's accepted actuals against its target.
    let trend = wpt_db::trends::activity_trend(&state.db, id).await?;
    let ids: Vec<Uuid> = indicators.items.iter().map(|i| i.id).collect();
    let series = wpt_db::trends::activity_indicator_series(&state.db, id, &ids).await?;
    // Actuals, the progress timeline and the history are what no accepted report
    // carries: read by those the policy lets, as the API's routes are.
    let recorded = policy::reads_unaccepted(&viewer.actor).is_ok();
    let (actuals, timeline, history) = if recorded {
        (
            wpt_db::indicators::actuals_of_activity(&state.db, id, 500).await?,
            Some(wpt_db::progress::timeline(&state.db, id, &all).await?),
            Some(wpt_db::activities::history(&state.db, id, &all).await?),
        )
    } else {
        (Vec::new(), None, None)
    };
    let people: Vec<Uuid> = timeline
        .iter()
        .flat_map(|t| t.items.iter())
        .map(|u| u.author_id)
        .chain(
            history
                .iter()
                .flat_map(|h| h.items.iter().filter_map(|e| e.actor_id)),
        )
        .collect();
    let authors = wpt_db::users::names(&state.db, people).await?;
    let name = |id: &Uuid| authors.get(id).cloned().unwrap_or_else(|| "—".into());
    let officer = may_update(&viewer, &a);
    let body = html! {
        dl.facts {
            dt { "Code" } dd { (a.code) }
            dt { "ACTIP / APA reference" } dd { (a.actip_reference.as_deref().unwrap_or("—")) }
            dt { "Area" } dd { (a.area) }
            dt { "Lead body" } dd { (a.lead_body) }
            dt { "Cooperating bodies" } dd { @if a.cooperating_bodies.is_empty() { "—" } @else { (a.cooperating_bodies.join(", ")) } }
            dt { "Planned" } dd { (day_opt(a.planned_start)) " to " (day_opt(a.planned_end)) }
            dt { "Schedule (from dates)" } dd #schedule { (super::schedule_warning(&a))
                @if let Some(o) = &a.signal_override { " · the secretariat's assessment: " (html::signal_word(o.signal).to_lowercase()) ", " (o.reason) } }
            @if let Some(d) = &a.description { dt { "Description" } dd { (d) } }
            @if let Some(o) = &a.expected_outputs { dt { "Expected outputs" } dd { (o) } }
            @if a.archived { dt { "Archived" } dd { "Yes: kept for the record, out of the lists" } }
        }
        @if may_update(&viewer, &a) {
            p { a.button href={"/ui/activities/" (a.id) "/update?from=activity"} { "Update my body's progress" } }
        }
        @if recorded {
            table {
                caption { "Each body's latest report" }
                thead { tr { th scope="col" { "Body" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" class="num" { "%" } th scope="col" { "Reported" } } }
                tbody {
                    @for b in &a.bodies {
                        tr { td { (b.body) } td { (b.role.as_str()) } td { (status_badge(b.latest_status)) }
                             td.num { @if let Some(p) = b.latest_percent { (p) } @else { "—" } } td { (when_opt(b.latest_reported_at)) } }
                    }
                }
            }
        } @else {
            table #accepted-statuses {
                caption { "Each body's status in its latest accepted report" }
                thead { tr { th scope="col" { "Body" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" class="num" { "%" } th scope="col" { "Accepted in" } } }
                tbody {
                    @for b in &a.bodies {
                        tr { td { (b.body) } td { (b.role.as_str()) }
                             @match &b.accepted {
                                 Some(x) => {
                                     td { (status_badge(Some(x.status))) }
                                     td.num { @if let Some(p) = x.percent_complete { (p) } @else { "—" } }
                                     td { (x.cycle_name) }
                                 }
                                 None => { td { "No accepted report yet" } td.num { "—" } td { "—" } }
                             } }
                    }
                }
            }
        }
        h2 #milestones { "Milestones" }
        @if milestones.items.is_empty() { p { "No milestones." } } @else {
            table {
                caption { "Milestones (" (a.overdue_milestones) " overdue)" }
                thead { tr { th scope="col" { "Milestone" } th scope="col" { "Due" } th scope="col" { "Completed" } th scope="col" { "State" }
                    @if officer { th scope="col" { span.visually-hidden { "Actions" } } } } }
                tbody {
                    @for m in &milestones.items {
                        tr { td { (m.title) } td { (html::day(m.due_on)) } td { (day_opt(m.completed_on)) }
                             td { @if m.completed_on.is_some() { "Done" } @else if m.overdue { span.late { "Overdue" } } @else { "Open" } }
                             @if officer { td { @if m.completed_on.is_none() { (super::milestones::done_form(m, "activity")) } } } }
                    }
                }
            }
        }
        (crate::trends::activity_section(&trend))
        h2 { "Indicators" }
        @if indicators.items.is_empty() { p { "No indicators." } } @else {
            @for i in &indicators.items {
                table {
                    caption { (i.name) @if let Some(u) = &i.unit { " (" (u) ")" } }
                    thead { tr { th scope="col" { "Baseline" } th scope="col" { "Target" } th scope="col" { "Body" } th scope="col" { "Period" } th scope="col" { "Actual" } } }
                    tbody {
                        @let mine: Vec<_> = actuals.iter().filter(|x| x.indicator_id == i.id).collect();
                        @if mine.is_empty() {
                            tr { td { (i.baseline.as_deref().unwrap_or("—")) } td { (i.target.as_deref().unwrap_or("—")) } td colspan="3" { "No actuals yet" } }
                        }
                        @for x in mine {
                            tr { td { (i.baseline.as_deref().unwrap_or("—")) } td { (i.target.as_deref().unwrap_or("—")) }
                                 td { (x.body) } td { (html::day(x.period_start)) " to " (html::day(x.period_end)) } td { (x.value) } }
                        }
                    }
                }
                @if let Some(s) = series.iter().find(|s| s.indicator_id == i.id) {
                    (crate::trends::indicator_section(s))
                }
            }
        }
        @if let Some(timeline) = &timeline {
        h2 { "Progress timeline" }
        @if timeline.items.is_empty() { p { "No progress reported yet." } } @else {
            ol.timeline {
                @for u in &timeline.items {
                    li {
                        p { strong { (u.body) } " · " (status_badge(Some(u.status)))
                            @if let Some(p) = u.percent_complete { " · " (p) "%" }
                            " · " (when(u.created_at)) " · " (name(&u.author_id)) }
                        (html::paragraphs(&u.narrative))
                        @if let Some(c) = &u.challenges { p { strong { "Challenges: " } (c) } }
                        @if let Some(n) = &u.next_steps { p { strong { "Next steps: " } (n) } }
                        @if !u.evidence_urls.is_empty() {
                            ul { @for link in &u.evidence_urls { li { a href=(link) rel="noopener noreferrer" { (link) } } } }
                        }
                        (crate::attachments::list(&u.attachments))
                    }
                }
            }
        }
        }
        @if let Some(h) = &history {
            h2 { "Audit history" }
            table {
                caption { "Who changed what (newest first)" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Record" } } }
                tbody {
                    @for e in &h.items {
                        tr { td { (when(e.occurred_at)) } td { (e.actor_id.map(|i| name(&i)).unwrap_or_else(|| "system".into())) }
                             td { (e.action) } td { (e.resource_type) } }
                    }
                }
            }
        }
    };
    Ok(page(
        &viewer,
        Section::Activities,
        &format!("{} {}", a.code, a.title),
        body,
    ))
}

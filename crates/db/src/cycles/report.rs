//! The rows of the consolidated report: every activity x body of the plan, with the
//! accepted entry where there is one.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wpt_domain::models::SubmissionEntry;
use wpt_domain::{AmendmentStatus, AssignmentRole, SubmissionStatus};

use crate::entities::{activity, activity_assignment, amendment, submission, submission_entry};
use crate::{DbResult, stored};

use super::find;

/// One activity x body row of a cycle's report.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Activity id.
    pub activity_id: Uuid,
    /// Activity code.
    pub activity_code: String,
    /// Activity title.
    pub activity_title: String,
    /// Area code.
    pub area: String,
    /// Area title.
    pub area_title: String,
    /// ACTIP/APA reference.
    pub actip_reference: Option<String>,
    /// Body code.
    pub body: String,
    /// `lead` or `cooperating`.
    pub role: String,
    /// The body's submission status.
    pub submission_status: SubmissionStatus,
    /// The body's entry, if its submission is accepted.
    pub entry: Option<SubmissionEntry>,
}

/// The rows of a cycle's report: every activity x assigned body of the plan, with the
/// entry of accepted submissions; a fixed number of queries.
pub async fn report_rows(db: &impl ConnectionTrait, cycle_id: Uuid) -> DbResult<Vec<ReportRow>> {
    let cycle = find(db, cycle_id).await?;
    let codes = crate::bodies::codes(db).await?;
    let activities: Vec<activity::Model> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(cycle.work_plan_id))
        .filter(activity::Column::ArchivedAt.is_null())
        .order_by_asc(activity::Column::Code)
        .all(db)
        .await?;
    let areas: HashMap<Uuid, (String, String)> = crate::entities::thematic_area::Entity::find()
        .filter(crate::entities::thematic_area::Column::WorkPlanId.eq(cycle.work_plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.code, a.title)))
        .collect();
    let ids: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
    let mut assignments: HashMap<Uuid, Vec<(Uuid, AssignmentRole)>> = HashMap::new();
    for chunk in ids.chunks(5000) {
        for a in activity_assignment::Entity::find()
            .filter(activity_assignment::Column::ActivityId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            assignments
                .entry(a.activity_id)
                .or_default()
                .push((a.body_id, stored(&a.role)?));
        }
    }
    let subs: HashMap<Uuid, submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(cycle_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.body_id, s))
        .collect();
    let accepted_ids: Vec<Uuid> = subs
        .values()
        .filter(|s| s.status == SubmissionStatus::Accepted.as_str())
        .map(|s| s.id)
        .collect();
    let amended: std::collections::HashSet<(Uuid, Uuid)> = amendment::Entity::find()
        .filter(amendment::Column::SubmissionId.is_in(accepted_ids.clone()))
        .filter(amendment::Column::Status.eq(AmendmentStatus::Accepted.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.submission_id, a.activity_id))
        .collect();
    let mut entries: HashMap<(Uuid, Uuid), submission_entry::Model> = HashMap::new();
    for e in submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.is_in(accepted_ids))
        .all(db)
        .await?
    {
        entries.insert((e.submission_id, e.activity_id), e);
    }
    let entry_ids: Vec<Uuid> = entries.values().map(|e| e.id).collect();
    let mut files = crate::attachments::of_entries(db, &entry_ids).await?;
    let mut rows = Vec::new();
    for a in &activities {
        let (area, area_title) = areas.get(&a.area_id).cloned().unwrap_or_default();
        let mut assigned = assignments.remove(&a.id).unwrap_or_default();
        assigned.sort_by_key(|(b, role)| (*role != AssignmentRole::Lead, codes.get(b).cloned()));
        for (body_id, role) in assigned {
            let sub = subs.get(&body_id);
            let status = match sub {
                Some(s) => stored(&s.status)?,
                None => SubmissionStatus::NotStarted,
            };
            let entry = match sub.and_then(|s| entries.get(&(s.id, a.id)).map(|e| (s, e))) {
                Some((s, e)) => Some(SubmissionEntry {
                    attachments: files.remove(&e.id).unwrap_or_default(),
                    status: stored(&e.status)?,
                    evidence_urls: crate::json::read(&e.evidence_urls, "evidence_urls")?,
                    activity_id: a.id,
                    activity_code: a.code.clone(),
                    activity_title: a.title.clone(),
                    percent_complete: e.percent_complete,
                    narrative: e.narrative.clone(),
                    challenges: e.challenges.clone(),
                    next_steps: e.next_steps.clone(),
                    updated_by: e.updated_by,
                    updated_at: e.updated_at,
                    amended: amended.contains(&(s.id, a.id)),
                }),
                None => None,
            };
            rows.push(ReportRow {
                activity_id: a.id,
                activity_code: a.code.clone(),
                activity_title: a.title.clone(),
                area: area.clone(),
                area_title: area_title.clone(),
                actip_reference: a.actip_reference.clone(),
                body: codes.get(&body_id).cloned().unwrap_or_default(),
                role: role.as_str().to_owned(),
                submission_status: status,
                entry,
            });
        }
    }
    Ok(rows)
}

//! The rows of the consolidated report: every activity x body of the plan, with the
//! accepted entry where there is one.
//!
//! Read in pages ([`ReportPages`]: a thousand activities at a time, five queries per
//! page) so a report of any size is written as it is read and never held whole; its
//! totals come first from one aggregate query ([`report_counts`]). [`report_rows`]
//! reads every page into one list, for the edition and the on-screen report.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;
use wpt_domain::models::SubmissionEntry;
use wpt_domain::{AmendmentStatus, AssignmentRole, SubmissionStatus};

use crate::entities::{activity, activity_assignment, amendment, submission, submission_entry};
use crate::{DbResult, sql, stored};

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

/// The order the rows of a report come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOrder {
    /// By activity code (the CSV, the XLSX matrix, the edition).
    Code,
    /// By area code, then activity code within the area (the JSON document and the
    /// meeting paper, which nest activities in their areas). Areas compare as Rust
    /// strings, as the report always sorted them.
    Area,
}

/// Activities per page when the caller does not say.
pub const REPORT_PAGE: usize = 1000;

/// What a page needs to know of a body's submission.
#[derive(Debug, Clone, Copy)]
struct Sub {
    id: Uuid,
    status: SubmissionStatus,
}

/// A cycle's report rows, read a page of activities at a time: what stays for the
/// whole read is the plan's ids in order, the area and body names and each body's
/// submission (small, whatever the plan's size); each page's activities, assignments,
/// entries, amendments and files are read when it is asked for and dropped with it.
#[derive(Debug)]
pub struct ReportPages {
    codes: HashMap<Uuid, String>,
    areas: HashMap<Uuid, (String, String)>,
    subs: HashMap<Uuid, Sub>,
    accepted: Vec<Uuid>,
    /// Each activity and the area it is reported in: the area read with the order, so
    /// that an activity moved to another area while the report is read still comes in
    /// the area the order put it in (each area comes once, as one run of rows).
    order: Vec<(Uuid, Uuid)>,
    next: usize,
    page: usize,
}

impl ReportPages {
    /// Starts reading cycle `cycle_id`'s report in `order`, `page` activities at a time
    /// (at least one); a cycle that does not exist is `NotFound` here, before any row.
    pub async fn open(
        db: &impl ConnectionTrait,
        cycle_id: Uuid,
        order: ReportOrder,
        page: usize,
    ) -> DbResult<Self> {
        let cycle = find(db, cycle_id).await?;
        let codes = crate::bodies::codes(db).await?;
        let areas: HashMap<Uuid, (String, String)> = crate::entities::thematic_area::Entity::find()
            .filter(crate::entities::thematic_area::Column::WorkPlanId.eq(cycle.work_plan_id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, (a.code, a.title)))
            .collect();
        let ids: Vec<(Uuid, Uuid)> = activity::Entity::find()
            .filter(activity::Column::WorkPlanId.eq(cycle.work_plan_id))
            .filter(activity::Column::ArchivedAt.is_null())
            .order_by_asc(activity::Column::Code)
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::AreaId)
            .into_tuple()
            .all(db)
            .await?;
        let mut subs = HashMap::new();
        let mut accepted = Vec::new();
        for s in submission::Entity::find()
            .filter(submission::Column::CycleId.eq(cycle_id))
            .all(db)
            .await?
        {
            let status: SubmissionStatus = stored(&s.status)?;
            if status == SubmissionStatus::Accepted {
                accepted.push(s.id);
            }
            subs.insert(s.body_id, Sub { id: s.id, status });
        }
        let order = match order {
            ReportOrder::Code => ids,
            ReportOrder::Area => {
                let mut ids = ids;
                // Stable: activity codes stay in the database's order within an area.
                // By the area code the rows will carry (an area not the plan's is ""),
                // as the whole report merged and sorted its areas.
                ids.sort_by(|(_, a), (_, b)| {
                    let code = |area: &Uuid| areas.get(area).map(|(c, _)| c.as_str());
                    code(a).unwrap_or("").cmp(code(b).unwrap_or(""))
                });
                ids
            }
        };
        Ok(Self {
            codes,
            areas,
            subs,
            accepted,
            order,
            next: 0,
            page: page.max(1),
        })
    }

    /// The next page's rows (activities without an assigned body give none), or `None`
    /// when every activity was read.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> DbResult<Option<Vec<ReportRow>>> {
        if self.next >= self.order.len() {
            return Ok(None);
        }
        let end = (self.next + self.page).min(self.order.len());
        let chunk = self.order[self.next..end].to_vec();
        self.next = end;
        self.rows_of(db, chunk).await.map(Some)
    }

    async fn rows_of(
        &self,
        db: &impl ConnectionTrait,
        chunk_areas: Vec<(Uuid, Uuid)>,
    ) -> DbResult<Vec<ReportRow>> {
        let chunk: Vec<Uuid> = chunk_areas.iter().map(|(id, _)| *id).collect();
        let mut activities: HashMap<Uuid, activity::Model> = activity::Entity::find()
            .filter(activity::Column::Id.is_in(chunk.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut assignments: HashMap<Uuid, Vec<(Uuid, AssignmentRole)>> = HashMap::new();
        for a in activity_assignment::Entity::find()
            .filter(activity_assignment::Column::ActivityId.is_in(chunk.clone()))
            .all(db)
            .await?
        {
            assignments
                .entry(a.activity_id)
                .or_default()
                .push((a.body_id, stored(&a.role)?));
        }
        let mut entries: HashMap<(Uuid, Uuid), submission_entry::Model> = HashMap::new();
        let mut amended: HashSet<(Uuid, Uuid)> = HashSet::new();
        if !self.accepted.is_empty() {
            for e in submission_entry::Entity::find()
                .filter(submission_entry::Column::SubmissionId.is_in(self.accepted.clone()))
                .filter(submission_entry::Column::ActivityId.is_in(chunk.clone()))
                .all(db)
                .await?
            {
                entries.insert((e.submission_id, e.activity_id), e);
            }
            amended = amendment::Entity::find()
                .filter(amendment::Column::SubmissionId.is_in(self.accepted.clone()))
                .filter(amendment::Column::ActivityId.is_in(chunk.clone()))
                .filter(amendment::Column::Status.eq(AmendmentStatus::Accepted.as_str()))
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.submission_id, a.activity_id))
                .collect();
        }
        let entry_ids: Vec<Uuid> = entries.values().map(|e| e.id).collect();
        let mut files = crate::attachments::of_entries(db, &entry_ids).await?;
        let mut rows = Vec::new();
        for (id, area_id) in chunk_areas {
            let Some(a) = activities.remove(&id) else {
                continue;
            };
            let (area, area_title) = self.areas.get(&area_id).cloned().unwrap_or_default();
            let mut assigned = assignments.remove(&a.id).unwrap_or_default();
            assigned.sort_by_key(|(b, role)| {
                (*role != AssignmentRole::Lead, self.codes.get(b).cloned())
            });
            for (body_id, role) in assigned {
                let sub = self.subs.get(&body_id);
                let status = sub.map_or(SubmissionStatus::NotStarted, |s| s.status);
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
                        changes_since_return: None,
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
                    body: self.codes.get(&body_id).cloned().unwrap_or_default(),
                    role: role.as_str().to_owned(),
                    submission_status: status,
                    entry,
                });
            }
        }
        Ok(rows)
    }
}

/// The rows of a cycle's report, all of them: every activity x assigned body of the
/// plan by activity code, with the entry of accepted submissions (read in pages).
pub async fn report_rows(db: &impl ConnectionTrait, cycle_id: Uuid) -> DbResult<Vec<ReportRow>> {
    let mut pages = ReportPages::open(db, cycle_id, ReportOrder::Code, REPORT_PAGE).await?;
    let mut rows = Vec::new();
    while let Some(page) = pages.next(db).await? {
        rows.extend(page);
    }
    Ok(rows)
}

/// Rows of a cycle's report counted by area, body and accepted status: what the report's
/// totals are made of, without reading a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCount {
    /// Area code (empty for an activity whose area is not the plan's).
    pub area: String,
    /// Area title (likewise).
    pub area_title: String,
    /// Body code.
    pub body: String,
    /// The accepted entry's status; `None` for rows without an accepted entry.
    pub status: Option<String>,
    /// How many rows.
    pub rows: i64,
}

/// The report's rows counted by area, body and accepted status, in one query (the same
/// rows as [`ReportPages`] reads: each assignment of an active activity of the plan, and
/// its entry when the body's submission is accepted).
pub async fn report_counts(
    db: &impl ConnectionTrait,
    cycle_id: Uuid,
) -> DbResult<Vec<ReportCount>> {
    let cycle = find(db, cycle_id).await?;
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_sql_and_values(
        backend,
        sql::portable(backend, sql::REPORT_COUNTS),
        [
            cycle.work_plan_id.into(),
            cycle_id.into(),
            SubmissionStatus::Accepted.as_str().into(),
        ],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(ReportCount {
            area: r.try_get("", "area")?,
            area_title: r.try_get("", "area_title")?,
            body: r.try_get("", "body")?,
            status: r.try_get("", "status")?,
            rows: r.try_get("", "n")?,
        })
    })
    .collect()
}

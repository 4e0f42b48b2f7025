//! Reporting cycles: the schedule, opening (one submission per participating body,
//! prefilled), the submission workflow, amendments, closing and the edition.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;
use wpt_domain::CycleKind;
use wpt_domain::models::Cycle;

use crate::entities::reporting_cycle;
use crate::{Database, DbError, DbResult, stored};

mod accepted_progress;
mod amendment_files;
mod amendment_list;
mod amendments;
mod board;
mod comments;
mod extensions;
mod lifecycle;
mod notices;
mod paper;
mod prefill;
mod reminders;
mod report;
mod returned;
mod schedule;
mod submission_audit;
mod submissions;

pub use accepted_progress::{LastAccepted, last_accepted};
pub use amendment_list::pending_by_body;
pub use amendments::{
    AmendmentValues, amendment_of, amendments, decide_amendment, propose_amendment,
};
pub use board::{board, boards};
pub use comments::{
    CommentInput, THREAD_LIMIT, add_comment, comments, conversation, resolve_comment,
    unresolved_by_body, unresolved_counts,
};
pub use extensions::{Extension, extend_deadline};
pub use lifecycle::{close, get_edition, open, reopen};
pub use paper::{LatestActual, OverdueMilestone, Paper, PaperActivity, PaperIndicator, paper};
pub use prefill::OPEN_SLICE;
pub use reminders::{nudge, send_due_reminders};
pub use report::{
    REPORT_PAGE, ReportCount, ReportOrder, ReportPages, ReportRow, report_counts, report_rows,
};
pub use schedule::{CyclePatch, create, delete, list, update};
pub use submissions::{EntryInput, act, get_submission, get_submission_with_actions, save};

/// Default lead times, in days before the meeting.
#[derive(Debug, Clone, Copy)]
pub struct CycleSettings {
    /// Bodies' submissions are due this many days before the meeting.
    pub submission_lead_days: i64,
    /// The secretariat's review is due this many days before the meeting.
    pub review_lead_days: i64,
}

impl Default for CycleSettings {
    fn default() -> Self {
        Self {
            submission_lead_days: 30,
            review_lead_days: 14,
        }
    }
}

/// Input of `POST /cycles` and the merged state of `PATCH /cycles/{id}`.
#[derive(Debug, Clone)]
pub struct CycleInput {
    /// The plan.
    pub work_plan_id: Uuid,
    /// Kind.
    pub kind: CycleKind,
    /// Name.
    pub name: String,
    /// Meeting date.
    pub meeting_date: NaiveDate,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// When entry opens.
    pub opens_on: NaiveDate,
    /// Submission due day; default: meeting minus the submission lead days.
    pub due_on: Option<NaiveDate>,
    /// Review due day; default: meeting minus the review lead days.
    pub review_due_on: Option<NaiveDate>,
}

fn to_model(r: reporting_cycle::Model) -> DbResult<Cycle> {
    Ok(Cycle {
        kind: stored(&r.kind)?,
        state: stored(&r.state)?,
        id: r.id,
        work_plan_id: r.work_plan_id,
        name: r.name,
        meeting_date: r.meeting_date,
        period_start: r.period_start,
        period_end: r.period_end,
        opens_on: r.opens_on,
        due_on: r.due_on,
        review_due_on: r.review_due_on,
        opened_at: r.opened_at,
        closed_at: r.closed_at,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// One cycle.
pub async fn get(db: &Database, id: Uuid) -> DbResult<Cycle> {
    to_model(find(db.conn(), id).await?)
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> DbResult<reporting_cycle::Model> {
    reporting_cycle::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DbError::NotFound("reporting cycle"))
}

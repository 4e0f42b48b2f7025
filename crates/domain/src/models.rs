//! Read models: what the use cases return and the API serializes.
//!
//! They carry no database or HTTP types. Field names are the API's (`snake_case`),
//! and every field is documented because these docs become the OpenAPI schemas.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{ParticipationRole, Pillar, WorkPlanStatus};

mod attachment;
pub use attachment::Attachment;
mod audit;
pub use audit::{AuditEntry, AuditHead, BrokenLink, Verification};
pub mod maintenance;
pub mod notifications;
pub use maintenance::{Maintenance, MaintenanceInput, MaintenanceState};
pub use notifications::{Notification, NotificationPage, NotificationSettings, OutboxMessage};
pub mod conversation;
mod reporting;
pub use conversation::Comment;
pub mod trends;
pub use reporting::{
    Amendment, Cycle, Edition, FieldChange, Submission, SubmissionEntry, SubmissionEvent,
    SubmissionSummary,
};
pub use trends::{
    ActivityTrend, ActivityTrendCycle, ActivityTrendPoint, BodyCycleRecord, BodyTimeliness,
    GroupCounts, IndicatorSeries, PlanTrendCycle, PlanTrends, SeriesPoint, StatusCounts,
    TrendCycle,
};

/// An ASEAN Sectoral Body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Body {
    /// Stable identifier.
    pub id: Uuid,
    /// Stable short code, e.g. `SOMTC`; what the API addresses bodies by.
    #[schema(example = "DGICM")]
    pub code: String,
    /// Full name.
    #[schema(
        example = "Directors-General of Immigration Departments and Heads of Consular Affairs Divisions of Ministries of Foreign Affairs"
    )]
    pub name: String,
    /// The ASEAN Community pillar.
    pub pillar: Pillar,
    /// Whether the body's participation is confirmed by a public source.
    #[schema(example = true)]
    pub confirmed: bool,
    /// Editorial notes, such as where a fact comes from or what is unconfirmed.
    #[schema(example = "Participation confirmed by the work plan as adopted.")]
    pub notes: Option<String>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// An ASEAN work plan against trafficking in persons.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkPlan {
    /// Stable identifier.
    pub id: Uuid,
    /// Unique short code, e.g. `MSWP-TIP-2023-2028`.
    #[schema(example = "MSWP-TIP-2023-2028")]
    pub code: String,
    /// Full title.
    #[schema(example = "ASEAN Multi-Sectoral Work Plan Against Trafficking in Persons 2023-2028")]
    pub title: String,
    /// First day the plan covers.
    #[schema(example = "2023-01-01")]
    pub period_start: NaiveDate,
    /// Last day the plan covers.
    #[schema(example = "2028-12-31")]
    pub period_end: NaiveDate,
    /// When the plan was adopted, if known.
    #[schema(example = "2023-08-21")]
    pub adopted_on: Option<NaiveDate>,
    /// The meeting that adopted it, e.g. "17th AMMTC, Labuan Bajo".
    #[schema(example = "17th AMMTC, Labuan Bajo")]
    pub adopted_at: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: WorkPlanStatus,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// A sectoral body's participation in one work plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkPlanBody {
    /// The participating body.
    pub body: Body,
    /// `lead` for the body that leads the plan, else `member`.
    pub role: ParticipationRole,
    /// Whether this body's participation in this plan is confirmed.
    #[schema(example = true)]
    pub confirmed: bool,
}

/// An ASEAN member state (reference data).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberState {
    /// Stable identifier (derived from the ISO code).
    pub id: Uuid,
    /// ISO 3166-1 alpha-2 code, e.g. `KH`.
    #[schema(example = "KH")]
    pub iso_code: String,
    /// Name, e.g. "Cambodia".
    #[schema(example = "Cambodia")]
    pub name: String,
    /// When it became a member, if it is one.
    #[schema(example = "1999-04-30")]
    pub member_since: Option<NaiveDate>,
    /// When it became an observer, if it was one.
    #[schema(example = json!(null))]
    pub observer_since: Option<NaiveDate>,
}

/// A thematic area of a work plan (A. Prevention, B. Protection, ...).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Area {
    /// Stable identifier.
    pub id: Uuid,
    /// The work plan it belongs to.
    pub work_plan_id: Uuid,
    /// The area's letter within the plan, e.g. `A`.
    #[schema(example = "A")]
    pub code: String,
    /// Title, e.g. "Prevention of trafficking in persons".
    #[schema(example = "Prevention of trafficking in persons")]
    pub title: String,
    /// Display order within the plan.
    pub position: i32,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page<T> {
    /// The page's rows.
    pub items: Vec<T>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A user account, as administrators see it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// Stable identifier.
    pub id: Uuid,
    /// Login email, lower-cased.
    #[schema(example = "officer.dgicm@demo.wpt")]
    pub email: String,
    /// Display name.
    #[schema(example = "DGICM focal point")]
    pub name: String,
    /// `admin`, `secretariat`, `officer` or `viewer`.
    pub role: crate::Role,
    /// The officer's body code; `null` for every other role.
    #[schema(example = "DGICM")]
    pub body: Option<String>,
    /// Whether the account may log in.
    #[schema(example = true)]
    pub active: bool,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The caller, as `GET /me` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Me {
    /// The user's id.
    pub id: Uuid,
    /// Login email.
    #[schema(example = "officer.dgicm@demo.wpt")]
    pub email: String,
    /// Display name.
    #[schema(example = "DGICM focal point")]
    pub name: String,
    /// Role.
    pub role: crate::Role,
    /// The officer's body code; `null` for every other role.
    #[schema(example = "DGICM")]
    pub body: Option<String>,
    /// The account's time zone (an IANA name), in which the pages show times; `null`
    /// until the person's browser reports it at their first login in the pages or they
    /// set it (`PATCH /me`). The API's own times stay RFC 3339 in UTC.
    #[schema(example = "Asia/Jakarta")]
    pub time_zone: Option<String>,
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiToken {
    /// Stable identifier (what `DELETE /me/tokens/{id}` takes).
    pub id: Uuid,
    /// The owner's label for it.
    #[schema(example = "Partner M&E dashboard")]
    pub name: String,
    /// The first characters of the token, to recognise it: `wpt_AbCd1234`.
    #[schema(example = "wpt_q7Lm2VxR")]
    pub prefix: String,
    /// Whether it may write (never more than its owner may).
    pub write: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was last used (to the minute), if ever.
    #[schema(example = "2026-06-29T16:42:00Z")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One of the caller's login sessions (the API's or the pages'), without its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Stable identifier (what `DELETE /me/sessions/{id}` takes).
    pub id: Uuid,
    /// `web` for the pages' cookie, `api` for a login of `POST /auth/login`.
    #[schema(example = "web")]
    pub via: String,
    /// When it was opened (the login).
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute), if recorded.
    #[schema(example = "2026-06-29T16:42:00Z")]
    pub last_active_at: Option<DateTime<Utc>>,
    /// When it ends, however active it is.
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// A newly created API token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NewApiToken {
    /// The token's details.
    #[serde(flatten)]
    pub info: ApiToken,
    /// The secret to send as `Authorization: Bearer <token>`; store it now, it is
    /// never shown again.
    #[schema(example = "wpt_q7Lm2VxRk9Tz4bNc8HdWfJ3sYp6uEa1gXo5iMv0rQ2w")]
    pub token: String,
}

/// The tokens a login or a refresh hands out.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TokenPair {
    /// A short-lived JWT for `Authorization: Bearer`.
    #[schema(
        example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkyZjNhMC01YzFlLTdkMmItOWE0Zi0zYzJkMWUwZjlhOGIiLCJleHAiOjE3ODI4MTIyMDB9.Jm2vN8qW4sX0aB6cD9eF1gH3iK5lM7nO"
    )]
    pub access_token: String,
    /// An opaque token for `POST /auth/refresh`; single use.
    #[schema(example = "wptr_Vb3Nq8Ls1Kx6Dw0Fh4Jz9Pc2Tm7Yr5Ge3Ua8So1Il6E")]
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// One body's part of an activity and its latest report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityBody {
    /// The body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// `lead` or `cooperating`.
    pub role: crate::AssignmentRole,
    /// The status in its latest progress update; `null` before its first.
    pub latest_status: Option<crate::ProgressStatus>,
    /// The percentage in its latest update, if it gave one.
    #[schema(example = 60)]
    pub latest_percent: Option<i32>,
    /// When it last reported.
    #[schema(example = "2026-06-12T08:15:00Z")]
    pub latest_reported_at: Option<DateTime<Utc>>,
    /// Its status from its latest report the secretariat accepted; `null` before the
    /// first. Viewers see this and not the `latest_*` fields, which are `null` for them.
    pub accepted: Option<AcceptedStatus>,
}

/// A body's status on an activity from its latest accepted cycle report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AcceptedStatus {
    /// The status in the accepted entry.
    pub status: crate::ProgressStatus,
    /// Its percentage, if it gave one.
    #[schema(example = 50)]
    pub percent_complete: Option<i32>,
    /// The reporting cycle whose report was accepted.
    pub cycle_id: Uuid,
    /// That cycle's name.
    #[schema(example = "26th SOMTC")]
    pub cycle_name: String,
    /// When the secretariat accepted it.
    #[schema(example = "2026-02-27T10:00:00Z")]
    pub accepted_at: Option<DateTime<Utc>>,
}

/// The secretariat's override of an activity's signal, shown beside the derived one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SignalOverride {
    /// The signal the secretariat sets.
    pub signal: crate::Signal,
    /// Why.
    #[schema(example = "Funding for the remaining checkpoints is not yet confirmed.")]
    pub reason: String,
    /// Who set it.
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-5a1b2c3d4e5f")]
    pub set_by: Option<Uuid>,
    /// When.
    #[schema(example = "2026-06-15T11:00:00Z")]
    pub set_at: Option<DateTime<Utc>>,
}

/// An activity of a work plan: a row of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Activity {
    /// Stable identifier.
    pub id: Uuid,
    /// The work plan.
    pub work_plan_id: Uuid,
    /// The area's code, e.g. `A`.
    #[schema(example = "A")]
    pub area: String,
    /// Code, unique within the plan, e.g. `A.a.1`.
    #[schema(example = "A.a.1")]
    pub code: String,
    /// Title: the programme, project or activity.
    #[schema(example = "Information campaign on safe migration at border checkpoints")]
    pub title: String,
    /// Description.
    #[schema(
        example = "Posters, leaflets and short videos in national languages at the main land and sea border checkpoints, prepared with immigration and consular staff."
    )]
    pub description: Option<String>,
    /// The ACTIP provision or APA section it implements.
    #[schema(example = "ACTIP Art. 11; APA A.1")]
    pub actip_reference: Option<String>,
    /// Expected outputs.
    #[schema(example = "Campaign materials in use at 20 border checkpoints")]
    pub expected_outputs: Option<String>,
    /// Planned start.
    #[schema(example = "2024-01-01")]
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    #[schema(example = "2026-12-31")]
    pub planned_end: Option<NaiveDate>,
    /// The lead body's code.
    #[schema(example = "DGICM")]
    pub lead_body: String,
    /// The cooperating bodies' codes.
    #[schema(example = json!(["SOMTC"]))]
    pub cooperating_bodies: Vec<String>,
    /// Each assigned body's part and latest reported status (lead first).
    pub bodies: Vec<ActivityBody>,
    /// The signal derived from dates: past the planned end and not completed is
    /// `off_track`; an overdue milestone is `at_risk`.
    pub derived_signal: crate::Signal,
    /// The secretariat's override, if any; it never replaces `derived_signal`.
    pub signal_override: Option<SignalOverride>,
    /// Past the planned end and not completed.
    pub overdue: bool,
    /// Milestones past due and not completed.
    #[schema(example = 0)]
    pub overdue_milestones: i64,
    /// Whether it was archived (archived activities leave the default lists).
    pub archived: bool,
    /// When the latest progress update of any body arrived.
    #[schema(example = "2026-06-12T08:15:00Z")]
    pub last_progress_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; the `ETag`. Progress and milestone changes bump it.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A body's progress update on an activity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgressUpdate {
    /// Stable identifier.
    pub id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// The reporting body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// Reported status.
    pub status: crate::ProgressStatus,
    /// Reported completion, 0 to 100, if given.
    #[schema(example = 60)]
    pub percent_complete: Option<i32>,
    /// What was done.
    #[schema(
        example = "Campaign materials printed in five languages and placed at 12 of the 20 checkpoints; 85 immigration officers briefed."
    )]
    pub narrative: String,
    /// Difficulties met.
    #[schema(
        example = "Printing for the remaining checkpoints waits for the second funding tranche."
    )]
    pub challenges: Option<String>,
    /// What comes next.
    #[schema(
        example = "Place the materials at the remaining 8 checkpoints by the end of the quarter."
    )]
    pub next_steps: Option<String>,
    /// Links to evidence.
    #[schema(example = json!(["https://example.org/dgicm/campaign-progress-2026.pdf"]))]
    pub evidence_urls: Vec<String>,
    /// Evidence files attached to it.
    #[schema(example = json!([]))]
    pub attachments: Vec<Attachment>,
    /// Who wrote it.
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The reporting cycle whose accepted report this update carries (`null`: typed by
    /// an officer). Accepting a report makes each of its entries the body's latest
    /// progress on the activity unless the body has reported since it submitted.
    pub from_cycle_id: Option<Uuid>,
}

/// A dated checkpoint inside an activity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Milestone {
    /// Stable identifier.
    pub id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// What is to be reached, e.g. "regional workshop held".
    #[schema(example = "Regional workshop held")]
    pub title: String,
    /// When it is due.
    #[schema(example = "2026-03-31")]
    pub due_on: NaiveDate,
    /// When it was reached, if it was.
    #[schema(example = "2026-03-12")]
    pub completed_on: Option<NaiveDate>,
    /// A note from whoever completed it.
    #[schema(example = "Held in Jakarta with delegates from all member states.")]
    pub note: Option<String>,
    /// Who completed it.
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f70")]
    pub completed_by: Option<Uuid>,
    /// Past due and not completed.
    pub overdue: bool,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A MERL indicator of an activity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Indicator {
    /// Stable identifier.
    pub id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// Name.
    #[schema(example = "Immigration officers briefed on victim identification")]
    pub name: String,
    /// Unit, e.g. "officials trained".
    #[schema(example = "officers")]
    pub unit: Option<String>,
    /// `number`, `percent` or `qualitative`.
    pub measure: crate::IndicatorMeasure,
    /// Baseline value.
    #[schema(example = "0")]
    pub baseline: Option<String>,
    /// Target value.
    #[schema(example = "500")]
    pub target: Option<String>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// A body's measured value of an indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorActual {
    /// Stable identifier.
    pub id: Uuid,
    /// The indicator.
    pub indicator_id: Uuid,
    /// The reporting body's code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// First day of the period.
    #[schema(example = "2026-01-01")]
    pub period_start: NaiveDate,
    /// Last day of the period.
    #[schema(example = "2026-06-30")]
    pub period_end: NaiveDate,
    /// The value (a number for `number` and `percent` indicators).
    #[schema(example = "85")]
    pub value: String,
    /// A note.
    #[schema(example = "Briefings at 12 checkpoints in the first half of 2026.")]
    pub note: Option<String>,
    /// Who recorded it.
    pub author_id: Uuid,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When first recorded.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// Activities of one area by their derived signal (what `GET /activities/{id}` calls
/// `derived_signal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SignalCount {
    /// The area's code.
    #[schema(example = "A")]
    pub area: String,
    /// On track: not past the planned end and no overdue milestone, or completed.
    #[schema(example = 5)]
    pub on_track: i64,
    /// At risk: an overdue milestone.
    #[schema(example = 2)]
    pub at_risk: i64,
    /// Off track: past the planned end and not completed.
    #[schema(example = 1)]
    pub off_track: i64,
}

/// Activities of one area and body with one latest status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusCount {
    /// Area code.
    #[schema(example = "A")]
    pub area: String,
    /// Body code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// The body's latest reported status, or `not_reported`.
    #[schema(example = "on_track")]
    pub status: String,
    /// How many activities.
    #[schema(example = 3)]
    pub count: i64,
}

/// Milestone totals of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MilestoneTotals {
    /// All milestones of non-archived activities.
    pub total: i64,
    /// Completed ones.
    pub completed: i64,
    /// Due by today.
    pub due: i64,
    /// Due by today and completed.
    pub done_of_due: i64,
    /// Past due and not completed.
    pub overdue: i64,
}

/// When a body last reported on the plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BodyLastUpdate {
    /// Body code.
    #[schema(example = "DGICM")]
    pub body: String,
    /// Activities it leads or cooperates on.
    #[schema(example = 4)]
    pub assigned: i64,
    /// Its latest progress update on any of them; `null` if none.
    #[schema(example = "2026-06-12T08:15:00Z")]
    pub last_reported_at: Option<DateTime<Utc>>,
}

/// A work plan at a glance, computed in the database.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkPlanSummary {
    /// The plan.
    pub work_plan_id: Uuid,
    /// The day the date-derived figures are for.
    pub as_of: NaiveDate,
    /// Non-archived activities.
    pub activities: i64,
    /// Past their planned end and not completed.
    pub overdue_activities: i64,
    /// Counts by area, body and latest status (one per assignment).
    pub by_status: Vec<StatusCount>,
    /// Activities by area and derived signal (one per activity).
    pub signals: Vec<SignalCount>,
    /// Milestones done versus due.
    pub milestones: MilestoneTotals,
    /// Each participating body's latest update.
    pub bodies: Vec<BodyLastUpdate>,
}

/// What an import of the matrix did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportReport {
    /// Activities created.
    pub created: usize,
    /// Activities changed.
    pub updated: usize,
    /// Rows that already matched their activity.
    pub unchanged: usize,
    /// Whether this was a preview (`dry_run`): the same checks and changes, rolled back.
    pub dry_run: bool,
    /// What each row of the file does (or would do), in the file's order.
    pub rows: Vec<ImportRow>,
}

/// What an import does to the activity of one row of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new activity.
    Create,
    /// The activity with the row's code changes.
    Change,
    /// The activity with the row's code already matches the row.
    Unchanged,
}

/// One row of an imported matrix and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportRow {
    /// The spreadsheet row (the header is row 1).
    #[schema(example = 3)]
    pub row: usize,
    /// The activity's code.
    #[schema(example = "A.a.1")]
    pub code: String,
    /// The title in the file.
    #[schema(example = "Regional awareness campaign")]
    pub title: String,
    /// What the row does.
    pub outcome: ImportOutcome,
    /// For `change`: each field that changes, with its value before and after.
    pub changes: Vec<ImportFieldChange>,
}

/// A field an import changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportFieldChange {
    /// The column: `area`, `title`, `description`, `actip_reference`,
    /// `expected_outputs`, `planned_start`, `planned_end`, `lead_body` or
    /// `cooperating_bodies` (codes separated by `; `).
    #[schema(example = "title")]
    pub field: String,
    /// The value before; `null` when empty.
    #[schema(example = "Regional awareness campaign")]
    pub old: Option<String>,
    /// The value after; `null` when empty.
    #[schema(example = "Regional awareness campaign, phase 2")]
    pub new: Option<String>,
}

//! Read models: what the use cases return and the API serializes.
//!
//! They carry no database or HTTP types. Field names are the API's (`snake_case`),
//! and every field is documented because these docs become the OpenAPI schemas.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{ParticipationRole, Pillar, WorkPlanStatus};

/// An ASEAN Sectoral Body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Body {
    /// Stable identifier.
    pub id: Uuid,
    /// Stable short code, e.g. `SOMTC`; what the API addresses bodies by.
    #[schema(example = "SOMTC")]
    pub code: String,
    /// Full name.
    pub name: String,
    /// The ASEAN Community pillar.
    pub pillar: Pillar,
    /// Whether the body's participation is confirmed by a public source.
    pub confirmed: bool,
    /// Editorial notes, such as where a fact comes from or what is unconfirmed.
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
    pub code: String,
    /// Full title.
    pub title: String,
    /// First day the plan covers.
    pub period_start: NaiveDate,
    /// Last day the plan covers.
    pub period_end: NaiveDate,
    /// When the plan was adopted, if known.
    pub adopted_on: Option<NaiveDate>,
    /// The meeting that adopted it, e.g. "17th AMMTC, Labuan Bajo".
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
    pub confirmed: bool,
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

/// An entry of the audit log as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain (increasing).
    pub id: i64,
    /// When it happened (UTC, microseconds).
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `null` for the system (start-up, reference data, the command line).
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `user.update`.
    pub action: String,
    /// The kind of resource.
    pub resource_type: String,
    /// The resource's id (or code).
    pub resource_id: String,
    /// The resource before the change (secrets removed).
    pub before: Option<Value>,
    /// The resource after the change (secrets removed).
    pub after: Option<Value>,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's SHA-256.
    pub hash: String,
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verification {
    /// Whether every entry links to the one before and hashes to its stored hash.
    pub ok: bool,
    /// How many entries were checked.
    pub checked: u64,
    /// The first entry that does not verify, if any.
    pub first_broken: Option<BrokenLink>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The entry's id.
    pub id: i64,
    /// `hash_mismatch` (the entry was altered) or `prev_hash_mismatch` (an entry
    /// before it was removed or altered).
    pub reason: String,
}

/// A user account, as administrators see it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    /// Stable identifier.
    pub id: Uuid,
    /// Login email, lower-cased.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `admin`, `secretariat`, `officer` or `viewer`.
    pub role: crate::Role,
    /// The officer's body code; `null` for every other role.
    pub body: Option<String>,
    /// Whether the account may log in.
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
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: crate::Role,
    /// The officer's body code; `null` for every other role.
    pub body: Option<String>,
}

/// A personal API token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiToken {
    /// Stable identifier (what `DELETE /me/tokens/{id}` takes).
    pub id: Uuid,
    /// The owner's label for it.
    pub name: String,
    /// The first characters of the token, to recognise it: `wpt_AbCd1234`.
    pub prefix: String,
    /// Whether it may write (never more than its owner may).
    pub write: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created API token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NewApiToken {
    /// The token's details.
    #[serde(flatten)]
    pub info: ApiToken,
    /// The secret to send as `Authorization: Bearer <token>`; store it now, it is
    /// never shown again.
    pub token: String,
}

/// The tokens a login or a refresh hands out.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TokenPair {
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// An opaque token for `POST /auth/refresh`; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// One body's part of an activity and its latest report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityBody {
    /// The body's code.
    pub body: String,
    /// `lead` or `cooperating`.
    pub role: crate::AssignmentRole,
    /// The status in its latest progress update; `null` before its first.
    pub latest_status: Option<crate::ProgressStatus>,
    /// The percentage in its latest update, if it gave one.
    pub latest_percent: Option<i32>,
    /// When it last reported.
    pub latest_reported_at: Option<DateTime<Utc>>,
}

/// The secretariat's override of an activity's signal, shown beside the derived one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SignalOverride {
    /// The signal the secretariat sets.
    pub signal: crate::Signal,
    /// Why.
    pub reason: String,
    /// Who set it.
    pub set_by: Option<Uuid>,
    /// When.
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
    pub area: String,
    /// Code, unique within the plan, e.g. `A.a.1`.
    pub code: String,
    /// Title: the programme, project or activity.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// The ACTIP provision or APA section it implements.
    pub actip_reference: Option<String>,
    /// Expected outputs.
    pub expected_outputs: Option<String>,
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// The lead body's code.
    pub lead_body: String,
    /// The cooperating bodies' codes.
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
    pub overdue_milestones: i64,
    /// Whether it was archived (archived activities leave the default lists).
    pub archived: bool,
    /// When the latest progress update of any body arrived.
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
    pub body: String,
    /// Reported status.
    pub status: crate::ProgressStatus,
    /// Reported completion, 0 to 100, if given.
    pub percent_complete: Option<i32>,
    /// What was done.
    pub narrative: String,
    /// Difficulties met.
    pub challenges: Option<String>,
    /// What comes next.
    pub next_steps: Option<String>,
    /// Links to evidence.
    pub evidence_urls: Vec<String>,
    /// Who wrote it.
    pub author_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A dated checkpoint inside an activity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Milestone {
    /// Stable identifier.
    pub id: Uuid,
    /// The activity.
    pub activity_id: Uuid,
    /// What is to be reached, e.g. "regional workshop held".
    pub title: String,
    /// When it is due.
    pub due_on: NaiveDate,
    /// When it was reached, if it was.
    pub completed_on: Option<NaiveDate>,
    /// A note from whoever completed it.
    pub note: Option<String>,
    /// Who completed it.
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
    pub name: String,
    /// Unit, e.g. "officials trained".
    pub unit: Option<String>,
    /// `number`, `percent` or `qualitative`.
    pub measure: crate::IndicatorMeasure,
    /// Baseline value.
    pub baseline: Option<String>,
    /// Target value.
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
    pub body: String,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period.
    pub period_end: NaiveDate,
    /// The value (a number for `number` and `percent` indicators).
    pub value: String,
    /// A note.
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
    pub area: String,
    /// On track: not past the planned end and no overdue milestone, or completed.
    pub on_track: i64,
    /// At risk: an overdue milestone.
    pub at_risk: i64,
    /// Off track: past the planned end and not completed.
    pub off_track: i64,
}

/// Activities of one area and body with one latest status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusCount {
    /// Area code.
    pub area: String,
    /// Body code.
    pub body: String,
    /// The body's latest reported status, or `not_reported`.
    pub status: String,
    /// How many activities.
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
    pub body: String,
    /// Activities it leads or cooperates on.
    pub assigned: i64,
    /// Its latest progress update on any of them; `null` if none.
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
}

/// A reporting cycle: one meeting's round of reports.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cycle {
    /// Stable identifier.
    pub id: Uuid,
    /// The work plan reported on.
    pub work_plan_id: Uuid,
    /// What it prepares for.
    pub kind: crate::CycleKind,
    /// Name, e.g. "26th SOMTC".
    pub name: String,
    /// The meeting's date.
    pub meeting_date: NaiveDate,
    /// First day the data covers.
    pub period_start: NaiveDate,
    /// Last day the data covers.
    pub period_end: NaiveDate,
    /// When bodies may start entering data.
    pub opens_on: NaiveDate,
    /// When bodies' submissions are due.
    pub due_on: NaiveDate,
    /// When the secretariat's review is due.
    pub review_due_on: NaiveDate,
    /// `planned`, `open` or `closed`.
    pub state: crate::CycleState,
    /// When it was opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// One participating body's row on the secretariat's board.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionSummary {
    /// The body's code.
    pub body: String,
    /// Its status (`not_started` until it writes).
    pub status: crate::SubmissionStatus,
    /// Submitted after the due day.
    pub late: bool,
    /// Past the due day and not submitted or accepted.
    pub missing: bool,
    /// Entries (activities the body is assigned to).
    pub entries: i64,
    /// Who first wrote it, and when.
    pub author_id: Option<Uuid>,
    /// When it was first written.
    pub authored_at: Option<DateTime<Utc>>,
    /// Who last submitted it.
    pub submitter_id: Option<Uuid>,
    /// When it was last submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who last reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// When it was last reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was last returned.
    pub return_reason: Option<String>,
}

/// One activity's entry in a body's report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionEntry {
    /// The activity.
    pub activity_id: Uuid,
    /// Its code.
    pub activity_code: String,
    /// Its title.
    pub activity_title: String,
    /// Reported status.
    pub status: crate::ProgressStatus,
    /// Completion, 0 to 100.
    pub percent_complete: Option<i32>,
    /// What was done.
    pub narrative: String,
    /// Difficulties.
    pub challenges: Option<String>,
    /// What comes next.
    pub next_steps: Option<String>,
    /// Evidence links.
    pub evidence_urls: Vec<String>,
    /// Who last changed it.
    pub updated_by: Option<Uuid>,
    /// When.
    pub updated_at: DateTime<Utc>,
    /// Whether an accepted amendment changed it after acceptance.
    pub amended: bool,
}

/// One step of a submission's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubmissionEvent {
    /// `edit`, `submit`, `return` or `accept`.
    pub action: String,
    /// Status before.
    pub from_status: String,
    /// Status after.
    pub to_status: String,
    /// Who.
    pub actor_id: Option<Uuid>,
    /// The reason given (returns).
    pub reason: Option<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// A body's report for a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Submission {
    /// Stable identifier.
    pub id: Uuid,
    /// The cycle.
    pub cycle_id: Uuid,
    /// The body's code.
    pub body: String,
    /// Status.
    pub status: crate::SubmissionStatus,
    /// Submitted after the due day.
    pub late: bool,
    /// Who first wrote it.
    pub author_id: Option<Uuid>,
    /// When it was first written.
    pub authored_at: Option<DateTime<Utc>>,
    /// Who last submitted it.
    pub submitter_id: Option<Uuid>,
    /// When it was last submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who last reviewed it.
    pub reviewer_id: Option<Uuid>,
    /// When it was last reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was last returned.
    pub return_reason: Option<String>,
    /// One entry per activity the body is assigned to.
    pub entries: Vec<SubmissionEntry>,
    /// Every workflow step, oldest first.
    pub events: Vec<SubmissionEvent>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
}

/// A correction proposed after acceptance; the original stays beside it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Amendment {
    /// Stable identifier.
    pub id: Uuid,
    /// The submission.
    pub submission_id: Uuid,
    /// The activity whose entry it corrects.
    pub activity_id: Uuid,
    /// The entry as accepted.
    pub original: Value,
    /// The proposed values.
    pub proposed: Value,
    /// Why.
    pub reason: String,
    /// `proposed`, `accepted` or `rejected`.
    pub status: String,
    /// Who proposed it.
    pub proposer_id: Uuid,
    /// When.
    pub proposed_at: DateTime<Utc>,
    /// Who decided.
    pub reviewer_id: Option<Uuid>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The decision's note.
    pub review_note: Option<String>,
}

/// The frozen, citable snapshot of a closed cycle.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Edition {
    /// The cycle.
    pub cycle_id: Uuid,
    /// SHA-256 of `content` exactly as served (canonical JSON: sorted keys, no spaces).
    pub sha256: String,
    /// When the cycle was closed.
    pub created_at: DateTime<Utc>,
    /// The canonical snapshot of every accepted entry.
    pub content: Value,
}

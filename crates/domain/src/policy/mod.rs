//! The one policy for who may see a body's submission for a reporting cycle and who may
//! act on it: edit, submit, return, accept, propose an amendment or decide one.
//!
//! Pure: the caller loads the [`SubmissionFacts`] (and, to decide an amendment, the
//! [`AmendmentFacts`]) and asks; the answer is what the API and the pages do.
//!
//! The order of the checks is part of the policy, because it decides which status a
//! refused caller gets:
//!
//! 1. what the caller may not see is [`Refusal::Hidden`] (404), whatever else is wrong:
//!    another body's officer never learns that an unsubmitted report exists, and a
//!    viewer sees accepted reports only;
//! 2. a caller without the grant for the act, or another body's officer, is
//!    [`Refusal::Forbidden`] (403);
//! 3. what the state does not allow is [`Refusal::Invalid`] (409). For the workflow
//!    acts the submission's own state is checked before the cycle's; for a proposed
//!    amendment the cycle's is checked first;
//! 4. for the workflow acts, a stale `If-Match` is [`Refusal::Stale`] (412);
//! 5. last, nobody reviews their own submission (403).
//!
//! Deciding an amendment is the exception to 1: the amendment routes address the
//! amendment, not the report, and refuse a caller without the secretariat's grant (403)
//! before looking anything up, so that act is never hidden. (The secretariat sees every
//! report, so nothing is hidden from those who pass.)

use uuid::Uuid;

use crate::workflow::{SubmissionAction, TransitionError, transition};
use crate::{Actor, ActorBody, AmendmentStatus, CycleState, Denied, Grant, Role, SubmissionStatus};

/// What the policy needs to know about one body's submission for one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmissionFacts {
    /// The body whose report it is.
    pub body_id: Uuid,
    /// Where the report stands.
    pub status: SubmissionStatus,
    /// Where its cycle stands.
    pub cycle_state: CycleState,
    /// Who submitted it last, if anyone: they may not review it.
    pub submitter_id: Option<Uuid>,
    /// Its current version, compared with the `If-Match` the caller read.
    pub version: i32,
}

/// What a caller asks to do to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    /// The body's officer saves entries ([`SubmissionAction::Edit`]).
    Edit,
    /// The body's officer hands the report in ([`SubmissionAction::Submit`]).
    Submit,
    /// The secretariat sends it back ([`SubmissionAction::Return`]).
    Return,
    /// The secretariat accepts it ([`SubmissionAction::Accept`]).
    Accept,
    /// The body's officer proposes corrected values for an accepted report.
    ProposeAmendment,
    /// The secretariat accepts or rejects a proposed amendment (see
    /// [`decide_amendment`] for one amendment in particular).
    DecideAmendment,
    /// Anyone in the review conversation (the secretariat, administrators, the body's
    /// officers) adds a comment to the report's thread.
    Comment,
    /// Either side marks a thread of the conversation resolved.
    ResolveComment,
}

impl Act {
    /// Every act, in declaration order.
    pub const ALL: [Act; 8] = [
        Self::Edit,
        Self::Submit,
        Self::Return,
        Self::Accept,
        Self::ProposeAmendment,
        Self::DecideAmendment,
        Self::Comment,
        Self::ResolveComment,
    ];

    /// The step of the submission's state machine this act is, if it is one (the
    /// amendment acts leave the submission's status alone).
    pub const fn workflow(self) -> Option<SubmissionAction> {
        match self {
            Self::Edit => Some(SubmissionAction::Edit),
            Self::Submit => Some(SubmissionAction::Submit),
            Self::Return => Some(SubmissionAction::Return),
            Self::Accept => Some(SubmissionAction::Accept),
            Self::ProposeAmendment
            | Self::DecideAmendment
            | Self::Comment
            | Self::ResolveComment => None,
        }
    }
}

impl From<SubmissionAction> for Act {
    fn from(action: SubmissionAction) -> Self {
        match action {
            SubmissionAction::Edit => Self::Edit,
            SubmissionAction::Submit => Self::Submit,
            SubmissionAction::Return => Self::Return,
            SubmissionAction::Accept => Self::Accept,
        }
    }
}

/// What deciding one amendment needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmendmentFacts {
    /// Where it stands.
    pub status: AmendmentStatus,
    /// Who proposed it: they may not decide it.
    pub proposer_id: Uuid,
}

/// Why the policy refused, each with the status the API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 404: the caller may not even see the submission.
    #[error("submission not found")]
    Hidden,
    /// 403: the caller sees it but may not do this to it; the detail says why.
    #[error("{0}")]
    Forbidden(String),
    /// 409: the caller may, but not in this state; the detail says why.
    #[error("{0}")]
    Invalid(String),
    /// 412: the `If-Match` named this version, which is no longer current.
    #[error("the resource has changed since version {0}")]
    Stale(i32),
    /// 409 `conflict`: the resource's own state stands in the way (not a workflow step).
    #[error("{0}")]
    Conflict(String),
}

impl From<Denied> for Refusal {
    fn from(denied: Denied) -> Self {
        Self::Forbidden(denied.0)
    }
}

const WRITE_OWN: &str = "only the body's own officers write its report";
const PROPOSE_OWN: &str = "only the body's own officers propose amendments";
const CLOSED: &str = "the cycle is closed; it takes no edits";
const AMEND_ACCEPTED: &str = "only an accepted report is amended; edit the draft instead";
const OWN_REVIEW: &str = "nobody reviews their own submission";
const OWN_AMENDMENT: &str = "nobody decides their own amendment";
const CONVERSATION: &str = "only the secretariat, administrators and the body's own officers take part in its review conversation";
const CONVERSATION_CLOSED: &str =
    "the cycle is closed; its conversations stay readable but take no new comments";

/// Whether `actor` may see the submission at all: the secretariat and administrators
/// see every one, an officer its own body's and other bodies' once submitted (submitted
/// or accepted), a viewer accepted ones only.
pub fn can_see(actor: &Actor, facts: &SubmissionFacts) -> bool {
    match actor.role {
        Role::Admin | Role::Secretariat => true,
        Role::Officer if is_own(actor, facts) => true,
        Role::Officer => matches!(
            facts.status,
            SubmissionStatus::Submitted | SubmissionStatus::Accepted
        ),
        Role::Viewer => facts.status == SubmissionStatus::Accepted,
    }
}

/// Whether the submission is the acting officer's own body's.
fn is_own(actor: &Actor, facts: &SubmissionFacts) -> bool {
    actor.body.as_ref().is_some_and(|b| b.id == facts.body_id)
}

/// The acting user as a grant names them for the audit log (`None` for the nil id of
/// the system), which is what the "own submission" and "own amendment" checks compare.
fn grant_actor_id(actor: &Actor) -> Option<Uuid> {
    (!actor.user_id.is_nil()).then_some(actor.user_id)
}

/// Whether `actor` may take `act` on the submission now, and if so the submission's
/// status afterwards (unchanged for the amendment acts); if not, why, in the order
/// described in the module's documentation.
///
/// `expected_version` is the `If-Match` the caller read: `None` skips that check (a page
/// asking what to offer). It is compared for the workflow acts only, after the state
/// checks; the amendment acts carry no version and ignore it.
///
/// [`Act::DecideAmendment`] answers for an amendment still proposed by someone else;
/// [`decide_amendment`] answers for a given one.
pub fn decide(
    actor: &Actor,
    facts: &SubmissionFacts,
    act: Act,
    expected_version: Option<i32>,
) -> Result<SubmissionStatus, Refusal> {
    match act.workflow() {
        Some(action) => step(actor, facts, action, expected_version),
        None if act == Act::ProposeAmendment => propose(actor, facts),
        None if matches!(act, Act::Comment | Act::ResolveComment) => {
            converse(actor, facts).map(|()| facts.status)
        }
        None => decide_amendment_of(actor, facts, None).map(|()| facts.status),
    }
}

/// Whether `actor` may accept or reject this amendment of the submission: the
/// secretariat's grant (403, checked first and never hidden), the amendment still
/// proposed (409), the cycle not closed (409), and not the caller's own amendment (403,
/// checked last).
///
/// The submission's status is not checked: amendments are proposed only on accepted
/// reports, and accepted is final.
pub fn decide_amendment(
    actor: &Actor,
    facts: &SubmissionFacts,
    amendment: &AmendmentFacts,
) -> Result<(), Refusal> {
    decide_amendment_of(actor, facts, Some(amendment))
}

/// The acts `actor` may take on the submission now ([`decide`] with no `If-Match`), in
/// [`Act::ALL`]'s order: what a page offers. Empty for a submission the actor may not
/// see, except [`Act::DecideAmendment`], which is never hidden.
pub fn allowed_actions(actor: &Actor, facts: &SubmissionFacts) -> Vec<Act> {
    Act::ALL
        .into_iter()
        .filter(|act| decide(actor, facts, *act, None).is_ok())
        .collect()
}

/// The grant `act` needs, checked alone: the officer's own body for the body's acts,
/// the secretariat's for the review acts. `Ok` carries the acting user as the audit
/// log names them. A use case checks this before reading its input, and answers a
/// refusal with [`decide`] (so a caller who may not even see the report hears 404).
pub fn granted(actor: &Actor, act: Act) -> Result<Option<Uuid>, Denied> {
    match act {
        Act::Edit | Act::Submit | Act::ProposeAmendment => Ok(actor.own_body()?.actor_id()),
        Act::Return | Act::Accept | Act::DecideAmendment => Ok(actor.secretariat()?.actor_id()),
        Act::Comment | Act::ResolveComment => conversation_grant(actor),
    }
}

/// The grant to write in a review conversation: a writing credential of the
/// secretariat, an administrator or an officer (which body's report is [`decide`]'s
/// question: another body's is hidden).
fn conversation_grant(actor: &Actor) -> Result<Option<Uuid>, Denied> {
    match actor.role {
        Role::Admin | Role::Secretariat => Ok(actor.secretariat()?.actor_id()),
        Role::Officer => Ok(actor.own_body()?.actor_id()),
        Role::Viewer => Err(Denied(CONVERSATION.into())),
    }
}

/// Whether `actor` may read the review conversation on `body_id`'s reports: exactly
/// who [`sees_review`] (the secretariat, administrators, that body's officers; never
/// viewers or other bodies' officers, who get 404), in every state of the report and
/// of the cycle, closed included.
pub fn sees_conversation(actor: &Actor, body_id: Uuid) -> bool {
    sees_review(actor, body_id)
}

/// Whether `actor` may grant the body a later due date for the cycle (a deadline
/// extension), in the module's order: hidden (404) as for every act on a report, the
/// secretariat's grant (403), the cycle open and the report not yet accepted (409: an
/// accepted report is final, and a planned cycle's own due date is still changed on
/// the cycle), then a stale `If-Match` (412; `None` skips it: a page asking what to
/// offer). `Ok` carries the acting user as the audit log names them.
///
/// Not one of [`Act::ALL`]: it changes the report's deadline, not its status or
/// entries, so it stays out of the workflow table.
pub fn extend_deadline(
    actor: &Actor,
    facts: &SubmissionFacts,
    expected_version: Option<i32>,
) -> Result<Option<Uuid>, Refusal> {
    if !can_see(actor, facts) {
        return Err(Refusal::Hidden);
    }
    let acting = actor.secretariat()?.actor_id();
    if facts.cycle_state != CycleState::Open {
        return Err(Refusal::Invalid(format!(
            "the cycle is {}; only an open cycle's deadlines are extended",
            facts.cycle_state
        )));
    }
    if facts.status == SubmissionStatus::Accepted {
        return Err(Refusal::Invalid(
            "the report is accepted; its deadline no longer applies".into(),
        ));
    }
    if let Some(expected) = expected_version
        && expected != facts.version
    {
        return Err(Refusal::Stale(expected));
    }
    Ok(acting)
}

/// Whether the officer's `body` may record its progress on an activity: only a body
/// assigned to it (lead or cooperating; 403 otherwise), and only while the activity is
/// not archived (409). The body grant itself (an officer, not a read-only token) is the
/// caller's `Actor::own_body`.
pub fn record_progress(body: &ActorBody, assigned: bool, archived: bool) -> Result<(), Refusal> {
    if !assigned {
        return Err(Refusal::Forbidden(format!(
            "{} is neither the lead nor a cooperating body of this activity",
            body.code
        )));
    }
    if archived {
        return Err(Refusal::Conflict(
            "the activity is archived; restore it before reporting".into(),
        ));
    }
    Ok(())
}

/// What an evidence file hangs on, as far as who may see it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachedTo {
    /// Nothing yet: an upload waiting to be attached, seen by its uploader only.
    Nothing {
        /// Who uploaded it.
        uploader_id: Uuid,
    },
    /// A progress update: seen by whoever may read progress updates.
    ProgressUpdate,
    /// An entry of a body's report: seen by whoever may see that report.
    ReportEntry(SubmissionFacts),
    /// Proposed by an amendment of an entry of a body's report (parked on it until the
    /// decision): seen by whoever may see that amendment.
    Amendment {
        /// The amended report.
        report: SubmissionFacts,
        /// Where the amendment stands.
        status: AmendmentStatus,
    },
}

/// Whether `actor` may see an evidence file (its metadata and its bytes): exactly who
/// may see the record it is attached to; an unattached upload, its uploader only.
/// Everyone else is [`Refusal::Hidden`] (404): the file's existence is not told.
pub fn can_see_attachment(actor: &Actor, on: &AttachedTo) -> bool {
    match on {
        AttachedTo::Nothing { uploader_id } => actor.user_id == *uploader_id,
        AttachedTo::ProgressUpdate => reads_unaccepted(actor).is_ok(),
        AttachedTo::ReportEntry(facts) => can_see(actor, facts),
        AttachedTo::Amendment { report, status } => can_see_amendment(actor, report, *status),
    }
}

/// Whether `actor` sees an amendment of a report (and the files it proposes): whoever
/// sees the report, once the amendment is accepted; before that, or rejected, only
/// whoever [`sees_review`] of that body (as [`amendments_for`] lists them).
pub fn can_see_amendment(actor: &Actor, report: &SubmissionFacts, status: AmendmentStatus) -> bool {
    can_see(actor, report)
        && (status == AmendmentStatus::Accepted || sees_review(actor, report.body_id))
}

/// Which recorded data a reader's lists, statuses and counts are computed from. The
/// default is the narrower one, so a reader nobody named sees accepted data only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lens {
    /// Everything recorded: each body's latest progress update (the secretariat,
    /// administrators and officers).
    Recorded,
    /// Only what the secretariat accepted: each body's status from its latest accepted
    /// report (viewers: partners and integrators).
    #[default]
    Accepted,
}

/// The lens `actor` reads through: viewers see what the secretariat accepted, nothing
/// else (api.md's role table); everyone else sees what was recorded.
pub fn lens(actor: &Actor) -> Lens {
    if actor.role == Role::Viewer {
        Lens::Accepted
    } else {
        Lens::Recorded
    }
}

/// Whether `actor` may read what no accepted report carries: progress updates and their
/// narratives, indicator actuals, milestone notes, an activity's history and the audit
/// trail. Everyone but viewers; a viewer is refused (403) where that is all a route
/// serves, and reads such fields as absent elsewhere.
pub fn reads_unaccepted(actor: &Actor) -> Result<(), Refusal> {
    match lens(actor) {
        Lens::Recorded => Ok(()),
        Lens::Accepted => Err(Refusal::Forbidden(
            "viewers read what the secretariat accepted: accepted reports, editions and statuses"
                .into(),
        )),
    }
}

/// A milestone as `lens` reads it: viewers see its title and dates, not the note of
/// whoever completed it.
pub fn milestone_for(
    lens: Lens,
    mut milestone: crate::models::Milestone,
) -> crate::models::Milestone {
    if lens == Lens::Accepted {
        milestone.note = None;
    }
    milestone
}

/// Whether `actor` sees the review of a body's report: return reasons, review notes,
/// the reason of a deadline extension, who reviewed it and when, and amendments not (yet) accepted. The secretariat,
/// administrators and that body's own officers; nobody else, whatever they may see of
/// the report itself.
pub fn sees_review(actor: &Actor, body_id: Uuid) -> bool {
    match actor.role {
        Role::Admin | Role::Secretariat => true,
        Role::Officer => actor.body.as_ref().is_some_and(|b| b.id == body_id),
        Role::Viewer => false,
    }
}

/// A body's report as `actor` reads it: without [`sees_review`], the return reason, the
/// reviewer, the reasons in its history and what changed since the return are left out.
pub fn submission_for(
    actor: &Actor,
    body_id: Uuid,
    mut report: crate::models::Submission,
) -> crate::models::Submission {
    if !sees_review(actor, body_id) {
        report.return_reason = None;
        report.reviewer_id = None;
        report.reviewed_at = None;
        report.extension_reason = None;
        for event in &mut report.events {
            event.reason = None;
        }
        for entry in &mut report.entries {
            entry.changes_since_return = None;
        }
    }
    report
}

/// A row of a cycle's board as `actor` reads it: without [`sees_review`], the return
/// reason and the reviewer are left out.
pub fn board_row_for(
    actor: &Actor,
    body_id: Uuid,
    mut row: crate::models::SubmissionSummary,
) -> crate::models::SubmissionSummary {
    if !sees_review(actor, body_id) {
        row.return_reason = None;
        row.reviewer_id = None;
        row.reviewed_at = None;
        row.extension_reason = None;
    }
    row
}

/// A report's amendments as `actor` reads them: without [`sees_review`], only the
/// accepted ones, without the secretariat's note.
pub fn amendments_for(
    actor: &Actor,
    body_id: Uuid,
    amendments: Vec<crate::models::Amendment>,
) -> Vec<crate::models::Amendment> {
    if sees_review(actor, body_id) {
        return amendments;
    }
    amendments
        .into_iter()
        .filter(|a| a.status == AmendmentStatus::Accepted.as_str())
        .map(|mut a| {
            a.review_note = None;
            a
        })
        .collect()
}

/// Edit, submit, return, accept.
fn step(
    actor: &Actor,
    facts: &SubmissionFacts,
    action: SubmissionAction,
    expected_version: Option<i32>,
) -> Result<SubmissionStatus, Refusal> {
    if !can_see(actor, facts) {
        return Err(Refusal::Hidden);
    }
    let reviews = match action {
        SubmissionAction::Edit | SubmissionAction::Submit => {
            actor.own_body()?;
            if actor.role == Role::Officer && !is_own(actor, facts) {
                return Err(Refusal::Forbidden(WRITE_OWN.into()));
            }
            false
        }
        SubmissionAction::Return | SubmissionAction::Accept => {
            actor.secretariat()?;
            true
        }
    };
    let to = transition(facts.status, action, actor.role).map_err(|e| match e {
        TransitionError::Forbidden { .. } => Refusal::Forbidden(e.to_string()),
        TransitionError::Invalid { .. } => Refusal::Invalid(e.to_string()),
    })?;
    if facts.cycle_state != CycleState::Open {
        return Err(Refusal::Invalid(format!(
            "the cycle is {}; it takes no edits",
            facts.cycle_state
        )));
    }
    if let Some(expected) = expected_version
        && expected != facts.version
    {
        return Err(Refusal::Stale(expected));
    }
    if reviews && facts.submitter_id == grant_actor_id(actor) {
        return Err(Refusal::Forbidden(OWN_REVIEW.into()));
    }
    Ok(to)
}

/// Propose an amendment.
fn propose(actor: &Actor, facts: &SubmissionFacts) -> Result<SubmissionStatus, Refusal> {
    if !can_see(actor, facts) {
        return Err(Refusal::Hidden);
    }
    actor.own_body()?;
    if !is_own(actor, facts) {
        return Err(Refusal::Forbidden(PROPOSE_OWN.into()));
    }
    if facts.cycle_state == CycleState::Closed {
        return Err(Refusal::Invalid(CLOSED.into()));
    }
    if facts.status != SubmissionStatus::Accepted {
        return Err(Refusal::Invalid(AMEND_ACCEPTED.into()));
    }
    Ok(facts.status)
}

/// Comment or resolve: hidden (404) from whoever does not see the conversation,
/// whatever the report's status; the grant (a read-only token: 403); and no new writes
/// once the cycle is closed (409). The report's status does not matter: the thread
/// runs through draft, return, resubmission and acceptance.
fn converse(actor: &Actor, facts: &SubmissionFacts) -> Result<(), Refusal> {
    if !sees_conversation(actor, facts.body_id) {
        return Err(Refusal::Hidden);
    }
    conversation_grant(actor)?;
    if facts.cycle_state == CycleState::Closed {
        return Err(Refusal::Invalid(CONVERSATION_CLOSED.into()));
    }
    Ok(())
}

/// Decide an amendment; `None` stands for one still proposed, by someone else.
fn decide_amendment_of(
    actor: &Actor,
    facts: &SubmissionFacts,
    amendment: Option<&AmendmentFacts>,
) -> Result<(), Refusal> {
    actor.secretariat()?;
    if let Some(a) = amendment
        && a.status != AmendmentStatus::Proposed
    {
        return Err(Refusal::Invalid(format!(
            "the amendment is already {}",
            a.status
        )));
    }
    if facts.cycle_state == CycleState::Closed {
        return Err(Refusal::Invalid(CLOSED.into()));
    }
    if let Some(a) = amendment
        && Some(a.proposer_id) == grant_actor_id(actor)
    {
        return Err(Refusal::Forbidden(OWN_AMENDMENT.into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

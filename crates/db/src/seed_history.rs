//! `wpt seed --demo`'s past: three closed SOMTC cycles before today, so the trends
//! across cycles (issue 19) have something to show, and a review conversation on a
//! report. Illustrative like the rest of the demo. The current state of the demo (its
//! activities, logins and the absence of an open cycle) is left as it was: the browser
//! suite and the contract and fuzz runs create and open their own cycle.
//!
//! Written in one write (audited once, `seed.demo`), then each cycle is closed through
//! the real use case, which freezes its edition.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use wpt_domain::actor::{AdminGrant, SecretariatGrant};
use wpt_domain::{CycleKind, CycleState, Grant, ProgressStatus, Role, SubmissionStatus};

use crate::audit::{AuditAction, Change};
use crate::entities::{
    activity, activity_assignment, plan_participation, reporting_cycle, submission,
    submission_comment, submission_entry, submission_event, user,
};
use crate::{Database, DbError, DbResult};

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default())
        .and_utc()
}

/// How a body's report went in one past cycle.
#[derive(Clone, Copy, PartialEq)]
enum Story {
    OnTime,
    Late,
    Extended,
    ReturnedTwice,
    NeverAccepted,
}

fn story(body: usize, cycle: usize) -> Story {
    match (body, cycle) {
        (1, 1) => Story::ReturnedTwice,
        (4, 2) => Story::NeverAccepted,
        _ if (body + cycle).is_multiple_of(5) => Story::Late,
        _ if (body + cycle) % 7 == 3 => Story::Extended,
        _ => Story::OnTime,
    }
}

/// Adds the closed past cycles to the demo plan `plan_id`.
pub(crate) async fn past_cycles(db: &Database, plan_id: Uuid) -> DbResult<usize> {
    let today = Utc::now().date_naive();
    let mut txn = db.write().await?;
    let people = user::Entity::find()
        .filter(user::Column::Email.like("%@demo.wpt"))
        .all(&txn)
        .await?;
    let secretariat = people
        .iter()
        .find(|u| u.role == Role::Secretariat.as_str())
        .map(|u| u.id)
        .ok_or(DbError::NotFound("demo secretariat"))?;
    let officer_of: HashMap<Uuid, Uuid> = people
        .iter()
        .filter_map(|u| u.body_id.map(|b| (b, u.id)))
        .collect();
    let mut bodies: Vec<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.body_id)
        .filter(|b| officer_of.contains_key(b))
        .collect();
    bodies.sort();
    let activities: HashMap<Uuid, String> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .order_by_asc(activity::Column::Code)
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let mut assignments: Vec<activity_assignment::Model> = activity_assignment::Entity::find()
        .filter(activity_assignment::Column::ActivityId.is_in(activities.keys().copied()))
        .all(&txn)
        .await?;
    assignments.sort_by(|a, b| {
        (&activities[&a.activity_id], a.body_id).cmp(&(&activities[&b.activity_id], b.body_id))
    });

    let names = [
        "23rd SOMTC (demo)",
        "24th SOMTC (demo)",
        "25th SOMTC (demo)",
    ];
    let mut cycle_ids = Vec::new();
    // The latest accepted entry of each assignment, for the accepted lens.
    let mut accepted: HashMap<Uuid, (String, i32, Uuid, NaiveDate, DateTime<Utc>)> = HashMap::new();
    let mut conversation_on = None;
    for (k, name) in names.iter().enumerate() {
        let meeting = today - Duration::days(540 - 180 * k as i64);
        let due = meeting - Duration::days(30);
        let opens = due - Duration::days(60);
        let period_end = meeting - Duration::days(60);
        let period_start = period_end - Duration::days(181);
        let cycle_id = Uuid::now_v7();
        reporting_cycle::Entity::insert(reporting_cycle::ActiveModel {
            id: Set(cycle_id),
            work_plan_id: Set(plan_id),
            kind: Set(CycleKind::Somtc.as_str().to_owned()),
            name: Set((*name).to_owned()),
            meeting_date: Set(meeting),
            period_start: Set(period_start),
            period_end: Set(period_end),
            opens_on: Set(opens),
            due_on: Set(due),
            review_due_on: Set(meeting - Duration::days(14)),
            state: Set(CycleState::Open.as_str().to_owned()),
            opened_at: Set(Some(at(opens, 8))),
            closed_at: Set(None),
            version: Set(1),
            created_at: Set(at(opens, 8)),
            updated_at: Set(at(opens, 8)),
        })
        .exec(&txn)
        .await?;
        cycle_ids.push(cycle_id);
        for (bi, body) in bodies.iter().enumerate() {
            let officer = officer_of[body];
            let s = story(bi, k);
            let extended = (s == Story::Extended).then(|| due + Duration::days(10));
            let offset = match s {
                Story::Late => 4,
                Story::Extended => 6,
                _ => -3,
            };
            let first_submit = at(due + Duration::days(offset), 9);
            let mut events = vec![(
                "edit",
                SubmissionStatus::NotStarted,
                SubmissionStatus::Draft,
                officer,
                None,
                first_submit - Duration::days(2),
            )];
            let mut t = first_submit;
            events.push((
                "submit",
                SubmissionStatus::Draft,
                SubmissionStatus::Submitted,
                officer,
                None,
                t,
            ));
            if s == Story::ReturnedTwice {
                for (n, reason) in [
                    "Please add the evidence links for the workshops.",
                    "The percentages do not match the narrative; please check.",
                ]
                .iter()
                .enumerate()
                {
                    t += Duration::days(2);
                    events.push((
                        "return",
                        SubmissionStatus::Submitted,
                        SubmissionStatus::Returned,
                        secretariat,
                        Some((*reason).to_owned()),
                        t,
                    ));
                    t += Duration::days(3 + n as i64);
                    events.push((
                        "submit",
                        SubmissionStatus::Returned,
                        SubmissionStatus::Submitted,
                        officer,
                        None,
                        t,
                    ));
                }
            }
            let last_submit = t;
            let review = last_submit + Duration::days(2 + (bi % 3) as i64) + Duration::hours(3);
            let status = if s == Story::NeverAccepted {
                SubmissionStatus::Submitted
            } else {
                events.push((
                    "accept",
                    SubmissionStatus::Submitted,
                    SubmissionStatus::Accepted,
                    secretariat,
                    None,
                    review,
                ));
                SubmissionStatus::Accepted
            };
            let effective_due = extended.unwrap_or(due);
            let sub_id = Uuid::now_v7();
            submission::Entity::insert(submission::ActiveModel {
                id: Set(sub_id),
                cycle_id: Set(cycle_id),
                body_id: Set(*body),
                status: Set(status.as_str().to_owned()),
                author_id: Set(Some(officer)),
                authored_at: Set(Some(first_submit - Duration::days(2))),
                submitter_id: Set(Some(officer)),
                submitted_at: Set(Some(last_submit)),
                reviewer_id: Set((status == SubmissionStatus::Accepted
                    || s == Story::ReturnedTwice)
                    .then_some(secretariat)),
                reviewed_at: Set((status == SubmissionStatus::Accepted).then_some(review)),
                return_reason: Set(None),
                late: Set(first_submit.date_naive() > effective_due
                    || last_submit.date_naive() > effective_due),
                extended_due_on: Set(extended),
                extension_reason: Set(extended
                    .map(|_| "National consultations took longer than planned (demo).".to_owned())),
                returned_entries: Set(None),
                version: Set(events.len() as i32 + 1),
                created_at: Set(at(opens, 8)),
                updated_at: Set(review),
            })
            .exec(&txn)
            .await?;
            for (action, from, to, actor, reason, when) in events {
                submission_event::Entity::insert(submission_event::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    submission_id: Set(sub_id),
                    action: Set(action.to_owned()),
                    from_status: Set(from.as_str().to_owned()),
                    to_status: Set(to.as_str().to_owned()),
                    actor_id: Set(Some(actor)),
                    reason: Set(reason),
                    occurred_at: Set(when),
                })
                .exec(&txn)
                .await?;
            }
            let mut entries = Vec::new();
            for (ai, a) in assignments
                .iter()
                .filter(|a| a.body_id == *body)
                .enumerate()
            {
                let percent = (15 + 25 * k as i32 + 5 * (ai % 4) as i32).min(100);
                let status = if percent >= 100 {
                    ProgressStatus::Completed
                } else {
                    [
                        ProgressStatus::OnTrack,
                        ProgressStatus::AtRisk,
                        ProgressStatus::Delayed,
                        ProgressStatus::OnTrack,
                    ][(ai + k + bi) % 4]
                };
                entries.push(submission_entry::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    submission_id: Set(sub_id),
                    activity_id: Set(a.activity_id),
                    status: Set(status.as_str().to_owned()),
                    percent_complete: Set(Some(percent)),
                    narrative: Set(format!(
                        "Illustrative report for {} ({name}).",
                        activities[&a.activity_id]
                    )),
                    challenges: Set((status == ProgressStatus::Delayed)
                        .then(|| "Funding for the regional meeting is pending".to_owned())),
                    next_steps: Set(Some("Continue as planned".to_owned())),
                    evidence_urls: Set(serde_json::json!([])),
                    updated_by: Set(Some(officer)),
                    updated_at: Set(first_submit - Duration::days(2)),
                });
                if status_accepted(status, s) {
                    accepted.insert(
                        a.id,
                        (
                            status.as_str().to_owned(),
                            percent,
                            cycle_id,
                            period_end,
                            review,
                        ),
                    );
                }
                if k == names.len() - 1 && s == Story::OnTime && conversation_on.is_none() {
                    conversation_on = Some((sub_id, a.activity_id, officer, last_submit, review));
                }
            }
            if !entries.is_empty() {
                submission_entry::Entity::insert_many(entries)
                    .exec(&txn)
                    .await?;
            }
        }
    }
    for (assignment, (status, percent, cycle, period_end, when)) in &accepted {
        activity_assignment::Entity::update_many()
            .col_expr(
                activity_assignment::Column::AcceptedStatus,
                Expr::value(status.clone()),
            )
            .col_expr(
                activity_assignment::Column::AcceptedPercent,
                Expr::value(*percent),
            )
            .col_expr(
                activity_assignment::Column::AcceptedCycleId,
                Expr::value(*cycle),
            )
            .col_expr(
                activity_assignment::Column::AcceptedPeriodEnd,
                Expr::value(*period_end),
            )
            .col_expr(activity_assignment::Column::AcceptedAt, Expr::value(*when))
            .filter(activity_assignment::Column::Id.eq(*assignment))
            .exec(&txn)
            .await?;
    }
    // A conversation on the latest cycle's first report: a resolved question on an
    // entry and an open one on the whole report.
    if let Some((sub_id, activity_id, officer, submitted, reviewed)) = conversation_on {
        let question = Uuid::now_v7();
        let lines = [
            (
                question,
                Some(activity_id),
                None,
                secretariat,
                "Which workshop is this? Please attach the MoU with the host country.",
                submitted + Duration::hours(20),
            ),
            (
                Uuid::now_v7(),
                Some(activity_id),
                Some(question),
                officer,
                "The Bangkok workshop of March; the MoU is on the ministry's site, link added to the evidence.",
                submitted + Duration::hours(26),
            ),
            (
                Uuid::now_v7(),
                None,
                None,
                secretariat,
                "For the next cycle: the ministry says the joint training moved to March. Please confirm the new date.",
                reviewed - Duration::hours(1),
            ),
        ];
        for (id, activity, reply_to, author, text, when) in lines {
            submission_comment::Entity::insert(submission_comment::ActiveModel {
                id: Set(id),
                submission_id: Set(sub_id),
                activity_id: Set(activity),
                reply_to: Set(reply_to),
                author_id: Set(author),
                text: Set(text.to_owned()),
                created_at: Set(when),
                resolved_at: Set((id == question).then_some(reviewed - Duration::hours(2))),
                resolved_by: Set((id == question).then_some(secretariat)),
            })
            .exec(&txn)
            .await?;
        }
    }
    txn.record(
        AdminGrant::system().actor_id(),
        Change::new::<(), _>(
            AuditAction::SeedDemo,
            "work_plan",
            plan_id,
            None,
            Some(&serde_json::json!({ "past_cycles": names.len() })),
        )?,
    );
    txn.commit().await?;
    for id in &cycle_ids {
        crate::cycles::close(db, &SecretariatGrant::system(), *id).await?;
    }
    Ok(cycle_ids.len())
}

fn status_accepted(_: ProgressStatus, s: Story) -> bool {
    s != Story::NeverAccepted
}

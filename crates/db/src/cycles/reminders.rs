//! Reminders (issue 17): while a cycle is open, the officers of each body whose report
//! is not yet submitted or accepted are reminded on the steps of the schedule
//! ([`wpt_domain::deadline::step_due`], following the body's extended due day), and the
//! secretariat can nudge the missing bodies now.
//!
//! Each scheduled reminder carries the dedupe key `reminder:{cycle}:{body}:{step}`, so
//! a second run, another instance or a restart writes nothing new: the outbox's and
//! the inbox's unique keys make the insert a no-op (`crate::notify`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::deadline::{self, ReminderDays, ReminderStep};
use wpt_domain::{Actor, CycleState, SubmissionStatus};

use crate::audit::{AuditAction, Change};
use crate::entities::{plan_participation, reporting_cycle, submission};
use crate::notify::{Notice, NoticeKind, Recipients};
use crate::{Database, DbError, DbResult, stored};

/// One body that still owes its report in an open cycle.
struct Outstanding {
    body_id: Uuid,
    due: chrono::NaiveDate,
}

/// The outstanding bodies of each of `cycles`, in three queries whatever their number:
/// the plans' participants, the cycles' submissions, the body codes (a participant
/// without a submission row has not started).
async fn outstanding(
    db: &impl sea_orm::ConnectionTrait,
    cycles: &[reporting_cycle::Model],
) -> DbResult<HashMap<Uuid, Vec<Outstanding>>> {
    let plans: Vec<Uuid> = cycles.iter().map(|c| c.work_plan_id).collect();
    let ids: Vec<Uuid> = cycles.iter().map(|c| c.id).collect();
    let participants: Vec<(Uuid, Uuid)> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.is_in(plans))
        .select_only()
        .column(plan_participation::Column::WorkPlanId)
        .column(plan_participation::Column::BodyId)
        .into_tuple()
        .all(db)
        .await?;
    let subs: HashMap<(Uuid, Uuid), submission::Model> = submission::Entity::find()
        .filter(submission::Column::CycleId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.cycle_id, s.body_id), s))
        .collect();
    let mut out: HashMap<Uuid, Vec<Outstanding>> = HashMap::new();
    for cycle in cycles {
        let mut seen = HashSet::new();
        for (_, body) in participants
            .iter()
            .filter(|(p, _)| *p == cycle.work_plan_id)
        {
            if !seen.insert(*body) {
                continue;
            }
            let sub = subs.get(&(cycle.id, *body));
            let status: SubmissionStatus = match sub {
                Some(s) => stored(&s.status)?,
                None => SubmissionStatus::NotStarted,
            };
            if !deadline::outstanding(status) {
                continue;
            }
            out.entry(cycle.id).or_default().push(Outstanding {
                body_id: *body,
                due: deadline::effective_due(cycle.due_on, sub.and_then(|s| s.extended_due_on)),
            });
        }
    }
    Ok(out)
}

fn long_day(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// The words of a reminder for `code`'s report in `cycle`, due `due`, on `today`.
fn reminder(
    cycle: &reporting_cycle::Model,
    code: &str,
    due: chrono::NaiveDate,
    today: chrono::NaiveDate,
    step: Option<ReminderStep>,
) -> (String, String) {
    let left = (due - today).num_days();
    let when = match left {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        d if d > 1 => format!("in {d} days, on {}", long_day(due)),
        d => format!("{} days ago, on {}", -d, long_day(due)),
    };
    let subject = if left >= 0 {
        format!("{code}'s report for {} is due {when}", cycle.name)
    } else {
        format!("{code}'s report for {} is missing", cycle.name)
    };
    let why = match step {
        Some(_) => {
            "You get this reminder because you are an officer of a body whose report is not yet submitted."
        }
        None => {
            "The secretariat sent this reminder now, to every body whose report is not yet submitted."
        }
    };
    let text = format!(
        "{code}'s report for {} was due {when}, and it is not submitted yet.\n\n\
         Open the report, complete it and submit it to the secretariat.\n\n{why}",
        cycle.name,
    )
    .replace("was due today", "is due today")
    .replace("was due tomorrow", "is due tomorrow")
    .replace("was due in ", "is due in ");
    (subject, text)
}

/// Queues the reminders due at `now` in every open cycle (the server runs this every
/// hour): for each body whose report is not submitted or accepted, the step of the
/// schedule in force ([`deadline::step_due`]), once per body and step. A constant
/// number of queries (open cycles, participants, submissions, body codes) and one
/// write. Returns how many (body, step) reminders were asked for; those already sent
/// are skipped by their dedupe key.
pub async fn send_due_reminders(
    db: &Database,
    days: &ReminderDays,
    now: DateTime<Utc>,
) -> DbResult<usize> {
    let today = now.date_naive();
    let cycles = reporting_cycle::Entity::find()
        .filter(reporting_cycle::Column::State.eq(CycleState::Open.as_str()))
        .all(db.conn())
        .await?;
    if cycles.is_empty() {
        return Ok(0);
    }
    let owing = outstanding(db.conn(), &cycles).await?;
    let codes = crate::bodies::codes(db.conn()).await?;
    let mut notices = Vec::new();
    for cycle in &cycles {
        for o in owing.get(&cycle.id).into_iter().flatten() {
            let Some(step) = deadline::step_due(o.due, today, days) else {
                continue;
            };
            let code = codes.get(&o.body_id).cloned().unwrap_or_default();
            let (subject, text) = reminder(cycle, &code, o.due, today, Some(step));
            notices.push(Notice {
                kind: NoticeKind::Reminder,
                to: Recipients::BodyOfficers(o.body_id),
                subject,
                text,
                link: format!("/ui/cycles/{}/my-report", cycle.id),
                dedupe_key: Some(format!("reminder:{}:{}:{}", cycle.id, o.body_id, step)),
            });
        }
    }
    let n = notices.len();
    if n == 0 {
        return Ok(0);
    }
    let mut txn = db.write().await?;
    for notice in notices {
        txn.notify(notice);
    }
    txn.commit().await?;
    Ok(n)
}

/// `POST /cycles/{id}/reminders`: the secretariat reminds every body of the open cycle
/// whose report is not yet submitted or accepted, now (not deduplicated: each nudge is
/// sent). Audited (`cycle.remind`, with the bodies). Returns the bodies' codes, sorted.
/// 403 without the secretariat's grant, 404 for no such cycle, 409 unless open.
pub async fn nudge(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    now: DateTime<Utc>,
) -> DbResult<Vec<String>> {
    let acting = wpt_domain::Grant::actor_id(&actor.secretariat()?);
    let mut txn = db.write().await?;
    let cycle = super::find(&*txn, cycle_id).await?;
    if cycle.state != CycleState::Open.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "the cycle is {}; reminders go out only while it is open",
            cycle.state
        )));
    }
    let owing = outstanding(&*txn, std::slice::from_ref(&cycle)).await?;
    let codes = crate::bodies::codes(&*txn).await?;
    let today = now.date_naive();
    let mut sent = Vec::new();
    for o in owing.get(&cycle.id).into_iter().flatten() {
        let code = codes.get(&o.body_id).cloned().unwrap_or_default();
        let (subject, text) = reminder(&cycle, &code, o.due, today, None);
        txn.notify(Notice {
            kind: NoticeKind::Reminder,
            to: Recipients::BodyOfficers(o.body_id),
            subject,
            text,
            link: format!("/ui/cycles/{}/my-report", cycle.id),
            dedupe_key: None,
        });
        sent.push(code);
    }
    sent.sort();
    txn.record(
        acting,
        Change::new::<(), _>(
            AuditAction::CycleRemind,
            "reporting_cycle",
            cycle.id,
            None,
            Some(&serde_json::json!({ "bodies": sent })),
        )?,
    );
    txn.commit().await?;
    Ok(sent)
}

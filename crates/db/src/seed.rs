//! `wpt seed`: an illustrative demo and synthetic data for benchmarks.
//!
//! Both write in one transaction each, with batched inserts, and record one audit
//! entry. The demo's activities say in their descriptions that they are illustrative:
//! they are not the Work Plan's actual activities.

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;
use wpt_domain::actor::AdminGrant;
use wpt_domain::{AssignmentRole, Grant, ProgressStatus, Role};

use crate::audit::{AuditAction, Change};
use crate::auth::{PasswordHasher, tokens};
use crate::entities::{
    activity, activity_assignment, milestone, plan_participation, progress_update, sectoral_body,
    thematic_area, user, work_plan,
};
use crate::{Database, DbError, DbResult};

/// The plan the demo and synthetic data fill.
pub const PLAN_CODE: &str = "MSWP-TIP-2023-2028";
/// Rows per multi-row INSERT (well under SQLite's parameter limit).
const BATCH: usize = 400;

/// A login the demo created.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Body code for officers.
    pub body: Option<String>,
}

/// What `seed --demo` made.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// The accounts.
    pub logins: Vec<DemoLogin>,
    /// Their shared password.
    pub password: String,
    /// How many activities.
    pub activities: usize,
}

struct PlanContext {
    plan_id: Uuid,
    areas: Vec<(String, Uuid)>,
    bodies: Vec<(String, Uuid)>,
}

async fn plan_context(txn: &DatabaseTransaction) -> DbResult<PlanContext> {
    let plan = work_plan::Entity::find()
        .filter(work_plan::Column::Code.eq(PLAN_CODE))
        .one(txn)
        .await?
        .ok_or(DbError::NotFound(
            "the 2023-2028 work plan (apply the reference data first)",
        ))?;
    let mut areas: Vec<(String, Uuid)> = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| (a.code, a.id))
        .collect();
    areas.sort();
    let mut bodies: Vec<(String, Uuid)> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan.id))
        .find_also_related(sectoral_body::Entity)
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|(_, b)| b.map(|b| (b.code, b.id)))
        .collect();
    bodies.sort();
    Ok(PlanContext {
        plan_id: plan.id,
        areas,
        bodies,
    })
}

/// Illustrative activities: (area, title, description tail, expected outputs).
const DEMO: &[(&str, &str, &str)] = &[
    (
        "A",
        "Regional awareness campaign on online recruitment scams",
        "Campaign materials in ASEAN languages",
    ),
    (
        "A",
        "Pre-departure orientation for migrant workers",
        "Orientation module adopted by labour ministries",
    ),
    (
        "A",
        "School curriculum module on trafficking risks",
        "Module piloted in three member states",
    ),
    (
        "B",
        "Guidelines on victim identification at borders",
        "Guidelines endorsed by SOMTC",
    ),
    (
        "B",
        "Shelter standards for child victims",
        "Minimum standards adopted",
    ),
    (
        "B",
        "Referral pathways for health services to victims",
        "Referral protocol in use",
    ),
    (
        "C",
        "Training of prosecutors on ACTIP offences",
        "200 prosecutors trained",
    ),
    (
        "C",
        "Financial investigation workshop on trafficking proceeds",
        "Regional workshop held",
    ),
    (
        "C",
        "Handbook on mutual legal assistance in TIP cases",
        "Handbook published",
    ),
    (
        "D",
        "Annual regional dialogue with source and destination countries",
        "Dialogue held each year",
    ),
    (
        "D",
        "Data-sharing protocol among immigration authorities",
        "Protocol signed",
    ),
    (
        "D",
        "Joint report on implementation of the Work Plan",
        "Report submitted to AMMTC",
    ),
];

/// Fills the 2023-2028 plan with illustrative activities, accounts and history.
pub async fn demo(db: &Database, hasher: &PasswordHasher) -> DbResult<DemoOutcome> {
    let password = tokens::generate_password()?;
    let hash = hasher.hash(&password).await?;
    let mut txn = db.write().await?;
    if user::Entity::find()
        .filter(user::Column::Email.like("%@demo.wpt"))
        .count(&txn)
        .await?
        > 0
    {
        return Err(DbError::Conflict(
            "the demo data is already loaded (accounts @demo.wpt exist)".into(),
        ));
    }
    let ctx = plan_context(&txn).await?;
    let now = Utc::now();
    let mut logins = vec![
        DemoLogin {
            email: "secretariat@demo.wpt".into(),
            role: Role::Secretariat,
            body: None,
        },
        DemoLogin {
            email: "viewer@demo.wpt".into(),
            role: Role::Viewer,
            body: None,
        },
    ];
    for (code, _) in &ctx.bodies {
        logins.push(DemoLogin {
            email: format!("officer.{}@demo.wpt", code.to_lowercase()),
            role: Role::Officer,
            body: Some(code.clone()),
        });
    }
    let mut officer_of = std::collections::HashMap::new();
    let mut users = Vec::new();
    for l in &logins {
        let id = Uuid::now_v7();
        let body_id = l
            .body
            .as_ref()
            .and_then(|c| ctx.bodies.iter().find(|(b, _)| b == c).map(|(_, id)| *id));
        if let Some(b) = body_id {
            officer_of.insert(b, id);
        }
        users.push(user::ActiveModel {
            id: Set(id),
            email: Set(l.email.clone()),
            name: Set(match &l.body {
                Some(b) => format!("{b} focal point (demo)"),
                None => format!("Demo {}", l.role),
            }),
            role: Set(l.role.as_str().to_owned()),
            body_id: Set(body_id),
            active: Set(true),
            password_hash: Set(hash.clone()),
            time_zone: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    user::Entity::insert_many(users).exec(&txn).await?;

    let today = now.date_naive();
    let mut activities = Vec::new();
    let mut assignments = Vec::new();
    let mut milestones = Vec::new();
    let mut progress = Vec::new();
    let statuses = [
        ProgressStatus::NotStarted,
        ProgressStatus::OnTrack,
        ProgressStatus::OnTrack,
        ProgressStatus::AtRisk,
        ProgressStatus::Delayed,
        ProgressStatus::Completed,
    ];
    for (i, (area, title, outputs)) in DEMO.iter().enumerate() {
        let area_id = ctx
            .areas
            .iter()
            .find(|(c, _)| c == area)
            .map(|(_, id)| *id)
            .ok_or(DbError::NotFound("area"))?;
        let id = Uuid::now_v7();
        let n = i + 1;
        let lead = &ctx.bodies[i % ctx.bodies.len()];
        let coop = &ctx.bodies[(i + 3) % ctx.bodies.len()];
        let start = NaiveDate::from_ymd_opt(2024, 1 + (i as u32 % 6), 1).unwrap_or(today);
        let end = start + Duration::days(if i % 4 == 0 { 500 } else { 1200 });
        let mut assigned = vec![(lead.1, AssignmentRole::Lead)];
        if coop.1 != lead.1 {
            assigned.push((coop.1, AssignmentRole::Cooperating));
        }
        let mut last_progress = None;
        for (j, (body_id, role)) in assigned.iter().enumerate() {
            let author = officer_of.get(body_id).copied().unwrap_or_default();
            let mut latest = None;
            // Six months of monthly updates, older first.
            for month in 0..6i64 {
                let status = statuses[(i + j + month as usize) % statuses.len()];
                let status = if status == ProgressStatus::Completed && month < 5 {
                    ProgressStatus::OnTrack
                } else {
                    status
                };
                let at = now - Duration::days(30 * (6 - month));
                let pct = i32::try_from((month + 1) * 15).unwrap_or(0).min(100);
                progress.push(progress_update::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    activity_id: Set(id),
                    body_id: Set(*body_id),
                    status: Set(status.as_str().to_owned()),
                    percent_complete: Set(Some(pct)),
                    narrative: Set(format!("Illustrative update {} for {title}", month + 1)),
                    challenges: Set((status == ProgressStatus::Delayed)
                        .then(|| "Funding for the regional meeting is pending".to_owned())),
                    next_steps: Set(Some("Continue as planned".to_owned())),
                    evidence_urls: Set(serde_json::json!([])),
                    author_id: Set(author),
                    created_at: Set(at),
                    from_cycle_id: Set(None),
                });
                latest = Some((status, pct, at));
            }
            let (status, pct, at) = latest.unwrap_or((ProgressStatus::NotStarted, 0, now));
            last_progress = Some(at);
            assignments.push(activity_assignment::ActiveModel {
                id: Set(Uuid::now_v7()),
                activity_id: Set(id),
                body_id: Set(*body_id),
                role: Set(role.as_str().to_owned()),
                created_at: Set(now),
                latest_status: Set(Some(status.as_str().to_owned())),
                latest_percent: Set(Some(pct)),
                latest_reported_at: Set(Some(at)),
                ..Default::default()
            });
        }
        for (k, label) in [
            "Concept note agreed",
            "Regional workshop held",
            "Guidelines endorsed by SOMTC",
        ]
        .iter()
        .enumerate()
        {
            let due = start + Duration::days(150 * (k as i64 + 1));
            let done = due < today && (i + k) % 3 != 0;
            milestones.push(milestone::ActiveModel {
                id: Set(Uuid::now_v7()),
                activity_id: Set(id),
                title: Set((*label).to_owned()),
                due_on: Set(due),
                completed_on: Set(done.then_some(due)),
                note: Set(done.then(|| "Illustrative".to_owned())),
                completed_by: Set(
                    done.then(|| officer_of.get(&lead.1).copied().unwrap_or_default())
                ),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        activities.push(activity::ActiveModel {
            id: Set(id),
            work_plan_id: Set(ctx.plan_id),
            area_id: Set(area_id),
            code: Set(format!("{area}.demo.{n}")),
            title: Set((*title).to_owned()),
            description: Set(Some(format!("Illustrative example for the demo, not an activity of the actual Work Plan. {title}."))),
            actip_reference: Set(Some(format!("APA {area}.{}", n % 5 + 1))),
            expected_outputs: Set(Some((*outputs).to_owned())),
            planned_start: Set(Some(start)),
            planned_end: Set(Some(end)),
            archived_at: Set(None),
            last_progress_at: Set(last_progress),
            signal_override: Set(None),
            signal_override_reason: Set(None),
            signal_override_by: Set(None),
            signal_override_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    let count = activities.len();
    insert_batches(&txn, activities, assignments, milestones, progress).await?;
    let summary = serde_json::json!({ "activities": count, "accounts": logins.len() });
    txn.record(
        AdminGrant::system().actor_id(),
        Change::new::<(), _>(
            AuditAction::SeedDemo,
            "work_plan",
            ctx.plan_id,
            None,
            Some(&summary),
        )?,
    );
    txn.commit().await?;
    // Closed past cycles with accepted reports and a conversation (issue 19).
    crate::seed_history::past_cycles(db, ctx.plan_id).await?;
    Ok(DemoOutcome {
        logins,
        password,
        activities: count,
    })
}

async fn insert_batches(
    txn: &DatabaseTransaction,
    activities: Vec<activity::ActiveModel>,
    assignments: Vec<activity_assignment::ActiveModel>,
    milestones: Vec<milestone::ActiveModel>,
    progress: Vec<progress_update::ActiveModel>,
) -> DbResult<()> {
    for chunk in activities.chunks(BATCH) {
        activity::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    for chunk in assignments.chunks(BATCH) {
        activity_assignment::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    for chunk in milestones.chunks(BATCH) {
        milestone::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    for chunk in progress.chunks(BATCH) {
        progress_update::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Generates `n` activities with about ten progress updates each (for benchmarks).
/// Officer accounts `synthetic.<body>@wpt.local` are created when missing, with a
/// random password nobody knows (`wpt user set-password` gives them one).
pub async fn synthetic(db: &Database, hasher: &PasswordHasher, n: usize) -> DbResult<usize> {
    let hash = hasher.hash(&tokens::generate_password()?).await?;
    let mut txn = db.write().await?;
    let ctx = plan_context(&txn).await?;
    if ctx.areas.is_empty() || ctx.bodies.is_empty() {
        return Err(DbError::Conflict("the plan has no areas or bodies".into()));
    }
    let now = Utc::now();
    let mut authors = Vec::new();
    let mut new_users = Vec::new();
    for (code, body_id) in &ctx.bodies {
        let email = format!("synthetic.{}@wpt.local", code.to_lowercase());
        let existing = user::Entity::find()
            .filter(user::Column::Email.eq(&email))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(u) => u.id,
            None => {
                let id = Uuid::now_v7();
                new_users.push(user::ActiveModel {
                    id: Set(id),
                    email: Set(email),
                    name: Set(format!("{code} synthetic officer")),
                    role: Set(Role::Officer.as_str().to_owned()),
                    body_id: Set(Some(*body_id)),
                    active: Set(true),
                    password_hash: Set(hash.clone()),
                    time_zone: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                id
            }
        };
        authors.push(id);
    }
    if !new_users.is_empty() {
        user::Entity::insert_many(new_users).exec(&txn).await?;
    }
    let offset = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(ctx.plan_id))
        .count(&txn)
        .await? as usize;
    let words = [
        "prevention",
        "protection",
        "prosecution",
        "cooperation",
        "migrant",
        "border",
        "victim",
        "recruitment",
        "online",
        "labour",
        "child",
        "shelter",
        "training",
        "data",
        "referral",
    ];
    let statuses = ProgressStatus::ALL;
    let today = now.date_naive();
    let (mut activities, mut assignments, mut milestones, mut progress) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let k = offset + i;
        let (area_code, area_id) = &ctx.areas[k % ctx.areas.len()];
        let id = Uuid::now_v7();
        let lead = k % ctx.bodies.len();
        let mut bodies = vec![(lead, AssignmentRole::Lead)];
        for extra in 1..=(k % 3) {
            bodies.push((
                (lead + extra * 3) % ctx.bodies.len(),
                AssignmentRole::Cooperating,
            ));
        }
        bodies.dedup_by_key(|(b, _)| *b);
        let start =
            NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or(today) + Duration::days((k % 700) as i64);
        let end = start + Duration::days(180 + (k % 900) as i64);
        let mut last = None;
        for (j, (b, role)) in bodies.iter().enumerate() {
            let updates = if j == 0 { 6 } else { 4 };
            let mut latest = None;
            for u in 0..updates {
                let status = statuses[(k + j + u) % statuses.len()];
                let at = now
                    - Duration::days(((updates - u) * 20) as i64)
                    - Duration::seconds((k % 86_400) as i64);
                let pct = ((u + 1) * 100 / updates) as i32;
                progress.push(progress_update::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    activity_id: Set(id),
                    body_id: Set(ctx.bodies[*b].1),
                    status: Set(status.as_str().to_owned()),
                    percent_complete: Set(Some(pct)),
                    narrative: Set(format!(
                        "Synthetic update {u} on {} work",
                        words[(k + u) % words.len()]
                    )),
                    challenges: Set(None),
                    next_steps: Set(None),
                    evidence_urls: Set(serde_json::json!([])),
                    author_id: Set(authors[*b]),
                    created_at: Set(at),
                    from_cycle_id: Set(None),
                });
                latest = Some((status, pct, at));
            }
            let (status, pct, at) = latest.unwrap_or((ProgressStatus::NotStarted, 0, now));
            last = Some(last.map_or(at, |l: chrono::DateTime<Utc>| l.max(at)));
            assignments.push(activity_assignment::ActiveModel {
                id: Set(Uuid::now_v7()),
                activity_id: Set(id),
                body_id: Set(ctx.bodies[*b].1),
                role: Set(role.as_str().to_owned()),
                created_at: Set(now),
                latest_status: Set(Some(status.as_str().to_owned())),
                latest_percent: Set(Some(pct)),
                latest_reported_at: Set(Some(at)),
                ..Default::default()
            });
        }
        for m in 0..2i64 {
            let due = start + Duration::days(120 * (m + 1));
            let done = due < today && k.is_multiple_of(2);
            milestones.push(milestone::ActiveModel {
                id: Set(Uuid::now_v7()),
                activity_id: Set(id),
                title: Set(format!("Synthetic milestone {}", m + 1)),
                due_on: Set(due),
                completed_on: Set(done.then_some(due)),
                note: Set(None),
                completed_by: Set(done.then(|| authors[lead])),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        activities.push(activity::ActiveModel {
            id: Set(id),
            work_plan_id: Set(ctx.plan_id),
            area_id: Set(*area_id),
            code: Set(format!("{area_code}.syn.{k}")),
            title: Set(format!(
                "Synthetic {} {} activity {k}",
                words[k % words.len()],
                words[(k / 7) % words.len()]
            )),
            description: Set(Some(format!(
                "Synthetic benchmark data about {} and {}.",
                words[(k / 3) % words.len()],
                words[(k / 11) % words.len()]
            ))),
            actip_reference: Set(Some(format!("ACTIP Art. {}", k % 30 + 1))),
            expected_outputs: Set(Some(format!("Synthetic output {k}"))),
            planned_start: Set(Some(start)),
            planned_end: Set(Some(end)),
            archived_at: Set(None),
            last_progress_at: Set(last),
            signal_override: Set(None),
            signal_override_reason: Set(None),
            signal_override_by: Set(None),
            signal_override_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
        if activities.len() >= 2000 {
            insert_batches(
                &txn,
                std::mem::take(&mut activities),
                std::mem::take(&mut assignments),
                std::mem::take(&mut milestones),
                std::mem::take(&mut progress),
            )
            .await?;
        }
    }
    insert_batches(&txn, activities, assignments, milestones, progress).await?;
    txn.record(
        None,
        Change::new::<(), _>(
            AuditAction::SeedSynthetic,
            "work_plan",
            ctx.plan_id,
            None,
            Some(&serde_json::json!({ "activities": n })),
        )?,
    );
    txn.commit().await?;
    // A bulk load leaves the planner's statistics behind (PostgreSQL's autovacuum gets
    // to it eventually): without this the summary took 170 ms instead of about 60 ms
    // on 10,000 activities.
    sea_orm::ConnectionTrait::execute_unprepared(db.conn(), "ANALYZE").await?;
    Ok(n)
}

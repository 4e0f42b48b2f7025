//! The database half of the delivery worker (`wpt serve`, crates/server/src/mail.rs):
//! lease due outbox rows, mark them sent or failed, gather daily digests. Every change
//! goes through the one write path; none is audited (sending mail changes no record).
//!
//! A lease is `lease_until` + `leased_by` on the row. On PostgreSQL the due rows are
//! selected `FOR UPDATE SKIP LOCKED`, so two instances leasing at once take different
//! rows; on SQLite the write's `BEGIN IMMEDIATE` serializes leasing. A worker that dies
//! mid-send leaves a lease that runs out, and the row is sent again with the same
//! `Message-ID` (recognisable as a resend).

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::OutboxStatus;

use super::render::{self, DigestLine};
use crate::entities::{outbox, user};
use crate::{Backend, Database, DbResult};

/// A leased message, ready to send.
pub type Leased = outbox::Model;

/// What happened to an attempt that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Queued again for `next_attempt_at`.
    Retry(DateTime<Utc>),
    /// Given up: permanent error or older than the give-up time.
    Failed,
    /// The lease had passed to another worker; nothing changed.
    LeaseLost,
}

/// Leases at most `limit` due rows for `worker` for `lease_for`.
pub async fn lease(
    db: &Database,
    worker: &str,
    now: DateTime<Utc>,
    lease_for: Duration,
    limit: u64,
) -> DbResult<Vec<Leased>> {
    let now = now.trunc_subsecs(6);
    let w = db.write().await?;
    let mut q = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Status.eq(OutboxStatus::Queued.as_str()))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(outbox::Column::LeaseUntil.is_null())
                .add(outbox::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit);
    if db.backend() == Backend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<Uuid> = q.into_tuple().all(&*w).await?;
    if ids.is_empty() {
        w.rollback().await?;
        return Ok(Vec::new());
    }
    let until = now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::minutes(5));
    outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseUntil, Expr::value(until))
        .col_expr(outbox::Column::LeasedBy, Expr::value(worker.to_owned()))
        .filter(outbox::Column::Id.is_in(ids.clone()))
        .exec(&*w)
        .await?;
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .all(&*w)
        .await?;
    w.commit().await?;
    Ok(rows)
}

/// What the bodies of a sent security message that carried a link become.
pub const REMOVED_BODY: &str = "(security message; content removed after sending)";

/// Whether messages of `kind` carry a secret link (invitation, password reset).
fn carries_secret(kind: &str) -> bool {
    kind == wpt_domain::NoticeKind::Invitation.as_str()
        || kind == wpt_domain::NoticeKind::PasswordReset.as_str()
}

/// Renews `worker`'s lease of `row` for `lease_for` just before sending it, if it still
/// holds it (leased by it and not run out); whether it does. A row whose lease ran out
/// may have been leased by another worker, and must not be sent twice.
pub async fn renew_lease(
    db: &Database,
    row: &Leased,
    worker: &str,
    now: DateTime<Utc>,
    lease_for: Duration,
) -> DbResult<bool> {
    let now = now.trunc_subsecs(6);
    let until = now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::minutes(5));
    let w = db.write().await?;
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::LeaseUntil, Expr::value(until))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::LeasedBy.eq(worker))
        .filter(outbox::Column::LeaseUntil.gt(now))
        .filter(outbox::Column::Status.eq(OutboxStatus::Queued.as_str()))
        .exec(&*w)
        .await?;
    w.commit().await?;
    Ok(res.rows_affected == 1)
}

/// Marks `row` sent (when `worker` still holds its lease); whether it did.
pub async fn mark_sent(db: &Database, row: &Leased, worker: &str) -> DbResult<bool> {
    let w = db.write().await?;
    let mut q = outbox::Entity::update_many();
    if carries_secret(&row.kind) {
        // The link in the body works (once) until used: not kept after sending.
        q = q
            .col_expr(outbox::Column::TextBody, Expr::value(REMOVED_BODY))
            .col_expr(outbox::Column::HtmlBody, Expr::value(REMOVED_BODY));
    }
    let res = q
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Sent.as_str()),
        )
        .col_expr(
            outbox::Column::SentAt,
            Expr::value(Utc::now().trunc_subsecs(6)),
        )
        .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(outbox::Column::LastError, Expr::value(None::<String>))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::LeasedBy.eq(worker))
        .filter(outbox::Column::Status.eq(OutboxStatus::Queued.as_str()))
        .exec(&*w)
        .await?;
    w.commit().await?;
    Ok(res.rows_affected == 1)
}

/// Records a failed attempt at `row`: retried after `retry * 2^attempts` (at most six
/// hours) unless `permanent` or the row is older than `give_up`, then failed.
pub async fn mark_attempt_failed(
    db: &Database,
    row: &Leased,
    worker: &str,
    error: &str,
    permanent: bool,
    retry: Duration,
    give_up: Duration,
) -> DbResult<Outcome> {
    let now = Utc::now().trunc_subsecs(6);
    let attempts = row.attempts + 1;
    let exp = u32::try_from(row.attempts.clamp(0, 16)).unwrap_or(16);
    let wait = retry
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(6 * 3600));
    let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6));
    let too_old = chrono::Duration::from_std(give_up).is_ok_and(|g| next - row.created_at > g);
    let (status, outcome) = if permanent || too_old {
        (OutboxStatus::Failed, Outcome::Failed)
    } else {
        (OutboxStatus::Queued, Outcome::Retry(next))
    };
    let mut error = error.to_owned();
    if error.len() > 1000 {
        let mut cut = 1000;
        while !error.is_char_boundary(cut) {
            cut -= 1;
        }
        error.truncate(cut);
    }
    let w = db.write().await?;
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status.as_str()))
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::LeasedBy.eq(worker))
        .filter(outbox::Column::Status.eq(OutboxStatus::Queued.as_str()))
        .exec(&*w)
        .await?;
    w.commit().await?;
    Ok(if res.rows_affected == 1 {
        outcome
    } else {
        Outcome::LeaseLost
    })
}

/// The daily digests due at `now` with digests sent at `hour` (UTC): for each user with
/// rows held for the digest from before today's digest time, one queued message listing
/// them (written once per user and day, whichever instance gets there first), the held
/// rows marked `digested`. Nothing before the hour. The number of digests written.
pub async fn gather_digests(db: &Database, now: DateTime<Utc>, hour: u32) -> DbResult<usize> {
    let Some(cutoff) = now
        .date_naive()
        .and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc())
    else {
        return Ok(0);
    };
    if now < cutoff {
        return Ok(0);
    }
    let w = db.write().await?;
    let held = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(OutboxStatus::Digest.as_str()))
        .filter(outbox::Column::CreatedAt.lt(cutoff))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(&*w)
        .await?;
    if held.is_empty() {
        w.rollback().await?;
        return Ok(0);
    }
    let users: Vec<Uuid> = held.iter().filter_map(|r| r.recipient_user_id).collect();
    let names: std::collections::HashMap<Uuid, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .filter(user::Column::Id.is_in(users))
        .into_tuple::<(Uuid, String)>()
        .all(&*w)
        .await?
        .into_iter()
        .collect();
    let mut by_user: std::collections::BTreeMap<(Uuid, String), Vec<DigestLine>> =
        Default::default();
    for r in &held {
        let Some(u) = r.recipient_user_id else {
            continue;
        };
        by_user
            .entry((u, r.to_address.clone()))
            .or_default()
            .push(DigestLine {
                title: r
                    .subject
                    .strip_prefix(render::PREFIX)
                    .unwrap_or(&r.subject)
                    .trim()
                    .to_owned(),
            });
    }
    let cfg = db.mail_config().clone();
    // The real time, not `now` (which only decides which digests are due).
    let stamp = Utc::now().trunc_subsecs(6);
    let day = now.date_naive();
    let mut rows = Vec::new();
    for ((u, address), lines) in &by_user {
        let name = names.get(u).map_or("", String::as_str);
        let m = render::digest(&cfg, name, lines);
        let id = Uuid::now_v7();
        rows.push(outbox::ActiveModel {
            id: Set(id),
            kind: Set(wpt_domain::NoticeKind::Digest.as_str().to_owned()),
            recipient_user_id: Set(Some(*u)),
            to_address: Set(address.clone()),
            subject: Set(m.subject),
            text_body: Set(m.text),
            html_body: Set(m.html),
            message_id: Set(format!("<{id}@{}>", cfg.message_host())),
            dedupe_key: Set(Some(format!("digest:{u}:{day}"))),
            status: Set(OutboxStatus::Queued.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(stamp),
            lease_until: Set(None),
            leased_by: Set(None),
            last_error: Set(None),
            created_at: Set(stamp),
            sent_at: Set(None),
        });
    }
    let n = rows.len();
    outbox::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([outbox::Column::DedupeKey])
        .exec_without_returning(&*w)
        .await?;
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Digested.as_str()),
        )
        .filter(outbox::Column::Id.is_in(held.iter().map(|r| r.id).collect::<Vec<_>>()))
        .filter(outbox::Column::Status.eq(OutboxStatus::Digest.as_str()))
        .exec(&*w)
        .await?;
    w.commit().await?;
    Ok(n)
}

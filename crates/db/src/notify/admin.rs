//! The outbox as administrators see it: the list (filtered by status, newest first) and
//! retrying a failed message.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use wpt_domain::actor::{AdminGrant, Grant};
use wpt_domain::models::{OutboxMessage, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::{OutboxStatus, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::outbox;
use crate::paging::{TryMapPage, paginate};
use crate::{Database, DbError, DbResult, stored};

fn cursor_key(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Outbox messages, newest first, optionally of one status: one query.
pub async fn list(
    db: &Database,
    _grant: &AdminGrant,
    status: Option<OutboxStatus>,
    page: &PageRequest,
) -> DbResult<Page<OutboxMessage>> {
    let mut cond = Condition::all();
    if let Some(s) = status {
        cond = cond.add(outbox::Column::Status.eq(s.as_str()));
    }
    if let Some(after) = &page.after {
        let at = DateTime::parse_from_rfc3339(&after.key)
            .map_err(|_| {
                let mut e = ValidationErrors::new();
                e.add("cursor", "is not a cursor this server issued");
                DbError::Validation(e)
            })?
            .with_timezone(&Utc);
        cond = cond.add(
            Condition::any().add(outbox::Column::CreatedAt.lt(at)).add(
                Condition::all()
                    .add(outbox::Column::CreatedAt.eq(at))
                    .add(outbox::Column::Id.lt(after.id)),
            ),
        );
    }
    let rows = outbox::Entity::find()
        .filter(cond)
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    paginate(rows, page.limit, |r| Cursor {
        key: cursor_key(&r.created_at),
        id: r.id,
    })?
    .try_map(to_model)
}

/// Every outbox row, oldest first (for tests and `wpt` commands).
pub async fn all_rows(db: &Database) -> DbResult<Vec<outbox::Model>> {
    Ok(outbox::Entity::find()
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .all(db.conn())
        .await?)
}

fn to_model(r: outbox::Model) -> DbResult<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.id,
        kind: stored(&r.kind)?,
        to_address: r.to_address,
        recipient_user_id: r.recipient_user_id,
        subject: r.subject,
        status: stored(&r.status)?,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        last_error: r.last_error,
        message_id: r.message_id,
        created_at: r.created_at,
        sent_at: r.sent_at,
    })
}

/// Queues a failed message again, due now (same row, same `Message-ID`); audited as
/// `outbox.retry`. 404 for no such message, 409 unless it failed.
pub async fn retry(db: &Database, grant: &AdminGrant, id: Uuid) -> DbResult<OutboxMessage> {
    let mut w = db.write().await?;
    let row = outbox::Entity::find_by_id(id)
        .one(&*w)
        .await?
        .ok_or(DbError::NotFound("outbox message"))?;
    if row.status != OutboxStatus::Failed.as_str() {
        return Err(DbError::InvalidTransition(format!(
            "only a failed message can be retried; this one is {}",
            row.status
        )));
    }
    let done = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(OutboxStatus::Queued.as_str()),
        )
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(Utc::now().trunc_subsecs(6)),
        )
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed.as_str()))
        .exec(&*w)
        .await?;
    if done.rows_affected != 1 {
        return Err(DbError::InvalidTransition(
            "the message was retried by someone else at the same time".into(),
        ));
    }
    let after = outbox::Entity::find_by_id(id)
        .one(&*w)
        .await?
        .ok_or(DbError::NotFound("outbox message"))?;
    let view = to_model(after)?;
    w.record(
        grant.actor_id(),
        Change::new(
            AuditAction::OutboxRetry,
            "outbox",
            id,
            Some(&serde_json::json!({ "status": row.status, "attempts": row.attempts, "last_error": row.last_error })),
            Some(&serde_json::json!({ "status": "queued" })),
        )?,
    );
    w.commit().await?;
    Ok(view)
}

//! The caller's in-app inbox and e-mail setting. Every query is about the caller's own
//! rows (`user_id` is part of it): another user's notification ids find nothing.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::Actor;
use wpt_domain::models::{Notification, NotificationPage, NotificationSettings};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::{EmailSetting, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::{notification, notification_setting};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, stored};

/// The most ids one mark-read request may name.
pub const MAX_IDS: usize = 200;

fn cursor_key(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The caller's notifications, newest first, with the unread count: two queries.
pub async fn list(db: &Database, actor: &Actor, page: &PageRequest) -> DbResult<NotificationPage> {
    let mut cond = Condition::all().add(notification::Column::UserId.eq(actor.user_id));
    if let Some(after) = &page.after {
        let at = DateTime::parse_from_rfc3339(&after.key)
            .map_err(|_| {
                let mut e = ValidationErrors::new();
                e.add("cursor", "is not a cursor this server issued");
                DbError::Validation(e)
            })?
            .with_timezone(&Utc);
        cond = cond.add(
            Condition::any()
                .add(notification::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(notification::Column::CreatedAt.eq(at))
                        .add(notification::Column::Id.lt(after.id)),
                ),
        );
    }
    let rows = notification::Entity::find()
        .filter(cond)
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |n| Cursor {
        key: cursor_key(&n.created_at),
        id: n.id,
    })?;
    let unread_count = unread(db, actor.user_id).await?;
    Ok(NotificationPage {
        items: page
            .items
            .into_iter()
            .map(to_model)
            .collect::<DbResult<_>>()?,
        next_cursor: page.next_cursor,
        unread_count,
    })
}

/// How many of `user`'s notifications are unread: one query (the bell in the pages).
pub async fn unread(db: &Database, user: Uuid) -> DbResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user))
        .filter(notification::Column::ReadAt.is_null())
        .count(db.conn())
        .await?)
}

fn to_model(n: notification::Model) -> DbResult<Notification> {
    Ok(Notification {
        id: n.id,
        kind: stored(&n.kind)?,
        title: n.title,
        body: n.body,
        link: n.link,
        created_at: n.created_at,
        read_at: n.read_at,
    })
}

/// Which of the caller's notifications to mark read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkRead {
    /// These (ids of other users' notifications change nothing).
    Ids(Vec<Uuid>),
    /// Every unread one.
    All,
}

/// Marks the caller's notifications read; how many changed. Not audited: reading one's
/// own notifications changes no record anyone else relies on.
pub async fn mark_read(db: &Database, actor: &Actor, which: MarkRead) -> DbResult<u64> {
    if let MarkRead::Ids(ids) = &which {
        if ids.len() > MAX_IDS {
            let mut e = ValidationErrors::new();
            e.add("ids", format!("must name at most {MAX_IDS} notifications"));
            return Err(DbError::Validation(e));
        }
        if ids.is_empty() {
            return Ok(0);
        }
    }
    let w = db.write().await?;
    let mut q = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            Expr::value(Utc::now().trunc_subsecs(6)),
        )
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let MarkRead::Ids(ids) = which {
        q = q.filter(notification::Column::Id.is_in(ids));
    }
    let n = q.exec(&*w).await?.rows_affected;
    w.commit().await?;
    Ok(n)
}

/// The caller's e-mail setting (`immediate` until they choose).
pub async fn settings(db: &Database, user: Uuid) -> DbResult<NotificationSettings> {
    let row = notification_setting::Entity::find_by_id(user)
        .one(db.conn())
        .await?;
    Ok(NotificationSettings {
        email: match row {
            Some(r) => stored(&r.email)?,
            None => EmailSetting::Immediate,
        },
    })
}

/// Sets the caller's e-mail setting; audited as `notification.settings`.
pub async fn set_settings(
    db: &Database,
    actor: &Actor,
    email: EmailSetting,
) -> DbResult<NotificationSettings> {
    let mut w = db.write().await?;
    let before = notification_setting::Entity::find_by_id(actor.user_id)
        .one(&*w)
        .await?
        .map(|r| r.email)
        .unwrap_or_else(|| EmailSetting::Immediate.as_str().to_owned());
    notification_setting::Entity::insert(notification_setting::ActiveModel {
        user_id: Set(actor.user_id),
        email: Set(email.as_str().to_owned()),
        updated_at: Set(Utc::now().trunc_subsecs(6)),
    })
    .on_conflict(
        OnConflict::column(notification_setting::Column::UserId)
            .update_columns([
                notification_setting::Column::Email,
                notification_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*w)
    .await?;
    w.record(
        Some(actor.user_id),
        Change::new(
            AuditAction::NotificationSettings,
            "user",
            actor.user_id,
            Some(&serde_json::json!({ "email": before })),
            Some(&serde_json::json!({ "email": email.as_str() })),
        )?,
    );
    w.commit().await?;
    Ok(NotificationSettings { email })
}

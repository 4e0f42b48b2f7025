//! Review conversations: comments on a body's report for a cycle (issue 19).
//!
//! Who takes part is the one policy's ([`policy::sees_conversation`], [`Act::Comment`],
//! [`Act::ResolveComment`]): the secretariat, administrators and that body's officers;
//! viewers and other bodies' officers get 404. Comments are append-only (never edited
//! or deleted) and hang on the submission, so a thread runs through return,
//! resubmission and acceptance and stays readable after the cycle closes; they are not
//! part of the report's entries, its edition or its exports. A new comment tells the
//! other side (the secretariat, or the body's officers) through the notices.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::models::conversation::COMMENT_MAX_CHARS;
use wpt_domain::models::{Comment, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::policy::{self, Act, Refusal};
use wpt_domain::validation::check_text;
use wpt_domain::{Actor, NoticeKind, Role, ValidationErrors};

use super::submissions::{Found, find_submission, granted};
use crate::audit::{AuditAction, Change};
use crate::entities::{activity, submission_comment, submission_entry, user};
use crate::notify::{Notice, Recipients};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

/// The most comments a page's thread shows (the API pages through any number).
pub const THREAD_LIMIT: u64 = 500;

/// What a new comment says and where it hangs.
#[derive(Debug, Clone, Default)]
pub struct CommentInput {
    /// The comment (1 to 4,000 characters).
    pub text: String,
    /// The entry (activity) it is about; `None` for the whole report.
    pub activity_id: Option<Uuid>,
    /// The comment it answers (any comment of the thread; stored as the thread's first).
    pub reply_to: Option<Uuid>,
}

/// The submission of `body_code` in `cycle_id` if `actor` takes part in its
/// conversation (404 otherwise, as for a report that does not exist).
async fn find_conversation(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<Found> {
    let found = find_submission(db, cycle_id, body_code).await?;
    if !policy::sees_conversation(actor, found.facts.body_id) {
        return Err(Refusal::Hidden.into());
    }
    Ok(found)
}

/// A page of the report's conversation, oldest first.
pub async fn comments(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    page: &PageRequest,
) -> DbResult<Page<Comment>> {
    let found = find_conversation(db.conn(), actor, cycle_id, body_code).await?;
    let mut query = submission_comment::Entity::find()
        .filter(submission_comment::Column::SubmissionId.eq(found.sub.id));
    if let Some(after) = &page.after {
        query = query.filter(submission_comment::Column::Id.gt(after.id));
    }
    let rows = query
        .order_by_asc(submission_comment::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    })?;
    let items = views(db.conn(), &found, body_code, page.items).await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The report's whole conversation for a page (at most [`THREAD_LIMIT`] comments),
/// oldest first, with whether `actor` may write in it now.
pub async fn conversation(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
) -> DbResult<(Vec<Comment>, bool)> {
    let found = find_conversation(db.conn(), actor, cycle_id, body_code).await?;
    let rows = submission_comment::Entity::find()
        .filter(submission_comment::Column::SubmissionId.eq(found.sub.id))
        .order_by_asc(submission_comment::Column::Id)
        .limit(THREAD_LIMIT)
        .all(db.conn())
        .await?;
    let writable = policy::decide(actor, &found.facts, Act::Comment, None).is_ok();
    Ok((views(db.conn(), &found, body_code, rows).await?, writable))
}

/// Unresolved threads per submission, for the review queue and the board (one query).
pub async fn unresolved_counts(
    db: &Database,
    submission_ids: &[Uuid],
) -> DbResult<HashMap<Uuid, i64>> {
    let mut counts = HashMap::new();
    if submission_ids.is_empty() {
        return Ok(counts);
    }
    for chunk in submission_ids.chunks(500) {
        let rows: Vec<(Uuid, i64)> = submission_comment::Entity::find()
            .select_only()
            .column(submission_comment::Column::SubmissionId)
            .column_as(submission_comment::Column::Id.count(), "n")
            .filter(submission_comment::Column::SubmissionId.is_in(chunk.to_vec()))
            .filter(submission_comment::Column::ReplyTo.is_null())
            .filter(submission_comment::Column::ResolvedAt.is_null())
            .group_by(submission_comment::Column::SubmissionId)
            .into_tuple()
            .all(db.conn())
            .await?;
        counts.extend(rows);
    }
    Ok(counts)
}

/// Adds a comment to the report's conversation (either side), audited, and tells the
/// other side.
pub async fn add_comment(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    input: CommentInput,
) -> DbResult<Comment> {
    let author = granted(db, actor, cycle_id, body_code, Act::Comment)
        .await?
        .ok_or_else(|| DbError::internal("a comment needs a user as its author"))?;
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "text", &input.text, true, COMMENT_MAX_CHARS);
    let mut txn = db.write().await?;
    let found = find_submission(&txn, cycle_id, body_code).await?;
    policy::decide(actor, &found.facts, Act::Comment, None)?;
    errors.finish()?;
    let sub_id = found.sub.id;
    let mut errors = ValidationErrors::new();
    let mut activity_id = input.activity_id;
    let mut reply_to = None;
    if let Some(parent_id) = input.reply_to {
        let parent = submission_comment::Entity::find_by_id(parent_id)
            .filter(submission_comment::Column::SubmissionId.eq(sub_id))
            .one(&txn)
            .await?;
        match parent {
            None => errors.add("reply_to", "is not a comment of this report's conversation"),
            Some(parent) => {
                // Threads are one level deep: a reply to a reply joins its thread.
                let root = match parent.reply_to {
                    Some(root) => submission_comment::Entity::find_by_id(root)
                        .one(&txn)
                        .await?
                        .ok_or_else(|| DbError::internal("a reply without its thread"))?,
                    None => parent,
                };
                match (activity_id, root.activity_id) {
                    (None, anchor) => activity_id = anchor,
                    (Some(a), Some(b)) if a == b => {}
                    (Some(_), _) => errors.add(
                        "activity_id",
                        "differs from the thread's; a reply stays on its thread's entry",
                    ),
                }
                reply_to = Some(root.id);
            }
        }
    }
    if let Some(a) = input.activity_id {
        let entry = submission_entry::Entity::find()
            .filter(submission_entry::Column::SubmissionId.eq(sub_id))
            .filter(submission_entry::Column::ActivityId.eq(a))
            .one(&txn)
            .await?;
        if entry.is_none() {
            errors.add("activity_id", "is not an activity of this report");
        }
    }
    errors.finish()?;
    let row = submission_comment::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(sub_id),
        activity_id: Set(activity_id),
        reply_to: Set(reply_to),
        author_id: Set(author),
        text: Set(input.text.trim().to_owned()),
        created_at: Set(Utc::now()),
        resolved_at: Set(None),
        resolved_by: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = views(&*txn, &found, body_code, vec![row])
        .await?
        .pop()
        .ok_or_else(|| DbError::internal("the comment just written"))?;
    txn.record(
        Some(author),
        Change::created(
            AuditAction::CommentAdd,
            "submission_comment",
            view.id,
            &view,
        )?,
    );
    // The other side hears of it; the notice names the report, not what was said
    // (mail leaves the tracker).
    let to = if actor.role == Role::Officer {
        Recipients::Secretariat
    } else {
        Recipients::BodyOfficers(found.facts.body_id)
    };
    let on = view
        .activity_code
        .as_deref()
        .map_or_else(String::new, |c| format!(" on {c}"));
    txn.notify(Notice {
        kind: NoticeKind::CommentAdded,
        to,
        subject: format!("New comment on {body_code}'s report{on}"),
        text: format!(
            "{} commented on {body_code}'s report for {}{on}.\n\nRead and answer it on the report's page.",
            view.author_name, found.cycle.name
        ),
        link: format!("/ui/cycles/{cycle_id}/submissions/{body_code}#conversation"),
        dedupe_key: Some(format!("comment:{}", view.id)),
    });
    txn.commit().await?;
    Ok(view)
}

/// Marks a thread resolved (either side), on its first comment; audited.
pub async fn resolve_comment(
    db: &Database,
    actor: &Actor,
    cycle_id: Uuid,
    body_code: &str,
    comment_id: Uuid,
) -> DbResult<Comment> {
    let resolver = granted(db, actor, cycle_id, body_code, Act::ResolveComment)
        .await?
        .ok_or_else(|| DbError::internal("resolving needs a user"))?;
    let mut txn = db.write().await?;
    let found = find_submission(&txn, cycle_id, body_code).await?;
    policy::decide(actor, &found.facts, Act::ResolveComment, None)?;
    let row = submission_comment::Entity::find_by_id(comment_id)
        .filter(submission_comment::Column::SubmissionId.eq(found.sub.id))
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("comment"))?;
    if row.reply_to.is_some() {
        return Err(DbError::Conflict(
            "a reply is not resolved on its own; resolve its thread's first comment".into(),
        ));
    }
    if row.resolved_at.is_some() {
        return Err(DbError::Conflict("the thread is already resolved".into()));
    }
    let before = views(&*txn, &found, body_code, vec![row.clone()])
        .await?
        .pop()
        .ok_or_else(|| DbError::internal("the comment just read"))?;
    let now = Utc::now();
    // Conditional, so two sides resolving at once resolve it once.
    let done = submission_comment::Entity::update_many()
        .col_expr(submission_comment::Column::ResolvedAt, Expr::value(now))
        .col_expr(
            submission_comment::Column::ResolvedBy,
            Expr::value(resolver),
        )
        .filter(submission_comment::Column::Id.eq(comment_id))
        .filter(submission_comment::Column::ResolvedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DbError::Conflict("the thread is already resolved".into()));
    }
    let mut after = before.clone();
    after.resolved_at = Some(now);
    after.resolved_by = Some(resolver);
    txn.record(
        Some(resolver),
        Change::new(
            AuditAction::CommentResolve,
            "submission_comment",
            comment_id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// Rows to read models: the authors' names and roles and the activities' codes in one
/// query each.
async fn views(
    db: &impl ConnectionTrait,
    found: &Found,
    body_code: &str,
    rows: Vec<submission_comment::Model>,
) -> DbResult<Vec<Comment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let user_ids: HashSet<Uuid> = rows.iter().map(|r| r.author_id).collect();
    let users: HashMap<Uuid, (String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .column(user::Column::Role)
        .filter(user::Column::Id.is_in(user_ids))
        .into_tuple::<(Uuid, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, role)| (id, (name, role)))
        .collect();
    let activity_ids: HashSet<Uuid> = rows.iter().filter_map(|r| r.activity_id).collect();
    let codes: HashMap<Uuid, String> = if activity_ids.is_empty() {
        HashMap::new()
    } else {
        activity::Entity::find()
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::Code)
            .filter(activity::Column::Id.is_in(activity_ids))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let (author_name, author_role) = users.get(&r.author_id).cloned().unwrap_or_default();
            Comment {
                id: r.id,
                submission_id: r.submission_id,
                cycle_id: found.cycle.id,
                body: body_code.to_owned(),
                activity_code: r.activity_id.and_then(|a| codes.get(&a).cloned()),
                activity_id: r.activity_id,
                reply_to: r.reply_to,
                author_id: r.author_id,
                author_name,
                author_role,
                text: r.text,
                created_at: r.created_at,
                resolved_at: r.resolved_at,
                resolved_by: r.resolved_by,
            }
        })
        .collect())
}

/// Unresolved threads per body code in a cycle, for the board and the review queue
/// (three queries). Callers show a body's count only to who sees its conversation.
pub async fn unresolved_by_body(db: &Database, cycle_id: Uuid) -> DbResult<HashMap<String, i64>> {
    let subs: Vec<(Uuid, Uuid)> = crate::entities::submission::Entity::find()
        .select_only()
        .column(crate::entities::submission::Column::Id)
        .column(crate::entities::submission::Column::BodyId)
        .filter(crate::entities::submission::Column::CycleId.eq(cycle_id))
        .into_tuple()
        .all(db.conn())
        .await?;
    let of_cycle = sea_orm::sea_query::Query::select()
        .column(crate::entities::submission::Column::Id)
        .from(crate::entities::submission::Entity)
        .and_where(crate::entities::submission::Column::CycleId.eq(cycle_id))
        .to_owned();
    let counts: HashMap<Uuid, i64> = submission_comment::Entity::find()
        .select_only()
        .column(submission_comment::Column::SubmissionId)
        .column_as(submission_comment::Column::Id.count(), "n")
        .filter(submission_comment::Column::SubmissionId.in_subquery(of_cycle))
        .filter(submission_comment::Column::ReplyTo.is_null())
        .filter(submission_comment::Column::ResolvedAt.is_null())
        .group_by(submission_comment::Column::SubmissionId)
        .into_tuple::<(Uuid, i64)>()
        .all(db.conn())
        .await?
        .into_iter()
        .collect();
    let codes = crate::bodies::code_map(db).await?;
    Ok(subs
        .into_iter()
        .filter_map(|(sub, body)| {
            let n = *counts.get(&sub)?;
            Some((codes.get(&body)?.clone(), n))
        })
        .collect())
}

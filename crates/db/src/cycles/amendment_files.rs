//! The files an amendment proposes for its entry (issue 18, item 4). An amendment's
//! `attachment_ids` is the entry's proposed set of files: files already on the entry,
//! and the proposer's own new uploads, which are parked on the amendment
//! (`amendment_attachments`) so the sweep of unattached uploads keeps them while it
//! waits. Who may see a parked file is who may see the amendment (the one policy's
//! [`AttachedTo::Amendment`](wpt_domain::policy::AttachedTo)). Accepted: the entry's
//! files become the proposed set (files dropped from it are unattached, and swept like
//! any file dropped from an entry); rejected: the parked files are unattached uploads
//! again, their 24 hours before the sweep counted from the decision. Either way the
//! amendment's parking rows go.

use std::collections::{HashMap, HashSet};

use chrono::SubsecRound;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wpt_domain::ValidationErrors;
use wpt_domain::models::Attachment;

use crate::attachments::{free_uploads, order, to_model};
use crate::entities::{amendment, amendment_attachment, attachment, submission_entry};
use crate::{DbError, DbResult, Write};

/// Checks `ids`, the proposed set of files of `entry`, and parks the new ones on the
/// amendment `amendment_id` (already inserted in `txn`): each must be on the entry, or
/// `uploader`'s own upload attached to nothing and proposed by no other amendment. A
/// wrong id is a 422 naming it. The proposed files, in the order of `ids`.
pub(super) async fn park(
    txn: &Write,
    uploader: Uuid,
    entry: Uuid,
    amendment_id: Uuid,
    prefix: &str,
    ids: &[Uuid],
) -> DbResult<Vec<Attachment>> {
    let on_entry: HashSet<Uuid> = on_entry(txn, entry).await?;
    let new: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !on_entry.contains(id))
        .collect();
    if !new.is_empty() {
        let ok = free_uploads(txn, uploader, &new).await?;
        let mut errors = ValidationErrors::new();
        for (i, id) in ids.iter().enumerate() {
            if !on_entry.contains(id) && !ok.contains(id) {
                errors.add(
                    format!("{prefix}attachment_ids[{i}]"),
                    "is neither a file of this entry nor an upload of yours waiting to be \
                     attached (upload the file with POST /api/v1/attachments first; an \
                     upload is kept 24 hours)",
                );
            }
        }
        errors.finish()?;
        let rows: Vec<amendment_attachment::ActiveModel> = new
            .iter()
            .map(|id| amendment_attachment::ActiveModel {
                attachment_id: sea_orm::ActiveValue::Set(*id),
                amendment_id: sea_orm::ActiveValue::Set(amendment_id),
            })
            .collect();
        amendment_attachment::Entity::insert_many(rows)
            .exec_without_returning(&**txn)
            .await
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => DbError::Conflict(
                    "a file was proposed or attached elsewhere at the same moment; try again"
                        .into(),
                ),
                other => other,
            })?;
    }
    let rows = attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(ids.to_vec()))
        .all(&**txn)
        .await?;
    Ok(attached(order(rows, ids)))
}

/// The ids of the files on `entry`.
async fn on_entry(conn: &impl ConnectionTrait, entry: Uuid) -> DbResult<HashSet<Uuid>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::SubmissionEntryId.eq(entry))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Applies the decision on amendment `amendment_id` to the files, in `txn`: accepted
/// with a proposed set `ids` (`None`: no change of files), the files of `entry` become
/// exactly those of `ids` still on the entry or parked on the amendment; then the
/// amendment's parking rows go (rejected: its new files are unattached uploads again).
pub(super) async fn decide(
    txn: &Write,
    amendment_id: Uuid,
    entry: Uuid,
    accepted: Option<&[Uuid]>,
) -> DbResult<()> {
    let parked: HashSet<Uuid> = amendment_attachment::Entity::find()
        .filter(amendment_attachment::Column::AmendmentId.eq(amendment_id))
        .all(&**txn)
        .await?
        .into_iter()
        .map(|r| r.attachment_id)
        .collect();
    if let Some(ids) = accepted {
        let current = on_entry(txn, entry).await?;
        let keep: HashSet<Uuid> = ids.iter().copied().collect();
        let drop: Vec<Uuid> = current.difference(&keep).copied().collect();
        if !drop.is_empty() {
            attachment::Entity::update_many()
                .col_expr(
                    attachment::Column::SubmissionEntryId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(attachment::Column::Id.is_in(drop))
                .exec(&**txn)
                .await?;
        }
        let add: Vec<Uuid> = ids
            .iter()
            .copied()
            .filter(|id| parked.contains(id) && !current.contains(id))
            .collect();
        if !add.is_empty() {
            attachment::Entity::update_many()
                .col_expr(attachment::Column::SubmissionEntryId, Expr::value(entry))
                .filter(attachment::Column::Id.is_in(add))
                .filter(attachment::Column::ProgressUpdateId.is_null())
                .exec(&**txn)
                .await?;
        }
    }
    amendment_attachment::Entity::delete_many()
        .filter(amendment_attachment::Column::AmendmentId.eq(amendment_id))
        .exec(&**txn)
        .await?;
    // A parked file released now (rejected, or left out of the accepted set) is an
    // unattached upload from now: its 24 hours before the sweep start at the decision,
    // not at its upload (the sweep reads `created_at`).
    if !parked.is_empty() {
        attachment::Entity::update_many()
            .col_expr(
                attachment::Column::CreatedAt,
                Expr::value(chrono::Utc::now().trunc_subsecs(6)),
            )
            .filter(attachment::Column::Id.is_in(parked))
            .filter(attachment::Column::SubmissionEntryId.is_null())
            .filter(attachment::Column::ProgressUpdateId.is_null())
            .exec(&**txn)
            .await?;
    }
    Ok(())
}

/// The entry of `row` (its report's entry for its activity).
pub(super) async fn entry_of(
    conn: &impl ConnectionTrait,
    row: &amendment::Model,
) -> DbResult<submission_entry::Model> {
    submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.eq(row.submission_id))
        .filter(submission_entry::Column::ActivityId.eq(row.activity_id))
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("amendment"))
}

/// The proposed files of each of `rows` that still exist (parked on it, or on its
/// entry), in the order of its proposed `attachment_ids`: three queries whatever the
/// number of amendments.
pub(super) async fn proposed_files(
    conn: &impl ConnectionTrait,
    rows: &[(amendment::Model, Option<Vec<Uuid>>)],
) -> DbResult<HashMap<Uuid, Vec<Attachment>>> {
    let mut out = HashMap::new();
    let ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|(_, ids)| ids.as_ref())
        .flatten()
        .copied()
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut files: HashMap<Uuid, attachment::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for r in attachment::Entity::find()
            .filter(attachment::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            files.insert(r.id, r);
        }
    }
    let parked: HashMap<Uuid, Uuid> = amendment_attachment::Entity::find()
        .filter(amendment_attachment::Column::AttachmentId.is_in(files.keys().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.attachment_id, r.amendment_id))
        .collect();
    // The entries the files hang on, as (submission, activity).
    let entry_ids: Vec<Uuid> = files
        .values()
        .filter_map(|f| f.submission_entry_id)
        .collect();
    let entries: HashMap<Uuid, (Uuid, Uuid)> = if entry_ids.is_empty() {
        HashMap::new()
    } else {
        submission_entry::Entity::find()
            .filter(submission_entry::Column::Id.is_in(entry_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|e| (e.id, (e.submission_id, e.activity_id)))
            .collect()
    };
    for (row, ids) in rows {
        let Some(ids) = ids else { continue };
        let list: Vec<Attachment> = ids
            .iter()
            .filter_map(|id| files.get(id))
            .filter(|f| {
                parked.get(&f.id) == Some(&row.id)
                    || f.submission_entry_id
                        .and_then(|e| entries.get(&e))
                        .is_some_and(|k| *k == (row.submission_id, row.activity_id))
            })
            .map(to_model)
            .collect();
        out.insert(row.id, attached(list));
    }
    Ok(out)
}

/// `files` marked as kept (on an entry or parked on an amendment).
fn attached(mut files: Vec<Attachment>) -> Vec<Attachment> {
    for f in &mut files {
        f.attached = true;
    }
    files
}

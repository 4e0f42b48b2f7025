//! Evidence files: the rows that name them. The bytes live in the object store (the API
//! crate's `attachments` module writes them before the row commits, under their
//! SHA-256); this module knows nothing of the store.
//!
//! Who may see a file is the one policy's [`policy::can_see_attachment`]: an unattached
//! upload its uploader only, a file on a progress update whoever may read progress, a
//! file on a report entry whoever may see that report.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::BodyGrant;
use wpt_domain::models::Attachment;
use wpt_domain::policy::{self, AttachedTo, SubmissionFacts};
use wpt_domain::{Actor, Grant, ValidationErrors};

use crate::audit::{AuditAction, Change};
use crate::entities::{
    amendment, amendment_attachment, attachment, reporting_cycle, submission, submission_entry,
};
use crate::{Database, DbError, DbResult, Write, stored};

/// At most this many files per progress update or report entry.
pub const MAX_ATTACHMENTS: usize = 20;

/// How long an upload may wait to be attached before the sweep deletes it.
pub const UNATTACHED_TTL: chrono::Duration = chrono::Duration::hours(24);

/// What the API learnt of an upload it stored: its cleaned name, the type found in its
/// content, its size and its SHA-256 (the object's name).
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// The cleaned file name.
    pub filename: String,
    /// The media type decided by content.
    pub media_type: String,
    /// Size in bytes, more than 0.
    pub size: i64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// The row as the read model.
pub(crate) fn to_model(r: &attachment::Model) -> Attachment {
    Attachment {
        id: r.id,
        filename: r.filename.clone(),
        media_type: r.media_type.clone(),
        size: r.size,
        sha256: r.sha256.clone(),
        created_at: r.created_at,
        attached: r.progress_update_id.is_some() || r.submission_entry_id.is_some(),
    }
}

/// Records an upload whose bytes are already in the store, as the officer's own and
/// not yet attached to anything.
pub async fn create(db: &Database, grant: &BodyGrant, upload: NewUpload) -> DbResult<Attachment> {
    let valid_hash = upload.sha256.len() == 64
        && upload
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if upload.size <= 0 || !valid_hash || upload.filename.is_empty() {
        return Err(DbError::internal("an upload without size, hash or name"));
    }
    let mut txn = db.write().await?;
    let row = attachment::ActiveModel {
        id: Set(Uuid::now_v7()),
        uploader_id: Set(grant.actor_id().unwrap_or_default()),
        filename: Set(upload.filename),
        media_type: Set(upload.media_type),
        size: Set(upload.size),
        sha256: Set(upload.sha256),
        created_at: Set(Utc::now().trunc_subsecs(6)),
        progress_update_id: Set(None),
        submission_entry_id: Set(None),
    }
    .insert(&*txn)
    .await?;
    let view = to_model(&row);
    txn.record(
        grant.actor_id(),
        Change::created(AuditAction::AttachmentUpload, "attachment", row.id, &view)?,
    );
    txn.commit().await?;
    Ok(view)
}

/// The attachment `id` if `actor` may see it (404 otherwise, as for one that does not
/// exist).
pub async fn get(db: &Database, actor: &Actor, id: Uuid) -> DbResult<Attachment> {
    let conn = db.conn();
    let row = attachment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("attachment"))?;
    let on = attached_to(conn, &row).await?;
    if !policy::can_see_attachment(actor, &on) {
        return Err(DbError::NotFound("attachment"));
    }
    let mut view = to_model(&row);
    // Parked on an amendment: kept, not swept.
    view.attached = !matches!(on, AttachedTo::Nothing { .. });
    Ok(view)
}

/// What the row hangs on, with the facts the policy needs.
async fn attached_to(conn: &impl ConnectionTrait, row: &attachment::Model) -> DbResult<AttachedTo> {
    if row.progress_update_id.is_some() {
        return Ok(AttachedTo::ProgressUpdate);
    }
    let Some(entry_id) = row.submission_entry_id else {
        // Proposed by an amendment waiting for its decision?
        if let Some(link) = amendment_attachment::Entity::find_by_id(row.id)
            .one(conn)
            .await?
        {
            let a = amendment::Entity::find_by_id(link.amendment_id)
                .one(conn)
                .await?
                .ok_or(DbError::NotFound("attachment"))?;
            return Ok(AttachedTo::Amendment {
                report: report_facts(conn, a.submission_id).await?,
                status: stored(&a.status)?,
            });
        }
        return Ok(AttachedTo::Nothing {
            uploader_id: row.uploader_id,
        });
    };
    let entry = submission_entry::Entity::find_by_id(entry_id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("attachment"))?;
    Ok(AttachedTo::ReportEntry(
        report_facts(conn, entry.submission_id).await?,
    ))
}

/// The facts of the report `submission_id` the policy decides on.
async fn report_facts(
    conn: &impl ConnectionTrait,
    submission_id: Uuid,
) -> DbResult<SubmissionFacts> {
    let sub = submission::Entity::find_by_id(submission_id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("attachment"))?;
    let cycle = reporting_cycle::Entity::find_by_id(sub.cycle_id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("attachment"))?;
    Ok(SubmissionFacts {
        body_id: sub.body_id,
        status: stored(&sub.status)?,
        cycle_state: stored(&cycle.state)?,
        submitter_id: sub.submitter_id,
        version: sub.version,
    })
}

/// Checks a list of attachment ids: at most [`MAX_ATTACHMENTS`], none twice.
pub fn validate_ids(errors: &mut ValidationErrors, prefix: &str, ids: &[Uuid]) {
    if ids.len() > MAX_ATTACHMENTS {
        errors.add(
            format!("{prefix}attachment_ids"),
            format!("at most {MAX_ATTACHMENTS} files"),
        );
    }
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(id) {
            errors.add(format!("{prefix}attachment_ids[{i}]"), "is listed twice");
        }
    }
}

/// Where a write attaches files.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// A new progress update.
    ProgressUpdate(Uuid),
    /// A report entry (its set of files is replaced).
    Entry(Uuid),
}

/// Makes `ids` exactly the files of `target`, in `txn`: each must be `uploader`'s own
/// upload not attached to anything, or already on `target`; files on `target` not
/// listed are detached (and, no longer attached, swept with the other unattached
/// uploads). A wrong id is a 422 naming it; the caller's write then rolls back.
pub(crate) async fn attach(
    txn: &Write,
    uploader: Uuid,
    target: Target,
    prefix: &str,
    ids: &[Uuid],
) -> DbResult<Vec<Attachment>> {
    let (col, target_id) = match target {
        Target::ProgressUpdate(id) => (attachment::Column::ProgressUpdateId, id),
        Target::Entry(id) => (attachment::Column::SubmissionEntryId, id),
    };
    let current: Vec<attachment::Model> = attachment::Entity::find()
        .filter(col.eq(target_id))
        .all(&**txn)
        .await?;
    let keep: HashSet<Uuid> = ids.iter().copied().collect();
    let drop: Vec<Uuid> = current
        .iter()
        .filter(|r| !keep.contains(&r.id))
        .map(|r| r.id)
        .collect();
    if !drop.is_empty() {
        attachment::Entity::update_many()
            .col_expr(col, Expr::value(Option::<Uuid>::None))
            .filter(attachment::Column::Id.is_in(drop))
            .exec(&**txn)
            .await?;
    }
    let already: HashSet<Uuid> = current.iter().map(|r| r.id).collect();
    let new: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !already.contains(id))
        .collect();
    if !new.is_empty() {
        let ok = free_uploads(txn, uploader, &new).await?;
        let mut errors = ValidationErrors::new();
        for (i, id) in ids.iter().enumerate() {
            if !already.contains(id) && !ok.contains(id) {
                errors.add(
                    format!("{prefix}attachment_ids[{i}]"),
                    "is not an upload of yours waiting to be attached (upload the file with POST /api/v1/attachments first; an upload is kept 24 hours)",
                );
            }
        }
        errors.finish()?;
        let res = attachment::Entity::update_many()
            .col_expr(col, Expr::value(target_id))
            .filter(attachment::Column::Id.is_in(new.clone()))
            .filter(attachment::Column::ProgressUpdateId.is_null())
            .filter(attachment::Column::SubmissionEntryId.is_null())
            .exec(&**txn)
            .await?;
        if res.rows_affected != new.len() as u64 {
            return Err(DbError::Conflict(
                "a file was attached elsewhere at the same moment; try again".into(),
            ));
        }
    }
    let rows = attachment::Entity::find()
        .filter(col.eq(target_id))
        .all(&**txn)
        .await?;
    Ok(order(rows, ids))
}

/// Which of `ids` are `uploader`'s own uploads attached to nothing and not proposed by
/// an amendment (free to attach).
pub(crate) async fn free_uploads(
    txn: &Write,
    uploader: Uuid,
    ids: &[Uuid],
) -> DbResult<HashSet<Uuid>> {
    let parked: HashSet<Uuid> = amendment_attachment::Entity::find()
        .select_only()
        .column(amendment_attachment::Column::AttachmentId)
        .filter(amendment_attachment::Column::AttachmentId.is_in(ids.to_vec()))
        .into_tuple::<Uuid>()
        .all(&**txn)
        .await?
        .into_iter()
        .collect();
    Ok(attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .filter(attachment::Column::Id.is_in(ids.to_vec()))
        .filter(attachment::Column::UploaderId.eq(uploader))
        .filter(attachment::Column::ProgressUpdateId.is_null())
        .filter(attachment::Column::SubmissionEntryId.is_null())
        .into_tuple::<Uuid>()
        .all(&**txn)
        .await?
        .into_iter()
        .filter(|id| !parked.contains(id))
        .collect())
}

/// `rows` as read models, in the order of `ids`.
pub(crate) fn order(rows: Vec<attachment::Model>, ids: &[Uuid]) -> Vec<Attachment> {
    let mut by_id: HashMap<Uuid, attachment::Model> = rows.into_iter().map(|r| (r.id, r)).collect();
    ids.iter()
        .filter_map(|id| by_id.remove(id))
        .map(|r| to_model(&r))
        .collect()
}

/// The files of each progress update in `ids`, oldest first: one query.
pub(crate) async fn of_progress_updates(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<Attachment>>> {
    let mut out: HashMap<Uuid, Vec<Attachment>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut rows = attachment::Entity::find()
        .filter(attachment::Column::ProgressUpdateId.is_in(ids.to_vec()))
        .all(conn)
        .await?;
    rows.sort_by_key(|r| r.id);
    for r in rows {
        if let Some(p) = r.progress_update_id {
            out.entry(p).or_default().push(to_model(&r));
        }
    }
    Ok(out)
}

/// The files of each report entry in `ids`, oldest first: one query per 5000 entries.
pub async fn of_entries(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> DbResult<HashMap<Uuid, Vec<Attachment>>> {
    let mut out: HashMap<Uuid, Vec<Attachment>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // In chunks: a whole cycle's report names every accepted entry.
    let mut rows = Vec::new();
    for chunk in ids.chunks(5000) {
        rows.extend(
            attachment::Entity::find()
                .filter(attachment::Column::SubmissionEntryId.is_in(chunk.to_vec()))
                .all(conn)
                .await?,
        );
    }
    rows.sort_by_key(|r| r.id);
    for r in rows {
        if let Some(e) = r.submission_entry_id {
            out.entry(e).or_default().push(to_model(&r));
        }
    }
    Ok(out)
}

/// Deletes the rows of uploads nobody attached that are older than `before`, in one
/// write audited as the system's `attachment.sweep`; answers how many.
pub async fn sweep_unattached(db: &Database, before: DateTime<Utc>) -> DbResult<u64> {
    let mut txn = db.write().await?;
    let res = attachment::Entity::delete_many()
        .filter(attachment::Column::ProgressUpdateId.is_null())
        .filter(attachment::Column::SubmissionEntryId.is_null())
        .filter(attachment::Column::CreatedAt.lt(before))
        // Kept while an amendment waiting for its decision proposes it.
        .filter(
            attachment::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(amendment_attachment::Column::AttachmentId)
                    .from(amendment_attachment::Entity)
                    .to_owned(),
            ),
        )
        .exec(&*txn)
        .await?;
    if res.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(0);
    }
    txn.record(
        None,
        Change::created(
            AuditAction::AttachmentSweep,
            "attachment",
            "unattached",
            &serde_json::json!({ "deleted": res.rows_affected, "created_before": before }),
        )?,
    );
    txn.commit().await?;
    Ok(res.rows_affected)
}

/// Which of `hashes` some row still names (the sweep keeps those objects).
pub async fn referenced(db: &Database, hashes: &[String]) -> DbResult<HashSet<String>> {
    if hashes.is_empty() {
        return Ok(HashSet::new());
    }
    let mut out = HashSet::new();
    for chunk in hashes.chunks(500) {
        out.extend(
            attachment::Entity::find()
                .select_only()
                .column(attachment::Column::Sha256)
                .filter(attachment::Column::Sha256.is_in(chunk.to_vec()))
                .into_tuple::<String>()
                .all(db.conn())
                .await?,
        );
    }
    Ok(out)
}

/// How many rows name `sha256` (tests and the sweep's report).
pub async fn count_by_hash(db: &Database, sha256: &str) -> DbResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(attachment::Entity::find()
        .filter(attachment::Column::Sha256.eq(sha256))
        .count(db.conn())
        .await?)
}

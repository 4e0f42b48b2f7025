//! The chain: what each entry's hash covers, how the chain is verified, and its head.
//!
//! An entry's `hash` is, by its `hash_kind`:
//!
//! - `hmac-sha256` (every entry written since keying started): HMAC-SHA256 with the
//!   audit key over the canonical JSON array `["hmac-sha256", prev_hash, occurred_at,
//!   actor_id, action, resource_type, resource_id, before, after, request_id,
//!   client_request_id]`. Without the key nobody can recompute it, so rewriting an entry
//!   and every hash after it no longer goes unnoticed.
//! - `sha256` (entries written before keying started): SHA-256 over the canonical JSON
//!   array `[prev_hash, occurred_at, actor_id, action, resource_type, resource_id,
//!   before, after, request_id]`, as they always were.
//!
//! Unkeyed entries are accepted only as the beginning of the chain, and only when a
//! keyed entry follows them (its MAC covers their last hash, and through it all of
//! them): the migration that starts keying appends an `audit.seal` entry right away.
//! An unkeyed entry after a keyed one is `unkeyed_entry`; unkeyed entries that no keyed
//! entry follows are `unsealed` (a chain rewritten as unkeyed from the start).
//!
//! Entries are appended unlinked and linked right after their commit by the sealer
//! (`crate::write::seal`): an empty `prev_hash` marks the unlinked tail. Verification
//! checks the linked chain, and reports the tail apart: how many entries, and when the
//! oldest was written. Each unlinked entry's placeholder must be the writer's MAC of its
//! content with the key (`forged_unlinked` otherwise: inserted without the key; the
//! sealer refuses to link it too). Only the tail may be unlinked
//! (`linked_after_unlinked` otherwise, checked in one statement so that the sealer
//! linking between two batches of the verification is no fault),
//! and it is normally milliseconds old: one older than [`UNLINKED_LIMIT`] is reported
//! as `unlinked_overdue` (no sealer ran: a process killed and not started again).
//!
//! What the chain alone cannot show is a cut tail: removing the newest entries leaves a
//! shorter chain that verifies. Heads recorded outside the database ([`head`],
//! `wpt audit head`) are checked by [`verify_against`]: a recorded head whose entry is
//! gone is `checkpoint_missing`, one whose entry differs is `checkpoint_mismatch`.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wpt_domain::models::{AuditHead, BrokenLink, Verification};

use super::{AuditKey, canonical_json_pub as canonical_json};
use crate::entities::audit_log;
use crate::{Database, DbError, DbResult};

/// `hash_kind` of entries written before keying started.
pub const HASH_SHA256: &str = "sha256";
/// `hash_kind` of keyed entries.
pub const HASH_HMAC_SHA256: &str = "hmac-sha256";

/// How old the unlinked tail may be before verification reports it: the sealer links
/// entries milliseconds after their commit, and every second in the background.
pub const UNLINKED_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The fields of a row that its hash covers, in the order they are hashed.
pub(crate) struct Sealed<'a> {
    pub(crate) prev_hash: &'a str,
    pub(crate) occurred_at: &'a DateTime<Utc>,
    pub(crate) actor_id: Option<Uuid>,
    pub(crate) action: &'a str,
    pub(crate) resource_type: &'a str,
    pub(crate) resource_id: &'a str,
    pub(crate) before: Option<&'a Value>,
    pub(crate) after: Option<&'a Value>,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) client_request_id: Option<&'a str>,
}

impl Sealed<'_> {
    fn fields(&self) -> Vec<Value> {
        vec![
            Value::from(self.prev_hash),
            Value::from(
                self.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            self.actor_id
                .map_or(Value::Null, |a| Value::from(a.to_string())),
            Value::from(self.action),
            Value::from(self.resource_type),
            Value::from(self.resource_id),
            self.before.cloned().unwrap_or(Value::Null),
            self.after.cloned().unwrap_or(Value::Null),
            self.request_id.map_or(Value::Null, Value::from),
        ]
    }

    /// SHA-256 over the canonical JSON array of the fields (entries before keying; the
    /// client's request id did not exist then).
    pub(crate) fn sha256(&self) -> String {
        let mut text = String::new();
        canonical_json(&Value::Array(self.fields()), &mut text);
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// HMAC-SHA256 with `key` over the canonical JSON array of the kind and the fields.
    pub(crate) fn hmac(&self, key: &AuditKey) -> String {
        let mut fields = vec![Value::from(HASH_HMAC_SHA256)];
        fields.extend(self.fields());
        fields.push(self.client_request_id.map_or(Value::Null, Value::from));
        let mut text = String::new();
        canonical_json(&Value::Array(fields), &mut text);
        key.mac_hex(text.as_bytes())
    }
}

/// The domain tag of an unlinked entry's placeholder MAC: never a final hash's input.
const UNLINKED_TAG: &str = "wpt.audit.unlinked.v1";

impl Sealed<'_> {
    /// The MAC of an unlinked entry's placeholder: HMAC-SHA256 with `key` over the
    /// canonical JSON array of the tag, `nonce`, `hash_kind` and every field the final
    /// hash covers (`prev_hash` is empty). Only the key's holder (the writer) can make
    /// it, so the sealer links no entry someone inserted without the key.
    fn placeholder_message(&self, nonce: &str, hash_kind: &str) -> String {
        let mut fields = vec![
            Value::from(UNLINKED_TAG),
            Value::from(nonce),
            Value::from(hash_kind),
        ];
        fields.extend(self.fields());
        fields.push(self.client_request_id.map_or(Value::Null, Value::from));
        let mut text = String::new();
        canonical_json(&Value::Array(fields), &mut text);
        text
    }

    /// A fresh placeholder `hash` for an unlinked entry of these fields:
    /// `unlinked:<nonce>:<MAC>`, 64 characters as the column holds on PostgreSQL: a
    /// random nonce of 14 hex digits (56 bits: placeholders stay unique, as the column
    /// must, among the few entries unlinked at a time) and the MAC's first 160 bits in
    /// hex (HMAC truncated to at least half its output, as RFC 2104 allows). Never a
    /// hash (64 hex digits).
    pub(crate) fn placeholder(&self, hash_kind: &str, key: &AuditKey) -> String {
        let nonce = &Uuid::new_v4().simple().to_string()[..PLACEHOLDER_NONCE];
        let mac = key.mac_hex(self.placeholder_message(nonce, hash_kind).as_bytes());
        format!("{UNLINKED_PREFIX}{nonce}:{}", &mac[..PLACEHOLDER_MAC])
    }
}

/// Hex digits of a placeholder's nonce and of its (truncated) MAC.
const PLACEHOLDER_NONCE: usize = 14;
const PLACEHOLDER_MAC: usize = 40;

/// How every unlinked entry's placeholder `hash` begins.
const UNLINKED_PREFIX: &str = "unlinked:";

/// A placeholder `hash` for the unlinked entry `row` (its `prev_hash` empty), as the
/// writer makes it with `key`. Public for tests that leave entries as a killed process
/// would; whatever `row.hash` holds is ignored.
pub fn unlinked_placeholder(row: &audit_log::Model, key: &AuditKey) -> String {
    sealed(row).placeholder(&row.hash_kind, key)
}

/// Whether the unlinked entry `row` carries a placeholder made with `key` for exactly
/// its content: `false` for one inserted or altered without the key (`forged_unlinked`).
pub(crate) fn placeholder_ok(row: &audit_log::Model, key: &AuditKey) -> bool {
    let Some((nonce, mac)) = row
        .hash
        .strip_prefix(UNLINKED_PREFIX)
        .and_then(|rest| rest.split_once(':'))
    else {
        return false;
    };
    row.prev_hash == crate::write::UNLINKED
        && nonce.len() == PLACEHOLDER_NONCE
        && mac.len() == PLACEHOLDER_MAC
        && key.mac_matches(
            sealed(row)
                .placeholder_message(nonce, &row.hash_kind)
                .as_bytes(),
            mac,
        )
}

fn sealed(row: &audit_log::Model) -> Sealed<'_> {
    Sealed {
        prev_hash: &row.prev_hash,
        occurred_at: &row.occurred_at,
        actor_id: row.actor_id,
        action: &row.action,
        resource_type: &row.resource_type,
        resource_id: &row.resource_id,
        before: row.before.as_ref(),
        after: row.after.as_ref(),
        request_id: row.request_id.as_deref(),
        client_request_id: row.client_request_id.as_deref(),
    }
}

/// The hash `row` must carry, by its `hash_kind`, with `key` for keyed entries; `None`
/// for a kind this version does not know. Public so that whoever holds the key can
/// check an exported entry outside the server.
pub fn expected_hash(row: &audit_log::Model, key: Option<&AuditKey>) -> DbResult<Option<String>> {
    match row.hash_kind.as_str() {
        HASH_SHA256 => Ok(Some(sealed(row).sha256())),
        HASH_HMAC_SHA256 => Ok(Some(sealed(row).hmac(key.ok_or_else(no_key)?))),
        _ => Ok(None),
    }
}

pub(crate) fn no_key() -> DbError {
    DbError::internal(
        "no audit key: keyed audit entries can be neither written nor verified without \
         WPT_AUDIT_KEY (or the audit.key file of the data directory)",
    )
}

/// A head recorded earlier (a line of `wpt audit head`): the chain must still reach it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Checkpoint {
    /// The entry's id.
    pub id: i64,
    /// Its hash when recorded.
    pub hash: String,
}

/// The newest linked entry: what to record outside the database as a checkpoint.
/// `None` when the log has none.
pub async fn head(db: &Database) -> DbResult<Option<AuditHead>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::PrevHash.ne(crate::write::UNLINKED))
        .order_by_desc(audit_log::Column::Id)
        .limit(1)
        .one(db.conn())
        .await?
        .map(|r| AuditHead {
            id: r.id,
            hash: r.hash,
            occurred_at: r.occurred_at,
        }))
}

/// Walks the whole chain in batches bounded by rows and bytes (constant memory) and
/// reports the first break.
pub async fn verify(db: &Database) -> DbResult<Verification> {
    verify_against(db, &[]).await
}

/// The unlinked tail seen so far: how many entries, the first, and the oldest time.
#[derive(Default)]
struct Tail {
    count: u64,
    first: Option<i64>,
    oldest: Option<DateTime<Utc>>,
}

impl Tail {
    fn broken(&self, checked: u64, id: i64, reason: &str) -> Verification {
        Verification {
            first_broken: Some(BrokenLink {
                id,
                reason: reason.to_owned(),
            }),
            ..self.verification(checked, false)
        }
    }

    fn verification(&self, checked: u64, ok: bool) -> Verification {
        Verification {
            ok,
            checked,
            first_broken: None,
            unlinked: self.count,
            oldest_unlinked_at: self.oldest,
        }
    }
}

/// The first linked entry after the first unlinked one, read in one statement (one
/// snapshot, which the sealer's transactions change only as a whole).
async fn linked_after_unlinked(db: &Database) -> DbResult<Option<i64>> {
    use sea_orm::ConnectionTrait;
    let backend = db.conn().get_database_backend();
    let row = db
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT MIN(l.id) AS id FROM audit_log l WHERE l.prev_hash <> '' AND l.id > \
             (SELECT MIN(u.id) FROM audit_log u WHERE u.prev_hash = '')",
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get::<Option<i64>>("", "id").ok().flatten()))
}

/// [`verify`], and also that the chain still reaches every recorded head in
/// `checkpoints` with the hash recorded: a cut tail is named by the first recorded head
/// that is gone (`checkpoint_missing`), history rewritten under a recorded head by
/// `checkpoint_mismatch`.
pub async fn verify_against(db: &Database, checkpoints: &[Checkpoint]) -> DbResult<Verification> {
    const BATCH: u64 = 1000;
    let key = db.audit_key();
    let mut checkpoints: Vec<&Checkpoint> = checkpoints.iter().collect();
    checkpoints.sort_by_key(|c| c.id);
    let mut next_checkpoint = checkpoints.into_iter().peekable();
    let mut expected_prev = super::GENESIS.to_owned();
    let mut keyed_seen = false;
    // The first unkeyed entry that no keyed entry has followed yet.
    let mut unsealed: Option<i64> = None;
    let mut last_id = i64::MIN;
    let mut checked = 0;
    let mut tail = Tail::default();
    'batches: loop {
        // At most BATCH entries and, past the first, VERIFY_BATCH_BYTES of their
        // states: the memory of a batch is bounded by size, not only by rows.
        let (rows, more) = super::sized_batch(
            db,
            sea_orm::Condition::all().add(audit_log::Column::Id.gt(last_id)),
            false,
            BATCH,
            super::VERIFY_BATCH_BYTES,
        )
        .await?;
        let done = !more;
        for row in rows {
            last_id = row.id;
            if row.prev_hash == crate::write::UNLINKED {
                // Only the writer, holding the key, makes a placeholder that verifies.
                if !placeholder_ok(&row, key.ok_or_else(no_key)?) {
                    tail.count += 1;
                    return Ok(tail.broken(checked, row.id, "forged_unlinked"));
                }
                tail.count += 1;
                tail.first.get_or_insert(row.id);
                tail.oldest = Some(
                    tail.oldest
                        .map_or(row.occurred_at, |t| t.min(row.occurred_at)),
                );
                continue;
            }
            if let Some(first) = tail.first {
                // Batches are separate statements: the sealer may have linked the tail
                // seen so far since. Only a linked entry after an unlinked one in one
                // snapshot is a fault; otherwise go on from the first entry seen
                // unlinked (everything before it was checked and is linked for good).
                if let Some(id) = linked_after_unlinked(db).await? {
                    return Ok(tail.broken(checked, id, "linked_after_unlinked"));
                }
                last_id = first - 1;
                tail = Tail::default();
                continue 'batches;
            }
            if let Some(cp) = next_checkpoint.next_if(|c| c.id < row.id) {
                return Ok(tail.broken(checked, cp.id, "checkpoint_missing"));
            }
            checked += 1;
            let keyed = row.hash_kind == HASH_HMAC_SHA256;
            let reason = if row.prev_hash != expected_prev {
                Some("prev_hash_mismatch")
            } else if keyed_seen && !keyed {
                Some("unkeyed_entry")
            } else if expected_hash(&row, key)?.as_deref() != Some(row.hash.as_str()) {
                Some("hash_mismatch")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(tail.broken(checked, row.id, reason));
            }
            while let Some(cp) = next_checkpoint.next_if(|c| c.id == row.id) {
                if cp.hash != row.hash {
                    return Ok(tail.broken(checked, cp.id, "checkpoint_mismatch"));
                }
            }
            if keyed {
                keyed_seen = true;
                unsealed = None;
            } else {
                unsealed.get_or_insert(row.id);
            }
            expected_prev = row.hash;
        }
        if done {
            break;
        }
    }
    if let Some(id) = unsealed {
        return Ok(tail.broken(checked, id, "unsealed"));
    }
    if let Some(cp) = next_checkpoint.next() {
        return Ok(tail.broken(checked, cp.id, "checkpoint_missing"));
    }
    if let (Some(first), Some(oldest)) = (tail.first, tail.oldest)
        && Utc::now()
            .signed_duration_since(oldest)
            .to_std()
            .unwrap_or_default()
            > UNLINKED_LIMIT
    {
        return Ok(tail.broken(checked, first, "unlinked_overdue"));
    }
    Ok(tail.verification(checked, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &AuditKey) -> audit_log::Model {
        let mut row = audit_log::Model {
            id: 7,
            occurred_at: Utc::now(),
            actor_id: None,
            action: "user.update".to_owned(),
            resource_type: "user".to_owned(),
            resource_id: "u1".to_owned(),
            before: None,
            after: Some(serde_json::json!({ "role": "viewer" })),
            request_id: Some("r1".to_owned()),
            client_request_id: None,
            prev_hash: crate::write::UNLINKED.to_owned(),
            hash: String::new(),
            hash_kind: HASH_HMAC_SHA256.to_owned(),
        };
        row.hash = unlinked_placeholder(&row, key);
        row
    }

    #[test]
    fn a_placeholder_fits_the_column_verifies_and_covers_the_content() {
        let key = AuditKey::new(&[3; 32]).expect("key");
        let good = row(&key);
        // PostgreSQL's `hash` is varchar(64); never 64 hex digits (a final hash).
        assert_eq!(good.hash.len(), 64);
        assert!(good.hash.starts_with("unlinked:"));
        assert!(placeholder_ok(&good, &key));
        assert_ne!(good.hash, row(&key).hash, "a fresh nonce each time");
        let other = AuditKey::new(&[4; 32]).expect("key");
        assert!(!placeholder_ok(&good, &other), "another key");
        let mut moved = good.clone();
        moved.after = Some(serde_json::json!({ "role": "admin" }));
        assert!(!placeholder_ok(&moved, &key), "other content");
        let mut kind = good.clone();
        kind.hash_kind = HASH_SHA256.to_owned();
        assert!(!placeholder_ok(&kind, &key), "other kind");
        let mut shape = good.clone();
        shape.hash = format!("unlinked:{}", Uuid::new_v4().simple());
        assert!(!placeholder_ok(&shape, &key), "the old random placeholder");
        let mut short = good;
        short.hash.truncate(40);
        assert!(!placeholder_ok(&short, &key), "a truncated MAC");
    }
}

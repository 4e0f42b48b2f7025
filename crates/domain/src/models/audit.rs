//! The audit log's read models: its entries, its head and the outcome of verifying it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// An entry of the audit log as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain (increasing).
    #[schema(example = 1041)]
    pub id: i64,
    /// When it happened (UTC, microseconds).
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `null` for the system (start-up, reference data, the command line).
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f70")]
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `user.update`.
    #[schema(example = "submission.edit")]
    pub action: String,
    /// The kind of resource.
    #[schema(example = "submission")]
    pub resource_type: String,
    /// The resource's id (or code).
    #[schema(example = "0192f3a0-5c1e-7d2b-9a4f-4e1c7b9d2a60")]
    pub resource_id: String,
    /// The resource before the change (secrets removed).
    #[schema(example = json!({"status": "not_started", "version": 1}))]
    pub before: Option<Value>,
    /// The resource after the change (secrets removed).
    #[schema(example = json!({"status": "draft", "version": 2}))]
    pub after: Option<Value>,
    /// The server's id of the request that made the change.
    #[schema(example = "6f1c2b8e-3d4a-4c5e-9b7f-0a1d2e3f4a5b")]
    pub request_id: Option<String>,
    /// The `x-request-id` the client sent with that request, if any (the client's
    /// choice, so never proof of anything).
    #[schema(example = "dashboard-sync-0042")]
    pub client_request_id: Option<String>,
    /// The previous entry's hash; empty while the entry is not linked into the chain
    /// yet (milliseconds after its write commits).
    #[schema(example = "210052abb9c4dfe1f0be501e9fad1ae21131afad489a688627326cf199aa770a")]
    pub prev_hash: String,
    /// This entry's hash: HMAC-SHA256 with the server's audit key, or SHA-256 for
    /// entries written before keying started (see `hash_kind`). While the entry is not
    /// linked yet, `unlinked:<nonce>:<MAC>`: a random nonce and the writer's
    /// HMAC-SHA256, with the audit key, of the entry's content.
    #[schema(example = "ba2035551de625db131a625d4bd58d0c4f5cfa2cfe1b3ac9a4fa5f0d5fe6ed36")]
    pub hash: String,
    /// `hmac-sha256` (keyed) or `sha256` (written before keying started).
    #[schema(example = "hmac-sha256")]
    pub hash_kind: String,
}

/// The newest linked entry of the audit log: a checkpoint to keep outside the database, which
/// `GET /audit/verify` and `wpt audit verify --checkpoint` check the chain still reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditHead {
    /// The entry's id.
    #[schema(example = 1041)]
    pub id: i64,
    /// Its hash.
    #[schema(example = "ba2035551de625db131a625d4bd58d0c4f5cfa2cfe1b3ac9a4fa5f0d5fe6ed36")]
    pub hash: String,
    /// When it was written.
    pub occurred_at: DateTime<Utc>,
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"ok": true, "checked": 1041, "first_broken": null, "unlinked": 0, "oldest_unlinked_at": null}))]
pub struct Verification {
    /// Whether every entry links to the one before and hashes to its stored hash.
    #[schema(example = true)]
    pub ok: bool,
    /// How many entries were checked.
    #[schema(example = 1041)]
    pub checked: u64,
    /// The first entry that does not verify, if any.
    pub first_broken: Option<BrokenLink>,
    /// Entries committed but not linked into the chain yet (the tail after the last
    /// linked entry): writers append unlinked and the sealer links them milliseconds
    /// after their commit, so this is normally 0 or a few. Not counted in `checked`.
    #[schema(example = 0)]
    pub unlinked: u64,
    /// When the oldest unlinked entry was written; `null` when none is. Older than ten
    /// seconds, `ok` is `false` with `unlinked_overdue`.
    pub oldest_unlinked_at: Option<DateTime<Utc>>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokenLink {
    /// The entry's id.
    pub id: i64,
    /// `hash_mismatch` (the entry was altered, or rewritten without the audit key),
    /// `prev_hash_mismatch` (an entry before it was removed or altered),
    /// `unkeyed_entry` (an unkeyed entry after keyed ones), `unsealed` (unkeyed entries
    /// that no keyed entry follows: the first of them), `checkpoint_missing` (a recorded
    /// head is gone: the tail was cut; `id` is the head's) or `checkpoint_mismatch` (a
    /// recorded head's entry differs), `linked_after_unlinked` (a linked entry after an
    /// unlinked one: the log was altered), `forged_unlinked` (an unlinked entry whose
    /// placeholder `hash` is not the writer's MAC of its content with the audit key:
    /// inserted or altered without the key; the sealer does not link it nor anything
    /// after it) or `unlinked_overdue` (the unlinked tail is older than ten seconds: no
    /// sealer has run since; `id` is its first entry).
    #[schema(example = "hash_mismatch")]
    pub reason: String,
}

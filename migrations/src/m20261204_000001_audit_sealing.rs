//! Audited writes that do not queue behind one lock (issue 21): writers append their
//! audit entries unlinked, and a sealer links them right after commit, in id order
//! (`crates/db/src/write/seal.rs` says how and why that is safe).
//!
//! An unlinked entry has an empty `prev_hash` and a unique placeholder `hash`
//! (`unlinked:`, a random nonce and the writer's MAC of the entry with the audit key,
//! 64 characters, which the sealer checks before linking): the columns stay `NOT NULL` and `hash` stays unique, so
//! neither backend has to rebuild the table. What changes:
//!
//! - The trigger `audit_log_no_update` now lets exactly one update through: linking an
//!   unlinked entry (its `prev_hash` empty before, not after), every other column
//!   unchanged. A linked entry still cannot be changed, and `DELETE` (and `TRUNCATE` on
//!   PostgreSQL) stay refused.
//! - `ix_audit_log_unlinked`, a partial index on the ids of unlinked entries: the sealer
//!   and the audit position find the unlinked tail without scanning the log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Lets the sealer link unlinked audit entries, and nothing else.
#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = "
CREATE FUNCTION audit_log_link_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.prev_hash = '' AND NEW.prev_hash <> ''
       AND to_jsonb(NEW) - 'prev_hash' - 'hash' = to_jsonb(OLD) - 'prev_hash' - 'hash' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_link_only();
CREATE INDEX ix_audit_log_unlinked ON audit_log (id) WHERE prev_hash = '';
";

const POSTGRES_DOWN: &str = "
DROP INDEX IF EXISTS ix_audit_log_unlinked;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
DROP FUNCTION IF EXISTS audit_log_link_only();
";

/// SQLite has no row images to compare: every column but the link is named (a column
/// added to `audit_log` later must be added here too). The trigger is dropped and created
/// again in one batch: run as two statements, SQLite's driver reported the new trigger
/// as existing already.
const SQLITE_UP: [&str; 2] = [
    "DROP TRIGGER IF EXISTS audit_log_no_update;
     CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     WHEN NOT (OLD.prev_hash = '' AND NEW.prev_hash <> ''
               AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
               AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action
               AND NEW.resource_type IS OLD.resource_type
               AND NEW.resource_id IS OLD.resource_id
               AND NEW.before IS OLD.before AND NEW.after IS OLD.after
               AND NEW.request_id IS OLD.request_id
               AND NEW.client_request_id IS OLD.client_request_id
               AND NEW.hash_kind IS OLD.hash_kind)
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE INDEX ix_audit_log_unlinked ON audit_log (id) WHERE prev_hash = ''",
];

const SQLITE_DOWN: [&str; 2] = [
    "DROP INDEX IF EXISTS ix_audit_log_unlinked",
    "DROP TRIGGER IF EXISTS audit_log_no_update;
     CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_UP).await?;
            }
            _ => {
                for sql in SQLITE_UP {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Entries left unlinked could never be linked once the trigger refuses it again.
        let unlinked = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 AS one FROM audit_log WHERE prev_hash = '' LIMIT 1",
            ))
            .await?;
        if unlinked.is_some() {
            return Err(DbErr::Migration(
                "audit_log holds unlinked entries: start the server once (it links them), \
                 then revert m20261204_000001_audit_sealing"
                    .to_owned(),
            ));
        }
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_DOWN).await?;
            }
            _ => {
                for sql in SQLITE_DOWN {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }
}

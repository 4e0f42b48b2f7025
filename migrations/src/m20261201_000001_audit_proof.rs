//! A record that proves itself: the audit chain becomes keyed (HMAC-SHA256 with the
//! server's audit key), the audit log becomes append-only in the database, the client's
//! request id is kept apart from the server's, editions are signed, and the activity
//! history gets an index it can use.
//!
//! - `audit_log.hash_kind`: `sha256` (entries written before keying started, which keep
//!   verifying as they were) or `hmac-sha256` (every entry from the first keyed one on).
//! - `audit_log.client_request_id`: the `x-request-id` a client sent, beside the server's
//!   own `request_id`.
//! - `editions.signature`: HMAC-SHA256 of the edition's cycle and SHA-256.
//! - `ix_audit_log_resource_id` on `(resource_id, id)`: the activity history filters by
//!   resource id alone, newest first.
//! - Triggers `audit_log_no_update` and `audit_log_no_delete` (and, on PostgreSQL,
//!   `audit_log_no_truncate`) refuse to change or remove an entry. docs/operations.md
//!   says what a restore does about them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Keys the audit chain and makes the audit log append-only.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    ResourceId,
    HashKind,
    ClientRequestId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Editions {
    Table,
    Signature,
}

const POSTGRES_TRIGGERS: &str = "
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
";

const POSTGRES_DROP_TRIGGERS: &str = "
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
";

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
];

const SQLITE_DROP_TRIGGERS: [&str; 2] = [
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AuditLog as L;
        manager
            .alter_table(
                Table::alter()
                    .table(L::Table)
                    .add_column(
                        ColumnDef::new(L::HashKind)
                            .string_len(16)
                            .not_null()
                            .default("sha256")
                            .check(Expr::col(L::HashKind).is_in(["sha256", "hmac-sha256"])),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(L::Table)
                    .add_column(ColumnDef::new(L::ClientRequestId).string_len(128).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_resource_id")
                    .table(L::Table)
                    .col(L::ResourceId)
                    .col(L::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Editions::Table)
                    .add_column(ColumnDef::new(Editions::Signature).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_TRIGGERS).await?;
            }
            _ => {
                for sql in SQLITE_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AuditLog as L;
        let db = manager.get_connection();
        // Without `hash_kind` a keyed entry could never be verified again.
        let keyed = db
            .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "SELECT 1 AS one FROM audit_log WHERE hash_kind = 'hmac-sha256' LIMIT 1",
            ))
            .await?;
        if keyed.is_some() {
            return Err(DbErr::Migration(
                "audit_log holds keyed entries, which could not be verified without \
                 hash_kind: restore a backup taken before m20261201_000001_audit_proof instead"
                    .to_owned(),
            ));
        }
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_DROP_TRIGGERS).await?;
            }
            _ => {
                for sql in SQLITE_DROP_TRIGGERS {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Editions::Table)
                    .drop_column(Editions::Signature)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_resource_id")
                    .table(L::Table)
                    .to_owned(),
            )
            .await?;
        for column in [L::ClientRequestId, L::HashKind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(L::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

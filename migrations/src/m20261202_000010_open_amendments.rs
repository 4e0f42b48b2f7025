//! One open amendment per entry (issue 14): a body may have at most one proposal
//! waiting for the secretariat on each activity of a report. A unique partial index
//! holds it under concurrency (two proposals at once: one is inserted, the other
//! violates the index and is answered 409 `amendment_pending`); the same SQL on SQLite
//! and PostgreSQL. It also serves the paged list of a report's amendments
//! (`submission_id`, then `id`).

use sea_orm_migration::prelude::*;

/// Adds `ux_amendments_open`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_amendments_open ON amendments (submission_id, activity_id) \
                 WHERE status = 'proposed'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ux_amendments_open")
            .await?;
        Ok(())
    }
}

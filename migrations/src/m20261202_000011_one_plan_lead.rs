//! One lead body per plan: a unique partial index on `plan_participations (work_plan_id)`
//! for the rows with `role = 'lead'`. The use case checks it first for a clear answer;
//! the index holds it when two administrators add a lead at once (the second insert
//! violates it and is answered 409 like the check). The same SQL on SQLite and
//! PostgreSQL. The reference data already gives every plan exactly one lead, and the
//! use case never allowed a second, so existing databases satisfy it.

use sea_orm_migration::prelude::*;

/// Adds `ux_plan_participations_one_lead`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_plan_participations_one_lead \
                 ON plan_participations (work_plan_id) WHERE role = 'lead'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ux_plan_participations_one_lead")
            .await?;
        Ok(())
    }
}

//! One truth per status (issue 24): an accepted report entry becomes its body's latest
//! progress update on the activity, recorded as a progress update that names the cycle
//! it came from (`progress_updates.from_cycle_id`; `NULL` for updates an officer typed).
//! No foreign key: SQLite cannot add one to an existing table; the write path sets it
//! only from the cycle it is accepting.

use sea_orm_migration::prelude::*;

/// Adds `progress_updates.from_cycle_id` and its index.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ProgressUpdates {
    Table,
    FromCycleId,
}

const INDEX: &str = "ix_progress_updates_from_cycle";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProgressUpdates::Table)
                    .add_column(ColumnDef::new(ProgressUpdates::FromCycleId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ProgressUpdates::Table)
                    .col(ProgressUpdates::FromCycleId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(ProgressUpdates::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProgressUpdates::Table)
                    .drop_column(ProgressUpdates::FromCycleId)
                    .to_owned(),
            )
            .await
    }
}

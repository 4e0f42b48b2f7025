//! Deadline extensions (issue 17): the secretariat grants one body a later due date for
//! one cycle, with a reason. Late and missing are judged against it, and reminders
//! follow it.

use sea_orm_migration::prelude::*;

/// Adds `submissions.extended_due_on` and `submissions.extension_reason`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Submissions {
    Table,
    ExtendedDueOn,
    ExtensionReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .add_column(ColumnDef::new(Submissions::ExtendedDueOn).date().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .add_column(ColumnDef::new(Submissions::ExtensionReason).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Submissions::ExtensionReason, Submissions::ExtendedDueOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Submissions::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

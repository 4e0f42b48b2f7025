//! What a report held when the secretariat last returned it (issue 24, item 11):
//! `submissions.returned_entries`, a JSON array with each entry's status, percent,
//! texts, evidence links and file ids, written in the return's transaction (the newest
//! return only; `NULL` until a report is returned). The review page and the API compare
//! the resubmitted entries with it, field by field.

use sea_orm_migration::prelude::*;

/// Adds `submissions.returned_entries`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Submissions {
    Table,
    ReturnedEntries,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .add_column(
                        ColumnDef::new(Submissions::ReturnedEntries)
                            .json_binary()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .drop_column(Submissions::ReturnedEntries)
                    .to_owned(),
            )
            .await
    }
}

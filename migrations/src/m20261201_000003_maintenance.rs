//! Read-only maintenance: one row, read by every instance, so turning maintenance on
//! through one instance (or `wpt maintenance on`) holds for all of them.

use sea_orm_migration::prelude::*;

use crate::helpers::{boolean, text_null, timestamp, timestamp_null};

/// Creates `maintenance` with its one row, off.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Maintenance {
    Table,
    /// Always 1 (a CHECK): there is one state.
    Id,
    /// On (now, or from `starts_at`).
    Enabled,
    /// What people are told.
    Message,
    /// When writes start being refused; NULL: as soon as it is on.
    StartsAt,
    /// The expected end (a forecast).
    UntilAt,
    /// When it was last set.
    UpdatedAt,
    /// Who set it last (NULL: the command line).
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Maintenance::Table)
                    .col(
                        ColumnDef::new(Maintenance::Id)
                            .integer()
                            .not_null()
                            .primary_key()
                            .check(Expr::col(Maintenance::Id).eq(1)),
                    )
                    .col(boolean(Maintenance::Enabled, false))
                    .col(text_null(Maintenance::Message))
                    .col(timestamp_null(Maintenance::StartsAt))
                    .col(timestamp_null(Maintenance::UntilAt))
                    .col(timestamp(Maintenance::UpdatedAt))
                    .col(ColumnDef::new(Maintenance::UpdatedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Maintenance::Table)
                    .columns([
                        Maintenance::Id,
                        Maintenance::Enabled,
                        Maintenance::UpdatedAt,
                    ])
                    .values_panic([1.into(), false.into(), Expr::current_timestamp()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Maintenance::Table).to_owned())
            .await
    }
}

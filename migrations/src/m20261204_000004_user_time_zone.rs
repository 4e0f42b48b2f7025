//! Each account's time zone (issue 24, item 10): `users.time_zone`, an IANA name such as
//! `Asia/Jakarta`, `NULL` until the person's browser reports it at their first login or
//! they choose one. The pages show times in it; the API keeps RFC 3339 in UTC.

use sea_orm_migration::prelude::*;

/// Adds `users.time_zone`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    TimeZone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::TimeZone).string_len(64).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::TimeZone)
                    .to_owned(),
            )
            .await
    }
}

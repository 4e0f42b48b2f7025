//! Failed logins per account *and* client address (issue 14): five wrong passwords lock
//! that address out of the account, not the account, so nobody elsewhere can lock its
//! owner out. An IPv6 client is one address per /64. Attempts are counted here before
//! the password is verified, so concurrent guesses cannot overrun the budget.
//!
//! `login_failures` stays the per-account counter; its `locked_until` now holds the
//! account's progressive delay (when the next verification may start), not a lock.

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates `login_attempts`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginAttempts {
    Table,
    UserId,
    Address,
    WindowStartedAt,
    Failures,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use LoginAttempts as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid_col(L::UserId))
                    // `198.51.100.7`, or an IPv6 network such as `2001:db8:1:2::/64`.
                    .col(string(L::Address, 64))
                    .col(timestamp(L::WindowStartedAt))
                    .col(ColumnDef::new(L::Failures).integer().not_null().default(0))
                    .primary_key(Index::create().col(L::UserId).col(L::Address))
                    .foreign_key(&mut fk_cascade(
                        (L::Table, L::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Expired windows are deleted by age.
        manager
            .create_index(
                index(L::Table, "ix_login_attempts_window")
                    .col(L::WindowStartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await
    }
}

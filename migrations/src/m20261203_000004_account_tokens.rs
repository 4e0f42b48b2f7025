//! Invitations and password resets (issue 17): single-use links that set an account's
//! password. Only the SHA-256 of each token is stored (the token itself is in the
//! message or shown once to the administrator); a token works until `expires_at`
//! (72 hours for an invitation, 30 minutes for a reset) and once (`used_at`).

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates `account_tokens`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AccountTokens as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(uuid_pk(T::Id))
                    .col(uuid_col(T::UserId))
                    .col(enum_col(T::Purpose, &["invitation", "reset"]))
                    .col(
                        ColumnDef::new(T::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(T::ExpiresAt))
                    .col(timestamp_null(T::UsedAt))
                    .col(timestamp(T::CreatedAt))
                    .foreign_key(&mut fk_cascade(
                        (T::Table, T::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The per-account limit counts an account's recent tokens.
        manager
            .create_index(
                index(T::Table, "ix_account_tokens_user_created")
                    .col(T::UserId)
                    .col(T::Purpose)
                    .col(T::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountTokens::Table).to_owned())
            .await
    }
}

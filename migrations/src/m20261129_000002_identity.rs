//! Identity: login sessions with rotating refresh tokens, personal API tokens, and the
//! per-account failed-login counter that throttles password guessing across instances.

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates the identity tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Role,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    IssuedAt,
    ExpiresAt,
    SpentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    TokenHash,
    CanWrite,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginFailures {
    Table,
    UserId,
    WindowStartedAt,
    Failures,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                index(Users::Table, "ix_users_role")
                    .col(Users::Role)
                    .to_owned(),
            )
            .await?;

        use Sessions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid_pk(S::Id))
                    .col(uuid_col(S::UserId))
                    .col(timestamp(S::CreatedAt))
                    .col(timestamp(S::ExpiresAt))
                    .col(timestamp_null(S::RevokedAt))
                    .col(ColumnDef::new(S::RevokedReason).string_len(64).null())
                    .foreign_key(&mut fk_cascade(
                        (S::Table, S::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ix_sessions_user")
                    .col(S::UserId)
                    .to_owned(),
            )
            .await?;

        use RefreshTokens as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid_pk(R::Id))
                    .col(uuid_col(R::SessionId))
                    .col(string(R::TokenHash, 64).unique_key())
                    .col(timestamp(R::IssuedAt))
                    .col(timestamp(R::ExpiresAt))
                    .col(timestamp_null(R::SpentAt))
                    .foreign_key(&mut fk_cascade((R::Table, R::SessionId), (S::Table, S::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(R::Table, "ix_refresh_tokens_session")
                    .col(R::SessionId)
                    .to_owned(),
            )
            .await?;

        use ApiTokens as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(uuid_pk(T::Id))
                    .col(uuid_col(T::UserId))
                    .col(text(T::Name))
                    .col(string(T::Prefix, 16))
                    .col(string(T::TokenHash, 64).unique_key())
                    .col(boolean(T::CanWrite, false))
                    .col(timestamp(T::CreatedAt))
                    .col(timestamp(T::ExpiresAt))
                    .col(timestamp_null(T::LastUsedAt))
                    .col(timestamp_null(T::RevokedAt))
                    .foreign_key(&mut fk_cascade(
                        (T::Table, T::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(T::Table, "ix_api_tokens_user")
                    .col(T::UserId)
                    .to_owned(),
            )
            .await?;

        use LoginFailures as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid_pk(L::UserId))
                    .col(timestamp(L::WindowStartedAt))
                    .col(ColumnDef::new(L::Failures).integer().not_null().default(0))
                    .col(timestamp_null(L::LockedUntil))
                    .foreign_key(&mut fk_cascade(
                        (L::Table, L::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginFailures::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_users_role")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

//! Web sessions: a login from the web pages is a session like any other, whose
//! credential is an opaque cookie instead of a refresh token. Only the cookie's SHA-256
//! is stored, as for every other secret.

use sea_orm_migration::prelude::*;

/// Adds `sessions.cookie_hash`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    CookieHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::CookieHash).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        // Every page request finds its session by this hash.
        manager
            .create_index(
                Index::create()
                    .name("ux_sessions_cookie_hash")
                    .table(Sessions::Table)
                    .col(Sessions::CookieHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_sessions_cookie_hash")
                    .table(Sessions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::CookieHash)
                    .to_owned(),
            )
            .await
    }
}

//! Mail and notifications (issue 17): the transactional `outbox` of e-mail messages, the
//! in-app inbox (`notifications`) and each user's e-mail setting
//! (`notification_settings`; no row means `immediate`).
//!
//! Both the outbox and the inbox rows are written by the one write path in the same
//! transaction as the event that causes them. `dedupe_key` (unique, nullable) makes a
//! retried event or a reminder step queue its message once.

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates `outbox`, `notifications` and `notification_settings`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    Kind,
    RecipientUserId,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    MessageId,
    DedupeKey,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeasedBy,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    DedupeKey,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum NotificationSettings {
    Table,
    UserId,
    Email,
    UpdatedAt,
}

/// Outbox states: `queued` (to send), `sent`, `failed` (given up; an administrator may
/// retry), `digest` (waiting for the user's daily digest), `digested` (gathered into a
/// digest message, which is its own row).
const OUTBOX_STATUSES: &[&str] = &["queued", "sent", "failed", "digest", "digested"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Outbox as O;
        manager
            .create_table(
                Table::create()
                    .table(O::Table)
                    .col(uuid_pk(O::Id))
                    .col(string(O::Kind, 40))
                    .col(ColumnDef::new(O::RecipientUserId).uuid().null())
                    .col(text(O::ToAddress))
                    .col(text(O::Subject))
                    .col(text(O::TextBody))
                    .col(text(O::HtmlBody))
                    .col(ColumnDef::new(O::MessageId).text().not_null().unique_key())
                    .col(ColumnDef::new(O::DedupeKey).text().null().unique_key())
                    .col(enum_col(O::Status, OUTBOX_STATUSES))
                    .col(ColumnDef::new(O::Attempts).integer().not_null().default(0))
                    .col(timestamp(O::NextAttemptAt))
                    .col(timestamp_null(O::LeaseUntil))
                    .col(text_null(O::LeasedBy))
                    .col(text_null(O::LastError))
                    .col(timestamp(O::CreatedAt))
                    .col(timestamp_null(O::SentAt))
                    .foreign_key(&mut fk_cascade(
                        (O::Table, O::RecipientUserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(O::Table, "ix_outbox_status_next_attempt_at")
                    .col(O::Status)
                    .col(O::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(O::Table, "ix_outbox_status_created_at")
                    .col(O::Status)
                    .col(O::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(O::Table, "ix_outbox_created_at")
                    .col(O::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(O::Table, "ix_outbox_recipient_status")
                    .col(O::RecipientUserId)
                    .col(O::Status)
                    .to_owned(),
            )
            .await?;

        use Notifications as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(uuid_pk(N::Id))
                    .col(uuid_col(N::UserId))
                    .col(string(N::Kind, 40))
                    .col(text(N::Title))
                    .col(text(N::Body))
                    .col(text(N::Link))
                    .col(ColumnDef::new(N::DedupeKey).text().null().unique_key())
                    .col(timestamp(N::CreatedAt))
                    .col(timestamp_null(N::ReadAt))
                    .foreign_key(&mut fk_cascade(
                        (N::Table, N::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(N::Table, "ix_notifications_user_created")
                    .col(N::UserId)
                    .col(N::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(N::Table, "ix_notifications_user_read")
                    .col(N::UserId)
                    .col(N::ReadAt)
                    .to_owned(),
            )
            .await?;

        use NotificationSettings as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid_pk(S::UserId))
                    .col(enum_col(S::Email, &["immediate", "daily_digest", "off"]))
                    .col(timestamp(S::UpdatedAt))
                    .foreign_key(&mut fk_cascade(
                        (S::Table, S::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            NotificationSettings::Table.into_iden(),
            Notifications::Table.into_iden(),
            Outbox::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Review conversations (issue 19): comments on a body's report for a cycle, anchored
//! to the whole report or to one entry (activity), optionally replying to a thread's
//! first comment. Append-only: a comment is never edited or deleted; resolving a thread
//! sets `resolved_at` and `resolved_by` on its first comment.
//!
//! `ix_submission_comments_submission` serves a report's thread (by submission, then
//! id, which is time-ordered); `ix_submission_comments_open` counts unresolved threads
//! per submission for the review queue and the board.

use sea_orm_migration::prelude::*;

use crate::helpers::{
    fk_cascade, fk_restrict, index, text, timestamp, timestamp_null, uuid_col, uuid_pk,
};

/// Creates `submission_comments`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SubmissionComments {
    Table,
    Id,
    SubmissionId,
    ActivityId,
    ReplyTo,
    AuthorId,
    Text,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Submissions {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SubmissionComments as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(uuid_pk(C::Id))
                    .col(uuid_col(C::SubmissionId))
                    .col(ColumnDef::new(C::ActivityId).uuid().null())
                    .col(ColumnDef::new(C::ReplyTo).uuid().null())
                    .col(uuid_col(C::AuthorId))
                    .col(text(C::Text))
                    .col(timestamp(C::CreatedAt))
                    .col(timestamp_null(C::ResolvedAt))
                    .col(ColumnDef::new(C::ResolvedBy).uuid().null())
                    .foreign_key(&mut fk_cascade(
                        (C::Table, C::SubmissionId),
                        (Submissions::Table, Submissions::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (C::Table, C::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .foreign_key(&mut fk_restrict((C::Table, C::ReplyTo), (C::Table, C::Id)))
                    .foreign_key(&mut fk_restrict(
                        (C::Table, C::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (C::Table, C::ResolvedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(C::Table, "ix_submission_comments_submission")
                    .col(C::SubmissionId)
                    .col(C::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_submission_comments_open ON submission_comments (submission_id) \
                 WHERE reply_to IS NULL AND resolved_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SubmissionComments::Table).to_owned())
            .await?;
        Ok(())
    }
}

//! Evidence files (issue 18): `attachments`, one row per uploaded file. The bytes live in
//! the object store under their SHA-256; the row names the file, who uploaded it, and
//! the one record it is attached to (a progress update or a report entry), if any yet.

use sea_orm_migration::prelude::*;

use crate::helpers::{fk_cascade, fk_restrict, index, text, timestamp, uuid_col, uuid_pk};

/// Creates `attachments` and its indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    Id,
    UploaderId,
    Filename,
    MediaType,
    Size,
    Sha256,
    CreatedAt,
    ProgressUpdateId,
    SubmissionEntryId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProgressUpdates {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubmissionEntries {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Attachments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(uuid_pk(A::Id))
                    .col(uuid_col(A::UploaderId))
                    .col(text(A::Filename))
                    .col(text(A::MediaType))
                    .col(
                        ColumnDef::new(A::Size)
                            .big_integer()
                            .not_null()
                            .check(Expr::col(A::Size).gt(0)),
                    )
                    .col(ColumnDef::new(A::Sha256).string_len(64).not_null())
                    .col(timestamp(A::CreatedAt))
                    .col(ColumnDef::new(A::ProgressUpdateId).uuid().null())
                    .col(ColumnDef::new(A::SubmissionEntryId).uuid().null())
                    // One record at most.
                    .check(
                        Expr::col(A::ProgressUpdateId)
                            .is_null()
                            .or(Expr::col(A::SubmissionEntryId).is_null()),
                    )
                    .foreign_key(&mut fk_restrict(
                        (A::Table, A::UploaderId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk_cascade(
                        (A::Table, A::ProgressUpdateId),
                        (ProgressUpdates::Table, ProgressUpdates::Id),
                    ))
                    .foreign_key(&mut fk_cascade(
                        (A::Table, A::SubmissionEntryId),
                        (SubmissionEntries::Table, SubmissionEntries::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_attachments_sha256", vec![A::Sha256]),
            ("ix_attachments_created", vec![A::CreatedAt]),
            ("ix_attachments_uploader", vec![A::UploaderId]),
            ("ix_attachments_progress_update", vec![A::ProgressUpdateId]),
            (
                "ix_attachments_submission_entry",
                vec![A::SubmissionEntryId],
            ),
        ] {
            let mut ix = index(A::Table, name);
            for c in cols {
                ix.col(c);
            }
            manager.create_index(ix).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await
    }
}

//! Files proposed by an amendment (issue 18, item 4): `amendment_attachments` parks each
//! new upload an amendment proposes for its entry while the amendment waits for the
//! secretariat, so the sweep of unattached uploads keeps it. One row per file (a file is
//! parked on one amendment at most); the rows go when the amendment is decided (accepted:
//! the files move to the entry; rejected: they are unattached uploads again).

use sea_orm_migration::prelude::*;

use crate::helpers::{fk_cascade, index, uuid_col, uuid_pk};

/// Creates `amendment_attachments`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AmendmentAttachments {
    Table,
    AttachmentId,
    AmendmentId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Amendments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AmendmentAttachments as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid_pk(L::AttachmentId))
                    .col(uuid_col(L::AmendmentId))
                    .foreign_key(&mut fk_cascade(
                        (L::Table, L::AttachmentId),
                        (Attachments::Table, Attachments::Id),
                    ))
                    .foreign_key(&mut fk_cascade(
                        (L::Table, L::AmendmentId),
                        (Amendments::Table, Amendments::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(L::Table, "ix_amendment_attachments_amendment")
                    .col(L::AmendmentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AmendmentAttachments::Table).to_owned())
            .await
    }
}

//! Reporting cycles: the cycle tied to a meeting, each body's submission and its
//! entries, the workflow's event log, amendments after acceptance, and the frozen
//! edition of a closed cycle.

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates the reporting tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WorkPlans {
    Table,
    Id,
}
#[derive(DeriveIden, Clone, Copy)]
enum SectoralBodies {
    Table,
    Id,
}
#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReportingCycles {
    Table,
    Id,
    WorkPlanId,
    Kind,
    Name,
    MeetingDate,
    PeriodStart,
    PeriodEnd,
    OpensOn,
    DueOn,
    ReviewDueOn,
    State,
    OpenedAt,
    ClosedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Submissions {
    Table,
    Id,
    CycleId,
    BodyId,
    Status,
    AuthorId,
    AuthoredAt,
    SubmitterId,
    SubmittedAt,
    ReviewerId,
    ReviewedAt,
    ReturnReason,
    Late,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubmissionEntries {
    Table,
    Id,
    SubmissionId,
    ActivityId,
    Status,
    PercentComplete,
    Narrative,
    Challenges,
    NextSteps,
    EvidenceUrls,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubmissionEvents {
    Table,
    Id,
    SubmissionId,
    Action,
    FromStatus,
    ToStatus,
    ActorId,
    Reason,
    OccurredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Amendments {
    Table,
    Id,
    SubmissionId,
    ActivityId,
    Original,
    Proposed,
    Reason,
    Status,
    ProposerId,
    ProposedAt,
    ReviewerId,
    ReviewedAt,
    ReviewNote,
}

#[derive(DeriveIden, Clone, Copy)]
enum Editions {
    Table,
    Id,
    CycleId,
    Sha256,
    Content,
    CreatedAt,
}

const STATUSES: &[&str] = &[
    "not_started",
    "on_track",
    "at_risk",
    "delayed",
    "completed",
    "discontinued",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReportingCycles as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(uuid_pk(C::Id))
                    .col(uuid_col(C::WorkPlanId))
                    .col(enum_col(
                        C::Kind,
                        &[
                            "somtc",
                            "ammtc",
                            "mid_term_review",
                            "final_review",
                            "ad_hoc",
                        ],
                    ))
                    .col(text(C::Name))
                    .col(date(C::MeetingDate))
                    .col(date(C::PeriodStart))
                    .col(date(C::PeriodEnd))
                    .col(date(C::OpensOn))
                    .col(date(C::DueOn))
                    .col(date(C::ReviewDueOn))
                    .col(enum_col(C::State, &["planned", "open", "closed"]))
                    .col(timestamp_null(C::OpenedAt))
                    .col(timestamp_null(C::ClosedAt))
                    .col(version(C::Version))
                    .col(timestamp(C::CreatedAt))
                    .col(timestamp(C::UpdatedAt))
                    .foreign_key(&mut fk_restrict(
                        (C::Table, C::WorkPlanId),
                        (WorkPlans::Table, WorkPlans::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(C::Table, "ix_reporting_cycles_plan")
                    .col(C::WorkPlanId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(C::Table, "ix_reporting_cycles_state")
                    .col(C::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(C::Table, "ix_reporting_cycles_meeting")
                    .col(C::MeetingDate)
                    .to_owned(),
            )
            .await?;

        use Submissions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid_pk(S::Id))
                    .col(uuid_col(S::CycleId))
                    .col(uuid_col(S::BodyId))
                    .col(enum_col(
                        S::Status,
                        &["not_started", "draft", "submitted", "returned", "accepted"],
                    ))
                    .col(ColumnDef::new(S::AuthorId).uuid().null())
                    .col(timestamp_null(S::AuthoredAt))
                    .col(ColumnDef::new(S::SubmitterId).uuid().null())
                    .col(timestamp_null(S::SubmittedAt))
                    .col(ColumnDef::new(S::ReviewerId).uuid().null())
                    .col(timestamp_null(S::ReviewedAt))
                    .col(text_null(S::ReturnReason))
                    .col(boolean(S::Late, false))
                    .col(version(S::Version))
                    .col(timestamp(S::CreatedAt))
                    .col(timestamp(S::UpdatedAt))
                    .foreign_key(&mut fk_cascade((S::Table, S::CycleId), (C::Table, C::Id)))
                    .foreign_key(&mut fk_restrict(
                        (S::Table, S::BodyId),
                        (SectoralBodies::Table, SectoralBodies::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ux_submissions_cycle_body")
                    .col(S::CycleId)
                    .col(S::BodyId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ix_submissions_status")
                    .col(S::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ix_submissions_body")
                    .col(S::BodyId)
                    .to_owned(),
            )
            .await?;

        use SubmissionEntries as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(uuid_pk(E::Id))
                    .col(uuid_col(E::SubmissionId))
                    .col(uuid_col(E::ActivityId))
                    .col(enum_col(E::Status, STATUSES))
                    .col(
                        ColumnDef::new(E::PercentComplete)
                            .integer()
                            .null()
                            .check(Expr::col(E::PercentComplete).between(0, 100)),
                    )
                    .col(text(E::Narrative))
                    .col(text_null(E::Challenges))
                    .col(text_null(E::NextSteps))
                    .col(ColumnDef::new(E::EvidenceUrls).json_binary().not_null())
                    .col(ColumnDef::new(E::UpdatedBy).uuid().null())
                    .col(timestamp(E::UpdatedAt))
                    .foreign_key(&mut fk_cascade(
                        (E::Table, E::SubmissionId),
                        (S::Table, S::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (E::Table, E::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(E::Table, "ux_submission_entries_activity")
                    .col(E::SubmissionId)
                    .col(E::ActivityId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(E::Table, "ix_submission_entries_activity")
                    .col(E::ActivityId)
                    .to_owned(),
            )
            .await?;

        use SubmissionEvents as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(uuid_pk(V::Id))
                    .col(uuid_col(V::SubmissionId))
                    .col(string(V::Action, 32))
                    .col(string(V::FromStatus, 32))
                    .col(string(V::ToStatus, 32))
                    .col(ColumnDef::new(V::ActorId).uuid().null())
                    .col(text_null(V::Reason))
                    .col(timestamp(V::OccurredAt))
                    .foreign_key(&mut fk_cascade(
                        (V::Table, V::SubmissionId),
                        (S::Table, S::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(V::Table, "ix_submission_events_submission")
                    .col(V::SubmissionId)
                    .to_owned(),
            )
            .await?;

        use Amendments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(uuid_pk(A::Id))
                    .col(uuid_col(A::SubmissionId))
                    .col(uuid_col(A::ActivityId))
                    .col(ColumnDef::new(A::Original).json_binary().not_null())
                    .col(ColumnDef::new(A::Proposed).json_binary().not_null())
                    .col(text(A::Reason))
                    .col(enum_col(A::Status, &["proposed", "accepted", "rejected"]))
                    .col(uuid_col(A::ProposerId))
                    .col(timestamp(A::ProposedAt))
                    .col(ColumnDef::new(A::ReviewerId).uuid().null())
                    .col(timestamp_null(A::ReviewedAt))
                    .col(text_null(A::ReviewNote))
                    .foreign_key(&mut fk_cascade(
                        (A::Table, A::SubmissionId),
                        (S::Table, S::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (A::Table, A::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(A::Table, "ix_amendments_submission")
                    .col(A::SubmissionId)
                    .to_owned(),
            )
            .await?;

        use Editions as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(uuid_pk(D::Id))
                    .col(ColumnDef::new(D::CycleId).uuid().not_null().unique_key())
                    .col(string(D::Sha256, 64))
                    .col(text(D::Content))
                    .col(timestamp(D::CreatedAt))
                    .foreign_key(&mut fk_cascade((D::Table, D::CycleId), (C::Table, C::Id)))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Editions::Table.into_iden(),
            Amendments::Table.into_iden(),
            SubmissionEvents::Table.into_iden(),
            SubmissionEntries::Table.into_iden(),
            Submissions::Table.into_iden(),
            ReportingCycles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}

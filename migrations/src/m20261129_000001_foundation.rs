//! The foundation schema: reference data (bodies, member states, work plans, their
//! participants and areas), the plan's structure (activities, assignments, milestones,
//! indicators), users and the audit log.
//!
//! Every filter of the API has an index here; uniqueness rules the API relies on
//! (codes, one lead per activity, one participation per plan and body) are constraints,
//! so no race between two requests can break them.

use sea_orm_migration::prelude::*;

use crate::helpers::*;

/// Creates the foundation tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SectoralBodies {
    Table,
    Id,
    Code,
    Name,
    Pillar,
    Confirmed,
    Notes,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MemberStates {
    Table,
    Id,
    IsoCode,
    Name,
    MemberSince,
    ObserverSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkPlans {
    Table,
    Id,
    Code,
    Title,
    PeriodStart,
    PeriodEnd,
    AdoptedOn,
    AdoptedAt,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlanParticipations {
    Table,
    Id,
    WorkPlanId,
    BodyId,
    Role,
    Confirmed,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ThematicAreas {
    Table,
    Id,
    WorkPlanId,
    Code,
    Title,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
    WorkPlanId,
    AreaId,
    Code,
    Title,
    Description,
    ActipReference,
    ExpectedOutputs,
    PlannedStart,
    PlannedEnd,
    ArchivedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ActivityAssignments {
    Table,
    Id,
    ActivityId,
    BodyId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Milestones {
    Table,
    Id,
    ActivityId,
    Title,
    DueOn,
    CompletedOn,
    Note,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Indicators {
    Table,
    Id,
    ActivityId,
    Name,
    Unit,
    Measure,
    Baseline,
    Target,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    BodyId,
    Active,
    PasswordHash,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    Before,
    After,
    RequestId,
    PrevHash,
    Hash,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReferenceDataLoads {
    Table,
    Id,
    Sha256,
    LoadedAt,
    Summary,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SectoralBodies as B;
        manager
            .create_table(
                Table::create()
                    .table(B::Table)
                    .col(uuid_pk(B::Id))
                    .col(string(B::Code, 40).unique_key())
                    .col(text(B::Name))
                    .col(enum_col(B::Pillar, &["APSC", "AEC", "ASCC"]))
                    .col(boolean(B::Confirmed, false))
                    .col(text_null(B::Notes))
                    .col(version(B::Version))
                    .col(timestamp(B::CreatedAt))
                    .col(timestamp(B::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        use MemberStates as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(uuid_pk(M::Id))
                    .col(string(M::IsoCode, 2).unique_key())
                    .col(text(M::Name))
                    .col(date_null(M::MemberSince))
                    .col(date_null(M::ObserverSince))
                    .col(timestamp(M::CreatedAt))
                    .col(timestamp(M::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        use WorkPlans as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(uuid_pk(W::Id))
                    .col(string(W::Code, 40).unique_key())
                    .col(text(W::Title))
                    .col(date(W::PeriodStart))
                    .col(date(W::PeriodEnd))
                    .col(date_null(W::AdoptedOn))
                    .col(text_null(W::AdoptedAt))
                    .col(enum_col(W::Status, &["draft", "active", "archived"]))
                    .col(version(W::Version))
                    .col(timestamp(W::CreatedAt))
                    .col(timestamp(W::UpdatedAt))
                    .check(Expr::col(W::PeriodStart).lte(Expr::col(W::PeriodEnd)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(W::Table, "ix_work_plans_status")
                    .col(W::Status)
                    .to_owned(),
            )
            .await?;

        use PlanParticipations as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(uuid_pk(P::Id))
                    .col(uuid_col(P::WorkPlanId))
                    .col(uuid_col(P::BodyId))
                    .col(enum_col(P::Role, &["lead", "member"]))
                    .col(boolean(P::Confirmed, false))
                    .col(timestamp(P::CreatedAt))
                    .foreign_key(&mut fk_cascade(
                        (P::Table, P::WorkPlanId),
                        (W::Table, W::Id),
                    ))
                    .foreign_key(&mut fk_restrict((P::Table, P::BodyId), (B::Table, B::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(P::Table, "ux_plan_participations_plan_body")
                    .col(P::WorkPlanId)
                    .col(P::BodyId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(P::Table, "ix_plan_participations_body")
                    .col(P::BodyId)
                    .to_owned(),
            )
            .await?;

        use ThematicAreas as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(uuid_pk(T::Id))
                    .col(uuid_col(T::WorkPlanId))
                    .col(string(T::Code, 40))
                    .col(text(T::Title))
                    .col(ColumnDef::new(T::Position).integer().not_null())
                    .col(timestamp(T::CreatedAt))
                    .col(timestamp(T::UpdatedAt))
                    .foreign_key(&mut fk_cascade(
                        (T::Table, T::WorkPlanId),
                        (W::Table, W::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(T::Table, "ux_thematic_areas_plan_code")
                    .col(T::WorkPlanId)
                    .col(T::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use Activities as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(uuid_pk(A::Id))
                    .col(uuid_col(A::WorkPlanId))
                    .col(uuid_col(A::AreaId))
                    .col(string(A::Code, 40))
                    .col(text(A::Title))
                    .col(text_null(A::Description))
                    .col(text_null(A::ActipReference))
                    .col(text_null(A::ExpectedOutputs))
                    .col(date_null(A::PlannedStart))
                    .col(date_null(A::PlannedEnd))
                    .col(timestamp_null(A::ArchivedAt))
                    .col(version(A::Version))
                    .col(timestamp(A::CreatedAt))
                    .col(timestamp(A::UpdatedAt))
                    .foreign_key(&mut fk_restrict(
                        (A::Table, A::WorkPlanId),
                        (W::Table, W::Id),
                    ))
                    .foreign_key(&mut fk_restrict((A::Table, A::AreaId), (T::Table, T::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(A::Table, "ux_activities_plan_code")
                    .col(A::WorkPlanId)
                    .col(A::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(A::Table, "ix_activities_area")
                    .col(A::AreaId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(A::Table, "ix_activities_planned_end")
                    .col(A::PlannedEnd)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(A::Table, "ix_activities_updated_at")
                    .col(A::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        use ActivityAssignments as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid_pk(S::Id))
                    .col(uuid_col(S::ActivityId))
                    .col(uuid_col(S::BodyId))
                    .col(enum_col(S::Role, &["lead", "cooperating"]))
                    .col(timestamp(S::CreatedAt))
                    .foreign_key(&mut fk_cascade(
                        (S::Table, S::ActivityId),
                        (A::Table, A::Id),
                    ))
                    .foreign_key(&mut fk_restrict((S::Table, S::BodyId), (B::Table, B::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ux_activity_assignments_activity_body")
                    .col(S::ActivityId)
                    .col(S::BodyId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Exactly one lead per activity: at most one here, at least one by the use case
        // that creates an activity with its lead in the same transaction.
        manager
            .create_index(
                index(S::Table, "ux_activity_assignments_one_lead")
                    .col(S::ActivityId)
                    .unique()
                    .and_where(Expr::col(S::Role).eq("lead"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(S::Table, "ix_activity_assignments_body")
                    .col(S::BodyId)
                    .to_owned(),
            )
            .await?;

        use Milestones as MS;
        manager
            .create_table(
                Table::create()
                    .table(MS::Table)
                    .col(uuid_pk(MS::Id))
                    .col(uuid_col(MS::ActivityId))
                    .col(text(MS::Title))
                    .col(date(MS::DueOn))
                    .col(date_null(MS::CompletedOn))
                    .col(text_null(MS::Note))
                    .col(version(MS::Version))
                    .col(timestamp(MS::CreatedAt))
                    .col(timestamp(MS::UpdatedAt))
                    .foreign_key(&mut fk_cascade(
                        (MS::Table, MS::ActivityId),
                        (A::Table, A::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(MS::Table, "ix_milestones_activity")
                    .col(MS::ActivityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(MS::Table, "ix_milestones_due_on")
                    .col(MS::DueOn)
                    .to_owned(),
            )
            .await?;

        use Indicators as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(uuid_pk(I::Id))
                    .col(uuid_col(I::ActivityId))
                    .col(text(I::Name))
                    .col(text_null(I::Unit))
                    .col(enum_col(I::Measure, &["number", "percent", "qualitative"]))
                    .col(text_null(I::Baseline))
                    .col(text_null(I::Target))
                    .col(version(I::Version))
                    .col(timestamp(I::CreatedAt))
                    .col(timestamp(I::UpdatedAt))
                    .foreign_key(&mut fk_cascade(
                        (I::Table, I::ActivityId),
                        (A::Table, A::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(I::Table, "ix_indicators_activity")
                    .col(I::ActivityId)
                    .to_owned(),
            )
            .await?;

        use Users as U;
        manager
            .create_table(
                Table::create()
                    .table(U::Table)
                    .col(uuid_pk(U::Id))
                    // Stored lower-cased, so the unique index makes email case-insensitive
                    // on both backends.
                    .col(string(U::Email, 320).unique_key())
                    .col(text(U::Name))
                    .col(enum_col(
                        U::Role,
                        &["admin", "secretariat", "officer", "viewer"],
                    ))
                    .col(ColumnDef::new(U::BodyId).uuid().null())
                    .col(boolean(U::Active, true))
                    .col(text(U::PasswordHash))
                    .col(version(U::Version))
                    .col(timestamp(U::CreatedAt))
                    .col(timestamp(U::UpdatedAt))
                    .foreign_key(&mut fk_restrict((U::Table, U::BodyId), (B::Table, B::Id)))
                    // An officer is bound to exactly one body; nobody else is bound to one.
                    .check(
                        Expr::col(U::Role)
                            .eq("officer")
                            .and(Expr::col(U::BodyId).is_not_null())
                            .or(Expr::col(U::Role)
                                .ne("officer")
                                .and(Expr::col(U::BodyId).is_null())),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(U::Table, "ix_users_body").col(U::BodyId).to_owned())
            .await?;

        use AuditLog as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(
                        ColumnDef::new(L::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(timestamp(L::OccurredAt))
                    .col(ColumnDef::new(L::ActorId).uuid().null())
                    .col(string(L::Action, 64))
                    .col(string(L::ResourceType, 64))
                    .col(string(L::ResourceId, 128))
                    .col(ColumnDef::new(L::Before).json_binary().null())
                    .col(ColumnDef::new(L::After).json_binary().null())
                    .col(ColumnDef::new(L::RequestId).string_len(128).null())
                    .col(string(L::PrevHash, 64))
                    .col(string(L::Hash, 64).unique_key())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(L::Table, "ix_audit_log_resource")
                    .col(L::ResourceType)
                    .col(L::ResourceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(L::Table, "ix_audit_log_actor")
                    .col(L::ActorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(L::Table, "ix_audit_log_occurred_at")
                    .col(L::OccurredAt)
                    .to_owned(),
            )
            .await?;

        use ReferenceDataLoads as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid_pk(R::Id))
                    .col(string(R::Sha256, 64).unique_key())
                    .col(timestamp(R::LoadedAt))
                    .col(text(R::Summary))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block a drop.
        let tables: [DynIden; 12] = [
            ReferenceDataLoads::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Users::Table.into_iden(),
            Indicators::Table.into_iden(),
            Milestones::Table.into_iden(),
            ActivityAssignments::Table.into_iden(),
            Activities::Table.into_iden(),
            ThematicAreas::Table.into_iden(),
            PlanParticipations::Table.into_iden(),
            WorkPlans::Table.into_iden(),
            MemberStates::Table.into_iden(),
            SectoralBodies::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! The work plan's daily data: each body's progress updates and indicator actuals, the
//! latest status of each body on each activity (kept on its assignment so lists filter
//! on it with an index), the secretariat's signal override, and full-text search over
//! activities (a GIN-indexed tsvector on PostgreSQL, an FTS5 table on SQLite).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::helpers::*;

/// Adds progress, actuals, latest status, signal override and search.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Activities {
    Table,
    Id,
    LastProgressAt,
    SignalOverride,
    SignalOverrideReason,
    SignalOverrideBy,
    SignalOverrideAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ActivityAssignments {
    Table,
    LatestStatus,
    LatestPercent,
    LatestReportedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Milestones {
    Table,
    CompletedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum SectoralBodies {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Indicators {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProgressUpdates {
    Table,
    Id,
    ActivityId,
    BodyId,
    Status,
    PercentComplete,
    Narrative,
    Challenges,
    NextSteps,
    EvidenceUrls,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IndicatorActuals {
    Table,
    Id,
    IndicatorId,
    BodyId,
    PeriodStart,
    PeriodEnd,
    Value,
    Note,
    AuthorId,
    Version,
    CreatedAt,
    UpdatedAt,
}

const STATUSES: &[&str] = &[
    "not_started",
    "on_track",
    "at_risk",
    "delayed",
    "completed",
    "discontinued",
];
const SIGNALS: &[&str] = &["on_track", "at_risk", "off_track"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let activity_columns = [
            timestamp_null(Activities::LastProgressAt),
            ColumnDef::new(Activities::SignalOverride)
                .string_len(32)
                .null()
                .check(
                    Expr::col(Activities::SignalOverride)
                        .is_in(SIGNALS.iter().map(|s| (*s).to_owned())),
                )
                .to_owned(),
            text_null(Activities::SignalOverrideReason),
            ColumnDef::new(Activities::SignalOverrideBy)
                .uuid()
                .null()
                .to_owned(),
            timestamp_null(Activities::SignalOverrideAt),
        ];
        for mut col in activity_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                index(Activities::Table, "ix_activities_last_progress_at")
                    .col(Activities::LastProgressAt)
                    .to_owned(),
            )
            .await?;

        let assignment_columns = [
            ColumnDef::new(ActivityAssignments::LatestStatus)
                .string_len(32)
                .null()
                .check(
                    Expr::col(ActivityAssignments::LatestStatus)
                        .is_in(STATUSES.iter().map(|s| (*s).to_owned())),
                )
                .to_owned(),
            ColumnDef::new(ActivityAssignments::LatestPercent)
                .integer()
                .null()
                .to_owned(),
            timestamp_null(ActivityAssignments::LatestReportedAt),
        ];
        for mut col in assignment_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityAssignments::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                index(
                    ActivityAssignments::Table,
                    "ix_activity_assignments_latest_status",
                )
                .col(ActivityAssignments::LatestStatus)
                .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Milestones::Table)
                    .add_column(ColumnDef::new(Milestones::CompletedBy).uuid().null())
                    .to_owned(),
            )
            .await?;

        use ProgressUpdates as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(uuid_pk(P::Id))
                    .col(uuid_col(P::ActivityId))
                    .col(uuid_col(P::BodyId))
                    .col(enum_col(P::Status, STATUSES))
                    .col(
                        ColumnDef::new(P::PercentComplete)
                            .integer()
                            .null()
                            .check(Expr::col(P::PercentComplete).between(0, 100)),
                    )
                    .col(text(P::Narrative))
                    .col(text_null(P::Challenges))
                    .col(text_null(P::NextSteps))
                    .col(ColumnDef::new(P::EvidenceUrls).json_binary().not_null())
                    .col(uuid_col(P::AuthorId))
                    .col(timestamp(P::CreatedAt))
                    .foreign_key(&mut fk_restrict(
                        (P::Table, P::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (P::Table, P::BodyId),
                        (SectoralBodies::Table, SectoralBodies::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (P::Table, P::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(P::Table, "ix_progress_updates_activity_created")
                    .col(P::ActivityId)
                    .col(P::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(P::Table, "ix_progress_updates_body")
                    .col(P::BodyId)
                    .to_owned(),
            )
            .await?;

        use IndicatorActuals as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(uuid_pk(I::Id))
                    .col(uuid_col(I::IndicatorId))
                    .col(uuid_col(I::BodyId))
                    .col(date(I::PeriodStart))
                    .col(date(I::PeriodEnd))
                    .col(text(I::Value))
                    .col(text_null(I::Note))
                    .col(uuid_col(I::AuthorId))
                    .col(version(I::Version))
                    .col(timestamp(I::CreatedAt))
                    .col(timestamp(I::UpdatedAt))
                    .check(Expr::col(I::PeriodStart).lte(Expr::col(I::PeriodEnd)))
                    .foreign_key(&mut fk_cascade(
                        (I::Table, I::IndicatorId),
                        (Indicators::Table, Indicators::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (I::Table, I::BodyId),
                        (SectoralBodies::Table, SectoralBodies::Id),
                    ))
                    .foreign_key(&mut fk_restrict(
                        (I::Table, I::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(I::Table, "ux_indicator_actuals_period")
                    .col(I::IndicatorId)
                    .col(I::BodyId)
                    .col(I::PeriodStart)
                    .col(I::PeriodEnd)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE activities ADD COLUMN search tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', coalesce(code, '')), 'A') ||
                        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                        setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
                        setweight(to_tsvector('english', coalesce(expected_outputs, '')), 'B') ||
                        setweight(to_tsvector('english', coalesce(actip_reference, '')), 'C')
                    ) STORED",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX ix_activities_search ON activities USING GIN (search)",
                )
                .await?;
            }
            _ => {
                // An external-content FTS5 index over the activities' own rowids, kept
                // in step by triggers.
                for sql in [
                    "CREATE VIRTUAL TABLE activities_fts USING fts5(code, title, description, expected_outputs, actip_reference, content='activities', content_rowid='rowid', tokenize='porter unicode61')",
                    "CREATE TRIGGER activities_fts_insert AFTER INSERT ON activities BEGIN
                        INSERT INTO activities_fts(rowid, code, title, description, expected_outputs, actip_reference)
                        VALUES (new.rowid, new.code, new.title, new.description, new.expected_outputs, new.actip_reference);
                     END",
                    "CREATE TRIGGER activities_fts_delete AFTER DELETE ON activities BEGIN
                        INSERT INTO activities_fts(activities_fts, rowid, code, title, description, expected_outputs, actip_reference)
                        VALUES ('delete', old.rowid, old.code, old.title, old.description, old.expected_outputs, old.actip_reference);
                     END",
                    "CREATE TRIGGER activities_fts_update AFTER UPDATE ON activities BEGIN
                        INSERT INTO activities_fts(activities_fts, rowid, code, title, description, expected_outputs, actip_reference)
                        VALUES ('delete', old.rowid, old.code, old.title, old.description, old.expected_outputs, old.actip_reference);
                        INSERT INTO activities_fts(rowid, code, title, description, expected_outputs, actip_reference)
                        VALUES (new.rowid, new.code, new.title, new.description, new.expected_outputs, new.actip_reference);
                     END",
                    "INSERT INTO activities_fts(activities_fts) VALUES ('rebuild')",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS ix_activities_search")
                    .await?;
                db.execute_unprepared("ALTER TABLE activities DROP COLUMN IF EXISTS search")
                    .await?;
            }
            _ => {
                for sql in [
                    "DROP TRIGGER IF EXISTS activities_fts_update",
                    "DROP TRIGGER IF EXISTS activities_fts_delete",
                    "DROP TRIGGER IF EXISTS activities_fts_insert",
                    "DROP TABLE IF EXISTS activities_fts",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(IndicatorActuals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProgressUpdates::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Milestones::Table)
                    .drop_column(Milestones::CompletedBy)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_activity_assignments_latest_status")
                    .table(ActivityAssignments::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            ActivityAssignments::LatestStatus,
            ActivityAssignments::LatestPercent,
            ActivityAssignments::LatestReportedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityAssignments::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_activities_last_progress_at")
                    .table(Activities::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Activities::LastProgressAt,
            Activities::SignalOverride,
            Activities::SignalOverrideReason,
            Activities::SignalOverrideBy,
            Activities::SignalOverrideAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

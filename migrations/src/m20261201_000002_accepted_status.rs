//! Each body's status from its latest *accepted* report, beside its latest progress
//! update, on `activity_assignments`: what viewers (partners, integrators) read, so the
//! lists, statuses, signals and dashboard counts they get are computed from accepted
//! data only, with the same queries as everyone else's. Backfilled from the reports
//! accepted so far.

use sea_orm_migration::prelude::*;

use crate::helpers::{date_null, timestamp_null};

/// Adds `activity_assignments.accepted_*` and fills them.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ActivityAssignments {
    Table,
    AcceptedStatus,
    AcceptedPercent,
    AcceptedCycleId,
    AcceptedPeriodEnd,
    AcceptedAt,
}

const STATUSES: &[&str] = &[
    "not_started",
    "on_track",
    "at_risk",
    "delayed",
    "completed",
    "discontinued",
];

/// The latest accepted report of the assignment's body that has an entry for its
/// activity: by the cycle's period, then by when it was accepted.
const BACKFILL_CYCLE: &str = "UPDATE activity_assignments SET accepted_cycle_id = (
    SELECT s.cycle_id FROM submission_entries e
      JOIN submissions s ON s.id = e.submission_id
      JOIN reporting_cycles c ON c.id = s.cycle_id
     WHERE s.status = 'accepted' AND s.body_id = activity_assignments.body_id
       AND e.activity_id = activity_assignments.activity_id
     ORDER BY c.period_end DESC, s.reviewed_at DESC
     LIMIT 1)";

const BACKFILL_VALUES: &str = "UPDATE activity_assignments SET
    accepted_status = (SELECT e.status FROM submission_entries e JOIN submissions s ON s.id = e.submission_id
        WHERE s.cycle_id = activity_assignments.accepted_cycle_id AND s.body_id = activity_assignments.body_id
          AND e.activity_id = activity_assignments.activity_id),
    accepted_percent = (SELECT e.percent_complete FROM submission_entries e JOIN submissions s ON s.id = e.submission_id
        WHERE s.cycle_id = activity_assignments.accepted_cycle_id AND s.body_id = activity_assignments.body_id
          AND e.activity_id = activity_assignments.activity_id),
    accepted_at = (SELECT s.reviewed_at FROM submissions s
        WHERE s.cycle_id = activity_assignments.accepted_cycle_id AND s.body_id = activity_assignments.body_id),
    accepted_period_end = (SELECT c.period_end FROM reporting_cycles c WHERE c.id = activity_assignments.accepted_cycle_id)
  WHERE accepted_cycle_id IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(ActivityAssignments::AcceptedStatus)
                .string_len(32)
                .null()
                .check(
                    Expr::col(ActivityAssignments::AcceptedStatus)
                        .is_in(STATUSES.iter().map(|s| (*s).to_owned())),
                )
                .to_owned(),
            ColumnDef::new(ActivityAssignments::AcceptedPercent)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(ActivityAssignments::AcceptedCycleId)
                .uuid()
                .null()
                .to_owned(),
            date_null(ActivityAssignments::AcceptedPeriodEnd),
            timestamp_null(ActivityAssignments::AcceptedAt),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityAssignments::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        // The viewers' status filter.
        manager
            .create_index(
                Index::create()
                    .name("ix_activity_assignments_accepted_status")
                    .table(ActivityAssignments::Table)
                    .col(ActivityAssignments::AcceptedStatus)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(BACKFILL_CYCLE).await?;
        db.execute_unprepared(BACKFILL_VALUES).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_activity_assignments_accepted_status")
                    .table(ActivityAssignments::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            ActivityAssignments::AcceptedAt,
            ActivityAssignments::AcceptedPeriodEnd,
            ActivityAssignments::AcceptedCycleId,
            ActivityAssignments::AcceptedPercent,
            ActivityAssignments::AcceptedStatus,
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
        Ok(())
    }
}
